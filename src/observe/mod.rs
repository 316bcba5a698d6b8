// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Observability: how the binary turns the library's `tracing` events into logs.

pub mod error_chain;
pub mod logging;
