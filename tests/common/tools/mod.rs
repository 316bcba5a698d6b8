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
