// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Validated settings of `kaniko generate-key-pair` and `kaniko verify`.

use std::path::PathBuf;

use super::settings::{log_settings, registry_options, SettingsError};
use super::sign_flags::{GenerateKeyPairFlags, VerifyFlags};
use crate::observe::settings::ObserveSettings;
use crate::registry::{Reference, RegistryOptions};
use crate::sign::{KeyPairFiles, PasswordSource};

/// What `kaniko generate-key-pair` was asked to do.
#[derive(Debug, Clone)]
pub struct GenerateKeyPairInvocation {
    pub observe: ObserveSettings,
    pub files: KeyPairFiles,
    pub password: PasswordSource,
}

impl GenerateKeyPairInvocation {
    pub fn from_flags(flags: &GenerateKeyPairFlags) -> Result<Self, SettingsError> {
        Ok(Self {
            observe: log_settings(&flags.log, &kaniko_dir())?,
            files: KeyPairFiles::with_prefix(&flags.output_key_prefix),
            password: flags.password.source(),
        })
    }
}

/// What `kaniko verify` was asked to do.
#[derive(Debug, Clone)]
pub struct VerifyInvocation {
    pub observe: ObserveSettings,
    pub image: Reference,
    pub key: PathBuf,
    pub registry: RegistryOptions,
    /// Check the provenance attestations too.
    pub provenance: bool,
}

impl VerifyInvocation {
    pub fn from_flags(flags: &VerifyFlags) -> Result<Self, SettingsError> {
        Ok(Self {
            observe: log_settings(&flags.log, &kaniko_dir())?,
            image: Reference::parse(&flags.image)?,
            key: flags.key.clone(),
            provenance: flags.provenance,
            registry: registry_options(&flags.registry)?,
        })
    }
}

/// Where debug files go, as for a build: $KANIKO_DIR/debug, or /kaniko/debug.
fn kaniko_dir() -> PathBuf {
    std::env::var_os("KANIKO_DIR").map_or_else(|| PathBuf::from("/kaniko"), PathBuf::from)
}
