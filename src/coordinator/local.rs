// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The local driver (`kaniko local`, `build --multi-platform --driver=local`): every platform is
//! built on this machine, one after another, each pushed by digest. A platform other than the
//! host's is accepted only when none of its RUN steps would execute under it (no emulation).

use super::{CoordinatorError, Driver};
use crate::build::native::emulated_run;
use crate::cli::settings::BuildSettings;
use crate::index::PlatformImage;
use crate::platform::Platform;
use crate::registry::RegistryClient;
use crate::sandbox::{Isolation, SandboxError};

/// Builds each platform here.
pub struct LocalDriver {
    /// The multi-platform build's settings; each platform's build is derived from them.
    settings: BuildSettings,
    isolation: Result<Isolation, SandboxError>,
    host: Platform,
}

impl LocalDriver {
    pub fn new(settings: BuildSettings, isolation: Result<Isolation, SandboxError>, host: Platform) -> Self {
        Self {
            settings,
            isolation,
            host,
        }
    }

    /// The settings of one platform's build: pushed by digest (the index moves the tags), no
    /// single-image outputs (the coordinator writes the index's), its own working directory.
    pub fn platform_settings(&self, platform: &Platform) -> BuildSettings {
        let mut s = self.settings.clone();
        s.platform = platform.clone();
        s.multi_platform = Vec::new();
        s.push_by_digest = s.push;
        s.digest_file = None;
        s.metadata_file = None;
        s.image_name_with_digest_file = None;
        s.image_name_tag_with_digest_file = None;
        s.oci_layout_path = None;
        s.tar_path = None;
        s
    }
}

impl Driver for LocalDriver {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn validate(&mut self, _registry: &RegistryClient) -> Result<(), CoordinatorError> {
        for platform in &self.settings.multi_platform {
            if self.host.matches(platform) {
                continue;
            }
            let at =
                emulated_run(&self.settings, platform, &self.host).map_err(|e| CoordinatorError::Build {
                    platform: platform.to_string(),
                    source: Box::new(e),
                })?;
            match at {
                None => {
                    tracing::info!(%platform, host = %self.host, "no RUN executes under this platform: building it natively")
                }
                Some(at) if self.settings.require_native_nodes => {
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
        let mut images = Vec::new();
        for platform in self.settings.multi_platform.clone() {
            tracing::info!(%platform, "building platform");
            let settings = self.platform_settings(&platform);
            let outcome = crate::build::run(settings, self.isolation.clone())
                .await
                .map_err(|e| CoordinatorError::Build {
                    platform: platform.to_string(),
                    source: Box::new(e),
                })?;
            images.push(PlatformImage {
                platform: outcome.image.platform.clone().normalized(),
                manifest: outcome.image.manifest_descriptor.clone(),
                origin: format!("the {platform} build"),
            });
        }
        Ok(images)
    }
}
