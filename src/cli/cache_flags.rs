// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko cache`'s raw flags: a group of subcommands that look after a layer cache, for now
//! only `prune`.

use clap::{Args, Subcommand};

use super::shared_flags::{LogFlags, RegistryFlags};

/// The subcommands of `kaniko cache`.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Delete the layer-cache entries older than --cache-ttl from a cache repository or OCI
    /// layout (a dry run unless --yes is given).
    Prune(Box<PruneFlags>),
}

/// Flags of `kaniko cache prune`. Raw values only: [`super::prune_settings`] validates them.
#[derive(Debug, Clone, Args, Default)]
pub struct PruneFlags {
    /// The cache to prune, as given to `kaniko build --cache-repo`: a repository
    /// (`registry.example.com/team/app/cache`) or `oci:/path/to/layout`.
    #[arg(long, value_name = "REPO", required = true, help_heading = "Cache")]
    pub cache_repo: String,

    /// Entries created longer ago than this are pruned (e.g. `336h`, `7d`, `90m`).
    #[arg(long, value_name = "DURATION", default_value = "336h", help_heading = "Cache")]
    pub cache_ttl: String,

    /// Delete the entries; without it, only list what would be deleted.
    #[arg(short = 'y', long, help_heading = "Cache")]
    pub yes: bool,

    #[command(flatten)]
    pub registry: RegistryFlags,

    #[command(flatten)]
    pub log: LogFlags,
}
