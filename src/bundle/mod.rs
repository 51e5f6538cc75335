//! Add-on bundles after they are written: the `addon.json` index, the trusted comment a signature
//! binds (and `distpack sign`'s choice of it), a defensive reader for bundles from elsewhere, and
//! `distpack verify`.
//!
//! A minisign signature alone covers bytes, not meaning: a bundle signed for one add-on, version
//! or architecture could be served as another. The signed trusted comment therefore names id,
//! version, os, arch and the tarball's SHA-256, and verification holds the file name, the
//! caller's expectations and `addon.json` to it.

pub mod read;
pub mod verify;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::sign::minisign::Signer;

/// The `format` value of `addon.json`.
pub const INDEX_FORMAT: &str = "distpack-addon/1";

/// The name the bundle's index has; no entry may take it.
pub const INDEX_NAME: &str = "addon.json";

/// How `addon.json` writes an entry's mode: four octal digits, as `"0755"`.
pub fn mode_text(mode: u32) -> String {
    format!("{mode:04o}")
}

fn serialize_mode<S: serde::Serializer>(mode: &u32, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&mode_text(*mode))
}

/// Whether `name` is a flat, ordinary entry name (also what `verify` demands).
pub fn valid_entry_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() || name == "." || name == ".." {
        Err(format!("`{name}` is not a file name"))
    } else if name.contains('/') || name.contains('\\') {
        Err(format!("`{name}` contains a path separator; bundle entries are flat"))
    } else if name.contains("..") {
        Err(format!("`{name}` contains `..`"))
    } else if name.chars().any(|c| c.is_control()) {
        Err(format!("`{}` contains a control character", name.escape_debug()))
    } else {
        Ok(())
    }
}

/// The first word of a bundle's trusted comment.
const BINDING_TAG: &str = "distpack-addon";

/// `addon.json`: what the bundle holds, entry by entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub format: String,
    pub id: String,
    pub version: String,
    pub os: String,
    pub arch: String,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub entries: Vec<IndexEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    pub name: String,
    pub size: u64,
    /// Octal, as `"0755"`.
    pub mode: String,
    pub sha256: String,
}

/// Who a bundle is, known before it is written: a signature binds it with the bundle's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub id: String,
    pub version: String,
    pub os: String,
    pub arch: String,
}

impl Identity {
    pub fn bind(&self, sha256: &str) -> Binding {
        Binding {
            id: self.id.clone(),
            version: self.version.clone(),
            os: self.os.clone(),
            arch: self.arch.clone(),
            sha256: sha256.to_string(),
        }
    }
}

/// What a bundle's signature binds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binding {
    pub id: String,
    pub version: String,
    pub os: String,
    pub arch: String,
    pub sha256: String,
}

impl Binding {
    /// One line of `key=value` words, readable in `minisign -V` output and parsed back exactly.
    pub fn trusted_comment(&self) -> String {
        format!(
            "{BINDING_TAG} id={} version={} os={} arch={} sha256={} file={}",
            self.id,
            self.version,
            self.os,
            self.arch,
            self.sha256,
            self.file_name()
        )
    }

    pub fn file_name(&self) -> String {
        format!("{}-{}-{}-{}.tar.gz", self.id, self.version, self.os, self.arch)
    }

    pub fn parse(comment: &str) -> std::result::Result<Binding, String> {
        let mut words = comment.split(' ');
        if words.next() != Some(BINDING_TAG) {
            return Err(format!("the trusted comment `{comment}` is not a distpack add-on binding"));
        }
        let mut values = std::collections::BTreeMap::new();
        for word in words {
            let (key, value) =
                word.split_once('=').ok_or_else(|| format!("`{word}` in the trusted comment is not key=value"))?;
            if values.insert(key, value).is_some() {
                return Err(format!("the trusted comment names `{key}` twice"));
            }
        }
        let mut take = |key: &str| {
            values.remove(key).map(str::to_string).ok_or_else(|| format!("the trusted comment has no `{key}`"))
        };
        let binding = Binding {
            id: take("id")?,
            version: take("version")?,
            os: take("os")?,
            arch: take("arch")?,
            sha256: take("sha256")?,
        };
        let file = take("file")?;
        if let Some(key) = values.keys().next() {
            return Err(format!("the trusted comment has an unknown key `{key}`"));
        }
        if file != binding.file_name() {
            return Err(format!(
                "the trusted comment names file {file}, which does not match its id, version, os and arch"
            ));
        }
        Ok(binding)
    }
}

/// What a signature of `file` binds: for an add-on bundle (a `.tar.gz`) its id, version, os, arch
/// and SHA-256, read from the bundle; for any other file its name and SHA-256. It lives here, not
/// in `sign`, because only this module knows what a bundle is: `sign` takes the comment as given.
pub fn trusted_comment_for(file: &Path) -> Result<String> {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let sha256 = crate::digest::of_file(file, false, false, true).io("cannot read", file)?.sha256.unwrap_or_default();
    if !name.ends_with(".tar.gz") {
        return Ok(crate::sign::minisign::file_comment(&name, &sha256));
    }
    let contents = read::read(file, &Default::default())
        .io("cannot read", file)?
        .map_err(|refusal| Error::contents(format!("{name} is not a valid add-on bundle: {}", refusal.0)))?;
    let index = contents.index;
    let binding = Binding { id: index.id, version: index.version, os: index.os, arch: index.arch, sha256 };
    if binding.file_name() != name {
        return Err(Error::usage(
            format!("{name} holds add-on {} and should be named {}", binding.id, binding.file_name()),
            "sign the bundle under the name `distpack build` gave it",
        ));
    }
    Ok(binding.trusted_comment())
}

/// Sign `file` into `FILE.minisig` (and `FILE.sig` when `raw`), binding what
/// `trusted_comment_for` finds in it; returns the signature paths.
pub fn sign_file(signer: &Signer, file: &Path, raw: bool) -> Result<Vec<PathBuf>> {
    crate::sign::minisign::sign_with_comment(signer, file, &trusted_comment_for(file)?, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_round_trips_and_rejects_extras() {
        let b = Binding {
            id: "healthd".into(),
            version: "1.4.2".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            sha256: "ab".repeat(32),
        };
        assert_eq!(Binding::parse(&b.trusted_comment()).unwrap(), b);
        assert!(Binding::parse("timestamp:1700000000\tfile:x").unwrap_err().contains("not a distpack"));
        let doubled = format!("{} arch=aarch64", b.trusted_comment());
        assert!(Binding::parse(&doubled).unwrap_err().contains("twice"));
        let renamed = b.trusted_comment().replace("x86_64.tar.gz", "aarch64.tar.gz");
        assert!(Binding::parse(&renamed).unwrap_err().contains("does not match"));
    }
}
