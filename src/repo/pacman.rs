//! pacman repositories, as repo-add writes them: `arch/ARCH/` holds the packages, each with its
//! detached `.sig`, and the signed databases `NAME.db.tar.zst` (a `desc` per package) and
//! `NAME.files.tar.zst` (`desc` and `files`), with the `NAME.db` and `NAME.files` copies pacman
//! downloads (`Server = URL/arch/$arch`, then `Server/NAME.db` and `Server/NAME.db.sig`).
//!
//! Packages of arch `any` install on every architecture, and pacman looks for a package in the
//! directory of its own architecture only: an `any` package is placed under `x86_64/` and hard
//! linked (copied where a link cannot be made) into every other architecture's directory of the
//! tree, and every database lists it.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{Indexed, Keys, Problem, RepoFormat, Settings, Stored, store::Staging};
use crate::error::{Error, IoContext, Result};
use crate::sign::pgp::Signer;

pub struct Pacman;

/// The directory `any` packages are placed in (and linked from into the others).
const ANY_HOME: &str = "x86_64";
/// A detached signature is a few hundred bytes; anything far larger is not one.
const MAX_SIG: u64 = 64 << 10;
/// The databases' decompressed size `repo check` reads at most.
const MAX_DB: u64 = 1 << 30;

/// `.PKGINFO` keys with one value each, in the order `Entry::single` keeps them.
const SINGLE: [&str; 8] = ["pkgname", "pkgbase", "pkgver", "pkgdesc", "url", "builddate", "packager", "size"];
/// `.PKGINFO` keys that repeat, with the `desc` section repo-add lists them in.
const LISTS: [(&str, &str); 10] = [
    ("group", "GROUPS"),
    ("license", "LICENSE"),
    ("replaces", "REPLACES"),
    ("conflict", "CONFLICTS"),
    ("provides", "PROVIDES"),
    ("depend", "DEPENDS"),
    ("optdepend", "OPTDEPENDS"),
    ("makedepend", "MAKEDEPENDS"),
    ("checkdepend", "CHECKDEPENDS"),
    ("backup", ""),
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// `SINGLE`'s values ("" when the package has none).
    single: Vec<String>,
    arch: String,
    /// `LISTS`' keys with their values, in the package's order.
    lists: Vec<(String, String)>,
    /// What the package installs, as repo-add lists it: relative, directories ending in `/`, sorted.
    files: Vec<String>,
}

impl Entry {
    fn get(&self, key: &str) -> &str {
        SINGLE.iter().position(|k| *k == key).and_then(|i| self.single.get(i)).map_or("", String::as_str)
    }
    fn list(&self, key: &str) -> Vec<&str> {
        self.lists.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }
    fn version(&self) -> &str {
        self.get("pkgver")
    }
}

impl Indexed for Entry {
    fn name(&self) -> &str {
        self.get("pkgname")
    }
    fn arch(&self) -> &str {
        &self.arch
    }
    fn compare_versions(&self, other: &Self) -> Ordering {
        vercmp(self.version(), other.version())
    }
}

impl RepoFormat for Pacman {
    const DIR: &'static str = "arch";
    const SIGNED_WITH: super::KeyKind = super::KeyKind::Pgp;
    const CLIENT: &'static str = "pacman";
    type Entry = Entry;

    fn accepts(path: &Path) -> bool {
        path.to_string_lossy().ends_with(".pkg.tar.zst")
    }

    fn read(path: &Path) -> Result<Entry> {
        let inspection = crate::inspect::inspect(path, crate::limits::DEFAULT_MAX_UNPACKED)?;
        entry_of(path, &inspection.fields, &inspection.files)
    }

    fn pool_path(entry: &Entry, file_name: &str, _settings: &Settings) -> String {
        format!("{}/{file_name}", home(&entry.arch))
    }

    fn write_indices(
        root: &Path,
        entries: &[(Stored, Entry)],
        settings: &Settings,
        keys: &Keys,
        staging: &mut Staging,
    ) -> Result<()> {
        let signer = keys.pgp_for::<Pacman>()?;
        for (dir, listed) in by_directory(entries) {
            let mut descs = Vec::new();
            for (stored, entry) in &listed {
                let file = file_name(stored);
                let signature = package_signature(root, stored, signer, settings.time)?;
                if home(&entry.arch) != dir {
                    link_into(root, stored, &dir)?;
                }
                descs.push((entry, desc(entry, stored, file, &signature)));
            }
            let mut keep: BTreeSet<&str> = listed.iter().map(|(s, _)| file_name(s)).collect();
            keep.extend(entries.iter().filter(|(_, e)| home(&e.arch) == dir).map(|(s, _)| file_name(s)));
            prune(&staging.switch(&dir)?, dir == ANY_HOME, &keep)?;
            write_databases(&dir, &descs, settings, signer, staging)?;
        }
        Ok(())
    }

    fn snippet(settings: &Settings, keys: &Keys) -> Result<Option<(String, String)>> {
        let fingerprint = keys.pgp_for::<Pacman>()?.fingerprint();
        let name = &settings.name;
        let text = format!(
            "# The {name} repository for pacman. Trust its key once (as root):\n\
             #   pacman-key --add {name}.asc && pacman-key --lsign-key {fingerprint}\n\
             # ({name}.asc is at {url}/{name}.asc), then add these lines to /etc/pacman.conf\n\
             # and run `pacman -Sy`.\n\
             [{name}]\nSigLevel = Required\nServer = {url}/arch/$arch\n",
            url = settings.url
        );
        Ok(Some(("pacman.conf".to_string(), text)))
    }

    fn check(dir: &Path, settings: &Settings) -> Result<Vec<Problem>> {
        let key = public_key(dir, &settings.name)?;
        // The versions retention keeps besides the newest, which no database lists.
        let kept: BTreeMap<String, Stored> =
            super::cache::load::<Entry>(dir, Self::DIR)?.into_iter().map(|(s, _)| (s.path.clone(), s)).collect();
        let mut problems = Vec::new();
        let root = dir.join(Self::DIR);
        for arch in subdirectories(&root)? {
            check_directory(&root, &arch, &settings.name, (&key, &kept), &mut problems)?;
        }
        Ok(problems)
    }
}

/// The entry of the package at `path` from its `.PKGINFO` fields and its listing.
fn entry_of(path: &Path, fields: &[(String, String)], files: &[crate::inspect::InspectedFile]) -> Result<Entry> {
    // repo-add collapses whitespace in every value; a desc line cannot hold a line break.
    let value = |v: &str| v.split_whitespace().collect::<Vec<_>>().join(" ");
    let first = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| value(v)).unwrap_or_default();
    let mut single: Vec<String> = SINGLE.iter().map(|k| first(k)).collect();
    if single[1].is_empty() {
        single[1] = single[0].clone();
    }
    let arch = first("arch");
    let bad = |what: &str, v: &str| {
        Error::invalid(
            format!("{}: .PKGINFO has {what} `{}`", path.display(), crate::limits::printable(v)),
            "publish packages built by makepkg or distpack",
        )
    };
    let name_ok = |s: &str| {
        !s.is_empty()
            && !s.starts_with(['-', '.'])
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "@._+-".contains(c))
    };
    if !name_ok(&single[0]) {
        return Err(bad("the package name", &single[0]));
    }
    let version = &single[2];
    if version.is_empty() || version.contains(['/', ' ']) || !version.contains('-') || version.starts_with('.') {
        return Err(bad("the version", version));
    }
    if arch.is_empty() || !arch.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(bad("the architecture", &arch));
    }
    let lists =
        fields.iter().filter(|(k, _)| LISTS.iter().any(|(l, _)| l == k)).map(|(k, v)| (k.clone(), value(v))).collect();
    let listed: BTreeSet<String> = files
        .iter()
        .map(|f| {
            let rel = f.path.trim_start_matches('/');
            if f.kind == "dir" { format!("{rel}/") } else { rel.to_string() }
        })
        .filter(|p| !p.is_empty() && p != "/")
        .collect();
    Ok(Entry { single, arch, lists, files: listed.into_iter().collect() })
}

/// The directory a package of `arch` is placed in.
fn home(arch: &str) -> &str {
    if arch == "any" { ANY_HOME } else { arch }
}

fn file_name(stored: &Stored) -> &str {
    stored.path.rsplit('/').next().unwrap_or(&stored.path)
}

/// Each architecture directory with the packages its databases list: of its own and the `any`
/// packages, the newest version of each name (pacman refuses a database that lists a name
/// twice: "database is inconsistent: version mismatch"). Older versions stay in the directory
/// for `pacman -U URL`, unlisted.
fn by_directory(entries: &[(Stored, Entry)]) -> BTreeMap<String, Vec<&(Stored, Entry)>> {
    let mut dirs: BTreeMap<String, Vec<&(Stored, Entry)>> = BTreeMap::new();
    for item in entries {
        dirs.entry(home(&item.1.arch).to_string()).or_default();
    }
    for (dir, listed) in dirs.iter_mut() {
        let mut newest: BTreeMap<&str, &(Stored, Entry)> = BTreeMap::new();
        for item in entries.iter().filter(|(_, e)| e.arch == "any" || e.arch == *dir) {
            let slot = newest.entry(item.1.name()).or_insert(item);
            if item.1.compare_versions(&slot.1) == Ordering::Greater {
                *slot = item;
            }
        }
        listed.extend(newest.into_values());
    }
    dirs
}

/// The package's detached signature, made now (and written beside it) when it has none: makepkg
/// signs packages, distpack's build does not.
fn package_signature(root: &Path, stored: &Stored, signer: &Signer, time: u64) -> Result<Vec<u8>> {
    let package = root.join(&stored.path);
    let sig = root.join(format!("{}.sig", stored.path));
    if sig.exists() {
        return crate::limits::read_small(&sig, MAX_SIG);
    }
    let bytes = std::fs::read(&package).io("cannot read", &package)?;
    let signature = signer.sign(&bytes, u32::try_from(time).unwrap_or(u32::MAX))?;
    super::store::write_atomic(&sig, &signature)?;
    Ok(signature)
}

/// An `any` package (and its signature) in another architecture's directory: a hard link, which
/// costs no space, or a copy where the file system has none.
fn link_into(root: &Path, stored: &Stored, dir: &str) -> Result<()> {
    for suffix in ["", ".sig"] {
        let from = root.join(format!("{}{suffix}", stored.path));
        let to = root.join(dir).join(format!("{}{suffix}", file_name(stored)));
        if to.exists() {
            continue;
        }
        std::fs::create_dir_all(root.join(dir)).io("cannot create", &root.join(dir))?;
        if std::fs::hard_link(&from, &to).is_err() {
            let bytes = std::fs::read(&from).io("cannot read", &from)?;
            super::store::write_atomic(&to, &bytes)?;
        }
    }
    Ok(())
}

/// Remove from `dir` what it no longer keeps: the signatures of packages retention dropped (the
/// old database carries them inline, so a client reading it does not miss them) and the links
/// of `any` packages its database no longer lists.
fn prune(dir: &Path, is_home: bool, names: &BTreeSet<&str>) -> Result<()> {
    for name in files_in(dir)? {
        let stale_sig = name.strip_suffix(".sig").is_some_and(|p| Pacman::accepts(Path::new(p)) && !names.contains(p));
        let stale_link = !is_home && name.ends_with("-any.pkg.tar.zst") && !names.contains(name.as_str());
        if stale_sig || stale_link {
            let path = dir.join(&name);
            std::fs::remove_file(&path).io("cannot remove", &path)?;
        }
    }
    Ok(())
}

/// The regular files (and links) directly in `dir`, by name.
pub(super) fn files_in(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let Ok(read) = std::fs::read_dir(dir) else { return Ok(out) };
    for entry in read {
        let entry = entry.io("cannot read", dir)?;
        if !entry.file_type().io("cannot read", &entry.path())?.is_dir() {
            out.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    Ok(out)
}

pub(super) fn subdirectories(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).io("cannot read", dir)? {
        let entry = entry.io("cannot read", dir)?;
        if entry.file_type().io("cannot read", &entry.path())?.is_dir() {
            out.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// A package's `desc`, field for field and in the order repo-add 6 writes it.
fn desc(entry: &Entry, stored: &Stored, file: &str, signature: &[u8]) -> String {
    let mut out = String::new();
    let mut section = |name: &str, values: &[&str]| {
        if values.first().is_some_and(|v| !v.is_empty()) {
            out.push_str(&format!("%{name}%\n{}\n\n", values.join("\n")));
        }
    };
    let pgpsig = base64::engine::general_purpose::STANDARD.encode(signature);
    let (csize, isize) = (stored.size.to_string(), entry.get("size"));
    for (name, key) in [("FILENAME", ""), ("NAME", "pkgname"), ("BASE", "pkgbase"), ("VERSION", "pkgver")] {
        section(name, &[if key.is_empty() { file } else { entry.get(key) }]);
    }
    section("DESC", &[entry.get("pkgdesc")]);
    section("GROUPS", &entry.list("group"));
    section("CSIZE", &[&csize]);
    section("ISIZE", &[isize]);
    section("MD5SUM", &[&stored.md5]);
    section("SHA256SUM", &[&stored.sha256]);
    section("PGPSIG", &[&pgpsig]);
    section("URL", &[entry.get("url")]);
    section("LICENSE", &entry.list("license"));
    section("ARCH", &[&entry.arch]);
    section("BUILDDATE", &[entry.get("builddate")]);
    section("PACKAGER", &[entry.get("packager")]);
    for (key, name) in &LISTS[2..9] {
        section(name, &entry.list(key));
    }
    out
}

/// `NAME.db.tar.zst` and `NAME.files.tar.zst` of one directory with their signatures and copies,
/// staged signatures first and the database pacman reads first last.
fn write_databases(
    dir: &str,
    descs: &[(&Entry, String)],
    settings: &Settings,
    signer: &Signer,
    staging: &mut Staging,
) -> Result<()> {
    let name = &settings.name;
    let time = settings.time;
    let mut db = Vec::new();
    let mut files = Vec::new();
    for (entry, desc) in descs {
        let top = format!("{}-{}", entry.name(), entry.version());
        let list = format!("%FILES%\n{}", entry.files.iter().map(|f| format!("{f}\n")).collect::<String>());
        db.push((top.clone(), vec![("desc", desc.clone())]));
        files.push((top, vec![("desc", desc.clone()), ("files", list)]));
    }
    let created = u32::try_from(time).unwrap_or(u32::MAX);
    for (kind, members) in [("files", files), ("db", db)] {
        let bytes = database(members, time)?;
        let file = format!("{name}.{kind}.tar.zst");
        let signature = signer.sign(&bytes, created)?;
        staging.write(&format!("{dir}/{file}.sig"), &signature)?;
        staging.write(&format!("{dir}/{file}"), &bytes)?;
        // repo-add makes NAME.db a symbolic link; a copy serves where links do not (GitHub Pages,
        // object stores), and pacman reads it the same.
        staging.write(&format!("{dir}/{name}.{kind}.sig"), &signature)?;
        staging.write(&format!("{dir}/{name}.{kind}"), &bytes)?;
    }
    Ok(())
}

/// A database: a zstd tar with a directory `NAME-VERSION/` per package holding its members.
fn database(mut packages: Vec<(String, Vec<(&str, String)>)>, time: u64) -> Result<Vec<u8>> {
    packages.sort_by(|a, b| a.0.cmp(&b.0));
    let mut builder = tar::Builder::new(Vec::new());
    let header = |kind: tar::EntryType, mode: u32, size: usize| {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size as u64);
        h.set_mtime(time);
        h.set_uid(0);
        h.set_gid(0);
        let _ = h.set_username("root");
        let _ = h.set_groupname("root");
        h
    };
    let mut append = || -> std::io::Result<()> {
        for (top, members) in &packages {
            let mut h = header(tar::EntryType::Directory, 0o755, 0);
            builder.append_data(&mut h, format!("{top}/"), std::io::empty())?;
            for (member, text) in members {
                let mut h = header(tar::EntryType::Regular, 0o644, text.len());
                builder.append_data(&mut h, format!("{top}/{member}"), text.as_bytes())?;
            }
        }
        Ok(())
    };
    append().map_err(Error::write("the pacman database"))?;
    let tar = builder.into_inner().map_err(Error::write("the pacman database"))?;
    zstd::encode_all(&tar[..], 19).map_err(Error::write("the pacman database"))
}

fn public_key(dir: &Path, name: &str) -> Result<crate::sign::pgp::Verifier> {
    crate::sign::pgp::Verifier::load(&dir.join(format!("{name}.asc")))
}

/// One architecture directory: the databases' signatures, every listed package against its
/// file and signature, older versions against the cache, and the files nothing lists.
fn check_directory(
    root: &Path,
    arch: &str,
    name: &str,
    (key, kept): (&crate::sign::pgp::Verifier, &BTreeMap<String, Stored>),
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let dir = root.join(arch);
    let mut problem = |error: bool, path: &Path, message: String| {
        problems.push(Problem { error, path: path.to_path_buf(), message });
    };
    let mut listed = BTreeSet::new();
    for kind in ["db", "files"] {
        let path = dir.join(format!("{name}.{kind}.tar.zst"));
        let Ok(bytes) = std::fs::read(&path) else {
            problem(true, &path, "missing: pacman -Sy fails without it".into());
            continue;
        };
        let sig = crate::limits::read_small(&dir.join(format!("{name}.{kind}.tar.zst.sig")), MAX_SIG);
        if !sig.is_ok_and(|s| key.verifies(&s, &bytes)) {
            problem(true, &path, format!("its signature does not verify with {name}.asc"));
        }
        // The copies pacman downloads (NAME.db, NAME.db.sig) must be the signed database.
        for (copy, of) in [(format!("{name}.{kind}"), format!("{name}.{kind}.tar.zst"))] {
            for suffix in ["", ".sig"] {
                let copy_path = dir.join(format!("{copy}{suffix}"));
                if std::fs::read(&copy_path).ok() != std::fs::read(dir.join(format!("{of}{suffix}"))).ok() {
                    problem(true, &copy_path, format!("is not {of}{suffix}, which pacman must read through it"));
                }
            }
        }
        let entries = descs(&bytes).unwrap_or_else(|e| {
            problem(true, &path, format!("not a database pacman reads: {e}"));
            Vec::new()
        });
        for (file, fields) in entries {
            if kind == "db" {
                let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
                let signature = base64::engine::general_purpose::STANDARD.decode(field("PGPSIG")).unwrap_or_default();
                let expected = (field("CSIZE"), field("SHA256SUM"), signature);
                check_package(&dir.join(&file), expected, key, &mut problem);
            }
            listed.insert(file);
        }
    }
    for file in files_in(&dir)? {
        let package = file.strip_suffix(".sig").unwrap_or(&file);
        if !Pacman::accepts(Path::new(package)) || listed.contains(package) {
            continue;
        }
        match kept.get(&format!("{arch}/{package}")) {
            Some(stored) if package == file => {
                let sig = crate::limits::read_small(&dir.join(format!("{file}.sig")), MAX_SIG).unwrap_or_default();
                let expected = (stored.size.to_string(), stored.sha256.clone(), sig);
                check_package(&dir.join(&file), expected, key, &mut problem);
            }
            Some(_) => {}
            None => problem(false, &dir.join(&file), "no database lists it".into()),
        }
    }
    Ok(())
}

/// A package: present, of the size and SHA-256 expected, its signature verifying.
fn check_package(
    path: &Path,
    (size, sha256, signature): (String, String, Vec<u8>),
    key: &crate::sign::pgp::Verifier,
    problem: &mut impl FnMut(bool, &Path, String),
) {
    let Ok(bytes) = std::fs::read(path) else {
        return problem(true, path, "listed in the database but missing".into());
    };
    if size != bytes.len().to_string() {
        problem(true, path, format!("{} bytes, the database says {size}", bytes.len()));
    }
    let actual = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    if sha256 != actual {
        problem(true, path, format!("sha256 {actual}, the database says {sha256}"));
    }
    if !key.verifies(&signature, &bytes) {
        problem(true, path, "its signature does not verify with the repository's key".into());
    }
}

/// Each `desc` of a database: its %FILENAME% and its sections (first line of each).
fn descs(db: &[u8]) -> std::io::Result<Vec<(String, BTreeMap<String, String>)>> {
    let decoder = crate::limits::Capped::new(zstd::Decoder::new(db)?, MAX_DB, "the database");
    let mut archive = tar::Archive::new(crate::limits::TarGuard::new(decoder));
    let mut out = Vec::new();
    for entry in archive.entries()? {
        let entry = entry?;
        if !entry.path_bytes().ends_with(b"/desc") {
            continue;
        }
        let mut text = String::new();
        entry.take(MAX_SIG * 16).read_to_string(&mut text)?;
        let mut fields = BTreeMap::new();
        for section in text.split("\n\n") {
            let mut lines = section.lines();
            if let (Some(name), Some(value)) = (lines.next(), lines.next()) {
                fields.insert(name.trim_matches('%').to_string(), value.to_string());
            }
        }
        let file = fields.get("FILENAME").cloned().unwrap_or_default();
        if file.contains('/') || file.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "a desc without a plain %FILENAME%"));
        }
        out.push((file, fields));
    }
    Ok(out)
}

/// pacman's `vercmp` (alpm_pkg_vercmp): `[epoch:]pkgver[-pkgrel]`, the epoch first, then the
/// version, then the release only when both have one.
pub fn vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (ea, va, ra) = parse_evr(a);
    let (eb, vb, rb) = parse_evr(b);
    rpmvercmp(ea, eb).then_with(|| rpmvercmp(va, vb)).then_with(|| match (ra, rb) {
        (Some(ra), Some(rb)) => rpmvercmp(ra, rb),
        _ => Ordering::Equal,
    })
}

/// (epoch, version, release): the epoch is the leading digits before a `:` ("0" without one),
/// the release what follows the last `-`.
fn parse_evr(evr: &str) -> (&str, &str, Option<&str>) {
    let digits = evr.bytes().take_while(u8::is_ascii_digit).count();
    let (epoch, rest) = match evr[digits..].strip_prefix(':') {
        Some(rest) if digits > 0 => (&evr[..digits], rest),
        Some(rest) => ("0", rest),
        None => ("0", evr),
    };
    match rest.rsplit_once('-') {
        Some((version, release)) => (epoch, version, Some(release)),
        None => (epoch, rest, None),
    }
}

/// rpm's segment comparison as libalpm carries it: alternating runs of digits and letters, split
/// by other characters, where a longer separator, a number over letters and a missing segment
/// over a letter segment decide.
fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (si, sj) = (i, j);
        while i < a.len() && !a[i].is_ascii_alphanumeric() {
            i += 1;
        }
        while j < b.len() && !b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if i == a.len() || j == b.len() {
            break;
        }
        if i - si != j - sj {
            return (i - si).cmp(&(j - sj));
        }
        let numeric = a[i].is_ascii_digit();
        let class = |c: &u8| if numeric { c.is_ascii_digit() } else { c.is_ascii_alphabetic() };
        let one = &a[i..i + a[i..].iter().take_while(|c| class(c)).count()];
        let two = &b[j..j + b[j..].iter().take_while(|c| class(c)).count()];
        (i, j) = (i + one.len(), j + two.len());
        if two.is_empty() {
            return if numeric { Ordering::Greater } else { Ordering::Less };
        }
        let order = if numeric {
            let strip = |s: &[u8]| s.iter().position(|c| *c != b'0').map_or(&[][..], |p| &s[p..]).to_vec();
            let (one, two) = (strip(one), strip(two));
            one.len().cmp(&two.len()).then(one.cmp(&two))
        } else {
            one.cmp(two)
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    let (rest_a, rest_b) = (&a[i..], &b[j..]);
    if rest_a.is_empty() && rest_b.is_empty() {
        return Ordering::Equal;
    }
    // A remaining letter segment never beats the end of the string.
    let alpha = |s: &[u8]| s.first().is_some_and(u8::is_ascii_alphabetic);
    if (rest_a.is_empty() && !alpha(rest_b)) || alpha(rest_a) { Ordering::Less } else { Ordering::Greater }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pacman's test/util/vercmptest.sh.
    const CASES: &[(&str, &str, i32)] = &[
        ("1.5.0", "1.5.0", 0),
        ("1.5.1", "1.5.0", 1),
        ("1.5.1", "1.5", 1),
        ("1.5.0-1", "1.5.0-1", 0),
        ("1.5.0-1", "1.5.0-2", -1),
        ("1.5.0-1", "1.5.1-1", -1),
        ("1.5.0-2", "1.5.1-1", -1),
        ("1.5-1", "1.5.1-1", -1),
        ("1.5-2", "1.5.1-1", -1),
        ("1.5-2", "1.5.1-2", -1),
        ("1.5", "1.5-1", 0),
        ("1.5-1", "1.5", 0),
        ("1.1-1", "1.1", 0),
        ("1.0-1", "1.1", -1),
        ("1.1-1", "1.0", 1),
        ("1.5b-1", "1.5-1", -1),
        ("1.5b", "1.5", -1),
        ("1.5b-1", "1.5", -1),
        ("1.5b", "1.5.1", -1),
        ("1.0a", "1.0alpha", -1),
        ("1.0alpha", "1.0b", -1),
        ("1.0b", "1.0beta", -1),
        ("1.0beta", "1.0rc", -1),
        ("1.0rc", "1.0", -1),
        ("1.5.a", "1.5", 1),
        ("1.5.b", "1.5.a", 1),
        ("1.5.1", "1.5.b", 1),
        ("1.5.b-1", "1.5.b", 0),
        ("1.5-1", "1.5.b", -1),
        ("2.0", "2_0", 0),
        ("2.0_a", "2_0.a", 0),
        ("2.0a", "2.0.a", -1),
        ("2___a", "2_a", 1),
        ("0:1.0", "0:1.0", 0),
        ("0:1.0", "0:1.1", -1),
        ("1:1.0", "0:1.0", 1),
        ("1:1.0", "0:1.1", 1),
        ("1:1.0", "2:1.1", -1),
        ("1:1.0", "0:1.0-1", 1),
        ("1:1.0-1", "0:1.1-1", 1),
        ("0:1.0", "1.0", 0),
        ("0:1.1", "1.0", 1),
        ("0:1.1", "1.1", 0),
        ("1:1.0", "1.0", 1),
        ("1:1.1", "1.1", 1),
        ("1:1.1", "1.11", 1),
    ];

    #[test]
    fn vercmp_orders_as_pacman_does() {
        for (a, b, expected) in CASES {
            let expected = expected.cmp(&0);
            assert_eq!(vercmp(a, b), expected, "vercmp {a} {b}");
            assert_eq!(vercmp(b, a), expected.reverse(), "vercmp {b} {a}");
        }
    }

    #[test]
    fn numbers_ignore_leading_zeros_and_outgrow_u64() {
        assert_eq!(vercmp("1.010", "1.10"), Ordering::Equal);
        assert_eq!(vercmp("1.99999999999999999999999", "1.100000000000000000000000"), Ordering::Less);
    }
}
