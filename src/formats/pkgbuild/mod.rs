//! AUR recipes (FORMATS.md §3.6): a PKGBUILD, its `.SRCINFO` and the `.install` file, in `bin`
//! mode (download the release tarball distpack writes per architecture, install each file with
//! its mode) or `source` mode (build with cargo, following Arch's Rust packaging guidelines).
//!
//! `.SRCINFO` is rendered from the same data as the PKGBUILD, in the exact layout
//! `makepkg --printsrcinfo` prints, so the two cannot drift apart.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::compress::Encoder;
use crate::error::{Error, Result};
use crate::formats::tarball;
use crate::formats::{Keys, Packager};
use crate::manifest::{PkgbuildMode, PkgbuildSettings};
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
    fn file_name(&self, package: &Package) -> String {
        let (_, pkgver, _) = split_version(package);
        format!("{}-{pkgver}-{}.tar.gz", package.name, package.arch)
    }

    fn write(&self, package: &Package, out: &mut File, _scratch: &Path, _keys: &Keys) -> Result<()> {
        let io_err = |e: io::Error| {
            Error::invalid(format!("cannot write the release tarball: {e}"), crate::output::write_help(&e))
        };
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

/// A release tarball as the recipe refers to it.
pub struct Tarball {
    pub arch: String,
    pub file_name: String,
    pub sha256: String,
}

pub struct Recipe {
    pub pkgbuild: String,
    pub srcinfo: String,
    /// `NAME.install`, when the package has install functions.
    pub install: Option<(String, String)>,
    /// Local sources the recipe lists (source mode: generated files), name → bytes.
    pub extra_files: Vec<(String, Vec<u8>)>,
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn expand(template: &str, package: &Package, pkgver: &str, arch: &str) -> String {
    template
        .replace("{version}", pkgver)
        .replace("{upstream}", &package.upstream_version)
        .replace("{name}", &package.name)
        .replace("{arch}", arch)
}

/// One attribute: its key and values (one for a variable, any number for an array).
type Attr = (&'static str, Vec<String>);

/// Attributes in `.SRCINFO` order; each becomes a PKGBUILD array or variable and `.SRCINFO` lines.
struct Attrs {
    base: Vec<Attr>,
    /// `source_<arch>` and `sha256sums_<arch>`, per architecture.
    per_arch: Vec<(String, Vec<Attr>)>,
}

/// `root` is the project root the plan's source paths start with.
pub fn render(settings: &PkgbuildSettings, root: &Path, packages: &[&Package], tarballs: &[Tarball]) -> Result<Recipe> {
    let package = packages
        .first()
        .ok_or_else(|| Error::invalid("no package to write a PKGBUILD for", "pass at least one --target"))?;
    let (epoch, pkgver, pkgrel) = split_version(package);
    let rel = |kind: RelationKind| crate::formats::arch::relations(package, kind);
    let install = package.scripts.get("install").map(|text| (format!("{}.install", package.name), text.clone()));
    let source_mode = settings.mode == PkgbuildMode::Source;

    let mut extra_files = Vec::new();
    let (mut base_sources, mut base_sums) = (Vec::new(), Vec::new());
    let mut per_arch = Vec::new();
    if source_mode {
        let url = expand(settings.source_url.get_ref(), package, &pkgver, "");
        base_sources.push(format!("{}-{pkgver}.tar.gz::{url}", package.name));
        base_sums.push(settings.sha256.clone().unwrap_or_else(|| "SKIP".into()));
        for file in &package.files {
            if let Source::Generated { bytes } = &file.source {
                let name = generated_name(&file.path);
                base_sources.push(name.clone());
                base_sums.push(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)));
                extra_files.push((name, bytes.clone()));
            }
        }
    } else {
        for t in tarballs {
            let url = expand(settings.source_url.get_ref(), package, &pkgver, &t.arch);
            per_arch.push((
                t.arch.clone(),
                vec![("source", vec![format!("{}::{url}", t.file_name)]), ("sha256sums", vec![t.sha256.clone()])],
            ));
        }
    }
    let mut optdepends = rel(RelationKind::Recommends);
    optdepends.extend(rel(RelationKind::Suggests));
    let attrs = Attrs {
        base: vec![
            ("pkgdesc", vec![one_line(&package.summary)]),
            ("pkgver", vec![pkgver.clone()]),
            ("pkgrel", vec![pkgrel.clone()]),
            ("epoch", epoch.into_iter().collect()),
            ("url", package.homepage.clone().into_iter().collect()),
            ("install", install.as_ref().map(|(n, _)| n.clone()).into_iter().collect()),
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
    let pkgbuild = pkgbuild_text(settings, root, package, &attrs)?;
    let srcinfo = srcinfo_text(&package.name, &attrs);
    Ok(Recipe { pkgbuild, srcinfo, install, extra_files })
}

/// A generated file's name among the recipe's local sources: its installed path, flattened.
fn generated_name(path: &str) -> String {
    path.trim_start_matches('/').replace('/', "_")
}

const SCALARS: [&str; 6] = ["pkgdesc", "pkgver", "pkgrel", "epoch", "url", "install"];

fn pkgbuild_text(settings: &PkgbuildSettings, root: &Path, package: &Package, attrs: &Attrs) -> Result<String> {
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
    let source_dir = settings.source_dir.clone().unwrap_or_else(|| "{name}-{version}".into());
    let (_, pkgver, _) = split_version(package);
    let source_dir = expand(&source_dir, package, &pkgver, "");
    if settings.mode == PkgbuildMode::Source {
        out += &format!(
            "prepare() {{\n\tcd {dir}\n\texport RUSTUP_TOOLCHAIN=stable\n\tcargo fetch --locked --target \"$(rustc -vV | sed -n 's/host: //p')\"\n}}\n\n\
             build() {{\n\tcd {dir}\n\texport RUSTUP_TOOLCHAIN=stable\n\texport CARGO_TARGET_DIR=target\n\tcargo build --frozen --release --all-features\n}}\n\n\
             check() {{\n\tcd {dir}\n\texport RUSTUP_TOOLCHAIN=stable\n\tcargo test --frozen --all-features\n}}\n\n",
            dir = quote(&source_dir)
        );
    }
    let before_body = out.len() + "package() {\n".len();
    out += "package() {\n";
    for file in &package.files {
        let dest = format!("\"$pkgdir\"{}", quote(&file.path));
        let from = match (&file.source, settings.mode) {
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
            (_, PkgbuildMode::Bin) => quote(file.path.trim_start_matches('/')),
            (Source::Generated { .. }, PkgbuildMode::Source) => quote(&generated_name(&file.path)),
            (Source::File { path }, PkgbuildMode::Source) => {
                let relative = project_relative(package, root, path)?;
                format!("{}/{}", quote(&source_dir), quote(&relative))
            }
        };
        out += &format!("\tinstall -Dm{:04o} {from} {dest}\n", file.mode);
    }
    if out.len() == before_body {
        out += "\t: # nothing to install\n";
    }
    out += "}\n";
    Ok(out)
}

/// A file's path inside the source tree; cargo's per-target output dir becomes `target/release`
/// because the recipe builds for the host.
fn project_relative(package: &Package, root: &Path, path: &Path) -> Result<String> {
    let relative = path.strip_prefix(root).map_err(|_| {
        Error::invalid(
            format!("{} is outside the project", path.display()),
            "a source-mode PKGBUILD can only install files from the source tree",
        )
    })?;
    let text = relative.to_string_lossy();
    let prefix = format!("target/{}/", package.target);
    Ok(match text.strip_prefix(&prefix) {
        Some(rest) => format!("target/{rest}"),
        None => text.into_owned(),
    })
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

/// Write the recipe into `dir` (created when missing), returning the directory.
pub fn write_recipe(recipe: &Recipe, dir: &Path) -> Result<PathBuf> {
    let mut files = vec![
        ("PKGBUILD".to_string(), recipe.pkgbuild.clone().into_bytes()),
        (".SRCINFO".to_string(), recipe.srcinfo.clone().into_bytes()),
    ];
    if let Some((name, text)) = &recipe.install {
        files.push((name.clone(), text.clone().into_bytes()));
    }
    files.extend(recipe.extra_files.iter().cloned());
    crate::output::write_files(dir, &files)?;
    Ok(dir.to_path_buf())
}
