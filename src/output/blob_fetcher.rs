// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Getting layer bytes for outputs: local blob files are copied, base-image blobs that live in a
//! registry are fetched through a [`BlobFetcher`] (implemented by the registry client), and every
//! blob is checked against its descriptor's digest and size on the way.
//!
//! Outputs are blocking (they stream into tar files); call them from a blocking thread
//! (`tokio::task::spawn_blocking`). A registry-backed fetcher bridges to async with
//! `tokio::runtime::Handle::block_on`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::OutputError;
use crate::image::digest::HashingWriter;
use crate::image::{AssembledLayer, Descriptor, LayerLocation};

/// Why a remote blob could not be fetched.
#[derive(Debug, thiserror::Error)]
#[error("fetching blob {digest} from {registry}/{repository}: {source}")]
pub struct FetchError {
    pub digest: String,
    pub registry: String,
    pub repository: String,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Fetches blobs that live in a registry. Implementations write the blob's raw (still compressed)
/// bytes to `writer`; the caller verifies the digest.
pub trait BlobFetcher: Send + Sync {
    fn fetch_to(
        &self,
        descriptor: &Descriptor,
        registry: &str,
        repository: &str,
        writer: &mut dyn Write,
    ) -> Result<(), FetchError>;
}

/// A fetcher for images without remote layers: any fetch is an error saying so.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRemoteBlobs;

impl BlobFetcher for NoRemoteBlobs {
    fn fetch_to(
        &self,
        d: &Descriptor,
        registry: &str,
        repository: &str,
        _: &mut dyn Write,
    ) -> Result<(), FetchError> {
        Err(FetchError {
            digest: d.digest.to_string(),
            registry: registry.to_string(),
            repository: repository.to_string(),
            source: "no registry access was configured for this output".into(),
        })
    }
}

/// Serves blobs from a directory of files named by digest hex (`<root>/<hex>`, the layout the
/// layer writer produces), whatever registry and repository are asked for. A test double for the
/// registry client, also usable as a local blob cache.
#[derive(Debug, Clone)]
pub struct DirBlobFetcher {
    root: PathBuf,
}

impl DirBlobFetcher {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

impl BlobFetcher for DirBlobFetcher {
    fn fetch_to(
        &self,
        d: &Descriptor,
        registry: &str,
        repository: &str,
        writer: &mut dyn Write,
    ) -> Result<(), FetchError> {
        let path = self.root.join(d.digest.hex());
        let result = fs_err::File::open(&path).and_then(|mut f| io::copy(&mut f, writer));
        result.map(|_| ()).map_err(|e| FetchError {
            digest: d.digest.to_string(),
            registry: registry.to_string(),
            repository: repository.to_string(),
            source: Box::new(e),
        })
    }
}

/// Writes a layer's bytes to `out`, from its local file or through `fetcher`, and checks that
/// exactly `descriptor.size` bytes with `descriptor.digest` were written.
pub fn copy_layer(
    layer: &AssembledLayer,
    fetcher: &dyn BlobFetcher,
    out: &mut dyn Write,
) -> Result<(), OutputError> {
    let mut hashing = HashingWriter::new(out);
    match &layer.location {
        LayerLocation::File(path) => copy_file(path, &mut hashing)?,
        LayerLocation::Remote { registry, repository } => {
            fetcher.fetch_to(&layer.descriptor, registry, repository, &mut hashing)?;
        }
    }
    let (_, digest, size) = hashing.finish();
    if digest != layer.descriptor.digest || size != layer.descriptor.size {
        return Err(OutputError::BlobMismatch {
            expected: layer.descriptor.digest.clone(),
            expected_size: layer.descriptor.size,
            actual: digest,
            actual_size: size,
        });
    }
    Ok(())
}

fn copy_file(path: &Path, out: &mut dyn Write) -> Result<(), OutputError> {
    let io_err = |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = fs_err::File::open(path).map_err(io_err)?;
    io::copy(&mut f, out).map_err(io_err)?;
    Ok(())
}
