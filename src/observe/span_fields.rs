// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The fields of events and spans as JSON values: recorded once per span (in the span's extensions)
//! so the JSON log, the debug files and the metrics all read a step's stage, step number and
//! instruction the same way.

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Collects fields into a JSON object; `message` is the event's formatted message.
#[derive(Debug, Default)]
pub struct FieldMap(pub Map<String, Value>);

impl Visit for FieldMap {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::String(value.into()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let text = crate::observe::error_chain::error_chain(value);
        self.0.insert(field.name().into(), Value::String(text));
    }
}

/// A span's fields, kept in its extensions.
#[derive(Debug, Default, Clone)]
pub struct SpanFields(pub Map<String, Value>);

/// Records every span's fields; must come first in the subscriber so the layers after it find them.
pub struct SpanFieldsLayer;

impl<S> Layer<S> for SpanFieldsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = FieldMap::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.0));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut fields = FieldMap::default();
            values.record(&mut fields);
            let mut ext = span.extensions_mut();
            if let Some(existing) = ext.get_mut::<SpanFields>() {
                existing.0.extend(fields.0);
            }
        }
    }
}

/// The fields of the spans around an event, outermost first, inner spans overriding outer ones,
/// plus the names of those spans.
pub fn scope_fields<S>(
    event: &tracing::Event<'_>,
    ctx: &Context<'_, S>,
) -> (Map<String, Value>, Vec<&'static str>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut out = Map::new();
    let mut names = Vec::new();
    if let Some(scope) = ctx.event_scope(event) {
        for span in scope.from_root() {
            names.push(span.name());
            if let Some(fields) = span.extensions().get::<SpanFields>() {
                out.extend(fields.0.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
    }
    (out, names)
}
