// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The snapshotter RUN uses: it remembers the state of the stage rootfs (the baseline) and turns
//! what changed since into a layer.
//!
//! Each [`Snapshotter::take`] scans the tree, diffs it against the baseline, writes exactly the
//! changes as a layer and makes the new state the baseline. When the builder itself changes the
//! tree (unpacking a COPY layer), [`Snapshotter::rebaseline`] records the new state without
//! writing, so the next RUN layer does not repeat those files.

use std::io;
use std::path::{Path, PathBuf};

use super::change_layer::write_changes;
use super::diff::diff;
use super::scan::{scan, ExcludeSet, SnapshotMode, Tree};
use super::{LayerBlob, LayerError, LayerOptions};
use crate::observe::measure::{self, Transfer};

/// Why a snapshot could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("reading directory {path}: {source}")]
    ReadDir { path: PathBuf, source: io::Error },
    #[error("reading metadata of {path}: {source}")]
    Stat { path: PathBuf, source: io::Error },
    #[error("reading symlink {path}: {source}")]
    ReadLink { path: PathBuf, source: io::Error },
    #[error("hashing {path}: {source}")]
    Hash { path: PathBuf, source: io::Error },
    #[error("reading extended attributes of {path}: {source}")]
    Xattr { path: PathBuf, source: io::Error },
    #[error("{path} was changed while the snapshot was being written")]
    Vanished { path: PathBuf },
    #[error(transparent)]
    Layer(#[from] LayerError),
}

/// Turns changes of a directory tree into layers.
#[derive(Debug)]
pub struct Snapshotter {
    root: PathBuf,
    exclude: ExcludeSet,
    mode: SnapshotMode,
    baseline: Tree,
}

impl Snapshotter {
    /// Scans `root` (minus `exclude`) as the baseline.
    pub fn new(root: PathBuf, exclude: ExcludeSet, mode: SnapshotMode) -> Result<Self, SnapshotError> {
        let baseline = scan(&root, &exclude, mode)?;
        tracing::debug!(root = %root.display(), entries = baseline.len(), %mode, "snapshot baseline");
        Ok(Self {
            root,
            exclude,
            mode,
            baseline,
        })
    }

    /// Diffs the tree against the baseline and writes a layer into `blob_dir` with exactly the
    /// changes; `None` when nothing changed (no layer). The new state becomes the baseline.
    pub fn take(
        &mut self,
        blob_dir: &Path,
        options: LayerOptions,
    ) -> Result<Option<LayerBlob>, SnapshotError> {
        let started = std::time::Instant::now();
        let mut progress = Transfer::start("snapshot", "filesystem", None, "files");
        let current = scan(&self.root, &self.exclude, self.mode)?;
        progress.advance(current.len() as u64);
        drop(progress);
        let changes = diff(&self.baseline, &current, self.mode);
        measure::snapshot_scanned(current.len() as u64, started.elapsed());
        for path in &changes.upserts {
            tracing::debug!(change = "added or changed", path = %path.display());
        }
        for path in &changes.deletions {
            tracing::debug!(change = "deleted", path = %path.display());
        }
        tracing::debug!(
            upserts = changes.upserts.len(),
            deletions = changes.deletions.len(),
            opaque = changes.opaque_dirs.len(),
            "snapshot diff"
        );
        let blob = if changes.is_empty() {
            None
        } else {
            Some(write_changes(&self.root, &current, &changes, blob_dir, options)?)
        };
        self.baseline = current;
        Ok(blob)
    }

    /// Re-scans after the builder itself changed the tree (e.g. unpacked a COPY layer), without
    /// writing.
    pub fn rebaseline(&mut self) -> Result<(), SnapshotError> {
        self.baseline = scan(&self.root, &self.exclude, self.mode)?;
        Ok(())
    }

    /// Takes the current ctime of directories (relative paths) into the baseline when nothing else
    /// about them changed: the builder made and removed a mount point in them (RUN --mount), which
    /// moves ctime and nothing an image records.
    pub fn accept_ctime(&mut self, dirs: &[PathBuf]) {
        use std::os::unix::fs::MetadataExt as _;
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        for rel in dirs {
            let Ok(meta) = std::fs::symlink_metadata(self.root.join(rel)) else {
                continue;
            };
            let Some(stat) = self.baseline.get_mut(rel) else {
                continue;
            };
            let untouched = stat.mtime_ns == ns(meta.mtime(), meta.mtime_nsec())
                && stat.ino == meta.ino()
                && stat.mode == meta.mode()
                && (stat.uid, stat.gid) == (meta.uid(), meta.gid());
            if untouched {
                stat.ctime_ns = ns(meta.ctime(), meta.ctime_nsec());
            }
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn mode(&self) -> SnapshotMode {
        self.mode
    }

    pub fn exclude(&self) -> &ExcludeSet {
        &self.exclude
    }

    /// The state the next [`take`](Self::take) compares against.
    pub fn baseline(&self) -> &Tree {
        &self.baseline
    }
}

#[cfg(test)]
#[path = "snapshotter_tests.rs"]
mod tests;
