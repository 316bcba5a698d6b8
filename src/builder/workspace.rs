// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The build's own files under `--kaniko-dir`: one fresh directory per build holding downloaded
//! blobs, new layers and scratch space. It is removed when the build ends, whether it succeeded,
//! failed or was interrupted (dropping the build future drops the workspace).

use std::path::{Path, PathBuf};

/// Why the workspace could not be created.
#[derive(Debug, thiserror::Error)]
#[error("creating the build's working directory under {dir}: {source} (set --kaniko-dir or KANIKO_DIR to a writable directory)")]
pub struct WorkspaceError {
    pub dir: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// A per-build directory tree, deleted on drop.
#[derive(Debug)]
pub struct Workspace {
    root: tempfile::TempDir,
}

impl Workspace {
    pub fn create(kaniko_dir: &Path) -> Result<Self, WorkspaceError> {
        let err = |source| WorkspaceError {
            dir: kaniko_dir.to_path_buf(),
            source,
        };
        fs_err::create_dir_all(kaniko_dir).map_err(err)?;
        let root = tempfile::Builder::new()
            .prefix("build-")
            .tempdir_in(kaniko_dir)
            .map_err(err)?;
        for sub in ["blobs", "layers", "scratch"] {
            fs_err::create_dir_all(root.path().join(sub)).map_err(err)?;
        }
        Ok(Self { root })
    }

    /// Removes the tree now, while the build that uses it may still hold it (an interrupted build
    /// stuck in blocking I/O); the drop that follows finds nothing left to remove.
    pub fn remove(&self) {
        if let Err(e) = fs_err::remove_dir_all(self.root.path()) {
            tracing::warn!("removing the build's working directory: {e}");
        }
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// Downloaded blobs, named by the hex of their digest.
    pub fn blobs(&self) -> PathBuf {
        self.root.path().join("blobs")
    }

    /// Layers written by this build.
    pub fn layers(&self) -> PathBuf {
        self.root.path().join("layers")
    }

    /// A fresh scratch directory (extracted archives, heredoc files, downloads).
    pub fn scratch_dir(&self) -> std::io::Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix("s-")
            .tempdir_in(self.root.path().join("scratch"))
    }
}
