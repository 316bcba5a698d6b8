// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Re-encoding an existing layer blob with another compression (`--force-compression`): the tar
//! stream is unchanged (its diff ID is checked), only the blob and its digest change.

use std::io;
use std::path::{Path, PathBuf};

use super::compressor::CompressingSink;
use super::layer::Compression;
use super::layer_reader::open_decompressed;
use crate::image::digest::HashingWriter;
use crate::image::Digest;

/// A re-encoded blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recompressed {
    pub path: PathBuf,
    pub digest: Digest,
    pub size: u64,
}

/// Why a blob could not be re-encoded.
#[derive(Debug, thiserror::Error)]
pub enum RecompressError {
    #[error("recompressing {path}: {message}")]
    Failed { path: PathBuf, message: String },
    #[error("recompressing {path}: its content hashes to {actual}, but the image config says {expected}")]
    DiffIdMismatch {
        path: PathBuf,
        expected: Digest,
        actual: Digest,
    },
}

/// Decompresses the blob at `source` (compression read from `media_type`) and compresses it again
/// into `dir`, checking the uncompressed stream against `diff_id`.
pub fn recompress_blob(
    source: &Path,
    media_type: &str,
    diff_id: &Digest,
    dir: &Path,
    compression: Compression,
    level: Option<i32>,
) -> Result<Recompressed, RecompressError> {
    let failed = |message: String| RecompressError::Failed {
        path: source.to_path_buf(),
        message,
    };
    let mut reader = open_decompressed(source, media_type).map_err(|e| failed(e.to_string()))?;
    let temp = tempfile::Builder::new()
        .prefix(".recompress-")
        .tempfile_in(dir)
        .map_err(|e| failed(e.to_string()))?;
    let (file, temp) = temp.into_parts();
    let sink = CompressingSink::start(file, compression.as_layer_compression(), level)
        .map_err(|e| failed(e.to_string()))?;
    let mut hashing = HashingWriter::new(sink);
    io::copy(&mut reader, &mut hashing).map_err(|e| failed(e.to_string()))?;
    let (sink, actual, _) = hashing.finish();
    if actual != *diff_id {
        return Err(RecompressError::DiffIdMismatch {
            path: source.to_path_buf(),
            expected: diff_id.clone(),
            actual,
        });
    }
    let out = sink.finish().map_err(|e| failed(e.to_string()))?;
    let path = dir.join(out.digest.hex());
    temp.persist(&path).map_err(|e| failed(e.to_string()))?;
    Ok(Recompressed {
        path,
        digest: out.digest,
        size: out.size,
    })
}
