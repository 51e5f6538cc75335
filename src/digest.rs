//! Digests computed while content streams through, so no file is read twice.

use std::io::{self, Read};

use md5::{Digest, Md5};
use sha2::Sha256;

/// Wraps a reader and hashes every byte that passes through.
pub struct HashingReader<R> {
    inner: R,
    md5: Option<Md5>,
    sha256: Option<Sha256>,
    bytes: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Digests {
    pub md5: Option<String>,
    pub sha256: Option<String>,
    pub bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R, md5: bool, sha256: bool) -> Self {
        HashingReader { inner, md5: md5.then(Md5::new), sha256: sha256.then(Sha256::new), bytes: 0 }
    }

    pub fn finish(self) -> Digests {
        Digests {
            md5: self.md5.map(|h| hex::encode(h.finalize())),
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
        if let Some(h) = &mut self.sha256 {
            h.update(&buf[..n]);
        }
        self.bytes += n as u64;
        Ok(n)
    }
}
