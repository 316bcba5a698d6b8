// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! What the binary asked to observe: logs, debug components and files, metrics, profile, report,
//! progress. Validated by `cli::settings` before any work starts.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use super::component::Component;
use super::logging::LogSettings;

/// How transfers show their progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Bars when stderr is a terminal (and logs are not JSON), periodic lines otherwise.
    Auto,
    /// Bars.
    Tty,
    /// Periodic lines: at most one every few seconds per transfer.
    Plain,
    /// None.
    Quiet,
}

/// Debug controls: which components log at which level, and where debug files go.
#[derive(Debug, Clone)]
pub struct DebugSettings {
    pub components: BTreeSet<Component>,
    pub level: tracing::Level,
    /// `<kaniko-dir>/debug` when debug files are asked for.
    pub files_dir: Option<PathBuf>,
    /// `--debug-full` / `KANIKO_DEBUG=true`: also print the performance report.
    pub full: bool,
}

impl Default for DebugSettings {
    fn default() -> Self {
        Self {
            components: BTreeSet::new(),
            level: tracing::Level::DEBUG,
            files_dir: None,
            full: false,
        }
    }
}

impl DebugSettings {
    /// Whether a record of `component` at `level` is wanted by the debug controls.
    pub fn wants(&self, component: Component, level: &tracing::Level) -> bool {
        level <= &self.level && self.components.contains(&component)
    }
}

/// Everything the binary observes a command with.
#[derive(Debug, Clone)]
pub struct ObserveSettings {
    pub log: LogSettings,
    pub debug: DebugSettings,
    pub progress: ProgressMode,
    pub metrics_addr: Option<SocketAddr>,
    pub metrics_file: Option<PathBuf>,
    pub profile_cpu: Option<PathBuf>,
    pub report_file: Option<PathBuf>,
}

impl Default for ObserveSettings {
    fn default() -> Self {
        Self {
            log: LogSettings::default(),
            debug: DebugSettings::default(),
            progress: ProgressMode::Auto,
            metrics_addr: None,
            metrics_file: None,
            profile_cpu: None,
            report_file: None,
        }
    }
}
