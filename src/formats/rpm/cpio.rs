//! The rpm payload: a cpio "newc" archive (magic 070701) with `./`-prefixed names, written as the
//! file contents stream through (FORMATS.md §2.5). Written here because rpm needs exactly this
//! subset, and the cpio crates either buffer entries or cannot write newc with rpm's conventions.

use std::io::{self, Write};

pub struct Writer<W: Write> {
    inner: W,
    written: u64,
}

pub struct Entry<'a> {
    pub name: &'a str,
    pub ino: u32,
    /// st_mode with the file type bits.
    pub mode: u32,
    pub mtime: u32,
    pub size: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(inner: W) -> Self {
        Writer { inner, written: 0 }
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let pad = (4 - self.written % 4) % 4;
        self.put(&[0u8; 3][..pad as usize])
    }

    /// Write the header and name of an entry; its `size` bytes of data follow via `data`.
    pub fn header(&mut self, e: &Entry) -> io::Result<()> {
        if e.size > u32::MAX as u64 {
            return Err(io::Error::other(format!(
                "{} is larger than 4 GiB, which this payload format cannot hold",
                e.name
            )));
        }
        let name_size = e.name.len() + 1;
        let nlink = if e.mode & 0o170000 == 0o040000 { 2 } else { 1 };
        let header = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            e.ino, e.mode, 0, 0, nlink, e.mtime, e.size, 0, 0, 0, 0, name_size, 0
        );
        self.put(header.as_bytes())?;
        self.put(e.name.as_bytes())?;
        self.put(&[0])?;
        self.pad()
    }

    /// After an entry's data: pad to 4.
    pub fn end_entry(&mut self) -> io::Result<()> {
        self.pad()
    }

    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.header(&Entry { name: "TRAILER!!!", ino: 0, mode: 0, mtime: 0, size: 0 })?;
        Ok((self.inner, self.written))
    }
}

/// Entry data is written through `Write`, so file contents can be copied in as they stream.
impl<W: Write> Write for Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
