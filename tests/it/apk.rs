//! Alpine packages judged by Alpine's own tools, built from ci/alpine-tools by ci/test: apk-tools
//! 2.14.6 verifies, installs, upgrades, audits and removes them in a busybox root; abuild 3.14.1
//! validates, verifies and builds the APKBUILD. Also the layout read back member by member (gzip,
//! tar, PAX records) and the OpenRC scripts that replace systemd units.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;

use crate::support::*;

/// A signing key made with `openssl genrsa`, as abuild-keygen does, and its public key.
fn openssl_key(dir: &Path) -> PathBuf {
    require_tool("openssl");
    let key = dir.join("jane-5f1b2c3d.rsa");
    run(Command::new("openssl").args(["genrsa", "-out"]).arg(&key).arg("2048"));
    run(Command::new("openssl")
        .args(["rsa", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(dir.join("jane-5f1b2c3d.rsa.pub")));
    key
}

/// Build the .apk files of a manifest: the package first, then its subpackages (NAME-openrc).
/// The example and distpack itself are glibc builds (the test machine has no musl Rust target), so
/// their .apk is refused (A004: it would not start on Alpine). What these tests ask of the .apk is
/// its format, signature and scripts, so they build it past that error.
const GLIBC_APK: &str = "--allow-check-errors";

fn build_apks(manifest: &Path, out: &Path, key: &Path) -> Vec<PathBuf> {
    let output = run(distpack()
        .args(["build", "-f", "apk", "--no-build", GLIBC_APK, "-m"])
        .arg(manifest)
        .arg("-o")
        .arg(out)
        .arg("--apk-key")
        .arg(key));
    text(&output.stdout).lines().map(PathBuf::from).filter(|p| p.extension().is_some_and(|e| e == "apk")).collect()
}

/// The package's own .apk (not its subpackages').
fn build_apk(manifest: &Path, out: &Path, key: &Path) -> PathBuf {
    build_apks(manifest, out, key).remove(0)
}

/// The NAME-openrc subpackage built beside NAME's .apk.
fn openrc_apk(apk: &Path) -> PathBuf {
    let name = apk.file_name().unwrap().to_string_lossy().into_owned();
    let (pkgname, rest) = name.split_at(name.rfind('-').and_then(|r| name[..r].rfind('-')).unwrap());
    apk.with_file_name(format!("{pkgname}-openrc{rest}"))
}

/// Each gzip member: (its compressed bytes, its decompressed bytes).
fn members(apk: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut rest = apk;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let mut decoder = flate2::bufread::GzDecoder::new(rest);
        let mut plain = Vec::new();
        decoder.read_to_end(&mut plain).unwrap();
        let remaining = decoder.into_inner();
        out.push((rest[..rest.len() - remaining.len()].to_vec(), plain));
        rest = remaining;
    }
    out
}

fn example_apk(dir: &Path) -> (PathBuf, PathBuf) {
    example_deb();
    let key = openssl_key(dir);
    (build_apk(&example_manifest(), &dir.join("out"), &key), key)
}

#[test]
fn three_gzip_members_cut_control_datahash_and_pax_checksums() {
    let tmp = tempdir();
    let (apk, _) = example_apk(tmp.path());
    assert!(apk.ends_with("healthd-1.4.2-r0.apk"), "{}", apk.display());
    let bytes = std::fs::read(&apk).unwrap();
    let parts = members(&bytes);
    assert_eq!(parts.len(), 3, "signature, control and data members");
    let eoa = |plain: &[u8]| plain.len() >= 1024 && plain[plain.len() - 1024..].iter().all(|b| *b == 0);
    assert!(!eoa(&parts[0].1) && !eoa(&parts[1].1), "signature and control tars are cut");
    assert!(eoa(&parts[2].1), "the data tar keeps its end-of-archive blocks");

    let names = |plain: &[u8]| -> Vec<String> {
        let mut archive = tar::Archive::new(plain);
        archive.entries().unwrap().map(|e| e.unwrap().path().unwrap().display().to_string()).collect()
    };
    assert_eq!(names(&parts[0].1), [".SIGN.RSA.jane-5f1b2c3d.rsa.pub"]);
    let control = names(&parts[1].1);
    assert_eq!(control[0], ".PKGINFO");
    assert!(control.contains(&".pre-install".to_string()), "{control:?}");

    let mut archive = tar::Archive::new(parts[1].1.as_slice());
    let mut pkginfo = String::new();
    archive.entries().unwrap().next().unwrap().unwrap().read_to_string(&mut pkginfo).unwrap();
    let field = |key: &str| {
        pkginfo
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("{key} missing:\n{pkginfo}"))
            .to_string()
    };
    assert_eq!(field("pkgver"), "1.4.2-r0");
    assert_eq!(field("arch"), "x86_64");
    assert_eq!(
        field("datahash"),
        hex::encode(sha2::Sha256::digest(&parts[2].0)),
        "datahash is the SHA-256 of the data member"
    );
    assert!(pkginfo.trim_end().ends_with(&format!("datahash = {}", field("datahash"))), "datahash comes last");

    let mut size = 0;
    let mut archive = tar::Archive::new(parts[2].1.as_slice());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let kind = entry.header().entry_type();
        let name = entry.path().unwrap().display().to_string();
        assert!(!name.starts_with("./"), "{name}");
        if kind.is_file() || kind.is_symlink() {
            let pax: Vec<(String, String)> = entry
                .pax_extensions()
                .unwrap()
                .expect("a PAX header before every file")
                .map(|e| {
                    let e = e.unwrap();
                    (e.key().unwrap().to_string(), e.value().unwrap().to_string())
                })
                .collect();
            let recorded = pax
                .iter()
                .find(|(k, _)| k == "APK-TOOLS.checksum.SHA1")
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{name}: {pax:?}"));
            let mut content = Vec::new();
            if kind.is_symlink() {
                content = entry.link_name().unwrap().unwrap().display().to_string().into_bytes();
            } else {
                entry.read_to_end(&mut content).unwrap();
                size += content.len() as u64;
            }
            assert_eq!(recorded, hex::encode(sha1::Sha1::digest(&content)), "{name}");
        }
    }
    assert_eq!(field("size"), size.to_string());
    assert!(
        !String::from_utf8_lossy(&parts[2].1).contains("usr/lib/systemd/system/healthd.service"),
        "units are left out"
    );
}

#[test]
fn modes_and_owners_read_back_with_bsdtar() {
    require_tool("bsdtar");
    let tmp = tempdir();
    let (apk, _) = example_apk(tmp.path());
    let listing = text(&run(Command::new("bsdtar").arg("-tvf").arg(&apk)).stdout);
    let line = |name: &str| listing_line(&listing, name);
    assert!(line("usr/bin/healthd").starts_with("-rwxr-xr-x  0 root   root"), "{listing}");
    let openrc = text(&run(Command::new("bsdtar").arg("-tvf").arg(openrc_apk(&apk))).stdout);
    assert!(listing_line(&openrc, "etc/init.d/healthd").starts_with("-rwxr-xr-x  0 root   root"), "{openrc}");
    assert!(line("etc/healthd/healthd.toml").starts_with("-rw-r--r--  0 root   root"));
}

#[test]
fn openssl_verifies_the_signature_over_the_control_member() {
    let tmp = tempdir();
    let (apk, key) = example_apk(tmp.path());
    let parts = members(&std::fs::read(&apk).unwrap());
    let mut sig = Vec::new();
    tar::Archive::new(parts[0].1.as_slice()).entries().unwrap().next().unwrap().unwrap().read_to_end(&mut sig).unwrap();
    let (sig_path, control_path) = (tmp.path().join("sig"), tmp.path().join("control.tar.gz"));
    std::fs::write(&sig_path, &sig).unwrap();
    std::fs::write(&control_path, &parts[1].0).unwrap();
    let public = PathBuf::from(format!("{}.pub", key.display()));
    let verify = |path: &Path| {
        Command::new("openssl")
            .args(["dgst", "-sha1", "-verify"])
            .arg(&public)
            .arg("-signature")
            .arg(&sig_path)
            .arg(path)
            .output()
            .unwrap()
    };
    let ok = verify(&control_path);
    assert!(
        ok.status.success() && text(&ok.stdout).contains("Verified OK"),
        "{}{}",
        text(&ok.stdout),
        text(&ok.stderr)
    );
    let mut flipped = parts[1].0.clone();
    flipped[40] ^= 1;
    std::fs::write(&control_path, flipped).unwrap();
    assert!(!verify(&control_path).status.success(), "a flipped byte must fail verification");
}

#[test]
fn keygen_rsa_keys_sign_and_builds_are_reproducible() {
    example_deb();
    let tmp = tempdir();
    run(distpack().args(["keygen", "--rsa", "release"]).current_dir(tmp.path()));
    let key = tmp.path().join("release.rsa");
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions()) & 0o777, 0o600);
    let a = std::fs::read(build_apk(&example_manifest(), &tmp.path().join("a"), &key)).unwrap();
    let b = std::fs::read(build_apk(&example_manifest(), &tmp.path().join("b"), &key)).unwrap();
    assert!(a == b, "same inputs and key, different bytes");
    let sig_names: Vec<String> = tar::Archive::new(members(&a)[0].1.as_slice())
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(sig_names, [".SIGN.RSA.release.rsa.pub"]);
}

#[test]
fn unsigned_apk_needs_an_explicit_flag() {
    example_deb();
    let tmp = tempdir();
    let out = distpack()
        .args(["build", "-f", "apk", "--no-build", GLIBC_APK, "-m"])
        .arg(example_manifest())
        .arg("-o")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--apk-key"), "{}", text(&out.stderr));
    let out = run(distpack()
        .args(["build", "-f", "apk", "--no-build", GLIBC_APK, "--allow-unsigned-apk", "-m"])
        .arg(example_manifest())
        .arg("-o")
        .arg(tmp.path()));
    assert!(text(&out.stderr).contains("UNSIGNED"), "{}", text(&out.stderr));
    let apk = std::fs::read(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(members(&apk).len(), 2, "control and data only");
}

#[test]
fn openrc_scripts_pass_shellcheck_and_match_their_snapshots() {
    require_tool("shellcheck");
    example_deb();
    let tmp = tempdir();
    let key = openssl_key(tmp.path());
    let cases: Vec<(&str, PathBuf, Option<Fixture>)> = vec![
        ("dynamic_user", example_manifest(), None),
        ("static_user", PathBuf::new(), Some(Fixture::copy_of("services/static-user"))),
        ("exec_start_pre", PathBuf::new(), Some(Fixture::copy_of("services/exec-start-pre"))),
    ];
    for (name, manifest, fixture) in cases {
        let manifest = fixture.as_ref().map(|f| f.manifest()).unwrap_or(manifest);
        let apk = openrc_apk(&build_apk(&manifest, &tmp.path().join(name), &key));
        let listing = text(&run(Command::new("bsdtar").arg("-tf").arg(&apk)).stdout);
        let script_name = listing
            .lines()
            .find(|l| l.starts_with("etc/init.d/"))
            .unwrap_or_else(|| panic!("no OpenRC script in\n{listing}"))
            .to_string();
        let script = text(&run(Command::new("bsdtar").arg("-xOf").arg(&apk).arg(&script_name)).stdout);
        assert!(script.starts_with("#!/sbin/openrc-run\n"), "{script}");
        let path = tmp.path().join(format!("{name}.openrc"));
        std::fs::write(&path, &script).unwrap();
        run(Command::new("sh").arg("-n").arg(&path));
        // OpenRC scripts set variables that openrc-run reads (SC2034) and use its functions.
        run(Command::new("shellcheck").args(["-s", "sh", "-e", "SC2034"]).arg(&path));
        insta::assert_snapshot!(format!("openrc_{name}"), script);
    }
}

#[test]
fn inspect_reads_the_apk_back() {
    let tmp = tempdir();
    let (apk, _) = example_apk(tmp.path());
    let inspected: serde_json::Value =
        serde_json::from_slice(&run(distpack().args(["inspect", "--json"]).arg(&apk)).stdout).unwrap();
    assert_eq!(inspected["format"], "apk");
    let fields = inspected["fields"].as_array().unwrap();
    let field = |k: &str| fields.iter().find(|f| f[0] == k).map(|f| f[1].as_str().unwrap().to_string());
    assert_eq!(field("pkgver").as_deref(), Some("1.4.2-r0"));
    assert_eq!(field("signature").as_deref(), Some("RSA.jane-5f1b2c3d.rsa.pub"));
    assert!(inspected["scripts"][".pre-install"].as_str().unwrap().contains("adduser -S -D -H"));
    let files = inspected["files"].as_array().unwrap();
    assert!(!files.iter().any(|f| f["path"] == "/etc/init.d/healthd"), "{files:?}");
    let openrc: serde_json::Value =
        serde_json::from_slice(&run(distpack().args(["inspect", "--json"]).arg(openrc_apk(&apk))).stdout).unwrap();
    let files = openrc["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f["path"] == "/etc/init.d/healthd" && f["mode"] == "0755"), "{files:?}");
    assert!(!files.iter().any(|f| f["path"].as_str().unwrap().starts_with("/.")), "metadata is not listed as files");
}

/// A copy of the example with an `[apkbuild]` table in `mode`, built for `targets` (an aarch64
/// target gets a stand-in binary: packaging does not run it) as signed .apk files plus the recipe.
/// In source mode the source archive is a tarball of the example's sources, its SHA-512 in the
/// manifest. Returns the project, the output directory and the key.
fn apkbuild_project(dir: &Path, mode: &str, targets: &[&str]) -> (Fixture, PathBuf, PathBuf) {
    let fx = Fixture::example_copy();
    let manifest = fx.dir.path().join("packaging/distpack.toml");
    let out = fx.dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let mut table = format!(
        "\n[apkbuild]\nmode = \"{mode}\"\nsource-url = \"https://example.org/dl/{{name}}-{{version}}-{{arch}}.tar.gz\"\n"
    );
    if mode == "source" {
        let archive = out.join("healthd-1.4.2.tar.gz");
        run(Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .args(["--transform", "s,^\\.,healthd-1.4.2,", "-C"])
            .arg(repo().join("examples/healthd"))
            .args(["./src", "./Cargo.toml", "./Cargo.lock"]));
        let sum = text(&run(Command::new("sha512sum").arg(&archive)).stdout);
        table += &format!("sha512 = \"{}\"\n", sum.split_whitespace().next().unwrap());
    }
    std::fs::write(&manifest, std::fs::read_to_string(&manifest).unwrap() + &table).unwrap();
    for target in targets {
        let bin = fx.dir.path().join(format!("target/{target}/release/healthd"));
        if !bin.exists() {
            cross_stand_in(&fx.dir.path().join(format!("target/{}/release/healthd", host_triple())), &bin, target);
        }
    }
    let key = openssl_key(dir);
    let mut cmd = distpack();
    cmd.args(["build", "-f", "apk", "--no-build", GLIBC_APK, "-m"])
        .arg(&manifest)
        .arg("-o")
        .arg(&out)
        .arg("--apk-key")
        .arg(&key);
    for target in targets {
        cmd.args(["--target", target]);
    }
    run(&mut cmd);
    (fx, out, key)
}

/// `abuild ARGS` in the recipe directory, as on an Alpine host: scratch SRCDEST (holding the
/// downloads: the release tarballs distpack wrote, or the source archive), REPODEST and
/// ABUILD_USERDIR, no users added to this machine, and `apk` asked about `apk_root` when given.
fn abuild(recipe: &Path, out: &Path, args: &[&str], apk_root: Option<(&AlpineRoot, &Path)>) -> (bool, String) {
    let scratch = out.join("abuild");
    let srcdest = scratch.join("srcdest");
    std::fs::create_dir_all(&srcdest).unwrap();
    std::fs::create_dir_all(scratch.join("userdir")).unwrap();
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() && path.to_string_lossy().ends_with(".tar.gz") {
            std::fs::copy(&path, srcdest.join(path.file_name().unwrap())).unwrap();
        }
    }
    let tools = alpine_tools();
    let mut cmd = alpine_tool("abuild");
    cmd.args(args)
        .current_dir(recipe)
        .env("PATH", format!("{}:{}", tools.display(), std::env::var("PATH").unwrap_or_default()))
        .env("SRCDEST", &srcdest)
        .env("REPODEST", scratch.join("repodest"))
        .env("ABUILD_USERDIR", scratch.join("userdir"))
        .env("ADDUSER", "true")
        .env("ADDGROUP", "true")
        .env("CBUILD", "x86_64");
    if let Some((root, key)) = apk_root {
        std::fs::write(scratch.join("userdir/abuild.conf"), format!("PACKAGER_PRIVKEY={}\n", key.display())).unwrap();
        cmd.env(
            "APK",
            format!(
                "{} --root {} --keys-dir {}",
                tools.join("apk").display(),
                root.root.display(),
                root.keys_dir.display()
            ),
        );
    }
    let output = cmd.output().unwrap();
    (output.status.success(), format!("{}{}", text(&output.stdout), text(&output.stderr)))
}

fn assert_abuild(recipe: &Path, out: &Path, command: &str) -> String {
    let (ok, printed) = abuild(recipe, out, &["-F", command], None);
    assert!(ok && !printed.contains("ERROR"), "abuild {command}:\n{printed}");
    printed
}

fn shellcheck_apkbuild(recipe: &Path) {
    require_tool("shellcheck");
    let apkbuild = recipe.join("APKBUILD");
    run(Command::new("sh").arg("-n").arg(&apkbuild));
    // abuild defines srcdir, pkgdir, CARCH and CTARGET, and reads the variables the recipe sets.
    run(Command::new("shellcheck").args(["-s", "sh", "-e", "SC2034,SC2154"]).arg(&apkbuild));
}

#[test]
fn apkbuild_bin_recipe_for_one_and_two_arches_passes_abuild_validate_and_verify() {
    let tmp = tempdir();
    for targets in [vec!["x86_64-unknown-linux-gnu"], vec!["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]] {
        let (_fx, out, _key) = apkbuild_project(tmp.path(), "bin", &targets);
        let recipe = out.join("healthd-apkbuild");
        shellcheck_apkbuild(&recipe);
        let apkbuild = std::fs::read_to_string(recipe.join("APKBUILD")).unwrap();
        assert!(!apkbuild.contains("=\"\"\n"), "an empty variable:\n{apkbuild}");
        assert_abuild(&recipe, &out, "validate");
        assert_abuild(&recipe, &out, "sanitycheck");
        let verified = assert_abuild(&recipe, &out, "verify");
        for arch in ["x86_64", "aarch64"].iter().take(targets.len()) {
            assert!(verified.contains(&format!("healthd-1.4.2-alpine-{arch}.tar.gz: OK")), "{verified}");
        }
        assert!(verified.contains("healthd.initd: OK"), "{verified}");
        // The checksums are those of the files: a changed download fails verify.
        let arch = if targets.len() == 2 { "aarch64" } else { "x86_64" };
        let download = out.join(format!("healthd-1.4.2-alpine-{arch}.tar.gz"));
        let mut bytes = std::fs::read(&download).unwrap();
        bytes.push(0);
        std::fs::write(&download, bytes).unwrap();
        let (ok, printed) = abuild(&recipe, &out, &["-F", "verify"], None);
        assert!(!ok && printed.contains("FAILED"), "{printed}");
    }
}

#[test]
fn apkbuild_source_recipe_passes_abuild_validate_and_verify() {
    let tmp = tempdir();
    let (_fx, out, _key) = apkbuild_project(tmp.path(), "source", &[]);
    let recipe = out.join("healthd-apkbuild");
    shellcheck_apkbuild(&recipe);
    let apkbuild = std::fs::read_to_string(recipe.join("APKBUILD")).unwrap();
    for expected in [
        "makedepends=\"cargo\"",
        "cargo fetch --locked --target=\"$CTARGET\"",
        "cargo build --frozen --release",
        "builddir=\"$srcdir/healthd-1.4.2\"",
        "\"$builddir\"/\"target/release/healthd\"",
    ] {
        assert!(apkbuild.contains(expected), "missing `{expected}`:\n{apkbuild}");
    }
    assert!(!apkbuild.contains("=\"\"\n"), "an empty variable:\n{apkbuild}");
    assert_abuild(&recipe, &out, "validate");
    assert_abuild(&recipe, &out, "sanitycheck");
    let verified = assert_abuild(&recipe, &out, "verify");
    assert!(verified.contains("healthd-1.4.2.tar.gz: OK"), "{verified}");
    assert!(
        verified.contains("usr_share_man_man8_healthd.8.gz: OK"),
        "generated files travel as local sources:\n{verified}"
    );
}

#[test]
#[ignore = "needs root: abuild -F builds as root (no fakeroot here) and apk add chroots (ci/test runs it as root with --ignored)"]
fn apk_root_abuild_builds_the_bin_recipe_into_packages_apk_accepts_with_distpacks_files() {
    let tmp = tempdir();
    let (_fx, out, key) = apkbuild_project(tmp.path(), "bin", &["x86_64-unknown-linux-gnu"]);
    let recipe = out.join("healthd-apkbuild");
    std::fs::create_dir_all(tmp.path().join("keys")).unwrap();
    let signing = SigningKey { key: key.clone(), keys_dir: std::fs::canonicalize(tmp.path().join("keys")).unwrap() };
    std::fs::copy(format!("{}.pub", key.display()), signing.keys_dir.join("jane-5f1b2c3d.rsa.pub")).unwrap();
    // abuild asks apk about an Alpine root (busybox there provides /bin/sh).
    let alpine = AlpineRoot::new(&signing);
    let (ok, printed) = abuild(&recipe, &out, &["-F", "-d"], Some((&alpine, &key)));
    assert!(ok, "abuild -F -d:\n{printed}");
    let built = out.join("abuild/repodest/out/x86_64");
    for name in ["healthd-1.4.2-r0.apk", "healthd-openrc-1.4.2-r0.apk"] {
        let by_abuild = built.join(name);
        assert_verified(&signing, &by_abuild);
        // The same files, modes and owners as distpack's own package of that name.
        let listing = |apk: &Path| -> Vec<String> {
            let mut lines: Vec<String> = text(&run(Command::new("bsdtar").arg("-tvf").arg(apk)).stdout)
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>())
                .filter(|c| !c.last().unwrap().starts_with('.'))
                .map(|c| format!("{} {} {} {}", c[0], c[2], c[3], c.last().unwrap()))
                .collect();
            lines.sort();
            lines
        };
        assert_eq!(listing(&by_abuild), listing(&out.join("x86_64").join(name)), "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// Judged by Alpine's own tools: apk-tools 2.14.6 and busybox, built by ci/alpine-tools.

/// An RSA key pair as abuild-keygen makes them, and an absolute keys directory holding the public
/// key (apk resolves a relative --keys-dir against --root).
struct SigningKey {
    key: PathBuf,
    keys_dir: PathBuf,
}

fn signing_key(dir: &Path) -> SigningKey {
    let key = openssl_key(dir);
    let keys_dir = dir.join("keys");
    std::fs::create_dir_all(&keys_dir).unwrap();
    std::fs::copy(format!("{}.pub", key.display()), keys_dir.join("jane-5f1b2c3d.rsa.pub")).unwrap();
    SigningKey { key, keys_dir: std::fs::canonicalize(keys_dir).unwrap() }
}

/// `apk verify --keys-dir K FILE`: (success, what it printed).
fn apk_verify(key: &SigningKey, apk: &Path) -> (bool, String) {
    let out = alpine_tool("apk").arg("verify").arg("--keys-dir").arg(&key.keys_dir).arg(apk).output().unwrap();
    (out.status.success(), format!("{}{}", text(&out.stdout), text(&out.stderr)))
}

fn assert_verified(key: &SigningKey, apk: &Path) {
    let (ok, printed) = apk_verify(key, apk);
    assert!(ok && printed.contains(" - OK"), "apk verify {}: {printed}", apk.display());
}

/// A scratch Alpine root with apk's database, a minimal /etc/passwd, /etc/group and /etc/shadow,
/// and busybox installed by apk from a package: like Alpine's busybox and busybox-binsh, it
/// provides `/bin/sh` and links its applets (adduser, addgroup, install, …) after install. apk
/// runs package scripts chrooted into the root, so they find exactly these tools.
struct AlpineRoot {
    _dir: tempfile::TempDir,
    root: PathBuf,
    keys_dir: PathBuf,
}

impl AlpineRoot {
    fn new(key: &SigningKey) -> AlpineRoot {
        let dir = tempdir();
        let root = std::fs::canonicalize(dir.path()).unwrap().join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
        std::fs::write(root.join("etc/group"), "root:x:0:root\n").unwrap();
        std::fs::write(root.join("etc/shadow"), "root:*::0:::::\n").unwrap();
        // A package cache, as `setup-apkcache` makes: `apk fix` reinstalls from it without a network.
        std::fs::create_dir_all(root.join("etc/apk/cache")).unwrap();
        let alpine = AlpineRoot { _dir: dir, root, keys_dir: key.keys_dir.clone() };
        let busybox = busybox_apk(alpine._dir.path(), key);
        let out = alpine.apk(&["add", "--initdb"], &[&busybox]);
        assert!(out.0, "installing busybox into the test root failed:\n{}", out.1);
        alpine
    }

    /// `apk --root R --keys-dir K --no-network ARGS FILES`: (success, stdout and stderr).
    fn apk(&self, args: &[&str], files: &[&Path]) -> (bool, String) {
        let out = alpine_tool("apk")
            .arg("--root")
            .arg(&self.root)
            .arg("--keys-dir")
            .arg(&self.keys_dir)
            .arg("--no-network")
            .args(args)
            .args(files)
            .output()
            .unwrap();
        (out.status.success(), format!("{}{}", text(&out.stdout), text(&out.stderr)))
    }

    /// `apk add FILE`, which must succeed; what it printed.
    fn add(&self, apk: &Path) -> String {
        let (ok, printed) = self.apk(&["add"], &[apk]);
        assert!(ok, "apk add {} failed:\n{printed}", apk.display());
        printed
    }

    fn path(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.path(path)).unwrap_or_else(|e| panic!("{path} in the test root: {e}"))
    }
}

/// The busybox package the test roots start from, built by distpack from the static busybox.
fn busybox_apk(dir: &Path, key: &SigningKey) -> PathBuf {
    let manifest = r#"[package]
name = "busybox"
version = "1.36.1"
summary = "Size optimized toolbox of many common UNIX utilities"
maintainer = "Test <test@example.org>"
license = "GPL-2.0-only"
provides = ["/bin/sh"]

[package.scripts]
post-install = "post-install"

[[files]]
src = "busybox"
dest = "/bin/busybox"
kind = "binary"

[[files]]
dest = "/bin/sh"
kind = "symlink"
target = "busybox"
"#;
    let hook = "#!/bin/sh\n/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin\n/bin/busybox --install -s\n";
    let fx = Fixture::new(manifest, &[("post-install", hook)]);
    std::fs::copy(alpine_tools().join("busybox"), fx.dir.path().join("busybox")).unwrap();
    let apk = build_apk(&fx.manifest(), &dir.join("busybox-out"), &key.key);
    std::fs::copy(&apk, dir.join("busybox.apk")).unwrap();
    dir.join("busybox.apk")
}

/// Replace one gzip member of an .apk by `edit` applied to its decompressed tar, recompressed.
fn with_member_edited(apk: &[u8], index: usize, edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (compressed, mut plain)) in members(apk).into_iter().enumerate() {
        if i == index {
            edit(&mut plain);
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            std::io::Write::write_all(&mut gz, &plain).unwrap();
            out.extend(gz.finish().unwrap());
        } else {
            out.extend(compressed);
        }
    }
    out
}

/// Replace `from` by `to` (same length) inside a tar and fix the checksum of the header holding it
/// when it is in one.
fn replace_in_tar(tar: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let at = tar.windows(from.len()).position(|w| w == from).unwrap_or_else(|| panic!("{from:?} not in the tar"));
    tar[at..at + to.len()].copy_from_slice(to);
}

#[test]
fn apk_verify_says_ok_for_signed_untrusted_for_unsigned_and_refuses_a_changed_byte() {
    example_deb();
    let tmp = tempdir();
    let key = signing_key(tmp.path());
    let apk = build_apk(&example_manifest(), &tmp.path().join("signed"), &key.key);
    let (ok, printed) = apk_verify(&key, &apk);
    assert!(ok, "{printed}");
    assert_eq!(printed.trim(), format!("{}: 0 - OK", apk.display()));

    let unsigned = text(
        &run(distpack()
            .args(["build", "-f", "apk", "--no-build", GLIBC_APK, "--allow-unsigned-apk", "-m"])
            .arg(example_manifest())
            .arg("-o")
            .arg(tmp.path().join("unsigned")))
        .stdout,
    );
    let (ok, printed) = apk_verify(&key, Path::new(unsigned.lines().next().unwrap()));
    assert!(!ok && printed.contains("UNTRUSTED"), "{printed}");

    let bytes = std::fs::read(&apk).unwrap();
    let parts = members(&bytes);
    let check_refused = |name: &str, changed: Vec<u8>, expected: &[&str]| {
        let path = tmp.path().join(name);
        std::fs::write(&path, changed).unwrap();
        let (ok, printed) = apk_verify(&key, &path);
        assert!(!ok && expected.iter().any(|e| printed.contains(e)), "{name}: {printed}");
    };
    // A flipped byte inside each compressed member.
    let control_start = parts[0].0.len();
    let data_start = control_start + parts[1].0.len();
    for (name, at) in [("control-byte.apk", control_start + parts[1].0.len() / 2), ("data-byte.apk", data_start + 400)]
    {
        let mut changed = bytes.clone();
        changed[at] ^= 1;
        check_refused(name, changed, &["ERROR", "error", "BAD"]);
    }
    // A changed byte in the content, recompressed: the signature no longer matches the control
    // member, the datahash no longer matches the data member.
    let control = with_member_edited(&bytes, 1, |tar| replace_in_tar(tar, b"Tiny HTTP", b"Tiny HTTQ"));
    check_refused("control-content.apk", control, &["BAD signature"]);
    let data = with_member_edited(&bytes, 2, |tar| replace_in_tar(tar, b"127.0.0.1:8080", b"127.0.0.1:8081"));
    check_refused("data-content.apk", data, &["ERROR", "error", "BAD"]);
}

/// The planned files of a package (path without the leading `/`, mode), as `plan --json` lists them.
fn planned_files(manifest: &Path, name: &str) -> Vec<(String, String, String)> {
    let plan: serde_json::Value =
        serde_json::from_slice(&run(distpack().args(["plan", "--json", "-f", "apk", "-m"]).arg(manifest)).stdout)
            .unwrap();
    let plan = plan["packages"].clone();
    let package = plan
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| std::iter::once(p).chain(p["subpackages"].as_array().into_iter().flatten()))
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name} in the plan"));
    package["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().trim_start_matches('/').to_string(),
                f["mode"].as_str().unwrap().trim_start_matches('0').to_string(),
                f["source"]["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What `apk info -L NAME` lists, sorted.
fn apk_contents(root: &AlpineRoot, name: &str) -> Vec<String> {
    let (ok, printed) = root.apk(&["info", "-L", name], &[]);
    assert!(ok, "{printed}");
    let mut files: Vec<String> =
        printed.lines().skip(1).map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
    files.sort();
    files
}

/// `find -printf '%m'` of each path in the root: its permission bits as the package left them.
fn installed_mode(root: &AlpineRoot, path: &str) -> String {
    text(&run(Command::new("find").arg(root.path(path)).args(["-maxdepth", "0", "-printf", "%m"])).stdout)
}

#[test]
#[ignore = "needs root: apk add runs the package scripts chrooted into the test root (ci/test runs it as root with --ignored)"]
fn apk_root_example_installs_upgrades_keeping_the_edited_config_and_is_removed() {
    let fx = Fixture::example_copy();
    let manifest = fx.dir.path().join("packaging/distpack.toml");
    without_so_depends(&manifest);
    let tmp = tempdir();
    let key = signing_key(tmp.path());
    let alpine = AlpineRoot::new(&key);
    let r0 = build_apk(&manifest, &tmp.path().join("r0"), &key.key);
    assert_verified(&key, &r0);

    let printed = alpine.add(&r0);
    assert!(printed.contains("Installing healthd (1.4.2-r0)"), "{printed}");
    assert!(printed.contains("Executing healthd-1.4.2-r0.pre-install"), "{printed}");
    assert!(!printed.contains("WARNING") && !printed.contains("ERROR"), "{printed}");

    // Files and modes as planned.
    let planned = planned_files(&manifest, "healthd");
    let mut expected: Vec<String> = planned.iter().filter(|f| f.2 != "directory").map(|f| f.0.clone()).collect();
    expected.sort();
    assert_eq!(apk_contents(&alpine, "healthd"), expected);
    for (path, mode, _) in &planned {
        assert_eq!(&installed_mode(&alpine, path), mode, "{path}");
    }
    // The service user, created by .pre-install in the root's own /etc/passwd.
    let passwd = alpine.read("/etc/passwd");
    assert!(
        passwd.lines().any(|l| l.starts_with("healthd:x:") && l.ends_with(":/var/lib/healthd:/sbin/nologin")),
        "{passwd}"
    );
    assert!(alpine.read("/etc/group").lines().any(|l| l.starts_with("healthd:x:")));
    // apk audit finds none of the package's files changed.
    let (ok, audit) = alpine.apk(&["audit"], &[]);
    assert!(ok, "{audit}");
    assert!(!audit.contains("healthd") && !audit.contains("usr/"), "apk audit:\n{audit}");

    // The admin edits the config; r1 ships a different one.
    std::fs::write(alpine.path("/etc/healthd/healthd.toml"), "listen = \"0.0.0.0:9000\"\n").unwrap();
    let (_, audit) = alpine.apk(&["audit"], &[]);
    assert!(audit.lines().any(|l| l == "U etc/healthd/healthd.toml"), "apk audit:\n{audit}");
    let text_of = |p: &Path| std::fs::read_to_string(p).unwrap();
    std::fs::write(&manifest, text_of(&manifest).replace("release = 1", "release = 2")).unwrap();
    let config = fx.dir.path().join("packaging/healthd.toml");
    std::fs::write(&config, text_of(&config) + "workers = 4\n").unwrap();
    let r1 = build_apk(&manifest, &tmp.path().join("r1"), &key.key);
    assert!(r1.ends_with("healthd-1.4.2-r1.apk"), "{}", r1.display());
    let printed = alpine.add(&r1);
    assert!(printed.contains("Upgrading healthd (1.4.2-r0 -> 1.4.2-r1)"), "{printed}");
    assert_eq!(alpine.read("/etc/healthd/healthd.toml"), "listen = \"0.0.0.0:9000\"\n", "the edit is kept");
    assert!(alpine.read("/etc/healthd/healthd.toml.apk-new").contains("workers = 4"), "the new config is beside it");

    let printed = alpine.apk(&["del", "healthd"], &[]);
    assert!(printed.0, "{}", printed.1);
    assert!(printed.1.contains("Purging healthd (1.4.2-r1)"), "{}", printed.1);
    for gone in ["/usr/bin/healthd", "/etc/init.d/healthd", "/usr/share/man/man8/healthd.8.gz"] {
        assert!(!alpine.path(gone).exists(), "apk del left {gone}");
    }
    assert_eq!(alpine.read("/etc/healthd/healthd.toml"), "listen = \"0.0.0.0:9000\"\n", "the edited config stays");
}

/// Every service fixture, in a scratch copy (no Cargo.toml above it is inherited).
const SERVICE_FIXTURES: [&str; 9] = [
    "dynamic-user",
    "exec-start-pre",
    "no-install",
    "no-units",
    "own-conf",
    "socket",
    "static-user",
    "template",
    "timer",
];

/// distpack's own manifest in a scratch copy of the project. Its two binaries are stand-ins (the
/// example's, small and quick to compress): packaging does not run them, and ci/dogfood packages
/// the real ones.
fn own_project() -> Fixture {
    example_deb();
    let dir = tempdir();
    for file in ["Cargo.toml", "README.md", "LICENSE", "packaging/distpack.toml"] {
        std::fs::create_dir_all(dir.path().join(file).parent().unwrap()).unwrap();
        std::fs::copy(repo().join(file), dir.path().join(file)).unwrap();
    }
    let healthd = repo().join(format!("examples/healthd/target/{}/release/healthd", host_triple()));
    let release = dir.path().join(format!("target/{}/release", host_triple()));
    std::fs::create_dir_all(&release).unwrap();
    for bin in ["distpack", "cargo-distpack"] {
        std::fs::copy(&healthd, release.join(bin)).unwrap();
    }
    Fixture { dir }
}

/// (label, manifest, project) of every package the Alpine scenarios must install.
/// These roots exercise apk's scripts with the glibc binaries of the example and of distpack:
/// apk itself refuses such a package (it depends on `so:libc.so.6`, which no Alpine package
/// provides; `apk_root_a_glibc_binary_does_not_start_on_alpine_as_a004_says`), so the packages
/// installed here are built without automatic dependencies.
fn without_so_depends(manifest: &Path) {
    let text = std::fs::read_to_string(manifest).unwrap();
    let text = match text.contains("\n[apk]\n") {
        true => text.replacen("\n[apk]\n", "\n[apk]\nauto-depends = false\n", 1),
        false => format!("{text}\n[apk]\nauto-depends = false\n"),
    };
    std::fs::write(manifest, text).unwrap();
}

fn alpine_cases() -> Vec<(String, PathBuf, Fixture)> {
    let mut cases = Vec::new();
    let example = Fixture::example_copy();
    cases.push(("example".to_string(), example.dir.path().join("packaging/distpack.toml"), example));
    let own = own_project();
    cases.push(("distpack".to_string(), own.dir.path().join("packaging/distpack.toml"), own));
    for name in SERVICE_FIXTURES {
        let fx = Fixture::copy_of(&format!("services/{name}"));
        cases.push((name.to_string(), fx.manifest(), fx));
    }
    cases
}

#[test]
fn apk_verify_accepts_the_example_distpack_itself_and_every_service_fixture() {
    let tmp = tempdir();
    let key = signing_key(tmp.path());
    for (label, manifest, _project) in alpine_cases() {
        for apk in build_apks(&manifest, &tmp.path().join(&label), &key.key) {
            assert_verified(&key, &apk);
        }
    }
}

#[test]
#[ignore = "needs root: apk add runs the package scripts chrooted into the test root (ci/test runs it as root with --ignored)"]
fn apk_root_installs_the_example_distpack_itself_and_every_service_fixture_with_and_without_scripts() {
    let tmp = tempdir();
    let key = signing_key(tmp.path());
    let mut with_scripts = 0;
    let mut without_scripts = 0;
    for (label, manifest, _project) in alpine_cases() {
        without_so_depends(&manifest);
        // Built first: distpack's own manifest generates files (completions) the plan then finds.
        let apks = build_apks(&manifest, &tmp.path().join(&label), &key.key);
        let plan: serde_json::Value =
            serde_json::from_slice(&run(distpack().args(["plan", "--json", "-f", "apk", "-m"]).arg(&manifest)).stdout)
                .unwrap();
        let plan = plan["packages"].clone();
        let package = &plan[0];
        let name = package["name"].as_str().unwrap();
        let subpackages: Vec<&str> =
            package["subpackages"].as_array().into_iter().flatten().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(apks.len(), 1 + subpackages.len(), "{label}: {apks:?}");
        let alpine = AlpineRoot::new(&key);
        let files: Vec<&Path> = apks.iter().map(PathBuf::as_path).collect();
        let (ok, printed) = alpine.apk(&["add"], &files);
        assert!(ok, "{label}: {printed}");
        assert!(!printed.contains("WARNING") && !printed.contains("ERROR"), "{label}: {printed}");
        if package["scripts"].as_object().unwrap().is_empty() {
            without_scripts += 1;
            assert!(!printed.contains("Executing"), "{label}: {printed}");
        } else {
            with_scripts += 1;
            assert!(printed.contains(&format!("Executing {name}-")), "{label}: {printed}");
        }
        let mut expected_all = Vec::new();
        for name in std::iter::once(name).chain(subpackages.iter().copied()) {
            let planned = planned_files(&manifest, name);
            let mut expected: Vec<String> =
                planned.iter().filter(|f| f.2 != "directory").map(|f| f.0.clone()).collect();
            expected.sort();
            assert_eq!(apk_contents(&alpine, name), expected, "{label}: {name}");
            for (path, mode, _) in &planned {
                assert_eq!(&installed_mode(&alpine, path), mode, "{label}: {path}");
            }
            expected_all.extend(expected);
        }
        let passwd = alpine.read("/etc/passwd");
        for user in package["services"]["users"].as_array().unwrap() {
            let user = user["name"].as_str().unwrap();
            assert!(passwd.lines().any(|l| l.starts_with(&format!("{user}:x:"))), "{label}: no {user} in\n{passwd}");
        }
        let (ok, audit) = alpine.apk(&["audit"], &[]);
        assert!(ok && !audit.contains("usr/"), "{label}: apk audit:\n{audit}");
        let mut del = vec!["del", name];
        del.extend(&subpackages);
        let (ok, printed) = alpine.apk(&del, &[]);
        assert!(ok, "{label}: {printed}");
        assert!(apk_contents_gone(&alpine, &expected_all), "{label}: apk del left files");
    }
    assert!(with_scripts > 0 && without_scripts > 0, "{with_scripts} with scripts, {without_scripts} without");
}

fn apk_contents_gone(root: &AlpineRoot, files: &[String]) -> bool {
    files.iter().all(|f| f.starts_with("etc/") || !root.path(f).exists())
}

/// The static-user fixture with its user's uid fixed at 480.
fn static_user_with_uid() -> Fixture {
    let fx = Fixture::copy_of("services/static-user");
    let manifest = std::fs::read_to_string(fx.manifest()).unwrap();
    std::fs::write(fx.manifest(), manifest.replace("name = \"fxsvc\"\n", "name = \"fxsvc\"\nuid = 480\n")).unwrap();
    fx
}

#[test]
#[ignore = "needs root: apk add runs the package scripts chrooted into the test root (ci/test runs it as root with --ignored)"]
fn apk_root_a_user_that_cannot_be_created_fails_the_install_and_an_existing_one_is_kept() {
    let tmp = tempdir();
    let key = signing_key(tmp.path());
    let fx = static_user_with_uid();
    let apk = build_apk(&fx.manifest(), &tmp.path().join("out"), &key.key);

    // uid 480 already belongs to another account: busybox adduser refuses, and the install fails
    // with its reason. (apk 2.14 still unpacks the files of a package whose pre-install failed,
    // and records it as broken until `apk fix` succeeds.)
    let alpine = AlpineRoot::new(&key);
    let passwd = alpine.read("/etc/passwd");
    std::fs::write(alpine.path("/etc/passwd"), format!("{passwd}other:x:480:480:other:/:/sbin/nologin\n")).unwrap();
    let (ok, printed) = alpine.apk(&["add"], &[&apk]);
    assert!(!ok, "the install succeeded:\n{printed}");
    assert!(printed.contains("adduser: uid '480' in use"), "busybox's reason is shown:\n{printed}");
    assert!(printed.contains("fx-static: cannot create the system user fxsvc"), "{printed}");
    assert!(printed.contains("ERROR: fx-static-1.0.0-r0.pre-install: script exited with error 1"), "{printed}");
    assert!(!alpine.read("/etc/passwd").contains("fxsvc"));
    // Once the admin frees the uid, `apk fix` runs the script again and creates the user.
    std::fs::write(alpine.path("/etc/passwd"), &passwd).unwrap();
    let (ok, printed) = alpine.apk(&["fix", "fx-static"], &[]);
    assert!(ok, "{printed}");
    assert!(alpine.read("/etc/passwd").lines().any(|l| l.starts_with("fxsvc:x:480:")), "{printed}");

    // An account that exists already is used as it is, and installing again changes nothing.
    let alpine = AlpineRoot::new(&key);
    let passwd = alpine.read("/etc/passwd") + "fxsvc:x:480:480:kept:/var/lib/fx-svcd:/sbin/nologin\n";
    let group = alpine.read("/etc/group") + "fxsvc:x:480:\n";
    std::fs::write(alpine.path("/etc/passwd"), &passwd).unwrap();
    std::fs::write(alpine.path("/etc/group"), &group).unwrap();
    let printed = alpine.add(&apk);
    assert!(printed.contains("Executing fx-static-1.0.0-r0.pre-install"), "{printed}");
    assert_eq!(alpine.read("/etc/passwd"), passwd);
    assert_eq!(alpine.read("/etc/group"), group);
    assert!(alpine.path("/usr/bin/fx-svcd").exists());
    // Reinstalling runs .pre-upgrade, which keeps the account as it is too.
    let (ok, printed) = alpine.apk(&["fix", "--reinstall", "fx-static"], &[]);
    assert!(ok && printed.contains("Executing fx-static-1.0.0-r0.pre-upgrade"), "{printed}");
    assert_eq!(alpine.read("/etc/passwd"), passwd);
    assert_eq!(alpine.read("/etc/group"), group);
}

/// A signed apk repository, as Alpine lays one out: `DIR/ARCH/*.apk` and `DIR/ARCH/APKINDEX.tar.gz`
/// made by `apk index` and signed by `abuild-sign`. Returns DIR, for `apk --repository DIR`.
fn repository(dir: &Path, key: &SigningKey, apks: &[PathBuf]) -> PathBuf {
    let arch_dir = dir.join("x86_64");
    std::fs::create_dir_all(&arch_dir).unwrap();
    for apk in apks {
        std::fs::copy(apk, arch_dir.join(apk.file_name().unwrap())).unwrap();
    }
    let names: Vec<_> = apks.iter().map(|a| a.file_name().unwrap().to_owned()).collect();
    // As abuild indexes its repository: a noarch package is listed under the directory's
    // architecture, where apk then fetches it (apk looks in noarch/ otherwise).
    run(alpine_tool("apk")
        .args(["index", "--rewrite-arch", "x86_64", "--keys-dir"])
        .arg(&key.keys_dir)
        .args(["-o", "APKINDEX.tar.gz"])
        .args(&names)
        .current_dir(&arch_dir));
    let path = format!("{}:{}", alpine_tools().display(), std::env::var("PATH").unwrap_or_default());
    run(alpine_tool("abuild-sign")
        .arg("-k")
        .arg(&key.key)
        .arg("APKINDEX.tar.gz")
        .current_dir(&arch_dir)
        .env("PATH", path));
    dir.to_path_buf()
}

/// A stand-in for Alpine's openrc package: what `install_if = openrc NAME=VER` waits for.
fn openrc_standin_apk(dir: &Path, key: &SigningKey) -> PathBuf {
    let manifest = "[package]\nname = \"openrc\"\nversion = \"0.55.1\"\nsummary = \"OpenRC manages the services of the system\"\nmaintainer = \"Test <test@example.org>\"\nlicense = \"BSD-2-Clause\"\n\n[[files]]\nsrc = \"openrc-run\"\ndest = \"/sbin/openrc-run\"\nkind = \"binary\"\n";
    let fx = Fixture::new(manifest, &[("openrc-run", "#!/bin/sh\nexit 0\n")]);
    let apk = build_apk(&fx.manifest(), &dir.join("openrc-out"), &key.key);
    std::fs::copy(&apk, dir.join("openrc-0.55.1-r0.apk")).unwrap();
    dir.join("openrc-0.55.1-r0.apk")
}

#[test]
#[ignore = "needs root: apk add runs the package scripts chrooted into the test root (ci/test runs it as root with --ignored)"]
fn apk_root_the_openrc_subpackage_comes_with_openrc_and_commands_are_provided() {
    let fx = Fixture::example_copy();
    let manifest = fx.dir.path().join("packaging/distpack.toml");
    without_so_depends(&manifest);
    let tmp = tempdir();
    let key = signing_key(tmp.path());
    let apks = build_apks(&manifest, &tmp.path().join("out"), &key.key);
    let names: Vec<String> = apks.iter().map(|a| a.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["healthd-1.4.2-r0.apk", "healthd-openrc-1.4.2-r0.apk"]);
    for apk in &apks {
        assert_verified(&key, apk);
    }
    let mut all = apks.clone();
    all.push(openrc_standin_apk(tmp.path(), &key));
    let repo = repository(&tmp.path().join("repo"), &key, &all);
    let repo = repo.to_str().unwrap();

    // Without openrc, asking for the command installs healthd alone, with its /bin/sh dependency
    // met by busybox.
    let alpine = AlpineRoot::new(&key);
    let (ok, printed) = alpine.apk(&["add", "--repository", repo, "cmd:healthd"], &[]);
    assert!(ok, "{printed}");
    assert!(printed.contains("Installing healthd (1.4.2-r0)") && !printed.contains("healthd-openrc"), "{printed}");
    assert!(!alpine.path("/etc/init.d/healthd").exists());
    let (_, depends) = alpine.apk(&["info", "-R", "healthd"], &[]);
    assert!(depends.lines().any(|l| l == "/bin/sh"), "apk info -R healthd:\n{depends}");
    let (_, provides) = alpine.apk(&["info", "-P", "healthd"], &[]);
    assert!(provides.lines().any(|l| l == "cmd:healthd=1.4.2-r0"), "apk info -P healthd:\n{provides}");

    // Installing openrc brings the init script in by install_if, as on Alpine.
    let (ok, printed) = alpine.apk(&["add", "--repository", repo, "openrc"], &[]);
    assert!(ok, "{printed}");
    assert!(printed.contains("Installing healthd-openrc (1.4.2-r0)"), "{printed}");
    assert_eq!(apk_contents(&alpine, "healthd-openrc"), ["etc/init.d/healthd"]);
    assert_eq!(installed_mode(&alpine, "/etc/init.d/healthd"), "755");
    assert!(alpine.read("/etc/init.d/healthd").starts_with("#!/sbin/openrc-run\n"));
    let (ok, audit) = alpine.apk(&["audit"], &[]);
    assert!(ok && !audit.contains("init.d"), "{audit}");

    // r1 in the repository: apk upgrade moves both packages, the subpackage following its install_if.
    let text_of = |p: &Path| std::fs::read_to_string(p).unwrap();
    std::fs::write(&manifest, text_of(&manifest).replace("release = 1", "release = 2")).unwrap();
    let r1 = build_apks(&manifest, &tmp.path().join("out-r1"), &key.key);
    repository(&tmp.path().join("repo"), &key, &r1);
    let (ok, printed) = alpine.apk(&["upgrade", "--repository", repo], &[]);
    assert!(ok, "{printed}");
    for name in ["healthd", "healthd-openrc"] {
        assert!(printed.contains(&format!("Upgrading {name} (1.4.2-r0 -> 1.4.2-r1)")), "{printed}");
    }

    // Removing healthd (asked for as cmd:healthd) takes its OpenRC script with it.
    let (ok, printed) = alpine.apk(&["del", "cmd:healthd"], &[]);
    assert!(ok, "{printed}");
    assert!(printed.contains("Purging healthd-openrc (1.4.2-r1)"), "{printed}");
    assert!(!alpine.path("/etc/init.d/healthd").exists());
}

/// A service using what OpenRC can express (capabilities, limits, directory modes) and what it
/// cannot (ProtectSystem=, a soft limit below the hard one).
const HARDENED_UNIT: &str = "[Unit]
Description=Hardened fixture

[Service]
ExecStart=/usr/bin/svc
DynamicUser=yes
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
LimitNOFILE=4096
LimitCORE=infinity
LimitMEMLOCK=4M
LimitNPROC=100:200
StateDirectory=svc
StateDirectoryMode=0750
LogsDirectory=svc
LogsDirectoryMode=0700
ProtectSystem=strict
";

fn hardened_fixture() -> Fixture {
    Fixture::new(
        &format!(
            "{PACKAGE}\n[[files]]\nsrc = \"bin/svc\"\nkind = \"binary\"\n\n[[files]]\nsrc = \"units/svc.service\"\nkind = \"unit\"\n"
        ),
        &[("bin/svc", "#!/bin/sh\nexit 0\n"), ("units/svc.service", HARDENED_UNIT)],
    )
}

#[test]
fn openrc_carries_capabilities_limits_and_directory_modes_and_a002_names_only_the_rest() {
    let fx = hardened_fixture();
    let out = distpack().args(["check", "--json", "-f", "apk", "-m"]).arg(fx.manifest()).output().unwrap();
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut a002: Vec<String> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "A002")
        .map(|f| f["message"].as_str().unwrap().split('=').next().unwrap().to_string())
        .collect();
    a002.sort();
    assert_eq!(a002, ["LimitNPROC", "ProtectSystem"], "{findings:#}");

    let tmp = tempdir();
    let key = openssl_key(tmp.path());
    let apk = openrc_apk(&build_apk(&fx.manifest(), &tmp.path().join("out"), &key));
    let script = text(&run(Command::new("bsdtar").arg("-xOf").arg(&apk).arg("etc/init.d/svc")).stdout);
    let path = tmp.path().join("svc.initd");
    std::fs::write(&path, &script).unwrap();
    run(Command::new("shellcheck").args(["-s", "sh", "-e", "SC2034"]).arg(&path));
    let variable = |name: &str| {
        script
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=\"")))
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or_else(|| panic!("no {name}= in\n{script}"))
            .to_string()
    };

    // The limits, as busybox ash (Alpine's /bin/sh, which runs openrc-run) applies rc_ulimit
    // (values below this machine's hard limits, so that they can be set here).
    let applied = run(alpine_tool("busybox")
        .args(["sh", "-c", "ulimit $0 && ulimit -n && ulimit -c && ulimit -l"])
        .arg(variable("rc_ulimit")));
    assert_eq!(text(&applied.stdout), "4096\nunlimited\n4096\n");

    // The capabilities in cap_iab(3) text: ambient CAP_NET_BIND_SERVICE, every other one dropped
    // from the bounding set (apk_root_openrc_capabilities_are_what_libcap_reads applies them).
    let iab = variable("capabilities");
    assert!(iab.starts_with("^cap_net_bind_service,!cap_chown,!cap_dac_override,"), "{iab}");
    assert_eq!(iab.matches('!').count(), 40, "{iab}");
    assert!(!iab.contains("!cap_net_bind_service"), "{iab}");

    // Each directory with its mode.
    assert!(script.contains("checkpath --directory --owner svc:svc --mode 0750 \"/var/lib/svc\""), "{script}");
    assert!(script.contains("checkpath --directory --owner svc:svc --mode 0700 \"/var/log/svc\""), "{script}");
}

#[test]
#[ignore = "needs root: capsh --iab changes the bounding set, which takes CAP_SETPCAP (ci/test runs it as root with --ignored)"]
fn apk_root_openrc_capabilities_are_what_libcap_reads() {
    require_tool("capsh");
    let fx = hardened_fixture();
    let plan: serde_json::Value =
        serde_json::from_slice(&run(distpack().args(["plan", "--json", "-f", "apk", "-m"]).arg(fx.manifest())).stdout)
            .unwrap();
    let plan = plan["packages"].clone();
    let openrc = &plan[0]["subpackages"][0];
    assert_eq!(openrc["files"].as_array().unwrap().last().unwrap()["path"], "/etc/init.d/svc");
    let tmp = tempdir();
    let key = openssl_key(tmp.path());
    let apk = openrc_apk(&build_apk(&fx.manifest(), &tmp.path().join("out"), &key));
    let script = text(&run(Command::new("bsdtar").arg("-xOf").arg(&apk).arg("etc/init.d/svc")).stdout);
    let iab = script.lines().find_map(|l| l.strip_prefix("capabilities=\"")).unwrap().trim_end_matches('"');
    // libcap's cap_iab_from_text() reads it as supervise-daemon does, and the process gets exactly
    // CAP_NET_BIND_SERVICE (bit 10) as ambient capability and bounding set.
    let caps = run(Command::new("capsh").arg(format!("--iab={iab}")).args(["--", "-c", "cat /proc/self/status"]));
    let status = text(&caps.stdout);
    let field = |name: &str| status.lines().find_map(|l| l.strip_prefix(&format!("{name}:\t"))).unwrap().to_string();
    assert_eq!(field("CapAmb"), "0000000000000400", "{iab}");
    assert_eq!(field("CapBnd"), "0000000000000400", "{iab}");
}

#[test]
fn check_reports_what_abuild_validate_refuses_before_the_recipe_is_written() {
    let tmp = tempdir();
    let key = openssl_key(tmp.path());
    let long = "x".repeat(128);
    let ok_summary = "y".repeat(127);
    // (what the manifest leaves out or overdoes, abuild's message; None: abuild accepts it)
    let cases: [(&str, String, Option<&str>); 4] = [
        ("no url", "license = \"MIT\"\nsummary = \"s\"\n".into(), Some("Missing url in APKBUILD")),
        (
            "no license",
            "homepage = \"https://example.org\"\nsummary = \"s\"\n".into(),
            Some("Missing license in APKBUILD"),
        ),
        (
            "long pkgdesc",
            format!("homepage = \"https://example.org\"\nlicense = \"MIT\"\nsummary = \"{long}\"\n"),
            Some("pkgdesc is too long"),
        ),
        (
            "127 bytes",
            format!("homepage = \"https://example.org\"\nlicense = \"MIT\"\nsummary = \"{ok_summary}\"\n"),
            None,
        ),
    ];
    for (label, fields, refused) in cases {
        let manifest = format!(
            "[package]\nname = \"fx\"\nversion = \"1.0.0\"\nmaintainer = \"Test <test@example.org>\"\n{fields}\n[apkbuild]\nmode = \"bin\"\nsource-url = \"https://example.org/{{name}}-{{version}}-{{arch}}.tar.gz\"\n\n[[files]]\nsrc = \"fx\"\ndest = \"/usr/bin/fx\"\nkind = \"binary\"\n"
        );
        let fx = Fixture::new(&manifest, &[("fx", "#!/bin/sh\nexit 0\n")]);
        let out = distpack().args(["check", "--json", "-f", "apk", "-m"]).arg(fx.manifest()).output().unwrap();
        let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let a003: Vec<&serde_json::Value> =
            findings.as_array().unwrap().iter().filter(|f| f["code"] == "A003").collect();
        let dist = fx.dir.path().join("dist");
        let mut build = distpack();
        build.args(["build", "-f", "apk", "--no-build", "-m"]).arg(fx.manifest()).arg("-o").arg(&dist);
        build.arg("--apk-key").arg(&key);
        match refused {
            Some(message) => {
                assert_eq!(a003.len(), 1, "{label}: {findings:#}");
                assert_eq!(a003[0]["severity"], "error", "{label}");
                assert!(a003[0]["message"].as_str().unwrap().contains(message), "{label}: {findings:#}");
                assert_eq!(build.output().unwrap().status.code(), Some(4), "{label}: build refuses it");
                // abuild agrees: the recipe written anyway is refused for that reason.
                run(build.arg("--allow-check-errors"));
                let (ok, printed) = abuild(&dist.join("fx-apkbuild"), &dist, &["-F", "validate"], None);
                assert!(!ok && printed.contains(message), "{label}: {printed}");
            }
            None => {
                assert!(a003.is_empty(), "{label}: {findings:#}");
                run(&mut build);
                assert_abuild(&dist.join("fx-apkbuild"), &dist, "validate");
            }
        }
    }
}

/// The A004 findings of `distpack check -f apk` for a manifest, and the exit code.
fn a004(manifest: &Path, target: Option<&str>) -> (Vec<serde_json::Value>, Option<i32>) {
    let mut cmd = distpack();
    cmd.args(["check", "--json", "--no-build", "-f", "apk", "-m"]).arg(manifest);
    if let Some(target) = target {
        cmd.args(["--target", target]);
    }
    let out = cmd.output().unwrap();
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (findings.as_array().unwrap().iter().filter(|f| f["code"] == "A004").cloned().collect(), out.status.code())
}

#[test]
fn a_glibc_binary_in_an_apk_is_refused_unless_it_depends_on_gcompat() {
    require_tool("readelf");
    let fx = Fixture::example_copy();
    let manifest = fx.dir.path().join("packaging/distpack.toml");
    let binary = fx.dir.path().join(format!("target/{}/release/healthd", host_triple()));
    // What readelf says the example's binary asks for.
    let headers = text(&run(Command::new("readelf").args(["-l", "-d", "-W"]).arg(&binary)).stdout);
    let interpreter = headers
        .lines()
        .find_map(|l| l.trim().strip_prefix("[Requesting program interpreter: "))
        .and_then(|l| l.strip_suffix(']'))
        .expect("readelf names the interpreter");
    assert!(interpreter.contains("ld-linux"), "{headers}");

    // A gnu build: an error naming the binary and its loader, in check and in build (no package).
    let (found, code) = a004(&manifest, None);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["severity"], "error");
    let message = found[0]["message"].as_str().unwrap();
    assert!(message.contains("/usr/bin/healthd") && message.contains(interpreter), "{message}");
    assert!(found[0]["help"].as_str().unwrap().contains("--target x86_64-unknown-linux-musl"), "{found:#?}");
    assert_eq!(code, Some(4));
    let tmp = tempdir();
    let key = openssl_key(tmp.path());
    let refused = distpack()
        .args(["build", "-f", "apk", "--no-build", "-m"])
        .arg(&manifest)
        .arg("-o")
        .arg(tmp.path().join("gnu"))
        .arg("--apk-key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("error[A004]"), "{}", text(&refused.stderr));
    assert!(!tmp.path().join("gnu/x86_64").exists(), "no .apk is written");

    // The same binary as the musl build: an error, and no package.
    let musl = fx.dir.path().join("target/x86_64-unknown-linux-musl/release/healthd");
    std::fs::create_dir_all(musl.parent().unwrap()).unwrap();
    std::fs::copy(&binary, &musl).unwrap();
    let (found, code) = a004(&manifest, Some("x86_64-unknown-linux-musl"));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["severity"], "error");
    assert_eq!(code, Some(4));
    let refused = distpack()
        .args(["build", "-f", "apk", "--no-build", "--target", "x86_64-unknown-linux-musl", "-m"])
        .arg(&manifest)
        .arg("-o")
        .arg(tmp.path().join("musl"))
        .arg("--apk-key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("error[A004]"), "{}", text(&refused.stderr));

    // A static binary (busybox, which readelf finds no interpreter in) is fine for musl.
    let static_headers = text(&run(Command::new("readelf").arg("-l").arg(alpine_tools().join("busybox"))).stdout);
    assert!(!static_headers.contains("program interpreter"), "{static_headers}");
    std::fs::copy(alpine_tools().join("busybox"), &musl).unwrap();
    assert_eq!(a004(&manifest, Some("x86_64-unknown-linux-musl")).0.len(), 0);

    // With gcompat (Alpine's glibc compatibility layer) as a dependency, the gnu build is fine.
    let text_of = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text_of.replace("[arch]\n", "[apk]\ndepends = [\"gcompat\"]\n\n[arch]\n")).unwrap();
    assert_eq!(a004(&manifest, None).0.len(), 0);
}

#[test]
#[ignore = "needs root: apk add and chroot into the test root (ci/test runs it as root with --ignored)"]
fn apk_root_a_glibc_binary_does_not_start_on_alpine_as_a004_says() {
    let fx = Fixture::example_copy();
    let manifest = fx.dir.path().join("packaging/distpack.toml");
    let tmp = tempdir();
    let key = signing_key(tmp.path());
    let alpine = AlpineRoot::new(&key);
    // With its automatic dependencies, apk refuses it: nothing on Alpine provides glibc.
    let (ok, printed) = alpine.apk(&["add"], &[&build_apk(&manifest, &tmp.path().join("auto"), &key.key)]);
    assert!(!ok && printed.contains("so:libc.so.6 (no such package)"), "{printed}");
    // Forced in without them, it does not start.
    without_so_depends(&manifest);
    alpine.add(&build_apk(&manifest, &tmp.path().join("out"), &key.key));
    let started = Command::new("chroot").arg(&alpine.root).args(["/usr/bin/healthd", "--help"]).output().unwrap();
    assert_eq!(started.status.code(), Some(127), "{}", text(&started.stderr));
    // busybox, static, runs there.
    run(Command::new("chroot").arg(&alpine.root).args(["/bin/busybox", "true"]));
}

/// Versions already in apk's syntax (`1.12.0_pre0`) pass through, and apk-tools itself reads every
/// mapped version as valid and orders the pre-release first.
#[test]
fn apk_reads_every_mapped_version_as_valid() {
    let apk = alpine_tools().join("apk");
    let mut mapped = Vec::new();
    for version in ["1.12.0_pre0", "1.4.2-rc.1", "2.1_rc1_p2", "1.12.0"] {
        let fx = Fixture::new(
            &format!(
                "[package]\nname = \"v\"\nversion = \"{version}\"\nsummary = \"s\"\nmaintainer = \"T <t@example.org>\"\nlicense = \"MIT\"\n"
            ),
            &[],
        );
        let plan = run(distpack().args(["plan", "--json", "-f", "apk", "-m"]).arg(fx.manifest()));
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        let plan = plan["packages"].clone();
        let version = &plan[0]["version"];
        mapped.push(format!("{}-r{}", version["upstream"].as_str().unwrap(), version["release"].as_str().unwrap()));
    }
    assert_eq!(mapped, ["1.12.0_pre0-r0", "1.4.2_rc1-r0", "2.1_rc1_p2-r0", "1.12.0-r0"]);
    let check = Command::new(&apk).arg("version").arg("-c").args(&mapped).output().unwrap();
    assert!(check.status.success() && check.stdout.is_empty(), "apk version -c: {}", text(&check.stdout));
    let order = text(&run(Command::new(&apk).args(["version", "-t", &mapped[0], &mapped[3]])).stdout);
    assert_eq!(order.trim(), "<", "a _pre sorts before its release");
}

/// A package with no ELF is `arch = noarch`, as abuild writes a noarch APKBUILD's packages, and
/// Alpine keeps it in each architecture's repository directory: one file per target, which apk
/// verifies and installs.
#[test]
fn a_data_only_apk_is_noarch_in_each_architecture_directory() {
    let dir = tempdir();
    let key = signing_key(dir.path());
    let fx = Fixture::new(
        "[package]\nname = \"webby\"\nversion = \"1.0.0\"\nsummary = \"Web assets\"\nmaintainer = \"T <t@example.org>\"\nlicense = \"MIT\"\n\n[apk]\n\n[[files]]\nsrc = \"web/**/*\"\ndest = \"/usr/share/webby/\"\nkind = \"data\"\n",
        &[("web/index.html", "<p>top</p>\n"), ("web/js/app.js", "app()\n")],
    );
    let out = fx.dir.path().join("dist");
    let built = run(distpack()
        .args(["build", "-f", "apk", "--no-build", "--target", "x86_64-unknown-linux-musl"])
        .args(["--target", "aarch64-unknown-linux-musl", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(&out)
        .arg("--apk-key")
        .arg(&key.key));
    let apks: Vec<String> = text(&built.stdout).lines().map(str::to_string).collect();
    assert_eq!(apks.len(), 2, "{apks:?}");
    assert!(
        apks[0].ends_with("x86_64/webby-1.0.0-r0.apk") && apks[1].ends_with("aarch64/webby-1.0.0-r0.apk"),
        "{apks:?}"
    );
    for apk in &apks {
        assert_verified(&key, Path::new(apk));
        let pkginfo = run(Command::new("tar").args(["--ignore-zeros", "-xzOf", apk, ".PKGINFO"]));
        assert!(text(&pkginfo.stdout).lines().any(|l| l == "arch = noarch"), "{}", text(&pkginfo.stdout));
    }
    let root = AlpineRoot::new(&key);
    root.add(Path::new(&apks[0]));
    assert_eq!(root.read("/usr/share/webby/js/app.js"), "app()\n");
}

/// A data-only APKBUILD is `arch="noarch"` with one release tarball for every target, and abuild
/// validates it, verifies its checksums and builds it into a noarch package apk accepts.
#[test]
fn a_data_only_apkbuild_is_noarch_and_abuild_builds_it() {
    let tmp = tempdir();
    let key = signing_key(tmp.path());
    let fx = Fixture::new(
        "[package]\nname = \"webby\"\nversion = \"1.0.0\"\nsummary = \"Web assets\"\nmaintainer = \"T <t@example.org>\"\nlicense = \"MIT\"\nhomepage = \"https://example.org/webby\"\n\n[apkbuild]\nsource-url = \"https://example.org/dl/{name}-{version}-{arch}.tar.gz\"\n\n[[files]]\nsrc = \"web/**/*\"\ndest = \"/usr/share/webby/\"\nkind = \"data\"\n",
        &[("web/index.html", "<p>top</p>\n"), ("web/js/app.js", "app()\n")],
    );
    let out = fx.dir.path().join("out");
    run(distpack()
        .args(["build", "-f", "apk", "--no-build", "--target", "x86_64-unknown-linux-musl"])
        .args(["--target", "aarch64-unknown-linux-musl", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(&out)
        .arg("--apk-key")
        .arg(&key.key));
    let recipe = out.join("webby-apkbuild");
    shellcheck_apkbuild(&recipe);
    let apkbuild = std::fs::read_to_string(recipe.join("APKBUILD")).unwrap();
    assert!(apkbuild.contains("arch=\"noarch\"\n"), "{apkbuild}");
    assert_eq!(apkbuild.matches("webby-1.0.0-alpine-noarch.tar.gz::").count(), 1, "{apkbuild}");
    assert_abuild(&recipe, &out, "validate");
    let verified = assert_abuild(&recipe, &out, "verify");
    assert!(verified.contains("webby-1.0.0-alpine-noarch.tar.gz: OK"), "{verified}");
    let alpine = AlpineRoot::new(&key);
    let (ok, printed) = abuild(&recipe, &out, &["-F", "-d"], Some((&alpine, &key.key)));
    assert!(ok, "abuild -F -d:\n{printed}");
    let by_abuild = out.join("abuild/repodest/out/x86_64/webby-1.0.0-r0.apk");
    assert_verified(&key, &by_abuild);
    let pkginfo = run(Command::new("tar").args(["--ignore-zeros", "-xzOf"]).arg(&by_abuild).arg(".PKGINFO"));
    assert!(text(&pkginfo.stdout).lines().any(|l| l == "arch = noarch"), "{}", text(&pkginfo.stdout));
}
