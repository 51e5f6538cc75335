//! Command-line interface. stdout carries results (artifact paths, JSON); messages go to stderr.
//!
//! Exit codes: 0 success · 1 failure (I/O, a failed cargo build, an unreadable package) ·
//! 2 usage error · 3 invalid manifest · 4 `check` found errors.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::build::{self, Options};
use crate::error::{Error, IoContext, Result};
use crate::format::Format;

#[derive(Parser, Debug)]
#[command(
    name = "distpack",
    version,
    about = "Build distribution packages and signed add-on bundles of a service from one manifest"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only errors and check findings
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Also print the commands distpack runs (cargo, before-package hooks) and cargo's own detail
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build packages into the output directory
    Build(BuildArgs),
    /// Sign files with a minisign key: FILE.minisig, whose trusted comment binds an add-on bundle's
    /// id, version, os, arch and SHA-256 (or any other file's name and SHA-256)
    Sign(SignArgs),
    /// Verify a signed add-on bundle: its signature, what the signature binds, and every entry
    ///
    /// Exit codes: 0 valid · 5 signature missing, invalid or bound to another id/version/os/arch ·
    /// 6 contents refused · 2 usage (unreadable public key, bad options)
    Verify(VerifyArgs),
    /// Commit the AUR recipe (PKGBUILD, .SRCINFO, .install) into an AUR git checkout
    Aur(AurArgs),
    /// Create a signing key pair: minisign (add-on bundles, the default), OpenPGP (rpm) or RSA (apk)
    Keygen(KeygenArgs),
    /// Check the units and the manifest for what breaks services out of the box (runs `cargo build`
    /// first, as `build` does, so the checks see the binaries that will be packaged)
    Check(CheckArgs),
    /// Print the resolved packages (defaults applied, files listed) without building
    Plan(PlanArgs),
    /// Scaffold packaging/distpack.toml and units/NAME.service for a cargo project
    Init(InitArgs),
    /// Print shell completions (bash, zsh, fish), or write all three into --out-dir
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write distpack.1 (and cargo-distpack.1) into --out-dir
    Man(ManArgs),
    /// Write the CI workflow that checks, builds, signs and uploads the packages on release tags
    Ci {
        #[command(subcommand)]
        command: CiCommand,
    },
    /// Write a distpack manifest from cargo-deb's and cargo-generate-rpm's metadata in Cargo.toml,
    /// and report on stderr what could not be carried over
    Import(ImportArgs),
    /// Show the metadata, scripts and files of a package
    ///
    /// Exit codes: 0 read · 1 not a package, unreadable, corrupt or over a limit · 2 usage ·
    /// 6 an add-on bundle whose contents break the bundle rules
    Inspect(InspectArgs),
    /// Publish packages into signed repository trees (apt, dnf, pacman, apk) that any static web
    /// server can serve, or verify such a tree
    Repo {
        #[command(subcommand)]
        command: RepoCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum RepoCommand {
    /// Add packages to the repository tree in DIR (created on first use), re-index and re-sign it,
    /// and write the client setup snippets and public keys at its top
    Publish {
        /// The repository tree
        dir: PathBuf,
        /// Packages to add (.deb, .rpm, .pkg.tar.zst, .apk)
        artifacts: Vec<PathBuf>,
        /// Also add every package in this directory (and its subdirectories), as `build` wrote them
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
        /// Manifest whose [repo] table (and package name) names the repository
        #[arg(short, long, default_value = crate::manifest::DEFAULT_PATH)]
        manifest: PathBuf,
        /// The repository's name, over [repo] name and the package name
        #[arg(long)]
        name: Option<String>,
        /// OpenPGP secret key (armored) that signs the apt, dnf and pacman indices; its
        /// passphrase is read from DISTPACK_PGP_PASSPHRASE
        #[arg(long, value_name = "FILE", env = "DISTPACK_PGP_KEY")]
        sign_key: Option<PathBuf>,
        /// RSA private key (PEM) that signs the APKINDEX; its public key is FILE.pub
        #[arg(long, value_name = "FILE", env = "DISTPACK_APK_KEY")]
        apk_key: Option<PathBuf>,
        /// Seconds to wait for another publisher of the same tree to finish
        #[arg(long, default_value_t = 60)]
        wait: u64,
    },
    /// Verify a tree: index entries against their files, signatures, files nothing lists
    ///
    /// Exit codes: 0 sound (warnings allowed) · 4 errors found · 1 unreadable tree
    Check {
        /// The repository tree
        dir: PathBuf,
        /// One JSON object per finding
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    #[command(flatten)]
    select: Select,
    /// Output directory
    #[arg(short, long, default_value = "dist")]
    out_dir: PathBuf,
    /// Package existing binaries; do not run `cargo build`
    #[arg(long)]
    no_build: bool,
    /// Package even when the checks report errors
    #[arg(long)]
    allow_check_errors: bool,
    /// OpenPGP secret key (armored) that signs .rpm packages; its passphrase is read from
    /// DISTPACK_PGP_PASSPHRASE
    #[arg(long, value_name = "FILE")]
    sign_key: Option<PathBuf>,
    /// RSA private key (PEM) that signs .apk packages; its public key is FILE.pub
    #[arg(long, value_name = "FILE")]
    apk_key: Option<PathBuf>,
    /// Build an unsigned .apk (apk installs it only with --allow-untrusted)
    #[arg(long)]
    allow_unsigned_apk: bool,
    /// minisign secret key that signs add-on bundles and SHA256SUMS; an encrypted key's
    /// password is read from DISTPACK_MINISIGN_PASSWORD
    #[arg(long, value_name = "FILE", env = "DISTPACK_MINISIGN_KEY")]
    minisign_key: Option<PathBuf>,
    /// Print one JSON object per artifact (format, target, arch, path, size, sha256,
    /// signatures), one per line, instead of paths
    #[arg(long)]
    json: bool,
    /// Threads for the formats built in parallel and their compressors together (default: every
    /// core); the packages are the same bytes whatever the number
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Memory the compressors may hold together, e.g. 512M or 2G (default: half of the
    /// available memory); with less, fewer threads run, and the packages are the same bytes
    #[arg(long, value_name = "SIZE", value_parser = crate::budget::parse_size)]
    memory_limit: Option<u64>,
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// The files to sign (each gets FILE.minisig beside it)
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// minisign secret key; an encrypted key's password is read from DISTPACK_MINISIGN_PASSWORD
    #[arg(long, value_name = "FILE", env = "DISTPACK_MINISIGN_KEY")]
    key: PathBuf,
    /// Also write FILE.sig: a raw Ed25519 signature over the file's bytes, hex encoded
    #[arg(long)]
    raw: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The add-on bundle (ID-VERSION-OS-ARCH.tar.gz); its .minisig is read from beside it
    bundle: PathBuf,
    /// minisign public key: a .pub file or its base64 line
    #[arg(long, value_name = "KEY")]
    pubkey: String,
    /// The detached signature (default: BUNDLE.minisig)
    #[arg(long, value_name = "FILE")]
    signature: Option<PathBuf>,
    /// Refuse unless the bundle was signed for this add-on id
    #[arg(long)]
    id: Option<String>,
    /// Refuse unless the bundle was signed for this version
    #[arg(long)]
    version: Option<String>,
    /// Refuse unless the bundle was signed for this operating system
    #[arg(long)]
    os: Option<String>,
    /// Refuse unless the bundle was signed for this architecture
    #[arg(long)]
    arch: Option<String>,
    /// Largest entry accepted, in bytes
    #[arg(long, default_value_t = crate::bundle::read::Limits::default().max_entry_size)]
    max_entry_size: u64,
    /// Largest total of all entries accepted, in bytes
    #[arg(long, default_value_t = crate::bundle::read::Limits::default().max_total_size)]
    max_total_size: u64,
    /// Print the verified index as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct AurArgs {
    #[command(flatten)]
    select: Select,
    /// The AUR git checkout (an empty directory becomes a new repository)
    #[arg(long)]
    repo: PathBuf,
    /// Push the commit with your git/ssh configuration
    #[arg(long)]
    push: bool,
    /// Package existing binaries; do not run `cargo build`
    #[arg(long)]
    no_build: bool,
}

#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// A minisign key pair for add-on bundles and SHA256SUMS: FILE (0600) and FILE with its
    /// extension replaced by .pub; the `minisign` CLI reads both
    #[arg(long, conflicts_with_all = ["pgp", "rsa"])]
    minisign: bool,
    /// An OpenPGP key for signing .rpm packages (Ed25519)
    #[arg(long, conflicts_with = "rsa")]
    pgp: bool,
    /// An RSA key pair for signing .apk packages, as abuild makes it: NAME.rsa (0600) and
    /// NAME.rsa.pub
    #[arg(long, value_name = "NAME")]
    rsa: Option<String>,
    /// The key's user id
    #[arg(long, default_value = "distpack signing key <distpack@localhost>")]
    user_id: String,
    /// Secret key path (default distpack-minisign.key, or distpack-pgp.key with --pgp)
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Write the secret key without a password (otherwise DISTPACK_MINISIGN_PASSWORD, or
    /// DISTPACK_PGP_PASSPHRASE with --pgp, must be set)
    #[arg(long)]
    unencrypted: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    select: Select,
    /// Print the findings as JSON
    #[arg(long)]
    json: bool,
    /// Check existing binaries instead of running `cargo build --release` first
    #[arg(long)]
    no_build: bool,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    select: Select,
    /// Print JSON (prepare steps, packages, steps) instead of a summary
    #[arg(long)]
    json: bool,
    /// Plan a build with --no-build: no `cargo build` step
    #[arg(long)]
    no_build: bool,
    /// Plan a build signed with this minisign key (the key is not read): signature steps for
    /// add-on bundles and SHA256SUMS
    #[arg(long, value_name = "FILE", env = "DISTPACK_MINISIGN_KEY")]
    minisign_key: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Hardening profile for the unit: network-service, package-manager or raw-socket-agent
    #[arg(long, default_value = "network-service")]
    profile: String,
    /// The cargo project's directory
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Overwrite existing files
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to print completions for. To install: bash, `distpack completions bash >
    /// ~/.local/share/bash-completion/completions/distpack`; zsh, `_distpack` into a directory
    /// of $fpath; fish, `distpack completions fish > ~/.config/fish/completions/distpack.fish`
    #[arg(required_unless_present = "out_dir")]
    shell: Option<clap_complete::Shell>,
    /// Write distpack.bash, _distpack and distpack.fish into this directory
    #[arg(long, value_name = "DIR", conflicts_with = "shell")]
    out_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write distpack.1 and cargo-distpack.1 into this directory instead of printing
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The Cargo.toml whose [package.metadata.deb] and [package.metadata.generate-rpm] are read
    #[arg(long, default_value = "Cargo.toml", value_name = "PATH")]
    cargo_toml: PathBuf,
    /// The manifest to write
    #[arg(short, long, default_value = crate::manifest::DEFAULT_PATH)]
    output: PathBuf,
    /// Overwrite an existing manifest
    #[arg(long)]
    force: bool,
    /// Print the manifest on stdout instead of writing it
    #[arg(long, conflicts_with_all = ["output", "force"])]
    stdout: bool,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A .deb, .rpm, .pkg.tar.zst, .apk or add-on bundle
    file: PathBuf,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
    /// Most bytes decompressed from the package before inspect gives up (a decompression bomb
    /// otherwise runs for minutes)
    #[arg(long, value_name = "BYTES", env = "DISTPACK_MAX_UNPACKED_SIZE",
          default_value_t = crate::limits::DEFAULT_MAX_UNPACKED)]
    max_unpacked_size: u64,
}

#[derive(Subcommand, Debug)]
pub enum CiCommand {
    /// Write .github/workflows/distpack.yml, .gitlab-ci.yml or .forgejo/workflows/distpack.yml
    /// under the project root, from the manifest and its [ci] table
    Generate {
        /// Where the workflow runs
        provider: crate::ci::Provider,
        /// Manifest path
        #[arg(short, long, default_value = crate::manifest::DEFAULT_PATH)]
        manifest: PathBuf,
        /// Write here instead (`-` for stdout)
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Write nothing; fail unless the file is exactly what would be written
        #[arg(long)]
        check: bool,
    },
}

#[derive(Args, Debug)]
pub struct Select {
    /// Manifest path
    #[arg(short, long, default_value = crate::manifest::DEFAULT_PATH)]
    manifest: PathBuf,
    /// Formats to build (comma-separated); all when omitted
    #[arg(short, long, value_delimiter = ',')]
    format: Vec<Format>,
    /// Rust target triple (repeatable); the host's when omitted
    #[arg(long)]
    target: Vec<String>,
    /// Keep debug information in the binaries, or split it into debug packages (.ddeb,
    /// -debuginfo, -debug); overrides the manifest's `debug-symbols`
    #[arg(long, value_name = "MODE")]
    debug_symbols: Option<crate::manifest::DebugSymbols>,
}

impl Select {
    fn options(&self) -> Options {
        Options {
            manifest: crate::manifest::discover(&self.manifest),
            formats: self.format.clone(),
            targets: self.target.clone(),
            debug_symbols: self.debug_symbols,
        }
    }
}

/// Parse `args` (with the program name first), run, and report an error the way a user reads it.
/// Returns the process exit code.
pub fn main(args: Vec<std::ffi::OsString>) -> i32 {
    use std::io::IsTerminal;
    let cli = Cli::parse_from(args);
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // Always the graphical report: it names `file:line:column` and shows the offending line.
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .force_graphical(true)
                .color(color)
                .unicode(color)
                .terminal_links(false)
                .wrap_lines(false)
                .build(),
        )
    }));
    // `inspect` and `verify` read files from anywhere. Their readers are bounded and checked (the
    // fuzz tests show no panic is reached); should one still panic, the user gets a clean
    // "malformed input" and exit 1, not a backtrace and 101.
    let untrusted = matches!(cli.command, Command::Inspect(_) | Command::Verify(_));
    let result = if untrusted {
        std::panic::set_hook(Box::new(|info| {
            let location = info.location().map(|l| format!(" ({}:{})", l.file(), l.line())).unwrap_or_default();
            eprintln!("distpack: malformed input: a reader failed on it{location}; please report this as a bug");
        }));
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli))) {
            Ok(result) => result,
            Err(_) => return 1,
        }
    } else {
        run(cli)
    };
    match result {
        Ok(()) => 0,
        Err(error) => {
            let code = error.exit_code();
            // Reports quote manifests and packages: their control characters are shown escaped.
            let report = format!("{:?}", miette::Report::new(error));
            eprintln!("{}", crate::limits::printable_lines(&report, color));
            code
        }
    }
}

/// Run one subcommand; each has its own function below.
pub fn run(cli: Cli) -> Result<()> {
    crate::progress::set_level(cli.quiet, cli.verbose);
    match cli.command {
        Command::Build(args) => build_command(args),
        Command::Sign(args) => sign_command(args),
        Command::Verify(args) => verify_command(args),
        Command::Aur(args) => aur_command(args),
        Command::Keygen(args) => keygen_command(args),
        Command::Check(args) => check_command(args),
        Command::Plan(args) => plan_command(args),
        Command::Init(args) => init_command(args),
        Command::Completions(args) => completions_command(args),
        Command::Man(args) => man_command(args),
        Command::Ci { command } => ci_command(command),
        Command::Import(args) => import_command(args),
        Command::Inspect(args) => inspect_command(args),
        Command::Repo { command } => repo_command(command),
    }
}

/// `distpack build`: the artifacts' paths, or one JSON object per artifact, on stdout.
fn build_command(args: BuildArgs) -> Result<()> {
    let BuildArgs {
        select,
        out_dir,
        no_build,
        allow_check_errors,
        sign_key,
        apk_key,
        allow_unsigned_apk,
        minisign_key,
        json,
        jobs,
        memory_limit,
    } = args;
    set_budget(jobs, memory_limit);
    let flags = build::BuildFlags { no_build, allow_check_errors, sign_key, apk_key, allow_unsigned_apk, minisign_key };
    let progress = crate::progress::Progress::for_stderr();
    for artifact in build::build(&select.options(), &out_dir, flags, &progress)? {
        if json {
            let line = serde_json::to_string(&artifact)
                .map_err(|e| Error::invalid(format!("cannot serialise JSON: {e}"), "this is a bug in distpack"))?;
            println!("{line}");
        } else {
            println!("{}", artifact.path.display());
        }
    }
    Ok(())
}

/// `distpack aur`: build the PKGBUILD recipe in a scratch directory and commit it to the AUR checkout.
fn aur_command(args: AurArgs) -> Result<()> {
    let AurArgs { select, repo, push, no_build } = args;
    let mut options = select.options();
    if options.formats.iter().any(|f| *f != Format::Pkgbuild) {
        return Err(Error::usage(
            "`distpack aur` publishes the PKGBUILD only; -f names other formats",
            "drop -f (or pass -f pkgbuild); build the other formats with `distpack build`",
        ));
    }
    options.formats = vec![Format::Pkgbuild];
    let scratch = tempfile::tempdir().io("cannot create a temporary directory", &std::env::temp_dir())?;
    let flags = build::BuildFlags { no_build, ..Default::default() };
    let artifacts = build::build(&options, scratch.path(), flags, &crate::progress::Progress::plain())?;
    let recipe = artifacts
        .iter()
        .find(|a| a.path.ends_with("PKGBUILD"))
        .and_then(|a| a.path.parent())
        .ok_or_else(|| Error::invalid("no recipe was written", "check the [pkgbuild] table"))?;
    let plan = build::plan(&options, false, false)?;
    let package = plan.packages.first().ok_or_else(|| Error::invalid("no package", "check the manifest"))?;
    let version = crate::formats::arch::version(&package.version);
    let commit = crate::aur::publish(recipe, &repo, &version, &package.maintainer, push, &crate::progress::info)?;
    println!("{commit}");
    Ok(())
}

/// `distpack check`: findings on stderr (or JSON on stdout); errors among them fail the command.
fn check_command(args: CheckArgs) -> Result<()> {
    let CheckArgs { select, json, no_build } = args;
    let findings = build::check(&select.options(), no_build)?;
    let errors = findings.iter().filter(|f| f.severity == crate::check::Severity::Error).count();
    if json {
        println!("{}", to_json(&findings)?);
    } else {
        for finding in &findings {
            eprintln!("{}", finding.render());
        }
        crate::progress::info(&format!("{errors} error(s), {} warning(s)", findings.len() - errors));
    }
    if errors > 0 {
        return Err(Error::Check { count: errors });
    }
    Ok(())
}

/// `distpack plan`: one line per step, or the whole plan as JSON.
fn plan_command(args: PlanArgs) -> Result<()> {
    let PlanArgs { select, json, no_build, minisign_key } = args;
    let plan = build::plan(&select.options(), !no_build, minisign_key.is_some())?;
    if json {
        println!("{}", to_json(&plan)?);
    } else {
        print!("{}", crate::plan::summary::render(&plan));
    }
    Ok(())
}

/// `distpack keygen`: an RSA (--rsa), OpenPGP (--pgp) or minisign (the default) key pair.
fn keygen_command(args: KeygenArgs) -> Result<()> {
    match args {
        KeygenArgs { rsa: Some(name), .. } => rsa_keygen(&name),
        KeygenArgs { pgp: true, user_id, output, unencrypted, .. } => pgp_keygen(&user_id, output, unencrypted),
        KeygenArgs { pgp: false, output, unencrypted, .. } => minisign_keygen(output, unencrypted),
    }
}

/// NAME.rsa and NAME.rsa.pub, as abuild makes them.
fn rsa_keygen(name: &str) -> Result<()> {
    let (private, public) = crate::sign::rsa::keygen()?;
    let private_path = PathBuf::from(format!("{name}.rsa"));
    let public_path = PathBuf::from(format!("{name}.rsa.pub"));
    write_key_pair(&private_path, &private, &public_path, &public)
}

/// A minisign key pair, password-protected unless --unencrypted; the public key is FILE.pub.
fn minisign_keygen(output: Option<PathBuf>, unencrypted: bool) -> Result<()> {
    let password = std::env::var(crate::sign::minisign::PASSWORD_ENV).ok().filter(|p| !p.is_empty());
    if password.is_none() && !unencrypted {
        return Err(Error::usage(
            format!("{} is not set", crate::sign::minisign::PASSWORD_ENV),
            "set it to the password that protects the new key, or pass --unencrypted for a key without one",
        ));
    }
    let secret_path = output.unwrap_or_else(|| PathBuf::from("distpack-minisign.key"));
    let public_path = secret_path.with_extension("pub");
    if public_path == secret_path {
        return Err(Error::usage("the secret key path ends in .pub", "name the secret key FILE.key"));
    }
    let (secret, public) = crate::sign::minisign::keygen(password)?;
    write_key_pair(&secret_path, &secret, &public_path, &public)
}

/// An OpenPGP key, passphrase-protected unless --unencrypted; the public key is OUTPUT.pub.
fn pgp_keygen(user_id: &str, output: Option<PathBuf>, unencrypted: bool) -> Result<()> {
    let output = output.unwrap_or_else(|| PathBuf::from("distpack-pgp.key"));
    let passphrase = std::env::var(crate::sign::PGP_PASSPHRASE_ENV).ok().filter(|p| !p.is_empty());
    if passphrase.is_none() && !unencrypted {
        return Err(Error::invalid(
            format!("{} is not set", crate::sign::PGP_PASSPHRASE_ENV),
            "set it to the passphrase that protects the new key, or pass --unencrypted for a key without one",
        ));
    }
    let (secret, public) = crate::sign::pgp::keygen(user_id, passphrase)?;
    let public_path = PathBuf::from(format!("{}.pub", output.display()));
    write_key_pair(&output, &secret, &public_path, &public)
}

/// `distpack sign`: each signature file's path on stdout.
fn sign_command(args: SignArgs) -> Result<()> {
    let SignArgs { files, key, raw } = args;
    let signer = crate::sign::minisign::Signer::load(&key)?;
    for file in &files {
        for path in crate::bundle::sign_file(&signer, file, raw)? {
            println!("{}", path.display());
        }
    }
    Ok(())
}

/// `distpack verify`: one line naming what the signature binds, or the verified index as JSON.
fn verify_command(args: VerifyArgs) -> Result<()> {
    let VerifyArgs { bundle, pubkey, signature, id, version, os, arch, max_entry_size, max_total_size, json } = args;
    let public_key = crate::sign::minisign::load_public_key(&pubkey)?;
    let signature = signature.unwrap_or_else(|| {
        let mut name = bundle.as_os_str().to_owned();
        name.push(".minisig");
        PathBuf::from(name)
    });
    let expect = crate::bundle::verify::Expect { id, version, os, arch };
    let limits = crate::bundle::read::Limits { max_entry_size, max_total_size, ..Default::default() };
    let verified = crate::bundle::verify::verify(&bundle, &signature, &public_key, &expect, &limits)?;
    if json {
        println!("{}", to_json(&verified)?);
        return Ok(());
    }
    let b = &verified.binding;
    println!(
        "{}: valid add-on {} {} for {}/{} ({} entries, sha256 {})",
        bundle.display(),
        b.id,
        b.version,
        b.os,
        b.arch,
        verified.contents.entries.len(),
        b.sha256
    );
    Ok(())
}

/// `distpack init`: the scaffolded files' paths on stdout, and what to run next.
fn init_command(args: InitArgs) -> Result<()> {
    let InitArgs { profile, dir, force } = args;
    for path in crate::init::init(&dir, &profile, force)? {
        println!("{}", path.display());
    }
    crate::progress::info(
        "next, `distpack check` (builds with cargo and checks the units), then `distpack build` (packages into dist/)",
    );
    Ok(())
}

/// `distpack completions`: one shell's completions on stdout, or all three written into --out-dir.
fn completions_command(args: CompletionsArgs) -> Result<()> {
    let CompletionsArgs { shell, out_dir } = args;
    if let Some(shell) = shell {
        print!("{}", String::from_utf8_lossy(&completions(shell)));
        return Ok(());
    }
    let dir = out_dir.unwrap_or_else(|| PathBuf::from("."));
    let files: Vec<(String, Vec<u8>)> = [
        ("distpack.bash", clap_complete::Shell::Bash),
        ("_distpack", clap_complete::Shell::Zsh),
        ("distpack.fish", clap_complete::Shell::Fish),
    ]
    .into_iter()
    .map(|(name, shell)| (name.to_string(), completions(shell)))
    .collect();
    write_and_list(&dir, &files)
}

/// `distpack man`: the manual page on stdout, or distpack.1 and cargo-distpack.1 written into --out-dir.
fn man_command(args: ManArgs) -> Result<()> {
    let page = manual()?;
    let Some(dir) = args.out_dir else {
        print!("{}", String::from_utf8_lossy(&page));
        return Ok(());
    };
    // `cargo distpack` is the same program: its page points at distpack(1).
    let files = [("distpack.1".to_string(), page), ("cargo-distpack.1".to_string(), b".so man1/distpack.1\n".to_vec())];
    write_and_list(&dir, &files)
}

/// Write `files` into `dir` and print each one's path.
fn write_and_list(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    crate::output::write_files(dir, files)?;
    for (name, _) in files {
        println!("{}", dir.join(name).display());
    }
    Ok(())
}

/// `distpack ci generate`: the workflow's path on stdout, or with --check, whether it is up to date.
fn ci_command(command: CiCommand) -> Result<()> {
    let CiCommand::Generate { provider, manifest, output, check } = command;
    if check {
        let path = crate::ci::check(&manifest, provider, output.as_deref())?;
        crate::progress::info(&format!("{} is up to date", path.display()));
    } else if let Some(path) = crate::ci::generate(&manifest, provider, output.as_deref())? {
        println!("{}", path.display());
    }
    Ok(())
}

/// `distpack import`: a manifest from cargo-deb's and cargo-generate-rpm's metadata.
fn import_command(args: ImportArgs) -> Result<()> {
    let ImportArgs { cargo_toml, output, force, stdout } = args;
    crate::import::run(&crate::import::Options { cargo_toml, output, force, stdout })
}

/// `distpack inspect`: a package's metadata, scripts and files, as text or JSON.
fn inspect_command(args: InspectArgs) -> Result<()> {
    let inspection = crate::inspect::inspect(&args.file, args.max_unpacked_size)?;
    if args.json {
        println!("{}", to_json(&inspection)?);
    } else {
        print!("{}", inspection.to_text());
    }
    Ok(())
}

/// The secret key 0600 (never over an existing file), the public key beside it; both paths printed.
fn write_key_pair(secret_path: &Path, secret: &str, public_path: &Path, public: &str) -> Result<()> {
    crate::sign::write_secret(secret_path, secret.as_bytes())?;
    std::fs::write(public_path, public).io("cannot write", public_path)?;
    println!("{}", secret_path.display());
    println!("{}", public_path.display());
    Ok(())
}

fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "distpack", &mut out);
    out
}

/// distpack(1): the command line, with every subcommand's options, from the same definitions
/// `--help` prints.
fn manual() -> Result<Vec<u8>> {
    use clap::CommandFactory;
    // The page is rendered into memory: an I/O error here names no file and is a bug, not an I/O failure.
    let failed =
        |e: std::io::Error| Error::invalid(format!("cannot render the manual page: {e}"), "this is a bug in distpack");
    let command = Cli::command();
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(command.clone()).date("").source(format!("distpack {}", env!("CARGO_PKG_VERSION")));
    man.render_title(&mut out).map_err(failed)?;
    man.render_name_section(&mut out).map_err(failed)?;
    man.render_synopsis_section(&mut out).map_err(failed)?;
    man.render_description_section(&mut out).map_err(failed)?;
    out.extend_from_slice(b".SH COMMANDS\n");
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("distpack {}", sub.get_name());
        out.extend_from_slice(format!(".SS {name}\n").as_bytes());
        if let Some(about) = sub.get_about() {
            out.extend_from_slice(format!("{}\n", escape(&about.to_string())).as_bytes());
        }
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set() && a.get_id() != "help") {
            let flag = match (arg.get_long(), arg.get_short()) {
                (Some(long), Some(short)) => format!("\\-{short}, \\-\\-{}", escape(long)),
                (Some(long), None) => format!("\\-\\-{}", escape(long)),
                _ => arg
                    .get_value_names()
                    .and_then(|v| v.first())
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| arg.get_id().to_string().to_uppercase()),
            };
            let help = arg.get_help().map(|h| escape(&h.to_string())).unwrap_or_default();
            out.extend_from_slice(format!(".TP\n\\fB{flag}\\fR\n{help}\n").as_bytes());
        }
    }
    out.extend_from_slice(
        b".SH EXIT STATUS\n0 success; 1 failure; 2 usage error; 3 invalid manifest; 4 check found errors; \
5 a signature is missing, invalid or binds something else; 6 a bundle's contents are refused.\n",
    );
    man.render_version_section(&mut out).map_err(failed)?;
    Ok(out)
}

/// Text for a roff paragraph: backslashes and leading dots or quotes would be read as requests.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('-', "\\-")
        .lines()
        .map(|l| if l.starts_with(['.', '\'']) { format!("\\&{l}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map_err(|e| Error::invalid(format!("cannot serialise JSON: {e}"), "this is a bug in distpack"))
}

/// `distpack repo publish|check`.
fn repo_command(command: RepoCommand) -> Result<()> {
    use crate::repo::command::{PublishArgs, check, publish};
    match command {
        RepoCommand::Publish { dir, artifacts, from, manifest, name, sign_key, apk_key, wait } => {
            publish(PublishArgs { dir, artifacts, from, manifest, name, sign_key, apk_key, wait })
        }
        RepoCommand::Check { dir, json } => check(&dir, json),
    }
}

/// `--jobs` and `--memory-limit`, in force for the whole build: rayon's pool runs the formats,
/// and the compressors reserve their threads' memory from the limit.
fn set_budget(jobs: Option<u16>, memory_limit: Option<u64>) {
    let budget = crate::budget::Budget {
        jobs: jobs.map_or_else(crate::budget::cores, usize::from),
        memory: memory_limit.unwrap_or_else(crate::budget::default_memory),
    };
    crate::budget::set(budget);
    // The global pool can be built once; a second build in the same process keeps the first.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(budget.jobs).build_global();
}

#[cfg(test)]
mod help_tests {
    use clap::CommandFactory;

    /// `--help` explains every argument of every command.
    #[test]
    fn every_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(format!("{path} {} (no about)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "distpack", &mut missing);
        assert_eq!(missing, Vec::<String>::new(), "arguments without help text");
    }
}
