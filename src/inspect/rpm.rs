//! Reading an .rpm back from its headers (the payload is not needed for the file list).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{Budget, InspectedFile, Inspection, MAX_CONTROL_BYTES, MAX_ENTRIES};
use crate::error::{Error, IoContext, Result};
use crate::formats::rpm::header::Parsed;
use crate::formats::rpm::tags::*;

/// The longest path read back (Linux's PATH_MAX).
const MAX_PATH: usize = 4096;

pub fn inspect(path: &Path) -> Result<Inspection> {
    let corrupt = |what: String| Error::invalid(format!("{}: {what}", path.display()), "the file is not a valid .rpm");
    let mut file = File::open(path).io("cannot open", path)?;
    let mut lead = [0u8; 96];
    file.read_exact(&mut lead).map_err(super::unreadable("the lead", path, "the file is not a valid .rpm"))?;
    if lead[..4] != [0xed, 0xab, 0xee, 0xdb] {
        return Err(corrupt("bad lead magic".into()));
    }
    // Only the headers are read, and no more than a bounded prefix: the payload is not needed.
    let mut rest = Vec::new();
    file.take(MAX_CONTROL_BYTES).read_to_end(&mut rest).io("cannot read", path)?;
    let sig = Parsed::parse(&rest).map_err(|e| corrupt(format!("signature header: {e}")))?;
    let main_start = sig.len.div_ceil(8) * 8;
    let main =
        Parsed::parse(rest.get(main_start..).unwrap_or(&[])).map_err(|e| corrupt(format!("main header: {e}")))?;

    let mut fields = Vec::new();
    for (name, tag) in [
        ("Name", NAME),
        ("Version", VERSION),
        ("Release", RELEASE),
        ("Arch", ARCH),
        ("Summary", SUMMARY),
        ("Description", DESCRIPTION),
        ("License", LICENSE),
        ("URL", URL),
        ("Vendor", VENDOR),
        ("Packager", PACKAGER),
        ("Group", GROUP),
        ("PayloadCompressor", PAYLOADCOMPRESSOR),
    ] {
        if let Some(v) = main.string(tag) {
            fields.push((name.to_string(), v));
        }
    }
    if let Some(epoch) = main.ints(EPOCH).first() {
        fields.insert(1, ("Epoch".into(), epoch.to_string()));
    }
    for (name, names_tag, flags_tag, versions_tag) in [
        ("Requires", REQUIRENAME, REQUIREFLAGS, REQUIREVERSION),
        ("Provides", PROVIDENAME, PROVIDEFLAGS, PROVIDEVERSION),
        ("Conflicts", CONFLICTNAME, CONFLICTFLAGS, CONFLICTVERSION),
        ("Obsoletes", OBSOLETENAME, OBSOLETEFLAGS, OBSOLETEVERSION),
        ("Recommends", RECOMMENDNAME, RECOMMENDFLAGS, RECOMMENDVERSION),
        ("Suggests", SUGGESTNAME, SUGGESTFLAGS, SUGGESTVERSION),
    ] {
        let (names, flags, versions) = (main.strings(names_tag), main.ints(flags_tag), main.strings(versions_tag));
        let deps: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let f = flags.get(i).copied().unwrap_or(0) as u32;
                let op = match f & (DEP_LESS | DEP_GREATER | DEP_EQUAL) {
                    x if x == DEP_LESS => "<",
                    x if x == DEP_LESS | DEP_EQUAL => "<=",
                    x if x == DEP_EQUAL => "=",
                    x if x == DEP_GREATER | DEP_EQUAL => ">=",
                    x if x == DEP_GREATER => ">",
                    _ => "",
                };
                match versions.get(i).filter(|v| !v.is_empty()) {
                    Some(v) if !op.is_empty() => format!("{n} {op} {v}"),
                    _ => n.clone(),
                }
            })
            .collect();
        if !deps.is_empty() {
            fields.push((name.to_string(), deps.join(", ")));
        }
    }

    let mut scripts = BTreeMap::new();
    for (name, tag) in [("pre", PREIN), ("post", POSTIN), ("preun", PREUN), ("postun", POSTUN)] {
        if let Some(body) = main.string(tag) {
            scripts.insert(name.to_string(), body);
        }
    }

    let (basenames, dirnames, dirindexes) = (main.strings(BASENAMES), main.strings(DIRNAMES), main.ints(DIRINDEXES));
    let (sizes, modes, flags) = (main.ints(FILESIZES), main.ints(FILEMODES), main.ints(FILEFLAGS));
    let (users, groups, links) = (main.strings(FILEUSERNAME), main.strings(FILEGROUPNAME), main.strings(FILELINKTOS));
    let mut files = Vec::new();
    let mut conffiles = Vec::new();
    let mut budget = Budget::default();
    if basenames.len() > MAX_ENTRIES {
        return Err(corrupt(format!("more than {MAX_ENTRIES} files")));
    }
    for (i, base) in basenames.iter().enumerate() {
        let dir = dirindexes
            .get(i)
            .and_then(|d| dirnames.get(*d as usize))
            .ok_or_else(|| corrupt(format!("file {i} has no directory")))?;
        // A directory name is shared by index: bound each path before building it.
        if dir.len() + base.len() > MAX_PATH {
            return Err(corrupt(format!("file {i} has a path of {} bytes, over {MAX_PATH}", dir.len() + base.len())));
        }
        let path = format!("{dir}{base}");
        let held = path.len() * if flags.get(i).is_some_and(|f| *f as u32 & FILE_CONFIG != 0) { 2 } else { 1 };
        budget
            .take(held + users.get(i).map_or(0, String::len) + groups.get(i).map_or(0, String::len) + 64, "the rpm")?;
        let mode = modes.get(i).copied().unwrap_or(0) as u32;
        let kind = match mode & 0o170000 {
            0o040000 => "dir",
            0o120000 => "symlink",
            0o100000 => "file",
            _ => "other",
        };
        if flags.get(i).is_some_and(|f| *f as u32 & FILE_CONFIG != 0) {
            conffiles.push(path.clone());
        }
        files.push(InspectedFile {
            path,
            kind,
            mode: mode & 0o7777,
            owner: users.get(i).cloned().unwrap_or_default(),
            group: groups.get(i).cloned().unwrap_or_default(),
            size: if kind == "symlink" {
                links.get(i).map(|l| l.len() as u64).unwrap_or(0)
            } else {
                sizes.get(i).copied().unwrap_or(0)
            },
            target: links.get(i).filter(|l| !l.is_empty()).cloned(),
        });
    }
    Ok(Inspection { format: "rpm", fields, conffiles, scripts, files })
}
