//! The add-on bundle: `ID-VERSION-OS-ARCH.tar.gz`, every entry flat, numeric owner 0:0, sorted, one
//! mtime, and `addon.json` listing each entry's size, mode and SHA-256. The index must hold the
//! digests, so files are hashed in a first pass and archived in a second (both streamed), and the
//! second pass checks that nothing changed in between.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use tar::EntryType;

use super::{Keys, Packager};
use crate::bundle::{INDEX_FORMAT, INDEX_NAME, Index, IndexEntry, mode_text};
use crate::digest::{HashingReader, of_file};
use crate::error::{Error, IoContext, Result};
use crate::plan::addon::entry_name;
use crate::plan::{Package, PackageFile, Source};

pub struct Addon;

fn settings(package: &Package) -> Result<&crate::plan::addon::Addon> {
    package
        .addon
        .as_ref()
        .ok_or_else(|| Error::invalid("the add-on plan has no [addon] settings", "this is a bug in distpack"))
}

impl Packager for Addon {
    /// Digests are hashed in a first pass, then the files are archived.
    fn reads(&self) -> u64 {
        2
    }

    fn write(&self, package: &Package, out: &mut File, _scratch: &Path, _keys: &Keys) -> Result<()> {
        let addon = settings(package)?;
        let mut entries = Vec::new();
        for file in &package.files {
            let sha256 = match &file.source {
                Source::File { path } => of_file(path, false, false, true).io("cannot read", path)?.sha256,
                Source::Generated { bytes } => Some(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))),
                Source::Directory | Source::Symlink { .. } => None,
            };
            let Some(sha256) = sha256 else { continue };
            entries.push(IndexEntry {
                name: entry_name(file).to_string(),
                size: file.size,
                mode: mode_text(file.mode),
                sha256,
            });
        }
        let index = Index {
            format: INDEX_FORMAT.into(),
            id: addon.id.clone(),
            version: package.version.upstream.clone(),
            os: addon.os.clone(),
            arch: package.arch.clone(),
            metadata: addon.metadata.clone(),
            entries,
        };
        let mut index_json = serde_json::to_vec_pretty(&index)
            .map_err(|e| Error::invalid(format!("cannot write {INDEX_NAME}: {e}"), "this is a bug in distpack"))?;
        index_json.push(b'\n');

        // Sorted by name, addon.json among them, so the listing is stable and predictable.
        let mut order: Vec<(&str, Option<&PackageFile>)> =
            package.files.iter().map(|f| (entry_name(f), Some(f))).collect();
        order.push((INDEX_NAME, None));
        order.sort_by(|a, b| a.0.cmp(b.0));

        let gzip = flate2::write::GzEncoder::new(
            BufWriter::new(&mut *out),
            flate2::Compression::new(package.compression_level),
        );
        let mut builder = tar::Builder::new(gzip);
        // The writer sees an open file, not its path: errors name the bundle by its file name.
        let bundle = Path::new(&addon.file_name(&package.version.upstream, &package.arch)).to_path_buf();
        let write_err = |action: String| {
            let bundle = bundle.clone();
            move |source: io::Error| {
                let help = crate::output::write_help(&source);
                Error::IoHelp { action: action.into(), path: bundle, source, help: help.into() }
            }
        };
        for (name, file) in order {
            // Owned by 0:0 with no user or group names: agents install entries as root and must
            // never resolve names from a tarball.
            let mode = file.map_or(0o644, |f| f.mode);
            let mut header = super::tarball::header(mode, "", "", package.mtime);
            header.set_entry_type(EntryType::Regular);
            match file {
                None => {
                    header.set_size(index_json.len() as u64);
                    builder
                        .append_data(&mut header, name, index_json.as_slice())
                        .map_err(write_err(format!("cannot add {name} to")))?;
                }
                Some(file) => {
                    header.set_size(file.size);
                    let expected = index.entries.iter().find(|e| e.name == name).map(|e| e.sha256.as_str());
                    let reader: Box<dyn Read> = match &file.source {
                        Source::File { path } => Box::new(File::open(path).io("cannot open", path)?.take(file.size)),
                        Source::Generated { bytes } => Box::new(bytes.as_slice()),
                        Source::Directory | Source::Symlink { .. } => continue,
                    };
                    let mut hashing = HashingReader::new(reader, false, true);
                    builder
                        .append_data(&mut header, name, &mut hashing)
                        .map_err(write_err(format!("cannot add {name} to")))?;
                    let digests = hashing.finish();
                    if digests.sha256.as_deref() != expected || digests.bytes != file.size {
                        return Err(Error::invalid(
                            format!("{} changed while the bundle was being built", file.path),
                            "do not modify inputs during a build; run it again",
                        ));
                    }
                }
            }
        }
        let finish = || write_err("cannot finish writing".into());
        let gzip = builder.into_inner().map_err(finish())?;
        let mut buffered = gzip.finish().map_err(finish())?;
        buffered.flush().map_err(finish())?;
        Ok(())
    }
}
