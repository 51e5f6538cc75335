//! The apk repository format (not written yet: publishing a .apk file is refused).

use std::cmp::Ordering;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Indexed, Keys, Problem, RepoFormat, Settings, Stored, store::Staging};
use crate::error::{Error, Result};

pub struct Apk;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    name: String,
    arch: String,
}

impl Indexed for Entry {
    fn name(&self) -> &str {
        &self.name
    }
    fn arch(&self) -> &str {
        &self.arch
    }
    fn compare_versions(&self, _other: &Self) -> Ordering {
        Ordering::Equal
    }
}

impl RepoFormat for Apk {
    const DIR: &'static str = "apk";
    type Entry = Entry;

    fn accepts(path: &Path) -> bool {
        path.to_string_lossy().ends_with(".apk")
    }

    fn read(path: &Path) -> Result<Entry> {
        Err(Error::invalid(
            format!("{}: apk repositories are not supported yet", path.display()),
            "leave it out of the publish",
        ))
    }

    fn pool_path(_entry: &Entry, file_name: &str) -> String {
        file_name.to_string()
    }

    fn write_indices(
        _root: &Path,
        _entries: &[(Stored, Entry)],
        _settings: &Settings,
        _keys: &Keys,
        _staging: &mut Staging,
    ) -> Result<()> {
        Ok(())
    }

    fn snippet(_settings: &Settings, _keys: &Keys) -> Result<Option<(String, String)>> {
        Ok(None)
    }

    fn check(_dir: &Path, _settings: &Settings) -> Result<Vec<Problem>> {
        Ok(Vec::new())
    }
}
