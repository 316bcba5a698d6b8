// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The binary's subscriber: console logs (text, color, json), debug components and files,
//! metrics, progress and the CPU profile, composed as layers of one `tracing` registry.
//!
//! Only the binary calls [`init`]; the library itself just emits `tracing` events. The returned
//! [`Observer`] owns what must be written when the command ends (metrics file, report, profile),
//! so nothing here is global state beyond the subscriber `tracing` itself keeps.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{filter_fn, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

use super::component::{Component, RUN_OUTPUT_TARGET};
use super::console::Console;
use super::debug_files::DebugFilesLayer;
use super::json_log::JsonLayer;
use super::measure::{METRICS_TARGET, PROGRESS_TARGET};
use super::metrics::{Metrics, MetricsLayer, Outcome};
use super::profile::{CpuProfile, ProfileError};
use super::progress::{Drawing, ProgressLayer};
use super::settings::{DebugSettings, ObserveSettings, ProgressMode};
use super::span_fields::SpanFieldsLayer;
use super::text_log::TextLayer;

/// Output format of human and machine logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Color,
    Json,
}

impl LogFormat {
    /// The format a `--log-format` value names, case-insensitively.
    pub fn from_name(name: &str) -> Option<LogFormat> {
        match name.to_ascii_lowercase().as_str() {
            "text" => Some(LogFormat::Text),
            "color" => Some(LogFormat::Color),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// Writes the command's final error to stderr, redacted and on one line: `error: <line>`, or with
/// JSON logs one ERROR record, so that a JSON log stays parseable to its last line. Usable before
/// [`init`] (a flag that fails validation) as after [`Observer::finish`].
pub fn print_error(format: LogFormat, line: &str) {
    let text = match format {
        LogFormat::Json => super::json_log::standalone_line(Level::ERROR, line, Default::default()),
        LogFormat::Text | LogFormat::Color => format!("error: {line}\n"),
    };
    Console::new(None).write(&text);
}

/// Validated logging settings.
#[derive(Debug, Clone, Copy)]
pub struct LogSettings {
    pub level: tracing::Level,
    pub format: LogFormat,
    pub timestamp: bool,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: tracing::Level::INFO,
            format: LogFormat::Color,
            timestamp: false,
        }
    }
}

/// Why observing could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    #[error("--metrics-addr {addr}: cannot listen: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Profile(#[from] ProfileError),
}

/// Whether colour codes may be written: asked for, stderr is a terminal, and NO_COLOR is unset.
pub fn use_ansi(format: LogFormat, no_color: Option<String>, stderr_is_terminal: bool) -> bool {
    format == LogFormat::Color && stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// The most verbose level any console or file output wants.
fn max_level(settings: &ObserveSettings) -> Level {
    if settings.debug.components.is_empty() {
        settings.log.level
    } else {
        settings.log.level.max(settings.debug.level)
    }
}

/// Whether the console shows a record: at the log level, or a debugged component at the debug
/// level; measurements, progress and RUN output (already on stdout) never.
fn console_shows(meta: &Metadata<'_>, level: Level, debug: &DebugSettings, max: Level) -> bool {
    if meta.is_span() {
        return meta.level() <= &max;
    }
    let target = meta.target();
    if target == RUN_OUTPUT_TARGET || target == METRICS_TARGET || target == PROGRESS_TARGET {
        return false;
    }
    meta.level() <= &level || debug.wants(Component::of(target), meta.level())
}

/// Installs the subscriber and starts what `settings` asks for. `relay` is for a process that
/// only re-executes itself (rootless mode's parent): it logs to the console and nothing more, so
/// the child alone writes files, serves metrics and profiles.
pub fn init(settings: &ObserveSettings, relay: bool) -> Result<Observer, ObserveError> {
    let metrics = Metrics::new();
    let max = max_level(settings);
    let drawing = match settings.progress {
        _ if relay => None,
        ProgressMode::Quiet => None,
        ProgressMode::Tty => Some(Drawing::Bars),
        ProgressMode::Plain => Some(Drawing::Lines {
            json: settings.log.format == LogFormat::Json,
        }),
        ProgressMode::Auto => {
            if std::io::stderr().is_terminal() && settings.log.format != LogFormat::Json {
                Some(Drawing::Bars)
            } else {
                Some(Drawing::Lines {
                    json: settings.log.format == LogFormat::Json,
                })
            }
        }
    };
    let bars = (drawing == Some(Drawing::Bars)).then(indicatif::MultiProgress::new);
    let console = Console::new(bars);

    let mut layers: Vec<BoxedLayer> = Vec::new();
    layers.push(
        SpanFieldsLayer
            .with_filter(filter_fn(move |m| {
                m.is_span() && m.level() <= &max.max(Level::INFO)
            }))
            .boxed(),
    );
    let (level, debug) = (settings.log.level, settings.debug.clone());
    let shows = filter_fn(move |m| console_shows(m, level, &debug, max))
        .with_max_level_hint(LevelFilter::from_level(max));
    let ansi = use_ansi(
        settings.log.format,
        std::env::var("NO_COLOR").ok(),
        std::io::stderr().is_terminal(),
    );
    let console_layer: BoxedLayer = match settings.log.format {
        LogFormat::Json => JsonLayer {
            console: Arc::clone(&console),
        }
        .with_filter(shows)
        .boxed(),
        LogFormat::Text | LogFormat::Color => TextLayer {
            console: Arc::clone(&console),
            ansi,
            timestamp: settings.log.timestamp,
        }
        .with_filter(shows)
        .boxed(),
    };
    layers.push(console_layer);
    if !relay {
        layers.push(
            MetricsLayer {
                metrics: Arc::clone(&metrics),
            }
            .with_filter(
                filter_fn(|m| {
                    if m.is_span() {
                        m.level() <= &Level::INFO
                    } else {
                        m.target() == METRICS_TARGET
                    }
                })
                .with_max_level_hint(LevelFilter::INFO),
            )
            .boxed(),
        );
    }
    if let Some(drawing) = drawing {
        layers.push(
            ProgressLayer {
                console: Arc::clone(&console),
                drawing,
            }
            .with_filter(filter_fn(|m| m.target() == PROGRESS_TARGET).with_max_level_hint(LevelFilter::INFO))
            .boxed(),
        );
    }
    let mut debug_main = None;
    if let (Some(dir), false) = (&settings.debug.files_dir, relay) {
        let files =
            DebugFilesLayer::create(dir, settings.debug.clone(), settings.log.level).map_err(|source| {
                ObserveError::Io {
                    path: dir.clone(),
                    source,
                }
            })?;
        debug_main = Some(files.main_log().to_path_buf());
        let file_max = max.max(Level::INFO);
        layers.push(
            files
                .with_filter(
                    filter_fn(move |m| {
                        m.level() <= &file_max
                            && m.target() != METRICS_TARGET
                            && m.target() != PROGRESS_TARGET
                    })
                    .with_max_level_hint(LevelFilter::from_level(file_max)),
                )
                .boxed(),
        );
    }
    let subscriber = tracing_subscriber::registry().with(layers);
    // A second init (tests running several commands in one process) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);

    if let (Some(addr), false) = (settings.metrics_addr, relay) {
        let bound = super::metrics_server::serve(addr, Arc::clone(&metrics))
            .map_err(|source| ObserveError::Bind { addr, source })?;
        tracing::info!("metrics served at http://{bound}/metrics");
    }
    let profile = match (&settings.profile_cpu, relay) {
        (Some(path), false) => Some(CpuProfile::start(path)?),
        _ => None,
    };
    if let Some(main) = &debug_main {
        tracing::info!(path = %main.display(), "debug files are written under {}", main.parent().map(|p| p.display().to_string()).unwrap_or_default());
    }
    Ok(Observer {
        settings: settings.clone(),
        metrics,
        console,
        profile,
        relay,
    })
}

/// What must happen when the command ends.
pub struct Observer {
    settings: ObserveSettings,
    metrics: Arc<Metrics>,
    console: Arc<Console>,
    profile: Option<CpuProfile>,
    relay: bool,
}

impl Observer {
    /// The metrics counted so far.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Records the command's result and writes the metrics file, the report and the profile.
    pub fn finish(self, success: bool) -> Result<(), ObserveError> {
        if self.relay {
            return Ok(());
        }
        self.metrics.finish(if success {
            Outcome::Success
        } else {
            Outcome::Failure
        });
        let write = |path: &PathBuf, text: &str| {
            fs_err::write(path, text).map_err(|source| ObserveError::Io {
                path: path.clone(),
                source,
            })
        };
        if let Some(path) = &self.settings.metrics_file {
            write(path, &self.metrics.render())?;
            tracing::info!(path = %path.display(), "metrics written");
        }
        if self.settings.report_file.is_some() || self.settings.debug.full {
            let report = super::report::build(&self.metrics);
            if let Some(path) = &self.settings.report_file {
                let text = serde_json::to_string_pretty(&report).unwrap_or_default();
                write(path, &format!("{text}\n"))?;
                tracing::info!(path = %path.display(), "performance report written");
            }
            if self.settings.debug.full {
                let text = match self.settings.log.format {
                    LogFormat::Json => {
                        let fields = [("report".to_string(), report)].into_iter().collect();
                        super::json_log::standalone_line(Level::INFO, "performance report", fields)
                    }
                    LogFormat::Text | LogFormat::Color => super::report::human(&report),
                };
                self.console.write(&text);
            }
        }
        if let Some(profile) = self.profile {
            let path = profile.write()?;
            tracing::info!(path = %path.display(), "CPU profile written");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_only_for_color_on_a_terminal_without_no_color() {
        assert!(use_ansi(LogFormat::Color, None, true));
        assert!(!use_ansi(LogFormat::Color, None, false));
        assert!(!use_ansi(LogFormat::Color, Some("1".into()), true));
        assert!(use_ansi(LogFormat::Color, Some(String::new()), true));
        assert!(!use_ansi(LogFormat::Text, None, true));
    }
}
