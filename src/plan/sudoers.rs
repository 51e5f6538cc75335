//! sudo drop-ins (`kind = "sudoers"`): installed where sudo's `@includedir /etc/sudoers.d` reads
//! them, in the only shape it accepts, and parsed by visudo before they go into a package: a
//! sudoers file sudo cannot parse locks every user out of sudo, not just this rule.

use std::path::Path;
use std::process::Command;

use super::{PackageFile, Resolver, Source};
use crate::format::Format;
use crate::manifest::FileEntry;

/// The directory sudo's default configuration includes.
pub(super) const DIR: &str = "/etc/sudoers.d";

/// sudo ignores a drop-in that is group- or world-writable or not owned by root; Debian's and
/// Fedora's sudo packages install theirs 0440 root:root, and visudo writes that mode.
pub(super) const MODE: u32 = 0o440;

/// Whether the entry leaves mode and owner to this kind; reports each that it sets otherwise.
pub(super) fn entry_ok(r: &mut Resolver, entry: &FileEntry) -> bool {
    let mut ok = true;
    if let Some(mode) = entry.mode.as_ref().filter(|m| *m.get_ref() != MODE) {
        r.push(
            mode.span(),
            format!("a sudoers file is installed 0440, not {:04o}", mode.get_ref()),
            "other mode",
            "remove mode: drop-ins are 0440, as visudo and the distributions' sudo packages install them \
             (sudo ignores one that others can write)",
        );
        ok = false;
    }
    for (value, key) in [(&entry.owner, "owner"), (&entry.group, "group")] {
        if let Some(value) = value.as_ref().filter(|v| v.get_ref() != "root") {
            r.push(
                value.span(),
                format!("a sudoers file is owned by root, not {key} `{}`", value.get_ref().escape_default()),
                "not root",
                format!("remove {key}: sudo ignores a sudoers file not owned by root"),
            );
            ok = false;
        }
    }
    ok
}

/// Arch's sudo package creates the directory 0750 (Debian's 0755, which lintian expects; rpm
/// leaves it to sudo): an Arch package lists it the same way, or pacman warns that the
/// permissions differ.
pub(super) fn match_sudo_dir(format: Format, files: &mut [PackageFile]) {
    if !matches!(format, Format::Arch | Format::Pkgbuild) {
        return;
    }
    for dir in files.iter_mut().filter(|f| f.path == DIR && matches!(f.source, Source::Directory)) {
        dir.mode = 0o750;
    }
}

/// Why a sudoers file cannot be installed at `dest` from `source`: a place or name sudo does not
/// read, or a text visudo refuses. As (message, label, help).
pub(super) fn problem(dest: &str, source: &Source) -> Option<(String, &'static str, String)> {
    let (dir, name) = dest.rsplit_once('/').unwrap_or(("", dest));
    if dir != DIR {
        return Some((
            format!("sudo reads drop-ins from {DIR}/ only, not `{dest}`"),
            "not read by sudo",
            format!("remove dest, or set dest = \"{DIR}/NAME\""),
        ));
    }
    if name.contains('.') || name.ends_with('~') {
        let stem = name.split('.').next().unwrap_or("").trim_end_matches('~');
        let valid = if stem.is_empty() { "myservice" } else { stem };
        return Some((
            format!("sudo skips `{name}` in {DIR}: names with a `.` or ending in `~` are never read"),
            "skipped by sudo",
            format!("set dest = \"{DIR}/{valid}\" (letters, digits, - and _ are safe)"),
        ));
    }
    let Source::File { path } = source else { return None };
    let why = visudo(path)?;
    Some((
        format!("visudo refuses this sudoers file: {why}"),
        "invalid sudoers",
        "fix the file; `visudo -cf FILE` checks it".into(),
    ))
}

/// visudo's complaint about the sudoers file at `path`, if it has one. Without visudo nothing can
/// be said; that is logged (once), never taken to mean the file is valid.
fn visudo(path: &Path) -> Option<String> {
    static MISSING: std::sync::Once = std::sync::Once::new();
    let output = match Command::new("visudo").arg("-c").arg("-f").arg(path).output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            MISSING.call_once(|| {
                crate::progress::info("visudo is not on PATH: sudoers files are packaged unchecked (install sudo)")
            });
            return None;
        }
        Err(e) => return Some(format!("cannot run visudo: {e}")),
    };
    if output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let text = if text.trim().is_empty() { String::from_utf8_lossy(&output.stdout) } else { text };
    Some(text.trim_end().to_string())
}
