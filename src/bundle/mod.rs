//! Add-on bundles after they are written: the `addon.json` index, the trusted comment a signature
//! binds, a defensive reader for bundles from elsewhere, and `distpack verify`.
//!
//! A minisign signature alone covers bytes, not meaning: a bundle signed for one add-on, version
//! or architecture could be served as another. The signed trusted comment therefore names id,
//! version, os, arch and the tarball's SHA-256, and verification holds the file name, the
//! caller's expectations and `addon.json` to it.

pub mod read;
pub mod verify;

use serde::{Deserialize, Serialize};

/// The `format` value of `addon.json`.
pub const INDEX_FORMAT: &str = "distpack-addon/1";

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

    pub fn parse(comment: &str) -> Result<Binding, String> {
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
