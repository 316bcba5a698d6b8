// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A `Write` sink that compresses on its own thread and hashes the compressed bytes into a file.
//!
//! Tar framing and the diff-ID hash run on the caller's thread; compression (the expensive part)
//! runs on a dedicated thread fed through a bounded channel of fixed-size chunks, so the two overlap
//! and memory stays flat however large the layer is.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::image::digest::HashingWriter;
use crate::image::media_type::LayerCompression;
use crate::image::Digest;

/// Size of each chunk handed to the compressor thread.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight: bounds memory to about `CHUNK * (DEPTH + 2)`.
const DEPTH: usize = 8;

/// Where compressed output went: its digest and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressedOutput {
    pub digest: Digest,
    pub size: u64,
}

/// The writing end. Dropping it without [`CompressingSink::finish`] stops the thread.
pub struct CompressingSink {
    buf: Vec<u8>,
    tx: Option<SyncSender<Vec<u8>>>,
    worker: Option<JoinHandle<io::Result<CompressedOutput>>>,
}

impl CompressingSink {
    /// Starts the compressor thread writing into `file`. `level` is the algorithm's own scale
    /// (gzip 0–9, zstd 1–22); `None` uses our default (gzip 1, zstd 3).
    pub fn start(file: File, compression: LayerCompression, level: Option<i32>) -> io::Result<Self> {
        let (tx, rx) = sync_channel::<Vec<u8>>(DEPTH);
        let worker = std::thread::Builder::new()
            .name("layer-compress".into())
            .spawn(move || compress_loop(rx, file, compression, level))?;
        Ok(Self {
            buf: Vec::with_capacity(CHUNK),
            tx: Some(tx),
            worker: Some(worker),
        })
    }

    fn send_buf(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        let sent = self.tx.as_ref().map(|tx| tx.send(chunk).is_ok()).unwrap_or(false);
        if sent {
            Ok(())
        } else {
            // The worker stopped early: its own error is the one worth reporting.
            Err(self
                .join_worker()
                .err()
                .unwrap_or_else(|| io::Error::other("layer compressor stopped unexpectedly")))
        }
    }

    fn join_worker(&mut self) -> io::Result<CompressedOutput> {
        self.tx = None;
        match self.worker.take() {
            Some(handle) => handle
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("layer compressor thread panicked"))),
            None => Err(io::Error::other("layer compressor already finished")),
        }
    }

    /// Flushes the last chunk, waits for the compressor and returns what it wrote.
    pub fn finish(mut self) -> io::Result<CompressedOutput> {
        self.send_buf()?;
        self.join_worker()
    }
}

impl Write for CompressingSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(data.get(..n).unwrap_or_default());
        if self.buf.len() >= CHUNK {
            self.send_buf()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Chunks are flushed on finish; an intermediate flush would only make chunks smaller.
        Ok(())
    }
}

fn compress_loop(
    rx: Receiver<Vec<u8>>,
    file: File,
    compression: LayerCompression,
    level: Option<i32>,
) -> io::Result<CompressedOutput> {
    let out = HashingWriter::new(BufWriter::with_capacity(CHUNK, file));
    let out = match compression {
        LayerCompression::None => drain(rx, out)?,
        LayerCompression::Gzip => {
            // Level 1 by default, like go-containerregistry's layers (kaniko's): gzip is the slowest
            // stage of a large snapshot, and level 6 costs about three times the CPU for layers only
            // slightly smaller.
            let level = flate2::Compression::new(level.map_or(1, |l| l.clamp(0, 9)) as u32);
            let mut enc = flate2::write::GzEncoder::new(out, level);
            for chunk in rx {
                enc.write_all(&chunk)?;
            }
            enc.finish()?
        }
        LayerCompression::Zstd => {
            let mut enc = zstd::stream::write::Encoder::new(out, level.unwrap_or(3))?;
            for chunk in rx {
                enc.write_all(&chunk)?;
            }
            enc.finish()?
        }
    };
    let (mut buffered, digest, size) = out.finish();
    buffered.flush()?;
    Ok(CompressedOutput { digest, size })
}

fn drain<W: Write>(rx: Receiver<Vec<u8>>, mut out: W) -> io::Result<W> {
    for chunk in rx {
        out.write_all(&chunk)?;
    }
    Ok(out)
}
