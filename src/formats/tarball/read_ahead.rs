//! Reading a payload's small files ahead of the archive writer. A tree of tens of thousands of
//! web assets or docs costs an open, a read and a close per file, and their hashes: done one file
//! at a time on the writer's thread, the writer waits on each. Here a reader thread reads and
//! hashes batches of them on every core while the writer archives the batch before, in the plan's
//! order, so the archive is the same bytes either way. The reading runs in a pool of its own, not
//! rayon's global one that runs the formats: a writer blocks on its reader outside rayon's
//! knowledge, and formats written on every global thread at once would leave none to read.
//!
//! Memory stays flat in the file count: at most three batches (one being read, one queued, one
//! being written) of at most `BATCH_BYTES` each are held. Large files are not read ahead; they
//! stream through the writer as before.

use std::fs::File;
use std::io::Read;
use std::sync::{OnceLock, mpsc};

use rayon::prelude::*;

use crate::digest::{Digests, HashingReader};
use crate::error::Result;
use crate::plan::{PackageFile, Source};

/// Files larger than this stream through the writer instead.
const MAX_FILE: u64 = 1 << 20;
/// What one batch holds at most: bytes of content, and files.
const BATCH_BYTES: u64 = 2 << 20;
const BATCH_FILES: usize = 256;

/// A file's content and digests, read ahead.
pub struct Loaded {
    pub bytes: Vec<u8>,
    pub digests: Digests,
}

/// Call `write` with each batch of `files`, in order, and what was read ahead for each of its files
/// (None for a file that is not a small regular file, or that could not be read as planned: the
/// writer reads it itself and reports what is wrong in its own words).
pub fn each_batch(
    files: &[PackageFile],
    md5: bool,
    sha256: bool,
    mut write: impl FnMut(&[PackageFile], Vec<Option<Loaded>>) -> Result<()>,
) -> Result<()> {
    let batches = batches(files);
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::sync_channel(1);
        let ranges = batches.clone();
        scope.spawn(move || {
            for range in ranges {
                let loaded: Vec<Option<Loaded>> =
                    pool().install(|| files[range].par_iter().map(|f| load(f, md5, sha256)).collect());
                // The writer stopped (an error): stop reading.
                if sender.send(loaded).is_err() {
                    break;
                }
            }
        });
        for (range, loaded) in batches.into_iter().zip(receiver) {
            write(&files[range], loaded)?;
        }
        Ok(())
    })
}

/// The readers' threads, as many as `--jobs` allows, shared by every format's reader.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = crate::budget::get().jobs;
        let build =
            |n| rayon::ThreadPoolBuilder::new().num_threads(n).thread_name(|i| format!("read-ahead-{i}")).build();
        build(threads).or_else(|_| build(1)).expect("a thread for reading ahead")
    })
}

/// `files` cut into consecutive ranges of at most `BATCH_FILES` files and `BATCH_BYTES` of small
/// files' content.
fn batches(files: &[PackageFile]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, file) in files.iter().enumerate() {
        let size = if small(file) { file.size } else { 0 };
        if i > start && (i - start == BATCH_FILES || bytes + size > BATCH_BYTES) {
            ranges.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < files.len() {
        ranges.push(start..files.len());
    }
    ranges
}

fn small(file: &PackageFile) -> bool {
    matches!(file.source, Source::File { .. }) && file.size <= MAX_FILE
}

fn load(file: &PackageFile, md5: bool, sha256: bool) -> Option<Loaded> {
    let Source::File { path } = &file.source else { return None };
    if !small(file) {
        return None;
    }
    let mut bytes = Vec::with_capacity(file.size as usize);
    // One byte more than planned, to see a file that grew.
    let mut reader = HashingReader::new(File::open(path).ok()?.take(file.size + 1), md5, sha256);
    reader.read_to_end(&mut bytes).ok()?;
    let digests = reader.finish();
    (digests.bytes == file.size).then_some(Loaded { bytes, digests })
}
