//! `distpack build`, `check` and `plan`: load the manifest, run the preparation steps (cargo
//! build, before-package hooks), resolve the build plan, check it, and execute its steps.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

mod execute;
mod split;

use crate::check::{self, Finding};
use crate::error::IoContext;
use crate::error::{CommandFailure, Error, Result};
use crate::format::Format;
use crate::formats::Keys;
use crate::manifest::{self, LoadedManifest};
use crate::plan::Context;
use crate::plan::build_plan::{self, BuildPlan, Prepare, Request};
use crate::progress::Progress;
use crate::target::Target;

#[derive(Debug, Clone)]
pub struct Options {
    pub manifest: PathBuf,
    pub formats: Vec<Format>,
    /// Rust target triples; the host's when empty.
    pub targets: Vec<String>,
    /// `--debug-symbols`, over the manifest's setting.
    pub debug_symbols: Option<crate::manifest::DebugSymbols>,
}

#[derive(Debug, Clone, Serialize)]
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
    pub(crate) fn new(format: Format, target: &str, arch: &str, path: PathBuf) -> Result<Artifact> {
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

fn request(options: &Options, cargo_build: bool, minisign: bool) -> Result<Request> {
    Ok(Request {
        formats: options.formats.clone(),
        targets: targets(options)?,
        cargo_build,
        minisign,
        debug_symbols: options.debug_symbols,
    })
}

/// The plan of a build with these options, from what is on disk now (nothing is run).
pub fn plan(options: &Options, cargo_build: bool, minisign: bool) -> Result<BuildPlan> {
    let manifest = manifest::load(&options.manifest)?;
    resolve_plan(&manifest, &request(options, cargo_build, minisign)?)
}

fn resolve_plan(manifest: &LoadedManifest, request: &Request) -> Result<BuildPlan> {
    let unknown = check::unknown_ignored_codes(manifest);
    if !unknown.is_empty() {
        return Err(manifest.errors(unknown));
    }
    let ctx = Context { mtime: crate::epoch::source_date_epoch(&manifest.root)? };
    build_plan::resolve(manifest, request, &ctx)
}

/// Resolve every package and run `distpack check` on them. The preparation steps (cargo build
/// unless `no_build`, the `[build] before-package` commands) run first: what they make is checked
/// like any other input.
pub fn check(options: &Options, no_build: bool) -> Result<Vec<Finding>> {
    let manifest = manifest::load(&options.manifest)?;
    let request = request(options, !no_build, false)?;
    let plan = prepare_and_resolve(&manifest, &request, &crate::progress::info)?;
    Ok(check::run(&manifest, &plan.packages))
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

/// Prepare (cargo build, hooks), resolve the plan, check it, and execute its steps. Messages and
/// progress go to `progress`; the artifacts are returned in plan order.
pub fn build(options: &Options, out_dir: &Path, flags: BuildFlags, progress: &Progress) -> Result<Vec<Artifact>> {
    let log = |message: &str| progress.log(message);
    crate::output::clean_up_on_signals();
    let manifest = manifest::load(&options.manifest)?;
    let request = request(options, !flags.no_build, flags.minisign_key.is_some())?;
    let plan = prepare_and_resolve(&manifest, &request, &log)?;
    let keys = load_keys(&flags)?;
    let has = |format: Format| plan.packages.iter().any(|p| p.format == format);
    if keys.minisign.is_none() && has(Format::Addon) {
        log(
            "add-on bundles are not signed: pass --minisign-key (or set DISTPACK_MINISIGN_KEY), or sign them later with `distpack sign`",
        );
    }
    if keys.apk.is_none() && flags.allow_unsigned_apk && has(Format::Apk) {
        log("building an UNSIGNED .apk (--allow-unsigned-apk): apk installs it only with --allow-untrusted");
    }
    let findings = check::run(&manifest, &plan.packages);
    for finding in &findings {
        log(&finding.render());
    }
    if check::has_errors(&findings) && !flags.allow_check_errors {
        return Err(Error::Check { count: findings.iter().filter(|f| f.severity == check::Severity::Error).count() });
    }
    execute::run(&plan, out_dir, &keys, progress)
}

fn load_keys(flags: &BuildFlags) -> Result<Keys> {
    let pgp = match &flags.sign_key {
        Some(path) => Some(crate::sign::pgp::Signer::load(path, std::env::var(crate::sign::PGP_PASSPHRASE_ENV).ok())?),
        None => None,
    };
    Ok(Keys {
        pgp,
        apk: flags.apk_key.as_deref().map(crate::sign::rsa::ApkSigner::load).transpose()?,
        minisign: flags.minisign_key.as_deref().map(crate::sign::minisign::Signer::load).transpose()?,
        allow_unsigned_apk: flags.allow_unsigned_apk,
    })
}

/// Run the commands that make the packages' inputs and resolve the plan; when it splits debug
/// symbols off binaries, split them, and the packages take the sizes of the files written.
fn prepare_and_resolve(manifest: &LoadedManifest, request: &Request, log: &dyn Fn(&str)) -> Result<BuildPlan> {
    prepare(manifest, &build_plan::prepare(manifest, request), log)?;
    let mut plan = resolve_plan(manifest, request)?;
    let splits: Vec<Prepare> =
        plan.prepare.iter().filter(|p| matches!(p, Prepare::SplitDebug { .. })).cloned().collect();
    if !splits.is_empty() {
        prepare(manifest, &splits, log)?;
        plan.read_split_sizes()?;
    }
    Ok(plan)
}

/// Run the preparation steps in order.
fn prepare(manifest: &LoadedManifest, steps: &[Prepare], log: &dyn Fn(&str)) -> Result<()> {
    for step in steps {
        match step {
            Prepare::CargoBuild { target, manifest_path, target_dir } => {
                cargo_build(target, manifest_path, target_dir, log)?
            }
            Prepare::BeforePackage { command, location, targets } => {
                run_before_package(&manifest.root, command, location, targets, log)?
            }
            Prepare::SplitDebug { source, stripped, debug, .. } => split::run(source, stripped, debug, log)?,
        }
    }
    Ok(())
}

/// `[build] before-package`: one command through `sh -c` in the project root, with `$DISTPACK`
/// (this distpack) and `$DISTPACK_TARGETS` (the target triples) set; its output goes to stderr so
/// that stdout keeps listing only artifacts.
fn run_before_package(
    root: &Path,
    command: &str,
    location: &str,
    targets: &[String],
    log: &dyn Fn(&str),
) -> Result<()> {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("distpack"));
    log(&format!("running `{command}` ({location})"));
    let command_line = format!("sh -c '{command}'");
    let status = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(root)
        .env("DISTPACK", &exe)
        .env("DISTPACK_TARGETS", targets.join(" "))
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| Error::Command {
            command: command_line.clone(),
            failure: CommandFailure::Start(e),
            help: "install a POSIX sh".into(),
        })?;
    if !status.success() {
        return Err(Error::Command {
            command: command_line,
            failure: CommandFailure::Exited(status),
            help: format!(
                "fix the [build] before-package command at {location}; it runs with `sh -c` from the project root"
            )
            .into(),
        });
    }
    Ok(())
}

fn cargo_build(target: &str, manifest_path: &Path, target_dir: &Path, log: &dyn Fn(&str)) -> Result<()> {
    let command_line = format!("cargo build --release --target {target}");
    log(&format!("running {command_line}"));
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--release", "--target", target, "--target-dir"])
        .arg(target_dir)
        .arg("--manifest-path")
        .arg(manifest_path)
        .args(crate::progress::verbose().then_some("--verbose"))
        .args(crate::progress::quiet().then_some("--quiet"))
        .stdout(std::process::Stdio::inherit())
        .status()
        .map_err(|e| Error::Command {
            command: command_line.clone(),
            failure: CommandFailure::Start(e),
            help: "install Rust (cargo) or pass --no-build with prebuilt binaries".into(),
        })?;
    if !status.success() {
        return Err(Error::Command {
            command: command_line,
            failure: CommandFailure::Exited(status),
            help: "fix the build errors above, or pass --no-build to package existing binaries".into(),
        });
    }
    Ok(())
}
