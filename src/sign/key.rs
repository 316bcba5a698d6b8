// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! cosign's keys through the sigstore crate: the encrypted private key `cosign generate-key-pair`
//! writes (`ENCRYPTED SIGSTORE PRIVATE KEY`: a PKCS#8 ECDSA P-256 key sealed with nacl secretbox
//! under a scrypt-derived key), and the PKIX `PUBLIC KEY` PEM that verifies its signatures.
//!
//! The decrypted key lives only inside [`SigningKey`], which neither prints nor serializes.

use fs_err::os::unix::fs::OpenOptionsExt as _;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use sigstore::crypto::signing_key::ecdsa::{ECDSAKeys, EllipticCurve};
use sigstore::crypto::signing_key::SigStoreKeyPair;
use sigstore::crypto::{CosignVerificationKey, SigStoreSigner, Signature, SigningScheme};

use super::password::{Password, PasswordSource};
use super::SignError;

/// What signing needs to know: the key file and where its password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningRequest {
    pub key_path: PathBuf,
    pub password: PasswordSource,
}

/// An opened private key, ready to sign.
pub struct SigningKey {
    signer: SigStoreSigner,
    /// The PEM of the public half, to name the key in logs without showing the private one.
    public_pem: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public_key", &self.public_pem)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Opens the key the request names, reading its password through `env`.
    pub fn open(request: &SigningRequest, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, SignError> {
        let password = request.password.read(env)?;
        let pem = fs_err::read(&request.key_path).map_err(|source| SignError::Io {
            what: "reading the signing key",
            source,
        })?;
        Self::from_encrypted_pem(&pem, &password).map_err(|reason| SignError::Key {
            path: request.key_path.clone(),
            reason,
        })
    }

    /// Decrypts a cosign private key. The reason of a failure never quotes the key or password.
    pub fn from_encrypted_pem(pem: &[u8], password: &Password) -> Result<Self, String> {
        let pair = SigStoreKeyPair::from_encrypted_pem(pem, password.expose()).map_err(|e| {
            format!(
                "cannot decrypt it with this password, or it is not a cosign private key ({})",
                e
            )
        })?;
        let public_pem = pair.public_key_to_pem().map_err(|e| e.to_string())?;
        let scheme = match &pair {
            SigStoreKeyPair::ECDSA(ECDSAKeys::P256(_)) => SigningScheme::ECDSA_P256_SHA256_ASN1,
            SigStoreKeyPair::ECDSA(ECDSAKeys::P384(_)) => SigningScheme::ECDSA_P384_SHA384_ASN1,
            SigStoreKeyPair::ED25519(_) => SigningScheme::ED25519,
            // cosign's own key pairs are ECDSA P-256; an RSA key would need its size chosen here.
            SigStoreKeyPair::RSA(_) => {
                return Err("RSA signing keys are not supported; use an ECDSA key".into())
            }
        };
        let signer = pair.to_sigstore_signer(&scheme).map_err(|e| e.to_string())?;
        Ok(Self { signer, public_pem })
    }

    /// The signature of `payload` (ASN.1 DER for ECDSA), as cosign makes it.
    pub fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        self.signer
            .sign(payload)
            .map_err(|e| SignError::Signing(e.to_string()))
    }

    pub fn public_key_pem(&self) -> &str {
        &self.public_pem
    }
}

/// A public key that checks signatures.
pub struct VerifyingKey {
    key: CosignVerificationKey,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyingKey")
    }
}

impl VerifyingKey {
    /// Reads a PEM public key (`cosign.pub`); the signature scheme follows from the key's type.
    pub fn read(path: &Path) -> Result<Self, SignError> {
        let pem = fs_err::read(path).map_err(|source| SignError::Io {
            what: "reading the public key",
            source,
        })?;
        Self::from_pem(&pem).map_err(|reason| SignError::Key {
            path: path.to_path_buf(),
            reason,
        })
    }

    pub fn from_pem(pem: &[u8]) -> Result<Self, String> {
        CosignVerificationKey::try_from_pem(pem)
            .map(|key| Self { key })
            .map_err(|e| format!("not a PEM public key: {e}"))
    }

    /// Whether `signature` (base64, as in cosign's annotation) signs `payload`.
    pub fn verifies(&self, signature_base64: &str, payload: &[u8]) -> bool {
        self.key
            .verify_signature(Signature::Base64Encoded(signature_base64.as_bytes()), payload)
            .is_ok()
    }
}

/// The files `generate-key-pair` writes: `<prefix>.key` and `<prefix>.pub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairFiles {
    pub private_key: PathBuf,
    pub public_key: PathBuf,
}

impl KeyPairFiles {
    /// cosign's names for a prefix (`cosign` → `cosign.key`, `cosign.pub`).
    pub fn with_prefix(prefix: &Path) -> Self {
        let with = |ext: &str| {
            let mut p = prefix.as_os_str().to_owned();
            p.push(ext);
            PathBuf::from(p)
        };
        Self {
            private_key: with(".key"),
            public_key: with(".pub"),
        }
    }
}

/// Generates an ECDSA P-256 key pair, as `cosign generate-key-pair` does, and writes the private
/// key encrypted with `password` (mode 0600) and the public key. Existing files are never
/// overwritten: a key that signed published images may be the only one.
pub fn generate_key_pair(files: &KeyPairFiles, password: &Password) -> Result<(), SignError> {
    for path in [&files.private_key, &files.public_key] {
        if path.exists() {
            return Err(SignError::KeyExists { path: path.clone() });
        }
    }
    let keys = ECDSAKeys::new(EllipticCurve::P256).map_err(|e| SignError::Signing(e.to_string()))?;
    let inner = keys.as_inner();
    let private_pem = inner
        .private_key_to_encrypted_pem(password.expose())
        .map_err(|e| SignError::Signing(e.to_string()))?;
    let public_pem = inner
        .public_key_to_pem()
        .map_err(|e| SignError::Signing(e.to_string()))?;
    // The PEM encoder ends lines with CRLF; cosign's files end them with LF, and so do ours (a
    // CR would end up in every line a CI system masks or a diff shows).
    let lf = |pem: String| pem.replace("\r\n", "\n");
    write_new(&files.private_key, lf(private_pem.to_string()).as_bytes(), 0o600)?;
    write_new(&files.public_key, lf(public_pem).as_bytes(), 0o644)?;
    Ok(())
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), SignError> {
    let io = |source| SignError::Io {
        what: "writing the key pair",
        source,
    };
    let mut file = fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_pair_signs_and_verifies_and_opens_only_with_its_password() {
        let dir = tempfile::tempdir().unwrap();
        let files = KeyPairFiles::with_prefix(&dir.path().join("cosign"));
        let password: Password = "pw".parse().unwrap();
        generate_key_pair(&files, &password).unwrap();
        let pem = std::fs::read(&files.private_key).unwrap();
        assert!(String::from_utf8_lossy(&pem).starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        assert!(!pem.contains(&b'\r'), "cosign's line endings");
        assert!(!std::fs::read(&files.public_key).unwrap().contains(&b'\r'));
        let key = SigningKey::from_encrypted_pem(&pem, &password).unwrap();
        let wrong = SigningKey::from_encrypted_pem(&pem, &"other".parse().unwrap());
        assert!(wrong.is_err());
        let public = VerifyingKey::read(&files.public_key).unwrap();
        use base64::Engine as _;
        let sig = base64::engine::general_purpose::STANDARD.encode(key.sign(b"payload").unwrap());
        assert!(public.verifies(&sig, b"payload"));
        assert!(!public.verifies(&sig, b"payloaD"));
        assert!(matches!(
            generate_key_pair(&files, &password),
            Err(SignError::KeyExists { .. })
        ));
    }
}
