//! The example .rpm read back with rpm, rpmlint and rpm -K; signed with a key distpack made.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

fn rpm_q(args: &[&str], file: &Path) -> String {
    require_tool("rpm");
    text(&run(Command::new("rpm").args(args).arg(file)).stdout)
}

#[test]
fn rpm_qpi_shows_the_manifest_metadata() {
    let info = rpm_q(&["-qpi"], example_rpm());
    for expected in [
        "Name        : healthd",
        "Version     : 1.4.2",
        "Release     : 1",
        "Architecture: x86_64",
        "License     : MIT",
        "URL         : https://example.org/healthd",
        "Summary     : Tiny HTTP health daemon",
        "Packager    : Jane Doe <jane@example.org>",
        "Source RPM  : healthd-1.4.2-1.src.rpm",
    ] {
        assert!(info.contains(expected), "missing `{expected}` in\n{info}");
    }
    assert!(info.contains("healthd is a tiny HTTP daemon"), "{info}");
    assert_eq!(rpm_q(&["-qp", "--qf", "%{PAYLOADCOMPRESSOR} %{PAYLOADFLAGS}"], example_rpm()), "zstd 19");
}

#[test]
fn rpm_qplv_lists_exact_modes_and_owners() {
    let listing = rpm_q(&["-qplv"], example_rpm());
    let line = |path: &str| listing_line(&listing, path);
    assert!(line("/usr/bin/healthd").starts_with("-rwxr-xr-x    1 root     root"), "{listing}");
    assert!(line("/usr/lib/systemd/system/healthd.service").starts_with("-rw-r--r--    1 root     root"));
    assert!(line("/etc/healthd/healthd.toml").starts_with("-rw-r--r--    1 root     root"));
    assert!(line("/usr/share/licenses/healthd/LICENSE").starts_with("-rw-r--r--"));
    assert!(line("/etc/healthd").starts_with("drwxr-xr-x"));
    // System directories belong to the system, not to the package.
    for system in ["/usr", "/usr/bin", "/etc", "/usr/lib/systemd/system"] {
        assert!(!listing.lines().any(|l| l.ends_with(&format!(" {system}"))), "{system} must not be owned:\n{listing}");
    }
    assert_eq!(rpm_q(&["-qpc"], example_rpm()).trim(), "/etc/healthd/healthd.toml");
    let flags = rpm_q(&["-qp", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\n]"], example_rpm());
    assert!(flags.lines().any(|l| l == "/etc/healthd/healthd.toml cn"), "config(noreplace):\n{flags}");
    assert!(flags.lines().any(|l| l == "/usr/share/licenses/healthd/LICENSE l"), "{flags}");
}

#[test]
fn rpm_relations_and_scripts_match_the_manifest() {
    let rpm = example_rpm();
    let requires = rpm_q(&["-qp", "--requires"], rpm);
    for expected in [
        "glibc >= 2.34",
        "/bin/sh",
        "config(healthd) = 1.4.2-1",
        "rpmlib(PayloadIsZstd) <= 5.4.18-1",
        "rpmlib(FileDigests) <= 4.6.0-1",
    ] {
        assert!(requires.lines().any(|l| l == expected), "missing `{expected}` in\n{requires}");
    }
    let provides = rpm_q(&["-qp", "--provides"], rpm);
    for expected in ["healthd = 1.4.2-1", "healthd(x86-64) = 1.4.2-1", "health-daemon", "config(healthd) = 1.4.2-1"] {
        assert!(provides.lines().any(|l| l == expected), "missing `{expected}` in\n{provides}");
    }
    assert_eq!(rpm_q(&["-qp", "--conflicts"], rpm).trim(), "healthd-legacy");
    let scripts = rpm_q(&["-qp", "--scripts"], rpm);
    assert!(
        scripts.contains("postinstall scriptlet (using /bin/sh)")
            && scripts.contains("systemctl --no-reload preset 'healthd.service'"),
        "{scripts}"
    );
    assert!(scripts.contains("systemctl --no-reload disable --now 'healthd.service'"), "{scripts}");
    assert!(scripts.contains("systemctl try-restart 'healthd.service'"), "{scripts}");
    assert!(!scripts.contains("systemctl start"), "Fedora policy: the package never starts its units:\n{scripts}");
    for forbidden in ["useradd", "systemd-sysusers"] {
        assert!(!scripts.contains(forbidden), "DynamicUser=yes needs no {forbidden}:\n{scripts}");
    }
}

/// A key pair made by `distpack keygen --pgp`, protected by a passphrase.
fn keypair(dir: &Path) -> (PathBuf, PathBuf) {
    let key = dir.join("signing.asc");
    run(distpack()
        .args(["keygen", "--pgp", "--user-id", "Release <release@example.org>", "-o"])
        .arg(&key)
        .env("DISTPACK_PGP_PASSPHRASE", "correct horse"));
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600, "secret keys are written 0600");
    let public = dir.join("signing.asc.pub");
    assert!(std::fs::read_to_string(&public).unwrap().starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    (key, public)
}

fn signed_rpm(dir: &Path, key: &Path) -> PathBuf {
    example_rpm();
    let out = dir.join(format!("signed-{}", std::fs::read_dir(dir).unwrap().count()));
    let mut cmd = distpack();
    cmd.args(["build", "-f", "rpm", "--no-build", "-m"])
        .arg(example_manifest())
        .arg("-o")
        .arg(&out)
        .arg("--sign-key")
        .arg(key)
        .env("DISTPACK_PGP_PASSPHRASE", "correct horse");
    PathBuf::from(text(&run(&mut cmd).stdout).trim())
}

#[test]
fn rpm_k_verifies_digests_and_the_signature_and_catches_a_flipped_byte() {
    require_tool("rpm");
    let tmp = tempdir();
    let (key, public) = keypair(tmp.path());
    let rpm = signed_rpm(tmp.path(), &key);
    let db = tmp.path().join("rpmdb");
    std::fs::create_dir_all(&db).unwrap();
    let dbpath = format!("--dbpath={}", db.display());

    let unsigned = text(&run(Command::new("rpm").args(["-Kv", &dbpath]).arg(example_rpm())).stdout);
    for line in ["Header SHA256 digest: OK", "Header SHA1 digest: OK", "Payload SHA256 digest: OK"] {
        assert!(unsigned.contains(line), "{unsigned}");
    }
    let before_import = Command::new("rpm").args(["-K", &dbpath]).arg(&rpm).output().unwrap();
    assert!(
        !before_import.status.success(),
        "a signature by an unknown key must not pass: {}",
        text(&before_import.stdout)
    );

    run(Command::new("rpm").args(["--import", &dbpath]).arg(&public));
    let checked = text(&run(Command::new("rpm").args(["-Kv", &dbpath]).arg(&rpm)).stdout);
    assert!(
        checked.contains("Header V4 EdDSA/SHA256 Signature, key ID")
            && checked.contains("Signature, key ID")
            && checked.contains(": OK"),
        "{checked}"
    );
    assert!(!checked.contains("NOT OK") && !checked.contains("NOKEY"), "{checked}");

    // Flip one byte in the payload, then one in the main header: rpm -K must fail both times.
    let bytes = std::fs::read(&rpm).unwrap();
    for offset in [bytes.len() - 100, 96 + 2048] {
        let mut damaged = bytes.clone();
        damaged[offset] ^= 0x01;
        let path = tmp.path().join(format!("damaged-{offset}.rpm"));
        std::fs::write(&path, damaged).unwrap();
        let out = Command::new("rpm").args(["-K", &dbpath]).arg(&path).output().unwrap();
        assert!(!out.status.success(), "rpm -K accepted a package with byte {offset} flipped:\n{}", text(&out.stdout));
    }

    // A wrong passphrase stops the build before anything is written.
    let out = distpack()
        .args(["build", "-f", "rpm", "--no-build", "-m"])
        .arg(example_manifest())
        .arg("-o")
        .arg(tmp.path().join("wrong"))
        .arg("--sign-key")
        .arg(&key)
        .env("DISTPACK_PGP_PASSPHRASE", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("DISTPACK_PGP_PASSPHRASE") && !text(&out.stderr).contains("wrong\n"),
        "{}",
        text(&out.stderr)
    );
}

/// rpmlint warnings that are not problems of the package, each with the reason.
const RPMLINT_WARNINGS: &[(&str, &str)] = &[
    ("only-non-binary-in-usr-lib", "the systemd unit lives in /usr/lib/systemd/system, where units belong"),
    ("no-manual-page-for-binary", "healthd is a daemon: its page is healthd(8), and rpmlint only looks for section 1"),
    (
        "manpage-not-compressed",
        "Debian's rpmlint configuration expects bzip2 (CompressExtension = bz2); Fedora and openSUSE read gzip pages",
    ),
    (
        "invalid-license",
        "Debian's rpmlint ships an empty ValidLicenses list, so every license is reported; MIT is a valid SPDX id",
    ),
];

#[test]
fn rpmlint_reports_no_errors_on_the_signed_example() {
    require_tool("rpmlint");
    let tmp = tempdir();
    let (key, public) = keypair(tmp.path());
    let rpm = signed_rpm(tmp.path(), &key);
    // rpmlint checks the signature against the default rpm database, which is under $HOME here.
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    run(Command::new("rpm").arg("--import").arg(&public).env("HOME", &home));
    let out = Command::new("rpmlint").arg(&rpm).env("HOME", &home).output().unwrap();
    let report = text(&out.stdout) + &text(&out.stderr);
    let errors: Vec<&str> = report.lines().filter(|l| l.contains(": E: ")).collect();
    assert!(errors.is_empty(), "rpmlint errors:\n{report}");
    for warning in report.lines().filter(|l| l.contains(": W: ")) {
        assert!(
            RPMLINT_WARNINGS.iter().any(|(tag, _)| warning.contains(&format!(": W: {tag}"))),
            "unexpected rpmlint warning: {warning}\n{report}"
        );
    }
    assert!(report.contains("0 errors"), "{report}");
}

#[test]
fn rpm_installs_into_a_scratch_root_with_the_planned_modes() {
    require_tool("rpm");
    let root = tempdir();
    run(Command::new("rpm").args(["-i", "--nodeps", "--noscripts", "--root"]).arg(root.path()).arg(example_rpm()));
    let mode = |p: &str| {
        std::fs::metadata(root.path().join(p)).unwrap_or_else(|e| panic!("{p}: {e}")).permissions().mode() & 0o7777
    };
    assert_eq!(mode("usr/bin/healthd"), 0o755);
    assert_eq!(mode("usr/lib/systemd/system/healthd.service"), 0o644);
    assert_eq!(mode("etc/healthd/healthd.toml"), 0o644);
    let installed = text(&run(Command::new("rpm").args(["-q", "--root"]).arg(root.path()).arg("healthd")).stdout);
    assert_eq!(installed.trim(), "healthd-1.4.2-1.x86_64");
    let verify =
        Command::new("rpm").args(["-V", "--nodeps", "--root"]).arg(root.path()).arg("healthd").output().unwrap();
    assert!(verify.status.success(), "rpm -V found differences:\n{}", text(&verify.stdout));
}

#[test]
fn rpm_builds_are_reproducible_unsigned_and_signed() {
    let tmp = tempdir();
    let build = |dir: &str, key: Option<&Path>| {
        let mut cmd = distpack();
        cmd.args(["build", "-f", "rpm", "--no-build", "-m"])
            .arg(example_manifest())
            .arg("-o")
            .arg(tmp.path().join(dir))
            .env("DISTPACK_PGP_PASSPHRASE", "correct horse");
        if let Some(key) = key {
            cmd.arg("--sign-key").arg(key);
        }
        std::fs::read(text(&run(&mut cmd).stdout).trim()).unwrap()
    };
    example_rpm();
    assert!(build("a", None) == build("b", None), "unsigned builds differ");
    let (key, _) = keypair(tmp.path());
    // EdDSA signatures are deterministic and carry SOURCE_DATE_EPOCH as their time.
    assert!(build("c", Some(&key)) == build("d", Some(&key)), "signed builds differ");
}

#[test]
fn inspect_reads_the_rpm_back() {
    let inspected = inspect_matching_plan("rpm", example_rpm());
    assert_eq!(inspected["conffiles"], serde_json::json!(["/etc/healthd/healthd.toml"]));
    assert!(inspected["scripts"]["preun"].as_str().unwrap().contains("disable --now"));
}

#[test]
fn every_rpm_compression_installs_and_relations_map_to_rpm_tags() {
    require_tool("rpm");
    for (compression, compressor) in [("zstd", "zstd"), ("xz", "xz"), ("gzip", "gzip")] {
        let manifest = format!(
            "{PACKAGE}compression = \"{compression}\"\n\n[rpm]\ndepends = [\"a | b < 2\"]\nrecommends = [\"curl\"]\nsuggests = [\"jq >= 1.6\"]\nreplaces = [\"old-tool < 2\"]\n\n[[files]]\nsrc = \"bin/tool\"\nkind = \"binary\"\n"
        );
        let fixture = Fixture::new(&manifest, &[("bin/tool", "#!/bin/sh\necho tool\n")]);
        let out = fixture.dir.path().join("dist");
        let rpm = PathBuf::from(
            text(
                &run(distpack()
                    .args(["build", "-f", "rpm", "--no-build", "-m"])
                    .arg(fixture.manifest())
                    .arg("-o")
                    .arg(&out))
                .stdout,
            )
            .trim(),
        );
        assert_eq!(rpm_q(&["-qp", "--qf", "%{PAYLOADCOMPRESSOR}"], &rpm), compressor);
        let root = tempdir();
        run(Command::new("rpm").args(["-i", "--nodeps", "--noscripts", "--root"]).arg(root.path()).arg(&rpm));
        assert_eq!(
            std::fs::read_to_string(root.path().join("usr/bin/tool")).unwrap(),
            "#!/bin/sh\necho tool\n",
            "{compression}"
        );
        if compression == "zstd" {
            let requires = rpm_q(&["-qp", "--requires"], &rpm);
            assert!(
                requires.lines().any(|l| l == "(a or b < 2)") && requires.contains("rpmlib(RichDependencies)"),
                "{requires}"
            );
            assert_eq!(rpm_q(&["-qp", "--recommends"], &rpm).trim(), "curl");
            assert_eq!(rpm_q(&["-qp", "--suggests"], &rpm).trim(), "jq >= 1.6");
            assert_eq!(rpm_q(&["-qp", "--obsoletes"], &rpm).trim(), "old-tool < 2");
        }
    }
}

/// A long description is wrapped for rpm, so rpmlint finds no description-line-too-long.
#[test]
fn rpmlint_accepts_a_long_description() {
    require_tool("rpmlint");
    let long = "This service does a great many things for a great many people, and this one sentence says so at length without a break.";
    let fx = Fixture::new(
        &format!("{PACKAGE}description = \"{long}\"\n\n[[files]]\nsrc = \"notes.txt\"\nkind = \"doc\"\n"),
        &[("notes.txt", "n\n")],
    );
    let out = fx.dir.path().join("dist");
    let rpm = text(
        &run(distpack().args(["build", "-f", "rpm", "--no-build", "-m"]).arg(fx.manifest()).arg("-o").arg(&out)).stdout,
    );
    let home = tempdir();
    let report = text(&Command::new("rpmlint").arg(rpm.trim()).env("HOME", home.path()).output().unwrap().stdout);
    assert!(!report.contains("description-line-too-long"), "{report}");
    let description = text(&run(Command::new("rpm").args(["-qp", "--qf", "%{DESCRIPTION}", rpm.trim()])).stdout);
    assert_eq!(description.split_whitespace().collect::<Vec<_>>(), long.split_whitespace().collect::<Vec<_>>());
}

/// Like rpmbuild, the .rpm requires the sonames and symbol versions its ELF files need: rpm itself
/// refuses to install it where nothing provides them, and `auto-depends = false` turns it off.
#[test]
fn rpm_requires_what_the_binary_links_and_rpm_enforces_it() {
    let requires = rpm_q(&["-qp", "--requires"], example_rpm());
    for needed in ["libc.so.6()(64bit)", "libc.so.6(GLIBC_2.34)(64bit)", "libgcc_s.so.1()(64bit)"] {
        assert!(requires.lines().any(|l| l.trim() == needed), "{needed} not in\n{requires}");
    }
    assert!(!requires.contains("GLIBC_PRIVATE"), "{requires}");
    let root = tempdir();
    let out =
        Command::new("rpm").args(["-i", "--test", "--root"]).arg(root.path()).arg(example_rpm()).output().unwrap();
    let said = text(&out.stdout) + &text(&out.stderr);
    assert!(!out.status.success() && said.contains("libc.so.6()(64bit) is needed by healthd"), "{said}");

    let fx = Fixture::example_copy();
    let manifest = fx.dir.path().join("packaging/distpack.toml");
    let text_of = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text_of.replacen("[rpm]\n", "[rpm]\nauto-depends = false\n", 1)).unwrap();
    let plan = run(distpack().args(["plan", "--json", "-f", "rpm", "-m"]).arg(&manifest));
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let plan = plan["packages"].clone();
    let depends = plan[0]["relations"]["depends"].to_string();
    assert!(!depends.contains("libc.so.6"), "{depends}");
}
