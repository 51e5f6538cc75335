//! The recipes distpack writes beside the packages — the AUR's PKGBUILD and Alpine's APKBUILD —
//! resolved once from `[pkgbuild]` / `[apkbuild]`: URLs expanded with each format's own pkgver,
//! the source directory defaulted, the names of the recipe's local files chosen, and (source mode)
//! each payload file's path inside the source tree. Both recipe writers render from this and
//! nothing else, so they cannot disagree about a default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Package, Source};
use crate::format::Format;
use crate::manifest::{LoadedManifest, PkgbuildMode, PkgbuildSettings};

/// Which recipe: they differ in file names and in which files are local sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    Aur,
    Alpine,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recipe {
    pub flavour: Flavour,
    /// The directory, relative to the output directory, the recipe's files go into.
    pub dir: PathBuf,
    pub source: RecipeSource,
    /// Files the recipe ships beside itself: (file name, installed path). Their bytes are the
    /// package's generated files (OpenRC scripts, and in source mode everything distpack makes).
    pub local_files: Vec<(String, String)>,
    /// The package's maintainer scripts as the recipe ships them: (file name, script name), e.g.
    /// `NAME.install` for the AUR, `NAME.post-install` for an APKBUILD.
    pub scripts: Vec<(String, String)>,
}

impl Recipe {
    /// The recipe file itself.
    pub fn main_file(&self) -> &'static str {
        match self.flavour {
            Flavour::Aur => "PKGBUILD",
            Flavour::Alpine => "APKBUILD",
        }
    }

    /// Every file the recipe's writer renders, in the order it renders them.
    pub fn file_names(&self) -> Vec<String> {
        let mut names = vec![self.main_file().to_string()];
        let locals = self.local_files.iter().map(|(n, _)| n.clone());
        let scripts = self.scripts.iter().map(|(n, _)| n.clone());
        match self.flavour {
            Flavour::Aur => {
                names.push(".SRCINFO".into());
                names.extend(scripts);
                names.extend(locals);
            }
            Flavour::Alpine => {
                names.extend(locals);
                names.extend(scripts);
            }
        }
        names
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum RecipeSource {
    /// Install from a release tarball per architecture that the recipe downloads.
    Bin { downloads: Vec<Download> },
    /// Build from the project's source archive with cargo.
    Source {
        /// `NAME-PKGVER.tar.gz`, the name the archive is saved as.
        archive: String,
        url: String,
        /// The archive's checksum (SHA-256 for a PKGBUILD, SHA-512 for an APKBUILD), if given.
        checksum: Option<String>,
        /// The directory the archive unpacks to.
        dir: String,
        /// Installed path → the file's path inside the source tree.
        paths: BTreeMap<String, String>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Download {
    pub arch: String,
    pub url: String,
    /// The release tarball, relative to the output directory.
    pub tarball: PathBuf,
}

/// `{version}` (the format's pkgver), `{upstream}`, `{name}` and `{arch}` in a recipe template.
fn expand(template: &str, package: &Package, arch: &str) -> String {
    template
        .replace("{version}", &package.version.upstream)
        .replace("{upstream}", &package.upstream_version)
        .replace("{name}", &package.name)
        .replace("{arch}", arch)
}

/// The recipe for `packages` (one per architecture, the first giving the metadata); `tarballs`
/// are the release tarballs a bin recipe downloads, in the same order. Why a source path cannot
/// be used is the error.
pub fn resolve(
    flavour: Flavour,
    settings: &PkgbuildSettings,
    root: &Path,
    packages: &[&Package],
    tarballs: &[PathBuf],
) -> Result<Recipe, String> {
    let first = packages.first().ok_or("there is no package to write a recipe for")?;
    let source_mode = settings.mode == PkgbuildMode::Source;
    let template = settings.source_url.get_ref();
    let source = if source_mode {
        let dir = settings.source_dir.clone().unwrap_or_else(|| "{name}-{version}".into());
        RecipeSource::Source {
            archive: format!("{}-{}.tar.gz", first.name, first.version.upstream),
            url: expand(template, first, ""),
            checksum: match flavour {
                Flavour::Aur => Some(settings.sha256.clone().unwrap_or_else(|| "SKIP".into())),
                Flavour::Alpine => settings.sha512.clone(),
            },
            dir: expand(&dir, first, ""),
            paths: source_paths(first, root)?,
        }
    } else {
        let downloads = packages
            .iter()
            .zip(tarballs)
            .map(|(p, tarball)| Download {
                arch: p.arch.clone(),
                url: expand(template, p, &p.arch),
                tarball: tarball.clone(),
            })
            .collect();
        RecipeSource::Bin { downloads }
    };
    let suffix = match flavour {
        Flavour::Aur => "pkgbuild",
        Flavour::Alpine => "apkbuild",
    };
    Ok(Recipe {
        flavour,
        dir: PathBuf::from(format!("{}-{suffix}", first.name)),
        local_files: local_files(flavour, first, source_mode),
        scripts: scripts(flavour, first),
        source,
    })
}

/// makepkg runs one `.install` file with a function per phase; abuild one file per script.
fn scripts(flavour: Flavour, package: &Package) -> Vec<(String, String)> {
    let name = &package.name;
    match flavour {
        Flavour::Aur => {
            package.scripts.keys().filter(|k| *k == "install").map(|k| (format!("{name}.install"), k.clone())).collect()
        }
        Flavour::Alpine => package.scripts.keys().map(|k| (format!("{name}{k}"), k.clone())).collect(),
    }
}

pub const INITD: &str = "/etc/init.d/";

/// Forges whose release assets are at `REPOSITORY/releases/download/TAG/FILE`.
const FORGES: [&str; 3] = ["https://github.com/", "https://codeberg.org/", "https://gitea.com/"];

/// `[pkgbuild]` as written, or, without one, a bin recipe that downloads the release tarballs
/// from the project's forge: the `v{upstream}` release that the generated CI workflow publishes
/// them to (GoReleaser's default too). `None` when the homepage is not a repository on a known
/// forge, so nothing would say where to download from.
pub fn pkgbuild_settings(manifest: &LoadedManifest) -> Option<PkgbuildSettings> {
    if let Some(settings) = &manifest.raw.pkgbuild {
        return Some(settings.clone());
    }
    let fields = match manifest.raw.format_table(Format::Pkgbuild) {
        Some(table) => manifest.raw.package.overlay(table),
        None => manifest.raw.package.clone(),
    };
    let homepage =
        fields.homepage.map(|h| h.into_inner()).or_else(|| manifest.cargo.as_ref().and_then(|c| c.homepage.clone()))?;
    let repository = forge_repository(&homepage)?;
    Some(PkgbuildSettings {
        mode: PkgbuildMode::Bin,
        source_url: toml::Spanned::new(
            0..0,
            format!("{repository}/releases/download/v{{upstream}}/{{name}}-{{version}}-{{arch}}.tar.gz"),
        ),
        sha256: None,
        sha512: None,
        source_dir: None,
    })
}

/// `https://github.com/OWNER/REPO` from a homepage that is exactly a repository on a known forge.
fn forge_repository(homepage: &str) -> Option<String> {
    let forge = FORGES.iter().find(|f| homepage.starts_with(*f))?;
    let path = homepage[forge.len()..].trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    let valid = |p: &&str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    (parts.len() == 2 && parts.iter().all(valid)).then(|| format!("{forge}{path}"))
}

/// The recipe's local sources: OpenRC scripts for Alpine (the -openrc subpackage takes them), and
/// in source mode every file distpack generates (it is not in the source archive).
fn local_files(flavour: Flavour, package: &Package, source_mode: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for file in all_files(package) {
        let initd = flavour == Flavour::Alpine && file.path.starts_with(INITD);
        let generated = source_mode && matches!(file.source, Source::Generated { .. });
        if initd || generated {
            out.push((local_name(flavour, &file.path), file.path.clone()));
        }
    }
    out
}

/// A local file's name: `SERVICE.initd` for an OpenRC script in an APKBUILD, otherwise the
/// installed path flattened.
fn local_name(flavour: Flavour, path: &str) -> String {
    match path.strip_prefix(INITD) {
        Some(service) if flavour == Flavour::Alpine => format!("{service}.initd"),
        _ => path.trim_start_matches('/').replace('/', "_"),
    }
}

/// The files of a package and of its subpackages (the -openrc one), sorted by path: a recipe's
/// `package()` installs them all and abuild splits them again.
pub fn all_files(package: &Package) -> Vec<&super::PackageFile> {
    let mut by_path = BTreeMap::new();
    for file in package.files.iter().chain(package.subpackages.iter().flat_map(|s| &s.files)) {
        by_path.entry(file.path.as_str()).or_insert(file);
    }
    by_path.into_values().collect()
}

/// Each payload file's path inside the source tree. cargo's per-target output directory becomes
/// `target/release`, because the recipe builds for the host. A file outside the project cannot
/// be in the source archive.
fn source_paths(package: &Package, root: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for file in all_files(package) {
        let Source::File { path } = &file.source else { continue };
        let relative = path.strip_prefix(root).map_err(|_| {
            format!(
                "{} is outside the project, so a source-mode recipe cannot install it from the source archive",
                path.display()
            )
        })?;
        let text = relative.to_string_lossy();
        let prefix = format!("target/{}/", package.target);
        let inside = match text.strip_prefix(&prefix) {
            Some(rest) => format!("target/{rest}"),
            None => text.into_owned(),
        };
        out.insert(file.path.clone(), inside);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn forge_repositories() {
        let repo = super::forge_repository;
        assert_eq!(repo("https://github.com/o/r").as_deref(), Some("https://github.com/o/r"));
        assert_eq!(repo("https://github.com/o/r.git/").as_deref(), Some("https://github.com/o/r"));
        assert_eq!(repo("https://codeberg.org/o/r-s").as_deref(), Some("https://codeberg.org/o/r-s"));
        assert_eq!(repo("https://github.com/o"), None);
        assert_eq!(repo("https://github.com/o/r/tree/main"), None);
        assert_eq!(repo("https://example.org/o/r"), None);
    }
}
