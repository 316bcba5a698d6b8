// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko cache prune`'s flags turned into the cache's prune request.

use std::path::PathBuf;

use super::cache_flags::PruneFlags;
use super::settings::{log_settings, registry_options, SettingsError};
use crate::cache::{CacheRepo, PruneRequest};
use crate::observe::settings::ObserveSettings;
use crate::registry::RegistryOptions;

/// What `kaniko cache prune` was asked to do, checked before any request is made.
#[derive(Debug, Clone)]
pub struct PruneInvocation {
    pub observe: ObserveSettings,
    pub request: PruneRequest,
    pub registry: RegistryOptions,
}

impl PruneInvocation {
    pub fn from_flags(flags: &PruneFlags) -> Result<Self, SettingsError> {
        // Debug files go where a build's would: $KANIKO_DIR/debug, or /kaniko/debug.
        let kaniko_dir =
            std::env::var_os("KANIKO_DIR").map_or_else(|| PathBuf::from("/kaniko"), PathBuf::from);
        let observe = log_settings(&flags.log, &kaniko_dir)?;
        let ttl = humantime::parse_duration(&flags.cache_ttl).map_err(|e| {
            SettingsError::Cache(format!(
                "invalid --cache-ttl {:?}: {e} (expected a duration such as 336h or 30m)",
                flags.cache_ttl
            ))
        })?;
        let repo = CacheRepo::parse(&flags.cache_repo)
            .map_err(|e| SettingsError::Cache(format!("invalid --cache-repo: {e}")))?;
        Ok(Self {
            observe,
            request: PruneRequest {
                repo,
                ttl_secs: ttl.as_secs(),
                delete: flags.yes,
            },
            registry: registry_options(&flags.registry)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(repo: &str, ttl: &str) -> PruneFlags {
        PruneFlags {
            cache_repo: repo.into(),
            cache_ttl: ttl.into(),
            log: crate::cli::shared_flags::LogFlags {
                verbosity: "info".into(),
                log_format: "text".into(),
                progress: "auto".into(),
                debug_level: "debug".into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn repo_and_ttl_are_validated() {
        let ok = PruneInvocation::from_flags(&flags("oci:/c/layout", "2h")).unwrap();
        assert_eq!(ok.request.repo, CacheRepo::Layout("/c/layout".into()));
        assert_eq!((ok.request.ttl_secs, ok.request.delete), (7200, false));
        let e = PruneInvocation::from_flags(&flags("r.example/app:tag", "2h")).unwrap_err();
        assert!(e.to_string().contains("--cache-repo"), "{e}");
        let e = PruneInvocation::from_flags(&flags("r.example/app/cache", "two weeks")).unwrap_err();
        assert!(e.to_string().contains("--cache-ttl"), "{e}");
    }
}
