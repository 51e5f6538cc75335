//! Add-on bundles: `addon.json` as fields, each entry as a file. The bundle is read with the same
//! defensive reader `verify` uses; its signature is shown but not verified (that is `verify`'s job).

use std::path::Path;

use super::{InspectedFile, Inspection};
use crate::error::{Error, IoContext, Result};

pub fn inspect(path: &Path, max_unpacked: u64) -> Result<Inspection> {
    let has_index = crate::bundle::read::has_index(path, &Default::default(), max_unpacked).io_help(
        "cannot read",
        path,
        "the tarball is corrupt",
    )?;
    if !has_index {
        return Err(Error::invalid(
            format!("{} is a tarball without addon.json, not an add-on bundle", path.display()),
            "list it with `tar -tvzf`; inspect reads .deb, .rpm, .pkg.tar.*, .apk files and add-on bundles",
        ));
    }
    let contents = crate::bundle::read::read(path, &Default::default())
        .io("cannot read", path)?
        .map_err(|refusal| Error::contents(format!("{}: {}", path.display(), refusal.0)))?;
    let index = &contents.index;
    let mut fields = vec![
        ("index".to_string(), index.format.clone()),
        ("id".to_string(), index.id.clone()),
        ("version".to_string(), index.version.clone()),
        ("os".to_string(), index.os.clone()),
        ("arch".to_string(), index.arch.clone()),
    ];
    if !index.metadata.is_empty() {
        fields.push(("metadata".into(), serde_json::Value::Object(index.metadata.clone()).to_string()));
    }
    let mut signature = path.as_os_str().to_owned();
    signature.push(".minisig");
    if let Ok(bytes) = crate::limits::read_small(Path::new(&signature), crate::sign::minisign::MAX_SIGNATURE_SIZE)
        && let Ok(text) = String::from_utf8(bytes)
        && let Ok(signature) = crate::sign::minisign::parse_signature(&text)
        && let Ok(comment) = signature.trusted_comment()
    {
        fields.push(("signature (not verified)".into(), comment));
    }
    let files = contents
        .entries
        .iter()
        .map(|e| InspectedFile {
            path: e.name.clone(),
            kind: "file",
            mode: e.mode,
            owner: e.uid.to_string(),
            group: e.gid.to_string(),
            size: e.size,
            target: None,
        })
        .collect();
    Ok(Inspection { format: "addon", fields, conffiles: Vec::new(), scripts: Default::default(), files })
}
