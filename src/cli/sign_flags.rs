// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Raw flags of `kaniko generate-key-pair` and `kaniko verify`, with cosign's names where cosign
//! has the same flag (`--output-key-prefix`, `--key`).

use std::path::PathBuf;

use clap::Args;

use super::shared_flags::{KeyPasswordFlags, LogFlags, RegistryFlags};

/// Flags of `kaniko generate-key-pair`.
#[derive(Debug, Clone, Args, Default)]
pub struct GenerateKeyPairFlags {
    /// Write `<PREFIX>.key` (the private key, encrypted with the password) and `<PREFIX>.pub`.
    /// Existing files are never overwritten.
    #[arg(long, default_value = "cosign", value_name = "PREFIX", help_heading = "Keys")]
    pub output_key_prefix: PathBuf,

    #[command(flatten)]
    pub password: KeyPasswordFlags,

    #[command(flatten)]
    pub log: LogFlags,
}

/// Flags of `kaniko verify`.
#[derive(Debug, Clone, Args, Default)]
pub struct VerifyFlags {
    /// The image to check: `registry/repository:tag` or `registry/repository@sha256:…`.
    #[arg(value_name = "IMAGE[@DIGEST]")]
    pub image: String,

    /// The public key (`cosign.pub`) the signatures must verify with.
    #[arg(long, value_name = "PATH", help_heading = "Keys")]
    pub key: PathBuf,

    /// Also require each image manifest's build provenance (`--provenance`), signed by the key and
    /// naming its digest.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Keys")]
    pub provenance: bool,

    #[command(flatten)]
    pub registry: RegistryFlags,

    #[command(flatten)]
    pub log: LogFlags,
}
