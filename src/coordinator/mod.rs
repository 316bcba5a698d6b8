// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The multi-platform coordinator: a [`Driver`] produces one image per platform, then the
//! coordinator assembles the image index and publishes it. The same coordinator serves
//! `build --multi-platform --driver=…`, `kaniko local`, `kaniko k8s` and `kaniko aggregate`.
//!
//! Order of work, so that a failure loses nothing: the driver validates everything it can before
//! any build starts; the per-platform images are pushed by digest only; the index is assembled and
//! checked; only then is it pushed to the destination tags.

pub mod ci;
pub mod k8s;
pub mod local;
pub mod request;

use std::str::FromStr;

use crate::builder::BuildError;
use crate::cancel::Cancellation;
use crate::index::publish::{publish_index, IndexOutputs};
use crate::index::{assemble_index, BuiltIndex, IndexError, IndexSettings, PlatformImage};
use crate::registry::{Reference, RegistryClient, RegistryError};
use crate::sandbox::{Isolation, SandboxError};
use crate::sign::provenance::sign_attached;
use crate::sign::{sign_pushed, SignError, SigningKey, SigningRequest};

pub use ci::CiDriver;
pub use k8s::K8sDriver;
pub use local::LocalDriver;
pub use request::{AggregateRequest, DriverRequest, K8sSettings, MatrixInputs, MultiPlatformRequest, PodLog};

/// Which driver runs the per-platform builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DriverKind {
    #[default]
    Local,
    K8s,
    Ci,
}

impl FromStr for DriverKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "local" => Ok(Self::Local),
            "k8s" | "kubernetes" => Ok(Self::K8s),
            "ci" => Ok(Self::Ci),
            _ => Err(s.to_string()),
        }
    }
}

/// Why a multi-platform run failed.
#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    #[error(
        "building {platform} on this {host} machine would run {at} under emulation; build it on a \
         {platform} machine (a CI matrix with `kaniko aggregate`), make the stage cross-compile with \
         `FROM --platform=$BUILDPLATFORM`, or pass --require-native-nodes=false to try anyway (only \
         works where binfmt handlers are registered)"
    )]
    NeedsEmulation {
        platform: String,
        host: String,
        at: String,
    },
    #[error("kubernetes driver: {0}")]
    Kubernetes(#[source] Box<k8s::K8sError>),
    #[error("interrupted by {0}")]
    Interrupted(&'static str),
    #[error("building {platform}: {source}")]
    Build {
        platform: String,
        #[source]
        source: Box<BuildError>,
    },
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Sign(#[from] SignError),
}

impl From<k8s::K8sError> for CoordinatorError {
    fn from(e: k8s::K8sError) -> Self {
        Self::Kubernetes(Box::new(e))
    }
}

impl CoordinatorError {
    /// The signal that stopped the run, if one did (for the exit code).
    pub fn interrupted_by(&self) -> Option<&'static str> {
        match self {
            Self::Interrupted(signal) => Some(signal),
            Self::Build { source, .. } => match **source {
                BuildError::Interrupted(signal) => Some(signal),
                _ => None,
            },
            _ => None,
        }
    }

    /// The exit status of the RUN command that failed a platform's build, if one did.
    pub fn run_exit_status(&self) -> Option<u8> {
        match self {
            Self::Build { source, .. } => source.run_exit_status(),
            _ => None,
        }
    }
}

/// Produces the per-platform images of one multi-platform run.
// The drivers are used through generics inside this crate only, so the futures' auto traits are
// known at every call site.
#[allow(async_fn_in_trait)]
pub trait Driver {
    /// For logs.
    fn name(&self) -> &'static str;

    /// Checks, before any work, that every platform can be produced (platforms, inputs, natives).
    async fn validate(&mut self, registry: &RegistryClient) -> Result<(), CoordinatorError>;

    /// Produces (or finds) one image per platform, each already in every destination repository.
    async fn execute(&mut self, registry: &RegistryClient) -> Result<Vec<PlatformImage>, CoordinatorError>;

    /// Releases whatever the driver holds (called on success and failure).
    async fn cleanup(&mut self) {}
}

/// Where the index goes.
#[derive(Debug, Clone)]
pub struct IndexTarget {
    pub destinations: Vec<Reference>,
    pub settings: IndexSettings,
    pub outputs: IndexOutputs,
    /// Sign what is published (`--sign-images`).
    pub signing: Option<SigningRequest>,
    /// Sign each platform's manifest too: the local and Kubernetes drivers pushed them without
    /// signing; the legs of a CI matrix signed their own.
    pub sign_platforms: bool,
    /// The platforms' builds attached unsigned provenances (`--provenance`): sign them with the
    /// platforms' manifests.
    pub provenance: bool,
}

/// Runs a driver and publishes the index of what it produced.
pub async fn run<D: Driver>(
    driver: &mut D,
    registry: &RegistryClient,
    target: &IndexTarget,
) -> Result<BuiltIndex, CoordinatorError> {
    tracing::info!(driver = driver.name(), "multi-platform run");
    // Opened before any build, so that a wrong password costs nothing.
    let key = match &target.signing {
        Some(signing) => Some(SigningKey::open(signing, &|k| std::env::var(k).ok())?),
        None => None,
    };
    let produced = match driver.validate(registry).await {
        Ok(()) => driver.execute(registry).await,
        Err(e) => Err(e),
    };
    driver.cleanup().await;
    let images = produced?;
    let built = assemble_index(&images, &target.settings)?;
    publish_index(registry, &built, &target.destinations, &target.outputs).await?;
    if let Some(key) = &key {
        if target.sign_platforms {
            for image in &images {
                sign_pushed(registry, key, &target.destinations, image.digest()).await?;
                if target.provenance {
                    sign_attached(registry, key, &target.destinations, image.digest()).await?;
                }
            }
        }
        if target.outputs.publish {
            sign_pushed(registry, key, &target.destinations, built.digest()).await?;
        }
    }
    Ok(built)
}

/// `build --multi-platform`, `kaniko local` and `kaniko k8s`: the request's driver, then the index.
/// `cancel` stops the run (the drivers clean up what they started).
pub async fn build_multi_platform(
    request: MultiPlatformRequest,
    isolation: Result<Isolation, SandboxError>,
    cancel: &Cancellation,
) -> Result<BuiltIndex, CoordinatorError> {
    let registry = RegistryClient::new(&request.build.registry, crate::registry::Keychain::from_env())?;
    let outputs = &request.build.outputs;
    let target = IndexTarget {
        destinations: outputs.destinations.clone(),
        settings: request.index.clone(),
        outputs: IndexOutputs {
            // Without a push there is nothing in the registry for the index to point at.
            publish: request.index.publish && outputs.push,
            records: outputs.records.clone(),
        },
        signing: outputs.signing.clone(),
        sign_platforms: true,
        provenance: outputs.provenance.is_some(),
    };
    match &request.driver {
        DriverRequest::Local { require_native_nodes } => {
            let mut driver = LocalDriver {
                build: &request.build,
                platforms: &request.platforms,
                require_native_nodes: *require_native_nodes,
                isolation,
                host: crate::platform::Platform::host(),
                cancel,
            };
            run(&mut driver, &registry, &target).await
        }
        DriverRequest::Ci(inputs) => {
            let mut driver = CiDriver::new(inputs.clone(), target.destinations.clone());
            run(&mut driver, &registry, &target).await
        }
        DriverRequest::K8s(settings) => {
            let mut driver = K8sDriver::new(&request.build, &request.platforms, settings, cancel);
            run(&mut driver, &registry, &target).await
        }
    }
}

/// `kaniko aggregate`: the CI driver, then the index.
pub async fn aggregate(request: AggregateRequest) -> Result<BuiltIndex, CoordinatorError> {
    let registry = RegistryClient::new(&request.registry, crate::registry::Keychain::from_env())?;
    let target = IndexTarget {
        destinations: request.destinations.clone(),
        settings: request.index.clone(),
        outputs: IndexOutputs {
            publish: request.index.publish,
            records: request.records.clone(),
        },
        signing: request.signing.clone(),
        sign_platforms: false,
        provenance: false,
    };
    let mut driver = CiDriver::new(request.inputs.clone(), request.destinations.clone());
    run(&mut driver, &registry, &target).await
}
