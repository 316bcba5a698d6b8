// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Build metrics in the Prometheus text format, counted from the library's measurement events
//! ([`super::measure`]) by a layer the binary's subscriber owns. The same numbers feed
//! `--metrics-addr`, `--metrics-file` and the performance report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serde_json::Value;
use tracing::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::measure::{MeasureKind, METRICS_TARGET};
use super::span_fields::{scope_fields, FieldMap};

/// How a build ended, as the `result` label says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Outcome {
    #[default]
    Running,
    Success,
    Failure,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// One timed stage or step, with its labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Timed {
    pub labels: BTreeMap<&'static str, String>,
    pub seconds: f64,
}

/// Everything counted so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub bytes_pulled: u64,
    pub blobs_pulled: u64,
    pub bytes_pushed: u64,
    pub blobs_pushed: u64,
    pub blobs_mounted: u64,
    pub blobs_existing: u64,
    pub manifests_pushed: u64,
    pub manifest_bytes_pushed: u64,
    pub layers_written: u64,
    pub bytes_compressed: u64,
    pub layer_bytes_written: u64,
    pub snapshots: Vec<Timed>,
    pub files_scanned: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub layer_cache_hits: u64,
    pub layer_cache_misses: u64,
    pub layer_cache_uncached: u64,
    /// Each layer step's lookup: stage, step and result.
    pub layer_cache_steps: Vec<BTreeMap<&'static str, String>>,
    pub retries: BTreeMap<String, u64>,
    pub phases: BTreeMap<String, f64>,
    pub stages: Vec<Timed>,
    pub steps: Vec<Timed>,
    pub outcome: Outcome,
    pub finished_seconds: Option<f64>,
}

/// The metrics of one process, shared by the layer that counts and the readers that render.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    counts: Mutex<Counts>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            counts: Mutex::default(),
        }
    }
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A copy of the counts.
    pub fn snapshot(&self) -> Counts {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Records how the command ended and when.
    pub fn finish(&self, outcome: Outcome) {
        let mut c = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        c.outcome = outcome;
        c.finished_seconds = Some(self.started.elapsed().as_secs_f64());
    }

    /// Seconds since the command started, or its total once finished.
    pub fn elapsed_seconds(&self, counts: &Counts) -> f64 {
        counts
            .finished_seconds
            .unwrap_or_else(|| self.started.elapsed().as_secs_f64())
    }

    fn record(&self, fields: &serde_json::Map<String, Value>, scope: &serde_json::Map<String, Value>) {
        let u = |k: &str| fields.get(k).and_then(Value::as_u64).unwrap_or(0);
        let seconds = u("duration_ms") as f64 / 1000.0;
        // Only the library's emitters write this target, so a kind that does not parse is not ours.
        let Some(kind) = fields
            .get("kind")
            .and_then(Value::as_str)
            .and_then(|k| k.parse::<MeasureKind>().ok())
        else {
            return;
        };
        let mut c = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        // No wildcard arm: a new kind must say here what it counts.
        match kind {
            MeasureKind::BlobPulled => {
                c.blobs_pulled += 1;
                c.bytes_pulled += u("bytes");
            }
            MeasureKind::BlobPushed => {
                c.blobs_pushed += 1;
                c.bytes_pushed += u("bytes");
            }
            MeasureKind::BlobMounted => c.blobs_mounted += 1,
            MeasureKind::BlobExisted => c.blobs_existing += 1,
            MeasureKind::ManifestPushed => {
                c.manifests_pushed += 1;
                c.manifest_bytes_pushed += u("bytes");
            }
            MeasureKind::LayerWritten => {
                c.layers_written += 1;
                c.bytes_compressed += u("uncompressed");
                c.layer_bytes_written += u("compressed");
            }
            MeasureKind::Snapshot => {
                c.files_scanned += u("files");
                let mut labels = step_labels(scope);
                labels.insert("files", u("files").to_string());
                c.snapshots.push(Timed { labels, seconds });
            }
            MeasureKind::Cache => match fields.get("hit").and_then(Value::as_bool) {
                Some(true) => c.cache_hits += 1,
                _ => c.cache_misses += 1,
            },
            MeasureKind::LayerCache => {
                let text = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                match text("result").as_str() {
                    "hit" => c.layer_cache_hits += 1,
                    "miss" => c.layer_cache_misses += 1,
                    _ => c.layer_cache_uncached += 1,
                }
                c.layer_cache_steps.push(BTreeMap::from([
                    ("stage", text("stage")),
                    ("step", text("step")),
                    ("result", text("result")),
                ]));
            }
            MeasureKind::Retry => {
                let reason = fields.get("reason").and_then(Value::as_str).unwrap_or("unknown");
                *c.retries.entry(reason.to_string()).or_default() += 1;
            }
            MeasureKind::Phase => {
                if let Some(name) = fields.get("phase").and_then(Value::as_str) {
                    *c.phases.entry(name.to_string()).or_default() += seconds;
                }
            }
            MeasureKind::Step => {
                let labels = step_labels(scope);
                c.steps.push(Timed { labels, seconds });
            }
            MeasureKind::Stage => {
                let mut labels = BTreeMap::new();
                if let Some(p) = scope.get("platform").and_then(Value::as_str) {
                    labels.insert("platform", p.to_string());
                }
                labels.insert("stage", u("index").to_string());
                let name = fields.get("name").and_then(Value::as_str).unwrap_or("");
                labels.insert("name", name.to_string());
                c.stages.push(Timed { labels, seconds });
            }
        }
    }

    /// The metrics in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let c = self.snapshot();
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let one = |v: u64| vec![(String::new(), v.to_string())];
        let result: Vec<(String, String)> = [Outcome::Running, Outcome::Success, Outcome::Failure]
            .into_iter()
            .map(|o| {
                (
                    format!("{{result=\"{}\"}}", o.label()),
                    u8::from(o == c.outcome).to_string(),
                )
            })
            .collect();
        metric(
            "kaniko_build_result",
            "gauge",
            "How the command ended (running while it runs).",
            &result,
        );
        metric(
            "kaniko_build_duration_seconds",
            "gauge",
            "Time since the command started, or its total once finished.",
            &[(String::new(), format!("{:.3}", self.elapsed_seconds(&c)))],
        );
        metric(
            "kaniko_stage_duration_seconds",
            "gauge",
            "Duration of each finished stage.",
            &timed(&c.stages),
        );
        metric(
            "kaniko_step_duration_seconds",
            "gauge",
            "Duration of each finished instruction.",
            &timed(&c.steps),
        );
        let mut counters = |rows: &[(&str, &str, u64)]| {
            for (name, help, value) in rows {
                metric(name, "counter", help, &one(*value));
            }
        };
        counters(&[
            (
                "kaniko_pulled_bytes_total",
                "Blob bytes downloaded from registries.",
                c.bytes_pulled,
            ),
            (
                "kaniko_pulled_blobs_total",
                "Blobs downloaded from registries.",
                c.blobs_pulled,
            ),
            (
                "kaniko_pushed_bytes_total",
                "Blob bytes uploaded to registries.",
                c.bytes_pushed,
            ),
            (
                "kaniko_pushed_blobs_total",
                "Blobs uploaded to registries.",
                c.blobs_pushed,
            ),
            (
                "kaniko_mounted_blobs_total",
                "Blob pushes answered by a cross-repository mount.",
                c.blobs_mounted,
            ),
            (
                "kaniko_existing_blobs_total",
                "Blob pushes skipped because the repository had the blob.",
                c.blobs_existing,
            ),
            (
                "kaniko_pushed_manifests_total",
                "Manifests and indexes pushed.",
                c.manifests_pushed,
            ),
            (
                "kaniko_pushed_manifest_bytes_total",
                "Bytes of the manifests and indexes pushed.",
                c.manifest_bytes_pushed,
            ),
            (
                "kaniko_layers_written_total",
                "Layers written by snapshots.",
                c.layers_written,
            ),
            (
                "kaniko_compressed_bytes_total",
                "Uncompressed tar bytes fed to layer compression.",
                c.bytes_compressed,
            ),
            (
                "kaniko_layer_bytes_written_total",
                "Compressed layer bytes written.",
                c.layer_bytes_written,
            ),
            (
                "kaniko_snapshot_files_scanned_total",
                "Files compared by all snapshots.",
                c.files_scanned,
            ),
            (
                "kaniko_cache_hits_total",
                "Images found among those already pulled by this build.",
                c.cache_hits,
            ),
            (
                "kaniko_cache_misses_total",
                "Images that had to be fetched.",
                c.cache_misses,
            ),
            (
                "kaniko_layer_cache_hits_total",
                "Layer steps taken from the layer cache (--cache).",
                c.layer_cache_hits,
            ),
            (
                "kaniko_layer_cache_misses_total",
                "Layer steps looked up in the layer cache and not found.",
                c.layer_cache_misses,
            ),
            (
                "kaniko_layer_cache_uncached_total",
                "Layer steps not cached (by option, or after an input no key can see).",
                c.layer_cache_uncached,
            ),
        ]);
        let scanned: Vec<(String, String)> = c
            .snapshots
            .iter()
            .map(|t| {
                let mut l = t.labels.clone();
                let files = l.remove("files").unwrap_or_default();
                (labels(&l), files)
            })
            .collect();
        metric(
            "kaniko_snapshot_files_scanned",
            "gauge",
            "Files compared by each snapshot.",
            &scanned,
        );
        let retries: Vec<(String, String)> = c
            .retries
            .iter()
            .map(|(reason, n)| (format!("{{reason=\"{}\"}}", escape(reason)), n.to_string()))
            .collect();
        metric(
            "kaniko_retries_total",
            "counter",
            "Registry requests retried, by reason.",
            &retries,
        );
        out
    }
}

fn step_labels(scope: &serde_json::Map<String, Value>) -> BTreeMap<&'static str, String> {
    let mut labels = BTreeMap::new();
    for key in ["platform", "stage", "step", "line", "instruction"] {
        if let Some(v) = scope.get(key) {
            let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
            labels.insert(key, text);
        }
    }
    labels
}

fn timed(items: &[Timed]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|t| (labels(&t.labels), format!("{:.3}", t.seconds)))
        .collect()
}

fn labels(map: &BTreeMap<&'static str, String>) -> String {
    if map.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// Label values escape backslash, double quote and line feed.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Counts measurement events into a shared [`Metrics`].
pub struct MetricsLayer {
    pub metrics: Arc<Metrics>,
}

impl<S> Layer<S> for MetricsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != METRICS_TARGET {
            return;
        }
        let mut fields = FieldMap::default();
        event.record(&mut fields);
        let (scope, _) = scope_fields(event, &ctx);
        self.metrics.record(&fields.0, &scope);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn counts_render_in_the_text_format() {
        let m = Metrics::default();
        let none = serde_json::Map::new();
        m.record(&map(json!({"kind": "blob_pushed", "bytes": 10})), &none);
        m.record(&map(json!({"kind": "blob_pushed", "bytes": 32})), &none);
        m.record(&map(json!({"kind": "retry", "reason": "503"})), &none);
        m.record(
            &map(json!({"kind": "step", "duration_ms": 1500})),
            &map(json!({"stage": 0, "step": 2, "instruction": "RUN", "line": 3})),
        );
        m.finish(Outcome::Success);
        let text = m.render();
        assert!(text.contains("kaniko_pushed_bytes_total 42\n"), "{text}");
        assert!(text.contains("kaniko_pushed_blobs_total 2\n"), "{text}");
        assert!(
            text.contains("kaniko_retries_total{reason=\"503\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "kaniko_step_duration_seconds{instruction=\"RUN\",line=\"3\",stage=\"0\",step=\"2\"} 1.500\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("kaniko_build_result{result=\"success\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE kaniko_pushed_bytes_total counter\n"),
            "{text}"
        );
    }

    /// Emits one event of `kind` through the library's own emitter.
    fn emit(kind: MeasureKind) {
        use crate::observe::measure;
        use std::time::Duration;
        match kind {
            MeasureKind::BlobPulled => measure::blob_pulled(7),
            MeasureKind::BlobPushed => measure::blob_pushed(7),
            MeasureKind::BlobMounted => measure::blob_not_uploaded(true),
            MeasureKind::BlobExisted => measure::blob_not_uploaded(false),
            MeasureKind::ManifestPushed => measure::manifest_pushed(7),
            MeasureKind::LayerWritten => measure::layer_written(7, 3),
            MeasureKind::Snapshot => measure::snapshot_scanned(7, Duration::from_millis(5)),
            MeasureKind::Cache => measure::image_cache(true),
            MeasureKind::LayerCache => measure::layer_cache("build", "RUN true", Some(true)),
            MeasureKind::Retry => measure::retry("503"),
            MeasureKind::Phase => measure::phase("context", Duration::from_millis(5)),
            MeasureKind::Step => measure::step_done(Duration::from_millis(5), true),
            MeasureKind::Stage => measure::stage_done(0, "build", Duration::from_millis(5)),
        }
    }

    #[test]
    fn every_measure_kind_emitted_is_recorded() {
        use tracing_subscriber::layer::SubscriberExt as _;
        let metrics = Metrics::new();
        let subscriber = tracing_subscriber::registry().with(MetricsLayer {
            metrics: metrics.clone(),
        });
        tracing::subscriber::with_default(subscriber, || {
            for &kind in MeasureKind::ALL {
                let before = metrics.snapshot();
                emit(kind);
                assert_ne!(
                    metrics.snapshot(),
                    before,
                    "{kind} was emitted but nothing was counted"
                );
            }
        });
    }

    #[test]
    fn an_unknown_kind_counts_nothing() {
        let m = Metrics::default();
        m.record(
            &map(json!({"kind": "blob_pulld", "bytes": 10})),
            &serde_json::Map::new(),
        );
        assert_eq!(m.snapshot(), Counts::default());
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
