//! Findings about the payload's ELF files, from the facts the plan read (`Package::binaries`): a
//! binary for another machine than the package's, a musl binary on a glibc distribution, a glibc
//! newer than the manifest's `min-glibc`, and a needed library no known package provides.

use std::path::Path;

use super::{Finding, Severity};
use crate::format::Format;
use crate::manifest::LoadedManifest;
use crate::plan::Package;
use crate::plan::elfdeps::Binary;

pub(super) fn check(manifest: &LoadedManifest, package: &Package) -> Vec<Finding> {
    let fields = match manifest.raw.format_table(package.format) {
        Some(table) => manifest.raw.package.overlay(table),
        None => manifest.raw.package.clone(),
    };
    let min_glibc = fields.min_glibc.as_ref().map(|m| m.get_ref().trim().to_string());
    let arch = package.target.split('-').next().unwrap_or("");
    let mut out = Vec::new();
    for binary in &package.binaries {
        let finding = |code, severity, message: String, help: String| Finding {
            code,
            severity,
            file: manifest.path.display().to_string(),
            line: files_entry_line(manifest, &binary.path, &binary.source),
            message,
            help,
        };
        if let Some(expected) = crate::elf::machine_for_arch(arch)
            && binary.elf.machine != expected
        {
            out.push(finding(
                "B001",
                Severity::Error,
                format!(
                    "{} is an ELF file for {}, but the {} package is for {} ({})",
                    binary.path, binary.elf.machine, package.format, package.arch, package.target
                ),
                format!(
                    "point src at the binary built for {} (cargo build --target {})",
                    package.target, package.target
                ),
            ));
        }
        if let Some(why) = binary.elf.musl().filter(|_| glibc_format(package.format)) {
            out.push(finding(
                "B002",
                Severity::Error,
                format!("{} needs musl ({why}): it does not start on a glibc system, which {} is", binary.path, package.format),
                format!("build it for a -gnu target (--target {arch}-unknown-linux-gnu), or statically (musl with no dynamic loader)"),
            ));
        }
        if let (Some(min), Some(needs)) = (&min_glibc, &binary.elf.min_glibc)
            && glibc_format(package.format)
            && crate::elf::compare_versions(needs, min).is_gt()
        {
            out.push(finding(
                "B003",
                Severity::Warning,
                format!("{} needs glibc {needs} (GLIBC_{needs} symbols), newer than min-glibc = \"{min}\"", binary.path),
                format!("build on a system with glibc {min} (or with cargo zigbuild --target {arch}-unknown-linux-gnu.{min}), or raise min-glibc"),
            ));
        }
        out.extend(unmapped(binary, package).map(|(message, help)| finding("B004", Severity::Warning, message, help)));
    }
    out
}

/// Formats of glibc distributions.
fn glibc_format(format: Format) -> bool {
    matches!(format, Format::Deb | Format::Rpm | Format::Arch | Format::Pkgbuild)
}

/// A needed soname the automatic dependencies could not name a package for.
fn unmapped(binary: &Binary, package: &Package) -> impl Iterator<Item = (String, String)> {
    let table = package.format.name();
    binary.unmapped.iter().map(move |soname| {
        let lookup = match package.format {
            Format::Deb => format!("`dpkg -S {soname}`"),
            _ => format!("`pacman -F {soname}`"),
        };
        (
            format!(
                "{} needs {soname}, and distpack knows no {} package that provides it: no dependency on it is declared",
                binary.path, package.format
            ),
            format!(
                "add the package that ships it ({lookup}) to [{table}] depends, or ship the library in the package"
            ),
        )
    })
}

/// The line of the `[[files]]` entry that installs `dest` from `source`: the entry naming `dest`,
/// else the one whose `src` has the same file name, else one installing into `dest`'s directory.
pub(super) fn files_entry_line(manifest: &LoadedManifest, dest: &str, source: &Path) -> usize {
    let name = source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let entries = &manifest.raw.files;
    let by_dest = entries.iter().find(|e| e.get_ref().dest.as_ref().is_some_and(|d| d.get_ref() == dest));
    let by_src = || {
        entries
            .iter()
            .find(|e| e.get_ref().src.as_ref().is_some_and(|s| s.get_ref().rsplit('/').next() == Some(&*name)))
    };
    let by_dir = || {
        let dir = dest.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        entries.iter().find(|e| e.get_ref().dest.as_ref().is_some_and(|d| d.get_ref().trim_end_matches('/') == dir))
    };
    by_dest.or_else(by_src).or_else(by_dir).map(|e| crate::plan::line_of(&manifest.text, e.span().start)).unwrap_or(1)
}
