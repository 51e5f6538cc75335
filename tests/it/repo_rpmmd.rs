//! The dnf repository (rpm-md) `distpack repo publish` writes, read by the real dnf with
//! gpgcheck=1 and repo_gpgcheck=1 from the `.repo` file the tree carries: it verifies the signed
//! repomd.xml, installs and upgrades from it, and refuses it once a byte of repomd.xml changes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::*;

/// A signing key, the tree, and dnf's view of it: an install root and the directory holding the
/// tree's own `.repo` file.
struct Repo {
    tmp: tempfile::TempDir,
    key: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        require_tool("dnf");
        let tmp = tempdir();
        let key = tmp.path().join("signing.asc");
        run(distpack()
            .args(["keygen", "--pgp", "--unencrypted", "--user-id", "Repo <repo@example.org>", "-o"])
            .arg(&key));
        Repo { tmp, key }
    }

    fn tree(&self) -> PathBuf {
        self.tmp.path().join("tree")
    }

    /// A signed .rpm of the project whose manifest is `manifest`.
    fn rpm(&self, manifest: &Path) -> PathBuf {
        example_deb();
        let out = self.tmp.path().join(format!("dist-{}", std::fs::read_dir(self.tmp.path()).unwrap().count()));
        let output = run(distpack()
            .args(["build", "-f", "rpm", "--no-build", "-m"])
            .arg(manifest)
            .arg("-o")
            .arg(&out)
            .arg("--sign-key")
            .arg(&self.key));
        PathBuf::from(text(&output.stdout).trim())
    }

    fn publish(&self, packages: &[&Path]) -> Output {
        run(&mut self.publish_command(packages))
    }

    fn publish_command(&self, packages: &[&Path]) -> Command {
        let mut cmd = distpack();
        cmd.args(["repo", "publish"]).arg(self.tree()).args(packages);
        cmd.arg("-m").arg(example_manifest()).arg("--sign-key").arg(&self.key);
        cmd
    }

    /// `dnf --installroot=ROOT` with only this repository, from the `.repo` file in the tree.
    fn dnf(&self, root: &str, args: &[&str]) -> Output {
        let repos = self.tmp.path().join("repos.d");
        std::fs::create_dir_all(&repos).unwrap();
        std::fs::copy(self.tree().join("healthd.repo"), repos.join("healthd.repo")).unwrap();
        let root = self.tmp.path().join(root);
        let mut cmd = Command::new("dnf");
        cmd.arg(format!("--installroot={}", root.display()))
            .args(["--releasever=1", "--setopt=skip_if_unavailable=False", "--disablerepo=*", "--enablerepo=healthd"])
            .arg(format!("--setopt=reposdir={}", repos.display()))
            .args(args);
        let output = cmd.output().expect("dnf runs");
        eprintln!("$ {cmd:?}\n{}{}", text(&output.stdout), text(&output.stderr));
        output
    }

    fn check(&self) -> Output {
        distpack().args(["repo", "check"]).arg(self.tree()).output().unwrap()
    }
}

fn all(output: &Output) -> String {
    text(&output.stdout) + &text(&output.stderr)
}

/// A copy of the example at `version`.
fn example_at(version: &str) -> Fixture {
    let fx = Fixture::example_copy();
    let cargo = fx.dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&cargo).unwrap().replacen(
        "version = \"1.4.2\"",
        &format!("version = \"{version}\""),
        1,
    );
    std::fs::write(cargo, text).unwrap();
    fx
}

fn manifest_of(fx: &Fixture) -> PathBuf {
    fx.dir.path().join("packaging/distpack.toml")
}

#[test]
fn dnf_reads_the_signed_repository_and_sees_the_newer_version() {
    let repo = Repo::new();
    let v1 = repo.rpm(&example_manifest());
    repo.publish(&[&v1]);
    let snippet = std::fs::read_to_string(repo.tree().join("healthd.repo")).unwrap();
    for line in ["[healthd]", "enabled=1", "gpgcheck=1", "repo_gpgcheck=1"] {
        assert!(snippet.lines().any(|l| l == line), "{line} in\n{snippet}");
    }
    let url = format!("file://{}", repo.tree().display());
    assert!(
        snippet.contains(&format!("baseurl={url}/rpm\n")) && snippet.contains(&format!("gpgkey={url}/healthd.asc\n"))
    );

    let cache = repo.dnf("root", &["-y", "makecache"]);
    assert!(cache.status.success(), "{}", all(&cache));
    assert!(all(&cache).contains("Importing GPG key") && all(&cache).contains("Metadata cache created."));
    let info = repo.dnf("root", &["-q", "repoquery", "--qf", "%{name} %{evr} %{arch} %{reponame}", "healthd"]);
    assert_eq!(text(&info.stdout).trim(), "healthd 1.4.2-1 x86_64 healthd", "{}", all(&info));
    let provides = repo.dnf("root", &["-q", "repoquery", "--whatprovides", "health-daemon"]);
    assert!(text(&provides.stdout).contains("healthd-0:1.4.2-1.x86_64"), "{}", all(&provides));
    let files = repo.dnf("root", &["-q", "repoquery", "-l", "healthd"]);
    assert!(text(&files.stdout).lines().any(|l| l == "/usr/lib/systemd/system/healthd.service"), "filelists.xml");

    let fx = example_at("1.4.3");
    let v2 = repo.rpm(&manifest_of(&fx));
    repo.publish(&[&v2]);
    assert!(repo.tree().join("rpm/packages").join(v1.file_name().unwrap()).is_file(), "v1 stays in the tree");
    let both = repo.dnf("root", &["-q", "--refresh", "repoquery", "--qf", "%{evr}", "healthd"]);
    assert_eq!(text(&both.stdout).split_whitespace().collect::<Vec<_>>(), ["1.4.2-1", "1.4.3-1"], "{}", all(&both));
    let latest = repo.dnf("root", &["-q", "repoquery", "--latest-limit=1", "--qf", "%{evr}", "healthd"]);
    assert_eq!(text(&latest.stdout).trim(), "1.4.3-1");
    let check = repo.check();
    assert!(check.status.success() && text(&check.stderr).is_empty(), "{}", all(&check));

    // The indices the replaced repomd.xml listed stay one publish (for a client that read it just
    // before the switch); those of the one before are removed.
    let first = indices(&repo.tree());
    let fx = example_at("1.4.4");
    repo.publish(&[&repo.rpm(&manifest_of(&fx))]);
    let third = indices(&repo.tree());
    assert_eq!(third.len(), 6, "{third:?}");
    assert_eq!(first.iter().filter(|f| third.contains(f)).count(), 3, "{first:?} then {third:?}");
    let check = repo.check();
    assert!(check.status.success() && text(&check.stderr).is_empty(), "{}", all(&check));
}

fn indices(tree: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(tree.join("rpm/repodata"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".xml.gz"))
        .collect();
    names.sort();
    names
}

#[test]
fn dnf_refuses_a_tampered_repomd_and_repo_check_reports_it() {
    let repo = Repo::new();
    let v1 = repo.rpm(&example_manifest());
    repo.publish(&[&v1]);
    let check = repo.check();
    assert!(check.status.success(), "{}", all(&check));

    let repomd = repo.tree().join("rpm/repodata/repomd.xml");
    let original = std::fs::read_to_string(&repomd).unwrap();
    std::fs::write(&repomd, original.replacen("<revision>1", "<revision>2", 1)).unwrap();
    let refused = repo.dnf("root", &["-y", "makecache"]);
    assert!(!refused.status.success(), "{}", all(&refused));
    assert!(
        all(&refused).contains("repomd.xml GPG signature verification error: Bad GPG signature"),
        "{}",
        all(&refused)
    );
    let check = repo.check();
    assert!(!check.status.success());
    assert!(text(&check.stderr).contains("repomd.xml.asc: does not verify repomd.xml"), "{}", all(&check));

    // The signed repomd.xml back, a package changed under it, and a stray one beside it.
    std::fs::write(&repomd, original).unwrap();
    let published = repo.tree().join("rpm/packages").join(v1.file_name().unwrap());
    let mut bytes = std::fs::read(&published).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&published, bytes).unwrap();
    std::fs::copy(&v1, repo.tree().join("rpm/packages/stray-1-1.x86_64.rpm")).unwrap();
    let check = repo.check();
    let stderr = text(&check.stderr);
    assert!(!check.status.success());
    assert!(stderr.contains("healthd-1.4.2-1.x86_64.rpm: sha256 ") && stderr.contains("primary.xml says"), "{stderr}");
    assert!(
        stderr.contains("warning: ") && stderr.contains("stray-1-1.x86_64.rpm: not listed in primary.xml"),
        "{stderr}"
    );
}

#[test]
fn publishing_rpms_without_a_key_is_refused() {
    let repo = Repo::new();
    let v1 = repo.rpm(&example_manifest());
    let output = distpack()
        .args(["repo", "publish"])
        .arg(repo.tree())
        .arg(&v1)
        .arg("-m")
        .arg(example_manifest())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("dnf refuses an unsigned repository") && stderr.contains("--sign-key"), "{stderr}");
    assert!(!repo.tree().join("rpm").exists(), "nothing is copied in before the refusal");
}

/// Our indices and createrepo_c's over the same package, as dnf reads them: the same answers.
#[test]
fn dnf_reads_the_same_package_from_createrepo_c_and_from_distpack() {
    require_tool("createrepo_c");
    let repo = Repo::new();
    let v1 = repo.rpm(&example_manifest());
    repo.publish(&[&v1]);
    let reference = repo.tmp.path().join("createrepo");
    std::fs::create_dir_all(&reference).unwrap();
    std::fs::copy(&v1, reference.join(v1.file_name().unwrap())).unwrap();
    run(Command::new("createrepo_c").arg("-q").arg(&reference));
    let query = "%{name}|%{evr}|%{arch}|%{summary}|%{url}|%{license}|%{sourcerpm}|%{size}|%{installsize}|%{buildtime}";
    let ask = |what: &[&str], from: &Path| {
        let out = run(Command::new("dnf")
            .arg(format!("--installroot={}", repo.tmp.path().join("cmp-root").display()))
            .args(["-q", "--releasever=1", "--setopt=reposdir=/nonexistent"])
            .arg(format!("--repofrompath=cmp,{}", from.display()))
            .args(["--repo=cmp", "--refresh", "repoquery"])
            .args(what));
        text(&out.stdout)
    };
    for what in [
        &["--qf", query, "healthd"][..],
        &["--requires", "healthd"],
        &["--provides", "healthd"],
        &["--conflicts", "healthd"],
        &["-l", "healthd"],
        &["--changelog", "healthd"],
    ] {
        let ours = ask(what, &repo.tree().join("rpm"));
        assert!(!ours.trim().is_empty(), "{what:?}");
        assert_eq!(ours, ask(what, &reference), "{what:?}");
    }
}

/// The stand-in for a distribution's base repository (Fedora's own, signed by Fedora): one
/// package providing what the example requires (read from the example itself, glibc's sonames
/// with their symbol versions, which a distpack manifest cannot spell) and a real /bin/sh for the
/// scriptlets, built with rpmbuild into a createrepo_c repository, and its `base.repo` beside
/// ours. Only healthd's repository is under test: that one keeps gpgcheck and repo_gpgcheck.
fn base_repository(repo: &Repo, example: &Path) {
    require_tool("rpmbuild");
    require_tool("createrepo_c");
    let requires = text(&run(Command::new("rpm").args(["-qp", "--requires"]).arg(example)).stdout);
    let provides: String = requires
        .lines()
        .filter(|r| !r.starts_with("rpmlib(") && !r.starts_with("config(") && !r.starts_with('/'))
        .map(|r| if r.starts_with("glibc ") { "glibc = 2.99" } else { r })
        .map(|r| format!("Provides: {r}\n"))
        .collect();
    let top = repo.tmp.path().join("rpmbuild");
    std::fs::create_dir_all(&top).unwrap();
    std::fs::copy(alpine_tools().join("busybox"), top.join("busybox")).unwrap();
    let spec = format!(
        "Name: base-standin\nVersion: 1\nRelease: 1\nSummary: glibc and a shell\nLicense: GPL-2.0-only\n\
         AutoReqProv: no\n{provides}\n%description\nStands in for a base system.\n\n%install\n\
         mkdir -p %{{buildroot}}/usr/bin %{{buildroot}}/bin\ncp {busybox} %{{buildroot}}/usr/bin/busybox\n\
         ln -s /usr/bin/busybox %{{buildroot}}/bin/sh\n\n%files\n/usr/bin/busybox\n/bin/sh\n",
        busybox = top.join("busybox").display()
    );
    std::fs::write(top.join("base.spec"), spec).unwrap();
    run(Command::new("rpmbuild")
        .args(["-bb", "--quiet", "--define"])
        .arg(format!("_topdir {}", top.display()))
        .arg(top.join("base.spec")));
    let base = repo.tmp.path().join("base");
    std::fs::create_dir_all(&base).unwrap();
    for rpm in walkdir_rpms(&top.join("RPMS")) {
        std::fs::copy(&rpm, base.join(rpm.file_name().unwrap())).unwrap();
    }
    run(Command::new("createrepo_c").arg("-q").arg(&base));
    let repos = repo.tmp.path().join("repos.d");
    std::fs::create_dir_all(&repos).unwrap();
    std::fs::write(
        repos.join("base.repo"),
        format!("[base]\nname=base\nbaseurl=file://{}\ngpgcheck=0\n", base.display()),
    )
    .unwrap();
}

fn walkdir_rpms(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walkdir_rpms(&path));
        } else if path.extension().is_some_and(|e| e == "rpm") {
            out.push(path);
        }
    }
    out
}

#[test]
#[ignore = "needs root: dnf install into an --installroot"]
fn dnf_installs_and_upgrades_healthd_from_the_signed_repository() {
    let repo = Repo::new();
    let v1 = repo.rpm(&example_manifest());
    base_repository(&repo, &v1);
    repo.publish(&[&v1]);
    let install = repo.dnf("root", &["-y", "--enablerepo=base", "install", "healthd"]);
    assert!(install.status.success(), "{}", all(&install));
    assert!(all(&install).contains("Importing GPG key") && all(&install).contains("Complete!"), "{}", all(&install));
    let root = repo.tmp.path().join("root");
    assert!(root.join("usr/bin/healthd").is_file() && root.join("etc/healthd/healthd.toml").is_file());

    let fx = example_at("1.4.3");
    let v2 = repo.rpm(&manifest_of(&fx));
    repo.publish(&[&v2]);
    let updates = repo.dnf("root", &["--refresh", "check-update", "healthd"]);
    assert_eq!(updates.status.code(), Some(100), "check-update exits 100 when there are updates: {}", all(&updates));
    assert!(text(&updates.stdout).lines().any(|l| l.starts_with("healthd.x86_64") && l.contains("1.4.3-1")));
    let upgrade = repo.dnf("root", &["-y", "upgrade", "healthd"]);
    assert!(upgrade.status.success() && all(&upgrade).contains("Complete!"), "{}", all(&upgrade));
    let installed = repo.dnf("root", &["-q", "list", "--installed", "healthd"]);
    assert!(text(&installed.stdout).contains("1.4.3-1"), "{}", all(&installed));
}

#[test]
fn a_file_that_is_not_an_rpm_is_refused_before_any_index_is_written() {
    let repo = Repo::new();
    let fake = repo.tmp.path().join("healthd-9-1.x86_64.rpm");
    std::fs::write(&fake, b"\xed\xab\xee\xdb but not an rpm after the magic").unwrap();
    let mut cmd = distpack();
    cmd.args(["repo", "publish"]).arg(repo.tree()).arg(&fake);
    let output = cmd.arg("-m").arg(example_manifest()).arg("--sign-key").arg(&repo.key).output().unwrap();
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("the file is not a valid .rpm"), "{}", all(&output));
    assert!(!repo.tree().join("rpm/repodata/repomd.xml").exists());
}

/// A publisher killed before any of its renames or removals leaves a tree dnf reads, with
/// repomd.xml and its signature always of the same publish.
#[test]
fn a_publisher_killed_at_any_step_leaves_a_tree_dnf_reads() {
    let repo = Repo::new();
    repo.publish(&[&repo.rpm(&example_manifest())]);
    let fx = example_at("1.4.3");
    let v2 = repo.rpm(&manifest_of(&fx));
    let publish_v2 = || repo.publish_command(&[&v2]);
    let judged = crate::repo::killed_at_every_step(&repo.tree(), publish_v2, |step| {
        let query = repo.dnf("root", &["-y", "-q", "--refresh", "repoquery", "--qf", "%{evr}", "healthd"]);
        let versions = text(&query.stdout);
        assert!(query.status.success() && versions.contains("1.4.2-1"), "{step}: {}", all(&query));
        let check = repo.check();
        assert!(check.status.success(), "{step}: repo check:\n{}", all(&check));
    });
    assert!(judged >= 5, "only {judged} steps");
}
