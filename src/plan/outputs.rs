//! What each output is called: the file names the distributions' own tools give their packages
//! (dpkg-deb, rpmbuild, makepkg, abuild), decided here so that `distpack plan` shows every path
//! `build` will write and the writers only write bytes.

use super::version::display;
use super::{Package, is_independent_arch};
use crate::format::Format;

/// The artifact's path relative to the output directory; it may start with a directory
/// (`x86_64/healthd-1.4.2-r0.apk`). Unique per format and architecture: two targets of one build
/// never write the same path.
pub fn file_name(package: &Package) -> String {
    let (name, arch, v) = (&package.name, &package.arch, &package.version);
    match package.format {
        // dpkg's convention: the epoch is not part of the file name.
        // dh_gencontrol names dbgsym packages .ddeb (archives keep them in a separate place).
        Format::Deb if package.debug_of.is_some() => format!("{name}_{}-{}_{arch}.ddeb", v.upstream, v.release),
        Format::Deb => format!("{name}_{}-{}_{arch}.deb", v.upstream, v.release),
        Format::Rpm => format!("{name}-{}-{}.{arch}.rpm", v.upstream, v.release),
        // The epoch's colon really is part of the file name.
        Format::Arch => {
            let extension = crate::compress::extension(package.compression);
            format!("{name}-{}-{arch}.pkg.tar{extension}", display(Format::Arch, v))
        }
        Format::Pkgbuild => format!("{name}-{}-{arch}.tar.gz", v.upstream),
        // Alpine keeps every architecture's packages in a directory of its own, noarch ones too.
        Format::Apk => format!("{}/{name}-{}.apk", apk_dir(package), display(Format::Apk, v)),
        Format::Addon => match &package.addon {
            Some(addon) => addon.file_name(&v.upstream, arch),
            None => format!("{name}-{}-linux-{arch}.tar.gz", v.upstream),
        },
    }
}

/// The repository directory of an .apk: its architecture, or for a noarch package the target's.
fn apk_dir(package: &Package) -> String {
    match package.arch.as_str() {
        "noarch" => crate::target::Target::parse(&package.target)
            .map(|t| t.arch_for(Format::Apk).to_string())
            .unwrap_or_else(|_| package.arch.clone()),
        arch => arch.to_string(),
    }
}

/// The directory a bin APKBUILD's release tarball unpacks to (abuild unpacks every architecture's
/// tarball into one $srcdir, so each has its own); the tarball is named after it.
pub fn apk_tarball_dir(package: &Package) -> String {
    format!("{}-{}-alpine-{}", package.name, package.version.upstream, package.arch)
}

/// Whether an architecture-independent package was already planned for another target (a noarch
/// .apk is not: each architecture's repository directory gets it).
pub fn is_duplicate(planned: &[Package], package: &Package) -> bool {
    package.format != Format::Apk
        && is_independent_arch(&package.arch)
        && planned.iter().any(|p| p.format == package.format && p.arch == package.arch)
}
