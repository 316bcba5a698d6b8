// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Removing content from the rootfs without touching what must survive: excluded paths (and the
//! directories leading to them), and — for whiteouts and opaque markers — what the layer being
//! applied wrote itself, since a whiteout only hides lower layers' content.
//!
//! Used by the unpacker for whiteouts, opaque directories and entries replacing a directory, and
//! by [`clear_root`] which empties `/` between stages in container mode.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use super::scan::ExcludeSet;
use super::unpack::UnpackError;

/// What must survive a removal.
pub(super) struct Keep<'a> {
    pub exclude: &'a ExcludeSet,
    /// Paths written by the layer being applied, with all their ancestors (resolved, relative).
    pub written: Option<&'a HashSet<PathBuf>>,
}

impl Keep<'_> {
    fn written(&self, rel: &Path) -> bool {
        self.written.is_some_and(|w| w.contains(rel))
    }
}

/// Removes `rel` (relative to `root`, with no symlink among its parents) and everything below it,
/// except what `keep` protects; a directory holding protected paths stays, emptied of the rest.
/// A missing path is not an error.
pub(super) fn remove_path(root: &Path, rel: &Path, keep: &Keep<'_>) -> Result<(), UnpackError> {
    if keep.exclude.contains(rel) {
        return Ok(());
    }
    let full = root.join(rel);
    let meta = match std::fs::symlink_metadata(&full) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(UnpackError::io("inspecting", &full, e)),
    };
    let protected = keep.written(rel);
    if meta.is_dir() {
        if protected || keep.exclude.is_ancestor_of_excluded(rel) {
            return remove_children(root, rel, keep);
        }
        // std's remove_dir_all never follows symlinks (it works on directory fds).
        return std::fs::remove_dir_all(&full).map_err(|e| UnpackError::io("removing", &full, e));
    }
    if protected {
        return Ok(());
    }
    match std::fs::remove_file(&full) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(UnpackError::io("removing", &full, e)),
        _ => Ok(()),
    }
}

/// Removes every child of directory `rel` as [`remove_path`] does.
pub(super) fn remove_children(root: &Path, rel: &Path, keep: &Keep<'_>) -> Result<(), UnpackError> {
    let full = root.join(rel);
    let entries = match std::fs::read_dir(&full) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(UnpackError::io("reading directory", &full, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| UnpackError::io("reading directory", &full, e))?;
        remove_path(root, &rel.join(entry.file_name()), keep)?;
    }
    Ok(())
}

/// Removes everything under `root` except excluded paths and the directories leading to them
/// (container mode wipes `/` between stages, as kaniko does).
pub fn clear_root(root: &Path, exclude: &ExcludeSet) -> Result<(), UnpackError> {
    let keep = Keep {
        exclude,
        written: None,
    };
    remove_children(root, Path::new(""), &keep)
}
