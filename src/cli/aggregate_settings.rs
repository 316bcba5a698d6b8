// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Validated settings of `kaniko aggregate`.

use std::path::PathBuf;

use super::settings::{log_settings, registry_options, SettingsError};
use super::AggregateFlags;
use crate::index::IndexSettings;
use crate::observe::settings::ObserveSettings;
use crate::registry::RegistryOptions;

/// What `kaniko aggregate` needs, checked before any request is made.
#[derive(Debug, Clone)]
pub struct AggregateSettings {
    pub digests_from: Vec<String>,
    pub github_artifacts: Option<String>,
    pub destinations: Vec<String>,
    pub digest_file: Option<PathBuf>,
    pub metadata_file: Option<PathBuf>,
    pub index: IndexSettings,
    pub registry: RegistryOptions,
    pub log: ObserveSettings,
}

impl AggregateSettings {
    pub fn from_flags(flags: &AggregateFlags) -> Result<Self, SettingsError> {
        // Debug files go where a build's would: $KANIKO_DIR/debug, or /kaniko/debug.
        let kaniko_dir =
            std::env::var_os("KANIKO_DIR").map_or_else(|| PathBuf::from("/kaniko"), PathBuf::from);
        let log = log_settings(&flags.log, &kaniko_dir)?;
        if flags.inputs.is_empty() {
            return Err(SettingsError::Conflict(
                "kaniko aggregate needs --digests-from DIR|GLOB or --github-artifacts PATTERN (the per-platform records of the matrix)"
                    .into(),
            ));
        }
        if flags.destinations.is_empty() {
            return Err(SettingsError::Conflict(
                "kaniko aggregate needs --destination: the repository holding the per-platform images, with the tag for the index".into(),
            ));
        }
        Ok(Self {
            digests_from: flags.inputs.digests_from.clone(),
            github_artifacts: flags.inputs.github_artifacts.clone(),
            destinations: flags.destinations.clone(),
            digest_file: flags.digest_file.clone(),
            metadata_file: flags.metadata_file.clone(),
            index: IndexSettings::from_flags(&flags.index)?,
            registry: registry_options(&flags.registry)?,
            log,
        })
    }
}
