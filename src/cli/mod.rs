// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The command line: clap structures holding raw arguments only, kaniko-compatible argument
//! rewriting, and the step that turns raw flags into validated settings before any work starts.

pub mod aggregate_flags;
pub mod aggregate_settings;
pub mod argv;
pub mod build_flags;
pub mod cache_flags;
pub mod docs;
pub mod kaniko_compat;
pub mod prune_settings;
pub mod settings;
pub mod shared_flags;
pub mod sign_flags;
pub mod sign_settings;
pub mod warmer_flags;
pub mod warmer_settings;

use clap::{Parser, Subcommand};

pub use aggregate_flags::AggregateFlags;
pub use build_flags::BuildFlags;
pub use cache_flags::{CacheCommand, PruneFlags};
pub use sign_flags::{GenerateKeyPairFlags, VerifyFlags};
pub use warmer_flags::WarmerFlags;

/// `kaniko`: daemonless, unprivileged container image builder.
#[derive(Debug, Parser)]
#[command(
    name = "kaniko",
    // `--version` and `-V` both print `kaniko <version>` (clap puts the name in front); the commit
    // and target are `kaniko version`'s.
    version = crate::version::VERSION,
    about = "Daemonless, unprivileged container image builder (a drop-in successor to kaniko's executor)",
    long_about = "Daemonless, unprivileged container image builder (a drop-in successor to kaniko's executor).\n\n\
Invoked with kaniko's executor flags and no subcommand (or as a binary named `executor`), it behaves as \
`kaniko build`, so `/kaniko/executor --context ... --destination ...` keeps working."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a Dockerfile for one platform and push it, or write a tarball or OCI layout.
    // A flag given twice takes its last value, as kaniko's (pflag) do: CI templates often add a
    // flag that a user's variable repeats.
    #[command(args_override_self = true)]
    Build(Box<BuildFlags>),
    /// Collect the per-platform records of a CI matrix and publish an image index.
    Aggregate(Box<AggregateFlags>),
    /// Build several platforms on this machine (the host's, and cross-builds that need no
    /// emulation) and publish an image index; `build --multi-platform` with the local driver.
    #[command(args_override_self = true)]
    Local(Box<BuildFlags>),
    /// Build each platform in a Kubernetes Job pinned to a node of its architecture and publish an
    /// image index; `build --multi-platform` with the k8s driver.
    #[command(args_override_self = true)]
    K8s(Box<BuildFlags>),
    /// Look after a layer cache (`kaniko cache prune`).
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Pull base images into the cache directory (an OCI layout) that builds with --cache-dir
    /// start from without a registry round trip; kaniko's warmer.
    Warmer(Box<WarmerFlags>),
    /// Write a cosign key pair: `cosign.key` (encrypted with the password from COSIGN_PASSWORD,
    /// --cosign-key-password-file or --cosign-key-password) and `cosign.pub`.
    GenerateKeyPair(Box<GenerateKeyPairFlags>),
    /// Check an image's cosign signatures with a public key (for an index: the index and each
    /// platform's manifest); exits non-zero naming each missing or bad signature.
    Verify(Box<VerifyFlags>),
    /// Print the version, git commit and target triple.
    Version,
}

impl Cli {
    /// Parses the process arguments, applying kaniko's executor compatibility rewriting first.
    pub fn parse_from_env() -> Self {
        Self::parse_from(argv::rewrite(std::env::args_os().collect()))
    }
}
