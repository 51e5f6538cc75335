//! `distpack repo publish|check`, whatever the format: what it refuses and how it shares a tree
//! with another publisher. Each format's tests (repo_apt, repo_rpmmd, repo_pacman, repo_apk)
//! drive that format's real client.

use std::path::Path;
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

/// `count` tiny .debs `fx-N_1.0_all.deb` made with dpkg-deb, in `dir`.
fn tiny_debs(dir: &std::path::Path, count: usize) -> Vec<std::path::PathBuf> {
    require_tool("dpkg-deb");
    (0..count)
        .map(|n| {
            let root = dir.join(format!("fx-{n}"));
            std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
            std::fs::create_dir_all(root.join("usr/share/fx")).unwrap();
            std::fs::write(root.join("usr/share/fx").join(n.to_string()), n.to_string()).unwrap();
            let control = format!(
                "Package: fx-{n}\nVersion: 1.0\nArchitecture: all\nMaintainer: Test <test@example.org>\nDescription: fixture {n}\n"
            );
            std::fs::write(root.join("DEBIAN/control"), control).unwrap();
            let deb = dir.join(format!("fx-{n}_1.0_all.deb"));
            run(Command::new("dpkg-deb").args(["--root-owner-group", "-Zgzip", "-b"]).arg(&root).arg(&deb));
            deb
        })
        .collect()
}

fn pgp_key(dir: &std::path::Path) -> std::path::PathBuf {
    let key = dir.join("repo.asc");
    run(distpack().args(["keygen", "--pgp", "--unencrypted", "--user-id", "Repo <repo@example.org>", "-o"]).arg(&key));
    key
}

fn publish(tree: &std::path::Path, key: &std::path::Path, debs: &[std::path::PathBuf]) -> Command {
    let mut cmd = distpack();
    cmd.args(["repo", "publish", "--name", "fx", "--sign-key"]).arg(key).arg(tree).args(debs);
    cmd
}

/// Two publishers at once: the second waits for the first, and the tree ends with both packages.
#[test]
fn two_publishers_at_once_both_land() {
    let tmp = tempdir();
    let debs = tiny_debs(tmp.path(), 2);
    let key = pgp_key(tmp.path());
    let tree = tmp.path().join("tree");
    let mut first = publish(&tree, &key, &debs[..1]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let second = publish(&tree, &key, &debs[1..]).output().unwrap();
    let first_status = first.wait().unwrap();
    assert!(first_status.success() && second.status.success(), "{}", text(&second.stderr));
    let packages = std::fs::read_to_string(tree.join("deb/dists/stable/main/binary-amd64/Packages")).unwrap();
    for name in ["fx-0", "fx-1"] {
        assert!(packages.contains(&format!("Package: {name}\n")), "{name} is listed:\n{packages}");
    }
    run(distpack().args(["repo", "check"]).arg(&tree));
}

/// A publisher killed at any moment leaves a tree `repo check` accepts (files it copied in but did
/// not index yet are warnings), and the next publish completes it.
#[test]
fn a_publisher_killed_midway_leaves_a_tree_check_accepts() {
    let tmp = tempdir();
    let debs = tiny_debs(tmp.path(), 120);
    let key = pgp_key(tmp.path());
    let tree = tmp.path().join("tree");
    run(&mut publish(&tree, &key, &debs[..1]));
    let mut killed = 0;
    for (round, delay_ms) in [5u64, 20, 40, 80, 150, 300].into_iter().enumerate() {
        let batch = &debs[1 + round * 15..1 + (round + 1) * 15];
        let mut child = publish(&tree, &key, batch).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        use std::os::unix::process::ExitStatusExt;
        killed += usize::from(child.wait().unwrap().signal() == Some(9));
        let check = distpack().args(["repo", "check"]).arg(&tree).output().unwrap();
        assert!(
            check.status.success(),
            "killed after {delay_ms} ms: repo check refuses the tree:\n{}",
            text(&check.stderr)
        );
    }
    assert!(killed >= 3, "only {killed} of 6 publishers were still running when killed");
    run(&mut publish(&tree, &key, &debs[..91]));
    let packages = std::fs::read_to_string(tree.join("deb/dists/stable/main/binary-amd64/Packages")).unwrap();
    assert_eq!(packages.matches("Package: fx-").count(), 91, "every package is listed once");
    let check = run(distpack().args(["repo", "check"]).arg(&tree));
    assert!(!text(&check.stderr).contains("not listed"), "{}", text(&check.stderr));
}

/// The syscalls by which a publisher changes what a tree serves: a kill before any one of them
/// leaves the tree between two of its steps.
const STEPS: [&str; 6] = ["rename", "renameat", "renameat2", "unlink", "unlinkat", "rmdir"];

/// `publish` killed at each of its steps in turn, `judge` asked each time about the tree it left,
/// which is then put back as it was. strace SIGKILLs the publisher on entering its N-th call of
/// one of `STEPS`, for N = 1, 2, … until a publish completes; the tree is left as it was before.
/// Returns how many steps were judged.
pub(crate) fn killed_at_every_step(tree: &Path, publish: impl Fn() -> Command, mut judge: impl FnMut(&str)) -> usize {
    use std::os::unix::process::ExitStatusExt;
    require_tool("strace");
    let before = tree.with_extension("before");
    run(Command::new("cp").arg("-a").arg(tree).arg(&before));
    let mut judged = 0;
    for syscall in STEPS {
        for n in 1.. {
            let plain = publish();
            let mut traced = Command::new("strace");
            let inject = format!("inject={syscall}:signal=KILL:when={n}");
            traced.args(["-f", "-qq", "-o", "/dev/null", "-e", "signal=none", "-e", &inject]);
            traced.arg("--").arg(plain.get_program()).args(plain.get_args());
            for (key, value) in plain.get_envs() {
                match value {
                    Some(value) => traced.env(key, value),
                    None => traced.env_remove(key),
                };
            }
            if let Some(dir) = plain.get_current_dir() {
                traced.current_dir(dir);
            }
            let output = traced.output().unwrap();
            let completed = output.status.success();
            if !completed {
                let step = format!("killed before its {syscall} number {n}");
                let said = text(&output.stderr);
                assert_eq!(output.status.signal(), Some(9), "{step}: the publish failed otherwise:\n{said}");
                judge(&step);
                judged += 1;
            }
            std::fs::remove_dir_all(tree).unwrap();
            run(Command::new("cp").arg("-a").arg(&before).arg(tree));
            if completed {
                break;
            }
        }
    }
    eprintln!("{judged} steps of the publish judged");
    judged
}
