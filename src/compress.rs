//! Streaming compressors behind one type. xz and zstd always run their multithreaded encoders
//! (even with one thread) because their output then depends only on the level, not on the number
//! of cores: the same inputs give the same bytes on every machine.

use std::io::{self, Write};

use crate::manifest::Compression;

pub enum Encoder<W: Write> {
    Xz(liblzma::write::XzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
    Gzip(flate2::write::GzEncoder<W>),
    None(W),
}

/// Worker threads for compression: every core the machine has.
pub fn threads() -> u32 {
    std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1)
}

impl<W: Write> Encoder<W> {
    pub fn new(compression: Compression, level: u32, inner: W) -> io::Result<Self> {
        Ok(match compression {
            Compression::Xz => {
                let stream = liblzma::stream::MtStreamBuilder::new()
                    .threads(threads())
                    .preset(level)
                    .check(liblzma::stream::Check::Crc64)
                    .encoder()
                    .map_err(io::Error::other)?;
                Encoder::Xz(liblzma::write::XzEncoder::new_stream(inner, stream))
            }
            Compression::Zstd => {
                let mut encoder = zstd::stream::write::Encoder::new(inner, level as i32)?;
                encoder.multithread(threads())?;
                encoder.include_checksum(true)?;
                Encoder::Zstd(encoder)
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
            Encoder::Xz(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
            Encoder::Gzip(e) => e.finish(),
            Encoder::None(w) => Ok(w),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Xz(e) => e.write(buf),
            Encoder::Zstd(e) => e.write(buf),
            Encoder::Gzip(e) => e.write(buf),
            Encoder::None(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Xz(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
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
