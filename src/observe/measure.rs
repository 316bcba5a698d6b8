// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! What the library measures, as `tracing` events on the [`METRICS_TARGET`] target. The library
//! only emits them; the binary's metrics layer ([`super::metrics`]) counts them and its progress
//! layer ([`super::progress`]) draws transfers. Without a subscriber they cost nothing.

use std::time::Duration;

/// Declares [`MeasureKind`] from one list, so the list of every kind ([`MeasureKind::ALL`]) and the
/// names events carry cannot drift apart from the variants.
macro_rules! measure_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// What a measurement event counts: the `kind` field of every event on [`METRICS_TARGET`].
        /// The emitters below and the recorder ([`super::metrics`]) both go through this enum, and
        /// the recorder matches it exhaustively, so a kind that is emitted but never counted does
        /// not compile.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum MeasureKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl MeasureKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [MeasureKind] = &[$(MeasureKind::$variant,)*];

            /// The name events carry in their `kind` field.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(MeasureKind::$variant => $name,)*
                }
            }
        }
    };
}

measure_kinds! {
    /// A blob was downloaded.
    BlobPulled => "blob_pulled",
    /// A blob was uploaded.
    BlobPushed => "blob_pushed",
    /// A blob push was answered by a cross-repository mount.
    BlobMounted => "blob_mounted",
    /// A blob push found the blob already in the repository.
    BlobExisted => "blob_existed",
    /// A manifest or index was pushed.
    ManifestPushed => "manifest_pushed",
    /// A layer was written.
    LayerWritten => "layer_written",
    /// A snapshot compared the filesystem with the previous one.
    Snapshot => "snapshot",
    /// An image was looked up among those the build already pulled.
    Cache => "cache",
    /// A layer step was looked up in the layer cache (`--cache`).
    LayerCache => "layer_cache",
    /// A registry request was retried.
    Retry => "retry",
    /// A phase of the build ended.
    Phase => "phase",
    /// An instruction ended.
    Step => "step",
    /// A stage ended.
    Stage => "stage",
}

impl std::fmt::Display for MeasureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `kind` field that names no [`MeasureKind`].
#[derive(Debug, thiserror::Error)]
#[error("unknown measurement kind {0:?}")]
pub struct UnknownMeasureKind(pub String);

impl std::str::FromStr for MeasureKind {
    type Err = UnknownMeasureKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownMeasureKind(s.to_string()))
    }
}

/// Target of measurement events (kept out of the logs).
pub const METRICS_TARGET: &str = "kaniko::metrics";
/// Target of transfer spans and their progress events (kept out of the logs).
pub const PROGRESS_TARGET: &str = "kaniko::progress";

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A blob was downloaded (`bytes` verified bytes).
pub fn blob_pulled(bytes: u64) {
    tracing::info!(target: METRICS_TARGET, kind = MeasureKind::BlobPulled.as_str(), bytes);
}

/// A blob was uploaded (`bytes` sent).
pub fn blob_pushed(bytes: u64) {
    tracing::info!(target: METRICS_TARGET, kind = MeasureKind::BlobPushed.as_str(), bytes);
}

/// A blob push was answered by a cross-repository mount, or found already there.
pub fn blob_not_uploaded(mounted: bool) {
    let kind = if mounted {
        MeasureKind::BlobMounted
    } else {
        MeasureKind::BlobExisted
    };
    tracing::info!(target: METRICS_TARGET, kind = kind.as_str());
}

/// A manifest or index was pushed.
pub fn manifest_pushed(bytes: u64) {
    tracing::info!(target: METRICS_TARGET, kind = MeasureKind::ManifestPushed.as_str(), bytes);
}

/// A layer was written: `uncompressed` bytes of tar compressed into `compressed` bytes.
pub fn layer_written(uncompressed: u64, compressed: u64) {
    tracing::info!(target: METRICS_TARGET, kind = MeasureKind::LayerWritten.as_str(), uncompressed, compressed);
}

/// A snapshot compared `files` entries with the previous one.
pub fn snapshot_scanned(files: u64, took: Duration) {
    tracing::info!(target: METRICS_TARGET, kind = MeasureKind::Snapshot.as_str(), files, duration_ms = ms(took));
}

/// An image was looked up among those this build already pulled.
pub fn image_cache(hit: bool) {
    tracing::info!(target: METRICS_TARGET, kind = MeasureKind::Cache.as_str(), hit);
}

/// A layer step was looked up in the layer cache: `Some(true)` a hit, `Some(false)` a miss,
/// `None` not cached (by option, or an input the key cannot see). `stage` and `step` name it.
pub fn layer_cache(stage: &str, step: &str, hit: Option<bool>) {
    let result = match hit {
        Some(true) => "hit",
        Some(false) => "miss",
        None => "uncached",
    };
    tracing::info!(target: METRICS_TARGET, kind = MeasureKind::LayerCache.as_str(), stage, step, result);
}

/// A registry request is retried, for `reason` (a status code or `transport`).
pub fn retry(reason: &str) {
    tracing::info!(target: METRICS_TARGET, kind = MeasureKind::Retry.as_str(), reason);
}

/// One phase of the build took `took`: context, base images, snapshots, outputs…
pub fn phase(name: &'static str, took: Duration) {
    tracing::info!(target: METRICS_TARGET, kind = MeasureKind::Phase.as_str(), phase = name, duration_ms = ms(took));
}

/// An instruction ended (inside its `step` span).
pub fn step_done(took: Duration, ok: bool) {
    tracing::info!(target: METRICS_TARGET, kind = MeasureKind::Step.as_str(), duration_ms = ms(took), ok);
}

/// A stage ended.
pub fn stage_done(index: usize, name: &str, took: Duration) {
    tracing::info!(target: METRICS_TARGET, kind = MeasureKind::Stage.as_str(), index, name, duration_ms = ms(took));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for &kind in MeasureKind::ALL {
            assert_eq!(kind.as_str().parse::<MeasureKind>().ok(), Some(kind), "{kind}");
        }
        let names: std::collections::BTreeSet<_> = MeasureKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), MeasureKind::ALL.len(), "two kinds share a name");
    }

    #[test]
    fn an_unknown_name_is_an_error() {
        let err = "blob_pulld".parse::<MeasureKind>().unwrap_err();
        assert_eq!(err.to_string(), "unknown measurement kind \"blob_pulld\"");
    }
}
