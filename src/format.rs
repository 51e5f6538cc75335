//! The closed set of output formats. Adding a variant forces every `match` below to handle it, so a
//! format cannot be half wired in.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Deb,
    Rpm,
    /// Arch Linux's binary package, `.pkg.tar.zst`.
    Arch,
    /// An AUR recipe (PKGBUILD, .SRCINFO, .install) and, in `bin` mode, the release tarball per
    /// architecture that it downloads.
    Pkgbuild,
    /// Alpine's signed `.apk` (v2), with OpenRC services instead of systemd units.
    Apk,
}

impl Format {
    pub const ALL: [Format; 5] = [Format::Deb, Format::Rpm, Format::Arch, Format::Pkgbuild, Format::Apk];

    pub fn name(self) -> &'static str {
        match self {
            Format::Deb => "deb",
            Format::Rpm => "rpm",
            Format::Arch => "arch",
            Format::Pkgbuild => "pkgbuild",
            Format::Apk => "apk",
        }
    }

    pub fn packager(self) -> &'static dyn crate::formats::Packager {
        match self {
            Format::Deb => &crate::formats::deb::Deb,
            Format::Rpm => &crate::formats::rpm::Rpm,
            Format::Arch => &crate::formats::arch::Arch,
            Format::Pkgbuild => &crate::formats::pkgbuild::ReleaseTarball,
            Format::Apk => &crate::formats::apk::Apk,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
