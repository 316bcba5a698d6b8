// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! OCI image layouts on disk (`--oci-layout-path`): `oci-layout`, `index.json` and
//! `blobs/sha256/<hex>`, readable by `skopeo … oci:DIR[:ref]` and `umoci`.
//!
//! Blobs are content-addressed, each written to a temporary name and renamed, so an interrupted
//! write never leaves a partial blob under a digest name; `index.json` is replaced last, so the
//! layout only ever lists images whose blobs are all present.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::atomic_file::AtomicFile;
use super::blob_fetcher::{copy_layer, BlobFetcher};
use super::tarball::{blob_path, OCI_LAYOUT_FILE, REF_NAME_ANNOTATION};
use super::OutputError;
use crate::image::{AssembledImage, Descriptor, Digest, ImageIndex, ManifestFormat};

/// How an image is added to a layout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayoutWrite {
    /// Tag recorded as `org.opencontainers.image.ref.name` (what `oci:DIR:<ref>` selects).
    /// An existing entry with the same name is replaced.
    pub ref_name: Option<String>,
    /// Start a fresh `index.json` holding only this image (kaniko's `--oci-layout-path`
    /// behaviour) instead of appending to the existing one.
    pub replace_index: bool,
}

/// Writes `image` into the layout at `dir` (created if missing) and returns the descriptor that
/// was added to `index.json`.
pub fn write_layout(
    dir: &Path,
    image: &AssembledImage,
    how: &LayoutWrite,
    fetcher: &dyn BlobFetcher,
) -> Result<Descriptor, OutputError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Io { path, source }
    };
    fs_err::create_dir_all(dir.join("blobs/sha256")).map_err(io_err(dir))?;

    let marker = dir.join("oci-layout");
    if marker.exists() {
        let existing = fs_err::read(&marker).map_err(io_err(&marker))?;
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&existing).ok();
        if parsed
            .as_ref()
            .and_then(|p| p.get("imageLayoutVersion"))
            .and_then(|v| v.as_str())
            != Some("1.0.0")
        {
            return Err(OutputError::NotALayout {
                path: dir.to_path_buf(),
                reason: "oci-layout is not version 1.0.0",
            });
        }
    } else {
        AtomicFile::write_all_to(&marker, OCI_LAYOUT_FILE)?;
    }

    for layer in &image.layers {
        let dest = dir.join(blob_path(&layer.descriptor.digest));
        if !blob_present(&dest, layer.descriptor.size) {
            let mut f = AtomicFile::create(&dest)?;
            copy_layer(layer, fetcher, &mut f)?;
            f.commit()?;
        }
    }
    write_blob_bytes(dir, &image.config_descriptor.digest, &image.config_bytes)?;
    write_blob_bytes(dir, &image.manifest_descriptor.digest, &image.manifest_bytes)?;

    let index_path = dir.join("index.json");
    let mut index = if how.replace_index || !index_path.exists() {
        ImageIndex::new(ManifestFormat::Oci)
    } else {
        let bytes = fs_err::read(&index_path).map_err(io_err(&index_path))?;
        ImageIndex::parse(&bytes).map_err(OutputError::Manifest)?
    };
    let mut descriptor = Descriptor::new(
        image.manifest_descriptor.media_type.clone(),
        image.manifest_descriptor.digest.clone(),
        image.manifest_descriptor.size,
    );
    descriptor.platform = Some(image.platform.clone());
    match &how.ref_name {
        Some(name) => {
            index
                .manifests
                .retain(|d| d.annotations.get(REF_NAME_ANNOTATION) != Some(name));
            descriptor.annotations = BTreeMap::from([(REF_NAME_ANNOTATION.to_string(), name.clone())]);
        }
        None => index
            .manifests
            .retain(|d| !(d.digest == descriptor.digest && d.annotations.is_empty())),
    }
    index.manifests.push(descriptor.clone());
    AtomicFile::write_all_to(&index_path, &index.to_bytes().map_err(OutputError::Manifest)?)?;
    tracing::info!(layout = %dir.display(), digest = %descriptor.digest, "wrote image to OCI layout");
    Ok(descriptor)
}

/// A blob that exists with the right size is trusted: names are content digests and blobs only
/// appear under them after a complete write.
fn blob_present(path: &Path, size: u64) -> bool {
    fs_err::metadata(path).map(|m| m.len() == size).unwrap_or(false)
}

fn write_blob_bytes(dir: &Path, digest: &Digest, bytes: &[u8]) -> Result<(), OutputError> {
    let dest = dir.join(blob_path(digest));
    if blob_present(&dest, bytes.len() as u64) {
        return Ok(());
    }
    let mut f = AtomicFile::create(&dest)?;
    f.write_all(bytes).map_err(|source| OutputError::Io {
        path: dest.clone(),
        source,
    })?;
    f.commit()
}
