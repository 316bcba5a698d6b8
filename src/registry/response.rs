// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Reading what a registry says when it refuses: the distribution spec's JSON error body
//! (`{"errors":[{"code":…,"message":…}]}`) and `Retry-After`.

use std::time::SystemTime;

use futures_util::StreamExt;
use serde::Deserialize;

use super::error::Failure;
use super::retry::parse_retry_after;

/// Error bodies larger than this are not worth reading; the status line says enough.
const MAX_ERROR_BODY: usize = 64 * 1024;

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// `CODE: message; CODE2: message2` from a distribution error body, or `None` for anything else.
pub fn error_codes(body: &[u8]) -> Option<String> {
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    let parts: Vec<String> = parsed
        .errors
        .iter()
        .filter(|e| !e.code.is_empty() || !e.message.is_empty())
        .map(|e| match (e.code.is_empty(), e.message.is_empty()) {
            (false, false) => format!("{}: {}", e.code, e.message),
            (false, true) => e.code.clone(),
            _ => e.message.clone(),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of a body, ignoring read errors (the status is what matters).
pub async fn read_limited(response: reqwest::Response) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = MAX_ERROR_BODY.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    out
}

/// The `Retry-After` wait a response asks for.
pub fn retry_after(response: &reqwest::Response) -> Option<std::time::Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// Consumes an unexpected response into a status failure carrying the registry's error codes.
pub async fn status_failure(response: reqwest::Response) -> Failure {
    let status = response.status();
    let url = response.url().to_string();
    let retry_after = retry_after(&response);
    let codes = error_codes(&read_limited(response).await);
    Failure::Status {
        status,
        codes,
        retry_after,
        url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_distribution_errors() {
        let body = br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository"}]}]}"#;
        assert_eq!(
            error_codes(body).as_deref(),
            Some("UNAUTHORIZED: authentication required")
        );
        let two =
            br#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"},{"code":"DENIED"}]}"#;
        assert_eq!(
            error_codes(two).as_deref(),
            Some("BLOB_UNKNOWN: blob unknown to registry; DENIED")
        );
        assert_eq!(error_codes(b"<html>bad gateway</html>"), None);
        assert_eq!(error_codes(br#"{"errors":[]}"#), None);
    }
}
