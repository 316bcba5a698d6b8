// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The CI driver (`kaniko aggregate`, `build --driver=ci`): the builds already ran, one per runner of
//! a CI matrix, and left records; this driver reads them and checks each image in the registry.

use super::{CoordinatorError, Driver};
use crate::index::entries::{collect_entries, Entry};
use crate::index::verify::verify_entries;
use crate::index::PlatformImage;
use crate::registry::{Reference, RegistryClient};

/// Reads `--digests-from` records and verifies them in every destination repository.
pub struct CiDriver {
    patterns: Vec<String>,
    destinations: Vec<Reference>,
    entries: Vec<Entry>,
}

impl CiDriver {
    pub fn new(patterns: Vec<String>, destinations: Vec<Reference>) -> Self {
        Self {
            patterns,
            destinations,
            entries: Vec::new(),
        }
    }
}

impl Driver for CiDriver {
    fn name(&self) -> &'static str {
        "ci"
    }

    async fn validate(&mut self, _registry: &RegistryClient) -> Result<(), CoordinatorError> {
        self.entries = collect_entries(&self.patterns)?;
        for e in &self.entries {
            tracing::info!(record = %e.source, digest = %e.digest, platform = e.platform.as_ref().map(|p| p.to_string()), "matrix entry");
        }
        Ok(())
    }

    async fn execute(&mut self, registry: &RegistryClient) -> Result<Vec<PlatformImage>, CoordinatorError> {
        Ok(verify_entries(registry, &self.destinations, &self.entries).await?)
    }
}
