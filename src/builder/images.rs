// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Images a build starts from or copies out of: base images pulled from a registry (resolved to the
//! build's platform), other stages' results, and their filesystem views, loaded on first need.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::error::BaseImageError;
use super::layers::{load_view, LoadedView};
use super::workspace::Workspace;
use super::{BuildError, Shared};
use crate::cache::dir::{CacheDir, CachedImage};
use crate::cache::CacheOptions;
use crate::image::{
    AssembledLayer, Digest, ImageAssembler, ImageConfig, ImageManifest, LayerLocation, ManifestFormat,
};
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

/// Pulls `name` for `platform`: manifest (following an index), config; layers stay remote. An
/// image warmed into the cache directory less than the TTL ago is taken from there instead, with
/// no registry request at all (whether or not --cache is on, as kaniko does).
pub async fn pull(
    registry: &RegistryClient,
    name: &str,
    platform: &Platform,
    cache: &CacheOptions,
) -> Result<(StageImage, Digest), BuildError> {
    if let Some(dir) = CacheDir::open(&cache.dir) {
        let now = crate::cache::warmer::unix_now();
        if let Some(found) = dir.lookup(name, platform, cache.ttl_secs, now) {
            let digest = found.manifest.digest.clone();
            return Ok((from_cache_dir(name, found)?, digest));
        }
    }
    let reference = Reference::parse(name)?;
    let resolved = registry.resolve_platform_manifest(&reference, platform).await?;
    let manifest = ImageManifest::parse(&resolved.manifest.bytes).map_err(|e| base_image(name, e))?;
    let format = manifest_format(&resolved.manifest.media_type);
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
    let image = StageImage {
        assembler,
        view: None,
        cache_key: Some(crate::cache::CacheKey::from_base_manifest(
            &resolved.manifest.digest.to_string(),
        )),
    };
    Ok((image, resolved.manifest.digest))
}

/// A base image found in the cache directory: its layers are the directory's blob files.
fn from_cache_dir(name: &str, found: CachedImage) -> Result<StageImage, BuildError> {
    let manifest = ImageManifest::parse(&found.manifest.bytes).map_err(|e| base_image(name, e))?;
    let config = ImageConfig::parse(&found.config).map_err(|e| base_image(name, e))?;
    let diff_ids = config.rootfs.diff_ids.clone();
    if diff_ids.len() != manifest.layers.len() {
        return Err(base_image(
            name,
            crate::image::assembled::AssembleError::LayerCountMismatch {
                manifest_layers: manifest.layers.len(),
                diff_ids: diff_ids.len(),
            },
        ));
    }
    let layers = manifest
        .layers
        .iter()
        .zip(diff_ids)
        .zip(found.layers)
        .map(|((descriptor, diff_id), path)| AssembledLayer {
            descriptor: descriptor.clone(),
            diff_id,
            location: LayerLocation::File(path),
        })
        .collect();
    let assembler = ImageAssembler::from_layers(manifest_format(&found.manifest.media_type), layers, config)
        .map_err(|e| base_image(name, e))?;
    tracing::info!(image = name, digest = %found.manifest.digest, "base image from the cache directory (kaniko warmer)");
    Ok(StageImage {
        assembler,
        view: None,
        cache_key: Some(crate::cache::CacheKey::from_base_manifest(
            &found.manifest.digest.to_string(),
        )),
    })
}

fn manifest_format(media_type: &str) -> ManifestFormat {
    if media_type == crate::image::media_type::DOCKER_MANIFEST {
        ManifestFormat::Docker
    } else {
        ManifestFormat::Oci
    }
}

fn base_image(name: &str, source: impl Into<BaseImageError>) -> BuildError {
    BuildError::BaseImage {
        image: name.to_string(),
        source: source.into(),
    }
}

/// Local blob files and media types of an image's layers, downloading remote ones: into the
/// cache directory with --cache (kept for later builds), else into the workspace.
pub async fn local_layers(
    registry: &RegistryClient,
    workspace: &Workspace,
    cache: &CacheOptions,
    layers: &[AssembledLayer],
) -> Result<Vec<(PathBuf, String)>, BuildError> {
    let mut blob_dir = None;
    let mut out = Vec::new();
    for layer in layers {
        let path = match &layer.location {
            LayerLocation::File(p) => p.clone(),
            LayerLocation::Remote {
                registry: host,
                repository,
            } => {
                let digest = &layer.descriptor.digest;
                let path = workspace.blobs().join(digest.hex());
                if !path.exists() {
                    let reference =
                        Reference::parse(&format!("{host}/{repository}"))?.with_digest(digest.clone());
                    let dir = blob_dir.get_or_insert_with(|| blob_cache(cache));
                    match dir {
                        Some(dir) => {
                            let cached = dir.blob_path(digest);
                            if dir.has_blob(digest, layer.descriptor.size) {
                                tracing::debug!(%digest, cache_dir = %dir.root().display(), "base layer blob from the cache directory");
                            } else {
                                tracing::debug!(%digest, cache_dir = %dir.root().display(), "downloading base layer blob into the cache directory");
                                registry.get_blob_to_file(&reference, digest, &cached).await?;
                                // Other users' builds on this machine read it too.
                                let _ = fs_err::set_permissions(
                                    &cached,
                                    std::os::unix::fs::PermissionsExt::from_mode(0o644),
                                );
                            }
                            link_blob(&cached, &path)?;
                        }
                        None => {
                            registry.get_blob_to_file(&reference, digest, &path).await?;
                        }
                    }
                }
                path
            }
        };
        out.push((path, layer.descriptor.media_type.clone()));
    }
    Ok(out)
}

/// The cache directory downloaded base blobs go to: with --cache, when the directory exists (the
/// warmer or the user made it; a build never creates `/cache` on its own) and we may write to it.
fn blob_cache(cache: &CacheOptions) -> Option<CacheDir> {
    if !cache.enabled {
        return None;
    }
    let Some(dir) = CacheDir::open(&cache.dir) else {
        tracing::debug!(cache_dir = %cache.dir.display(), "base layer blobs are not kept across builds: no cache directory");
        return None;
    };
    let usable = CacheDir::create(&cache.dir).is_ok() && dir.writable();
    if !usable {
        tracing::debug!(cache_dir = %cache.dir.display(), "base layer blobs are not kept across builds: the cache directory is not writable here");
    }
    usable.then_some(dir)
}

/// Makes a cache-directory blob visible in the workspace, where the outputs and the push look for
/// downloaded base blobs: a hard link (immune to the cache directory being pruned meanwhile), or a
/// symbolic link across file systems.
fn link_blob(cached: &std::path::Path, path: &std::path::Path) -> Result<(), BuildError> {
    match fs_err::hard_link(cached, path).or_else(|_| fs_err::os::unix::fs::symlink(cached, path)) {
        Ok(()) => Ok(()),
        Err(_) if path.exists() => Ok(()),
        Err(e) => Err(BuildError::Internal {
            message: format!("linking the cached blob {} into the build: {e}", cached.display()),
        }),
    }
}

impl Shared<'_> {
    /// [`local_layers`] with this build's registry, workspace and cache settings; the diff IDs of
    /// cache hits are checked the first time their bytes are read.
    pub async fn local_layers(
        &self,
        layers: &[AssembledLayer],
    ) -> Result<Vec<(PathBuf, String)>, BuildError> {
        let files = local_layers(self.registry, self.workspace, &self.request.cache, layers).await?;
        if let Some(cache) = &self.layer_cache {
            cache.verify(layers, &files)?;
        }
        Ok(files)
    }

    /// Makes sure `image` has its filesystem view, reading the layers' tar headers.
    pub async fn ensure_view(
        &self,
        image: &mut StageImage,
    ) -> Result<std::sync::Arc<LoadedView>, BuildError> {
        if let Some(v) = &image.view {
            return Ok(v.clone());
        }
        let files = self.local_layers(image.assembler.layers()).await?;
        let loaded = tokio::task::block_in_place(|| load_view(&files))?;
        let view = std::sync::Arc::new(loaded);
        image.view = Some(view.clone());
        Ok(view)
    }
}

/// Images named by `COPY --from=<image>`, pulled once per build.
#[derive(Debug, Default)]
pub struct ImageCache {
    images: BTreeMap<(String, String), StageImage>,
}

impl ImageCache {
    pub async fn get(
        &mut self,
        shared: &Shared<'_>,
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
                    v.insert(
                        pull(shared.registry, name, platform, &shared.request.cache)
                            .await?
                            .0,
                    )
                }
            },
        )
    }
}

/// `--force-compression`: re-encodes every layer whose compression is not `format.compression`
/// (base layers included), keeping their content; foreign (non-distributable) layers are left alone.
pub async fn recompress_layers(
    shared: &Shared<'_>,
    assembler: &mut ImageAssembler,
    format: &super::request::ImageFormat,
) -> Result<(), BuildError> {
    use crate::image::media_type::{self, layer_compression};
    let wanted = format.compression.as_layer_compression();
    let local = shared.local_layers(assembler.layers()).await?;
    let workspace = shared.workspace;
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
