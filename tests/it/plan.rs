//! `distpack plan` shows the whole build: every step and every path `build` writes. The README
//! example's plan is a snapshot, so a change to what is built shows up in review.

use serde_json::{Value, json};

use crate::support::*;

/// The plan of the example as `build --minisign-key` would run it, with what varies between
/// machines (the checkout's path, binary sizes) left out.
fn example_plan() -> Value {
    example_deb(); // the plan reads the binary cargo built
    let out = run(distpack()
        .args(["plan", "--json", "--minisign-key", "release.key", "--target", "x86_64-unknown-linux-gnu", "-m"])
        .arg(example_manifest())
        .env("SOURCE_DATE_EPOCH", "1700000000"));
    let text = text(&out.stdout).replace(&repo().display().to_string(), "[repo]");
    let plan: Value = serde_json::from_str(&text).unwrap();
    let packages: Vec<Value> = plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let files: Vec<String> = p["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| format!("{} {}:{} {}", f["mode"].as_str().unwrap(), f["owner"].as_str().unwrap(), f["group"].as_str().unwrap(), f["path"].as_str().unwrap()))
                .collect();
            let scripts: Vec<&String> = p["scripts"].as_object().unwrap().keys().collect();
            json!({"format": p["format"], "name": p["name"], "version": p["version"], "arch": p["arch"], "files": files, "scripts": scripts})
        })
        .collect();
    json!({"prepare": plan["prepare"], "packages": packages, "steps": plan["steps"]})
}

#[test]
fn the_example_plan_names_every_step_and_output() {
    let plan = example_plan();
    let steps = plan["steps"].as_array().unwrap();
    let outputs: Vec<String> = steps
        .iter()
        .flat_map(|s| s.get("output").into_iter().chain(s["outputs"].as_array().into_iter().flatten()))
        .map(|o| o.as_str().unwrap().to_string())
        .collect();
    for expected in [
        "healthd_1.4.2-1_amd64.deb",
        "healthd-1.4.2-1.x86_64.rpm",
        "healthd-1.4.2-1-x86_64.pkg.tar.zst",
        "healthd-1.4.2-x86_64.tar.gz",
        "healthd-pkgbuild/PKGBUILD",
        "healthd-pkgbuild/.SRCINFO",
        "healthd-1.4.2-linux-x86_64.tar.gz",
        "healthd-1.4.2-linux-x86_64.tar.gz.minisig",
        "SHA256SUMS",
        "SHA256SUMS.minisig",
    ] {
        assert!(outputs.contains(&expected.to_string()), "{expected} is not planned: {outputs:#?}");
    }
    let kinds: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["package", "package", "package", "package", "package", "recipe", "signature", "checksums", "signature"]
    );
    assert_eq!(plan["prepare"][0]["step"], "cargo-build");
    insta::assert_snapshot!("example_plan", serde_json::to_string_pretty(&plan).unwrap());
}

#[test]
fn what_plan_names_is_what_build_writes() {
    let tmp = tempdir();
    let out = tmp.path().join("dist");
    let key = tmp.path().join("release.key");
    run(distpack().args(["keygen", "--unencrypted", "-o"]).arg(&key));
    run(distpack()
        .args(["build", "--no-build", "-m"])
        .arg(example_manifest())
        .arg("-o")
        .arg(&out)
        .arg("--minisign-key")
        .arg(&key));
    let plan = run(distpack()
        .args(["plan", "--json", "--no-build", "-m"])
        .arg(example_manifest())
        .arg("--minisign-key")
        .arg(&key));
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let mut planned: Vec<String> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s.get("output").into_iter().chain(s["outputs"].as_array().into_iter().flatten()))
        .map(|o| o.as_str().unwrap().to_string())
        .collect();
    planned.sort();
    let mut written: Vec<String> = walkdir::WalkDir::new(&out)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(&out).unwrap().display().to_string())
        .collect();
    written.sort();
    assert_eq!(planned, written);
}
