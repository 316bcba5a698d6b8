// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko warmer`'s flags turned into the cache's warm request.

use std::path::PathBuf;

use super::settings::{log_settings, parse_build_args, registry_options, SettingsError};
use super::warmer_flags::WarmerFlags;
use crate::cache::warmer::WarmRequest;
use crate::observe::settings::ObserveSettings;
use crate::platform::Platform;
use crate::registry::RegistryOptions;

/// What `kaniko warmer` was asked to do, checked before any request is made.
#[derive(Debug, Clone)]
pub struct WarmerInvocation {
    pub observe: ObserveSettings,
    pub registry: RegistryOptions,
    pub request: WarmRequest,
}

impl WarmerInvocation {
    /// Validates `flags`, reading `--build-arg KEY` values through `env` (injectable for tests).
    pub fn from_flags(
        flags: &WarmerFlags,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        // Debug files go where a build's would: $KANIKO_DIR/debug, or /kaniko/debug.
        let kaniko_dir =
            std::env::var_os("KANIKO_DIR").map_or_else(|| PathBuf::from("/kaniko"), PathBuf::from);
        let observe = log_settings(&flags.log, &kaniko_dir)?;
        if flags.images.is_empty() && flags.dockerfile.is_none() {
            return Err(SettingsError::Conflict(
                "kaniko warmer needs --image IMAGE (repeatable) or --dockerfile PATH: the base images to pull".into(),
            ));
        }
        let ttl = humantime::parse_duration(&flags.cache_ttl).map_err(|e| {
            SettingsError::Cache(format!(
                "invalid --cache-ttl {:?}: {e} (expected a duration such as 336h or 30m)",
                flags.cache_ttl
            ))
        })?;
        let platform = match &flags.custom_platform {
            Some(p) => p.parse()?,
            None => Platform::host(),
        };
        Ok(Self {
            observe,
            registry: registry_options(&flags.registry)?,
            request: WarmRequest {
                cache_dir: flags.cache_dir.clone(),
                images: flags.images.clone(),
                dockerfile: flags.dockerfile.clone(),
                build_args: parse_build_args(&flags.build_args, env)?,
                platform,
                ttl_secs: ttl.as_secs(),
                force: flags.force,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn invocation(args: &[&str]) -> Result<WarmerInvocation, SettingsError> {
        let cli = Cli::try_parse_from(["kaniko", "warmer"].iter().chain(args)).unwrap();
        let Command::Warmer(flags) = cli.command else {
            panic!("not the warmer");
        };
        WarmerInvocation::from_flags(&flags, &|k| (k == "FROM_ENV").then(|| "e".to_string()))
    }

    #[test]
    fn defaults_are_kanikos() {
        let w = invocation(&["-i", "r.example/base:1"]).unwrap().request;
        assert_eq!(w.cache_dir, PathBuf::from("/cache"));
        assert_eq!(w.ttl_secs, 336 * 3600);
        assert_eq!(w.platform, Platform::host());
        assert!(!w.force);
    }

    #[test]
    fn flags_and_aliases() {
        let w = invocation(&[
            "--cache-dir=/c",
            "--image=a",
            "-i",
            "b",
            "-d",
            "Dockerfile",
            "--build-arg=X=1",
            "--build-arg",
            "FROM_ENV",
            "--cache-ttl=1s",
            "-f",
            "--customPlatform=linux/arm64",
        ])
        .unwrap()
        .request;
        assert_eq!(w.cache_dir, PathBuf::from("/c"));
        assert_eq!(w.images, ["a", "b"]);
        assert_eq!(w.dockerfile, Some(PathBuf::from("Dockerfile")));
        assert_eq!(w.build_args.get("X").map(String::as_str), Some("1"));
        assert_eq!(w.build_args.get("FROM_ENV").map(String::as_str), Some("e"));
        assert_eq!(w.ttl_secs, 1);
        assert!(w.force);
        assert_eq!(w.platform, "linux/arm64".parse().unwrap());
    }

    #[test]
    fn refuses_nothing_to_warm_and_bad_values() {
        assert!(invocation(&[]).unwrap_err().to_string().contains("--image"));
        assert!(invocation(&["-i", "a", "--cache-ttl=soon"]).is_err());
        assert!(invocation(&["-i", "a", "--custom-platform=nope"]).is_err());
    }
}
