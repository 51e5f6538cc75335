//! Reading an .apk back: its three gzip members read as one tar stream (signature, control,
//! data), with `.PKGINFO` and the scripts kept and the data entries listed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::{Inspection, MAX_CONTROL_BYTES, key_value_lines, list_tar_filtered, read_limited};
use crate::error::{Error, IoContext, Result};

pub fn inspect(path: &Path, max_unpacked: u64) -> Result<Inspection> {
    let file = File::open(path).io("cannot open", path)?;
    let decoded = flate2::read::MultiGzDecoder::new(BufReader::new(file));
    let decoded = crate::limits::Capped::new(decoded, max_unpacked, "the package");
    let mut fields = Vec::new();
    let mut scripts = BTreeMap::new();
    let mut signatures = Vec::new();
    let mut budget = super::Budget::default();
    let files = list_tar_filtered(decoded, "the tar stream", path, &mut |name, reader| {
        if name == ".PKGINFO" {
            fields = key_value_lines(&read_limited(reader, MAX_CONTROL_BYTES, ".PKGINFO", path)?);
        } else if name.starts_with(".SIGN.") {
            budget.take(name.len(), "the package")?;
            signatures.push(("signature".to_string(), name.trim_start_matches(".SIGN.").to_string()));
        } else if name.starts_with(".pre-") || name.starts_with(".post-") || name == ".trigger" {
            let text = String::from_utf8_lossy(&read_limited(reader, MAX_CONTROL_BYTES, name, path)?).into_owned();
            budget.take(text.len() + name.len(), "the package")?;
            scripts.insert(name.to_string(), text);
        }
        Ok(!name.starts_with('.'))
    })?;
    fields.extend(signatures);
    if !fields.iter().any(|(k, _)| k == "pkgname") {
        return Err(Error::invalid(format!("{} has no .PKGINFO", path.display()), "the file is not an apk package"));
    }
    Ok(Inspection { format: "apk", fields, conffiles: Vec::new(), scripts, files })
}

/// The control member's SHA-1 and its `.PKGINFO` fields.
pub(crate) type Control = ([u8; 20], Vec<(String, String)>);

/// What `apk index` reads of a package: the SHA-1 of its control member as compressed (the
/// package's identity, `C:` in APKINDEX) and the control member's `.PKGINFO` fields.
pub(crate) fn control(path: &Path) -> Result<Control> {
    use sha1::Digest;
    let file = File::open(path).io("cannot open", path)?;
    let mut reader = BufReader::new(file);
    // The signature member comes first when there is one; then the control member.
    for _ in 0..2 {
        let mut recording = Recording { inner: &mut reader, taken: Vec::new() };
        let mut plain = Vec::new();
        let decoder = flate2::bufread::GzDecoder::new(&mut recording);
        decoder.take(MAX_CONTROL_BYTES + 1).read_to_end(&mut plain).map_err(super::unreadable(
            "a gzip member",
            path,
            "the file is not an .apk",
        ))?;
        if plain.len() as u64 > MAX_CONTROL_BYTES || recording.taken.len() as u64 > MAX_CONTROL_BYTES {
            return Err(Error::invalid(
                format!("{}: a control member over {MAX_CONTROL_BYTES} bytes", path.display()),
                "the package is corrupt or hostile",
            ));
        }
        let mut fields = None;
        let mut signature = false;
        list_tar_filtered(&plain[..], "the control member", path, &mut |name, reader| {
            signature |= name.starts_with(".SIGN.");
            if name == ".PKGINFO" {
                fields = Some(key_value_lines(&read_limited(reader, MAX_CONTROL_BYTES, ".PKGINFO", path)?));
            }
            Ok(false)
        })?;
        match fields {
            Some(fields) => return Ok((sha1::Sha1::digest(&recording.taken).into(), fields)),
            None if signature => continue,
            None => break,
        }
    }
    Err(Error::invalid(
        format!("{} has no .PKGINFO in its control member", path.display()),
        "the file is not an apk package",
    ))
}

/// A buffered reader that keeps a copy of every byte its reader consumes: one gzip member's
/// compressed bytes, exactly.
struct Recording<R> {
    inner: R,
    taken: Vec<u8>,
}

impl<R: std::io::BufRead> std::io::Read for Recording<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = std::io::Read::read(&mut self.inner.fill_buf()?, out)?;
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for Recording<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            self.taken.extend_from_slice(&buf[..n.min(buf.len())]);
        }
        self.inner.consume(n);
    }
}
