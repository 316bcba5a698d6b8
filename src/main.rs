// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The `kaniko` binary: a thin edge that parses arguments, runs the command and maps errors to exit codes.

fn main() {
    println!("{}", kaniko::version::long_version());
}
