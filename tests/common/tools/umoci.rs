// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `umoci unpack`: turns an image in an OCI layout into a plain rootfs directory, applying layers
//! and whiteouts the way the OCI spec says, independently of our own code.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::command::run_ok;

/// Unpacks `layout_dir:tag` into the bundle `dest` (which must not exist yet) and returns
/// `dest/rootfs`. Uses `--rootless` when not running as root (ownership is then not preserved).
pub fn umoci_unpack(layout_dir: &Path, tag: &str, dest: &Path) -> PathBuf {
    let mut cmd = Command::new("umoci");
    cmd.arg("unpack");
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        cmd.arg("--rootless");
    }
    cmd.arg("--image")
        .arg(format!("{}:{tag}", layout_dir.display()))
        .arg(dest);
    run_ok(&mut cmd);
    dest.join("rootfs")
}
