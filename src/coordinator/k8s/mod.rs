// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The Kubernetes driver (`kaniko k8s`, `build --multi-platform … --driver=k8s`): one Job per
//! platform, each pinned to a node of that architecture, so every RUN executes natively.
//!
//! The order of work: the local context is packed and pushed by digest to the first destination
//! repository ([`crate::builder::context_image`]), since the registry is the one place the pods can
//! reach with the credentials they already have; one Job per platform runs the executor image with
//! the run's build request for its platform (reading `docker-image://…`, pushing by digest); each pod reports its image digest as its
//! termination message; the digests are checked in the registry (platform read back from the image
//! config, as `kaniko aggregate` does) and the coordinator publishes the index. The Jobs are deleted
//! (with their pods) on success, failure and interruption.

pub mod job;
pub mod pod_state;
pub mod secrets;

use std::path::{Path, PathBuf};
use std::time::Instant;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, DeleteParams, ListParams, LogParams, PostParams};

use super::{CoordinatorError, Driver, K8sSettings};
use crate::builder::plan::open_sources;
use crate::builder::{context_image, BuildError, BuildRequest};
use crate::cancel::Cancellation;
use crate::context::ContextSpec;
use crate::image::Digest;
use crate::index::entries::{Entry, EntrySource};
use crate::index::verify::verify_entries;
use crate::index::PlatformImage;
use crate::observe::error_chain::error_chain;
use crate::platform::Platform;
use crate::registry::{Reference, RegistryClient};
use crate::secrets::Secrets;
use job::{job, job_name, JobTemplate};
use pod_state::{pod_state, PodState};

/// Why the Kubernetes driver failed.
#[derive(Debug, thiserror::Error)]
pub enum K8sError {
    #[error("the build pods push their images: give --destination and drop --no-push")]
    NoPush,
    #[error("the k8s driver uploads a local context directory; --context {0:?} is not one")]
    NotADirectory(String),
    #[error("the pods cannot read a Dockerfile from this process's standard input (--dockerfile -)")]
    DockerfileFromStdin,
    #[error(
        "the Dockerfile {dockerfile} is outside the build context {root}: the pods only receive the context"
    )]
    DockerfileOutside { dockerfile: PathBuf, root: PathBuf },
    #[error("{path}: {source}")]
    Path {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reading the build's sources: {0}")]
    Sources(#[source] Box<BuildError>),
    #[error("no Kubernetes configuration (KUBECONFIG, ~/.kube/config, or the pod's service account): {0}")]
    NoConfig(#[source] kube::config::InferConfigError),
    #[error("Kubernetes client for {server}: {source}")]
    Client {
        server: String,
        #[source]
        source: kube::Error,
    },
    #[error("not connected (validate first)")]
    NotConnected,
    #[error("the Job for {platform}: {source}")]
    Manifest {
        platform: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("creating Job {job} in namespace {namespace}: {source}")]
    CreateJob {
        job: String,
        namespace: String,
        #[source]
        source: kube::Error,
    },
    #[error("listing the pods of Job {job}: {source}")]
    ListPods {
        job: String,
        #[source]
        source: kube::Error,
    },
    #[error("pod {pod} of Job {job} ({platform}) succeeded but its termination message is {message:?}, not an image digest")]
    NotADigest {
        pod: String,
        job: String,
        platform: String,
        message: String,
    },
    #[error("building {platform} in pod {pod} of Job {job} (namespace {namespace}): {reason}{logs}")]
    PodFailed {
        platform: String,
        pod: String,
        job: String,
        namespace: String,
        reason: String,
        /// The pod's last log lines, preformatted.
        logs: String,
    },
    #[error("timed out after {after} (--k8s-timeout) waiting for {waiting}")]
    Timeout { after: String, waiting: String },
    #[error("creating a scratch directory: {0}")]
    Scratch(#[source] std::io::Error),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error("creating Secret {name} for the build secrets in namespace {namespace}: {source}")]
    CreateSecret {
        name: String,
        namespace: String,
        #[source]
        source: kube::Error,
    },
}

/// Builds each platform in a Kubernetes Job.
pub struct K8sDriver<'a> {
    build: &'a BuildRequest,
    platforms: &'a [Platform],
    settings: &'a K8sSettings,
    cancel: &'a Cancellation,
    client: Option<kube::Client>,
    namespace: String,
    context_dir: PathBuf,
    dockerfile: String,
    run_id: String,
    /// Jobs created so far (deleted by cleanup).
    created: Vec<String>,
    /// The build secrets' values, read in validate.
    secrets: Secrets,
    /// The run's Secret once created (deleted by cleanup).
    created_secret: Option<String>,
    digests: Vec<(Platform, String, Digest)>,
}

// A K8sError ends the run, once: its size on the error path does not matter.
#[allow(clippy::result_large_err)]
impl<'a> K8sDriver<'a> {
    pub fn new(
        build: &'a BuildRequest,
        platforms: &'a [Platform],
        settings: &'a K8sSettings,
        cancel: &'a Cancellation,
    ) -> Self {
        Self {
            build,
            platforms,
            settings,
            cancel,
            client: None,
            namespace: String::new(),
            context_dir: PathBuf::new(),
            dockerfile: String::new(),
            run_id: format!("{:08x}", fastrand::u32(..)),
            created: Vec::new(),
            secrets: Secrets::default(),
            created_secret: None,
            digests: Vec::new(),
        }
    }

    /// The context directory to upload and the Dockerfile's path as the pods must name it:
    /// relative to the context root (`--context-sub-path` included, which the pods receive too),
    /// found with the build's own lookup rule.
    fn locate_sources(&self) -> Result<(PathBuf, String), K8sError> {
        let source = &self.build.source;
        let dir = match ContextSpec::parse(&source.context) {
            Ok(ContextSpec::Dir(dir)) => dir,
            _ => return Err(K8sError::NotADirectory(source.context.clone())),
        };
        let canonical = |p: &Path| {
            std::fs::canonicalize(p).map_err(|source| K8sError::Path {
                path: p.to_path_buf(),
                source,
            })
        };
        let dir = canonical(&dir)?;
        if source.dockerfile == "-" {
            return Err(K8sError::DockerfileFromStdin);
        }
        // A directory context extracts nothing, so the working directory is never written.
        let opened = open_sources(source, &source.context, &std::env::temp_dir())
            .map_err(|e| K8sError::Sources(Box::new(e)))?;
        let root = canonical(opened.context.root())?;
        let found = canonical(opened.dockerfile_path.as_deref().unwrap_or(Path::new("-")))?;
        let relative = found
            .strip_prefix(&root)
            .map_err(|_| K8sError::DockerfileOutside {
                dockerfile: found.clone(),
                root: root.clone(),
            })?;
        Ok((dir, relative.display().to_string()))
    }

    fn client(&self) -> Result<&kube::Client, K8sError> {
        self.client.as_ref().ok_or(K8sError::NotConnected)
    }

    async fn create_jobs(&mut self, context: &Reference) -> Result<(), K8sError> {
        let template = JobTemplate {
            run_id: &self.run_id,
            build: self.build,
            context: format!("{}{context}", context_image::SCHEME),
            dockerfile: &self.dockerfile,
            settings: self.settings,
            build_secrets: self.created_secret.clone(),
        };
        let jobs: Api<Job> = Api::namespaced(self.client()?.clone(), &self.namespace);
        for platform in self.platforms {
            let job = job(&template, platform).map_err(|source| K8sError::Manifest {
                platform: platform.to_string(),
                source,
            })?;
            let name = job_name(&self.run_id, platform);
            jobs.create(&PostParams::default(), &job)
                .await
                .map_err(|source| K8sError::CreateJob {
                    job: name.clone(),
                    namespace: self.namespace.clone(),
                    source,
                })?;
            tracing::info!(%platform, job = %name, namespace = %self.namespace, "created build Job");
            self.created.push(name);
        }
        Ok(())
    }

    /// Polls every Job's pod until each succeeded, one failed, or the time is up.
    async fn wait(&mut self) -> Result<(), K8sError> {
        let pods: Api<Pod> = Api::namespaced(self.client()?.clone(), &self.namespace);
        let deadline = Instant::now() + self.settings.timeout;
        // (platform, Job, what the pod was doing at the last poll); create_jobs made them in order.
        let mut pending: Vec<(Platform, String, String)> = self
            .platforms
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
                    .map_err(|source| K8sError::ListPods {
                        job: name.clone(),
                        source,
                    })?;
                let state = match list.items.first() {
                    Some(pod) => (pod_state(pod), pod.metadata.name.clone().unwrap_or_default()),
                    None => (PodState::Running("no pod yet".into()), String::new()),
                };
                match state {
                    (PodState::Succeeded(message), pod) => {
                        let digest = message.parse::<Digest>().map_err(|_| K8sError::NotADigest {
                            pod: pod.clone(),
                            job: name.clone(),
                            platform: platform.to_string(),
                            message: message.clone(),
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
                        return Err(K8sError::PodFailed {
                            platform: platform.to_string(),
                            pod,
                            job: name,
                            namespace: self.namespace.clone(),
                            reason,
                            logs,
                        });
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
                return Err(K8sError::Timeout {
                    after: humantime::format_duration(self.settings.timeout).to_string(),
                    waiting: states.join("; "),
                });
            }
            tokio::time::sleep(self.settings.poll_interval).await;
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

    /// Puts the build secrets into the run's Secret, for the pods to mount.
    async fn create_secret(&mut self) -> Result<(), K8sError> {
        if self.build.secrets.is_empty() {
            return Ok(());
        }
        let secret = secrets::run_secret(&self.run_id, &self.build.secrets, &self.secrets);
        let name = secrets::secret_name(&self.run_id);
        let api: Api<Secret> = Api::namespaced(self.client()?.clone(), &self.namespace);
        api.create(&PostParams::default(), &secret)
            .await
            .map_err(|source| K8sError::CreateSecret {
                name: name.clone(),
                namespace: self.namespace.clone(),
                source,
            })?;
        tracing::info!(secret = %name, ids = ?self.secrets.ids().collect::<Vec<_>>(), "created the build secrets' Secret");
        self.created_secret = Some(name);
        Ok(())
    }

    async fn delete_secret(&mut self) {
        let (Some(name), Some(client)) = (self.created_secret.take(), self.client.clone()) else {
            return;
        };
        let api: Api<Secret> = Api::namespaced(client, &self.namespace);
        match api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => tracing::debug!(secret = %name, "deleted the build secrets' Secret"),
            Err(e) => {
                tracing::warn!(secret = %name, error = %error_chain(&e), "could not delete the build secrets' Secret")
            }
        }
    }

    async fn delete_jobs(&mut self) {
        if self.settings.keep_jobs || self.created.is_empty() {
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

impl Driver for K8sDriver<'_> {
    fn name(&self) -> &'static str {
        "k8s"
    }

    async fn validate(&mut self, _registry: &RegistryClient) -> Result<(), CoordinatorError> {
        if !self.build.outputs.push || self.build.outputs.destinations.is_empty() {
            return Err(K8sError::NoPush.into());
        }
        let (dir, dockerfile) = self.locate_sources()?;
        // Read now, so a missing secret fails the run before anything is uploaded.
        self.secrets =
            Secrets::load(&self.build.secrets, |v| std::env::var(v).ok()).map_err(K8sError::from)?;
        self.context_dir = dir;
        self.dockerfile = dockerfile;
        let config = kube::Config::infer().await.map_err(K8sError::NoConfig)?;
        self.namespace = self
            .settings
            .namespace
            .clone()
            .unwrap_or_else(|| config.default_namespace.clone());
        let server = config.cluster_url.to_string();
        let client = kube::Client::try_from(config).map_err(|source| K8sError::Client {
            server: server.clone(),
            source,
        })?;
        tracing::info!(%server, namespace = %self.namespace, run = %self.run_id, "Kubernetes driver");
        self.client = Some(client);
        Ok(())
    }

    async fn execute(&mut self, registry: &RegistryClient) -> Result<Vec<PlatformImage>, CoordinatorError> {
        let scratch = tempfile::Builder::new()
            .prefix("kaniko-k8s-")
            .tempdir()
            .map_err(K8sError::Scratch)?;
        let destinations = &self.build.outputs.destinations;
        // Pushed by digest into the first destination's repository (its tag is not touched).
        let context = context_image::push(registry, &destinations[0], &self.context_dir, scratch.path())
            .await
            .map_err(|e| CoordinatorError::Build {
                platform: "every platform (uploading the build context)".into(),
                source: Box::new(e),
            })?;
        drop(scratch);
        tracing::info!(context = %context, "uploaded the build context");
        self.create_secret().await?;
        self.create_jobs(&context).await?;
        let cancel = self.cancel;
        tokio::select! {
            r = self.wait() => r?,
            reason = cancel.cancelled() => return Err(CoordinatorError::Interrupted(reason)),
        }
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
        Ok(verify_entries(registry, destinations, &entries).await?)
    }

    async fn cleanup(&mut self) {
        self.delete_jobs().await;
        // Kept with --k8s-keep-jobs, as the pods that mount it are.
        if !self.settings.keep_jobs {
            self.delete_secret().await;
        }
    }
}
