// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The performance report: total and per-phase times, stages and steps, peak memory and bytes
//! moved. Written as JSON with `--report-file`, printed with `--debug-full`.

use serde_json::{json, Value};

use super::metrics::{Counts, Metrics, Outcome, Timed};

/// Peak resident memory of this process and of its waited-for children, in bytes.
fn peak_memory() -> (u64, u64) {
    let max_rss = |who| {
        // SAFETY: getrusage writes into the struct we pass; zeroed is a valid initial value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a valid pointer to a rusage struct.
        if unsafe { libc::getrusage(who, &mut usage) } != 0 {
            return 0;
        }
        // Linux reports kilobytes.
        u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024
    };
    (max_rss(libc::RUSAGE_SELF), max_rss(libc::RUSAGE_CHILDREN))
}

fn timed(items: &[Timed]) -> Vec<Value> {
    items
        .iter()
        .map(|t| {
            let mut o = serde_json::Map::new();
            for (k, v) in &t.labels {
                o.insert((*k).to_string(), Value::String(v.clone()));
            }
            o.insert("seconds".into(), json!(round(t.seconds)));
            Value::Object(o)
        })
        .collect()
}

fn round(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// The report of a command whose numbers `metrics` holds.
pub fn build(metrics: &Metrics) -> Value {
    let c: Counts = metrics.snapshot();
    let (peak, peak_children) = peak_memory();
    let result = match c.outcome {
        Outcome::Running => "running",
        Outcome::Success => "success",
        Outcome::Failure => "failure",
    };
    let phases: serde_json::Map<String, Value> = c
        .phases
        .iter()
        .map(|(k, v)| (k.clone(), json!(round(*v))))
        .collect();
    // Folded from 0.0: an empty f64 sum is -0.0, which would print as "-0.00s".
    let snapshot_seconds = c.snapshots.iter().fold(0.0, |acc, t| acc + t.seconds);
    json!({
        "result": result,
        "total_seconds": round(metrics.elapsed_seconds(&c)),
        "phases": phases,
        "stages": timed(&c.stages),
        "steps": timed(&c.steps),
        "snapshots": {
            "count": c.snapshots.len(),
            "files_scanned": c.files_scanned,
            "seconds": round(snapshot_seconds),
        },
        "memory": {
            "peak_bytes": peak,
            "peak_children_bytes": peak_children,
        },
        "bytes": {
            "pulled": c.bytes_pulled,
            "pushed": c.bytes_pushed,
            "manifests_pushed": c.manifest_bytes_pushed,
            "compressed": c.bytes_compressed,
            "layers_written": c.layer_bytes_written,
        },
        "blobs": {
            "pulled": c.blobs_pulled,
            "pushed": c.blobs_pushed,
            "mounted": c.blobs_mounted,
            "existing": c.blobs_existing,
        },
        "layers_written": c.layers_written,
        "cache": { "hits": c.cache_hits, "misses": c.cache_misses },
        "layer_cache": {
            "hits": c.layer_cache_hits,
            "misses": c.layer_cache_misses,
            "uncached": c.layer_cache_uncached,
            "steps": c.layer_cache_steps,
        },
        "retries": c.retries,
    })
}

/// The report for a person: one line per figure.
pub fn human(report: &Value) -> String {
    let f = |v: &Value| v.as_f64().unwrap_or(0.0);
    let mib = |v: &Value| v.as_u64().unwrap_or(0) as f64 / (1024.0 * 1024.0);
    let mut out = format!(
        "performance report: {} in {:.2}s\n",
        report["result"].as_str().unwrap_or("?"),
        f(&report["total_seconds"])
    );
    if let Some(phases) = report["phases"].as_object() {
        for (name, secs) in phases {
            out.push_str(&format!("  phase {name}: {:.2}s\n", f(secs)));
        }
    }
    for stage in report["stages"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  stage {} {}: {:.2}s\n",
            stage["stage"].as_str().unwrap_or("?"),
            stage["name"].as_str().unwrap_or(""),
            f(&stage["seconds"])
        ));
    }
    out.push_str(&format!(
        "  snapshots: {} ({} files scanned, {:.2}s)\n",
        report["snapshots"]["count"],
        report["snapshots"]["files_scanned"],
        f(&report["snapshots"]["seconds"])
    ));
    out.push_str(&format!(
        "  peak memory: {:.1} MiB (commands run: {:.1} MiB)\n",
        mib(&report["memory"]["peak_bytes"]),
        mib(&report["memory"]["peak_children_bytes"])
    ));
    out.push_str(&format!(
        "  moved: {:.2} MiB pulled, {:.2} MiB pushed, {:.2} MiB compressed into layers\n",
        mib(&report["bytes"]["pulled"]),
        mib(&report["bytes"]["pushed"]),
        mib(&report["bytes"]["compressed"])
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_holds_the_counts_and_real_memory() {
        let m = Metrics::default();
        m.finish(Outcome::Failure);
        let r = build(&m);
        assert_eq!(r["result"], "failure");
        assert!(r["memory"]["peak_bytes"].as_u64().unwrap() > 1024 * 1024, "{r}");
        assert!(human(&r).starts_with("performance report: failure in "));
    }
}
