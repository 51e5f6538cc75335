//! The build's share of the machine: how many threads (`--jobs`) and how much memory
//! (`--memory-limit`) the parallel formats and their compressors' threads may use together.
//!
//! Compressors reserve their memory before they start: as many threads as the remaining budget
//! holds (at least one), waiting while other formats hold it. xz and zstd always run their
//! multithreaded encoders, whose output does not depend on the thread count, so a smaller budget
//! costs time, never different bytes.

use std::sync::{Condvar, Mutex, OnceLock};

/// What a build may use.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub jobs: usize,
    pub memory: u64,
}

static BUDGET: OnceLock<Budget> = OnceLock::new();
/// Bytes reserved by running compressors.
static RESERVED: Mutex<u64> = Mutex::new(0);
static RELEASED: Condvar = Condvar::new();

/// Set the budget once, before anything is built; later calls keep the first.
pub fn set(budget: Budget) {
    let _ = BUDGET.set(budget);
}

/// The budget in force: `set`'s, else every core and the default memory share.
pub fn get() -> Budget {
    *BUDGET.get_or_init(|| Budget { jobs: cores(), memory: default_memory() })
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Half of the memory the kernel says is available (`MemAvailable`), at least 256 MiB; 1 GiB when
/// /proc/meminfo cannot be read.
pub fn default_memory() -> u64 {
    let available = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
    });
    available.map_or(1 << 30, |bytes| (bytes / 2).max(256 << 20))
}

/// Memory held by one compressor until dropped.
#[derive(Debug)]
pub struct Reservation {
    bytes: u64,
    pub threads: u32,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut reserved = RESERVED.lock().unwrap_or_else(|e| e.into_inner());
        *reserved -= self.bytes;
        RELEASED.notify_all();
    }
}

/// Reserve memory for a compressor that needs `base` bytes plus `per_thread` for each thread:
/// as many threads as fit (up to `--jobs`), waiting until at least one fits. A compressor that
/// needs more than the whole budget runs alone with one thread rather than never.
pub fn reserve(base: u64, per_thread: u64) -> Reservation {
    let budget = get();
    let mut reserved = RESERVED.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let free = budget.memory.saturating_sub(*reserved);
        let fitting = free.saturating_sub(base) / per_thread.max(1);
        let threads = fitting.min(budget.jobs as u64);
        if threads >= 1 || *reserved == 0 {
            let threads = threads.max(1) as u32;
            let bytes = base + per_thread * u64::from(threads);
            *reserved += bytes;
            return Reservation { bytes, threads };
        }
        reserved = RELEASED.wait(reserved).unwrap_or_else(|e| e.into_inner());
    }
}

/// `512M`, `2G`, `1.5G`, `800000000`: bytes. Suffixes are powers of 1024.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let not_a_size = || format!("`{text}` is not a size such as 512M or 2G");
    if number.trim().is_empty() {
        return Err(not_a_size());
    }
    let scale: u64 = match unit.to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("`{text}`: the unit must be K, M, G or T (powers of 1024)")),
    };
    let value: f64 = number.trim().parse().map_err(|_| not_a_size())?;
    if !value.is_finite() || value <= 0.0 {
        return Err(format!("`{text}` must be more than zero"));
    }
    Ok((value * scale as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("800000000"), Ok(800_000_000));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
    }
}
