//! Which units are enabled and started. cargo-deb enables and starts only the units its
//! `systemd-units` finds (dh_installsystemd); a unit installed as a plain asset is left alone, and
//! cargo-generate-rpm enables nothing. distpack enables every unit unless told otherwise, so a
//! unit no tool enabled gets `enable = false` and `start = false`, unless a systemd preset file
//! the project ships (`enable X.service`) says it is wanted. The preset file itself is not
//! installed: its lines become `[systemd.units]` settings, and distpack's .rpm writes its own.

use super::{Asset, Crate, FileKind, Merged, Note, file_name};

/// Directories systemd reads presets from.
const PRESET_DIRS: [&str; 3] =
    ["/usr/lib/systemd/system-preset/", "/lib/systemd/system-preset/", "/etc/systemd/system-preset/"];

/// One `enable`/`disable` line of a preset file.
#[derive(Debug)]
pub(super) struct Rule {
    enable: bool,
    pattern: glob::Pattern,
    line: String,
    file: String,
}

/// Take the preset files out of one tool's assets and read their rules (first match wins, as in
/// systemd).
pub(super) fn take_presets(files: &mut Vec<Asset>, krate: &Crate, notes: &mut Vec<Note>) -> Vec<Rule> {
    let mut rules = Vec::new();
    let mut kept = Vec::new();
    for asset in files.drain(..) {
        let is_preset = PRESET_DIRS.iter().any(|d| asset.dest.starts_with(d)) && asset.dest.ends_with(".preset");
        let Some(src) = asset.src.clone().filter(|_| is_preset && !asset.glob) else {
            kept.push(asset);
            continue;
        };
        let text = std::fs::read_to_string(krate.dir.join(&src)).unwrap_or_default();
        let mut carried = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with(['#', ';'])) {
            let mut words = line.split_whitespace();
            let (Some(verb @ ("enable" | "disable")), Some(unit)) = (words.next(), words.next()) else {
                notes.push(Note {
                    key: asset.origin.clone(),
                    message: format!("`{line}` in `{src}` is not carried: only `enable UNIT` and `disable UNIT` are"),
                });
                continue;
            };
            let Ok(pattern) = glob::Pattern::new(unit) else { continue };
            carried.push(line.to_string());
            rules.push(Rule { enable: verb == "enable", pattern, line: line.to_string(), file: src.clone() });
        }
        let message = format!(
            "the preset file `{src}` ({}) is not installed: its lines are carried as [systemd.units] settings \
             (`disable X` is enable = false, start = false), which distpack applies in every format",
            carried.join("; ")
        );
        // Both tools often install the same preset file: one note.
        if !notes.iter().any(|n| n.message == message) {
            notes.push(Note { key: asset.origin.clone(), message });
        }
    }
    *files = kept;
    rules
}

/// Settle `enable`/`start` of every unit in the merged files that no tool manages.
pub(super) fn apply(out: &mut Merged, managed: &[String], rules: &[Rule], notes: &mut Vec<Note>) {
    let mut seen = Vec::new();
    for file in out.files.iter().filter(|f| f.kind == FileKind::Unit) {
        let path = file.dest.as_deref().or(file.src.as_deref()).unwrap_or_default();
        let unit = file_name(path).to_string();
        if managed.contains(&unit) || seen.contains(&unit) {
            continue;
        }
        seen.push(unit.clone());
        let rule = rules.iter().find(|r| r.pattern.matches(&unit));
        let message = match rule {
            Some(r) if r.enable => continue,
            Some(r) => {
                format!("`{}` in `{}`: [systemd.units.\"{unit}\"] enable = false, start = false", r.line, r.file)
            }
            None => format!(
                "`{unit}` is installed as a plain file, which cargo-deb (only units of `systemd-units`) and \
                 cargo-generate-rpm neither enable nor start: written as [systemd.units.\"{unit}\"] enable = false, \
                 start = false; remove those lines to have distpack enable it"
            ),
        };
        notes.push(Note { key: file.origin.clone(), message });
        let options = out.units.entry(unit).or_default();
        for key in ["enable", "start"] {
            if !options.iter().any(|(k, _)| *k == key) {
                options.push((key, false));
            }
        }
    }
}

/// A directory a unit writes to (`ReadWritePaths=` under /var or /srv) that no file creates: the
/// tools' maintainer scripts made it (`mkdir`, `chown`), and those are not carried, so it becomes
/// a `[[directories]]` entry owned by the unit's `User=`/`Group=`.
pub(super) fn state_directories(out: &mut Merged, krate: &Crate, notes: &mut Vec<Note>) {
    let mut found: Vec<(String, Option<String>, Option<String>, String)> = Vec::new();
    for file in out.files.iter().filter(|f| f.kind == FileKind::Unit) {
        let Some(src) = &file.src else { continue };
        let Ok(text) = std::fs::read_to_string(krate.dir.join(src)) else { continue };
        let value =
            |key: &str| text.lines().rev().find_map(|l| l.trim().strip_prefix(key)).map(|v| v.trim().to_string());
        let (user, group) = (value("User="), value("Group="));
        let paths =
            text.lines().filter_map(|l| l.trim().strip_prefix("ReadWritePaths=")).flat_map(str::split_whitespace);
        for path in paths.filter(|p| p.starts_with("/var/lib/") || p.starts_with("/srv/")) {
            let path = path.trim_end_matches('/').to_string();
            let created =
                out.files.iter().any(|f| f.dest.as_deref().is_some_and(|d| d.starts_with(&format!("{path}/"))));
            if !created && !found.iter().any(|(p, ..)| *p == path) {
                found.push((path, user.clone(), group.clone(), file.origin.clone()));
            }
        }
    }
    for (path, owner, group, origin) in found {
        notes.push(Note {
            key: origin,
            message: format!(
                "the unit writes to `{path}` (ReadWritePaths=), which the tools' maintainer scripts create and no \
                 file does: written as [[directories]] path = \"{path}\"{}; set its mode if it is not 0755",
                owner.as_deref().map(|o| format!(", owner = \"{o}\"")).unwrap_or_default()
            ),
        });
        out.directories.push((path, owner.filter(|o| o != "root"), group.filter(|g| g != "root")));
    }
}
