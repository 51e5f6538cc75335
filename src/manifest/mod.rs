//! The manifest as written: serde types that mirror the TOML, loaded with every value's span so that
//! later stages can point at the line that is wrong. Nothing here applies defaults or touches the
//! file system beyond reading the manifest and the Cargo.toml it inherits from; `plan` does that.

mod cargo;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use miette::NamedSource;
use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use cargo::{CargoPackage, read as read_cargo_toml};

use crate::error::{Error, ManifestError, ManifestErrors, Result};

/// Where `distpack` looks for the manifest when `-m` is not given.
pub const DEFAULT_PATH: &str = "packaging/distpack.toml";

/// The manifest a command means: `path` as given, except that the default
/// `packaging/distpack.toml`, when it is not in the current directory, is looked for in the
/// nearest directory above (as cargo finds Cargo.toml), so commands work from any subdirectory.
pub fn discover(path: &Path) -> PathBuf {
    if path != Path::new(DEFAULT_PATH) || path.exists() {
        return path.to_path_buf();
    }
    let Ok(cwd) = std::env::current_dir() else { return path.to_path_buf() };
    cwd.ancestors()
        .skip(1)
        .map(|dir| dir.join(DEFAULT_PATH))
        .find(|p| p.is_file())
        .unwrap_or_else(|| path.to_path_buf())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manifest {
    #[serde(default)]
    pub package: Fields,
    #[serde(default)]
    pub files: Vec<Spanned<FileEntry>>,
    /// Per-format tables: every value set here replaces the one in `[package]` for that format.
    pub deb: Option<Fields>,
    pub rpm: Option<Fields>,
    pub arch: Option<Fields>,
    pub apk: Option<Fields>,
    /// How the AUR recipe gets its files.
    pub pkgbuild: Option<PkgbuildSettings>,
    /// How the aports recipe (APKBUILD) gets its files; written beside the .apk when set.
    pub apkbuild: Option<PkgbuildSettings>,
    /// The signed add-on bundle an agent stages: which package files it holds, flat.
    pub addon: Option<AddonSettings>,
    /// What maintainer scripts do with the package's units; unset values follow distro policy.
    #[serde(default)]
    pub systemd: Systemd,
    #[serde(default)]
    pub users: Vec<Spanned<User>>,
    #[serde(default)]
    pub groups: Vec<Spanned<Group>>,
    #[serde(default)]
    pub directories: Vec<Spanned<Directory>>,
    #[serde(default)]
    pub check: CheckSettings,
    /// What `distpack ci generate` writes into the CI workflow.
    #[serde(default)]
    pub ci: CiSettings,
    #[serde(default)]
    pub build: BuildSettings,
    /// What `distpack repo publish` writes into a repository tree.
    pub repo: Option<RepoSettings>,
}

/// `[repo]`: the repository `distpack repo publish` maintains. Unset keys take the defaults in
/// `repo::Settings::resolve`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RepoSettings {
    /// The repository's name: file names of the client snippets and keys, the pacman database.
    pub name: Option<String>,
    /// Where the tree is served from (`https://example.org/repo`), written into the snippets.
    pub url: Option<String>,
    pub suite: Option<String>,
    pub codename: Option<String>,
    pub component: Option<String>,
    pub origin: Option<String>,
    pub label: Option<String>,
    /// Days after publishing that apt stops trusting the Release file (`Valid-Until`).
    pub valid_until_days: Option<u32>,
    /// Versions of each package (per architecture) kept in the tree; older ones are removed.
    pub keep: Option<usize>,
}

/// `[build]`: commands that make generated inputs (completions, manual pages) before packaging.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BuildSettings {
    /// Run with `sh -c` from the project root by `build`, after the binaries are built.
    #[serde(default)]
    pub before_package: Vec<Spanned<String>>,
}

/// `[pkgbuild]`: the AUR recipe. `bin` downloads the release tarball distpack writes for each
/// architecture; `source` builds from a source archive with cargo.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PkgbuildSettings {
    #[serde(default)]
    pub mode: PkgbuildMode,
    /// Where the recipe downloads from; `{version}`, `{arch}` (bin mode) and `{name}` are replaced.
    pub source_url: Spanned<String>,
    /// Source mode: the archive's SHA-256 for a PKGBUILD (`SKIP` when unset).
    pub sha256: Option<String>,
    /// Source mode: the archive's SHA-512 for an APKBUILD (abuild has no SKIP).
    pub sha512: Option<String>,
    /// Source mode: the directory the archive unpacks to (default `{name}-{version}`).
    pub source_dir: Option<String>,
}

/// `[addon]`: a per-architecture tarball of package files laid flat, with an `addon.json` index.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AddonSettings {
    /// The add-on's identity, bound into the signature (default: the package name).
    pub id: Option<Spanned<String>>,
    /// Package files to include, each by its `dest` or by its file name.
    pub entries: Vec<Spanned<String>>,
    /// Files only the bundle carries.
    #[serde(default)]
    pub extra: Vec<Spanned<AddonExtra>>,
    /// The operating system in the bundle's name and index (default `linux`).
    pub os: Option<Spanned<String>>,
    /// The directory the agent stages binaries and data in (`{id}` is replaced); when set, `check`
    /// verifies that units run the binaries from there.
    pub stage: Option<Spanned<String>>,
    /// Also write a raw Ed25519 signature (`.sig`, hex) over the tarball bytes.
    #[serde(default)]
    pub raw_signature: bool,
    /// Carried into `addon.json` as is: supervision, run-as user, capabilities, …
    #[serde(default)]
    pub metadata: BTreeMap<String, toml::Value>,
}

/// An entry that is not a package file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AddonExtra {
    /// Relative to the project root; `{arch}` and `{target}` are replaced.
    pub src: Spanned<String>,
    /// The entry's name in the bundle (default: the file name of `src`).
    pub name: Option<Spanned<String>>,
    /// `binary` (0755) or `unit`, `config`, `data` (0644).
    #[serde(default = "data_kind")]
    pub kind: FileKind,
}

fn data_kind() -> FileKind {
    FileKind::Data
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PkgbuildMode {
    #[default]
    Bin,
    Source,
}

/// `[systemd]`: defaults for every unit, and `[systemd.units."NAME"]` for one unit.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Systemd {
    pub enable: Option<bool>,
    pub start: Option<bool>,
    pub restart_on_upgrade: Option<bool>,
    #[serde(default)]
    pub units: BTreeMap<String, Spanned<UnitOptions>>,
}

impl Systemd {
    /// The options for `unit`: its own table over the `[systemd]` defaults.
    pub fn options_for(&self, unit: &str) -> UnitOptions {
        let own = self.units.get(unit).map(|u| *u.get_ref()).unwrap_or_default();
        UnitOptions {
            enable: own.enable.or(self.enable),
            start: own.start.or(self.start),
            restart_on_upgrade: own.restart_on_upgrade.or(self.restart_on_upgrade),
        }
    }
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UnitOptions {
    /// Enable the unit on install (units with an [Install] section).
    pub enable: Option<bool>,
    /// Start the unit on install.
    pub start: Option<bool>,
    /// Restart the unit after an upgrade (`try-restart` when it was not started by the package).
    pub restart_on_upgrade: Option<bool>,
}

/// A static system user, provisioned through sysusers.d.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct User {
    pub name: String,
    pub uid: Option<u32>,
    /// Supplementary groups; the primary group always has the user's own name.
    #[serde(default)]
    pub groups: Vec<String>,
    pub home: Option<String>,
    pub shell: Option<String>,
    pub description: Option<String>,
    /// Only system users are supported; `system = false` is refused.
    #[serde(default = "yes")]
    pub system: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Group {
    pub name: String,
    pub gid: Option<u32>,
}

/// A directory created at install time through tmpfiles.d (for static users; units with
/// `DynamicUser=yes` get theirs from StateDirectory= and friends).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Directory {
    pub path: Spanned<String>,
    pub mode: Option<Spanned<u32>>,
    pub owner: Option<String>,
    pub group: Option<String>,
    /// Remove the directory and everything in it when the package is purged (Debian). Off by
    /// default: a service's data outlives the package unless the manifest says otherwise.
    #[serde(default)]
    pub purge: bool,
}

/// `[check]`: findings to leave out, by code, with the reason kept in the manifest.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckSettings {
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
    /// Also report what `systemd-analyze security` weighs most (H001–H004), as warnings.
    #[serde(default)]
    pub hardening: bool,
}

/// `[ci]`: the workflow `distpack ci generate` writes. Unset keys take the defaults in `ci.rs`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CiSettings {
    /// Rust target triples of the build matrix.
    pub targets: Option<Spanned<Vec<Spanned<String>>>>,
    /// The shell command that installs distpack on the runner.
    pub install: Option<Spanned<String>>,
    /// How targets other than the runner's own are compiled.
    #[serde(default)]
    pub cross: CrossTool,
    /// Publish the PKGBUILD to the AUR on tags (default: when there is a `[pkgbuild]` table).
    pub aur: Option<Spanned<bool>>,
    /// Let a release go out with what no key signed (default false: on a tag, a missing signing
    /// secret fails the job).
    #[serde(default)]
    pub allow_unsigned: bool,
    /// The AUR's SSH host key, as a known_hosts line (default: the key the AUR publishes).
    pub aur_host_key: Option<Spanned<String>>,
    /// Publish the packages into a signed repository tree on tags, served from here (default: no).
    pub publish: Option<Spanned<CiPublish>>,
    /// With `publish = "s3"`: where the tree lives, `s3://BUCKET/PREFIX`.
    pub s3_bucket: Option<Spanned<String>>,
    /// With `publish = "s3"`: an S3-compatible store's endpoint URL (default: AWS).
    pub s3_endpoint: Option<Spanned<String>>,
}

/// Where `[ci] publish` keeps the repository tree between releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CiPublish {
    /// The `gh-pages` branch, which GitHub Pages serves.
    GithubPages,
    /// A bucket (and prefix) of S3 or an S3-compatible store.
    S3,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrossTool {
    /// cargo-zigbuild: zig as the linker, no container needed.
    #[default]
    Zigbuild,
    /// cross: a Docker image per target.
    Cross,
}

/// Metadata, relations, scripts and compression: the keys of `[package]` and of each per-format table.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Fields {
    pub name: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub release: Option<Spanned<StrOrInt>>,
    pub epoch: Option<Spanned<u32>>,
    pub summary: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub license: Option<Spanned<String>>,
    pub homepage: Option<Spanned<String>>,
    pub maintainer: Option<Spanned<String>>,
    /// The copyright notice (`2019-2026 Jane Doe`), for the Debian copyright file.
    pub copyright: Option<Spanned<String>>,
    pub vendor: Option<Spanned<String>>,
    pub section: Option<Spanned<String>>,
    pub priority: Option<Spanned<String>>,
    pub depends: Option<Vec<Spanned<String>>>,
    pub recommends: Option<Vec<Spanned<String>>>,
    pub suggests: Option<Vec<Spanned<String>>>,
    pub conflicts: Option<Vec<Spanned<String>>>,
    pub provides: Option<Vec<Spanned<String>>>,
    pub replaces: Option<Vec<Spanned<String>>>,
    pub scripts: Option<Scripts>,
    pub compression: Option<Spanned<Compression>>,
    pub compression_level: Option<Spanned<u32>>,
    /// Add the dependencies the payload's ELF files need (rpm: sonames and symbol versions, as
    /// rpmbuild does). On unless set to false.
    pub auto_depends: Option<Spanned<bool>>,
    /// The oldest glibc (`2.31`) the binaries must run on: `distpack check` warns when one needs
    /// a newer symbol version.
    pub min_glibc: Option<Spanned<String>>,
    /// What happens to the debug information of ELF binaries and shared libraries.
    pub debug_symbols: Option<Spanned<DebugSymbols>>,
}

impl Fields {
    /// `self` with every key that `over` sets replaced by `over`'s value.
    pub fn overlay(&self, over: &Fields) -> Fields {
        macro_rules! pick {
            ($($field:ident),*) => { Fields { $($field: over.$field.clone().or_else(|| self.$field.clone())),* } };
        }
        pick!(
            name,
            version,
            release,
            epoch,
            summary,
            description,
            license,
            homepage,
            maintainer,
            copyright,
            vendor,
            section,
            priority,
            depends,
            recommends,
            suggests,
            conflicts,
            provides,
            replaces,
            scripts,
            compression,
            compression_level,
            auto_depends,
            min_glibc,
            debug_symbols
        )
    }
}

/// A value that may be written as a string or an integer (`release = 1` or `release = "1ubuntu1"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StrOrInt {
    Int(u64),
    Str(String),
}

impl fmt::Display for StrOrInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrOrInt::Int(n) => write!(f, "{n}"),
            StrOrInt::Str(s) => f.write_str(s),
        }
    }
}

/// The user's own maintainer-script hooks, one file per neutral lifecycle event.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Scripts {
    pub pre_install: Option<Spanned<String>>,
    pub post_install: Option<Spanned<String>>,
    pub pre_upgrade: Option<Spanned<String>>,
    pub post_upgrade: Option<Spanned<String>>,
    pub pre_remove: Option<Spanned<String>>,
    pub post_remove: Option<Spanned<String>>,
    pub purge: Option<Spanned<String>>,
}

impl Scripts {
    pub fn hooks(&self) -> impl Iterator<Item = (Event, &Spanned<String>)> {
        [
            (Event::PreInstall, &self.pre_install),
            (Event::PostInstall, &self.post_install),
            (Event::PreUpgrade, &self.pre_upgrade),
            (Event::PostUpgrade, &self.post_upgrade),
            (Event::PreRemove, &self.pre_remove),
            (Event::PostRemove, &self.post_remove),
            (Event::Purge, &self.purge),
        ]
        .into_iter()
        .filter_map(|(event, path)| path.as_ref().map(|p| (event, p)))
    }
}

/// Neutral lifecycle events; each format maps them onto its own hooks and arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    PreInstall,
    PostInstall,
    PreUpgrade,
    PostUpgrade,
    PreRemove,
    PostRemove,
    Purge,
}

/// `debug-symbols`: binaries as they are (`keep`), or stripped with their debug information in a
/// debug package of the format's own kind (`separate`: .ddeb, -debuginfo, -debug).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DebugSymbols {
    #[default]
    Keep,
    Separate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Xz,
    Zstd,
    Gzip,
    None,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileEntry {
    pub src: Option<Spanned<String>>,
    pub dest: Option<Spanned<String>>,
    pub kind: Spanned<FileKind>,
    pub mode: Option<Spanned<u32>>,
    pub owner: Option<Spanned<String>>,
    pub group: Option<Spanned<String>>,
    /// Target of a `symlink`.
    pub target: Option<Spanned<String>>,
    /// setuid, setgid and world-writable bits are refused unless this is set.
    #[serde(default)]
    pub allow_special_modes: bool,
    /// `src` may name a file outside the project root (an absolute path, `..`, or a symbolic
    /// link that leads out); refused unless this is set.
    #[serde(default)]
    pub allow_outside_root: bool,
    /// Only these formats get the entry (`arch` covers the AUR tarball too); all when unset.
    pub formats: Option<Vec<crate::format::Format>>,
    /// `src` names a directory, installed below `dest` with everything in it.
    pub recursive: Option<Spanned<bool>>,
    /// Globs of paths, relative to the tree's root or the glob's fixed prefix, left out.
    pub exclude: Option<Spanned<Vec<Spanned<String>>>>,
    /// A glob's matches go straight into `dest`, without the directories below its prefix.
    pub flatten: Option<Spanned<bool>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Binary,
    Unit,
    Config,
    Doc,
    /// A manual page (`name.SECTION`): gzipped at build time and installed under
    /// /usr/share/man/manSECTION unless `dest` says otherwise.
    Man,
    License,
    Data,
    Dir,
    Symlink,
    /// A sudo drop-in: /etc/sudoers.d, 0440 root:root, checked with visudo, a conffile.
    Sudoers,
    /// A tmpfiles.d file (/usr/lib/tmpfiles.d), applied by the install scripts.
    Tmpfiles,
    /// A sysusers.d file (/usr/lib/sysusers.d), applied by the install scripts.
    Sysusers,
}

impl FileKind {
    /// The name the manifest writes (`kind = "binary"`).
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Binary => "binary",
            FileKind::Unit => "unit",
            FileKind::Config => "config",
            FileKind::Doc => "doc",
            FileKind::Man => "man",
            FileKind::License => "license",
            FileKind::Data => "data",
            FileKind::Dir => "dir",
            FileKind::Symlink => "symlink",
            FileKind::Sudoers => "sudoers",
            FileKind::Tmpfiles => "tmpfiles",
            FileKind::Sysusers => "sysusers",
        }
    }

    /// Whether files of this kind are the administrator's to edit: conffiles, `%config(noreplace)`,
    /// `backup=`. A sudoers drop-in is, as in Debian's and Fedora's own packages.
    pub fn is_conffile(self) -> bool {
        matches!(self, FileKind::Config | FileKind::Sudoers)
    }
}

/// A manifest read from disk, with what later stages need to report errors against it.
#[derive(Debug)]
pub struct LoadedManifest {
    pub path: PathBuf,
    pub text: String,
    /// The project root: `src` paths are relative to it. The directory of the nearest Cargo.toml
    /// above the manifest, else the manifest's own directory.
    pub root: PathBuf,
    pub raw: Manifest,
    pub cargo: Option<CargoPackage>,
}

impl LoadedManifest {
    pub fn error(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) -> ManifestError {
        ManifestError {
            message: message.into(),
            source_code: NamedSource::new(self.path.display().to_string(), self.text.clone()),
            span: span.into(),
            label: label.into(),
            help: Some(help.into()).filter(|h: &String| !h.is_empty()),
        }
    }

    pub fn errors(&self, errors: Vec<ManifestError>) -> Error {
        ManifestErrors { path: self.path.clone(), errors }.into()
    }

    /// Whether the project is a cargo project (its binaries can be built with `cargo build`).
    pub fn is_cargo_project(&self) -> bool {
        self.cargo.is_some()
    }
}

/// Read and parse a manifest, and the nearest Cargo.toml above it for inherited metadata.
pub fn load(path: &Path) -> Result<LoadedManifest> {
    // A regular file of bounded size: `-m /dev/zero` or a FIFO must not hang or fill memory.
    let text = crate::limits::read_text(path, crate::limits::MAX_MANIFEST)?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let cargo_toml = cargo::find(dir);
    let root = cargo_toml.as_deref().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_else(|| dir.to_path_buf());
    let cargo = cargo_toml.as_deref().map(cargo::read).transpose()?;
    let mut loaded = LoadedManifest { path: path.to_path_buf(), text, root, raw: Manifest::empty(), cargo };
    loaded.raw = toml::from_str(&loaded.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let (message, help) = explain_toml_error(e.message());
        loaded.errors(vec![loaded.error(span, message, "here", help)])
    })?;
    Ok(loaded)
}

impl Manifest {
    fn empty() -> Self {
        Manifest {
            package: Fields::default(),
            files: Vec::new(),
            deb: None,
            rpm: None,
            arch: None,
            apk: None,
            pkgbuild: None,
            apkbuild: None,
            addon: None,
            systemd: Systemd::default(),
            users: Vec::new(),
            groups: Vec::new(),
            directories: Vec::new(),
            check: CheckSettings::default(),
            build: BuildSettings::default(),
            ci: CiSettings::default(),
            repo: None,
        }
    }

    /// The per-format table for `format`, if the manifest has one.
    pub fn format_table(&self, format: crate::format::Format) -> Option<&Fields> {
        use crate::format::Format;
        match format {
            Format::Deb => self.deb.as_ref(),
            Format::Rpm => self.rpm.as_ref(),
            Format::Arch | Format::Pkgbuild => self.arch.as_ref(),
            Format::Apk => self.apk.as_ref(),
            Format::Addon => None,
        }
    }
}

/// Turn serde's wording into a message and a help line a user can act on.
fn explain_toml_error(message: &str) -> (String, String) {
    let first = message.lines().next().unwrap_or(message).trim().to_string();
    if let Some(suggestion) = did_you_mean(&first) {
        return (first, format!("did you mean `{suggestion}`?"));
    }
    let help = if first.starts_with("unknown field") {
        "remove the key or fix its spelling; the keys this table accepts are listed above and in docs/manifest.md"
    } else if first.starts_with("unknown variant") {
        "use one of the values listed above"
    } else if first.starts_with("invalid type") {
        "change the value to the type named above (strings in quotes, lists in [ ], modes as 0o755)"
    } else if first.starts_with("missing field") {
        "add the key to this table"
    } else {
        "see docs/manifest.md for the manifest syntax"
    };
    (first, help.to_string())
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (and "unknown variant"), the
/// expected name closest to what was written, when one is close.
fn did_you_mean(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("unknown variant `"))?;
    let (written, expected) = rest.split_once('`')?;
    let names = expected.split('`').skip(1).step_by(2);
    closest(written, names)
}

/// The candidate closest to `written` (case-insensitive), if it is close enough to be a typo.
pub fn closest<'a>(written: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    candidates
        .map(|c| (strsim::jaro_winkler(&written.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// Relation kinds, in the order the control file lists them.
pub const RELATIONS: [&str; 6] = ["depends", "recommends", "suggests", "conflicts", "provides", "replaces"];

impl Fields {
    pub fn relations(&self) -> BTreeMap<&'static str, &Vec<Spanned<String>>> {
        let lists = [&self.depends, &self.recommends, &self.suggests, &self.conflicts, &self.provides, &self.replaces];
        RELATIONS.iter().zip(lists).filter_map(|(name, list)| list.as_ref().map(|l| (*name, l))).collect()
    }
}
