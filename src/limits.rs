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
