// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A single-platform build, in three steps: [`prepare`] opens the context and plans the stages once
//! ([`plan`]), [`execute`] runs the selected stages (one module per instruction family) and
//! assembles the target stage's image, [`publish`] pushes it and writes the outputs. Nothing is
//! pushed or written until every stage has succeeded. The build's input is a [`BuildRequest`].

pub mod cache_keys;
pub mod context_image;
pub mod copy;
pub mod copy_plan;
pub mod error;
pub mod fsview;
pub mod images;
pub mod layer_cache;
pub mod layers;
pub mod native;
pub mod plan;
pub mod remote_file;
pub mod request;
pub mod rootfs;
pub mod run;
pub mod run_mounts;
pub mod stage;
pub mod users;
pub mod workspace;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::cancel::Cancellation;
use crate::context::BuildContext;
use crate::dockerfile::{unused_build_args, Dockerfile, StageRef};
use crate::image::assembled::rfc3339_from_unix;
use crate::image::{AssembledImage, Digest, ImageAssembler, ManifestFormat};
use crate::observe::measure;
use crate::output::publish::{write_records, Publication, Subject};
use crate::output::{write_layout, write_tarball, DirBlobFetcher, LayoutWrite, TarballImage};
use crate::platform::Platform;
use crate::registry::{Keychain, Reference, RegistryClient, DEFAULT_TAG};
use crate::sandbox::{Isolation, SandboxError};
use crate::secrets::{Redactor, Secrets};
use crate::sign::SigningKey;
use crate::snapshot::LayerOptions;
use crate::ssh::SshSources;
pub use error::BuildError;
use images::{ImageCache, StageImage};
use layers::LoadedView;
use plan::{open_sources, StagePlan};
pub use request::BuildRequest;
use request::Outputs;
use stage::StageRun;
use workspace::Workspace;

/// The PATH a scratch stage starts with (BuildKit's and the Docker engine's default on Linux).
const SCRATCH_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What every stage of one build shares.
pub struct Shared<'a> {
    pub request: &'a BuildRequest,
    pub dockerfile: &'a Dockerfile,
    pub registry: &'a RegistryClient,
    pub workspace: &'a Workspace,
    pub context: &'a BuildContext,
    pub global_args: BTreeMap<String, String>,
    /// The build's timestamp (seconds since the epoch): now, or the reproducible epoch.
    pub now: u64,
    pub layer_options: LayerOptions,
    /// How RUN is isolated, or why no mode works here (reported only if a RUN comes up).
    pub isolation: Result<Isolation, SandboxError>,
    /// The layer cache, when `--cache` is on.
    pub layer_cache: Option<layer_cache::LayerCache>,
    pub secrets: &'a Secrets,
    /// Masks the secrets' values in what RUN commands print.
    pub redactor: Redactor,
    /// The agents behind the `--ssh` ids.
    pub ssh: &'a SshSources,
}

/// A finished build.
#[derive(Debug, Clone)]
pub struct BuildOutcome {
    pub digest: Digest,
    pub image: AssembledImage,
}

/// Runs one single-platform build until it ends or `cancel` fires; then the build's working
/// directory is removed and nothing more is pushed.
///
/// The build runs as its own task so that cancellation is noticed even while the build is stuck in
/// blocking I/O (a context tarball on a pipe that never ends, a slow disk): the wait must not
/// depend on the build future being polled. The caller should shut the runtime down without waiting
/// for that task (`Runtime::shutdown_background`), as a blocked thread may never return.
pub async fn run(
    request: BuildRequest,
    isolation: Result<Isolation, SandboxError>,
    cancel: &Cancellation,
) -> Result<BuildOutcome, BuildError> {
    let workspace = Arc::new(Workspace::create(&request.kaniko_dir)?);
    // The build task keeps the caller's span (the platform, in a multi-platform build) in its logs.
    let task = tokio::spawn(tracing::Instrument::in_current_span({
        let workspace = Arc::clone(&workspace);
        let span = tracing::info_span!("build");
        tracing::Instrument::instrument(
            async move {
                let started = std::time::Instant::now();
                let result = build(&request, isolation, &workspace).await;
                let duration_ms = started.elapsed().as_millis() as u64;
                match &result {
                    Ok(o) => tracing::info!(duration_ms, digest = %o.digest, "build done"),
                    Err(_) => tracing::error!(duration_ms, "build failed"),
                }
                result
            },
            span,
        )
    }));
    let abort = task.abort_handle();
    let reason = tokio::select! {
        r = task => {
            return r.unwrap_or_else(|e| Err(BuildError::Task(e)));
        }
        reason = cancel.cancelled() => reason,
    };
    abort.abort();
    workspace.remove();
    Err(BuildError::Interrupted(reason))
}

async fn build(
    request: &BuildRequest,
    isolation: Result<Isolation, SandboxError>,
    workspace: &Workspace,
) -> Result<BuildOutcome, BuildError> {
    let registry = RegistryClient::new(&request.registry, Keychain::from_env())?;
    let outputs = &request.outputs;
    // The key opens first: a wrong password should cost no work.
    let signing_key = match &outputs.signing {
        Some(signing) if outputs.push => Some(SigningKey::open(signing, &|k| std::env::var(k).ok())?),
        _ => None,
    };
    let prepared = prepare(request, &registry, workspace, isolation).await?;
    // Before the work: a destination we cannot push to should fail the build in seconds, not after
    // it. After prepare, whose refusals need no network.
    if outputs.push && !outputs.skip_push_permission_check {
        for dest in &outputs.destinations {
            registry.check_push_permission(dest).await?;
        }
    }
    let (image, bases) = match execute(request, &prepared, &registry, workspace, true).await {
        // Found only when a hit's bytes were needed, after the hits were chosen: the build starts
        // over without taking any, storing fresh entries over the bad one.
        Err(e @ BuildError::CorruptCacheEntry { .. }) => {
            tracing::warn!(error = %e, "building again without cache lookups");
            execute(request, &prepared, &registry, workspace, false).await?
        }
        other => other?,
    };
    let digest = image.digest().clone();
    tracing::info!(%digest, "built image");
    publish(&request.outputs, &registry, &image, workspace).await?;
    if let Some(key) = &signing_key {
        // After every push succeeded: a signature names bytes the registry already holds.
        crate::sign::sign_pushed(&registry, key, &outputs.destinations, &digest).await?;
    }
    if let Some(facts) = outputs.provenance.as_ref().filter(|_| outputs.push) {
        let statement = crate::sign::provenance::Provenance {
            build_args: &request.build_args,
            platform: request.platform.to_string(),
            target: request.target.as_deref(),
            dockerfile_name: &request.source.dockerfile,
            dockerfile: prepared.sources.dockerfile_path.as_deref(),
            bases: &bases,
            facts,
        };
        crate::sign::provenance::attest_pushed(
            &registry,
            signing_key.as_ref(),
            &outputs.destinations,
            &digest,
            &statement,
        )
        .await?;
    }
    Ok(BuildOutcome { digest, image })
}

/// A build ready to run: its sources opened and its stages planned.
pub struct Prepared {
    pub sources: plan::OpenedSources,
    pub plan: StagePlan,
    /// How RUN is isolated, or why no mode works here (reported only if a RUN comes up).
    pub isolation: Result<Isolation, SandboxError>,
    /// The values of `--secret`, read before any work.
    pub secrets: Secrets,
    /// The `--ssh` agents and keys, checked before any work.
    pub ssh: SshSources,
}

/// Opens the context (downloading a `docker-image://` one first), parses the Dockerfile and plans
/// the stages. A build whose RUN steps cannot be isolated here is refused now, before any work.
pub async fn prepare(
    request: &BuildRequest,
    registry: &RegistryClient,
    workspace: &Workspace,
    isolation: Result<Isolation, SandboxError>,
) -> Result<Prepared, BuildError> {
    let started = std::time::Instant::now();
    let secrets = Secrets::load(&request.secrets, |var| std::env::var(var).ok())?;
    let ssh = SshSources::load(&request.ssh)?;
    let context = context_image::localize(&request.source.context, registry, workspace.path()).await?;
    let sources = open_sources(&request.source, &context, workspace.path())?;
    let plan = sources.plan(request, &Platform::host())?;
    let first_run = sources.first_run(&plan, |_| true);
    measure::phase("context", started.elapsed());
    match (first_run, &isolation) {
        (Some(run), Err(reason)) => {
            return Err(BuildError::NoIsolation {
                at: run.to_string(),
                source: reason.clone(),
            })
        }
        (Some(_), Ok(i)) => tracing::info!(isolation = %i, "RUN isolation"),
        (None, _) => {}
    }
    for unused in unused_build_args(&sources.dockerfile, &request.build_args) {
        tracing::warn!("build argument {unused} was not consumed by any ARG");
    }
    Ok(Prepared {
        sources,
        plan,
        isolation,
        secrets,
        ssh,
    })
}

pub use crate::sign::provenance::BaseImage;

/// Runs the planned stages and assembles the target stage's image (its layers on disk or in the
/// registry; nothing pushed yet), with the base images the stages started from. Without
/// `cache_lookups` the layer cache only stores.
pub async fn execute(
    request: &BuildRequest,
    prepared: &Prepared,
    registry: &RegistryClient,
    workspace: &Workspace,
    cache_lookups: bool,
) -> Result<(AssembledImage, Vec<BaseImage>), BuildError> {
    let now = request.timestamp();
    let dockerfile = &prepared.sources.dockerfile;
    let shared = Shared {
        request,
        dockerfile,
        registry,
        workspace,
        context: &prepared.sources.context,
        global_args: prepared.plan.global_args.clone(),
        now,
        layer_options: LayerOptions {
            // A reproducible build stamps every entry with its timestamp, the epoch.
            mtime_override: request.reproducible_epoch.map(|_| now),
            compression: request.format.compression,
            level: request.format.compression_level,
            ..LayerOptions::default()
        },
        isolation: prepared.isolation.clone(),
        secrets: &prepared.secrets,
        redactor: prepared.secrets.redactor(),
        ssh: &prepared.ssh,
        layer_cache: layer_cache::LayerCache::open(request, registry, cache_lookups),
    };
    let plan = &prepared.plan.plan;
    let mut done: BTreeMap<usize, StageImage> = BTreeMap::new();
    let mut cache = ImageCache::default();
    let mut bases = Vec::new();
    for &i in &plan.order {
        let stage = &dockerfile.stages[i];
        let deps = &plan.stages[i];
        let platform = prepared.plan.platforms[i].clone();
        let stage_span = tracing::info_span!("stage", stage_name = %stage.display_name());
        let image = tracing::Instrument::instrument(
            async {
                tracing::info!(stage = %stage.display_name(), base = %deps.base_name, platform = %platform, "starting stage");
                let stage_started = std::time::Instant::now();
                let base = match &deps.base {
                    StageRef::Scratch => scratch_stage(&platform),
                    StageRef::Stage(j) => done.get(j).cloned().ok_or_else(|| BuildError::Internal {
                        message: format!("stage {j} was not built before stage {i}"),
                    })?,
                    StageRef::Image(name) => {
                        let started = std::time::Instant::now();
                        let (image, digest) = images::pull(registry, name, &platform, &request.cache).await?;
                        measure::phase("base images", started.elapsed());
                        bases.push(BaseImage {
                            name: name.clone(),
                            digest,
                        });
                        image
                    }
                };
                let mut run = StageRun::new(&shared, &done, &mut cache, platform, i, base);
                run.plan_cache().await;
                run.run_onbuild_triggers().await?;
                for instruction in &stage.instructions {
                    run.step(instruction).await?;
                }
                let image = run.finish()?;
                tracing::info!(
                    stage = %stage.display_name(),
                    index = i,
                    duration_ms = stage_started.elapsed().as_millis() as u64,
                    "stage done"
                );
                measure::stage_done(i, &stage.display_name(), stage_started.elapsed());
                Ok::<_, BuildError>(image)
            },
            stage_span,
        )
        .await?;
        done.insert(i, image);
    }
    if let Some(cache) = &shared.layer_cache {
        // Entries go up while the build runs; the last ones are waited for here.
        let started = std::time::Instant::now();
        cache.finish().await;
        measure::phase("cache pushes", started.elapsed());
    }
    let mut target = done.remove(&plan.target).ok_or_else(|| BuildError::Internal {
        message: format!("target stage {} was not built", plan.target),
    })?;
    {
        let config = target.assembler.config_mut();
        config.created = Some(rfc3339_from_unix(now));
        let c = config.container_mut();
        for (k, v) in &request.labels {
            c.label_set(k, v);
        }
    }
    for (k, v) in &request.annotations {
        target.assembler.annotate(k, v);
    }
    let format = request.format.oci_mode.resolve(
        target.assembler.format(),
        request.format.compression == crate::snapshot::Compression::Zstd,
    );
    target.assembler.set_format(format);
    if request.format.force_compression {
        images::recompress_layers(&shared, &mut target.assembler, &request.format).await?;
    }
    let outputs = &request.outputs;
    if outputs.tar_path.is_some() || outputs.oci_layout_path.is_some() {
        shared.local_layers(target.assembler.layers()).await?;
    }
    Ok((target.assembler.assemble()?, bases))
}

/// A `FROM scratch` stage: an empty filesystem and the default PATH, which docker build (legacy and
/// BuildKit) and kaniko put in the config of images built from scratch.
fn scratch_stage(platform: &Platform) -> StageImage {
    let mut assembler = ImageAssembler::scratch(ManifestFormat::Oci, platform);
    assembler
        .config_mut()
        .container_mut()
        .env_set("PATH", SCRATCH_PATH);
    StageImage {
        assembler,
        view: Some(Arc::new(LoadedView::default())),
        cache_key: Some(crate::cache::CacheKey::scratch(&platform.to_string())),
    }
}

/// Pushes the image to every destination, writes the local outputs, then the records.
pub async fn publish(
    outputs: &Outputs,
    registry: &RegistryClient,
    image: &AssembledImage,
    workspace: &Workspace,
) -> Result<(), BuildError> {
    let started = std::time::Instant::now();
    let digest = image.digest();
    if outputs.push {
        for dest in &outputs.destinations {
            // By digest, the manifest lands in the repository without creating or moving a tag.
            let target = if outputs.push_by_digest {
                dest.with_digest(digest.clone())
            } else {
                dest.clone()
            };
            let pushed = crate::output::push::push_image(registry, image, &target, &workspace.blobs()).await;
            let stats = match pushed {
                Ok(stats) => stats,
                Err(error) if outputs.push_ignore_immutable_tag_errors && error.is_immutable_tag() => {
                    tracing::warn!(destination = %target, %error, "the destination's tag is immutable; push ignored (--push-ignore-immutable-tag-errors)");
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            tracing::info!(destination = %target, uploaded = stats.uploaded, mounted = stats.mounted, existed = stats.existed, "pushed");
        }
    }
    let fetcher = DirBlobFetcher::new(workspace.blobs());
    if let Some(path) = &outputs.tar_path {
        tokio::task::block_in_place(|| {
            write_tarball(
                path,
                &[TarballImage {
                    image,
                    tags: &outputs.destinations,
                }],
                &fetcher,
            )
        })?;
    }
    if let Some(dir) = &outputs.oci_layout_path {
        let ref_name = outputs
            .destinations
            .first()
            .map_or(DEFAULT_TAG, Reference::tag_or_default)
            .to_string();
        let how = LayoutWrite {
            ref_name: Some(ref_name),
            replace_index: true,
        };
        tokio::task::block_in_place(|| write_layout(dir, image, &how, &fetcher))?;
    }
    let published = Publication {
        descriptor: &image.manifest_descriptor,
        destinations: &outputs.destinations,
        by_digest: outputs.push_by_digest,
        in_destinations: true,
        subject: Subject::Image {
            platform: image.platform.clone(),
            config: image.config_descriptor.digest.clone(),
            size: image.manifest_descriptor.size
                + image.config_descriptor.size
                + image.layers.iter().map(|l| l.descriptor.size).sum::<u64>(),
        },
    };
    write_records(&outputs.records, &published)?;
    measure::phase("outputs", started.elapsed());
    Ok(())
}
