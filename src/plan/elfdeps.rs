//! What the payload's ELF files need, as each distribution's own build tool would declare it:
//! rpmbuild's elfdeps (sonames and symbol versions as `Requires`/`Provides`), dpkg-shlibdeps
//! (Debian package names, run for real when it is installed; see `shlibdeps`), abuild's `so:`
//! dependencies and provides, and package names for pacman. Computed once, while resolving, from
//! the facts `crate::elf` reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Serialize;

use super::relations::{Atom, Op, Relation, RelationKind};
use super::{PackageFile, Source};
use crate::elf::ElfLinking;
use crate::format::Format;

/// An ELF file of the payload, with what it says about itself.
#[derive(Debug, Clone, Serialize)]
pub struct Binary {
    /// Where it is installed.
    pub path: String,
    #[serde(skip)]
    pub source: PathBuf,
    #[serde(flatten)]
    pub elf: ElfLinking,
    /// Needed sonames that no known package provides (the built-in mapping's gaps): the automatic
    /// dependencies leave them out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmapped: Vec<String>,
}

/// Every ELF file among `files`, in their order. Each file is opened to read its magic number, so
/// a tree of many small files is looked at on every core.
pub fn binaries(files: &[PackageFile]) -> Vec<Binary> {
    use rayon::prelude::*;
    files
        .par_iter()
        .filter_map(|file| {
            let Source::File { path } = &file.source else { return None };
            let elf = crate::elf::elf_linking(path)?;
            Some(Binary { path: file.path.clone(), source: path.clone(), elf, unmapped: Vec::new() })
        })
        .collect()
}

/// The payload's binaries, and the format's automatic relations merged into `relations` unless
/// `auto-depends = false`. Checks `min-glibc` on the way.
pub(super) fn resolve(
    r: &mut super::Resolver,
    fields: &crate::manifest::Fields,
    relations: &mut BTreeMap<RelationKind, Vec<Relation>>,
    files: &[PackageFile],
) -> Vec<Binary> {
    if let Some(min) = &fields.min_glibc
        && !is_glibc_version(min.get_ref())
    {
        r.push(
            min.span(),
            format!("min-glibc `{}` is not a glibc version", min.get_ref()),
            "expected MAJOR.MINOR",
            "write the oldest glibc the package must run on, e.g. min-glibc = \"2.31\" (Debian 11)",
        );
    }
    let mut binaries = binaries(files);
    if fields.auto_depends.as_ref().is_some_and(|a| !*a.get_ref()) {
        return binaries;
    }
    let (depends, provides) = compute(r.format, &mut binaries);
    merge(relations, RelationKind::Depends, depends);
    merge(relations, RelationKind::Provides, provides);
    binaries
}

/// `2.31`: what glibc's versions look like (GLIBC_2.31).
pub fn is_glibc_version(text: &str) -> bool {
    let mut parts = text.split('.');
    let number = |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    number(parts.next()) && number(parts.next()) && parts.all(|p| number(Some(p)))
}

/// What the automatic dependencies add: (depends, provides).
pub type Computed = (Vec<Relation>, Vec<Relation>);

/// The format's automatic relations for `binaries`, noting in each binary the sonames no known
/// package provides.
pub fn compute(format: Format, binaries: &mut [Binary]) -> Computed {
    let names = |list: Vec<String>| list.into_iter().map(|n| Relation::single(Atom::name(n))).collect();
    match format {
        Format::Rpm => {
            let (requires, provides) = rpm(binaries);
            (names(requires), names(provides))
        }
        // dpkg-shlibdeps refuses a binary whose libraries this machine has no package for (a
        // library from a vendor's own package, a cross-build's sysroot): then the built-in map
        // decides, and B004 names every soname it cannot, rather than the build stopping.
        Format::Deb if super::shlibdeps::usable(binaries) => match super::shlibdeps::run(binaries) {
            Ok(depends) => (depends, Vec::new()),
            Err(_) => (by_package(format, binaries), Vec::new()),
        },
        Format::Deb | Format::Arch | Format::Pkgbuild => (by_package(format, binaries), Vec::new()),
        Format::Apk => apk(binaries),
        Format::Addon => (Vec::new(), Vec::new()),
    }
}

/// The sonames the package ships itself: nothing outside has to provide them.
fn own_sonames(binaries: &[Binary]) -> BTreeSet<&str> {
    binaries.iter().filter_map(|b| b.elf.soname.as_deref()).collect()
}

/// (requires, provides) in rpm's spelling.
pub fn rpm(binaries: &[Binary]) -> (Vec<String>, Vec<String>) {
    let mut requires = BTreeSet::new();
    let mut provides = BTreeSet::new();
    for linking in binaries.iter().map(|b| &b.elf) {
        // rpm marks 64-bit sonames; a 32-bit one is the bare name.
        let mark = |name: &str, version: &str| match (linking.is_64(), version) {
            (true, v) => format!("{name}({v})(64bit)"),
            (false, "") => name.to_string(),
            (false, v) => format!("{name}({v})"),
        };
        if let Some(soname) = &linking.soname {
            provides.insert(mark(soname, ""));
        }
        for needed in &linking.needed {
            requires.insert((needed.clone(), mark(needed, "")));
        }
        for need in &linking.versions {
            // elfdeps leaves out glibc's private interfaces.
            if need.version != "GLIBC_PRIVATE" {
                requires.insert((need.library.clone(), mark(&need.library, &need.version)));
            }
        }
    }
    let own = own_sonames(binaries);
    let requires =
        requires.into_iter().filter(|(library, _)| !own.contains(library.as_str())).map(|(_, r)| r).collect();
    (requires, provides.into_iter().collect())
}

/// glibc's sonames: what `libc6` (Debian) and `glibc` (Arch) ship.
fn is_glibc(soname: &str) -> bool {
    const GLIBC: [&str; 10] = [
        "libc.so.6",
        "libm.so.6",
        "libpthread.so.0",
        "libdl.so.2",
        "librt.so.1",
        "libutil.so.1",
        "libresolv.so.2",
        "libanl.so.1",
        "libmvec.so.1",
        "libBrokenLocale.so.1",
    ];
    GLIBC.contains(&soname) || soname.starts_with("ld-linux") || soname.starts_with("ld64.so.")
}

/// Common sonames and the packages that ship them: (soname, Debian 12's package with the version
/// its shlibs file asks for, Arch's package).
const LIBRARIES: [(&str, &str, &str); 28] = [
    ("libgcc_s.so.1", "libgcc-s1", "gcc-libs"),
    ("libstdc++.so.6", "libstdc++6", "gcc-libs"),
    ("libatomic.so.1", "libatomic1", "gcc-libs"),
    ("libssl.so.3", "libssl3", "openssl"),
    ("libcrypto.so.3", "libssl3", "openssl"),
    ("libz.so.1", "zlib1g (>= 1:1.1.4)", "zlib"),
    ("libzstd.so.1", "libzstd1", "zstd"),
    ("liblzma.so.5", "liblzma5", "xz"),
    ("libbz2.so.1.0", "libbz2-1.0", "bzip2"),
    ("libsystemd.so.0", "libsystemd0", "systemd-libs"),
    ("libudev.so.1", "libudev1", "systemd-libs"),
    ("libdbus-1.so.3", "libdbus-1-3", "dbus"),
    ("libsqlite3.so.0", "libsqlite3-0", "sqlite"),
    ("libpq.so.5", "libpq5", "postgresql-libs"),
    ("libcurl.so.4", "libcurl4", "curl"),
    ("libpam.so.0", "libpam0g", "pam"),
    ("libcap.so.2", "libcap2", "libcap"),
    ("libseccomp.so.2", "libseccomp2", "libseccomp"),
    ("libcrypt.so.1", "libcrypt1", "libxcrypt"),
    ("libffi.so.8", "libffi8", "libffi"),
    ("libexpat.so.1", "libexpat1", "expat"),
    ("libuuid.so.1", "libuuid1", "util-linux-libs"),
    ("libblkid.so.1", "libblkid1", "util-linux-libs"),
    ("libmount.so.1", "libmount1", "util-linux-libs"),
    ("libpcre2-8.so.0", "libpcre2-8-0", "pcre2"),
    ("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
    ("libgssapi_krb5.so.2", "libgssapi-krb5-2", "krb5"),
    ("libacl.so.1", "libacl1", "acl"),
];

/// The package that ships `soname` (Debian's with its version, Arch's), None when unknown.
/// glibc's own: `libc6 (>= FLOOR)`, with the newest glibc symbol version any binary needs.
fn package_for(format: Format, soname: &str, glibc_floor: Option<&str>) -> Option<Relation> {
    if is_glibc(soname) {
        return Some(Relation::single(match (format, glibc_floor) {
            (Format::Deb, Some(floor)) => Atom::with("libc6", Op::Ge, floor),
            (Format::Deb, None) => Atom::name("libc6"),
            _ => Atom::name("glibc"),
        }));
    }
    let (_, deb, arch) = LIBRARIES.iter().find(|l| l.0 == soname)?;
    super::relations::parse(if format == Format::Deb { deb } else { arch }).ok()
}

/// Debian or Arch package names for the needed sonames, one relation per package.
fn by_package(format: Format, binaries: &mut [Binary]) -> Vec<Relation> {
    let own: BTreeSet<String> = own_sonames(binaries).into_iter().map(str::to_string).collect();
    let floor = binaries
        .iter()
        .filter_map(|b| b.elf.min_glibc.as_deref())
        .max_by(|a, b| crate::elf::compare_versions(a, b))
        .map(str::to_string);
    let mut out: Vec<Relation> = Vec::new();
    for binary in binaries.iter_mut() {
        for needed in binary.elf.needed.iter().filter(|n| !own.contains(*n)) {
            match package_for(format, needed, floor.as_deref()) {
                Some(relation) if !out.contains(&relation) => out.push(relation),
                Some(_) => {}
                None => binary.unmapped.push(needed.clone()),
            }
        }
    }
    out.sort_by(|a, b| a.alternatives[0].name.cmp(&b.alternatives[0].name));
    out
}

/// abuild's automatic relations: `depend = so:NAME` for every needed soname the package does not
/// ship, and `provides = so:SONAME=SOVER` for each shared library directly in /lib or /usr/lib
/// (`scan_shared_objects`: SOVER is what follows `.so.` in the file name, 0 for a bare `.so`).
fn apk(binaries: &[Binary]) -> Computed {
    let mut provides = BTreeSet::new();
    for binary in binaries {
        let Some((dir, file)) = binary.path.rsplit_once('/') else { continue };
        if !["/lib", "/usr/lib"].contains(&dir) {
            continue;
        }
        let soname = binary.elf.soname.as_deref().unwrap_or(file);
        let library = soname.ends_with(".so")
            || soname.split_once(".so.").is_some_and(|(_, v)| v.starts_with(|c: char| c.is_ascii_digit()));
        if library {
            let sover = file.split_once(".so.").map(|(_, v)| v).unwrap_or("0");
            provides.insert((soname.to_string(), sover.to_string()));
        }
    }
    let own: BTreeSet<&str> = provides.iter().map(|(s, _)| s.as_str()).chain(own_sonames(binaries)).collect();
    let needed: BTreeSet<&str> =
        binaries.iter().flat_map(|b| &b.elf.needed).map(String::as_str).filter(|n| !own.contains(n)).collect();
    let depends = needed.into_iter().map(|n| Relation::single(Atom::name(format!("so:{n}")))).collect();
    let provides =
        provides.into_iter().map(|(s, v)| Relation::single(Atom::with(format!("so:{s}"), Op::Eq, v))).collect();
    (depends, provides)
}

/// Add `computed` after the manifest's own relations of `kind`; an entry naming a package the
/// manifest already lists is left out, so the manifest's (with its version) wins.
pub fn merge(relations: &mut BTreeMap<RelationKind, Vec<Relation>>, kind: RelationKind, computed: Vec<Relation>) {
    let list = relations.entry(kind).or_default();
    let written = list.len();
    for entry in computed {
        let listed = list[..written].iter().any(|own| own.alternatives.iter().any(|a| entry.names(&a.name)))
            || list.contains(&entry);
        if !listed {
            list.push(entry);
        }
    }
    if list.is_empty() {
        relations.remove(&kind);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(path: &str, needed: &[&str], soname: Option<&str>) -> Binary {
        let elf = ElfLinking {
            class: 64,
            needed: needed.iter().map(|n| n.to_string()).collect(),
            soname: soname.map(str::to_string),
            min_glibc: Some("2.34".into()),
            ..ElfLinking::default()
        };
        Binary { path: path.into(), source: PathBuf::new(), elf, unmapped: Vec::new() }
    }

    #[test]
    fn maps_sonames_to_packages_and_names_the_unknown() {
        let mut binaries = [
            binary("/usr/bin/app", &["libz.so.1", "libfoo.so.2", "libc.so.6", "libm.so.6", "libown.so.1"], None),
            binary("/usr/lib/libown.so.1.2.3", &["libc.so.6"], Some("libown.so.1")),
        ];
        let deb = by_package(Format::Deb, &mut binaries);
        let rendered: Vec<String> = deb.iter().map(|r| format!("{:?}", r.alternatives[0])).collect();
        assert_eq!(deb.len(), 2, "{rendered:?}");
        assert_eq!(deb[0].alternatives[0], Atom::with("libc6", Op::Ge, "2.34"));
        assert_eq!(deb[1].alternatives[0], Atom::with("zlib1g", Op::Ge, "1:1.1.4"));
        assert_eq!(binaries[0].unmapped, ["libfoo.so.2"]);
        let (depends, provides) = apk(&binaries);
        let names: Vec<&str> = depends.iter().map(|r| r.alternatives[0].name.as_str()).collect();
        assert_eq!(names, ["so:libc.so.6", "so:libfoo.so.2", "so:libm.so.6", "so:libz.so.1"]);
        assert_eq!(provides, [Relation::single(Atom::with("so:libown.so.1", Op::Eq, "1.2.3"))]);
    }

    #[test]
    fn the_manifest_entry_wins() {
        let mut relations = BTreeMap::new();
        relations.insert(RelationKind::Depends, vec![Relation::single(Atom::with("zlib1g", Op::Ge, "1:1.3"))]);
        let computed =
            vec![Relation::single(Atom::with("libc6", Op::Ge, "2.34")), Relation::single(Atom::name("zlib1g"))];
        merge(&mut relations, RelationKind::Depends, computed);
        let names: Vec<String> =
            relations[&RelationKind::Depends].iter().map(|r| format!("{:?}", r.alternatives)).collect();
        assert_eq!(relations[&RelationKind::Depends].len(), 2, "{names:?}");
        assert_eq!(relations[&RelationKind::Depends][0].alternatives[0], Atom::with("zlib1g", Op::Ge, "1:1.3"));
    }
}
