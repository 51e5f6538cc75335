//! `distpack inspect`: read any artifact back (metadata, scripts, every file with mode, owner and
//! size). Packages to inspect are untrusted input: every read is bounded.

mod addon;
pub(crate) mod apk;
mod arch;
pub(crate) mod deb;
mod rpm;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, IoContext, Result};

/// Limits for untrusted packages.
pub(crate) const MAX_CONTROL_BYTES: u64 = 64 << 20;
pub(crate) const MAX_ENTRIES: usize = 1_000_000;
/// Bytes of names (paths, link targets, owners) a listing may hold: real packages list a few
/// MiB at most, and a hostile one must not fill memory with a million long names.
pub(crate) const MAX_LISTING_BYTES: usize = 128 << 20;

/// Counts what a listing holds and refuses past `MAX_LISTING_BYTES`.
#[derive(Default)]
pub(crate) struct Budget(usize);

impl Budget {
    pub(crate) fn take(&mut self, bytes: usize, what: &str) -> Result<()> {
        self.0 = self.0.saturating_add(bytes);
        if self.0 > MAX_LISTING_BYTES {
            return Err(Error::invalid(
                format!("{what} lists more than {MAX_LISTING_BYTES} bytes of names"),
                "the package is corrupt or hostile",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Serialize)]
pub struct Inspection {
    pub format: &'static str,
    /// Metadata fields in the order the package lists them.
    pub fields: Vec<(String, String)>,
    pub conffiles: Vec<String>,
    pub scripts: BTreeMap<String, String>,
    pub files: Vec<InspectedFile>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct InspectedFile {
    /// Absolute path as installed (`/usr/bin/healthd`).
    pub path: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(serialize_with = "crate::plan::octal")]
    pub mode: u32,
    pub owner: String,
    pub group: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// Read the package at `path`, decompressing at most `max_unpacked` bytes of it.
pub fn inspect(path: &Path, max_unpacked: u64) -> Result<Inspection> {
    // Opening a FIFO blocks until a writer comes, and a device never ends: regular files only.
    let meta = std::fs::metadata(path).io("cannot read", path)?;
    if !meta.is_file() {
        return Err(Error::invalid(
            format!("{} is not a regular file", path.display()),
            "inspect reads package files (not directories, FIFOs or devices)",
        ));
    }
    let mut file = File::open(path).io("cannot open", path)?;
    let mut magic = [0u8; 8];
    let n = file.read(&mut magic).io("cannot read", path)?;
    drop(file);
    if n == 8 && &magic == b"!<arch>\n" {
        return deb::inspect(path, max_unpacked);
    }
    if n >= 4 && magic[..4] == [0xed, 0xab, 0xee, 0xdb] {
        return rpm::inspect(path);
    }
    if path.to_string_lossy().contains(".pkg.tar") {
        return arch::inspect(path, max_unpacked);
    }
    if path.extension().is_some_and(|e| e == "apk") {
        return apk::inspect(path, max_unpacked);
    }
    if path.to_string_lossy().ends_with(".tar.gz") {
        return addon::inspect(path, max_unpacked);
    }
    Err(Error::invalid(
        format!("{} is not a package distpack can read", path.display()),
        "inspect reads .deb, .rpm, .pkg.tar.*, .apk files and add-on bundles (.tar.gz)",
    ))
}

impl Inspection {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// A human-readable listing. Every name and value comes from the package, so control
    /// characters are shown escaped: a hostile entry name cannot drive the terminal.
    pub fn to_text(&self) -> String {
        let mut out = format!("format: {}\n", self.format);
        for (k, v) in &self.fields {
            // Multi-line values (descriptions) keep their line breaks.
            let v: Vec<String> = v.split('\n').map(|l| shown(l).into_owned()).collect();
            out += &format!("{}: {}\n", shown(k), v.join("\n"));
        }
        if !self.conffiles.is_empty() {
            out += "conffiles:\n";
            for c in &self.conffiles {
                out += &format!("  {}\n", shown(c));
            }
        }
        for (name, text) in &self.scripts {
            out += &format!("script {} ({} lines)\n", shown(name), text.lines().count());
        }
        out += "files:\n";
        for f in &self.files {
            let link = f.target.as_ref().map(|t| format!(" -> {}", shown(t))).unwrap_or_default();
            out += &format!(
                "  {:<7} {:04o} {}/{} {:>10} {}{link}\n",
                f.kind,
                f.mode,
                shown(&f.owner),
                shown(&f.group),
                f.size,
                shown(&f.path)
            );
        }
        out
    }
}

/// `text` with control characters escaped (`\u{1b}`), for messages and listings.
pub(crate) fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    crate::limits::printable(text)
}

/// A failure reading `what` (a member, the tar stream) of the package at `package`: the I/O error
/// is kept, with its kind (`UnexpectedEof` for a cut file, `InvalidData` for a corrupt stream).
pub(crate) fn unreadable(what: &str, package: &Path, help: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    let action = format!("cannot read {what} of");
    let path = package.to_path_buf();
    move |source| Error::IoHelp { action: action.into(), path, source, help: help.into() }
}

/// Read a bounded member `what` of `package` into memory, refusing one larger than `limit`.
pub(crate) fn read_limited(reader: impl Read, limit: u64, what: &str, package: &Path) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    reader.take(limit + 1).read_to_end(&mut buf).map_err(unreadable(what, package, "the package is corrupt"))?;
    if buf.len() as u64 > limit {
        return Err(Error::invalid(
            format!("{what} is larger than {limit} bytes"),
            "the package is corrupt or hostile",
        ));
    }
    Ok(buf)
}

/// `key = value` lines, as pacman's and apk's `.PKGINFO` write them; `#` lines are comments.
pub(crate) fn key_value_lines(bytes: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = ").map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// Every entry of the tar stream `what` of `package`, with its name normalised to an absolute path.
pub(crate) fn list_tar(reader: impl Read, what: &str, package: &Path) -> Result<Vec<InspectedFile>> {
    list_tar_filtered(reader, what, package, &mut |_, _| Ok(true))
}

/// Like `list_tar`, but `visit(name, contents)` sees each entry first (to read metadata members)
/// and says whether it is listed.
pub(crate) fn list_tar_filtered(
    reader: impl Read,
    what: &str,
    package: &Path,
    visit: &mut dyn FnMut(&str, &mut dyn Read) -> Result<bool>,
) -> Result<Vec<InspectedFile>> {
    let corrupt = |e: std::io::Error| unreadable(what, package, "the package is corrupt or hostile")(e);
    let mut archive = tar::Archive::new(crate::limits::TarGuard::new(reader));
    let mut files = Vec::new();
    let mut budget = Budget::default();
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        if files.len() >= MAX_ENTRIES {
            return Err(Error::invalid(
                format!("{what} has more than {MAX_ENTRIES} entries"),
                "the package is corrupt or hostile",
            ));
        }
        let header = entry.header();
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let rel = raw.trim_start_matches("./").trim_start_matches('/').trim_end_matches('/');
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => "file",
            tar::EntryType::Directory => "dir",
            tar::EntryType::Symlink => "symlink",
            tar::EntryType::Link => "hardlink",
            _ => "other",
        };
        let listed = InspectedFile {
            path: format!("/{rel}"),
            kind,
            mode: header.mode().map_err(corrupt)? & 0o7777,
            owner: header
                .username()
                .ok()
                .flatten()
                .map(str::to_string)
                .unwrap_or_else(|| header.uid().unwrap_or(0).to_string()),
            group: header
                .groupname()
                .ok()
                .flatten()
                .map(str::to_string)
                .unwrap_or_else(|| header.gid().unwrap_or(0).to_string()),
            size: header.size().map_err(corrupt)?,
            target: entry.link_name_bytes().map(|l| String::from_utf8_lossy(&l).into_owned()),
        };
        if visit(&raw, &mut entry)? {
            let held = listed.path.len() + listed.owner.len() + listed.group.len();
            budget.take(held + listed.target.as_ref().map_or(0, String::len) + 64, what)?;
            files.push(listed);
        }
    }
    Ok(files)
}
