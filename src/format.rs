//! The closed set of output formats. Adding a variant forces every `match` below to handle it, so a
//! format cannot be half wired in.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Deb,
    Rpm,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Deb, Format::Rpm];

    pub fn name(self) -> &'static str {
        match self {
            Format::Deb => "deb",
            Format::Rpm => "rpm",
        }
    }

    pub fn packager(self) -> &'static dyn crate::formats::Packager {
        match self {
            Format::Deb => &crate::formats::deb::Deb,
            Format::Rpm => &crate::formats::rpm::Rpm,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
