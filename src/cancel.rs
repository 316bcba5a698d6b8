// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Cancellation handed down by the caller. The library installs no signal handler: the binary turns
//! SIGINT and SIGTERM into [`Cancellation::cancel`], and every long-running operation (a build, a
//! multi-platform run, a wait for Kubernetes Jobs) stops when its token fires and reports why.

use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

/// A cancellation token that remembers what cancelled it (a signal name, for the exit code).
#[derive(Debug, Clone, Default)]
pub struct Cancellation {
    token: CancellationToken,
    reason: Arc<OnceLock<&'static str>>,
}

impl Cancellation {
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every holder of this token; the first reason given is kept.
    pub fn cancel(&self, reason: &'static str) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    /// Waits until cancelled and returns the reason.
    pub async fn cancelled(&self) -> &'static str {
        self.token.cancelled().await;
        self.reason().unwrap_or("cancellation")
    }

    /// Why it was cancelled, if it was.
    pub fn reason(&self) -> Option<&'static str> {
        self.token
            .is_cancelled()
            .then(|| self.reason.get().copied())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_reason_is_kept_and_every_clone_sees_it() {
        let cancel = Cancellation::new();
        let held = cancel.clone();
        assert_eq!(held.reason(), None);
        cancel.cancel("SIGTERM");
        cancel.cancel("SIGINT");
        assert_eq!(held.cancelled().await, "SIGTERM");
        assert_eq!(held.reason(), Some("SIGTERM"));
    }
}
