//! `distpack repo publish|check`, whatever the format: what it refuses and how it shares a tree
//! with another publisher. Each format's tests (repo_apt, repo_rpmmd, repo_pacman, repo_apk)
//! drive that format's real client.

use std::process::{Command, Stdio};

use crate::support::*;

#[test]
fn publish_refuses_nothing_and_what_no_format_takes() {
    let tmp = tempdir();
    let tree = tmp.path().join("repo");
    let nothing = distpack().args(["repo", "publish", "--name", "fx"]).arg(&tree).output().unwrap();
    assert_eq!(nothing.status.code(), Some(2), "{}", text(&nothing.stderr));
    assert!(text(&nothing.stderr).contains("nothing to publish"), "{}", text(&nothing.stderr));
    assert!(text(&nothing.stderr).contains("--from dist/"), "{}", text(&nothing.stderr));

    let bundle = tmp.path().join("fx-1.0.0-linux-x86_64.tar.gz");
    std::fs::write(&bundle, b"not a package").unwrap();
    let other = distpack().args(["repo", "publish", "--name", "fx"]).arg(&tree).arg(&bundle).output().unwrap();
    assert_eq!(other.status.code(), Some(1), "{}", text(&other.stderr));
    assert!(text(&other.stderr).contains("is not a package any repository format takes"), "{}", text(&other.stderr));

    let bad_name = distpack().args(["repo", "publish", "--name", "a b"]).arg(&tree).arg(&bundle).output().unwrap();
    assert!(text(&bad_name.stderr).contains("`a b` cannot name a repository"), "{}", text(&bad_name.stderr));
}

/// A second publisher finds the tree locked: it waits `--wait` seconds, then says who holds it.
/// The lock is the kernel's (flock), so it is released when its holder dies.
#[test]
fn a_second_publisher_waits_for_the_lock_then_fails_clearly() {
    require_tool("flock");
    let tmp = tempdir();
    let tree = tmp.path().join("repo");
    std::fs::create_dir_all(tree.join(".distpack")).unwrap();
    let lock = tree.join(".distpack/lock");
    // --no-fork: the process killed below is the one holding the lock.
    let mut holder =
        Command::new("flock").arg("--no-fork").arg(&lock).args(["sleep", "30"]).stdout(Stdio::null()).spawn().unwrap();
    // flock has taken the lock once the file exists and a non-blocking attempt fails.
    for _ in 0..50 {
        let probe = Command::new("flock").args(["-n"]).arg(&lock).arg("true").status().unwrap();
        if !probe.success() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let bundle = tmp.path().join("fx.deb");
    std::fs::write(&bundle, b"!<arch>\n").unwrap();
    let started = std::time::Instant::now();
    let refused =
        distpack().args(["repo", "publish", "--name", "fx", "--wait", "1"]).arg(&tree).arg(&bundle).output().unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "it waited");
    let said = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{said}");
    assert!(said.contains("another `distpack repo publish` is writing"), "{said}");
    assert!(said.contains("--wait"), "{said}");
    holder.kill().unwrap();
    holder.wait().unwrap();
    // The holder died: the next publisher gets past the lock (and on to reading the package).
    let next =
        distpack().args(["repo", "publish", "--name", "fx", "--wait", "0"]).arg(&tree).arg(&bundle).output().unwrap();
    assert!(!text(&next.stderr).contains("another `distpack repo publish`"), "{}", text(&next.stderr));
}
