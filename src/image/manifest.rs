// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Image manifests (OCI image manifest and Docker schema 2, the same shape with different media
//! types) and indexes (OCI image index and Docker manifest list), and the choice between the two
//! media-type families for what we build.
//!
//! Parsing is lenient about unknown fields; `to_bytes()` is compact and deterministic (annotations
//! are `BTreeMap`s). Pulled manifests keep their original bytes for their digest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::descriptor::Descriptor;
use super::media_type::{self, LayerCompression};

/// Why manifest or index bytes could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest is not valid JSON of the expected shape: {0}")]
    Parse(#[source] serde_json::Error),
    #[error("cannot serialize manifest: {0}")]
    Serialize(#[source] serde_json::Error),
    #[error("unsupported manifest schemaVersion {0} (only 2 is supported)")]
    SchemaVersion(u32),
    #[error("unsupported manifest media type {0:?}")]
    MediaType(String),
}

/// Which media-type family an image we build is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ManifestFormat {
    /// OCI image spec media types (the default; needed for zstd layers).
    #[default]
    Oci,
    /// Docker image manifest v2 schema 2 media types.
    Docker,
}

impl ManifestFormat {
    pub fn manifest_media_type(self) -> &'static str {
        match self {
            Self::Oci => media_type::OCI_MANIFEST,
            Self::Docker => media_type::DOCKER_MANIFEST,
        }
    }

    pub fn index_media_type(self) -> &'static str {
        match self {
            Self::Oci => media_type::OCI_INDEX,
            Self::Docker => media_type::DOCKER_MANIFEST_LIST,
        }
    }

    pub fn config_media_type(self) -> &'static str {
        match self {
            Self::Oci => media_type::OCI_CONFIG,
            Self::Docker => media_type::DOCKER_CONFIG,
        }
    }

    /// The layer media type for a compression, or `None` where this family has no such type
    /// (Docker schema 2 has no zstd layer type; BuildKit also requires OCI types for zstd).
    pub fn layer_media_type(self, compression: LayerCompression) -> Option<&'static str> {
        match (self, compression) {
            (Self::Oci, LayerCompression::None) => Some(media_type::OCI_LAYER_TAR),
            (Self::Oci, LayerCompression::Gzip) => Some(media_type::OCI_LAYER_GZIP),
            (Self::Oci, LayerCompression::Zstd) => Some(media_type::OCI_LAYER_ZSTD),
            (Self::Docker, LayerCompression::None) => Some("application/vnd.docker.image.rootfs.diff.tar"),
            (Self::Docker, LayerCompression::Gzip) => Some(media_type::DOCKER_LAYER_GZIP),
            (Self::Docker, LayerCompression::Zstd) => None,
        }
    }

    /// Translates a layer media type of either family into this family, keeping the distinction
    /// between distributable and foreign/non-distributable layers. `None` if there is no equivalent.
    pub fn translate_layer_media_type(self, existing: &str) -> Option<&'static str> {
        let foreign = existing == media_type::DOCKER_LAYER_FOREIGN_GZIP
            || existing == media_type::OCI_LAYER_NONDIST_GZIP;
        if foreign {
            return Some(match self {
                Self::Oci => media_type::OCI_LAYER_NONDIST_GZIP,
                Self::Docker => media_type::DOCKER_LAYER_FOREIGN_GZIP,
            });
        }
        self.layer_media_type(media_type::layer_compression(existing)?)
    }
}

/// `--oci-mode`: which media-type family a built image is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OciMode {
    /// Follow the base image (OCI for `FROM scratch`), except that zstd layers force OCI.
    #[default]
    Auto,
    Oci,
    Docker,
}

impl std::str::FromStr for OciMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "oci" => Ok(Self::Oci),
            "docker" => Ok(Self::Docker),
            _ => Err(format!(
                "invalid --oci-mode {s:?}: expected one of oci, docker, auto"
            )),
        }
    }
}

impl OciMode {
    /// The family of an image built on a `base` of that family; `zstd` when its new layers are
    /// zstd-compressed (Docker schema 2 has no zstd layer type).
    pub fn resolve(self, base: ManifestFormat, zstd: bool) -> ManifestFormat {
        match self {
            Self::Oci => ManifestFormat::Oci,
            Self::Docker => ManifestFormat::Docker,
            Self::Auto if zstd => ManifestFormat::Oci,
            Self::Auto => base,
        }
    }
}

/// An OCI image manifest or a Docker schema 2 manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    pub schema_version: u32,
    /// Optional in OCI, required by Docker schema 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI image index or a Docker manifest list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub annotations: BTreeMap<String, String>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Rejects a document whose schema version is not 2 or whose declared media type is of another kind.
fn check_header(
    schema_version: u32,
    declared: Option<&str>,
    accepts: fn(&str) -> bool,
) -> Result<(), ManifestError> {
    if schema_version != 2 {
        return Err(ManifestError::SchemaVersion(schema_version));
    }
    match declared {
        Some(mt) if !accepts(mt) => Err(ManifestError::MediaType(mt.to_string())),
        _ => Ok(()),
    }
}

impl ImageManifest {
    /// A manifest of `format` for `config` and `layers`.
    pub fn new(format: ManifestFormat, config: Descriptor, layers: Vec<Descriptor>) -> Self {
        Self {
            schema_version: 2,
            media_type: Some(format.manifest_media_type().to_string()),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// Parses manifest bytes (keep the bytes for the digest).
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        let m: Self = serde_json::from_slice(bytes).map_err(ManifestError::Parse)?;
        check_header(
            m.schema_version,
            m.media_type.as_deref(),
            media_type::is_image_manifest,
        )?;
        Ok(m)
    }

    /// Compact, deterministic bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ManifestError> {
        super::json::to_vec(self).map_err(ManifestError::Serialize)
    }

    /// The media type to announce for these bytes: the declared one, else OCI's (the only family
    /// where the field is optional).
    pub fn effective_media_type(&self) -> &str {
        self.media_type.as_deref().unwrap_or(media_type::OCI_MANIFEST)
    }
}

impl ImageIndex {
    /// An empty index of `format`.
    pub fn new(format: ManifestFormat) -> Self {
        Self {
            schema_version: 2,
            media_type: Some(format.index_media_type().to_string()),
            artifact_type: None,
            manifests: Vec::new(),
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// Parses index bytes (keep the bytes for the digest).
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        let m: Self = serde_json::from_slice(bytes).map_err(ManifestError::Parse)?;
        check_header(m.schema_version, m.media_type.as_deref(), media_type::is_index)?;
        Ok(m)
    }

    /// Compact, deterministic bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ManifestError> {
        super::json::to_vec(self).map_err(ManifestError::Serialize)
    }
}

/// Either kind of manifest, as read from a registry or a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyManifest {
    // Boxed: both are large (inline descriptors) and callers move the enum around.
    Image(Box<ImageManifest>),
    Index(Box<ImageIndex>),
}

impl AnyManifest {
    /// Parses manifest bytes, deciding the kind from `content_type` (the HTTP `Content-Type` or the
    /// descriptor's media type) when given and known, else from the document's own `mediaType`,
    /// else from its shape (`manifests` means an index).
    pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Self, ManifestError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Probe {
            #[serde(default)]
            media_type: Option<String>,
            #[serde(default)]
            manifests: Option<serde_json::Value>,
        }
        let declared = content_type
            .map(|c| c.split(';').next().unwrap_or_default().trim())
            .filter(|c| media_type::is_index(c) || media_type::is_image_manifest(c));
        let is_index = match declared {
            Some(c) => media_type::is_index(c),
            None => {
                let probe: Probe = serde_json::from_slice(bytes).map_err(ManifestError::Parse)?;
                match probe.media_type.as_deref() {
                    Some(mt) if media_type::is_index(mt) => true,
                    Some(mt) if media_type::is_image_manifest(mt) => false,
                    Some(mt) => return Err(ManifestError::MediaType(mt.to_string())),
                    None => probe.manifests.is_some(),
                }
            }
        };
        if is_index {
            ImageIndex::parse(bytes).map(|i| Self::Index(Box::new(i)))
        } else {
            ImageManifest::parse(bytes).map(|m| Self::Image(Box::new(m)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Digest;
    use crate::platform::Platform;

    fn desc(mt: &str, content: &[u8]) -> Descriptor {
        Descriptor::new(mt, Digest::of(content), content.len() as u64)
    }

    #[test]
    fn manifest_round_trips_and_is_deterministic() {
        let mut m = ImageManifest::new(
            ManifestFormat::Oci,
            desc(media_type::OCI_CONFIG, b"{}"),
            vec![
                desc(media_type::OCI_LAYER_GZIP, b"l1"),
                desc(media_type::OCI_LAYER_ZSTD, b"l2"),
            ],
        );
        m.annotations.insert("z".into(), "1".into());
        m.annotations.insert("a".into(), "2".into());
        m.subject = Some(desc(media_type::OCI_MANIFEST, b"subject"));
        m.artifact_type = Some("application/vnd.example".into());
        let bytes = m.to_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType""#
        ));
        assert!(text.contains(r#""annotations":{"a":"2","z":"1"}"#));
        assert!(!text.contains(": ") && !text.contains('\n'));
        let back = ImageManifest::parse(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn docker_manifest_list_parses_with_platforms() {
        let raw =
            br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
          "manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":527,
          "digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "platform":{"architecture":"arm","os":"linux","variant":"v7","unknown":1}}]}"#;
        let AnyManifest::Index(idx) = AnyManifest::parse(raw, None).unwrap() else {
            panic!("expected index")
        };
        assert_eq!(idx.manifests.len(), 1);
        assert_eq!(
            idx.manifests[0].platform,
            Some(Platform::new("linux", "arm", Some("v7")))
        );
        let again = ImageIndex::parse(&idx.to_bytes().unwrap()).unwrap();
        assert_eq!(again, *idx);
    }

    #[test]
    fn any_manifest_uses_content_type_then_shape() {
        let m = ImageManifest::new(
            ManifestFormat::Docker,
            desc(media_type::DOCKER_CONFIG, b"{}"),
            vec![],
        );
        let bytes = m.to_bytes().unwrap();
        assert!(matches!(
            AnyManifest::parse(&bytes, None).unwrap(),
            AnyManifest::Image(_)
        ));
        assert!(matches!(
            AnyManifest::parse(
                &bytes,
                Some("application/vnd.docker.distribution.manifest.v2+json; charset=utf-8")
            )
            .unwrap(),
            AnyManifest::Image(_)
        ));
        let bare_index = br#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(matches!(
            AnyManifest::parse(bare_index, None).unwrap(),
            AnyManifest::Index(_)
        ));
        assert!(matches!(
            AnyManifest::parse(br#"{"schemaVersion":2,"mediaType":"text/plain"}"#, None),
            Err(ManifestError::MediaType(_))
        ));
        assert!(matches!(
            ImageManifest::parse(br#"{"schemaVersion":1,"config":null}"#),
            Err(ManifestError::Parse(_))
        ));
    }

    #[test]
    fn layer_media_types_translate_between_families() {
        let f = ManifestFormat::Oci;
        assert_eq!(
            f.translate_layer_media_type(media_type::DOCKER_LAYER_GZIP),
            Some(media_type::OCI_LAYER_GZIP)
        );
        assert_eq!(
            f.translate_layer_media_type(media_type::DOCKER_LAYER_FOREIGN_GZIP),
            Some(media_type::OCI_LAYER_NONDIST_GZIP)
        );
        assert_eq!(
            ManifestFormat::Docker.translate_layer_media_type(media_type::OCI_LAYER_ZSTD),
            None
        );
        assert_eq!(f.translate_layer_media_type("text/plain"), None);
    }
}
