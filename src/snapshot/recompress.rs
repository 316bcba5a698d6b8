// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Re-encoding an existing layer blob with another compression (`--force-compression`): the tar
//! stream is unchanged (its diff ID is checked), only the blob and its digest change.

use std::io;
use std::path::{Path, PathBuf};

use super::compressor::CompressingSink;
use super::layer::Compression;
use super::layer_reader::{open_decompressed, LayerReadError};
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
    /// The layer error names the blob.
    #[error("recompressing a layer: {0}")]
    Read(#[source] LayerReadError),
    #[error("recompressing {path} into {dir}: {source}")]
    Write {
        path: PathBuf,
        dir: PathBuf,
        source: io::Error,
    },
    #[error("recompressing {path}: its content hashes to {actual}, but the image config says {expected}")]
    DiffIdMismatch {
        path: PathBuf,
        expected: Digest,
        actual: Digest,
    },
}

/// Decompresses the blob at `source_blob` (compression read from `media_type`) and compresses it again
/// into `dir`, checking the uncompressed stream against `diff_id`.
pub fn recompress_blob(
    source_blob: &Path,
    media_type: &str,
    diff_id: &Digest,
    dir: &Path,
    compression: Compression,
    level: Option<i32>,
) -> Result<Recompressed, RecompressError> {
    let write_err = |source| RecompressError::Write {
        path: source_blob.to_path_buf(),
        dir: dir.to_path_buf(),
        source,
    };
    let mut reader = open_decompressed(source_blob, media_type).map_err(RecompressError::Read)?;
    let temp = tempfile::Builder::new()
        .prefix(".recompress-")
        .tempfile_in(dir)
        .map_err(write_err)?;
    let (file, temp) = temp.into_parts();
    let sink = CompressingSink::start(file, compression.as_layer_compression(), level).map_err(write_err)?;
    let mut hashing = HashingWriter::new(sink);
    // A failure here may be on either side; the io error's own text says which.
    io::copy(&mut reader, &mut hashing).map_err(write_err)?;
    let (sink, actual, _) = hashing.finish();
    if actual != *diff_id {
        return Err(RecompressError::DiffIdMismatch {
            path: source_blob.to_path_buf(),
            expected: diff_id.clone(),
            actual,
        });
    }
    let out = sink.finish().map_err(write_err)?;
    let path = dir.join(out.digest.hex());
    temp.persist(&path).map_err(|e| write_err(e.error))?;
    Ok(Recompressed {
        path,
        digest: out.digest,
        size: out.size,
    })
}
