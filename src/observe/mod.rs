// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Observability: the library's measurements and how the binary turns `tracing` events into logs,
//! debug files, metrics, progress, a performance report and a CPU profile.

pub mod component;
pub mod console;
pub mod debug_files;
pub mod error_chain;
pub mod json_log;
pub mod logging;
pub mod measure;
pub mod metrics;
pub mod metrics_server;
pub mod profile;
pub mod progress;
pub mod redact;
pub mod report;
pub mod settings;
pub mod span_fields;
pub mod text_log;
