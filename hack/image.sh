#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
#
# Builds the executor images with kaniko-rs itself (no docker build, no other builder):
#   1. a static binary: cargo build --release --target x86_64-unknown-linux-musl, or the static binary
#      named by KANIKO_IMAGE_BINARY (hack/test.sh passes the musl build its tests run, so that CI
#      compiles everything once), stripped of debug information
#   2. a build context under target/image/context (binary, CA bundle, empty docker config dir, and for
#      the debug image Debian's busybox-static with its applet symlinks)
#   3. that binary builds deploy/Dockerfile twice (--target executor, --target debug) into
#        target/image/kaniko-executor.tar        kaniko-rs/executor:<version>
#        target/image/kaniko-executor-debug.tar  kaniko-rs/executor:debug
#      (docker-loadable tarballs; <version> from .release-version).
# With IMAGE_REPO=registry.example.com/team/executor the images are also pushed there under the same
# tags; further arguments go to `kaniko build` (e.g. --insecure). Idempotent: when neither the binary
# nor anything else that goes into the images changed, the tarballs are kept as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-unknown-linux-musl
VERSION=$(tr -d '[:space:]' <.release-version)
REPO=${IMAGE_REPO:-kaniko-rs/executor}
OUT=target/image
CONTEXT=$OUT/context
BUSYBOX=/bin/busybox
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
for f in "$BUSYBOX" "$CA_BUNDLE"; do
  [ -f "$f" ] || { echo "image: $f is missing: run hack/setup.sh" >&2; exit 1; }
done

if [ -n "${KANIKO_IMAGE_BINARY:-}" ]; then
  # A dynamic executable names its program interpreter; FROM scratch has none to offer.
  if readelf -lW "$KANIKO_IMAGE_BINARY" | grep -q 'program interpreter'; then
    echo "image: $KANIKO_IMAGE_BINARY is not a static executable" >&2
    exit 1
  fi
  mkdir -p "$OUT"
  BINARY=$OUT/kaniko
  objcopy --strip-debug "$KANIKO_IMAGE_BINARY" "$BINARY.new"
  mv "$BINARY.new" "$BINARY"
else
  # ring builds C code; musl-gcc compiles it against musl's headers instead of glibc's.
  export CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-musl-gcc}
  cargo build --locked --release --target "$TARGET"
  BINARY=target/$TARGET/release/kaniko
fi

# Everything that goes into the images; the tarballs are rebuilt only when this changes.
stamp=$(
  {
    echo "$VERSION $REPO $*"
    sha256sum "$BINARY" "$BUSYBOX" "$CA_BUNDLE" deploy/Dockerfile hack/image.sh
  } | sha256sum | cut -d' ' -f1
)
if [ -z "${IMAGE_REPO:-}" ] && [ -f "$OUT/kaniko-executor.tar" ] && [ -f "$OUT/kaniko-executor-debug.tar" ] &&
  [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "image: up to date: $OUT/kaniko-executor.tar ($REPO:$VERSION), $OUT/kaniko-executor-debug.tar ($REPO:debug)"
  exit 0
fi
rm -f "$OUT/stamp"

# The context is made afresh every time, so nothing stale from an earlier layout can slip in.
rm -rf "$CONTEXT"
mkdir -p "$CONTEXT/rootfs/kaniko/ssl/certs" "$CONTEXT/rootfs/kaniko/.docker" "$CONTEXT/rootfs-debug/busybox" \
  "$CONTEXT/rootfs-debug/bin"
chmod 1777 "$CONTEXT/rootfs/kaniko"
chmod 0755 "$CONTEXT/rootfs" "$CONTEXT/rootfs/kaniko/ssl" "$CONTEXT/rootfs/kaniko/ssl/certs" \
  "$CONTEXT/rootfs/kaniko/.docker" "$CONTEXT/rootfs-debug" "$CONTEXT/rootfs-debug/busybox" "$CONTEXT/rootfs-debug/bin"
install -m 0755 "$BINARY" "$CONTEXT/rootfs/kaniko/executor"
# kaniko's warmer image runs /kaniko/warmer; the binary under that name means `kaniko warmer`.
ln -s executor "$CONTEXT/rootfs/kaniko/warmer"
install -m 0644 "$CA_BUNDLE" "$CONTEXT/rootfs/kaniko/ssl/certs/ca-certificates.crt"
install -m 0755 "$BUSYBOX" "$CONTEXT/rootfs-debug/busybox/busybox"
# Applets as relative symlinks next to the binary: COPY keeps symlinks, so no RUN is needed to install them.
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$CONTEXT/rootfs-debug/busybox/$applet"
done
ln -s /busybox/sh "$CONTEXT/rootfs-debug/bin/sh"

build() { # TARGET TARBALL TAG
  local destination=$REPO:$3
  local push=(--no-push)
  [ -n "${IMAGE_REPO:-}" ] && push=()
  rm -f "$2"
  "$BINARY" build \
    --context "$CONTEXT" \
    --dockerfile deploy/Dockerfile \
    --target "$1" \
    --destination "$destination" \
    --tar-path "$2" \
    --kaniko-dir "$OUT/kaniko-dir" \
    --reproducible \
    "${push[@]}" "${@:4}"
  echo "image: $2 ($destination)"
}
build executor "$OUT/kaniko-executor.tar" "$VERSION" "$@"
build debug "$OUT/kaniko-executor-debug.tar" debug "$@"
echo "$stamp" >"$OUT/stamp"
