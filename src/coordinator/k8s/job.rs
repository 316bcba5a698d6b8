// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The Job of one platform: an executor pod pinned to a node of that architecture with
//! `nodeSelector: kubernetes.io/arch`, building from the context image, pushing by digest and
//! reporting the digest as its termination message (`--digest-file /dev/termination-log`).

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, KeyToPath, PodSpec, PodTemplateSpec, SecretVolumeSource, SecurityContext, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::super::K8sSettings;
use super::secrets::{pod_secrets, SECRETS_DIR};
use crate::builder::request::Source;
use crate::builder::BuildRequest;
use crate::platform::Platform;

/// Where a container's termination message is read from (Kubernetes' default path).
pub const TERMINATION_LOG: &str = "/dev/termination-log";
/// Label on every Job and pod of one `kaniko k8s` run.
pub const RUN_LABEL: &str = "kaniko.dev/run";
/// Label naming the platform a pod builds (`linux-arm64`).
pub const PLATFORM_LABEL: &str = "kaniko.dev/platform";
/// The executor's flag that takes a whole serialized [`BuildRequest`]: the pods receive the request
/// itself, not flags rebuilt from it, so nothing resolved here is lost on the way.
pub const BUILD_REQUEST_FLAG: &str = "--build-request";

/// What every Job of a run shares.
#[derive(Debug, Clone)]
pub struct JobTemplate<'a> {
    pub run_id: &'a str,
    /// The multi-platform run's build.
    pub build: &'a BuildRequest,
    /// `docker-image://REPO@DIGEST` of the uploaded context.
    pub context: String,
    /// The Dockerfile, relative to the context.
    pub dockerfile: &'a str,
    /// Image, service account, credentials Secret, deadline and the pods' logging.
    pub settings: &'a K8sSettings,
    /// The run's Secret holding the build secrets, when the build has any.
    pub build_secrets: Option<String>,
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

/// The build one pod runs: the run's build for `platform`, reading the uploaded context, pushing by
/// digest and reporting the digest as its termination message.
pub fn pod_request(template: &JobTemplate, platform: &Platform) -> BuildRequest {
    let mut request = template.build.for_platform(platform);
    request.source = Source {
        context: template.context.clone(),
        context_sub_path: template.build.source.context_sub_path.clone(),
        dockerfile: template.dockerfile.to_string(),
        // The context was fetched (a git clone included) and uploaded by the coordinator.
        git: Default::default(),
    };
    request.outputs.records.digest_file = Some(TERMINATION_LOG.into());
    if template.build_secrets.is_some() {
        request.secrets = pod_secrets(&request.secrets);
    }
    request
}

/// The executor's arguments for `request`: the build as JSON, then the pod's logging.
pub fn executor_args(
    request: &BuildRequest,
    settings: &K8sSettings,
) -> Result<Vec<String>, serde_json::Error> {
    let log = &settings.pod_log;
    let mut args = vec![
        "build".to_string(),
        BUILD_REQUEST_FLAG.to_string(),
        serde_json::to_string(request)?,
        format!("--verbosity={}", log.level),
        format!("--log-format={}", if log.json { "json" } else { "text" }),
    ];
    if log.timestamp {
        args.push("--log-timestamp=true".into());
    }
    Ok(args)
}

/// The Job for `platform`.
pub fn job(template: &JobTemplate, platform: &Platform) -> Result<Job, serde_json::Error> {
    let settings = template.settings;
    let labels = BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), "kaniko".to_string()),
        (
            "app.kubernetes.io/managed-by".to_string(),
            "kaniko-rs".to_string(),
        ),
        (RUN_LABEL.to_string(), template.run_id.to_string()),
        (PLATFORM_LABEL.to_string(), platform_slug(platform)),
    ]);
    let mut volumes = Vec::new();
    let mut mounts = Vec::new();
    let mut secret_volume = |name: &str, secret: &str, path: &str, items: Option<Vec<KeyToPath>>| {
        volumes.push(Volume {
            name: name.into(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(secret.into()),
                items,
                // Owner-read only: what a build secret file is in BuildKit too.
                default_mode: Some(0o400),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        });
        mounts.push(VolumeMount {
            name: name.into(),
            mount_path: path.into(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
    };
    if let Some(secret) = &settings.docker_config_secret {
        let items = vec![KeyToPath {
            key: ".dockerconfigjson".into(),
            path: "config.json".into(),
            ..KeyToPath::default()
        }];
        secret_volume("docker-config", secret, "/kaniko/.docker", Some(items));
    }
    if let Some(secret) = &template.build_secrets {
        secret_volume("build-secrets", secret, SECRETS_DIR, None);
    }
    let container = Container {
        name: "kaniko".into(),
        image: Some(settings.executor_image.clone()),
        command: Some(vec!["/kaniko/executor".into()]),
        args: Some(executor_args(&pod_request(template, platform), settings)?),
        termination_message_path: Some(TERMINATION_LOG.into()),
        termination_message_policy: Some("File".into()),
        env: Some(vec![EnvVar {
            name: "DOCKER_CONFIG".into(),
            value: Some("/kaniko/.docker".into()),
            ..EnvVar::default()
        }]),
        // Root inside the pod's own container, kaniko's model: no privileges, no added capabilities.
        security_context: Some(SecurityContext {
            run_as_user: Some(0),
            allow_privilege_escalation: Some(false),
            ..SecurityContext::default()
        }),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        ..Container::default()
    };
    let pod = PodSpec {
        restart_policy: Some("Never".into()),
        automount_service_account_token: Some(false),
        node_selector: Some(BTreeMap::from([
            ("kubernetes.io/os".to_string(), platform.os.clone()),
            ("kubernetes.io/arch".to_string(), platform.architecture.clone()),
        ])),
        service_account_name: settings.service_account.clone(),
        volumes: (!volumes.is_empty()).then_some(volumes),
        containers: vec![container],
        ..PodSpec::default()
    };
    Ok(Job {
        metadata: ObjectMeta {
            name: Some(job_name(template.run_id, platform)),
            labels: Some(labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            backoff_limit: Some(0),
            active_deadline_seconds: Some(
                i64::try_from(settings.timeout.as_secs().max(1)).unwrap_or(i64::MAX),
            ),
            ttl_seconds_after_finished: Some(3600),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::request::{ImageFormat, Outputs, SnapshotOptions};
    use crate::registry::Reference;

    fn settings() -> K8sSettings {
        K8sSettings {
            namespace: None,
            executor_image: "kaniko-rs/executor:0.1.0".into(),
            service_account: Some("builder".into()),
            docker_config_secret: Some("regcred".into()),
            timeout: std::time::Duration::from_secs(1800),
            poll_interval: std::time::Duration::from_secs(2),
            keep_jobs: false,
            pod_log: crate::coordinator::PodLog::default(),
        }
    }

    fn build() -> BuildRequest {
        BuildRequest {
            source: Source {
                context: "/home/me/app".into(),
                context_sub_path: Some("svc".into()),
                dockerfile: "/home/me/app/svc/Dockerfile".into(),
                git: Default::default(),
            },
            build_args: [("FROM_ENV".to_string(), "resolved here".to_string())].into(),
            target: Some("final".into()),
            skip_unused_stages: true,
            labels: Default::default(),
            annotations: Default::default(),
            platform: Platform::host(),
            reproducible_epoch: Some(1_700_000_000),
            format: ImageFormat::default(),
            snapshot: SnapshotOptions::default(),
            cache: Default::default(),
            secrets: vec!["id=npmrc,src=/home/me/.npmrc".parse().unwrap()],
            ssh: Vec::new(),
            outputs: Outputs {
                destinations: vec![Reference::parse("registry.example.com/team/app:1").unwrap()],
                push: true,
                tar_path: Some("/home/me/out.tar".into()),
                ..Outputs::default()
            },
            registry: Default::default(),
            kaniko_dir: "/home/me/.kaniko".into(),
        }
    }

    fn template<'a>(settings: &'a K8sSettings, build: &'a BuildRequest) -> JobTemplate<'a> {
        JobTemplate {
            run_id: "3f9a1c2e",
            build,
            context: "docker-image://registry.example.com/team/app@sha256:abc".into(),
            dockerfile: "docker/Dockerfile",
            settings,
            build_secrets: None,
        }
    }

    #[test]
    fn build_secrets_come_from_the_runs_secret_mounted_read_only() {
        let platform: Platform = "linux/amd64".parse().unwrap();
        let (settings, build) = (settings(), build());
        let mut t = template(&settings, &build);
        t.build_secrets = Some("kaniko-3f9a1c2e-secrets".into());
        let job = serde_json::to_value(job(&t, &platform).unwrap()).unwrap();
        let pod = &job["spec"]["template"]["spec"];
        assert_eq!(
            pod["volumes"][1]["secret"]["secretName"],
            "kaniko-3f9a1c2e-secrets"
        );
        assert_eq!(pod["volumes"][1]["secret"]["defaultMode"], 0o400);
        let mount = &pod["containers"][0]["volumeMounts"][1];
        assert_eq!(
            (mount["mountPath"].as_str(), mount["readOnly"].as_bool()),
            (Some(SECRETS_DIR), Some(true))
        );
        let sent: BuildRequest =
            serde_json::from_str(pod["containers"][0]["args"][2].as_str().unwrap()).unwrap();
        assert_eq!(
            sent.secrets[0].to_string(),
            "id=npmrc,src=/kaniko/secrets/secret-0"
        );
    }

    #[test]
    fn job_is_pinned_to_the_architecture_and_reports_its_digest() {
        let platform: Platform = "linux/arm64".parse().unwrap();
        let (settings, build) = (settings(), build());
        let job = serde_json::to_value(job(&template(&settings, &build), &platform).unwrap()).unwrap();
        assert_eq!(job["spec"]["activeDeadlineSeconds"], 1800);
        assert_eq!(job["metadata"]["name"], "kaniko-3f9a1c2e-linux-arm64");
        let pod = &job["spec"]["template"]["spec"];
        assert_eq!(pod["nodeSelector"]["kubernetes.io/arch"], "arm64");
        assert_eq!(pod["nodeSelector"]["kubernetes.io/os"], "linux");
        assert_eq!(pod["restartPolicy"], "Never");
        assert_eq!(pod["serviceAccountName"], "builder");
        assert_eq!(job["spec"]["backoffLimit"], 0);
        let c = &pod["containers"][0];
        assert_eq!(c["args"][0], "build");
        assert_eq!(c["args"][1], BUILD_REQUEST_FLAG);
        assert_eq!(c["terminationMessagePath"], TERMINATION_LOG);
        assert_eq!(pod["volumes"][0]["secret"]["secretName"], "regcred");
        assert_eq!(c["volumeMounts"][0]["mountPath"], "/kaniko/.docker");
        assert!(c["securityContext"].get("privileged").is_none());
    }

    #[test]
    fn the_pod_builds_its_platform_from_the_uploaded_context_by_digest() {
        let platform: Platform = "linux/arm64".parse().unwrap();
        let (settings, build) = (settings(), build());
        let request = pod_request(&template(&settings, &build), &platform);
        assert_eq!(request.platform, platform);
        assert_eq!(
            request.source.context,
            "docker-image://registry.example.com/team/app@sha256:abc"
        );
        assert_eq!(request.source.dockerfile, "docker/Dockerfile");
        assert_eq!(request.source.context_sub_path.as_deref(), Some("svc"));
        assert!(request.outputs.push && request.outputs.push_by_digest);
        assert_eq!(
            request.outputs.tar_path, None,
            "a file on this machine means nothing in a pod"
        );
        assert_eq!(
            request.outputs.records.digest_file.as_deref(),
            Some(TERMINATION_LOG.as_ref())
        );
        // What was resolved here travels with the request.
        assert_eq!(request.build_args["FROM_ENV"], "resolved here");
        assert_eq!(request.reproducible_epoch, Some(1_700_000_000));
        let args = executor_args(&request, &settings).unwrap();
        let sent: BuildRequest = serde_json::from_str(&args[2]).unwrap();
        // The kaniko directory is the pod's own.
        assert_eq!(sent.kaniko_dir, std::path::PathBuf::new());
        assert_eq!(
            BuildRequest {
                kaniko_dir: request.kaniko_dir.clone(),
                ..sent
            },
            request
        );
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
}
