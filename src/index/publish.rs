// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Publishing a built index: to every destination tag, or to standard output when publishing is
//! off; then the digest file and the metadata record. Each per-platform manifest is in place before
//! this runs, so the only tag that moves is the index's, and it moves last.

use std::io::Write;
use std::path::PathBuf;

use super::assemble::BuiltIndex;
use super::IndexError;
use crate::output::publish::{write_records, Publication, RecordFiles, Subject};
use crate::output::record::index_platforms;
use crate::registry::{Reference, RegistryClient};

/// Where the index and its records go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexOutputs {
    /// Push to the destinations; otherwise print the index on standard output.
    pub publish: bool,
    pub records: RecordFiles,
}

/// Pushes (or prints) the index and writes the records.
pub async fn publish_index(
    registry: &RegistryClient,
    built: &BuiltIndex,
    destinations: &[Reference],
    outputs: &IndexOutputs,
) -> Result<(), IndexError> {
    if outputs.publish {
        for dest in destinations {
            registry
                .put_manifest(dest, &built.bytes, &built.descriptor.media_type)
                .await?;
            tracing::info!(destination = %dest.repo_tag(), digest = %built.digest(), platforms = built.index.manifests.len(), "pushed the image index");
        }
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(&built.bytes)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(|source| IndexError::Io {
                path: PathBuf::from("standard output"),
                source,
            })?;
    }
    let published = Publication {
        descriptor: &built.descriptor,
        destinations,
        by_digest: false,
        in_destinations: outputs.publish,
        subject: Subject::Index {
            platforms: index_platforms(&built.index),
        },
    };
    write_records(&outputs.records, &published)?;
    Ok(())
}
