//! `debug-symbols = "separate"`: a C program built with `-g` here is packaged stripped, and its
//! debug information comes back from the .ddeb, the -debuginfo rpm and the Arch -debug package,
//! read with readelf, gdb, dpkg-deb, lintian, rpm, rpmlint and bsdtar.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

const HELLO_C: &str = r#"#include <stdio.h>
static int greet(const char *who) { return printf("hello %s\n", who); }
int main(int argc, char **argv) { return greet(argc > 1 ? argv[1] : "world") < 0; }
"#;

fn manifest(setting: &str) -> String {
    format!(
        r#"[package]
name = "hello"
version = "1.0.0"
summary = "Says hello"
description = "A program that says hello, packaged with its debug symbols split off."
license = "MIT"
homepage = "https://example.org/hello"
maintainer = "Jane Doe <jane@example.org>"
depends = ["libc6"]
{setting}

[rpm]
depends = ["glibc"]

[arch]
depends = ["glibc"]

[addon]
entries = ["/usr/bin/hello"]

[[files]]
src = "hello"
dest = "/usr/bin/hello"
kind = "binary"
"#
    )
}

/// A project whose `hello` is compiled here with debug information (and `cc_args`).
fn project(setting: &str, cc_args: &[&str]) -> Fixture {
    require_tool("cc");
    let fx = Fixture::new(&manifest(setting), &[("hello.c", HELLO_C)]);
    run(Command::new("cc").args(["-g", "-O0", "hello.c", "-o", "hello"]).args(cc_args).current_dir(fx.dir.path()));
    fx
}

/// `build` of `formats`: the artifacts by file name.
fn build(fx: &Fixture, formats: &str) -> Vec<PathBuf> {
    let out = fx.dir.path().join("dist");
    let output =
        run(distpack().args(["build", "-f", formats, "--no-build", "-m"]).arg(fx.manifest()).arg("-o").arg(&out));
    text(&output.stdout).lines().map(PathBuf::from).collect()
}

fn artifact<'a>(artifacts: &'a [PathBuf], suffix: &str) -> &'a Path {
    artifacts
        .iter()
        .find(|a| a.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no artifact ending in {suffix} among {artifacts:?}"))
}

fn tool(program: &str, args: &[&str], file: &Path) -> String {
    require_tool(program);
    text(&run(Command::new(program).args(args).arg(file)).stdout)
}

/// The build-id `readelf -n` prints for `binary`.
fn build_id(binary: &Path) -> String {
    let notes = tool("readelf", &["-n"], binary);
    let line = notes.lines().find_map(|l| l.trim().strip_prefix("Build ID: ")).expect("a build-id note");
    line.trim().to_string()
}

fn sections(binary: &Path) -> String {
    tool("readelf", &["-S", "-W"], binary)
}

fn unpack_deb(deb: &Path, into: &Path) {
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(into));
}

#[test]
fn separate_ships_a_stripped_deb_and_a_ddeb_that_gdb_reads() {
    let fx = project("debug-symbols = \"separate\"", &[]);
    let artifacts = build(&fx, "deb");
    let (deb, ddeb) =
        (artifact(&artifacts, "hello_1.0.0-1_amd64.deb"), artifact(&artifacts, "hello-dbgsym_1.0.0-1_amd64.ddeb"));

    let root = fx.dir.path().join("root");
    unpack_deb(deb, &root);
    let shipped = root.join("usr/bin/hello");
    assert!(!sections(&shipped).contains(".debug_info"), "the shipped binary is stripped:\n{}", sections(&shipped));
    assert!(sections(&fx.dir.path().join("hello")).contains(".debug_info"), "the source binary is left as it was");
    let id = build_id(&shipped);
    assert_eq!(id, build_id(&fx.dir.path().join("hello")), "stripping keeps the build-id");

    let listing = tool("dpkg-deb", &["-c"], ddeb);
    let by_id = format!("usr/lib/debug/.build-id/{}/{}.debug", &id[..2], &id[2..]);
    assert!(
        listing.lines().any(|l| l.starts_with("-rw-r--r-- root/root") && l.ends_with(&format!(" {by_id}"))),
        "{by_id} in\n{listing}"
    );
    assert!(listing.lines().any(|l| l.ends_with(" usr/share/doc/hello-dbgsym -> hello")), "{listing}");

    let control = tool("dpkg-deb", &["-f"], ddeb);
    for field in [
        "Package: hello-dbgsym",
        "Section: debug",
        "Priority: optional",
        "Depends: hello (= 1.0.0-1)",
        "Auto-Built-Package: debug-symbols",
        &format!("Build-Ids: {id}"),
        "Description: debug symbols for hello",
    ] {
        assert!(control.lines().any(|l| l == field), "`{field}` in the .ddeb's control:\n{control}");
    }
    let main_control = tool("dpkg-deb", &["-f"], deb);
    assert!(!main_control.contains("Build-Ids") && !main_control.contains("Auto-Built"), "{main_control}");

    unpack_deb(ddeb, &root);
    let debug_file = root.join(&by_id);
    let dwarf = tool("readelf", &["--debug-dump=info"], &debug_file);
    assert!(dwarf.contains("greet") && dwarf.contains("hello.c"), "the .debug file has the DWARF:\n{dwarf}");

    require_tool("gdb");
    let gdb = |debug_dir: &Path| {
        // -iex: before gdb loads the binary and looks for its debug file.
        let out = run(Command::new("gdb")
            .arg("-batch")
            .arg("-nx")
            .arg("-iex")
            .arg(format!("set debug-file-directory {}", debug_dir.display()))
            .args(["-ex", "info line greet", "-ex", "info functions greet"])
            .arg(&shipped));
        text(&out.stdout)
    };
    let found = gdb(&root.join("usr/lib/debug"));
    assert!(found.contains("Line 2 of \"hello.c\"") && found.contains("static int greet(const char *);"), "{found}");
    let without = gdb(&fx.dir.path().join("nowhere"));
    assert!(!without.contains("hello.c"), "without the .ddeb gdb has no line information:\n{without}");

    require_tool("lintian");
    let lintian = Command::new("lintian").arg(deb).arg(ddeb).output().unwrap();
    let tags = text(&lintian.stdout);
    assert!(!tags.lines().any(|l| l.starts_with("E:")), "lintian errors:\n{tags}");
    assert!(!tags.contains("hello-dbgsym: W:"), "lintian warns about the .ddeb:\n{tags}");
}

#[test]
fn separate_writes_a_debuginfo_rpm_that_rpm_and_rpmlint_accept() {
    let fx = project("debug-symbols = \"separate\"", &[]);
    let artifacts = build(&fx, "rpm");
    let (rpm, debuginfo) =
        (artifact(&artifacts, "hello-1.0.0-1.x86_64.rpm"), artifact(&artifacts, "hello-debuginfo-1.0.0-1.x86_64.rpm"));
    let id = build_id(&fx.dir.path().join("hello"));

    let listing = tool("rpm", &["-qplv"], debuginfo);
    let named = "/usr/lib/debug/usr/bin/hello-1.0.0-1.x86_64.debug";
    let by_id = format!("/usr/lib/debug/.build-id/{}/{}.debug", &id[..2], &id[2..]);
    assert!(listing_line(&listing, named).starts_with("-rw-r--r--"), "{listing}");
    let link = format!(" {by_id} -> ../../usr/bin/hello-1.0.0-1.x86_64.debug");
    assert!(listing.lines().any(|l| l.starts_with("lrwxrwxrwx") && l.ends_with(&link)), "{link} in\n{listing}");
    let provides = tool("rpm", &["-qp", "--provides"], debuginfo);
    assert!(provides.lines().any(|l| l == format!("debuginfo(build-id) = {id}")), "{provides}");
    let requires = tool("rpm", &["-qp", "--requires"], debuginfo);
    assert!(requires.lines().any(|l| l == "hello(x86-64) = 1.0.0-1"), "{requires}");
    assert!(tool("rpm", &["-qp", "--provides"], rpm).lines().any(|l| l == "hello(x86-64) = 1.0.0-1"));
    let info = tool("rpm", &["-qpi"], debuginfo);
    assert!(info.contains("Source RPM  : hello-1.0.0-1.src.rpm") && info.contains("Group       : Development/Debug"));

    // The main package's binary is the stripped copy.
    let root = fx.dir.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    run(Command::new("bsdtar").arg("-xf").arg(rpm).arg("-C").arg(&root));
    assert!(!sections(&root.join("usr/bin/hello")).contains(".debug_info"));

    require_tool("rpmlint");
    let lint = text(&Command::new("rpmlint").arg(rpm).arg(debuginfo).output().unwrap().stdout);
    for line in lint.lines().filter(|l| l.contains(": E: ")) {
        // Unsigned; and rpmlint 2.4 takes a PIE's .debug file for a shared library without
        // DT_NEEDED, which Fedora's rpmlint config filters for debuginfo packages and rpmlint 2.5
        // no longer reports (rpmlint#758, #970).
        let known = line.ends_with(": E: no-signature")
            || (line.starts_with(
                "hello-debuginfo.x86_64: E: shared-library-without-dependency-information /usr/lib/debug/",
            ));
        assert!(known, "rpmlint error:\n{line}\n\n{lint}");
    }
}

#[test]
fn separate_writes_an_arch_debug_package_as_makepkg_splits_it() {
    let fx = project("debug-symbols = \"separate\"", &[]);
    let artifacts = build(&fx, "arch");
    let debug = artifact(&artifacts, "hello-debug-1.0.0-1-x86_64.pkg.tar.zst");
    let id = build_id(&fx.dir.path().join("hello"));
    let listing = tool("bsdtar", &["-tvf"], debug);
    let (head, rest) = id.split_at(2);
    for expected in [
        "usr/lib/debug/usr/bin/hello.debug".to_string(),
        format!("usr/lib/debug/.build-id/{head}/{rest}.debug -> ../../usr/bin/hello.debug"),
        format!("usr/lib/debug/.build-id/{head}/{rest} -> ../../../../bin/hello"),
    ] {
        assert!(listing.lines().any(|l| l.ends_with(&expected)), "`{expected}` in\n{listing}");
    }
    let pkginfo = text(&run(Command::new("bsdtar").arg("-xOf").arg(debug).arg(".PKGINFO")).stdout);
    for line in ["pkgname = hello-debug", "pkgbase = hello", "pkgdesc = Detached debugging symbols for hello"] {
        assert!(pkginfo.lines().any(|l| l == line), "`{line}` in\n{pkginfo}");
    }
    let main = artifact(&artifacts, "hello-1.0.0-1-x86_64.pkg.tar.zst");
    let root = fx.dir.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    run(Command::new("bsdtar").arg("-xf").arg(main).arg("-C").arg(&root));
    assert!(!sections(&root.join("usr/bin/hello")).contains(".debug_info"));
    assert_eq!(build_id(&root.join("usr/bin/hello")), id);
}

/// The bundle has no debug package; it ships the same stripped binary, whose build-id finds the
/// debug file in the other formats' debug packages.
#[test]
fn separate_ships_the_addon_stripped_without_a_debug_package() {
    let fx = project("debug-symbols = \"separate\"", &[]);
    let artifacts = build(&fx, "addon");
    assert_eq!(artifacts.len(), 1, "{artifacts:?}");
    let root = fx.dir.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    run(Command::new("bsdtar").arg("-xf").arg(&artifacts[0]).arg("-C").arg(&root));
    assert!(!sections(&root.join("hello")).contains(".debug_info"));
    assert_eq!(build_id(&root.join("hello")), build_id(&fx.dir.path().join("hello")));
}

#[test]
fn plan_shows_the_split_and_the_debug_packages() {
    let fx = project("debug-symbols = \"separate\"", &[]);
    let out = run(distpack().args(["plan", "--json", "-f", "deb,rpm,arch,addon", "-m"]).arg(fx.manifest()));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = build_id(&fx.dir.path().join("hello"));
    let split = plan["prepare"].as_array().unwrap().iter().find(|p| p["step"] == "split-debug").expect("a split step");
    assert_eq!(split["build_id"], id.as_str(), "{split}");
    assert!(split["source"].as_str().unwrap().ends_with("/hello"), "{split}");
    let scratch = format!("target/distpack/debug-symbols/{id}/hello");
    assert!(split["stripped"].as_str().unwrap().ends_with(&scratch), "{split}");
    assert!(split["debug"].as_str().unwrap().ends_with(&format!("{scratch}.debug")), "{split}");
    let outputs: Vec<&str> = plan["steps"].as_array().unwrap().iter().filter_map(|s| s["output"].as_str()).collect();
    for name in [
        "hello-dbgsym_1.0.0-1_amd64.ddeb",
        "hello-debuginfo-1.0.0-1.x86_64.rpm",
        "hello-debug-1.0.0-1-x86_64.pkg.tar.zst",
    ] {
        assert!(outputs.contains(&name), "{name} in {outputs:?}");
    }
    assert!(!outputs.iter().any(|o| o.contains("addon") && o.contains("debug")), "{outputs:?}");
    // `plan` runs nothing.
    assert!(!fx.dir.path().join("target").exists());
}

#[test]
fn without_the_setting_nothing_is_split() {
    let fx = project("", &[]);
    let out = run(distpack().args(["plan", "--json", "-f", "deb,rpm,arch", "-m"]).arg(fx.manifest()));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(plan["prepare"].as_array().unwrap().iter().all(|p| p["step"] != "split-debug"), "{}", plan["prepare"]);
    let artifacts = build(&fx, "deb");
    assert_eq!(artifacts.len(), 1, "no .ddeb: {artifacts:?}");
    let root = fx.dir.path().join("root");
    unpack_deb(&artifacts[0], &root);
    assert!(sections(&root.join("usr/bin/hello")).contains(".debug_info"), "shipped as it is");
}

/// Over 10 MiB of debug information: `check` says how to split it off, and stops saying so once
/// it is split. The binary is padded with an 11 MiB `.debug_pad` section, which costs no compiling.
#[test]
fn check_warns_about_a_big_unstripped_binary() {
    let findings = |setting: &str| -> Vec<serde_json::Value> {
        let fx = project(setting, &[]);
        let pad = fx.dir.path().join("pad");
        std::fs::write(&pad, vec![0u8; 11 << 20]).unwrap();
        let hello = fx.dir.path().join("hello");
        require_tool("objcopy");
        run(Command::new("objcopy").arg(format!("--add-section=.debug_pad={}", pad.display())).arg(&hello));
        let out =
            distpack().args(["check", "--json", "--no-build", "-f", "deb", "-m"]).arg(fx.manifest()).output().unwrap();
        let list: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
        list.as_array().unwrap().iter().filter(|f| f["code"] == "M003").cloned().collect()
    };
    let warned = findings("");
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert_eq!(warned[0]["severity"], "warning");
    assert_eq!(warned[0]["line"], 22, "the [[files]] src line: {warned:?}");
    assert!(warned[0]["message"].as_str().unwrap().contains("/usr/bin/hello ships unstripped"), "{warned:?}");
    assert!(warned[0]["help"].as_str().unwrap().contains("debug-symbols = \"separate\""), "{warned:?}");
    assert!(findings("debug-symbols = \"separate\"").is_empty());
}

#[test]
fn a_binary_without_a_build_id_cannot_be_split() {
    let fx = project("debug-symbols = \"separate\"", &["-Wl,--build-id=none"]);
    let out = distpack().args(["plan", "-f", "deb", "-m"]).arg(fx.manifest()).output().unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("has no build-id"), "{stderr}");
    assert!(stderr.contains("distpack.toml:10"), "points at the setting: {stderr}");
    assert!(stderr.contains("-Wl,--build-id"), "{stderr}");
}

#[test]
fn debug_symbols_takes_only_keep_or_separate() {
    let fx = project("debug-symbols = \"strip\"", &[]);
    let out = distpack().args(["plan", "-f", "deb", "-m"]).arg(fx.manifest()).output().unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("keep") && stderr.contains("separate") && stderr.contains(":10"), "{stderr}");
}

/// `--debug-symbols` overrides the manifest for build, plan and check: `separate` splits what
/// the manifest keeps, `keep` keeps what it splits.
#[test]
fn the_debug_symbols_flag_overrides_the_manifest() {
    let fx = project("", &[]);
    let out = fx.dir.path().join("dist");
    let built = run(distpack()
        .args(["build", "-f", "deb", "--no-build", "--debug-symbols", "separate", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(&out));
    let artifacts: Vec<PathBuf> = text(&built.stdout).lines().map(PathBuf::from).collect();
    let ddeb = artifact(&artifacts, ".ddeb");
    let root = fx.dir.path().join("root");
    unpack_deb(artifact(&artifacts, "_amd64.deb"), &root);
    assert!(!sections(&root.join("usr/bin/hello")).contains(".debug_info"), "shipped stripped");
    let id = build_id(&fx.dir.path().join("hello"));
    let listing = tool("dpkg-deb", &["-c"], ddeb);
    assert!(listing.contains(&format!(" usr/lib/debug/.build-id/{}/{}.debug", &id[..2], &id[2..])), "{listing}");

    let split = project("debug-symbols = \"separate\"", &[]);
    let plan = |flag: &str| -> serde_json::Value {
        let out = run(distpack()
            .args(["plan", "--json", "--no-build", "-f", "deb", "--debug-symbols", flag, "-m"])
            .arg(split.manifest()));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let kept = plan("keep");
    assert!(kept["prepare"].as_array().unwrap().iter().all(|p| p["step"] != "split-debug"), "{}", kept["prepare"]);
    assert!(plan("separate")["prepare"].as_array().unwrap().iter().any(|p| p["step"] == "split-debug"));

    let no_id = project("", &["-Wl,--build-id=none"]);
    let refused = distpack()
        .args(["plan", "-f", "deb", "--debug-symbols", "separate", "-m"])
        .arg(no_id.manifest())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("--debug-symbols separate") && stderr.contains("has no build-id"), "{stderr}");
}
