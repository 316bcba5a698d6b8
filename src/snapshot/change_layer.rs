// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Writing a [`Changes`] set as a layer: whiteouts first, then every upserted entry in tree order
//! (an opaque marker right after its directory), read from the live tree and streamed through
//! the [`LayerWriter`].
//!
//! Regular files sharing an inode are written once, the later paths as hard links to the first,
//! so a layer keeps hard links as `docker build` layers do.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::diff::Changes;
use super::scan::{EntryStat, FileKind, Tree};
use super::snapshotter::SnapshotError;
use super::sys;
use super::{EntryMeta, LayerBlob, LayerOptions, LayerWriter};

/// Writes `changes` (computed against `tree`, the current state of `root`) into a new blob in
/// `blob_dir`.
pub(super) fn write_changes(
    root: &Path,
    tree: &Tree,
    changes: &Changes,
    blob_dir: &Path,
    options: LayerOptions,
) -> Result<LayerBlob, SnapshotError> {
    let mut writer = LayerWriter::create(blob_dir, options)?;
    for path in &changes.deletions {
        writer.append_whiteout(path)?;
    }
    let opaque: HashSet<&Path> = changes.opaque_dirs.iter().map(PathBuf::as_path).collect();
    let mut first_link: HashMap<(u64, u64), &Path> = HashMap::new();
    for rel in &changes.upserts {
        let stat = tree
            .get(rel)
            .ok_or_else(|| SnapshotError::Vanished { path: root.join(rel) })?;
        let full = root.join(rel);
        let meta = entry_meta(&full, stat)?;
        match stat.kind {
            FileKind::File => {
                let key = (stat.dev, stat.ino);
                match first_link.get(&key) {
                    Some(target) if stat.nlink > 1 => writer.append_hard_link(rel, target, &meta)?,
                    _ => {
                        if stat.nlink > 1 {
                            first_link.insert(key, rel);
                        }
                        writer.append_file_from_path(rel, &full, &meta)?;
                    }
                }
            }
            FileKind::Dir => {
                writer.append_dir(rel, &meta)?;
                if opaque.contains(rel.as_path()) {
                    writer.append_opaque_whiteout(rel)?;
                }
            }
            FileKind::Symlink => {
                let target = stat.link_target.clone().unwrap_or_default();
                writer.append_symlink(rel, &target, &meta)?;
            }
            FileKind::Fifo => writer.append_fifo(rel, &meta)?,
            FileKind::CharDevice => {
                writer.append_char_device(rel, libc::major(stat.rdev), libc::minor(stat.rdev), &meta)?
            }
            FileKind::BlockDevice => {
                writer.append_block_device(rel, libc::major(stat.rdev), libc::minor(stat.rdev), &meta)?
            }
            // A socket only means something to the process that bound it; layers never carry one.
            FileKind::Socket => tracing::debug!(path = %full.display(), "socket left out of the layer"),
        }
    }
    Ok(writer.finish()?)
}

fn entry_meta(full: &Path, stat: &EntryStat) -> Result<EntryMeta, SnapshotError> {
    let xattrs = sys::layer_xattrs(full).map_err(|source| SnapshotError::Xattr {
        path: full.to_path_buf(),
        source,
    })?;
    Ok(EntryMeta {
        mode: stat.permissions(),
        uid: u64::from(stat.uid),
        gid: u64::from(stat.gid),
        mtime: stat.mtime_secs(),
        xattrs,
    })
}
