//! The dnf/yum repository format (rpm-md, as createrepo_c writes it): packages in `packages/`,
//! and in `repodata/` the gzipped primary, filelists and other indices under content-addressed
//! names, listed with their digests by `repomd.xml`, which `repomd.xml.asc` signs (what dnf checks
//! with `repo_gpgcheck=1`).

mod check;
mod entry;
mod vercmp;
mod xml;

use std::cmp::Ordering;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

pub use entry::Entry;
pub use vercmp::{compare_evr, rpmvercmp};

use super::{Indexed, Keys, Problem, RepoFormat, Settings, Stored, store::Staging};
use crate::error::{IoContext, Result};

pub struct RpmMd;

pub const REPODATA: &str = "repodata";

impl Indexed for Entry {
    fn name(&self) -> &str {
        &self.name
    }
    fn arch(&self) -> &str {
        &self.arch
    }
    fn compare_versions(&self, other: &Self) -> Ordering {
        compare_evr((self.epoch, &self.version, &self.release), (other.epoch, &other.version, &other.release))
    }
}

impl RepoFormat for RpmMd {
    const DIR: &'static str = "rpm";
    const SIGNED_WITH: crate::repo::KeyKind = super::KeyKind::Pgp;
    const CLIENT: &'static str = "dnf";
    type Entry = Entry;

    fn accepts(path: &Path) -> bool {
        path.to_string_lossy().ends_with(".rpm")
    }

    fn read(path: &Path) -> Result<Entry> {
        entry::read(path)
    }

    fn pool_path(_entry: &Entry, file_name: &str, _settings: &Settings) -> String {
        format!("packages/{file_name}")
    }

    fn write_indices(
        root: &Path,
        entries: &[(Stored, Entry)],
        settings: &Settings,
        keys: &Keys,
        staging: &mut Staging,
    ) -> Result<()> {
        let pgp = keys.pgp_for::<RpmMd>()?;
        let repodata = staging.switch(REPODATA)?;
        let mut data = Vec::new();
        for (kind, text) in
            [("primary", xml::primary(entries)), ("filelists", xml::filelists(entries)), ("other", xml::other(entries))]
        {
            let gz = gzip(text.as_bytes()).io("cannot compress", &root.join(REPODATA))?;
            let sha256 = sha256(&gz);
            let href = format!("{REPODATA}/{sha256}-{kind}.xml.gz");
            staging.write(&href, &gz)?;
            data.push(xml::Data {
                kind,
                href,
                sha256,
                size: gz.len() as u64,
                open_sha256: self::sha256(text.as_bytes()),
                open_size: text.len() as u64,
            });
        }
        let repomd = xml::repomd(settings.time, &data);
        remove_stale(&repodata, &data)?;
        let created = u32::try_from(settings.time).unwrap_or(u32::MAX);
        staging
            .write(&format!("{REPODATA}/repomd.xml.asc"), pgp.sign_armored(repomd.as_bytes(), created)?.as_bytes())?;
        // dnf reads repomd.xml first: it goes in last, once everything it lists is there.
        staging.write(&format!("{REPODATA}/repomd.xml"), repomd.as_bytes())
    }

    fn snippet(settings: &Settings, _keys: &Keys) -> Result<Option<(String, String)>> {
        let (name, url) = (&settings.name, &settings.url);
        let text = format!(
            "[{name}]\nname={label}\nbaseurl={url}/rpm\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey={url}/{name}.asc\n",
            label = settings.label
        );
        Ok(Some((format!("{name}.repo"), text)))
    }

    fn check(dir: &Path, settings: &Settings) -> Result<Vec<Problem>> {
        check::check(dir, settings)
    }
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    // flate2 writes mtime 0 and no file name: the same index gives the same bytes.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    encoder.finish()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Index files neither the new repomd.xml nor the one it replaces lists. The replaced one's stay
/// one more publish: a client that fetched the old repomd.xml just before the switch still finds
/// what it lists.
fn remove_stale(repodata: &Path, new: &[xml::Data]) -> Result<()> {
    let mut keep: HashSet<String> = new.iter().map(|d| d.href.clone()).collect();
    if let Ok(old) = std::fs::read(repodata.join("repomd.xml")) {
        keep.extend(check::repomd_data(&String::from_utf8_lossy(&old)).into_iter().map(|d| d.href));
    }
    let Ok(listing) = std::fs::read_dir(repodata) else { return Ok(()) };
    for file in listing.flatten() {
        let name = file.file_name().to_string_lossy().into_owned();
        if check::is_index_name(&name) && !keep.contains(&format!("{REPODATA}/{name}")) {
            std::fs::remove_file(file.path()).io("cannot remove", &file.path())?;
        }
    }
    Ok(())
}
