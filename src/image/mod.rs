// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Images as data: digests, descriptors, media types, the image config, manifests and indexes.

pub mod descriptor;
pub mod digest;
pub mod media_type;

pub use descriptor::Descriptor;
pub use digest::Digest;
