//! The dependencies rpmbuild's elfdeps computes from the payload's ELF files: each needed soname
//! and symbol version as a Requires (`libc.so.6()(64bit)`, `libc.so.6(GLIBC_2.34)(64bit)`), each
//! shipped library's soname as a Provides, minus what the package provides itself.

use std::collections::BTreeSet;

use super::{PackageFile, Source};

/// (requires, provides) in rpm's spelling.
pub fn rpm(files: &[PackageFile]) -> (Vec<String>, Vec<String>) {
    let mut requires = BTreeSet::new();
    let mut provides = BTreeSet::new();
    let mut own = BTreeSet::new();
    for file in files {
        let Source::File { path } = &file.source else { continue };
        let Some(linking) = crate::elf::elf_linking(path) else { continue };
        // rpm marks 64-bit sonames; a 32-bit one is the bare name.
        let mark = |name: &str, version: &str| match (linking.is_64, version) {
            (true, v) => format!("{name}({v})(64bit)"),
            (false, "") => name.to_string(),
            (false, v) => format!("{name}({v})"),
        };
        if let Some(soname) = &linking.soname {
            own.insert(soname.clone());
            provides.insert(mark(soname, ""));
        }
        for needed in &linking.needed {
            requires.insert((needed.clone(), mark(needed, "")));
        }
        for (library, version) in &linking.versions {
            // elfdeps leaves out glibc's private interfaces.
            if version != "GLIBC_PRIVATE" {
                requires.insert((library.clone(), mark(library, version)));
            }
        }
    }
    let requires = requires.into_iter().filter(|(library, _)| !own.contains(library)).map(|(_, r)| r).collect();
    (requires, provides.into_iter().collect())
}
