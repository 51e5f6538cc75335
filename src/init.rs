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
        Error::invalid(
            format!("{} has no [package] name", cargo_toml.display()),
            "run distpack init in the directory of a cargo package",
        )
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
    let users = if unit_template.contains(&format!("User={TOKEN}")) {
        format!("\n# The static user the unit runs as; provisioned through sysusers.d.\n[[users]]\nname = \"{name}\"\n")
    } else {
        String::new()
    };
    let manifest = format!(
        r#"# distpack manifest for {name}. Name, version, summary, license, homepage and maintainer
# come from ../Cargo.toml; paths are relative to the directory that holds it.
# Every key is described in docs/manifest.md of distpack's sources.

[package]
description = """
Write a few sentences about {name} here: what it does and for whom.
"""

[deb]
# depends = ["libc6 (>= 2.34)"]

[[files]]
src = "target/{{target}}/release/{name}"
kind = "binary"

[[files]]
src = "units/{name}.service"
kind = "unit"
{users}"#
    );
    let mut written = Vec::new();
    for (path, text) in [(unit_path, unit_template.replace(TOKEN, &name)), (manifest_path, manifest)] {
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent).io("cannot create", parent)?;
        std::fs::write(&path, text).io("cannot write", &path)?;
        written.push(path);
    }
    Ok(written)
}
