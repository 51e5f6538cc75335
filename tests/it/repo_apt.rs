//! `distpack repo publish` of .deb files, read by the real apt: `apt-get update` against the
//! file:// tree with the `.sources` snippet distpack wrote (the key inline in `Signed-By:`), in a
//! scratch apt directory, so no root is needed and the machine's apt state is never touched.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Fixture, distpack, require_tool, run, tempdir, text};

/// What dpkg's status says is installed: healthd's dependencies, so that `apt-get install -s`
/// resolves with only the published tree as a source.
const STATUS: &str = "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n\
Maintainer: x <x@example.org>\nDescription: stand-in\n\n\
Package: libgcc-s1\nStatus: install ok installed\nVersion: 12.2.0-14\nArchitecture: amd64\n\
Maintainer: x <x@example.org>\nDescription: stand-in\n\n";

/// A scratch apt: its own configuration (APT_CONFIG, so the host's apt.conf.d is not read),
/// sources, lists, cache and dpkg status.
struct Apt {
    dir: tempfile::TempDir,
}

impl Apt {
    fn new(sources: &Path) -> Apt {
        require_tool("apt-get");
        let apt = Apt { dir: tempdir() };
        let root = apt.dir.path();
        for sub in ["etc/apt.conf.d", "etc/sources.list.d", "etc/preferences.d", "lists/partial", "archives/partial"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        std::fs::write(root.join("etc/sources.list"), "").unwrap();
        std::fs::copy(sources, root.join("etc/sources.list.d").join(sources.file_name().unwrap())).unwrap();
        apt.set_status(STATUS);
        let r = root.display();
        let config = format!(
            "Dir \"{r}/\";\nDir::Etc \"{r}/etc/\";\nDir::Etc::sourcelist \"{r}/etc/sources.list\";\n\
             Dir::Etc::sourceparts \"{r}/etc/sources.list.d\";\nDir::Etc::parts \"{r}/etc/apt.conf.d\";\n\
             Dir::Etc::preferencesparts \"{r}/etc/preferences.d\";\nDir::State \"{r}/\";\n\
             Dir::State::lists \"{r}/lists/\";\nDir::State::status \"{r}/status\";\nDir::Cache \"{r}/\";\n\
             Dir::Cache::archives \"{r}/archives/\";\nDir::Log \"{r}/\";\nDebug::NoLocking \"1\";\n\
             APT::Architecture \"amd64\";\nAPT::Sandbox::User \"root\";\n"
        );
        std::fs::write(root.join("apt.conf"), config).unwrap();
        apt
    }

    fn set_status(&self, status: &str) {
        std::fs::write(self.dir.path().join("status"), status).unwrap();
    }

    /// Run `tool args`: whether it succeeded, and stdout then stderr.
    fn run(&self, tool: &str, args: &[&str]) -> (bool, String) {
        let output = Command::new(tool)
            .args(args)
            .env("APT_CONFIG", self.dir.path().join("apt.conf"))
            .env("LC_ALL", "C")
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        (output.status.success(), text(&output.stdout) + &text(&output.stderr))
    }

    fn ok(&self, tool: &str, args: &[&str]) -> String {
        let (ok, printed) = self.run(tool, args);
        assert!(ok, "{tool} {args:?} failed:\n{printed}");
        printed
    }
}

/// A copy of the example at `version` (its Cargo.toml's), built into a .deb without cargo.
fn example_deb(version: &str) -> (Fixture, PathBuf) {
    let fx = Fixture::example_copy();
    let cargo = fx.dir.path().join("Cargo.toml");
    let toml = std::fs::read_to_string(&cargo).unwrap().replacen(
        "version = \"1.4.2\"",
        &format!("version = \"{version}\""),
        1,
    );
    std::fs::write(&cargo, toml).unwrap();
    let out = fx.dir.path().join("dist");
    let manifest = fx.dir.path().join("packaging/distpack.toml");
    let printed = run(distpack().args(["build", "-f", "deb", "--no-build", "-m"]).arg(&manifest).arg("-o").arg(&out));
    let deb = PathBuf::from(text(&printed.stdout).trim());
    assert!(deb.to_string_lossy().ends_with(&format!("healthd_{version}-1_amd64.deb")), "{deb:?}");
    (fx, deb)
}

/// An unencrypted OpenPGP key made by `distpack keygen --pgp`.
fn pgp_key(dir: &Path) -> PathBuf {
    let key = dir.join("repo.key");
    run(distpack().args(["keygen", "--pgp", "--unencrypted", "-o"]).arg(&key));
    key
}

fn publish(tree: &Path, key: Option<&Path>, debs: &[&Path]) -> std::process::Output {
    publish_command(tree, key, debs).output().unwrap()
}

fn publish_command(tree: &Path, key: Option<&Path>, debs: &[&Path]) -> std::process::Command {
    let mut cmd = distpack();
    // Run beside the tree: no project manifest around, the name from --name.
    cmd.current_dir(tree.parent().unwrap()).args(["repo", "publish"]).arg(tree).args(debs).args(["--name", "healthd"]);
    if let Some(key) = key {
        cmd.arg("--sign-key").arg(key);
    }
    cmd
}

fn published(tree: &Path, key: &Path, debs: &[&Path]) {
    let output = publish(tree, Some(key), debs);
    assert!(output.status.success(), "publish failed:\n{}", text(&output.stderr));
}

/// `repo check TREE`: whether it passed, and what it printed.
fn check(tree: &Path) -> (bool, String) {
    let output = distpack().args(["repo", "check"]).arg(tree).output().unwrap();
    (output.status.success(), text(&output.stdout) + &text(&output.stderr))
}

/// A published tree with healthd 1.4.2 and the scratch apt that reads it.
fn published_tree() -> (tempfile::TempDir, PathBuf, PathBuf, Apt) {
    let scratch = tempdir();
    let key = pgp_key(scratch.path());
    let tree = scratch.path().join("tree");
    let (_fx, deb) = example_deb("1.4.2");
    published(&tree, &key, &[&deb]);
    let apt = Apt::new(&tree.join("healthd.sources"));
    (scratch, tree, key, apt)
}

#[test]
fn apt_installs_from_the_published_tree_and_upgrades_when_v2_is_published() {
    let (_scratch, tree, key, apt) = published_tree();
    let sources = std::fs::read_to_string(tree.join("healthd.sources")).unwrap();
    assert!(sources.contains("Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n"), "{sources}");
    assert!(!sources.contains("trusted"), "{sources}");

    let printed = apt.ok("apt-get", &["update"]);
    assert!(printed.contains("stable InRelease") && !printed.contains("W:"), "{printed}");
    let policy = apt.ok("apt-cache", &["policy", "healthd"]);
    assert!(policy.contains("Candidate: 1.4.2-1"), "{policy}");
    let printed = apt.ok("apt-get", &["install", "-s", "healthd"]);
    assert!(printed.contains("Inst healthd (1.4.2-1 "), "{printed}");
    let printed = apt.ok("apt-get", &["download", "healthd"]);
    assert!(printed.contains("healthd amd64 1.4.2-1"), "{printed}");
    let downloaded = apt.dir.path().join("healthd_1.4.2-1_amd64.deb");
    assert_eq!(
        std::fs::read(&downloaded).unwrap(),
        std::fs::read(tree.join("deb/pool/main/h/healthd/healthd_1.4.2-1_amd64.deb")).unwrap()
    );
    let (ok, printed) = check(&tree);
    assert!(ok && printed.trim().is_empty(), "repo check of a good tree:\n{printed}");

    // v2 published: apt offers the upgrade, v1 stays in the pool and in the index.
    let (_fx, v2) = example_deb("1.4.3");
    published(&tree, &key, &[&v2]);
    apt.set_status(&format!(
        "{STATUS}Package: healthd\nStatus: install ok installed\nVersion: 1.4.2-1\nArchitecture: amd64\n\
         Maintainer: x <x@example.org>\nDescription: installed\n\n"
    ));
    apt.ok("apt-get", &["update"]);
    let policy = apt.ok("apt-cache", &["policy", "healthd"]);
    assert!(policy.contains("Installed: 1.4.2-1") && policy.contains("Candidate: 1.4.3-1"), "{policy}");
    assert!(policy.contains(" 1.4.2-1 500") || policy.contains("*** 1.4.2-1 500"), "v1 still listed:\n{policy}");
    let printed = apt.ok("apt-get", &["upgrade", "-s"]);
    assert!(printed.contains("Inst healthd [1.4.2-1] (1.4.3-1 "), "{printed}");
    assert!(tree.join("deb/pool/main/h/healthd/healthd_1.4.2-1_amd64.deb").is_file());
    let (ok, printed) = check(&tree);
    assert!(ok && printed.trim().is_empty(), "repo check after v2:\n{printed}");

    // v3: the by-hash copies are those of the last two Release files (a client that read the
    // previous one a moment ago still finds its indices), not one more set per publish.
    let (_fx, v3) = example_deb("1.4.4");
    published(&tree, &key, &[&v3]);
    let by_hash = tree.join("deb/dists/stable/main/binary-amd64/by-hash/SHA256");
    let copies = std::fs::read_dir(&by_hash).unwrap().count();
    // Packages, .gz and .xz as v2's Release and v3's list them, and the architecture's Release,
    // the same in both; v1's three are gone.
    assert_eq!(copies, 7, "in {}", by_hash.display());
    apt.ok("apt-get", &["update"]);
    assert!(apt.ok("apt-cache", &["policy", "healthd"]).contains("Candidate: 1.4.4-1"));
    let (ok, printed) = check(&tree);
    assert!(ok && printed.trim().is_empty(), "repo check after v3:\n{printed}");
}

/// Flip one bit of `path` at `offset` from its end.
fn tamper(path: &Path, offset: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes.len() - offset;
    bytes[at] ^= 1;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn apt_refuses_an_in_release_changed_by_one_byte() {
    let (_scratch, tree, _key, apt) = published_tree();
    let in_release = tree.join("deb/dists/stable/InRelease");
    let text = std::fs::read_to_string(&in_release).unwrap();
    let at = text.find("Label: healthd").unwrap() + "Label: health".len();
    tamper(&in_release, text.len() - at);

    let (ok, printed) = apt.run("apt-get", &["update"]);
    assert!(!ok, "apt-get update accepted a tampered InRelease:\n{printed}");
    assert!(printed.contains("The following signatures were invalid: BADSIG"), "{printed}");
    let (ok, printed) = check(&tree);
    assert!(!ok && printed.contains("InRelease: its signature does not verify"), "{printed}");
}

#[test]
fn apt_refuses_a_packages_index_changed_by_one_byte() {
    let (_scratch, tree, _key, apt) = published_tree();
    // apt fetches Packages.xz by its hash (`Acquire-By-Hash: yes`): change that copy, and the
    // file under its own name for older clients.
    let release = std::fs::read_to_string(tree.join("deb/dists/stable/Release")).unwrap();
    let sha256 = release
        .lines()
        .skip_while(|l| *l != "SHA256:")
        .find(|l| l.ends_with(" main/binary-amd64/Packages.xz"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    let dir = tree.join("deb/dists/stable/main/binary-amd64");
    tamper(&dir.join("by-hash/SHA256").join(&sha256), 20);
    tamper(&dir.join("Packages.xz"), 20);

    let (ok, printed) = apt.run("apt-get", &["update"]);
    assert!(!ok, "apt-get update accepted a tampered index:\n{printed}");
    assert!(printed.contains("Hash Sum mismatch"), "{printed}");
    let policy = apt.ok("apt-cache", &["policy", "healthd"]);
    assert!(policy.contains("Candidate: (none)") || policy.trim().is_empty(), "{policy}");
    let (ok, printed) = check(&tree);
    assert!(!ok && printed.contains(&format!("by-hash/SHA256/{sha256}: does not match the Release")), "{printed}");
}

#[test]
fn other_bytes_under_a_published_name_are_refused_naming_both_digests() {
    let (_scratch, tree, key, _apt) = published_tree();
    // Same name, version and architecture, other contents.
    let (fx, _) = example_deb("1.4.2");
    let manifest = fx.dir.path().join("packaging/distpack.toml");
    let changed =
        std::fs::read_to_string(&manifest).unwrap().replacen("release = 1", "release = 1\nsummary = \"Other\"", 1);
    std::fs::write(&manifest, changed).unwrap();
    let out = fx.dir.path().join("other");
    let printed = run(distpack().args(["build", "-f", "deb", "--no-build", "-m"]).arg(&manifest).arg("-o").arg(&out));
    let other = PathBuf::from(text(&printed.stdout).trim());

    let output = publish(&tree, Some(&key), &[&other]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "published other bytes over a published file");
    let sha =
        |p: &Path| text(&run(Command::new("sha256sum").arg(p)).stdout).split_whitespace().next().unwrap().to_string();
    let published = tree.join("deb/pool/main/h/healthd/healthd_1.4.2-1_amd64.deb");
    assert!(stderr.contains(&sha(&published)) && stderr.contains(&sha(&other)), "{stderr}");
    assert!(stderr.contains("already published with other bytes"), "{stderr}");
}

#[test]
fn an_apt_tree_is_not_published_unsigned() {
    let scratch = tempdir();
    let (_fx, deb) = example_deb("1.4.2");
    let tree = scratch.path().join("tree");
    let output = publish(&tree, None, &[&deb]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "published an unsigned apt tree");
    assert!(stderr.contains("--sign-key") && stderr.contains("distpack keygen --pgp"), "{stderr}");
    assert!(!tree.join("deb").exists(), "nothing is copied in before the refusal");

    // With the key the same file is published and indexed.
    let key = pgp_key(scratch.path());
    published(&tree, &key, &[&deb]);
    let apt = Apt::new(&tree.join("healthd.sources"));
    apt.ok("apt-get", &["update"]);
    assert!(apt.ok("apt-cache", &["policy", "healthd"]).contains("Candidate: 1.4.2-1"));
}

/// A publisher killed before any of its renames or removals leaves a tree apt reads, with v1 or
/// v2 as the candidate, never an index beside a Release of other bytes; `repo check` agrees.
#[test]
fn a_publisher_killed_at_any_step_leaves_a_tree_apt_updates_from() {
    let (_scratch, tree, key, apt) = published_tree();
    let (_fx, v2) = example_deb("1.4.3");
    let publish_v2 = || publish_command(&tree, Some(&key), &[&v2]);
    let judged = crate::repo::killed_at_every_step(&tree, publish_v2, |step| {
        let (ok, printed) = apt.run("apt-get", &["update"]);
        assert!(ok && !printed.contains("W:"), "{step}: apt-get update:\n{printed}");
        let policy = apt.ok("apt-cache", &["policy", "healthd"]);
        assert!(policy.contains("Candidate: 1.4.2-1") || policy.contains("Candidate: 1.4.3-1"), "{step}:\n{policy}");
        let (ok, printed) = check(&tree);
        assert!(ok, "{step}: repo check:\n{printed}");
    });
    assert!(judged >= 5, "only {judged} steps");
}
