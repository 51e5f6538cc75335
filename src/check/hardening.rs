//! `[check] hardening = true`: what `systemd-analyze security` marks ✗ for the four settings that
//! weigh most, decided as it decides them (DynamicUser=yes implies a non-root user,
//! NoNewPrivileges=, ProtectSystem=strict and PrivateTmp=). Warnings only, and only when asked:
//! a service may need root, and the package still works.

use super::{Finding, Severity};
use crate::plan::Package;
use crate::plan::services::ServiceUnit;
use crate::unit::UnitKind;

pub fn check(package: &Package) -> Vec<Finding> {
    let mut out = Vec::new();
    for unit in package.services.units.iter().filter(|u| u.kind == Some(UnitKind::Service)) {
        out.extend(findings(unit));
    }
    out
}

fn findings(unit: &ServiceUnit) -> Vec<Finding> {
    let file = &unit.file;
    let Some(section) = file.sections.iter().find(|s| s.name == "Service") else { return Vec::new() };
    let dynamic = file.is_true("Service", "DynamicUser");
    let line_of = |key: &str| file.get("Service", key).map(|e| e.line).unwrap_or(section.line);
    let finding = |code, key: &str, message: String, help: &str| Finding {
        code,
        severity: Severity::Warning,
        file: unit.source.clone(),
        line: line_of(key),
        message,
        help: help.to_string(),
    };
    let mut out = Vec::new();
    let user = file.get("Service", "User").map(|e| e.value.as_str());
    if !dynamic && matches!(user, None | Some("root" | "0" | "nobody")) {
        let who = user.unwrap_or("root");
        out.push(finding(
            "H001",
            "User",
            format!("the service runs as `{who}` (systemd-analyze security: User=/DynamicUser= ✗)"),
            "set DynamicUser=yes, or User= a user of its own; `nobody` is shared by unrelated services",
        ));
    }
    if !dynamic && !file.is_true("Service", "NoNewPrivileges") {
        out.push(finding(
            "H002",
            "NoNewPrivileges",
            "its processes may gain privileges through setuid binaries or file capabilities (NoNewPrivileges= ✗)"
                .into(),
            "set NoNewPrivileges=yes unless the service runs setuid helpers",
        ));
    }
    let protect = file.get("Service", "ProtectSystem").map(|e| e.value.as_str());
    if !dynamic && protect != Some("strict") {
        out.push(finding(
            "H003",
            "ProtectSystem",
            "it can write to the OS file hierarchy (ProtectSystem= ✗: only `strict` makes it all read-only)".into(),
            "set ProtectSystem=strict and name what it writes with StateDirectory= or ReadWritePaths=",
        ));
    }
    if !dynamic && !file.is_true("Service", "PrivateTmp") {
        out.push(finding(
            "H004",
            "PrivateTmp",
            "it shares /tmp and /var/tmp with every other service (PrivateTmp= ✗)".into(),
            "set PrivateTmp=yes",
        ));
    }
    out
}
