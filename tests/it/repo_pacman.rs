//! `distpack repo publish` for pacman, judged by pacman itself: a scratch pacman (its own root,
//! database, cache and keyring, `SigLevel = Required`) trusts only the key the tree publishes,
//! syncs the tree over file://, downloads, installs and upgrades from it, and refuses a database
//! with one byte changed; repo-add writes the same `desc` and `files` for the same package.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// A data-only package named healthd at `version` (a shell script as its binary: arch `any`).
fn healthd(version: &str) -> Fixture {
    let manifest = format!(
        r#"[package]
name = "healthd"
version = "{version}"
summary = "Tiny HTTP health daemon"
maintainer = "Test <test@example.org>"
license = "MIT"
homepage = "https://example.org/healthd"

[arch]
depends = ["sh", "coreutils>=9"]
conflicts = ["healthd-legacy"]
provides = ["health-daemon=1"]
replaces = ["healthd-old"]

[[files]]
src = "healthd.sh"
dest = "/usr/bin/healthd"
kind = "binary"

[[files]]
src = "healthd.toml"
dest = "/etc/healthd/healthd.toml"
kind = "config"
"#
    );
    Fixture::new(&manifest, &[("healthd.sh", &format!("#!/bin/sh\necho {version}\n")), ("healthd.toml", "a = 1\n")])
}

/// healthd at `version`, built and copied into `dir` (the fixture's directory goes with it).
fn package(dir: &Path, version: &str) -> PathBuf {
    let fx = healthd(version);
    let out = fx.dir.path().join("dist");
    let output =
        run(distpack().args(["build", "-f", "arch", "--no-build", "-m"]).arg(fx.manifest()).arg("-o").arg(&out));
    let built = PathBuf::from(text(&output.stdout).lines().next().unwrap());
    assert!(built.to_string_lossy().ends_with("-any.pkg.tar.zst"), "{built:?}");
    let path = dir.join(built.file_name().unwrap());
    std::fs::copy(&built, &path).unwrap();
    path
}

fn pgp_key(dir: &Path) -> PathBuf {
    let key = dir.join("repo.key");
    run(distpack().args(["keygen", "--pgp", "--unencrypted", "-o"]).arg(&key));
    key
}

/// `distpack repo publish TREE PACKAGE --name demo --sign-key KEY`. Signed now, not at
/// SOURCE_DATE_EPOCH: gpg refuses a signature older than the key that made it.
fn publish(tree: &Path, package: &Path, key: Option<&Path>) -> std::process::Output {
    publish_command(tree, package, key).output().unwrap()
}

fn publish_command(tree: &Path, package: &Path, key: Option<&Path>) -> std::process::Command {
    let mut cmd = distpack();
    cmd.env_remove("SOURCE_DATE_EPOCH").args(["repo", "publish"]).arg(tree).arg(package).args(["--name", "demo"]);
    if let Some(key) = key {
        cmd.arg("--sign-key").arg(key);
    }
    cmd
}

/// A pacman of its own: pacman.conf with a scratch root, database, cache and keyring, followed by
/// the tree's own `pacman.conf` stanza; the keyring trusts the tree's key as its comments say.
struct Pacman {
    dir: tempfile::TempDir,
}

impl Pacman {
    fn new(tree: &Path) -> Pacman {
        require_tool("pacman");
        require_tool("pacman-key");
        let dir = tempdir();
        let d = dir.path();
        for sub in ["root", "db", "cache", "gnupg", "hooks"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let stanza = std::fs::read_to_string(tree.join("pacman.conf")).unwrap();
        let options = format!(
            "[options]\nArchitecture = x86_64\nRootDir = {0}/root\nDBPath = {0}/db\nCacheDir = {0}/cache\n\
             GPGDir = {0}/gnupg\nHookDir = {0}/hooks\nLogFile = {0}/pacman.log\nSigLevel = Required\n\n",
            d.display()
        );
        std::fs::write(d.join("pacman.conf"), options + &stanza).unwrap();
        let fingerprint = stanza
            .lines()
            .find_map(|l| l.split("pacman-key --lsign-key ").nth(1))
            .unwrap_or_else(|| panic!("the snippet names the key to lsign:\n{stanza}"))
            .trim()
            .to_string();
        let gpgdir = d.join("gnupg");
        let key = |args: &[&str]| {
            run(Command::new("pacman-key").arg("--gpgdir").arg(&gpgdir).args(args));
        };
        key(&["--init"]);
        key(&["--add", &tree.join("demo.asc").to_string_lossy()]);
        key(&["--lsign-key", &fingerprint]);
        Pacman { dir }
    }

    /// `pacman --config C ARGS`: (success, stdout and stderr).
    fn pacman(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("pacman").arg("--config").arg(self.dir.path().join("pacman.conf")).args(args).output();
        let out = out.unwrap();
        (out.status.success(), format!("{}{}", text(&out.stdout), text(&out.stderr)))
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, printed) = self.pacman(args);
        assert!(ok, "pacman {args:?} failed:\n{printed}");
        printed
    }
}

/// A tree with healthd 1.0.0 published, its key, and the pacman that reads it.
fn published_v1() -> (tempfile::TempDir, PathBuf, PathBuf, Pacman) {
    let tmp = tempdir();
    let tree = tmp.path().join("tree");
    let key = pgp_key(tmp.path());
    let v1 = package(tmp.path(), "1.0.0");
    assert!(publish(&tree, &v1, Some(&key)).status.success());
    let pacman = Pacman::new(&tree);
    (tmp, tree, key, pacman)
}

#[test]
fn pacman_syncs_downloads_installs_and_upgrades_from_the_signed_tree() {
    let (tmp, tree, key, pacman) = published_v1();

    let synced = pacman.ok(&["-Sy"]);
    assert!(synced.contains("demo"), "{synced}");
    let url = format!("file://{}/arch/x86_64/healthd-1.0.0-1-any.pkg.tar.zst", tree.display());
    assert_eq!(pacman.ok(&["-Spdd", "healthd"]).trim(), url);
    // -Sw checks the package against the %PGPSIG% the database carries.
    let fetched = pacman.ok(&["-Swdd", "--noconfirm", "healthd"]);
    assert!(fetched.contains("checking package integrity"), "{fetched}");
    let installed = pacman.ok(&["-Sdd", "--noconfirm", "healthd"]);
    assert!(installed.contains("installing healthd"), "{installed}");
    let root = pacman.dir.path().join("root");
    assert_eq!(std::fs::read_to_string(root.join("usr/bin/healthd")).unwrap(), "#!/bin/sh\necho 1.0.0\n");

    let v2 = package(tmp.path(), "2.0.0");
    assert!(publish(&tree, &v2, Some(&key)).status.success());
    pacman.ok(&["-Sy"]);
    let upgrades = pacman.ok(&["-Qu"]);
    assert_eq!(upgrades.trim(), "healthd 1.0.0-1 -> 2.0.0-1");
    assert!(pacman.ok(&["-Spdd", "healthd"]).trim().ends_with("/arch/x86_64/healthd-2.0.0-1-any.pkg.tar.zst"));
    pacman.ok(&["-Sudd", "--noconfirm"]);
    assert_eq!(std::fs::read_to_string(root.join("usr/bin/healthd")).unwrap(), "#!/bin/sh\necho 2.0.0\n");
    // v1 stays published (retention keeps three versions), and the tree checks clean.
    assert!(tree.join("arch/x86_64/healthd-1.0.0-1-any.pkg.tar.zst").is_file());
    let check = distpack().args(["repo", "check"]).arg(&tree).output().unwrap();
    assert!(check.status.success() && check.stderr.is_empty(), "{}", text(&check.stderr));
}

#[test]
fn pacman_refuses_a_database_with_one_byte_changed_and_repo_check_says_why() {
    let tmp = tempdir();
    let tree = tmp.path().join("tree");
    let key = pgp_key(tmp.path());
    assert!(publish(&tree, &package(tmp.path(), "1.0.0"), Some(&key)).status.success());
    let pacman = Pacman::new(&tree);
    // Both names of the database: pacman downloads demo.db, repo-add's link to demo.db.tar.zst.
    for name in ["demo.db", "demo.db.tar.zst"] {
        let db = tree.join("arch/x86_64").join(name);
        let mut bytes = std::fs::read(&db).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&db, bytes).unwrap();
    }

    let (ok, printed) = pacman.pacman(&["-Sy"]);
    assert!(!ok, "pacman accepted a changed database:\n{printed}");
    assert!(printed.contains("invalid or corrupted database (PGP signature)"), "{printed}");
    let check = distpack().args(["repo", "check"]).arg(&tree).output().unwrap();
    let said = text(&check.stderr);
    assert!(!check.status.success() && said.contains("demo.db.tar.zst: its signature does not verify"), "{said}");
}

/// (member name, text) of every entry of a pacman database, read with bsdtar.
fn database_members(db: &Path) -> Vec<(String, String)> {
    require_tool("bsdtar");
    let names = text(&run(Command::new("bsdtar").arg("-tf").arg(db)).stdout);
    let mut out: Vec<(String, String)> = names
        .lines()
        .filter(|n| !n.ends_with('/'))
        .map(|n| (n.to_string(), text(&run(Command::new("bsdtar").arg("-xOf").arg(db).arg(n)).stdout)))
        .collect();
    out.sort();
    out
}

#[test]
fn desc_and_files_are_what_repo_add_writes_for_the_same_package() {
    require_tool("repo-add");
    let tmp = tempdir();
    let tree = tmp.path().join("tree");
    let key = pgp_key(tmp.path());
    let package = package(tmp.path(), "1.0.0");
    assert!(publish(&tree, &package, Some(&key)).status.success());

    // repo-add reads the same package with the signature distpack wrote beside it.
    let theirs = tmp.path().join("repo-add");
    std::fs::create_dir_all(&theirs).unwrap();
    let published = tree.join("arch/x86_64/healthd-1.0.0-1-any.pkg.tar.zst");
    std::fs::copy(&published, theirs.join("healthd-1.0.0-1-any.pkg.tar.zst")).unwrap();
    std::fs::copy(published.with_extension("zst.sig"), theirs.join("healthd-1.0.0-1-any.pkg.tar.zst.sig")).unwrap();
    run(Command::new("repo-add").current_dir(&theirs).args(["demo.db.tar.zst", "healthd-1.0.0-1-any.pkg.tar.zst"]));

    for kind in ["db", "files"] {
        let ours = database_members(&tree.join(format!("arch/x86_64/demo.{kind}.tar.zst")));
        let expected = database_members(&theirs.join(format!("demo.{kind}.tar.zst")));
        assert_eq!(ours, expected, "demo.{kind}.tar.zst");
    }
    let desc = &database_members(&tree.join("arch/x86_64/demo.db.tar.zst"))[0].1;
    for section in ["%DEPENDS%\nsh\ncoreutils>=9\n", "%CONFLICTS%\nhealthd-legacy\n", "%PGPSIG%\n"] {
        assert!(desc.contains(section), "{section} in\n{desc}");
    }
    // repo-add links NAME.db and NAME.files to the databases; distpack writes copies (and of
    // their signatures), which static hosts without symbolic links serve too.
    for (link, target) in [("demo.db", "demo.db.tar.zst"), ("demo.files", "demo.files.tar.zst")] {
        assert_eq!(std::fs::read_link(theirs.join(link)).unwrap(), Path::new(target));
    }
    for (copy, of) in [
        ("demo.db", "demo.db.tar.zst"),
        ("demo.files", "demo.files.tar.zst"),
        ("demo.db.sig", "demo.db.tar.zst.sig"),
        ("demo.files.sig", "demo.files.tar.zst.sig"),
    ] {
        let dir = tree.join("arch/x86_64");
        assert!(std::fs::symlink_metadata(dir.join(copy)).unwrap().is_file(), "{copy} is a regular file");
        assert!(std::fs::read(dir.join(copy)).unwrap() == std::fs::read(dir.join(of)).unwrap(), "{copy} is {of}");
    }
}

#[test]
fn publish_without_a_key_is_refused_and_check_finds_missing_and_unlisted_packages() {
    let tmp = tempdir();
    let tree = tmp.path().join("tree");
    let package = package(tmp.path(), "1.0.0");
    let refused = publish(&tree, &package, None);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("pacman refuses an unsigned repository"), "{}", text(&refused.stderr));
    assert!(!tree.join("arch").exists(), "nothing is copied in before the refusal");

    let tree = tmp.path().join("signed");
    let key = pgp_key(tmp.path());
    assert!(publish(&tree, &package, Some(&key)).status.success());
    let dir = tree.join("arch/x86_64");
    std::fs::copy(&package, dir.join("healthd-0.9-1-any.pkg.tar.zst")).unwrap();
    let check = distpack().args(["repo", "check"]).arg(&tree).output().unwrap();
    let said = text(&check.stderr);
    assert!(check.status.success(), "an unlisted package is a warning:\n{said}");
    assert!(
        said.contains("warning:") && said.contains("healthd-0.9-1-any.pkg.tar.zst: no database lists it"),
        "{said}"
    );

    std::fs::remove_file(dir.join("healthd-1.0.0-1-any.pkg.tar.zst")).unwrap();
    let check = distpack().args(["repo", "check"]).arg(&tree).output().unwrap();
    let said = text(&check.stderr);
    assert!(!check.status.success() && said.contains("listed in the database but missing"), "{said}");
}

/// A publisher killed before any of its renames or removals leaves a tree pacman syncs from: the
/// database and its signature are always of the same publish.
#[test]
fn a_publisher_killed_at_any_step_leaves_a_tree_pacman_syncs_from() {
    let (tmp, tree, key, pacman) = published_v1();
    let v2 = package(tmp.path(), "2.0.0");
    let publish_v2 = || publish_command(&tree, &v2, Some(&key));
    let judged = crate::repo::killed_at_every_step(&tree, publish_v2, |step| {
        let (ok, printed) = pacman.pacman(&["-Syy"]);
        assert!(ok, "{step}: pacman -Syy:\n{printed}");
        let url = pacman.ok(&["-Spdd", "healthd"]);
        assert!(url.trim().ends_with("-1-any.pkg.tar.zst"), "{step}: {url}");
        let check = distpack().args(["repo", "check"]).arg(&tree).output().unwrap();
        assert!(check.status.success(), "{step}: repo check:\n{}", text(&check.stderr));
    });
    assert!(judged >= 5, "only {judged} steps");
}
