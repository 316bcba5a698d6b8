// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The stage graph: what each stage is built from (an earlier stage, an image, or scratch), which
//! stages its `COPY --from` read, the target, the stages the target needs, and the order to build.
//!
//! Without `--skip-unused-stages` kaniko builds every stage up to the target (plus anything those
//! need); with it only the target's dependencies. Both sets come back, so the executor can choose.

use std::collections::{BTreeMap, BTreeSet};

use super::args::resolve_arg;
use super::error::{DockerfileError, ErrorKind, Location};
use super::expand::expand_word;
use super::instruction::InstructionKind;
use super::Dockerfile;

/// What a FROM or `COPY --from` refers to, after expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageRef {
    /// Another stage of this Dockerfile, by index.
    Stage(usize),
    /// An image reference, as written after expansion.
    Image(String),
    /// `FROM scratch`.
    Scratch,
}

/// One stage's resolved inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageDependencies {
    /// The FROM base after expansion with the global scope.
    pub base_name: String,
    pub base: StageRef,
    /// `--platform` after expansion with the global scope.
    pub platform: Option<String>,
    /// Each `COPY --from` and `RUN --mount=…,from=` of the stage: where it is and what it names.
    pub copy_from: Vec<(Location, StageRef)>,
}

impl StageDependencies {
    /// The stages this one reads from (base and `COPY --from`), without duplicates.
    pub fn stage_indices(&self) -> BTreeSet<usize> {
        std::iter::once(&self.base)
            .chain(self.copy_from.iter().map(|(_, r)| r))
            .filter_map(|r| match r {
                StageRef::Stage(i) => Some(*i),
                _ => None,
            })
            .collect()
    }
}

/// What to build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--target`: a stage name (case-insensitive); the last stage when `None`.
    pub target: Option<String>,
    /// `--skip-unused-stages`: build only what the target needs.
    pub skip_unused_stages: bool,
}

/// The result of [`plan_build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPlan {
    /// Index of the target stage.
    pub target: usize,
    /// Stages to build, dependencies first (lowest index first among independent stages).
    pub order: Vec<usize>,
    /// The stages the target actually needs (itself included).
    pub needed: BTreeSet<usize>,
    /// Resolved inputs of every stage, by index.
    pub stages: Vec<StageDependencies>,
}

/// Resolves every stage's inputs and plans the build of the target.
///
/// `global` is the global ARG scope ([`super::global_scope`]); `build_args` the `--build-arg` values.
/// `COPY --from` is expanded with the ARG and ENV lines of its stage seen so far (values coming from
/// the base image's ENV are not known yet and expand to nothing).
pub fn plan_build(
    dockerfile: &Dockerfile,
    global: &BTreeMap<String, String>,
    build_args: &BTreeMap<String, String>,
    options: &PlanOptions,
) -> Result<BuildPlan, DockerfileError> {
    let stages = resolve_stages(dockerfile, global, build_args)?;
    let target = match &options.target {
        None => dockerfile.stages.len().saturating_sub(1),
        Some(name) => match dockerfile.stage_by_name(name) {
            Some(s) => s.index,
            None => {
                let names: Vec<String> = dockerfile.stages.iter().filter_map(|s| s.name.clone()).collect();
                let available = if names.is_empty() {
                    "none (no stage has a name)".to_string()
                } else {
                    names.join(", ")
                };
                return Err(dockerfile.error(
                    Location::NONE,
                    ErrorKind::Stage,
                    format!("--target stage not found (available stages: {available})"),
                    name.as_str(),
                ));
            }
        },
    };
    check_cycles(dockerfile, &stages)?;
    let closure = |roots: &mut dyn Iterator<Item = usize>| {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = roots.collect();
        while let Some(i) = stack.pop() {
            if seen.insert(i) {
                if let Some(deps) = stages.get(i) {
                    stack.extend(deps.stage_indices());
                }
            }
        }
        seen
    };
    let needed = closure(&mut std::iter::once(target));
    let to_build = if options.skip_unused_stages {
        needed.clone()
    } else {
        closure(&mut (0..=target))
    };
    let order = topological(&to_build, &stages);
    Ok(BuildPlan {
        target,
        order,
        needed,
        stages,
    })
}

fn resolve_stages(
    dockerfile: &Dockerfile,
    global: &BTreeMap<String, String>,
    build_args: &BTreeMap<String, String>,
) -> Result<Vec<StageDependencies>, DockerfileError> {
    let escape = dockerfile.escape();
    let file = dockerfile.file_name.as_str();
    let global_lookup = |k: &str| global.get(k).cloned();
    let mut out = Vec::with_capacity(dockerfile.stages.len());
    for stage in &dockerfile.stages {
        let base_name =
            expand_word(&stage.base, escape, &global_lookup).map_err(|e| e.at(file, stage.location))?;
        if base_name.is_empty() {
            return Err(dockerfile.error(
                stage.location,
                ErrorKind::Stage,
                "base name should not be blank",
                stage.base.as_str(),
            ));
        }
        let platform = stage
            .platform
            .as_deref()
            .map(|p| expand_word(p, escape, &global_lookup))
            .transpose()
            .map_err(|e| e.at(file, stage.location))?;
        let earlier = dockerfile.stages.get(..stage.index).unwrap_or_default();
        let lower = base_name.to_ascii_lowercase();
        let base = match earlier.iter().find(|s| s.name.as_deref() == Some(lower.as_str())) {
            Some(s) => StageRef::Stage(s.index),
            None if lower == "scratch" => StageRef::Scratch,
            None => StageRef::Image(base_name.clone()),
        };
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        let mut copy_from = Vec::new();
        for instruction in &stage.instructions {
            let at = |e: super::ExpandError| e.at(file, instruction.location);
            match &instruction.kind {
                InstructionKind::Arg(decls) => {
                    for decl in decls {
                        let value = resolve_arg(decl, escape, build_args, global, &|k| env.get(k).cloned())
                            .map_err(at)?;
                        match value {
                            Some(v) => env.insert(decl.name.clone(), v),
                            None => env.remove(&decl.name),
                        };
                    }
                }
                InstructionKind::Env(pairs) => {
                    for kv in pairs {
                        let lookup = |k: &str| env.get(k).cloned();
                        let key = expand_word(&kv.key, escape, &lookup).map_err(at)?;
                        let value = expand_word(&kv.value, escape, &lookup).map_err(at)?;
                        env.insert(key, value);
                    }
                }
                InstructionKind::Copy(copy) => {
                    if let Some(from) = &copy.from {
                        let from = expand_word(from, escape, &|k| env.get(k).cloned()).map_err(at)?;
                        copy_from.push((
                            instruction.location,
                            copy_source(dockerfile, &from, instruction.location)?,
                        ));
                    }
                }
                InstructionKind::Run(run) => {
                    // A bind or cache mount `from` a stage needs that stage built first, like COPY --from.
                    for raw in &run.mounts {
                        let value = expand_word(raw, escape, &|k| env.get(k).cloned()).map_err(at)?;
                        let from = match super::run_mount::parse_run_mount(&value) {
                            Ok(super::RunMount::Bind(b)) => b.from,
                            Ok(super::RunMount::Cache(c)) => c.from,
                            _ => None,
                        };
                        if let Some(from) = from {
                            copy_from.push((
                                instruction.location,
                                copy_source(dockerfile, &from, instruction.location)?,
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        out.push(StageDependencies {
            base_name,
            base,
            platform,
            copy_from,
        });
    }
    Ok(out)
}

/// Resolves a `COPY --from` value: a stage index, a stage name (any stage), or an image.
fn copy_source(dockerfile: &Dockerfile, from: &str, location: Location) -> Result<StageRef, DockerfileError> {
    if let Ok(index) = from.parse::<i64>() {
        return match usize::try_from(index)
            .ok()
            .filter(|i| *i < dockerfile.stages.len())
        {
            Some(i) => Ok(StageRef::Stage(i)),
            None => Err(dockerfile.error(location, ErrorKind::Stage, "invalid stage index", from)),
        };
    }
    if from.is_empty() {
        return Err(dockerfile.error(location, ErrorKind::Stage, "COPY --from must not be empty", from));
    }
    Ok(match dockerfile.stage_by_name(from) {
        Some(s) => StageRef::Stage(s.index),
        None => StageRef::Image(from.to_string()),
    })
}

/// Fails on the first stage found on a dependency cycle (a stage copying from itself included).
fn check_cycles(dockerfile: &Dockerfile, stages: &[StageDependencies]) -> Result<(), DockerfileError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; stages.len()];
    for root in 0..stages.len() {
        if marks[root] != Mark::New {
            continue;
        }
        // Iterative DFS: (stage, its dependencies still to visit).
        let mut stack: Vec<(usize, Vec<usize>)> = Vec::new();
        marks[root] = Mark::Active;
        stack.push((root, stages[root].stage_indices().into_iter().rev().collect()));
        while let Some((node, pending)) = stack.last_mut() {
            let node = *node;
            match pending.pop() {
                Some(dep) => match marks.get(dep).copied() {
                    Some(Mark::New) => {
                        marks[dep] = Mark::Active;
                        stack.push((dep, stages[dep].stage_indices().into_iter().rev().collect()));
                    }
                    Some(Mark::Active) => {
                        let stage = &dockerfile.stages[dep];
                        return Err(dockerfile.error(
                            stage.location,
                            ErrorKind::Stage,
                            "circular dependency detected on stage",
                            stage.display_name(),
                        ));
                    }
                    _ => {}
                },
                None => {
                    marks[node] = Mark::Done;
                    stack.pop();
                }
            }
        }
    }
    Ok(())
}

/// Kahn's algorithm over `set`, lowest index first among ready stages. The graph is acyclic here.
fn topological(set: &BTreeSet<usize>, stages: &[StageDependencies]) -> Vec<usize> {
    let deps: BTreeMap<usize, BTreeSet<usize>> = set
        .iter()
        .map(|&i| {
            (
                i,
                stages
                    .get(i)
                    .map(|s| s.stage_indices())
                    .unwrap_or_default()
                    .intersection(set)
                    .copied()
                    .collect(),
            )
        })
        .collect();
    let mut done = BTreeSet::new();
    let mut order = Vec::with_capacity(set.len());
    while order.len() < set.len() {
        let next = deps
            .iter()
            .find(|(i, d)| !done.contains(*i) && d.is_subset(&done))
            .map(|(i, _)| *i);
        match next {
            Some(i) => {
                done.insert(i);
                order.push(i);
            }
            None => break,
        }
    }
    order
}
