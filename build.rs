// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Embeds the release version (from `.release-version`, the single source of truth), the git commit
//! and the target triple into the binary for `kaniko version`.

use std::process::Command;

fn main() {
    let version = std::fs::read_to_string(".release-version")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "0.0.0-unknown".to_string());
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=KANIKO_VERSION={version}");
    println!("cargo:rustc-env=KANIKO_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=KANIKO_TARGET={target}");
    println!("cargo:rerun-if-changed=.release-version");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
}
