// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Whether a build for another platform can run on this machine without emulation: it can when no
//! RUN would execute under a foreign platform, i.e. every stage with a RUN is the host's platform
//! (the `FROM --platform=$BUILDPLATFORM` cross-compile pattern) or the build has no RUN at all.

use super::plan::{open_sources, OpenedSources};
use super::request::BuildRequest;
use super::BuildError;
use crate::platform::Platform;

/// A build's sources, opened once (a tarball context is extracted once) to check any number of
/// platforms.
pub struct NativeCheck {
    sources: OpenedSources,
    /// Where a tarball context was extracted; removed after `sources` is dropped.
    _scratch: tempfile::TempDir,
}

impl NativeCheck {
    /// Opens the context and Dockerfile of `request` in a scratch directory under its kaniko dir.
    pub fn open(request: &BuildRequest) -> Result<Self, BuildError> {
        let dir = &request.kaniko_dir;
        fs_err::create_dir_all(dir).map_err(|e| BuildError::io(dir, e))?;
        let scratch = tempfile::Builder::new()
            .prefix("plan-")
            .tempdir_in(dir)
            .map_err(|e| BuildError::io(dir, e))?;
        let sources = open_sources(&request.source, &request.source.context, scratch.path())?;
        Ok(Self {
            sources,
            _scratch: scratch,
        })
    }

    /// The first RUN that would need emulation when building `request` (the opened build, for one
    /// platform) on `host`, as `Dockerfile:LINE:COL (stage NAME, platform P)`; `None` when the
    /// build is native.
    pub fn emulated_run(
        &self,
        request: &BuildRequest,
        host: &Platform,
    ) -> Result<Option<String>, BuildError> {
        let plan = self.sources.plan(request, host)?;
        Ok(self
            .sources
            .first_run(&plan, |platform| !host.matches(platform))
            .map(|run| {
                format!(
                    "{} (stage {}, platform {})",
                    run.location, run.stage_name, plan.platforms[run.stage]
                )
            }))
    }
}
