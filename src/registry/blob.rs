// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Blob operations: HEAD (exists?), streaming download with digest verification, cross-repository mount,
//! and streaming upload from a file (POST, then one PUT with a body of known length). Layers never sit in
//! memory whole; only image configs, which are small, are read into memory.

use std::path::Path;

use futures_util::StreamExt;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use url::Url;

use super::client::{RegistryClient, Target};
use super::error::{Failure, Operation, RegistryError};
use super::options::Direction;
use super::reference::Reference;
use super::response::status_failure;
use super::token::pull_scope;
use crate::image::Digest;
use crate::observe::measure::{self, Transfer};

/// What pushing a blob took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobPush {
    /// The registry already had it (HEAD said so); nothing was sent.
    Existed,
    /// Mounted from another repository of the same registry; nothing was sent.
    Mounted,
    /// Uploaded.
    Uploaded,
}

/// Where the bytes of a blob to push come from.
#[derive(Debug, Clone, Copy)]
pub enum BlobSource<'a> {
    /// A file on disk, streamed.
    File(&'a Path),
    /// Bytes in memory (image configs).
    Bytes(&'a [u8]),
}

fn blob_path(repository: &str, digest: &Digest) -> String {
    format!("/v2/{repository}/blobs/{digest}")
}

/// Streams an opened blob into `writer`, verifying its digest; a failure is `op`'s.
async fn stream_to<W>(
    response: reqwest::Response,
    writer: &mut W,
    digest: &Digest,
    op: Operation,
) -> Result<u64, RegistryError>
where
    W: AsyncWrite + Unpin,
{
    match stream_verified(response, writer, digest, &op).await {
        Ok(n) => Ok(n),
        Err(StreamError::Network(f)) => Err(f.into_error(&op, 0)),
        Err(StreamError::Write(e)) => Err(RegistryError::Io {
            op,
            path: "(blob writer)".into(),
            source: e,
        }),
    }
}

/// Why streaming a body stopped.
enum StreamError {
    Network(Failure),
    Write(std::io::Error),
}

impl RegistryClient {
    /// Checks, before any work, that we may push to `reference`'s repository: starts a blob upload
    /// with the push credentials and cancels it, as go-containerregistry's `CheckPushPermission`
    /// (and so kaniko) does. A refusal (401, 403, 404 for a repository we may not create) is not
    /// retried, so a destination that cannot be pushed to fails the build in seconds, named.
    pub async fn check_push_permission(&self, reference: &Reference) -> Result<(), RegistryError> {
        let op = Operation::new(
            "checking push access to",
            reference.registry(),
            reference.repository(),
        );
        let target = Target::push(reference);
        let location = self
            .with_retry(&op, Direction::Push, || async {
                let response = self
                    .send(&target, |ep| {
                        let url = Self::api_url(ep, &format!("/v2/{}/blobs/uploads/", target.repository))?;
                        Ok(ep.http.post(url).header(CONTENT_LENGTH, 0))
                    })
                    .await?;
                if response.status() != StatusCode::ACCEPTED {
                    return Err(status_failure(response).await);
                }
                upload_location(&response, &op)
            })
            .await?;
        // The session reserves space on some registries: cancel it. Whether the registry honours
        // the cancellation does not change the answer, so a failure here is only logged.
        let cancelled = self
            .send(&target, |ep| Ok(ep.http.delete(location.clone())))
            .await;
        if let Err(failure) = cancelled {
            let error = failure.into_error(&op, 0);
            tracing::debug!(operation = %op, %error, "cancelling the test upload failed");
        }
        tracing::debug!(operation = %op, "push access granted");
        Ok(())
    }

    /// Whether a push destination's repository has the blob; its size when it does. A check on the
    /// way to a push, so it goes with the push direction's transport, credentials and retries: pull
    /// options (`--insecure-pull`, `--skip-tls-verify-pull`) never relax it.
    pub async fn blob_exists(
        &self,
        reference: &Reference,
        digest: &Digest,
    ) -> Result<Option<u64>, RegistryError> {
        let op = Operation::new(
            format!("checking blob {digest} in"),
            reference.registry(),
            reference.repository(),
        );
        self.head_blob(&op, &Target::push(reference), digest).await
    }

    async fn head_blob(
        &self,
        op: &Operation,
        target: &Target,
        digest: &Digest,
    ) -> Result<Option<u64>, RegistryError> {
        self.with_retry(op, target.direction, || async {
            let response = self
                .send(target, |ep| {
                    Ok(ep
                        .http
                        .head(Self::api_url(ep, &blob_path(&target.repository, digest))?))
                })
                .await?;
            match response.status() {
                StatusCode::NOT_FOUND => Ok(None),
                s if s.is_success() => Ok(Some(header_content_length(&response).unwrap_or(0))),
                _ => Err(status_failure(response).await),
            }
        })
        .await
    }

    /// Streams a blob into `writer`, verifying its digest, and returns its size. Registry mirrors are
    /// tried first for Docker Hub images. Failures before the first byte are retried; once bytes have
    /// been written a broken stream is returned as an error (the writer holds a partial blob), and a
    /// digest mismatch means the written bytes must be discarded. Use [`Self::get_blob_to_file`] for
    /// downloads that retry from scratch.
    pub async fn get_blob<W>(
        &self,
        reference: &Reference,
        digest: &Digest,
        writer: &mut W,
    ) -> Result<u64, RegistryError>
    where
        W: AsyncWrite + Unpin,
    {
        let (response, op) = self
            .try_pull_sources(reference, |source| async move {
                let op = Operation::new(
                    format!("pulling blob {digest} from"),
                    source.registry(),
                    source.repository(),
                );
                let response = self.open_blob(&source, digest, &op).await?;
                Ok((response, op))
            })
            .await?;
        stream_to(response, writer, digest, op).await
    }

    /// Downloads a blob to `path` (written beside it first, renamed into place once its digest is
    /// verified), retrying from scratch on network failures. Returns its size.
    pub async fn get_blob_to_file(
        &self,
        reference: &Reference,
        digest: &Digest,
        path: &Path,
    ) -> Result<u64, RegistryError> {
        self.try_pull_sources(reference, |source| async move {
            let op = Operation::new(
                format!("pulling blob {digest} from"),
                source.registry(),
                source.repository(),
            );
            let io_err = |p: &Path, e: std::io::Error| RegistryError::Io {
                op: op.clone(),
                path: p.to_path_buf(),
                source: e,
            };
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let target = Target::pull(&source);
            let (tmp, size) = self
                .with_retry(&op, Direction::Pull, || async {
                    let tmp = tempfile::Builder::new()
                        .prefix(".blob-")
                        .tempfile_in(dir)
                        .map_err(|e| Failure::Final(io_err(dir, e)))?;
                    let response = self.open_blob_once(&target, digest).await?;
                    let std_file = tmp.reopen().map_err(|e| Failure::Final(io_err(tmp.path(), e)))?;
                    let mut file = tokio::fs::File::from_std(std_file);
                    let n = match stream_verified(response, &mut file, digest, &op).await {
                        Ok(n) => n,
                        Err(StreamError::Network(f)) => return Err(f),
                        Err(StreamError::Write(e)) => return Err(Failure::Final(io_err(tmp.path(), e))),
                    };
                    file.flush()
                        .await
                        .map_err(|e| Failure::Final(io_err(tmp.path(), e)))?;
                    Ok((tmp, n))
                })
                .await?;
            tmp.persist(path).map_err(|e| io_err(path, e.error))?;
            Ok(size)
        })
        .await
    }

    /// Reads a small blob (an image config) from a push destination's repository, refusing more than
    /// `limit` bytes: the push direction's transport and credentials, and no mirrors (a mirror never
    /// holds what was pushed).
    pub async fn get_destination_blob_bytes(
        &self,
        reference: &Reference,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        let op = Operation::new(
            format!("reading blob {digest} from"),
            reference.registry(),
            reference.repository(),
        );
        let target = Target::push(reference);
        let response = self
            .with_retry(&op, Direction::Push, || self.open_blob_once(&target, digest))
            .await?;
        let mut out = LimitedVec {
            buf: Vec::new(),
            limit,
        };
        stream_to(response, &mut out, digest, op).await?;
        Ok(out.buf)
    }

    /// Reads a small blob (an image config) into memory, refusing more than `limit` bytes.
    pub async fn get_blob_bytes(
        &self,
        reference: &Reference,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        let mut out = LimitedVec {
            buf: Vec::new(),
            limit,
        };
        self.get_blob(reference, digest, &mut out).await?;
        Ok(out.buf)
    }

    async fn open_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        op: &Operation,
    ) -> Result<reqwest::Response, RegistryError> {
        let target = Target::pull(reference);
        self.with_retry(op, Direction::Pull, || self.open_blob_once(&target, digest))
            .await
    }

    async fn open_blob_once(&self, target: &Target, digest: &Digest) -> Result<reqwest::Response, Failure> {
        // Registries commonly redirect blob GETs to storage on another host; reqwest follows the
        // redirect and drops the Authorization header when the host changes.
        let response = self
            .send(target, |ep| {
                Ok(ep
                    .http
                    .get(Self::api_url(ep, &blob_path(&target.repository, digest))?))
            })
            .await?;
        if !response.status().is_success() {
            return Err(status_failure(response).await);
        }
        Ok(response)
    }

    /// Asks the registry to mount `digest` from `from` (another repository of the same registry)
    /// into `reference`'s repository, without sending any bytes. `false` when it declined (an upload
    /// session it opened instead is cancelled): the caller uploads the blob.
    pub async fn mount_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        from: &Reference,
    ) -> Result<bool, RegistryError> {
        if from.registry() != reference.registry() || from.repository() == reference.repository() {
            return Ok(false);
        }
        let op = Operation::new(
            format!("mounting blob {digest} from {} into", from.repository()),
            reference.registry(),
            reference.repository(),
        );
        let mut target = Target::push(reference);
        target.scopes.push(pull_scope(from.repository()));
        let location = self
            .with_retry(&op, Direction::Push, || async {
                let response = self
                    .send(&target, |ep| {
                        let mut url =
                            Self::api_url(ep, &format!("/v2/{}/blobs/uploads/", target.repository))?;
                        url.query_pairs_mut()
                            .append_pair("mount", &digest.to_string())
                            .append_pair("from", from.repository());
                        Ok(ep.http.post(url).header(CONTENT_LENGTH, 0))
                    })
                    .await?;
                match response.status() {
                    StatusCode::CREATED => Ok(None),
                    StatusCode::ACCEPTED => Ok(Some(upload_location(&response, &op)?)),
                    _ => Err(status_failure(response).await),
                }
            })
            .await?;
        let Some(session) = location else {
            tracing::debug!(operation = %op, "blob mounted");
            measure::blob_not_uploaded(true);
            return Ok(true);
        };
        // Best effort: an abandoned session only costs the registry a little until it expires.
        let _ = self.send(&target, |ep| Ok(ep.http.delete(session.clone()))).await;
        tracing::debug!(operation = %op, "mount declined");
        Ok(false)
    }

    /// Pushes a blob unless the repository already has it. With `mount_from` (another repository of
    /// the same registry that has the blob) a cross-repository mount is asked for first; a registry that
    /// answers the mount with 202 gets the blob uploaded in the session it opened.
    pub async fn push_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        source: BlobSource<'_>,
        mount_from: Option<&Reference>,
    ) -> Result<BlobPush, RegistryError> {
        let op = Operation::new(
            format!("pushing blob {digest} to"),
            reference.registry(),
            reference.repository(),
        );
        let size = match source {
            BlobSource::File(p) => fs_err::metadata(p)
                .map_err(|e| RegistryError::Io {
                    op: op.clone(),
                    path: p.to_path_buf(),
                    source: e,
                })?
                .len(),
            BlobSource::Bytes(b) => b.len() as u64,
        };
        let mount_from = mount_from
            .filter(|m| m.registry() == reference.registry() && m.repository() != reference.repository());
        let mut target = Target::push(reference);
        if let Some(m) = mount_from {
            target.scopes.push(pull_scope(m.repository()));
        }
        match self.head_blob(&op, &target, digest).await {
            Ok(Some(_)) => {
                tracing::debug!(operation = %op, "blob already in the repository");
                measure::blob_not_uploaded(false);
                return Ok(BlobPush::Existed);
            }
            Ok(None) => {}
            // A HEAD refusal has no body to explain it, and some registries refuse HEAD where they
            // allow uploads: go on, and let the upload succeed or fail with the registry's reasons.
            Err(e) if matches!(e.status().map(|s| s.as_u16()), Some(401 | 403)) => {
                tracing::debug!(operation = %op, error = %e, "blob existence check refused; uploading");
            }
            Err(e) => return Err(e),
        }
        self.with_retry(&op, Direction::Push, || async {
            let response = self
                .send(&target, |ep| {
                    let mut url = Self::api_url(ep, &format!("/v2/{}/blobs/uploads/", target.repository))?;
                    if let Some(m) = mount_from {
                        url.query_pairs_mut()
                            .append_pair("mount", &digest.to_string())
                            .append_pair("from", m.repository());
                    }
                    Ok(ep.http.post(url).header(CONTENT_LENGTH, 0))
                })
                .await?;
            match response.status() {
                StatusCode::CREATED if mount_from.is_some() => {
                    tracing::debug!(operation = %op, "blob mounted from another repository");
                    measure::blob_not_uploaded(true);
                    return Ok(BlobPush::Mounted);
                }
                StatusCode::ACCEPTED => {}
                _ => return Err(status_failure(response).await),
            }
            if let Some(m) = mount_from {
                tracing::debug!(operation = %op, from = %m.repository_url(), "mount refused; uploading");
            }
            let location = upload_location(&response, &op)?;
            let response = self
                .send(&target, |ep| {
                    let body = match source {
                        BlobSource::File(p) => {
                            let file = fs_err::File::open(p).map_err(|e| {
                                Failure::Final(RegistryError::Io {
                                    op: op.clone(),
                                    path: p.to_path_buf(),
                                    source: e,
                                })
                            })?;
                            let mut progress =
                                Transfer::start("push", &digest.to_string(), Some(size), "bytes");
                            let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(
                                file.into_parts().0,
                            ))
                            .map(move |chunk| {
                                if let Ok(c) = &chunk {
                                    progress.advance(c.len() as u64);
                                }
                                chunk
                            });
                            reqwest::Body::wrap_stream(stream)
                        }
                        BlobSource::Bytes(b) => reqwest::Body::from(b.to_vec()),
                    };
                    let mut url = location.clone();
                    url.query_pairs_mut().append_pair("digest", &digest.to_string());
                    Ok(ep
                        .http
                        .put(url)
                        .header(CONTENT_TYPE, "application/octet-stream")
                        .header(CONTENT_LENGTH, size)
                        .body(body))
                })
                .await?;
            if response.status() != StatusCode::CREATED && !response.status().is_success() {
                return Err(status_failure(response).await);
            }
            if let Some(h) = response
                .headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
            {
                if h.parse::<Digest>().ok().as_ref() != Some(digest) {
                    return Err(Failure::Final(RegistryError::Protocol {
                        op: op.clone(),
                        reason: format!("registry stored the blob as {h}"),
                    }));
                }
            }
            tracing::debug!(operation = %op, size, "blob pushed");
            measure::blob_pushed(size);
            Ok(BlobPush::Uploaded)
        })
        .await
    }
}

/// The `Content-Length` header itself: for HEAD answers reqwest's `content_length()` reports the
/// (empty) body, not the size of the resource.
pub(crate) fn header_content_length(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The upload session URL from a 202's `Location`, resolved against the request URL.
fn upload_location(response: &reqwest::Response, op: &Operation) -> Result<Url, Failure> {
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Failure::Final(RegistryError::Protocol {
                op: op.clone(),
                reason: "upload answer (202) has no Location".into(),
            })
        })?;
    response.url().join(location).map_err(|e| {
        Failure::Final(RegistryError::Protocol {
            op: op.clone(),
            reason: format!("invalid upload Location {location:?}: {e}"),
        })
    })
}

/// Copies a response body into `writer`, hashing as it goes; the digest must match.
async fn stream_verified<W>(
    response: reqwest::Response,
    writer: &mut W,
    digest: &Digest,
    op: &Operation,
) -> Result<u64, StreamError>
where
    W: AsyncWrite + Unpin,
{
    let url = response.url().to_string();
    let host = response.url().host_str().unwrap_or_default().to_string();
    let mut hasher = Sha256::new();
    let mut written = 0u64;
    let mut progress = Transfer::start("pull", &digest.to_string(), response.content_length(), "bytes");
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| StreamError::Network(Failure::transport(&host, &url, &e)))?;
        hasher.update(&chunk);
        writer.write_all(&chunk).await.map_err(StreamError::Write)?;
        written += chunk.len() as u64;
        progress.advance(chunk.len() as u64);
    }
    writer.flush().await.map_err(StreamError::Write)?;
    drop(progress);
    let actual = Digest::from_sha256(hasher.finalize().into());
    if actual != *digest {
        return Err(StreamError::Network(Failure::Final(
            RegistryError::DigestMismatch {
                op: op.clone(),
                expected: digest.clone(),
                actual,
            },
        )));
    }
    tracing::debug!(operation = %op, size = written, "blob pulled");
    measure::blob_pulled(written);
    Ok(written)
}

/// An in-memory writer that refuses to grow past a limit.
struct LimitedVec {
    buf: Vec<u8>,
    limit: u64,
}

impl AsyncWrite for LimitedVec {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.buf.len() as u64 + data.len() as u64 > self.limit {
            let limit = self.limit;
            return std::task::Poll::Ready(Err(std::io::Error::other(format!(
                "blob larger than {limit} bytes"
            ))));
        }
        self.buf.extend_from_slice(data);
        std::task::Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
