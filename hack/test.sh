#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
#
# The whole test suite, as CI runs it: installs what the tests need (idempotent), checks lint, builds
# the executor images with kaniko-rs itself (tests/executor_image.rs loads them; a no-op when nothing
# changed), then builds the tests once and runs unit and integration tests with cargo-nextest (cargo
# test if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/setup.sh
bash hack/lint.sh
bash hack/image.sh
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast --profile ci "$@"
else
  cargo test --locked --no-fail-fast "$@"
fi
