//! The resolved plan: one `Package` per format × architecture with every default applied, every
//! path checked and every script rendered. Writers read a `Package` and nothing else.

pub mod addon;
mod alpine;
pub mod base_system;
pub mod build_plan;
pub(crate) mod debian;
pub mod debug;
pub mod elfdeps;
mod files;
pub use files::default_mode;
pub(crate) use files::line_of;
pub mod openrc;
pub mod outputs;
pub mod recipe;
pub mod relations;
#[cfg(test)]
mod script_properties;
mod scripts;
pub mod services;
mod shlibdeps;
mod sudoers;
pub mod summary;
mod syntax;
pub mod system_paths;
mod tree;
pub mod version;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use serde::Serialize;
use toml::Spanned;

use crate::error::{ManifestError, Result};
use crate::format::Format;
use crate::manifest::{Compression, Fields, FileKind, LoadedManifest};
use crate::target::Target;
pub use build_plan::{BuildPlan, PackageRef, Prepare, Request, Step};
use relations::{Relation, RelationKind};

/// Build-wide inputs that do not come from the manifest.
#[derive(Debug, Clone)]
pub struct Context {
    /// Modification time of every entry, in seconds since the epoch.
    pub mtime: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Package {
    pub format: Format,
    pub target: String,
    pub arch: String,
    pub name: String,
    /// The version in the format's own syntax, in its parts.
    pub version: version::Version,
    pub upstream_version: String,
    pub summary: String,
    pub description: String,
    pub license: Option<String>,
    pub homepage: Option<String>,
    pub maintainer: String,
    /// The copyright notice; without one, the year of the build and the maintainer.
    pub copyright: Option<String>,
    pub vendor: Option<String>,
    pub section: String,
    pub priority: String,
    /// Relation kind → entries, typed until a writer renders them.
    pub relations: BTreeMap<RelationKind, Vec<Relation>>,
    /// Sorted by path; every parent directory present before its contents.
    pub files: Vec<PackageFile>,
    /// The payload's ELF files and what they need.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<elfdeps::Binary>,
    /// Units, static users, groups and directories, with the distro's policy applied.
    pub services: services::Services,
    /// Native script name (`postinst`, …) → its full text.
    pub scripts: BTreeMap<String, String>,
    pub compression: Compression,
    pub compression_level: u32,
    /// The filter xz runs in front of LZMA2 on the payload: x86's when the payload has x86 machine
    /// code and the compression is xz.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_filter: Option<crate::compress::BranchFilter>,
    pub mtime: u64,
    /// The add-on bundle's identity and metadata (the `addon` format only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addon: Option<addon::Addon>,
    /// The package this one was split from (apk's `origin`), for a subpackage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Packages split off this one and written beside it (apk: `NAME-openrc`, as abuild splits).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subpackages: Vec<Package>,
    /// Set on a package of detached debug symbols (`debug-symbols = "separate"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_of: Option<debug::DebugOf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageFile {
    /// Absolute path on the installed system, e.g. `/usr/bin/healthd`.
    pub path: String,
    pub kind: FileKind,
    #[serde(serialize_with = "octal")]
    pub mode: u32,
    pub owner: String,
    pub group: String,
    /// Bytes of content (0 for directories; the target's length for symlinks).
    pub size: u64,
    pub source: Source,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Source {
    File {
        path: PathBuf,
    },
    Generated {
        #[serde(skip)]
        bytes: Vec<u8>,
    },
    Directory,
    Symlink {
        target: String,
    },
}

impl Package {
    pub fn conffiles(&self) -> impl Iterator<Item = &PackageFile> {
        self.files.iter().filter(|f| f.kind.is_conffile())
    }

    /// Add a file distpack generates (0644 root:root), unless the manifest ships its own there.
    pub(crate) fn add_generated(&mut self, path: String, kind: FileKind, bytes: Vec<u8>) {
        if self.files.iter().any(|f| f.path == path) {
            return;
        }
        let size = bytes.len() as u64;
        self.files.push(PackageFile {
            path,
            kind,
            mode: 0o644,
            owner: "root".into(),
            group: "root".into(),
            size,
            source: Source::Generated { bytes },
        });
    }

    pub fn doc_dir(&self) -> String {
        format!("/usr/share/doc/{}", self.name)
    }
}

/// The table a format cannot be built without, with the help that says what to add.
fn missing_table(manifest: &LoadedManifest, format: Format) -> Option<(&'static str, &'static str, &'static str)> {
    match format {
        Format::Pkgbuild if recipe::pkgbuild_settings(manifest).is_none() => Some((
            "the pkgbuild format needs a [pkgbuild] table, or a homepage that is a GitHub, Codeberg or Gitea repository to download release tarballs from",
            "no [pkgbuild]",
            "add [pkgbuild] with source-url = \"https://…/{name}-{upstream}-{arch}.tar.gz\" (and mode = \"source\" to build from source)",
        )),
        Format::Addon if manifest.raw.addon.is_none() => Some((
            "the addon format needs an [addon] table",
            "no [addon]",
            "add [addon] with entries = [\"/usr/bin/NAME\", \"NAME.service\"]",
        )),
        _ => None,
    }
}

/// What names and describes a package, each value with its manifest span.
struct Identity {
    name: Option<(String, Range<usize>)>,
    upstream: Option<(String, Range<usize>)>,
    version: Option<version::Version>,
    summary: Option<(String, Range<usize>)>,
    maintainer: Option<(String, Range<usize>)>,
}

/// Resolve the manifest for one format and target. All problems are reported together.
pub fn resolve(manifest: &LoadedManifest, format: Format, target: &Target, ctx: &Context) -> Result<Package> {
    if let Some((message, label, help)) = missing_table(manifest, format) {
        return Err(manifest.errors(vec![manifest.error(0..0, message, label, help)]));
    }
    let fields = match manifest.raw.format_table(format) {
        Some(table) => manifest.raw.package.overlay(table),
        None => manifest.raw.package.clone(),
    };
    let mut r = Resolver { manifest, format, errors: Vec::new() };
    let cargo = manifest.cargo.clone().unwrap_or_default();
    let id = r.identity(&fields, &cargo);
    let mut relations = r.relations(&fields);
    let (compression, compression_level) = r.compression(&fields);
    let name_or = |id: &Identity| id.name.as_ref().map(|n| n.0.clone()).unwrap_or_else(|| "package".into());
    let upstream = id.upstream.as_ref().map(|v| v.0.as_str()).unwrap_or("0");
    let mut package_files = files::resolve(&mut r, &fields, target, &name_or(&id), upstream);
    let addon = match (&manifest.raw.addon, format) {
        (Some(settings), Format::Addon) => {
            let all = std::mem::take(&mut package_files.files);
            let (addon, files) = addon::resolve(&mut r, settings, &name_or(&id), all, target);
            package_files.files = files;
            Some(addon)
        }
        _ => None,
    };
    let binaries = elfdeps::resolve(&mut r, &fields, &mut relations, &package_files.files);
    let hooks = scripts::read_hooks(&mut r, &fields);
    let services = services::resolve(&mut r, &package_files.files, &name_or(&id));
    if !r.errors.is_empty() {
        return Err(manifest.errors(r.errors));
    }
    let branch_filter = branch_filter(compression, &binaries);
    let summary = id.summary.map(|s| s.0).unwrap_or_default();
    let package_name = id.name.map(|n| n.0).unwrap_or_default();
    let upstream_version = id.upstream.map(|u| u.0).unwrap_or_default();
    let package = Package {
        format,
        target: target.triple.clone(),
        arch: architecture(format, target, !binaries.is_empty()),
        name: package_name.clone(),
        version: id.version.unwrap_or_default(),
        upstream_version: upstream_version.clone(),
        // Without a description, one that does not repeat the synopsis (which lintian refuses).
        description: text(&fields.description)
            .unwrap_or_else(|| format!("{package_name} {upstream_version}: {summary}.")),
        summary,
        license: license(format, text(&fields.license).or(cargo.license)),
        homepage: text(&fields.homepage).or(cargo.homepage),
        maintainer: id.maintainer.map(|m| m.0).unwrap_or_default(),
        copyright: text(&fields.copyright),
        vendor: text(&fields.vendor),
        section: section(format, text(&fields.section)),
        priority: text(&fields.priority).unwrap_or_else(|| "optional".into()),
        relations,
        files: package_files.files,
        binaries,
        services,
        scripts: BTreeMap::new(),
        compression,
        compression_level,
        branch_filter,
        mtime: ctx.mtime,
        addon,
        origin: None,
        subpackages: Vec::new(),
        debug_of: None,
    };
    finish(package, &package_files.license_texts, &hooks)
}

/// Each format's own additions: Debian's docs, Alpine's OpenRC scripts and subpackage, then the
/// sysusers/tmpfiles files, the maintainer scripts and the parent directories.
fn finish(mut package: Package, license_texts: &[String], hooks: &scripts::Hooks) -> Result<Package> {
    let format = package.format;
    let mut openrc = None;
    match format {
        Format::Deb => debian::add_docs(&mut package, license_texts),
        Format::Rpm | Format::Arch | Format::Pkgbuild => {}
        Format::Apk => {
            openrc::replace_units(&mut package);
            openrc = alpine::split_openrc(&mut package);
        }
        // A bundle is flat and holds exactly the entries it names.
        Format::Addon => return Ok(package),
    }
    add_service_files(&mut package);
    package.scripts = scripts::render(&package, hooks)?;
    files::add_parent_dirs(&mut package.files, format != Format::Rpm);
    sudoers::match_sudo_dir(format, &mut package.files);
    if format == Format::Apk {
        alpine::add_automatic_relations(&mut package);
        if let Some(mut sub) = openrc {
            files::add_parent_dirs(&mut sub.files, true);
            alpine::add_automatic_relations(&mut sub);
            package.subpackages.push(sub);
        }
    }
    Ok(package)
}

/// The package's architecture: the target's, or the format's word for "any machine" (`all`,
/// `noarch`, `any`) when nothing in the payload is an ELF file, as dpkg-gencontrol, rpmbuild's
/// `BuildArch: noarch`, makepkg's `arch=(any)` and abuild's `arch="noarch"` would have it. The AUR
/// recipe and add-on bundles stay per architecture (their downloads and agents are). Alpine keeps
/// a noarch .apk in each architecture's repository directory, so it is written once per target
/// (see `outputs`).
fn architecture(format: Format, target: &Target, has_elf: bool) -> String {
    let independent = match format {
        Format::Deb => "all",
        Format::Rpm | Format::Apk => "noarch",
        Format::Arch => "any",
        Format::Pkgbuild | Format::Addon => return target.arch_for(format).to_string(),
    };
    if has_elf { target.arch_for(format).to_string() } else { independent.to_string() }
}

/// x86's branch filter for an xz payload with x86 machine code in it (see `BranchFilter`).
fn branch_filter(compression: Compression, binaries: &[elfdeps::Binary]) -> Option<crate::compress::BranchFilter> {
    let x86 = binaries.iter().any(|b| matches!(b.elf.machine.as_str(), "x86_64" | "x86"));
    (compression == Compression::Xz && x86).then_some(crate::compress::BranchFilter::X86)
}

/// rpm requires a License tag; without one, SPDX's word for "not stated".
fn license(format: Format, license: Option<String>) -> Option<String> {
    match format {
        Format::Rpm => Some(license.unwrap_or_else(|| "NOASSERTION".into())),
        _ => license,
    }
}

/// The section (Debian) or group (rpm). rpm groups look like "System Environment/Daemons"; a
/// Debian-style section is not one.
fn section(format: Format, section: Option<String>) -> String {
    match (format, section) {
        (Format::Rpm, Some(group)) if group.contains('/') => group,
        (Format::Rpm, _) => "Applications/System".into(),
        (_, section) => section.unwrap_or_else(|| "misc".into()),
    }
}

/// The package name `format` gets: its table's over `[package]` over Cargo.toml's. None when
/// none is set (resolving the plan reports that).
pub fn package_name(manifest: &LoadedManifest, format: Format) -> Option<String> {
    let table = manifest.raw.format_table(format).and_then(|t| t.name.as_ref());
    let name = match table.or(manifest.raw.package.name.as_ref()) {
        Some(name) => name.get_ref().trim().to_string(),
        None => manifest.cargo.as_ref()?.name.clone()?,
    };
    Some(name).filter(|n| !n.is_empty())
}

/// Whether `arch` is a format's word for "any machine".
pub fn is_independent_arch(arch: &str) -> bool {
    matches!(arch, "all" | "noarch" | "any")
}

/// sysusers.d and tmpfiles.d files for static users and `[[directories]]` (not for Alpine, which
/// has neither: its scripts create both).
fn add_service_files(package: &mut Package) {
    if package.format == Format::Apk {
        return;
    }
    // pacman extracts files before its sysusers hook creates their owners, and its tmpfiles hook
    // runs after that one: `z` lines give the files their owner once it exists (and at every boot).
    let ownership: Vec<&PackageFile> = match package.format {
        Format::Arch | Format::Pkgbuild => {
            package.files.iter().filter(|f| f.owner != "root" || f.group != "root").collect()
        }
        _ => Vec::new(),
    };
    let generated = [
        ("/usr/lib/sysusers.d", package.services.sysusers_conf(&package.name)),
        ("/usr/lib/tmpfiles.d", package.services.tmpfiles_conf(&package.name, &ownership)),
    ];
    for (dir, text) in generated {
        let Some(text) = text else { continue };
        let path = format!("{dir}/{}.conf", package.name);
        package.add_generated(path, FileKind::Data, text.into_bytes());
    }
}

/// Modes read best as `"0755"`, in the plan and in `inspect --json` alike.
pub fn octal<S: serde::Serializer>(mode: &u32, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{mode:04o}"))
}

fn text(value: &Option<Spanned<String>>) -> Option<String> {
    value.as_ref().map(|v| v.get_ref().trim().to_string()).filter(|v| !v.is_empty())
}

/// Why `name` cannot be a package name in `format` (FORMATS.md §0.3).
fn check_name(format: Format, name: &str) -> Result<(), String> {
    match format {
        Format::Deb => {
            let mut chars = name.chars();
            let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            if name.len() < 2 {
                Err("it must be at least 2 characters long".into())
            } else if !first_ok {
                Err("it must start with a lowercase letter or a digit".into())
            } else if let Some(c) =
                chars.find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-".contains(*c)))
            {
                Err(format!("it may contain only lowercase letters, digits and + . -, not `{c}`"))
            } else {
                Ok(())
            }
        }
        Format::Apk => {
            if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                Err("it must start with a letter or a digit".into())
            } else if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || "._+-".contains(*c))) {
                Err(format!("it may contain only letters, digits and . _ + -, not `{c}`"))
            } else {
                Ok(())
            }
        }
        Format::Arch | Format::Pkgbuild | Format::Addon => {
            if name.starts_with(['-', '.']) {
                Err("it must not start with `-` or `.`".into())
            } else if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || "@._+-".contains(*c))) {
                Err(format!("it may contain only letters, digits and @ . _ + -, not `{c}`"))
            } else {
                Ok(())
            }
        }
        Format::Rpm => {
            let mut chars = name.chars();
            if !chars.next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                Err("it must start with a letter, a digit or `_`".into())
            } else if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || "._+-".contains(*c))) {
                Err(format!("it may contain only letters, digits and . _ + -, not `{c}`"))
            } else {
                Ok(())
            }
        }
    }
}

/// Collects problems while resolving, each pointing at its manifest span.
pub(crate) struct Resolver<'a> {
    pub manifest: &'a LoadedManifest,
    pub format: Format,
    pub errors: Vec<ManifestError>,
}

impl Resolver<'_> {
    pub fn push(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        let error = self.manifest.error(span, message, label, help);
        self.errors.push(error);
    }

    /// An error about line `line` (1-based) of another file, such as a unit: the message shows
    /// that file and line, not the manifest.
    pub fn push_in(
        &mut self,
        source: &str,
        text: &str,
        line: usize,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
        let len = text[start..].find('\n').unwrap_or(text.len() - start);
        let mut error = self.manifest.error(start..start + len, message, label, help);
        error.source_code = miette::NamedSource::new(source, text.to_string());
        self.errors.push(error);
    }

    /// Name, version, summary and maintainer, from the manifest or Cargo.toml.
    fn identity(&mut self, fields: &Fields, cargo: &crate::manifest::CargoPackage) -> Identity {
        let format = self.format;
        let name = self.required(&fields.name, cargo.name.as_deref(), "name", "set [package] name = \"...\"");
        if let Some((name, span)) = &name
            && let Err(why) = check_name(format, name)
        {
            let table = format.name();
            self.push(
                span.clone(),
                format!("name `{name}` is not valid for {format}: {why}"),
                "invalid name",
                format!("set a valid name for this format in [{table}] name = \"...\""),
            );
        }
        let upstream =
            self.required(&fields.version, cargo.version.as_deref(), "version", "set [package] version = \"1.0.0\"");
        let version = upstream.as_ref().and_then(|(v, span)| self.version(fields, v, span));
        let summary = self.required(
            &fields.summary,
            cargo.description.as_deref(),
            "summary",
            "set [package] summary = \"one line\" (or description in Cargo.toml)",
        );
        let maintainer = self.required(
            &fields.maintainer,
            cargo.authors.first().map(String::as_str),
            "maintainer",
            "set [package] maintainer = \"Name <email>\" (or authors in Cargo.toml)",
        );
        if let Some((m, span)) = &maintainer
            && !(m.contains('<') && m.ends_with('>'))
        {
            self.push(
                span.clone(),
                format!("maintainer `{m}` has no e-mail address"),
                "expected `Name <email>`",
                "write it as \"Jane Doe <jane@example.org>\"",
            );
        }
        Identity { name, upstream, version, summary, maintainer }
    }

    /// The upstream version with the release and epoch, in the format's syntax.
    fn version(&mut self, fields: &Fields, upstream: &str, span: &Range<usize>) -> Option<version::Version> {
        let release =
            fields.release.as_ref().map(|s| (s.get_ref().to_string(), s.span())).unwrap_or(("1".into(), 0..0));
        let epoch = fields.epoch.as_ref().map(|e| *e.get_ref());
        match version::map(self.format, upstream, epoch, &release.0) {
            Ok(mapped) => Some(mapped),
            Err(why) => {
                let span =
                    if why.contains("release") || why.contains("revision") { release.1.clone() } else { span.clone() };
                let (format, table) = (self.format, self.format.name());
                self.push(
                    span,
                    format!("version `{upstream}` cannot be used for {format}: {why}"),
                    "invalid version",
                    format!("fix the version, or set one for this format in [{table}] version = \"...\""),
                );
                None
            }
        }
    }

    /// A required text value from the manifest, else from Cargo.toml, else an error.
    fn required(
        &mut self,
        value: &Option<Spanned<String>>,
        inherited: Option<&str>,
        key: &str,
        help: &str,
    ) -> Option<(String, Range<usize>)> {
        match value {
            Some(v) if !v.get_ref().trim().is_empty() => Some((v.get_ref().trim().to_string(), v.span())),
            Some(v) => {
                self.push(v.span(), format!("`{key}` is empty"), "empty value", help);
                None
            }
            None => match inherited {
                Some(v) => Some((v.to_string(), 0..0)),
                None => {
                    self.push(
                        0..0,
                        format!("the manifest sets no `{key}` and no Cargo.toml provides one"),
                        format!("`{key}` is missing"),
                        help,
                    );
                    None
                }
            },
        }
    }

    fn relations(&mut self, fields: &Fields) -> BTreeMap<RelationKind, Vec<Relation>> {
        let mut out = BTreeMap::new();
        for (kind, entries) in fields.relations() {
            let Some(typed) = RelationKind::from_key(kind) else { continue };
            let mut rendered = Vec::new();
            for entry in entries {
                match relations::parse(entry.get_ref()) {
                    Ok(rel)
                        if matches!(self.format, Format::Arch | Format::Pkgbuild | Format::Apk)
                            && rel.alternatives.len() > 1 =>
                    {
                        self.push(
                            entry.span(),
                            format!("pacman has no alternatives, and `{}` lists several", entry.get_ref()),
                            "alternatives",
                            "name one package in [arch], e.g. [arch] depends = [\"...\"]",
                        )
                    }
                    Ok(rel) => rendered.push(rel),
                    Err(why) => self.push(
                        entry.span(),
                        format!("invalid {kind} entry: {why}"),
                        "invalid relation",
                        "write `name`, `name (>= 1.2)` or `a | b`",
                    ),
                }
            }
            if !rendered.is_empty() {
                out.insert(typed, rendered);
            }
        }
        out
    }

    fn compression(&mut self, fields: &Fields) -> (Compression, u32) {
        // Whatever the [arch] table says, these are .tar.gz: abuild writes .apk members with
        // gzip -9; release tarballs and bundles get `tar czf`'s gzip -6.
        match self.format {
            Format::Apk => return (Compression::Gzip, 9),
            Format::Pkgbuild | Format::Addon => return (Compression::Gzip, 6),
            Format::Deb | Format::Rpm | Format::Arch => {}
        }
        let compression = fields.compression.as_ref().map(|c| *c.get_ref()).unwrap_or(match self.format {
            Format::Deb => Compression::Xz,
            Format::Rpm | Format::Arch => Compression::Zstd,
            // The release tarball a PKGBUILD downloads; apk v2 is gzip only.
            Format::Pkgbuild | Format::Apk | Format::Addon => Compression::Gzip,
        });
        if let (Format::Rpm, Compression::None, Some(c)) = (self.format, compression, &fields.compression) {
            self.push(
                c.span(),
                "rpm payloads are always compressed",
                "not for rpm",
                "set [rpm] compression = \"zstd\", \"xz\" or \"gzip\"",
            );
        }
        // Each format's default is its own tool's: dpkg-deb's xz -6, Fedora's w19.zstdio for rpm,
        // makepkg.conf's plain `zstd` (level 3) for Arch; gzip at its usual -9 when chosen.
        let (default, range) = match (compression, self.format) {
            (Compression::Xz, _) => (crate::compress::XZ_DEFAULT_LEVEL, 0..=9),
            (Compression::Zstd, Format::Arch) => (3, 1..=22),
            (Compression::Zstd, _) => (19, 1..=22),
            (Compression::Gzip, _) => (9, 1..=9),
            (Compression::None, _) => (0, 0..=0),
        };
        let level = match &fields.compression_level {
            Some(level) if !range.contains(level.get_ref()) => {
                let (lo, hi) = (range.start(), range.end());
                self.push(
                    level.span(),
                    format!("compression level {} is out of range for {compression:?}", level.get_ref()),
                    "invalid level",
                    format!("use a level from {lo} to {hi}"),
                );
                default
            }
            Some(level) => *level.get_ref(),
            None => default,
        };
        (compression, level)
    }
}
