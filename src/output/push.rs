// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Pushing a built image to a registry destination: every blob first (skipped when the repository has
//! it, mounted across repositories of the same registry, otherwise streamed from disk), the config,
//! and the manifest last, so a failure never moves a tag.

use std::path::Path;

use futures_util::StreamExt;

use crate::image::{AssembledImage, AssembledLayer, LayerLocation};
use crate::registry::{BlobPush, BlobSource, Reference, RegistryClient, RegistryError};

/// Counts of what a push did, for logs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PushStats {
    pub existed: usize,
    pub mounted: usize,
    pub uploaded: usize,
}

/// Layer blobs handled at once by one push: existence checks and mounts are round trips, and a
/// no-change rebuild of a 50-layer image is mostly those (docs/performance.md, warm rebuilds).
const CONCURRENT_BLOBS: usize = 8;

/// Pushes `image` to `destination` (a tag or digest reference). Base layers that only live in their
/// source repository are mounted when it is on the same registry, else downloaded into `blobs` and
/// uploaded. Returns the manifest digest.
pub async fn push_image(
    registry: &RegistryClient,
    image: &AssembledImage,
    destination: &Reference,
    blobs: &Path,
) -> Result<PushStats, RegistryError> {
    let mut stats = PushStats::default();
    // Blobs go up a few at a time: a layer's existence check, mount or upload waits on the
    // registry, not on us. The manifest goes up only after every blob is there.
    // The futures are made first: a closure in the stream would make the build task's future
    // not provably `Send` (a higher-ranked lifetime the compiler cannot see through).
    let pushes: Vec<_> = (image.layers.iter())
        .map(|layer| push_layer(registry, layer, destination, blobs))
        .collect();
    let mut outcomes = futures_util::stream::iter(pushes).buffer_unordered(CONCURRENT_BLOBS);
    while let Some(outcome) = outcomes.next().await {
        match outcome? {
            BlobPush::Existed => stats.existed += 1,
            BlobPush::Mounted => stats.mounted += 1,
            BlobPush::Uploaded => stats.uploaded += 1,
        }
    }
    registry
        .push_blob(
            destination,
            &image.config_descriptor.digest,
            BlobSource::Bytes(&image.config_bytes),
            None,
        )
        .await?;
    registry
        .put_manifest(
            destination,
            &image.manifest_bytes,
            &image.manifest_descriptor.media_type,
        )
        .await?;
    Ok(stats)
}

/// Makes one layer blob present in `destination`'s repository.
async fn push_layer(
    registry: &RegistryClient,
    layer: &AssembledLayer,
    destination: &Reference,
    blobs: &Path,
) -> Result<BlobPush, RegistryError> {
    let digest = &layer.descriptor.digest;
    match &layer.location {
        LayerLocation::File(path) => {
            registry
                .push_blob(destination, digest, BlobSource::File(path), None)
                .await
        }
        LayerLocation::Remote {
            registry: host,
            repository,
        } => {
            let source = Reference::parse(&format!("{host}/{repository}"))?.with_digest(digest.clone());
            if registry.blob_exists(destination, digest).await?.is_some() {
                return Ok(BlobPush::Existed);
            }
            if registry.mount_blob(destination, digest, &source).await? {
                // Same registry: no byte leaves it (a fully cached build downloads nothing).
                return Ok(BlobPush::Mounted);
            }
            let cached = blobs.join(digest.hex());
            if !cached.exists() {
                registry.get_blob_to_file(&source, digest, &cached).await?;
            }
            // The mount was asked for and declined above: only the upload is left.
            registry
                .push_blob(destination, digest, BlobSource::File(&cached), None)
                .await
        }
    }
}
