// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The local driver (`kaniko local`, `build --multi-platform --driver=local`): every platform is
//! built on this machine, as many at once as there are cores, each pushed by digest. A platform
//! other than the host's is accepted only when none of its RUN steps would execute under it (no
//! emulation).

use std::cell::Cell;

use futures_util::StreamExt;
use tracing::Instrument;

use super::{CoordinatorError, Driver};
use crate::builder::native::NativeCheck;
use crate::builder::BuildRequest;
use crate::cancel::Cancellation;
use crate::index::PlatformImage;
use crate::platform::Platform;
use crate::registry::RegistryClient;
use crate::sandbox::{Isolation, SandboxError};

/// Builds each platform here.
pub struct LocalDriver<'a> {
    /// The build every platform runs ([`BuildRequest::for_platform`] makes each one's).
    pub build: &'a BuildRequest,
    pub platforms: &'a [Platform],
    /// Refuse a platform whose RUN steps would need emulation.
    pub require_native_nodes: bool,
    pub isolation: Result<Isolation, SandboxError>,
    pub host: Platform,
    pub cancel: &'a Cancellation,
}

impl LocalDriver<'_> {
    /// How many platforms build at once: one per core, except in container isolation, where the
    /// build's root filesystem is the container's own `/` and two builds would overwrite each other.
    pub fn concurrency(&self, platforms: usize, cores: usize) -> usize {
        if matches!(self.isolation, Ok(Isolation::Container)) {
            return 1;
        }
        cores.clamp(1, platforms.max(1))
    }

    async fn build_platform(&self, platform: &Platform) -> Result<PlatformImage, CoordinatorError> {
        tracing::info!("building platform");
        let outcome = crate::builder::run(
            self.build.for_platform(platform),
            self.isolation.clone(),
            self.cancel,
        )
        .await
        .map_err(|e| CoordinatorError::Build {
            platform: platform.to_string(),
            source: Box::new(e),
        })?;
        Ok(PlatformImage {
            platform: outcome.image.platform.clone().normalized(),
            manifest: outcome.image.manifest_descriptor.clone(),
            origin: format!("the {platform} build"),
        })
    }
}

impl Driver for LocalDriver<'_> {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn validate(&mut self, _registry: &RegistryClient) -> Result<(), CoordinatorError> {
        let foreign: Vec<&Platform> = self.platforms.iter().filter(|p| !self.host.matches(p)).collect();
        let Some(first) = foreign.first() else {
            return Ok(());
        };
        let failed = |platform: &Platform, e| CoordinatorError::Build {
            platform: platform.to_string(),
            source: Box::new(e),
        };
        let check = NativeCheck::open(self.build).map_err(|e| failed(first, e))?;
        for platform in foreign {
            let at = check
                .emulated_run(&self.build.for_platform(platform), &self.host)
                .map_err(|e| failed(platform, e))?;
            match at {
                None => {
                    tracing::info!(%platform, host = %self.host, "no RUN executes under this platform: building it natively")
                }
                Some(at) if self.require_native_nodes => {
                    return Err(CoordinatorError::NeedsEmulation {
                        platform: platform.to_string(),
                        host: self.host.to_string(),
                        at,
                    })
                }
                Some(at) => {
                    tracing::warn!(%platform, %at, "RUN under a foreign platform: relying on the host's binfmt handlers (--require-native-nodes=false)")
                }
            }
        }
        Ok(())
    }

    async fn execute(&mut self, _registry: &RegistryClient) -> Result<Vec<PlatformImage>, CoordinatorError> {
        let platforms = self.platforms;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let limit = self.concurrency(platforms.len(), cores);
        tracing::info!(platforms = platforms.len(), at_once = limit, "building platforms");
        // After a failure no further platform starts; the running ones finish (they only push by
        // digest, so nothing is published) and release their mounts and directories themselves.
        let failed = Cell::new(false);
        let this = &*self;
        let done: Vec<Option<Result<PlatformImage, CoordinatorError>>> =
            futures_util::stream::iter(platforms.iter())
                .map(|platform| {
                    let failed = &failed;
                    async move {
                        if failed.get() {
                            return None;
                        }
                        let span = tracing::info_span!("platform", platform = %platform);
                        let result = this.build_platform(platform).instrument(span).await;
                        if result.is_err() {
                            failed.set(true);
                        }
                        Some(result)
                    }
                })
                .buffer_unordered(limit)
                .collect()
                .await;
        let mut images = Vec::new();
        for result in done.into_iter().flatten() {
            images.push(result?);
        }
        Ok(images)
    }
}
