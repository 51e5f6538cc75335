//! The tree's files: the publisher's lock, package files placed without ever overwriting other
//! bytes, and indices staged under temporary names and renamed into place in order.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Stored;
use crate::error::{Error, IoContext, Result};

/// distpack's own state in a tree: the lock and the index cache.
pub const STATE_DIR: &str = ".distpack";

/// An exclusive lock on the tree, held until dropped (the kernel releases it if the process dies,
/// so a killed publisher never leaves the tree locked).
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Wait up to `wait` seconds for another publisher to finish.
    pub fn acquire(dir: &Path, wait: u64) -> Result<Lock> {
        let state = dir.join(STATE_DIR);
        std::fs::create_dir_all(&state).io("cannot create", &state)?;
        let path = state.join("lock");
        let file = File::options().create(true).truncate(false).write(true).open(&path).io("cannot open", &path)?;
        let deadline = Instant::now() + Duration::from_secs(wait);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::invalid(
                        format!(
                            "another `distpack repo publish` is writing {} ({} is locked)",
                            dir.display(),
                            path.display()
                        ),
                        "wait for it to finish, or pass --wait SECONDS to wait for it",
                    ));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(e).io("cannot lock", &path),
            }
        }
    }
}

/// What `place` did with a package file.
pub enum Placed {
    /// Copied in, with its digests.
    New(Stored),
    /// The same bytes were already there under that name (digests of those bytes).
    Same(Stored),
}

/// Copy `source` to `root/path` (atomically: a temporary file renamed), hashing it on the way.
/// A different file already published under that name is an error naming both digests: a
/// client that cached the first would see a checksum mismatch.
pub fn place(source: &Path, root: &Path, path: &str) -> Result<Placed> {
    let dest = root.join(path);
    let stored = |digests: crate::digest::Digests| Stored {
        path: path.to_string(),
        size: digests.bytes,
        md5: digests.md5.unwrap_or_default(),
        sha1: digests.sha1.unwrap_or_default(),
        sha256: digests.sha256.unwrap_or_default(),
    };
    if dest.exists() {
        let ours = stored(crate::digest::of_file(source, true, true, true).io("cannot read", source)?);
        let there = crate::digest::of_file(&dest, false, false, true).io("cannot read", &dest)?;
        let (there, sha256) = (there.sha256.unwrap_or_default(), &ours.sha256);
        if &there == sha256 {
            return Ok(Placed::Same(ours));
        }
        return Err(Error::invalid(
            format!(
                "{} is already published with other bytes (published sha256 {there}, new {} sha256 {sha256})",
                dest.display(),
                source.display()
            ),
            "a published file never changes: give the new build another release number",
        ));
    }
    let dir = dest.parent().unwrap_or(root);
    std::fs::create_dir_all(dir).io("cannot create", dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).io("cannot create a temporary file in", dir)?;
    // Hashed on the copy's one read of the package.
    let file = std::fs::File::open(source).io("cannot read", source)?;
    let mut hashing = crate::digest::HashingReader::new(file, true, true).with_sha1();
    std::io::copy(&mut hashing, temp.as_file_mut()).io("cannot copy", source)?;
    set_readable(temp.path())?;
    temp.persist(&dest).map_err(|e| e.error).io("cannot write", &dest)?;
    Ok(Placed::New(stored(hashing.finish())))
}

/// Files a web server serves: 0644 (temporary files are created 0600).
fn set_readable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).io("cannot set permissions on", path)
}

/// Index files written under temporary names beside their destinations, renamed into place by
/// `commit` in the order they were staged: stage the file that signs or lists the others last.
pub struct Staging {
    root: PathBuf,
    pending: Vec<(tempfile::NamedTempFile, PathBuf)>,
}

impl Staging {
    pub fn new(root: &Path) -> Staging {
        Staging { root: root.to_path_buf(), pending: Vec::new() }
    }

    /// Stage `bytes` for `root/path` (`path` relative to the format's directory).
    pub fn write(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        let dest = self.root.join(path);
        let dir = dest.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir).io("cannot create", &dir)?;
        let mut temp = tempfile::NamedTempFile::new_in(&dir).io("cannot create a temporary file in", &dir)?;
        temp.write_all(bytes).io("cannot write", temp.path())?;
        temp.as_file().sync_all().io("cannot write", temp.path())?;
        set_readable(temp.path())?;
        self.pending.push((temp, dest));
        Ok(())
    }

    /// Rename every staged file into place, in order.
    pub fn commit(self) -> Result<()> {
        for (temp, dest) in self.pending {
            temp.persist(&dest).map_err(|e| e.error).io("cannot write", &dest)?;
        }
        Ok(())
    }
}

/// Write `bytes` to `path` atomically (a temporary file beside it, renamed), readable by all.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut staging = Staging::new(dir);
    staging.write(&path.file_name().unwrap_or_default().to_string_lossy(), bytes)?;
    staging.commit()
}
