// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! ADD of an http(s) URL: the file is downloaded (streamed to disk), checked against `--checksum`
//! when given, named after the URL's last path segment, and copied with mode 0600 as docker does,
//! its mtime taken from `Last-Modified`.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt;

use super::copy_plan::{Content, SourceEntry, SourceKind, SourceMatch};
use crate::observe::error_chain::error_chain;

/// Why a URL could not be downloaded.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("invalid --checksum {0:?}: expected sha256:<64 hex digits>")]
    InvalidChecksum(String),
    #[error("preparing to download {url}: {source}")]
    Tls {
        url: String,
        source: crate::registry::RegistryError,
    },
    /// reqwest's own message ("error sending request") says nothing without its causes, and this
    /// error is shown before the instruction's text, so the causes are written out here.
    #[error("preparing to download {url}: {}", error_chain(.source))]
    Client { url: String, source: reqwest::Error },
    #[error("downloading {url}: {}", error_chain(.source))]
    Request { url: String, source: reqwest::Error },
    #[error("downloading {url}: HTTP {status}")]
    Status {
        url: String,
        status: reqwest::StatusCode,
    },
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("checksum mismatch for {url}: expected sha256:{expected}, got sha256:{actual}")]
    Checksum {
        url: String,
        expected: String,
        actual: String,
    },
}

/// Downloads `url` into `scratch` and describes it as a COPY source.
pub async fn download(
    url: &str,
    checksum: Option<&str>,
    scratch: &Path,
) -> Result<SourceMatch, DownloadError> {
    let expected = match checksum {
        Some(c) => Some(
            c.strip_prefix("sha256:")
                .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(str::to_ascii_lowercase)
                .ok_or_else(|| DownloadError::InvalidChecksum(c.to_string()))?,
        ),
        None => None,
    };
    let tls = crate::registry::tls::client_config(&crate::registry::tls::native_roots(), &[], false, None)
        .map_err(|source| DownloadError::Tls {
            url: url.to_string(),
            source,
        })?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .build()
        .map_err(|source| DownloadError::Client {
            url: url.to_string(),
            source,
        })?;
    // The error names the URL already; reqwest would repeat it.
    let request_err = |e: reqwest::Error| DownloadError::Request {
        url: url.to_string(),
        source: e.without_url(),
    };
    let response = client.get(url).send().await.map_err(request_err)?;
    if !response.status().is_success() {
        return Err(DownloadError::Status {
            url: url.to_string(),
            status: response.status(),
        });
    }
    let mtime = response
        .headers()
        .get(reqwest::header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = url
        .split(['?', '#'])
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| !n.is_empty() && !n.contains(':'))
        .unwrap_or("download")
        .to_string();
    let path = scratch.join(format!(
        "url-{}",
        scratch.read_dir().map(|d| d.count()).unwrap_or(0)
    ));
    let write_err = |source| DownloadError::Write {
        path: path.clone(),
        source,
    };
    let mut file = tokio::fs::File::create(&path).await.map_err(write_err)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(request_err)?;
        hasher.update(&chunk);
        size += chunk.len() as u64;
        file.write_all(&chunk).await.map_err(write_err)?;
    }
    file.flush().await.map_err(write_err)?;
    let actual = hex::encode(hasher.finalize());
    if let Some(want) = expected {
        if want != actual {
            return Err(DownloadError::Checksum {
                url: url.to_string(),
                expected: want,
                actual,
            });
        }
    }
    Ok(SourceMatch {
        name,
        entries: vec![SourceEntry {
            rel: String::new(),
            kind: SourceKind::File { size },
            mode: 0o600,
            uid: 0,
            gid: 0,
            mtime,
            content: Content::Disk(path),
            xattrs: Default::default(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: the message was reqwest's top line alone ("error sending request for url
    /// (…)"), without why the request failed.
    #[tokio::test]
    async fn a_refused_download_says_why_and_names_the_url_once() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/file.txt");
        let scratch = tempfile::tempdir().unwrap();
        let err = download(&url, None, scratch.path()).await.unwrap_err();
        assert!(matches!(err, DownloadError::Request { .. }), "{err:?}");
        let line = error_chain(&err);
        assert!(
            line.starts_with(&format!("downloading {url}: error sending request")),
            "{line}"
        );
        assert!(line.to_lowercase().contains("connection refused"), "{line}");
        assert_eq!(line.matches(&url).count(), 1, "{line}");
    }

    #[tokio::test]
    async fn a_malformed_checksum_is_refused_before_downloading() {
        let scratch = tempfile::tempdir().unwrap();
        let err = download("http://127.0.0.1:9/x", Some("md5:abc"), scratch.path())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid --checksum \"md5:abc\": expected sha256:<64 hex digits>"
        );
    }
}
