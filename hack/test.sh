#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
#
# The whole test suite, as CI runs it: installs what the tests need (idempotent), checks formatting
# and license headers, builds the tests once, builds the executor images with kaniko-rs itself from
# that build's binary (tests/executor_image.rs loads them; a no-op when nothing changed), and runs
# unit and integration tests with cargo-nextest (cargo test if absent).
#
# One compile serves everything: the tests are built for x86_64-unknown-linux-musl, so the kaniko
# binary they run is the static executable the executor image needs (and the flavour we ship), and
# clippy's lints run inside that build (clippy-driver as the workspace's compiler wrapper, warnings
# denied) instead of in a second compile of every dependency. A crate cargo finds fresh is not
# linted again, so after building without this script run `make lint`, which runs clippy itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/setup.sh
bash hack/lint.sh --no-clippy
TARGET=x86_64-unknown-linux-musl
# ring and aws-lc build C code; musl-gcc compiles it against musl's headers instead of glibc's.
export CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-musl-gcc}
export RUSTC_WORKSPACE_WRAPPER=clippy-driver
export CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --target "$TARGET" --no-run
  KANIKO_IMAGE_BINARY=target/$TARGET/debug/kaniko bash hack/image.sh
  cargo nextest run --locked --target "$TARGET" --no-fail-fast --profile ci "$@"
else
  cargo test --locked --target "$TARGET" --no-run
  KANIKO_IMAGE_BINARY=target/$TARGET/debug/kaniko bash hack/image.sh
  cargo test --locked --target "$TARGET" --no-fail-fast "$@"
fi
