// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--profile-cpu FILE`: samples the process's CPU use (SIGPROF, 99 Hz) for the whole command and
//! writes a flamegraph SVG. Commands run by RUN are other processes and are not sampled.

use std::path::{Path, PathBuf};

/// Why the profile could not be taken or written.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("starting the CPU profiler: {0}")]
    Start(#[source] pprof::Error),
    #[error("building the CPU profile: {0}")]
    Report(#[source] pprof::Error),
    #[error("creating the CPU profile {path}: {source}")]
    Create { path: PathBuf, source: std::io::Error },
    #[error("writing the CPU profile {path}: {source}")]
    Write { path: PathBuf, source: pprof::Error },
}

/// A running profile.
pub struct CpuProfile {
    guard: pprof::ProfilerGuard<'static>,
    path: PathBuf,
}

impl CpuProfile {
    pub fn start(path: &Path) -> Result<Self, ProfileError> {
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(99)
            // Sampling inside libc's unwinder-unsafe functions can deadlock the process.
            .blocklist(&["libc", "libgcc", "pthread", "vdso"])
            .build()
            .map_err(ProfileError::Start)?;
        Ok(Self {
            guard,
            path: path.to_path_buf(),
        })
    }

    /// Stops sampling and writes the flamegraph.
    pub fn write(self) -> Result<PathBuf, ProfileError> {
        let report = self.guard.report().build().map_err(ProfileError::Report)?;
        let file = std::fs::File::create(&self.path).map_err(|source| ProfileError::Create {
            path: self.path.clone(),
            source,
        })?;
        let mut options = pprof::flamegraph::Options::default();
        options.title = "kaniko CPU profile".into();
        report
            .flamegraph_with_options(file, &mut options)
            .map_err(|source| ProfileError::Write {
                path: self.path.clone(),
                source,
            })?;
        Ok(self.path)
    }
}
