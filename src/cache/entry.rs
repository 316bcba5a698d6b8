// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! How one cache entry is stored: an OCI image manifest tagged `kaniko-rs-v1-<key>` whose config
//! blob (media type [`CONFIG_MEDIA_TYPE`]) records the key, its parts and when it was made, and
//! whose single layer, if the step wrote one, is the step's layer blob as the build pushed it. The
//! layer's diff ID and the entry's key and creation time are also manifest annotations, so a probe
//! is one manifest GET.
//!
//! kaniko tags its entries with the bare key; those are never read here (their keys leave out file
//! names and build args), and ours cannot be mistaken for them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::key::{CacheKey, PartDigest, SCHEMA};
use crate::image::media_type::OCI_MANIFEST;
use crate::image::{Descriptor, Digest};

/// Tag prefix of entries of this schema.
pub const TAG_PREFIX: &str = "kaniko-rs-v1-";
/// Tag prefix pointing at the newest entry stored after a given parent key (for `--debug-cache`).
pub const AFTER_TAG_PREFIX: &str = "kaniko-rs-v1-after-";
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.kaniko-rs.cache.step.v1+json";
pub const KEY_ANNOTATION: &str = "dev.kaniko-rs.cache.key";
pub const CREATED_ANNOTATION: &str = "dev.kaniko-rs.cache.created";
pub const DIFF_ID_ANNOTATION: &str = "dev.kaniko-rs.cache.diff-id";

/// The tag of the entry for `key`.
pub fn tag(key: &CacheKey) -> String {
    format!("{TAG_PREFIX}{}", key.hex())
}

/// The tag of the newest entry stored after `parent`.
pub fn after_tag(parent: &CacheKey) -> String {
    format!("{AFTER_TAG_PREFIX}{}", parent.hex())
}

/// The config blob of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryConfig {
    pub schema: u32,
    pub key: CacheKey,
    pub parent: Option<CacheKey>,
    pub parts: Vec<PartDigest>,
    /// Seconds since the epoch.
    pub created: u64,
    /// The instruction, for people reading the repository.
    pub created_by: String,
}

/// The step's layer in an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryLayer {
    /// As pushed (media type, digest, size).
    pub descriptor: Descriptor,
    pub diff_id: Digest,
}

/// A stored entry as a probe reads it from its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: CacheKey,
    pub created: u64,
    /// `None` when the step changed no file.
    pub layer: Option<EntryLayer>,
    pub config: Descriptor,
}

/// Why stored bytes are not an entry of ours (a miss, with a warning).
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("not an image manifest: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestDoc {
    schema_version: u32,
    #[serde(default)]
    media_type: Option<String>,
    config: Descriptor,
    layers: Vec<Descriptor>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// The manifest of a new entry: the config blob `config` and the layer, if any.
pub fn manifest_bytes(config: &EntryConfig, config_blob: &Descriptor, layer: Option<&EntryLayer>) -> Vec<u8> {
    let layers = layer
        .map(|l| {
            let mut d = Descriptor::new(
                l.descriptor.media_type.clone(),
                l.descriptor.digest.clone(),
                l.descriptor.size,
            );
            d.annotations
                .insert(DIFF_ID_ANNOTATION.into(), l.diff_id.to_string());
            d
        })
        .into_iter()
        .collect();
    let doc = ManifestDoc {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.into()),
        config: Descriptor::new(CONFIG_MEDIA_TYPE, config_blob.digest.clone(), config_blob.size),
        layers,
        annotations: [
            (KEY_ANNOTATION.to_string(), config.key.hex().to_string()),
            (CREATED_ANNOTATION.to_string(), config.created.to_string()),
        ]
        .into(),
    };
    serde_json::to_vec(&doc).expect("an entry manifest always serializes")
}

/// Serializes an entry's config.
pub fn config_bytes(config: &EntryConfig) -> Vec<u8> {
    serde_json::to_vec(config).expect("an entry config always serializes")
}

/// Reads an entry from its manifest, checking that it is one of ours and is the entry for `key`
/// (a foreign or corrupt manifest under our tag is refused, never used).
pub fn parse_manifest(bytes: &[u8], key: &CacheKey) -> Result<Entry, EntryError> {
    let doc: ManifestDoc = serde_json::from_slice(bytes)?;
    let invalid = |m: String| Err(EntryError::Invalid(m));
    if doc.schema_version != 2 || doc.config.media_type != CONFIG_MEDIA_TYPE {
        return invalid(format!(
            "config media type {:?} is not a kaniko-rs cache entry (schema {SCHEMA})",
            doc.config.media_type
        ));
    }
    match doc.annotations.get(KEY_ANNOTATION) {
        Some(k) if k == key.hex() => {}
        other => return invalid(format!("the entry is for key {other:?}, not {key}")),
    }
    let created = match doc.annotations.get(CREATED_ANNOTATION).map(|c| c.parse::<u64>()) {
        Some(Ok(c)) => c,
        _ => return invalid("the entry has no valid creation time".into()),
    };
    if doc.layers.len() > 1 {
        return invalid(format!("the entry has {} layers, not one", doc.layers.len()));
    }
    let layer = match doc.layers.into_iter().next() {
        None => None,
        Some(d) => {
            if crate::image::media_type::layer_compression(&d.media_type).is_none() {
                return invalid(format!("layer media type {:?} is not a layer", d.media_type));
            }
            let diff_id = match d.annotations.get(DIFF_ID_ANNOTATION).map(|s| s.parse::<Digest>()) {
                Some(Ok(id)) => id,
                _ => return invalid("the entry's layer has no valid diff ID".into()),
            };
            Some(EntryLayer {
                descriptor: Descriptor::new(d.media_type, d.digest, d.size),
                diff_id,
            })
        }
    };
    Ok(Entry {
        key: key.clone(),
        created,
        layer,
        config: doc.config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::key::KeyParts;

    fn config(key: &CacheKey) -> EntryConfig {
        EntryConfig {
            schema: SCHEMA,
            key: key.clone(),
            parent: None,
            parts: KeyParts::new("RUN").part("command", "true").digests(None),
            created: 1_700_000_000,
            created_by: "RUN true".into(),
        }
    }

    #[test]
    fn an_entry_round_trips_and_a_foreign_one_is_refused() {
        let key = KeyParts::new("RUN").part("command", "true").finish(None);
        let cfg = config(&key);
        let cfg_bytes = config_bytes(&cfg);
        let blob = Descriptor::new(CONFIG_MEDIA_TYPE, Digest::of(&cfg_bytes), cfg_bytes.len() as u64);
        let layer = EntryLayer {
            descriptor: Descriptor::new(crate::image::media_type::OCI_LAYER_GZIP, Digest::of(b"l"), 1),
            diff_id: Digest::of(b"tar"),
        };
        let bytes = manifest_bytes(&cfg, &blob, Some(&layer));
        let entry = parse_manifest(&bytes, &key).unwrap();
        assert_eq!(entry.layer, Some(layer));
        assert_eq!(entry.created, 1_700_000_000);
        let empty = parse_manifest(&manifest_bytes(&cfg, &blob, None), &key).unwrap();
        assert_eq!(empty.layer, None);
        let other = KeyParts::new("RUN").part("command", "false").finish(None);
        assert!(parse_manifest(&bytes, &other).is_err());
        assert!(parse_manifest(b"{}", &key).is_err());
        let image = br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}"#;
        assert!(parse_manifest(image, &key).is_err());
    }
}
