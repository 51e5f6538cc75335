//! Artifacts are written to a temporary file beside their final name and renamed when complete, so
//! an interrupted build never leaves half a package and never replaces a good one with a broken one.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};

/// Several small files into `dir` (created when missing), each written atomically.
pub fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    use std::io::Write;
    fs::create_dir_all(dir).io("cannot create", dir)?;
    for (name, bytes) in files {
        write_atomically(dir, name, |f| f.write_all(bytes).io("cannot write", &dir.join(name)))?;
    }
    Ok(())
}

/// Write `name` in `dir` through a temporary file renamed into place. `name` may name a
/// subdirectory (`x86_64/foo-1.0-r0.apk`, where Alpine puts each architecture's packages), which
/// is created.
pub fn write_atomically(dir: &Path, name: &str, write: impl FnOnce(&mut File) -> Result<()>) -> Result<PathBuf> {
    let final_path = dir.join(name);
    let (dir, name) = match (final_path.parent(), final_path.file_name()) {
        (Some(parent), Some(file)) => (parent, file.to_string_lossy().into_owned()),
        _ => (dir, name.to_string()),
    };
    fs::create_dir_all(dir).io("cannot create output directory", dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .io("cannot create a temporary file in", dir)?;
    write(temp.as_file_mut())?;
    let file = temp.as_file();
    file.set_permissions(fs::Permissions::from_mode(0o644)).io("cannot set permissions on", temp.path())?;
    file.sync_all().io("cannot flush", temp.path())?;
    temp.persist(&final_path).map_err(|e| e.error).io("cannot rename into place", &final_path)?;
    Ok(final_path)
}
