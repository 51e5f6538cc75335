//! Reading an Arch package back: `.PKGINFO`, `.INSTALL` and the file entries, streaming the tar.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::{Inspection, MAX_CONTROL_BYTES, key_value_lines, list_tar_filtered, read_limited, unreadable};
use crate::compress;
use crate::error::{Error, IoContext, Result};

pub fn inspect(path: &Path, max_unpacked: u64) -> Result<Inspection> {
    let file = File::open(path).io("cannot open", path)?;
    let name = path.to_string_lossy();
    let decoded = compress::decoder(&name, BufReader::new(file)).map_err(unreadable(
        "the compressed stream",
        path,
        "the file is not a valid package",
    ))?;
    let mut fields = Vec::new();
    let mut scripts = BTreeMap::new();
    let decoded = crate::limits::Capped::new(decoded, max_unpacked, "the package");
    let files = list_tar_filtered(decoded, "the tar stream", path, &mut |entry_name, reader| {
        match entry_name {
            ".PKGINFO" => {
                fields = key_value_lines(&read_limited(reader, MAX_CONTROL_BYTES, ".PKGINFO", path)?);
            }
            ".INSTALL" => {
                let text =
                    String::from_utf8_lossy(&read_limited(reader, MAX_CONTROL_BYTES, ".INSTALL", path)?).into_owned();
                scripts.insert("install".to_string(), text);
            }
            _ => {}
        }
        Ok(!entry_name.starts_with('.'))
    })?;
    if fields.is_empty() {
        return Err(Error::invalid(format!("{} has no .PKGINFO", path.display()), "the file is not a pacman package"));
    }
    let conffiles = fields.iter().filter(|(k, _)| k == "backup").map(|(_, v)| format!("/{v}")).collect();
    Ok(Inspection { format: "arch", fields, conffiles, scripts, files })
}
