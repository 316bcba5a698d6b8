// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Turns raw flags into the library's requests before any work starts: every value is parsed,
//! defaults are applied, values taken from the environment are resolved and conflicting
//! combinations are rejected here, so the build never fails late on a typo.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::shared_flags::{IndexFlags, K8sFlags, LogFlags, RegistryFlags};
use super::BuildFlags;
use crate::builder::request::{ImageFormat, Outputs, SnapshotOptions, Source};
use crate::builder::BuildRequest;
use crate::cache::{CacheOptions, CacheRepo};
use crate::coordinator::{
    DriverKind, DriverRequest, K8sSettings, MatrixInputs, MultiPlatformRequest, PodLog,
};
use crate::image::ManifestFormat;
use crate::index::IndexSettings;
use crate::observe::component::{parse_list, Component};
use crate::observe::logging::{LogFormat, LogSettings};
use crate::observe::settings::{DebugSettings, ObserveSettings, ProgressMode};
use crate::output::publish::RecordFiles;
use crate::platform::{Platform, PlatformError};
use crate::registry::RegistryOptions;
use crate::sandbox::IsolationChoice;
use crate::secrets::{SecretSource, SecretSpec};
use crate::ssh::SshSpec;

/// Why the flags cannot make a build.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid --build-arg {value:?}: {reason}")]
    BuildArg { value: String, reason: &'static str },
    #[error("invalid --label {value:?}: expected KEY=VALUE")]
    Label { value: String },
    #[error("invalid --custom-platform: {0}")]
    Platform(#[from] PlatformError),
    #[error("invalid --verbosity {0:?}: expected one of trace, debug, info, warn, error")]
    Verbosity(String),
    #[error("invalid --log-format {0:?}: expected one of text, color, json")]
    LogFormat(String),
    #[error("invalid --progress {0:?}: expected one of auto, tty, plain, quiet")]
    Progress(String),
    #[error("invalid --debug-level {0:?}: expected one of trace, debug, info")]
    DebugLevel(String),
    #[error("invalid --debug-components: {0}")]
    DebugComponents(String),
    #[error("invalid --metrics-addr {0:?}: expected HOST:PORT, e.g. 0.0.0.0:9100")]
    MetricsAddr(String),
    #[error("{flag} {path}: the directory {dir} does not exist")]
    OutputDir {
        flag: &'static str,
        path: PathBuf,
        dir: PathBuf,
    },
    #[error("you must provide --destination, or use --no-push")]
    NoDestination,
    #[error("invalid SOURCE_DATE_EPOCH {0:?}: expected whole seconds since the Unix epoch")]
    SourceDateEpoch(String),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Isolation(#[from] crate::sandbox::SandboxError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretSpecError),
    #[error(transparent)]
    Ssh(#[from] crate::ssh::SshSpecError),
    #[error("invalid --snapshot-mode: {0}")]
    SnapshotMode(String),
    #[error("{0}")]
    ImageFormat(String),
    #[error("invalid --multi-platform: {0}")]
    MultiPlatform(String),
    #[error("invalid --driver {0:?}: expected one of local, k8s, ci")]
    Driver(String),
    #[error("{0}")]
    Conflict(String),
    #[error("invalid {flag} {value:?}: expected KEY=VALUE")]
    Annotation { flag: &'static str, value: String },
    #[error("--legacy-manifest-list: a Docker manifest list has no annotations; drop --index-annotations and --manifest-descriptor-annotations, or publish an OCI index")]
    LegacyAnnotations,
    #[error("{0}")]
    Cache(String),
    #[error("invalid --build-request: {0}")]
    BuildRequest(#[source] serde_json::Error),
    #[error(transparent)]
    Git(#[from] crate::context::GitOptionError),
}

/// What `kaniko build` (and `local`, `k8s`) was asked to do.
#[derive(Debug, Clone)]
pub struct BuildInvocation {
    /// Logs, debugging, metrics, profile, report and progress.
    pub observe: ObserveSettings,
    /// How RUN is to be isolated (resolved against the host by the binary).
    pub isolation: IsolationChoice,
    /// Container mode where no container is detected (kaniko's `--force`).
    pub force: bool,
    pub run: BuildRun,
    /// What to tell the user about kaniko spellings and compatibility-only flags.
    pub notes: super::kaniko_compat::Notes,
}

/// One platform, or several through a driver.
#[derive(Debug, Clone)]
// One value per process: boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum BuildRun {
    Single(BuildRequest),
    Multi(MultiPlatformRequest),
}

impl BuildRun {
    /// The build (for multi-platform runs, the one every platform runs).
    pub fn build(&self) -> &BuildRequest {
        match self {
            Self::Single(b) => b,
            Self::Multi(m) => &m.build,
        }
    }

    /// Whether the Kubernetes driver runs the builds (nothing runs on this machine).
    pub fn is_k8s(&self) -> bool {
        matches!(self, Self::Multi(m) if matches!(m.driver, DriverRequest::K8s(_)))
    }
}

impl BuildInvocation {
    /// Validates `flags`, reading the environment through `env` (injectable for tests).
    pub fn from_flags(
        flags: &BuildFlags,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let observe = log_settings(&flags.log, &flags.kaniko_dir)?;
        let (run, notes) = match &flags.build_request {
            Some(json) => (
                BuildRun::Single(received_request(json, flags)?),
                Default::default(),
            ),
            None => {
                let (flags, notes) = super::kaniko_compat::apply(flags, env)?;
                (build_run(&flags, env)?, notes)
            }
        };
        Ok(Self {
            observe,
            isolation: flags.isolation.parse()?,
            force: flags.force,
            run,
            notes,
        })
    }
}

/// A request another machine serialized (`--build-request`, how the Kubernetes driver hands a build
/// to its pods). It is the whole build: only this machine's own directory is taken from the flags.
fn received_request(json: &str, flags: &BuildFlags) -> Result<BuildRequest, SettingsError> {
    let mut request: BuildRequest = serde_json::from_str(json).map_err(SettingsError::BuildRequest)?;
    request.kaniko_dir = flags.kaniko_dir.clone();
    request.registry.validate()?;
    Ok(request)
}

/// The build the flags describe, for one platform or several.
fn build_run(flags: &BuildFlags, env: &dyn Fn(&str) -> Option<String>) -> Result<BuildRun, SettingsError> {
    if !flags.no_push && flags.destinations.is_empty() {
        return Err(SettingsError::NoDestination);
    }
    let platforms = parse_platform_list(&flags.multi.multi_platform)?;
    let driver: DriverKind = flags.multi.driver.parse().map_err(SettingsError::Driver)?;
    let multi = !platforms.is_empty() || driver != DriverKind::Local;
    if multi {
        check_multi_platform_flags(flags, driver)?;
    }
    if flags.push_by_digest && (flags.no_push || flags.destinations.is_empty()) {
        return Err(SettingsError::Conflict(
            "--push-by-digest pushes to the --destination repositories: give at least one and drop --no-push"
                .into(),
        ));
    }
    if flags.provenance && flags.no_push {
        return Err(SettingsError::Conflict(
            "--provenance attaches to a pushed image: drop --no-push, or --provenance".into(),
        ));
    }
    let build = build_request(flags, env)?;
    if !multi {
        return Ok(BuildRun::Single(build));
    }
    let driver = match driver {
        DriverKind::Local => DriverRequest::Local {
            require_native_nodes: flags.multi.require_native_nodes,
        },
        DriverKind::Ci => DriverRequest::Ci(MatrixInputs {
            digests_from: flags.multi.inputs.digests_from.clone(),
            github_artifacts: flags.multi.inputs.github_artifacts.clone(),
        }),
        DriverKind::K8s => DriverRequest::K8s(k8s_settings(flags)?),
    };
    Ok(BuildRun::Multi(MultiPlatformRequest {
        build,
        platforms,
        driver,
        index: index_settings(&flags.multi.index)?,
    }))
}

fn build_request(
    flags: &BuildFlags,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BuildRequest, SettingsError> {
    let platform = match &flags.custom_platform {
        Some(p) => p.parse()?,
        None => Platform::host(),
    };
    let reproducible_epoch = if flags.reproducible {
        Some(match env("SOURCE_DATE_EPOCH").filter(|v| !v.is_empty()) {
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map_err(|_| SettingsError::SourceDateEpoch(v.clone()))?,
            None => 0,
        })
    } else {
        None
    };
    let git = crate::context::GitOptions::parse(&flags.git)?;
    if !git.is_default() && !flags.context.starts_with("git://") {
        return Err(SettingsError::Conflict(format!(
            "--git says how to clone a git:// context, but --context is {:?}: drop --git or give a \
             git://HOST/PATH[#REF] context",
            flags.context
        )));
    }
    Ok(BuildRequest {
        source: Source {
            context: flags.context.clone(),
            context_sub_path: flags.context_sub_path.clone(),
            dockerfile: flags.dockerfile.clone(),
            git,
        },
        build_args: parse_build_args(&flags.build_args, env)?,
        target: flags.target.clone(),
        skip_unused_stages: flags.skip_unused_stages,
        labels: parse_labels(&flags.labels)?,
        annotations: parse_annotations("--annotation", &flags.annotations, false)?,
        platform,
        reproducible_epoch,
        format: image_format(flags)?,
        snapshot: SnapshotOptions {
            mode: flags
                .snapshot_mode
                .parse()
                .map_err(|e: crate::snapshot::UnknownSnapshotMode| {
                    SettingsError::SnapshotMode(e.to_string())
                })?,
            single_snapshot: flags.single_snapshot,
            ignore_paths: flags.ignore_paths.clone(),
            ignore_var_run: flags.ignore_var_run,
            force_build_metadata: flags.force_build_metadata,
            extract_retry: flags.image_fs_extract_retry,
        },
        outputs: Outputs {
            destinations: flags
                .destinations
                .iter()
                .map(|d| crate::registry::Reference::parse(d))
                .collect::<Result<_, _>>()?,
            push: !flags.no_push,
            push_by_digest: flags.push_by_digest,
            skip_push_permission_check: flags.skip_push_permission_check,
            push_ignore_immutable_tag_errors: flags.push_ignore_immutable_tag_errors,
            tar_path: flags.tar_path.clone(),
            oci_layout_path: flags.oci_layout_path.clone(),
            records: RecordFiles {
                digest_file: flags.digest_file.clone(),
                image_name_with_digest_file: flags.image_name_with_digest_file.clone(),
                image_name_tag_with_digest_file: flags.image_name_tag_with_digest_file.clone(),
                metadata_file: flags.metadata_file.clone(),
            },
            signing: signing_request(flags)?,
            provenance: flags
                .provenance
                .then(|| crate::sign::provenance::ProvenanceFacts::from_env(env)),
        },
        registry: registry_options(&flags.registry)?,
        cache: cache_options(&flags.cache)?,
        secrets: secret_specs(&flags.secrets, env)?,
        ssh: flags
            .ssh
            .iter()
            .map(|v| v.parse::<SshSpec>()?.or_agent(env("SSH_AUTH_SOCK")))
            .collect::<Result<_, _>>()?,
        kaniko_dir: flags.kaniko_dir.clone(),
    })
}

/// `--sign-images` and its key; nothing can be signed when nothing is pushed.
fn signing_request(flags: &BuildFlags) -> Result<Option<crate::sign::SigningRequest>, SettingsError> {
    let request = flags.signing.request().map_err(SettingsError::Conflict)?;
    if request.is_some() && flags.no_push {
        return Err(SettingsError::Conflict(
            "--sign-images signs what is pushed: drop --no-push, or --sign-images".into(),
        ));
    }
    Ok(request)
}

/// `--secret` values; `id=ID` alone becomes the variable ID when it is set here, else the file ID.
fn secret_specs(
    values: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<SecretSpec>, SettingsError> {
    values
        .iter()
        .map(|v| {
            let mut spec: SecretSpec = v.parse()?;
            if let SecretSource::EnvOrFile(name) = &spec.source {
                spec.source = match env(name) {
                    Some(_) => SecretSource::Env(name.clone()),
                    None => SecretSource::File(name.into()),
                };
            }
            Ok(spec)
        })
        .collect()
}

/// Validates the cache flags.
pub fn cache_options(flags: &super::build_flags::CacheFlags) -> Result<CacheOptions, SettingsError> {
    let ttl = humantime::parse_duration(&flags.cache_ttl).map_err(|e| {
        SettingsError::Cache(format!(
            "invalid --cache-ttl {:?}: {e} (expected a duration such as 336h or 30m)",
            flags.cache_ttl
        ))
    })?;
    let repo = flags
        .cache_repo
        .as_deref()
        .filter(|r| !r.is_empty())
        .map(CacheRepo::parse)
        .transpose()
        .map_err(|e| SettingsError::Cache(format!("invalid --cache-repo: {e}")))?;
    Ok(CacheOptions {
        enabled: flags.cache,
        repo,
        dir: flags.cache_dir.clone(),
        run_cache_dir: flags.run_cache_dir.clone(),
        ttl_secs: ttl.as_secs(),
        copy_layers: flags.cache_copy_layers,
        run_layers: flags.cache_run_layers,
        compressed: flags.compressed_caching,
        push: !flags.no_push_cache,
        arch_suffix: flags.arch_cache_repo_suffix,
    })
}

/// Validates the index flags.
pub fn index_settings(flags: &IndexFlags) -> Result<IndexSettings, SettingsError> {
    let annotations = parse_annotations("--index-annotations", &flags.index_annotations, true)?;
    let descriptor_annotations = parse_annotations(
        "--manifest-descriptor-annotations",
        &flags.manifest_descriptor_annotations,
        true,
    )?;
    if flags.legacy_manifest_list && !(annotations.is_empty() && descriptor_annotations.is_empty()) {
        return Err(SettingsError::LegacyAnnotations);
    }
    Ok(IndexSettings {
        publish: flags.publish_index,
        annotations,
        descriptor_annotations,
        format: if flags.legacy_manifest_list {
            ManifestFormat::Docker
        } else {
            ManifestFormat::Oci
        },
    })
}

/// `KEY=VALUE` items of an annotation flag (blank items skipped: a trailing comma). `split`: the
/// flag's values were split on commas, so an item without `=` is the rest of the previous value
/// (`--index-annotations org.opencontainers.image.description=Fast, small`).
fn parse_annotations(
    flag: &'static str,
    items: &[String],
    split: bool,
) -> Result<BTreeMap<String, String>, SettingsError> {
    let mut annotations = BTreeMap::new();
    let mut last: Option<String> = None;
    for item in items.iter().filter(|a| !a.trim().is_empty()) {
        match (item.split_once('='), &last) {
            (Some((k, v)), _) if !k.trim().is_empty() => {
                annotations.insert(k.trim().to_string(), v.to_string());
                last = Some(k.trim().to_string());
            }
            (None, Some(key)) if split => {
                if let Some(value) = annotations.get_mut(key) {
                    value.push(',');
                    value.push_str(item);
                }
            }
            _ => {
                return Err(SettingsError::Annotation {
                    flag,
                    value: item.clone(),
                })
            }
        }
    }
    Ok(annotations)
}

/// Parses and cross-checks `--oci-mode`, `--compression` and `--compression-level`.
fn image_format(flags: &BuildFlags) -> Result<ImageFormat, SettingsError> {
    use crate::snapshot::Compression;
    let mode: crate::image::OciMode = flags.oci_mode.parse().map_err(SettingsError::ImageFormat)?;
    let compression = match flags.compression.to_ascii_lowercase().as_str() {
        "gzip" => Compression::Gzip,
        "zstd" => Compression::Zstd,
        other => {
            return Err(SettingsError::ImageFormat(format!(
                "invalid --compression {other:?}: expected gzip or zstd"
            )))
        }
    };
    if mode == crate::image::OciMode::Docker && compression == Compression::Zstd {
        return Err(SettingsError::ImageFormat(
            "--compression=zstd needs OCI media types: Docker schema 2 has no zstd layer type; drop --oci-mode=docker".into(),
        ));
    }
    let range = match compression {
        Compression::Gzip => 0..=9,
        Compression::Zstd => 1..=22,
    };
    if let Some(level) = flags.compression_level {
        if !range.contains(&level) {
            return Err(SettingsError::ImageFormat(format!(
                "invalid --compression-level {level} for {}: expected {}-{}",
                flags.compression.to_ascii_lowercase(),
                range.start(),
                range.end()
            )));
        }
    }
    Ok(ImageFormat {
        oci_mode: mode,
        compression,
        compression_level: flags.compression_level,
        force_compression: flags.force_compression,
    })
}

/// Parses `--multi-platform` values (already split at commas), rejecting duplicates after
/// normalisation (`linux/arm64` and `linux/arm64/v8` are one platform).
pub fn parse_platform_list(raw: &[String]) -> Result<Vec<Platform>, SettingsError> {
    let mut out: Vec<Platform> = Vec::new();
    for item in raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let p: Platform = item
            .parse()
            .map_err(|e: PlatformError| SettingsError::MultiPlatform(e.to_string()))?;
        if out.contains(&p) {
            return Err(SettingsError::MultiPlatform(format!("{p} is listed twice")));
        }
        out.push(p);
    }
    Ok(out)
}

/// Combinations a multi-platform build cannot honour, rejected before any work.
fn check_multi_platform_flags(flags: &BuildFlags, driver: DriverKind) -> Result<(), SettingsError> {
    let conflict = |m: &str| Err(SettingsError::Conflict(m.to_string()));
    if flags.custom_platform.is_some() {
        return conflict(
            "--custom-platform names one platform; with --multi-platform, list every platform there",
        );
    }
    if flags.tar_path.is_some() {
        return conflict(
            "--tar-path holds one platform's image; a multi-platform build pushes an image index (or prints it with --publish-index=false)",
        );
    }
    for (given, flag) in [
        (flags.oci_layout_path.is_some(), "--oci-layout-path"),
        (
            flags.image_name_with_digest_file.is_some(),
            "--image-name-with-digest-file",
        ),
        (
            flags.image_name_tag_with_digest_file.is_some(),
            "--image-name-tag-with-digest-file",
        ),
    ] {
        if given {
            return Err(SettingsError::Conflict(format!(
                "{flag} is not supported with --multi-platform yet; use --digest-file or --metadata-file for the index"
            )));
        }
    }
    if flags.push_by_digest {
        return conflict(
            "--push-by-digest is for the per-platform builds of a CI matrix, not for --multi-platform",
        );
    }
    if driver == DriverKind::Ci && flags.multi.inputs.is_empty() {
        return conflict("--driver=ci aggregates a CI matrix: give --digests-from or --github-artifacts");
    }
    Ok(())
}

/// The `--k8s-*` flags, and what the pods are given, checked when the k8s driver is chosen.
fn k8s_settings(flags: &BuildFlags) -> Result<K8sSettings, SettingsError> {
    let k8s: &K8sFlags = &flags.multi.k8s;
    let duration = |name: &str, value: &str| {
        humantime::parse_duration(value)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                SettingsError::Conflict(format!(
                    "invalid --{name} {value:?}: expected a duration such as 30m or 90s"
                ))
            })
    };
    if flags.multi.multi_platform.is_empty() {
        return Err(SettingsError::Conflict(
            "the k8s driver builds the platforms of --multi-platform (e.g. linux/amd64,linux/arm64): give it"
                .into(),
        ));
    }
    if !flags.ssh.is_empty() {
        return Err(SettingsError::Conflict(
            "--ssh forwards an agent or keys of this machine, which a build pod cannot reach; build with \
             --driver=local, or give the pods their keys another way (e.g. a --secret)"
                .into(),
        ));
    }
    for (given, flag) in [
        (
            !flags.registry.registry_certificates.is_empty(),
            "--registry-certificate",
        ),
        (
            !flags.registry.registry_client_certs.is_empty(),
            "--registry-client-cert",
        ),
    ] {
        if given {
            return Err(SettingsError::Conflict(format!(
                "{flag} names files on this machine, which the build pods cannot read; mount them into the executor image instead"
            )));
        }
    }
    Ok(K8sSettings {
        namespace: k8s.namespace.clone().filter(|n| !n.is_empty()),
        executor_image: k8s.executor_image.clone(),
        service_account: k8s.service_account.clone().filter(|n| !n.is_empty()),
        docker_config_secret: k8s.docker_config_secret.clone().filter(|n| !n.is_empty()),
        timeout: duration("k8s-timeout", &k8s.timeout)?,
        poll_interval: duration("k8s-poll-interval", &k8s.poll_interval)?,
        keep_jobs: k8s.keep_jobs,
        pod_log: PodLog {
            level: flags.log.verbosity.to_ascii_lowercase(),
            json: flags.log.log_format.eq_ignore_ascii_case("json"),
            timestamp: flags.log.log_timestamp,
        },
    })
}

/// The registry flags as client options, validated (certificates parsed, conflicts rejected) now.
pub fn registry_options(flags: &RegistryFlags) -> Result<RegistryOptions, SettingsError> {
    let options = RegistryOptions {
        insecure: flags.insecure,
        insecure_pull: flags.insecure_pull,
        insecure_registries: flags.insecure_registries.clone(),
        skip_tls_verify: flags.skip_tls_verify,
        skip_tls_verify_pull: flags.skip_tls_verify_pull,
        skip_tls_verify_registries: flags.skip_tls_verify_registries.clone(),
        registry_mirrors: flags.registry_mirrors.clone(),
        registry_maps: (flags.registry_maps.iter())
            .map(|m| crate::registry::RegistryMapping::parse_list(m))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect(),
        skip_default_registry_fallback: flags.skip_default_registry_fallback,
        registry_certificates: flags
            .registry_certificates
            .iter()
            .map(|c| c.parse())
            .collect::<Result<_, _>>()?,
        registry_client_certs: (flags.registry_client_certs.iter())
            .map(|c| c.parse())
            .collect::<Result<_, _>>()?,
        push_retry: flags.push_retry,
        image_download_retry: flags.image_download_retry,
        ..RegistryOptions::default()
    };
    options.validate()?;
    Ok(options)
}

fn parse_level(text: &str) -> Option<tracing::Level> {
    Some(match text.to_ascii_lowercase().as_str() {
        "trace" => tracing::Level::TRACE,
        "debug" => tracing::Level::DEBUG,
        "info" => tracing::Level::INFO,
        "warn" | "warning" => tracing::Level::WARN,
        "error" | "fatal" | "panic" => tracing::Level::ERROR,
        _ => return None,
    })
}

/// Parses the logging, debugging, metrics and profiling flags; debug files go under
/// `<kaniko_dir>/debug`.
pub fn log_settings(flags: &LogFlags, kaniko_dir: &Path) -> Result<ObserveSettings, SettingsError> {
    let level =
        parse_level(&flags.verbosity).ok_or_else(|| SettingsError::Verbosity(flags.verbosity.clone()))?;
    let format = match flags.log_format.to_ascii_lowercase().as_str() {
        "text" => LogFormat::Text,
        "color" => LogFormat::Color,
        "json" => LogFormat::Json,
        _ => return Err(SettingsError::LogFormat(flags.log_format.clone())),
    };
    let progress = match flags.progress.to_ascii_lowercase().as_str() {
        "auto" | "" => ProgressMode::Auto,
        "tty" => ProgressMode::Tty,
        "plain" => ProgressMode::Plain,
        "quiet" | "none" => ProgressMode::Quiet,
        _ => return Err(SettingsError::Progress(flags.progress.clone())),
    };
    let debug_level = match flags.debug_level.as_str() {
        "" => tracing::Level::DEBUG,
        text => parse_level(text)
            .filter(|l| *l >= tracing::Level::INFO)
            .ok_or_else(|| SettingsError::DebugLevel(text.to_string()))?,
    };
    let mut components = match &flags.debug_components {
        Some(list) => parse_list(list).map_err(SettingsError::DebugComponents)?,
        None => Default::default(),
    };
    for (on, component) in [
        (flags.debug_build_steps, Component::BuildSteps),
        (flags.debug_multi_platform, Component::MultiPlatform),
        (flags.debug_oci, Component::Oci),
        (flags.debug_drivers, Component::Drivers),
        (flags.debug_filesystem, Component::Filesystem),
        (flags.debug_cache, Component::Cache),
        (flags.debug_registry, Component::Registry),
        (flags.debug_signing, Component::Signing),
    ] {
        if on {
            components.insert(component);
        }
    }
    // Debug files with no component chosen, and --debug-full, cover everything.
    if flags.debug_full || (flags.debug_output_files && components.is_empty()) {
        components.extend(Component::ALL);
    }
    let files_dir = (flags.debug_full || flags.debug_output_files).then(|| kaniko_dir.join("debug"));
    let metrics_addr = match &flags.metrics_addr {
        Some(a) => Some(
            std::net::ToSocketAddrs::to_socket_addrs(a.as_str())
                .ok()
                .and_then(|mut it| it.next())
                .ok_or_else(|| SettingsError::MetricsAddr(a.clone()))?,
        ),
        None => None,
    };
    for (flag, path) in [
        ("--metrics-file", &flags.metrics_file),
        ("--profile-cpu", &flags.profile_cpu),
        ("--report-file", &flags.report_file),
    ] {
        if let Some(path) = path {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            if let Some(dir) = dir.filter(|d| !d.is_dir()) {
                return Err(SettingsError::OutputDir {
                    flag,
                    path: path.clone(),
                    dir: dir.to_path_buf(),
                });
            }
        }
    }
    Ok(ObserveSettings {
        log: LogSettings {
            level,
            format,
            timestamp: flags.log_timestamp,
        },
        debug: DebugSettings {
            components,
            level: debug_level,
            files_dir,
            full: flags.debug_full,
        },
        progress,
        metrics_addr,
        metrics_file: flags.metrics_file.clone(),
        profile_cpu: flags.profile_cpu.clone(),
        report_file: flags.report_file.clone(),
    })
}

fn valid_arg_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '=')
}

pub(super) fn parse_build_args(
    raw: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, String>, SettingsError> {
    let mut out = BTreeMap::new();
    for item in raw {
        let bad = |reason| SettingsError::BuildArg {
            value: item.clone(),
            reason,
        };
        match item.split_once('=') {
            Some((key, value)) => {
                if !valid_arg_name(key) {
                    return Err(bad(
                        "expected KEY=VALUE or KEY with a non-empty name without spaces",
                    ));
                }
                out.insert(key.to_string(), value.to_string());
            }
            None => {
                if !valid_arg_name(item) {
                    return Err(bad(
                        "expected KEY=VALUE or KEY with a non-empty name without spaces",
                    ));
                }
                if let Some(value) = env(item) {
                    out.insert(item.clone(), value);
                }
            }
        }
    }
    Ok(out)
}

fn parse_labels(raw: &[String]) -> Result<BTreeMap<String, String>, SettingsError> {
    raw.iter()
        .map(|item| match item.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(SettingsError::Label { value: item.clone() }),
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use clap::Parser;

    /// `args` parsed as `kaniko build`'s flags.
    pub(crate) fn flags(args: &[&str]) -> BuildFlags {
        #[derive(Parser)]
        struct T {
            #[command(flatten)]
            f: BuildFlags,
        }
        let mut v = vec!["t"];
        v.extend_from_slice(args);
        T::try_parse_from(v).unwrap().f
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn ssh_ids_take_ssh_auth_sock_when_no_path_is_given_and_k8s_refuses_them() {
        let env = |k: &str| (k == "SSH_AUTH_SOCK").then(|| "/tmp/agent.sock".to_string());
        let args = ["--no-push", "--ssh", "default", "--ssh", "deploy=/k/a,/k/b"];
        let s = BuildInvocation::from_flags(&flags(&args), &env).unwrap();
        let got: Vec<String> = s.run.build().ssh.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, ["default=/tmp/agent.sock", "deploy=/k/a,/k/b"]);
        let e = BuildInvocation::from_flags(&flags(&["--no-push", "--ssh", "default"]), &no_env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("SSH_AUTH_SOCK is not set"), "{e}");
        let k8s = [
            "--destination=r.example/x",
            "--driver=k8s",
            "--multi-platform=linux/amd64",
            "--ssh=default=/tmp/agent.sock",
        ];
        let e = BuildInvocation::from_flags(&flags(&k8s), &no_env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--ssh") && e.contains("build pod cannot reach"), "{e}");
    }

    #[test]
    fn secrets_parse_and_a_bare_id_resolves_here() {
        let env = |k: &str| (k == "SET").then(|| "v".to_string());
        let args = [
            "--no-push",
            "--secret",
            "id=a,src=/f",
            "--secret",
            "id=SET",
            "--secret",
            "id=UNSET",
        ];
        let s = BuildInvocation::from_flags(&flags(&args), &env).unwrap();
        let got: Vec<String> = s.run.build().secrets.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, ["id=a,src=/f", "id=SET,env=SET", "id=UNSET,src=UNSET"]);
        let e = BuildInvocation::from_flags(&flags(&["--no-push", "--secret", "id=a,bad=1"]), &env)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("invalid --secret") && e.contains("unexpected key"),
            "{e}"
        );
    }

    #[test]
    fn build_args_from_value_and_environment() {
        let env = |k: &str| (k == "FROM_ENV").then(|| "e".to_string());
        let s = BuildInvocation::from_flags(
            &flags(&[
                "--no-push",
                "--build-arg",
                "A=1",
                "--build-arg",
                "FROM_ENV",
                "--build-arg",
                "UNSET",
                "--build-arg",
                "E=",
            ]),
            &env,
        )
        .unwrap();
        let s = s.run.build();
        assert_eq!(s.build_args.get("A").map(String::as_str), Some("1"));
        assert_eq!(s.build_args.get("FROM_ENV").map(String::as_str), Some("e"));
        assert_eq!(s.build_args.get("E").map(String::as_str), Some(""));
        assert!(!s.build_args.contains_key("UNSET"));
    }

    #[test]
    fn rejects_bad_build_arg_and_label() {
        let e =
            BuildInvocation::from_flags(&flags(&["--no-push", "--build-arg", "=x"]), &no_env).unwrap_err();
        assert!(e.to_string().contains("invalid --build-arg \"=x\""), "{e}");
        let e =
            BuildInvocation::from_flags(&flags(&["--no-push", "--label", "novalue"]), &no_env).unwrap_err();
        assert!(e.to_string().contains("invalid --label"), "{e}");
    }

    #[test]
    fn requires_destination_unless_no_push() {
        let e = BuildInvocation::from_flags(&flags(&[]), &no_env).unwrap_err();
        assert!(matches!(e, SettingsError::NoDestination));
        assert!(
            BuildInvocation::from_flags(&flags(&["-d", "r/x"]), &no_env)
                .unwrap()
                .run
                .build()
                .outputs
                .push
        );
    }

    #[test]
    fn bool_flags_accept_explicit_values() {
        let s = BuildInvocation::from_flags(&flags(&["--no-push=true", "--reproducible=false"]), &no_env)
            .unwrap();
        assert!(!s.run.build().outputs.push);
        assert!(s.run.build().reproducible_epoch.is_none());
    }

    #[test]
    fn reproducible_honours_source_date_epoch() {
        let env = |k: &str| (k == "SOURCE_DATE_EPOCH").then(|| "1700000000".to_string());
        let s = BuildInvocation::from_flags(&flags(&["--no-push", "--reproducible"]), &env).unwrap();
        assert_eq!(s.run.build().reproducible_epoch, Some(1_700_000_000));
        let s = BuildInvocation::from_flags(&flags(&["--no-push", "--reproducible"]), &no_env).unwrap();
        assert_eq!(s.run.build().reproducible_epoch, Some(0));
    }

    #[test]
    fn rejects_bad_platform_and_logging() {
        assert!(BuildInvocation::from_flags(
            &flags(&["--no-push", "--custom-platform", "linux/nope"]),
            &no_env
        )
        .is_err());
        assert!(BuildInvocation::from_flags(&flags(&["--no-push", "-v", "loud"]), &no_env).is_err());
        assert!(BuildInvocation::from_flags(&flags(&["--no-push", "--log-format", "xml"]), &no_env).is_err());
    }

    /// A request with every option away from its default, built field by field (no `..Default`),
    /// so a new option fails to compile here until the test covers it.
    fn every_option_set() -> BuildRequest {
        use crate::registry::{RegistryCertificate, RegistryOptions};
        BuildRequest {
            source: Source {
                context: "docker-image://r.example/ctx@sha256:0123".into(),
                context_sub_path: Some("svc".into()),
                dockerfile: "docker/Dockerfile.prod".into(),
                git: crate::context::GitOptions {
                    branch: Some("main".into()),
                    single_branch: true,
                    recurse_submodules: true,
                    insecure_skip_tls: true,
                },
            },
            build_args: [("KEY".to_string(), "from the environment".to_string())].into(),
            target: Some("final".into()),
            skip_unused_stages: true,
            labels: [("org.example".to_string(), "x".to_string())].into(),
            annotations: [("org.opencontainers.image.title".to_string(), "app".to_string())].into(),
            platform: "freebsd/arm/v6".parse().unwrap(),
            reproducible_epoch: Some(1_700_000_000),
            format: ImageFormat {
                oci_mode: crate::image::OciMode::Oci,
                compression: crate::snapshot::Compression::Zstd,
                compression_level: Some(9),
                force_compression: true,
            },
            snapshot: SnapshotOptions {
                mode: crate::snapshot::SnapshotMode::Full,
                single_snapshot: true,
                ignore_paths: vec!["/var/cache".into()],
                ignore_var_run: false,
                force_build_metadata: true,
                extract_retry: 3,
            },
            outputs: Outputs {
                destinations: vec![crate::registry::Reference::parse("r.example/team/app:1").unwrap()],
                push: true,
                push_by_digest: true,
                skip_push_permission_check: true,
                push_ignore_immutable_tag_errors: true,
                tar_path: Some("/out/image.tar".into()),
                oci_layout_path: Some("/out/layout".into()),
                records: RecordFiles {
                    digest_file: Some("/dev/termination-log".into()),
                    image_name_with_digest_file: Some("/out/names".into()),
                    image_name_tag_with_digest_file: Some("/out/tags".into()),
                    metadata_file: Some("/out/meta.json".into()),
                },
                // Never serialized: a pod is never handed the key (the coordinator signs).
                signing: None,
                provenance: Some(crate::sign::provenance::ProvenanceFacts {
                    ci: [("GITHUB_SHA".to_string(), "abc".to_string())].into(),
                }),
            },
            registry: RegistryOptions {
                insecure: true,
                insecure_pull: true,
                insecure_registries: vec!["a.example".into()],
                skip_tls_verify: false,
                skip_tls_verify_pull: true,
                skip_tls_verify_registries: vec!["b.example".into()],
                registry_mirrors: vec!["mirror.example".into()],
                registry_maps: vec![crate::registry::RegistryMapping {
                    registry: "quay.io".into(),
                    remap: "q.example/cache".into(),
                }],
                skip_default_registry_fallback: true,
                registry_certificates: vec![RegistryCertificate {
                    registry: "c.example".into(),
                    // Validation checks that the file exists.
                    path: concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml").into(),
                }],
                // Validation checks that the files exist; they are read when a client is made.
                registry_client_certs: vec![crate::registry::RegistryClientCert {
                    registry: "d.example".into(),
                    cert: concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml").into(),
                    key: concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock").into(),
                }],
                push_retry: 5,
                image_download_retry: 2,
                retry_timing: Default::default(),
            },
            cache: CacheOptions {
                enabled: true,
                repo: Some(CacheRepo::Registry("r.example/team/cache".into())),
                dir: "/var/kaniko-cache".into(),
                ttl_secs: 3600,
                copy_layers: true,
                run_layers: false,
                compressed: false,
                push: false,
                arch_suffix: true,
                run_cache_dir: Some("/var/kaniko-run-cache".into()),
            },
            secrets: vec![
                "id=npmrc,src=/kaniko/secrets/secret-0".parse().unwrap(),
                "id=tok,env=API_TOKEN".parse().unwrap(),
            ],
            ssh: vec![
                "default=/run/agent.sock".parse().unwrap(),
                "deploy=/keys/a,/keys/b".parse().unwrap(),
            ],
            kaniko_dir: "/kaniko".into(),
        }
    }

    /// Every leaf of `value` that equals the same leaf of `default`, as a JSON pointer.
    fn unchanged(value: &serde_json::Value, default: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        match (value, default) {
            (serde_json::Value::Object(v), serde_json::Value::Object(d)) => {
                for (key, child) in v {
                    let null = serde_json::Value::Null;
                    unchanged(child, d.get(key).unwrap_or(&null), &format!("{at}/{key}"), out);
                }
            }
            _ if value == default => out.push(at.to_string()),
            _ => {}
        }
    }

    #[test]
    fn every_build_option_survives_request_to_pod_arguments_and_back() {
        let request = every_option_set();
        // --skip-tls-verify cannot be combined with a --registry-certificate: its own request.
        let mut no_verify = every_option_set();
        no_verify.registry.registry_certificates.clear();
        no_verify.registry.skip_tls_verify = true;
        // The fixture really sets every option: no serialized field keeps its default value.
        let default = BuildRequest {
            platform: Platform::host(),
            ..BuildInvocation::from_flags(&flags(&["--no-push"]), &no_env)
                .unwrap()
                .run
                .build()
                .clone()
        };
        let mut same = Vec::new();
        unchanged(
            &serde_json::to_value(&request).unwrap(),
            &serde_json::to_value(&default).unwrap(),
            "",
            &mut same,
        );
        assert_eq!(
            same,
            ["/registry/skip_tls_verify"],
            "options left at their default"
        );
        for request in [request, no_verify] {
            round_trip_through_a_pod(&request);
        }
    }

    fn round_trip_through_a_pod(request: &BuildRequest) {
        // request → the executor's arguments in a pod → the parser → request.
        let settings = K8sSettings {
            namespace: None,
            executor_image: "x".into(),
            service_account: None,
            docker_config_secret: None,
            timeout: std::time::Duration::from_secs(60),
            poll_interval: std::time::Duration::from_secs(1),
            keep_jobs: false,
            pod_log: PodLog {
                level: "debug".into(),
                json: true,
                timestamp: true,
            },
        };
        let args = crate::coordinator::k8s::job::executor_args(request, &settings).unwrap();
        let mut argv = vec!["kaniko".to_string()];
        argv.extend(args);
        let cli = <crate::cli::Cli as clap::Parser>::try_parse_from(&argv).unwrap();
        let crate::cli::Command::Build(pod_flags) = cli.command else {
            panic!("the pod runs `build`: {argv:?}");
        };
        let pod = BuildInvocation::from_flags(&pod_flags, &no_env).unwrap();
        let BuildRun::Single(received) = &pod.run else {
            panic!("a pod builds one platform");
        };
        // The kaniko directory is the pod's own (its --kaniko-dir, default /kaniko).
        assert_eq!(received.kaniko_dir, pod_flags.kaniko_dir);
        assert_eq!(received, request);
        assert_eq!(pod.observe.log.level, tracing::Level::DEBUG);
        assert_eq!(pod.observe.log.format, LogFormat::Json);
        assert!(pod.observe.log.timestamp);
    }

    #[test]
    fn signing_needs_a_key_and_a_push_and_its_password_never_shows() {
        let e = BuildInvocation::from_flags(&flags(&["--no-push", "--sign-images"]), &no_env).unwrap_err();
        assert!(e.to_string().contains("--cosign-key-path"), "{e}");
        let no_push = flags(&["--no-push", "--sign-images", "--cosign-key-path", "k"]);
        let e = BuildInvocation::from_flags(&no_push, &no_env).unwrap_err();
        assert!(e.to_string().contains("drop --no-push"), "{e}");
        let ok = flags(&[
            "--destination",
            "r.example/a",
            "--sign-images",
            "--cosign-key-path",
            "/keys/cosign.key",
            "--cosign-key-password",
            "hunter2",
        ]);
        let invocation = BuildInvocation::from_flags(&ok, &no_env).unwrap();
        let build = invocation.run.build();
        assert_eq!(
            build.outputs.signing.as_ref().map(|s| s.key_path.clone()),
            Some("/keys/cosign.key".into())
        );
        let json = serde_json::to_string(build).unwrap();
        assert!(
            !json.contains("hunter2") && !json.contains("cosign.key"),
            "{json}"
        );
        assert!(!format!("{invocation:?} {ok:?}").contains("hunter2"));
    }

    #[test]
    fn a_received_request_refuses_flags_that_would_be_ignored() {
        let json = serde_json::to_string(&every_option_set()).unwrap();
        let argv = [
            "kaniko",
            "build",
            "--build-request",
            json.as_str(),
            "--destination",
            "r.example/x",
        ];
        let err = <crate::cli::Cli as clap::Parser>::try_parse_from(argv).unwrap_err();
        assert!(err.to_string().contains("cannot be used with"), "{err}");
        let e = BuildInvocation::from_flags(&flags(&["--build-request", "{\"source\": 1}"]), &no_env)
            .unwrap_err();
        assert!(e.to_string().starts_with("invalid --build-request"), "{e}");
    }

    #[test]
    fn annotation_values_keep_their_commas() {
        let items: Vec<String> = ["org.opencontainers.image.description=Fast", " small", "b=1"]
            .map(String::from)
            .into();
        let split = parse_annotations("--index-annotations", &items, true).unwrap();
        assert_eq!(split["org.opencontainers.image.description"], "Fast, small");
        assert_eq!(split["b"], "1");
        // A flag whose values are never split has no continuation: an item without `=` is an error
        // naming the flag.
        let e = parse_annotations("--annotation", &items, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--annotation") && e.contains("small"), "{e}");
        let e = parse_annotations("--index-annotations", &["novalue".to_string()], true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--index-annotations \"novalue\""), "{e}");
    }
}
