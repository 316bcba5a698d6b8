// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Flag groups that several subcommands share: registry access, logging, multi-platform builds and
//! the image index they publish. Flattened into each subcommand, so a flag means the same everywhere.

use clap::Args;

/// How registries are reached (kaniko's executor names).
#[derive(Debug, Clone, Args, Default)]
pub struct RegistryFlags {
    /// Push to plain-HTTP registries.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Registry")]
    pub insecure: bool,

    /// Pull from plain-HTTP registries.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Registry")]
    pub insecure_pull: bool,

    /// Use plain HTTP for this registry, pulls and pushes (repeatable).
    #[arg(
        long = "insecure-registry",
        value_name = "HOST[:PORT]",
        help_heading = "Registry"
    )]
    pub insecure_registries: Vec<String>,

    /// Push to registries without verifying their TLS certificates.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Registry")]
    pub skip_tls_verify: bool,

    /// Pull from registries without verifying their TLS certificates.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Registry")]
    pub skip_tls_verify_pull: bool,

    /// Do not verify this registry's TLS certificate, pulls and pushes (repeatable).
    #[arg(
        long = "skip-tls-verify-registry",
        value_name = "HOST[:PORT]",
        help_heading = "Registry"
    )]
    pub skip_tls_verify_registries: Vec<String>,

    /// Mirror for docker.io pulls, tried in order before docker.io itself (repeatable).
    #[arg(
        long = "registry-mirror",
        value_name = "HOST[/PATH]",
        help_heading = "Registry"
    )]
    pub registry_mirrors: Vec<String>,

    /// Trust this PEM certificate for this registry, `HOST[:PORT]=/path/to/cert.pem` (repeatable).
    #[arg(
        long = "registry-certificate",
        value_name = "HOST=PATH",
        help_heading = "Registry"
    )]
    pub registry_certificates: Vec<String>,

    /// Extra attempts for each push operation after a transient failure.
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Registry")]
    pub push_retry: u32,

    /// Extra attempts for each pull operation after a transient failure.
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Registry")]
    pub image_download_retry: u32,
}

/// Log output.
#[derive(Debug, Clone, Args, Default)]
pub struct LogFlags {
    /// Log level: trace, debug, info, warn, error (kaniko's fatal and panic mean error).
    #[arg(
        short = 'v',
        long,
        default_value = "info",
        value_name = "LEVEL",
        help_heading = "Logging"
    )]
    pub verbosity: String,

    /// Log format: text, color or json.
    #[arg(
        long,
        default_value = "color",
        value_name = "FORMAT",
        help_heading = "Logging"
    )]
    pub log_format: String,

    /// Prefix every log line with a timestamp.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Logging")]
    pub log_timestamp: bool,
}

/// The image index a multi-platform build or an aggregation publishes.
#[derive(Debug, Clone, Args, Default)]
pub struct IndexFlags {
    /// Push the image index to every --destination; with `false`, write it to --oci-layout-path, or
    /// print it on standard output.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true", help_heading = "Index")]
    pub publish_index: bool,

    /// Annotation on the image index, `KEY=VALUE` (repeatable, or comma-separated).
    #[arg(
        long = "index-annotations",
        value_name = "KEY=VALUE",
        value_delimiter = ',',
        help_heading = "Index"
    )]
    pub index_annotations: Vec<String>,

    /// Publish a Docker manifest list instead of an OCI image index, for registries that only know
    /// Docker's media types (every image must then be a Docker manifest).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Index")]
    pub legacy_manifest_list: bool,
}

/// Building several platforms from one invocation.
#[derive(Debug, Clone, Args, Default)]
pub struct MultiPlatformFlags {
    /// Build for these platforms and publish an image index, e.g. `linux/amd64,linux/arm64`
    /// (comma-separated or repeatable).
    #[arg(
        long = "multi-platform",
        value_name = "PLATFORMS",
        value_delimiter = ',',
        help_heading = "Multi-platform"
    )]
    pub multi_platform: Vec<String>,

    /// Where the per-platform builds run: `local` (this machine), `k8s` (one Kubernetes Job per
    /// architecture) or `ci` (already built by a CI matrix: aggregate their --digests-from).
    #[arg(
        long,
        default_value = "local",
        value_name = "DRIVER",
        help_heading = "Multi-platform"
    )]
    pub driver: String,

    /// Refuse, before any work, a platform whose RUN steps would need emulation on this machine;
    /// with `false`, try anyway (works only where the host's owner registered binfmt handlers).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true", help_heading = "Multi-platform")]
    pub require_native_nodes: bool,

    #[command(flatten)]
    pub inputs: CiInputFlags,

    #[command(flatten)]
    pub index: IndexFlags,
}

/// Where the CI driver finds the per-platform builds of a matrix.
#[derive(Debug, Clone, Args, Default)]
pub struct CiInputFlags {
    /// Where the per-platform records are: a directory (searched recursively) or a glob. Each file is
    /// a `--metadata-file` JSON record, a file holding `sha256:…`, or an empty file named by the hex
    /// digest (Docker's multi-runner recipe). Repeatable.
    #[arg(long = "digests-from", value_name = "DIR|GLOB", help_heading = "Index")]
    pub digests_from: Vec<String>,
}
