#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
#
# The release assets the GitHub Action downloads: static musl binaries for both runner
# architectures, built on an amd64 Debian machine without emulation, with checksums in sha256sum
# format, under dist/:
#   dist/kaniko-x86_64-unknown-linux-musl       dist/kaniko-x86_64-unknown-linux-musl.sha256
#   dist/kaniko-aarch64-unknown-linux-musl      dist/kaniko-aarch64-unknown-linux-musl.sha256
# First keeps Cargo.toml's version in step with .release-version (the single source of the version).
# The aarch64 binary is linked by Debian's aarch64 cross gcc, which also compiles the C parts (ring,
# zstd, bzip2, xz); Rust's own musl C library and start files make it static. Needs hack/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=$(tr -d '[:space:]' <.release-version)
if ! grep -qx "version = \"$VERSION\"" Cargo.toml; then
  sed -i "0,/^version = \".*\"/s//version = \"$VERSION\"/" Cargo.toml
  cargo update --workspace --offline >/dev/null 2>&1 || cargo update --workspace >/dev/null
  echo "release: Cargo.toml version set to $VERSION"
fi

for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
done
command -v aarch64-linux-gnu-gcc >/dev/null || { echo "release: aarch64-linux-gnu-gcc missing: run hack/setup.sh" >&2; exit 1; }

export CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-musl-gcc}
export CC_aarch64_unknown_linux_musl=${CC_aarch64_unknown_linux_musl:-aarch64-linux-gnu-gcc}
export AR_aarch64_unknown_linux_musl=${AR_aarch64_unknown_linux_musl:-aarch64-linux-gnu-ar}
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER:-aarch64-linux-gnu-gcc}

mkdir -p dist
for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  cargo build --locked --release --target "$target" --bin kaniko
  cp "target/$target/release/kaniko" "dist/kaniko-$target"
  (cd dist && sha256sum "kaniko-$target" >"kaniko-$target.sha256")
  echo "release: dist/kaniko-$target ($(file -b "dist/kaniko-$target" | cut -d, -f1-2))"
done
