//! `distpack ci generate`: the CI workflow that builds, signs and uploads the packages on release
//! tags, rendered from `templates/ci/` with the manifest's `[ci]` table. The file is generated, not
//! edited, so `--check` can tell in CI when it no longer matches the manifest.

use std::io::Write;
use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use serde::Serialize;

use crate::error::{Error, IoContext, Result};
use crate::manifest::{self, CrossTool, LoadedManifest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Provider {
    Github,
    Gitlab,
    Forgejo,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Github => "github",
            Provider::Gitlab => "gitlab",
            Provider::Forgejo => "forgejo",
        }
    }

    /// Where the provider reads its workflow, relative to the repository root.
    pub fn default_path(self) -> &'static str {
        match self {
            Provider::Github => ".github/workflows/distpack.yml",
            Provider::Gitlab => ".gitlab-ci.yml",
            Provider::Forgejo => ".forgejo/workflows/distpack.yml",
        }
    }

    fn template(self) -> &'static str {
        match self {
            Provider::Github => include_str!("../templates/ci/github.yml.hbs"),
            Provider::Gitlab => include_str!("../templates/ci/gitlab.yml.hbs"),
            Provider::Forgejo => include_str!("../templates/ci/forgejo.yml.hbs"),
        }
    }
}

pub const DEFAULT_TARGETS: [&str; 2] = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];
pub const DEFAULT_INSTALL: &str = "cargo install --locked distpack";
/// The hosted runners' own target: built with plain cargo, every other one with the cross tool.
const RUNNER_TARGET: &str = "x86_64-unknown-linux-gnu";

#[derive(Serialize)]
struct Context {
    /// The command that regenerates the file, for its header.
    command: String,
    manifest_display: String,
    /// The manifest path relative to the project root, as one shell word.
    manifest: String,
    targets: Vec<MatrixTarget>,
    /// ` --target T` for every target, for the jobs that see all of them.
    target_args: String,
    zigbuild: bool,
    cross: bool,
    install: String,
    formats: String,
    apk: bool,
    addon: bool,
    aur: Option<Aur>,
}

#[derive(Serialize)]
struct MatrixTarget {
    triple: String,
    /// The cargo command that builds for it.
    build: &'static str,
}

#[derive(Serialize)]
struct Aur {
    url: String,
    /// bin mode: the recipe downloads the release tarballs the build jobs upload.
    bin: bool,
}

/// The workflow for `provider`, from the manifest.
pub fn render(manifest: &LoadedManifest, provider: Provider) -> Result<String> {
    let context = context(manifest, provider)?;
    let mut engine = Handlebars::new();
    engine.set_strict_mode(true);
    engine.register_escape_fn(handlebars::no_escape);
    engine.render_template(provider.template(), &context).map_err(|e| {
        Error::invalid(format!("cannot render the {} workflow: {e}", provider.name()), "this is a bug in distpack")
    })
}

/// Where the workflow goes: `--output` (`-` is stdout) or the provider's path under the project root.
pub enum Destination {
    Stdout,
    File(PathBuf),
}

pub fn destination(manifest: &LoadedManifest, provider: Provider, output: Option<&Path>) -> Destination {
    match output {
        Some(path) if path == Path::new("-") => Destination::Stdout,
        Some(path) => Destination::File(path.to_path_buf()),
        None => {
            // Relative to the working directory when below it, for shorter messages.
            let cwd = std::env::current_dir().unwrap_or_default();
            let root = manifest.root.strip_prefix(&cwd).unwrap_or(&manifest.root);
            Destination::File(root.join(provider.default_path()))
        }
    }
}

/// Write the workflow (atomically) and return where it went; `None` for stdout.
pub fn generate(manifest_path: &Path, provider: Provider, output: Option<&Path>) -> Result<Option<PathBuf>> {
    let loaded = manifest::load(manifest_path)?;
    let text = render(&loaded, provider)?;
    match destination(&loaded, provider, output) {
        Destination::Stdout => {
            std::io::stdout().write_all(text.as_bytes()).io("cannot write", Path::new("stdout"))?;
            Ok(None)
        }
        Destination::File(path) => {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).ok_or_else(|| {
                Error::usage(format!("{} names no file", path.display()), "pass a file path to --output")
            })?;
            crate::output::write_atomically(dir, &name, |f| f.write_all(text.as_bytes()).io("cannot write", &path))?;
            Ok(Some(path))
        }
    }
}

/// Fail, with a short diff, unless the committed workflow is exactly what `generate` would write.
pub fn check(manifest_path: &Path, provider: Provider, output: Option<&Path>) -> Result<PathBuf> {
    let loaded = manifest::load(manifest_path)?;
    let path = match destination(&loaded, provider, output) {
        Destination::Stdout => {
            return Err(Error::usage("--check compares a file; `--output -` names none", "drop --output -"));
        }
        Destination::File(path) => path,
    };
    let expected = render(&loaded, provider)?;
    let mut args = String::new();
    if manifest_path != Path::new(manifest::DEFAULT_PATH) {
        args.push_str(&format!(" -m {}", manifest_path.display()));
    }
    if let Some(output) = output {
        args.push_str(&format!(" --output {}", output.display()));
    }
    let regenerate = format!("run `distpack ci generate {}{args}` and commit the result", provider.name());
    let committed = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::invalid(format!("{} does not exist", path.display()), regenerate));
        }
        Err(source) => return Err(Error::Io { action: "cannot read", path, source }),
    };
    if committed != expected {
        return Err(Error::invalid(
            format!(
                "{} is out of date: it differs from what `distpack ci generate {}` writes\n{}",
                path.display(),
                provider.name(),
                short_diff(&path.display().to_string(), &committed, &expected)
            ),
            regenerate,
        ));
    }
    Ok(path)
}

/// A unified-style hunk around the first difference, a few lines long: enough to see what changed.
fn short_diff(label: &str, old: &str, new: &str) -> String {
    const MAX_LINES: usize = 6;
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..].iter().rev().zip(new[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let removed = &old[prefix..old.len() - suffix];
    let added = &new[prefix..new.len() - suffix];
    let mut out = format!("--- {label}\n+++ generated\n");
    if removed.is_empty() && added.is_empty() {
        out.push_str("(the lines are equal: the files differ in line endings or the final newline)");
        return out;
    }
    out.push_str(&format!("@@ -{},{} +{},{} @@", prefix + 1, removed.len(), prefix + 1, added.len()));
    for (sign, lines) in [('-', removed), ('+', added)] {
        for line in lines.iter().take(MAX_LINES) {
            out.push_str(&format!("\n{sign}{line}"));
        }
        if lines.len() > MAX_LINES {
            out.push_str(&format!("\n{sign}… {} more lines", lines.len() - MAX_LINES));
        }
    }
    out
}

fn context(m: &LoadedManifest, provider: Provider) -> Result<Context> {
    let ci = &m.raw.ci;
    let mut errors = Vec::new();

    let targets: Vec<String> = match &ci.targets {
        None => DEFAULT_TARGETS.iter().map(|t| t.to_string()).collect(),
        Some(list) => {
            if list.get_ref().is_empty() {
                errors.push(m.error(
                    list.span(),
                    "`targets` is empty",
                    "no targets",
                    format!("list at least one triple, such as \"{RUNNER_TARGET}\", or remove the key"),
                ));
            }
            let mut seen = Vec::new();
            for triple in list.get_ref() {
                let value = triple.get_ref().trim();
                // Triples go into YAML and shell unquoted, so only a triple's own characters pass.
                let plain = value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
                let problem = if !plain {
                    Some("a target triple has only letters, digits, `_`, `-` and `.`".to_string())
                } else if let Err(e) = crate::target::Target::parse(value) {
                    Some(e.to_string())
                } else if seen.contains(&value) {
                    Some(format!("`{value}` is listed twice"))
                } else {
                    None
                };
                match problem {
                    Some(message) => errors.push(m.error(
                        triple.span(),
                        message,
                        "this target",
                        "use Linux triples such as x86_64-unknown-linux-gnu or aarch64-unknown-linux-musl, each once",
                    )),
                    None => seen.push(value),
                }
            }
            seen.into_iter().map(str::to_string).collect()
        }
    };

    let install = match &ci.install {
        None => DEFAULT_INSTALL.to_string(),
        Some(command) => {
            let value = command.get_ref().trim();
            if value.is_empty() || value.contains('\n') {
                errors.push(m.error(
                    command.span(),
                    "`install` must be one non-empty line",
                    "here",
                    format!("write one shell command (chain several with &&), such as \"{DEFAULT_INSTALL}\""),
                ));
            }
            value.to_string()
        }
    };

    let aur_enabled = match &ci.aur {
        Some(flag) if *flag.get_ref() && m.raw.pkgbuild.is_none() => {
            errors.push(m.error(
                flag.span(),
                "`aur = true` needs a [pkgbuild] table",
                "no [pkgbuild]",
                "add [pkgbuild] with source-url, or remove `aur`",
            ));
            false
        }
        Some(flag) => *flag.get_ref(),
        None => m.raw.pkgbuild.is_some(),
    };
    let aur = match aur_enabled {
        true => match aur_name(m) {
            Some(name) => Some(Aur {
                url: format!("ssh://aur@aur.archlinux.org/{name}.git"),
                bin: m.raw.pkgbuild.as_ref().is_some_and(|p| p.mode == manifest::PkgbuildMode::Bin),
            }),
            None => {
                errors.push(m.error(
                    0..0,
                    "the AUR job needs the package's name, and the manifest sets none",
                    "no name",
                    "set [package] name (or [arch] name), or add a Cargo.toml with one",
                ));
                None
            }
        },
        false => None,
    };
    if !errors.is_empty() {
        return Err(m.errors(errors));
    }

    let manifest_path = relative_manifest(m)?;
    let mut command = format!("distpack ci generate {}", provider.name());
    if manifest_path != manifest::DEFAULT_PATH {
        command.push_str(&format!(" -m {}", sh_word(&manifest_path)));
    }
    let cross = match ci.cross {
        CrossTool::Zigbuild => "cargo zigbuild",
        CrossTool::Cross => "cross build",
    };
    let targets: Vec<MatrixTarget> = targets
        .into_iter()
        .map(|triple| {
            let build = if triple == RUNNER_TARGET { "cargo build" } else { cross };
            MatrixTarget { triple, build }
        })
        .collect();
    Ok(Context {
        command,
        manifest: sh_word(&manifest_path),
        manifest_display: manifest_path,
        target_args: targets.iter().map(|t| format!(" --target {}", t.triple)).collect(),
        zigbuild: targets.iter().any(|t| t.build == "cargo zigbuild"),
        cross: targets.iter().any(|t| t.build == "cross build"),
        targets,
        install,
        formats: crate::build::enabled_formats(m).iter().map(|f| f.name()).collect::<Vec<_>>().join(", "),
        apk: m.raw.apk.is_some(),
        addon: m.raw.addon.is_some(),
        aur,
    })
}

/// The PKGBUILD's package name, as `plan` resolves it: `[arch]` over `[package]` over Cargo.toml.
fn aur_name(m: &LoadedManifest) -> Option<String> {
    let own = m.raw.arch.as_ref().and_then(|a| a.name.as_ref()).or(m.raw.package.name.as_ref());
    let name = match own {
        Some(name) => name.get_ref().trim().to_string(),
        None => m.cargo.as_ref()?.name.clone()?,
    };
    Some(name).filter(|n| !n.is_empty())
}

/// The workflow runs in the repository root, which is taken to be the project root.
fn relative_manifest(m: &LoadedManifest) -> Result<String> {
    let path = m.path.canonicalize().io("cannot resolve", &m.path)?;
    let root = m.root.canonicalize().io("cannot resolve", &m.root)?;
    let relative = path.strip_prefix(&root).map_err(|_| {
        Error::invalid(
            format!("{} is not under the project root {}", m.path.display(), m.root.display()),
            "keep the manifest inside the project",
        )
    })?;
    Ok(relative.to_string_lossy().into_owned())
}

/// `value` as one sh word: as is when it needs no quoting.
fn sh_word(value: &str) -> String {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')) {
        value.to_string()
    } else {
        crate::plan::openrc::dq(value)
    }
}

#[cfg(test)]
mod tests {
    use super::short_diff;

    #[test]
    fn short_diff_shows_the_first_differing_lines() {
        let diff = short_diff("ci.yml", "a\nb\nc\nd\n", "a\nB\nc\nd\n");
        assert_eq!(diff, "--- ci.yml\n+++ generated\n@@ -2,1 +2,1 @@\n-b\n+B");
        assert!(short_diff("x", "a\n", "a").contains("final newline"));
        let long = short_diff("x", "", &"line\n".repeat(10));
        assert!(long.ends_with("+… 4 more lines"), "{long}");
    }
}
