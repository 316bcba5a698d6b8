// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Log output for the binary: level, format (text, color, json) and timestamps.
//!
//! Only the binary calls [`init`]; the library itself just emits `tracing` events.

use std::io::IsTerminal;

use tracing_subscriber::fmt::format::FmtSpan;

/// Output format of human and machine logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Color,
    Json,
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

/// Whether colour codes may be written: asked for, stderr is a terminal, and NO_COLOR is unset.
pub fn use_ansi(format: LogFormat, no_color: Option<String>, stderr_is_terminal: bool) -> bool {
    format == LogFormat::Color && stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Installs the process-wide subscriber writing to stderr. Calling it twice keeps the first.
pub fn init(settings: &LogSettings) {
    let ansi = use_ansi(
        settings.format,
        std::env::var("NO_COLOR").ok(),
        std::io::stderr().is_terminal(),
    );
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(settings.level)
        .with_target(false)
        .with_span_events(FmtSpan::NONE)
        .with_ansi(ansi);
    let result = match (settings.format, settings.timestamp) {
        // The innermost span (a build step: stage, step, line, instruction) rides along on each line.
        (LogFormat::Json, _) => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        (_, true) => builder.try_init(),
        (_, false) => builder.without_time().try_init(),
    };
    // A second init (tests running several builds in one process) is harmless.
    drop(result);
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
