#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
# The lint gate: formatting, clippy with warnings denied, and license headers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/fmt.sh --check
cargo clippy --locked --all-targets -- -D warnings
bash hack/boilerplate.sh
