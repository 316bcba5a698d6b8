// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Publishing a built index: to every destination tag, or to standard output when publishing is
//! off; then the digest file and the metadata record. Each per-platform manifest is in place before
//! this runs, so the only tag that moves is the index's, and it moves last.

use std::io::Write;
use std::path::PathBuf;

use super::assemble::BuiltIndex;
use super::record::{index_platforms, BuildRecord};
use super::IndexError;
use crate::output::digest_file::write_digest_file;
use crate::registry::{Reference, RegistryClient, DEFAULT_TAG};

/// Where the index and its records go.
#[derive(Debug, Clone, Default)]
pub struct IndexOutputs {
    pub publish: bool,
    pub digest_file: Option<PathBuf>,
    pub metadata_file: Option<PathBuf>,
}

/// Pushes (or prints) the index and writes the records.
pub async fn publish_index(
    registry: &RegistryClient,
    built: &BuiltIndex,
    destinations: &[Reference],
    outputs: &IndexOutputs,
) -> Result<(), IndexError> {
    let mut names = Vec::new();
    if outputs.publish {
        for dest in destinations {
            registry
                .put_manifest(dest, &built.bytes, &built.descriptor.media_type)
                .await?;
            let name = format!(
                "{}/{}:{}",
                dest.registry(),
                dest.repository(),
                dest.tag().unwrap_or(DEFAULT_TAG)
            );
            tracing::info!(destination = %name, digest = %built.digest(), platforms = built.index.manifests.len(), "pushed the image index");
            names.push(name);
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
    if let Some(path) = &outputs.digest_file {
        write_digest_file(path, built.digest()).map_err(|e| io_error(path, e))?;
    }
    if let Some(path) = &outputs.metadata_file {
        let image = destinations
            .first()
            .map(|d| format!("{}/{}", d.registry(), d.repository()))
            .unwrap_or_default();
        let mut record = BuildRecord::new(
            image,
            built.digest().clone(),
            built.descriptor.size,
            built.descriptor.media_type.clone(),
            names,
        );
        record.platforms = index_platforms(&built.index);
        record.write(path).map_err(|e| io_error(path, e))?;
    }
    Ok(())
}

fn io_error(path: &std::path::Path, e: crate::output::OutputError) -> IndexError {
    IndexError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}
