// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Where a built image goes besides a registry: `docker save` tarballs ([`tarball`]), OCI image
//! layouts ([`layout`]) and kaniko's digest files ([`digest_file`]).
//!
//! Every output is written atomically ([`atomic_file`]) so a failed build leaves no partial
//! output. Base layers that live in a registry are fetched through [`blob_fetcher::BlobFetcher`],
//! which the registry client implements; the outputs are blocking and verify every blob's digest.

use std::path::PathBuf;

use crate::image::assembled::AssembleError;
use crate::image::manifest::ManifestError;
use crate::image::Digest;

pub mod atomic_file;
pub mod blob_fetcher;
pub mod digest_file;
pub mod layout;
pub mod publish;
pub mod push;
pub mod record;
pub mod tarball;

pub use blob_fetcher::{BlobFetcher, DirBlobFetcher, FetchError, NoRemoteBlobs};
pub use layout::{write_layout, LayoutWrite};
pub use tarball::{write_tarball, TarballImage};

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("writing {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("blob content does not match its descriptor: expected {expected} ({expected_size} bytes), got {actual} ({actual_size} bytes)")]
    BlobMismatch {
        expected: Digest,
        expected_size: u64,
        actual: Digest,
        actual_size: u64,
    },
    #[error("{path} is not an OCI image layout: {reason}")]
    NotALayout { path: PathBuf, reason: &'static str },
    #[error("serializing output metadata: {0}")]
    Json(#[source] serde_json::Error),
    #[error(transparent)]
    Manifest(ManifestError),
    #[error(transparent)]
    Assemble(AssembleError),
}
