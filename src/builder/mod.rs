// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Stage execution: opens the context, parses and plans the Dockerfile, runs the selected stages
//! (one module per instruction family), assembles the target stage's image and hands it to the
//! outputs. Nothing is pushed or written until every stage has succeeded.

pub mod context_image;
pub mod copy;
pub mod error;
pub mod copy_plan;
pub mod fsview;
pub mod images;
pub mod layers;
pub mod native;
pub mod remote_file;
pub mod rootfs;
pub mod run;
pub mod stage;
pub mod users;
pub mod workspace;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::settings::BuildSettings;
use crate::context::{resolve_dockerfile, BuildContext, ContextError};
use crate::dockerfile::{
    global_scope, parse, plan_build, predefined_args, unused_build_args, Dockerfile, DockerfileError,
    InstructionKind, PlanOptions, StageRef,
};
use crate::image::assembled::rfc3339_from_unix;
use crate::image::assembled::AssembleError;
use crate::image::{AssembledImage, Digest, ImageAssembler, ManifestFormat};
use crate::observe::measure;
use crate::output::digest_file::{self, Destination};
use crate::output::{write_layout, write_tarball, DirBlobFetcher, LayoutWrite, OutputError, TarballImage};
use crate::platform::{Platform, PlatformError};
use crate::registry::{Keychain, Reference, RegistryClient, RegistryError, DEFAULT_TAG};
use crate::snapshot::{LayerError, LayerOptions, LayerReadError};
pub use error::BuildError;
use images::{ImageCache, StageImage};
use layers::LoadedView;
use stage::StageRun;
use workspace::{Workspace, WorkspaceError};

/// The PATH a scratch stage starts with (BuildKit's and the Docker engine's default on Linux).
const SCRATCH_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What every stage of one build shares.
pub struct Shared<'a> {
    pub settings: &'a BuildSettings,
    pub dockerfile: &'a Dockerfile,
    pub registry: &'a RegistryClient,
    pub workspace: &'a Workspace,
    pub context: &'a BuildContext,
    pub global_args: BTreeMap<String, String>,
    /// The build's timestamp (seconds since the epoch): now, or the reproducible epoch.
    pub now: u64,
    pub layer_options: LayerOptions,
    /// How RUN is isolated, or why no mode works here (reported only if a RUN comes up).
    pub isolation: Result<crate::sandbox::Isolation, String>,
}

/// A finished build.
#[derive(Debug, Clone)]
pub struct BuildOutcome {
    pub digest: Digest,
    pub image: AssembledImage,
}

/// Runs one single-platform build. SIGINT and SIGTERM cancel it: the build's working directory is
/// removed and nothing more is pushed.
///
/// The build runs as its own task so that a signal is noticed even while the build is stuck in
/// blocking I/O (a context tarball on a pipe that never ends, a slow disk): the signal wait must not
/// depend on the build future being polled. The caller should shut the runtime down without waiting
/// for that task (`Runtime::shutdown_background`), as a blocked thread may never return.
pub async fn run(
    settings: BuildSettings,
    isolation: Result<crate::sandbox::Isolation, crate::sandbox::SandboxError>,
) -> Result<BuildOutcome, BuildError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(|e| BuildError::io(Path::new("SIGTERM"), e))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| BuildError::io(Path::new("SIGINT"), e))?;
    let workspace = Arc::new(Workspace::create(&settings.kaniko_dir)?);
    // The build task keeps the caller's span (the platform, in a multi-platform build) in its logs.
    let task = tokio::spawn(tracing::Instrument::in_current_span({
        let workspace = Arc::clone(&workspace);
        let span = tracing::info_span!("build");
        tracing::Instrument::instrument(
            async move {
                let started = std::time::Instant::now();
                let result = build(&settings, isolation, &workspace).await;
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
    let signal = tokio::select! {
        r = task => {
            return r.unwrap_or_else(|e| Err(BuildError::Internal { message: format!("the build task failed: {e}") }));
        }
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    };
    abort.abort();
    workspace.remove();
    Err(BuildError::Interrupted(signal))
}

async fn build(
    settings: &BuildSettings,
    isolation: Result<crate::sandbox::Isolation, crate::sandbox::SandboxError>,
    workspace: &Workspace,
) -> Result<BuildOutcome, BuildError> {
    let destinations: Vec<Reference> = settings
        .destinations
        .iter()
        .map(|d| Reference::parse(d))
        .collect::<Result<_, _>>()?;
    let registry = RegistryClient::new(&settings.registry, Keychain::from_env())?;
    // Before any work: a destination we cannot push to should fail the build in seconds, not after it.
    if settings.push && !settings.skip_push_permission_check {
        for dest in &destinations {
            registry.check_push_permission(dest).await?;
        }
    }
    let context_started = std::time::Instant::now();
    let context_spec = context_image::localize(&settings.context, &registry, workspace.path()).await?;
    let mut context = BuildContext::open(
        &context_spec,
        settings.context_sub_path.as_deref(),
        workspace.path(),
    )?;
    let source = resolve_dockerfile(&settings.dockerfile, &context)?;
    context.load_ignore(source.path.as_deref())?;
    let dockerfile = parse(&source.contents, &source.display_name)?;
    let predefined = predefined_args(&settings.platform, &Platform::host());
    let global = global_scope(&dockerfile, &settings.build_args, &predefined)?;
    let plan = plan_build(
        &dockerfile,
        &global,
        &settings.build_args,
        &PlanOptions {
            target: settings.target.clone(),
            skip_unused_stages: settings.skip_unused_stages,
        },
    )?;
    // Refuse before any work: a build that cannot run its RUN steps must not pull, write or push anything.
    let first_run = plan.order.iter().find_map(|&i| {
        let stage = &dockerfile.stages[i];
        stage
            .instructions
            .iter()
            .find(|ins| matches!(ins.kind, InstructionKind::Run(_)))
            .map(|run| {
                format!(
                    "{}:{} (stage {})",
                    dockerfile.file_name,
                    run.location,
                    stage.display_name()
                )
            })
    });
    measure::phase("context", context_started.elapsed());
    let isolation = isolation.map_err(|e| e.to_string());
    match (first_run, &isolation) {
        (Some(at), Err(reason)) => {
            return Err(BuildError::NoIsolation {
                at,
                reason: reason.clone(),
            })
        }
        (Some(_), Ok(i)) => tracing::info!(isolation = %i, "RUN isolation"),
        (None, _) => {}
    }
    for unused in unused_build_args(&dockerfile, &settings.build_args) {
        tracing::warn!("build argument {unused} was not consumed by any ARG");
    }
    let now = match settings.reproducible_epoch {
        Some(epoch) => u64::try_from(epoch).unwrap_or(0),
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    let layer_options = LayerOptions {
        mtime_override: settings.reproducible_epoch.map(|e| u64::try_from(e).unwrap_or(0)),
        compression: settings.compression,
        level: settings.compression_level,
        ..LayerOptions::default()
    };
    let shared = Shared {
        settings,
        dockerfile: &dockerfile,
        registry: &registry,
        workspace,
        context: &context,
        global_args: global,
        now,
        layer_options,
        isolation,
    };
    let mut done: BTreeMap<usize, StageImage> = BTreeMap::new();
    let mut cache = ImageCache::default();
    for &i in &plan.order {
        let stage = &dockerfile.stages[i];
        let deps = &plan.stages[i];
        let platform = match &deps.platform {
            Some(p) => p.parse()?,
            None => settings.platform.clone(),
        };
        let stage_span = tracing::info_span!("stage", stage_name = %stage.display_name());
        let image = tracing::Instrument::instrument(
            async {
                tracing::info!(stage = %stage.display_name(), base = %deps.base_name, platform = %platform, "starting stage");
                let stage_started = std::time::Instant::now();
                let base = match &deps.base {
                    StageRef::Scratch => {
                        let mut assembler = ImageAssembler::scratch(ManifestFormat::Oci, &platform);
                        // docker build (legacy and BuildKit) and kaniko start a scratch stage with the
                        // default PATH in its config, so images built FROM scratch carry it.
                        assembler
                            .config_mut()
                            .container_mut()
                            .env_set("PATH", SCRATCH_PATH);
                        StageImage {
                            assembler,
                            view: Some(Arc::new(LoadedView::default())),
                        }
                    }
                    StageRef::Stage(j) => done.get(j).cloned().ok_or_else(|| BuildError::Internal {
                        message: format!("stage {j} was not built before stage {i}"),
                    })?,
                    StageRef::Image(name) => {
                        let started = std::time::Instant::now();
                        let image = images::pull(&registry, name, &platform).await?;
                        measure::phase("base images", started.elapsed());
                        image
                    }
                };
                let mut run = StageRun::new(&shared, &done, &mut cache, platform, i, base);
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
    let mut target = done.remove(&plan.target).ok_or_else(|| BuildError::Internal {
        message: format!("target stage {} was not built", plan.target),
    })?;
    {
        let config = target.assembler.config_mut();
        config.created = Some(rfc3339_from_unix(now));
        let c = config.container_mut();
        for (k, v) in &settings.labels {
            c.label_set(k, v);
        }
    }
    let format = settings.oci_mode.resolve(
        target.assembler.format(),
        settings.compression == crate::snapshot::Compression::Zstd,
    );
    target.assembler.set_format(format);
    if settings.force_compression {
        images::recompress_layers(&registry, workspace, &mut target.assembler, settings).await?;
    }
    let needs_local = settings.tar_path.is_some() || settings.oci_layout_path.is_some();
    if needs_local {
        images::local_layers(&registry, workspace, &target.assembler).await?;
    }
    let image = target.assembler.assemble()?;
    let digest = image.digest().clone();
    tracing::info!(%digest, "built image");
    let outputs_started = std::time::Instant::now();

    if settings.push {
        for dest in &destinations {
            // By digest, the manifest lands in the repository without creating or moving a tag.
            let target = if settings.push_by_digest {
                dest.with_digest(digest.clone())
            } else {
                dest.clone()
            };
            let stats =
                crate::output::push::push_image(&registry, &image, &target, &workspace.blobs()).await?;
            tracing::info!(destination = %target, uploaded = stats.uploaded, mounted = stats.mounted, existed = stats.existed, "pushed");
        }
    }
    // Every output names the destinations the same way: full repository and tag (`latest` by default).
    let named: Vec<Destination> = destinations
        .iter()
        .map(|d| Destination {
            repository: format!("{}/{}", d.registry(), d.repository()),
            tag: d.tag().unwrap_or(DEFAULT_TAG).to_string(),
        })
        .collect();
    let fetcher = DirBlobFetcher::new(workspace.blobs());
    if let Some(path) = &settings.tar_path {
        let tags: Vec<String> = named
            .iter()
            .map(|n| format!("{}:{}", n.repository, n.tag))
            .collect();
        tokio::task::block_in_place(|| {
            write_tarball(
                path,
                &[TarballImage {
                    image: &image,
                    tags: &tags,
                }],
                &fetcher,
            )
        })?;
    }
    if let Some(dir) = &settings.oci_layout_path {
        let ref_name = named.first().map_or(DEFAULT_TAG, |n| n.tag.as_str()).to_string();
        let how = LayoutWrite {
            ref_name: Some(ref_name),
            replace_index: true,
        };
        tokio::task::block_in_place(|| write_layout(dir, &image, &how, &fetcher))?;
    }
    if let Some(p) = &settings.digest_file {
        digest_file::write_digest_file(p, &digest)?;
    }
    if let Some(p) = &settings.image_name_with_digest_file {
        digest_file::write_image_name_with_digest_file(p, &named, &digest)?;
    }
    if let Some(p) = &settings.image_name_tag_with_digest_file {
        digest_file::write_image_name_tag_with_digest_file(p, &named, &digest)?;
    }
    if let Some(p) = &settings.metadata_file {
        let mut record = crate::index::BuildRecord::new(
            named.first().map(|n| n.repository.clone()).unwrap_or_default(),
            digest.clone(),
            image.manifest_descriptor.size,
            image.manifest_descriptor.media_type.clone(),
            named
                .iter()
                .map(|n| match settings.push_by_digest {
                    true => format!("{}@{digest}", n.repository),
                    false => format!("{}:{}", n.repository, n.tag),
                })
                .collect(),
        );
        record.platform = Some(image.platform.clone().normalized());
        record.config_digest = Some(image.config_descriptor.digest.clone());
        record.image_size = Some(
            image.manifest_descriptor.size
                + image.config_descriptor.size
                + image.layers.iter().map(|l| l.descriptor.size).sum::<u64>(),
        );
        record.write(p)?;
    }
    measure::phase("outputs", outputs_started.elapsed());
    Ok(BuildOutcome { digest, image })
}
