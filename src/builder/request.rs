// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! What a single-platform build is asked to do: the library's own input, built by the command line
//! (or by a driver, for each platform of a multi-platform run) and never by reading flags here.
//!
//! Everything taken from the local environment is already resolved in a request (build arguments
//! given as `KEY` alone, `SOURCE_DATE_EPOCH` for `--reproducible`), so a request means the same
//! wherever it is carried out: the Kubernetes driver hands it to its pods serialized as JSON.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::cache::CacheOptions;
use crate::context::GitOptions;
use crate::image::OciMode;
use crate::output::publish::RecordFiles;
use crate::platform::Platform;
use crate::registry::{Reference, RegistryOptions};
use crate::secrets::SecretSpec;
use crate::sign::SigningRequest;
use crate::snapshot::{Compression, SnapshotMode};
use crate::ssh::SshSpec;

/// One single-platform build. Field defaults are kaniko's flag defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildRequest {
    pub source: Source,
    /// Build arguments, values resolved (a `KEY` unset in the environment is absent, as in docker).
    pub build_args: BTreeMap<String, String>,
    /// The stage to build (`--target`); the last one when absent.
    pub target: Option<String>,
    pub skip_unused_stages: bool,
    /// Labels added to the final image's config.
    pub labels: BTreeMap<String, String>,
    /// Annotations of the final image's manifest (`--annotation`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The platform to build for.
    pub platform: Platform,
    /// Fixed timestamp (seconds since the epoch) for a reproducible build.
    pub reproducible_epoch: Option<i64>,
    pub format: ImageFormat,
    pub snapshot: SnapshotOptions,
    pub outputs: Outputs,
    pub registry: RegistryOptions,
    /// The layer cache (`--cache*`).
    pub cache: CacheOptions,
    /// Build secrets (`--secret`): where each value is read, never the value, so a serialized
    /// request shows nothing secret. The sources are read on the machine that runs the build (the
    /// Kubernetes driver points them at a Secret mounted into its pods).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretSpec>,
    /// SSH agents for `RUN --mount=type=ssh` (`--ssh`): each id's agent socket or key files on
    /// the machine that runs the build, paths only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh: Vec<SshSpec>,
    /// kaniko's directory, where the build's working files live (`--kaniko-dir`). It belongs to the
    /// machine that runs the build, so a serialized request leaves it out and the receiving side
    /// fills in its own.
    #[serde(skip)]
    pub kaniko_dir: PathBuf,
}

/// Where the build's files come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The context as given: a directory, `tar://…`, `docker-image://…`.
    pub context: String,
    pub context_sub_path: Option<String>,
    /// The Dockerfile as given (`-` for standard input), tried as is and then inside the context.
    pub dockerfile: String,
    /// How a `git://` context is cloned (`--git`), for the git context source.
    #[serde(default, skip_serializing_if = "GitOptions::is_default")]
    pub git: GitOptions,
}

/// The media types and compression of the built image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageFormat {
    pub oci_mode: OciMode,
    /// Compression of the layers this build writes.
    pub compression: Compression,
    pub compression_level: Option<i32>,
    /// Re-encode base layers whose compression differs.
    pub force_compression: bool,
}

/// How the filesystem is snapshotted after each step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotOptions {
    pub mode: SnapshotMode,
    /// One layer for the whole stage instead of one per step.
    pub single_snapshot: bool,
    /// Paths left out of snapshots (`--ignore-path`).
    pub ignore_paths: Vec<PathBuf>,
    /// Leave `/var/run` out of RUN snapshots (`--ignore-var-run`, kaniko's default true): container
    /// runtimes mount sockets there that are not the image's.
    pub ignore_var_run: bool,
    /// Every instruction adds a layer, empty when it changed no file (`--force-build-metadata`).
    pub force_build_metadata: bool,
    /// Retries of preparing a stage's filesystem from its layers (`--image-fs-extract-retry`).
    pub extract_retry: u32,
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        Self {
            mode: SnapshotMode::default(),
            single_snapshot: false,
            ignore_paths: Vec::new(),
            ignore_var_run: true,
            force_build_metadata: false,
            extract_retry: 0,
        }
    }
}

/// Where the built image goes. Nothing is written or pushed until every stage has succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    pub destinations: Vec<Reference>,
    pub push: bool,
    /// Push by digest only: no tag is created or moved.
    pub push_by_digest: bool,
    /// Skip the check, before any work, that every destination accepts a push.
    pub skip_push_permission_check: bool,
    /// A destination refusing the manifest because its tag is immutable is logged, not an error
    /// (`--push-ignore-immutable-tag-errors`).
    pub push_ignore_immutable_tag_errors: bool,
    /// A `docker load` tarball.
    pub tar_path: Option<PathBuf>,
    /// An OCI image layout directory.
    pub oci_layout_path: Option<PathBuf>,
    pub records: RecordFiles,
    /// Sign what is pushed (`--sign-images`). Never serialized: the key stays on the machine that
    /// was given it, which signs what the others pushed (the coordinator, for Kubernetes pods).
    #[serde(skip)]
    pub signing: Option<SigningRequest>,
    /// Attach a build provenance (`--provenance`), with this environment's CI facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<crate::sign::provenance::ProvenanceFacts>,
}

impl Outputs {
    /// The outputs of one platform's image in a multi-platform run: pushed by digest to the
    /// destination repositories (the index moves the tags), nothing written locally (the index's
    /// records are the run's) and nothing signed (the coordinator signs each platform's manifest
    /// with the index, so a key opens once and Kubernetes pods never see it). A provenance is
    /// attached unsigned, for the coordinator to sign.
    pub fn platform_image(&self) -> Self {
        Self {
            destinations: self.destinations.clone(),
            push: self.push,
            push_by_digest: self.push,
            skip_push_permission_check: self.skip_push_permission_check,
            push_ignore_immutable_tag_errors: self.push_ignore_immutable_tag_errors,
            provenance: self.provenance.clone(),
            ..Self::default()
        }
    }
}

impl BuildRequest {
    /// The same build for `platform`, with [`Outputs::platform_image`] outputs.
    pub fn for_platform(&self, platform: &Platform) -> Self {
        Self {
            platform: platform.clone(),
            outputs: self.outputs.platform_image(),
            ..self.clone()
        }
    }

    /// The build's timestamp in seconds: the reproducible epoch, or now.
    pub fn timestamp(&self) -> u64 {
        match self.reproducible_epoch {
            Some(epoch) => u64::try_from(epoch).unwrap_or(0),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_image_is_pushed_by_digest_and_writes_no_files() {
        let outputs = Outputs {
            destinations: vec![Reference::parse("registry.example/app:1").unwrap()],
            push: true,
            push_by_digest: false,
            skip_push_permission_check: true,
            push_ignore_immutable_tag_errors: true,
            tar_path: Some("/tmp/x.tar".into()),
            oci_layout_path: Some("/tmp/layout".into()),
            records: RecordFiles {
                digest_file: Some("/tmp/d".into()),
                ..RecordFiles::default()
            },
            signing: Some(SigningRequest {
                key_path: "/keys/cosign.key".into(),
                password: crate::sign::PasswordSource::Env("COSIGN_PASSWORD".into()),
            }),
            provenance: Some(crate::sign::provenance::ProvenanceFacts::default()),
        };
        let each = outputs.platform_image();
        assert_eq!(
            each.signing, None,
            "the coordinator signs platform images, not their builds"
        );
        assert_eq!(
            each.provenance, outputs.provenance,
            "each platform's build attaches its provenance, for the coordinator to sign"
        );
        assert!(each.push && each.push_by_digest && each.skip_push_permission_check);
        assert!(each.push_ignore_immutable_tag_errors);
        assert_eq!(each.destinations, outputs.destinations);
        assert_eq!((each.tar_path, each.oci_layout_path), (None, None));
        assert_eq!(each.records, RecordFiles::default());
        // Without a push there is nothing to push by digest either.
        let local = Outputs::default().platform_image();
        assert!(!local.push && !local.push_by_digest);
    }
}
