// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Where a built image goes besides a registry: docker tarballs, OCI layouts and digest files.
