//! `distpack import` on real projects' packaging metadata (tests/fixtures/real: ntpd-rs, tuwunel
//! and kanidm, each a workspace whose member has cargo-deb's and/or cargo-generate-rpm's tables).
//! A user imports, checks and builds with no hand edit of the manifest; lintian and rpmlint find no
//! errors, and the packages' listings (paths, modes, owners) are the ones stored beside the fixture.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::support::*;

/// Files the projects ship unreadable to others on purpose: their configuration holds secrets and
/// is 0640, as in their cargo-generate-rpm tables. rpmlint asks for such intended exceptions to be
/// filtered per file (`non-readable` says so); each is filtered by path and mode, nothing else.
const RPMLINT_INTENDED: [&str; 2] = [
    r#"addFilter(r"non-readable /etc/tuwunel/tuwunel\.toml 640$")"#,
    r#"addFilter(r"non-readable /etc/kanidmd/server\.toml 640$")"#,
];

/// A PGP key made by `distpack keygen` once, and an rpm database under HOME that trusts it, so
/// rpmlint checks real signatures.
fn signing() -> &'static (PathBuf, PathBuf) {
    static KEY: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    KEY.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-signing");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let key = dir.join("signing.asc");
        run(distpack()
            .args(["keygen", "--pgp", "--unencrypted", "--user-id", "Corpus <corpus@example.org>", "-o"])
            .arg(&key));
        run(Command::new("rpm").arg("--import").arg(dir.join("signing.asc.pub")).env("HOME", dir.join("home")));
        (key, dir.join("home"))
    })
}

/// Copy a tree, keeping symbolic links as links (ntpd-rs links `ntpd/docs -> ../docs`).
fn copy_links(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else if kind.is_dir() {
            copy_links(&entry.path(), &target);
        } else if entry.file_name().to_str().is_some_and(|n| !n.ends_with(".snap")) {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A small stripped ELF built once. The real daemons use sd_notify (their units say
/// Type=notify), so the stand-in reads NOTIFY_SOCKET as they do.
fn stand_in() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-stand-in");
        std::fs::create_dir_all(&dir).unwrap();
        let source = dir.join("main.rs");
        std::fs::write(&source, "fn main() { let _ = std::env::var_os(\"NOTIFY_SOCKET\"); }\n").unwrap();
        let bin = dir.join("stand-in");
        run(Command::new("rustc").args(["-O", "-C", "strip=symbols", "-o"]).arg(&bin).arg(&source));
        bin
    })
}

/// Stand-ins for `names` where cargo puts them in the workspace: WORKSPACE/target/TRIPLE/release/.
/// Each differs (its name appended), as real binaries do, so rpmlint sees no duplicated files.
fn binaries(workspace: &Path, names: &[&str]) {
    let dir = workspace.join("target").join(host_triple()).join("release");
    std::fs::create_dir_all(&dir).unwrap();
    for name in names {
        let mut bytes = std::fs::read(stand_in()).unwrap();
        bytes.extend_from_slice(name.as_bytes());
        std::fs::write(dir.join(name), bytes).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Every entry of a .deb as `MODE OWNER/GROUP /PATH` (sizes and dates left out).
fn deb_listing(deb: &Path) -> String {
    let listing = text(&run(Command::new("dpkg-deb").arg("-c").arg(deb)).stdout);
    let mut lines: Vec<String> = listing
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {} /{}", f[0], f[1], f[5].trim_start_matches("./"))
        })
        .collect();
    lines.sort();
    lines.join("\n") + "\n"
}

/// Every entry of an .rpm as `MODE OWNER/GROUP PATH`.
fn rpm_listing(rpm: &Path) -> String {
    let listing = text(&run(Command::new("rpm").arg("-qplv").arg(rpm)).stdout);
    let mut lines: Vec<String> = listing
        .lines()
        .filter(|l| l.starts_with(['-', 'd', 'l']))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {}/{} {}", f[0], f[2], f[3], f[8..].join(" "))
        })
        .collect();
    lines.sort();
    lines.join("\n") + "\n"
}

/// Import the fixture `project` at its `member` (and again at the workspace root), check and build
/// it, lint both packages and compare their listings with the stored ones.
fn import_check_build(project: &str, member: &str, bins: &[&str], carried: &[&str]) {
    for tool in ["dpkg-deb", "rpm", "lintian", "rpmlint"] {
        require_tool(tool);
    }
    let fixture = repo().join("tests/fixtures/real").join(project);
    let tmp = tempdir();
    let workspace = tmp.path().join(project);
    copy_links(&fixture, &workspace);
    binaries(&workspace, bins);
    let dir = workspace.join(member);

    let import = run(distpack().arg("import").current_dir(&dir));
    assert_eq!(text(&import.stdout).trim(), "packaging/distpack.toml", "{}", text(&import.stderr));
    let manifest = std::fs::read_to_string(dir.join("packaging/distpack.toml")).unwrap();
    for line in carried {
        assert!(manifest.contains(line), "{project}: the manifest has `{line}`:\n{manifest}");
    }
    // One file named from the crate by one tool and from the workspace by the other is one source.
    assert!(!text(&import.stderr).contains(" comes from "), "{}", text(&import.stderr));
    // At the workspace root, the one member with metadata is imported into its own directory.
    let at_root = run(distpack().args(["import", "--force"]).current_dir(&workspace));
    assert_eq!(text(&at_root.stdout).trim(), format!("./{member}/packaging/distpack.toml"));
    assert!(text(&at_root.stderr).contains(&format!("only member with packaging metadata is `{member}`")));
    assert_eq!(std::fs::read_to_string(dir.join("packaging/distpack.toml")).unwrap(), manifest);

    let check = distpack().args(["check", "--no-build", "-f", "deb,rpm"]).current_dir(&dir).output().unwrap();
    let said = text(&check.stderr);
    assert!(check.status.success() && said.contains("distpack: 0 error(s)"), "distpack check:\n{said}\n{manifest}");

    let (key, home) = signing();
    run(distpack()
        .args(["build", "-f", "deb,rpm", "--no-build", "-o", "dist", "--sign-key"])
        .arg(key)
        .current_dir(&dir));
    let (deb, rpm) = (only(&dir.join("dist"), "deb"), only(&dir.join("dist"), "rpm"));

    let lintian = text(&Command::new("lintian").arg("--no-cfg").arg(&deb).output().unwrap().stdout);
    let errors: Vec<&str> = lintian.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(errors.is_empty(), "lintian errors on {project}:\n{lintian}\n{manifest}");
    let rpmlintrc = tmp.path().join("rpmlintrc");
    std::fs::write(&rpmlintrc, RPMLINT_INTENDED.join("\n")).unwrap();
    let rpmlint = Command::new("rpmlint")
        .arg("--ignore-unused-rpmlintrc")
        .arg("-r")
        .arg(&rpmlintrc)
        .arg(&rpm)
        .env("HOME", home)
        .output()
        .unwrap();
    let rpmlint = text(&rpmlint.stdout) + &text(&rpmlint.stderr);
    let errors: Vec<&str> = rpmlint.lines().filter(|l| l.contains(": E: ")).collect();
    assert!(errors.is_empty() && rpmlint.contains(" 0 errors"), "rpmlint errors on {project}:\n{rpmlint}\n{manifest}");

    insta::with_settings!({ snapshot_path => fixture.clone(), prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(format!("{project}-deb"), deb_listing(&deb));
        insta::assert_snapshot!(format!("{project}-rpm"), rpm_listing(&rpm));
    });
}

#[test]
fn ntpd_rs_imports_with_its_preset_and_workspace_files() {
    let carried = [
        "[systemd.units.\"ntpd-rs-metrics.service\"]\nenable = false\nstart = false\n",
        "src = \"../target/{target}/release/ntp-daemon\"\nkind = \"binary\"\nallow-outside-root = true\n",
    ];
    import_check_build("ntpd-rs", "ntpd", &["ntp-daemon", "ntp-ctl", "ntp-metrics-exporter"], &carried);
}

#[test]
fn tuwunel_imports_with_its_socket_left_off() {
    let carried = [
        "[systemd.units.\"tuwunel.socket\"]\nenable = false\nstart = false\n",
        "[rpm.scripts]\npost-install = \"../../rpm/postinst\"\n",
    ];
    import_check_build("tuwunel", "src/main", &["tuwunel"], &carried);
}

#[test]
fn kanidm_imports_with_its_web_assets() {
    let carried = ["src = \"../core/static/**/*\"\ndest = \"/usr/share/kanidmd/static/\"\n"];
    import_check_build("kanidm", "server/daemon", &["kanidmd"], &carried);
}
