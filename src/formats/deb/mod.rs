//! Debian binary packages (FORMATS.md §1): an `ar` archive of `debian-binary`, `control.tar.*`
//! and `data.tar.*`.
//!
//! Write order: the data tar streams from disk through md5 and the compressor into an anonymous
//! temporary file (its compressed size must be known for its `ar` header, and the control member
//! that precedes it needs the md5sums computed on that same pass); then the small control tar is
//! built in memory; then the `ar` is written and the data member copied in.

mod control;

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use crate::compress::{self, Encoder};
use crate::error::{Error, IoContext, Result};
use crate::formats::tarball;
use crate::formats::{Keys, Packager};
use crate::plan::{Package, Source};

pub struct Deb;

impl Packager for Deb {
    fn write(&self, package: &Package, out: &mut File, scratch: &Path, _keys: &Keys) -> Result<()> {
        let mut data = tempfile::tempfile_in(scratch).io("cannot create a temporary file in", scratch)?;
        let payload = write_data(package, &mut data)?;
        let control = write_control(package, &payload)?;
        let data_len = data.seek(SeekFrom::End(0)).io("cannot seek", scratch)?;
        data.seek(SeekFrom::Start(0)).io("cannot seek", scratch)?;

        let ext = compress::extension(package.compression);
        let mut ar = ar::Builder::new(BufWriter::new(out));
        let member = |name: &str, size: u64| {
            let mut h = ar::Header::new(name.as_bytes().to_vec(), size);
            h.set_mtime(package.mtime);
            h.set_mode(0o100644);
            h
        };
        let ar_err = |e: std::io::Error| Error::write("the .deb")(e);
        ar.append(&member("debian-binary", 4), &b"2.0\n"[..]).map_err(ar_err)?;
        ar.append(&member(&format!("control.tar{ext}"), control.len() as u64), control.as_slice()).map_err(ar_err)?;
        ar.append(&member(&format!("data.tar{ext}"), data_len), &mut data).map_err(ar_err)?;
        ar.into_inner().and_then(|mut w| w.flush()).map_err(ar_err)?;
        Ok(())
    }
}

/// What the control member needs to know about the payload.
struct Payload {
    /// `md5  path` lines for regular files that are not conffiles.
    md5sums: String,
    installed_size_kib: u64,
}

fn write_data(package: &Package, out: &mut File) -> Result<Payload> {
    let encoder = tarball::encoder(package, BufWriter::with_capacity(1 << 20, out)).map_err(compress_err)?;
    let mut builder = tar::Builder::new(encoder);
    let mut md5sums = String::new();
    let mut installed_size_kib = 0;
    tarball::append_all(&mut builder, &package.files, package.mtime, true, false, |file, digests| {
        installed_size_kib += match file.source {
            // Installed-Size counts regular files and symlinks rounded up to KiB, anything else as 1.
            Source::Directory => 1,
            _ => file.size.div_ceil(1024),
        };
        if let Some(md5) = digests.and_then(|d| d.md5)
            && !file.kind.is_conffile()
        {
            md5sums.push_str(&format!("{md5}  {}\n", file.path.trim_start_matches('/')));
        }
    })?;
    let encoder = builder.into_inner().map_err(compress_err)?;
    encoder.finish().and_then(|mut w| w.flush()).map_err(compress_err)?;
    Ok(Payload { md5sums, installed_size_kib })
}

fn write_control(package: &Package, payload: &Payload) -> Result<Vec<u8>> {
    let mut members: Vec<(&str, u32, Vec<u8>)> =
        vec![("control", 0o644, control::render(package, payload.installed_size_kib).into_bytes())];
    if !payload.md5sums.is_empty() {
        members.push(("md5sums", 0o644, payload.md5sums.clone().into_bytes()));
    }
    let conffiles: String = package.conffiles().map(|f| format!("{}\n", f.path)).collect();
    if !conffiles.is_empty() {
        members.push(("conffiles", 0o644, conffiles.into_bytes()));
    }
    for (name, text) in &package.scripts {
        members.push((name.as_str(), 0o755, text.clone().into_bytes()));
    }

    let encoder = Encoder::new(package.compression, package.compression_level, Vec::new()).map_err(compress_err)?;
    let mut builder = tar::Builder::new(encoder);
    for (name, mode, bytes) in members {
        let mut h = tarball::header(mode, "root", "root", package.mtime);
        h.set_size(bytes.len() as u64);
        builder.append_data(&mut h, name, bytes.as_slice()).map_err(compress_err)?;
    }
    builder.into_inner().and_then(Encoder::finish).map_err(compress_err)
}

fn compress_err(e: std::io::Error) -> Error {
    Error::write("the package payload")(e)
}
