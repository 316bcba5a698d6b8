// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! What the library measures, as `tracing` events on the [`METRICS_TARGET`] target. The library
//! only emits them; the binary's metrics layer ([`super::metrics`]) counts them and its progress
//! layer ([`super::progress`]) draws transfers. Without a subscriber they cost nothing.

use std::time::Duration;

/// Target of measurement events (kept out of the logs).
pub const METRICS_TARGET: &str = "kaniko::metrics";
/// Target of transfer spans and their progress events (kept out of the logs).
pub const PROGRESS_TARGET: &str = "kaniko::progress";

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A blob was downloaded (`bytes` verified bytes).
pub fn blob_pulled(bytes: u64) {
    tracing::info!(target: METRICS_TARGET, kind = "blob_pulled", bytes);
}

/// A blob was uploaded (`bytes` sent).
pub fn blob_pushed(bytes: u64) {
    tracing::info!(target: METRICS_TARGET, kind = "blob_pushed", bytes);
}

/// A blob push was answered by a cross-repository mount, or found already there.
pub fn blob_not_uploaded(mounted: bool) {
    let kind = if mounted { "blob_mounted" } else { "blob_existed" };
    tracing::info!(target: METRICS_TARGET, kind);
}

/// A manifest or index was pushed.
pub fn manifest_pushed(bytes: u64) {
    tracing::info!(target: METRICS_TARGET, kind = "manifest_pushed", bytes);
}

/// A layer was written: `uncompressed` bytes of tar compressed into `compressed` bytes.
pub fn layer_written(uncompressed: u64, compressed: u64) {
    tracing::info!(target: METRICS_TARGET, kind = "layer_written", uncompressed, compressed);
}

/// A snapshot compared `files` entries with the previous one.
pub fn snapshot_scanned(files: u64, took: Duration) {
    tracing::info!(target: METRICS_TARGET, kind = "snapshot", files, duration_ms = ms(took));
}

/// An image was looked up among those this build already pulled.
pub fn image_cache(hit: bool) {
    tracing::info!(target: METRICS_TARGET, kind = "cache", hit);
}

/// A registry request is retried, for `reason` (a status code or `transport`).
pub fn retry(reason: &str) {
    tracing::info!(target: METRICS_TARGET, kind = "retry", reason);
}

/// One phase of the build took `took`: context, base images, snapshots, outputs…
pub fn phase(name: &'static str, took: Duration) {
    tracing::info!(target: METRICS_TARGET, kind = "phase", phase = name, duration_ms = ms(took));
}

/// An instruction ended (inside its `step` span).
pub fn step_done(took: Duration, ok: bool) {
    tracing::info!(target: METRICS_TARGET, kind = "step", duration_ms = ms(took), ok);
}

/// A stage ended.
pub fn stage_done(index: usize, name: &str, took: Duration) {
    tracing::info!(target: METRICS_TARGET, kind = "stage", index, name, duration_ms = ms(took));
}

/// A transfer shown as a progress bar (or periodic lines): a pull, a push, an extraction or a
/// snapshot. Report progress with [`Transfer::advance`]; dropping it ends the transfer.
pub struct Transfer {
    span: tracing::Span,
    done: u64,
    reported: u64,
    every: u64,
}

/// Progress is reported at most every this many bytes (or entries), to keep events cheap.
const REPORT_EVERY: u64 = 256 * 1024;

impl Transfer {
    /// `action` is what happens (`pull`, `push`, `extract`, `snapshot`), `name` what it happens
    /// to, `total` the expected amount when known, `unit` `bytes` or `files`.
    pub fn start(action: &'static str, name: &str, total: Option<u64>, unit: &'static str) -> Self {
        let span = tracing::info_span!(
            target: PROGRESS_TARGET,
            "transfer",
            action,
            name,
            total = total.unwrap_or(0),
            unit
        );
        Self {
            span,
            done: 0,
            reported: 0,
            every: if unit == "files" { 1000 } else { REPORT_EVERY },
        }
    }

    /// Adds `n` to the amount done.
    pub fn advance(&mut self, n: u64) {
        self.done += n;
        if self.done - self.reported >= self.every {
            self.reported = self.done;
            tracing::info!(target: PROGRESS_TARGET, parent: &self.span, done = self.done);
        }
    }
}

impl Drop for Transfer {
    fn drop(&mut self) {
        if self.done != self.reported {
            tracing::info!(target: PROGRESS_TARGET, parent: &self.span, done = self.done);
        }
    }
}
