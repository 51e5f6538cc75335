//! The index entries of every package a tree holds, per format, in `.distpack/FORMAT.json`: a
//! publish reads only the packages it adds, whatever the tree's size.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::store::{STATE_DIR, write_atomic};
use super::{Settings, Stored};
use crate::error::{Error, IoContext, Result};

/// The entries cached for `format`; none for a new tree.
pub fn load<E: DeserializeOwned>(dir: &Path, format: &str) -> Result<Vec<(Stored, E)>> {
    let path = dir.join(STATE_DIR).join(format!("{format}.json"));
    let Ok(text) = std::fs::read(&path) else { return Ok(Vec::new()) };
    serde_json::from_slice(&text).map_err(|e| {
        Error::invalid(
            format!("{} is not a cache distpack can read: {e}", path.display()),
            "remove it and publish every package of the tree again",
        )
    })
}

pub fn save<E: Serialize>(dir: &Path, format: &str, entries: &[(Stored, E)]) -> Result<()> {
    let path = dir.join(STATE_DIR).join(format!("{format}.json"));
    let json = serde_json::to_vec(entries)
        .map_err(|e| Error::invalid(format!("cannot encode the cache: {e}"), "this is a bug in distpack"))?;
    write_atomic(&path, &json)
}

/// The settings of the last publish, which `repo check` verifies the tree against.
pub fn save_settings(dir: &Path, settings: &Settings) -> Result<()> {
    let json = serde_json::to_vec_pretty(settings)
        .map_err(|e| Error::invalid(format!("cannot encode the settings: {e}"), "this is a bug in distpack"))?;
    write_atomic(&dir.join(STATE_DIR).join("settings.json"), &json)
}

pub fn load_settings(dir: &Path) -> Result<Settings> {
    let path = dir.join(STATE_DIR).join("settings.json");
    let text = std::fs::read(&path).io("cannot read the repository's settings", &path)?;
    serde_json::from_slice(&text)
        .map_err(|e| Error::invalid(format!("{}: {e}", path.display()), "publish into the tree again to rewrite it"))
}
