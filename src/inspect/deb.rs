//! Reading a .deb back: the `ar` members in dpkg's order, the control tar (bounded, in memory) and
//! the data tar (streamed, only headers kept).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use super::{Inspection, MAX_CONTROL_BYTES, list_tar, read_limited, shown, unreadable};
use crate::compress;
use crate::error::{Error, IoContext, Result};
use crate::limits::{Capped, TarGuard};

/// The `ar` layer of a .deb, read here rather than with the `ar` crate: that crate panics on a
/// GNU `/N` name without a name table and allocates whatever size a `//` table or BSD `#1/N`
/// name claims. dpkg-deb writes only short names (dpkg's own reader knows no other kind), so
/// this reader accepts only those, and every size is checked against what is left of the file.
/// Failures are I/O errors, as from any reader: `UnexpectedEof` for a cut file, `InvalidData` for
/// a malformed one.
struct ArReader<R> {
    inner: R,
    /// Offset of the next byte of `inner`, and the file's size.
    pos: u64,
    len: u64,
}

impl<R: Read> ArReader<R> {
    fn magic(&mut self) -> io::Result<()> {
        let mut magic = [0u8; 8];
        self.inner.read_exact(&mut magic)?;
        self.pos = 8;
        if &magic != b"!<arch>\n" {
            return Err(malformed("no ar magic".into()));
        }
        Ok(())
    }

    /// The next member's name and size; its data is the next `size` bytes of `inner`, and the
    /// caller passes what it left unread to `skip` before asking for the next member.
    fn next_member(&mut self) -> io::Result<Option<(String, u64)>> {
        // Each member starts at an even offset (odd-sized data is followed by one padding byte).
        if self.pos % 2 == 1 && self.pos < self.len {
            self.skip(1)?;
            self.pos += 1;
        }
        if self.pos >= self.len {
            return Ok(None);
        }
        let mut header = [0u8; 60];
        self.inner.read_exact(&mut header).map_err(|e| io::Error::new(e.kind(), "truncated member header"))?;
        self.pos += 60;
        if &header[58..60] != b"`\n" {
            return Err(malformed("member header has no terminator".into()));
        }
        let name = String::from_utf8_lossy(&header[..16]);
        let name = name.trim_end_matches(' ');
        if name.starts_with("#1/") || name.starts_with('/') {
            return Err(malformed(format!(
                "member name `{}` is a long-name reference, which .deb files do not use",
                shown(name)
            )));
        }
        let name = name.trim_end_matches('/').to_string();
        let size = std::str::from_utf8(&header[48..58])
            .ok()
            .and_then(|s| s.trim_end_matches(' ').parse::<u64>().ok())
            .ok_or_else(|| malformed(format!("member `{}` has an unreadable size", shown(&name))))?;
        let left = self.len.saturating_sub(self.pos);
        if size > left {
            return Err(malformed(format!(
                "member `{}` claims {size} bytes, but only {left} are left in the file",
                shown(&name)
            )));
        }
        self.pos += size;
        Ok(Some((name, size)))
    }

    /// Discard the next `n` bytes of `inner` (`pos` is not changed: it already counts a member's data).
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let skipped = io::copy(&mut (&mut self.inner).take(n), &mut io::sink())?;
        if skipped != n {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the archive is truncated"));
        }
        Ok(())
    }
}

fn malformed(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

pub fn inspect(path: &Path, max_unpacked: u64) -> Result<Inspection> {
    read(path, max_unpacked, true)
}

/// The control file's fields of the .deb at `path`, in order (continuation lines joined with
/// newlines, as written): what a repository index needs, read without unpacking the data member.
pub(crate) fn control_fields(path: &Path) -> Result<Vec<(String, String)>> {
    Ok(read(path, 0, false)?.fields)
}

/// The package, its files listed only when `list_files` (the data member is then decompressed,
/// up to `max_unpacked` bytes).
fn read(path: &Path, max_unpacked: u64, list_files: bool) -> Result<Inspection> {
    let file = File::open(path).io("cannot open", path)?;
    let file_size = file.metadata().io("cannot read", path)?.len();
    // Malformed contents (no I/O error to keep) are refused with what is wrong; failed reads keep
    // their error.
    let not_a_deb = "the file is not a valid .deb";
    let corrupt = |what: String| Error::invalid(format!("{}: {}", path.display(), shown(&what)), not_a_deb);
    let mut archive = ArReader { inner: BufReader::new(file), pos: 0, len: file_size };
    archive.magic().map_err(unreadable("the ar archive", path, not_a_deb))?;
    let mut control: Option<(String, Vec<u8>)> = None;
    let mut files = None;
    let mut index = 0;
    while let Some((name, size)) = archive.next_member().map_err(unreadable("the ar members", path, not_a_deb))? {
        let mut entry = (&mut archive.inner).take(size);
        match (index, name.as_str()) {
            (0, "debian-binary") => {
                let version = read_limited(&mut entry, 64, "debian-binary", path)?;
                if !version.starts_with(b"2.") {
                    return Err(corrupt(format!(
                        "unsupported format version `{}`",
                        shown(&String::from_utf8_lossy(&version))
                    )));
                }
            }
            (0, other) => return Err(corrupt(format!("first member is `{}`, not debian-binary", shown(other)))),
            (_, n) if n.starts_with('_') => {}
            (_, n) if n.starts_with("control.tar") && control.is_none() => {
                let decoded = compress::decoder(n, &mut entry).map_err(unreadable(n, path, not_a_deb))?;
                control = Some((n.to_string(), read_limited(decoded, MAX_CONTROL_BYTES, n, path)?));
                if !list_files {
                    break;
                }
            }
            (_, n) if n.starts_with("data.tar") && control.is_some() => {
                let decoded = compress::decoder(n, &mut entry).map_err(unreadable(n, path, not_a_deb))?;
                files = Some(list_tar(Capped::new(decoded, max_unpacked, "data.tar"), n, path)?);
                break;
            }
            (_, other) => return Err(corrupt(format!("unexpected member `{}`", shown(other)))),
        }
        let unread = entry.limit();
        archive.skip(unread).map_err(unreadable(&format!("member `{}`", shown(&name)), path, not_a_deb))?;
        index += 1;
    }
    let (control_name, control) = control.ok_or_else(|| corrupt("no control.tar member".into()))?;
    let files = match files {
        Some(files) => files,
        None if !list_files => Vec::new(),
        None => return Err(corrupt("no data.tar member".into())),
    };

    let mut members = BTreeMap::new();
    let mut tar = tar::Archive::new(TarGuard::new(control.as_slice()));
    let unreadable_control = || unreadable(&control_name, path, not_a_deb);
    for entry in tar.entries().map_err(unreadable_control())? {
        let mut entry = entry.map_err(unreadable_control())?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).trim_start_matches("./").to_string();
        let mut text = String::new();
        let member = format!("{} in {control_name}", shown(&name));
        entry.read_to_string(&mut text).map_err(unreadable(&member, path, not_a_deb))?;
        members.insert(name, text);
    }
    let fields = parse_deb822(members.get("control").ok_or_else(|| corrupt("control.tar has no control file".into()))?);
    let conffiles = members.get("conffiles").map(|c| c.lines().map(str::to_string).collect()).unwrap_or_default();
    let scripts = members
        .into_iter()
        .filter(|(n, _)| matches!(n.as_str(), "preinst" | "postinst" | "prerm" | "postrm" | "config"))
        .collect();
    Ok(Inspection { format: "deb", fields, conffiles, scripts, files })
}

/// `Name: value` fields; continuation lines are joined with newlines.
fn parse_deb822(text: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push('\n');
                value.push_str(line);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_deb_is_an_io_error_that_keeps_its_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.deb");
        // The magic and half a member header.
        std::fs::write(&path, b"!<arch>\ndebian-binary   0           0     0     100644  4   ").unwrap();
        match inspect(&path, 1 << 20) {
            Err(Error::IoHelp { source, path: named, .. }) => {
                assert_eq!(source.kind(), io::ErrorKind::UnexpectedEof);
                assert_eq!(named, path);
            }
            other => panic!("expected an I/O error, got {other:?}"),
        }
    }
}
