//! Looking inside a packaged binary for signs of what it does (sd_notify, jemalloc, tokio), by
//! streaming it in chunks: binaries can be large and are never read whole.

use std::fs::File;
use std::io::Read;
use std::path::Path;

pub use crate::elf::{elf_linking, is_elf};

/// Which of `needles` occur in the file (false for every needle when it cannot be read).
pub fn contains(path: &Path, needles: &[&[u8]]) -> Vec<bool> {
    let mut found = vec![false; needles.len()];
    let Ok(mut file) = File::open(path) else { return found };
    let overlap = needles.iter().map(|n| n.len()).max().unwrap_or(1).saturating_sub(1);
    let mut buf = vec![0u8; (1 << 20) + overlap];
    let mut kept = 0;
    loop {
        let n = match file.read(&mut buf[kept..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let window = &buf[..kept + n];
        for (i, needle) in needles.iter().enumerate() {
            if !found[i] && window.windows(needle.len()).any(|w| w == *needle) {
                found[i] = true;
            }
        }
        if found.iter().all(|f| *f) {
            break;
        }
        kept = overlap.min(window.len());
        let start = window.len() - kept;
        buf.copy_within(start..start + kept, 0);
    }
    found
}

/// ELF or `#!`: something the kernel can execute.
pub fn is_executable_format(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok()
        && (&magic == b"\x7fELF" || magic.starts_with(b"#!"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_needles_across_chunk_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        let mut data = vec![b'x'; (1 << 20) - 3];
        data.extend_from_slice(b"NOTIFY_SOCKET");
        std::fs::write(&path, &data).unwrap();
        assert_eq!(contains(&path, &[b"NOTIFY_SOCKET", b"jemalloc"]), [true, false]);
    }
}
