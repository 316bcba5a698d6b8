// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Runs one stage: starts from its base (scratch, an earlier stage, or a pulled image), runs the base
//! image's ONBUILD triggers, then each instruction in order, updating the config like `docker build`
//! and appending a layer for each filesystem change. Metadata-only steps add an `empty_layer` history
//! entry.

use std::collections::{BTreeMap, VecDeque};

use super::copy::{self, CopySpec};
use super::error::InstructionError;
use super::images::{ImageCache, StageImage};
use super::layer_cache::{KeyedStep, PlannedStep};

mod cache_steps;
use super::rootfs::StageFs;
use super::{BuildError, Shared};
use crate::cache::CacheKey;
use crate::dockerfile::{
    parse_instruction, resolve_arg, CommandLine, Healthcheck as DfHealthcheck, Instruction, InstructionKind,
    KeyValue,
};
use crate::image::assembled::rfc3339_from_unix;
use crate::image::{Healthcheck, History};
use crate::sandbox::Isolation;
use crate::snapshot::LayerBlob;

/// The default shell for shell-form commands on Linux.
const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// A stage in progress.
pub struct StageRun<'a> {
    pub shared: &'a Shared<'a>,
    /// Stages already built, by index (COPY --from and FROM of a stage read them).
    pub done: &'a BTreeMap<usize, StageImage>,
    /// Images named by COPY --from, pulled once.
    pub cache: &'a mut ImageCache,
    /// The platform this stage builds for.
    pub platform: crate::platform::Platform,
    pub index: usize,
    pub image: StageImage,
    /// ARGs declared in this stage so far, with their values.
    pub args: BTreeMap<String, String>,
    /// Whether CMD was set by this stage (ENTRYPOINT resets an inherited CMD only).
    cmd_set_here: bool,
    /// The unpacked filesystem, once a RUN needed it.
    fs: Option<StageFs>,
    /// Layers held back by --single-snapshot: the stage's changes go into one layer at its end.
    pending_single: bool,
    /// Instructions executed so far in this stage (ONBUILD triggers included), for step numbers.
    steps: usize,
    /// Instructions this stage executes in all, ONBUILD triggers included (`[stage 2/8]` in logs).
    total_steps: usize,
    /// During the key pass ([`Self::plan_cache`]): the layer steps keyed so far.
    keying: Option<Vec<KeyedStep>>,
    /// The key chain during the key pass.
    chain: Option<CacheKey>,
    /// The layer steps still to come, with the cache's decision for each.
    planned: VecDeque<PlannedStep>,
    /// The stage's final key, for the stages built on it or copying from it.
    final_key: Option<CacheKey>,
}

impl<'a> StageRun<'a> {
    pub fn new(
        shared: &'a Shared<'a>,
        done: &'a BTreeMap<usize, StageImage>,
        cache: &'a mut ImageCache,
        platform: crate::platform::Platform,
        index: usize,
        image: StageImage,
    ) -> Self {
        Self {
            shared,
            done,
            cache,
            platform,
            index,
            image,
            args: BTreeMap::new(),
            cmd_set_here: false,
            fs: None,
            pending_single: false,
            steps: 0,
            total_steps: 0,
            keying: None,
            chain: None,
            planned: VecDeque::new(),
            final_key: None,
        }
        .counted()
    }

    /// Sets the stage's step count: the base image's ONBUILD triggers and the stage's instructions.
    fn counted(mut self) -> Self {
        let triggers = (self.image.assembler.config().config.as_ref()).map_or(0, |c| c.on_build.len());
        self.total_steps = triggers + self.shared.dockerfile.stages[self.index].instructions.len();
        self
    }

    /// The stage's name for messages (`builder`, or `stage-1` when unnamed).
    pub fn stage_name(&self) -> String {
        self.shared.dockerfile.stages[self.index].display_name()
    }

    /// The unpacked filesystem, made on first need.
    pub async fn ensure_fs(&mut self, isolation: Isolation) -> Result<&mut StageFs, BuildError> {
        if self.fs.is_none() {
            let fs = StageFs::materialize(self.shared, isolation, &self.image, self.index).await?;
            self.fs = Some(fs);
        }
        self.fs.as_mut().ok_or_else(|| BuildError::Internal {
            message: "stage filesystem missing".into(),
        })
    }

    /// The sandbox mounts of the next command.
    pub fn fs_mounts(&self) -> Result<Vec<crate::sandbox::mounts::Mount>, BuildError> {
        match &self.fs {
            Some(fs) => fs.mounts(),
            None => Ok(Vec::new()),
        }
    }

    /// Adds a layer this stage produced: appended to the image (or, with --single-snapshot and a
    /// filesystem, folded into the stage's final layer), applied to the filesystem if there is one,
    /// and to the view.
    fn add_layer(&mut self, blob: LayerBlob, created_by: String) -> Result<(), BuildError> {
        let single = self.shared.request.snapshot.single_snapshot && self.fs.is_some();
        if let Some(fs) = self.fs.as_mut() {
            fs.apply(&blob, !single)?;
        }
        if single {
            self.pending_single = true;
            let h = self.history(created_by, true);
            self.image.assembler.append_history(h);
            return Ok(());
        }
        self.image
            .assembler
            .append_layer(blob, self.history(created_by, false));
        Ok(())
    }

    /// Records a snapshot layer in the image and in the stage's view.
    fn add_snapshot(&mut self, blob: LayerBlob, created_by: String) -> Result<(), BuildError> {
        let index = self.image.assembler.layers().len();
        if let Some(view) = self.image.view.take() {
            let mut updated = (*view).clone();
            tokio::task::block_in_place(|| {
                super::layers::apply_layer(&mut updated, index, &blob.path, &blob.descriptor.media_type)
            })?;
            self.image.view = Some(std::sync::Arc::new(updated));
        }
        self.image
            .assembler
            .append_layer(blob, self.history(created_by, false));
        Ok(())
    }

    /// Ends the stage: the --single-snapshot layer, then the filesystem is released.
    pub fn finish(mut self) -> Result<StageImage, BuildError> {
        if let Some(mut fs) = self.fs.take() {
            if self.pending_single {
                if let Some(blob) = fs.snapshot(self.shared)? {
                    // The view's layer numbers were provisional; rebuild it from the real layers.
                    self.image.view = None;
                    let h = self.history("single snapshot of the stage (--single-snapshot)".into(), false);
                    self.image.assembler.append_layer(blob, h);
                }
            }
            fs.release();
        }
        self.image.cache_key = self.final_key.take();
        Ok(self.image)
    }

    /// Value of a variable for word expansion: ENV wins over ARG, as in docker build.
    fn lookup(&self, name: &str) -> Option<String> {
        let cfg = self.image.assembler.config();
        if let Some(v) = cfg.config.as_ref().and_then(|c| c.env_get(name)) {
            return Some(v.to_string());
        }
        self.args.get(name).cloned()
    }

    fn history(&self, created_by: String, empty_layer: bool) -> History {
        History {
            created: Some(rfc3339_from_unix(self.shared.now)),
            created_by: Some(created_by),
            comment: None,
            author: None,
            empty_layer,
        }
    }

    /// Runs the ONBUILD triggers the base image carries, then clears them as docker does.
    pub async fn run_onbuild_triggers(&mut self) -> Result<(), BuildError> {
        let triggers = self
            .image
            .assembler
            .config()
            .config
            .as_ref()
            .map(|c| c.on_build.clone())
            .unwrap_or_default();
        if triggers.is_empty() {
            return Ok(());
        }
        self.image.assembler.config_mut().container_mut().on_build.clear();
        for trigger in triggers {
            let instruction = parse_instruction(&trigger, self.shared.dockerfile.escape()).map_err(|e| {
                BuildError::Onbuild {
                    trigger: trigger.clone(),
                    source: Box::new(e),
                }
            })?;
            self.step(&instruction).await?;
        }
        Ok(())
    }

    /// Executes one instruction inside a `step` span (stage, step number, line, instruction) and
    /// records how long it took: one `step done` event per instruction, with `duration_ms`.
    pub async fn step(&mut self, instruction: &Instruction) -> Result<(), BuildError> {
        use tracing::Instrument;
        self.steps += 1;
        let span = tracing::info_span!(
            "step",
            stage = self.index,
            step = self.steps,
            steps = self.total_steps,
            line = instruction.location.line,
            instruction = instruction.name(),
        );
        let started = std::time::Instant::now();
        let result = self.execute(instruction).instrument(span.clone()).await;
        let _entered = span.enter();
        let duration_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(()) => tracing::info!(duration_ms, "step done"),
            Err(_) => tracing::info!(duration_ms, "step failed"),
        }
        crate::observe::measure::step_done(started.elapsed(), result.is_ok());
        result
    }

    async fn execute(&mut self, instruction: &Instruction) -> Result<(), BuildError> {
        let df = self.shared.dockerfile;
        let escape = df.escape();
        let at = |e: crate::dockerfile::ExpandError| {
            BuildError::Dockerfile(Box::new(e.at(&df.file_name, instruction.location)))
        };
        let expanded = {
            let lookup = |k: &str| self.lookup(k);
            instruction.kind.expanded(escape, &lookup).map_err(at)?
        };
        let created_by = created_by(instruction, &expanded);
        let keying = self.keying.is_some();
        if !keying {
            // The step span carries the stage, step number and line.
            tracing::info!("{}", instruction.original.trim());
        }
        match expanded {
            InstructionKind::Env(kvs) => {
                let c = self.image.assembler.config_mut().container_mut();
                for KeyValue { key, value, .. } in kvs {
                    c.env_set(&key, &value);
                }
            }
            InstructionKind::Arg(decls) => {
                for decl in decls {
                    let value = {
                        let lookup = |k: &str| self.lookup(k);
                        resolve_arg(
                            &decl,
                            escape,
                            &self.shared.request.build_args,
                            &self.shared.global_args,
                            &lookup,
                        )
                        .map_err(at)?
                    };
                    match value {
                        Some(v) => {
                            self.args.insert(decl.name.clone(), v);
                        }
                        None => {
                            self.args.remove(&decl.name);
                        }
                    }
                }
            }
            InstructionKind::Label(kvs) => {
                let c = self.image.assembler.config_mut().container_mut();
                for KeyValue { key, value, .. } in kvs {
                    c.label_set(&key, &value);
                }
            }
            InstructionKind::Maintainer(name) => self.image.assembler.config_mut().author = Some(name),
            InstructionKind::Expose(ports) => {
                for port in ports {
                    for p in expand_port(&port).map_err(|m| self.error(instruction, m))? {
                        self.image.assembler.config_mut().container_mut().expose(&p);
                    }
                }
            }
            InstructionKind::Volume(paths) => {
                for p in paths.into_iter().filter(|p| !p.is_empty()) {
                    self.image.assembler.config_mut().container_mut().add_volume(&p);
                }
            }
            InstructionKind::User(user) => self.image.assembler.config_mut().container_mut().user = user,
            InstructionKind::Workdir(dir) => {
                let current = self.workdir();
                let path = if dir.starts_with('/') {
                    dir
                } else {
                    format!("{}/{dir}", current.trim_end_matches('/'))
                };
                let path = format!("/{}", crate::lexical_path::clean_under_root(&path));
                self.image.assembler.config_mut().container_mut().working_dir = path.clone();
                if keying {
                    let parts = super::cache_keys::workdir(self, &path);
                    self.key_step("WORKDIR", Some(parts), created_by);
                    return Ok(());
                }
                let planned = self.next_planned();
                if let Some(hit) = planned.as_ref().and_then(|p| p.hit.clone()) {
                    return self.use_hit(hit, created_by).await;
                }
                let blob = copy::create_workdir(self, &path).await?;
                self.store_step(planned.as_ref(), blob.as_ref());
                if let Some(blob) = blob {
                    return self.add_layer(blob, created_by);
                }
            }
            InstructionKind::Cmd(cmd) => {
                let v = self.command(cmd);
                self.image.assembler.config_mut().container_mut().cmd = Some(v);
                self.cmd_set_here = true;
            }
            InstructionKind::Entrypoint(ep) => {
                let v = self.command(ep);
                let c = self.image.assembler.config_mut().container_mut();
                c.entrypoint = Some(v);
                if !self.cmd_set_here {
                    c.cmd = None;
                }
            }
            InstructionKind::Shell(shell) => self.image.assembler.config_mut().container_mut().shell = shell,
            InstructionKind::Stopsignal(sig) => {
                self.image.assembler.config_mut().container_mut().stop_signal = sig
            }
            InstructionKind::Healthcheck(hc) => {
                let value = healthcheck(&hc);
                self.image.assembler.config_mut().container_mut().healthcheck = Some(value);
            }
            InstructionKind::Onbuild(ob) => {
                self.image
                    .assembler
                    .config_mut()
                    .container_mut()
                    .on_build
                    .push(ob.expression.clone());
            }
            InstructionKind::Copy(c) => {
                return self
                    .copy_step(CopySpec::from_copy(c), instruction, created_by)
                    .await
            }
            InstructionKind::Add(a) => {
                return self
                    .copy_step(CopySpec::from_add(a), instruction, created_by)
                    .await
            }
            InstructionKind::Run(run) => {
                if keying {
                    let parts = super::cache_keys::run(self, &run).await;
                    self.key_step("RUN", parts, created_by);
                    return Ok(());
                }
                let planned = self.next_planned();
                if let Some(hit) = planned.as_ref().and_then(|p| p.hit.clone()) {
                    return self.use_hit(hit, created_by).await;
                }
                super::run::execute(self, instruction, &run).await?;
                if self.shared.request.snapshot.single_snapshot {
                    self.pending_single = true;
                } else {
                    let blob = self
                        .fs
                        .as_mut()
                        .map(|fs| fs.snapshot(self.shared))
                        .transpose()?
                        .flatten();
                    self.store_step(planned.as_ref(), blob.as_ref());
                    if let Some(blob) = blob {
                        self.add_snapshot(blob, created_by)?;
                        return Ok(());
                    }
                }
            }
            InstructionKind::From(_) => return Err(self.error(instruction, "FROM inside a stage".into())),
        }
        let forced = self.shared.request.snapshot.force_build_metadata
            && !keying
            && !self.shared.request.snapshot.single_snapshot;
        if forced {
            // kaniko's --force-build-metadata: a layer for every step, empty when nothing changed.
            let blob = tokio::task::block_in_place(|| {
                crate::snapshot::LayerWriter::create(
                    &self.shared.workspace.layers(),
                    self.shared.layer_options,
                )?
                .finish()
            })?;
            return self.add_snapshot(blob, created_by);
        }
        let h = self.history(created_by, true);
        self.image.assembler.append_history(h);
        Ok(())
    }

    /// COPY or ADD: keyed in the key pass, taken from the cache on a hit, else run and stored.
    async fn copy_step(
        &mut self,
        spec: CopySpec,
        instruction: &Instruction,
        created_by: String,
    ) -> Result<(), BuildError> {
        let kind = if spec.is_add { "ADD" } else { "COPY" };
        if self.keying.is_some() {
            let parts = super::cache_keys::copy(self, &spec).await;
            self.key_step(kind, parts, created_by);
            return Ok(());
        }
        let planned = self.next_planned();
        if let Some(hit) = planned.as_ref().and_then(|p| p.hit.clone()) {
            return self.use_hit(hit, created_by).await;
        }
        let blob = copy::run(self, instruction, spec).await?;
        self.store_step(planned.as_ref(), Some(&blob));
        self.add_layer(blob, created_by)
    }

    /// The stage's working directory (`/` when unset).
    pub fn workdir(&self) -> String {
        let wd = self
            .image
            .assembler
            .config()
            .config
            .as_ref()
            .map(|c| c.working_dir.clone())
            .unwrap_or_default();
        if wd.is_empty() {
            "/".into()
        } else {
            wd
        }
    }

    /// The stage's USER (empty for root).
    pub fn user(&self) -> String {
        self.image
            .assembler
            .config()
            .config
            .as_ref()
            .map(|c| c.user.clone())
            .unwrap_or_default()
    }

    pub fn shell(&self) -> Vec<String> {
        let s = self
            .image
            .assembler
            .config()
            .config
            .as_ref()
            .map(|c| c.shell.clone())
            .unwrap_or_default();
        if s.is_empty() {
            DEFAULT_SHELL.iter().map(|s| s.to_string()).collect()
        } else {
            s
        }
    }

    fn command(&self, cmd: CommandLine) -> Vec<String> {
        match cmd {
            CommandLine::Exec(v) => v,
            CommandLine::Shell(s) => {
                let mut v = self.shell();
                v.push(s);
                v
            }
        }
    }

    /// `file:line:column` of an instruction, for messages.
    pub fn location(&self, instruction: &Instruction) -> String {
        format!("{}:{}", self.shared.dockerfile.file_name, instruction.location)
    }

    /// An error at an instruction caused by another module's error, with the instruction's text.
    pub fn fail(&self, instruction: &Instruction, source: impl Into<InstructionError>) -> BuildError {
        BuildError::InstructionFailed {
            at: self.location(instruction),
            instruction: instruction.original.trim().to_string(),
            source: Box::new(source.into()),
        }
    }

    /// An error at an instruction, with its text.
    pub fn error(&self, instruction: &Instruction, message: String) -> BuildError {
        BuildError::Instruction {
            at: self.location(instruction),
            instruction: instruction.original.trim().to_string(),
            message,
        }
    }
}

/// Docker's `created_by` for a history entry: the instruction as written, with BuildKit's
/// `# buildkit` marker on the steps that make layers, and EXPOSE in Go's map notation.
fn created_by(instruction: &Instruction, expanded: &InstructionKind) -> String {
    let text = instruction.original.trim().replace('\n', " ");
    match expanded {
        InstructionKind::Copy(_) | InstructionKind::Add(_) | InstructionKind::Run(_) => {
            format!("{text} # buildkit")
        }
        InstructionKind::Expose(ports) => {
            let mut list: Vec<String> = ports
                .iter()
                .flat_map(|p| expand_port(p).unwrap_or_default())
                .map(|p| format!("{p}:{{}}"))
                .collect();
            list.sort();
            format!("EXPOSE map[{}]", list.join(" "))
        }
        _ => text,
    }
}

/// `80`, `80/udp`, `8000-8002/tcp` → `80/tcp`, `80/udp`, `8000/tcp`…
fn expand_port(spec: &str) -> Result<Vec<String>, String> {
    let (ports, proto) = match spec.split_once('/') {
        Some((p, proto)) => (p, proto.to_ascii_lowercase()),
        None => (spec, "tcp".to_string()),
    };
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto {proto:?} in EXPOSE {spec:?}"));
    }
    let bad = || format!("invalid port {spec:?}: expected PORT[-PORT][/PROTO]");
    let (lo, hi) = match ports.split_once('-') {
        Some((a, b)) => (
            a.parse::<u16>().map_err(|_| bad())?,
            b.parse::<u16>().map_err(|_| bad())?,
        ),
        None => {
            let p = ports.parse::<u16>().map_err(|_| bad())?;
            (p, p)
        }
    };
    if hi < lo {
        return Err(bad());
    }
    Ok((lo..=hi).map(|p| format!("{p}/{proto}")).collect())
}

fn healthcheck(hc: &DfHealthcheck) -> Healthcheck {
    let nanos = |d: Option<std::time::Duration>| {
        d.map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    };
    match hc {
        DfHealthcheck::None => Healthcheck {
            test: vec!["NONE".into()],
            ..Healthcheck::default()
        },
        DfHealthcheck::Cmd {
            interval,
            timeout,
            start_period,
            start_interval,
            retries,
            ..
        } => Healthcheck {
            test: hc.test(),
            interval: nanos(*interval),
            timeout: nanos(*timeout),
            start_period: nanos(*start_period),
            start_interval: nanos(*start_interval),
            retries: retries.map(i64::from).unwrap_or(0),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_expand_like_docker() {
        assert_eq!(expand_port("80").unwrap(), ["80/tcp"]);
        assert_eq!(expand_port("53/UDP").unwrap(), ["53/udp"]);
        assert_eq!(
            expand_port("8000-8002").unwrap(),
            ["8000/tcp", "8001/tcp", "8002/tcp"]
        );
        assert!(expand_port("http").is_err());
        assert!(expand_port("80/xyz").is_err());
        assert!(expand_port("9-1").is_err());
    }
}
