//! Signing keys: OpenPGP for rpm, RSA for apk, minisign for add-on bundles and SHA256SUMS. Passphrases come from environment variables, never from the
//! command line (where `ps` shows them) and never echoed.

pub mod minisign;
pub mod pgp;
pub mod rsa;

/// The environment variable holding the OpenPGP key's passphrase.
pub const PGP_PASSPHRASE_ENV: &str = "DISTPACK_PGP_PASSPHRASE";

/// Write a secret key file readable by its owner only, atomically.
pub fn write_secret(path: &std::path::Path, contents: &[u8]) -> crate::error::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    use crate::error::IoContext;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).io("cannot create", dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).io("cannot create a temporary file in", dir)?;
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .io("cannot set permissions on", temp.path())?;
    temp.write_all(contents).io("cannot write", temp.path())?;
    if path.exists() {
        return Err(crate::error::Error::invalid(
            format!("{} already exists", path.display()),
            "choose another path; distpack never overwrites a key",
        ));
    }
    // Checked above for a clear message; refused again here, atomically, should one appear since.
    temp.persist_noclobber(path).map_err(|e| e.error).io_help(
        "cannot write",
        path,
        "choose another path; distpack never overwrites a key",
    )?;
    Ok(())
}
