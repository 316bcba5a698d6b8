// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A stage's layers: where each blob lives (a local file, or a remote repository it is reused from by
//! digest), and reading them back into a [`FsView`] or extracting chosen files for COPY --from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::fsview::{FsView, Node, NodeKind};
use crate::image::{Descriptor, Digest};
use crate::lexical_path::clean_under_root;
use crate::snapshot::{visit_entries, EntryKind, LayerReadError};

/// Where a layer's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerSource {
    /// Written by this build (or downloaded) into a file.
    Local(PathBuf),
    /// A base layer, reused by digest from the repository the base image came from.
    Remote { registry: String, repository: String },
}

/// One layer of a stage's image.
#[derive(Debug, Clone)]
pub struct StageLayer {
    pub descriptor: Descriptor,
    pub diff_id: Digest,
    pub source: LayerSource,
}

impl StageLayer {
    /// The local file holding the blob, if it has been written or downloaded.
    pub fn local_path(&self, cache: &Path) -> PathBuf {
        match &self.source {
            LayerSource::Local(p) => p.clone(),
            LayerSource::Remote { .. } => cache.join(self.descriptor.digest.hex()),
        }
    }
}

/// Contents of the few files a stage without RUN needs to read (`/etc/passwd`, `/etc/group`).
const CAPTURED: &[&str] = &["etc/passwd", "etc/group"];
/// Files larger than this are not captured: a user database is never that big.
const CAPTURE_LIMIT: u64 = 4 << 20;

/// A filesystem view plus the captured user database files.
#[derive(Debug, Default, Clone)]
pub struct LoadedView {
    pub view: FsView,
    pub captured: BTreeMap<String, String>,
}

/// Builds the view of `layers` (local blob paths with media types, base first) from tar headers.
pub fn load_view(layers: &[(PathBuf, String)]) -> Result<LoadedView, LayerReadError> {
    let mut loaded = LoadedView::default();
    for (index, (path, media_type)) in layers.iter().enumerate() {
        apply_layer(&mut loaded, index, path, media_type)?;
    }
    Ok(loaded)
}

/// Applies one more layer (index `index`) to a loaded view.
pub fn apply_layer(
    loaded: &mut LoadedView,
    index: usize,
    path: &Path,
    media_type: &str,
) -> Result<(), LayerReadError> {
    visit_entries(path, media_type, |entry, content| {
        let rel = entry.path.to_string_lossy().into_owned();
        let node = |kind| Node {
            kind,
            mode: entry.mode & 0o7777,
            uid: u32::try_from(entry.uid).unwrap_or(u32::MAX),
            gid: u32::try_from(entry.gid).unwrap_or(u32::MAX),
            mtime: entry.mtime,
            layer: index,
        };
        let link = || {
            entry
                .link_name
                .as_ref()
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let (maj, min) = entry.device.unwrap_or((0, 0));
        match &entry.kind {
            EntryKind::Whiteout { target } => {
                let t = clean_under_root(&target.to_string_lossy());
                loaded.view.remove(&t);
                loaded.captured.remove(&t);
            }
            EntryKind::OpaqueWhiteout { dir } => loaded
                .view
                .make_opaque(&clean_under_root(&dir.to_string_lossy()), index),
            EntryKind::File | EntryKind::Other(_) => {
                let norm = clean_under_root(&rel);
                if CAPTURED.contains(&norm.as_str()) && entry.size <= CAPTURE_LIMIT {
                    let mut text = String::new();
                    content
                        .read_to_string(&mut text)
                        .map_err(|source| LayerReadError::Entry {
                            path: path.to_path_buf(),
                            entry: entry.path.clone(),
                            source,
                        })?;
                    loaded.captured.insert(norm.clone(), text);
                }
                loaded.view.apply(&rel, node(NodeKind::File { size: entry.size }));
            }
            EntryKind::Directory => loaded.view.apply(&rel, node(NodeKind::Dir)),
            EntryKind::Symlink => loaded.view.apply(&rel, node(NodeKind::Symlink(link()))),
            EntryKind::HardLink => loaded
                .view
                .apply(&rel, node(NodeKind::HardLink(clean_under_root(&link())))),
            EntryKind::Fifo => loaded.view.apply(&rel, node(NodeKind::Fifo)),
            EntryKind::CharDevice => loaded.view.apply(&rel, node(NodeKind::Char(maj, min))),
            EntryKind::BlockDevice => loaded.view.apply(&rel, node(NodeKind::Block(maj, min))),
        }
        Ok(())
    })?;
    Ok(())
}

/// Extracts the contents of regular files, chosen per layer, into `dest` (at their own relative
/// paths below a directory per layer), so COPY --from can stream them into a new layer.
/// Returns where each `(layer, path)` was written.
pub fn extract_files(
    layers: &[(PathBuf, String)],
    wanted: &BTreeSet<(usize, String)>,
    dest: &Path,
) -> Result<BTreeMap<(usize, String), PathBuf>, LayerReadError> {
    let mut written = BTreeMap::new();
    for (index, (path, media_type)) in layers.iter().enumerate() {
        if !wanted.iter().any(|(l, _)| *l == index) {
            continue;
        }
        visit_entries(path, media_type, |entry, content| {
            if !matches!(entry.kind, EntryKind::File | EntryKind::Other(_)) {
                return Ok(());
            }
            let rel = clean_under_root(&entry.path.to_string_lossy());
            let key = (index, rel);
            if !wanted.contains(&key) {
                return Ok(());
            }
            let out = dest.join(index.to_string()).join(&key.1);
            // std::fs, not fs_err: the error names `out` already.
            let write_err = |source| LayerReadError::Write {
                path: out.clone(),
                source,
            };
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir).map_err(write_err)?;
            }
            let mut file = std::fs::File::create(&out).map_err(write_err)?;
            std::io::copy(content, &mut file).map_err(write_err)?;
            written.insert(key, out);
            Ok(())
        })?;
    }
    Ok(written)
}
