//! Detached debug symbols (`debug-symbols = "separate"`): which binaries are split, where their
//! stripped copies and debug files go, and the debug package each distribution's own tool makes
//! of them: dh_strip's NAME-dbgsym (.ddeb), rpmbuild's NAME-debuginfo, makepkg's NAME-debug.
//! apk and the add-on bundle (and the AUR release tarball) get the stripped binaries and no debug
//! package; their build-ids match the debug files in the others.
//!
//! The split runs once per binary, whichever formats ship it, so that every format ships the same
//! stripped bytes. Its outputs go to `target/distpack/debug-symbols/BUILD-ID/` below the cargo
//! workspace (or the project root): scratch that `cargo clean` removes and that is not an
//! artifact, where the output directory holds only what a release uploads. A build-id names the
//! directory because it names the binary's contents: a rebuilt binary gets a new one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::build_plan::Prepare;
use super::relations::{Atom, Constraint, Op, Relation, RelationKind};
use super::{Package, PackageFile, Source, files};
use crate::error::Result;
use crate::format::Format;
use crate::manifest::{DebugSymbols, FileKind, LoadedManifest};

/// What marks a package of detached debug symbols: whose symbols, and the build-ids of the
/// binaries they belong to (Debian's `Build-Ids`, rpm's `debuginfo(build-id)` provides).
#[derive(Debug, Clone, Serialize)]
pub struct DebugOf {
    pub package: String,
    pub build_ids: Vec<String>,
}

/// One binary split into a stripped copy and its debug file.
#[derive(Debug, Clone)]
struct Split {
    build_id: String,
    stripped: PathBuf,
    debug: PathBuf,
}

/// The packages' binaries replaced by their stripped copies where `debug-symbols = "separate"`,
/// the debug packages appended, and the split steps that make the copies. Nothing is split
/// without the setting.
pub(super) fn apply(
    manifest: &LoadedManifest,
    forced: Option<DebugSymbols>,
    packages: &mut Vec<Package>,
) -> Result<Vec<Prepare>> {
    let scratch = manifest.cargo.as_ref().map_or(manifest.root.as_path(), |c| c.workspace_root.as_path());
    let scratch = scratch.join("target/distpack/debug-symbols");
    let mut splits: BTreeMap<PathBuf, Split> = BTreeMap::new();
    let mut debug_packages = Vec::new();
    for package in packages.iter_mut() {
        let Some(origin) = separate(manifest, forced, package.format) else { continue };
        let mut shipped = Vec::new();
        for file in &mut package.files {
            let Source::File { path } = &file.source else { continue };
            // The ELF facts the package resolved with (its `binaries`), not a second read.
            let Some(elf) = package.binaries.iter().find(|b| b.path == file.path).map(|b| &b.elf) else { continue };
            let shared_library = elf.soname.is_some();
            if !(file.kind == FileKind::Binary || shared_library) || !elf.unstripped() {
                continue;
            }
            let Some(build_id) = elf.build_id.clone() else {
                let message =
                    format!("{} has no build-id, so its debug symbols cannot be found once split", path.display());
                let help =
                    "link it with a build-id (`-Wl,--build-id`; for Rust, RUSTFLAGS=\"-C link-arg=-Wl,--build-id\")";
                return Err(match origin {
                    Some(span) => manifest.errors(vec![manifest.error(
                        span,
                        message,
                        "debug-symbols",
                        format!("{help}, or remove debug-symbols = \"separate\""),
                    )]),
                    None => crate::error::Error::invalid(
                        format!("--debug-symbols separate: {message}"),
                        format!("{help}, or leave out --debug-symbols separate"),
                    ),
                });
            };
            let split = splits.entry(path.clone()).or_insert_with(|| {
                let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                let dir = scratch.join(&build_id);
                Split { stripped: dir.join(&name), debug: dir.join(format!("{name}.debug")), build_id }
            });
            // The copy is there once the split ran; until then (`distpack plan`) the size is the
            // unstripped binary's.
            file.size = std::fs::metadata(&split.stripped).map_or(file.size, |m| m.len());
            file.source = Source::File { path: split.stripped.clone() };
            shipped.push((file.path.clone(), split.clone()));
        }
        if !shipped.is_empty()
            && let Some(debug) = debug_package(package, &shipped)
        {
            debug_packages.push(debug);
        }
    }
    packages.extend(debug_packages);
    Ok(splits
        .into_iter()
        .map(|(source, s)| Prepare::SplitDebug { source, stripped: s.stripped, debug: s.debug, build_id: s.build_id })
        .collect())
}

/// Whether debug symbols are split for `format`: `--debug-symbols` (`Some(None)`: no manifest
/// line to name), else the span of the manifest's `debug-symbols = "separate"` (its table's value
/// over `[package]`'s).
fn separate(
    manifest: &LoadedManifest,
    forced: Option<DebugSymbols>,
    format: Format,
) -> Option<Option<std::ops::Range<usize>>> {
    if let Some(forced) = forced {
        return (forced == DebugSymbols::Separate).then_some(None);
    }
    let own = manifest.raw.format_table(format).and_then(|t| t.debug_symbols.as_ref());
    let setting = own.or(manifest.raw.package.debug_symbols.as_ref())?;
    (*setting.get_ref() == DebugSymbols::Separate).then(|| Some(setting.span()))
}

/// The debug package `main`'s format has, with the debug files of `shipped` (installed path,
/// split) laid out as its distribution's tool lays them out.
fn debug_package(main: &Package, shipped: &[(String, Split)]) -> Option<Package> {
    let name = &main.name;
    let (suffix, section, summary, description) = match main.format {
        // dh_gencontrol's dbgsym paragraph: a synopsis, no extended description.
        Format::Deb => ("dbgsym", "debug".to_string(), format!("debug symbols for {name}"), String::new()),
        // rpm's %_debuginfo_template.
        Format::Rpm => (
            "debuginfo",
            "Development/Debug".to_string(),
            format!("Debug information for package {name}"),
            format!(
                "This package provides debug information for package {name}.\nDebug information is useful when developing applications that use this\npackage or when debugging this package."
            ),
        ),
        // makepkg's create_debug_package.
        Format::Arch => (
            "debug",
            main.section.clone(),
            format!("Detached debugging symbols for {name}"),
            format!("Detached debugging symbols for {name}"),
        ),
        Format::Apk | Format::Pkgbuild | Format::Addon => return None,
    };
    let mut build_ids: Vec<String> = shipped.iter().map(|(_, s)| s.build_id.clone()).collect();
    build_ids.sort();
    build_ids.dedup();
    let mut package = main.clone();
    package.name = format!("{name}-{suffix}");
    package.section = section;
    package.priority = "optional".into();
    package.summary = summary;
    package.description = description;
    package.relations = relations(main, &build_ids);
    package.files = debug_files(main, shipped);
    package.services = Default::default();
    package.scripts = Default::default();
    package.subpackages = Vec::new();
    package.debug_of = Some(DebugOf { package: name.clone(), build_ids });
    Some(package)
}

/// dh_gencontrol's `Depends: NAME (= VERSION)`; rpm's debuginfo provides (what rpm's
/// debuginfo.attr generates, and what `dnf debuginfo-install` looks up) and a requirement on the
/// package's architecture-qualified name, which the rpm writer provides; makepkg's none.
fn relations(main: &Package, build_ids: &[String]) -> BTreeMap<RelationKind, Vec<Relation>> {
    let exactly = |name: String, version: String| Relation {
        alternatives: vec![Atom { name, constraint: Some(Constraint { op: Op::Eq, version }) }],
    };
    let v = &main.version;
    let epoch = v.epoch.map(|e| format!("{e}:")).unwrap_or_default();
    let full = format!("{epoch}{}-{}", v.upstream, v.release);
    let mut out = BTreeMap::new();
    match main.format {
        Format::Deb => {
            out.insert(RelationKind::Depends, vec![exactly(main.name.clone(), full)]);
        }
        Format::Rpm => {
            let isa = match main.arch.as_str() {
                "x86_64" => Some("x86-64"),
                "aarch64" => Some("aarch-64"),
                _ => None,
            };
            let required = match isa {
                Some(isa) => format!("{}({isa})", main.name),
                None => main.name.clone(),
            };
            out.insert(RelationKind::Depends, vec![exactly(required, full)]);
            let provides = build_ids.iter().map(|id| exactly("debuginfo(build-id)".into(), id.clone())).collect();
            out.insert(RelationKind::Provides, provides);
        }
        _ => {}
    }
    out
}

/// The debug files under /usr/lib/debug. Debian: only `.build-id/xx/rest.debug`. rpm
/// (find-debuginfo with unique debug names): the file at `/usr/lib/debug/PATH-V-R.ARCH.debug`
/// and a `.build-id/xx/rest.debug` link to it. Arch (makepkg's strip_file): the file at
/// `/usr/lib/debug/PATH.debug`, and `.build-id/xx/rest.debug` and `.build-id/xx/rest` links to it
/// and to the binary.
fn debug_files(main: &Package, shipped: &[(String, Split)]) -> Vec<PackageFile> {
    let mut files = Vec::new();
    let v = &main.version;
    for (installed, split) in shipped {
        let (head, rest) = split.build_id.split_at(2.min(split.build_id.len()));
        let link_dir = format!("/usr/lib/debug/.build-id/{head}");
        let by_id = format!("{link_dir}/{rest}.debug");
        let named = match main.format {
            Format::Rpm => format!("/usr/lib/debug{installed}-{}-{}.{}.debug", v.upstream, v.release, main.arch),
            _ => format!("/usr/lib/debug{installed}.debug"),
        };
        match main.format {
            Format::Deb => files.push(file(by_id, &split.debug)),
            _ => {
                files.push(symlink(by_id, format!("../..{}", &named["/usr/lib/debug".len()..])));
                files.push(file(named, &split.debug));
            }
        }
        if main.format == Format::Arch {
            // Five levels up is `/`, four is `/usr`: makepkg shortens the link the same way.
            let binary = match installed.strip_prefix("/usr/") {
                Some(below_usr) => format!("../../../../{below_usr}"),
                None => format!("../../../../..{installed}"),
            };
            files.push(symlink(format!("{link_dir}/{rest}"), binary));
        }
    }
    if main.format == Format::Deb {
        // dh_installdocs links a dbgsym package's doc directory to its package's.
        files.push(symlink(format!("/usr/share/doc/{}-dbgsym", main.name), main.name.clone()));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    files::add_parent_dirs(&mut files, main.format != Format::Rpm);
    files
}

fn file(path: String, source: &Path) -> PackageFile {
    PackageFile {
        path,
        kind: FileKind::Data,
        mode: 0o644,
        owner: "root".into(),
        group: "root".into(),
        size: std::fs::metadata(source).map_or(0, |m| m.len()),
        source: Source::File { path: source.to_path_buf() },
    }
}

fn symlink(path: String, target: String) -> PackageFile {
    PackageFile {
        path,
        kind: FileKind::Symlink,
        mode: 0o777,
        owner: "root".into(),
        group: "root".into(),
        size: target.len() as u64,
        source: Source::Symlink { target },
    }
}
