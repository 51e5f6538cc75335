//! `distpack build` and `distpack plan`: load the manifest, build the binaries, resolve one plan
//! per format × target, and write each artifact atomically.

use std::path::{Path, PathBuf};
use std::process::Command;

use rayon::prelude::*;
use serde::Serialize;

use crate::check::{self, Finding};
use crate::error::IoContext;
use crate::error::{Error, Result};
use crate::format::Format;
use crate::formats::{Keys, apkbuild, pkgbuild};
use crate::manifest::{self, LoadedManifest};
use crate::plan::{self, Context, Package};
use crate::progress::Progress;
use crate::target::Target;

#[derive(Debug, Clone)]
pub struct Options {
    pub manifest: PathBuf,
    pub formats: Vec<Format>,
    /// Rust target triples; the host's when empty.
    pub targets: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Artifact {
    pub format: Format,
    pub target: String,
    pub arch: String,
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// Detached signatures written beside the artifact (`.minisig`, `.sig`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<PathBuf>,
}

impl Artifact {
    fn new(format: Format, target: &str, arch: &str, path: PathBuf) -> Result<Artifact> {
        // Read back once the artifact is complete: writers seek, so hashing while writing would
        // not see the final bytes. The file is still in the page cache.
        let digests = crate::digest::of_file(&path, false, false, true).io("cannot read", &path)?;
        Ok(Artifact {
            format,
            target: target.to_string(),
            arch: arch.to_string(),
            size: digests.bytes,
            sha256: digests.sha256.unwrap_or_default(),
            path,
            signatures: Vec::new(),
        })
    }
}

fn targets(options: &Options) -> Result<Vec<Target>> {
    if options.targets.is_empty() {
        return Ok(vec![Target::host()?]);
    }
    options.targets.iter().map(|t| Target::parse(t)).collect()
}

/// The formats asked for, or every format the manifest enables.
fn formats(options: &Options, manifest: &LoadedManifest) -> Vec<Format> {
    if !options.formats.is_empty() {
        return options.formats.clone();
    }
    enabled_formats(manifest)
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

/// Resolve every package without building anything.
pub fn plan(options: &Options) -> Result<Vec<Package>> {
    let manifest = manifest::load(&options.manifest)?;
    resolve_all(&manifest, options)
}

fn resolve_all(manifest: &LoadedManifest, options: &Options) -> Result<Vec<Package>> {
    let unknown = check::unknown_ignored_codes(manifest);
    if !unknown.is_empty() {
        return Err(manifest.errors(unknown));
    }
    let ctx = Context { mtime: crate::epoch::source_date_epoch(&manifest.root)? };
    let mut packages = Vec::new();
    for target in targets(options)? {
        for format in formats(options, manifest) {
            let package = plan::resolve(manifest, format, &target, &ctx)?;
            // An architecture-independent package is the same for every target: built once.
            let built = packages.iter().any(|p: &Package| {
                p.format == package.format && p.arch == package.arch && plan::is_independent_arch(&package.arch)
            });
            if !built {
                packages.push(package);
            }
        }
    }
    Ok(packages)
}

/// Resolve every package and run `distpack check` on them. The `[build] before-package` commands
/// run first: what they generate is checked like any other input.
pub fn check(options: &Options, no_build: bool) -> Result<Vec<Finding>> {
    let manifest = manifest::load(&options.manifest)?;
    let log = crate::progress::info;
    if !no_build && manifest.is_cargo_project() {
        for target in targets(options)? {
            cargo_build(&manifest, &target, &log)?;
        }
    }
    run_before_package(&manifest, &targets(options)?, &log)?;
    let packages = resolve_all(&manifest, options)?;
    Ok(check::run(&manifest, &packages))
}

/// How `build` treats what is not in the manifest.
#[derive(Debug, Clone, Default)]
pub struct BuildFlags {
    /// OpenPGP secret key that signs rpm packages.
    pub sign_key: Option<PathBuf>,
    /// RSA private key that signs .apk packages.
    pub apk_key: Option<PathBuf>,
    /// minisign secret key that signs add-on bundles and SHA256SUMS.
    pub minisign_key: Option<PathBuf>,
    pub allow_unsigned_apk: bool,
    /// Package existing binaries instead of running `cargo build`.
    pub no_build: bool,
    /// Package even when `distpack check` reports errors.
    pub allow_check_errors: bool,
}

/// Build (unless `no_build`), check, and package every format and target in parallel. Messages and
/// progress go to `progress`; the artifacts are returned in plan order.
pub fn build(options: &Options, out_dir: &Path, flags: BuildFlags, progress: &Progress) -> Result<Vec<Artifact>> {
    let log = |message: &str| progress.log(message);
    crate::output::clean_up_on_signals();
    let manifest = manifest::load(&options.manifest)?;
    if !flags.no_build && manifest.is_cargo_project() {
        for target in targets(options)? {
            cargo_build(&manifest, &target, &log)?;
        }
    }
    run_before_package(&manifest, &targets(options)?, &log)?;
    let packages = resolve_all(&manifest, options)?;
    let keys = Keys {
        pgp: match &flags.sign_key {
            Some(path) => {
                Some(crate::sign::pgp::Signer::load(path, std::env::var(crate::sign::PGP_PASSPHRASE_ENV).ok())?)
            }
            None => None,
        },
        apk: flags.apk_key.as_deref().map(crate::sign::rsa::ApkSigner::load).transpose()?,
        minisign: flags.minisign_key.as_deref().map(crate::sign::minisign::Signer::load).transpose()?,
        allow_unsigned_apk: flags.allow_unsigned_apk,
    };
    if keys.minisign.is_none() && packages.iter().any(|p| p.format == Format::Addon) {
        log(
            "add-on bundles are not signed: pass --minisign-key (or set DISTPACK_MINISIGN_KEY), or sign them later with `distpack sign`",
        );
    }
    if keys.apk.is_none() && flags.allow_unsigned_apk && packages.iter().any(|p| p.format == Format::Apk) {
        log("building an UNSIGNED .apk (--allow-unsigned-apk): apk installs it only with --allow-untrusted");
    }
    let findings = check::run(&manifest, &packages);
    for finding in &findings {
        log(&finding.render());
    }
    if check::has_errors(&findings) && !flags.allow_check_errors {
        return Err(Error::Check { count: findings.iter().filter(|f| f.severity == check::Severity::Error).count() });
    }
    let source_recipe = manifest.raw.pkgbuild.as_ref().is_some_and(|p| p.mode == crate::manifest::PkgbuildMode::Source);
    // A source recipe downloads no release tarball.
    // A subpackage (apk's NAME-openrc) is written beside the package it was split from.
    let writable: Vec<&Package> = packages
        .iter()
        .filter(|p| !(p.format == Format::Pkgbuild && source_recipe))
        .flat_map(|p| std::iter::once(p).chain(&p.subpackages))
        .collect();
    // Formats and targets are independent: write them side by side (each compressor also uses
    // every core, so the pool only needs to keep the cores busy between compression phases).
    let written: Vec<Result<Artifact>> =
        writable.par_iter().map(|package| write_artifact(package, out_dir, &keys, progress)).collect();
    let mut artifacts = Vec::new();
    let mut failure = None;
    for result in written {
        match result {
            Ok(artifact) => artifacts.push(artifact),
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    // A failed build still leaves only complete artifacts, and SHA256SUMS lists exactly those
    // that this build wrote (the failure is reported after it).
    let recipes = match failure {
        Some(e) => Err(e),
        None => write_recipes(&manifest, &packages, out_dir, &mut artifacts, &log),
    };
    if !artifacts.is_empty() {
        let sums = write_sha256sums(out_dir, &artifacts)?;
        log(&format!("wrote {}", sums.display()));
        if let Some(signer) = &keys.minisign {
            for signature in crate::bundle::sign_file(signer, &sums, false)? {
                log(&format!("wrote {}", signature.display()));
            }
        }
    }
    recipes?;
    Ok(artifacts)
}

/// The AUR recipe and the APKBUILD (with their release tarballs), added to `artifacts`.
fn write_recipes(
    manifest: &LoadedManifest,
    packages: &[Package],
    out_dir: &Path,
    artifacts: &mut Vec<Artifact>,
    log: &dyn Fn(&str),
) -> Result<()> {
    if let Some(settings) = &manifest.raw.pkgbuild {
        let recipe_packages: Vec<&Package> = packages.iter().filter(|p| p.format == Format::Pkgbuild).collect();
        if !recipe_packages.is_empty() {
            let tarballs: Vec<pkgbuild::Tarball> = artifacts
                .iter()
                .filter(|a| a.format == Format::Pkgbuild)
                .map(|a| pkgbuild::Tarball {
                    arch: a.arch.clone(),
                    file_name: a.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                    sha256: a.sha256.clone(),
                })
                .collect();
            let recipe = pkgbuild::render(settings, &manifest.root, &recipe_packages, &tarballs)?;
            let dir = pkgbuild::write_recipe(&recipe, &out_dir.join(format!("{}-pkgbuild", recipe_packages[0].name)))?;
            log(&format!("wrote the AUR recipe in {}", dir.display()));
            let first = recipe_packages[0];
            artifacts.push(Artifact::new(Format::Pkgbuild, &first.target, "any", dir.join("PKGBUILD"))?);
        }
    }
    if let Some(settings) = &manifest.raw.apkbuild {
        let apk_packages: Vec<&Package> = packages.iter().filter(|p| p.format == Format::Apk).collect();
        if let Some(first) = apk_packages.first() {
            let mut tarballs = Vec::new();
            if settings.mode == crate::manifest::PkgbuildMode::Bin {
                for package in &apk_packages {
                    let (path, sha512) = apkbuild::write_tarball(package, out_dir)?;
                    log(&format!("wrote {}", path.display()));
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    tarballs.push((package.arch.clone(), name, sha512));
                }
            }
            let files = apkbuild::render(settings, &manifest.root, &apk_packages, &tarballs)?;
            let dir = apkbuild::write(&files, &out_dir.join(format!("{}-apkbuild", first.name)))?;
            log(&format!("wrote the APKBUILD in {}", dir.display()));
            artifacts.push(Artifact::new(Format::Apk, &first.target, "any", dir.join("APKBUILD"))?);
        }
    }
    Ok(())
}

/// Write one package (and its signatures) atomically into `out_dir`.
fn write_artifact(package: &Package, out_dir: &Path, keys: &Keys, progress: &Progress) -> Result<Artifact> {
    let packager = crate::formats::packager(package.format);
    let name = packager.file_name(package);
    let payload: u64 = package
        .files
        .iter()
        .filter(|f| matches!(f.source, plan::Source::File { .. } | plan::Source::Generated { .. }))
        .map(|f| f.size)
        .sum();
    let (path, took) = progress.artifact(&name, payload * packager.reads(), || {
        crate::output::write_atomically(out_dir, &name, |file| packager.write(package, file, out_dir, keys))
    });
    let mut artifact = Artifact::new(package.format, &package.target, &package.arch, path?)?;
    progress.log(&format!(
        "wrote {} ({}, {} files) in {:.1}s",
        artifact.path.display(),
        human_size(artifact.size),
        package.files.len(),
        took.as_secs_f64()
    ));
    if let (Some(signer), Some(addon)) = (&keys.minisign, &package.addon) {
        // The bundle was just written from this plan: bind what the plan says, with the digest
        // already taken, rather than reading the bundle back to find out.
        let binding = crate::bundle::Binding {
            id: addon.id.clone(),
            version: package.version.clone(),
            os: addon.os.clone(),
            arch: package.arch.clone(),
            sha256: artifact.sha256.clone(),
        };
        artifact.signatures = crate::sign::minisign::sign_with_comment(
            signer,
            &artifact.path,
            &binding.trusted_comment(),
            addon.raw_signature,
        )?;
        for signature in &artifact.signatures {
            progress.log(&format!("wrote {}", signature.display()));
        }
    }
    Ok(artifact)
}

/// `[build] before-package`: each command through `sh -c` in the project root, with `$DISTPACK`
/// (this distpack) and `$DISTPACK_TARGETS` (the target triples) set; its output goes to stderr so
/// that stdout keeps listing only artifacts.
fn run_before_package(manifest: &LoadedManifest, targets: &[Target], log: &dyn Fn(&str)) -> Result<()> {
    let triples: Vec<&str> = targets.iter().map(|t| t.triple.as_str()).collect();
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("distpack"));
    for command in &manifest.raw.build.before_package {
        let line = crate::plan::line_of(&manifest.text, command.span().start);
        let where_ = format!("{}:{line}", manifest.path.display());
        log(&format!("running `{}` ({where_})", command.get_ref()));
        let status = Command::new("sh")
            .arg("-c")
            .arg(command.get_ref())
            .current_dir(&manifest.root)
            .env("DISTPACK", &exe)
            .env("DISTPACK_TARGETS", triples.join(" "))
            .stdout(std::io::stderr())
            .status()
            .map_err(|e| {
                Error::invalid(format!("cannot run sh for `{}`: {e}", command.get_ref()), "install a POSIX sh")
            })?;
        if !status.success() {
            return Err(Error::invalid(
                format!("[build] before-package command `{}` ({where_}) failed ({status})", command.get_ref()),
                "fix the command; it runs with `sh -c` from the project root",
            ));
        }
    }
    Ok(())
}

fn cargo_build(manifest: &LoadedManifest, target: &Target, log: &dyn Fn(&str)) -> Result<()> {
    let cargo_toml = manifest.root.join("Cargo.toml");
    log(&format!("running cargo build --release --target {}", target.triple));
    // The manifest names binaries as `target/{target}/release/NAME` below the project root, so the
    // build goes there whatever CARGO_TARGET_DIR or a workspace's shared target directory says.
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--release", "--target", &target.triple, "--target-dir"])
        .arg(manifest.root.join("target"))
        .arg("--manifest-path")
        .arg(&cargo_toml)
        .args(crate::progress::verbose().then_some("--verbose"))
        .args(crate::progress::quiet().then_some("--quiet"))
        .stdout(std::process::Stdio::inherit())
        .status()
        .map_err(|e| {
            Error::invalid(
                format!("cannot run cargo: {e}"),
                "install Rust (cargo) or pass --no-build with prebuilt binaries",
            )
        })?;
    if !status.success() {
        return Err(Error::invalid(
            format!("cargo build --release --target {} failed ({status})", target.triple),
            "fix the build errors above, or pass --no-build to package existing binaries",
        ));
    }
    Ok(())
}

/// `SHA256SUMS` in the output directory, in the format `sha256sum -c` reads, for this build's artifacts.
fn write_sha256sums(out_dir: &Path, artifacts: &[Artifact]) -> Result<PathBuf> {
    use std::io::Write;
    let mut text = String::new();
    for artifact in artifacts {
        let relative = artifact.path.strip_prefix(out_dir).unwrap_or(&artifact.path);
        text.push_str(&format!("{}  {}\n", artifact.sha256, relative.display()));
    }
    let name = "SHA256SUMS";
    crate::output::write_atomically(out_dir, name, |f| {
        f.write_all(text.as_bytes()).io("cannot write", &out_dir.join(name))
    })
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}
