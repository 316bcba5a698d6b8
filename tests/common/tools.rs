// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Tool wrappers (work in progress).
