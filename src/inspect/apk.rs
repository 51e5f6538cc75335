//! Reading an .apk back: its three gzip members read as one tar stream (signature, control,
//! data), with `.PKGINFO` and the scripts kept and the data entries listed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::{Inspection, MAX_CONTROL_BYTES, key_value_lines, list_tar_filtered, read_limited};
use crate::error::{Error, IoContext, Result};

pub fn inspect(path: &Path, max_unpacked: u64) -> Result<Inspection> {
    let file = File::open(path).io("cannot open", path)?;
    let decoded = flate2::read::MultiGzDecoder::new(BufReader::new(file));
    let decoded = crate::limits::Capped::new(decoded, max_unpacked, "the package");
    let mut fields = Vec::new();
    let mut scripts = BTreeMap::new();
    let mut signatures = Vec::new();
    let mut budget = super::Budget::default();
    let files = list_tar_filtered(decoded, "the tar stream", path, &mut |name, reader| {
        if name == ".PKGINFO" {
            fields = key_value_lines(&read_limited(reader, MAX_CONTROL_BYTES, ".PKGINFO", path)?);
        } else if name.starts_with(".SIGN.") {
            budget.take(name.len(), "the package")?;
            signatures.push(("signature".to_string(), name.trim_start_matches(".SIGN.").to_string()));
        } else if name.starts_with(".pre-") || name.starts_with(".post-") || name == ".trigger" {
            let text = String::from_utf8_lossy(&read_limited(reader, MAX_CONTROL_BYTES, name, path)?).into_owned();
            budget.take(text.len() + name.len(), "the package")?;
            scripts.insert(name.to_string(), text);
        }
        Ok(!name.starts_with('.'))
    })?;
    fields.extend(signatures);
    if !fields.iter().any(|(k, _)| k == "pkgname") {
        return Err(Error::invalid(format!("{} has no .PKGINFO", path.display()), "the file is not an apk package"));
    }
    Ok(Inspection { format: "apk", fields, conffiles: Vec::new(), scripts, files })
}
