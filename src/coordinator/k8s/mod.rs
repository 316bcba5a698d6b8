// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The Kubernetes driver (`kaniko k8s`, `build --multi-platform … --driver=k8s`): one Job per
//! platform, each pinned to a node of that architecture, so every RUN executes natively.
//!
//! The order of work: the local context is packed and pushed by digest to the first destination
//! repository ([`crate::builder::context_image`]), since the registry is the one place the pods can
//! reach with the credentials they already have; one Job per platform runs the executor image with
//! `--context docker-image://…` and `--push-by-digest`; each pod reports its image digest as its
//! termination message; the digests are checked in the registry (platform read back from the image
//! config, as `kaniko aggregate` does) and the coordinator publishes the index. The Jobs are deleted
//! (with their pods) on success, failure and interruption.

pub mod job;
pub mod pod_state;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, LogParams, PostParams};

use super::{CoordinatorError, Driver};
use crate::builder::context_image;
use crate::cli::settings::BuildSettings;
use crate::context::{resolve_dockerfile, BuildContext, ContextSpec};
use crate::image::Digest;
use crate::index::entries::{Entry, EntrySource};
use crate::index::verify::verify_entries;
use crate::index::PlatformImage;
use crate::observe::error_chain::error_chain;
use crate::platform::Platform;
use crate::registry::{Reference, RegistryClient};
use job::{job_manifest, job_name, JobTemplate};
use pod_state::{pod_state, PodState};

/// The driver's own settings (`--k8s-*`), validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct K8sSettings {
    pub namespace: Option<String>,
    pub executor_image: String,
    pub service_account: Option<String>,
    pub docker_config_secret: Option<String>,
    pub timeout: Duration,
    pub poll_interval: Duration,
    pub keep_jobs: bool,
    /// Build flags passed on to the pods ([`job::forwarded_args`]).
    pub forwarded: Vec<String>,
}

/// Builds each platform in a Kubernetes Job.
pub struct K8sDriver {
    settings: BuildSettings,
    destinations: Vec<Reference>,
    client: Option<kube::Client>,
    namespace: String,
    context_dir: PathBuf,
    dockerfile: String,
    run_id: String,
    /// Jobs created so far (deleted by cleanup).
    created: Vec<String>,
    digests: Vec<(Platform, String, Digest)>,
}

fn k8s_err(reason: impl Into<String>) -> CoordinatorError {
    CoordinatorError::Kubernetes(reason.into())
}

impl K8sDriver {
    pub fn new(settings: BuildSettings, destinations: Vec<Reference>) -> Self {
        Self {
            settings,
            destinations,
            client: None,
            namespace: String::new(),
            context_dir: PathBuf::new(),
            dockerfile: String::new(),
            run_id: format!("{:08x}", fastrand::u32(..)),
            created: Vec::new(),
            digests: Vec::new(),
        }
    }

    /// The context directory to upload and the Dockerfile's path as the pods must name it:
    /// relative to the context root (`--context-sub-path` included, which the pods receive too),
    /// found with the build's own lookup rule.
    fn locate_sources(&self) -> Result<(PathBuf, String), CoordinatorError> {
        let dir = match ContextSpec::parse(&self.settings.context) {
            Ok(ContextSpec::Dir(dir)) => dir,
            _ => {
                return Err(k8s_err(format!(
                    "the k8s driver uploads a local context directory; --context {:?} is not one",
                    self.settings.context
                )))
            }
        };
        let dir = std::fs::canonicalize(&dir)
            .map_err(|e| k8s_err(format!("build context directory {}: {e}", dir.display())))?;
        if self.settings.dockerfile == "-" {
            return Err(k8s_err(
                "the pods cannot read a Dockerfile from this process's standard input (--dockerfile -)",
            ));
        }
        // A directory context extracts nothing, so the working directory is never written.
        let context = BuildContext::open(
            &self.settings.context,
            self.settings.context_sub_path.as_deref(),
            &std::env::temp_dir(),
        )
        .map_err(|e| k8s_err(e.to_string()))?;
        let resolved =
            resolve_dockerfile(&self.settings.dockerfile, &context).map_err(|e| k8s_err(e.to_string()))?;
        let canonical =
            |p: &Path| std::fs::canonicalize(p).map_err(|e| k8s_err(format!("{}: {e}", p.display())));
        let root = canonical(context.root())?;
        let found = canonical(resolved.path.as_deref().unwrap_or(Path::new("-")))?;
        let relative = found.strip_prefix(&root).map_err(|_| {
            k8s_err(format!(
                "the Dockerfile {} is outside the build context {}: the pods only receive the context",
                found.display(),
                root.display()
            ))
        })?;
        Ok((dir, relative.display().to_string()))
    }

    fn client(&self) -> Result<&kube::Client, CoordinatorError> {
        self.client
            .as_ref()
            .ok_or_else(|| k8s_err("not connected (validate first)"))
    }

    async fn create_jobs(&mut self, context: &Reference) -> Result<(), CoordinatorError> {
        let template = JobTemplate {
            run_id: &self.run_id,
            context: format!("{}{context}", context_image::SCHEME),
            dockerfile: &self.dockerfile,
            settings: &self.settings.k8s,
        };
        let jobs: Api<Job> = Api::namespaced(self.client()?.clone(), &self.namespace);
        for platform in self.settings.multi_platform.clone() {
            let manifest = job_manifest(&template, &platform);
            let job: Job = serde_json::from_value(manifest)
                .map_err(|e| k8s_err(format!("the Job for {platform}: {e}")))?;
            let name = job_name(&self.run_id, &platform);
            jobs.create(&PostParams::default(), &job).await.map_err(|e| {
                k8s_err(format!(
                    "creating Job {name} in namespace {}: {}",
                    self.namespace,
                    error_chain(&e)
                ))
            })?;
            tracing::info!(%platform, job = %name, namespace = %self.namespace, "created build Job");
            self.created.push(name);
        }
        Ok(())
    }

    /// Polls every Job's pod until each succeeded, one failed, or the time is up.
    async fn wait(&mut self) -> Result<(), CoordinatorError> {
        let pods: Api<Pod> = Api::namespaced(self.client()?.clone(), &self.namespace);
        let deadline = Instant::now() + self.settings.k8s.timeout;
        // (platform, Job, what the pod was doing at the last poll); create_jobs made them in order.
        let mut pending: Vec<(Platform, String, String)> = self
            .settings
            .multi_platform
            .iter()
            .cloned()
            .zip(self.created.iter().cloned())
            .map(|(p, name)| (p, name, String::from("created")))
            .collect();
        loop {
            let mut still = Vec::new();
            for (platform, name, last) in pending {
                let list = pods
                    .list(&ListParams::default().labels(&format!("job-name={name}")))
                    .await
                    .map_err(|e| k8s_err(format!("listing the pods of Job {name}: {}", error_chain(&e))))?;
                let state = match list.items.first() {
                    Some(pod) => (pod_state(pod), pod.metadata.name.clone().unwrap_or_default()),
                    None => (PodState::Running("no pod yet".into()), String::new()),
                };
                match state {
                    (PodState::Succeeded(message), pod) => {
                        let digest = message.parse::<Digest>().map_err(|_| {
                            k8s_err(format!(
                                "pod {pod} of Job {name} ({platform}) succeeded but its termination message is {message:?}, not an image digest"
                            ))
                        })?;
                        tracing::info!(%platform, %pod, %digest, "platform built");
                        self.digests.push((platform, pod, digest));
                    }
                    (PodState::Failed(reason), pod) => {
                        let logs = if pod.is_empty() {
                            String::new()
                        } else {
                            self.tail_logs(&pods, &pod).await
                        };
                        return Err(k8s_err(format!(
                            "building {platform} in pod {pod} of Job {name} (namespace {}): {reason}{logs}",
                            self.namespace
                        )));
                    }
                    (PodState::Running(now), _) => {
                        if now != last {
                            tracing::info!(%platform, job = %name, state = %now, "waiting for the build pod");
                        }
                        still.push((platform, name, now));
                    }
                }
            }
            pending = still;
            if pending.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let states: Vec<String> = pending
                    .iter()
                    .map(|(p, n, s)| format!("{p} (Job {n}): {s}"))
                    .collect();
                return Err(k8s_err(format!(
                    "timed out after {} (--k8s-timeout) waiting for {}",
                    humantime::format_duration(self.settings.k8s.timeout),
                    states.join("; ")
                )));
            }
            tokio::time::sleep(self.settings.k8s.poll_interval).await;
        }
    }

    /// The last lines of a failed pod's log, for the error (the executor's own error line is there).
    async fn tail_logs(&self, pods: &Api<Pod>, pod: &str) -> String {
        let params = LogParams {
            tail_lines: Some(20),
            ..LogParams::default()
        };
        match pods.logs(pod, &params).await {
            Ok(text) if !text.trim().is_empty() => {
                format!("; last lines of its log:\n{}", text.trim_end())
            }
            Ok(_) => String::new(),
            Err(e) => format!(" (its log could not be read: {})", error_chain(&e)),
        }
    }

    async fn delete_jobs(&mut self) {
        if self.settings.k8s.keep_jobs || self.created.is_empty() {
            return;
        }
        let Some(client) = self.client.clone() else {
            return;
        };
        let jobs: Api<Job> = Api::namespaced(client, &self.namespace);
        for name in std::mem::take(&mut self.created) {
            match jobs.delete(&name, &DeleteParams::background()).await {
                Ok(_) => tracing::debug!(job = %name, "deleted build Job"),
                Err(e) => tracing::warn!(job = %name, error = %error_chain(&e), "could not delete build Job"),
            }
        }
    }
}

impl Driver for K8sDriver {
    fn name(&self) -> &'static str {
        "k8s"
    }

    async fn validate(&mut self, _registry: &RegistryClient) -> Result<(), CoordinatorError> {
        if !self.settings.push || self.destinations.is_empty() {
            return Err(k8s_err(
                "the build pods push their images: give --destination and drop --no-push",
            ));
        }
        let (dir, dockerfile) = self.locate_sources()?;
        self.context_dir = dir;
        self.dockerfile = dockerfile;
        let config = kube::Config::infer().await.map_err(|e| {
            k8s_err(format!(
                "no Kubernetes configuration (KUBECONFIG, ~/.kube/config, or the pod's service account): {}",
                error_chain(&e)
            ))
        })?;
        self.namespace = self
            .settings
            .k8s
            .namespace
            .clone()
            .unwrap_or_else(|| config.default_namespace.clone());
        let server = config.cluster_url.to_string();
        let client = kube::Client::try_from(config)
            .map_err(|e| k8s_err(format!("Kubernetes client for {server}: {}", error_chain(&e))))?;
        tracing::info!(%server, namespace = %self.namespace, run = %self.run_id, "Kubernetes driver");
        self.client = Some(client);
        Ok(())
    }

    async fn execute(&mut self, registry: &RegistryClient) -> Result<Vec<PlatformImage>, CoordinatorError> {
        let scratch = tempfile::Builder::new()
            .prefix("kaniko-k8s-")
            .tempdir()
            .map_err(|e| k8s_err(format!("creating a scratch directory: {e}")))?;
        // Pushed by digest into the first destination's repository (its tag is not touched).
        let repository = &self.destinations[0];
        let context = context_image::push(registry, repository, &self.context_dir, scratch.path())
            .await
            .map_err(|e| CoordinatorError::Build {
                platform: "every platform (uploading the build context)".into(),
                source: Box::new(e),
            })?;
        drop(scratch);
        tracing::info!(context = %context, "uploaded the build context");
        self.create_jobs(&context).await?;
        let waited = {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term =
                signal(SignalKind::terminate()).map_err(|e| k8s_err(format!("SIGTERM handler: {e}")))?;
            let mut int =
                signal(SignalKind::interrupt()).map_err(|e| k8s_err(format!("SIGINT handler: {e}")))?;
            tokio::select! {
                r = self.wait() => r,
                _ = term.recv() => Err(CoordinatorError::Interrupted("SIGTERM")),
                _ = int.recv() => Err(CoordinatorError::Interrupted("SIGINT")),
            }
        };
        waited?;
        let entries: Vec<Entry> = self
            .digests
            .iter()
            .map(|(platform, pod, digest)| Entry {
                digest: digest.clone(),
                platform: Some(platform.clone()),
                image: None,
                source: EntrySource::Remote(format!("pod {pod} ({platform})")),
            })
            .collect();
        Ok(verify_entries(registry, &self.destinations, &entries).await?)
    }

    async fn cleanup(&mut self) {
        self.delete_jobs().await;
    }
}
