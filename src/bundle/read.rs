//! Reading a bundle that may come from anywhere: gzip and tar parsed with limits on every size,
//! only flat regular files accepted, every entry hashed while it streams, and the result held to
//! `addon.json` entry by entry. Every refusal names the entry.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use serde::Serialize;

use super::{INDEX_FORMAT, INDEX_NAME, Index, mode_text, valid_entry_name};
use crate::digest::Sha256Writer;
use crate::limits::TarGuard;

/// Size limits for untrusted bundles.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entry_size: u64,
    pub max_total_size: u64,
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_entry_size: 1 << 30, max_total_size: 2 << 30, max_entries: 10_000 }
    }
}

/// `addon.json` is small; anything larger is not an index.
const MAX_INDEX_SIZE: u64 = 1 << 20;

/// One regular file found in the tarball.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub name: String,
    pub size: u64,
    #[serde(serialize_with = "super::serialize_mode")]
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contents {
    pub index: Index,
    /// In archive order, `addon.json` excluded.
    pub entries: Vec<Found>,
}

/// Why a bundle's contents are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

type Checked<T> = Result<T, Refusal>;

fn refuse<T>(message: impl Into<String>) -> Checked<T> {
    Err(Refusal(message.into()))
}

/// Counts decompressed bytes so a gzip bomb stops at the limit instead of filling the disk or memory.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(io::Error::other("the bundle decompresses to more than the size limit"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Read and check the whole bundle at `path`.
pub fn read(path: &Path, limits: &Limits) -> Result<Checked<Contents>, io::Error> {
    let mut file = File::open(path)?;
    let mut magic = [0u8; 2];
    let got = read_up_to(&mut file, &mut magic)?;
    if got < 2 || magic != [0x1f, 0x8b] {
        return Ok(refuse("the bundle is not a gzip file"));
    }
    let file = File::open(path)?;
    // Tar headers and padding add at most 1.5 KiB per entry (GNU long names included).
    let overhead = (limits.max_entries as u64 + 2) * 1536 + MAX_INDEX_SIZE;
    let capped =
        Capped { inner: flate2::read::GzDecoder::new(BufReader::new(file)), left: limits.max_total_size + overhead };
    Ok(read_tar(capped, limits))
}

/// Whether the gzipped tarball at `path` has an `addon.json` entry at its top level (names only,
/// within the entry limit and `max_unpacked` decompressed bytes), to tell bundles from other
/// .tar.gz files. A tarball that cannot be read is an error, not "no index".
pub fn has_index(path: &Path, limits: &Limits, max_unpacked: u64) -> io::Result<bool> {
    let file = File::open(path)?;
    let gzip = flate2::read::GzDecoder::new(BufReader::new(file));
    let mut archive = tar::Archive::new(TarGuard::new(crate::limits::Capped::new(gzip, max_unpacked, "the tarball")));
    for entry in archive.entries()?.take(limits.max_entries + 1) {
        if entry?.path_bytes().as_ref() == INDEX_NAME.as_bytes() {
            return Ok(true);
        }
    }
    Ok(false)
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn read_tar(reader: impl Read, limits: &Limits) -> Checked<Contents> {
    let mut archive = tar::Archive::new(TarGuard::new(reader));
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(e) => return refuse(format!("the bundle is not a tar archive: {e}")),
    };
    let mut found: Vec<Found> = Vec::new();
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    let mut index_bytes: Option<Vec<u8>> = None;
    let mut total = 0u64;
    for (position, entry) in entries.enumerate() {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) if position == 0 => return refuse(format!("the bundle is not a tar archive: {e}")),
            Err(e) => return refuse(format!("the tar archive is corrupt after entry {position}: {e}")),
        };
        if position > limits.max_entries {
            return refuse(format!("the bundle has more than {} entries", limits.max_entries));
        }
        let name = match std::str::from_utf8(&entry.path_bytes()) {
            Ok(name) => name.to_string(),
            Err(_) => return refuse(format!("entry {} has a name that is not UTF-8", position + 1)),
        };
        let shown = name.escape_debug().to_string();
        if name.starts_with('/') {
            return refuse(format!("entry `{shown}` has an absolute name; bundle entries are flat file names"));
        }
        if name.split('/').any(|c| c == "..") || name.contains("..") {
            return refuse(format!("entry `{shown}` contains `..`"));
        }
        let header = entry.header();
        let kind = header.entry_type();
        let what = match kind {
            tar::EntryType::Regular => None,
            tar::EntryType::Symlink => Some("a symbolic link"),
            tar::EntryType::Link => Some("a hard link"),
            tar::EntryType::Char => Some("a character device"),
            tar::EntryType::Block => Some("a block device"),
            tar::EntryType::Fifo => Some("a FIFO"),
            tar::EntryType::Directory => Some("a directory"),
            _ => Some("not a regular file"),
        };
        if let Some(what) = what {
            return refuse(format!("entry `{shown}` is {what}; bundles hold regular files only"));
        }
        if let Err(why) = valid_entry_name(&name) {
            return refuse(format!("entry {why}"));
        }
        let mode = header.mode().map_err(|e| Refusal(format!("entry `{shown}` has an unreadable mode: {e}")))?;
        if mode & 0o6000 != 0 {
            return refuse(format!("entry `{shown}` has the setuid or setgid bit (mode {mode:04o})"));
        }
        if mode & 0o002 != 0 {
            return refuse(format!("entry `{shown}` is world-writable (mode {mode:04o})"));
        }
        let uid = header.uid().unwrap_or(u64::MAX);
        let gid = header.gid().unwrap_or(u64::MAX);
        let size = entry.size();
        if seen.insert(name.clone(), ()).is_some() {
            return refuse(format!("entry `{shown}` appears twice"));
        }
        if name == INDEX_NAME {
            if size > MAX_INDEX_SIZE {
                return refuse(format!("{INDEX_NAME} is {size} bytes, over the {MAX_INDEX_SIZE}-byte limit"));
            }
            let mut bytes = Vec::with_capacity(size as usize);
            if let Err(e) = entry.read_to_end(&mut bytes) {
                return refuse(format!("cannot read {INDEX_NAME}: {e}"));
            }
            index_bytes = Some(bytes);
            continue;
        }
        if size > limits.max_entry_size {
            return refuse(format!(
                "entry `{shown}` is {size} bytes, over the per-entry limit of {} bytes",
                limits.max_entry_size
            ));
        }
        total += size;
        if total > limits.max_total_size {
            return refuse(format!(
                "the entries add up to more than the limit of {} bytes (at `{shown}`)",
                limits.max_total_size
            ));
        }
        let mut hasher = Sha256Writer::new(io::sink());
        if let Err(e) = io::copy(&mut entry, &mut hasher) {
            return refuse(format!("cannot read entry `{shown}`: {e}"));
        }
        let (_, sha256, read) = hasher.finish();
        if read != size {
            return refuse(format!("entry `{shown}` is truncated ({read} of {size} bytes)"));
        }
        found.push(Found { name, size, mode, uid, gid, sha256 });
    }
    if seen.is_empty() {
        return refuse("the bundle is not a tar archive (no entries)");
    }
    let Some(bytes) = index_bytes else {
        return refuse(format!("the bundle has no {INDEX_NAME}"));
    };
    let index: Index = match serde_json::from_slice(&bytes) {
        Ok(index) => index,
        Err(e) => return refuse(format!("{INDEX_NAME} is not a valid index: {e}")),
    };
    if index.format != INDEX_FORMAT {
        return refuse(format!("{INDEX_NAME} has format `{}`; this distpack reads `{INDEX_FORMAT}`", index.format));
    }
    compare(&index, &found)?;
    Ok(Contents { index, entries: found })
}

/// Every entry listed, every listed entry present, and each one as listed.
fn compare(index: &Index, found: &[Found]) -> Checked<()> {
    let mut listed = BTreeMap::new();
    for entry in &index.entries {
        if let Err(why) = valid_entry_name(&entry.name) {
            return refuse(format!("{INDEX_NAME} lists an invalid entry: {why}"));
        }
        if listed.insert(entry.name.as_str(), entry).is_some() {
            return refuse(format!("{INDEX_NAME} lists `{}` twice", entry.name));
        }
    }
    for file in found {
        let Some(entry) = listed.remove(file.name.as_str()) else {
            return refuse(format!("entry `{}` is not listed in {INDEX_NAME}", file.name));
        };
        if entry.size != file.size {
            return refuse(format!(
                "entry `{}` is {} bytes, but {INDEX_NAME} says {}",
                file.name, file.size, entry.size
            ));
        }
        if entry.sha256 != file.sha256 {
            return refuse(format!(
                "entry `{}` has SHA-256 {}, but {INDEX_NAME} says {}",
                file.name, file.sha256, entry.sha256
            ));
        }
        if entry.mode != mode_text(file.mode) {
            return refuse(format!(
                "entry `{}` has mode {:04o}, but {INDEX_NAME} says {}",
                file.name, file.mode, entry.mode
            ));
        }
    }
    if let Some(name) = listed.keys().next() {
        return refuse(format!("`{name}` is listed in {INDEX_NAME} but missing from the bundle"));
    }
    Ok(())
}
