//! Artifacts are written to a temporary file beside their final name and renamed when complete, so
//! an interrupted build never leaves half a package and never replaces a good one with a broken one.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};

/// Temporary files being written right now. A signal that ends distpack runs no destructor, so
/// `clean_up_on_signals` removes these itself before exiting.
static TEMPORARIES: std::sync::Mutex<std::collections::BTreeSet<PathBuf>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

fn temporaries() -> std::sync::MutexGuard<'static, std::collections::BTreeSet<PathBuf>> {
    TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Unregisters a temporary file when it is renamed into place or dropped (which deletes it).
struct Registered(PathBuf);

impl Drop for Registered {
    fn drop(&mut self) {
        temporaries().remove(&self.0);
    }
}

/// From now on, SIGINT, SIGTERM and SIGHUP remove the temporary files being written and end
/// distpack with 128 + the signal's number, as the signal would have. An interrupted build then
/// leaves no hidden `.NAME.XXXX.tmp` behind (a finished artifact is always complete: it is
/// renamed into place only once written). Uses `signal-hook`, whose handler only wakes a thread;
/// the files are removed on that thread.
pub fn clean_up_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Held until exit: no new temporary file is created meanwhile.
                let temporaries = temporaries();
                for path in temporaries.iter() {
                    let _ = fs::remove_file(path);
                }
                std::process::exit(128 + signal);
            }
        });
    });
}

pub use crate::error::write_help;

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
    let (mut temp, _registered) = {
        // Created and registered under the lock, so a signal cannot fall between the two.
        let mut live = temporaries();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .io("cannot create a temporary file in", dir)?;
        live.insert(temp.path().to_path_buf());
        let registered = Registered(temp.path().to_path_buf());
        (temp, registered)
    };
    write(temp.as_file_mut())?;
    let file = temp.as_file();
    file.set_permissions(fs::Permissions::from_mode(0o644)).io("cannot set permissions on", temp.path())?;
    file.sync_all().io("cannot flush", temp.path())?;
    temp.persist(&final_path).map_err(|e| e.error).io("cannot rename into place", &final_path)?;
    Ok(final_path)
}
