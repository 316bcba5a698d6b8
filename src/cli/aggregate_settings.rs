// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko aggregate`'s flags turned into the coordinator's request.

use std::path::PathBuf;

use super::settings::{index_settings, log_settings, registry_options, SettingsError};
use super::AggregateFlags;
use crate::coordinator::{AggregateRequest, MatrixInputs};
use crate::observe::settings::ObserveSettings;
use crate::output::publish::RecordFiles;
use crate::registry::Reference;

/// What `kaniko aggregate` was asked to do, checked before any request is made.
#[derive(Debug, Clone)]
pub struct AggregateInvocation {
    pub observe: ObserveSettings,
    pub request: AggregateRequest,
}

impl AggregateInvocation {
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
            observe: log,
            request: AggregateRequest {
                inputs: MatrixInputs {
                    digests_from: flags.inputs.digests_from.clone(),
                    github_artifacts: flags.inputs.github_artifacts.clone(),
                },
                destinations: flags
                    .destinations
                    .iter()
                    .map(|d| Reference::parse(d))
                    .collect::<Result<_, _>>()?,
                index: index_settings(&flags.index)?,
                records: RecordFiles {
                    digest_file: flags.digest_file.clone(),
                    metadata_file: flags.metadata_file.clone(),
                    ..RecordFiles::default()
                },
                registry: registry_options(&flags.registry)?,
                signing: flags.signing.request().map_err(SettingsError::Conflict)?,
            },
        })
    }
}
