// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Layers and filesystem snapshots: writing tar layer blobs, reading them back, applying them to
//! a real directory, and turning what RUN changed in that directory into a layer.
//!
//! [`layer::LayerWriter`] streams entries through the diff-ID hash, a compressor thread and the
//! blob hash into a file; [`layer_reader`] decompresses a blob by media type and walks its headers.
//! [`unpack`] applies a layer onto the stage rootfs; [`scan`] records a tree's state, [`diff`]
//! compares two states and [`snapshotter::Snapshotter`] writes the difference as a layer.

mod change_layer;
pub mod compressor;
pub mod diff;
mod dir_fd;
pub mod layer;
pub mod layer_reader;
mod prune;
pub mod recompress;
mod root_path;
pub mod scan;
pub mod snapshotter;
mod sys;
mod tar_header;
#[cfg(test)]
mod test_fs;
pub mod unpack;

pub use diff::{diff, Changes};
pub use layer::{source_date_epoch, Compression, LayerBlob, LayerError, LayerOptions, LayerWriter};
pub use layer_reader::{list_entries, visit_entries, EntryKind, LayerEntry, LayerReadError};
pub use prune::clear_root;
pub use scan::{scan, EntryStat, ExcludeSet, FileKind, SnapshotMode, Tree, UnknownSnapshotMode};
pub use snapshotter::{SnapshotError, Snapshotter};
pub use tar_header::EntryMeta;
pub use unpack::{unpack_layer, Ownership, UnpackError, UnpackOptions, UnpackStats};
