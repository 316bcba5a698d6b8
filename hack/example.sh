#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
#
# The README's main job: builds examples/hello with kaniko-rs into an OCI layout and a docker tarball
# under out/, with no registry and no network. Sets up what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/setup.sh >/dev/null
cargo build --locked
# The example's payload: a static program per architecture, compiled here so the repository holds no
# binaries (the Dockerfile copies hello-$TARGETARCH). The arm64 one comes from Debian's cross compiler.
gcc -static -Os -o "examples/hello/hello-$(dpkg --print-architecture)" examples/hello/hello.c
if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && [ "$(dpkg --print-architecture)" != arm64 ]; then
  aarch64-linux-gnu-gcc -static -Os -o examples/hello/hello-arm64 examples/hello/hello.c
fi
mkdir -p out
rm -rf out/hello-oci out/hello.tar
./target/debug/kaniko build \
  --context examples/hello \
  --no-push \
  --destination kaniko-example/hello:latest \
  --kaniko-dir out/kaniko-work \
  --oci-layout-path out/hello-oci \
  --tar-path out/hello.tar \
  --digest-file out/hello.digest
echo "built $(cat out/hello.digest): OCI layout in out/hello-oci, docker tarball in out/hello.tar"
