//! Tar entries for package payloads: deterministic headers (fixed mtime, numeric ids 0, names from
//! the plan) and file contents streamed from disk through the hashers into the archive.

use std::fs::File;
use std::io::{self, Read, Write};

use tar::{EntryType, Header};

use crate::digest::{Digests, HashingReader};
use crate::error::{Error, IoContext, Result};
use crate::plan::{PackageFile, Source};

mod read_ahead;

/// Entry names are relative (`usr/bin/x`, directories `usr/bin/`): dpkg, pacman and apk all read
/// them so, and the tar crate normalises a `./` prefix away in any case.
fn entry_name(path: &str, is_dir: bool) -> String {
    let rel = path.trim_start_matches('/');
    if is_dir { format!("{rel}/") } else { rel.to_string() }
}

/// A header with everything but the name, size and type filled in deterministically.
pub fn header(mode: u32, owner: &str, group: &str, mtime: u64) -> Header {
    let mut h = Header::new_gnu();
    h.set_mode(mode);
    h.set_mtime(mtime);
    h.set_uid(0);
    h.set_gid(0);
    // Names first: dpkg and pacman resolve owners by name when it exists on the target system.
    let _ = h.set_username(owner);
    let _ = h.set_groupname(group);
    h
}

/// The compressor for a package's payload, at the package's settings, told what the plan knows of
/// the bytes to come: its branch filter, and its size as a tar (headers, long names and 512-byte
/// padding counted; close enough for cpio too).
pub fn encoder<W: Write>(package: &crate::plan::Package, inner: W) -> io::Result<crate::compress::Encoder<W>> {
    let size = package
        .files
        .iter()
        .map(|f| {
            let long_name = if f.path.len() > 99 { 512 + (f.path.len() as u64 + 1).next_multiple_of(512) } else { 0 };
            let content = match f.source {
                Source::File { .. } | Source::Generated { .. } => f.size.next_multiple_of(512),
                _ => 0,
            };
            512 + long_name + content
        })
        .sum::<u64>()
        + 1024;
    let payload = crate::compress::Payload { branch_filter: package.branch_filter, size };
    crate::compress::Encoder::for_payload(package.compression, package.compression_level, payload, inner)
}

/// Append one planned file. Returns the content's digests for regular files.
pub fn append<W: Write>(
    builder: &mut tar::Builder<W>,
    file: &PackageFile,
    mtime: u64,
    md5: bool,
    sha256: bool,
) -> Result<Option<Digests>> {
    append_loaded(builder, file, None, mtime, md5, sha256)
}

/// Append every planned file in order, handing each one's digests to `each`. Small files are read
/// and hashed ahead, on every core, while earlier ones go into the archive (see `read_ahead`).
pub fn append_all<W: Write>(
    builder: &mut tar::Builder<W>,
    files: &[PackageFile],
    mtime: u64,
    md5: bool,
    sha256: bool,
    mut each: impl FnMut(&PackageFile, Option<Digests>),
) -> Result<()> {
    read_ahead::each_batch(files, md5, sha256, |batch, loaded| {
        for (file, loaded) in batch.iter().zip(loaded) {
            each(file, append_loaded(builder, file, loaded, mtime, md5, sha256)?);
        }
        Ok(())
    })
}

/// `append`, with the file's content when it was read ahead.
fn append_loaded<W: Write>(
    builder: &mut tar::Builder<W>,
    file: &PackageFile,
    loaded: Option<read_ahead::Loaded>,
    mtime: u64,
    md5: bool,
    sha256: bool,
) -> Result<Option<Digests>> {
    let mut h = header(file.mode, &file.owner, &file.group, mtime);
    let name = entry_name(&file.path, matches!(file.source, Source::Directory));
    let write_err = |e: io::Error| Error::write(format!("{} into the archive", file.path))(e);
    match &file.source {
        Source::Directory => {
            h.set_entry_type(EntryType::Directory);
            h.set_size(0);
            builder.append_data(&mut h, &name, io::empty()).map_err(write_err)?;
            Ok(None)
        }
        Source::Symlink { target } => {
            h.set_entry_type(EntryType::Symlink);
            h.set_size(0);
            builder.append_link(&mut h, &name, target).map_err(write_err)?;
            Ok(None)
        }
        Source::Generated { bytes } => {
            h.set_entry_type(EntryType::Regular);
            h.set_size(bytes.len() as u64);
            let mut reader = HashingReader::new(bytes.as_slice(), md5, sha256);
            builder.append_data(&mut h, &name, &mut reader).map_err(write_err)?;
            Ok(Some(reader.finish()))
        }
        Source::File { .. } if let Some(loaded) = loaded => {
            h.set_entry_type(EntryType::Regular);
            h.set_size(loaded.bytes.len() as u64);
            builder.append_data(&mut h, &name, loaded.bytes.as_slice()).map_err(write_err)?;
            Ok(Some(loaded.digests))
        }
        Source::File { path } => {
            let f = File::open(path).io("cannot open", path)?;
            let size = f.metadata().io("cannot stat", path)?.len();
            if size != file.size {
                return Err(changed(path));
            }
            h.set_entry_type(EntryType::Regular);
            h.set_size(size);
            // One read for a small file (web assets, docs): the tar crate copies through an 8 KiB
            // buffer, which would be three reads of a 20 KB page. Kept under malloc's mmap
            // threshold, so a buffer per file costs no system call.
            let buffered = io::BufReader::with_capacity((size as usize).clamp(512, 64 * 1024), f.take(size));
            let mut reader = HashingReader::new(buffered, md5, sha256);
            builder.append_data(&mut h, &name, &mut reader).map_err(write_err)?;
            let digests = reader.finish();
            if digests.bytes != size {
                return Err(changed(path));
            }
            Ok(Some(digests))
        }
    }
}

fn changed(path: &std::path::Path) -> Error {
    Error::invalid(
        format!("{} changed size while the package was being built", path.display()),
        "do not modify inputs during a build; run it again",
    )
}
