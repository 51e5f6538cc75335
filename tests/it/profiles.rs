//! The hardening profiles in units/ (what `distpack init --profile` copies into a project): each is
//! a unit systemd 252 accepts without a word, and one `distpack check` finds nothing to report on.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::support::*;

const PROFILES: [&str; 3] = ["network-service", "package-manager", "raw-socket-agent"];
const UNIT: &str = "example-service.service";
const STUB: &str = "#!/bin/sh\nexec sleep infinity\n";

fn profile(name: &str) -> String {
    let path = repo().join("units").join(format!("{name}.service"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `systemd-analyze verify` of a unit in a throw-away root that holds the host's units (for
/// sysinit.target and friends), the unit in /etc/systemd/system and a stub at its ExecStart=.
/// verify exits 0 even after "Unknown key", so anything it prints counts as a failure.
fn verify(unit: &str) -> Result<(), String> {
    let root = tempdir();
    let dir = |path: &str| {
        let dir = root.path().join(path);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    };
    run(Command::new("cp").arg("-a").arg("/usr/lib/systemd/system").arg(dir("usr/lib/systemd")));
    std::fs::write(dir("etc/systemd/system").join(UNIT), unit).unwrap();
    let stub = dir("usr/bin").join("example-service");
    std::fs::write(&stub, STUB).unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(format!("--root={}", root.path().display()))
        .arg(UNIT)
        .output()
        .expect("cannot run systemd-analyze");
    let said = text(&output.stdout) + &text(&output.stderr);
    if output.status.success() && said.trim().is_empty() {
        Ok(())
    } else {
        Err(format!("systemd-analyze verify: {}\n{said}", output.status))
    }
}

#[test]
fn profiles_pass_systemd_analyze_verify() {
    require_tool("systemd-analyze");
    for name in PROFILES {
        verify(&profile(name)).unwrap_or_else(|e| panic!("profile {name}: {e}"));
    }
}

#[test]
fn verify_catches_a_misspelled_directive_or_value() {
    require_tool("systemd-analyze");
    let good = profile("network-service");
    for (from, to, said) in [
        ("ProtectSystem=strict", "ProtectSytem=strict", "Unknown key 'ProtectSytem'"),
        ("ProtectHome=read-only", "ProtectHome=readonly", "readonly"),
    ] {
        let bad = good.replacen(&format!("\n{from}\n"), &format!("\n{to}\n"), 1);
        assert_ne!(bad, good, "network-service has no `{from}` line to spoil");
        let err = verify(&bad).expect_err(&format!("verify accepted {to}"));
        assert!(err.contains(said), "verify of {to} did not say {said:?}:\n{err}");
    }
}

#[test]
fn profiles_pass_distpack_check() {
    for name in PROFILES {
        let mut manifest = r#"[package]
name = "example-service"
version = "1.0.0"
summary = "Profile check"
maintainer = "Test <test@example.org>"
license = "MIT"

[[files]]
src = "bin/example-service"
kind = "binary"

[[files]]
src = "units/example-service.service"
kind = "unit"
"#
        .to_string();
        if name == "raw-socket-agent" {
            manifest += "\n[[users]]\nname = \"example-service\"\n";
        }
        let unit = profile(name);
        let fx = Fixture::new(&manifest, &[("bin/example-service", STUB), ("units/example-service.service", &unit)]);
        let output = run(distpack().args(["check", "--json", "-m"]).arg(fx.manifest()));
        let findings: serde_json::Value = serde_json::from_slice(&output.stdout).expect("check --json prints JSON");
        assert_eq!(findings, serde_json::json!([]), "profile {name}: {findings:#}");
    }
}

#[test]
fn example_unit_passes_systemd_analyze_verify() {
    require_tool("systemd-analyze");
    let unit = std::fs::read_to_string(repo().join("examples/healthd/units/healthd.service")).unwrap();
    verify(&unit.replace("ExecStart=/usr/bin/healthd", "ExecStart=/usr/bin/example-service"))
        .unwrap_or_else(|e| panic!("healthd.service: {e}"));
}
