//! `distpack check`: findings about the package's units and manifest that would break a service
//! out of the box. Each finding has a stable code, a severity, a `file:line` and a help text.
//! `build` runs the same checks and refuses to package when one is an error.

mod binaries;
mod hardening;
mod scan;
mod units;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::manifest::{FileKind, LoadedManifest};
use crate::plan::{Package, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    /// The file the finding is about, relative to the project root when it is inside it.
    pub file: String,
    pub line: usize,
    pub message: String,
    pub help: String,
}

impl Finding {
    pub fn render(&self) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        format!("{severity}[{}]: {}:{}: {}\n  help: {}", self.code, self.file, self.line, self.message, self.help)
    }
}

/// Every finding for the resolved packages, deduplicated across formats and targets and without
/// the codes the manifest's `[check] ignore` lists.
pub fn run(manifest: &LoadedManifest, packages: &[Package]) -> Vec<Finding> {
    let mut findings = BTreeSet::new();
    for package in packages {
        findings.extend(units::check(package));
        if manifest.raw.check.hardening {
            findings.extend(hardening::check(package));
        }
        findings.extend(manifest_rules(manifest, package));
        findings.extend(binaries::check(manifest, package));
        findings.extend(unstripped_rules(manifest, package));
        if package.format == crate::format::Format::Apk {
            findings.extend(openrc_rules(package));
            if manifest.raw.apkbuild.is_some() {
                findings.extend(apkbuild_rules(manifest, package));
            }
            findings.extend(musl_rules(manifest, package));
        }
    }
    let ignored: Vec<&str> = manifest.raw.check.ignore.iter().map(|c| c.get_ref().as_str()).collect();
    let mut out: Vec<Finding> = findings.into_iter().filter(|f| !ignored.contains(&f.code)).collect();
    out.sort_by(|a, b| (&a.file, a.line, a.code).cmp(&(&b.file, b.line, b.code)));
    out
}

/// Every code a finding can have; `[check] ignore` takes only these.
pub const CODES: [&str; 32] = [
    "U000", "U001", "U002", "U003", "U004", "U005", "U006", "U007", "U008", "U009", "U010", "U011", "U012", "U013",
    "U014", "U015", "U016", "M001", "M002", "M003", "A001", "A002", "A003", "A004", "B001", "B002", "B003", "B004",
    "H001", "H002", "H003", "H004",
];

/// `[check] ignore` entries that name no code: each an error at its line, with the closest code.
pub fn unknown_ignored_codes(manifest: &LoadedManifest) -> Vec<crate::error::ManifestError> {
    manifest
        .raw
        .check
        .ignore
        .iter()
        .filter(|code| !CODES.contains(&code.get_ref().as_str()))
        .map(|code| {
            // Codes are short: one edit away is a typo (U02, U0002, u002).
            let written = code.get_ref().to_uppercase();
            let close = CODES
                .iter()
                .copied()
                .min_by_key(|c| strsim::levenshtein(&written, c))
                .filter(|c| strsim::levenshtein(&written, c) <= 1);
            let help = match close {
                Some(close) => format!("did you mean `{close}`? The codes are listed in docs/manifest.md"),
                None => "use a code that `distpack check` reports (listed in docs/manifest.md)".to_string(),
            };
            manifest.error(code.span(), format!("`{}` is not a check code", code.get_ref()), "unknown code", help)
        })
        .collect()
}

pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

fn manifest_rules(manifest: &LoadedManifest, package: &Package) -> Vec<Finding> {
    let file = manifest.path.display().to_string();
    let line_of = |offset: usize| crate::plan::line_of(&manifest.text, offset);
    let mut out = Vec::new();
    for entry in &manifest.raw.files {
        let entry = entry.get_ref();
        let kind = *entry.kind.get_ref();
        if let (FileKind::Config, Some(dest)) = (kind, &entry.dest)
            && !dest.get_ref().starts_with("/etc/")
        {
            out.push(Finding {
                code: "M001",
                severity: Severity::Warning,
                file: file.clone(),
                line: line_of(dest.span().start),
                message: format!("config file {} is outside /etc", dest.get_ref()),
                help: "configuration belongs under /etc, where every distribution protects local edits; use kind = \"data\" for read-only defaults".into(),
            });
        }
        if kind == FileKind::Binary
            && let Some(src) = &entry.src
        {
            let name = src.get_ref().rsplit('/').next().unwrap_or("");
            let built = package.files.iter().find(|f| {
                f.kind == FileKind::Binary
                    && matches!(&f.source, Source::File { path } if path.file_name().is_some_and(|n| n.to_string_lossy() == name))
            });
            if let Some(Source::File { path }) = built.map(|f| &f.source)
                && !scan::is_executable_format(path)
            {
                out.push(Finding {
                    code: "M002",
                    severity: Severity::Warning,
                    file: file.clone(),
                    line: line_of(src.span().start),
                    message: format!("binary {} is neither an ELF file nor a script with #!", path.display()),
                    help: "point src at the built executable, or use kind = \"data\" for other files".into(),
                });
            }
        }
    }
    out
}

/// Above this size an unstripped binary's debug information is worth a package of its own.
const UNSTRIPPED_LIMIT: u64 = 10 << 20;

/// M003: a binary shipped with its DWARF debug information and over 10 MiB, which every user
/// downloads and few read. With `debug-symbols = "separate"` the package ships a stripped copy, so
/// this never fires for it.
fn unstripped_rules(manifest: &LoadedManifest, package: &Package) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in package.files.iter().filter(|f| f.kind == FileKind::Binary && f.size > UNSTRIPPED_LIMIT) {
        let Source::File { path } = &file.source else { continue };
        // The file as shipped: with debug-symbols = "separate", the stripped copy.
        if !crate::elf::elf_linking(path).is_some_and(|e| e.debug_info) {
            continue;
        }
        // The [[files]] entry whose src names this file, for its line.
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let src = manifest
            .raw
            .files
            .iter()
            .filter_map(|e| e.get_ref().src.as_ref())
            .find(|src| src.get_ref().rsplit('/').next() == Some(name.as_str()));
        out.push(Finding {
            code: "M003",
            severity: Severity::Warning,
            file: manifest.path.display().to_string(),
            line: src.map_or(1, |s| crate::plan::line_of(&manifest.text, s.span().start)),
            message: format!(
                "{} ships unstripped: {:.1} MiB with its debug information",
                file.path,
                file.size as f64 / (1 << 20) as f64
            ),
            help: "set [package] debug-symbols = \"separate\" to ship it stripped, with its debug symbols in a debug package (.ddeb, -debuginfo, -debug); or strip it when building (Cargo profile: strip = true)".into(),
        });
    }
    out
}

/// Alpine has no systemd: say what happens to each unit, and which directives do not carry over.
fn openrc_rules(package: &Package) -> Vec<Finding> {
    let mut out = Vec::new();
    for unit in &package.services.units {
        let service = unit.kind == Some(crate::unit::UnitKind::Service) && !unit.template;
        out.push(Finding {
            code: "A001",
            severity: Severity::Warning,
            file: unit.source.clone(),
            line: 1,
            message: if service {
                format!(
                    "{} is left out of the .apk; /etc/init.d/{} runs the service under OpenRC",
                    unit.name,
                    unit.file.stem()
                )
            } else {
                format!("{} has no OpenRC equivalent and is left out of the .apk", unit.name)
            },
            help: "Alpine has no systemd; check the generated OpenRC script with `distpack inspect`".into(),
        });
        if !service {
            continue;
        }
        for (key, line) in crate::plan::openrc::untranslated(&unit.file) {
            out.push(Finding {
                code: "A002",
                severity: Severity::Warning,
                file: unit.source.clone(),
                line,
                message: format!("{key}= has no OpenRC equivalent and is not carried into /etc/init.d/{}", unit.file.stem()),
                help: "the service runs without it on Alpine; add the behaviour to the daemon or its OpenRC conf.d file if it matters".into(),
            });
        }
    }
    out
}

/// What `abuild validate` refuses in the APKBUILD (`default_validate` in abuild.in), said before
/// the recipe is written: a missing `url` or `license`, a `pkgdesc` over 127 bytes.
fn apkbuild_rules(manifest: &LoadedManifest, package: &Package) -> Vec<Finding> {
    let file = manifest.path.display().to_string();
    let line_of =
        |span: Option<std::ops::Range<usize>>| span.map(|s| crate::plan::line_of(&manifest.text, s.start)).unwrap_or(1);
    let fields = &manifest.raw.package;
    let mut out = Vec::new();
    let mut finding = |line: usize, message: String, help: &str| {
        out.push(Finding {
            code: "A003",
            severity: Severity::Error,
            file: file.clone(),
            line,
            message,
            help: help.into(),
        })
    };
    if package.homepage.is_none() {
        finding(
            1,
            "the APKBUILD needs a url, and the manifest has no homepage: abuild refuses it (\"Missing url in APKBUILD\")".into(),
            "set [package] homepage = \"https://…\" (or homepage in Cargo.toml)",
        );
    }
    if package.license.is_none() {
        finding(
            1,
            "the APKBUILD needs a license, and the manifest has none: abuild refuses it (\"Missing license in APKBUILD\")".into(),
            "set [package] license = \"MIT\" (an SPDX expression), or license in Cargo.toml",
        );
    }
    let pkgdesc = package.summary.split_whitespace().collect::<Vec<_>>().join(" ");
    if pkgdesc.len() > 127 {
        finding(
            line_of(fields.summary.as_ref().map(|s| s.span())),
            format!(
                "the summary is {} bytes long; abuild refuses a pkgdesc over 127 (\"pkgdesc is too long\")",
                pkgdesc.len()
            ),
            "shorten [package] summary (or set a shorter one in [apk] summary = \"…\")",
        );
    }
    out
}

/// Alpine is a musl system: a binary that needs glibc (its `ld-linux` loader, `libc.so.6`) does not
/// start there ("not found" for a file that exists), and apk refuses to install it (its `so:libc.so.6`
/// has no provider). An error whatever the target; none when the package depends on gcompat,
/// Alpine's glibc compatibility layer.
fn musl_rules(manifest: &LoadedManifest, package: &Package) -> Vec<Finding> {
    let depends = package.relations.get(&crate::plan::relations::RelationKind::Depends);
    if depends.into_iter().flatten().any(|d| d.names("gcompat")) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for file in &package.files {
        let Source::File { path } = &file.source else { continue };
        if file.mode & 0o111 == 0 && file.kind != FileKind::Binary {
            continue;
        }
        let Some(why) = scan::elf_linking(path).and_then(|l| l.glibc()) else { continue };
        let line = binaries::files_entry_line(manifest, &file.path, path);
        out.push(Finding {
            code: "A004",
            severity: Severity::Error,
            file: manifest.path.display().to_string(),
            line,
            message: format!(
                "{} in the .apk for {} needs glibc ({why}): it does not start on Alpine, which has musl",
                file.path, package.target
            ),
            help: format!(
                "build it for a musl target (--target {}-unknown-linux-musl) or statically, or add [apk] depends = [\"gcompat\"]",
                package.target.split('-').next().unwrap_or("x86_64")
            ),
        });
    }
    out
}
