// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Shared fixtures for the integration tests (`mod common;` in any `tests/*.rs`).
//!
//! They are deliberately independent of the crate's own image and registry code so that they can
//! validate it: images are assembled here with `tar`/`flate2`/`sha2`/`serde_json` and moved around with
//! `skopeo`, registries are Debian's real `docker-registry`, and rootfs comparisons go through `umoci`.
//!
//! - [`registry`]: a throw-away `docker-registry` on a loopback port (plain HTTP, or TLS + htpasswd
//!   with a CA-signed or a self-signed server certificate).
//! - [`proxy`]: a scripted HTTP proxy in front of a registry (canned 503/429/401 answers, then forwarding).
//! - [`registry_client`]: inputs for tests of the crate's registry client (fast retry timing, tiny
//!   seeded images). The one module here that uses the crate's types: it feeds the client under test
//!   and checks nothing.
//! - [`images`]: busybox base images (amd64, arm64/v8, an index of both, a Docker schema2 copy) built
//!   from the busybox-static .debs that `hack/setup.sh` fetches, and pushed into a [`registry::Registry`].
//! - [`kaniko`]: builds with the real binary against the shared registry, read back with skopeo and
//!   umoci, and compared with `docker build`.
//! - [`layers`]: images compared layer by layer (ours, BuildKit's where the engine has it).
//! - [`oci_schema`]: validation against the OCI image-spec JSON schemas.
//! - [`isolation`]: the same build started in each RUN isolation mode (chroot as root, rootless as
//!   an unprivileged user, the executor image under docker).
//! - [`file_server`]: a loopback HTTP server for `ADD <url>`.
//! - [`http_stub`]: request parsing and responses shared by the API stand-ins.
//! - [`github_api`]: the GitHub REST endpoints that list and download a workflow run's artifacts.
//! - [`kube_api`]: a Kubernetes API server and kubelet stand-in for the k8s driver (Jobs, pods, logs).
//! - [`ci`]: for the CI integration tests: a TLS + credentials registry with the base images, the
//!   CI definitions read as YAML, and checks of the image index a pipeline published.
//! - [`gha_runner`]: a simulated GitHub-hosted runner job for the action's script.
//! - [`gha_workflow`]: workflow files run job by job and step by step on [`gha_runner`] jobs.
//! - [`gha_expr`]: GitHub Actions expressions, for the tests that run workflow files step by step.
//! - [`gitlab_pipeline`]: a `.gitlab-ci.yml` read as GitLab reads it (includes, extends, matrix,
//!   rules, stages and needs, variable precedence), for the tests that run the GitLab templates.
//! - [`gitlab_expr`]: GitLab's `rules:if` expressions.
//! - [`tools`]: wrappers around `skopeo`, `umoci` and `docker`, and [`tools::RootfsSnapshot`] to
//!   compare unpacked filesystems.
//!
//! Everything is safe to use from parallel tests and from several test binaries at once: every
//! registry gets its own port and temporary directory, and the built base-image layout is
//! content-addressed under Cargo's per-package test tmpdir.
// Each test binary uses a different subset of the fixtures.
#![allow(dead_code, unused_imports)]

pub mod ci;
pub mod file_server;
pub mod gha_expr;
pub mod gha_runner;
pub mod gha_workflow;
pub mod github_api;
pub mod gitlab_expr;
pub mod gitlab_pipeline;
pub mod http_stub;
pub mod images;
pub mod isolation;
pub mod kaniko;
pub mod kube_api;
pub mod layers;
pub mod oci_schema;
pub mod proxy;
pub mod registry;
pub mod registry_client;
pub mod tools;
