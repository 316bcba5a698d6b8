// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Manifest operations: get by tag or digest (raw bytes, media type, digest of those bytes), put, and
//! resolving an index or manifest list to the image manifest for one platform.
//!
//! Bytes are the source of truth: a pulled manifest is kept as the registry sent it, its digest computed
//! from those bytes (and checked against the digest it was requested by).

use futures_util::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::Deserialize;

use super::client::{RegistryClient, Target};
use super::error::{Failure, Operation, RegistryError};
use super::options::Direction;
use super::reference::Reference;
use super::response::status_failure;
use crate::image::media_type::{self, MANIFEST_ACCEPT};
use crate::image::{Descriptor, Digest};
use crate::platform::Platform;

/// The distribution spec lets registries refuse manifests over 4 MiB; we refuse to read more.
const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;
/// Image configs are small JSON; this bounds what a hostile registry can make us hold in memory.
const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;
const DOCKER_CONTENT_DIGEST: &str = "docker-content-digest";

/// A manifest or index exactly as the registry served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: Digest,
}

impl Manifest {
    /// A descriptor pointing at this manifest.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.media_type.clone(),
            self.digest.clone(),
            self.bytes.len() as u64,
        )
    }
}

/// The image manifest chosen for a platform.
#[derive(Debug, Clone)]
pub struct ResolvedManifest {
    /// The reference pinned to the image manifest's digest.
    pub reference: Reference,
    pub manifest: Manifest,
    /// The platform of the chosen image: from the index entry, or from the image config.
    pub platform: Option<Platform>,
    /// The index the manifest was chosen from, when the reference named an index.
    pub index: Option<Manifest>,
    /// The image config, when resolving already had to fetch it (a single-platform manifest's
    /// platform is in its config): callers reuse it instead of pulling it again.
    pub config: Option<Vec<u8>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexDoc {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageManifestDoc {
    config: Descriptor,
}

#[derive(Deserialize)]
struct ConfigPlatformDoc {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaTypeDoc {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
}

fn manifest_path(reference: &Reference, what: &str) -> String {
    format!("/v2/{}/manifests/{what}", reference.repository())
}

impl RegistryClient {
    /// Gets a manifest by tag or digest, trying registry mirrors first for Docker Hub images.
    pub async fn get_manifest(&self, reference: &Reference) -> Result<Manifest, RegistryError> {
        self.try_pull_sources(reference, |source| async move {
            self.get_manifest_from(&source).await
        })
        .await
    }

    /// Gets a manifest from a push destination's repository (to check what was pushed there before
    /// publishing): the push direction's transport, credentials and retries, and no mirrors.
    pub async fn get_destination_manifest(&self, reference: &Reference) -> Result<Manifest, RegistryError> {
        let op = Operation::new(
            format!("reading manifest {} from", reference.manifest_reference()),
            reference.registry(),
            reference.repository(),
        );
        self.get_manifest_with(reference, &Target::push(reference), op)
            .await
    }

    async fn get_manifest_from(&self, reference: &Reference) -> Result<Manifest, RegistryError> {
        let op = Operation::new(
            format!("pulling manifest {} from", reference.manifest_reference()),
            reference.registry(),
            reference.repository(),
        );
        self.get_manifest_with(reference, &Target::pull(reference), op)
            .await
    }

    async fn get_manifest_with(
        &self,
        reference: &Reference,
        target: &Target,
        op: Operation,
    ) -> Result<Manifest, RegistryError> {
        let what = reference.manifest_reference();
        let (bytes, content_type, header_digest) = self
            .with_retry(&op, target.direction, || async {
                let response = self
                    .send(target, |ep| {
                        let url = Self::api_url(ep, &manifest_path(reference, &what))?;
                        Ok(ep.http.get(url).header(ACCEPT, MANIFEST_ACCEPT))
                    })
                    .await?;
                if !response.status().is_success() {
                    return Err(status_failure(response).await);
                }
                let content_type = header_str(&response, CONTENT_TYPE.as_str());
                let header_digest = header_str(&response, DOCKER_CONTENT_DIGEST);
                let bytes = read_bounded(response, MAX_MANIFEST_BYTES, &op).await?;
                Ok((bytes, content_type, header_digest))
            })
            .await?;
        let digest = Digest::of(&bytes);
        tracing::debug!(operation = %op, %digest, size = bytes.len(), "manifest pulled");
        if let Some(expected) = reference.digest() {
            if *expected != digest {
                return Err(RegistryError::DigestMismatch {
                    op,
                    expected: expected.clone(),
                    actual: digest,
                });
            }
        } else if let Some(h) = header_digest.and_then(|h| h.parse::<Digest>().ok()) {
            if h != digest {
                tracing::warn!(operation = %op, header = %h, computed = %digest, "registry's Docker-Content-Digest differs from the digest of the bytes it sent; using the bytes");
            }
        }
        let media_type = media_type_of(content_type.as_deref(), &bytes);
        Ok(Manifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// Whether a manifest exists, and its descriptor (HEAD, no body transferred). `None` on 404.
    pub async fn head_manifest(&self, reference: &Reference) -> Result<Option<Descriptor>, RegistryError> {
        let what = reference.manifest_reference();
        let op = Operation::new(
            format!("checking manifest {what} in"),
            reference.registry(),
            reference.repository(),
        );
        let target = Target::pull(reference);
        self.with_retry(&op, Direction::Pull, || async {
            let response = self
                .send(&target, |ep| {
                    let url = Self::api_url(ep, &manifest_path(reference, &what))?;
                    Ok(ep.http.head(url).header(ACCEPT, MANIFEST_ACCEPT))
                })
                .await?;
            if response.status() == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !response.status().is_success() {
                return Err(status_failure(response).await);
            }
            let digest = header_str(&response, DOCKER_CONTENT_DIGEST).and_then(|d| d.parse::<Digest>().ok());
            let size = super::blob::header_content_length(&response);
            let media_type = header_str(&response, CONTENT_TYPE.as_str()).map(|m| strip_params(&m));
            match (digest, size, media_type) {
                (Some(d), Some(s), Some(m)) => Ok(Some(Descriptor::new(m, d, s))),
                _ => Err(Failure::Final(RegistryError::Protocol {
                    op: op.clone(),
                    reason: "HEAD answer lacks Docker-Content-Digest, Content-Length or Content-Type".into(),
                })),
            }
        })
        .await
    }

    /// Puts a manifest under the reference's tag (or digest) with its media type. Returns the digest of
    /// `bytes`, after checking the registry's `Docker-Content-Digest` agrees.
    pub async fn put_manifest(
        &self,
        reference: &Reference,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<Digest, RegistryError> {
        let digest = Digest::of(bytes);
        let what = reference.manifest_reference();
        let op = Operation::new(
            format!("pushing manifest {what} to"),
            reference.registry(),
            reference.repository(),
        );
        if let Some(expected) = reference.digest() {
            if *expected != digest {
                return Err(RegistryError::DigestMismatch {
                    op,
                    expected: expected.clone(),
                    actual: digest,
                });
            }
        }
        let target = Target::push(reference);
        let header_digest = self
            .with_retry(&op, Direction::Push, || async {
                let response = self
                    .send(&target, |ep| {
                        let url = Self::api_url(ep, &manifest_path(reference, &what))?;
                        Ok(ep
                            .http
                            .put(url)
                            .header(CONTENT_TYPE, media_type)
                            .body(bytes.to_vec()))
                    })
                    .await?;
                if !response.status().is_success() {
                    return Err(status_failure(response).await);
                }
                Ok(header_str(&response, DOCKER_CONTENT_DIGEST))
            })
            .await?;
        if let Some(h) = header_digest {
            let registry_digest =
                h.parse::<Digest>()
                    .map_err(|source| RegistryError::InvalidDigestHeader {
                        op: op.clone(),
                        source,
                    })?;
            if registry_digest != digest {
                return Err(RegistryError::DigestMismatch {
                    op,
                    expected: digest,
                    actual: registry_digest,
                });
            }
        }
        tracing::debug!(operation = %op, %digest, size = bytes.len(), media_type, "manifest pushed");
        crate::observe::measure::manifest_pushed(bytes.len() as u64);
        Ok(digest)
    }

    /// Follows an OCI index or Docker manifest list to the image manifest for `platform`. A reference to
    /// a single image manifest is accepted as is; when its config names another platform, a warning is
    /// logged (kaniko does the same: the user may know better, e.g. with emulation).
    pub async fn resolve_platform_manifest(
        &self,
        reference: &Reference,
        platform: &Platform,
    ) -> Result<ResolvedManifest, RegistryError> {
        let top = self.get_manifest(reference).await?;
        let op = Operation::new(
            format!(
                "resolving platform {platform} of {} in",
                reference.manifest_reference()
            ),
            reference.registry(),
            reference.repository(),
        );
        if media_type::is_index(&top.media_type) {
            let index: IndexDoc =
                serde_json::from_slice(&top.bytes).map_err(|source| RegistryError::InvalidJson {
                    op: op.clone(),
                    what: "index",
                    source,
                })?;
            let chosen = index.manifests.iter().find(|d| {
                d.platform.as_ref().is_some_and(|p| platform.matches(p)) && is_image_manifest_type(d)
            });
            let Some(chosen) = chosen else {
                let mut available: Vec<String> = index
                    .manifests
                    .iter()
                    .filter_map(|d| d.platform.as_ref().map(|p| p.clone().normalized().to_string()))
                    .collect();
                available.dedup();
                return Err(RegistryError::NoMatchingPlatform {
                    op,
                    reference: reference.to_string(),
                    wanted: platform.to_string(),
                    available: if available.is_empty() {
                        "none listed".into()
                    } else {
                        available.join(", ")
                    },
                });
            };
            let child_ref = reference.with_digest(chosen.digest.clone());
            let manifest = self.get_manifest(&child_ref).await?;
            if !media_type::is_image_manifest(&manifest.media_type) {
                return Err(RegistryError::Protocol {
                    op,
                    reason: format!(
                        "index entry {} is a {}, not an image manifest",
                        chosen.digest, manifest.media_type
                    ),
                });
            }
            return Ok(ResolvedManifest {
                reference: child_ref,
                manifest,
                platform: chosen.platform.clone().map(Platform::normalized),
                index: Some(top),
                config: None,
            });
        }
        if !media_type::is_image_manifest(&top.media_type) {
            return Err(RegistryError::Protocol {
                op,
                reason: format!("unsupported manifest media type {:?}", top.media_type),
            });
        }
        let doc: ImageManifestDoc =
            serde_json::from_slice(&top.bytes).map_err(|source| RegistryError::InvalidJson {
                op: op.clone(),
                what: "manifest",
                source,
            })?;
        let config = self
            .get_blob_bytes(reference, &doc.config.digest, MAX_CONFIG_BYTES)
            .await?;
        let image_platform = serde_json::from_slice::<ConfigPlatformDoc>(&config)
            .ok()
            .filter(|c| !c.os.is_empty() && !c.architecture.is_empty())
            .map(|c| Platform::new(&c.os, &c.architecture, c.variant.as_deref()));
        match &image_platform {
            Some(p) if !platform.matches(p) => tracing::warn!(
                image = %reference,
                wanted = %platform,
                actual = %p,
                "image is a single-platform manifest for another platform; using it anyway"
            ),
            None => tracing::warn!(image = %reference, "image config names no platform; using it as is"),
            _ => {}
        }
        Ok(ResolvedManifest {
            reference: reference.with_digest(top.digest.clone()),
            manifest: top,
            platform: image_platform,
            index: None,
            config: Some(config),
        })
    }
}

fn is_image_manifest_type(d: &Descriptor) -> bool {
    media_type::is_image_manifest(&d.media_type)
}

pub(super) fn header_str(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn strip_params(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or(content_type)
        .trim()
        .to_string()
}

/// The manifest's media type: the `Content-Type` when it is a manifest type, else the document's own
/// `mediaType`, else a guess from its shape (registries serving files sometimes say `application/json`).
fn media_type_of(content_type: Option<&str>, bytes: &[u8]) -> String {
    let header = content_type.map(strip_params).filter(|m| !m.is_empty());
    if let Some(m) = &header {
        if media_type::is_index(m) || media_type::is_image_manifest(m) {
            return m.clone();
        }
    }
    let doc: Option<MediaTypeDoc> = serde_json::from_slice(bytes).ok();
    match doc {
        Some(MediaTypeDoc {
            media_type: Some(m), ..
        }) if !m.is_empty() => m,
        Some(MediaTypeDoc {
            manifests: Some(_), ..
        }) => media_type::OCI_INDEX.to_string(),
        Some(_) => media_type::OCI_MANIFEST.to_string(),
        None => header.unwrap_or_else(|| "application/octet-stream".to_string()),
    }
}

/// Reads a body of at most `limit` bytes; a broken stream is a transport failure (worth retrying).
pub(super) async fn read_bounded(
    response: reqwest::Response,
    limit: usize,
    op: &Operation,
) -> Result<Vec<u8>, Failure> {
    let url = response.url().to_string();
    let host = response.url().host_str().unwrap_or_default().to_string();
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large(op, limit));
    }
    let mut out = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Failure::transport(&host, &url, &e))?;
        if out.len() + chunk.len() > limit {
            return Err(too_large(op, limit));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn too_large(op: &Operation, limit: usize) -> Failure {
    Failure::Final(RegistryError::Protocol {
        op: op.clone(),
        reason: format!("response larger than {limit} bytes"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_from_header_or_document() {
        assert_eq!(
            media_type_of(
                Some("application/vnd.oci.image.index.v1+json; charset=utf-8"),
                b"{}"
            ),
            media_type::OCI_INDEX
        );
        let docker = br#"{"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#;
        assert_eq!(
            media_type_of(Some("application/json"), docker),
            media_type::DOCKER_MANIFEST
        );
        assert_eq!(
            media_type_of(None, br#"{"schemaVersion":2,"manifests":[]}"#),
            media_type::OCI_INDEX
        );
        assert_eq!(
            media_type_of(None, br#"{"schemaVersion":2,"config":{}}"#),
            media_type::OCI_MANIFEST
        );
        assert_eq!(media_type_of(Some("text/plain"), b"not json"), "text/plain");
    }
}
