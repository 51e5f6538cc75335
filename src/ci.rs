//! `distpack ci generate`: the CI workflow that builds, signs and uploads the packages on release
//! tags, rendered from `templates/ci/` with the manifest's `[ci]` table. The file is generated, not
//! edited, so `--check` can tell in CI when it no longer matches the manifest.

use std::io::Write;
use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use serde::Serialize;

use crate::error::{Error, IoContext, Result};
use crate::format::Format;
use crate::manifest::{self, CiPublish, CrossTool, LoadedManifest};

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

/// Everything the workflow runs from elsewhere, pinned: actions by commit (a tag can be moved),
/// tools by version, so a release builds the same way until this file is regenerated.
#[derive(Serialize)]
struct Pins {
    checkout: &'static str,
    upload_artifact: &'static str,
    download_artifact: &'static str,
    rust_cache: &'static str,
    rust: &'static str,
    ziglang: &'static str,
    cargo_zigbuild: &'static str,
    cross: &'static str,
}

const PINS: Pins = Pins {
    checkout: "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
    upload_artifact: "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2",
    download_artifact: "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0",
    rust_cache: "Swatinem/rust-cache@9d47c6ad4b02e050fd481d890b2ea34778fd09d6 # v2.7.8",
    rust: "1.95.0",
    ziglang: "0.17.1",
    cargo_zigbuild: "0.24.1",
    cross: "0.2.5",
};

/// The AUR's host key (fingerprint SHA256:RFzBCUItH9LZS0cKB5UE6ceAYhBD5C8GeOBip8Z11+4, as the Arch
/// wiki publishes it): pinned, so the push never trusts whatever answers on first use.
pub const AUR_HOST_KEY: &str =
    "aur.archlinux.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEuBKrPzbawxA/k2g6NcyV5jmqwJ2s+zpgZGZ7tpLIcN";
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
    rpm: bool,
    aur: Option<Aur>,
    pins: Pins,
    /// On a tag, a missing signing secret fails the job.
    require_signatures: bool,
    /// `distpack ci generate PROVIDER --check` with this manifest: the workflow checks itself.
    check_command: String,
    /// `[ci] publish`: the job that publishes the packages into a signed repository tree on tags.
    publish: Option<Publish>,
}

/// Where the publish job keeps the tree between releases. Either way it first fetches the tree
/// as published so far, so publishing v2 keeps v1.
#[derive(Serialize)]
struct Publish {
    /// The `gh-pages` branch (GitHub only).
    pages: bool,
    /// `s3://BUCKET/PREFIX`, as one shell word.
    s3: Option<String>,
    /// ` --endpoint-url URL` for an S3-compatible store, or empty.
    endpoint: String,
}

#[derive(Serialize)]
struct MatrixTarget {
    triple: String,
    /// The cargo command that builds for it.
    build: &'static str,
    /// ` -f …` when this target builds only some formats: the .apk from a musl build (a glibc
    /// binary cannot start on Alpine), everything else from the gnu build of the same architecture.
    formats: String,
}

#[derive(Serialize)]
struct Aur {
    url: String,
    /// bin mode: the recipe downloads the release tarballs the build jobs upload.
    bin: bool,
    host_key: String,
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
        Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::IoHelp { action: "cannot read".into(), path, source, help: regenerate.into() });
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

    let pkgbuild = crate::plan::recipe::pkgbuild_settings(m);
    let aur_enabled = match &ci.aur {
        Some(flag) if *flag.get_ref() && pkgbuild.is_none() => {
            errors.push(m.error(
                flag.span(),
                "`aur = true` needs a [pkgbuild] table, or a homepage on GitHub, Codeberg or Gitea",
                "no [pkgbuild]",
                "add [pkgbuild] with source-url, or remove `aur`",
            ));
            false
        }
        Some(flag) => *flag.get_ref(),
        None => m.raw.pkgbuild.is_some(),
    };
    let aur = match aur_enabled {
        true => match crate::plan::package_name(m, Format::Pkgbuild) {
            Some(name) => Some(Aur {
                url: format!("ssh://aur@aur.archlinux.org/{name}.git"),
                bin: pkgbuild.as_ref().is_some_and(|p| p.mode == manifest::PkgbuildMode::Bin),
                host_key: String::new(),
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
    if let Some(key) = &ci.aur_host_key {
        let value = key.get_ref().trim();
        let fields: Vec<&str> = value.split_whitespace().collect();
        if fields.len() != 3 || value.contains(['\'', '\n', '"', '\\']) {
            errors.push(m.error(
                key.span(),
                "`aur-host-key` is not one known_hosts line",
                "here",
                format!("write `HOST TYPE KEY`, e.g. \"{AUR_HOST_KEY}\""),
            ));
        }
    }
    let publish = publish(m, provider, &mut errors);
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
    let formats = crate::plan::build_plan::enabled_formats(m);
    let targets = matrix(targets, &formats, cross);
    // AUR release tarballs come from one build per architecture: the gnu one where both exist.
    let recipe_targets: Vec<&MatrixTarget> = targets.iter().filter(|t| t.formats != " -f apk").collect();
    let aur = aur.map(|a| Aur {
        host_key: ci
            .aur_host_key
            .as_ref()
            .map(|k| k.get_ref().trim().to_string())
            .unwrap_or_else(|| AUR_HOST_KEY.into()),
        ..a
    });
    let uses_cross = targets.iter().any(|t| t.build == "cross build");
    if uses_cross && provider != Provider::Github {
        return Err(m.errors(vec![m.error(
            0..0,
            format!("`cross = \"cross\"` needs Docker, which the {} runner image does not have", provider.name()),
            "cross",
            "set [ci] cross = \"zigbuild\" (the default): zig links for other architectures without a container",
        )]));
    }
    Ok(Context {
        check_command: format!("{command} --check"),
        command,
        manifest: sh_word(&manifest_path),
        manifest_display: manifest_path,
        target_args: recipe_targets.iter().map(|t| format!(" --target {}", t.triple)).collect(),
        zigbuild: targets.iter().any(|t| t.build == "cargo zigbuild"),
        cross: uses_cross,
        targets,
        install,
        formats: formats.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "),
        apk: m.raw.apk.is_some(),
        addon: m.raw.addon.is_some(),
        rpm: formats.contains(&Format::Rpm),
        aur,
        pins: PINS,
        require_signatures: !ci.allow_unsigned,
        publish,
    })
}

/// `[ci] publish` and its keys, checked: the snippets in the tree need `[repo] url`, and the
/// bucket and endpoint go into YAML and shell, so only URL characters pass.
fn publish(m: &LoadedManifest, provider: Provider, errors: &mut Vec<crate::error::ManifestError>) -> Option<Publish> {
    let ci = &m.raw.ci;
    let Some(kind) = &ci.publish else {
        for key in [&ci.s3_bucket, &ci.s3_endpoint].into_iter().flatten() {
            errors.push(m.error(key.span(), "this key is read only with `publish = \"s3\"`", "here", S3_HELP));
        }
        return None;
    };
    let url_set = m.raw.repo.as_ref().is_some_and(|r| r.url.as_deref().is_some_and(|u| !u.trim().is_empty()));
    if !url_set {
        errors.push(m.error(
            kind.span(),
            "`publish` needs [repo] url: the client snippets in the tree name where it is served",
            "publish",
            match kind.get_ref() {
                CiPublish::GithubPages => "add [repo] url = \"https://OWNER.github.io/REPOSITORY\"",
                CiPublish::S3 => "add [repo] url = \"https://…\", the address that serves the bucket's prefix",
            },
        ));
    }
    let url_like = |v: &str| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || "-._~:/%+=@".contains(c));
    match kind.get_ref() {
        CiPublish::GithubPages if provider != Provider::Github => {
            errors.push(m.error(
                kind.span(),
                format!(
                    "`publish = \"github-pages\"` is for GitHub; {} Pages deploys a whole site from one job, \
                     so each release would replace the previous one's packages",
                    provider.name()
                ),
                "github-pages",
                S3_HELP,
            ));
            None
        }
        CiPublish::GithubPages => Some(Publish { pages: true, s3: None, endpoint: String::new() }),
        CiPublish::S3 => {
            let bucket = ci.s3_bucket.as_ref().map(|b| b.get_ref().trim().trim_end_matches('/').to_string());
            match (&ci.s3_bucket, &bucket) {
                (Some(key), Some(b)) if !b.starts_with("s3://") || b.len() <= 5 || !url_like(b) => {
                    errors.push(m.error(key.span(), "`s3-bucket` is not an s3:// URL", "here", S3_HELP));
                }
                (None, _) => errors.push(m.error(kind.span(), "`publish = \"s3\"` needs `s3-bucket`", "s3", S3_HELP)),
                _ => {}
            }
            let endpoint = ci.s3_endpoint.as_ref().map(|e| (e, e.get_ref().trim().to_string()));
            if let Some((key, e)) = &endpoint
                && (!(e.starts_with("https://") || e.starts_with("http://")) || !url_like(e))
            {
                errors.push(m.error(key.span(), "`s3-endpoint` is not an http(s) URL", "here", S3_HELP));
            }
            Some(Publish {
                pages: false,
                s3: bucket.map(|b| sh_word(&b)),
                endpoint: endpoint.map(|(_, e)| format!(" --endpoint-url {}", sh_word(&e))).unwrap_or_default(),
            })
        }
    }
}

const S3_HELP: &str = "set [ci] publish = \"s3\" with s3-bucket = \"s3://BUCKET/PREFIX\" (and s3-endpoint = \"https://…\" \
     for an S3-compatible store), or publish = \"github-pages\" on GitHub";

/// The build matrix. With an .apk to build, each gnu target gets a musl sibling of the same
/// architecture that builds only the .apk, and the gnu target builds every other format.
fn matrix(triples: Vec<String>, formats: &[Format], cross: &'static str) -> Vec<MatrixTarget> {
    let build = |triple: &str| if triple == RUNNER_TARGET { "cargo build" } else { cross };
    let others: Vec<&str> = formats.iter().filter(|f| **f != Format::Apk).map(|f| f.name()).collect();
    let apk = formats.contains(&Format::Apk);
    let musl_of =
        |triple: &str| triple.replace("-linux-gnueabihf", "-linux-musleabihf").replace("-linux-gnu", "-linux-musl");
    let mut out: Vec<MatrixTarget> = Vec::new();
    for triple in &triples {
        let gnu = triple.contains("-linux-gnu");
        let sibling = if gnu { musl_of(triple) } else { triple.replace("-linux-musl", "-linux-gnu") };
        let pair = apk && triples.contains(&sibling);
        let formats = match (apk, gnu, pair) {
            (false, _, _) => String::new(),
            (true, true, _) => format!(" -f {}", others.join(",")),
            (true, false, true) => " -f apk".to_string(),
            (true, false, false) => String::new(),
        };
        out.push(MatrixTarget { triple: triple.clone(), build: build(triple), formats });
        if apk && gnu && !pair {
            out.push(MatrixTarget { triple: sibling, build: cross, formats: " -f apk".to_string() });
        }
    }
    out
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
