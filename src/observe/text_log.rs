// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--log-format text` and `color`: one line per event for a person at a terminal,
//! `[LEVEL ][where] message key=value…`. `[where]` is the compact header `docker build` and kaniko
//! users know, `[stage-0 2/8]` inside a step (stage name, step number / steps of the stage) and
//! `[stage-0]` elsewhere in a stage, preceded by the platform in a multi-platform build. The spans'
//! other fields are left out here; the JSON log and the debug files keep all of them.

use std::sync::Arc;

use serde_json::{Map, Value};
use tracing::{Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::console::Console;
use super::json_log::now_rfc3339;
use super::span_fields::{scope_fields, FieldMap};

/// Writes human log lines to the console.
pub struct TextLayer {
    pub console: Arc<Console>,
    /// Colour the level and the header (ANSI escape codes).
    pub ansi: bool,
    /// Start each line with an RFC 3339 timestamp (`--log-timestamp`).
    pub timestamp: bool,
}

impl<S> Layer<S> for TextLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let (scope, _) = scope_fields(event, &ctx);
        let mut fields = FieldMap::default();
        event.record(&mut fields);
        let time = self.timestamp.then(now_rfc3339);
        let line = format_line(
            *event.metadata().level(),
            &scope,
            fields.0,
            self.ansi,
            time.as_deref(),
        );
        self.console.write(&line);
    }
}

/// A value as a person reads it: strings without JSON quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `[platform stage step/steps]` from the fields of the spans around an event, if it is in any.
fn header(scope: &Map<String, Value>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(platform) = scope.get("platform") {
        parts.push(plain(platform));
    }
    if let Some(stage) = scope.get("stage_name") {
        let stage = plain(stage);
        parts.push(match (scope.get("step"), scope.get("steps")) {
            (Some(step), Some(total)) => format!("{stage} {}/{}", plain(step), plain(total)),
            (Some(step), None) => format!("{stage} {}", plain(step)),
            _ => stage,
        });
    }
    (!parts.is_empty()).then(|| format!("[{}]", parts.join(" ")))
}

/// One log line (with its newline). INFO, the common case, carries no level word.
pub fn format_line(
    level: Level,
    scope: &Map<String, Value>,
    mut fields: Map<String, Value>,
    ansi: bool,
    time: Option<&str>,
) -> String {
    let paint = |code: &str, text: &str| {
        if ansi {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(time) = time {
        parts.push(paint("2", time));
    }
    let level_word = match level {
        Level::ERROR => Some(paint("1;31", "ERROR")),
        Level::WARN => Some(paint("1;33", "WARN")),
        Level::INFO => None,
        Level::DEBUG => Some(paint("34", "DEBUG")),
        Level::TRACE => Some(paint("35", "TRACE")),
    };
    parts.extend(level_word);
    parts.extend(header(scope).map(|h| paint("1;36", &h)));
    if let Some(message) = fields.shift_remove("message") {
        parts.push(plain(&message));
    }
    for (key, value) in &fields {
        parts.push(format!("{}={}", paint("3", key), plain(value)));
    }
    let mut line = parts.join(" ");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_step_gets_a_compact_header_and_no_span_fields() {
        let scope = map(
            json!({"stage_name": "stage-0", "stage": 0, "step": 2, "steps": 8, "line": 9, "instruction": "ARG"}),
        );
        let fields = map(json!({"message": "ARG GREETING=hello"}));
        assert_eq!(
            format_line(Level::INFO, &scope, fields, false, None),
            "[stage-0 2/8] ARG GREETING=hello\n"
        );
    }

    #[test]
    fn plain_messages_have_no_header_and_keep_their_own_fields() {
        let mut fields = Map::new();
        fields.insert("message".into(), json!("pushed"));
        fields.insert("destination".into(), json!("r.example/app:1"));
        fields.insert("uploaded".into(), json!(2));
        assert_eq!(
            format_line(
                Level::WARN,
                &Map::new(),
                fields,
                false,
                Some("2026-01-01T00:00:00.000Z")
            ),
            "2026-01-01T00:00:00.000Z WARN pushed destination=r.example/app:1 uploaded=2\n"
        );
    }

    #[test]
    fn the_platform_leads_the_header_and_colour_is_optional() {
        let scope = map(json!({"platform": "linux/arm64", "stage_name": "builder"}));
        let fields = map(json!({"message": "starting stage"}));
        let plain_line = format_line(Level::INFO, &scope, fields.clone(), false, None);
        assert_eq!(plain_line, "[linux/arm64 builder] starting stage\n");
        let coloured = format_line(Level::ERROR, &scope, fields, true, None);
        assert!(coloured.contains("\u{1b}[1;31mERROR\u{1b}[0m"), "{coloured:?}");
    }
}
