// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Embeds the release version (from `.release-version`, the single source of truth), the git commit
//! and the target triple into the binary for `kaniko version`.

use std::path::Path;
use std::process::Command;

fn main() {
    let version = std::fs::read_to_string(".release-version")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "0.0.0-unknown".to_string());
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=KANIKO_VERSION={version}");
    println!("cargo:rustc-env=KANIKO_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=KANIKO_TARGET={target}");
    println!("cargo:rerun-if-changed=.release-version");
    // The commit changes when HEAD moves or its branch gets a commit. The files come from git, not
    // from `.git/...`: in a worktree `.git` is a file, and a path that does not exist makes cargo rerun
    // this script (and recompile the crate) on every build.
    let git_dir = git(&["rev-parse", "--git-dir"]);
    let common_dir = git(&["rev-parse", "--git-common-dir"]);
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    let watched = [
        git_dir.map(|d| format!("{d}/HEAD")),
        common_dir.as_ref().zip(branch).map(|(d, b)| format!("{d}/{b}")),
        common_dir.map(|d| format!("{d}/packed-refs")),
    ];
    for path in watched.into_iter().flatten() {
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// `git ARGS` in the package directory; its trimmed stdout, or `None` without git or a repository.
fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}
