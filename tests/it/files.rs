//! File entries beyond the example: globs, symlinks, directories, owners, and every compression.

use std::path::PathBuf;
use std::process::Command;

use crate::support::*;

const TREE: &[(&str, &str)] = &[
    ("bin/tool", "#!/bin/sh\necho tool\n"),
    ("docs/a.md", "a\n"),
    ("docs/b.md", "b\n"),
    ("docs/skip.txt", "not matched\n"),
];

fn listing(deb: &std::path::Path) -> String {
    text(&run(Command::new("dpkg-deb").arg("--contents").arg(deb)).stdout)
}

#[test]
fn globs_symlinks_directories_and_owners() {
    let manifest = format!(
        r#"{PACKAGE}
[[files]]
src = "bin/tool"
kind = "binary"

[[files]]
src = "docs/*.md"
dest = "/usr/share/doc/fixture/"
kind = "doc"

[[files]]
dest = "/usr/bin/tool-alias"
target = "tool"
kind = "symlink"

[[files]]
dest = "/var/lib/fixture"
kind = "dir"
mode = 0o750
owner = "daemon"
group = "daemon"
"#
    );
    let fixture = Fixture::new(&manifest, TREE);
    let deb = fixture.build();
    let out = listing(&deb);
    let line = |path: &str| {
        out.lines().find(|l| l.ends_with(path)).unwrap_or_else(|| panic!("{path} not in\n{out}")).to_string()
    };
    assert!(line(" usr/bin/tool").starts_with("-rwxr-xr-x root/root"));
    assert!(line(" usr/share/doc/fixture/a.md").starts_with("-rw-r--r-- root/root"));
    assert!(line(" usr/share/doc/fixture/b.md").starts_with("-rw-r--r--"));
    assert!(!out.contains("skip.txt"), "{out}");
    assert!(line(" usr/bin/tool-alias -> tool").starts_with("lrwxrwxrwx root/root"));
    assert!(line(" var/lib/fixture/").starts_with("drwxr-x--- daemon/daemon"));
    assert!(line(" var/lib/").starts_with("drwxr-xr-x root/root"));
}

#[test]
fn every_compression_is_readable_by_dpkg_deb() {
    for (compression, member) in
        [("xz", "data.tar.xz"), ("zstd", "data.tar.zst"), ("gzip", "data.tar.gz"), ("none", "data.tar")]
    {
        let manifest =
            format!("{PACKAGE}compression = \"{compression}\"\n\n[[files]]\nsrc = \"bin/tool\"\nkind = \"binary\"\n");
        let fixture = Fixture::new(&manifest, TREE);
        let deb = fixture.build();
        let members = text(&run(Command::new("ar").arg("t").arg(&deb)).stdout);
        assert!(members.lines().any(|m| m == member), "{compression}: {members}");
        let tmp = tempdir();
        run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(tmp.path()));
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("usr/bin/tool")).unwrap(),
            "#!/bin/sh\necho tool\n",
            "{compression}"
        );
    }
}

#[test]
fn compression_level_out_of_range_is_an_error() {
    let manifest = format!("{PACKAGE}compression = \"gzip\"\ncompression-level = 12\n");
    let out = Fixture::new(&manifest, &[]).plan();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("distpack.toml:8:") && err.contains("use a level from 1 to 9"), "{err}");
}

#[test]
fn deb_table_replaces_package_values() {
    let manifest = format!(
        "{PACKAGE}depends = [\"common\"]\n\n[deb]\nname = \"fixture-deb\"\ndepends = [\"libc6>=2.36\", \"a | b (<< 2)\"]\n"
    );
    let out = Fixture::new(&manifest, &[]).plan();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plan = plan["packages"].clone();
    assert_eq!(plan[0]["name"], "fixture-deb");
    let libc6 = serde_json::json!({"alternatives": [{"name": "libc6", "constraint": {"op": "ge", "version": "2.36"}}]});
    let a_or_b = serde_json::json!({"alternatives": [
        {"name": "a"},
        {"name": "b", "constraint": {"op": "lt", "version": "2"}},
    ]});
    assert_eq!(plan[0]["relations"]["depends"], serde_json::json!([libc6, a_or_b]));
}

/// Web assets as a tree, in a package with no ELF file: every format installs the tree and calls
/// the package architecture-independent, each in its own word, built once for two targets.
#[test]
fn a_glob_keeps_the_tree_and_a_data_only_package_is_architecture_independent() {
    let fx = Fixture::new(
        &format!("{PACKAGE}\n[[files]]\nsrc = \"web/**/*\"\ndest = \"/usr/share/webby/\"\nkind = \"data\"\n"),
        &[("web/index.html", "<p>top</p>\n"), ("web/js/index.html", "<p>js</p>\n"), ("web/js/app.js", "app()\n")],
    );
    let out = fx.dir.path().join("dist");
    let built = run(distpack()
        .args([
            "build",
            "-f",
            "deb,rpm,arch",
            "--no-build",
            "--target",
            "x86_64-unknown-linux-gnu",
            "--target",
            "aarch64-unknown-linux-gnu",
            "-m",
        ])
        .arg(fx.manifest())
        .arg("-o")
        .arg(&out));
    let paths: Vec<String> = text(&built.stdout).lines().map(str::to_string).collect();
    assert_eq!(paths.len(), 3, "one package per format for both targets: {paths:?}");
    let deb = paths.iter().find(|p| p.ends_with(".deb")).unwrap();
    assert!(deb.ends_with("_all.deb"), "{deb}");
    assert_eq!(text(&run(Command::new("dpkg-deb").args(["-f", deb, "Architecture"])).stdout).trim(), "all");
    let listing = text(&run(Command::new("dpkg-deb").arg("-c").arg(deb)).stdout);
    for file in ["usr/share/webby/index.html", "usr/share/webby/js/index.html", "usr/share/webby/js/app.js"] {
        assert!(listing.lines().any(|l| l.ends_with(file)), "{file} not in\n{listing}");
    }
    let rpm = paths.iter().find(|p| p.ends_with(".rpm")).unwrap();
    assert_eq!(text(&run(Command::new("rpm").args(["-qp", "--qf", "%{ARCH}", rpm])).stdout), "noarch");
    let files = text(&run(Command::new("rpm").args(["-qlp", rpm])).stdout);
    assert!(files.lines().any(|l| l == "/usr/share/webby/js/index.html"), "{files}");
    let root = tempdir();
    run(Command::new("rpm").args(["-i", "--nodeps", "--noscripts", "--root"]).arg(root.path()).arg(rpm));
    let arch = paths.iter().find(|p| p.ends_with(".pkg.tar.zst")).unwrap();
    let info = text(&run(Command::new("pacman").args(["-Qip", arch])).stdout);
    assert!(info.lines().any(|l| l.starts_with("Architecture") && l.trim_end().ends_with("any")), "{info}");
    let sums = run(Command::new("sha256sum").args(["-c", "--strict", "SHA256SUMS"]).current_dir(&out));
    assert_eq!(text(&sums.stdout).lines().count(), 3, "{}", text(&sums.stdout));
}

/// A tree of thousands of files (more than the writer reads ahead at once), some of them large
/// enough to stream instead: every file arrives in the .deb with the content and the md5sums line
/// dpkg checks, in the plan's order, and the package is the same bytes with one job or two.
#[test]
fn a_tree_of_thousands_of_files_is_archived_whole_and_in_order() {
    let mut files: Vec<(String, String)> = (0..2500)
        .map(|i| (format!("web/d{}/page-{i}.html", i % 7), format!("<p>page {i}</p>\n").repeat(i % 50 + 1)))
        .collect();
    files.push(("web/big/blob.bin".into(), "0123456789abcdef".repeat(1 << 17)));
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    let fx = Fixture::new(
        &format!("{PACKAGE}\n[[files]]\nsrc = \"web/**/*\"\ndest = \"/srv/site/\"\nkind = \"data\"\n"),
        &refs,
    );
    let build = |jobs: &str| {
        let out = fx.dir.path().join(format!("dist-{jobs}"));
        let built = run(distpack()
            .args(["build", "-f", "deb", "--no-build", "--jobs", jobs, "-m"])
            .arg(fx.manifest())
            .arg("-o")
            .arg(&out));
        PathBuf::from(text(&built.stdout).trim())
    };
    let (one, two) = (build("1"), build("2"));
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap(), "--jobs 1 and --jobs 2 differ");

    let root = tempdir();
    run(Command::new("dpkg-deb").arg("-x").arg(&one).arg(root.path()));
    let control = tempdir();
    run(Command::new("dpkg-deb").arg("-e").arg(&one).arg(control.path()));
    let checked = run(Command::new("md5sum")
        .args(["-c", "--quiet"])
        .arg(control.path().join("md5sums"))
        .current_dir(root.path()));
    assert!(checked.stdout.is_empty(), "{}", text(&checked.stdout));
    let sums = std::fs::read_to_string(control.path().join("md5sums")).unwrap();
    let names: Vec<&str> =
        sums.lines().map(|l| l.split_once("  ").unwrap().1).filter(|n| n.starts_with("srv/site/")).collect();
    assert_eq!(names.len(), files.len(), "one md5sums line per file of the tree");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "md5sums in the plan's (sorted) order");
}

/// The members of `deb` unpacked with `ar x`, beside data.tar.xz decompressed by xz as data.tar.
fn members_with_data_tar(deb: &std::path::Path) -> tempfile::TempDir {
    let members = tempdir();
    run(Command::new("ar").arg("x").arg(deb).current_dir(members.path()));
    let tar = run(Command::new("xz").args(["-dc", "data.tar.xz"]).current_dir(members.path())).stdout;
    std::fs::write(members.path().join("data.tar"), tar).unwrap();
    members
}

/// Real machine code at the default level: the toolchain's rustdoc (13 MB, there wherever these
/// tests build) in a .deb, whose data member must be no larger than what plain `xz -6` makes of
/// the same tar, the setting dpkg-deb and cargo-deb use.
#[test]
fn xz_default_level_is_no_larger_than_plain_xz_6_on_real_machine_code() {
    require_tool("xz");
    let sysroot = text(&run(Command::new("rustc").args(["--print", "sysroot"])).stdout).trim().to_string();
    let fx = Fixture::new(
        &format!(
            r#"{PACKAGE}auto-depends = false

[[files]]
src = "rustdoc"
dest = "/usr/lib/fixture/"
kind = "data"
"#
        ),
        &[],
    );
    std::fs::copy(PathBuf::from(sysroot).join("bin/rustdoc"), fx.dir.path().join("rustdoc")).unwrap();
    let out = fx.dir.path().join("dist");
    let built = run(distpack().args(["build", "-f", "deb", "--no-build", "-m"]).arg(fx.manifest()).arg("-o").arg(&out));
    let members = members_with_data_tar(&PathBuf::from(text(&built.stdout).trim()));
    let plain = run(Command::new("xz").args(["-T2", "-6", "-c", "data.tar"]).current_dir(members.path())).stdout;
    let ours = std::fs::metadata(members.path().join("data.tar.xz")).unwrap().len();
    assert!(ours <= plain.len() as u64, "data.tar.xz is {ours} bytes, plain xz -6 {}", plain.len());
}

/// An x86-64 binary in an xz .deb at the default level: xz itself lists the x86 branch filter in
/// front of LZMA2, its CLI with the settings docs/manifest.md names writes the same bytes, and
/// dpkg-deb unpacks the binary byte for byte.
#[test]
fn xz_filters_x86_machine_code_and_dpkg_reads_it() {
    require_tool("xz");
    let deb = example_deb();
    let members = members_with_data_tar(deb);
    let listed = text(&run(Command::new("xz").args(["-lvv", "data.tar.xz"]).current_dir(members.path())).stdout);
    assert!(listed.contains("--x86 --lzma2="), "{listed}");
    // -T2: xz's multithreaded mode, which records each block's sizes in its header as the
    // encoder distpack always runs does.
    let documented = ["-T2", "--check=crc64", "--x86", "--lzma2=preset=6,nice=32", "-c", "data.tar"];
    let again = run(Command::new("xz").args(documented).current_dir(members.path())).stdout;
    assert!(again == std::fs::read(members.path().join("data.tar.xz")).unwrap(), "xz {documented:?} differs");
    let root = tempdir();
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(root.path()));
    let binary = format!("examples/healthd/target/{}/release/healthd", host_triple());
    assert_eq!(
        std::fs::read(root.path().join("usr/bin/healthd")).unwrap(),
        std::fs::read(repo().join(binary)).unwrap()
    );
}
