//! apk repositories, as `apk index` and abuild-sign write them: `apk/ARCH/` holds the packages
//! and `APKINDEX.tar.gz`, the signature gzip member (`.SIGN.RSA.KEYNAME.rsa.pub`, over SHA-1 of
//! the gzip stream after it) followed by a gzip member of a tar with `DESCRIPTION` and
//! `APKINDEX`. The public key lies at the tree's top for users to install in /etc/apk/keys.
//!
//! A `noarch` package goes into the architecture directory `distpack build` wrote it in (it
//! writes one into each target's directory), and its record says that architecture, as
//! abuild's `apk index --rewrite-arch` does.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{Indexed, Keys, Problem, RepoFormat, Settings, Stored, store::Staging};
use crate::error::{Error, Result};

pub struct Apk;

/// Alpine's architectures: a `noarch` package's directory when it was built into one of them.
const ARCHES: [&str; 11] =
    ["aarch64", "armhf", "armv7", "loongarch64", "mips64", "ppc64le", "riscv64", "s390x", "x86", "x86_64", "noarch"];
/// The directory of a `noarch` package that does not lie in an architecture's directory.
const NOARCH_HOME: &str = "x86_64";
/// APKINDEX's decompressed size `repo check` reads at most.
const MAX_INDEX: u64 = 1 << 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// `.PKGINFO` as the package has it.
    fields: Vec<(String, String)>,
    /// The directory (and the record's `A:`).
    arch: String,
    /// `Q1` + base64 of the control member's SHA-1.
    checksum: String,
}

impl Entry {
    fn get(&self, key: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
    }
    fn all(&self, key: &str) -> Vec<&str> {
        self.fields.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
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
        version_compare(self.get("pkgver"), other.get("pkgver"))
    }
}

impl RepoFormat for Apk {
    const DIR: &'static str = "apk";
    const SIGNED_WITH: super::KeyKind = super::KeyKind::Rsa;
    const CLIENT: &'static str = "apk";
    type Entry = Entry;

    fn accepts(path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "apk")
    }

    fn read(path: &Path) -> Result<Entry> {
        let (sha1, fields) = crate::inspect::apk::control(path)?;
        let checksum = format!("Q1{}", base64::engine::general_purpose::STANDARD.encode(sha1));
        let mut entry = Entry { fields, arch: String::new(), checksum };
        let bad = |what: &str, v: &str| {
            Error::invalid(
                format!("{}: .PKGINFO has {what} `{}`", path.display(), crate::limits::printable(v)),
                "publish packages built by abuild or distpack",
            )
        };
        let name = entry.name();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c)) {
            return Err(bad("the package name", name));
        }
        if !version_valid(entry.get("pkgver")) {
            return Err(bad("the version", entry.get("pkgver")));
        }
        let own = entry.get("arch");
        if !ARCHES.contains(&own) {
            return Err(bad("the architecture", own));
        }
        let parent = path.parent().and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned());
        entry.arch = match (own, parent) {
            ("noarch", Some(dir)) if ARCHES.contains(&dir.as_str()) && dir != "noarch" => dir,
            ("noarch", _) => NOARCH_HOME.to_string(),
            (own, _) => own.to_string(),
        };
        Ok(entry)
    }

    fn pool_path(entry: &Entry, file_name: &str, _settings: &Settings) -> String {
        format!("{}/{file_name}", entry.arch)
    }

    fn write_indices(
        root: &Path,
        entries: &[(Stored, Entry)],
        settings: &Settings,
        keys: &Keys,
        staging: &mut Staging,
    ) -> Result<()> {
        let signer = keys.apk_for::<Apk>()?;
        let top = root.parent().unwrap_or(root);
        super::store::write_atomic(&top.join(&signer.key_name), signer.public_pem()?.as_bytes())?;
        let mut by_arch: BTreeMap<&str, Vec<&(Stored, Entry)>> = BTreeMap::new();
        for item in entries {
            by_arch.entry(&item.1.arch).or_default().push(item);
        }
        for (arch, listed) in by_arch {
            let index = index(&listed, settings)?;
            let signed = [crate::formats::apk::signature_member(signer, &index, settings.time)?, index].concat();
            staging.switch(arch)?;
            staging.write(&format!("{arch}/APKINDEX.tar.gz"), &signed)?;
        }
        Ok(())
    }

    fn snippet(settings: &Settings, keys: &Keys) -> Result<Option<(String, String)>> {
        let key = &keys.apk_for::<Apk>()?.key_name;
        let text = format!(
            "# The {name} repository for apk. Trust its key once (as root):\n\
             #   wget -O /etc/apk/keys/{key} {url}/{key}\n\
             # (or copy {key} from the tree's top into /etc/apk/keys/), then add the line below to\n\
             # /etc/apk/repositories and run `apk update`.\n\
             {url}/apk\n",
            name = settings.name,
            url = settings.url
        );
        Ok(Some(("apk-repositories".to_string(), text)))
    }

    fn check(dir: &Path, _settings: &Settings) -> Result<Vec<Problem>> {
        let mut problems = Vec::new();
        let root = dir.join(Self::DIR);
        for arch in super::pacman::subdirectories(&root)? {
            check_directory(dir, &root.join(arch), &mut problems)?;
        }
        Ok(problems)
    }
}

/// The index member: a gzip of a tar holding `DESCRIPTION` and `APKINDEX`, as `apk index` writes.
fn index(listed: &[&(Stored, Entry)], settings: &Settings) -> Result<Vec<u8>> {
    let mut records: Vec<(&str, &str, String)> =
        listed.iter().map(|(s, e)| (e.name(), e.get("pkgver"), record(e, s))).collect();
    records.sort_by(|a, b| a.0.cmp(b.0).then_with(|| version_compare(a.1, b.1)));
    let text: String = records.into_iter().map(|(_, _, r)| r).collect();
    let mut builder = tar::Builder::new(Vec::new());
    let mut append = |name: &str, bytes: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_size(bytes.len() as u64);
        h.set_mtime(settings.time);
        h.set_uid(0);
        h.set_gid(0);
        let _ = h.set_username("root");
        let _ = h.set_groupname("root");
        h.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut h, name, bytes)
    };
    let io = Error::write("the APKINDEX");
    append("DESCRIPTION", settings.label.as_bytes()).and_then(|_| append("APKINDEX", text.as_bytes())).map_err(io)?;
    let tar = builder.into_inner().map_err(Error::write("the APKINDEX"))?;
    crate::formats::apk::gzip_bytes(&tar)
}

/// One package's record, the fields in the order apk 2.14's `apk index` writes them.
fn record(entry: &Entry, stored: &Stored) -> String {
    let mut out = String::new();
    let mut line = |key: &str, value: &str| out.push_str(&format!("{key}:{value}\n"));
    line("C", &entry.checksum);
    line("P", entry.name());
    line("V", entry.get("pkgver"));
    line("A", &entry.arch);
    line("S", &stored.size.to_string());
    line("I", entry.get("size"));
    for (key, field) in [("T", "pkgdesc"), ("U", "url"), ("L", "license")] {
        line(key, entry.get(field));
    }
    for (key, field) in [("o", "origin"), ("m", "maintainer"), ("t", "builddate"), ("c", "commit")] {
        if !entry.get(field).is_empty() {
            line(key, entry.get(field));
        }
    }
    if !matches!(entry.get("provider_priority"), "" | "0") {
        line("k", entry.get("provider_priority"));
    }
    for (key, field) in [("D", "depend"), ("p", "provides"), ("i", "install_if")] {
        let values: Vec<&str> = entry.all(field).iter().flat_map(|v| v.split_whitespace()).collect();
        if !values.is_empty() {
            line(key, &values.join(" "));
        }
    }
    out.push('\n');
    out
}

/// One architecture directory: the index's signature against the key at the tree's top, every
/// record against its file, and the packages no record lists.
fn check_directory(top: &Path, dir: &Path, problems: &mut Vec<Problem>) -> Result<()> {
    let mut problem = |error: bool, path: &Path, message: String| {
        problems.push(Problem { error, path: path.to_path_buf(), message });
    };
    let path = dir.join("APKINDEX.tar.gz");
    let Ok(bytes) = std::fs::read(&path) else {
        problem(true, &path, "missing: apk update fails without it".into());
        return Ok(());
    };
    let records = match verify_index(top, &bytes) {
        Ok(records) => records,
        Err(message) => {
            problem(true, &path, message);
            return Ok(());
        }
    };
    let mut listed = BTreeSet::new();
    for fields in records {
        let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
        let file = format!("{}-{}.apk", field("P"), field("V"));
        if file.contains('/') {
            problem(true, &path, format!("a record names the file {file}"));
            continue;
        }
        let package = dir.join(&file);
        match Apk::read(&package) {
            Err(e) => problem(true, &package, format!("listed in APKINDEX but unreadable: {e}")),
            Ok(entry) if entry.checksum != field("C") => {
                problem(true, &package, format!("C:{} in APKINDEX, the package's is {}", field("C"), entry.checksum));
            }
            Ok(_) => {}
        }
        let size = std::fs::metadata(&package).map(|m| m.len().to_string()).unwrap_or_default();
        if !size.is_empty() && size != field("S") {
            problem(true, &package, format!("{size} bytes, APKINDEX says {}", field("S")));
        }
        listed.insert(file);
    }
    for file in super::pacman::files_in(dir)? {
        if Apk::accepts(Path::new(&file)) && !listed.contains(&file) {
            problem(false, &dir.join(&file), "APKINDEX does not list it".into());
        }
    }
    Ok(())
}

/// The records of a signed APKINDEX.tar.gz whose signature verifies with the key it names in
/// the tree's top directory; else why not.
fn verify_index(top: &Path, bytes: &[u8]) -> std::result::Result<Vec<BTreeMap<String, String>>, String> {
    let mut decoder = flate2::bufread::GzDecoder::new(bytes);
    let mut sig_tar = Vec::new();
    decoder.by_ref().take(1 << 20).read_to_end(&mut sig_tar).map_err(|e| format!("unreadable: {e}"))?;
    let rest = decoder.into_inner();
    let mut archive = tar::Archive::new(&sig_tar[..]);
    let mut entry = archive
        .entries()
        .and_then(|mut e| e.next().transpose())
        .ok()
        .flatten()
        .ok_or("unsigned: apk refuses it (UNTRUSTED signature)")?;
    let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
    let key_name = name.strip_prefix(".SIGN.RSA.").ok_or(format!("signed as {name}, not .SIGN.RSA.KEY"))?;
    if key_name.contains('/') || key_name.starts_with('.') {
        return Err(format!("signed by a key named {key_name}"));
    }
    let mut signature = Vec::new();
    entry.by_ref().take(64 << 10).read_to_end(&mut signature).map_err(|e| e.to_string())?;
    let pem = crate::limits::read_text(&top.join(key_name), 64 << 10)
        .map_err(|_| format!("signed by {key_name}, which the tree's top directory does not hold"))?;
    if !rsa_verifies(&pem, &signature, rest) {
        return Err(format!("its signature does not verify with {key_name}"));
    }
    let mut text = String::new();
    let plain = flate2::bufread::MultiGzDecoder::new(rest);
    let mut archive = tar::Archive::new(crate::limits::Capped::new(plain, MAX_INDEX, "the APKINDEX"));
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if &*entry.path_bytes() == b"APKINDEX" {
            entry.read_to_string(&mut text).map_err(|e| e.to_string())?;
        }
    }
    let records = text.split("\n\n").filter(|r| !r.trim().is_empty());
    Ok(records
        .map(|r| r.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.to_string(), v.to_string())).collect())
        .collect())
}

/// Whether `signature` is `pem`'s PKCS#1 v1.5 signature over SHA-1 of `data`.
fn rsa_verifies(pem: &str, signature: &[u8], data: &[u8]) -> bool {
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    let Ok(key) = rsa::PublicKey::from_public_key_pem(pem) else { return false };
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature) else { return false };
    rsa::pkcs1v15::VerifyingKey::<sha1::Sha1>::new(key).verify(data, &signature).is_ok()
}

/// apk's token kinds, in the order that decides between versions of different shapes.
const DIGIT_OR_ZERO: i8 = 0;
const DIGIT: i8 = 1;
const LETTER: i8 = 2;
const SUFFIX: i8 = 3;
const SUFFIX_NO: i8 = 4;
const REVISION_NO: i8 = 5;
const END: i8 = 6;
const INVALID: i8 = -1;

/// The kind of the token `blob` starts with after one of kind `kind` (apk's next_token).
fn next_token(kind: &mut i8, blob: &mut &[u8]) {
    let mut n = INVALID;
    let first = blob.first().copied().unwrap_or(0);
    if first == 0 {
        n = END;
    } else if (*kind == DIGIT || *kind == DIGIT_OR_ZERO) && first.is_ascii_lowercase() {
        n = LETTER;
    } else if *kind == LETTER && first.is_ascii_digit() {
        n = DIGIT;
    } else if *kind == SUFFIX && first.is_ascii_digit() {
        n = SUFFIX_NO;
    } else {
        match first {
            b'.' => n = DIGIT_OR_ZERO,
            b'_' => n = SUFFIX,
            b'-' if blob.get(1) == Some(&b'r') => {
                n = REVISION_NO;
                *blob = &blob[1..];
            }
            _ => {}
        }
        *blob = &blob[1..];
    }
    let allowed = (n == DIGIT_OR_ZERO && *kind == DIGIT)
        || (n == SUFFIX && *kind == SUFFIX_NO)
        || (n == DIGIT && *kind == LETTER);
    if n < *kind && !allowed {
        n = INVALID;
    }
    *kind = n;
}

/// The value of the token of kind `kind` at the start of `blob`, which it consumes (apk's
/// get_token): numbers, letters, and suffixes ranked pre-release below none below post-release.
fn get_token(kind: &mut i8, blob: &mut &[u8]) -> i64 {
    const PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
    const POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];
    if blob.is_empty() {
        *kind = END;
        return 0;
    }
    let (mut i, mut next, mut v) = (0usize, INVALID, 0i64);
    match *kind {
        // A run of leading zeros counts below any number: 1.01 < 1.1.
        DIGIT_OR_ZERO if blob[0] == b'0' => {
            while i + 1 < blob.len() && blob[i + 1] == b'0' {
                i += 1;
            }
            next = DIGIT;
            v = -(i as i64);
        }
        DIGIT_OR_ZERO | DIGIT | SUFFIX_NO | REVISION_NO => {
            while i < blob.len() && blob[i].is_ascii_digit() {
                v = v.wrapping_mul(10).wrapping_add(i64::from(blob[i] - b'0'));
                i += 1;
            }
            if i >= 18 {
                *kind = INVALID;
                return -1;
            }
        }
        LETTER => {
            v = i64::from(blob[0]);
            i = 1;
        }
        SUFFIX => {
            let rank = |list: &[&str]| list.iter().position(|s| blob.starts_with(s.as_bytes()));
            if let Some(p) = rank(&PRE) {
                (v, i) = (p as i64 - PRE.len() as i64, PRE[p].len());
            } else if let Some(p) = rank(&POST) {
                (v, i) = (p as i64, POST[p].len());
            } else {
                *kind = INVALID;
                return -1;
            }
        }
        _ => {
            *kind = INVALID;
            return -1;
        }
    }
    *blob = &blob[i..];
    if blob.is_empty() {
        *kind = END;
    } else if next != INVALID {
        *kind = next;
    } else {
        next_token(kind, blob);
    }
    v
}

/// Whether apk takes `version` as a version (apk_version_validate).
fn version_valid(version: &str) -> bool {
    let (mut kind, mut blob) = (DIGIT, version.as_bytes());
    while kind != END && kind != INVALID {
        get_token(&mut kind, &mut blob);
    }
    kind == END
}

/// apk's version order (apk_version_compare): `1.2.3_rc1-r0 < 1.2.3-r0 < 1.2.3_p1-r0`.
pub fn version_compare(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    let (mut at, mut bt, mut av, mut bv) = (DIGIT, DIGIT, 0, 0);
    while at == bt && at != END && at != INVALID && av == bv {
        av = get_token(&mut at, &mut a);
        bv = get_token(&mut bt, &mut b);
    }
    if av != bv {
        return av.cmp(&bv);
    }
    if at == bt {
        return Ordering::Equal;
    }
    // Equal so far: the longer version is newer, unless what follows is a pre-release suffix.
    if at == SUFFIX && get_token(&mut at.clone(), &mut a) < 0 {
        return Ordering::Less;
    }
    if bt == SUFFIX && get_token(&mut bt.clone(), &mut b) < 0 {
        return Ordering::Greater;
    }
    bt.cmp(&at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of apk-tools' test/version.data.
    const CASES: &[(&str, &str, Ordering)] = &[
        ("2.34", "0.1.0_alpha", Ordering::Greater),
        ("23_foo", "4_beta", Ordering::Greater),
        ("1.0", "1.0bc", Ordering::Less),
        ("0.1.0_alpha", "0.1.0_alpha", Ordering::Equal),
        ("0.1.0_alpha2", "0.1.0_alpha", Ordering::Greater),
        ("0.1.0_alpha", "2.2.39-r1", Ordering::Less),
        ("1.0.4-r3", "1.0.4-r4", Ordering::Less),
        ("1.1", "1.1_alpha1", Ordering::Greater),
        ("1.2.1", "1.2", Ordering::Greater),
        ("0.7.0", "0.8_beta1", Ordering::Less),
        ("3.10.18-r1", "2.3.0b-r1", Ordering::Greater),
        ("2.3.0b-r1", "2.3.0b-r2", Ordering::Less),
        ("0.12.3", "0.12", Ordering::Greater),
    ];

    #[test]
    fn versions_order_as_apk_orders_them() {
        for (a, b, expected) in CASES {
            assert_eq!(version_compare(a, b), *expected, "{a} {b}");
            assert_eq!(version_compare(b, a), expected.reverse(), "{b} {a}");
        }
        assert_eq!(version_compare("1.2.3_rc1-r0", "1.2.3-r0"), Ordering::Less);
        assert_eq!(version_compare("1.2.3_p1-r0", "1.2.3-r0"), Ordering::Greater);
        assert_eq!(version_compare("1.01", "1.1"), Ordering::Less);
        assert!(version_valid("1.0.0-r0") && !version_valid("1.0.0-1") && !version_valid("1.0.0 r0"));
    }
}
