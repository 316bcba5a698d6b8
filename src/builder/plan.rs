// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The context → Dockerfile → stage plan sequence, written once: the build, the local driver's
//! emulation check and the Kubernetes driver's upload all open their sources here, so they agree on
//! which Dockerfile, which `.dockerignore` and which stages a build means.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::request::{BuildRequest, Source};
use super::BuildError;
use crate::context::{resolve_dockerfile, BuildContext};
use crate::dockerfile::{
    global_scope, parse, plan_build, predefined_args, BuildPlan, Dockerfile, InstructionKind, PlanOptions,
};
use crate::platform::Platform;

/// A build's context and parsed Dockerfile.
pub struct OpenedSources {
    pub context: BuildContext,
    pub dockerfile: Dockerfile,
    /// Where the Dockerfile was read from; `None` for standard input.
    pub dockerfile_path: Option<PathBuf>,
}

/// The stages a build runs, in order, with the platform and global arguments each one sees.
pub struct StagePlan {
    pub plan: BuildPlan,
    /// The global scope: predefined platform arguments and the ARGs before the first FROM.
    pub global_args: BTreeMap<String, String>,
    /// The platform of every stage, by index (`FROM --platform=…`, else the build's).
    pub platforms: Vec<Platform>,
}

/// A RUN step, for messages.
pub struct RunAt {
    pub stage: usize,
    pub stage_name: String,
    /// `Dockerfile:LINE:COL`.
    pub location: String,
}

impl std::fmt::Display for RunAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (stage {})", self.location, self.stage_name)
    }
}

/// Opens the context `context` (the request's, or a local copy of it) inside `work_dir`, finds and
/// parses the Dockerfile and loads the `.dockerignore` that goes with it.
pub fn open_sources(source: &Source, context: &str, work_dir: &Path) -> Result<OpenedSources, BuildError> {
    let mut opened = BuildContext::open(context, source.context_sub_path.as_deref(), work_dir)?;
    let found = resolve_dockerfile(&source.dockerfile, &opened)?;
    opened.load_ignore(found.path.as_deref())?;
    let dockerfile = parse(&found.contents, &found.display_name)?;
    Ok(OpenedSources {
        context: opened,
        dockerfile,
        dockerfile_path: found.path,
    })
}

impl OpenedSources {
    /// Plans `request` for its platform on `host`.
    pub fn plan(&self, request: &BuildRequest, host: &Platform) -> Result<StagePlan, BuildError> {
        let predefined = predefined_args(&request.platform, host);
        let global_args = global_scope(&self.dockerfile, &request.build_args, &predefined)?;
        let plan = plan_build(
            &self.dockerfile,
            &global_args,
            &request.build_args,
            &PlanOptions {
                target: request.target.clone(),
                skip_unused_stages: request.skip_unused_stages,
            },
        )?;
        let platforms = plan
            .stages
            .iter()
            .map(|deps| match &deps.platform {
                Some(p) => p.parse(),
                None => Ok(request.platform.clone()),
            })
            .collect::<Result<_, _>>()?;
        Ok(StagePlan {
            plan,
            global_args,
            platforms,
        })
    }

    /// The first RUN, in build order, of a stage that `select` picks.
    pub fn first_run(&self, plan: &StagePlan, select: impl Fn(&Platform) -> bool) -> Option<RunAt> {
        plan.plan.order.iter().find_map(|&i| {
            let stage = &self.dockerfile.stages[i];
            if !select(&plan.platforms[i]) {
                return None;
            }
            let run = stage
                .instructions
                .iter()
                .find(|ins| matches!(ins.kind, InstructionKind::Run(_)))?;
            Some(RunAt {
                stage: i,
                stage_name: stage.display_name(),
                location: format!("{}:{}", self.dockerfile.file_name, run.location),
            })
        })
    }
}
