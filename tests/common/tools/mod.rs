// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Wrappers around the external tools the integration tests check our output with: `skopeo`
//! (inspect, copy), `umoci` (unpack an OCI layout into a rootfs), `docker` (the reference builder
//! and runtime), and [`RootfsSnapshot`] to compare unpacked filesystems. They panic with the
//! tool's stderr on failure so a test never mistakes a broken tool for a passing check.

mod command;
mod docker;
mod rootfs_snapshot;
mod skopeo;
mod umoci;

pub use command::{output_text, run, run_ok};
pub use docker::*;
pub use rootfs_snapshot::{EntryKind, RootfsSnapshot, SnapshotEntry};
pub use skopeo::*;
pub use umoci::umoci_unpack;

/// Every file (not directory) under `dir`, recursively; nothing when it cannot be read.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The bytes of a file and, when it is gzip or zstd, its decompressed bytes too (a layer blob),
/// for searching everything a build wrote for text that must not be there.
pub fn raw_and_decompressed(path: &std::path::Path) -> Vec<Vec<u8>> {
    use std::io::Read as _;
    let raw = std::fs::read(path).unwrap_or_default();
    let mut out = Vec::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut plain = Vec::new();
        if flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut plain)
            .is_ok()
        {
            out.push(plain);
        }
    } else if raw.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        if let Ok(plain) = zstd::decode_all(&raw[..]) {
            out.push(plain);
        }
    }
    out.push(raw);
    out
}
