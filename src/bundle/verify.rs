//! `distpack verify`: the signature, then what it binds, then the contents. Signature problems
//! (exit 5) and content problems (exit 6) are told apart so an agent can act on each.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Binding;
use super::read::{self, Contents, Limits};
use crate::error::{Error, IoContext, Result};

/// What the caller expects the bundle to be; unset fields are not checked.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub id: Option<String>,
    pub version: Option<String>,
    pub os: Option<String>,
    pub arch: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Verified {
    pub bundle: PathBuf,
    pub signature: PathBuf,
    pub binding: Binding,
    pub contents: Contents,
}

use crate::sign::minisign::MAX_SIGNATURE_SIZE;

pub fn verify(
    bundle: &Path,
    signature: &Path,
    public_key: &minisign::PublicKey,
    expect: &Expect,
    limits: &Limits,
) -> Result<Verified> {
    let bundle_name = bundle.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let bundle_name = crate::limits::printable(&bundle_name).into_owned();
    // A FIFO or a device would block or never end: the bundle must be a regular file.
    let meta = std::fs::metadata(bundle).io("cannot read", bundle)?;
    if !meta.is_file() {
        return Err(Error::invalid(
            format!("{} is not a regular file", bundle.display()),
            "pass the downloaded bundle (.tar.gz)",
        ));
    }
    let not_a_signature = |why: String| {
        Error::signature(
            format!("{} is not a minisign signature: {why}", signature.display()),
            "pass the bundle's .minisig file",
        )
    };
    let text = match std::fs::symlink_metadata(signature) {
        Err(_) => {
            return Err(Error::signature(
                format!("{bundle_name} has no signature: {} does not exist", signature.display()),
                "sign the bundle with `distpack sign`, or pass the signature's path with --signature",
            ));
        }
        Ok(_) => {
            let bytes = crate::limits::read_small(signature, MAX_SIGNATURE_SIZE).map_err(|e| match e {
                Error::Invalid { message, .. } => not_a_signature(message),
                other => not_a_signature(other.to_string()),
            })?;
            String::from_utf8(bytes).map_err(|_| not_a_signature("it is not UTF-8 text".into()))?
        }
    };
    let signature_box = crate::sign::minisign::parse_signature(&text).map_err(not_a_signature)?;
    let file = std::fs::File::open(bundle).io("cannot open", bundle)?;
    minisign::verify(public_key, &signature_box, std::io::BufReader::new(file), true, false, false).map_err(|e| {
        Error::signature(
            format!("the signature of {bundle_name} is invalid: {e}"),
            "the bundle or its signature was altered, or it was signed with another key; do not stage it",
        )
    })?;
    let comment = signature_box.trusted_comment().map_err(|e| {
        Error::signature(format!("the signature has no trusted comment: {e}"), "sign the bundle with `distpack sign`")
    })?;
    let binding = Binding::parse(&comment).map_err(|why| {
        Error::signature(why, "sign add-on bundles with `distpack sign`, which binds id, version, os and arch")
    })?;

    let sha256 =
        crate::digest::of_file(bundle, false, false, true).io("cannot read", bundle)?.sha256.unwrap_or_default();
    if sha256 != binding.sha256 {
        return Err(Error::signature(
            format!("{bundle_name} has SHA-256 {sha256}, but its signature binds {}", binding.sha256),
            "the signature was made for another tarball; do not stage it",
        ));
    }
    if bundle_name != binding.file_name() {
        return Err(Error::signature(
            format!(
                "{bundle_name} is signed as {} (id {}, version {}, os {}, arch {}): the file was renamed",
                binding.file_name(),
                binding.id,
                binding.version,
                binding.os,
                binding.arch
            ),
            "a bundle may be staged only as what it was signed for",
        ));
    }
    let expectations = [
        ("id", &expect.id, &binding.id),
        ("version", &expect.version, &binding.version),
        ("os", &expect.os, &binding.os),
        ("arch", &expect.arch, &binding.arch),
    ];
    for (what, wanted, signed) in expectations {
        if let Some(wanted) = wanted
            && wanted != signed
        {
            return Err(Error::signature(
                format!("{bundle_name} is signed for {what} {signed}, not {wanted}"),
                format!("fetch the bundle for {what} {wanted}"),
            ));
        }
    }

    let contents = match read::read(bundle, limits).io("cannot read", bundle)? {
        Ok(contents) => contents,
        Err(refusal) => return Err(Error::contents(format!("{bundle_name}: {}", refusal.0))),
    };
    let index = &contents.index;
    let described = [
        ("id", &index.id, &binding.id),
        ("version", &index.version, &binding.version),
        ("os", &index.os, &binding.os),
        ("arch", &index.arch, &binding.arch),
    ];
    for (what, listed, signed) in described {
        if listed != signed {
            return Err(Error::contents(format!(
                "{bundle_name}: addon.json says {what} {listed}, but the signature binds {signed}"
            )));
        }
    }
    Ok(Verified { bundle: bundle.to_path_buf(), signature: signature.to_path_buf(), binding, contents })
}
