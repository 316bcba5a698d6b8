// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko warmer`'s raw flags (kaniko's warmer names and defaults): which base images to pull
//! into the cache directory, and the shared registry and logging groups.

use std::path::PathBuf;

use clap::Args;

use super::shared_flags::{LogFlags, RegistryFlags};

/// Flags of `kaniko warmer`. Raw values only: [`super::warmer_settings`] validates them.
#[derive(Debug, Clone, Args, Default)]
pub struct WarmerFlags {
    /// Directory to warm: an OCI image layout that `kaniko build --cache-dir` reads base images from.
    #[arg(long, default_value = crate::cache::options::DEFAULT_CACHE_DIR, value_name = "DIR", help_heading = "Common")]
    pub cache_dir: PathBuf,

    /// Base image to pull into the cache directory, as FROM lines name it (repeatable).
    #[arg(short = 'i', long = "image", value_name = "IMAGE", help_heading = "Common")]
    pub images: Vec<String>,

    /// Also pull the base image of every FROM of this Dockerfile (stages and `scratch` skipped).
    #[arg(short = 'd', long, value_name = "PATH", help_heading = "Common")]
    pub dockerfile: Option<PathBuf>,

    /// Value of a global ARG used in the Dockerfile's FROM lines, `KEY=VALUE`, or `KEY` to take the
    /// value from the environment (repeatable).
    #[arg(long = "build-arg", value_name = "KEY[=VALUE]", help_heading = "Common")]
    pub build_args: Vec<String>,

    /// An image warmed less than this ago is not pulled again (Go-style duration: `336h`, `30m`).
    #[arg(
        long,
        default_value = "336h",
        value_name = "DURATION",
        help_heading = "Common"
    )]
    pub cache_ttl: String,

    /// Pull every image even if it was warmed less than --cache-ttl ago.
    #[arg(short = 'f', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Common")]
    pub force: bool,

    /// Pull images for this platform (`os/arch[/variant]`) instead of the host's.
    #[arg(
        long,
        alias = "customPlatform",
        value_name = "PLATFORM",
        help_heading = "Common"
    )]
    pub custom_platform: Option<String>,

    #[command(flatten)]
    pub registry: RegistryFlags,

    #[command(flatten)]
    pub log: LogFlags,
}
