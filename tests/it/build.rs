//! `distpack build` as CI runs it: every enabled format at once, `--json`, and `cargo distpack`.

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
    assert!(text(&plan.stdout).starts_with("deb healthd 1.4.2-1 "), "{}", text(&plan.stdout));
}

#[test]
fn every_target_and_format_is_built_in_one_run() {
    let fx = Fixture::example_copy();
    // A stand-in for the aarch64 build: packaging does not execute the binary.
    let host_bin = fx.dir.path().join(format!("target/{}/release/healthd", host_triple()));
    let arm_bin = fx.dir.path().join("target/aarch64-unknown-linux-gnu/release/healthd");
    std::fs::create_dir_all(arm_bin.parent().unwrap()).unwrap();
    std::fs::copy(&host_bin, &arm_bin).unwrap();
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
