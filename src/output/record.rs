// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The JSON record of one built image (`build --metadata-file`), which `aggregate --digests-from`
//! reads back. The two `containerimage.digest` / `image.name` keys repeat what docker/build-push-action's
//! `metadata` output calls them, so scripts written for it keep working.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::image::{Digest, ImageIndex};
use crate::platform::Platform;

/// What a build (or an aggregation) published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildRecord {
    /// The repository, fully qualified (`registry/repository`), of the first destination.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    pub digest: Digest,
    #[serde(default)]
    pub size: u64,
    #[serde(rename = "mediaType", default, skip_serializing_if = "String::is_empty")]
    pub media_type: String,
    /// The image's platform; absent for an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The platforms of an index's images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<Platform>,
    /// Every destination, `registry/repository:tag` (or `@digest` for a push by digest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destinations: Vec<String>,
    #[serde(
        rename = "containerimage.digest",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub containerimage_digest: Option<Digest>,
    #[serde(rename = "image.name", default, skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    /// The image config's digest (what `docker images` calls the image ID); absent for an index.
    #[serde(
        rename = "containerimage.config.digest",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub config_digest: Option<Digest>,
    /// Manifest, config and every layer, compressed: what a pull transfers at most.
    #[serde(rename = "imageSize", default, skip_serializing_if = "Option::is_none")]
    pub image_size: Option<u64>,
}

impl BuildRecord {
    /// A record for an image (`platform` set) or an index (`platforms` set).
    pub fn new(
        image: String,
        digest: Digest,
        size: u64,
        media_type: String,
        destinations: Vec<String>,
    ) -> Self {
        Self {
            image,
            containerimage_digest: Some(digest.clone()),
            image_name: (!destinations.is_empty()).then(|| destinations.join(",")),
            digest,
            size,
            media_type,
            platform: None,
            platforms: Vec::new(),
            destinations,
            config_digest: None,
            image_size: None,
        }
    }

    /// Pretty JSON with a final newline (people read these files in CI logs).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Parses a record.
    pub fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Writes the record atomically.
    pub fn write(&self, path: &Path) -> Result<(), super::OutputError> {
        super::atomic_file::AtomicFile::write_all_to(path, self.to_json().as_bytes())
    }
}

/// The platforms listed in an index, in its order.
pub fn index_platforms(index: &ImageIndex) -> Vec<Platform> {
    index
        .manifests
        .iter()
        .filter_map(|d| d.platform.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_build_push_action_keys() {
        let digest = Digest::of(b"m");
        let mut r = BuildRecord::new(
            "127.0.0.1:5000/app".into(),
            digest.clone(),
            42,
            "application/vnd.oci.image.manifest.v1+json".into(),
            vec!["127.0.0.1:5000/app:1".into(), "127.0.0.1:5000/app:latest".into()],
        );
        r.platform = Some("linux/arm64".parse().unwrap());
        let json = r.to_json();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["containerimage.digest"], digest.to_string());
        assert_eq!(v["image.name"], "127.0.0.1:5000/app:1,127.0.0.1:5000/app:latest");
        assert_eq!(v["platform"]["architecture"], "arm64");
        assert_eq!(v["mediaType"], "application/vnd.oci.image.manifest.v1+json");
        assert_eq!(BuildRecord::parse(json.as_bytes()).unwrap(), r);
    }

    #[test]
    fn rejects_other_json() {
        assert!(BuildRecord::parse(br#"{"name": "x"}"#).is_err());
        assert!(BuildRecord::parse(b"sha256:abc").is_err());
    }
}
