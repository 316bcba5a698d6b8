// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Standard error as the logs see it: every line redacted, and written around the progress bars
//! (which are hidden while a line is printed) so the two never garble each other.

use std::io::Write;
use std::sync::Arc;

use tracing_subscriber::fmt::MakeWriter;

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

/// A `tracing_subscriber` writer onto the console: buffers one event, writes it when dropped.
pub struct ConsoleWriter {
    console: Arc<Console>,
    buf: Vec<u8>,
}

impl Write for ConsoleWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for ConsoleWriter {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            self.console.write(&String::from_utf8_lossy(&self.buf));
        }
    }
}

/// Makes a [`ConsoleWriter`] per event.
#[derive(Clone)]
pub struct MakeConsoleWriter(pub Arc<Console>);

impl<'a> MakeWriter<'a> for MakeConsoleWriter {
    type Writer = ConsoleWriter;

    fn make_writer(&'a self) -> Self::Writer {
        ConsoleWriter {
            console: Arc::clone(&self.0),
            buf: Vec::new(),
        }
    }
}
