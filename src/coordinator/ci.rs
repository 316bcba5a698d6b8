// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The CI driver (`kaniko aggregate`, `build --driver=ci`): the builds already ran, one per runner of
//! a CI matrix, and left records; this driver reads them (from directories, globs, or the artifacts
//! of the current GitHub Actions run) and checks each image in the registry.

use super::{CoordinatorError, Driver, MatrixInputs};
use crate::index::entries::{collect_entries, Entry};
use crate::index::github_artifacts::{download_artifacts, GithubError, GithubRun};
use crate::index::verify::verify_entries;
use crate::index::{IndexError, PlatformImage};
use crate::registry::{Reference, RegistryClient};

/// Reads the matrix's records and verifies them in every destination repository.
pub struct CiDriver {
    inputs: MatrixInputs,
    destinations: Vec<Reference>,
    entries: Vec<Entry>,
    /// Where downloaded artifacts are unpacked; removed by [`Driver::cleanup`] (or on drop).
    downloads: Option<tempfile::TempDir>,
}

impl CiDriver {
    pub fn new(inputs: MatrixInputs, destinations: Vec<Reference>) -> Self {
        Self {
            inputs,
            destinations,
            entries: Vec::new(),
            downloads: None,
        }
    }

    async fn fetch_github_artifacts(&mut self, pattern: &str) -> Result<Vec<String>, GithubError> {
        let run = GithubRun::from_env()?;
        let dir = tempfile::Builder::new()
            .prefix("kaniko-artifacts-")
            .tempdir()
            .map_err(GithubError::Scratch)?;
        let dirs = download_artifacts(&run, pattern, dir.path()).await?;
        self.downloads = Some(dir);
        Ok(dirs.iter().map(|d| d.display().to_string()).collect())
    }
}

impl Driver for CiDriver {
    fn name(&self) -> &'static str {
        "ci"
    }

    async fn validate(&mut self, _registry: &RegistryClient) -> Result<(), CoordinatorError> {
        let mut patterns = self.inputs.digests_from.clone();
        if let Some(pattern) = self.inputs.github_artifacts.clone() {
            patterns.extend(
                self.fetch_github_artifacts(&pattern)
                    .await
                    .map_err(IndexError::from)?,
            );
        }
        self.entries = collect_entries(&patterns)?;
        for e in &self.entries {
            tracing::info!(record = %e.source, digest = %e.digest, platform = e.platform.as_ref().map(|p| p.to_string()), "matrix entry");
        }
        Ok(())
    }

    async fn execute(&mut self, registry: &RegistryClient) -> Result<Vec<PlatformImage>, CoordinatorError> {
        Ok(verify_entries(registry, &self.destinations, &self.entries).await?)
    }

    async fn cleanup(&mut self) {
        self.downloads = None;
    }
}
