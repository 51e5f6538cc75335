//! Metadata inherited from the nearest Cargo.toml: name, version, description, license, homepage
//! and authors, so a cargo project's manifest only says what cargo does not know.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default)]
pub struct CargoPackage {
    pub manifest_path: PathBuf,
    pub name: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub license: Option<String>,
    pub homepage: Option<String>,
    pub authors: Vec<String>,
    /// The directory of the workspace this crate is a member of (the crate's own when it is the
    /// root or stands alone): cargo builds into its `target/`.
    pub workspace_root: PathBuf,
}

/// The nearest `Cargo.toml` with a `[package]` at or above `dir`.
pub fn find(dir: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(dir).ok()?;
    start.ancestors().map(|d| d.join("Cargo.toml")).find(|p| {
        crate::limits::read_text(p, crate::limits::MAX_MANIFEST)
            .ok()
            .and_then(|t| toml::from_str::<CargoToml>(&t).ok())
            .is_some_and(|c| c.package.is_some())
    })
}

#[derive(Deserialize)]
struct CargoToml {
    package: Option<RawPackage>,
    workspace: Option<Workspace>,
}

#[derive(Deserialize)]
struct Workspace {
    package: Option<RawPackage>,
}

/// The nearest directory at or above `crate_dir` whose Cargo.toml has a `[workspace]`, as cargo
/// looks for the workspace of a member that does not name one.
fn workspace_root(crate_dir: &Path) -> Option<PathBuf> {
    crate_dir.ancestors().find_map(|d| {
        let text = crate::limits::read_text(&d.join("Cargo.toml"), crate::limits::MAX_MANIFEST).ok()?;
        toml::from_str::<CargoToml>(&text).ok()?.workspace.map(|_| d.to_path_buf())
    })
}

/// A `[package]` (or `[workspace.package]`) table; values may be `{ workspace = true }`.
#[derive(Deserialize, Default)]
struct RawPackage {
    name: Option<toml::Value>,
    version: Option<toml::Value>,
    description: Option<toml::Value>,
    license: Option<toml::Value>,
    homepage: Option<toml::Value>,
    repository: Option<toml::Value>,
    authors: Option<toml::Value>,
}

pub fn read(path: &Path) -> Result<CargoPackage> {
    let text = crate::limits::read_text(path, crate::limits::MAX_MANIFEST)?;
    let parsed: CargoToml = toml::from_str(&text).map_err(|e| {
        Error::invalid(
            format!("{} is not valid TOML: {}", path.display(), e.message()),
            "fix Cargo.toml; `cargo metadata` shows the same problem",
        )
    })?;
    let package = parsed.package.unwrap_or_default();
    // Values written `{ workspace = true }` come from the workspace root's [workspace.package].
    let workspace = path
        .parent()
        .and_then(|dir| {
            dir.ancestors().map(|d| d.join("Cargo.toml")).find_map(|p| {
                let t = crate::limits::read_text(&p, crate::limits::MAX_MANIFEST).ok()?;
                toml::from_str::<CargoToml>(&t).ok()?.workspace?.package
            })
        })
        .unwrap_or_default();
    let string = |own: &Option<toml::Value>, inherited: &Option<toml::Value>| -> Option<String> {
        match own {
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(toml::Value::Table(t)) if t.get("workspace").and_then(toml::Value::as_bool) == Some(true) => {
                inherited.as_ref().and_then(|v| v.as_str()).map(str::to_string)
            }
            _ => None,
        }
    };
    let authors = match &package.authors {
        Some(toml::Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(toml::Value::Table(_)) => match &workspace.authors {
            Some(toml::Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let crate_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(CargoPackage {
        workspace_root: workspace_root(&crate_dir).unwrap_or(crate_dir),
        manifest_path: path.to_path_buf(),
        name: string(&package.name, &None),
        version: string(&package.version, &workspace.version),
        description: string(&package.description, &workspace.description),
        license: string(&package.license, &workspace.license),
        homepage: string(&package.homepage, &workspace.homepage)
            .or_else(|| string(&package.repository, &workspace.repository)),
        authors,
    })
}
