//! `distpack repo publish|check` from the command line: keys, settings and packages gathered,
//! then handed to `publish`/`check_tree`.

use std::path::{Path, PathBuf};

use super::{Keys, Publish, Settings};
use crate::error::{Error, Result};

/// What `repo publish` was given on the command line.
pub struct PublishArgs {
    pub dir: PathBuf,
    pub artifacts: Vec<PathBuf>,
    pub from: Option<PathBuf>,
    pub manifest: PathBuf,
    pub name: Option<String>,
    pub sign_key: Option<PathBuf>,
    pub apk_key: Option<PathBuf>,
    pub wait: u64,
}

/// `repo publish`: the paths of the packages it added on stdout, a summary on stderr.
pub fn publish(args: PublishArgs) -> Result<()> {
    let PublishArgs { dir, mut artifacts, from, manifest, name, sign_key, apk_key, wait } = args;
    if let Some(from) = &from {
        artifacts.extend(packages_in(from)?);
    }
    if artifacts.is_empty() {
        return Err(Error::usage(
            "nothing to publish",
            "name the packages, or pass --from dist/ for every package `distpack build` wrote there",
        ));
    }
    let settings = settings(&dir, &manifest, name)?;
    let keys = Keys {
        pgp: sign_key
            .as_deref()
            .map(|k| crate::sign::pgp::Signer::load(k, std::env::var(crate::sign::PGP_PASSPHRASE_ENV).ok()))
            .transpose()?,
        apk: apk_key.as_deref().map(crate::sign::rsa::ApkSigner::load).transpose()?,
    };
    let report = super::publish(&Publish { dir, artifacts, settings, keys, wait })?;
    for path in &report.added {
        println!("{}", path.display());
    }
    crate::progress::info(&format!(
        "{} added, {} already published, {} old versions removed",
        report.added.len(),
        report.unchanged.len(),
        report.removed.len()
    ));
    Ok(())
}

/// `repo check`: each finding on stderr (or as JSON on stdout); an error when any is an error.
pub fn check(dir: &Path, json: bool) -> Result<()> {
    let problems = super::check_tree(dir)?;
    for problem in &problems {
        if json {
            println!("{}", serde_json::to_string(problem).unwrap_or_default());
        } else {
            let level = if problem.error { "error" } else { "warning" };
            eprintln!("{level}: {}: {}", problem.path.display(), problem.message);
        }
    }
    let errors = problems.iter().filter(|p| p.error).count();
    if errors > 0 {
        return Err(Error::RepoCheck { count: errors });
    }
    Ok(())
}

/// The repository's settings: `[repo]` of the manifest when there is one (its package name as
/// the default name), else `--name` alone.
fn settings(dir: &Path, manifest: &Path, name: Option<String>) -> Result<Settings> {
    let time = publish_time()?;
    let manifest = crate::manifest::discover(manifest);
    if manifest.is_file() {
        let loaded = crate::manifest::load(&manifest)?;
        let mut raw = loaded.raw.repo.clone().unwrap_or_default();
        if name.is_some() {
            raw.name = name;
        }
        let package = loaded.raw.package.name.as_ref().map(|n| n.get_ref().clone());
        let package = package.or_else(|| loaded.cargo.as_ref().and_then(|c| c.name.clone())).unwrap_or_default();
        return Settings::resolve(Some(&raw), &package, dir, time);
    }
    match name {
        Some(name) => Settings::resolve(None, &name, dir, time),
        None => Err(Error::usage(
            format!("no manifest at {} to name the repository", manifest.display()),
            "pass --name NAME, or -m with the project's manifest",
        )),
    }
}

/// `SOURCE_DATE_EPOCH` when set (reproducible trees), else now: the Release file's `Date:` and
/// the signatures' time.
fn publish_time() -> Result<u64> {
    if std::env::var_os("SOURCE_DATE_EPOCH").is_some() {
        return crate::epoch::source_date_epoch(Path::new("."));
    }
    Ok(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// Every package file below `dir` (debug packages included: they are packages of their format).
fn packages_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry =
            entry.map_err(|e| Error::invalid(format!("cannot read {}: {e}", dir.display()), "check the directory"))?;
        if entry.file_type().is_file() && super::is_package(entry.path()) {
            out.push(entry.into_path());
        }
    }
    Ok(out)
}
