//! OpenPGP keys and detached signatures, for rpm's header signature (FORMATS.md §2.2).

use std::path::Path;

use pgp::composed::{Deserializable, KeyType, SecretKeyParamsBuilder, SignedPublicKey, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{PacketTrait, SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::ser::Serialize as _;
use pgp::types::{KeyDetails, Password, Timestamp};

use crate::error::{Error, IoContext, Result};

pub struct Signer {
    key: SignedSecretKey,
    password: Password,
}

/// Which rpm signature tag a signature belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Tag 268.
    Rsa,
    /// Tag 267: DSA, ECDSA and EdDSA.
    Dsa,
}

fn pgp_error(what: &str) -> impl Fn(pgp::errors::Error) -> Error + '_ {
    move |e| Error::invalid(format!("{what}: {e}"), "check the key file and the passphrase in DISTPACK_PGP_PASSPHRASE")
}

impl Signer {
    /// Load an armored secret key; `passphrase` unlocks it when it is encrypted.
    pub fn load(path: &Path, passphrase: Option<String>) -> Result<Signer> {
        let text = std::fs::read_to_string(path).io("cannot read the signing key", path)?;
        let (key, _) = SignedSecretKey::from_string(&text).map_err(pgp_error("not an OpenPGP secret key"))?;
        let password = passphrase.map(Password::from).unwrap_or_else(Password::empty);
        key.verify_bindings().map_err(pgp_error("the key's self-signatures do not verify"))?;
        let signer = Signer { key, password };
        // Fail now, not halfway through a build, when the passphrase is wrong.
        signer.sign(b"distpack", 0)?;
        Ok(signer)
    }

    pub fn algorithm(&self) -> Algorithm {
        match self.key.primary_key.algorithm() {
            pgp::crypto::public_key::PublicKeyAlgorithm::RSA => Algorithm::Rsa,
            _ => Algorithm::Dsa,
        }
    }

    /// A binary v4 signature packet (header included) over `data`, made at `created` so that
    /// deterministic schemes (EdDSA) give the same bytes for the same inputs.
    pub fn sign(&self, data: &[u8], created: u32) -> Result<Vec<u8>> {
        let signature = self.signature(SignatureType::Binary, data, created)?;
        let mut out = Vec::new();
        signature.to_writer_with_header(&mut out).map_err(pgp_error("cannot serialise the signature"))?;
        Ok(out)
    }

    /// An ASCII-armored detached signature over `data` (`gpg --armor --detach-sign`: apt's
    /// Release.gpg, dnf's repomd.xml.asc).
    pub fn sign_armored(&self, data: &[u8], created: u32) -> Result<String> {
        let signature = self.signature(SignatureType::Binary, data, created)?;
        pgp::composed::DetachedSignature::new(signature)
            .to_armored_string(Default::default())
            .map_err(pgp_error("cannot armor the signature"))
    }

    /// `text` clear-signed (`gpg --clearsign`: apt's InRelease).
    pub fn clearsign(&self, text: &str, created: u32) -> Result<String> {
        let key = &self.key.primary_key;
        let config = self.config(SignatureType::Text, created)?;
        pgp::composed::CleartextSignedMessage::new(text, config, key, &self.password)
            .and_then(|m| m.to_armored_string(Default::default()))
            .map_err(pgp_error("cannot clear-sign"))
    }

    /// The public key, armored (`gpg --armor --export`).
    pub fn public_armored(&self) -> Result<String> {
        SignedPublicKey::from(self.key.clone())
            .to_armored_string(Default::default())
            .map_err(pgp_error("cannot armor the public key"))
    }

    /// The public key in binary (`gpg --export`, what apt's `Signed-By` and `gpg --dearmor` give).
    pub fn public_binary(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        SignedPublicKey::from(self.key.clone())
            .to_writer(&mut out)
            .map_err(pgp_error("cannot serialise the public key"))?;
        Ok(out)
    }

    /// The primary key's fingerprint in upper-case hex (what `pacman-key --lsign-key` takes).
    pub fn fingerprint(&self) -> String {
        hex::encode_upper(self.key.primary_key.fingerprint().as_bytes())
    }

    /// Signatures are dated `created`, but never before the key was made: gpg (which apt's gpgv,
    /// dnf and pacman verify with) refuses a signature older than its key ("Time conflict"), and
    /// SOURCE_DATE_EPOCH, a commit's time, often is.
    fn config(&self, kind: SignatureType, created: u32) -> Result<SignatureConfig> {
        let key = &self.key.primary_key;
        let created = created.max(key.created_at().as_secs());
        let mut config = SignatureConfig::v4(kind, key.algorithm(), HashAlgorithm::Sha256);
        let subpacket = |d| Subpacket::regular(d).map_err(pgp_error("cannot build the signature"));
        config.hashed_subpackets = vec![
            subpacket(SubpacketData::SignatureCreationTime(Timestamp::from_secs(created)))?,
            subpacket(SubpacketData::IssuerFingerprint(key.fingerprint()))?,
        ];
        // rpm 4.x finds the public key by this key id.
        config.unhashed_subpackets = vec![subpacket(SubpacketData::IssuerKeyId(key.legacy_key_id()))?];
        Ok(config)
    }

    fn signature(&self, kind: SignatureType, data: &[u8], created: u32) -> Result<pgp::packet::Signature> {
        let config = self.config(kind, created)?;
        config.sign(&self.key.primary_key, &self.password, data).map_err(pgp_error("cannot sign"))
    }
}

/// A new Ed25519 signing key for `user_id`: (armored secret key, armored public key).
pub fn keygen(user_id: &str, passphrase: Option<String>) -> Result<(String, String)> {
    let mut params = SecretKeyParamsBuilder::default();
    params.key_type(KeyType::Ed25519Legacy).can_certify(true).can_sign(true).primary_user_id(user_id.into());
    if let Some(p) = passphrase {
        params.passphrase(Some(p));
    }
    let params = params
        .build()
        .map_err(|e| Error::invalid(format!("cannot generate a key: {e}"), "this is a bug in distpack"))?;
    let secret = params.generate(rand::thread_rng()).map_err(pgp_error("cannot generate a key"))?;
    let public = SignedPublicKey::from(secret.clone());
    let armor = |r: pgp::errors::Result<String>| r.map_err(pgp_error("cannot armor the key"));
    Ok((armor(secret.to_armored_string(Default::default()))?, armor(public.to_armored_string(Default::default()))?))
}

/// A public key that checks signatures: the repository trees' `NAME.asc`/`NAME.gpg`.
pub struct Verifier {
    key: SignedPublicKey,
}

impl Verifier {
    /// Load a public key, armored or binary (at most 1 MiB: a key is a few KiB).
    pub fn load(path: &Path) -> Result<Verifier> {
        let bytes = crate::limits::read_small(path, 1 << 20)?;
        let parsed = match bytes.starts_with(b"-----BEGIN") {
            true => SignedPublicKey::from_string(&String::from_utf8_lossy(&bytes)).map(|(k, _)| k),
            false => SignedPublicKey::from_bytes(bytes.as_slice()),
        };
        let key = parsed.map_err(|e| {
            Error::invalid(format!("{}: not an OpenPGP public key: {e}", path.display()), "publish into the tree again")
        })?;
        Ok(Verifier { key })
    }

    /// Whether the detached `signature` (armored or binary) verifies `data` with the key or one
    /// of its subkeys.
    pub fn verifies(&self, signature: &[u8], data: &[u8]) -> bool {
        let parsed = match signature.starts_with(b"-----BEGIN") {
            true => pgp::composed::DetachedSignature::from_string(&String::from_utf8_lossy(signature)).map(|(s, _)| s),
            false => pgp::composed::DetachedSignature::from_bytes(signature),
        };
        parsed.is_ok_and(|s| {
            s.verify(&self.key, data).is_ok() || self.key.public_subkeys.iter().any(|k| s.verify(k, data).is_ok())
        })
    }

    /// The text a clear-signed message signs, once its signature verifies.
    pub fn clearsigned(&self, message: &str) -> std::result::Result<String, String> {
        let (message, _) = pgp::composed::CleartextSignedMessage::from_string(message).map_err(|e| e.to_string())?;
        message.verify(&self.key).map_err(|e| e.to_string())?;
        Ok(message.signed_text())
    }
}
