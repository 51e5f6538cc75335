//! `distpack build` as CI runs it: every enabled format at once, `--json`, and `cargo distpack`.

use std::path::Path;
use std::process::Command;

use crate::support::*;

#[test]
fn json_lists_every_artifact_with_a_sha256_that_matches_the_file() {
    example_deb();
    let out = tempdir();
    let output =
        run(distpack().args(["build", "--no-build", "--json", "-m"]).arg(example_manifest()).arg("-o").arg(out.path()));
    let artifacts: Vec<serde_json::Value> =
        text(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))).collect();
    let formats: Vec<&str> = artifacts.iter().map(|a| a["format"].as_str().unwrap()).collect();
    // The example enables deb, rpm, arch, the AUR recipe (its release tarball and PKGBUILD) and the add-on.
    assert_eq!(formats, ["deb", "rpm", "arch", "pkgbuild", "addon", "pkgbuild"], "{}", text(&output.stdout));
    for artifact in &artifacts {
        let path = std::path::Path::new(artifact["path"].as_str().unwrap());
        assert!(path.starts_with(out.path()), "{artifact}");
        let sum = text(&run(Command::new("sha256sum").arg(path)).stdout);
        assert_eq!(sum.split_whitespace().next(), artifact["sha256"].as_str(), "{artifact}");
        assert_eq!(artifact["size"].as_u64(), Some(std::fs::metadata(path).unwrap().len()), "{artifact}");
        assert!(artifact["arch"].is_string() && artifact["target"].is_string(), "{artifact}");
    }
    // SHA256SUMS lists the same artifacts and `sha256sum -c` agrees with it.
    let sums = std::fs::read_to_string(out.path().join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), artifacts.len(), "{sums}");
    run(Command::new("sha256sum").args(["-c", "--strict", "SHA256SUMS"]).current_dir(out.path()));
}

#[test]
fn json_names_the_signatures_of_a_signed_bundle() {
    require_tool("minisign");
    example_deb();
    let dir = tempdir();
    let key = dir.path().join("k.key");
    run(Command::new("minisign").args(["-G", "-W", "-p"]).arg(dir.path().join("k.pub")).arg("-s").arg(&key));
    let output = run(distpack()
        .args(["build", "-f", "addon", "--no-build", "--json", "--minisign-key"])
        .arg(&key)
        .arg("-m")
        .arg(example_manifest())
        .arg("-o")
        .arg(dir.path()));
    let artifact: serde_json::Value = serde_json::from_str(text(&output.stdout).trim()).unwrap();
    let signatures = artifact["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 1, "{artifact}");
    let signature = signatures[0].as_str().unwrap();
    assert_eq!(signature, format!("{}.minisig", artifact["path"].as_str().unwrap()));
    run(Command::new("minisign")
        .arg("-Vm")
        .arg(artifact["path"].as_str().unwrap())
        .arg("-x")
        .arg(signature)
        .arg("-p")
        .arg(dir.path().join("k.pub")));
}

#[test]
fn cargo_runs_distpack_as_a_subcommand() {
    // cargo finds `cargo-distpack` on PATH and runs it with `distpack` as its first argument.
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_cargo-distpack")).parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let version = run(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["distpack", "--version"])
        .env("PATH", &path));
    assert_eq!(text(&version.stdout).trim(), format!("distpack {}", env!("CARGO_PKG_VERSION")));
    let plan = run(Command::new("cargo")
        .args(["distpack", "plan", "-f", "deb", "-m"])
        .arg(example_manifest())
        .env("PATH", &path)
        .env("SOURCE_DATE_EPOCH", "1700000000"));
    let said = text(&plan.stdout);
    assert!(said.starts_with("run cargo build --release --target "), "{said}");
    assert!(said.lines().any(|l| l.starts_with("deb healthd 1.4.2-1 ")), "{said}");
}

#[test]
fn every_target_and_format_is_built_in_one_run() {
    let fx = Fixture::example_copy();
    // A stand-in for the aarch64 build: packaging does not execute the binary.
    let host_bin = fx.dir.path().join(format!("target/{}/release/healthd", host_triple()));
    let arm_bin = fx.dir.path().join("target/aarch64-unknown-linux-gnu/release/healthd");
    cross_stand_in(&host_bin, &arm_bin, "aarch64-unknown-linux-gnu");
    let output = run(distpack()
        .args(["build", "-f", "deb,rpm,addon", "--no-build", "--json", "--target", "x86_64-unknown-linux-gnu"])
        .args(["--target", "aarch64-unknown-linux-gnu", "-m"])
        .arg(fx.dir.path().join("packaging/distpack.toml"))
        .arg("-o")
        .arg(fx.dir.path().join("dist")));
    let built: Vec<(String, String)> = text(&output.stdout)
        .lines()
        .map(|l| {
            let a: serde_json::Value = serde_json::from_str(l).unwrap();
            (a["format"].as_str().unwrap().to_string(), a["arch"].as_str().unwrap().to_string())
        })
        .collect();
    let expected = [
        ("deb", "amd64"),
        ("rpm", "x86_64"),
        ("addon", "x86_64"),
        ("deb", "arm64"),
        ("rpm", "aarch64"),
        ("addon", "aarch64"),
    ];
    assert_eq!(built, expected.map(|(f, a)| (f.to_string(), a.to_string())));
    let deb = fx.dir.path().join("dist/healthd_1.4.2-1_arm64.deb");
    let arch = text(&run(Command::new("dpkg-deb").args(["--field"]).arg(&deb).arg("Architecture")).stdout);
    assert_eq!(arch.trim(), "arm64");
}

#[test]
fn completions_load_in_bash_zsh_and_fish_and_complete_subcommands() {
    for tool in ["bash", "zsh", "fish"] {
        require_tool(tool);
    }
    let dir = tempdir();
    run(distpack().args(["completions", "--out-dir"]).arg(dir.path()));
    let bash = dir.path().join("distpack.bash");
    let words = run(Command::new("bash").arg("-c").arg(format!(
        "source {}; COMP_WORDS=(distpack ver); COMP_CWORD=1; _distpack distpack ver distpack; echo ${{COMPREPLY[@]}}",
        bash.display()
    )));
    assert_eq!(text(&words.stdout).trim(), "verify");
    run(Command::new("zsh").arg("-n").arg(dir.path().join("_distpack")));
    let fish = run(Command::new("fish")
        .arg("-c")
        .arg(format!("source {}; complete -C 'distpack bu'", dir.path().join("distpack.fish").display())));
    assert!(text(&fish.stdout).starts_with("build\t"), "{}", text(&fish.stdout));
}

#[test]
fn the_manual_page_renders_without_warnings_and_lists_every_command() {
    require_tool("man");
    let dir = tempdir();
    run(distpack().args(["man", "--out-dir"]).arg(dir.path()));
    let rendered =
        run(Command::new("man").args(["--warnings", "-l"]).arg(dir.path().join("distpack.1")).env("MANWIDTH", "100"));
    assert_eq!(text(&rendered.stderr), "", "man reports problems");
    // Drop the overstrikes (`x\u{8}x`) man uses for bold text.
    let mut page = String::new();
    for c in text(&rendered.stdout).chars() {
        if c == '\u{8}' {
            page.pop();
        } else {
            page.push(c);
        }
    }
    for command in ["build", "plan", "check", "aur", "keygen", "sign", "verify", "init", "inspect", "completions"] {
        assert!(page.contains(&format!("distpack {command}")), "distpack {command} missing from\n{page}");
    }
    assert!(page.contains("--minisign-key"), "{page}");
    assert_eq!(std::fs::read_to_string(dir.path().join("cargo-distpack.1")).unwrap(), ".so man1/distpack.1\n");
}

#[test]
fn before_package_commands_make_inputs_and_a_failing_one_names_its_line() {
    let fx = Fixture::new(
        &format!(
            "{PACKAGE}\n[build]\nbefore-package = [\"mkdir -p gen && echo made-by-$DISTPACK_TARGETS > gen/stamp\"]\n\n[[files]]\nsrc = \"gen/stamp\"\ndest = \"/usr/share/fx/stamp\"\nkind = \"data\"\nformats = [\"deb\"]\n"
        ),
        &[],
    );
    let deb = fx.build();
    let out = tempdir();
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(out.path()));
    let stamp = std::fs::read_to_string(out.path().join("usr/share/fx/stamp")).unwrap();
    assert_eq!(stamp.trim(), format!("made-by-{}", host_triple()));
    // `check` makes the generated inputs too, so it can run before any build.
    std::fs::remove_dir_all(fx.dir.path().join("gen")).unwrap();
    run(distpack().args(["check", "-f", "deb", "-m"]).arg(fx.manifest()));
    assert!(fx.dir.path().join("gen/stamp").exists());
    // `formats` keeps the entry out of the other formats.
    let plan = run(distpack().args(["plan", "--json", "-f", "rpm", "-m"]).arg(fx.manifest()));
    assert!(!text(&plan.stdout).contains("/usr/share/fx/stamp"));

    std::fs::write(fx.manifest(), format!("{PACKAGE}\n[build]\nbefore-package = [\"true\", \"exit 3\"]\n")).unwrap();
    let failed = distpack().args(["build", "-f", "deb", "--no-build", "-m"]).arg(fx.manifest()).output().unwrap();
    assert_eq!(failed.status.code(), Some(1));
    let err = text(&failed.stderr);
    assert!(err.contains("`sh -c 'exit 3'` failed (exit status: 3)"), "{err}");
    assert!(err.contains("before-package command at"), "{err}");
    assert!(err.contains("distpack.toml:"), "{err}");
}

#[test]
fn two_targets_write_distinct_files_for_every_format_and_sha256sums_checks() {
    require_tool("sha256sum");
    let fx = Fixture::example_copy();
    // A stand-in for the aarch64 build: packaging does not execute the binary.
    let host_bin = fx.dir.path().join(format!("target/{}/release/healthd", host_triple()));
    let arm_bin = fx.dir.path().join("target/aarch64-unknown-linux-gnu/release/healthd");
    cross_stand_in(&host_bin, &arm_bin, "aarch64-unknown-linux-gnu");
    let manifest = fx.dir.path().join("packaging/distpack.toml");
    let with_apkbuild = std::fs::read_to_string(&manifest).unwrap()
        + "\n[apkbuild]\nmode = \"bin\"\nsource-url = \"https://example.org/dl/{name}-{version}-{arch}.tar.gz\"\n";
    std::fs::write(&manifest, with_apkbuild).unwrap();
    run(distpack().args(["keygen", "--rsa", "apk"]).current_dir(fx.dir.path()));
    let dist = fx.dir.path().join("dist");
    let output = run(distpack()
        // The stand-ins are glibc builds, which A004 refuses in an .apk; the file names are asked here.
        .args(["build", "-f", "deb,rpm,arch,pkgbuild,apk,addon", "--no-build", "--json", "--allow-check-errors"])
        .args(["--target", "x86_64-unknown-linux-gnu", "--target", "aarch64-unknown-linux-gnu", "-m"])
        .arg(&manifest)
        .arg("--apk-key")
        .arg(fx.dir.path().join("apk.rsa"))
        .arg("-o")
        .arg(&dist));
    let artifacts: Vec<serde_json::Value> =
        text(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut paths: Vec<String> = artifacts.iter().map(|a| a["path"].as_str().unwrap().to_string()).collect();
    for format in ["deb", "rpm", "arch", "pkgbuild", "apk", "addon"] {
        let archs: Vec<&str> =
            artifacts.iter().filter(|a| a["format"] == format).map(|a| a["arch"].as_str().unwrap()).collect();
        assert!(archs.len() >= 2, "{format}: {archs:?}");
    }
    paths.sort();
    let count = paths.len();
    paths.dedup();
    assert_eq!(paths.len(), count, "two artifacts of one build share a path: {paths:#?}");
    for path in &paths {
        assert!(Path::new(path).is_file(), "{path}");
    }
    let apks: Vec<&str> =
        paths.iter().filter(|p| p.ends_with(".apk")).map(|p| p.strip_prefix(dist.to_str().unwrap()).unwrap()).collect();
    assert_eq!(
        apks,
        [
            "/aarch64/healthd-1.4.2-r0.apk",
            "/aarch64/healthd-openrc-1.4.2-r0.apk",
            "/x86_64/healthd-1.4.2-r0.apk",
            "/x86_64/healthd-openrc-1.4.2-r0.apk"
        ]
    );

    // SHA256SUMS names every artifact once, and sha256sum agrees with it.
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    let mut names: Vec<&str> = sums.lines().map(|l| l.split_once("  ").unwrap().1).collect();
    names.sort();
    let listed = names.len();
    names.dedup();
    assert_eq!(names.len(), listed, "SHA256SUMS lists a name twice:\n{sums}");
    assert_eq!(listed, count, "SHA256SUMS:\n{sums}");
    let checked = run(Command::new("sha256sum").args(["-c", "--strict", "SHA256SUMS"]).current_dir(&dist));
    assert_eq!(
        text(&checked.stdout).lines().filter(|l| l.ends_with(": OK")).count(),
        count,
        "{}",
        text(&checked.stdout)
    );
}

#[test]
fn quiet_prints_only_the_artifacts() {
    let fx =
        Fixture::new(&format!("{PACKAGE}\n[[files]]\nsrc = \"notes.txt\"\nkind = \"doc\"\n"), &[("notes.txt", "n\n")]);
    let out = run(distpack()
        .args(["-q", "build", "-f", "deb,rpm", "--no-build", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(fx.dir.path().join("dist")));
    assert_eq!(text(&out.stderr), "", "-q prints nothing but errors");
    assert_eq!(text(&out.stdout).lines().count(), 2, "{}", text(&out.stdout));
    let loud = run(distpack()
        .args(["build", "-f", "deb", "--no-build", "-m"])
        .arg(fx.manifest())
        .arg("-o")
        .arg(fx.dir.path().join("dist2")));
    assert!(text(&loud.stderr).contains("distpack: wrote"), "{}", text(&loud.stderr));
}

/// A workspace member's binaries are in the workspace's target/, where cargo builds them; the
/// manifest names them there (as `distpack import` writes it) and `build` runs cargo for it.
#[test]
fn a_workspace_member_is_built_into_the_workspace_target_dir() {
    require_tool("dpkg-deb");
    let manifest = "[package]\nname = \"member\"\nsummary = \"a workspace member\"\nmaintainer = \"T <t@example.org>\"\n\n[deb]\ndepends = [\"libc6\"]\n\n[[files]]\nsrc = \"../target/{target}/release/member\"\nkind = \"binary\"\nallow-outside-root = true\n";
    let fx = Fixture::new(
        "",
        &[
            ("Cargo.toml", "[workspace]\nmembers = [\"member\"]\nresolver = \"2\"\n"),
            (
                "member/Cargo.toml",
                "[package]\nname = \"member\"\nversion = \"0.3.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n",
            ),
            ("member/src/main.rs", "fn main() {}\n"),
            ("member/distpack.toml", manifest),
        ],
    );
    let out = fx.dir.path().join("dist");
    let built = run(distpack()
        .args(["build", "-f", "deb", "-m"])
        .arg(fx.dir.path().join("member/distpack.toml"))
        .arg("-o")
        .arg(&out)
        .env_remove("CARGO_TARGET_DIR"));
    assert!(fx.dir.path().join(format!("target/{}/release/member", host_triple())).is_file());
    assert!(!fx.dir.path().join("member/target").exists(), "cargo built into the member's own target/");
    let deb = text(&built.stdout).trim().to_string();
    let listing = text(&run(Command::new("dpkg-deb").arg("-c").arg(&deb)).stdout);
    assert!(listing.contains(" usr/bin/member\n"), "{listing}");
}
