// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Inputs for the tests of the crate's registry client (`tests/registry_*.rs`): retry timing in
//! milliseconds so retry tests stay fast, and tiny seeded images to push. Unlike the rest of
//! `tests/common`, this uses the crate's own types, because it only feeds the client under test;
//! results are checked against the real registry, never with these helpers.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kaniko::image::Digest;
use kaniko::registry::{RegistryOptions, RetryTiming};

/// Registry options with quick retries so tests that exercise them stay fast.
pub fn fast_options() -> RegistryOptions {
    RegistryOptions {
        retry_timing: RetryTiming {
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        },
        ..Default::default()
    }
}

/// A tiny image: its config bytes, one layer file on disk, and the manifest bytes referencing them.
pub struct TestImage {
    pub config: Vec<u8>,
    pub config_digest: Digest,
    pub layer_path: PathBuf,
    pub layer_digest: Digest,
    pub layer_size: u64,
    pub manifest: Vec<u8>,
}

/// Builds an OCI image for `os/arch` with a layer of `layer_len` pseudo-random bytes (seeded, so the
/// same seed gives the same blobs).
pub fn test_image(dir: &Path, os: &str, arch: &str, seed: u64, layer_len: usize) -> TestImage {
    let mut rng = fastrand::Rng::with_seed(seed);
    let layer: Vec<u8> = (0..layer_len).map(|_| rng.u8(..)).collect();
    let layer_path = dir.join(format!("layer-{seed}.bin"));
    std::fs::write(&layer_path, &layer).unwrap();
    let layer_digest = Digest::of(&layer);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": arch,
        "os": os,
        "rootfs": {"type": "layers", "diff_ids": [layer_digest.to_string()]},
        "config": {}
    }))
    .unwrap();
    let config_digest = Digest::of(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest.to_string(), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest.to_string(), "size": layer.len()}]
    }))
    .unwrap();
    TestImage {
        config,
        config_digest,
        layer_path,
        layer_digest,
        layer_size: layer.len() as u64,
        manifest,
    }
}
