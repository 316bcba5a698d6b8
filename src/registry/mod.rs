// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The OCI distribution API client: image references, registry options mirroring kaniko's flags,
//! credentials from docker config files and credential helpers, the bearer-token flow, TLS and plain-HTTP
//! transport, retries with backoff, and the manifest and blob operations a build needs.
//!
//! Written on reqwest rather than taken from the oci-client crate; docs/design-decisions.md says why.
//! Every failure is a [`RegistryError`] naming the registry, repository, operation and HTTP status.

mod blob;
mod challenge;
mod client;
mod credential;
mod credential_helper;
mod docker_config;
mod error;
mod keychain;
mod manifest;
mod options;
mod reference;
mod response;
mod retry;
mod tags;
pub(crate) mod tls;
mod token;
mod transport;

pub use blob::{BlobPush, BlobSource};
pub use challenge::Challenge;
pub use client::RegistryClient;
pub use credential::Credential;
pub use docker_config::{DockerConfig, DOCKER_HUB_AUTH_KEY};
pub use error::{DockerConfigError, HelperError, Operation, RegistryError};
pub use keychain::{Keychain, KANIKO_DOCKER_CONFIG};
pub use manifest::{Manifest, ResolvedManifest};
pub use options::{
    Direction, RegistryCertificate, RegistryClientCert, RegistryMapping, RegistryMirror, RegistryOptions,
    TransportSettings, ValidatedOptions,
};
pub use reference::{Reference, DEFAULT_TAG, DOCKER_HUB_API_HOST, DOCKER_HUB_REGISTRY};
pub use retry::{RetryPolicy, RetryTiming, DEFAULT_RETRIES};
pub use tags::TAG_PAGE_SIZE;
