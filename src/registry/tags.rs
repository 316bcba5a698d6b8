// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Tag listing and manifest deletion: what pruning a cache repository needs beyond pulls and
//! pushes. Listing follows the distribution spec's `Link: <…>; rel="next"` pages; deleting goes by
//! digest (the spec's only portable way) with push credentials, and the registry's own refusal
//! (deletes are off by default in docker-registry) is returned as it came, for the caller to explain.

use serde::Deserialize;

use super::client::{RegistryClient, Target};
use super::error::{Operation, RegistryError};
use super::manifest::{header_str, read_bounded};
use super::options::Direction;
use super::reference::Reference;
use super::response::status_failure;
use crate::image::Digest;

/// Tags asked for per page; registries may send fewer and say where the next page is.
pub const TAG_PAGE_SIZE: u32 = 1000;
/// A page of a thousand tags is some 100 KiB; this bounds what a hostile registry can send.
const MAX_TAG_PAGE_BYTES: usize = 16 * 1024 * 1024;
/// A registry whose `Link` headers never end would otherwise keep us listing forever.
const MAX_TAG_PAGES: usize = 100_000;

#[derive(Deserialize)]
struct TagPage {
    /// distribution sends `null` for a repository whose tags were all deleted.
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl RegistryClient {
    /// Every tag of the reference's repository, in the registry's order, asking for `page_size`
    /// tags a page. A repository the registry does not know has no tags.
    pub async fn list_tags(
        &self,
        repository: &Reference,
        page_size: u32,
    ) -> Result<Vec<String>, RegistryError> {
        let target = Target::pull(repository);
        let mut next = Some(format!("/v2/{}/tags/list?n={page_size}", repository.repository()));
        let mut tags = Vec::new();
        let mut pages = 0;
        while let Some(page) = next.take() {
            pages += 1;
            let op = Operation::new(
                format!("listing tags (page {pages}) of"),
                repository.registry(),
                repository.repository(),
            );
            if pages > MAX_TAG_PAGES {
                return Err(RegistryError::Protocol {
                    op,
                    reason: format!(
                        "more than {MAX_TAG_PAGES} pages of tags; the registry's Link headers do not end"
                    ),
                });
            }
            let answer = self
                .with_retry(&op, Direction::Pull, || async {
                    let response = self
                        .send(&target, |ep| {
                            let url = Self::api_url(ep, &page)?;
                            Ok(ep
                                .http
                                .get(url)
                                .header(reqwest::header::ACCEPT, "application/json"))
                        })
                        .await?;
                    if response.status() == reqwest::StatusCode::NOT_FOUND {
                        return Ok(None);
                    }
                    if !response.status().is_success() {
                        return Err(status_failure(response).await);
                    }
                    let link = header_str(&response, reqwest::header::LINK.as_str());
                    let bytes = read_bounded(response, MAX_TAG_PAGE_BYTES, &op).await?;
                    Ok(Some((bytes, link)))
                })
                .await?;
            let Some((bytes, link)) = answer else {
                // 404 on the first page: no such repository; on a later one, the list ended.
                break;
            };
            let parsed: TagPage =
                serde_json::from_slice(&bytes).map_err(|source| RegistryError::InvalidJson {
                    op: op.clone(),
                    what: "tag list",
                    source,
                })?;
            tags.extend(parsed.tags.unwrap_or_default());
            next = link.as_deref().and_then(next_link).filter(|n| *n != page);
        }
        tracing::debug!(repository = %repository.repository_url(), tags = tags.len(), pages, "tags listed");
        Ok(tags)
    }

    /// Deletes the manifest `digest` from the reference's repository (the registry drops every tag
    /// pointing at it). `false` when it was already gone.
    pub async fn delete_manifest(
        &self,
        repository: &Reference,
        digest: &Digest,
    ) -> Result<bool, RegistryError> {
        let op = Operation::new(
            format!("deleting manifest {digest} from"),
            repository.registry(),
            repository.repository(),
        );
        let path = format!("/v2/{}/manifests/{digest}", repository.repository());
        let target = Target::push(repository);
        let deleted = self
            .with_retry(&op, Direction::Push, || async {
                let response = self
                    .send(&target, |ep| Ok(ep.http.delete(Self::api_url(ep, &path)?)))
                    .await?;
                if response.status() == reqwest::StatusCode::NOT_FOUND {
                    return Ok(false);
                }
                if !response.status().is_success() {
                    return Err(status_failure(response).await);
                }
                Ok(true)
            })
            .await?;
        tracing::debug!(operation = %op, deleted, "manifest delete answered");
        Ok(deleted)
    }
}

impl RegistryError {
    /// Whether the registry refused an operation because it does not allow it at all (405, or
    /// the spec's `UNSUPPORTED` code): docker-registry answers a delete so when deletes are off.
    pub fn is_unsupported(&self) -> bool {
        match self {
            Self::Status { status, codes, .. } => {
                *status == reqwest::StatusCode::METHOD_NOT_ALLOWED
                    || codes.as_deref().is_some_and(|c| c.contains("UNSUPPORTED"))
            }
            _ => false,
        }
    }
}

/// The target of the `rel="next"` link in a `Link` header value, if any.
fn next_link(value: &str) -> Option<String> {
    value.split(',').find_map(|link| {
        let (target, params) = link.trim().strip_prefix('<')?.split_once('>')?;
        params
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .any(|(name, value)| {
                name.trim().eq_ignore_ascii_case("rel")
                    && value
                        .trim()
                        .trim_matches('"')
                        .split_ascii_whitespace()
                        .any(|rel| rel.eq_ignore_ascii_case("next"))
            })
            .then(|| target.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_finds_rel_next_among_links() {
        assert_eq!(
            next_link(r#"</v2/app/tags/list?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/app/tags/list?last=b&n=2")
        );
        assert_eq!(
            next_link(r#"<https://r.example/first>; rel="prev", <https://r.example/v2/a/tags/list?last=x>; rel=next"#)
                .as_deref(),
            Some("https://r.example/v2/a/tags/list?last=x")
        );
        assert_eq!(next_link(r#"</v2/app/tags/list?last=b>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
    }

    #[test]
    fn unsupported_is_405_or_the_unsupported_code() {
        let status = |status, codes: Option<&str>| RegistryError::Status {
            op: Operation::new("deleting manifest sha256:0 from", "r.example", "app"),
            status,
            codes: codes.map(str::to_string),
            url: "http://r.example/v2/app/manifests/sha256:0".into(),
            retries: 0,
        };
        assert!(status(reqwest::StatusCode::METHOD_NOT_ALLOWED, None).is_unsupported());
        assert!(status(
            reqwest::StatusCode::BAD_REQUEST,
            Some("UNSUPPORTED: The operation is unsupported.")
        )
        .is_unsupported());
        assert!(!status(
            reqwest::StatusCode::FORBIDDEN,
            Some("DENIED: requested access to the resource is denied")
        )
        .is_unsupported());
        assert!(!status(reqwest::StatusCode::NOT_FOUND, None).is_unsupported());
    }
}
