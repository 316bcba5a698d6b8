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

    /// Pull a registry's images from another registry first, `ORIGINAL=REMAP[/PREFIX]`; several
    /// separated by `;`, or repeat the flag. Remaps are tried in order, then the original.
    #[arg(
        long = "registry-map",
        value_name = "ORIGINAL=REMAP",
        help_heading = "Registry"
    )]
    pub registry_maps: Vec<String>,

    /// Never pull from a registry that has mirrors or remaps: fail when none of them serves the image.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Registry")]
    pub skip_default_registry_fallback: bool,

    /// Trust this PEM certificate for this registry, `HOST[:PORT]=/path/to/cert.pem` (repeatable).
    #[arg(
        long = "registry-certificate",
        value_name = "HOST=PATH",
        help_heading = "Registry"
    )]
    pub registry_certificates: Vec<String>,

    /// Present this client certificate to this registry (mutual TLS),
    /// `HOST[:PORT]=/path/to/cert.pem,/path/to/key.pem` (repeatable).
    #[arg(
        long = "registry-client-cert",
        value_name = "HOST=CERT,KEY",
        help_heading = "Registry"
    )]
    pub registry_client_certs: Vec<String>,

    /// Retries of each push operation after a transient failure (0: none).
    #[arg(long, default_value_t = crate::registry::DEFAULT_RETRIES, value_name = "N", help_heading = "Registry")]
    pub push_retry: u32,

    /// Retries of each pull operation after a transient failure (0: none).
    #[arg(long, default_value_t = crate::registry::DEFAULT_RETRIES, value_name = "N", help_heading = "Registry")]
    pub image_download_retry: u32,
}

/// Log output, debugging, metrics and profiling.
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

    /// Progress display: `auto` (bars on a terminal, periodic lines otherwise), `tty` (bars),
    /// `plain` (periodic lines) or `quiet` (none).
    #[arg(long, default_value = "auto", value_name = "MODE", help_heading = "Logging")]
    pub progress: String,

    /// Debug everything: all components at --debug-level, the debug files under
    /// `<kaniko-dir>/debug/`, and the performance report printed at the end.
    #[arg(long, env = "KANIKO_DEBUG", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Debugging")]
    pub debug_full: bool,

    /// Debug the Dockerfile instructions and the commands RUN executes.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Debugging")]
    pub debug_build_steps: bool,

    /// Debug the multi-platform coordinator.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Debugging")]
    pub debug_multi_platform: bool,

    /// Debug manifests, configs, indexes and the outputs writing them.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Debugging")]
    pub debug_oci: bool,

    /// Debug the local, CI and Kubernetes drivers.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Debugging")]
    pub debug_drivers: bool,

    /// Debug the context, root filesystems, snapshots and layers.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Debugging")]
    pub debug_filesystem: bool,

    /// Debug the reuse of already pulled images.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Debugging")]
    pub debug_cache: bool,

    /// Debug registry requests, pulls, pushes and authentication.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Debugging")]
    pub debug_registry: bool,

    /// Debug image signing.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Debugging")]
    pub debug_signing: bool,

    /// Write debug logs into a tree under `<kaniko-dir>/debug/` (all components unless some are
    /// chosen): the main `kaniko-debug-<timestamp>.log`, `build-steps/step-N.log`,
    /// `multi-platform/`, `oci-operations/`, `filesystem/`, `registry/`.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Debugging")]
    pub debug_output_files: bool,

    /// Level of the debugged components' records: trace, debug, info.
    #[arg(
        long,
        env = "KANIKO_DEBUG_LEVEL",
        default_value = "debug",
        value_name = "LEVEL",
        help_heading = "Debugging"
    )]
    pub debug_level: String,

    /// Components to debug, comma-separated: build-steps, multi-platform, oci, drivers,
    /// filesystem, cache, registry, signing, core, or all.
    #[arg(
        long,
        env = "KANIKO_DEBUG_COMPONENTS",
        value_name = "LIST",
        help_heading = "Debugging"
    )]
    pub debug_components: Option<String>,

    /// Serve Prometheus metrics at http://ADDR/metrics while the build runs (e.g. `0.0.0.0:9100`).
    #[arg(long, value_name = "ADDR", help_heading = "Metrics and profiling")]
    pub metrics_addr: Option<String>,

    /// Write the final metrics in the Prometheus text format to this file.
    #[arg(long, value_name = "PATH", help_heading = "Metrics and profiling")]
    pub metrics_file: Option<std::path::PathBuf>,

    /// Write a CPU profile of the build to this file, as a flamegraph SVG.
    #[arg(long, value_name = "PATH", help_heading = "Metrics and profiling")]
    pub profile_cpu: Option<std::path::PathBuf>,

    /// Write a JSON performance report (total and per-phase times, peak memory, bytes moved).
    #[arg(long, value_name = "PATH", help_heading = "Metrics and profiling")]
    pub report_file: Option<std::path::PathBuf>,
}

/// The image index a multi-platform build or an aggregation publishes.
#[derive(Debug, Clone, Args, Default)]
pub struct IndexFlags {
    /// Push the image index to every --destination; with `false`, print it on standard output
    /// instead.
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

    /// Annotation on the descriptor of every image manifest the index lists, `KEY=VALUE`
    /// (repeatable, or comma-separated): buildx's `manifest-descriptor:` level.
    #[arg(
        long = "manifest-descriptor-annotations",
        value_name = "KEY=VALUE",
        value_delimiter = ',',
        help_heading = "Index"
    )]
    pub manifest_descriptor_annotations: Vec<String>,

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

    #[command(flatten)]
    pub k8s: K8sFlags,
}

/// The Kubernetes driver (`kaniko k8s`, `--driver=k8s`): where its Jobs run and with what.
#[derive(Debug, Clone, Args)]
pub struct K8sFlags {
    /// Namespace of the build Jobs (default: the kubeconfig context's, or the pod's own in a cluster).
    #[arg(long = "k8s-namespace", value_name = "NAMESPACE", help_heading = "Kubernetes")]
    pub namespace: Option<String>,

    /// The executor image the Jobs run (it must be a kaniko-rs image: the pods read their context
    /// from the registry).
    #[arg(long = "k8s-executor-image", value_name = "IMAGE", default_value = concat!("kaniko-rs/executor:", env!("KANIKO_VERSION")), help_heading = "Kubernetes")]
    pub executor_image: String,

    /// Service account of the build pods.
    #[arg(
        long = "k8s-service-account",
        value_name = "NAME",
        help_heading = "Kubernetes"
    )]
    pub service_account: Option<String>,

    /// A `kubernetes.io/dockerconfigjson` Secret mounted as the pods' `/kaniko/.docker/config.json`:
    /// the credentials the pods pull and push with.
    #[arg(
        long = "k8s-docker-config-secret",
        value_name = "SECRET",
        help_heading = "Kubernetes"
    )]
    pub docker_config_secret: Option<String>,

    /// How long every platform may take, from Job creation to the pushed image (e.g. `30m`).
    #[arg(
        long = "k8s-timeout",
        value_name = "DURATION",
        default_value = "30m",
        help_heading = "Kubernetes"
    )]
    pub timeout: String,

    /// How often the Jobs' pods are polled.
    #[arg(
        long = "k8s-poll-interval",
        value_name = "DURATION",
        default_value = "2s",
        help_heading = "Kubernetes"
    )]
    pub poll_interval: String,

    /// Keep the Jobs after the run (they are deleted, with their pods, by default).
    #[arg(long = "k8s-keep-jobs", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Kubernetes")]
    pub keep_jobs: bool,
}

impl Default for K8sFlags {
    fn default() -> Self {
        Self {
            namespace: None,
            executor_image: concat!("kaniko-rs/executor:", env!("KANIKO_VERSION")).to_string(),
            service_account: None,
            docker_config_secret: None,
            timeout: "30m".into(),
            poll_interval: "2s".into(),
            keep_jobs: false,
        }
    }
}

/// Where the CI driver finds the per-platform builds of a matrix.
#[derive(Debug, Clone, Args, Default)]
pub struct CiInputFlags {
    /// Where the per-platform records are: a directory (searched recursively) or a glob. Each file is
    /// a `--metadata-file` JSON record, a file holding `sha256:…`, or an empty file named by the hex
    /// digest (Docker's multi-runner recipe). Repeatable.
    #[arg(long = "digests-from", value_name = "DIR|GLOB", help_heading = "Index")]
    pub digests_from: Vec<String>,

    /// In a GitHub Actions job: download the records from the artifacts of the current workflow run
    /// whose names match this glob (e.g. `digests-*`), through the REST API with GITHUB_TOKEN,
    /// GITHUB_REPOSITORY, GITHUB_RUN_ID and GITHUB_API_URL. Combines with --digests-from.
    #[arg(long = "github-artifacts", value_name = "PATTERN", help_heading = "Index")]
    pub github_artifacts: Option<String>,
}

impl CiInputFlags {
    /// Whether any source of records was given.
    pub fn is_empty(&self) -> bool {
        self.digests_from.is_empty() && self.github_artifacts.is_none()
    }
}

/// Signing what is pushed, in cosign's format (`build`, `local`, `k8s`, `aggregate`).
#[derive(Debug, Clone, Args, Default)]
pub struct SigningFlags {
    /// Sign every manifest and index pushed, by digest, with the cosign key --cosign-key-path
    /// (signature image `sha256-<hex>.sig` in each destination repository; signatures already there
    /// are kept). A signing failure fails the command.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Signing")]
    pub sign_images: bool,

    /// The private key to sign with: the encrypted PEM `cosign generate-key-pair` or `kaniko
    /// generate-key-pair` writes.
    #[arg(long, value_name = "PATH", help_heading = "Signing")]
    pub cosign_key_path: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub password: KeyPasswordFlags,
}

/// The password of a cosign private key. Without either flag it is read from COSIGN_PASSWORD.
#[derive(Debug, Clone, Args, Default)]
pub struct KeyPasswordFlags {
    /// The private key's password. A flag's value shows in process listings: prefer the
    /// COSIGN_PASSWORD environment variable or --cosign-key-password-file.
    #[arg(long, value_name = "PASSWORD", help_heading = "Signing")]
    pub cosign_key_password: Option<crate::sign::Password>,

    /// A file holding the private key's password (one trailing newline is ignored).
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "Signing",
        conflicts_with = "cosign_key_password"
    )]
    pub cosign_key_password_file: Option<std::path::PathBuf>,
}

impl KeyPasswordFlags {
    /// Where the password is read: the flag, the file, else COSIGN_PASSWORD.
    pub fn source(&self) -> crate::sign::PasswordSource {
        use crate::sign::PasswordSource;
        match (&self.cosign_key_password, &self.cosign_key_password_file) {
            (Some(p), _) => PasswordSource::Value(p.clone()),
            (None, Some(f)) => PasswordSource::File(f.clone()),
            (None, None) => PasswordSource::Env(crate::sign::PASSWORD_ENV.to_string()),
        }
    }
}

impl SigningFlags {
    /// The signing the flags ask for, if any.
    pub fn request(&self) -> Result<Option<crate::sign::SigningRequest>, String> {
        match (self.sign_images, &self.cosign_key_path) {
            (false, _) => Ok(None),
            (true, None) => Err("--sign-images needs --cosign-key-path (the cosign private key)".into()),
            (true, Some(path)) => Ok(Some(crate::sign::SigningRequest {
                key_path: path.clone(),
                password: self.password.source(),
            })),
        }
    }
}
