//! `distpack repo publish DIR`: built packages into static, signed repository trees that apt, dnf,
//! pacman and apk install and upgrade from; `distpack repo check DIR` verifies such a tree.
//!
//! The tree holds one directory per format (`deb/`, `rpm/`, `arch/`, `apk/`), the client setup
//! snippets and public keys at its top, and distpack's own state in `.distpack/`: the lock, the
//! staged copies of the index directories a publish replaces (store::Staging), and a cache of
//! every published package's index entry, so publishing one package into a tree of thousands
//! reads only that one.

pub mod apk;
pub mod apt;
mod cache;
pub mod command;
pub mod pacman;
pub mod rpmmd;
mod snippets;
pub mod store;

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, IoContext, Result};
use crate::manifest::RepoSettings;
use crate::sign::pgp::Signer;
use crate::sign::rsa::ApkSigner;

/// Versions of each package and architecture a tree keeps unless `[repo] keep` says otherwise.
pub const DEFAULT_KEEP: usize = 3;

/// The repository's settings with every default applied.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Settings {
    pub name: String,
    /// The base URL the tree is served from; `file://DIR` when the manifest names none.
    pub url: String,
    pub suite: String,
    pub codename: String,
    pub component: String,
    pub origin: String,
    pub label: String,
    pub valid_until_days: Option<u32>,
    pub keep: usize,
    /// When this publish happened (SOURCE_DATE_EPOCH when set), in seconds since the epoch.
    pub time: u64,
}

impl Settings {
    /// Defaults: the name from `--name`, else the manifest's package name; suite `stable`,
    /// codename the suite, component `main`, origin and label the name.
    pub fn resolve(raw: Option<&RepoSettings>, name: &str, dir: &Path, time: u64) -> Result<Settings> {
        let raw = raw.cloned().unwrap_or_default();
        let name = raw.name.unwrap_or_else(|| name.to_string());
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            return Err(Error::invalid(
                format!("`{name}` cannot name a repository"),
                "set [repo] name (or --name) to letters, digits, `-`, `_` and `.`",
            ));
        }
        let url = match raw.url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("file://{}", std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()).display()),
        };
        let suite = raw.suite.unwrap_or_else(|| "stable".into());
        Ok(Settings {
            codename: raw.codename.unwrap_or_else(|| suite.clone()),
            suite,
            component: raw.component.unwrap_or_else(|| "main".into()),
            origin: raw.origin.unwrap_or_else(|| name.clone()),
            label: raw.label.unwrap_or_else(|| name.clone()),
            valid_until_days: raw.valid_until_days,
            keep: raw.keep.unwrap_or(DEFAULT_KEEP).max(1),
            time,
            url,
            name,
        })
    }
}

/// The signing keys a publish has: OpenPGP for apt, dnf and pacman, RSA for apk.
#[derive(Default)]
pub struct Keys {
    pub pgp: Option<Signer>,
    pub apk: Option<ApkSigner>,
}

/// A package file as it lies in the tree, with the digests every index format asks for (read in
/// one pass when it was published).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Stored {
    /// Its path below the format's directory (`pool/main/h/healthd/healthd_1.0_amd64.deb`).
    pub path: String,
    pub size: u64,
    pub md5: String,
    pub sha1: String,
    pub sha256: String,
}

/// What a format needs of a package to index it, read once from the package and kept in the
/// cache.
pub trait Indexed: Clone + Serialize + DeserializeOwned {
    fn name(&self) -> &str;
    /// The architecture the format's indices group it under (`all`, `noarch`, `any` included).
    fn arch(&self) -> &str;
    /// Newest last: the format's own version order (dpkg, rpmvercmp, vercmp, apk's).
    fn compare_versions(&self, other: &Self) -> Ordering;
}

/// One repository format: where its packages go in the tree and how its indices are written.
pub trait RepoFormat {
    /// Its directory below the tree (`deb`, `rpm`, `arch`, `apk`).
    const DIR: &'static str;
    /// The key its indices are signed with: its client refuses an unsigned repository.
    const SIGNED_WITH: KeyKind;
    /// The client that reads it, as users know it.
    const CLIENT: &'static str;
    type Entry: Indexed;
    /// Whether `path` is a package of this format (by name; the content is read by `read`).
    fn accepts(path: &Path) -> bool;
    /// The package's metadata, read defensively (packages to publish are untrusted input).
    fn read(path: &Path) -> Result<Self::Entry>;
    /// Where the file goes below the format's directory.
    fn pool_path(entry: &Self::Entry, file_name: &str, settings: &Settings) -> String;
    /// Every index of the format's directory, for `entries`, written into the staged copies of
    /// the directories that hold them (`Staging::switch`), which replace the served ones together.
    fn write_indices(
        root: &Path,
        entries: &[(Stored, Self::Entry)],
        settings: &Settings,
        keys: &Keys,
        staging: &mut store::Staging,
    ) -> Result<()>;
    /// The client setup snippet (file name, text) for the tree's top directory.
    fn snippet(settings: &Settings, keys: &Keys) -> Result<Option<(String, String)>>;
    /// Problems in the format's directory: index entries that do not match their files, bad
    /// signatures (checked with the public keys in the tree's top directory, `dir`), missing
    /// files (errors); files no index lists (warnings).
    fn check(dir: &Path, settings: &Settings) -> Result<Vec<Problem>>;
}

/// Which of `Keys` a format signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Pgp,
    Rsa,
}

impl Keys {
    /// The OpenPGP key format `F` signs with; publishing refuses earlier without it.
    pub fn pgp_for<F: RepoFormat>(&self) -> Result<&Signer> {
        self.pgp.as_ref().ok_or_else(|| missing_key::<F>())
    }

    /// The RSA key format `F` signs with; publishing refuses earlier without it.
    pub fn apk_for<F: RepoFormat>(&self) -> Result<&ApkSigner> {
        self.apk.as_ref().ok_or_else(|| missing_key::<F>())
    }
}

fn missing_key<F: RepoFormat>() -> Error {
    let help = match F::SIGNED_WITH {
        KeyKind::Pgp => "pass --sign-key FILE (make one with `distpack keygen --pgp`)",
        KeyKind::Rsa => "pass --apk-key FILE (make one with `distpack keygen --rsa NAME`)",
    };
    Error::usage(
        format!("{} refuses an unsigned repository, and the {} tree has no key to sign it with", F::CLIENT, F::DIR),
        help,
    )
}

/// Refused before anything is copied into the tree: a format whose key is missing.
fn require_key<F: RepoFormat>(keys: &Keys) -> Result<()> {
    match F::SIGNED_WITH {
        KeyKind::Pgp => keys.pgp_for::<F>().map(|_| ()),
        KeyKind::Rsa => keys.apk_for::<F>().map(|_| ()),
    }
}

/// A finding of `repo check`.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub error: bool,
    pub path: PathBuf,
    pub message: String,
}

/// The options of `repo publish`.
pub struct Publish {
    pub dir: PathBuf,
    pub artifacts: Vec<PathBuf>,
    pub settings: Settings,
    pub keys: Keys,
    /// How long to wait for another publisher's lock, in seconds; 0 fails at once.
    pub wait: u64,
}

/// What a publish did, per format.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub added: Vec<PathBuf>,
    pub unchanged: Vec<PathBuf>,
    pub removed: Vec<PathBuf>,
}

/// Add `artifacts` to the tree in `dir`, creating it on first use, and rewrite the indices of
/// every format that changed. Nothing already published is overwritten with other bytes.
pub fn publish(options: &Publish) -> Result<Report> {
    let _lock = store::Lock::acquire(&options.dir, options.wait)?;
    let mut report = Report::default();
    let mut taken = vec![false; options.artifacts.len()];
    publish_format::<apt::Apt>(options, &mut taken, &mut report)?;
    publish_format::<rpmmd::RpmMd>(options, &mut taken, &mut report)?;
    publish_format::<pacman::Pacman>(options, &mut taken, &mut report)?;
    publish_format::<apk::Apk>(options, &mut taken, &mut report)?;
    if let Some(other) = options.artifacts.iter().zip(&taken).find(|(_, t)| !**t) {
        return Err(Error::invalid(
            format!("{} is not a package any repository format takes", other.0.display()),
            "publish .deb, .rpm, .pkg.tar.zst and .apk files (add-on bundles and recipes are not published)",
        ));
    }
    snippets::write(&options.dir, &options.settings, &options.keys)?;
    Ok(report)
}

/// Whether some repository format takes `path` (by its name).
pub fn is_package(path: &Path) -> bool {
    apt::Apt::accepts(path) || rpmmd::RpmMd::accepts(path) || pacman::Pacman::accepts(path) || apk::Apk::accepts(path)
}

/// `repo check DIR`: the tree against the settings it was last published with.
pub fn check_tree(dir: &Path) -> Result<Vec<Problem>> {
    check(dir, &cache::load_settings(dir)?)
}

fn publish_format<F: RepoFormat>(options: &Publish, taken: &mut [bool], report: &mut Report) -> Result<()> {
    let mine: Vec<&PathBuf> = options
        .artifacts
        .iter()
        .zip(taken.iter_mut())
        .filter_map(|(a, t)| F::accepts(a).then(|| *t = true).map(|_| a))
        .collect();
    if mine.is_empty() {
        return Ok(());
    }
    require_key::<F>(&options.keys)?;
    let root = options.dir.join(F::DIR);
    let mut entries: Vec<(Stored, F::Entry)> = cache::load(&options.dir, F::DIR)?;
    for artifact in mine {
        let entry = F::read(artifact)?;
        let file_name = artifact.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let path = F::pool_path(&entry, &file_name, &options.settings);
        match store::place(artifact, &root, &path)? {
            store::Placed::New(stored) => {
                entries.retain(|(s, _)| s.path != stored.path);
                entries.push((stored, entry));
                report.added.push(root.join(&path));
            }
            store::Placed::Same(stored) => {
                // Placed by a publish that failed before its indices were written (no key, say),
                // so not in the cache yet.
                if !entries.iter().any(|(s, _)| s.path == stored.path) {
                    entries.push((stored, entry));
                }
                report.unchanged.push(root.join(&path));
            }
        }
    }
    let removed = retain_newest(&mut entries, options.settings.keep);
    let mut staging = store::Staging::new(&options.dir, &root)?;
    F::write_indices(&root, &entries, &options.settings, &options.keys, &mut staging)?;
    staging.commit()?;
    cache::save(&options.dir, F::DIR, &entries)?;
    // Removed only once no index lists them: a client reading the old index still finds them
    // until the new one is in place.
    for stored in removed {
        let file = root.join(&stored.path);
        std::fs::remove_file(&file).or_else(ignore_missing).io("cannot remove", &file)?;
        report.removed.push(file);
    }
    Ok(())
}

fn ignore_missing(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) }
}

/// Keep the newest `keep` versions of each (name, architecture); the others are returned.
fn retain_newest<E: Indexed>(entries: &mut Vec<(Stored, E)>, keep: usize) -> Vec<Stored> {
    entries.sort_by(|(a_s, a), (b_s, b)| {
        (a.name(), a.arch())
            .cmp(&(b.name(), b.arch()))
            .then_with(|| a.compare_versions(b))
            .then(a_s.path.cmp(&b_s.path))
    });
    let mut removed = Vec::new();
    let mut kept: Vec<(Stored, E)> = Vec::with_capacity(entries.len());
    // Newest first within each (name, arch), whose entries are contiguous once sorted.
    let mut in_group = 0;
    for (stored, entry) in entries.drain(..).rev() {
        let same = kept.last().is_some_and(|(_, e)| e.name() == entry.name() && e.arch() == entry.arch());
        in_group = if same { in_group + 1 } else { 1 };
        if in_group > keep {
            removed.push(stored);
        } else {
            kept.push((stored, entry));
        }
    }
    kept.reverse();
    *entries = kept;
    removed
}

/// Verify the tree in `dir`: every format's directory that exists.
pub fn check(dir: &Path, settings: &Settings) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for (exists, check) in [
        (dir.join(apt::Apt::DIR).is_dir(), apt::Apt::check as fn(&Path, &Settings) -> Result<Vec<Problem>>),
        (dir.join(rpmmd::RpmMd::DIR).is_dir(), rpmmd::RpmMd::check),
        (dir.join(pacman::Pacman::DIR).is_dir(), pacman::Pacman::check),
        (dir.join(apk::Apk::DIR).is_dir(), apk::Apk::check),
    ] {
        if exists {
            problems.extend(check(dir, settings)?);
        }
    }
    Ok(problems)
}
