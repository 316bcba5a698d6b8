// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Layers: writing tar layer blobs (for COPY/ADD now, RUN snapshots later) and reading them back.
//!
//! [`layer::LayerWriter`] streams entries through the diff-ID hash, a compressor thread and the
//! blob hash into a file; [`layer_reader`] decompresses a blob by media type and walks its headers.

pub mod compressor;
pub mod layer;
pub mod layer_reader;
mod tar_header;

pub use layer::{source_date_epoch, Compression, LayerBlob, LayerError, LayerOptions, LayerWriter};
pub use layer_reader::{list_entries, visit_entries, EntryKind, LayerEntry, LayerReadError};
pub use tar_header::EntryMeta;
