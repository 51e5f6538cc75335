//! The example .pkg.tar.zst read back with bsdtar and pacman, and installed into a scratch root.

use std::process::Command;

use crate::support::*;

fn bsdtar_member(name: &str) -> String {
    require_tool("bsdtar");
    text(&run(Command::new("bsdtar").args(["-xOf"]).arg(example_arch()).arg(name)).stdout)
}

#[test]
fn archive_lists_metadata_first_without_dot_slash_and_exact_modes() {
    require_tool("bsdtar");
    let listing = text(&run(Command::new("bsdtar").arg("-tvf").arg(example_arch())).stdout);
    let names: Vec<&str> = listing.lines().map(|l| l.split_whitespace().last().unwrap()).collect();
    assert_eq!(&names[..4], [".BUILDINFO", ".INSTALL", ".MTREE", ".PKGINFO"], "{listing}");
    assert!(names.iter().all(|n| !n.starts_with("./")), "no ./ prefix (pacman would skip such files):\n{listing}");
    let mut sorted = names[4..].to_vec();
    sorted.sort();
    assert_eq!(names[4..], sorted[..], "files in C order");
    let line = |name: &str| listing_line(&listing, name);
    assert!(line("usr/bin/healthd").starts_with("-rwxr-xr-x  0 root   root"), "{listing}");
    assert!(line("usr/lib/systemd/system/healthd.service").starts_with("-rw-r--r--  0 root   root"));
    assert!(line("etc/healthd/healthd.toml").starts_with("-rw-r--r--"));
    assert!(line("usr/bin/").starts_with("drwxr-xr-x"));
}

#[test]
fn pkginfo_and_pacman_qip_show_the_metadata() {
    let pkginfo = bsdtar_member(".PKGINFO");
    for line in [
        "pkgname = healthd",
        "pkgver = 1.4.2-1",
        "pkgdesc = Tiny HTTP health daemon",
        "arch = x86_64",
        "license = MIT",
        "backup = etc/healthd/healthd.toml",
        "depend = glibc",
        "size = ",
    ] {
        assert!(pkginfo.lines().any(|l| l.starts_with(line)), "missing `{line}` in\n{pkginfo}");
    }
    require_tool("pacman");
    let info = text(&run(Command::new("pacman").arg("-Qip").arg(example_arch())).stdout);
    for expected in
        ["Name            : healthd", "Version         : 1.4.2-1", "Depends On      : glibc", "Install Script  : Yes"]
    {
        assert!(info.contains(expected), "missing `{expected}` in\n{info}");
    }
}

#[test]
fn install_script_follows_arch_policy() {
    let install = bsdtar_member(".INSTALL");
    assert!(
        install.contains("post_install()") && install.contains("systemctl enable --now healthd.service"),
        "{install}"
    );
    for forbidden in ["systemctl enable healthd", "systemctl start", "useradd", "systemd-sysusers"] {
        assert!(
            !install.lines().any(|l| l.trim_start().starts_with(forbidden)),
            "Arch packages never run `{forbidden}`:\n{install}"
        );
    }
    require_tool("shellcheck");
    let tmp = tempdir();
    let path = tmp.path().join("install.sh");
    std::fs::write(&path, &install).unwrap();
    run(Command::new("bash").arg("-n").arg(&path));
    run(Command::new("shellcheck").args(["-s", "bash", "-e", "SC2034"]).arg(&path));
}

#[test]
fn mtree_digests_match_the_files() {
    require_tool("bsdtar");
    let tmp = tempdir();
    run(Command::new("bsdtar").arg("-xf").arg(example_arch()).arg("-C").arg(tmp.path()));
    let mtree =
        text(&run(Command::new("sh").arg("-c").arg(format!("zcat {}", tmp.path().join(".MTREE").display()))).stdout);
    let line = mtree.lines().find(|l| l.starts_with("./usr/bin/healthd ")).unwrap_or_else(|| panic!("{mtree}"));
    let sha = line.split_whitespace().find_map(|w| w.strip_prefix("sha256digest=")).unwrap();
    let actual = text(&run(Command::new("sha256sum").arg(tmp.path().join("usr/bin/healthd"))).stdout);
    assert!(actual.starts_with(sha), "{line}\n{actual}");
    assert!(!mtree.contains("./.MTREE"), ".MTREE does not list itself");
    assert!(
        mtree.contains("./.PKGINFO ") && mtree.contains("./etc/healthd time=") && mtree.contains("type=dir"),
        "{mtree}"
    );
}

#[test]
fn pacman_installs_into_a_root_and_qkk_finds_no_problems() {
    require_tool("pacman");
    let root = tempdir();
    let db = root.path().join("var/lib/pacman");
    std::fs::create_dir_all(&db).unwrap();
    let pacman = |args: &[&str]| {
        let mut cmd = Command::new("pacman");
        cmd.args(args).arg("--root").arg(root.path()).arg("--dbpath").arg(&db);
        cmd
    };
    run(pacman(&["-U", "--noconfirm", "-dd", "--noscriptlet"]).arg(example_arch()));
    let check = text(&run(&mut pacman(&["-Qkk", "healthd"])).stdout);
    assert!(check.contains("0 altered files") || check.contains("0 altered"), "{check}");
    let mode = |p: &str| {
        std::fs::metadata(root.path().join(p))
            .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777)
            .unwrap()
    };
    assert_eq!(mode("usr/bin/healthd"), 0o755);
    assert_eq!(mode("etc/healthd/healthd.toml"), 0o644);
    let files = text(&run(&mut pacman(&["-Ql", "healthd"])).stdout);
    assert!(files.lines().any(|l| l.ends_with("/usr/lib/systemd/system/healthd.service")), "{files}");
    // pacman tracks the config file as a backup file.
    let info = text(&run(&mut pacman(&["-Qii", "healthd"])).stdout);
    assert!(info.lines().any(|l| l.starts_with("UNMODIFIED") && l.ends_with("/etc/healthd/healthd.toml")), "{info}");
}

#[test]
fn arch_builds_are_reproducible() {
    let build = |dir: &std::path::Path| {
        example_arch();
        let out = run(distpack()
            .args(["build", "-f", "arch", "--no-build", "-m"])
            .arg(example_manifest())
            .arg("-o")
            .arg(dir));
        std::fs::read(text(&out.stdout).trim()).unwrap()
    };
    let (a, b) = (tempdir(), tempdir());
    assert!(build(a.path()) == build(b.path()));
}

#[test]
fn inspect_reads_the_arch_package_back() {
    let inspected = inspect_matching_plan("arch", example_arch());
    assert_eq!(inspected["conffiles"], serde_json::json!(["/etc/healthd/healthd.toml"]));
    assert!(inspected["scripts"]["install"].as_str().unwrap().contains("post_install()"));
}
