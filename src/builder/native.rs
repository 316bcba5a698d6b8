// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Whether a build for another platform can run on this machine without emulation: it can when no
//! RUN would execute under a foreign platform, i.e. every stage with a RUN is the host's platform
//! (the `FROM --platform=$BUILDPLATFORM` cross-compile pattern) or the build has no RUN at all.

use super::plan::open_sources;
use super::request::BuildRequest;
use super::BuildError;
use crate::platform::Platform;

/// The first RUN that would need emulation when building `request` on `host`, as
/// `Dockerfile:LINE:COL (stage NAME, platform P)`; `None` when the build is native.
pub fn emulated_run(request: &BuildRequest, host: &Platform) -> Result<Option<String>, BuildError> {
    let dir = &request.kaniko_dir;
    fs_err::create_dir_all(dir).map_err(|e| BuildError::io(dir, e))?;
    let scratch = tempfile::Builder::new()
        .prefix("plan-")
        .tempdir_in(dir)
        .map_err(|e| BuildError::io(dir, e))?;
    let sources = open_sources(&request.source, &request.source.context, scratch.path())?;
    let plan = sources.plan(request, host)?;
    Ok(sources
        .first_run(&plan, |platform| !host.matches(platform))
        .map(|run| {
            format!(
                "{} (stage {}, platform {})",
                run.location, run.stage_name, plan.platforms[run.stage]
            )
        }))
}
