//! The tree's files: the publisher's lock, package files placed without ever overwriting other
//! bytes, and the directories of indices staged as copies and exchanged with the served ones.

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

/// The directories of a format whose files change together (a suite's Release and the indices it
/// lists, a database and its signature), rebuilt as copies in `.distpack/staging/` and exchanged
/// with the served ones in one rename each: a publisher killed at any moment leaves every directory
/// wholly old or wholly new, never an index beside a signature of other bytes.
///
/// A copy starts as hard links to the served files; writes replace links (a temporary file renamed
/// over them) and never write through them, so the served bytes do not change until the exchange.
pub struct Staging {
    tree: PathBuf,
    root: PathBuf,
    state: PathBuf,
    switches: Vec<Switch>,
}

struct Switch {
    /// Below the format's root, as the format names it (`dists/stable`, `repodata`, `x86_64`).
    rel: String,
    live: PathBuf,
    new: PathBuf,
    old: PathBuf,
}

impl Staging {
    /// Staging for the format directory `root` of the tree `tree`. What a killed publisher left in
    /// `.distpack/staging` is settled first: a served directory it had moved aside and not yet
    /// replaced is put back, and its unfinished copies are removed (the caller holds the lock).
    pub fn new(tree: &Path, root: &Path) -> Result<Staging> {
        let state = tree.join(STATE_DIR).join("staging");
        recover(tree, &state)?;
        let new = state.join("new");
        if new.exists() {
            std::fs::remove_dir_all(&new).io("cannot remove", &new)?;
        }
        Ok(Staging { tree: tree.to_path_buf(), root: root.to_path_buf(), state, switches: Vec::new() })
    }

    /// The copy of the directory `rel` (below the format's root) that `commit` puts in its place,
    /// made on first use; where the format writes and removes the directory's files.
    pub fn switch(&mut self, rel: &str) -> Result<PathBuf> {
        if let Some(s) = self.switches.iter().find(|s| s.rel == rel) {
            return Ok(s.new.clone());
        }
        let live = self.root.join(rel);
        let name = encode(&live.strip_prefix(&self.tree).unwrap_or(&live).to_string_lossy());
        let (new, old) = (self.state.join("new").join(&name), self.state.join("old").join(&name));
        std::fs::create_dir_all(new.parent().unwrap_or(&self.state)).io("cannot create", &self.state)?;
        if live.is_dir() {
            link_tree(&live, &new)?;
        } else {
            std::fs::create_dir(&new).io("cannot create", &new)?;
        }
        self.switches.push(Switch { rel: rel.to_string(), live, new: new.clone(), old });
        Ok(new)
    }

    /// Stage `bytes` for `path` below the format's root, in the copy of the switched directory
    /// that holds it.
    pub fn write(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        let Some(s) = self.switches.iter().find(|s| path.strip_prefix(&s.rel).is_some_and(|r| r.starts_with('/')))
        else {
            return Err(Error::invalid(
                format!("{path} is staged outside every switched directory"),
                "this is a bug in distpack",
            ));
        };
        write_atomic(&s.new.join(&path[s.rel.len() + 1..]), bytes)
    }

    /// Put every copy in place of its served directory, in the order they were switched.
    pub fn commit(self) -> Result<()> {
        for s in &self.switches {
            sync_dirs(&s.new)?;
            exchange(s)?;
        }
        Ok(())
    }
}

/// One copy in place of its served directory. `renameat2(RENAME_EXCHANGE)` swaps the two in one
/// step; where the file system has no exchange (NFS, say), the served directory is moved aside
/// first, and a publisher killed between the two renames is settled by the next (`recover`).
fn exchange(s: &Switch) -> Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    if !s.live.exists() {
        std::fs::create_dir_all(s.live.parent().unwrap_or(&s.live)).io("cannot create", &s.live)?;
        return std::fs::rename(&s.new, &s.live).io("cannot write", &s.live);
    }
    match renameat_with(CWD, &s.new, CWD, &s.live, RenameFlags::EXCHANGE) {
        // The copy's name now holds the directory that was served.
        Ok(()) => std::fs::remove_dir_all(&s.new).io("cannot remove", &s.new),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => replace_in_two_steps(s),
        Err(e) => Err(std::io::Error::from(e)).io("cannot write", &s.live),
    }
}

fn replace_in_two_steps(s: &Switch) -> Result<()> {
    std::fs::create_dir_all(s.old.parent().unwrap_or(&s.old)).io("cannot create", &s.old)?;
    std::fs::rename(&s.live, &s.old).io("cannot move aside", &s.live)?;
    std::fs::rename(&s.new, &s.live).io("cannot write", &s.live)?;
    std::fs::remove_dir_all(&s.old).io("cannot remove", &s.old)
}

/// Settle a publisher killed inside `exchange`'s fallback: a served directory moved aside and not
/// replaced is put back (the tree is then as before that publish); one replaced is dropped.
fn recover(tree: &Path, state: &Path) -> Result<()> {
    let old = state.join("old");
    let Ok(listing) = std::fs::read_dir(&old) else { return Ok(()) };
    for entry in listing {
        let entry = entry.io("cannot read", &old)?;
        let live = tree.join(decode(&entry.file_name().to_string_lossy()));
        if live.exists() {
            std::fs::remove_dir_all(entry.path()).io("cannot remove", &entry.path())?;
        } else {
            std::fs::rename(entry.path(), &live).io("cannot restore", &live)?;
        }
    }
    Ok(())
}

/// A path below the tree as one file name (`/` is `%2F`), so that copies of nested directories
/// (`deb/dists/stable`) sit side by side.
fn encode(rel: &str) -> String {
    rel.replace('%', "%25").replace('/', "%2F")
}

fn decode(name: &str) -> String {
    name.replace("%2F", "/").replace("%25", "%")
}

/// `to` made as a copy of the directory `from`: its directories created with their modes, its
/// files hard-linked (copied where the file system has no links), its symbolic links recreated.
fn link_tree(from: &Path, to: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in walkdir::WalkDir::new(from).follow_links(false) {
        let entry = entry.map_err(std::io::Error::from).io("cannot read", from)?;
        let dest = to.join(entry.path().strip_prefix(from).unwrap_or(entry.path()));
        let kind = entry.file_type();
        if kind.is_dir() {
            std::fs::create_dir(&dest).io("cannot create", &dest)?;
            let mode = entry.metadata().map_err(std::io::Error::from).io("cannot read", entry.path())?.permissions();
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(mode.mode())).io("cannot set", &dest)?;
        } else if kind.is_symlink() {
            let target = std::fs::read_link(entry.path()).io("cannot read", entry.path())?;
            std::os::unix::fs::symlink(target, &dest).io("cannot create", &dest)?;
        } else if std::fs::hard_link(entry.path(), &dest).is_err() {
            std::fs::copy(entry.path(), &dest).io("cannot copy", entry.path())?;
        }
    }
    Ok(())
}

/// Every directory of the copy on disk before it is served: the exchange must not outlive the
/// entries it makes visible.
fn sync_dirs(dir: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(dir).into_iter().filter_map(|e| e.ok()).filter(|e| e.file_type().is_dir()) {
        File::open(entry.path()).and_then(|f| f.sync_all()).io("cannot sync", entry.path())?;
    }
    Ok(())
}

/// Write `bytes` to `path` atomically (a temporary file beside it, renamed), readable by all.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).io("cannot create", dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).io("cannot create a temporary file in", dir)?;
    temp.write_all(bytes).io("cannot write", temp.path())?;
    temp.as_file().sync_all().io("cannot write", temp.path())?;
    set_readable(temp.path())?;
    temp.persist(path).map_err(|e| e.error).io("cannot write", path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_with_suite() -> (tempfile::TempDir, PathBuf) {
        let tree = tempfile::tempdir().unwrap();
        let root = tree.path().join("deb");
        std::fs::create_dir_all(root.join("dists/stable/main")).unwrap();
        std::fs::write(root.join("dists/stable/Release"), "old").unwrap();
        std::fs::write(root.join("dists/stable/main/Packages"), "old").unwrap();
        (tree, root)
    }

    /// Staging of the tree's suite, with `bytes` staged for `path` in its copy.
    fn staged(path: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf, Staging) {
        let (tree, root) = tree_with_suite();
        let mut staging = Staging::new(tree.path(), &root).unwrap();
        staging.switch("dists/stable").unwrap();
        staging.write(path, bytes).unwrap();
        (tree, root, staging)
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn served_files_keep_their_bytes_until_the_commit_then_change_together() {
        let (tree, root, staging) = staged("dists/stable/Release", b"new");
        // A hard-linked copy is replaced, never written through.
        assert_eq!(read(&root.join("dists/stable/Release")), "old");
        staging.commit().unwrap();
        assert_eq!(read(&root.join("dists/stable/Release")), "new");
        assert_eq!(read(&root.join("dists/stable/main/Packages")), "old", "unwritten files are kept");
        let state = tree.path().join(STATE_DIR).join("staging");
        assert_eq!(std::fs::read_dir(state.join("new")).unwrap().count(), 0, "no copy is left");
    }

    #[test]
    fn the_two_step_replacement_gives_the_same_tree() {
        let (_tree, root, staging) = staged("dists/stable/main/Packages", b"new");
        replace_in_two_steps(&staging.switches[0]).unwrap();
        assert_eq!(read(&root.join("dists/stable/main/Packages")), "new");
        assert_eq!(read(&root.join("dists/stable/Release")), "old");
    }

    /// Killed between moving the served directory aside and putting the copy in its place: the
    /// next publisher's staging puts the served one back and drops the unfinished copy.
    #[test]
    fn a_directory_moved_aside_by_a_killed_publisher_is_put_back() {
        let (tree, root, staging) = staged("dists/stable/Release", b"new");
        let s = &staging.switches[0];
        std::fs::create_dir_all(s.old.parent().unwrap()).unwrap();
        std::fs::rename(&s.live, &s.old).unwrap();
        assert!(!root.join("dists/stable").exists());
        drop(staging);

        let staging = Staging::new(tree.path(), &root).unwrap();
        assert_eq!(read(&root.join("dists/stable/Release")), "old");
        assert_eq!(read(&root.join("dists/stable/main/Packages")), "old");
        let state = tree.path().join(STATE_DIR).join("staging");
        assert!(!state.join("new").exists() && std::fs::read_dir(state.join("old")).unwrap().count() == 0);
        drop(staging);
    }

    #[test]
    fn a_write_outside_every_switched_directory_is_a_bug_not_a_write() {
        let (tree, root) = tree_with_suite();
        let mut staging = Staging::new(tree.path(), &root).unwrap();
        staging.switch("dists/stable").unwrap();
        assert!(staging.write("dists/stablex/Release", b"x").is_err());
        assert!(staging.write("pool/x", b"x").is_err());
        assert!(!root.join("pool").exists());
    }
}
