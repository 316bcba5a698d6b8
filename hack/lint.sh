#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
# The lint gate: formatting, clippy with warnings denied, and license headers. With --no-clippy,
# clippy is left to the caller (hack/test.sh runs its lints inside the test build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/fmt.sh --check
[ "${1:-}" = --no-clippy ] || cargo clippy --locked --all-targets -- -D warnings
bash hack/boilerplate.sh
