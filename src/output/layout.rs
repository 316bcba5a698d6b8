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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{History, ImageAssembler};
    use crate::output::DirBlobFetcher;
    use crate::platform::Platform;
    use crate::snapshot::{EntryMeta, LayerOptions, LayerWriter};

    fn image(dir: &Path, content: &[u8]) -> AssembledImage {
        let mut w = LayerWriter::create(dir, LayerOptions::default()).unwrap();
        w.append_file(
            Path::new("f"),
            content,
            content.len() as u64,
            &EntryMeta::with_mode(0o644),
        )
        .unwrap();
        let mut a = ImageAssembler::scratch(ManifestFormat::Oci, &Platform::new("linux", "arm64", None));
        a.append_layer(w.finish().unwrap(), History::default());
        a.assemble().unwrap()
    }

    fn index(dir: &Path) -> ImageIndex {
        ImageIndex::parse(&std::fs::read(dir.join("index.json")).unwrap()).unwrap()
    }

    #[test]
    fn appends_replaces_by_ref_and_can_start_fresh() {
        let blobs = tempfile::tempdir().unwrap();
        let layout = tempfile::tempdir().unwrap();
        let fetcher = DirBlobFetcher::new(blobs.path());
        let a = image(blobs.path(), b"a");
        let b = image(blobs.path(), b"b");
        let named = |n: &str| LayoutWrite {
            ref_name: Some(n.into()),
            replace_index: false,
        };

        let d = write_layout(layout.path(), &a, &named("x"), &fetcher).unwrap();
        assert_eq!(d.platform, Some(Platform::new("linux", "arm64", None)));
        write_layout(layout.path(), &b, &named("y"), &fetcher).unwrap();
        write_layout(layout.path(), &b, &named("x"), &fetcher).unwrap();
        write_layout(layout.path(), &a, &LayoutWrite::default(), &fetcher).unwrap();
        write_layout(layout.path(), &a, &LayoutWrite::default(), &fetcher).unwrap();
        let got: Vec<_> = index(layout.path())
            .manifests
            .iter()
            .map(|d| (d.digest.clone(), d.annotations.get(REF_NAME_ANNOTATION).cloned()))
            .collect();
        assert_eq!(
            got,
            vec![
                (b.digest().clone(), Some("y".to_string())),
                (b.digest().clone(), Some("x".to_string())),
                (a.digest().clone(), None),
            ]
        );
        assert_eq!(
            std::fs::read(layout.path().join("oci-layout")).unwrap(),
            OCI_LAYOUT_FILE
        );

        write_layout(
            layout.path(),
            &a,
            &LayoutWrite {
                ref_name: None,
                replace_index: true,
            },
            &fetcher,
        )
        .unwrap();
        assert_eq!(index(layout.path()).manifests.len(), 1);
    }

    #[test]
    fn refuses_a_directory_that_is_another_kind_of_layout() {
        let blobs = tempfile::tempdir().unwrap();
        let layout = tempfile::tempdir().unwrap();
        std::fs::write(
            layout.path().join("oci-layout"),
            br#"{"imageLayoutVersion":"2.0.0"}"#,
        )
        .unwrap();
        let a = image(blobs.path(), b"a");
        let err = write_layout(
            layout.path(),
            &a,
            &LayoutWrite::default(),
            &DirBlobFetcher::new(blobs.path()),
        )
        .unwrap_err();
        assert!(matches!(err, OutputError::NotALayout { .. }), "{err}");
    }
}
