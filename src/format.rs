//! The closed set of output formats. Adding a variant forces every `match` on it (here and
//! `formats::packager`) to handle it, so a format cannot be half wired in.
//!
//! A leaf: it imports nothing of the crate, so the manifest, the plan and the writers can all name
//! a format without depending on one another.

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
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
