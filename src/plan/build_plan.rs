//! The whole build as data. Every file `build` writes is the output of one step here, with its
//! inputs resolved and its path named; `build` only executes the steps, and `distpack plan` shows
//! them. A new kind of output is a new `Step`, not a branch in `build`.
//!
//! The plan comes in two parts because a package's contents are what cargo and the
//! `before-package` commands made: `prepare` lists those commands, and the rest is resolved after
//! they ran (or, for `distpack plan`, from what is on disk now).

use std::path::PathBuf;

use serde::Serialize;

use super::recipe::{self, Flavour, Recipe};
use super::{Context, Package, outputs};
use crate::error::Result;
use crate::format::Format;
use crate::manifest::{LoadedManifest, PkgbuildMode};
use crate::target::Target;

/// What a build was asked for, beside the manifest.
#[derive(Debug, Clone)]
pub struct Request {
    /// The formats asked for with `-f`; every format the manifest enables when empty.
    pub formats: Vec<Format>,
    pub targets: Vec<Target>,
    /// Run `cargo build` for cargo projects (not with `--no-build`).
    pub cargo_build: bool,
    /// A minisign key was given: bundles and SHA256SUMS are signed.
    pub minisign: bool,
    /// `--debug-symbols`: over the manifest's setting for every format.
    pub debug_symbols: Option<crate::manifest::DebugSymbols>,
}

/// A command that makes the inputs of the packages.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Prepare {
    /// `cargo build --release --target TARGET`, into the workspace's `target/` whatever
    /// CARGO_TARGET_DIR says (the manifest names binaries as `target/{target}/release/NAME`
    /// below the project root, or `../target/…` below a workspace member).
    CargoBuild { target: String, manifest_path: PathBuf, target_dir: PathBuf },
    /// A `[build] before-package` command, run with `sh -c` in the project root.
    BeforePackage {
        command: String,
        /// `MANIFEST:LINE`, for messages.
        location: String,
        targets: Vec<String>,
    },
    /// `debug-symbols = "separate"`: `source`'s debug information into `debug` and a stripped
    /// copy, which the packages ship, into `stripped` (after the commands above made `source`).
    SplitDebug { source: PathBuf, stripped: PathBuf, debug: PathBuf, build_id: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct BuildPlan {
    pub prepare: Vec<Prepare>,
    /// Every package the steps write or render, once; steps refer to them by index.
    pub packages: Vec<Package>,
    pub steps: Vec<Step>,
}

/// Which package a step writes: one of `packages`, or a package split off it (apk's NAME-openrc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PackageRef {
    pub package: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subpackage: Option<usize>,
}

/// One output of the build. Paths are relative to the output directory.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// A package (or release tarball, or add-on bundle) by its format's writer.
    Package { format: Format, package: PackageRef, output: PathBuf },
    /// The release tarball a bin APKBUILD downloads, unpacking to `top`.
    ApkTarball { package: usize, top: String, output: PathBuf },
    /// An AUR recipe or APKBUILD and its files; `packages` give its metadata (the first) and its
    /// architectures, and a bin recipe's downloads are the outputs of earlier steps.
    Recipe { recipe: Recipe, packages: Vec<usize>, outputs: Vec<PathBuf> },
    /// `SHA256SUMS` over the artifacts this build wrote (those of failed steps are left out).
    Checksums { output: PathBuf, of: Vec<PathBuf> },
    /// A minisign signature (and a raw `.sig` when asked) over an earlier output. A bundle's
    /// trusted comment binds its identity, which `bundle` carries.
    Signature {
        of: PathBuf,
        outputs: Vec<PathBuf>,
        #[serde(skip_serializing_if = "Option::is_none")]
        bundle: Option<crate::bundle::Identity>,
    },
}

impl Step {
    /// The files this step writes.
    pub fn outputs(&self) -> Vec<PathBuf> {
        match self {
            Step::Package { output, .. } | Step::ApkTarball { output, .. } | Step::Checksums { output, .. } => {
                vec![output.clone()]
            }
            Step::Recipe { outputs, .. } | Step::Signature { outputs, .. } => outputs.clone(),
        }
    }

    /// The artifact this step contributes to SHA256SUMS and `build --json`: a package, or a
    /// recipe's main file.
    pub fn listed(&self) -> Option<PathBuf> {
        match self {
            Step::Package { output, .. } => Some(output.clone()),
            Step::Recipe { outputs, .. } => outputs.first().cloned(),
            Step::ApkTarball { .. } | Step::Checksums { .. } | Step::Signature { .. } => None,
        }
    }

    /// Outputs of other steps this one reads.
    pub fn inputs(&self) -> Vec<PathBuf> {
        match self {
            Step::Package { .. } | Step::ApkTarball { .. } => Vec::new(),
            Step::Recipe { recipe, .. } => match &recipe.source {
                recipe::RecipeSource::Bin { downloads } => downloads.iter().map(|d| d.tarball.clone()).collect(),
                recipe::RecipeSource::Source { .. } => Vec::new(),
            },
            Step::Checksums { of, .. } => of.clone(),
            Step::Signature { of, .. } => vec![of.clone()],
        }
    }
}

impl BuildPlan {
    pub fn package(&self, r: PackageRef) -> &Package {
        let package = &self.packages[r.package];
        match r.subpackage {
            Some(i) => &package.subpackages[i],
            None => package,
        }
    }

    /// Once the `SplitDebug` steps ran: the packages' files they wrote (stripped copies, debug
    /// files) at their sizes on disk, which resolving could not know yet. Nothing else a split
    /// changes, so the plan need not be resolved again.
    pub fn read_split_sizes(&mut self) -> Result<()> {
        use crate::error::IoContext;
        let written: std::collections::BTreeSet<&PathBuf> = self
            .prepare
            .iter()
            .filter_map(|p| match p {
                Prepare::SplitDebug { stripped, debug, .. } => Some([stripped, debug]),
                _ => None,
            })
            .flatten()
            .collect();
        let packages = self.packages.iter_mut().flat_map(|p| {
            let files = &mut p.files;
            std::iter::once(files).chain(p.subpackages.iter_mut().map(|s| &mut s.files))
        });
        for file in packages.flatten() {
            if let super::Source::File { path } = &file.source
                && written.contains(path)
            {
                file.size = std::fs::metadata(path).io("cannot read", path)?.len();
            }
        }
        Ok(())
    }
}

/// The commands that run before the packages resolve.
pub fn prepare(manifest: &LoadedManifest, request: &Request) -> Vec<Prepare> {
    let mut out = Vec::new();
    if let Some(cargo) = manifest.cargo.as_ref().filter(|_| request.cargo_build) {
        for target in &request.targets {
            out.push(Prepare::CargoBuild {
                target: target.triple.clone(),
                manifest_path: cargo.manifest_path.clone(),
                target_dir: cargo.workspace_root.join("target"),
            });
        }
    }
    let triples: Vec<String> = request.targets.iter().map(|t| t.triple.clone()).collect();
    for command in &manifest.raw.build.before_package {
        let line = super::line_of(&manifest.text, command.span().start);
        out.push(Prepare::BeforePackage {
            command: command.get_ref().clone(),
            location: format!("{}:{line}", manifest.path.display()),
            targets: triples.clone(),
        });
    }
    out
}

/// What `build` writes without `-f`. pkgbuild needs [pkgbuild]; apk needs a signing key, so it is
/// built when [apk] asks for it; addon needs [addon].
pub fn enabled_formats(manifest: &LoadedManifest) -> Vec<Format> {
    Format::ALL
        .into_iter()
        .filter(|f| match f {
            Format::Pkgbuild => manifest.raw.pkgbuild.is_some(),
            Format::Apk => manifest.raw.apk.is_some(),
            Format::Addon => manifest.raw.addon.is_some(),
            _ => true,
        })
        .collect()
}

/// Every package for the request: one per format × target, an architecture-independent one once.
pub fn packages(manifest: &LoadedManifest, request: &Request, ctx: &Context) -> Result<Vec<Package>> {
    let formats = if request.formats.is_empty() { enabled_formats(manifest) } else { request.formats.clone() };
    let mut packages = Vec::new();
    for target in &request.targets {
        for format in &formats {
            let package = super::resolve(manifest, *format, target, ctx)?;
            if !outputs::is_duplicate(&packages, &package) {
                packages.push(package);
            }
        }
    }
    Ok(packages)
}

/// The whole plan, once `prepare`'s commands have run. Its `prepare` also lists the binaries to
/// split, after which the packages (and debug packages) read the stripped copies.
pub fn resolve(manifest: &LoadedManifest, request: &Request, ctx: &Context) -> Result<BuildPlan> {
    let mut packages = packages(manifest, request, ctx)?;
    let splits = super::debug::apply(manifest, request.debug_symbols, &mut packages)?;
    let mut steps = package_steps(manifest, &packages);
    steps.extend(recipe_steps(manifest, &packages, &steps)?);
    let artifacts: Vec<PathBuf> = steps.iter().filter_map(Step::listed).collect();
    let mut signatures = Vec::new();
    if request.minisign {
        for step in &steps {
            if let Step::Package { package, output, .. } = step
                && let package = &packages[package.package]
                && let Some(addon) = &package.addon
            {
                let identity = crate::bundle::Identity {
                    id: addon.id.clone(),
                    version: package.version.upstream.clone(),
                    os: addon.os.clone(),
                    arch: package.arch.clone(),
                };
                signatures.push(signature(output, addon.raw_signature, Some(identity)));
            }
        }
    }
    steps.extend(signatures);
    if !artifacts.is_empty() {
        let sums = PathBuf::from("SHA256SUMS");
        steps.push(Step::Checksums { output: sums.clone(), of: artifacts });
        if request.minisign {
            steps.push(signature(&sums, false, None));
        }
    }
    let mut prepare = prepare(manifest, request);
    prepare.extend(splits);
    Ok(BuildPlan { prepare, packages, steps })
}

fn signature(of: &std::path::Path, raw: bool, bundle: Option<crate::bundle::Identity>) -> Step {
    let name = of.as_os_str().to_string_lossy();
    let mut outputs = vec![PathBuf::from(format!("{name}.minisig"))];
    if raw {
        outputs.push(PathBuf::from(format!("{name}.sig")));
    }
    Step::Signature { of: of.to_path_buf(), outputs, bundle }
}

/// A step per package and subpackage; a source-mode AUR recipe downloads no release tarball, so
/// none is written.
fn package_steps(manifest: &LoadedManifest, packages: &[Package]) -> Vec<Step> {
    let source_recipe = recipe::pkgbuild_settings(manifest).is_some_and(|p| p.mode == PkgbuildMode::Source);
    let mut steps = Vec::new();
    for (i, package) in packages.iter().enumerate() {
        if package.format == Format::Pkgbuild && source_recipe {
            continue;
        }
        let refs =
            std::iter::once((None, package)).chain(package.subpackages.iter().enumerate().map(|(j, s)| (Some(j), s)));
        for (subpackage, p) in refs {
            steps.push(Step::Package {
                format: p.format,
                package: PackageRef { package: i, subpackage },
                output: PathBuf::from(outputs::file_name(p)),
            });
        }
    }
    steps
}

/// The AUR recipe and the APKBUILD (with a bin APKBUILD's release tarballs).
fn recipe_steps(manifest: &LoadedManifest, packages: &[Package], package_steps: &[Step]) -> Result<Vec<Step>> {
    let mut steps = Vec::new();
    let of_format = |format: Format| -> Vec<usize> {
        packages.iter().enumerate().filter(|(_, p)| p.format == format).map(|(i, _)| i).collect()
    };
    if let Some(settings) = &recipe::pkgbuild_settings(manifest) {
        let indices = of_format(Format::Pkgbuild);
        if !indices.is_empty() {
            let tarballs: Vec<PathBuf> = package_steps
                .iter()
                .filter_map(|s| match s {
                    Step::Package { format: Format::Pkgbuild, output, .. } => Some(output.clone()),
                    _ => None,
                })
                .collect();
            steps.push(recipe_step(manifest, Flavour::Aur, settings, packages, indices, tarballs)?);
        }
    }
    if let Some(settings) = &manifest.raw.apkbuild {
        // One recipe architecture each: noarch .apk files of several targets are one package.
        let mut indices = of_format(Format::Apk);
        let mut seen = std::collections::BTreeSet::new();
        indices.retain(|&i| seen.insert(packages[i].arch.clone()));
        if !indices.is_empty() {
            let mut tarballs = Vec::new();
            if settings.mode == PkgbuildMode::Bin {
                for &i in &indices {
                    let top = outputs::apk_tarball_dir(&packages[i]);
                    let output = PathBuf::from(format!("{top}.tar.gz"));
                    tarballs.push(output.clone());
                    steps.push(Step::ApkTarball { package: i, top, output });
                }
            }
            steps.push(recipe_step(manifest, Flavour::Alpine, settings, packages, indices, tarballs)?);
        }
    }
    Ok(steps)
}

fn recipe_step(
    manifest: &LoadedManifest,
    flavour: Flavour,
    settings: &crate::manifest::PkgbuildSettings,
    packages: &[Package],
    indices: Vec<usize>,
    tarballs: Vec<PathBuf>,
) -> Result<Step> {
    let selected: Vec<&Package> = indices.iter().map(|&i| &packages[i]).collect();
    let recipe = recipe::resolve(flavour, settings, &manifest.root, &selected, &tarballs).map_err(|why| {
        let table = match flavour {
            Flavour::Aur => "[pkgbuild]",
            Flavour::Alpine => "[apkbuild]",
        };
        let span = settings.source_url.span();
        manifest.errors(vec![manifest.error(
            span,
            why,
            "source mode",
            format!("install only files from the source tree, or set {table} mode = \"bin\""),
        )])
    })?;
    let names = recipe.file_names();
    let outputs = names.iter().map(|n| recipe.dir.join(n)).collect();
    Ok(Step::Recipe { recipe, packages: indices, outputs })
}
