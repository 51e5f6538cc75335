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
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Deb, Format::Rpm, Format::Arch];

    pub fn name(self) -> &'static str {
        match self {
            Format::Deb => "deb",
            Format::Rpm => "rpm",
            Format::Arch => "arch",
        }
    }

    pub fn packager(self) -> &'static dyn crate::formats::Packager {
        match self {
            Format::Deb => &crate::formats::deb::Deb,
            Format::Rpm => &crate::formats::rpm::Rpm,
            Format::Arch => &crate::formats::arch::Arch,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
