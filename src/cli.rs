//! Command-line interface. stdout carries results (artifact paths, JSON); messages go to stderr.
//!
//! Exit codes: 0 success · 1 failure (I/O, a failed cargo build, an unreadable package) ·
//! 2 usage error · 3 invalid manifest · 4 `check` found errors.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::build::{self, Options};
use crate::error::{Error, Result};
use crate::format::Format;

#[derive(Parser, Debug)]
#[command(name = "distpack", version, about = "Build .deb (and more) packages of a service from one manifest")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build packages into the output directory
    Build {
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
    },
    /// Commit the AUR recipe (PKGBUILD, .SRCINFO, .install) into an AUR git checkout
    Aur {
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
    },
    /// Create a signing key pair
    Keygen {
        /// An OpenPGP key for signing .rpm packages (Ed25519)
        #[arg(long, required_unless_present = "rsa", conflicts_with = "rsa")]
        pgp: bool,
        /// An RSA key pair for signing .apk packages, as abuild makes it: NAME.rsa (0600) and
        /// NAME.rsa.pub
        #[arg(long, value_name = "NAME")]
        rsa: Option<String>,
        /// The key's user id
        #[arg(long, default_value = "distpack signing key <distpack@localhost>")]
        user_id: String,
        /// Secret key path; the public key is written beside it with `.pub` appended
        #[arg(short, long, default_value = "distpack-pgp.key")]
        output: PathBuf,
        /// Write the secret key without a passphrase (otherwise DISTPACK_PGP_PASSPHRASE must be set)
        #[arg(long)]
        unencrypted: bool,
    },
    /// Check the units and the manifest for what breaks services out of the box
    Check {
        #[command(flatten)]
        select: Select,
        /// Print the findings as JSON
        #[arg(long)]
        json: bool,
    },
    /// Print the resolved packages (defaults applied, files listed) without building
    Plan {
        #[command(flatten)]
        select: Select,
        /// Print JSON instead of a summary
        #[arg(long)]
        json: bool,
    },
    /// Scaffold packaging/distpack.toml and units/NAME.service for a cargo project
    Init {
        /// Hardening profile for the unit: network-service, package-manager or raw-socket-agent
        #[arg(long, default_value = "network-service")]
        profile: String,
        /// The cargo project's directory
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Overwrite existing files
        #[arg(long)]
        force: bool,
    },
    /// Show the metadata, scripts and files of a package
    Inspect {
        file: PathBuf,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
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
}

impl Select {
    fn options(&self) -> Options {
        Options { manifest: self.manifest.clone(), formats: self.format.clone(), targets: self.target.clone() }
    }
}

pub fn run(cli: Cli) -> Result<()> {
    let log = |message: &str| eprintln!("distpack: {message}");
    match cli.command {
        Command::Build { select, out_dir, no_build, allow_check_errors, sign_key, apk_key, allow_unsigned_apk } => {
            let flags = build::BuildFlags { no_build, allow_check_errors, sign_key, apk_key, allow_unsigned_apk };
            for artifact in build::build(&select.options(), &out_dir, flags, &log)? {
                println!("{}", artifact.path.display());
            }
        }
        Command::Aur { select, repo, push, no_build } => {
            let mut options = select.options();
            options.formats = vec![Format::Pkgbuild];
            let scratch = tempfile::tempdir().map_err(|source| Error::Io {
                action: "cannot create a temporary directory",
                path: std::env::temp_dir(),
                source,
            })?;
            let flags = build::BuildFlags { no_build, ..Default::default() };
            let artifacts = build::build(&options, scratch.path(), flags, &log)?;
            let recipe = artifacts
                .iter()
                .find(|a| a.path.ends_with("PKGBUILD"))
                .and_then(|a| a.path.parent())
                .ok_or_else(|| Error::invalid("no recipe was written", "check the [pkgbuild] table"))?;
            let package = build::plan(&options)?
                .into_iter()
                .next()
                .ok_or_else(|| Error::invalid("no package", "check the manifest"))?;
            let commit = crate::aur::publish(recipe, &repo, &package.version, &package.maintainer, push, &log)?;
            println!("{commit}");
        }
        Command::Check { select, json } => {
            let findings = build::check(&select.options())?;
            let errors = findings.iter().filter(|f| f.severity == crate::check::Severity::Error).count();
            if json {
                println!("{}", to_json(&findings)?);
            } else {
                for finding in &findings {
                    eprintln!("{}", finding.render());
                }
                eprintln!("distpack: {errors} error(s), {} warning(s)", findings.len() - errors);
            }
            if errors > 0 {
                return Err(Error::Check { count: errors });
            }
        }
        Command::Plan { select, json } => {
            let packages = build::plan(&select.options())?;
            if json {
                println!("{}", to_json(&packages)?);
            } else {
                for p in &packages {
                    println!(
                        "{} {} {} {} ({} files, {} scripts)",
                        p.format,
                        p.name,
                        p.version,
                        p.arch,
                        p.files.len(),
                        p.scripts.len()
                    );
                }
            }
        }
        Command::Keygen { rsa: Some(name), .. } => {
            let (private, public) = crate::sign::rsa::keygen()?;
            let private_path = PathBuf::from(format!("{name}.rsa"));
            let public_path = PathBuf::from(format!("{name}.rsa.pub"));
            write_key_pair(&private_path, &private, &public_path, &public)?;
        }
        Command::Keygen { pgp: _, rsa: None, user_id, output, unencrypted } => {
            let passphrase = std::env::var(crate::sign::PGP_PASSPHRASE_ENV).ok().filter(|p| !p.is_empty());
            if passphrase.is_none() && !unencrypted {
                return Err(Error::invalid(
                    format!("{} is not set", crate::sign::PGP_PASSPHRASE_ENV),
                    "set it to the passphrase that protects the new key, or pass --unencrypted for a key without one",
                ));
            }
            let (secret, public) = crate::sign::pgp::keygen(&user_id, passphrase)?;
            let public_path = PathBuf::from(format!("{}.pub", output.display()));
            write_key_pair(&output, &secret, &public_path, &public)?;
        }
        Command::Init { profile, dir, force } => {
            for path in crate::init::init(&dir, &profile, force)? {
                println!("{}", path.display());
            }
        }
        Command::Inspect { file, json } => {
            let inspection = crate::inspect::inspect(&file)?;
            if json {
                println!("{}", to_json(&inspection)?);
            } else {
                print!("{}", inspection.to_text());
            }
        }
    }
    Ok(())
}

/// The secret key 0600 (never over an existing file), the public key beside it; both paths printed.
fn write_key_pair(
    secret_path: &std::path::Path,
    secret: &str,
    public_path: &std::path::Path,
    public: &str,
) -> Result<()> {
    crate::sign::write_secret(secret_path, secret.as_bytes())?;
    std::fs::write(public_path, public).map_err(|source| Error::Io {
        action: "cannot write",
        path: public_path.to_path_buf(),
        source,
    })?;
    println!("{}", secret_path.display());
    println!("{}", public_path.display());
    Ok(())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map_err(|e| Error::invalid(format!("cannot serialise JSON: {e}"), "this is a bug in distpack"))
}
