// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Standard error as the logs see it: every line redacted, and written around the progress bars
//! (which are hidden while a line is printed) so the two never garble each other.

use std::io::Write;
use std::sync::Arc;

use super::redact::redact;

/// Where log lines and progress lines go.
pub struct Console {
    bars: Option<indicatif::MultiProgress>,
}

impl Console {
    pub fn new(bars: Option<indicatif::MultiProgress>) -> Arc<Self> {
        Arc::new(Self { bars })
    }

    /// The progress bars drawn on this console, if any.
    pub fn bars(&self) -> Option<&indicatif::MultiProgress> {
        self.bars.as_ref()
    }

    /// Writes `text` (one or more whole lines) to stderr, redacted.
    pub fn write(&self, text: &str) {
        let text = redact(text);
        let put = || {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        };
        match &self.bars {
            Some(bars) => bars.suspend(put),
            None => put(),
        }
    }
}
