// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! What a multi-platform run is asked to do: one build for several platforms (or the records of a
//! CI matrix), the driver that produces the images, and how the index is written.

use std::time::Duration;

use crate::builder::BuildRequest;
use crate::index::IndexSettings;
use crate::output::publish::RecordFiles;
use crate::platform::Platform;
use crate::registry::{Reference, RegistryOptions};

/// `build --multi-platform`, `kaniko local`, `kaniko k8s`.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiPlatformRequest {
    /// The build every platform runs. Each platform's image is pushed by digest to its
    /// destinations; its record files are the index's.
    pub build: BuildRequest,
    /// The platforms, in the order given.
    pub platforms: Vec<Platform>,
    pub driver: DriverRequest,
    pub index: IndexSettings,
}

/// Which driver produces the per-platform images, with its own settings.
#[derive(Debug, Clone, PartialEq)]
pub enum DriverRequest {
    /// Build on this machine.
    Local {
        /// Refuse a platform whose RUN steps would need emulation.
        require_native_nodes: bool,
    },
    /// The builds already ran in a CI matrix and left records.
    Ci(MatrixInputs),
    /// One Kubernetes Job per platform.
    K8s(K8sSettings),
}

/// Where the CI driver reads the matrix's records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MatrixInputs {
    /// Directories or globs of record files (`--digests-from`).
    pub digests_from: Vec<String>,
    /// Artifact-name glob of the current GitHub Actions run (`--github-artifacts`).
    pub github_artifacts: Option<String>,
}

/// `kaniko aggregate`: the records of a CI matrix become an index.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateRequest {
    pub inputs: MatrixInputs,
    /// The repository holding the per-platform images, with the index's tag.
    pub destinations: Vec<Reference>,
    pub index: IndexSettings,
    pub records: RecordFiles,
    pub registry: RegistryOptions,
    /// Sign the published index (`--sign-images`); the legs signed their own manifests.
    pub signing: Option<crate::sign::SigningRequest>,
}

/// The Kubernetes driver's settings (`--k8s-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct K8sSettings {
    pub namespace: Option<String>,
    pub executor_image: String,
    pub service_account: Option<String>,
    pub docker_config_secret: Option<String>,
    pub timeout: Duration,
    pub poll_interval: Duration,
    pub keep_jobs: bool,
    /// How the pods log: they run the executor's command line, so this is the part of it that is
    /// not the build.
    pub pod_log: PodLog,
}

/// The console logging of the build pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodLog {
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: String,
    /// JSON records instead of text (never colour: `kubectl logs` is read as plain text).
    pub json: bool,
    pub timestamp: bool,
}

impl Default for PodLog {
    fn default() -> Self {
        Self {
            level: "info".into(),
            json: false,
            timestamp: false,
        }
    }
}
