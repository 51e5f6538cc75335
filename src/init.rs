//! `distpack init`: scaffold `packaging/distpack.toml` and `units/NAME.service` for the cargo
//! project in a directory, from one of the hardening profiles in `units/`.

use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

/// The profiles, compiled in. Each names its service `example-service`, replaced by the project's name.
pub const PROFILES: [(&str, &str); 3] = [
    ("network-service", include_str!("../units/network-service.service")),
    ("package-manager", include_str!("../units/package-manager.service")),
    ("raw-socket-agent", include_str!("../units/raw-socket-agent.service")),
];

const TOKEN: &str = "example-service";

pub fn profile(name: &str) -> Result<&'static str> {
    PROFILES.iter().find(|(n, _)| *n == name).map(|(_, text)| *text).ok_or_else(|| {
        let names: Vec<&str> = PROFILES.iter().map(|(n, _)| *n).collect();
        Error::invalid(format!("there is no profile `{name}`"), format!("use one of: {}", names.join(", ")))
    })
}

/// Write the manifest and the unit into `dir`; returns the files written. Existing files are kept
/// unless `force`.
pub fn init(dir: &Path, profile_name: &str, force: bool) -> Result<Vec<PathBuf>> {
    let unit_template = profile(profile_name)?;
    let cargo_toml = dir.join("Cargo.toml");
    let cargo = crate::manifest::read_cargo_toml(&cargo_toml)?;
    let name = cargo.name.ok_or_else(|| {
        let members = workspace_members_with_binaries(&cargo_toml);
        let help = if members.is_empty() {
            "run distpack init in the directory of a cargo package".to_string()
        } else {
            format!("this is a workspace: run distpack init in the member to package, one of: {}", members.join(", "))
        };
        Error::invalid(format!("{} has no [package] name", cargo_toml.display()), help)
    })?;
    let unit_path = dir.join("units").join(format!("{name}.service"));
    let manifest_path = dir.join(crate::manifest::DEFAULT_PATH);
    for path in [&unit_path, &manifest_path] {
        if path.exists() && !force {
            return Err(Error::invalid(
                format!("{} already exists", path.display()),
                "keep it, or pass --force to overwrite it",
            ));
        }
    }
    let bins = binaries(&cargo_toml, &name);
    let daemon = daemon_of(&bins, &name);
    let users = if unit_template.contains(&format!("User={TOKEN}")) {
        format!("\n# The static user the unit runs as; provisioned through sysusers.d.\n[[users]]\nname = \"{name}\"\n")
    } else {
        String::new()
    };
    // What Cargo.toml does not say, init asks git (as cargo did for `authors`); what nobody knows
    // is left for `distpack check` to ask for, never filled with a placeholder that would ship.
    let mut package = String::new();
    if cargo.description.is_none() {
        package += &format!("summary = \"{name} service\"        # Cargo.toml has no description; say what it does\n");
    }
    if cargo.authors.is_empty() {
        match maintainer_from_environment() {
            Some(m) => package += &format!("maintainer = \"{m}\"\n"),
            None => {
                package += "# maintainer = \"Name <email>\"   # required: no Cargo.toml authors and no git user.email\n"
            }
        }
    }
    let files: String = bins
        .iter()
        .map(|bin| format!("\n[[files]]\nsrc = \"target/{{target}}/release/{bin}\"\nkind = \"binary\"\n"))
        .collect();
    let manifest = format!(
        r#"# distpack manifest for {name}. Name, version, summary, license, homepage and maintainer
# come from ../Cargo.toml; paths are relative to the directory that holds it.
# Every key is described in docs/manifest.md of distpack's sources.

[package]
{package}# description = """
# A few sentences about {name}: what it does and for whom (default: the summary).
# """

[deb]
# depends = ["libc6 (>= 2.34)"]
{files}
[[files]]
src = "units/{name}.service"
kind = "unit"
{users}"#
    );
    let unit = unit_template.replace(&format!("/usr/bin/{TOKEN}"), &format!("/usr/bin/{daemon}")).replace(TOKEN, &name);
    let mut written = Vec::new();
    for (path, text) in [(unit_path, unit), (manifest_path, manifest)] {
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent).io("cannot create", parent)?;
        std::fs::write(&path, text).io("cannot write", &path)?;
        written.push(path);
    }
    Ok(written)
}

/// The crate's binaries, as cargo sees them (`[[bin]]` tables, `src/main.rs`, `src/bin/*`); the
/// package name alone when cargo cannot be asked.
fn binaries(cargo_toml: &Path, name: &str) -> Vec<String> {
    let Some(metadata) = cargo_metadata(cargo_toml) else { return vec![name.to_string()] };
    let absolute = std::path::absolute(cargo_toml).unwrap_or_else(|_| cargo_toml.to_path_buf());
    let ours = metadata["packages"].as_array().into_iter().flatten().find(|p| {
        p["manifest_path"]
            .as_str()
            .is_some_and(|m| std::fs::canonicalize(m).ok() == std::fs::canonicalize(&absolute).ok())
    });
    let mut bins: Vec<String> = ours
        .and_then(|p| p["targets"].as_array())
        .into_iter()
        .flatten()
        .filter(|t| t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "bin")))
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    bins.sort();
    if bins.is_empty() { vec![name.to_string()] } else { bins }
}

/// A workspace's members that build binaries, as directories relative to the workspace root.
fn workspace_members_with_binaries(cargo_toml: &Path) -> Vec<String> {
    let Some(metadata) = cargo_metadata(cargo_toml) else { return Vec::new() };
    let dir = cargo_toml.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let root = std::fs::canonicalize(dir).ok();
    let builds_binaries = |p: &&serde_json::Value| {
        p["targets"].as_array().is_some_and(|targets| {
            targets.iter().any(|t| t["kind"].as_array().is_some_and(|kinds| kinds.iter().any(|k| k == "bin")))
        })
    };
    let mut members: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(builds_binaries)
        .filter_map(|p| p["manifest_path"].as_str())
        .filter_map(|m| Path::new(m).parent().map(Path::to_path_buf))
        .map(|member| {
            let relative = root.as_ref().and_then(|r| member.strip_prefix(r).ok()).map(Path::to_path_buf);
            relative.unwrap_or(member).display().to_string()
        })
        .collect();
    members.sort();
    members
}

/// `cargo metadata --no-deps` for a Cargo.toml, offline; `None` when cargo cannot answer.
fn cargo_metadata(cargo_toml: &Path) -> Option<serde_json::Value> {
    let output = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["metadata", "--no-deps", "--format-version", "1", "--offline", "--manifest-path"])
        .arg(cargo_toml)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    serde_json::from_slice(&output.stdout).ok()
}

/// The binary the unit runs: the one named after the package, else one that looks like a daemon
/// (`…d`, `…-daemon`, `…-server`), else the first.
fn daemon_of(bins: &[String], name: &str) -> String {
    let looks_like_daemon = |b: &&String| b.ends_with('d') || b.contains("daemon") || b.contains("server");
    bins.iter()
        .find(|b| *b == name)
        .or_else(|| bins.iter().find(looks_like_daemon))
        .or_else(|| bins.first())
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

/// `Name <email>` from git's user.name and user.email, else Debian's DEBFULLNAME and DEBEMAIL.
fn maintainer_from_environment() -> Option<String> {
    let git = |key: &str| {
        std::process::Command::new("git")
            .args(["config", "--get", key])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|v| !v.is_empty() && !v.contains(['"', '\\', '<', '>']))
    };
    let env = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty() && !v.contains(['"', '\\', '<', '>']));
    let name = git("user.name").or_else(|| env("DEBFULLNAME"))?;
    let email = git("user.email").or_else(|| env("DEBEMAIL")).or_else(|| env("EMAIL"))?;
    Some(format!("{name} <{email}>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_runs_the_daemon_among_the_binaries() {
        let bins = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(daemon_of(&bins(&["ntp-ctl", "ntp-daemon", "ntp-metrics-exporter"]), "ntpd-rs"), "ntp-daemon");
        assert_eq!(daemon_of(&bins(&["kanidm", "kanidmd"]), "kanidm"), "kanidm");
        assert_eq!(daemon_of(&bins(&["tool"]), "svc"), "tool");
    }
}
