//! `distpack inspect` reads back what `distpack build` wrote.

use serde_json::Value;

use crate::support::*;

#[test]
fn inspect_json_round_trips_the_plan_file_list() {
    let deb = example_deb();
    let plan: Value = serde_json::from_slice(
        &run(distpack().args(["plan", "--json", "-f", "deb", "-m"]).arg(example_manifest())).stdout,
    )
    .unwrap();
    let plan = plan["packages"].clone();
    let inspected: Value =
        serde_json::from_slice(&run(distpack().args(["inspect", "--json"]).arg(deb)).stdout).unwrap();

    let planned: Vec<(String, String, String, String, u64, String)> = plan[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let kind = match f["source"]["type"].as_str().unwrap() {
                "directory" => "dir",
                "symlink" => "symlink",
                _ => "file",
            };
            (
                s(&f["path"]),
                s(&f["mode"]),
                s(&f["owner"]),
                s(&f["group"]),
                f["size"].as_u64().unwrap(),
                kind.to_string(),
            )
        })
        .collect();
    let read_back: Vec<_> = inspected["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (s(&f["path"]), s(&f["mode"]), s(&f["owner"]), s(&f["group"]), f["size"].as_u64().unwrap(), s(&f["type"]))
        })
        .collect();
    assert_eq!(planned, read_back);
    assert!(planned.iter().any(|f| f.0 == "/usr/bin/healthd" && f.1 == "0755"));

    assert_eq!(inspected["conffiles"], serde_json::json!(["/etc/healthd/healthd.toml"]));
    let fields = inspected["fields"].as_array().unwrap();
    let version = &plan[0]["version"];
    let planned = format!("{}-{}", version["upstream"].as_str().unwrap(), version["release"].as_str().unwrap());
    assert!(fields.iter().any(|f| f[0] == "Version" && f[1] == planned.as_str()));
}

#[test]
fn inspect_text_names_each_file_with_its_mode() {
    let out = text(&run(distpack().arg("inspect").arg(example_deb())).stdout);
    assert!(out.contains("Package: healthd"), "{out}");
    assert!(out.lines().any(|l| l.contains("0755 root/root") && l.ends_with("/usr/bin/healthd")), "{out}");
}

#[test]
fn inspect_refuses_a_file_that_is_not_a_package() {
    let tmp = tempdir();
    let path = tmp.path().join("junk.deb");
    std::fs::write(&path, b"!<arch>\nthis is not an ar member header at all, just junk bytes").unwrap();
    let out = distpack().arg("inspect").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("junk.deb") && !err.contains("panicked"), "{err}");
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_string()
}
