// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Progress of pulls, pushes, extractions and snapshots ([`super::measure::Transfer`]): indicatif
//! bars on a terminal, and in CI plain lines, at most one every few seconds per transfer and only
//! for transfers that last that long.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::console::Console;
use super::measure::PROGRESS_TARGET;
use super::span_fields::{FieldMap, SpanFields};

/// How progress is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drawing {
    Bars,
    /// Plain lines; `json` writes them as JSON log records.
    Lines {
        json: bool,
    },
}

/// The gap between two plain lines of one transfer.
const LINE_INTERVAL: Duration = Duration::from_secs(5);

struct TransferState {
    action: String,
    name: String,
    total: u64,
    files: bool,
    started: Instant,
    last_line: Option<Instant>,
    done: u64,
    bar: Option<indicatif::ProgressBar>,
}

/// Draws transfers on the console.
pub struct ProgressLayer {
    pub console: Arc<Console>,
    pub drawing: Drawing,
}

/// `sha256:0123456789abcdef…` → `0123456789ab`: bars have little room.
fn short(name: &str) -> String {
    match name.split_once(':') {
        Some((algo, hex)) if algo.starts_with("sha") && hex.len() > 12 => hex[..12].to_string(),
        _ => name.to_string(),
    }
}

fn amount(n: u64, files: bool) -> String {
    if files {
        return format!("{n} files");
    }
    const MIB: f64 = 1024.0 * 1024.0;
    if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / MIB)
    } else {
        format!("{:.1} KiB", n as f64 / 1024.0)
    }
}

impl ProgressLayer {
    fn bar(&self, state: &TransferState) -> Option<indicatif::ProgressBar> {
        let bars = self.console.bars()?;
        let template = match (state.files, state.total > 0) {
            (true, _) => "{prefix:>9} {msg:14} {spinner} {pos} files",
            (false, true) => "{prefix:>9} {msg:14} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            (false, false) => "{prefix:>9} {msg:14} {spinner} {bytes} {bytes_per_sec}",
        };
        let style = indicatif::ProgressStyle::with_template(template)
            .ok()?
            .progress_chars("=> ");
        let bar = if state.total > 0 {
            indicatif::ProgressBar::new(state.total)
        } else {
            indicatif::ProgressBar::no_length()
        };
        let bar = bars.add(bar.with_style(style));
        bar.set_prefix(state.action.clone());
        bar.set_message(short(&state.name));
        Some(bar)
    }

    fn line(&self, state: &TransferState, finished: bool) {
        let Drawing::Lines { json } = self.drawing else {
            return;
        };
        let done = amount(state.done, state.files);
        let of = if state.total > 0 && !state.files {
            format!(
                " of {} ({}%)",
                amount(state.total, false),
                state.done.saturating_mul(100) / state.total
            )
        } else {
            String::new()
        };
        let elapsed = state.started.elapsed().as_secs_f64();
        let message = if finished {
            format!("{} {}: {done} in {elapsed:.1}s", state.action, short(&state.name))
        } else {
            format!(
                "{} {}: {done}{of}, {elapsed:.0}s",
                state.action,
                short(&state.name)
            )
        };
        let text = if json {
            let rec = serde_json::json!({
                "timestamp": super::json_log::now_rfc3339(),
                "level": "INFO",
                "component": "progress",
                "message": message,
                "action": state.action,
                "name": state.name,
                "done": state.done,
                "total": state.total,
            });
            format!("{rec}\n")
        } else {
            format!("progress: {message}\n")
        };
        self.console.write(&text);
    }
}

impl<S> Layer<S> for ProgressLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().target() != PROGRESS_TARGET {
            return;
        }
        let Some(span) = ctx.span(id) else {
            return;
        };
        // The span-fields layer, first in the subscriber, has already recorded the fields.
        let mut state = {
            let ext = span.extensions();
            let field = |k: &str| ext.get::<SpanFields>().and_then(|f| f.0.get(k));
            let s = |k: &str| field(k).and_then(Value::as_str).unwrap_or("").to_string();
            TransferState {
                action: s("action"),
                name: s("name"),
                total: field("total").and_then(Value::as_u64).unwrap_or(0),
                files: s("unit") == "files",
                started: Instant::now(),
                last_line: None,
                done: 0,
                bar: None,
            }
        };
        if self.drawing == Drawing::Bars {
            state.bar = self.bar(&state);
        }
        span.extensions_mut().insert(Mutex::new(state));
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != PROGRESS_TARGET {
            return;
        }
        let Some(span) = event.parent().and_then(|id| ctx.span(id)) else {
            return;
        };
        let mut fields = FieldMap::default();
        event.record(&mut fields);
        let done = fields.0.get("done").and_then(Value::as_u64).unwrap_or(0);
        let ext = span.extensions();
        let Some(state) = ext.get::<Mutex<TransferState>>() else {
            return;
        };
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.done = done;
        if let Some(bar) = &state.bar {
            bar.set_position(done);
        }
        let since = state.last_line.unwrap_or(state.started).elapsed();
        if since >= LINE_INTERVAL {
            state.last_line = Some(Instant::now());
            self.line(&state, false);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        if span.metadata().target() != PROGRESS_TARGET {
            return;
        }
        let ext = span.extensions();
        let Some(state) = ext.get::<Mutex<TransferState>>() else {
            return;
        };
        let state = state.lock().unwrap_or_else(PoisonError::into_inner);
        // indicatif drops a finished bar from the screen at the next redraw: the bar is cleared
        // and its final state written as an ordinary line, which stays.
        if let Some(bar) = &state.bar {
            bar.finish_and_clear();
            let amount = if state.files {
                amount(state.done, true)
            } else {
                format!(
                    "{}/{}",
                    amount(state.done, false),
                    amount(state.total.max(state.done), false)
                )
            };
            self.console.write(&format!(
                "{:>9} {:14} [{}] {amount} in {:.1}s\n",
                state.action,
                short(&state.name),
                "=".repeat(30),
                state.started.elapsed().as_secs_f64()
            ));
        }
        // A transfer that printed progress lines ends with one saying it is done.
        if state.last_line.is_some() {
            self.line(&state, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_amounts_are_short() {
        assert_eq!(short("sha256:0123456789abcdef0123"), "0123456789ab");
        assert_eq!(short("alpine:3.20"), "alpine:3.20");
        assert_eq!(amount(3 * 1024 * 1024 + 512 * 1024, false), "3.5 MiB");
        assert_eq!(amount(12, true), "12 files");
    }
}

#[cfg(test)]
mod template_tests {
    #[test]
    fn bar_templates_parse() {
        for t in [
            "{prefix:>9} {msg:14} {spinner} {pos} files",
            "{prefix:>9} {msg:14} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            "{prefix:>9} {msg:14} {spinner} {bytes} {bytes_per_sec}",
        ] {
            if let Err(e) = indicatif::ProgressStyle::with_template(t) {
                panic!("{t}: {e}");
            }
        }
    }
}
