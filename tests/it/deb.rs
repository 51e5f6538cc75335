//! The example .deb read back with dpkg-deb, lintian and dpkg itself.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::support::*;

/// `dpkg-deb --contents` as (permissions, owner/group, path) with paths made absolute.
fn contents(deb: &Path) -> Vec<(String, String, String)> {
    let out = run(Command::new("dpkg-deb").arg("--contents").arg(deb));
    text(&out.stdout)
        .lines()
        .map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let path = format!("/{}", cols[5].trim_start_matches("./").trim_end_matches('/'));
            (cols[0].to_string(), cols[1].to_string(), path)
        })
        .collect()
}

#[test]
fn example_deb_lists_every_file_with_its_mode_and_root_owner() {
    let listing = contents(example_deb());
    let find = |path: &str| {
        listing.iter().find(|(_, _, p)| p == path).unwrap_or_else(|| panic!("{path} missing from {listing:#?}"))
    };
    assert_eq!(find("/usr/bin/healthd").0, "-rwxr-xr-x");
    assert_eq!(find("/usr/lib/systemd/system/healthd.service").0, "-rw-r--r--");
    assert_eq!(find("/etc/healthd/healthd.toml").0, "-rw-r--r--");
    assert_eq!(find("/usr/share/man/man8/healthd.8.gz").0, "-rw-r--r--");
    assert_eq!(find("/usr/share/doc/healthd/copyright").0, "-rw-r--r--");
    for (perms, owner, path) in &listing {
        assert_eq!(owner, "root/root", "{path} is not owned by root");
        if perms.starts_with('d') {
            assert_eq!(perms, "drwxr-xr-x", "{path}");
        }
        // Every parent directory is its own entry, listed before the path.
        let position = listing.iter().position(|(_, _, p)| p == path).unwrap();
        let mut parent = Path::new(path).parent();
        while let Some(dir) = parent.filter(|d| *d != Path::new("/")) {
            let dir_pos = listing.iter().position(|(_, _, p)| Path::new(p) == dir);
            assert!(dir_pos.is_some_and(|d| d < position), "parent {dir:?} of {path} is missing or listed after it");
            parent = dir.parent();
        }
    }
}

#[test]
fn example_deb_control_fields_and_members() {
    let deb = example_deb();
    let field = |name: &str| {
        text(&run(Command::new("dpkg-deb").args(["--field"]).arg(deb).arg(name)).stdout).trim().to_string()
    };
    assert_eq!(field("Package"), "healthd");
    assert_eq!(field("Version"), "1.4.2-1");
    assert_eq!(field("Architecture"), "amd64");
    assert_eq!(field("Maintainer"), "Jane Doe <jane@example.org>");
    // The manifest's libc6, then what dpkg-shlibdeps adds for the binary (Rust links libgcc_s).
    assert!(field("Depends").starts_with("libc6 (>= 2.34), libgcc-s1"), "{}", field("Depends"));
    assert_eq!(field("Section"), "net");
    assert!(field("Description").starts_with("Tiny HTTP health daemon\n"));

    // Installed-Size is the sum of file sizes rounded up to KiB, plus 1 per directory.
    let tmp = tempdir();
    run(Command::new("dpkg-deb").arg("-R").arg(deb).arg(tmp.path()));
    let mut expected = 0u64;
    for (perms, _, path) in contents(deb) {
        let meta = std::fs::symlink_metadata(tmp.path().join(path.trim_start_matches('/'))).unwrap();
        expected += if perms.starts_with('d') { 1 } else { meta.len().div_ceil(1024) };
    }
    assert_eq!(field("Installed-Size"), expected.to_string());

    // conffiles lists the config file; md5sums verifies with md5sum -c against the payload.
    let conffiles = std::fs::read_to_string(tmp.path().join("DEBIAN/conffiles")).unwrap();
    assert_eq!(conffiles, "/etc/healthd/healthd.toml\n");
    let check = run(Command::new("md5sum").arg("-c").arg(tmp.path().join("DEBIAN/md5sums")).current_dir(tmp.path()));
    let checked = text(&check.stdout);
    assert!(checked.contains("usr/bin/healthd: OK") && !checked.contains("FAILED"), "{checked}");
    assert!(!checked.contains("etc/healthd"), "conffiles are not listed in md5sums: {checked}");

    // The ar members are in dpkg's order, 0/0, mode 644.
    let members = text(&run(Command::new("ar").arg("tv").arg(deb)).stdout);
    let names: Vec<&str> = members.lines().map(|l| l.split_whitespace().last().unwrap()).collect();
    assert_eq!(names, ["debian-binary", "control.tar.xz", "data.tar.xz"], "{members}");
    assert!(members.lines().all(|l| l.starts_with("rw-r--r-- 0/0")), "{members}");
}

/// Tags suppressed, each with the reason it does not apply to packages built outside Debian.
const LINTIAN_SUPPRESSED: &[(&str, &str)] = &[(
    "initial-upload-closes-no-bugs",
    "asks a first upload to the Debian archive to close its ITP bug; a package built by its upstream has no ITP bug",
)];

#[test]
fn lintian_reports_no_errors_or_warnings_on_the_example() {
    require_tool("lintian");
    let tags: Vec<&str> = LINTIAN_SUPPRESSED.iter().map(|(tag, _)| *tag).collect();
    let out = Command::new("lintian").arg("--suppress-tags").arg(tags.join(",")).arg(example_deb()).output().unwrap();
    let report = text(&out.stdout);
    let problems: Vec<&str> = report.lines().filter(|l| l.starts_with("E:") || l.starts_with("W:")).collect();
    assert!(problems.is_empty(), "lintian found problems:\n{report}{}", text(&out.stderr));
    // lintian exits 0 only when it reports nothing at error or warning level.
    assert!(out.status.success(), "lintian exited {}:\n{report}{}", out.status, text(&out.stderr));
}

fn mode_of(path: &str) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{path}: {e}")).permissions().mode() & 0o7777
}

fn dpkg(args: &[&str]) -> String {
    let out = run(Command::new("dpkg").args(args));
    text(&out.stdout) + &text(&out.stderr)
}

#[test]
#[ignore = "installs packages on this machine as root: ci/test runs it with DISTPACK_HOST_INSTALL=1"]
fn dpkg_installs_keeps_edited_conffile_on_remove_and_purges_it() {
    require_host_install();
    let _lock = host_dpkg_lock();
    let deb = example_deb().to_str().unwrap().to_string();
    dpkg(&["-i", &deb]);
    assert_eq!(mode_of("/usr/bin/healthd"), 0o755);
    assert_eq!(mode_of("/usr/lib/systemd/system/healthd.service"), 0o644);
    assert_eq!(mode_of("/etc/healthd/healthd.toml"), 0o644);
    let status = dpkg(&["-s", "healthd"]);
    assert!(status.contains("Status: install ok installed"), "{status}");
    let version = run(Command::new("/usr/bin/healthd").arg("--version"));
    assert_eq!(text(&version.stdout).trim(), "healthd 1.4.2");

    std::fs::write("/etc/healthd/healthd.toml", "listen = \"127.0.0.1:9999\"\n").unwrap();
    dpkg(&["-r", "healthd"]);
    assert!(!Path::new("/usr/bin/healthd").exists(), "remove leaves the binary");
    assert_eq!(
        std::fs::read_to_string("/etc/healthd/healthd.toml").unwrap(),
        "listen = \"127.0.0.1:9999\"\n",
        "remove must keep the edited conffile"
    );
    dpkg(&["-P", "healthd"]);
    assert!(!Path::new("/etc/healthd/healthd.toml").exists(), "purge must remove the conffile");
    let status = Command::new("dpkg").args(["-s", "healthd"]).output().unwrap();
    assert!(!status.status.success(), "healthd is still known to dpkg after purge");
}

const HOOKS_MANIFEST: &str = r#"
[package.scripts]
pre-install = "hooks/pre-install.sh"
post-install = "hooks/post-install.sh"
pre-remove = "hooks/pre-remove.sh"
post-remove = "hooks/post-remove.sh"
purge = "hooks/purge.sh"

[[files]]
src = "data.txt"
dest = "/usr/share/distpack-hooks/data.txt"
kind = "data"
"#;

fn hook(event: &str) -> String {
    // Each hook records that it ran; `exit 0` proves a hook cannot end the whole script early.
    format!("#!/bin/sh\nmkdir -p /run/distpack-hooks\necho \"$1\" > /run/distpack-hooks/{event}\nexit 0\n")
}

fn hooks_fixture() -> Fixture {
    let manifest = PACKAGE.replace("fixture", "distpack-hooks") + HOOKS_MANIFEST;
    let hooks: Vec<(String, String)> = ["pre-install", "post-install", "pre-remove", "post-remove", "purge"]
        .iter()
        .map(|e| (format!("hooks/{e}.sh"), hook(e)))
        .collect();
    let mut files: Vec<(&str, &str)> = hooks.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    files.push(("data.txt", "data\n"));
    Fixture::new(&manifest, &files)
}

#[test]
fn rendered_scripts_pass_sh_n_and_shellcheck() {
    require_tool("shellcheck");
    let fixture = hooks_fixture();
    let deb = fixture.build();
    let tmp = tempdir();
    run(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(tmp.path()));
    for script in ["preinst", "postinst", "prerm", "postrm"] {
        let path = tmp.path().join(script);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o755, "{script}");
        let body = std::fs::read_to_string(&path).unwrap();
        assert!(body.starts_with("#!/bin/sh\n") && body.contains("\nset -e\n"), "{script}:\n{body}");
        run(Command::new("sh").arg("-n").arg(&path));
        run(Command::new("shellcheck").args(["-s", "sh"]).arg(&path));
    }
}

#[test]
#[ignore = "installs packages on this machine as root: ci/test runs it with DISTPACK_HOST_INSTALL=1"]
fn user_hooks_run_at_their_lifecycle_events() {
    require_host_install();
    let _lock = host_dpkg_lock();
    let fixture = hooks_fixture();
    let deb = fixture.build();
    let ran = |event: &str| {
        std::fs::read_to_string(format!("/run/distpack-hooks/{event}")).ok().map(|s| s.trim().to_string())
    };
    let _ = std::fs::remove_dir_all("/run/distpack-hooks");
    dpkg(&["-i", deb.to_str().unwrap()]);
    assert_eq!(ran("pre-install").as_deref(), Some("install"));
    assert_eq!(ran("post-install").as_deref(), Some("configure"));
    assert_eq!(ran("pre-remove"), None);
    dpkg(&["-r", "distpack-hooks"]);
    assert_eq!(ran("pre-remove").as_deref(), Some("remove"));
    assert_eq!(ran("post-remove").as_deref(), Some("remove"));
    assert_eq!(ran("purge"), None);
    dpkg(&["-P", "distpack-hooks"]);
    assert_eq!(ran("purge").as_deref(), Some("purge"));
    let _ = std::fs::remove_dir_all("/run/distpack-hooks");
}

#[test]
fn the_copyright_notice_comes_from_the_manifest() {
    let fx = Fixture::new(
        &format!(
            "{PACKAGE}copyright = \"2019-2026 The Fixture Authors\"\n\n[[files]]\nsrc = \"notes.txt\"\nkind = \"doc\"\n"
        ),
        &[("notes.txt", "n\n")],
    );
    let deb = fx.build();
    let tmp = tempdir();
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(tmp.path()));
    let copyright = std::fs::read_to_string(tmp.path().join("usr/share/doc/fixture/copyright")).unwrap();
    assert!(copyright.contains("\nCopyright: 2019-2026 The Fixture Authors\n"), "{copyright}");
}
