// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Images as data: digests, descriptors, media types, the image config, manifests and indexes,
//! and the assembled image that outputs write.

pub mod assembled;
pub mod config;
pub mod descriptor;
pub mod digest;
pub mod json;
pub mod layer_blob;
pub mod manifest;
pub mod media_type;

pub use assembled::{AssembledImage, AssembledLayer, ImageAssembler, LayerLocation};
pub use config::{ContainerConfig, Healthcheck, History, ImageConfig};
pub use descriptor::Descriptor;
pub use digest::Digest;
pub use layer_blob::LayerBlob;
pub use manifest::{AnyManifest, ImageIndex, ImageManifest, ManifestFormat, OciMode};
