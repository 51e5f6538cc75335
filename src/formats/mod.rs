//! One pure writer per format behind one small interface. A writer reads the resolved `Package`
//! and writes bytes: no globbing, no environment, no defaults.

pub mod addon;
pub mod apk;
pub mod apkbuild;
pub mod arch;
pub mod deb;
pub mod pkgbuild;
pub mod rpm;
mod tarball;

use std::fs::File;
use std::path::Path;

use crate::error::Result;
use crate::format::Format;
use crate::plan::Package;

/// Signing keys a build was given; each format uses the kind it signs with.
#[derive(Default)]
pub struct Keys {
    pub pgp: Option<crate::sign::pgp::Signer>,
    pub apk: Option<crate::sign::rsa::ApkSigner>,
    /// minisign key for add-on bundles and SHA256SUMS.
    pub minisign: Option<crate::sign::minisign::Signer>,
    /// An unsigned .apk was asked for explicitly.
    pub allow_unsigned_apk: bool,
}

/// The writer of `format`.
pub fn packager(format: Format) -> &'static dyn Packager {
    match format {
        Format::Deb => &deb::Deb,
        Format::Rpm => &rpm::Rpm,
        Format::Arch => &arch::Arch,
        Format::Pkgbuild => &pkgbuild::ReleaseTarball,
        Format::Apk => &apk::Apk,
        Format::Addon => &addon::Addon,
    }
}

pub trait Packager: Sync {
    /// How many times the writer reads each payload file: two for formats whose metadata (digests)
    /// precedes the data. Progress bars count on it.
    fn reads(&self) -> u64 {
        1
    }

    /// Write the artifact to `out`. `scratch` is a directory on the output's file system for
    /// temporary files (streamed members whose size must be known before they are placed).
    fn write(&self, package: &Package, out: &mut File, scratch: &Path, keys: &Keys) -> Result<()>;
}
