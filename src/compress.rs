//! Streaming compressors behind one type. xz and zstd always run their multithreaded encoders
//! (even with one thread) because their output then depends only on the level, not on the number
//! of cores: the same inputs give the same bytes on every machine.

use std::io::{self, Write};

use crate::manifest::Compression;

pub enum Encoder<W: Write> {
    /// With the memory its threads hold, released when the encoder is dropped.
    Xz(liblzma::write::XzEncoder<W>, crate::budget::Reservation),
    Zstd(zstd::stream::write::Encoder<'static, W>, crate::budget::Reservation),
    Gzip(flate2::write::GzEncoder<W>),
    None(W),
}

/// xz's memory at `preset`: (base, per thread), from liblzma's own estimate.
fn xz_memory(preset: u32) -> (u64, u64) {
    let usage = |threads| liblzma::stream::MtStreamBuilder::new().threads(threads).preset(preset).memusage();
    let (one, two) = (usage(1), usage(2));
    let per_thread = two.saturating_sub(one).max(1);
    (one.saturating_sub(per_thread), per_thread)
}

/// zstd's memory at `level`: (base, per worker). zstd offers no estimate for its multithreaded
/// encoder outside its experimental API, so these are measured peaks of `zstd -T1`/`-T2` on a
/// 60 MB binary (-19: 152 MiB and 242 MiB), rounded up.
fn zstd_memory(level: u32) -> (u64, u64) {
    match level {
        17.. => (64 << 20, 96 << 20),
        10..=16 => (48 << 20, 64 << 20),
        _ => (32 << 20, 24 << 20),
    }
}

impl<W: Write> Encoder<W> {
    pub fn new(compression: Compression, level: u32, inner: W) -> io::Result<Self> {
        Ok(match compression {
            Compression::Xz => {
                let (base, per_thread) = xz_memory(level);
                let reservation = crate::budget::reserve(base, per_thread);
                let stream = liblzma::stream::MtStreamBuilder::new()
                    .threads(reservation.threads)
                    .preset(level)
                    .check(liblzma::stream::Check::Crc64)
                    .encoder()
                    .map_err(io::Error::other)?;
                Encoder::Xz(liblzma::write::XzEncoder::new_stream(inner, stream), reservation)
            }
            Compression::Zstd => {
                let (base, per_thread) = zstd_memory(level);
                let reservation = crate::budget::reserve(base, per_thread);
                let mut encoder = zstd::stream::write::Encoder::new(inner, level as i32)?;
                encoder.multithread(reservation.threads)?;
                encoder.include_checksum(true)?;
                Encoder::Zstd(encoder, reservation)
            }
            Compression::Gzip => {
                // No file name and a zero timestamp in the header, like `gzip -n`.
                Encoder::Gzip(flate2::GzBuilder::new().mtime(0).write(inner, flate2::Compression::new(level)))
            }
            Compression::None => Encoder::None(inner),
        })
    }

    pub fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Xz(e, _) => e.finish(),
            Encoder::Zstd(e, _) => e.finish(),
            Encoder::Gzip(e) => e.finish(),
            Encoder::None(w) => Ok(w),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Xz(e, _) => e.write(buf),
            Encoder::Zstd(e, _) => e.write(buf),
            Encoder::Gzip(e) => e.write(buf),
            Encoder::None(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Xz(e, _) => e.flush(),
            Encoder::Zstd(e, _) => e.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::None(w) => w.flush(),
        }
    }
}

/// gzip with no name and a zero timestamp, like `gzip -9n`, so the bytes depend only on the input.
/// For small generated files (changelogs, man pages, .MTREE).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail")
}

/// The file-name suffix of a compressed member (`.xz`, …; empty for none).
pub fn extension(compression: Compression) -> &'static str {
    match compression {
        Compression::Xz => ".xz",
        Compression::Zstd => ".zst",
        Compression::Gzip => ".gz",
        Compression::None => "",
    }
}

/// A reader that decompresses whatever `name`'s suffix says. For reading packages back.
pub fn decoder<'a, R: io::Read + 'a>(name: &str, inner: R) -> io::Result<Box<dyn io::Read + 'a>> {
    Ok(if name.ends_with(".xz") {
        Box::new(liblzma::read::XzDecoder::new(inner))
    } else if name.ends_with(".zst") {
        Box::new(zstd::stream::read::Decoder::new(inner)?)
    } else if name.ends_with(".gz") {
        Box::new(flate2::read::GzDecoder::new(inner))
    } else {
        Box::new(inner)
    })
}
