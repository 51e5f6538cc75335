//! `distpack repo publish` for apk, judged by Alpine's apk-tools 2.14 (ci/alpine-tools): a
//! scratch root that trusts only the key the tree publishes reads the signed APKINDEX over
//! file://, lists, installs and upgrades from it, and refuses an index changed after signing;
//! `apk index` writes the same records for the same packages.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// A data-only package named healthd at `version`: a shell script as its binary, so `noarch`,
/// with no glibc `so:` dependency apk would refuse.
fn healthd(version: &str, relations: bool) -> Fixture {
    let relations = if relations { RELATIONS } else { "" };
    let manifest = format!(
        r#"[package]
name = "healthd"
version = "{version}"
summary = "Tiny HTTP health daemon"
maintainer = "Test <test@example.org>"
license = "MIT"
homepage = "https://example.org/healthd"
{relations}
[[files]]
src = "healthd.sh"
dest = "/usr/bin/healthd"
kind = "binary"
"#
    );
    Fixture::new(&manifest, &[("healthd.sh", &format!("#!/bin/sh\necho {version}\n"))])
}

/// Relations for the records to carry (the scratch roots have no busybox to satisfy them).
const RELATIONS: &str = r#"
[apk]
depends = ["busybox>=1.36"]
conflicts = ["healthd-legacy"]
provides = ["health-daemon=1"]
"#;

/// An RSA key as abuild-keygen makes it (its public key beside it as KEY.pub).
fn rsa_key(dir: &Path) -> PathBuf {
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

/// healthd at `version` built into `dir/dist/x86_64/` as distpack lays it out.
fn package(dir: &Path, version: &str, key: &Path) -> PathBuf {
    package_with(dir, version, key, false)
}

fn package_with(dir: &Path, version: &str, key: &Path, relations: bool) -> PathBuf {
    let fx = healthd(version, relations);
    let out = dir.join(format!("dist-{version}"));
    let output = run(distpack()
        .args(["build", "-f", "apk", "--no-build", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(&out)
        .arg("--apk-key")
        .arg(key));
    let built = PathBuf::from(text(&output.stdout).lines().next().unwrap());
    assert!(built.ends_with(format!("x86_64/healthd-{version}-r0.apk")), "{built:?}");
    built
}

fn publish(tree: &Path, package: &Path, key: Option<&Path>) -> std::process::Output {
    publish_command(tree, package, key).output().unwrap()
}

/// `distpack repo publish TREE PACKAGE --name demo [--apk-key KEY]`, to run.
fn publish_command(tree: &Path, package: &Path, key: Option<&Path>) -> std::process::Command {
    let mut cmd = distpack();
    cmd.args(["repo", "publish"]).arg(tree).arg(package).args(["--name", "demo"]);
    if let Some(key) = key {
        cmd.arg("--apk-key").arg(key);
    }
    cmd
}

/// A scratch Alpine root whose apk trusts only the keys in `keys` and reads the repositories the
/// tree's `apk-repositories` names.
struct Client {
    dir: tempfile::TempDir,
    keys: PathBuf,
}

impl Client {
    fn new(tree: &Path, trusted: &[&Path]) -> Client {
        let dir = tempdir();
        let keys = dir.path().join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        for key in trusted {
            std::fs::copy(key, keys.join(key.file_name().unwrap())).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("root/etc/apk")).unwrap();
        std::fs::copy(tree.join("apk-repositories"), dir.path().join("repositories")).unwrap();
        let client = Client { dir, keys };
        client.ok(&["add", "--initdb"]);
        client
    }

    fn apk(&self, args: &[&str]) -> (bool, String) {
        let out = alpine_tool("apk")
            .arg("--root")
            .arg(self.dir.path().join("root"))
            .arg("--keys-dir")
            .arg(&self.keys)
            .arg("--repositories-file")
            .arg(self.dir.path().join("repositories"))
            .args(args)
            .output()
            .unwrap();
        (out.status.success(), format!("{}{}", text(&out.stdout), text(&out.stderr)))
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, printed) = self.apk(args);
        assert!(ok, "apk {args:?} failed:\n{printed}");
        printed
    }
}

/// A tree with healthd 1.0.0 published, its RSA key, and an apk that trusts only the public key
/// the tree publishes.
fn published_v1() -> (tempfile::TempDir, PathBuf, PathBuf, Client) {
    let tmp = tempdir();
    let tree = tmp.path().join("tree");
    let key = rsa_key(tmp.path());
    assert!(publish(&tree, &package(tmp.path(), "1.0.0", &key), Some(&key)).status.success());
    let client = Client::new(&tree, &[&tree.join("jane-5f1b2c3d.rsa.pub")]);
    (tmp, tree, key, client)
}

#[test]
fn apk_update_and_search_read_the_signed_index_with_only_the_published_key() {
    let (tmp, tree, key, client) = published_v1();

    let updated = client.ok(&["update"]);
    assert!(!updated.contains("WARNING") && updated.contains("OK: 1 distinct packages available"), "{updated}");
    assert_eq!(client.ok(&["search", "-v", "healthd"]).trim(), "healthd-1.0.0-r0 - Tiny HTTP health daemon");

    assert!(publish(&tree, &package(tmp.path(), "2.0.0", &key), Some(&key)).status.success());
    client.ok(&["update"]);
    assert_eq!(client.ok(&["search", "-v", "healthd"]).trim(), "healthd-2.0.0-r0 - Tiny HTTP health daemon");
    // Both versions stay listed (retention keeps three).
    let policy = client.ok(&["policy", "healthd"]);
    assert!(policy.contains("1.0.0-r0:") && policy.contains("2.0.0-r0:"), "{policy}");
    let fetched = client.ok(&["fetch", "--stdout", "healthd"]);
    assert!(!fetched.is_empty());
    let check = distpack().args(["repo", "check"]).arg(&tree).output().unwrap();
    assert!(check.status.success() && check.stderr.is_empty(), "{}", text(&check.stderr));
}

#[test]
#[ignore = "needs root: apk add writes into the test root as root (ci/test runs it as root with --ignored)"]
fn apk_adds_from_the_tree_and_upgrades_when_v2_is_published() {
    let (tmp, tree, key, client) = published_v1();
    client.ok(&["update"]);
    let added = client.ok(&["add", "healthd"]);
    assert!(added.contains("Installing healthd (1.0.0-r0)"), "{added}");
    let installed = client.dir.path().join("root/usr/bin/healthd");
    assert_eq!(std::fs::read_to_string(&installed).unwrap(), "#!/bin/sh\necho 1.0.0\n");

    assert!(publish(&tree, &package(tmp.path(), "2.0.0", &key), Some(&key)).status.success());
    client.ok(&["update"]);
    let version = client.ok(&["version", "healthd"]);
    assert!(version.lines().any(|l| l.starts_with("healthd-1.0.0-r0") && l.contains("< 2.0.0-r0")), "{version}");
    let simulated = client.ok(&["upgrade", "--simulate"]);
    assert!(simulated.contains("Upgrading healthd (1.0.0-r0 -> 2.0.0-r0)"), "{simulated}");
}

/// The index member of APKINDEX.tar.gz (what follows the signature member), decompressed.
fn index_tar(signed: &[u8]) -> (usize, Vec<u8>) {
    let mut decoder = flate2::bufread::GzDecoder::new(signed);
    std::io::copy(&mut decoder, &mut std::io::sink()).unwrap();
    let rest = decoder.into_inner();
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(rest).read_to_end(&mut plain).unwrap();
    (signed.len() - rest.len(), plain)
}

#[test]
fn apk_refuses_an_index_changed_after_signing_or_signed_by_another_key() {
    let tmp = tempdir();
    let tree = tmp.path().join("tree");
    let key = rsa_key(tmp.path());
    assert!(publish(&tree, &package(tmp.path(), "1.0.0", &key), Some(&key)).status.success());
    let index = tree.join("apk/x86_64/APKINDEX.tar.gz");
    let good = std::fs::read(&index).unwrap();

    // One byte of the records changed, the gzip stream redone so that only the signature can tell.
    let (signature_len, mut tar) = index_tar(&good);
    let at = tar.windows(10).position(|w| w == b"V:1.0.0-r0").unwrap() + 6;
    tar[at] = b'1';
    let mut gz = flate2::write::GzEncoder::new(good[..signature_len].to_vec(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    std::fs::write(&index, gz.finish().unwrap()).unwrap();
    let client = Client::new(&tree, &[&tree.join("jane-5f1b2c3d.rsa.pub")]);
    let (_, printed) = client.apk(&["update"]);
    assert!(printed.contains("BAD signature"), "{printed}");
    let check = distpack().args(["repo", "check"]).arg(&tree).output().unwrap();
    let said = text(&check.stderr);
    assert!(!check.status.success() && said.contains("its signature does not verify"), "{said}");

    // The good index, but a client that trusts another key of the same name, or none.
    std::fs::write(&index, &good).unwrap();
    let other = tempdir();
    rsa_key(other.path());
    let stranger = Client::new(&tree, &[&other.path().join("jane-5f1b2c3d.rsa.pub")]);
    let (_, printed) = stranger.apk(&["update"]);
    assert!(printed.contains("BAD signature"), "{printed}");
    let (_, printed) = Client::new(&tree, &[]).apk(&["update"]);
    assert!(printed.contains("UNTRUSTED signature"), "{printed}");
    let (_, printed) = Client::new(&tree, &[&tree.join("jane-5f1b2c3d.rsa.pub")]).apk(&["update"]);
    assert!(!printed.contains("WARNING") && printed.contains("OK: 1 distinct packages available"), "{printed}");
}

#[test]
fn records_are_what_apk_index_writes_for_the_same_package() {
    let tmp = tempdir();
    let tree = tmp.path().join("tree");
    let key = rsa_key(tmp.path());
    assert!(publish(&tree, &package_with(tmp.path(), "1.0.0", &key, true), Some(&key)).status.success());
    let dir = tree.join("apk/x86_64");
    let theirs = tmp.path().join("by-apk-index.tar.gz");
    // abuild indexes with --rewrite-arch, so that noarch packages are found in the arch's index.
    run(alpine_tool("apk")
        .arg("index")
        .arg("--keys-dir")
        .arg(&tree)
        .args(["--rewrite-arch", "x86_64", "-d", "demo", "-o"])
        .arg(&theirs)
        .arg(dir.join("healthd-1.0.0-r0.apk")));
    let member = |signed: &[u8], name: &str| {
        let mut archive = tar::Archive::new(std::io::Cursor::new(signed.to_vec()));
        let mut entry = archive.entries().unwrap().map(|e| e.unwrap()).find(|e| e.path().unwrap() == Path::new(name));
        let mut out = String::new();
        entry.as_mut().unwrap_or_else(|| panic!("{name}")).read_to_string(&mut out).unwrap();
        out
    };
    let ours = index_tar(&std::fs::read(dir.join("APKINDEX.tar.gz")).unwrap()).1;
    let mut expected = Vec::new();
    flate2::read::GzDecoder::new(&std::fs::read(&theirs).unwrap()[..]).read_to_end(&mut expected).unwrap();
    assert_eq!(member(&ours, "APKINDEX"), member(&expected, "APKINDEX"));
    assert_eq!(member(&ours, "DESCRIPTION"), "demo");
    let record = member(&ours, "APKINDEX");
    for line in ["A:x86_64\n", "D:busybox>=1.36 !healthd-legacy\n", "p:health-daemon=1"] {
        assert!(record.contains(line), "{line} in\n{record}");
    }
}

#[test]
fn publish_without_a_key_is_refused_and_check_warns_about_unlisted_packages() {
    let tmp = tempdir();
    let key = rsa_key(tmp.path());
    let built = package(tmp.path(), "1.0.0", &key);
    let refused = publish(&tmp.path().join("unsigned"), &built, None);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("apk refuses an unsigned repository"), "{}", text(&refused.stderr));
    assert!(!tmp.path().join("unsigned/apk").exists(), "nothing is copied in before the refusal");

    let tree = tmp.path().join("tree");
    assert!(publish(&tree, &built, Some(&key)).status.success());
    std::fs::copy(&built, tree.join("apk/x86_64/healthd-0.9-r0.apk")).unwrap();
    let check = distpack().args(["repo", "check"]).arg(&tree).output().unwrap();
    let said = text(&check.stderr);
    assert!(check.status.success() && said.contains("healthd-0.9-r0.apk: APKINDEX does not list it"), "{said}");
    std::fs::remove_file(tree.join("apk/x86_64/healthd-1.0.0-r0.apk")).unwrap();
    let check = distpack().args(["repo", "check"]).arg(&tree).output().unwrap();
    let said = text(&check.stderr);
    assert!(!check.status.success() && said.contains("listed in APKINDEX but unreadable"), "{said}");
}

/// A publisher killed before any of its renames or removals leaves a tree apk updates from, with
/// v1 or v2 to offer.
#[test]
fn a_publisher_killed_at_any_step_leaves_a_tree_apk_updates_from() {
    let (tmp, tree, key, client) = published_v1();
    let v2 = package(tmp.path(), "2.0.0", &key);
    let publish_v2 = || publish_command(&tree, &v2, Some(&key));
    let judged = crate::repo::killed_at_every_step(&tree, publish_v2, |step| {
        let (ok, printed) = client.apk(&["update"]);
        assert!(ok && !printed.contains("WARNING"), "{step}: apk update:\n{printed}");
        let found = client.ok(&["search", "-v", "healthd"]);
        assert!(found.starts_with("healthd-1.0.0-r0") || found.starts_with("healthd-2.0.0-r0"), "{step}: {found}");
        let check = distpack().args(["repo", "check"]).arg(&tree).output().unwrap();
        assert!(check.status.success(), "{step}: repo check:\n{}", text(&check.stderr));
    });
    assert!(judged >= 3, "only {judged} steps");
}
