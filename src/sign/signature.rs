// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Signing a pushed manifest: the payload for its digest, the key's signature of those bytes, and
//! the signature attached next to it in every repository it was pushed to.

use base64::Engine as _;

use super::attach::{attach, Attached};
use super::key::SigningKey;
use super::payload::SimpleSigning;
use super::SignError;
use crate::image::Digest;
use crate::registry::{Reference, RegistryClient};

/// Signs the manifest or index `digest` in the repository of each of `destinations`. Call it
/// only after the push succeeded: a signature must never name bytes the registry lacks. A failure
/// names the digest left unsigned.
pub async fn sign_pushed(
    registry: &RegistryClient,
    key: &SigningKey,
    destinations: &[Reference],
    digest: &Digest,
) -> Result<(), SignError> {
    for destination in destinations {
        let repository = destination.repository_url();
        sign_one(registry, key, destination, digest)
            .await
            .map_err(|source| SignError::Unsigned {
                digest: digest.clone(),
                repository: repository.clone(),
                source: Box::new(source),
            })?;
    }
    Ok(())
}

async fn sign_one(
    registry: &RegistryClient,
    key: &SigningKey,
    destination: &Reference,
    digest: &Digest,
) -> Result<(), SignError> {
    let repository = destination.repository_url();
    let payload = SimpleSigning::new(&repository, digest).to_bytes();
    let signature = base64::engine::general_purpose::STANDARD.encode(key.sign(&payload)?);
    match attach(registry, destination, digest, &payload, signature).await? {
        Attached::Added { existing } => {
            tracing::info!(%repository, %digest, kept = existing, "signed")
        }
        Attached::AlreadyThere => {
            tracing::info!(%repository, %digest, "already signed with this key")
        }
    }
    Ok(())
}
