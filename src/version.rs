// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The build's identity, embedded by `build.rs`: release version, git commit, target triple.

/// Release version from `.release-version`.
pub const VERSION: &str = env!("KANIKO_VERSION");
/// Short git commit the binary was built from, or `unknown` outside a checkout.
pub const GIT_COMMIT: &str = env!("KANIKO_GIT_COMMIT");
/// Target triple the binary was compiled for.
pub const TARGET: &str = env!("KANIKO_TARGET");

/// One line for `kaniko version`; `--version` prints only the name and [`VERSION`].
pub fn long_version() -> String {
    format!("kaniko {VERSION} (commit {GIT_COMMIT}, target {TARGET})")
}
