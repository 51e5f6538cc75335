//! The closed set of output formats. Adding a variant forces every `match` below to handle it, so a
//! format cannot be half wired in.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum)]
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
    /// A signed per-architecture add-on bundle (`ID-VERSION-OS-ARCH.tar.gz`) for agents.
    Addon,
}

impl Format {
    pub const ALL: [Format; 6] = [Format::Deb, Format::Rpm, Format::Arch, Format::Pkgbuild, Format::Apk, Format::Addon];

    pub fn name(self) -> &'static str {
        match self {
            Format::Deb => "deb",
            Format::Rpm => "rpm",
            Format::Arch => "arch",
            Format::Pkgbuild => "pkgbuild",
            Format::Apk => "apk",
            Format::Addon => "addon",
        }
    }

    pub fn packager(self) -> &'static dyn crate::formats::Packager {
        match self {
            Format::Deb => &crate::formats::deb::Deb,
            Format::Rpm => &crate::formats::rpm::Rpm,
            Format::Arch => &crate::formats::arch::Arch,
            Format::Pkgbuild => &crate::formats::pkgbuild::ReleaseTarball,
            Format::Apk => &crate::formats::apk::Apk,
            Format::Addon => &crate::formats::addon::Addon,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
