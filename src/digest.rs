//! Digests computed while content streams through, so no file is read twice.

use std::io::{self, Read};

use md5::{Digest, Md5};
use sha2::Sha256;

/// Wraps a reader and hashes every byte that passes through.
pub struct HashingReader<R> {
    inner: R,
    md5: Option<Md5>,
    sha1: Option<sha1::Sha1>,
    sha256: Option<Sha256>,
    bytes: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Digests {
    pub md5: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
    pub bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R, md5: bool, sha256: bool) -> Self {
        HashingReader { inner, md5: md5.then(Md5::new), sha1: None, sha256: sha256.then(Sha256::new), bytes: 0 }
    }

    /// Also compute SHA-1 (apk's per-file checksum).
    pub fn with_sha1(mut self) -> Self {
        self.sha1 = Some(sha1::Sha1::new());
        self
    }

    pub fn finish(self) -> Digests {
        Digests {
            md5: self.md5.map(|h| hex::encode(h.finalize())),
            sha1: self.sha1.map(|h| hex::encode(h.finalize())),
            sha256: self.sha256.map(|h| hex::encode(h.finalize())),
            bytes: self.bytes,
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.md5 {
            h.update(&buf[..n]);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(&buf[..n]);
        }
        if let Some(h) = &mut self.sha256 {
            h.update(&buf[..n]);
        }
        self.bytes += n as u64;
        crate::progress::add_bytes(n as u64);
        Ok(n)
    }
}

/// Digests of a whole file, streamed (for formats whose metadata must precede the data in the
/// archive, so files are hashed before they are archived).
pub fn of_file(path: &std::path::Path, md5: bool, sha1: bool, sha256: bool) -> io::Result<Digests> {
    let mut hashing = HashingReader::new(std::fs::File::open(path)?, md5, sha256);
    if sha1 {
        hashing = hashing.with_sha1();
    }
    io::copy(&mut hashing, &mut io::sink())?;
    Ok(hashing.finish())
}

/// Wraps a writer and computes the SHA-256 and length of everything written through it.
pub struct Sha256Writer<W> {
    pub inner: W,
    hasher: Sha256,
    pub bytes: u64,
}

impl<W: io::Write> Sha256Writer<W> {
    pub fn new(inner: W) -> Self {
        Sha256Writer { inner, hasher: Sha256::new(), bytes: 0 }
    }

    /// The inner writer and the hex SHA-256 of what went through.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<W: io::Write> io::Write for Sha256Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
