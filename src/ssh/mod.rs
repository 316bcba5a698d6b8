// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! SSH agent forwarding for `RUN --mount=type=ssh`: where each `--ssh` id's agent comes from (a
//! socket on this machine or private key files, BuildKit's syntax), checked before any work, and
//! the agent socket a step gets at its mount target for the length of that step. Keys stay in this
//! process: a step can ask for signatures but never reads key material, so none can reach a layer.

pub mod agent;
pub mod keys;
pub mod sources;
pub mod spec;
mod wire;

pub use agent::{AgentBackend, AgentSocket};
pub use keys::{KeyError, PrivateKey};
pub use sources::{SshError, SshSources};
pub use spec::{SshSpec, SshSpecError};
