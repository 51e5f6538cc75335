//! minisign keys and signatures (the `minisign` crate): key pairs that the `minisign` CLI reads and
//! makes, detached `.minisig` files with a trusted comment, and the raw Ed25519 signature some
//! agents expect.
//!
//! Signing takes the trusted comment as a string and never reads what it signs: what a signature
//! binds is a property of the signed thing, so the module that knows the thing computes it
//! (`bundle::trusted_comment_for` for add-on bundles). That keeps `bundle` above `sign` (its
//! verifier uses the signature parser here) and never the reverse.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

/// The environment variable holding the password of an encrypted minisign secret key.
pub const PASSWORD_ENV: &str = "DISTPACK_MINISIGN_PASSWORD";

const UNTRUSTED_COMMENT: &str = "signature from distpack secret key";

/// A new key pair as (secret key file, public key file) texts.
pub fn keygen(password: Option<String>) -> Result<(String, String)> {
    let failed = |e: minisign::PError| Error::invalid(format!("cannot create a minisign key: {e}"), "try again");
    let pair = match password {
        Some(password) => minisign::KeyPair::generate_encrypted_keypair(Some(password)).map_err(failed)?,
        None => minisign::KeyPair::generate_unencrypted_keypair().map_err(failed)?,
    };
    let secret = pair.sk.to_box(None).map_err(failed)?.into_string();
    let public = pair.pk.to_box().map_err(failed)?.into_string();
    Ok((secret, public))
}

/// Signatures are a few hundred bytes; anything much larger is not one.
pub const MAX_SIGNATURE_SIZE: u64 = 64 * 1024;

/// A `.minisig` file's text as a signature box. The minisign crate panics when verifying a
/// signature whose global signature line decodes to fewer than 64 bytes (an empty or cut last
/// line: a truncated download), so the four lines are checked here before it sees them.
pub fn parse_signature(text: &str) -> std::result::Result<minisign::SignatureBox, String> {
    use base64::Engine;
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() < 4 {
        return Err(format!("it has {} lines, not 4", lines.len()));
    }
    let decode = |line: &str| base64::engine::general_purpose::STANDARD.decode(line.trim()).ok().map(|b| b.len());
    if decode(lines[1]) != Some(74) {
        return Err("its second line is not a 74-byte base64 signature".into());
    }
    if decode(lines[3]) != Some(64) {
        return Err("its last line is not a 64-byte base64 global signature (is the file cut short?)".into());
    }
    minisign::SignatureBox::from_string(text).map_err(|e| e.to_string())
}

/// A public key from a `.pub` file (as `minisign -G` writes it) or its base64 line.
pub fn load_public_key(key: &str) -> Result<minisign::PublicKey> {
    let path = Path::new(key);
    if path.exists() {
        // A key is one line: a regular file, small, UTF-8; anything else is a usage error (2). A
        // failed read stays an I/O error, with its kind.
        let bytes = crate::limits::read_small(path, 64 * 1024).map_err(|e| match e {
            Error::Io { .. } => e,
            _ => Error::usage(
                format!("cannot read the public key {key}: {e}"),
                "pass the .pub file written by `distpack keygen`",
            ),
        })?;
        let text = String::from_utf8(bytes).unwrap_or_default();
        let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"));
        return line.and_then(|l| minisign::PublicKey::from_base64(l).ok()).ok_or_else(|| {
            Error::usage(
                format!("{} is not a minisign public key", crate::limits::printable(key)),
                "pass the .pub file written by `distpack keygen` or `minisign -G`",
            )
        });
    }
    minisign::PublicKey::from_base64(key.trim()).map_err(|_| {
        Error::usage(
            format!("`{}` is neither a file nor a minisign public key", crate::limits::printable(key)),
            "pass the path of the .pub file, or its base64 line (RW…)",
        )
    })
}

pub struct Signer {
    secret: minisign::SecretKey,
    public: minisign::PublicKey,
    path: PathBuf,
}

impl Signer {
    /// Load a secret key; an encrypted one is opened with the password in `DISTPACK_MINISIGN_PASSWORD`.
    pub fn load(path: &Path) -> Result<Signer> {
        let text = std::fs::read_to_string(path).io("cannot read minisign key", path)?;
        let not_a_key = |e: minisign::PError| {
            Error::usage(
                format!("{} is not a usable minisign secret key: {e}", path.display()),
                "pass the secret key from `distpack keygen` or `minisign -G` (not the .pub file)",
            )
        };
        let secret = match minisign::SecretKey::from_unencrypted_box(text.clone().into()) {
            Ok(secret) => secret,
            Err(e) if !e.to_string().contains("encrypted") => match unencrypted_without_checksum(&text) {
                Some(secret) => secret,
                None => return Err(not_a_key(e)),
            },
            Err(_) => {
                let password = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty()).ok_or_else(|| {
                    Error::usage(
                        format!("{} is encrypted and {PASSWORD_ENV} is not set", path.display()),
                        format!("set {PASSWORD_ENV} to the key's password"),
                    )
                })?;
                minisign::SecretKey::from_box(text.into(), Some(password)).map_err(not_a_key)?
            }
        };
        let public = minisign::PublicKey::from_secret_key(&secret).map_err(not_a_key)?;
        Ok(Signer { secret, public, path: path.to_path_buf() })
    }

    pub fn public_key(&self) -> &minisign::PublicKey {
        &self.public
    }

    /// A detached signature of the file, as the text of a `.minisig` file.
    pub fn sign(&self, file: &Path, trusted_comment: &str) -> Result<String> {
        let reader = std::io::BufReader::new(std::fs::File::open(file).io("cannot open", file)?);
        let signature =
            minisign::sign(Some(&self.public), &self.secret, reader, Some(trusted_comment), Some(UNTRUSTED_COMMENT))
                .map_err(|e| {
                    Error::invalid(
                        format!("cannot sign {}: {e}", file.display()),
                        format!("check the key {}", self.path.display()),
                    )
                })?;
        Ok(signature.into_string())
    }

    /// A pure Ed25519 signature over the file's bytes, hex encoded. Pure Ed25519 reads the message
    /// twice; `raw_sign_byupdate` lets both passes stream from disk.
    pub fn raw_sign(&self, file: &Path) -> Result<String> {
        use ed25519_dalek::{Sha512, SignatureError, hazmat};
        // The minisign secret key is libsodium's: a 32-byte seed, then the public key.
        let bytes = self.secret.to_bytes();
        let seed: [u8; 32] = bytes[62..94].try_into().expect("minisign secret keys are 126 bytes");
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let expanded = hazmat::ExpandedSecretKey::from(&seed);
        // The signing API wants its own error type from the reads; the I/O error is kept aside so
        // that it reaches the user with its kind.
        let failed_read = std::cell::RefCell::new(None);
        let feed = |hasher: &mut Sha512| -> std::result::Result<(), SignatureError> {
            feed_file(file, hasher).map_err(|e| {
                let kept = SignatureError::from_source(std::io::Error::new(e.kind(), e.to_string()));
                *failed_read.borrow_mut() = Some(e);
                kept
            })
        };
        let signed = hazmat::raw_sign_byupdate::<Sha512, _>(&expanded, feed, &signing.verifying_key());
        if let Some(source) = failed_read.into_inner() {
            return Err(Error::Io { action: "cannot read", path: file.to_path_buf(), source });
        }
        let signature = signed.map_err(|e| {
            Error::invalid(
                format!("cannot sign {}: {e}", file.display()),
                format!("check the key {}", self.path.display()),
            )
        })?;
        Ok(hex::encode(signature.to_bytes()))
    }
}

/// Stream `file` into `hasher`.
fn feed_file(file: &Path, hasher: &mut ed25519_dalek::Sha512) -> std::io::Result<()> {
    use ed25519_dalek::Digest;
    let mut f = std::fs::File::open(file)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match f.read(&mut buf)? {
            0 => return Ok(()),
            n => hasher.update(&buf[..n]),
        }
    }
}

/// An unencrypted key as minisign 0.11 writes it with `-W`: its checksum field is left zero, which
/// the crate rejects as corrupt. The key is accepted when its embedded public key is the one its
/// seed derives, which is the integrity the checksum would have given.
fn unencrypted_without_checksum(text: &str) -> Option<minisign::SecretKey> {
    use base64::Engine;
    let line = text.lines().nth(1)?.trim();
    let bytes = base64::engine::general_purpose::STANDARD.decode(line).ok()?;
    // sig_alg, kdf_alg, chk_alg, salt, opslimit, memlimit, key id, secret key, checksum.
    if bytes.len() != 158 || &bytes[0..2] != b"Ed" || bytes[2..4] != [0, 0] || bytes[126..].iter().any(|b| *b != 0) {
        return None;
    }
    let seed: [u8; 32] = bytes[62..94].try_into().ok()?;
    let derived = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    if derived.as_bytes()[..] != bytes[94..126] {
        return None;
    }
    minisign::SecretKey::from_bytes(&bytes).ok()
}

/// The trusted comment of a signature over a file that is not an add-on bundle (SHA256SUMS, a
/// release tarball): its name and SHA-256. A bundle's signature binds more (`bundle::Binding`).
pub fn file_comment(name: &str, sha256: &str) -> String {
    format!("distpack file={name} sha256={sha256}")
}

/// Sign `file` with the trusted comment `comment`; returns the signature paths.
pub fn sign_with_comment(signer: &Signer, file: &Path, comment: &str, raw: bool) -> Result<Vec<PathBuf>> {
    let mut signatures = vec![(".minisig", signer.sign(file, comment)?)];
    if raw {
        signatures.push((".sig", format!("{}\n", signer.raw_sign(file)?)));
    }
    let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let files: Vec<(String, Vec<u8>)> =
        signatures.into_iter().map(|(suffix, text)| (format!("{name}{suffix}"), text.into_bytes())).collect();
    crate::output::write_files(dir, &files)?;
    Ok(files.into_iter().map(|(n, _)| if dir == Path::new(".") { PathBuf::from(n) } else { dir.join(n) }).collect())
}
