// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The built image as outputs see it, and the assembler that produces it.
//!
//! An [`AssembledImage`] is immutable: config and manifest already serialized (those bytes are
//! what gets hashed, pushed and written), plus where each layer's bytes live — a local blob file
//! written by the layer writer, or a base-image blob in a registry that is reused by digest and
//! never decompressed or recompressed. [`ImageAssembler`] starts from scratch or from a base
//! image, appends layers and history, and serializes once in the media-type family the caller
//! chose.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::config::{ConfigError, History, ImageConfig};
use super::descriptor::Descriptor;
use super::digest::Digest;
use super::manifest::{ImageManifest, ManifestError, ManifestFormat};
use super::LayerBlob;
use crate::platform::Platform;

/// Why an image could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    #[error("base image manifest lists {manifest_layers} layers but its config lists {diff_ids} diff IDs")]
    LayerCountMismatch { manifest_layers: usize, diff_ids: usize },
    #[error("layer {digest} has media type {media_type:?}, which has no {format:?} equivalent")]
    UntranslatableLayer {
        digest: Digest,
        media_type: String,
        format: ManifestFormat,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

/// Where a layer's (compressed) bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerLocation {
    /// A blob file on local disk (written by the layer writer, or a cached blob).
    File(PathBuf),
    /// A blob in a registry repository, fetched or mounted by digest when an output needs it.
    Remote { registry: String, repository: String },
}

/// One layer of an assembled image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssembledLayer {
    /// As written in the manifest (media type already in the image's family).
    pub descriptor: Descriptor,
    pub diff_id: Digest,
    pub location: LayerLocation,
}

/// A finished image: serialized config and manifest, and its layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssembledImage {
    pub format: ManifestFormat,
    pub config_bytes: Vec<u8>,
    pub config_descriptor: Descriptor,
    pub manifest_bytes: Vec<u8>,
    /// Media type, digest and size of `manifest_bytes`; the digest is the image digest.
    pub manifest_descriptor: Descriptor,
    pub layers: Vec<AssembledLayer>,
    pub platform: Platform,
}

impl AssembledImage {
    /// The image (manifest) digest.
    pub fn digest(&self) -> &Digest {
        &self.manifest_descriptor.digest
    }

    /// The manifest bytes and descriptor describing this image with OCI media types: the image's
    /// own for an OCI image; for a Docker one, a second manifest over the same config and layer
    /// blobs (a different digest). OCI-layout readers such as skopeo's `oci:` transport only list
    /// OCI manifests, so archives carry this one in their `index.json`.
    pub fn oci_manifest(&self) -> Result<(Vec<u8>, Descriptor), AssembleError> {
        if self.format == ManifestFormat::Oci {
            return Ok((self.manifest_bytes.clone(), self.manifest_descriptor.clone()));
        }
        let oci = ManifestFormat::Oci;
        let config = Descriptor {
            media_type: oci.config_media_type().to_string(),
            ..self.config_descriptor.clone()
        };
        let mut layers = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let media_type = oci
                .translate_layer_media_type(&layer.descriptor.media_type)
                .ok_or_else(|| AssembleError::UntranslatableLayer {
                    digest: layer.descriptor.digest.clone(),
                    media_type: layer.descriptor.media_type.clone(),
                    format: oci,
                })?;
            layers.push(Descriptor {
                media_type: media_type.to_string(),
                ..layer.descriptor.clone()
            });
        }
        let bytes = ImageManifest::new(oci, config, layers).to_bytes()?;
        let descriptor = Descriptor::new(oci.manifest_media_type(), Digest::of(&bytes), bytes.len() as u64);
        Ok((bytes, descriptor))
    }
}

/// Builds an [`AssembledImage`] from a base and appended layers.
#[derive(Debug, Clone)]
pub struct ImageAssembler {
    format: ManifestFormat,
    config: ImageConfig,
    layers: Vec<AssembledLayer>,
    annotations: BTreeMap<String, String>,
}

impl ImageAssembler {
    /// `FROM scratch`: no layers, an empty config for `platform`.
    pub fn scratch(format: ManifestFormat, platform: &Platform) -> Self {
        Self {
            format,
            config: ImageConfig::scratch(platform),
            layers: Vec::new(),
            annotations: BTreeMap::new(),
        }
    }

    /// Starts from a base image pulled from `registry`/`repository`: its layers are reused by
    /// digest (paired with the config's diff IDs) and its config is the starting config.
    pub fn from_base(
        format: ManifestFormat,
        base_manifest: &ImageManifest,
        base_config: ImageConfig,
        registry: &str,
        repository: &str,
    ) -> Result<Self, AssembleError> {
        let location = LayerLocation::Remote {
            registry: registry.to_string(),
            repository: repository.to_string(),
        };
        let diff_ids = &base_config.rootfs.diff_ids;
        if base_manifest.layers.len() != diff_ids.len() {
            return Err(AssembleError::LayerCountMismatch {
                manifest_layers: base_manifest.layers.len(),
                diff_ids: diff_ids.len(),
            });
        }
        let layers = base_manifest
            .layers
            .iter()
            .zip(diff_ids)
            .map(|(descriptor, diff_id)| AssembledLayer {
                descriptor: descriptor.clone(),
                diff_id: diff_id.clone(),
                location: location.clone(),
            })
            .collect();
        Ok(Self {
            format,
            config: base_config,
            layers,
            annotations: BTreeMap::new(),
        })
    }

    /// Starts from base layers already located (e.g. read from an OCI layout or a cache) and the
    /// base config. The config's `rootfs.diff_ids` must match `layers`.
    pub fn from_layers(
        format: ManifestFormat,
        layers: Vec<AssembledLayer>,
        base_config: ImageConfig,
    ) -> Result<Self, AssembleError> {
        if layers.len() != base_config.rootfs.diff_ids.len() {
            return Err(AssembleError::LayerCountMismatch {
                manifest_layers: layers.len(),
                diff_ids: base_config.rootfs.diff_ids.len(),
            });
        }
        Ok(Self {
            format,
            config: base_config,
            layers,
            annotations: BTreeMap::new(),
        })
    }

    pub fn format(&self) -> ManifestFormat {
        self.format
    }

    pub fn config(&self) -> &ImageConfig {
        &self.config
    }

    /// The config to edit (ENV, CMD, LABEL, …). Layers and history are better added with
    /// [`Self::append_layer`] and [`Self::append_history`], which keep them consistent.
    pub fn config_mut(&mut self) -> &mut ImageConfig {
        &mut self.config
    }

    /// Replaces layer `index` (same content, e.g. recompressed); the diff ID must not change.
    pub fn replace_layer(&mut self, index: usize, layer: AssembledLayer) {
        if let Some(slot) = self.layers.get_mut(index) {
            debug_assert_eq!(slot.diff_id, layer.diff_id);
            *slot = layer;
        }
    }

    /// Switches the media-type family the image is assembled in.
    pub fn set_format(&mut self, format: ManifestFormat) {
        self.format = format;
    }

    pub fn layers(&self) -> &[AssembledLayer] {
        &self.layers
    }

    /// Appends a layer written by the layer writer, with its history entry.
    pub fn append_layer(&mut self, blob: LayerBlob, history: History) {
        self.config.push_layer(blob.diff_id.clone(), history);
        self.layers.push(AssembledLayer {
            descriptor: blob.descriptor,
            diff_id: blob.diff_id,
            location: LayerLocation::File(blob.path),
        });
    }

    /// Appends a layer whose blob is already somewhere (a cache entry), with its history entry.
    pub fn append_located_layer(&mut self, layer: AssembledLayer, history: History) {
        self.config.push_layer(layer.diff_id.clone(), history);
        self.layers.push(layer);
    }

    /// Records a step that produced no layer.
    pub fn append_history(&mut self, history: History) {
        self.config.push_empty_layer_history(history);
    }

    /// Adds a manifest annotation.
    pub fn annotate(&mut self, key: &str, value: &str) {
        self.annotations.insert(key.to_string(), value.to_string());
    }

    /// Serializes config and manifest once and returns the finished image.
    pub fn assemble(self) -> Result<AssembledImage, AssembleError> {
        let format = self.format;
        let platform = self.config.platform();
        let config_bytes = self.config.to_bytes()?;
        let config_descriptor = Descriptor::new(
            format.config_media_type(),
            Digest::of(&config_bytes),
            config_bytes.len() as u64,
        );
        let mut layers = self.layers;
        for layer in &mut layers {
            let translated = format
                .translate_layer_media_type(&layer.descriptor.media_type)
                .ok_or_else(|| AssembleError::UntranslatableLayer {
                    digest: layer.descriptor.digest.clone(),
                    media_type: layer.descriptor.media_type.clone(),
                    format,
                })?;
            layer.descriptor.media_type = translated.to_string();
        }
        let mut manifest = ImageManifest::new(
            format,
            config_descriptor.clone(),
            layers.iter().map(|l| l.descriptor.clone()).collect(),
        );
        manifest.annotations = self.annotations;
        let manifest_bytes = manifest.to_bytes()?;
        let manifest_descriptor = Descriptor::new(
            format.manifest_media_type(),
            Digest::of(&manifest_bytes),
            manifest_bytes.len() as u64,
        );
        tracing::debug!(digest = %manifest_descriptor.digest, layers = layers.len(), "image assembled");
        Ok(AssembledImage {
            format,
            config_bytes,
            config_descriptor,
            manifest_bytes,
            manifest_descriptor,
            layers,
            platform,
        })
    }
}

/// An RFC 3339 timestamp (UTC, whole seconds) for `created` fields, from seconds since the epoch.
pub fn rfc3339_from_unix(seconds: u64) -> String {
    humantime::format_rfc3339_seconds(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::media_type;

    fn base() -> (ImageManifest, ImageConfig) {
        let mut config = ImageConfig::scratch(&Platform::new("linux", "amd64", None));
        config.push_layer(
            Digest::of(b"diff1"),
            History {
                created_by: Some("base".into()),
                ..History::default()
            },
        );
        config.container_mut().env_set("PATH", "/bin");
        let manifest = ImageManifest::new(
            ManifestFormat::Docker,
            Descriptor::new(media_type::DOCKER_CONFIG, Digest::of(b"cfg"), 3),
            vec![Descriptor::new(
                media_type::DOCKER_LAYER_GZIP,
                Digest::of(b"blob1"),
                5,
            )],
        );
        (manifest, config)
    }

    fn new_blob() -> LayerBlob {
        LayerBlob {
            path: PathBuf::from("/tmp/blob2"),
            descriptor: Descriptor::new(media_type::OCI_LAYER_GZIP, Digest::of(b"blob2"), 5),
            diff_id: Digest::of(b"diff2"),
            uncompressed_size: 1024,
        }
    }

    #[test]
    fn appends_to_a_base_and_translates_media_types() {
        let (manifest, config) = base();
        let mut a = ImageAssembler::from_base(
            ManifestFormat::Oci,
            &manifest,
            config,
            "registry.example",
            "lib/base",
        )
        .unwrap();
        a.config_mut().container_mut().env_set("PATH", "/usr/bin");
        a.config_mut().created = Some(rfc3339_from_unix(0));
        a.append_layer(
            new_blob(),
            History {
                created_by: Some("COPY x /".into()),
                ..History::default()
            },
        );
        a.append_history(History {
            created_by: Some("CMD [\"sh\"]".into()),
            ..History::default()
        });
        let image = a.assemble().unwrap();

        let m = ImageManifest::parse(&image.manifest_bytes).unwrap();
        assert_eq!(m.media_type.as_deref(), Some(media_type::OCI_MANIFEST));
        assert_eq!(m.config, image.config_descriptor);
        assert_eq!(m.config.media_type, media_type::OCI_CONFIG);
        assert_eq!(m.layers[0].media_type, media_type::OCI_LAYER_GZIP);
        assert_eq!(m.layers[0].digest, Digest::of(b"blob1"));
        assert_eq!(
            image.manifest_descriptor.digest,
            Digest::of(&image.manifest_bytes)
        );
        assert_eq!(image.config_descriptor.digest, Digest::of(&image.config_bytes));
        assert_eq!(
            image.layers[0].location,
            LayerLocation::Remote {
                registry: "registry.example".into(),
                repository: "lib/base".into()
            }
        );
        assert_eq!(image.layers[1].location, LayerLocation::File("/tmp/blob2".into()));

        let c = ImageConfig::parse(&image.config_bytes).unwrap();
        assert_eq!(
            c.rootfs.diff_ids,
            vec![Digest::of(b"diff1"), Digest::of(b"diff2")]
        );
        assert_eq!(c.history.len(), 3);
        assert!(c.history[2].empty_layer);
        assert_eq!(c.config.unwrap().env, vec!["PATH=/usr/bin".to_string()]);
        assert_eq!(c.created.as_deref(), Some("1970-01-01T00:00:00Z"));
    }

    #[test]
    fn docker_format_uses_docker_types_and_is_deterministic() {
        let build = || {
            let (manifest, config) = base();
            let mut a =
                ImageAssembler::from_base(ManifestFormat::Docker, &manifest, config, "r", "x").unwrap();
            a.append_layer(new_blob(), History::default());
            a.assemble().unwrap()
        };
        let image = build();
        let m = ImageManifest::parse(&image.manifest_bytes).unwrap();
        assert_eq!(m.media_type.as_deref(), Some(media_type::DOCKER_MANIFEST));
        assert_eq!(m.config.media_type, media_type::DOCKER_CONFIG);
        assert!(m
            .layers
            .iter()
            .all(|l| l.media_type == media_type::DOCKER_LAYER_GZIP));
        assert_eq!(build().manifest_bytes, image.manifest_bytes);

        let (oci_bytes, oci_desc) = image.oci_manifest().unwrap();
        assert_eq!(oci_desc.digest, Digest::of(&oci_bytes));
        let oci = ImageManifest::parse(&oci_bytes).unwrap();
        assert_eq!(oci.media_type.as_deref(), Some(media_type::OCI_MANIFEST));
        assert_eq!(oci.config.digest, image.config_descriptor.digest);
        assert_eq!(oci.config.media_type, media_type::OCI_CONFIG);
        assert!(oci
            .layers
            .iter()
            .all(|l| l.media_type == media_type::OCI_LAYER_GZIP));
    }

    #[test]
    fn mismatched_base_and_untranslatable_layers_are_errors() {
        let (manifest, mut config) = base();
        config.rootfs.diff_ids.clear();
        assert!(matches!(
            ImageAssembler::from_base(ManifestFormat::Oci, &manifest, config, "r", "x"),
            Err(AssembleError::LayerCountMismatch {
                manifest_layers: 1,
                diff_ids: 0
            })
        ));
        let mut a = ImageAssembler::scratch(ManifestFormat::Docker, &Platform::new("linux", "amd64", None));
        let mut zstd = new_blob();
        zstd.descriptor.media_type = media_type::OCI_LAYER_ZSTD.into();
        a.append_layer(zstd, History::default());
        assert!(matches!(
            a.assemble(),
            Err(AssembleError::UntranslatableLayer { .. })
        ));
    }
}
