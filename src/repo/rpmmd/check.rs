//! `repo check` of an rpm-md tree: repomd.xml's signature against the tree's public key, every
//! index against the digests repomd.xml lists, every package against primary.xml. The tree is
//! untrusted input: every file read is bounded and every path stays below the tree.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{REPODATA, sha256};
use crate::error::{IoContext, Result};
use crate::repo::{Problem, RepoFormat, Settings};

const MAX_REPOMD: u64 = 16 << 20;
/// Largest index read (compressed or not): Fedora's whole primary.xml is about 300 MiB.
const MAX_INDEX: u64 = 1 << 30;

/// What repomd.xml says of one index file.
pub struct Listed {
    pub kind: String,
    pub href: String,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub open_sha256: Option<String>,
    pub open_size: Option<u64>,
}

/// A content-addressed index name distpack writes (`HEX-primary.xml.gz`).
pub fn is_index_name(name: &str) -> bool {
    name.split_once('-').is_some_and(|(hash, rest)| {
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) && rest.ends_with(".xml.gz")
    })
}

pub fn check(dir: &Path, settings: &Settings) -> Result<Vec<Problem>> {
    let root = dir.join(<super::RpmMd as RepoFormat>::DIR);
    let mut problems = Problems(Vec::new());
    let repomd_path = root.join(REPODATA).join("repomd.xml");
    let repomd = match read_bounded(&repomd_path, MAX_REPOMD) {
        Ok(bytes) => bytes,
        Err(e) => {
            problems.error(&repomd_path, format!("cannot read it: {e}"));
            return Ok(problems.0);
        }
    };
    signature(dir, settings, &repomd, &mut problems);
    let mut listed: HashSet<PathBuf> = HashSet::new();
    for data in repomd_data(&String::from_utf8_lossy(&repomd)) {
        let Some(path) = below(&root, &data.href) else {
            problems.error(&repomd_path, format!("lists `{}`, which is outside the tree", data.href));
            continue;
        };
        listed.insert(path.clone());
        let Some(open) = index(&path, &data, &mut problems) else { continue };
        if data.kind == "primary" {
            packages(&root, &path, &String::from_utf8_lossy(&open), &mut listed, &mut problems);
        }
    }
    unlisted(&root, &listed, &mut problems)?;
    Ok(problems.0)
}

struct Problems(Vec<Problem>);

impl Problems {
    fn error(&mut self, path: &Path, message: String) {
        self.0.push(Problem { error: true, path: path.to_path_buf(), message });
    }
    fn warning(&mut self, path: &Path, message: String) {
        self.0.push(Problem { error: false, path: path.to_path_buf(), message });
    }
}

fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(bytes)
}

/// `href` below `root`, unless it climbs out of it.
fn below(root: &Path, href: &str) -> Option<PathBuf> {
    let relative = Path::new(href);
    let plain = relative.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    (plain && !href.is_empty()).then(|| root.join(relative))
}

fn signature(dir: &Path, settings: &Settings, repomd: &[u8], problems: &mut Problems) {
    let key_path = dir.join(format!("{}.asc", settings.name));
    let sig_path = dir.join(<super::RpmMd as RepoFormat>::DIR).join(REPODATA).join("repomd.xml.asc");
    let key = match crate::sign::pgp::Verifier::load(&key_path) {
        Ok(key) => key,
        Err(e) => return problems.error(&key_path, format!("cannot read the repository's public key: {e}")),
    };
    let sig = match read_bounded(&sig_path, 1 << 20) {
        Ok(sig) => sig,
        Err(e) => return problems.error(&sig_path, format!("cannot read repomd.xml's signature: {e}")),
    };
    if !key.verifies(&sig, repomd) {
        problems.error(&sig_path, format!("does not verify repomd.xml with {}", key_path.display()));
    }
}

/// The index at `path` against what repomd.xml lists; its uncompressed bytes when it matches.
fn index(path: &Path, data: &Listed, problems: &mut Problems) -> Option<Vec<u8>> {
    let bytes = match read_bounded(path, MAX_INDEX) {
        Ok(b) => b,
        Err(e) => {
            problems.error(path, format!("listed in repomd.xml but cannot be read: {e}"));
            return None;
        }
    };
    let mut bad = Vec::new();
    if data.size.is_some_and(|s| s != bytes.len() as u64) {
        bad.push(format!("size {} (repomd.xml says {})", bytes.len(), data.size.unwrap_or(0)));
    }
    let digest = sha256(&bytes);
    if data.sha256.as_ref().is_some_and(|s| *s != digest) {
        bad.push(format!("sha256 {digest} (repomd.xml says {})", data.sha256.as_deref().unwrap_or("")));
    }
    let mut open = Vec::new();
    let read = flate2::read::GzDecoder::new(&bytes[..]).take(MAX_INDEX + 1).read_to_end(&mut open);
    if let Err(e) = read {
        bad.push(format!("not gzip data: {e}"));
    } else if data.open_size.is_some_and(|s| s != open.len() as u64) {
        bad.push(format!("{} bytes uncompressed (repomd.xml says {})", open.len(), data.open_size.unwrap_or(0)));
    } else if data.open_sha256.as_ref().is_some_and(|s| *s != sha256(&open)) {
        bad.push("its uncompressed sha256 differs from repomd.xml's open-checksum".to_string());
    }
    if bad.is_empty() {
        return Some(open);
    }
    problems.error(path, bad.join("; "));
    None
}

/// Every package primary.xml lists, against its file.
fn packages(root: &Path, primary: &Path, xml: &str, listed: &mut HashSet<PathBuf>, problems: &mut Problems) {
    for package in blocks(xml, "package") {
        let href = element(package, "location").and_then(|l| attr(l, "href")).unwrap_or_default();
        let Some(path) = below(root, &href) else {
            problems.error(primary, format!("lists the package `{href}`, which is outside the tree"));
            continue;
        };
        listed.insert(path.clone());
        let want_sha = inner(package, "checksum").unwrap_or_default();
        let want_size = element(package, "size").and_then(|s| attr(s, "package")).and_then(|s| s.parse::<u64>().ok());
        match crate::digest::of_file(&path, false, false, true) {
            Err(e) => problems.error(&path, format!("listed in primary.xml but cannot be read: {e}")),
            Ok(d) => {
                let sha = d.sha256.unwrap_or_default();
                if sha != want_sha.trim() {
                    problems.error(&path, format!("sha256 {sha}, primary.xml says {want_sha}"));
                }
                if want_size != Some(d.bytes) {
                    problems.error(&path, format!("{} bytes, primary.xml says {want_size:?}", d.bytes));
                }
            }
        }
    }
}

/// .rpm files no index lists (warnings: dnf never sees them).
fn unlisted(root: &Path, listed: &HashSet<PathBuf>, problems: &mut Problems) -> Result<()> {
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.map_err(std::io::Error::from).io("cannot read", root)?;
        let is_rpm = entry.file_name().to_string_lossy().ends_with(".rpm");
        if entry.file_type().is_file() && is_rpm && !listed.contains(entry.path()) {
            problems.warning(entry.path(), "not listed in primary.xml: dnf does not see it".to_string());
        }
    }
    Ok(())
}

/// The `<data>` entries of repomd.xml.
pub fn repomd_data(xml: &str) -> Vec<Listed> {
    blocks(xml, "data")
        .into_iter()
        .map(|d| Listed {
            kind: attr(d, "type").unwrap_or_default(),
            href: element(d, "location").and_then(|l| attr(l, "href")).unwrap_or_default(),
            sha256: inner(d, "checksum").map(|s| s.trim().to_string()),
            size: inner(d, "size").and_then(|s| s.trim().parse().ok()),
            open_sha256: inner(d, "open-checksum").map(|s| s.trim().to_string()),
            open_size: inner(d, "open-size").and_then(|s| s.trim().parse().ok()),
        })
        .collect()
}

/// Where `<tag` starts an element named exactly `tag` in `xml`, from `from`.
fn find_open(xml: &str, tag: &str, from: usize) -> Option<usize> {
    let needle = format!("<{tag}");
    let mut at = from;
    while let Some(i) = xml.get(at..)?.find(&needle) {
        let start = at + i;
        let next = xml.as_bytes().get(start + needle.len()).copied();
        if matches!(next, Some(b' ' | b'>' | b'/' | b'\n' | b'\t' | b'\r')) {
            return Some(start);
        }
        at = start + needle.len();
    }
    None
}

/// Each `<tag …>…</tag>` (or `<tag …/>`) of `xml`, whole.
fn blocks<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = find_open(xml, tag, at) {
        let Some(open_end) = xml[start..].find('>').map(|i| start + i + 1) else { break };
        let end = if xml[..open_end].ends_with("/>") {
            open_end
        } else {
            xml[open_end..].find(&close).map_or(xml.len(), |i| open_end + i + close.len())
        };
        out.push(&xml[start..end]);
        at = end;
    }
    out
}

/// The first element `tag` in `xml`: its opening tag.
fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = find_open(xml, tag, 0)?;
    let end = xml[start..].find('>')? + start + 1;
    Some(&xml[start..end])
}

/// The text inside the first element `tag`.
fn inner(xml: &str, tag: &str) -> Option<String> {
    let open = element(xml, tag)?;
    let start = find_open(xml, tag, 0)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(unescape(&xml[start..end]))
}

/// The value of `name="…"` in an opening tag.
fn attr(open: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = open.find(&needle)? + needle.len();
    let end = open[start..].find('"')? + start;
    Some(unescape(&open[start..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_repomd_entries() {
        let xml = "<repomd><revision>1</revision><data type=\"primary\"><checksum type=\"sha256\">ab</checksum>\
                   <open-checksum type=\"sha256\">cd</open-checksum><location href=\"repodata/x&amp;y.xml.gz\"/>\
                   <size>10</size><open-size>20</open-size></data></repomd>";
        let data = repomd_data(xml);
        assert_eq!(data.len(), 1);
        assert_eq!((data[0].kind.as_str(), data[0].href.as_str()), ("primary", "repodata/x&y.xml.gz"));
        assert_eq!((data[0].sha256.as_deref(), data[0].open_sha256.as_deref()), (Some("ab"), Some("cd")));
        assert_eq!((data[0].size, data[0].open_size), (Some(10), Some(20)));
    }

    #[test]
    fn paths_stay_below_the_tree() {
        assert!(below(Path::new("/t"), "../etc/passwd").is_none());
        assert!(below(Path::new("/t"), "/etc/passwd").is_none());
        assert_eq!(below(Path::new("/t"), "packages/a.rpm"), Some(PathBuf::from("/t/packages/a.rpm")));
        assert!(is_index_name(&format!("{}-primary.xml.gz", "a".repeat(64))));
        assert!(!is_index_name("repomd.xml"));
    }
}
