// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--log-format json`: one JSON object per line with `timestamp`, `level`, `component`, the
//! fields of the spans around the event (`platform`, `stage`, `step`, `line`, `instruction`) and
//! the event's own fields (`message` first among them).

use std::sync::Arc;

use serde_json::{Map, Value};
use tracing::{Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::component::Component;
use super::console::Console;
use super::span_fields::{scope_fields, FieldMap};

/// Writes JSON records to the console.
pub struct JsonLayer {
    pub console: Arc<Console>,
}

/// The JSON object of one event.
pub fn record<S>(event: &tracing::Event<'_>, ctx: &Context<'_, S>) -> Map<String, Value>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let meta = event.metadata();
    let mut out = header(meta.level(), Component::of(meta.target()));
    let (scope, _) = scope_fields(event, ctx);
    out.extend(scope);
    let mut fields = FieldMap::default();
    event.record(&mut fields);
    if let Some(message) = fields.0.remove("message") {
        out.insert("message".into(), message);
    }
    out.extend(fields.0);
    out
}

/// The fields every record starts with.
fn header(level: &Level, component: Component) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("timestamp".into(), Value::String(now_rfc3339()));
    out.insert("level".into(), Value::String(level.to_string()));
    out.insert("component".into(), Value::String(component.name().into()));
    out
}

/// One line for what the binary writes outside any `tracing` event (its final error, the
/// performance report), shaped like the events' records so that every line of a JSON log parses
/// the same way.
pub fn standalone_line(level: Level, message: &str, fields: Map<String, Value>) -> String {
    let mut out = header(&level, Component::Core);
    out.insert("message".into(), Value::String(message.into()));
    out.extend(fields);
    let mut line = Value::Object(out).to_string();
    line.push('\n');
    line
}

/// The current time as RFC 3339 with milliseconds, in UTC.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

impl<S> Layer<S> for JsonLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut line = Value::Object(record(event, &ctx)).to_string();
        line.push('\n');
        self.console.write(&line);
    }
}
