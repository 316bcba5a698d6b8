// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The error type of the build context: every variant names the path, pattern or scheme the user has
//! to look at, because "file not found" without a name is useless in a build log.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while opening a build context or reading sources from it.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// A context scheme kaniko knows but kaniko-rs does not implement (gs://, s3://, git://, ...).
    #[error("unsupported build context {spec:?}: {what} contexts are not supported; use dir://, a plain path, tar://PATH or tar://stdin")]
    Unsupported { spec: String, what: String },

    /// A feature that exists in kaniko but is not implemented here (e.g. a Dockerfile URL).
    #[error("{what} is not supported")]
    NotImplemented { what: String },

    /// A path that should exist does not.
    #[error("{what} {path} does not exist")]
    NotFound { what: &'static str, path: PathBuf },

    /// A context directory or sub-path that is not a directory.
    #[error("{what} {path} is not a directory")]
    NotADirectory { what: &'static str, path: PathBuf },

    /// A path that would leave the build context (`..`, or a symlink pointing out of it).
    #[error("forbidden path outside the build context: {path}")]
    OutsideContext { path: String },

    /// A tarball entry that would be written outside the extraction root or through a symlink.
    #[error("unsafe entry {entry:?} in build context tarball {archive}: {reason}")]
    UnsafeArchiveEntry {
        archive: String,
        entry: String,
        reason: &'static str,
    },

    /// A tarball that cannot be read.
    #[error("reading build context tarball {archive}: {cause}")]
    Archive {
        archive: String,
        #[source]
        cause: io::Error,
    },

    /// A COPY/ADD source that does not exist in the context.
    #[error("{path}: not found in the build context")]
    SourceNotFound { path: String },

    /// A COPY/ADD source that exists but is excluded by the ignore file.
    #[error("{path}: not found in the build context (excluded by {ignore_file})")]
    SourceIgnored { path: String, ignore_file: String },

    /// A malformed .dockerignore, --exclude or wildcard pattern.
    #[error("invalid pattern {pattern:?} in {origin}: {reason}")]
    BadPattern {
        pattern: String,
        origin: String,
        reason: &'static str,
    },

    /// The Dockerfile was not found in either place kaniko looks.
    #[error("Dockerfile {given:?} not found: tried {tried_cwd} and {tried_context}; please provide a valid path to a Dockerfile within the build context with --dockerfile")]
    DockerfileNotFound {
        given: String,
        tried_cwd: PathBuf,
        tried_context: PathBuf,
    },

    /// `--dockerfile -` together with `--context tar://stdin`: stdin can only be read once.
    #[error("cannot read the Dockerfile from stdin (--dockerfile -) when the build context is also read from stdin (tar://stdin)")]
    StdinConflict,

    /// A Dockerfile that is not UTF-8 text.
    #[error("Dockerfile {name} is not valid UTF-8 text")]
    DockerfileNotUtf8 { name: String },

    /// Any other I/O failure; `action` says what was being done (fs_err errors already name the path).
    #[error("{action}: {cause}")]
    Io {
        action: String,
        #[source]
        cause: io::Error,
    },
}

impl ContextError {
    /// Wraps an I/O error with a description of what was being attempted.
    pub(crate) fn io(action: impl Into<String>, cause: io::Error) -> Self {
        Self::Io {
            action: action.into(),
            cause,
        }
    }
}
