//! Reading a .deb back: the `ar` members in dpkg's order, the control tar (bounded, in memory) and
//! the data tar (streamed, only headers kept).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::{Inspection, MAX_CONTROL_BYTES, list_tar, read_limited};
use crate::compress;
use crate::error::{Error, IoContext, Result};

pub fn inspect(path: &Path) -> Result<Inspection> {
    let file = File::open(path).io("cannot open", path)?;
    let corrupt = |what: String| Error::invalid(format!("{}: {what}", path.display()), "the file is not a valid .deb");
    let mut archive = ar::Archive::new(BufReader::new(file));
    let mut control: Option<(String, Vec<u8>)> = None;
    let mut files = None;
    let mut index = 0;
    while let Some(entry) = archive.next_entry() {
        let mut entry = entry.map_err(|e| corrupt(format!("bad ar member: {e}")))?;
        let name = String::from_utf8_lossy(entry.header().identifier()).trim_end_matches('/').to_string();
        match (index, name.as_str()) {
            (0, "debian-binary") => {
                let version = read_limited(&mut entry, 64, "debian-binary")?;
                if !version.starts_with(b"2.") {
                    return Err(corrupt(format!("unsupported format version {:?}", String::from_utf8_lossy(&version))));
                }
            }
            (0, other) => return Err(corrupt(format!("first member is `{other}`, not debian-binary"))),
            (_, n) if n.starts_with('_') => {}
            (_, n) if n.starts_with("control.tar") && control.is_none() => {
                let decoded = compress::decoder(n, &mut entry).map_err(|e| corrupt(e.to_string()))?;
                control = Some((n.to_string(), read_limited(decoded, MAX_CONTROL_BYTES, "control.tar")?));
            }
            (_, n) if n.starts_with("data.tar") && control.is_some() => {
                let decoded = compress::decoder(n, &mut entry).map_err(|e| corrupt(e.to_string()))?;
                files = Some(list_tar(decoded, "data.tar")?);
                break;
            }
            (_, other) => return Err(corrupt(format!("unexpected member `{other}`"))),
        }
        index += 1;
    }
    let (_, control) = control.ok_or_else(|| corrupt("no control.tar member".into()))?;
    let files = files.ok_or_else(|| corrupt("no data.tar member".into()))?;

    let mut members = BTreeMap::new();
    let mut tar = tar::Archive::new(control.as_slice());
    for entry in tar.entries().map_err(|e| corrupt(e.to_string()))? {
        let mut entry = entry.map_err(|e| corrupt(e.to_string()))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).trim_start_matches("./").to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).map_err(|e| corrupt(format!("control member {name}: {e}")))?;
        members.insert(name, text);
    }
    let fields = parse_deb822(members.get("control").ok_or_else(|| corrupt("control.tar has no control file".into()))?);
    let conffiles = members.get("conffiles").map(|c| c.lines().map(str::to_string).collect()).unwrap_or_default();
    let scripts = members
        .into_iter()
        .filter(|(n, _)| matches!(n.as_str(), "preinst" | "postinst" | "prerm" | "postrm" | "config"))
        .collect();
    Ok(Inspection { format: "deb", fields, conffiles, scripts, files })
}

/// `Name: value` fields; continuation lines are joined with newlines.
fn parse_deb822(text: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push('\n');
                value.push_str(line);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    fields
}
