// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The last step of a multi-platform build: per-platform images become one image index.
//!
//! [`entries`] finds the records of a CI matrix (`--digests-from`); [`verify`] checks
//! every entry against the destination registry; [`github_artifacts`] fetches the records of a
//! GitHub Actions run (`--github-artifacts`); [`assemble`] builds the OCI image index (or Docker
//! manifest list) deterministically; [`publish`] pushes it, or prints it.

pub mod assemble;
pub mod entries;
pub mod github_artifacts;
pub mod publish;
pub mod verify;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::image::{Descriptor, Digest, ManifestFormat};
use crate::platform::Platform;
use crate::registry::RegistryError;

pub use assemble::{assemble_index, BuiltIndex};
pub use entries::{collect_entries, Entry, EntrySource};

/// Why an index cannot be built or published. Nothing is pushed when one of these is returned
/// before publishing starts.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("--digests-from {pattern:?}: {reason}")]
    Source { pattern: String, reason: &'static str },
    #[error("--digests-from {pattern:?}: {source}")]
    SourceIo {
        pattern: String,
        #[source]
        source: std::io::Error,
    },
    #[error("--digests-from {pattern:?}: invalid glob: {source}")]
    SourceGlob {
        pattern: String,
        #[source]
        source: glob::PatternError,
    },
    #[error("--digests-from {pattern:?}: {source}")]
    SourceGlobEntry {
        pattern: String,
        #[source]
        source: glob::GlobError,
    },
    #[error("--github-artifacts: {0}")]
    Github(#[source] Box<github_artifacts::GithubError>),
    #[error("{path}: {reason}")]
    Entry { path: PathBuf, reason: String },
    #[error("{path}: unreadable: {source}")]
    EntryIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a kaniko metadata record: {source}")]
    EntryJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{first} and {second} both hold an image for {platform}; keep one record per platform")]
    DuplicatePlatform {
        platform: String,
        first: String,
        second: String,
    },
    #[error("no per-platform images to put in the index")]
    Empty,
    #[error("{entry}: {reason}")]
    Mismatch { entry: String, reason: String },
    #[error("the images mix media types an {kind} cannot express: {detail}")]
    MediaTypeMix { kind: &'static str, detail: String },
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("writing {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("writing the index's records: {0}")]
    Records(#[from] crate::output::OutputError),
    #[error("serializing the index: {0}")]
    Serialize(#[source] crate::image::manifest::ManifestError),
}

impl From<github_artifacts::GithubError> for IndexError {
    fn from(e: github_artifacts::GithubError) -> Self {
        Self::Github(Box::new(e))
    }
}

/// How the index is written and where it goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexSettings {
    /// Push to the destinations (else write it locally).
    pub publish: bool,
    pub annotations: BTreeMap<String, String>,
    /// Annotations of each manifest's descriptor in the index (buildx's `manifest-descriptor:`).
    pub descriptor_annotations: BTreeMap<String, String>,
    /// `Oci` for an OCI image index, `Docker` for a Docker manifest list.
    pub format: ManifestFormat,
}

/// One platform's image, as it goes into the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformImage {
    pub platform: Platform,
    /// The image manifest: media type, digest and size.
    pub manifest: Descriptor,
    /// Where the image came from, for messages (a record file, or `build linux/arm64`).
    pub origin: String,
}

impl PlatformImage {
    pub fn digest(&self) -> &Digest {
        &self.manifest.digest
    }
}
