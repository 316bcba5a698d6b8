#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
#
# Installs everything the build and the test suite need on a fresh Debian machine, idempotently:
# Debian packages (registry server, skopeo, umoci, busybox-static .debs for the base-image fixtures),
# and the rustup targets. Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() { if [ "$(id -u)" -ne 0 ]; then echo "sudo"; fi; }
SUDO=$(need_root)

PACKAGES=(docker-registry skopeo umoci openssl apache2-utils busybox-static xz-utils bzip2 zstd ca-certificates tmux util-linux gcc libc6-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
  need_update=1
fi
if [ "${#missing[@]}" -gt 0 ] || [ -n "${need_update:-}" ]; then
  $SUDO apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The packaged registry starts a system service; tests run their own on loopback ports instead.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  $SUDO systemctl stop docker-registry || true
fi

# busybox-static .debs for both architectures: the test fixtures build base images from them.
DEBS=tests/fixtures/debs
mkdir -p "$DEBS"
for arch in amd64 arm64; do
  if ! ls "$DEBS"/busybox-static_*_"$arch".deb >/dev/null 2>&1; then
    (cd "$DEBS" && apt-get download -qq "busybox-static:$arch")
  fi
done

# rustup targets used for the static executor image.
if command -v rustup >/dev/null 2>&1; then
  rustup target list --installed | grep -qx x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl
fi
echo "setup: done"
