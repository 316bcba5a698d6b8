// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A layer blob written to disk: what the snapshotter produces and the image assembler appends.
//! It lives with the image types it is made of, so the image module never depends on the
//! snapshotter that writes it.

use std::path::PathBuf;

use super::{Descriptor, Digest};

/// A finished layer blob on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerBlob {
    /// `<dir>/<hex of the blob digest>`.
    pub path: PathBuf,
    /// Media type, blob digest and compressed size.
    pub descriptor: Descriptor,
    /// SHA-256 of the uncompressed tar stream.
    pub diff_id: Digest,
    pub uncompressed_size: u64,
}
