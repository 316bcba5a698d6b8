// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The simple-signing payload cosign signs: which repository and which manifest digest a
//! signature vouches for. The signed bytes are the payload blob itself, so they are serialized once
//! here and never re-serialized after a pull.

use serde::{Deserialize, Serialize};

use crate::image::Digest;

/// `critical.type` of a cosign image signature.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";

/// cosign's payload (`github.com/sigstore/sigstore/pkg/signature/payload`), fields in its order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimpleSigning {
    pub critical: Critical,
    /// Annotations given at signing time; we add none, and cosign writes `null` then.
    pub optional: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Critical {
    pub identity: Identity,
    pub image: ImageId,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The repository, without tag or digest (`registry/path`).
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageId {
    #[serde(rename = "docker-manifest-digest")]
    pub docker_manifest_digest: String,
}

impl SimpleSigning {
    /// The payload for the manifest `digest` in `repository`.
    pub fn new(repository: &str, digest: &Digest) -> Self {
        Self {
            critical: Critical {
                identity: Identity {
                    docker_reference: repository.to_string(),
                },
                image: ImageId {
                    docker_manifest_digest: digest.to_string(),
                },
                kind: SIMPLE_SIGNING_TYPE.to_string(),
            },
            optional: None,
        }
    }

    /// The bytes that are signed and pushed as the signature layer.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a payload of strings always serializes")
    }

    pub fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_bytes_are_cosigns() {
        let digest = Digest::of(b"manifest");
        let bytes = SimpleSigning::new("127.0.0.1:5000/app", &digest).to_bytes();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            format!(
                "{{\"critical\":{{\"identity\":{{\"docker-reference\":\"127.0.0.1:5000/app\"}},\
                 \"image\":{{\"docker-manifest-digest\":\"{digest}\"}},\
                 \"type\":\"cosign container image signature\"}},\"optional\":null}}"
            )
        );
        assert_eq!(
            SimpleSigning::parse(&bytes).unwrap(),
            SimpleSigning::new("127.0.0.1:5000/app", &digest)
        );
    }
}
