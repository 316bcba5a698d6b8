// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko verify`: checks that an image (for an index, the index and each platform's manifest)
//! carries a cosign signature that the given public key verifies and that names its digest.
//! Every digest is checked, so one run reports every missing or bad signature at once.

use std::fmt;

use serde::Deserialize;

use super::attach::{signature_tag, stored_signatures};
use super::key::VerifyingKey;
use super::payload::{SimpleSigning, SIMPLE_SIGNING_TYPE};
use super::provenance::verify_provenance;
use super::SignError;
use crate::image::media_type::{DOCKER_MANIFEST_LIST, OCI_INDEX};
use crate::image::{Descriptor, Digest};
use crate::registry::{Reference, RegistryClient};

/// A digest whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub digest: Digest,
    /// `index` or the platform of an index entry, or `image`.
    pub what: String,
    /// The repository the payload names (`critical.identity.docker-reference`).
    pub identity: String,
}

impl fmt::Display for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "verified {} {} (signed for {})",
            self.what, self.digest, self.identity
        )
    }
}

/// Why one digest did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unverified {
    /// No signature image at `sha256-<hex>.sig`.
    Missing { digest: Digest, tag: String },
    /// Signatures are there but none verifies with the key: a tampered payload, or another key.
    BadSignature { digest: Digest, count: usize },
    /// A signature verifies, but its payload names another manifest (copied from another image).
    OtherDigest { digest: Digest, signed: String },
}

impl fmt::Display for Unverified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { digest, tag } => write!(f, "{digest} has no signature ({tag} does not exist)"),
            Self::BadSignature { digest, count } => write!(
                f,
                "{digest}: none of its {count} signature(s) verifies with this key (the payload was altered, or another key signed it)"
            ),
            Self::OtherDigest { digest, signed } => write!(
                f,
                "{digest}: the signature verifies but is of another manifest, {signed}"
            ),
        }
    }
}

#[derive(Deserialize)]
struct IndexDoc {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

/// Verifies `image` (a tag or digest) and, when it is an index, each of its manifests.
pub async fn verify_image(
    registry: &RegistryClient,
    image: &Reference,
    key: &VerifyingKey,
    provenance: bool,
) -> Result<Vec<Verified>, SignError> {
    let manifest = registry.get_manifest(image).await?;
    let mut subjects = Vec::new();
    if manifest.media_type == OCI_INDEX || manifest.media_type == DOCKER_MANIFEST_LIST {
        subjects.push((manifest.digest.clone(), "index".to_string()));
        let index: IndexDoc =
            serde_json::from_slice(&manifest.bytes).map_err(|e| SignError::BadManifest {
                reference: image.to_string(),
                reason: e.to_string(),
            })?;
        for entry in index.manifests {
            let what = entry
                .platform
                .as_ref()
                .map_or_else(|| "manifest".to_string(), ToString::to_string);
            subjects.push((entry.digest, what));
        }
    } else {
        subjects.push((manifest.digest.clone(), "image".to_string()));
    }
    let mut verified = Vec::new();
    let mut failed = Vec::new();
    for (digest, what) in subjects {
        // Provenance describes a build's image; an index is assembled, not built.
        if provenance && what != "index" {
            if let Err(why) = verify_provenance(registry, image, &digest, key).await? {
                failed.push(why);
            }
        }
        match verify_digest(registry, image, &digest, key).await? {
            Ok(identity) => verified.push(Verified {
                digest,
                what,
                identity,
            }),
            Err(why) => failed.push(why.to_string()),
        }
    }
    if !failed.is_empty() {
        return Err(SignError::Unverified(failed));
    }
    Ok(verified)
}

/// The identity a verifying signature of `digest` names, or why there is none.
pub async fn verify_digest(
    registry: &RegistryClient,
    repository: &Reference,
    digest: &Digest,
    key: &VerifyingKey,
) -> Result<Result<String, Unverified>, SignError> {
    let Some(signatures) = stored_signatures(registry, repository, digest).await? else {
        return Ok(Err(Unverified::Missing {
            digest: digest.clone(),
            tag: repository.with_tag(&signature_tag(digest))?.to_string(),
        }));
    };
    let mut other = None;
    for stored in &signatures {
        let Some(signature) = &stored.signature else {
            continue;
        };
        if !key.verifies(signature, &stored.payload) {
            continue;
        }
        // Only bytes the key vouches for are parsed.
        let Ok(payload) = SimpleSigning::parse(&stored.payload) else {
            continue;
        };
        let critical = payload.critical;
        if critical.kind != SIMPLE_SIGNING_TYPE {
            continue;
        }
        if critical.image.docker_manifest_digest == digest.to_string() {
            tracing::debug!(%digest, identity = %critical.identity.docker_reference, "signature verified");
            return Ok(Ok(critical.identity.docker_reference));
        }
        other = Some(critical.image.docker_manifest_digest);
    }
    Ok(Err(match other {
        Some(signed) => Unverified::OtherDigest {
            digest: digest.clone(),
            signed,
        },
        None => Unverified::BadSignature {
            digest: digest.clone(),
            count: signatures.len(),
        },
    }))
}
