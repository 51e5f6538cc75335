//! Bounded reads of files whose size distpack does not control: a FIFO, a device or a file that
//! grows must give an error, not a hang or an exhausted memory.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, IoContext, Result};

/// Read a regular file of at most `limit` bytes, whole.
pub fn read_small(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).io("cannot read", path)?;
    if !meta.is_file() {
        return Err(Error::invalid(
            format!("{} is not a regular file", path.display()),
            "name a regular file (not a directory, FIFO or device)",
        ));
    }
    let file = std::fs::File::open(path).io("cannot open", path)?;
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit + 1).read_to_end(&mut bytes).io("cannot read", path)?;
    if bytes.len() as u64 > limit {
        return Err(Error::invalid(
            format!("{} is larger than {limit} bytes", path.display()),
            "this file is read whole and must stay small",
        ));
    }
    Ok(bytes)
}

/// Manifests and Cargo.toml files are read whole; no real one comes near this.
pub const MAX_MANIFEST: u64 = 16 << 20;

/// A regular file of at most `limit` bytes, as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    String::from_utf8(read_small(path, limit)?)
        .map_err(|_| Error::invalid(format!("{} is not UTF-8 text", path.display()), "save the file as UTF-8"))
}

/// `text` with control characters (C0, DEL and C1) escaped, for anything printed from untrusted
/// input: an entry name must not move the cursor or retitle the terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect(),
    )
}

/// A message of several lines for the terminal: line breaks and tabs kept, every other control
/// character escaped; with `keep_colors`, SGR sequences (`ESC [ … m`, the colours of distpack's
/// own error reports) are kept too, as they only change colours.
pub fn printable_lines(text: &str, keep_colors: bool) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}' && keep_colors {
            let sgr = rest[1..].strip_prefix('[').and_then(|after| {
                let end = after.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
                after[end..].starts_with('m').then_some(2 + end + 1)
            });
            if let Some(len) = sgr {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
        }
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// GNU long names and links and PAX records are read whole by the tar crate; longer ones are
/// refused before it allocates (PATH_MAX is 4096 on Linux, and a PAX record set is a few names).
pub const MAX_TAR_EXTENSION: u64 = 4096;

/// Decompressed bytes `inspect` reads from one package before it gives up (a decompression bomb
/// otherwise runs for minutes); `inspect --max-unpacked-size` raises it.
pub const DEFAULT_MAX_UNPACKED: u64 = 8 << 30;

/// Counts the bytes that pass and fails past `limit` (a decompression bomb stops there instead of
/// running for minutes or filling memory).
pub struct Capped<R> {
    inner: R,
    left: u64,
    limit: u64,
    what: &'static str,
}

impl<R> Capped<R> {
    pub fn new(inner: R, limit: u64, what: &'static str) -> Self {
        Capped { inner, left: limit, limit, what }
    }
}

impl<R: std::io::Read> std::io::Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(format!(
                "{} decompresses to more than {} bytes (the limit)",
                self.what, self.limit
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Sits between an untrusted tar stream and the `tar` crate, which reads GNU long names (`L`,
/// `K`) and PAX records (`x`) whole into memory with the size their header claims. This follows
/// the archive's framing exactly as `tar` 0.4 does (512-byte header, data rounded up to 512, a
/// PAX `size` record overriding the next entry's size, the first all-zero block ending the
/// archive) and fails with a clear error before `tar` allocates for an extension header over
/// `MAX_TAR_EXTENSION` bytes. Old GNU sparse entries (type `S`, with extension blocks in the
/// header area) are refused: no packager distpack reads writes them. No crate offers this bound.
pub struct TarGuard<R> {
    inner: R,
    /// Stream offset of the next byte returned.
    pos: u64,
    /// Where the next header starts.
    next_header: u64,
    header: [u8; 512],
    /// A PAX record set being collected (its data region ends at `next_header`).
    pax: Option<Vec<u8>>,
    /// The size of the current entry's data (without padding).
    pax_len: u64,
    /// Pending PAX records (and their `size`, if any) for the entry ending the sequence.
    pax_size: Option<Option<u64>>,
    done: bool,
}

impl<R> TarGuard<R> {
    pub fn new(inner: R) -> Self {
        TarGuard { inner, pos: 0, next_header: 0, header: [0; 512], pax: None, pax_len: 0, pax_size: None, done: false }
    }

    /// Track `bytes`, which start at stream offset `self.pos`.
    fn observe(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() && !self.done {
            if self.pos < self.next_header {
                let n = (self.next_header - self.pos).min(bytes.len() as u64) as usize;
                if let Some(pax) = &mut self.pax {
                    let wanted = (self.pax_len as usize).saturating_sub(pax.len()).min(n);
                    pax.extend_from_slice(&bytes[..wanted]);
                }
                self.pos += n as u64;
                bytes = &bytes[n..];
                continue;
            }
            let offset = (self.pos - self.next_header) as usize;
            let n = (512 - offset).min(bytes.len());
            self.header[offset..offset + n].copy_from_slice(&bytes[..n]);
            self.pos += n as u64;
            bytes = &bytes[n..];
            if offset + n == 512 {
                self.on_header()?;
            }
        }
        self.pos += bytes.len() as u64;
        Ok(())
    }

    fn on_header(&mut self) -> std::io::Result<()> {
        if let Some(records) = self.pax.take() {
            self.pax_size = Some(pax_size(&records));
        }
        let header = &self.header;
        if header.iter().all(|b| *b == 0) {
            self.done = true;
            return Ok(());
        }
        let kind = header[156];
        // As `tar` does: extension headers are only recognised with a ustar or GNU magic.
        let recognised = matches!(&header[257..265], b"ustar\x0000" | b"ustar  \x00");
        let mut size = tar_number(&header[124..136])
            .ok_or_else(|| std::io::Error::other("a tar header has an unreadable size"))?;
        let what = match kind {
            b'L' => Some("a GNU long name"),
            b'K' => Some("a GNU long link name"),
            b'x' | b'g' => Some("a PAX extended header"),
            _ => None,
        };
        match what {
            // `tar` applies the pending PAX records' size to the entry that ends the sequence.
            None => size = self.pax_size.take().flatten().unwrap_or(size),
            Some(what) => {
                if size > MAX_TAR_EXTENSION {
                    return Err(std::io::Error::other(format!(
                        "{what} of {size} bytes is over the {MAX_TAR_EXTENSION}-byte limit"
                    )));
                }
                match (kind, recognised) {
                    (b'x', true) => self.pax = Some(Vec::with_capacity(size as usize)),
                    (b'L' | b'K', true) => {}
                    // Returned as an entry of its own: pending records are dropped unused.
                    _ => self.pax_size = None,
                }
            }
        }
        if kind == b'S' {
            return Err(std::io::Error::other("old GNU sparse entries (type S) are not supported"));
        }
        self.pax_len = size;
        let overflow = || std::io::Error::other("a tar entry size overflows");
        let padded = size.checked_add(511).ok_or_else(overflow)? & !511;
        self.next_header = self.pos.checked_add(padded).ok_or_else(overflow)?;
        Ok(())
    }
}

/// The `size` record of PAX records, as the tar crate reads it (a malformed record first: none).
fn pax_size(records: &[u8]) -> Option<u64> {
    for record in tar::PaxExtensions::new(records) {
        let record = record.ok()?;
        if record.key() == Ok("size") {
            return record.value().ok()?.parse().ok();
        }
    }
    None
}

/// A tar numeric field: octal text, or base-256 when the high bit of the first byte is set.
fn tar_number(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        // The tar crate reads the last 8 bytes as big-endian binary.
        return Some(field[field.len() - 8..].iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)));
    }
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    let text = std::str::from_utf8(&field[..end]).ok()?;
    u64::from_str_radix(text.trim(), 8).ok()
}

impl<R: std::io::Read> std::io::Read for TarGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.observe(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_but_line_breaks_and_colours_kept() {
        assert_eq!(printable("a\u{1b}]0;x\u{7}b"), "a\\u{1b}]0;x\\u{7}b");
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable_lines("one\n\ttwo\u{1b}[2J", false), "one\n\ttwo\\u{1b}[2J");
        assert_eq!(printable_lines("\u{1b}[31mred\u{1b}[0m\u{1b}[2J", true), "\u{1b}[31mred\u{1b}[0m\\u{1b}[2J");
        assert_eq!(printable_lines("\u{9b}31m", true), "\\u{9b}31m");
    }

    #[test]
    fn tar_numbers_are_octal_or_base_256() {
        assert_eq!(tar_number(b"00000001750\0"), Some(1000));
        assert_eq!(tar_number(b"\x80\0\0\0\0\0\0\x01\0\0\0\0"), Some(1 << 32));
        assert_eq!(tar_number(b"zzzzzzzzzzz\0"), None);
    }
}
