//! What primary.xml, filelists.xml and other.xml say of a package, read from its headers as
//! createrepo_c reads them (`parsehdr.c`): the payload is never opened.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::formats::rpm::header::Parsed;
use crate::formats::rpm::tags::*;

/// Headers larger than this are refused: real ones are a few MiB at most.
const MAX_HEADERS: u64 = 64 << 20;
const MAX_FILES: usize = 1_000_000;
const MAX_PATH: usize = 4096;
/// Bytes of paths a file list may add up to: directory names are shared by index, so a small
/// hostile header could otherwise name a million long paths.
const MAX_PATH_BYTES: usize = 128 << 20;
/// Changelog entries kept (createrepo_c's default `--changelog-limit` is unlimited for other.xml,
/// but a hostile package must not fill it; distributions keep a handful).
const MAX_CHANGELOGS: usize = 100;

const SIG_LONGARCHIVESIZE: u32 = 271;
const LONGSIZE: u32 = 5009;
const SUPPLEMENTNAME: u32 = 5052;
const SUPPLEMENTVERSION: u32 = 5053;
const SUPPLEMENTFLAGS: u32 = 5054;
const ENHANCENAME: u32 = 5055;
const ENHANCEVERSION: u32 = 5056;
const ENHANCEFLAGS: u32 = 5057;
const SOURCEPACKAGE: u32 = 1106;
const DEP_PREREQ: u32 = 1 << 6;
const FILE_GHOST: u32 = 1 << 6;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub arch: String,
    pub epoch: u64,
    pub version: String,
    pub release: String,
    pub summary: String,
    pub description: String,
    pub packager: String,
    pub url: String,
    pub build_time: u64,
    pub installed_size: u64,
    pub archive_size: u64,
    pub license: String,
    pub vendor: String,
    pub group: String,
    pub buildhost: String,
    pub sourcerpm: String,
    /// Where the main header lies in the file (dnf's `--header` downloads read just that).
    pub header_start: u64,
    pub header_end: u64,
    pub deps: Deps,
    pub files: Vec<FileEntry>,
    pub changelogs: Vec<Changelog>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Deps {
    pub provides: Vec<Dep>,
    pub requires: Vec<Dep>,
    pub conflicts: Vec<Dep>,
    pub obsoletes: Vec<Dep>,
    pub suggests: Vec<Dep>,
    pub enhances: Vec<Dep>,
    pub recommends: Vec<Dep>,
    pub supplements: Vec<Dep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dep {
    pub name: String,
    /// `EQ`, `LT`, `GT`, `LE`, `GE`; none for an unversioned dependency.
    pub flags: Option<String>,
    pub epoch: Option<String>,
    pub ver: Option<String>,
    pub rel: Option<String>,
    /// A requirement of the install scripts (dnf orders the transaction by it).
    pub pre: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    /// `dir`, `ghost`, or empty for any other file.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changelog {
    pub author: String,
    pub date: u64,
    pub text: String,
}

/// Files primary.xml lists (createrepo_c's `cr_is_primary`): what dependencies on paths name.
pub fn is_primary(path: &str) -> bool {
    path.starts_with("/etc/") || path.contains("bin/") || path == "/usr/lib/sendmail"
}

fn corrupt(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{}: {what}", path.display()), "the file is not a valid .rpm")
}

/// Read the package's lead and both headers (bounded), and the entry they describe.
pub fn read(path: &Path) -> Result<Entry> {
    let mut file = File::open(path).io("cannot open", path)?;
    let mut lead = [0u8; 96];
    file.read_exact(&mut lead).map_err(|_| corrupt(path, "shorter than an rpm lead"))?;
    if lead[..4] != [0xed, 0xab, 0xee, 0xdb] {
        return Err(corrupt(path, "bad lead magic"));
    }
    let mut rest = Vec::new();
    file.take(MAX_HEADERS).read_to_end(&mut rest).io("cannot read", path)?;
    let sig = Parsed::parse(&rest).map_err(|e| corrupt(path, format!("signature header: {e}")))?;
    // The signature header is padded to 8 bytes; the main header follows (createrepo_c's
    // `cr_get_header_byte_range`).
    let main_start = sig.len.div_ceil(8) * 8;
    let main =
        Parsed::parse(rest.get(main_start..).unwrap_or(&[])).map_err(|e| corrupt(path, format!("main header: {e}")))?;
    let header_start = 96 + main_start as u64;
    let name = main.string(NAME).filter(|n| !n.is_empty()).ok_or_else(|| corrupt(path, "no package name"))?;
    let arch = if main.entries.contains_key(&SOURCEPACKAGE) { "src".into() } else { text(&main, ARCH) };
    let files = files(&main, path)?;
    Ok(Entry {
        name,
        arch,
        epoch: main.ints(EPOCH).first().copied().unwrap_or(0),
        version: text(&main, VERSION),
        release: text(&main, RELEASE),
        summary: text(&main, SUMMARY),
        description: text(&main, DESCRIPTION),
        packager: text(&main, PACKAGER),
        url: text(&main, URL),
        build_time: main.ints(BUILDTIME).first().copied().unwrap_or(0),
        installed_size: number(&main, &[LONGSIZE, SIZE]),
        archive_size: number(&sig, &[SIG_LONGARCHIVESIZE, SIG_PAYLOADSIZE]),
        license: text(&main, LICENSE),
        vendor: text(&main, VENDOR),
        group: text(&main, GROUP),
        buildhost: text(&main, BUILDHOST),
        sourcerpm: text(&main, SOURCERPM),
        header_start,
        header_end: header_start + main.len as u64,
        deps: deps(&main, &files),
        files,
        changelogs: changelogs(&main),
    })
}

fn text(header: &Parsed, tag: u32) -> String {
    header.string(tag).unwrap_or_default()
}

fn number(header: &Parsed, tags: &[u32]) -> u64 {
    tags.iter().find_map(|t| header.ints(*t).first().copied()).unwrap_or(0)
}

fn files(main: &Parsed, path: &Path) -> Result<Vec<FileEntry>> {
    let (basenames, dirnames, dirindexes) = (main.strings(BASENAMES), main.strings(DIRNAMES), main.ints(DIRINDEXES));
    let (modes, flags) = (main.ints(FILEMODES), main.ints(FILEFLAGS));
    if basenames.len() > MAX_FILES {
        return Err(corrupt(path, format!("more than {MAX_FILES} files")));
    }
    let mut out = Vec::with_capacity(basenames.len());
    let mut total = 0usize;
    for (i, base) in basenames.iter().enumerate() {
        let dir = dirindexes
            .get(i)
            .and_then(|d| dirnames.get(usize::try_from(*d).ok()?))
            .ok_or_else(|| corrupt(path, format!("file {i} has no directory")))?;
        if dir.len() + base.len() > MAX_PATH {
            return Err(corrupt(path, format!("file {i} has a path over {MAX_PATH} bytes")));
        }
        total += dir.len() + base.len();
        if total > MAX_PATH_BYTES {
            return Err(corrupt(path, format!("its file list is over {MAX_PATH_BYTES} bytes")));
        }
        let mode = modes.get(i).copied().unwrap_or(0) as u32;
        let kind = if mode & 0o170000 == 0o040000 {
            "dir"
        } else if flags.get(i).is_some_and(|f| *f as u32 & FILE_GHOST != 0) {
            "ghost"
        } else {
            ""
        };
        out.push(FileEntry { path: format!("{dir}{base}"), kind: kind.into() });
    }
    Ok(out)
}

/// createrepo_c's filtering: requires leave out rpmlib() features, the package's own primary
/// files, what it provides itself, and exact duplicates.
fn deps(main: &Parsed, files: &[FileEntry]) -> Deps {
    let list = |names, flags, versions| dep_list(main, names, flags, versions);
    let provides = list(PROVIDENAME, PROVIDEFLAGS, PROVIDEVERSION);
    let own_files: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let provided: HashSet<&str> = provides.iter().map(|d| d.name.as_str()).collect();
    let mut requires: Vec<Dep> = Vec::new();
    for dep in list(REQUIRENAME, REQUIREFLAGS, REQUIREVERSION) {
        let own = own_files.contains(dep.name.as_str()) && is_primary(&dep.name);
        if dep.name.starts_with("rpmlib(") || own || provided.contains(dep.name.as_str()) || requires.contains(&dep) {
            continue;
        }
        requires.push(dep);
    }
    keep_highest_libc(&mut requires);
    Deps {
        requires,
        conflicts: list(CONFLICTNAME, CONFLICTFLAGS, CONFLICTVERSION),
        obsoletes: list(OBSOLETENAME, OBSOLETEFLAGS, OBSOLETEVERSION),
        suggests: list(SUGGESTNAME, SUGGESTFLAGS, SUGGESTVERSION),
        enhances: list(ENHANCENAME, ENHANCEFLAGS, ENHANCEVERSION),
        recommends: list(RECOMMENDNAME, RECOMMENDFLAGS, RECOMMENDVERSION),
        supplements: list(SUPPLEMENTNAME, SUPPLEMENTFLAGS, SUPPLEMENTVERSION),
        provides,
    }
}

/// createrepo_c keeps, of the `libc.so.6(…)` requirements, only the one naming the highest
/// version, and lists it last: the others follow from it.
fn keep_highest_libc(requires: &mut Vec<Dep>) {
    let version = |name: &str| {
        let inside = name.split_once('(')?.1.split_once(')')?.0;
        let digits = inside.find(|c: char| c.is_ascii_digit())?;
        Some(inside[digits..].to_string())
    };
    let mut highest: Option<Dep> = None;
    for dep in requires.extract_if(.., |d| d.name.starts_with("libc.so.6")) {
        let newer = highest.as_ref().is_none_or(|h| match (version(&h.name), version(&dep.name)) {
            (Some(a), Some(b)) => super::vercmp::rpmvercmp(&a, &b) == std::cmp::Ordering::Less,
            (None, Some(_)) => true,
            _ => false,
        });
        if newer {
            highest = Some(dep);
        }
    }
    requires.extend(highest);
}

fn dep_list(main: &Parsed, names: u32, flags: u32, versions: u32) -> Vec<Dep> {
    let (names, flags, versions) = (main.strings(names), main.ints(flags), main.strings(versions));
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let bits = flags.get(i).copied().unwrap_or(0) as u32;
            let (epoch, ver, rel) = split_evr(versions.get(i).map(String::as_str).unwrap_or(""));
            let flags = match bits & (DEP_LESS | DEP_GREATER | DEP_EQUAL) {
                x if x == DEP_LESS => Some("LT"),
                x if x == DEP_GREATER => Some("GT"),
                x if x == DEP_EQUAL => Some("EQ"),
                x if x == DEP_LESS | DEP_EQUAL => Some("LE"),
                x if x == DEP_GREATER | DEP_EQUAL => Some("GE"),
                _ => None,
            };
            let pre = bits & (DEP_PREREQ | DEP_SCRIPT_PRE | DEP_SCRIPT_POST) != 0;
            Dep { name, flags: flags.map(str::to_string), epoch, ver, rel, pre }
        })
        .collect()
}

/// `[EPOCH:]VERSION[-RELEASE]` into its parts, epoch `0` when not given (createrepo_c's
/// `cr_str_to_evr`); nothing for an empty string.
pub fn split_evr(evr: &str) -> (Option<String>, Option<String>, Option<String>) {
    if evr.is_empty() {
        return (None, None, None);
    }
    let (epoch, rest) = match evr.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e, rest),
        _ => ("0", evr),
    };
    let (ver, rel) = match rest.rsplit_once('-') {
        Some((v, r)) => (v.to_string(), Some(r.to_string())),
        None => (rest.to_string(), None),
    };
    (Some(epoch.to_string()), Some(ver), rel)
}

/// Oldest first, as createrepo_c writes them (the header lists the newest first).
fn changelogs(main: &Parsed) -> Vec<Changelog> {
    let (times, names, texts) = (main.ints(CHANGELOGTIME), main.strings(CHANGELOGNAME), main.strings(CHANGELOGTEXT));
    let mut out: Vec<Changelog> = times
        .iter()
        .zip(names)
        .zip(texts)
        .take(MAX_CHANGELOGS)
        .map(|((date, author), text)| Changelog { author: author.trim_end().to_string(), date: *date, text })
        .collect();
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evr_split_as_createrepo_does() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(split_evr("1.4.2-1"), (s("0"), s("1.4.2"), s("1")));
        assert_eq!(split_evr("2:1.0"), (s("2"), s("1.0"), None));
        assert_eq!(split_evr("5.4.18-1"), (s("0"), s("5.4.18"), s("1")));
        assert_eq!(split_evr(""), (None, None, None));
    }

    #[test]
    fn primary_files_are_what_path_dependencies_name() {
        assert!(is_primary("/etc/healthd/healthd.toml"));
        assert!(is_primary("/usr/bin/healthd"));
        assert!(is_primary("/usr/sbin/x"));
        assert!(!is_primary("/usr/share/licenses/healthd/LICENSE"));
        assert!(!is_primary("/etc"));
    }
}
