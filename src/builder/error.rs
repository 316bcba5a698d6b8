// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Why a build failed: one enum for every stage of a build, each variant carrying what a user needs
//! to find the cause (Dockerfile line, stage, path, image).

use std::path::{Path, PathBuf};

use super::context_image::ContextImageError;
use super::copy_plan::CopyPlanError;
use super::fsview;
use super::remote_file::DownloadError;
use super::rootfs::RootfsError;
use super::workspace::WorkspaceError;
use crate::context::ContextError;
use crate::dockerfile::DockerfileError;
use crate::image::assembled::AssembleError;
use crate::image::config::ConfigError;
use crate::image::manifest::ManifestError;
use crate::output::OutputError;
use crate::platform::PlatformError;
use crate::registry::RegistryError;
use crate::snapshot::recompress::RecompressError;
use crate::snapshot::{LayerError, LayerReadError, SnapshotError};

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(
        "cache entry layer {digest} is corrupt: its content has diff ID {actual}, the entry says {expected}"
    )]
    CorruptCacheEntry {
        digest: crate::image::Digest,
        expected: crate::image::Digest,
        actual: crate::image::Digest,
    },
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error(transparent)]
    Dockerfile(Box<DockerfileError>),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Sign(#[from] crate::sign::SignError),
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
    #[error("{at}: RUN needs an isolation mode: {source}")]
    NoIsolation {
        at: String,
        #[source]
        source: crate::sandbox::SandboxError,
    },
    #[error("stage filesystem {root}: {source}")]
    Rootfs { root: PathBuf, source: RootfsError },
    #[error("snapshot: {0}")]
    Snapshot(#[from] SnapshotError),
    #[error("--force-compression: {0}")]
    Recompress(#[from] RecompressError),
    #[error("build context {spec:?}: {source}")]
    ContextImage { spec: String, source: ContextImageError },
    #[error("{at}: {message}")]
    Unsupported { at: String, message: String },
    #[error("{at}: RUN in stage {stage}: {source}")]
    RunStart {
        at: String,
        stage: String,
        source: crate::sandbox::ProcessError,
    },
    #[error("{at}: RUN failed in stage {stage}: `{command}` returned {status}{detail}")]
    RunFailed {
        at: String,
        stage: String,
        command: String,
        status: String,
        /// What a shell would report: the exit code, or 128 + the signal; the build's exit code.
        exit_status: u8,
        /// Why it may have failed and the last lines of output, preformatted (`; …`), or empty.
        detail: String,
    },
    #[error("{at}: {message}: {instruction}")]
    Instruction {
        at: String,
        instruction: String,
        message: String,
    },
    #[error("{at}: {source}: {instruction}")]
    InstructionFailed {
        at: String,
        instruction: String,
        /// Boxed: the causes are larger than every other variant.
        source: Box<InstructionError>,
    },
    #[error("base image {image}: {source}")]
    BaseImage { image: String, source: BaseImageError },
    #[error("ONBUILD trigger {trigger:?}: {source}")]
    Onbuild {
        trigger: String,
        source: Box<DockerfileError>,
    },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("internal error: {message}")]
    Internal { message: String },
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    Ssh(#[from] crate::ssh::SshError),
    /// The task running the build panicked or was cancelled.
    #[error("the build task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("interrupted by {0}: the build was stopped and its working files were removed")]
    Interrupted(&'static str),
}

impl BuildError {
    /// The exit status of the RUN command that failed the build, if one did: kaniko's contract is
    /// that the build exits with it.
    pub fn run_exit_status(&self) -> Option<u8> {
        match self {
            Self::RunFailed { exit_status, .. } => Some(*exit_status),
            _ => None,
        }
    }
}

/// Why an instruction failed, when the cause is another module's error (the [`BuildError`] names
/// the instruction and its place in the Dockerfile).
#[derive(Debug, thiserror::Error)]
pub enum InstructionError {
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error(transparent)]
    Download(#[from] DownloadError),
    #[error(transparent)]
    Plan(#[from] CopyPlanError),
}

/// Why a base image's manifest or config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaseImageError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Assemble(#[from] AssembleError),
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

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;
    use crate::observe::error_chain::error_chain;
    use crate::snapshot::UnpackError;

    /// The first cause of type `T` in `e`'s source chain.
    fn cause<T: std::error::Error + 'static>(e: &dyn std::error::Error) -> Option<&T> {
        std::iter::successors(e.source(), |s| s.source()).find_map(|s| s.downcast_ref::<T>())
    }

    #[test]
    fn stage_filesystem_error_names_root_layer_and_entry_once() {
        let e = BuildError::Rootfs {
            root: "/ws/rootfs".into(),
            source: RootfsError::Unpack {
                layer: "/ws/blobs/abc".into(),
                source: UnpackError::Read(LayerReadError::Entry {
                    path: "/ws/blobs/abc".into(),
                    entry: "etc/passwd".into(),
                    source: io::Error::other("unexpected end of file"),
                }),
            },
        };
        assert_eq!(
            error_chain(&e),
            "stage filesystem /ws/rootfs: unpacking /ws/blobs/abc: reading entry \"etc/passwd\" of layer \
             /ws/blobs/abc: unexpected end of file"
        );
        assert_eq!(
            cause::<io::Error>(&e).map(ToString::to_string).as_deref(),
            Some("unexpected end of file")
        );
    }

    #[test]
    fn snapshot_error_keeps_its_cause_as_a_value() {
        let e = BuildError::from(SnapshotError::Hash {
            path: "/ws/rootfs/big.bin".into(),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
        });
        assert_eq!(
            error_chain(&e),
            "snapshot: hashing /ws/rootfs/big.bin: permission denied"
        );
        assert!(matches!(
            cause::<SnapshotError>(&e),
            Some(SnapshotError::Hash { .. })
        ));
        assert_eq!(
            cause::<io::Error>(&e).map(io::Error::kind),
            Some(io::ErrorKind::PermissionDenied)
        );
    }

    #[test]
    fn base_image_error_names_the_image_and_keeps_the_parse_error() {
        let source = crate::image::ImageConfig::parse(b"{not json").unwrap_err();
        let e = BuildError::BaseImage {
            image: "busybox:1.36".into(),
            source: source.into(),
        };
        let line = error_chain(&e);
        assert!(
            line.starts_with(
                "base image busybox:1.36: image config is not valid JSON of the expected shape: "
            ),
            "{line}"
        );
        assert_eq!(line.matches("not valid JSON").count(), 1, "{line}");
        assert!(cause::<serde_json::Error>(&e).is_some());
    }
}
