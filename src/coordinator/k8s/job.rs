// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The Job of one platform: an executor pod pinned to a node of that architecture with
//! `nodeSelector: kubernetes.io/arch`, building from the context image, pushing by digest and
//! reporting the digest as its termination message (`--digest-file /dev/termination-log`).

use serde_json::{json, Value};

use super::K8sSettings;
use crate::cli::BuildFlags;
use crate::platform::Platform;

/// Where a container's termination message is read from (Kubernetes' default path).
pub const TERMINATION_LOG: &str = "/dev/termination-log";
/// Label on every Job and pod of one `kaniko k8s` run.
pub const RUN_LABEL: &str = "kaniko.dev/run";
/// Label naming the platform a pod builds (`linux-arm64`).
pub const PLATFORM_LABEL: &str = "kaniko.dev/platform";

/// What every Job of a run shares.
#[derive(Debug, Clone)]
pub struct JobTemplate<'a> {
    pub run_id: &'a str,
    /// `docker-image://REPO@DIGEST` of the uploaded context.
    pub context: String,
    /// The Dockerfile, relative to the context.
    pub dockerfile: &'a str,
    /// Image, service account, credentials Secret, deadline and the flags passed on to the pods.
    pub settings: &'a K8sSettings,
}

/// `linux/arm64/v8` → `linux-arm64-v8`, for names and labels.
pub fn platform_slug(platform: &Platform) -> String {
    platform.to_string().replace('/', "-")
}

/// The Job name of `platform` in this run (at most 63 characters, a DNS label).
pub fn job_name(run_id: &str, platform: &Platform) -> String {
    let mut name = format!("kaniko-{run_id}-{}", platform_slug(platform));
    name.truncate(63);
    name.trim_end_matches('-').to_string()
}

/// The Job manifest for `platform`.
pub fn job_manifest(template: &JobTemplate, platform: &Platform) -> Value {
    let labels = json!({
        "app.kubernetes.io/name": "kaniko",
        "app.kubernetes.io/managed-by": "kaniko-rs",
        RUN_LABEL: template.run_id,
        PLATFORM_LABEL: platform_slug(platform),
    });
    let mut args = vec![
        "build".to_string(),
        "--context".to_string(),
        template.context.clone(),
        "--dockerfile".to_string(),
        template.dockerfile.to_string(),
        "--custom-platform".to_string(),
        platform.to_string(),
        "--push-by-digest".to_string(),
        "--digest-file".to_string(),
        TERMINATION_LOG.to_string(),
    ];
    let settings = template.settings;
    args.extend(settings.forwarded.iter().cloned());
    let mut container = json!({
        "name": "kaniko",
        "image": settings.executor_image,
        "command": ["/kaniko/executor"],
        "args": args,
        "terminationMessagePath": TERMINATION_LOG,
        "terminationMessagePolicy": "File",
        "env": [{"name": "DOCKER_CONFIG", "value": "/kaniko/.docker"}],
        // Root inside the pod's own container, kaniko's model: no privileges, no added capabilities.
        "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": false},
    });
    let mut pod_spec = json!({
        "restartPolicy": "Never",
        "automountServiceAccountToken": false,
        "nodeSelector": {
            "kubernetes.io/os": platform.os,
            "kubernetes.io/arch": platform.architecture,
        },
        "containers": [],
    });
    if let Some(secret) = &settings.docker_config_secret {
        container["volumeMounts"] =
            json!([{"name": "docker-config", "mountPath": "/kaniko/.docker", "readOnly": true}]);
        pod_spec["volumes"] = json!([{
            "name": "docker-config",
            "secret": {"secretName": secret, "items": [{"key": ".dockerconfigjson", "path": "config.json"}]},
        }]);
    }
    if let Some(account) = &settings.service_account {
        pod_spec["serviceAccountName"] = json!(account);
    }
    pod_spec["containers"] = json!([container]);
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job_name(template.run_id, platform), "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": settings.timeout.as_secs().max(1),
            "ttlSecondsAfterFinished": 3600,
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    })
}

/// The build flags that mean the same in a pod as here. Outputs, paths on this machine and the
/// multi-platform flags are not forwarded; flags naming local files are refused by the caller.
pub fn forwarded_args(flags: &BuildFlags) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |name: &str, value: &str| {
        out.push(format!("--{name}={value}"));
    };
    if let Some(sub) = &flags.context_sub_path {
        push("context-sub-path", sub);
    }
    for dest in &flags.destinations {
        push("destination", dest);
    }
    for arg in &flags.build_args {
        push("build-arg", arg);
    }
    for label in &flags.labels {
        push("label", label);
    }
    if let Some(target) = &flags.target {
        push("target", target);
    }
    for (name, on) in [
        ("skip-unused-stages", flags.skip_unused_stages),
        ("reproducible", flags.reproducible),
        ("single-snapshot", flags.single_snapshot),
        ("force-compression", flags.force_compression),
        ("insecure", flags.registry.insecure),
        ("insecure-pull", flags.registry.insecure_pull),
        ("skip-tls-verify", flags.registry.skip_tls_verify),
        ("skip-tls-verify-pull", flags.registry.skip_tls_verify_pull),
        ("log-timestamp", flags.log.log_timestamp),
    ] {
        if on {
            push(name, "true");
        }
    }
    push("snapshot-mode", &flags.snapshot_mode);
    push("oci-mode", &flags.oci_mode);
    push("compression", &flags.compression);
    if let Some(level) = flags.compression_level {
        push("compression-level", &level.to_string());
    }
    for r in &flags.registry.insecure_registries {
        push("insecure-registry", r);
    }
    for r in &flags.registry.skip_tls_verify_registries {
        push("skip-tls-verify-registry", r);
    }
    for m in &flags.registry.registry_mirrors {
        push("registry-mirror", m);
    }
    push("push-retry", &flags.registry.push_retry.to_string());
    push(
        "image-download-retry",
        &flags.registry.image_download_retry.to_string(),
    );
    for p in &flags.ignore_paths {
        push("ignore-path", &p.display().to_string());
    }
    push("verbosity", &flags.log.verbosity);
    // Pod logs are read by people and by `kubectl logs`: plain text, never ANSI colours.
    push(
        "log-format",
        if flags.log.log_format == "json" {
            "json"
        } else {
            "text"
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> K8sSettings {
        K8sSettings {
            namespace: None,
            executor_image: "kaniko-rs/executor:0.1.0".into(),
            service_account: Some("builder".into()),
            docker_config_secret: Some("regcred".into()),
            timeout: std::time::Duration::from_secs(1800),
            poll_interval: std::time::Duration::from_secs(2),
            keep_jobs: false,
            forwarded: vec!["--destination=registry.example.com/team/app".into()],
        }
    }

    fn template(settings: &K8sSettings) -> JobTemplate<'_> {
        JobTemplate {
            run_id: "3f9a1c2e",
            context: "registry.example.com/team/app@sha256:abc".into(),
            dockerfile: "docker/Dockerfile",
            settings,
        }
    }

    #[test]
    fn job_is_pinned_to_the_architecture_and_reports_its_digest() {
        let platform: Platform = "linux/arm64".parse().unwrap();
        let settings = settings();
        let job = job_manifest(&template(&settings), &platform);
        assert_eq!(job["spec"]["activeDeadlineSeconds"], 1800);
        assert_eq!(job["metadata"]["name"], "kaniko-3f9a1c2e-linux-arm64");
        let pod = &job["spec"]["template"]["spec"];
        assert_eq!(pod["nodeSelector"]["kubernetes.io/arch"], "arm64");
        assert_eq!(pod["nodeSelector"]["kubernetes.io/os"], "linux");
        assert_eq!(pod["restartPolicy"], "Never");
        assert_eq!(pod["serviceAccountName"], "builder");
        assert_eq!(job["spec"]["backoffLimit"], 0);
        let c = &pod["containers"][0];
        let args: Vec<&str> = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(
            &args[..10],
            [
                "build",
                "--context",
                "registry.example.com/team/app@sha256:abc",
                "--dockerfile",
                "docker/Dockerfile",
                "--custom-platform",
                "linux/arm64",
                "--push-by-digest",
                "--digest-file",
                TERMINATION_LOG
            ]
        );
        assert_eq!(c["terminationMessagePath"], TERMINATION_LOG);
        assert_eq!(pod["volumes"][0]["secret"]["secretName"], "regcred");
        assert_eq!(c["volumeMounts"][0]["mountPath"], "/kaniko/.docker");
        assert!(c["securityContext"].get("privileged").is_none());
        // The manifest is a valid Job for the API types.
        let typed: k8s_openapi::api::batch::v1::Job = serde_json::from_value(job).unwrap();
        assert_eq!(typed.spec.unwrap().template.spec.unwrap().containers.len(), 1);
    }

    #[test]
    fn names_are_dns_labels() {
        let platform: Platform = "linux/arm/v7".parse().unwrap();
        let name = job_name(
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
            &platform,
        );
        assert!(name.len() <= 63 && !name.ends_with('-'), "{name}");
        assert_eq!(job_name("ab12", &platform), "kaniko-ab12-linux-arm-v7");
    }

    #[test]
    fn forwards_build_flags_but_not_outputs() {
        let flags = BuildFlags {
            destinations: vec!["r.example/app:1".into()],
            build_args: vec!["A=1".into()],
            target: Some("final".into()),
            digest_file: Some("/tmp/d".into()),
            oci_mode: "oci".into(),
            compression: "zstd".into(),
            snapshot_mode: "full".into(),
            log: crate::cli::shared_flags::LogFlags {
                verbosity: "debug".into(),
                log_format: "color".into(),
                log_timestamp: false,
                ..Default::default()
            },
            ..Default::default()
        };
        let args = forwarded_args(&flags);
        for want in [
            "--destination=r.example/app:1",
            "--build-arg=A=1",
            "--target=final",
            "--compression=zstd",
            "--verbosity=debug",
            "--log-format=text",
        ] {
            assert!(args.contains(&want.to_string()), "{want} in {args:?}");
        }
        assert!(!args.iter().any(|a| a.contains("digest-file")), "{args:?}");
    }
}
