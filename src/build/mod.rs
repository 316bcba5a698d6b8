// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Stage execution: runs the selected stages of a Dockerfile, one module per instruction family.

pub mod copy_plan;
pub mod fsview;
pub mod layers;
pub mod users;

use crate::cli::settings::BuildSettings;

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the build executor is not implemented yet")]
    NotImplemented,
}

/// Runs one single-platform build with validated settings.
pub async fn run(_settings: BuildSettings) -> Result<(), BuildError> {
    Err(BuildError::NotImplemented)
}
