//! What a user needs to add the repository: each format's client snippet and the public keys,
//! written at the top of the tree.

use std::path::Path;

use super::store::write_atomic;
use super::{Keys, RepoFormat, Settings, apk, apt, pacman, rpmmd};
use crate::error::Result;

pub fn write(dir: &Path, settings: &Settings, keys: &Keys) -> Result<()> {
    if let Some(pgp) = &keys.pgp {
        write_atomic(&dir.join(format!("{}.asc", settings.name)), pgp.public_armored()?.as_bytes())?;
        write_atomic(&dir.join(format!("{}.gpg", settings.name)), &pgp.public_binary()?)?;
    }
    for (exists, snippet) in [
        (
            dir.join(apt::Apt::DIR).is_dir(),
            apt::Apt::snippet as fn(&Settings, &Keys) -> Result<Option<(String, String)>>,
        ),
        (dir.join(rpmmd::RpmMd::DIR).is_dir(), rpmmd::RpmMd::snippet),
        (dir.join(pacman::Pacman::DIR).is_dir(), pacman::Pacman::snippet),
        (dir.join(apk::Apk::DIR).is_dir(), apk::Apk::snippet),
    ] {
        if exists && let Some((name, text)) = snippet(settings, keys)? {
            write_atomic(&dir.join(name), text.as_bytes())?;
        }
    }
    super::cache::save_settings(dir, settings)
}
