// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Images a build starts from or copies out of: base images pulled from a registry (resolved to the
//! build's platform), other stages' results, and their filesystem views, loaded on first need.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::error::BaseImageError;
use super::layers::{load_view, LoadedView};
use super::workspace::Workspace;
use super::BuildError;
use crate::image::{ImageAssembler, ImageConfig, ImageManifest, LayerLocation, ManifestFormat};
use crate::platform::Platform;
use crate::registry::{Reference, RegistryClient};

/// An image as a stage holds it: config and layers, and the filesystem view once something needed it.
#[derive(Debug, Clone)]
pub struct StageImage {
    pub assembler: ImageAssembler,
    pub view: Option<std::sync::Arc<LoadedView>>,
    /// Where the stage's layer cache chain starts or ended: the pulled image's manifest digest for
    /// the platform, the parent stage's final key, scratch and the platform. `None` when no
    /// step after this point may be cached (an input the keys cannot see came in).
    pub cache_key: Option<crate::cache::CacheKey>,
}

/// Pulls `name` for `platform`: manifest (following an index), config; layers stay remote.
pub async fn pull(
    registry: &RegistryClient,
    name: &str,
    platform: &Platform,
) -> Result<StageImage, BuildError> {
    let reference = Reference::parse(name)?;
    let resolved = registry.resolve_platform_manifest(&reference, platform).await?;
    let manifest = ImageManifest::parse(&resolved.manifest.bytes).map_err(|e| base_image(name, e))?;
    let format = if resolved.manifest.media_type == crate::image::media_type::DOCKER_MANIFEST {
        ManifestFormat::Docker
    } else {
        ManifestFormat::Oci
    };
    let config_bytes = match resolved.config {
        Some(bytes) => bytes,
        None => {
            registry
                .get_blob_bytes(&resolved.reference, &manifest.config.digest, 16 << 20)
                .await?
        }
    };
    let config = ImageConfig::parse(&config_bytes).map_err(|e| base_image(name, e))?;
    let assembler = ImageAssembler::from_base(
        format,
        &manifest,
        config,
        resolved.reference.registry(),
        resolved.reference.repository(),
    )
    .map_err(|e| base_image(name, e))?;
    tracing::info!(image = name, digest = %resolved.manifest.digest, "resolved base image");
    Ok(StageImage {
        assembler,
        view: None,
        cache_key: Some(crate::cache::CacheKey::from_base_manifest(
            &resolved.manifest.digest.to_string(),
        )),
    })
}

fn base_image(name: &str, source: impl Into<BaseImageError>) -> BuildError {
    BuildError::BaseImage {
        image: name.to_string(),
        source: source.into(),
    }
}

/// Local blob files and media types of an image's layers, downloading remote ones into the workspace.
pub async fn local_layers(
    registry: &RegistryClient,
    workspace: &Workspace,
    assembler: &ImageAssembler,
) -> Result<Vec<(PathBuf, String)>, BuildError> {
    let mut out = Vec::new();
    for layer in assembler.layers() {
        let path = match &layer.location {
            LayerLocation::File(p) => p.clone(),
            LayerLocation::Remote {
                registry: host,
                repository,
            } => {
                let path = workspace.blobs().join(layer.descriptor.digest.hex());
                if !path.exists() {
                    let reference = Reference::parse(&format!("{host}/{repository}"))?
                        .with_digest(layer.descriptor.digest.clone());
                    registry
                        .get_blob_to_file(&reference, &layer.descriptor.digest, &path)
                        .await?;
                }
                path
            }
        };
        out.push((path, layer.descriptor.media_type.clone()));
    }
    Ok(out)
}

/// Makes sure `image` has its filesystem view, reading the layers' tar headers.
pub async fn ensure_view(
    registry: &RegistryClient,
    workspace: &Workspace,
    image: &mut StageImage,
) -> Result<std::sync::Arc<LoadedView>, BuildError> {
    if let Some(v) = &image.view {
        return Ok(v.clone());
    }
    let files = local_layers(registry, workspace, &image.assembler).await?;
    let loaded = tokio::task::block_in_place(|| load_view(&files))?;
    let view = std::sync::Arc::new(loaded);
    image.view = Some(view.clone());
    Ok(view)
}

/// Images named by `COPY --from=<image>`, pulled once per build.
#[derive(Debug, Default)]
pub struct ImageCache {
    images: BTreeMap<(String, String), StageImage>,
}

impl ImageCache {
    pub async fn get(
        &mut self,
        registry: &RegistryClient,
        name: &str,
        platform: &Platform,
    ) -> Result<&mut StageImage, BuildError> {
        use std::collections::btree_map::Entry;
        Ok(
            match self.images.entry((name.to_string(), platform.to_string())) {
                Entry::Occupied(e) => {
                    tracing::debug!(image = name, %platform, "image already pulled by this build: reused");
                    crate::observe::measure::image_cache(true);
                    e.into_mut()
                }
                Entry::Vacant(v) => {
                    tracing::debug!(image = name, %platform, "image not pulled yet by this build: pulling");
                    crate::observe::measure::image_cache(false);
                    v.insert(pull(registry, name, platform).await?)
                }
            },
        )
    }
}

/// `--force-compression`: re-encodes every layer whose compression is not `format.compression`
/// (base layers included), keeping their content; foreign (non-distributable) layers are left alone.
pub async fn recompress_layers(
    registry: &RegistryClient,
    workspace: &Workspace,
    assembler: &mut ImageAssembler,
    format: &super::request::ImageFormat,
) -> Result<(), BuildError> {
    use crate::image::media_type::{self, layer_compression};
    let wanted = format.compression.as_layer_compression();
    let local = local_layers(registry, workspace, assembler).await?;
    let mut changed = 0;
    for (i, (path, mt)) in local.iter().enumerate() {
        let foreign = mt == media_type::DOCKER_LAYER_FOREIGN_GZIP || mt == media_type::OCI_LAYER_NONDIST_GZIP;
        if foreign || layer_compression(mt) == Some(wanted) {
            continue;
        }
        let layer = assembler.layers()[i].clone();
        let out = tokio::task::block_in_place(|| {
            crate::snapshot::recompress::recompress_blob(
                path,
                mt,
                &layer.diff_id,
                &workspace.layers(),
                format.compression,
                format.compression_level,
            )
        })?;
        let media = ManifestFormat::Oci
            .layer_media_type(wanted)
            .unwrap_or(media_type::OCI_LAYER_GZIP);
        assembler.replace_layer(
            i,
            crate::image::AssembledLayer {
                descriptor: crate::image::Descriptor::new(media, out.digest, out.size),
                diff_id: layer.diff_id,
                location: LayerLocation::File(out.path),
            },
        );
        changed += 1;
    }
    tracing::info!(layers = changed, compression = ?format.compression, "recompressed layers (--force-compression)");
    Ok(())
}
