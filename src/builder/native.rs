// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Whether a build for another platform can run on this machine without emulation: it can when no
//! RUN would execute under a foreign platform, i.e. every stage with a RUN is the host's platform
//! (the `FROM --platform=$BUILDPLATFORM` cross-compile pattern) or the build has no RUN at all.

use super::BuildError;
use crate::cli::settings::BuildSettings;
use crate::context::{resolve_dockerfile, BuildContext};
use crate::dockerfile::{global_scope, parse, plan_build, predefined_args, InstructionKind, PlanOptions};
use crate::platform::Platform;

/// The first RUN that would need emulation when building `settings` for `target` on `host`, as
/// `Dockerfile:LINE:COL (stage NAME, platform P)`; `None` when the build is native.
pub fn emulated_run(
    settings: &BuildSettings,
    target: &Platform,
    host: &Platform,
) -> Result<Option<String>, BuildError> {
    fs_err::create_dir_all(&settings.kaniko_dir).map_err(|e| BuildError::io(&settings.kaniko_dir, e))?;
    let scratch = tempfile::Builder::new()
        .prefix("plan-")
        .tempdir_in(&settings.kaniko_dir)
        .map_err(|e| BuildError::io(&settings.kaniko_dir, e))?;
    let context = BuildContext::open(
        &settings.context,
        settings.context_sub_path.as_deref(),
        scratch.path(),
    )?;
    let source = resolve_dockerfile(&settings.dockerfile, &context)?;
    let dockerfile = parse(&source.contents, &source.display_name)?;
    let predefined = predefined_args(target, host);
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
    for &i in &plan.order {
        let stage = &dockerfile.stages[i];
        let platform: Platform = match &plan.stages[i].platform {
            Some(p) => p.parse()?,
            None => target.clone(),
        };
        if host.matches(&platform) {
            continue;
        }
        let run = stage
            .instructions
            .iter()
            .find(|ins| matches!(ins.kind, InstructionKind::Run(_)));
        if let Some(run) = run {
            return Ok(Some(format!(
                "{}:{} (stage {}, platform {platform})",
                dockerfile.file_name,
                run.location,
                stage.display_name()
            )));
        }
    }
    Ok(None)
}
