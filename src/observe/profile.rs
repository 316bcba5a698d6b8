// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--profile-cpu FILE`: samples the process's CPU use (SIGPROF, 99 Hz) for the whole command and
//! writes a flamegraph SVG. Commands run by RUN are other processes and are not sampled.

use std::path::{Path, PathBuf};

/// Why the profile could not be taken or written.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("starting the CPU profiler: {0}")]
    Start(String),
    #[error("building the CPU profile: {0}")]
    Report(String),
    #[error("writing the CPU profile {path}: {message}")]
    Write { path: PathBuf, message: String },
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
            .map_err(|e| ProfileError::Start(e.to_string()))?;
        Ok(Self {
            guard,
            path: path.to_path_buf(),
        })
    }

    /// Stops sampling and writes the flamegraph.
    pub fn write(self) -> Result<PathBuf, ProfileError> {
        let report = self
            .guard
            .report()
            .build()
            .map_err(|e| ProfileError::Report(e.to_string()))?;
        let write_err = |message: String| ProfileError::Write {
            path: self.path.clone(),
            message,
        };
        let file = std::fs::File::create(&self.path).map_err(|e| write_err(e.to_string()))?;
        let mut options = pprof::flamegraph::Options::default();
        options.title = "kaniko CPU profile".into();
        report
            .flamegraph_with_options(file, &mut options)
            .map_err(|e| write_err(e.to_string()))?;
        Ok(self.path)
    }
}
