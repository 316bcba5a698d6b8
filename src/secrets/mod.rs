// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Build secrets: where each one comes from (`--secret`, BuildKit's syntax), their values loaded
//! once at the start of a build, and the redaction that keeps a value a RUN prints out of our
//! console and logs. A value lives only in memory and, for the length of one step, in a mode-0400
//! file bind-mounted at the secret's target; requests, keys, layers and reports carry ids only.

pub mod redact;
pub mod spec;
pub mod store;

pub use redact::Redactor;
pub use spec::{SecretSource, SecretSpec, SecretSpecError};
pub use store::{SecretError, Secrets};
