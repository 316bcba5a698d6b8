// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--context docker-image://REPO@DIGEST`: a build context kept in a registry as an image of one
//! layer. `kaniko k8s` hands a local context to the pods that build it this way: the registry is
//! the one place both the coordinator and every node can reach with the credentials they already
//! have. [`push`] packs a directory and pushes it by digest (no tag); [`localize`] downloads the
//! layer (digest-checked) into the build's working directory and turns the spec into `tar://PATH`.

use std::io::Write;
use std::path::Path;

use crate::image::digest::HashingWriter;
use crate::image::manifest::ManifestError;
use crate::image::{media_type, Descriptor, Digest, ImageManifest, ManifestFormat};
use crate::registry::{BlobSource, Reference, RegistryClient};

use super::BuildError;

pub const SCHEME: &str = "docker-image://";

/// Why a `docker-image://` build context cannot be used or made (the [`BuildError`] names it).
#[derive(Debug, thiserror::Error)]
pub enum ContextImageError {
    #[error("name the context image by digest (REPO@sha256:…)")]
    NoDigest,
    #[error("not an image manifest: {0}")]
    Manifest(#[source] ManifestError),
    #[error("a context image holds exactly one layer, this one has {0}")]
    LayerCount(usize),
    #[error("serializing its manifest: {0}")]
    Serialize(#[source] ManifestError),
}

/// A context spec with `docker-image://` replaced by the `tar://` path of the downloaded layer;
/// any other spec is returned unchanged.
pub async fn localize(spec: &str, registry: &RegistryClient, work_dir: &Path) -> Result<String, BuildError> {
    let Some(image) = spec.strip_prefix(SCHEME) else {
        return Ok(spec.to_string());
    };
    let invalid = |source| BuildError::ContextImage {
        spec: spec.to_string(),
        source,
    };
    let reference = Reference::parse(image)?;
    if reference.digest().is_none() {
        return Err(invalid(ContextImageError::NoDigest));
    }
    let manifest = registry.get_manifest(&reference).await?;
    let parsed =
        ImageManifest::parse(&manifest.bytes).map_err(|e| invalid(ContextImageError::Manifest(e)))?;
    let [layer] = parsed.layers.as_slice() else {
        return Err(invalid(ContextImageError::LayerCount(parsed.layers.len())));
    };
    fs_err::create_dir_all(work_dir).map_err(|e| BuildError::io(work_dir, e))?;
    let path = work_dir.join("context-image.tar");
    registry
        .get_blob_to_file(&reference, &layer.digest, &path)
        .await?;
    tracing::info!(context = %image, size = layer.size, "downloaded the build context image");
    Ok(format!("tar://{}", path.display()))
}

/// Packs `dir` as one gzip layer and pushes it, with a minimal config, to `repository` by digest.
/// Returns `repository@digest` for `--context docker-image://…`.
pub async fn push(
    registry: &RegistryClient,
    repository: &Reference,
    dir: &Path,
    scratch: &Path,
) -> Result<Reference, BuildError> {
    let layer_path = scratch.join("context.tar.gz");
    let (diff_id, blob_digest, size) = pack(dir, &layer_path).map_err(|e| BuildError::io(&layer_path, e))?;
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"org.opencontainers.image.description": "kaniko-rs build context"}},
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
    });
    let config_bytes = serde_json::to_vec(&config).expect("JSON of a literal");
    let config_digest = Digest::of(&config_bytes);
    registry
        .push_blob(repository, &blob_digest, BlobSource::File(&layer_path), None)
        .await?;
    registry
        .push_blob(repository, &config_digest, BlobSource::Bytes(&config_bytes), None)
        .await?;
    let manifest = ImageManifest::new(
        ManifestFormat::Oci,
        Descriptor::new(media_type::OCI_CONFIG, config_digest, config_bytes.len() as u64),
        vec![Descriptor::new(media_type::OCI_LAYER_GZIP, blob_digest, size)],
    );
    let bytes = manifest.to_bytes().map_err(|e| BuildError::ContextImage {
        spec: format!("{SCHEME}{repository}"),
        source: ContextImageError::Serialize(e),
    })?;
    let digest = Digest::of(&bytes);
    let pinned = repository.pinned(digest);
    registry
        .put_manifest(&pinned, &bytes, media_type::OCI_MANIFEST)
        .await?;
    Ok(pinned)
}

/// Writes `dir` as a gzip tarball (symlinks kept as links); returns the uncompressed digest, the
/// compressed digest and size.
fn pack(dir: &Path, out: &Path) -> std::io::Result<(Digest, Digest, u64)> {
    let file = fs_err::File::create(out)?;
    let gz = flate2::write::GzEncoder::new(HashingWriter::new(file), flate2::Compression::new(1));
    let mut tar = tar::Builder::new(HashingWriter::new(gz));
    tar.follow_symlinks(false);
    tar.mode(tar::HeaderMode::Complete);
    tar.append_dir_all(".", dir)?;
    let (gz, diff_id, _) = tar.into_inner()?.finish();
    let (mut file, blob, size) = gz.finish()?.finish();
    file.flush()?;
    Ok((diff_id, blob, size))
}
