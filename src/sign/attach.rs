// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! cosign's signature image: the manifest tagged `sha256-<hex>.sig` next to the signed manifest, one
//! layer per signature (the payload blob, media type [`SIMPLE_SIGNING_MEDIA_TYPE`], its signature in
//! the [`SIGNATURE_ANNOTATION`]). A new signature is appended; the ones already there are kept, so
//! a key rotation or a second signer never erases a signature.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::SignError;
use crate::image::media_type::{OCI_CONFIG, OCI_MANIFEST};
use crate::image::{Descriptor, Digest};
use crate::registry::{BlobSource, Manifest, Reference, RegistryClient, RegistryError};

pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// A payload or provenance envelope is a few kilobytes; this bounds what a hostile registry makes
/// us read.
const MAX_PAYLOAD_BYTES: u64 = 4 * 1024 * 1024;

/// What a kind of attached image holds: its tag suffix and its layers' media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerKind {
    /// `sig` or `att`: the tag is `sha256-<hex>.<suffix>`.
    pub suffix: &'static str,
    pub media_type: &'static str,
}

/// Signatures: `sha256-<hex>.sig`, simple-signing layers.
pub const SIGNATURE: LayerKind = LayerKind {
    suffix: "sig",
    media_type: SIMPLE_SIGNING_MEDIA_TYPE,
};

/// The tag of the signatures of `digest`: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &Digest) -> String {
    kind_tag(digest, &SIGNATURE)
}

fn kind_tag(digest: &Digest, kind: &LayerKind) -> String {
    format!("{}-{}.{}", digest.algorithm(), digest.hex(), kind.suffix)
}

/// The image manifest of a signature image, as far as signatures need it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignatureManifest {
    schema_version: u32,
    #[serde(default)]
    media_type: Option<String>,
    config: Descriptor,
    layers: Vec<Descriptor>,
}

/// One stored layer of a kind: its blob and its annotations.
#[derive(Debug, Clone)]
pub struct StoredLayer {
    /// The blob's digest, as the manifest names it.
    pub digest: Digest,
    pub payload: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

/// One signature as stored: the payload blob and the base64 signature from its annotation.
#[derive(Debug, Clone)]
pub struct StoredSignature {
    pub payload: Vec<u8>,
    /// `None` when the layer lacks the annotation.
    pub signature: Option<String>,
}

/// What [`attach`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attached {
    /// The layer was added next to `existing` earlier ones.
    Added { existing: usize },
    /// This very layer was already there (a rebuild of identical bytes).
    AlreadyThere,
}

/// Adds the signature of `payload` to the signature image of `digest` in `repository`'s
/// repository.
pub async fn attach(
    registry: &RegistryClient,
    repository: &Reference,
    digest: &Digest,
    payload: &[u8],
    signature_base64: String,
) -> Result<Attached, SignError> {
    let annotations = BTreeMap::from([(SIGNATURE_ANNOTATION.to_string(), signature_base64)]);
    attach_layer(
        registry,
        repository,
        digest,
        &SIGNATURE,
        payload,
        annotations,
        None,
    )
    .await
}

/// Adds `blob` as a layer of `kind` to the image attached to `digest` in `repository`'s
/// repository: the blob and a new config go up first, the manifest last. The layer whose blob is
/// `replacing`, if any, is dropped in the same manifest update (a signed attestation taking the
/// place of the unsigned one it was made from).
pub async fn attach_layer(
    registry: &RegistryClient,
    repository: &Reference,
    digest: &Digest,
    kind: &LayerKind,
    blob: &[u8],
    annotations: BTreeMap<String, String>,
    replacing: Option<&Digest>,
) -> Result<Attached, SignError> {
    let tag = repository.with_tag(&kind_tag(digest, kind))?;
    let mut layers = match existing_manifest(registry, &tag, true).await? {
        Some(manifest) => parse_manifest(&manifest, &tag)?.layers,
        None => Vec::new(),
    };
    if let Some(old) = replacing {
        layers.retain(|l| &l.digest != old);
    }
    let mut layer = Descriptor::new(kind.media_type, Digest::of(blob), blob.len() as u64);
    layer.annotations = annotations;
    if layers.contains(&layer) {
        return Ok(Attached::AlreadyThere);
    }
    let existing = layers.len();
    layers.push(layer);
    let config = config_bytes(&layers);
    let manifest = SignatureManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.to_string()),
        config: Descriptor::new(OCI_CONFIG, Digest::of(&config), config.len() as u64),
        layers,
    };
    let bytes = serde_json::to_vec(&manifest).map_err(|e| SignError::Signing(e.to_string()))?;
    registry
        .push_blob(&tag, &Digest::of(blob), BlobSource::Bytes(blob), None)
        .await?;
    registry
        .push_blob(&tag, &manifest.config.digest, BlobSource::Bytes(&config), None)
        .await?;
    registry.put_manifest(&tag, &bytes, OCI_MANIFEST).await?;
    Ok(Attached::Added { existing })
}

/// The signatures stored for `digest` in `repository`'s repository; `None` when it has no
/// signature image at all.
pub async fn stored_signatures(
    registry: &RegistryClient,
    repository: &Reference,
    digest: &Digest,
) -> Result<Option<Vec<StoredSignature>>, SignError> {
    let layers = stored_layers(registry, repository, digest, &SIGNATURE).await?;
    Ok(layers.map(|layers| {
        layers
            .into_iter()
            .map(|l| StoredSignature {
                signature: l.annotations.get(SIGNATURE_ANNOTATION).cloned(),
                payload: l.payload,
            })
            .collect()
    }))
}

/// The layers of `kind` attached to `digest` in `repository`'s repository; `None` when there is
/// no such image at all.
pub async fn stored_layers(
    registry: &RegistryClient,
    repository: &Reference,
    digest: &Digest,
    kind: &LayerKind,
) -> Result<Option<Vec<StoredLayer>>, SignError> {
    let tag = repository.with_tag(&kind_tag(digest, kind))?;
    let Some(manifest) = existing_manifest(registry, &tag, false).await? else {
        return Ok(None);
    };
    let mut found = Vec::new();
    for layer in parse_manifest(&manifest, &tag)?.layers {
        if layer.media_type != kind.media_type {
            continue;
        }
        // The registry client checks the bytes against the digest the manifest names.
        let payload = registry
            .get_blob_bytes(&tag, &layer.digest, MAX_PAYLOAD_BYTES)
            .await?;
        found.push(StoredLayer {
            digest: layer.digest,
            payload,
            annotations: layer.annotations,
        });
    }
    Ok(Some(found))
}

/// The manifest at `tag`, or `None` when the registry has none there. `push` reads it the way a
/// push destination is read (its credentials, no mirrors).
async fn existing_manifest(
    registry: &RegistryClient,
    tag: &Reference,
    push: bool,
) -> Result<Option<Manifest>, SignError> {
    let got = match push {
        true => registry.get_destination_manifest(tag).await,
        false => registry.get_manifest(tag).await,
    };
    match got {
        Ok(m) => Ok(Some(m)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn is_not_found(e: &RegistryError) -> bool {
    e.status() == Some(reqwest::StatusCode::NOT_FOUND)
}

fn parse_manifest(manifest: &Manifest, tag: &Reference) -> Result<SignatureManifest, SignError> {
    serde_json::from_slice(&manifest.bytes).map_err(|e| SignError::BadManifest {
        reference: tag.to_string(),
        reason: e.to_string(),
    })
}

/// The config cosign gives a signature image: no platform, one empty history entry and one diff ID
/// per layer (the layers are uncompressed, so a diff ID is the layer's digest).
fn config_bytes(layers: &[Descriptor]) -> Vec<u8> {
    const ZERO_TIME: &str = "0001-01-01T00:00:00Z";
    let config = serde_json::json!({
        "architecture": "",
        "created": ZERO_TIME,
        "history": layers.iter().map(|_| serde_json::json!({"created": ZERO_TIME})).collect::<Vec<_>>(),
        "os": "",
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|l| l.digest.to_string()).collect::<Vec<_>>(),
        },
        "config": {},
    });
    serde_json::to_vec(&config).expect("a JSON value always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_tag_is_cosigns() {
        let digest = Digest::of(b"x");
        assert_eq!(signature_tag(&digest), format!("sha256-{}.sig", digest.hex()));
    }

    #[test]
    fn the_config_lists_every_layer() {
        let layers = [
            Descriptor::new(SIMPLE_SIGNING_MEDIA_TYPE, Digest::of(b"a"), 1),
            Descriptor::new(SIMPLE_SIGNING_MEDIA_TYPE, Digest::of(b"b"), 1),
        ];
        let config: serde_json::Value = serde_json::from_slice(&config_bytes(&layers)).unwrap();
        assert_eq!(config["rootfs"]["diff_ids"][1], Digest::of(b"b").to_string());
        assert_eq!(config["history"].as_array().unwrap().len(), 2);
    }
}
