// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko aggregate`'s raw flags: where the per-platform records of a CI matrix are, where the
//! index goes, and the shared registry, index and logging groups.

use std::path::PathBuf;

use clap::Args;

use super::shared_flags::{CiInputFlags, IndexFlags, LogFlags, RegistryFlags, SigningFlags};

/// Flags of `kaniko aggregate`. Raw values only: [`super::settings`] validates them.
#[derive(Debug, Clone, Args, Default)]
pub struct AggregateFlags {
    #[command(flatten)]
    pub inputs: CiInputFlags,

    /// Where to publish the index, e.g. `registry.example.com/team/app:1.2.3` (repeatable). Every
    /// per-platform image must already be in each destination's repository.
    #[arg(
        short = 'd',
        long = "destination",
        value_name = "IMAGE",
        help_heading = "Outputs"
    )]
    pub destinations: Vec<String>,

    /// Write the index digest (`sha256:…`) to this file.
    #[arg(long, value_name = "PATH", help_heading = "Outputs")]
    pub digest_file: Option<PathBuf>,

    /// Write a JSON record of the published index to this file.
    #[arg(long, value_name = "PATH", help_heading = "Outputs")]
    pub metadata_file: Option<PathBuf>,

    #[command(flatten)]
    pub index: IndexFlags,

    #[command(flatten)]
    pub signing: SigningFlags,

    #[command(flatten)]
    pub registry: RegistryFlags,

    #[command(flatten)]
    pub log: LogFlags,
}
