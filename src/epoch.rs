//! The timestamp written into every archive entry, so that builds are reproducible.

use std::path::Path;
use std::process::Command;

use crate::error::{Error, Result};

/// Used when neither `SOURCE_DATE_EPOCH` nor a git commit gives a time: 2020-01-01T00:00:00Z.
pub const FALLBACK: u64 = 1_577_836_800;

/// `SOURCE_DATE_EPOCH` if set, else the time of the last git commit of `root`, else [`FALLBACK`].
pub fn source_date_epoch(root: &Path) -> Result<u64> {
    if let Ok(value) = std::env::var("SOURCE_DATE_EPOCH") {
        return value.trim().parse().map_err(|_| {
            Error::invalid(
                format!("SOURCE_DATE_EPOCH=`{value}` is not a number of seconds"),
                "set it to a Unix time, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
            )
        });
    }
    let from_git = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["log", "-1", "--format=%ct"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok());
    Ok(from_git.unwrap_or(FALLBACK))
}
