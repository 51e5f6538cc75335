//! The `SplitDebug` step: binutils' objcopy, as dh_strip and makepkg run it, keeps a binary's
//! debug information in a file of its own and writes a stripped copy that names that file in a
//! `.gnu_debuglink` section. The source binary is left as it is.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{IoContext, Result};

/// The objcopy to run: `$OBJCOPY` (a cross binutils' `aarch64-linux-gnu-objcopy`, or
/// `llvm-objcopy`), else the host's.
fn objcopy() -> PathBuf {
    std::env::var_os("OBJCOPY").map_or_else(|| PathBuf::from("objcopy"), PathBuf::from)
}

/// Split `source` into `debug` (its debug sections) and `stripped` (the rest, linked to `debug`).
/// Each is written under a temporary name and renamed when complete.
pub(super) fn run(source: &Path, stripped: &Path, debug: &Path, log: &dyn Fn(&str)) -> Result<()> {
    log(&format!("splitting the debug symbols of {}", source.display()));
    if let Some(dir) = stripped.parent() {
        std::fs::create_dir_all(dir).io("cannot create", dir)?;
    }
    let temporary = |path: &Path| {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{}.tmp", std::process::id()));
        PathBuf::from(name)
    };
    let (debug_tmp, stripped_tmp) = (temporary(debug), temporary(stripped));
    run_objcopy(&[OsStr::new("--only-keep-debug"), source.as_os_str(), debug_tmp.as_os_str()])?;
    std::fs::rename(&debug_tmp, debug).io("cannot rename to", debug)?;
    // The link names the debug file by its file name and checksum, which it must have already.
    let mut link = OsString::from("--add-gnu-debuglink=");
    link.push(debug);
    let strip = [OsStr::new("--strip-debug"), OsStr::new("--strip-unneeded"), &link, source.as_os_str()];
    run_objcopy(&[&strip[..], &[stripped_tmp.as_os_str()]].concat())?;
    std::fs::rename(&stripped_tmp, stripped).io("cannot rename to", stripped)
}

fn run_objcopy(args: &[&OsStr]) -> Result<()> {
    let program = objcopy();
    let shown: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    crate::error::run_captured(
        Command::new(&program).args(args),
        format!("{} {}", program.display(), shown.join(" ")),
        "install binutils (apt-get install binutils, dnf install binutils, pacman -S binutils), set OBJCOPY to another objcopy, or remove debug-symbols = \"separate\"".into(),
        "for another architecture's binaries, set OBJCOPY to its binutils' objcopy (aarch64-linux-gnu-objcopy) or to llvm-objcopy".into(),
    )?;
    Ok(())
}
