// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Turns raw flags into validated settings before any work starts: every value is parsed, defaults are
//! applied and conflicting combinations are rejected here, so the build never fails late on a typo.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::shared_flags::{LogFlags, RegistryFlags};
use super::BuildFlags;
use crate::coordinator::DriverKind;
use crate::index::IndexSettings;
use crate::observe::component::{parse_list, Component};
use crate::observe::logging::{LogFormat, LogSettings};
use crate::observe::settings::{DebugSettings, ObserveSettings, ProgressMode};
use crate::platform::{Platform, PlatformError};
use crate::registry::RegistryOptions;
use crate::sandbox::IsolationChoice;
use crate::snapshot::SnapshotMode;

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
    #[error(transparent)]
    Index(Box<crate::index::IndexError>),
}

impl From<crate::index::IndexError> for SettingsError {
    fn from(e: crate::index::IndexError) -> Self {
        Self::Index(Box::new(e))
    }
}

/// Validated settings of one single-platform build.
#[derive(Debug, Clone)]
pub struct BuildSettings {
    pub context: String,
    pub context_sub_path: Option<String>,
    pub dockerfile: String,
    pub destinations: Vec<String>,
    pub push: bool,
    pub tar_path: Option<PathBuf>,
    pub oci_layout_path: Option<PathBuf>,
    pub digest_file: Option<PathBuf>,
    pub image_name_with_digest_file: Option<PathBuf>,
    pub image_name_tag_with_digest_file: Option<PathBuf>,
    pub metadata_file: Option<PathBuf>,
    /// Push by digest only: no tag is created or moved.
    pub push_by_digest: bool,
    /// Skip the check, before the build, that every destination accepts a push.
    pub skip_push_permission_check: bool,
    /// Build arguments after taking `KEY`-only values from the environment (unset ones are dropped,
    /// as docker does).
    pub build_args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub skip_unused_stages: bool,
    pub labels: BTreeMap<String, String>,
    /// The platform to build for: --custom-platform, or the host's.
    pub platform: Platform,
    /// Fixed timestamp (seconds since the epoch) for a reproducible build.
    pub reproducible_epoch: Option<i64>,
    pub registry: RegistryOptions,
    pub kaniko_dir: PathBuf,
    pub ignore_paths: Vec<PathBuf>,
    pub cleanup: bool,
    pub isolation: IsolationChoice,
    pub force: bool,
    pub snapshot_mode: SnapshotMode,
    pub single_snapshot: bool,
    /// Logs, debugging, metrics, profile, report and progress.
    pub log: ObserveSettings,
    /// `--multi-platform`, in the order given; empty for a single-platform build.
    pub multi_platform: Vec<Platform>,
    pub driver: DriverKind,
    pub require_native_nodes: bool,
    /// Where the CI driver reads the matrix's records.
    pub digests_from: Vec<String>,
    /// Artifact-name glob of the current GitHub Actions run holding more records.
    pub github_artifacts: Option<String>,
    pub index: IndexSettings,
    pub oci_mode: crate::image::OciMode,
    /// Compression and level of the layers this build writes.
    pub compression: crate::snapshot::Compression,
    pub compression_level: Option<i32>,
    pub force_compression: bool,
    /// The Kubernetes driver's settings (used with `--driver=k8s` only).
    pub k8s: crate::coordinator::k8s::K8sSettings,
}

impl BuildSettings {
    /// Validates `flags`, reading the environment through `env` (injectable for tests).
    pub fn from_flags(
        flags: &BuildFlags,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let log = log_settings(&flags.log, &flags.kaniko_dir)?;
        if !flags.no_push && flags.destinations.is_empty() {
            return Err(SettingsError::NoDestination);
        }
        let multi_platform = parse_platform_list(&flags.multi.multi_platform)?;
        let driver: DriverKind = flags.multi.driver.parse().map_err(SettingsError::Driver)?;
        if !multi_platform.is_empty() || driver == DriverKind::Ci {
            check_multi_platform_flags(flags, driver)?;
        }
        if flags.push_by_digest && (flags.no_push || flags.destinations.is_empty()) {
            return Err(SettingsError::Conflict(
                "--push-by-digest pushes to the --destination repositories: give at least one and drop --no-push".into(),
            ));
        }
        let (oci_mode, compression) = image_format(flags)?;
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
        Ok(Self {
            context: flags.context.clone(),
            context_sub_path: flags.context_sub_path.clone(),
            dockerfile: flags.dockerfile.clone(),
            destinations: flags.destinations.clone(),
            push: !flags.no_push,
            tar_path: flags.tar_path.clone(),
            oci_layout_path: flags.oci_layout_path.clone(),
            digest_file: flags.digest_file.clone(),
            image_name_with_digest_file: flags.image_name_with_digest_file.clone(),
            image_name_tag_with_digest_file: flags.image_name_tag_with_digest_file.clone(),
            build_args: parse_build_args(&flags.build_args, env)?,
            target: flags.target.clone(),
            skip_unused_stages: flags.skip_unused_stages,
            labels: parse_labels(&flags.labels)?,
            platform,
            reproducible_epoch,
            registry: registry_options(&flags.registry)?,
            kaniko_dir: flags.kaniko_dir.clone(),
            ignore_paths: flags.ignore_paths.clone(),
            cleanup: flags.cleanup,
            isolation: flags.isolation.parse()?,
            force: flags.force,
            snapshot_mode: flags.snapshot_mode.parse().map_err(
                |e: crate::snapshot::UnknownSnapshotMode| SettingsError::SnapshotMode(e.to_string()),
            )?,
            single_snapshot: flags.single_snapshot,
            log,
            metadata_file: flags.metadata_file.clone(),
            push_by_digest: flags.push_by_digest,
            skip_push_permission_check: flags.skip_push_permission_check,
            multi_platform,
            driver,
            require_native_nodes: flags.multi.require_native_nodes,
            digests_from: flags.multi.inputs.digests_from.clone(),
            github_artifacts: flags.multi.inputs.github_artifacts.clone(),
            index: IndexSettings::from_flags(&flags.multi.index)?,
            oci_mode,
            compression,
            compression_level: flags.compression_level,
            force_compression: flags.force_compression,
            k8s: k8s_settings(flags, driver)?,
        })
    }
}

/// Parses and cross-checks `--oci-mode`, `--compression` and `--compression-level`.
fn image_format(
    flags: &BuildFlags,
) -> Result<(crate::image::OciMode, crate::snapshot::Compression), SettingsError> {
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
    Ok((mode, compression))
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
fn k8s_settings(
    flags: &BuildFlags,
    driver: DriverKind,
) -> Result<crate::coordinator::k8s::K8sSettings, SettingsError> {
    let k8s = &flags.multi.k8s;
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
    let settings = crate::coordinator::k8s::K8sSettings {
        namespace: k8s.namespace.clone().filter(|n| !n.is_empty()),
        executor_image: k8s.executor_image.clone(),
        service_account: k8s.service_account.clone().filter(|n| !n.is_empty()),
        docker_config_secret: k8s.docker_config_secret.clone().filter(|n| !n.is_empty()),
        timeout: duration("k8s-timeout", &k8s.timeout)?,
        poll_interval: duration("k8s-poll-interval", &k8s.poll_interval)?,
        keep_jobs: k8s.keep_jobs,
        forwarded: crate::coordinator::k8s::job::forwarded_args(flags),
    };
    if driver != DriverKind::K8s {
        return Ok(settings);
    }
    if flags.multi.multi_platform.is_empty() {
        return Err(SettingsError::Conflict(
            "the k8s driver builds the platforms of --multi-platform (e.g. linux/amd64,linux/arm64): give it"
                .into(),
        ));
    }
    if !flags.registry.registry_certificates.is_empty() {
        return Err(SettingsError::Conflict(
            "--registry-certificate names files on this machine, which the build pods cannot read; mount them into the executor image instead".into(),
        ));
    }
    Ok(settings)
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
        registry_certificates: flags
            .registry_certificates
            .iter()
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

fn parse_build_args(
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
mod tests {
    use super::*;
    use clap::Parser;

    fn flags(args: &[&str]) -> BuildFlags {
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
    fn build_args_from_value_and_environment() {
        let env = |k: &str| (k == "FROM_ENV").then(|| "e".to_string());
        let s = BuildSettings::from_flags(
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
        assert_eq!(s.build_args.get("A").map(String::as_str), Some("1"));
        assert_eq!(s.build_args.get("FROM_ENV").map(String::as_str), Some("e"));
        assert_eq!(s.build_args.get("E").map(String::as_str), Some(""));
        assert!(!s.build_args.contains_key("UNSET"));
    }

    #[test]
    fn rejects_bad_build_arg_and_label() {
        let e = BuildSettings::from_flags(&flags(&["--no-push", "--build-arg", "=x"]), &no_env).unwrap_err();
        assert!(e.to_string().contains("invalid --build-arg \"=x\""), "{e}");
        let e = BuildSettings::from_flags(&flags(&["--no-push", "--label", "novalue"]), &no_env).unwrap_err();
        assert!(e.to_string().contains("invalid --label"), "{e}");
    }

    #[test]
    fn requires_destination_unless_no_push() {
        let e = BuildSettings::from_flags(&flags(&[]), &no_env).unwrap_err();
        assert!(matches!(e, SettingsError::NoDestination));
        assert!(
            BuildSettings::from_flags(&flags(&["-d", "r/x"]), &no_env)
                .unwrap()
                .push
        );
    }

    #[test]
    fn bool_flags_accept_explicit_values() {
        let s =
            BuildSettings::from_flags(&flags(&["--no-push=true", "--reproducible=false"]), &no_env).unwrap();
        assert!(!s.push);
        assert!(s.reproducible_epoch.is_none());
    }

    #[test]
    fn reproducible_honours_source_date_epoch() {
        let env = |k: &str| (k == "SOURCE_DATE_EPOCH").then(|| "1700000000".to_string());
        let s = BuildSettings::from_flags(&flags(&["--no-push", "--reproducible"]), &env).unwrap();
        assert_eq!(s.reproducible_epoch, Some(1_700_000_000));
        let s = BuildSettings::from_flags(&flags(&["--no-push", "--reproducible"]), &no_env).unwrap();
        assert_eq!(s.reproducible_epoch, Some(0));
    }

    #[test]
    fn rejects_bad_platform_and_logging() {
        assert!(BuildSettings::from_flags(
            &flags(&["--no-push", "--custom-platform", "linux/nope"]),
            &no_env
        )
        .is_err());
        assert!(BuildSettings::from_flags(&flags(&["--no-push", "-v", "loud"]), &no_env).is_err());
        assert!(BuildSettings::from_flags(&flags(&["--no-push", "--log-format", "xml"]), &no_env).is_err());
    }
}
