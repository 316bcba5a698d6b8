// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Why a build failed: one enum for every stage of a build, each variant carrying what a user needs
//! to find the cause (Dockerfile line, stage, path, image).

use std::path::{Path, PathBuf};

use super::fsview;
use crate::context::ContextError;
use crate::dockerfile::DockerfileError;
use crate::image::assembled::AssembleError;
use crate::output::OutputError;
use crate::platform::PlatformError;
use crate::registry::RegistryError;
use crate::snapshot::{LayerError, LayerReadError};
use super::workspace::WorkspaceError;

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error(transparent)]
    Dockerfile(Box<DockerfileError>),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("writing a layer: {0}")]
    Layer(#[from] LayerError),
    #[error("reading a layer: {0}")]
    LayerRead(#[from] LayerReadError),
    #[error("resolving a path in the image: {0}")]
    Path(#[from] fsview::FsViewError),
    #[error("assembling the image: {0}")]
    Assemble(#[from] AssembleError),
    #[error("writing the output: {0}")]
    Output(#[from] OutputError),
    #[error("invalid platform: {0}")]
    Platform(#[from] PlatformError),
    #[error("{at}: RUN needs an isolation mode: {reason}")]
    NoIsolation { at: String, reason: String },
    #[error("stage filesystem {root}: {message}")]
    Rootfs { root: PathBuf, message: String },
    #[error("snapshot: {0}")]
    Snapshot(String),
    #[error("{at}: {message}")]
    Unsupported { at: String, message: String },
    #[error("{at}: RUN in stage {stage}: {source}")]
    RunStart {
        at: String,
        stage: String,
        source: crate::sandbox::ProcessError,
    },
    #[error("{at}: RUN failed in stage {stage}: `{command}` returned {status}{tail}")]
    RunFailed {
        at: String,
        stage: String,
        command: String,
        status: String,
        /// The last lines of output, preformatted.
        tail: String,
    },
    #[error("{at}: {message}: {instruction}")]
    Instruction {
        at: String,
        instruction: String,
        message: String,
    },
    #[error("base image {image}: {message}")]
    BaseImage { image: String, message: String },
    #[error("ONBUILD trigger {trigger:?}: {message}")]
    Onbuild { trigger: String, message: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("internal error: {message}")]
    Internal { message: String },
    #[error("interrupted by {0}: the build was stopped and its working files were removed")]
    Interrupted(&'static str),
}

impl BuildError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl From<DockerfileError> for BuildError {
    fn from(e: DockerfileError) -> Self {
        Self::Dockerfile(Box::new(e))
    }
}

