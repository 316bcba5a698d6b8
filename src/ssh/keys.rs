// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Private keys given to `--ssh ID=PATH`, read once at the start of a build and used only to sign
//! what a step's SSH client asks the in-process agent to sign. Read: OpenSSH's own format
//! (`ssh-keygen`'s default) with Ed25519, RSA and ECDSA P-256/P-384 keys, and PEM (PKCS#1 RSA,
//! PKCS#8). A passphrase-protected key is refused with a hint to use an agent instead: a build
//! has no one to ask for the passphrase.
//!
//! Signing goes through `ring` (already compiled for TLS), so no second cryptography stack is
//! built. Consequences: RSA keys need at least 2048 bits and sign with SHA-2 only (`rsa-sha2-256`,
//! `rsa-sha2-512`, which every OpenSSH since 7.2 asks for); NIST P-521 is not available.
//!
//! Nothing here prints key material: Debug shows the type, comment and fingerprint.

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::rsa::{KeyPairComponents, PublicKeyComponents};
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use sha2::{Digest as _, Sha256};

use super::wire::{Reader, Truncated, Writer};

/// The agent protocol's request for an RSA SHA-256 signature (draft-miller-ssh-agent §5.3).
pub const RSA_SHA2_256: u32 = 2;
/// The request for an RSA SHA-512 signature.
pub const RSA_SHA2_512: u32 = 4;

const OPENSSH_MAGIC: &[u8] = b"openssh-key-v1\0";

/// Why a key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the key is passphrase-protected, which is not supported: add it to an ssh-agent (ssh-add) \
         and pass the agent's socket instead (--ssh ID=$SSH_AUTH_SOCK)"
    )]
    Encrypted,
    #[error("unsupported key: {0}")]
    Unsupported(String),
    #[error("not a private key this build can read: {0}")]
    Malformed(String),
}

impl From<Truncated> for KeyError {
    fn from(_: Truncated) -> Self {
        KeyError::Malformed("the OpenSSH key data is truncated".into())
    }
}

enum Signer {
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
    Ecdsa {
        pair: EcdsaKeyPair,
        /// `ecdsa-sha2-nistp256` or `-nistp384`.
        name: &'static str,
    },
}

/// One private key the agent holds.
pub struct PrivateKey {
    /// The public key in SSH encoding, as the agent lists it and a client names it.
    blob: Vec<u8>,
    comment: String,
    signer: Signer,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("type", &self.kind())
            .field("comment", &self.comment)
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl PrivateKey {
    /// Reads a key file's bytes; `fallback_comment` names a key whose file has no comment.
    pub fn parse(bytes: &[u8], fallback_comment: &str) -> Result<PrivateKey, KeyError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| KeyError::Malformed("the file is not a PEM or OpenSSH text key".into()))?;
        let first = text.trim_start().lines().next().unwrap_or("");
        if first.starts_with("ssh-") || first.starts_with("ecdsa-") || first.starts_with("sk-") {
            return Err(KeyError::Malformed(
                "this is a public key; give the private key file".into(),
            ));
        }
        let pem = Pem::parse(text)?;
        if pem.encrypted {
            return Err(KeyError::Encrypted);
        }
        let mut key = match pem.label.as_str() {
            "OPENSSH PRIVATE KEY" => openssh(&pem.der)?,
            "RSA PRIVATE KEY" => rsa_key(RsaKeyPair::from_der(&pem.der).map_err(rejected)?),
            "PRIVATE KEY" => pkcs8(&pem.der)?,
            "ENCRYPTED PRIVATE KEY" => return Err(KeyError::Encrypted),
            "EC PRIVATE KEY" => {
                return Err(KeyError::Unsupported(
                    "a SEC1 (\"EC PRIVATE KEY\") file; rewrite it in OpenSSH format with \
                     `ssh-keygen -p -f FILE`"
                        .into(),
                ))
            }
            other => return Err(KeyError::Unsupported(format!("a PEM {other:?} block"))),
        };
        if key.comment.is_empty() {
            key.comment = fallback_comment.to_string();
        }
        Ok(key)
    }

    pub fn public_blob(&self) -> &[u8] {
        &self.blob
    }

    pub fn comment(&self) -> &str {
        &self.comment
    }

    /// The key type's SSH name.
    pub fn kind(&self) -> &'static str {
        match &self.signer {
            Signer::Ed25519(_) => "ssh-ed25519",
            Signer::Rsa(_) => "ssh-rsa",
            Signer::Ecdsa { name, .. } => name,
        }
    }

    /// `SHA256:…` as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(&self.blob);
        format!(
            "SHA256:{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
        )
    }

    /// The SSH signature blob (`string format, string signature`) of `data`, or `None` when the
    /// key cannot sign as asked (an RSA signature over SHA-1).
    pub fn sign(&self, data: &[u8], flags: u32) -> Option<Vec<u8>> {
        let rng = SystemRandom::new();
        let (format, sig) = match &self.signer {
            Signer::Ed25519(pair) => ("ssh-ed25519", pair.sign(data).as_ref().to_vec()),
            Signer::Rsa(pair) => {
                // OpenSSH's agent prefers SHA-256 when a client sets both flags.
                let (format, padding): (_, &'static dyn signature::RsaEncoding) = if flags & RSA_SHA2_256 != 0
                {
                    ("rsa-sha2-256", &signature::RSA_PKCS1_SHA256)
                } else if flags & RSA_SHA2_512 != 0 {
                    ("rsa-sha2-512", &signature::RSA_PKCS1_SHA512)
                } else {
                    tracing::debug!("refusing an ssh-rsa (SHA-1) signature request");
                    return None;
                };
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, data, &mut sig).ok()?;
                (format, sig)
            }
            Signer::Ecdsa { pair, name } => {
                let fixed = pair.sign(&rng, data).ok()?;
                let (r, s) = fixed.as_ref().split_at(fixed.as_ref().len() / 2);
                (*name, Writer::default().mpint(r).mpint(s).finish())
            }
        };
        Some(Writer::default().string(format.as_bytes()).string(&sig).finish())
    }
}

fn rejected(e: ring::error::KeyRejected) -> KeyError {
    KeyError::Unsupported(format!("the key was rejected: {e}"))
}

/// One PEM block: its label, whether its headers say it is encrypted, and its decoded body.
struct Pem {
    label: String,
    encrypted: bool,
    der: Vec<u8>,
}

impl Pem {
    fn parse(text: &str) -> Result<Pem, KeyError> {
        let mut lines = text.lines().map(str::trim);
        let label = lines
            .by_ref()
            .find_map(|l| l.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
            .ok_or_else(|| KeyError::Malformed("no \"-----BEGIN …-----\" line".into()))?
            .to_string();
        let end = format!("-----END {label}-----");
        let (mut body, mut encrypted, mut ended) = (String::new(), false, false);
        for line in lines {
            if line == end {
                ended = true;
                break;
            }
            if let Some((_, value)) = line.split_once(':') {
                encrypted |= value.contains("ENCRYPTED");
            } else {
                body.push_str(line);
            }
        }
        if !ended {
            return Err(KeyError::Malformed(format!("no {end:?} line")));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| KeyError::Malformed(format!("the PEM body is not base64: {e}")))?;
        Ok(Pem {
            label,
            encrypted,
            der,
        })
    }
}

/// `openssh-key-v1`: cipher, KDF, one public key, then the private section (two equal check
/// words, the key, its comment, padding).
fn openssh(data: &[u8]) -> Result<PrivateKey, KeyError> {
    let mut r = Reader::new(
        data.strip_prefix(OPENSSH_MAGIC)
            .ok_or_else(|| KeyError::Malformed("no openssh-key-v1 header".into()))?,
    );
    let cipher = r.string()?;
    let _kdf = r.string()?;
    let _kdf_options = r.string()?;
    if cipher != b"none" {
        return Err(KeyError::Encrypted);
    }
    if r.u32()? != 1 {
        return Err(KeyError::Unsupported("a file holding several keys".into()));
    }
    let _public = r.string()?;
    let mut p = Reader::new(r.string()?);
    if p.u32()? != p.u32()? {
        return Err(KeyError::Malformed("the check words differ".into()));
    }
    let kind = p.string()?;
    let signer_and_blob = match kind {
        b"ssh-ed25519" => {
            let public = p.string()?;
            let secret = p.string()?;
            let seed = secret.get(..32).ok_or(Truncated)?;
            let pair = Ed25519KeyPair::from_seed_and_public_key(seed, public).map_err(rejected)?;
            let key = ed25519_key(pair);
            (key.signer, key.blob)
        }
        b"ssh-rsa" => {
            let (n, e, d, iqmp, prime_p, prime_q) = (
                p.mpint()?,
                p.mpint()?,
                p.mpint()?,
                p.mpint()?,
                p.mpint()?,
                p.mpint()?,
            );
            // The CRT exponents are not stored; p and q are odd, so p-1 is p with its low bit cleared.
            let minus_one = |x: &[u8]| {
                let mut v = x.to_vec();
                if let Some(last) = v.last_mut() {
                    *last &= !1;
                }
                v
            };
            let components = KeyPairComponents {
                public_key: PublicKeyComponents { n, e },
                d,
                p: prime_p,
                q: prime_q,
                dP: &modulo(d, &minus_one(prime_p))[..],
                dQ: &modulo(d, &minus_one(prime_q))[..],
                qInv: iqmp,
            };
            let key = rsa_key(RsaKeyPair::from_components(&components).map_err(rejected)?);
            (key.signer, key.blob)
        }
        b"ecdsa-sha2-nistp256" | b"ecdsa-sha2-nistp384" => {
            let (name, alg, len) = if kind == b"ecdsa-sha2-nistp256" {
                (
                    "ecdsa-sha2-nistp256",
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    32,
                )
            } else {
                (
                    "ecdsa-sha2-nistp384",
                    &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                    48,
                )
            };
            let _curve = p.string()?;
            let point = p.string()?;
            let scalar = p.mpint()?;
            if scalar.len() > len {
                return Err(Truncated.into());
            }
            let mut padded = vec![0; len - scalar.len()];
            padded.extend_from_slice(scalar);
            let pair =
                EcdsaKeyPair::from_private_key_and_public_key(alg, &padded, point, &SystemRandom::new())
                    .map_err(rejected)?;
            let key = ecdsa_key(pair, name);
            (key.signer, key.blob)
        }
        other => {
            return Err(KeyError::Unsupported(format!(
                "key type {:?} (Ed25519, RSA and ECDSA P-256/P-384 are)",
                String::from_utf8_lossy(other)
            )))
        }
    };
    let comment = String::from_utf8_lossy(p.string()?).into_owned();
    Ok(PrivateKey {
        blob: signer_and_blob.1,
        comment,
        signer: signer_and_blob.0,
    })
}

/// A PKCS#8 key of any type ring signs with.
fn pkcs8(der: &[u8]) -> Result<PrivateKey, KeyError> {
    if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
        return Ok(ed25519_key(pair));
    }
    if let Ok(pair) = RsaKeyPair::from_pkcs8(der) {
        return Ok(rsa_key(pair));
    }
    let rng = SystemRandom::new();
    for (alg, name) in [
        (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, "ecdsa-sha2-nistp256"),
        (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, "ecdsa-sha2-nistp384"),
    ] {
        if let Ok(pair) = EcdsaKeyPair::from_pkcs8(alg, der, &rng) {
            return Ok(ecdsa_key(pair, name));
        }
    }
    Err(KeyError::Unsupported(
        "a PKCS#8 key that is not Ed25519, RSA (2048 bits or more) or ECDSA P-256/P-384".into(),
    ))
}

fn ed25519_key(pair: Ed25519KeyPair) -> PrivateKey {
    let blob = Writer::default()
        .string(b"ssh-ed25519")
        .string(pair.public_key().as_ref())
        .finish();
    PrivateKey {
        blob,
        comment: String::new(),
        signer: Signer::Ed25519(pair),
    }
}

fn rsa_key(pair: RsaKeyPair) -> PrivateKey {
    let public: PublicKeyComponents<Vec<u8>> = pair.public().into();
    let blob = Writer::default()
        .string(b"ssh-rsa")
        .mpint(&public.e)
        .mpint(&public.n)
        .finish();
    PrivateKey {
        blob,
        comment: String::new(),
        signer: Signer::Rsa(pair),
    }
}

fn ecdsa_key(pair: EcdsaKeyPair, name: &'static str) -> PrivateKey {
    let curve = name.trim_start_matches("ecdsa-sha2-");
    let blob = Writer::default()
        .string(name.as_bytes())
        .string(curve.as_bytes())
        .string(pair.public_key().as_ref())
        .finish();
    PrivateKey {
        blob,
        comment: String::new(),
        signer: Signer::Ecdsa { pair, name },
    }
}

/// `a mod m` for unsigned big-endian numbers, one bit at a time: slow, but it runs once per RSA
/// key and needs no big-number library.
fn modulo(a: &[u8], m: &[u8]) -> Vec<u8> {
    // Little-endian 64-bit limbs, one more than m needs, since the running remainder reaches 2m.
    let limbs = |be: &[u8], len: usize| {
        let mut out = vec![0u64; len];
        for (i, byte) in be.iter().rev().enumerate() {
            out[i / 8] |= u64::from(*byte) << (8 * (i % 8));
        }
        out
    };
    let len = m.len().div_ceil(8) + 1;
    let m = limbs(m, len);
    let mut r = vec![0u64; len];
    let at_least_m = |r: &[u64]| {
        for (x, y) in r.iter().rev().zip(m.iter().rev()) {
            if x != y {
                return x > y;
            }
        }
        true
    };
    for byte in a {
        for bit in (0..8).rev() {
            let mut carry = u64::from((byte >> bit) & 1);
            for limb in r.iter_mut() {
                let out = *limb >> 63;
                *limb = (*limb << 1) | carry;
                carry = out;
            }
            if at_least_m(&r) {
                let mut borrow = false;
                for (x, y) in r.iter_mut().zip(m.iter()) {
                    let (d1, b1) = x.overflowing_sub(*y);
                    let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
                    *x = d2;
                    borrow = b1 || b2;
                }
            }
        }
    }
    let be: Vec<u8> = r.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
    let zeros = be.iter().take_while(|b| **b == 0).count();
    be[zeros..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulo_matches_machine_arithmetic() {
        let cases: [(u128, u128); 5] = [
            (0, 7),
            (6, 7),
            (u128::MAX, 0xffff_ffff_ffff_fffd),
            (0x1234_5678_9abc_def0_1122_3344_5566_7788, 0x0fed_cba9_8765_4321),
            (1 << 100, (1 << 64) + 1),
        ];
        for (a, m) in cases {
            let got = modulo(&a.to_be_bytes(), &m.to_be_bytes());
            let mut want = (a % m).to_be_bytes().to_vec();
            want.drain(..want.iter().take_while(|b| **b == 0).count());
            assert_eq!(got, want, "{a} mod {m}");
        }
    }

    #[test]
    fn unusable_files_say_why() {
        let cases: [(&str, &str); 5] = [
            ("ssh-ed25519 AAAAC3Nza me@host\n", "public key"),
            ("just text\n", "BEGIN"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
                "passphrase-protected",
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
                "passphrase-protected",
            ),
            (
                "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n",
                "unsupported",
            ),
        ];
        for (text, why) in cases {
            let e = PrivateKey::parse(text.as_bytes(), "f").unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    /// An OpenSSH file wrapping `private` (the private section) with `cipher`.
    fn openssh_file(cipher: &str, private: &[u8]) -> String {
        let data = Writer::default()
            .string(cipher.as_bytes())
            .string(b"none")
            .string(b"")
            .u32(1)
            .string(b"unused")
            .string(private)
            .finish();
        let mut all = OPENSSH_MAGIC.to_vec();
        all.extend(data);
        format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(all)
        )
    }

    #[test]
    fn an_openssh_ed25519_key_signs_verifiably() {
        let seed = [7u8; 32];
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
        let public = pair.public_key().as_ref().to_vec();
        let mut secret = seed.to_vec();
        secret.extend(&public);
        let private = Writer::default()
            .u32(42)
            .u32(42)
            .string(b"ssh-ed25519")
            .string(&public)
            .string(&secret)
            .string(b"me@host")
            .finish();
        let key = PrivateKey::parse(openssh_file("none", &private).as_bytes(), "file").unwrap();
        assert_eq!((key.kind(), key.comment()), ("ssh-ed25519", "me@host"));
        let debug = format!("{key:?}");
        assert!(debug.contains("SHA256:") && !debug.contains("secret"), "{debug}");
        let blob = key.sign(b"data", 0).unwrap();
        let mut r = Reader::new(&blob);
        assert_eq!(r.string().unwrap(), b"ssh-ed25519");
        let sig = r.string().unwrap();
        signature::UnparsedPublicKey::new(&signature::ED25519, &public)
            .verify(b"data", sig)
            .unwrap();

        let encrypted = openssh_file("aes256-ctr", b"whatever");
        let e = PrivateKey::parse(encrypted.as_bytes(), "f").unwrap_err();
        assert!(matches!(e, KeyError::Encrypted), "{e}");
    }

    #[test]
    fn a_pkcs8_ecdsa_key_signs_verifiably() {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let der = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der.as_ref())
        );
        let key = PrivateKey::parse(pem.as_bytes(), "/keys/id").unwrap();
        assert_eq!((key.kind(), key.comment()), ("ecdsa-sha2-nistp256", "/keys/id"));
        let mut blob = Reader::new(key.public_blob());
        assert_eq!(blob.string().unwrap(), b"ecdsa-sha2-nistp256");
        assert_eq!(blob.string().unwrap(), b"nistp256");
        let point = blob.string().unwrap().to_vec();
        let sig = key.sign(b"data", 0).unwrap();
        let mut r = Reader::new(&sig);
        assert_eq!(r.string().unwrap(), b"ecdsa-sha2-nistp256");
        let mut rs = Reader::new(r.string().unwrap());
        let (sr, ss) = (rs.mpint().unwrap(), rs.mpint().unwrap());
        let mut fixed = vec![0; 32 - sr.len()];
        fixed.extend(sr);
        fixed.extend(vec![0; 32 - ss.len()]);
        fixed.extend(ss);
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
            .verify(b"data", &fixed)
            .unwrap();
    }
}
