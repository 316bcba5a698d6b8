// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! kaniko-rs: a daemonless, unprivileged container image builder.
//!
//! The modules follow the data flow of a build:
//! [`context`] (build context sources, `.dockerignore`) → [`dockerfile`] (parse, expand, stage graph)
//! → [`builder`] (stage execution, one module per instruction family) → [`sandbox`] (how RUN executes:
//! container, chroot, rootless) → [`snapshot`] (change detection, layers)
//! → [`image`] (config, manifests, media types) → [`registry`] (client, auth, retries)
//! → [`output`] (push, tarball, OCI layout, digest files) → [`index`] (per-platform images become an
//! image index). [`coordinator`] drives multi-platform runs (local, CI matrix) through that flow.
//! Cross-cutting: [`platform`], [`observe`] (logging), [`cli`] (clap and settings only),
//! [`lexical_path`] (Go's `path.Clean`, for every module that cleans paths).
//!
//! The library is silent: it emits `tracing` events and only the binary installs a subscriber.

pub mod builder;
pub mod cache;
pub mod cancel;
pub mod cli;
pub mod context;
pub mod coordinator;
pub mod dockerfile;
pub mod image;
pub mod index;
pub mod lexical_path;
pub mod observe;
pub mod output;
pub mod platform;
pub mod registry;
pub mod sandbox;
pub mod secrets;
pub mod sign;
pub mod snapshot;
pub mod ssh;
pub mod version;
