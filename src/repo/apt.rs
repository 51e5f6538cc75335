//! The Debian repository format, as apt reads it: `pool/` with the packages, and
//! `dists/SUITE/` with one `Packages` index per component and architecture, a `Release` file
//! listing every index with its size and digests, `by-hash/` copies of the indices (so a client
//! never sees a Release and an index of two different publishes), `Release.gpg` and `InRelease`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use md5::Digest as _;
use serde::{Deserialize, Serialize};

use super::{Indexed, Keys, Problem, RepoFormat, Settings, Stored, store::Staging};
use crate::error::{Error, IoContext, Result};

pub struct Apt;

/// Fields of a Packages stanza that describe the pool file: written from `Stored`, never taken
/// from a package's control file (a hostile one could point clients at another file).
const FILE_FIELDS: [&str; 6] = ["Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512"];

/// The largest index or Release file `repo check` reads: Debian's own main/amd64 Packages file
/// is about 100 MiB uncompressed.
const MAX_INDEX_BYTES: u64 = 512 << 20;

/// A binary package as a Packages index lists it: its control file's fields, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    name: String,
    version: String,
    arch: String,
    /// The source package's name: the pool directory (`Source:` without its version).
    source: String,
    fields: Vec<(String, String)>,
}

impl Indexed for Entry {
    fn name(&self) -> &str {
        &self.name
    }
    fn arch(&self) -> &str {
        &self.arch
    }
    fn compare_versions(&self, other: &Self) -> Ordering {
        compare_versions(&self.version, &other.version)
    }
}

impl RepoFormat for Apt {
    const DIR: &'static str = "deb";
    const SIGNED_WITH: super::KeyKind = super::KeyKind::Pgp;
    const CLIENT: &'static str = "apt";
    type Entry = Entry;

    fn accepts(path: &Path) -> bool {
        path.to_string_lossy().ends_with(".deb")
    }

    fn read(path: &Path) -> Result<Entry> {
        let fields = crate::inspect::deb::control_fields(path)?;
        entry(fields).map_err(|message| {
            Error::invalid(
                format!("{}: {message}", path.display()),
                "a package in an apt repository needs a control file dpkg accepts",
            )
        })
    }

    /// Debian's pool layout: `pool/COMPONENT/h/healthd/`, `pool/COMPONENT/libf/libfoo/`. The
    /// file takes its canonical name (`NAME_VERSION_ARCH.deb`, no epoch, as dpkg-name gives),
    /// so two different files of one name, version and architecture cannot both be published.
    fn pool_path(entry: &Entry, _file_name: &str, settings: &Settings) -> String {
        let source = &entry.source;
        let prefix = match source.strip_prefix("lib") {
            Some(rest) if !rest.is_empty() => &source[..4],
            _ => &source[..1],
        };
        let version = entry.version.split_once(':').map_or(entry.version.as_str(), |(_, v)| v);
        format!("pool/{}/{prefix}/{source}/{}_{version}_{}.deb", settings.component, entry.name, entry.arch)
    }

    fn write_indices(
        _root: &Path,
        entries: &[(Stored, Entry)],
        settings: &Settings,
        keys: &Keys,
        staging: &mut Staging,
    ) -> Result<()> {
        let pgp = keys.pgp_for::<Apt>()?;
        let suite = format!("dists/{}", settings.suite);
        let indices = indices(entries, settings)?;
        let by_hash: Vec<(String, &Vec<u8>)> = indices
            .iter()
            .flat_map(|(path, bytes)| {
                [("SHA256", hex::encode(sha2::Sha256::digest(bytes))), ("MD5Sum", md5_hex(bytes))]
                    .map(|(kind, hex)| (format!("{}/by-hash/{kind}/{hex}", parent(path)), bytes))
            })
            .collect();
        let names = by_hash.iter().filter_map(|(p, _)| p.rsplit('/').next().map(str::to_string)).collect();
        remove_stale_by_hash(&staging.switch(&suite)?, names)?;
        for (path, bytes) in &by_hash {
            staging.write(&format!("{suite}/{path}"), bytes)?;
        }
        for (path, bytes) in &indices {
            staging.write(&format!("{suite}/{path}"), bytes)?;
        }
        let release = release(&indices, entries, settings);
        let created = u32::try_from(settings.time).unwrap_or(u32::MAX);
        staging.write(&format!("{suite}/Release"), release.as_bytes())?;
        staging.write(&format!("{suite}/Release.gpg"), pgp.sign_armored(release.as_bytes(), created)?.as_bytes())?;
        staging.write(&format!("{suite}/InRelease"), pgp.clearsign(&release, created)?.as_bytes())
    }

    fn snippet(settings: &Settings, keys: &Keys) -> Result<Option<(String, String)>> {
        // A tree published without a key has no apt indices (write_indices refused); a publish of
        // other formats leaves the snippet written with the key alone.
        let Some(pgp) = &keys.pgp else { return Ok(None) };
        Ok(Some((format!("{}.sources", settings.name), sources(settings, &pgp.public_armored()?))))
    }

    fn check(dir: &Path, settings: &Settings) -> Result<Vec<Problem>> {
        check_tree(dir, settings)
    }
}

/// The deb822 `.sources` entry (apt ≥ 2.3 reads the key inline in `Signed-By:`), so adding the
/// repository is copying one file, with no key file to place and no `trusted=yes`.
fn sources(settings: &Settings, armored_key: &str) -> String {
    let key: String = armored_key
        .trim_end()
        .lines()
        .map(|l| if l.trim().is_empty() { " .\n".to_string() } else { format!(" {l}\n") })
        .collect();
    format!(
        "Types: deb\nURIs: {}/deb\nSuites: {}\nComponents: {}\nSigned-By:\n{key}",
        settings.url, settings.suite, settings.component
    )
}

/// Remove the by-hash copies neither the Release being replaced nor the new one lists: a client
/// that fetched the old Release a moment ago still finds its indices, and copies do not pile up
/// with every publish.
fn remove_stale_by_hash(suite: &Path, mut keep: BTreeSet<String>) -> Result<()> {
    let current = std::fs::read_to_string(suite.join("Release")).unwrap_or_default();
    keep.extend(
        current
            .split_whitespace()
            .filter(|w| w.len() >= 32 && w.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_string),
    );
    for entry in walkdir::WalkDir::new(suite).into_iter().filter_map(|e| e.ok()) {
        let path = entry.path();
        let in_by_hash = path.parent().and_then(Path::parent).is_some_and(|p| p.ends_with("by-hash"));
        let name = entry.file_name().to_string_lossy();
        // Temporary files (`.tmp…`) are a killed publisher's leftovers, or a staging's own.
        if entry.file_type().is_file() && in_by_hash && !name.starts_with('.') && !keep.contains(name.as_ref()) {
            std::fs::remove_file(path).io("cannot remove", path)?;
        }
    }
    Ok(())
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(md5::Md5::digest(bytes))
}

/// The architectures the suite has indices for: every architecture of a package, `all` listed
/// in each of them (apt looks for no `binary-all` unless the Release names it), amd64 when there
/// are only `all` packages.
fn architectures(entries: &[(Stored, Entry)]) -> BTreeSet<String> {
    let mut archs: BTreeSet<String> = entries.iter().map(|(_, e)| e.arch.clone()).filter(|a| a != "all").collect();
    if archs.is_empty() {
        archs.insert("amd64".into());
    }
    archs
}

/// Every index below `dists/SUITE/`, path relative to it → bytes, in the order the Release
/// lists them.
fn indices(entries: &[(Stored, Entry)], settings: &Settings) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let component = &settings.component;
    for arch in architectures(entries) {
        let mut listed: Vec<&(Stored, Entry)> =
            entries.iter().filter(|(_, e)| e.arch == arch || e.arch == "all").collect();
        listed.sort_by(|(a_s, a), (b_s, b)| {
            a.name.cmp(&b.name).then_with(|| compare_versions(&a.version, &b.version)).then(a_s.path.cmp(&b_s.path))
        });
        let packages: String = listed.iter().map(|(stored, entry)| stanza(stored, entry)).collect();
        let dir = format!("{component}/binary-{arch}");
        let xz = xz(packages.as_bytes()).io("cannot compress", Path::new(&format!("{dir}/Packages.xz")))?;
        out.push((format!("{dir}/Packages"), packages.as_bytes().to_vec()));
        out.push((format!("{dir}/Packages.gz"), crate::compress::gzip(packages.as_bytes())));
        out.push((format!("{dir}/Packages.xz"), xz));
        let release = format!(
            "Archive: {}\nOrigin: {}\nLabel: {}\nComponent: {component}\nArchitecture: {arch}\n",
            settings.suite, settings.origin, settings.label
        );
        out.push((format!("{dir}/Release"), release.into_bytes()));
    }
    Ok(out)
}

fn xz(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = crate::compress::Encoder::new(crate::manifest::Compression::Xz, 6, Vec::new())?;
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// One Packages stanza: the control fields, then where the file is and its digests.
fn stanza(stored: &Stored, entry: &Entry) -> String {
    let mut out = String::new();
    for (name, value) in &entry.fields {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push_str(&format!(
        "Filename: {}\nSize: {}\nMD5sum: {}\nSHA1: {}\nSHA256: {}\n\n",
        stored.path, stored.size, stored.md5, stored.sha1, stored.sha256
    ));
    out
}

/// The suite's Release file: what it is, until when to trust it, and every index's digests.
fn release(indices: &[(String, Vec<u8>)], entries: &[(Stored, Entry)], settings: &Settings) -> String {
    let rfc2822 = crate::plan::debian::rfc2822;
    let mut out = format!(
        "Origin: {}\nLabel: {}\nSuite: {}\nCodename: {}\nDate: {}\n",
        settings.origin,
        settings.label,
        settings.suite,
        settings.codename,
        rfc2822(settings.time)
    );
    if let Some(days) = settings.valid_until_days {
        out.push_str(&format!("Valid-Until: {}\n", rfc2822(settings.time + u64::from(days) * 86_400)));
    }
    let archs: Vec<String> = architectures(entries).into_iter().collect();
    out.push_str(&format!(
        "Architectures: {}\nComponents: {}\nAcquire-By-Hash: yes\n",
        archs.join(" "),
        settings.component
    ));
    out.push_str("MD5Sum:\n");
    for (path, bytes) in indices {
        out.push_str(&format!(" {} {:>16} {path}\n", md5_hex(bytes), bytes.len()));
    }
    out.push_str("SHA256:\n");
    for (path, bytes) in indices {
        out.push_str(&format!(" {} {:>16} {path}\n", hex::encode(sha2::Sha256::digest(bytes)), bytes.len()));
    }
    out
}

/// The entry of a control file's fields, or what is wrong with them.
fn entry(fields: Vec<(String, String)>) -> std::result::Result<Entry, String> {
    let mut seen = BTreeSet::new();
    for (name, value) in &fields {
        check_field(name, value)?;
        if !seen.insert(name.to_ascii_lowercase()) {
            return Err(format!("the control file has two `{}` fields", shown(name)));
        }
    }
    let get = |key: &str| fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone());
    let name = get("Package").ok_or("the control file has no Package field")?;
    let version = get("Version").ok_or("the control file has no Version field")?;
    let arch = get("Architecture").ok_or("the control file has no Architecture field")?;
    if !valid_name(&name) {
        return Err(format!("`{}` is not a Debian package name", shown(&name)));
    }
    if !valid_version(&version) {
        return Err(format!("`{}` is not a Debian version", shown(&version)));
    }
    if arch.is_empty() || !arch.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err(format!("`{}` is not a Debian architecture", shown(&arch)));
    }
    let source = get("Source").map(|s| s.split_whitespace().next().unwrap_or_default().to_string());
    let source = source.filter(|s| valid_name(s)).unwrap_or_else(|| name.clone());
    // Package first: apt reads a stanza's name from its first field.
    let mut fields: Vec<(String, String)> =
        fields.into_iter().filter(|(k, _)| !FILE_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(k))).collect();
    if let Some(at) = fields.iter().position(|(k, _)| k.eq_ignore_ascii_case("Package")) {
        let package = fields.remove(at);
        fields.insert(0, package);
    }
    Ok(Entry { name, version, arch, source, fields })
}

/// A field a Packages file can carry as it is: a deb822 name, and a value whose continuation
/// lines cannot end the stanza or start a field.
fn check_field(name: &str, value: &str) -> std::result::Result<(), String> {
    let name_ok =
        !name.is_empty() && !name.starts_with(['#', '-']) && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    if !name_ok {
        return Err(format!("`{}` is not a control field name", shown(name)));
    }
    let mut lines = value.split('\n');
    let first = lines.next().unwrap_or_default();
    let bad = value.contains('\r')
        || first.trim() != first
        || lines.any(|l| !l.starts_with([' ', '\t']) || l.trim().is_empty());
    if bad {
        return Err(format!("the value of `{name}` is not a valid control field value"));
    }
    Ok(())
}

fn shown(text: &str) -> String {
    text.chars().take(80).flat_map(char::escape_debug).collect()
}

/// Debian policy §5.6.1: lower-case letters, digits, `+`, `-`, `.`; two characters or more,
/// starting with a letter or digit.
fn valid_name(name: &str) -> bool {
    name.len() >= 2
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
}

/// Debian policy §5.6.12: `[epoch:]upstream[-revision]`, a numeric epoch, an upstream version
/// starting with a digit, and only letters, digits and `.+~-` (`:` only after the epoch).
fn valid_version(version: &str) -> bool {
    let (epoch, rest) = version.split_once(':').unwrap_or(("0", version));
    let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, "0"));
    let chars = |s: &str, extra: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
    !epoch.is_empty()
        && epoch.len() <= 9
        && epoch.chars().all(|c| c.is_ascii_digit())
        && upstream.starts_with(|c: char| c.is_ascii_digit())
        && chars(upstream, ".+~-")
        && !revision.is_empty()
        && chars(revision, ".+~")
}

/// dpkg's version order (`dpkg --compare-versions`, lib/dpkg/version.c): the epoch as a
/// number, then the upstream version, then the revision, each with `verrevcmp`.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (a_epoch, a_upstream, a_revision) = split_version(a);
    let (b_epoch, b_upstream, b_revision) = split_version(b);
    a_epoch
        .cmp(&b_epoch)
        .then_with(|| verrevcmp(a_upstream, b_upstream))
        .then_with(|| verrevcmp(a_revision, b_revision))
}

/// dpkg's parseversion: the epoch before the first `:`, the revision after the last `-`.
fn split_version(version: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match version.split_once(':') {
        Some((epoch, rest)) => (epoch.trim().parse().unwrap_or(0), rest),
        None => (0, version),
    };
    let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
    (epoch, upstream, revision)
}

/// Where a character sorts among non-digits: `~` before everything, even the end of the
/// string; the end and digits next; then letters; then every other character.
fn order(c: u8) -> i32 {
    match c {
        b'~' => -1,
        0 => 0,
        c if c.is_ascii_digit() => 0,
        c if c.is_ascii_alphabetic() => i32::from(c),
        c => i32::from(c) + 256,
    }
}

/// dpkg's verrevcmp: alternating runs of non-digits (compared character by character with
/// `order`) and digits (compared as numbers, leading zeros ignored).
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (ac, bc) = (order(at(a, i)), order(at(b, j)));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(a, i) == b'0' {
            i += 1;
        }
        while at(b, j) == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while at(a, i).is_ascii_digit() && at(b, j).is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if at(a, i).is_ascii_digit() {
            return Ordering::Greater;
        }
        if at(b, j).is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// deb822 paragraphs: field name → value (continuation lines joined with newlines).
fn paragraphs(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut out: Vec<BTreeMap<String, String>> = vec![BTreeMap::new()];
    let mut last: Option<String> = None;
    for line in text.lines() {
        let current = out.last_mut().expect("never empty");
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(BTreeMap::new());
            }
            last = None;
        } else if line.starts_with([' ', '\t']) {
            if let Some(value) = last.as_ref().and_then(|k| current.get_mut(k)) {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            current.insert(k.trim().to_string(), v.trim().to_string());
            last = Some(k.trim().to_string());
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

/// `repo check` of the deb tree: signatures, then each index against the Release, then each
/// package against the indices; pool files no index lists are warnings.
fn check_tree(dir: &Path, settings: &Settings) -> Result<Vec<Problem>> {
    let suite = dir.join(Apt::DIR).join("dists").join(&settings.suite);
    let mut problems = Vec::new();
    let Some(release) = verified_release(dir, &suite, settings, &mut problems)? else {
        return Ok(problems);
    };
    let listed = listed_indices(&release);
    if listed.is_empty() {
        problems.push(error(&suite.join("InRelease"), "lists no index (no SHA256 field)".into()));
    }
    let mut pool_files = BTreeSet::new();
    let mut every_index_read = true;
    for (path, (size, sha256)) in &listed {
        if path.split('/').any(|part| part == ".." || part.is_empty()) {
            let message = format!("the Release lists `{}`, a path outside the suite", shown(path));
            problems.push(error(&suite.join(path), message));
            every_index_read = false;
            continue;
        }
        // apt fetches the by-hash copy (`Acquire-By-Hash: yes`); older clients the file itself.
        let by_hash = format!("{}/by-hash/SHA256/{sha256}", parent(path));
        let mut text = None;
        for file in [suite.join(path), suite.join(by_hash)] {
            match matching(&file, *size, sha256, &mut problems)? {
                Some(bytes) => text = Some(bytes),
                None => every_index_read = false,
            }
        }
        if let Some(bytes) = text.filter(|_| path.ends_with("/Packages")) {
            check_packages(dir, &suite.join(path), &String::from_utf8_lossy(&bytes), &mut pool_files, &mut problems)?;
        }
    }
    // A file of the pool is unlisted only if every index could be read.
    if every_index_read {
        unlisted_pool_files(dir, &pool_files, &mut problems);
    }
    Ok(problems)
}

/// The bytes of the index `file` when it has the size and SHA256 the Release gives.
fn matching(file: &Path, size: u64, sha256: &str, problems: &mut Vec<Problem>) -> Result<Option<Vec<u8>>> {
    let Some(bytes) = read_bounded(file, problems)? else { return Ok(None) };
    if bytes.len() as u64 != size || hex::encode(sha2::Sha256::digest(&bytes)) != sha256 {
        problems
            .push(error(file, format!("does not match the Release (size {size}, sha256 {sha256}): apt refuses it")));
        return Ok(None);
    }
    Ok(Some(bytes))
}

fn error(path: &Path, message: String) -> Problem {
    Problem { error: true, path: path.to_path_buf(), message }
}

/// The Release text of `InRelease` when its signature verifies with the tree's public key
/// (`NAME.gpg`), and `Release.gpg` checked against `Release`.
fn verified_release(
    dir: &Path,
    suite: &Path,
    settings: &Settings,
    problems: &mut Vec<Problem>,
) -> Result<Option<String>> {
    let key_path = dir.join(format!("{}.gpg", settings.name));
    let key = crate::sign::pgp::Verifier::load(&key_path)?;
    let in_release = suite.join("InRelease");
    let Some(bytes) = read_bounded(&in_release, problems)? else { return Ok(None) };
    let text = String::from_utf8_lossy(&bytes);
    let release = match key.clearsigned(&text) {
        Ok(signed) => signed.replace("\r\n", "\n"),
        Err(e) => {
            problems
                .push(error(&in_release, format!("its signature does not verify with {}: {e}", key_path.display())));
            return Ok(None);
        }
    };
    let (release_path, signature_path) = (suite.join("Release"), suite.join("Release.gpg"));
    if let (Some(plain), Some(signature)) =
        (read_bounded(&release_path, problems)?, read_bounded(&signature_path, problems)?)
    {
        if !key.verifies(&signature, &plain) {
            problems.push(error(&signature_path, format!("does not verify Release with {}", key_path.display())));
        }
        if plain.trim_ascii_end() != release.as_bytes().trim_ascii_end() {
            problems.push(error(&release_path, "says something else than InRelease".into()));
        }
    }
    Ok(Some(release))
}

/// The `SHA256:` list of a Release file: path → (size, digest).
fn listed_indices(release: &str) -> BTreeMap<String, (u64, String)> {
    let mut out = BTreeMap::new();
    let Some(paragraph) = paragraphs(release).into_iter().next() else { return out };
    let Some(list) = paragraph.get("SHA256") else { return out };
    for line in list.lines() {
        if let [sha256, size, path] = line.split_whitespace().collect::<Vec<_>>()[..]
            && let Ok(size) = size.parse()
        {
            out.insert(path.to_string(), (size, sha256.to_ascii_lowercase()));
        }
    }
    out
}

/// The file at `path`, or a problem when it is missing or larger than any index.
fn read_bounded(path: &Path, problems: &mut Vec<Problem>) -> Result<Option<Vec<u8>>> {
    let Ok(meta) = std::fs::metadata(path) else {
        problems.push(error(path, "is missing".into()));
        return Ok(None);
    };
    if !meta.is_file() || meta.len() > MAX_INDEX_BYTES {
        problems.push(error(path, format!("is not a regular file of at most {MAX_INDEX_BYTES} bytes")));
        return Ok(None);
    }
    std::fs::read(path).io("cannot read", path).map(Some)
}

/// Every stanza's file exists in the tree with the size and SHA256 the index gives.
fn check_packages(
    dir: &Path,
    index: &Path,
    text: &str,
    pool_files: &mut BTreeSet<PathBuf>,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let root = dir.join(Apt::DIR);
    for stanza in paragraphs(text) {
        let name = stanza.get("Package").cloned().unwrap_or_default();
        let (Some(filename), Some(size), Some(sha256)) =
            (stanza.get("Filename"), stanza.get("Size"), stanza.get("SHA256"))
        else {
            problems.push(error(index, format!("the stanza of `{}` has no Filename, Size or SHA256", shown(&name))));
            continue;
        };
        if filename.split('/').any(|part| part == ".." || part.is_empty()) {
            problems.push(error(index, format!("`{}` points outside the tree", shown(filename))));
            continue;
        }
        let file = root.join(filename);
        if !pool_files.insert(file.clone()) {
            continue;
        }
        if !file.is_file() {
            problems.push(error(&file, format!("is missing ({} lists it)", index.display())));
            continue;
        }
        let digests = crate::digest::of_file(&file, false, false, true).io("cannot read", &file)?;
        if digests.bytes.to_string() != *size || digests.sha256.as_deref() != Some(sha256.to_ascii_lowercase().as_str())
        {
            problems.push(error(
                &file,
                format!("does not match {} (size {size}, sha256 {sha256}): apt refuses it", index.display()),
            ));
        }
    }
    Ok(())
}

/// Files in `pool/` no index lists: left over, or copied in by hand.
fn unlisted_pool_files(dir: &Path, listed: &BTreeSet<PathBuf>, problems: &mut Vec<Problem>) {
    let pool = dir.join(Apt::DIR).join("pool");
    for entry in walkdir::WalkDir::new(&pool).sort_by_file_name().into_iter().flatten() {
        if entry.file_type().is_file() && !listed.contains(entry.path()) {
            problems.push(Problem {
                error: false,
                path: entry.path().to_path_buf(),
                message: "no Packages index lists it".into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    /// Each expected order is what `dpkg --compare-versions` (dpkg 1.21) answers; the cases are
    /// those of dpkg's own tests (lib/dpkg/t/t-version.c, scripts/t/Dpkg_Version.t) and the `~`,
    /// epoch and leading-zero corners.
    const DPKG_ORDER: &[(&str, &str, Ordering)] = &[
        ("1.0", "1.0", Equal),
        ("1.0", "2.0", Less),
        ("2.0", "1.0", Greater),
        ("2.0.0", "2.0", Greater),
        ("1.0-1", "1.0", Greater),
        ("1.0", "1.0-0", Equal),
        ("0:1.0", "1.0", Equal),
        ("1:1.0", "2.0", Greater),
        ("1:1.0", "1:2.0", Less),
        ("2:0.1", "1:9.9", Greater),
        ("1.0~rc1", "1.0", Less),
        ("1.0~rc1", "1.0~rc2", Less),
        ("1.0~~", "1.0~", Less),
        ("1.0~~a", "1.0~~", Greater),
        ("1.0~", "1.0", Less),
        ("1.0-0~", "1.0-0", Less),
        ("1.0a", "1.0", Greater),
        ("1.0a", "1.0b", Less),
        ("1.0.a", "1.0a", Greater),
        ("1.0+b1", "1.0", Greater),
        ("1.0+", "1.0.", Less),
        ("1.0-1", "1.0-1.1", Less),
        ("1.0-1ubuntu1", "1.0-1", Greater),
        ("1.0-10", "1.0-9", Greater),
        ("1.002", "1.2", Equal),
        ("1.0010", "1.9", Greater),
        ("a", "a", Equal),
        ("a", "b", Less),
        ("a~", "a", Less),
        ("~~", "~~a", Less),
        ("~~a", "~", Less),
        ("~", "0", Less),
        ("1.0000-1", "1.0-1", Equal),
        ("2.2~rc-4", "2.2-1", Less),
        ("1.1-20080727-1", "1.1-20080316-1", Greater),
        ("1.2.3-4-5", "1.2.3-4", Greater),
        ("0:0-0", "00-00", Equal),
        ("1:2-3", "1:2-3", Equal),
        ("7.4.052-1", "7.4.052-1+b1", Less),
        ("3.0-1", "3.0-1~bpo1", Greater),
        ("1.0a~", "1.0a", Less),
        ("1.0-0.1", "1.0-0", Greater),
    ];

    #[test]
    fn versions_sort_as_dpkg_sorts_them() {
        for (a, b, expected) in DPKG_ORDER {
            assert_eq!(compare_versions(a, b), *expected, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), expected.reverse(), "{b} vs {a}");
        }
    }

    fn control(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut fields = vec![("Version", "1:1.0-1"), ("Package", "libfoo1"), ("Architecture", "amd64")];
        fields.extend_from_slice(extra);
        fields.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn pool_paths_follow_debian_and_drop_the_epoch() {
        let lib = entry(control(&[("Source", "foo (1.0)")])).unwrap();
        let settings = Settings::resolve(None, "fx", Path::new("/srv/repo"), 0).unwrap();
        assert_eq!(Apt::pool_path(&lib, "x.deb", &settings), "pool/main/f/foo/libfoo1_1.0-1_amd64.deb");
        let lib = entry(control(&[])).unwrap();
        assert_eq!(Apt::pool_path(&lib, "x.deb", &settings), "pool/main/libf/libfoo1/libfoo1_1.0-1_amd64.deb");
        assert_eq!(lib.fields[0].0, "Package", "Package comes first in a stanza");
    }

    #[test]
    fn control_files_that_would_corrupt_an_index_are_refused() {
        let hostile = entry(control(&[("Filename", "../../etc/passwd"), ("SHA256", "00")])).unwrap();
        assert!(hostile.fields.iter().all(|(k, _)| k != "Filename" && k != "SHA256"), "{hostile:?}");
        for bad in [
            control(&[("Package", "again")]),
            control(&[("Description", "x\n\nPackage: evil")]),
            control(&[("Description", "x\nPackage: evil")]),
            control(&[("Bad Name", "x")]),
        ] {
            assert!(entry(bad.clone()).is_err(), "{bad:?}");
        }
        let mut bad_version = control(&[]);
        bad_version[0].1 = "1.0/../x".into();
        assert!(entry(bad_version).unwrap_err().contains("not a Debian version"));
    }

    #[test]
    fn the_key_is_inline_in_signed_by_with_empty_lines_as_dots() {
        let settings = Settings::resolve(None, "demo", Path::new("/srv/repo"), 0).unwrap();
        let text =
            sources(&settings, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc\n-----END PGP PUBLIC KEY BLOCK-----\n");
        assert_eq!(
            text,
            "Types: deb\nURIs: file:///srv/repo/deb\nSuites: stable\nComponents: main\nSigned-By:\n \
             -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n"
        );
    }

    fn stored(path: &str) -> Stored {
        Stored { path: path.into(), size: 1, md5: "m".into(), sha1: "s".into(), sha256: "h".into() }
    }

    #[test]
    fn all_packages_are_listed_under_every_architecture() {
        let named = |name: &str, arch: &str| {
            let fields = [("Package", name), ("Version", "1.0-1"), ("Architecture", arch)];
            entry(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()).unwrap()
        };
        let entries = vec![
            (stored("pool/a.deb"), named("agent", "amd64")),
            (stored("pool/b.deb"), named("agent", "arm64")),
            (stored("pool/c.deb"), named("agent-data", "all")),
        ];
        let mut settings = Settings::resolve(None, "demo", Path::new("/srv/repo"), 1_700_000_000).unwrap();
        settings.valid_until_days = Some(7);
        let indices = indices(&entries, &settings).unwrap();
        for arch in ["amd64", "arm64"] {
            let (_, packages) = indices.iter().find(|(p, _)| *p == format!("main/binary-{arch}/Packages")).unwrap();
            let packages = String::from_utf8_lossy(packages);
            assert!(packages.contains(&format!("Architecture: {arch}\n")), "{packages}");
            assert!(packages.contains("Package: agent-data\n"), "{arch}: {packages}");
        }
        let release = release(&indices, &entries, &settings);
        assert!(release.contains("Architectures: amd64 arm64\n"), "{release}");
        assert!(release.contains("Date: Tue, 14 Nov 2023 22:13:20 +0000\n"), "{release}");
        assert!(release.contains("Valid-Until: Tue, 21 Nov 2023 22:13:20 +0000\n"), "{release}");
        let only_all = architectures(&entries[2..]);
        assert_eq!(only_all.into_iter().collect::<Vec<_>>(), ["amd64"]);
    }
}
