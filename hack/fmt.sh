#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
# Formats the code base (or, with --check, fails when anything is unformatted).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--check" ]; then cargo fmt --all -- --check; else cargo fmt --all; fi
