//! AUR recipes (FORMATS.md §3.6): a PKGBUILD, its `.SRCINFO` and the `.install` file, in `bin`
//! mode (download the release tarball distpack writes per architecture, install each file with
//! its mode) or `source` mode (build with cargo, following Arch's Rust packaging guidelines).
//!
//! `.SRCINFO` is rendered from the same data as the PKGBUILD, in the exact layout
//! `makepkg --printsrcinfo` prints, so the two cannot drift apart.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::compress::Encoder;
use crate::error::{Error, Result};
use crate::formats::tarball;
use crate::formats::{Keys, Packager};
use crate::plan::recipe::{Recipe, RecipeSource};
use crate::plan::relations::RelationKind;
use crate::plan::{Package, Source};

/// The per-architecture release tarball a `bin` PKGBUILD downloads: the package's files laid out
/// as they install, without package metadata.
pub struct ReleaseTarball;

/// The epoch, `pkgver` and `pkgrel`.
pub fn split_version(package: &Package) -> (Option<String>, String, String) {
    let v = &package.version;
    (v.epoch.map(|e| e.to_string()), v.upstream.clone(), v.release.clone())
}

impl Packager for ReleaseTarball {
    fn write(&self, package: &Package, out: &mut File, _scratch: &Path, _keys: &Keys) -> Result<()> {
        let io_err = |e: io::Error| Error::write("the release tarball")(e);
        let encoder =
            Encoder::new(package.compression, package.compression_level, BufWriter::new(out)).map_err(io_err)?;
        let mut builder = tar::Builder::new(encoder);
        for file in &package.files {
            tarball::append(&mut builder, file, package.mtime, false, false)?;
        }
        builder.into_inner().and_then(Encoder::finish).and_then(|mut w| w.flush()).map_err(io_err)?;
        Ok(())
    }
}

/// One attribute: its key and values (one for a variable, any number for an array).
type Attr = (&'static str, Vec<String>);

/// Attributes in `.SRCINFO` order; each becomes a PKGBUILD array or variable and `.SRCINFO` lines.
struct Attrs {
    base: Vec<Attr>,
    /// `source_<arch>` and `sha256sums_<arch>`, per architecture.
    per_arch: Vec<(String, Vec<Attr>)>,
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The recipe's files (PKGBUILD, .SRCINFO, the .install file and local sources), name → bytes.
/// `sha256s` are the release tarballs' digests, one per download of a bin recipe.
pub fn render(recipe: &Recipe, packages: &[&Package], sha256s: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
    let package = packages
        .first()
        .ok_or_else(|| Error::invalid("no package to write a PKGBUILD for", "pass at least one --target"))?;
    let (epoch, pkgver, pkgrel) = split_version(package);
    let rel = |kind: RelationKind| crate::formats::arch::relations(package, kind);
    let install: Vec<(String, String)> = recipe
        .scripts
        .iter()
        .filter_map(|(file, script)| Some((file.clone(), package.scripts.get(script)?.clone())))
        .collect();
    let locals = local_sources(recipe, package);
    let source_mode = matches!(recipe.source, RecipeSource::Source { .. });
    let (base_sources, base_sums, per_arch) = sources(recipe, &locals, sha256s);
    let mut optdepends = rel(RelationKind::Recommends);
    optdepends.extend(rel(RelationKind::Suggests));
    let attrs = Attrs {
        base: vec![
            ("pkgdesc", vec![one_line(&package.summary)]),
            ("pkgver", vec![pkgver.clone()]),
            ("pkgrel", vec![pkgrel.clone()]),
            ("epoch", epoch.into_iter().collect()),
            ("url", package.homepage.clone().into_iter().collect()),
            ("install", install.iter().map(|(n, _)| n.clone()).collect()),
            ("arch", packages.iter().map(|p| p.arch.clone()).collect()),
            ("license", package.license.clone().into_iter().collect()),
            ("makedepends", if source_mode { vec!["cargo".into()] } else { vec![] }),
            ("depends", rel(RelationKind::Depends)),
            ("optdepends", optdepends),
            ("provides", rel(RelationKind::Provides)),
            ("conflicts", rel(RelationKind::Conflicts)),
            ("replaces", rel(RelationKind::Replaces)),
            ("options", if source_mode { vec![] } else { vec!["!strip".into(), "!debug".into()] }),
            ("backup", package.conffiles().map(|f| f.path.trim_start_matches('/').to_string()).collect()),
            ("source", base_sources),
            ("sha256sums", base_sums),
        ],
        per_arch,
    };
    let mut files = vec![
        (recipe.main_file().to_string(), pkgbuild_text(recipe, package, &attrs).into_bytes()),
        (".SRCINFO".to_string(), srcinfo_text(&package.name, &attrs).into_bytes()),
    ];
    files.extend(install.into_iter().map(|(name, text)| (name, text.into_bytes())));
    files.extend(locals);
    Ok(files)
}

/// The base `source` and `sha256sums`, and the per-architecture attributes.
type Sources = (Vec<String>, Vec<String>, Vec<(String, Vec<Attr>)>);

/// `source` and `sha256sums`: the archive and local files (source mode), or per architecture the
/// release tarball (bin mode).
fn sources(recipe: &Recipe, locals: &[(String, Vec<u8>)], sha256s: &[String]) -> Sources {
    let (mut base_sources, mut base_sums, mut per_arch) = (Vec::new(), Vec::new(), Vec::new());
    match &recipe.source {
        RecipeSource::Source { archive, url, checksum, .. } => {
            base_sources.push(format!("{archive}::{url}"));
            base_sums.push(checksum.clone().unwrap_or_else(|| "SKIP".into()));
            for (name, bytes) in locals {
                base_sources.push(name.clone());
                base_sums.push(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)));
            }
        }
        RecipeSource::Bin { downloads } => {
            for (download, sha256) in downloads.iter().zip(sha256s) {
                let name = download.tarball.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let source = vec![format!("{name}::{}", download.url)];
                per_arch.push((download.arch.clone(), vec![("source", source), ("sha256sums", vec![sha256.clone()])]));
            }
        }
    }
    (base_sources, base_sums, per_arch)
}

/// The recipe's local sources with their bytes (files distpack generates).
fn local_sources(recipe: &Recipe, package: &Package) -> Vec<(String, Vec<u8>)> {
    let bytes_of = |path: &str| {
        package.files.iter().find(|f| f.path == path).and_then(|f| match &f.source {
            Source::Generated { bytes } => Some(bytes.clone()),
            _ => None,
        })
    };
    recipe.local_files.iter().filter_map(|(name, path)| Some((name.clone(), bytes_of(path)?))).collect()
}

const SCALARS: [&str; 6] = ["pkgdesc", "pkgver", "pkgrel", "epoch", "url", "install"];

fn pkgbuild_text(recipe: &Recipe, package: &Package, attrs: &Attrs) -> String {
    let mut out = format!(
        "# Maintainer: {}\n#\n# Generated by distpack {}; change the distpack manifest rather than this file.\n\npkgname={}\n",
        package.maintainer,
        env!("CARGO_PKG_VERSION"),
        package.name
    );
    for (key, values) in &attrs.base {
        if values.is_empty() {
            continue;
        }
        if SCALARS.contains(key) {
            let value = &values[0];
            let simple = value.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
            out += &format!(
                "{key}={}\n",
                if simple && *key != "pkgdesc" && *key != "url" { value.clone() } else { quote(value) }
            );
        } else {
            out += &format!("{key}=({})\n", values.iter().map(|v| quote(v)).collect::<Vec<_>>().join(" "));
        }
    }
    for (arch, entries) in &attrs.per_arch {
        for (key, values) in entries {
            out += &format!("{key}_{arch}=({})\n", values.iter().map(|v| quote(v)).collect::<Vec<_>>().join(" "));
        }
    }
    out += "\n";
    let local_name = |path: &str| recipe.local_files.iter().find(|(_, p)| p == path).map(|(n, _)| n.clone());
    let no_paths = BTreeMap::new();
    let (source_dir, paths) = match &recipe.source {
        RecipeSource::Source { dir, paths, .. } => (Some(dir.as_str()), paths),
        RecipeSource::Bin { .. } => (None, &no_paths),
    };
    if let Some(source_dir) = source_dir {
        out += &format!(
            "prepare() {{\n\tcd {dir}\n\texport RUSTUP_TOOLCHAIN=stable\n\tcargo fetch --locked --target \"$(rustc -vV | sed -n 's/host: //p')\"\n}}\n\n\
             build() {{\n\tcd {dir}\n\texport RUSTUP_TOOLCHAIN=stable\n\texport CARGO_TARGET_DIR=target\n\tcargo build --frozen --release --all-features\n}}\n\n\
             check() {{\n\tcd {dir}\n\texport RUSTUP_TOOLCHAIN=stable\n\tcargo test --frozen --all-features\n}}\n\n",
            dir = quote(source_dir)
        );
    }
    let before_body = out.len() + "package() {\n".len();
    out += "package() {\n";
    for file in &package.files {
        let dest = format!("\"$pkgdir\"{}", quote(&file.path));
        let from = match (&file.source, source_dir) {
            (Source::Directory, _) => {
                // `install -D` creates parents 0755 root; only other directories need a line.
                let parent_of_others = package.files.iter().any(|f| f.path.starts_with(&format!("{}/", file.path)));
                if !(parent_of_others && file.mode == 0o755 && file.owner == "root" && file.group == "root") {
                    out += &format!("\tinstall -dm{:04o} {dest}\n", file.mode);
                }
                continue;
            }
            (Source::Symlink { target }, _) => {
                let parent = file.path.rsplit_once('/').map(|(p, _)| p).unwrap_or("/");
                out += &format!("\tinstall -d \"$pkgdir\"{}\n\tln -s {} {dest}\n", quote(parent), quote(target));
                continue;
            }
            (_, None) => quote(file.path.trim_start_matches('/')),
            (Source::Generated { .. }, Some(_)) => quote(&local_name(&file.path).unwrap_or_default()),
            (Source::File { .. }, Some(dir)) => {
                format!("{}/{}", quote(dir), quote(paths.get(&file.path).map(String::as_str).unwrap_or_default()))
            }
        };
        out += &format!("\tinstall -Dm{:04o} {from} {dest}\n", file.mode);
    }
    if out.len() == before_body {
        out += "\t: # nothing to install\n";
    }
    out += "}\n";
    out
}

/// `.SRCINFO` exactly as `makepkg --printsrcinfo` prints it.
fn srcinfo_text(name: &str, attrs: &Attrs) -> String {
    let mut out = format!("pkgbase = {name}\n");
    for (key, values) in &attrs.base {
        for v in values {
            out += &format!("\t{key} = {}\n", one_line(v));
        }
    }
    for (arch, entries) in &attrs.per_arch {
        for (key, values) in entries {
            for v in values {
                out += &format!("\t{key}_{arch} = {}\n", one_line(v));
            }
        }
    }
    out += &format!("\npkgname = {name}\n");
    out
}
