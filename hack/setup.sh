#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
#
# Installs everything the build and the test suite need on a fresh Debian machine, idempotently:
# Debian packages (registry server, skopeo, umoci, busybox-static .debs for the base-image fixtures,
# musl-gcc for the static executor image, openssh-client for the RUN --mount=type=ssh tests, an aarch64 cross gcc for examples/hello, newuidmap/newgidmap for rootless RUN, the OCI image-spec
# JSON schemas that tests validate manifests and indexes against), the rustup targets,
# and an unprivileged test user with subordinate id ranges. Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() { if [ "$(id -u)" -ne 0 ]; then echo "sudo"; fi; }
SUDO=$(need_root)

PACKAGES=(docker-registry skopeo umoci openssl openssh-client apache2-utils busybox-static xz-utils bzip2 zstd ca-certificates tmux util-linux gcc libc6-dev musl-tools uidmap golang-github-opencontainers-image-spec-dev curl)
# examples/hello is also built for arm64: Debian's cross compiler and arm64 C library (amd64 hosts).
if [ "$(dpkg --print-architecture)" = amd64 ]; then PACKAGES+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross); fi
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

# rustup targets used for the static executor image (hack/release.sh adds aarch64 itself).
if command -v rustup >/dev/null 2>&1; then
  rustup target list --installed | grep -qx x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl
fi
# An unprivileged user for the rootless tests (they drop to it with setpriv/runuser), with fixed
# subordinate id ranges so that the mappings the tests expect are the same on every machine.
TEST_USER=kaniko-test
TEST_ID=2000
TEST_SUBIDS="$TEST_USER:200000:65536"
if ! getent passwd "$TEST_USER" >/dev/null; then
  if ! getent group "$TEST_USER" >/dev/null; then
    if getent group "$TEST_ID" >/dev/null; then $SUDO groupadd "$TEST_USER"; else $SUDO groupadd --gid "$TEST_ID" "$TEST_USER"; fi
  fi
  uid_flag=()
  getent passwd "$TEST_ID" >/dev/null || uid_flag=(--uid "$TEST_ID")
  $SUDO useradd --create-home --shell /bin/sh --gid "$TEST_USER" "${uid_flag[@]}" "$TEST_USER"
  # useradd allocates the next free subordinate range by itself when /etc/subuid exists; ours replaces it.
  for f in /etc/subuid /etc/subgid; do
    if [ -f "$f" ]; then $SUDO sed -i "/^$TEST_USER:/d" "$f"; fi
  done
fi
for f in /etc/subuid /etc/subgid; do
  grep -qs "^$TEST_USER:" "$f" || echo "$TEST_SUBIDS" | $SUDO tee -a "$f" >/dev/null
done
echo "setup: done"
