//! RSA keys as abuild makes them, for Alpine's `.SIGN.RSA.<key>.pub` signatures (PKCS#1 v1.5
//! over SHA-1 of the control member, FORMATS.md §4.1).

use std::path::Path;

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer};
use sha1::Sha1;

use crate::error::{Error, IoContext, Result};

pub struct ApkSigner {
    key: rsa::PrivateKey,
    /// The public key's file name as it is installed in /etc/apk/keys (`NAME.rsa.pub`).
    pub key_name: String,
}

impl ApkSigner {
    /// Load a PEM private key (PKCS#8, as `openssl genrsa` writes it today, or PKCS#1). Its public
    /// key is expected beside it as `FILE.pub`, whose name the signature carries.
    pub fn load(path: &Path) -> Result<ApkSigner> {
        let pem = std::fs::read_to_string(path).io("cannot read the apk signing key", path)?;
        let key =
            rsa::PrivateKey::from_pkcs8_pem(&pem).or_else(|_| rsa::PrivateKey::from_pkcs1_pem(&pem)).map_err(|e| {
                Error::invalid(
                    format!("{} is not an RSA private key in PEM: {e}", path.display()),
                    "use a key from `distpack keygen --rsa NAME` or `openssl genrsa`",
                )
            })?;
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(ApkSigner { key, key_name: format!("{file_name}.pub") })
    }

    /// The public key in PEM, as installed in /etc/apk/keys.
    pub fn public_pem(&self) -> Result<String> {
        self.key.to_public_key().to_public_key_pem(LineEnding::LF).map_err(|e| {
            Error::invalid(format!("cannot encode the RSA public key as PEM: {e}"), "check the apk signing key")
        })
    }

    /// The raw PKCS#1 v1.5 signature over SHA-1 of `data` (what `openssl dgst -sha1 -sign` prints).
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        let signer = rsa::pkcs1v15::SigningKey::<Sha1>::new(self.key.clone());
        let signature: rsa::pkcs1v15::Signature = signer.sign(data);
        signature.to_vec()
    }
}

/// A new 2048-bit key pair: (private key PEM, public key PEM), as abuild-keygen writes them.
pub fn keygen() -> Result<(String, String)> {
    let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).map_err(|e| {
        Error::invalid(
            format!("cannot generate an RSA key: {e}"),
            "the system's random source failed; check that /dev/urandom is available and try again",
        )
    })?;
    let encode = |e: &dyn std::fmt::Display| {
        Error::invalid(format!("cannot encode the RSA key as PEM: {e}"), "try again; report it if it persists")
    };
    let private = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| encode(&e))?.to_string();
    let public = key.to_public_key().to_public_key_pem(LineEnding::LF).map_err(|e| encode(&e))?;
    Ok((private, public))
}
