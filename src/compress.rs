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

/// A filter xz runs in front of LZMA2 on machine code (`xz --x86`): relative branch targets
/// become absolute, so the same call target repeats as the same bytes. On x86-64 binaries it
/// gives smaller output for about the same CPU (librustc_driver's .deb: 1.2% smaller); every xz
/// decoder since liblzma 5.0 (2010) reads it, dpkg, rpm and libarchive included. At the default
/// level that gain is spent on speed (see `X86_DEFAULT_NICE_LEN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BranchFilter {
    X86,
}

/// The default xz level, where a filtered x86 payload gets a shorter match search.
pub const XZ_DEFAULT_LEVEL: u32 = 6;

/// LZMA2's "nice length" at the default level behind the x86 filter: 32 (preset 5's) instead of
/// preset 6's 64, so the match finder stops searching sooner. The filter's gain pays for it: on
/// machine code the output stays at or below plain `xz -6`'s size (librustc_driver: 0.996×; ten
/// other x86-64 programs and libraries: 0.89–0.995×) for about 15% less CPU (interleaved
/// `xz -T1` runs on two 24 MiB pieces of it: 0.81–0.88×), which is
/// `xz --x86 --lzma2=preset=6,nice=32`. Bytes that are not code pay up to about 1% in size.
/// Other levels are xz's presets unchanged, so a level chosen for the smallest output (7–9)
/// keeps its full search.
const X86_DEFAULT_NICE_LEN: u32 = 32;

/// The xz filter chain: the branch filter, if any, then LZMA2 at `preset`.
fn xz_filters(preset: u32, branch: Option<BranchFilter>) -> io::Result<liblzma::stream::Filters> {
    let mut lzma2 = liblzma::stream::LzmaOptions::new_preset(preset).map_err(io::Error::other)?;
    let mut filters = liblzma::stream::Filters::new();
    if let Some(BranchFilter::X86) = branch {
        filters.x86();
        if preset == XZ_DEFAULT_LEVEL {
            lzma2.nice_len(X86_DEFAULT_NICE_LEN);
        }
    }
    filters.lzma2(&lzma2);
    Ok(filters)
}

/// What the writer knows of the bytes it will compress, from the plan: they shape xz's stream,
/// never the thread count, so the output is the same on every machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Payload {
    pub branch_filter: Option<BranchFilter>,
    /// About how many bytes will go in (0: unknown).
    pub size: u64,
}

/// xz's block size for `size` bytes at `preset`. liblzma cuts blocks of 3 × the dictionary, so a
/// 146.5 MiB payload at -6 is six 24 MiB blocks and a 2.5 MiB one, which one thread compresses
/// while the others wait. Here the payload is cut into as many blocks (rounded) of equal size,
/// within a few percent of liblzma's, so every thread has a full block to the end.
fn xz_block_size(preset: u32, size: u64) -> Option<u64> {
    // The presets' dictionary sizes (xz(1)), and liblzma's rule: 3 × the dictionary, at least 1 MiB.
    const DICT_KIB: [u64; 10] =
        [256, 1 << 10, 2 << 10, 4 << 10, 4 << 10, 8 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10];
    let dict = DICT_KIB.get(preset as usize).copied().unwrap_or(8 << 10) << 10;
    let default = (3 * dict).max(1 << 20);
    if size <= default {
        return None;
    }
    let blocks = ((size + default / 2) / default).max(1);
    Some(size.div_ceil(blocks).next_multiple_of(64 << 10))
}

/// xz's multithreaded encoder for these filters and threads.
fn xz_builder(preset: u32, payload: Payload, threads: u32) -> io::Result<liblzma::stream::MtStreamBuilder> {
    let mut builder = liblzma::stream::MtStreamBuilder::new();
    builder.threads(threads).filters(xz_filters(preset, payload.branch_filter)?).check(liblzma::stream::Check::Crc64);
    if let Some(block_size) = xz_block_size(preset, payload.size) {
        builder.block_size(block_size);
    }
    Ok(builder)
}

/// xz's memory at `preset`: (base, per thread), from liblzma's own estimate.
fn xz_memory(preset: u32, payload: Payload) -> io::Result<(u64, u64)> {
    let usage = |threads| xz_builder(preset, payload, threads).map(|b| b.memusage());
    let (one, two) = (usage(1)?, usage(2)?);
    let per_thread = two.saturating_sub(one).max(1);
    Ok((one.saturating_sub(per_thread), per_thread))
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
        Self::for_payload(compression, level, Payload::default(), inner)
    }

    /// `new`, for a payload the plan knows (xz's filter and block size; see `Payload`).
    pub fn for_payload(compression: Compression, level: u32, payload: Payload, inner: W) -> io::Result<Self> {
        Ok(match compression {
            Compression::Xz => {
                let (base, per_thread) = xz_memory(level, payload)?;
                let reservation = crate::budget::reserve(base, per_thread);
                let stream = xz_builder(level, payload, reservation.threads)?.encoder().map_err(io::Error::other)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xz_blocks_are_equal_and_near_liblzmas_size() {
        const MIB: u64 = 1 << 20;
        // Small payloads keep liblzma's own blocks.
        assert_eq!(xz_block_size(6, 24 * MIB), None);
        // 146.5 MiB at -6: six equal blocks of about 24.4 MiB instead of 6 × 24 + 2.5.
        let block = xz_block_size(6, 153_628_160).unwrap();
        assert_eq!(153_628_160_u64.div_ceil(block), 6);
        assert!(block.abs_diff(24 * MIB) < MIB, "{block}");
        // 35 MiB at -6 rounds to one block; 40 MiB to two of 20 MiB.
        assert_eq!((35 * MIB).div_ceil(xz_block_size(6, 35 * MIB).unwrap()), 1);
        assert_eq!(xz_block_size(6, 40 * MIB), Some(20 * MIB));
        // -0's dictionary is 256 KiB, its blocks 1 MiB.
        assert_eq!(xz_block_size(0, 10 * MIB), Some(MIB));
    }
}
