//! Bad input: each class of manifest error names the file, the line and a fix, and exits 3.

use crate::support::*;

/// Plan `manifest` and require an error whose location is the line containing `marker`.
fn assert_manifest_error(manifest: &str, files: &[(&str, &str)], marker: &str, message: &str) {
    let fixture = Fixture::new(manifest, files);
    let out = fixture.plan();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "expected exit 3 for an invalid manifest:\n{err}");
    let line = manifest.lines().position(|l| l.contains(marker)).expect("marker in manifest") + 1;
    assert!(err.contains(&format!("distpack.toml:{line}:")), "error should point at line {line} ({marker}):\n{err}");
    assert!(err.contains(message), "error should say `{message}`:\n{err}");
    assert!(err.contains("help:"), "error should carry a help line:\n{err}");
    assert!(!err.contains("panicked") && !err.contains("Error {"), "no panics or debug dumps:\n{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout for a failed plan");
}

const BIN: &[(&str, &str)] = &[("bin/tool", "#!/bin/sh\n")];

#[test]
fn unknown_key() {
    let m = format!("{PACKAGE}sumary = \"typo\"\n");
    assert_manifest_error(&m, &[], "sumary", "unknown field `sumary`");
}

#[test]
fn wrong_type() {
    let m = format!("{PACKAGE}epoch = \"one\"\n");
    assert_manifest_error(&m, &[], "epoch", "invalid type");
}

#[test]
fn missing_src() {
    let m = format!("{PACKAGE}\n[[files]]\ndest = \"/usr/bin/tool\"\nkind = \"binary\"\n");
    assert_manifest_error(&m, &[], "[[files]]", "has no `src`");
}

#[test]
fn src_that_does_not_exist() {
    let m = format!("{PACKAGE}\n[[files]]\nsrc = \"bin/missing\"\nkind = \"binary\"\n");
    assert_manifest_error(&m, BIN, "bin/missing", "does not exist");
}

#[test]
fn dest_with_dotdot() {
    let m =
        format!("{PACKAGE}\n[[files]]\nsrc = \"bin/tool\"\ndest = \"/usr/bin/../../etc/tool\"\nkind = \"binary\"\n");
    assert_manifest_error(&m, BIN, "dest = ", "contains `..`");
}

#[test]
fn dest_not_absolute() {
    let m = format!("{PACKAGE}\n[[files]]\nsrc = \"bin/tool\"\ndest = \"usr/bin/tool\"\nkind = \"binary\"\n");
    assert_manifest_error(&m, BIN, "dest = ", "not an absolute path");
}

#[test]
fn duplicate_dest() {
    let m = format!(
        "{PACKAGE}\n[[files]]\nsrc = \"bin/tool\"\ndest = \"/usr/bin/tool\"\nkind = \"binary\"\n\n[[files]]\nsrc = \"bin/tool\"\ndest = \"/usr/bin/tool\" # again\nkind = \"binary\"\n"
    );
    assert_manifest_error(&m, BIN, "# again", "installed twice");
}

#[test]
fn name_invalid_for_deb() {
    let m = PACKAGE.replace("name = \"fixture\"", "name = \"My_Tool\"");
    assert_manifest_error(&m, &[], "My_Tool", "is not valid for deb");
}

#[test]
fn version_invalid_for_deb() {
    let m = PACKAGE.replace("version = \"1.0.0\"", "version = \"v1.0\"");
    assert_manifest_error(&m, &[], "v1.0", "must start with a digit");
}

#[test]
fn setuid_mode_without_allow_special_modes() {
    let m = format!("{PACKAGE}\n[[files]]\nsrc = \"bin/tool\"\nkind = \"binary\"\nmode = 0o4755\n");
    assert_manifest_error(&m, BIN, "mode = ", "setuid");
    // The same entry is accepted when it says it means it.
    let ok = Fixture::new(&m.replace("mode = 0o4755", "mode = 0o4755\nallow-special-modes = true"), BIN);
    let out = ok.plan();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plan = plan["packages"].clone();
    let tool = plan[0]["files"].as_array().unwrap().iter().find(|f| f["path"] == "/usr/bin/tool").unwrap();
    assert_eq!(tool["mode"], "4755");
}

#[test]
fn world_writable_mode_without_allow_special_modes() {
    let m = format!(
        "{PACKAGE}\n[[files]]\nsrc = \"bin/tool\"\ndest = \"/usr/share/fixture/tool\"\nkind = \"data\"\nmode = 0o666\n"
    );
    assert_manifest_error(&m, BIN, "mode = ", "world-writable");
}

#[test]
fn decimal_mode() {
    let m = format!("{PACKAGE}\n[[files]]\nsrc = \"bin/tool\"\nkind = \"binary\"\nmode = 755\n");
    assert_manifest_error(&m, BIN, "mode = ", "not written in octal");
}

#[test]
fn unknown_placeholder() {
    let m = format!("{PACKAGE}\n[[files]]\nsrc = \"bin/{{tripel}}/tool\"\nkind = \"binary\"\n");
    assert_manifest_error(&m, BIN, "tripel", "unknown placeholder");
}

#[test]
fn every_problem_is_reported_at_once() {
    let m = PACKAGE.replace("name = \"fixture\"", "name = \"Bad\"").replace("version = \"1.0.0\"", "version = \"x\"");
    let out = Fixture::new(&m, &[]).plan();
    let err = text(&out.stderr);
    assert!(
        err.contains("has 2 problems") && err.contains("distpack.toml:2:") && err.contains("distpack.toml:3:"),
        "{err}"
    );
}

#[test]
fn missing_manifest_names_the_path() {
    let out = distpack().args(["plan", "-m", "/nonexistent/distpack.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("/nonexistent/distpack.toml") && err.contains("No such file"), "{err}");
}

#[test]
fn invalid_user_name() {
    let m = format!("{PACKAGE}\n[[users]]\nname = \"Bad User\"\n");
    assert_manifest_error(&m, &[], "[[users]]", "not a valid user name");
}

#[test]
fn uncompressed_rpm_is_refused() {
    let m = format!("{PACKAGE}\n[rpm]\ncompression = \"none\"\n");
    let fixture = Fixture::new(&m, &[]);
    let out = distpack().args(["plan", "-f", "rpm", "-m"]).arg(fixture.manifest()).output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("distpack.toml:9:") && err.contains("rpm payloads are always compressed"), "{err}");
}
