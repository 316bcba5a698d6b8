// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The bearer-token flow of the distribution spec: ask the challenge's realm for a token covering the
//! scopes an operation needs (`repository:<name>:pull`, `…:pull,push`, plus `repository:<source>:pull` for
//! a cross-repository mount), with Basic credentials (GET) or an identity token (OAuth2 refresh-token
//! POST), and cache tokens per (registry, scopes) until shortly before they expire.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::credential::Credential;
use super::error::Failure;
use super::response::{error_codes, read_limited, retry_after};

/// The lifetime the spec says to assume when the token server does not state one.
const DEFAULT_EXPIRES_IN: u64 = 60;
/// Tokens are renewed this long before they expire, so a request never races the expiry.
const EXPIRY_MARGIN: Duration = Duration::from_secs(10);

/// Scopes in the token-server syntax.
pub fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

pub fn push_scope(repository: &str) -> String {
    format!("repository:{repository}:pull,push")
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Clone)]
struct CachedToken {
    token: String,
    renew_at: Instant,
}

/// Tokens per (registry, scopes).
#[derive(Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<(String, String), CachedToken>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCache { <redacted> }")
    }
}

/// The cache key for a set of scopes: order does not matter.
fn scope_key(scopes: &[String]) -> String {
    let mut s: Vec<&str> = scopes.iter().map(String::as_str).collect();
    s.sort_unstable();
    s.dedup();
    s.join(" ")
}

impl TokenCache {
    pub fn get(&self, registry: &str, scopes: &[String]) -> Option<String> {
        let map = self.tokens.lock().ok()?;
        let t = map.get(&(registry.to_string(), scope_key(scopes)))?;
        (Instant::now() < t.renew_at).then(|| t.token.clone())
    }

    pub fn insert(&self, registry: &str, scopes: &[String], token: String, expires_in: Duration) {
        let margin = if expires_in > EXPIRY_MARGIN * 2 {
            EXPIRY_MARGIN
        } else {
            expires_in / 2
        };
        let renew_at = Instant::now() + expires_in - margin;
        if let Ok(mut map) = self.tokens.lock() {
            map.insert(
                (registry.to_string(), scope_key(scopes)),
                CachedToken { token, renew_at },
            );
        }
    }
}

/// Fetches a token from `realm`. Returns the token and its lifetime.
pub async fn fetch_token(
    http: &reqwest::Client,
    realm: &str,
    service: Option<&str>,
    scopes: &[String],
    credential: &Credential,
) -> Result<(String, Duration), Failure> {
    let transport = |e: &reqwest::Error| {
        let host = url::Url::parse(realm)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        Failure::transport(&host, realm, e)
    };
    let request = match credential {
        Credential::IdentityToken { token, .. } => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "refresh_token");
            form.append_pair("refresh_token", token);
            form.append_pair("client_id", "kaniko");
            if let Some(s) = service {
                form.append_pair("service", s);
            }
            if !scopes.is_empty() {
                form.append_pair("scope", &scopes.join(" "));
            }
            http.post(realm)
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form.finish())
        }
        _ => {
            let mut url = url::Url::parse(realm).map_err(|e| Failure::Token {
                realm: realm.to_string(),
                status: reqwest::StatusCode::BAD_REQUEST,
                codes: Some(format!("the registry's token realm is not a URL: {e}")),
                retry_after: None,
            })?;
            {
                let mut query = url.query_pairs_mut();
                if let Some(s) = service {
                    query.append_pair("service", s);
                }
                for s in scopes {
                    query.append_pair("scope", s);
                }
            }
            let mut req = http.get(url);
            if let Credential::Basic { username, password } = credential {
                req = req.basic_auth(username, Some(password));
            }
            req
        }
    };
    let response = request.send().await.map_err(|e| transport(&e))?;
    let status = response.status();
    if !status.is_success() {
        let wait = retry_after(&response);
        let codes = error_codes(&read_limited(response).await);
        return Err(Failure::Token {
            realm: realm.to_string(),
            status,
            codes,
            retry_after: wait,
        });
    }
    let body = response.bytes().await.map_err(|e| transport(&e))?;
    let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| Failure::Token {
        realm: realm.to_string(),
        status,
        codes: Some(format!("token response is not the expected JSON: {e}")),
        retry_after: None,
    })?;
    let token = if parsed.token.is_empty() {
        parsed.access_token
    } else {
        parsed.token
    };
    if token.is_empty() {
        return Err(Failure::Token {
            realm: realm.to_string(),
            status,
            codes: Some("token response holds no token".into()),
            retry_after: None,
        });
    }
    let expires_in = Duration::from_secs(parsed.expires_in.filter(|s| *s > 0).unwrap_or(DEFAULT_EXPIRES_IN));
    // Never the token itself: its lifetime and what it is for are what a debugging session needs.
    tracing::debug!(%realm, service, scopes = %scopes.join(" "), credential = credential.kind(), expires_in = ?expires_in, "registry token obtained");
    Ok((token, expires_in))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_is_per_registry_and_scope_set() {
        let c = TokenCache::default();
        let a = vec![pull_scope("a"), pull_scope("b")];
        let b = vec![pull_scope("b"), pull_scope("a")];
        c.insert("r", &a, "t1".into(), Duration::from_secs(300));
        assert_eq!(
            c.get("r", &b).as_deref(),
            Some("t1"),
            "scope order does not matter"
        );
        assert_eq!(c.get("other", &a), None);
        assert_eq!(c.get("r", &[push_scope("a")]), None);
    }

    #[test]
    fn short_lived_tokens_expire_early() {
        let c = TokenCache::default();
        c.insert("r", &[pull_scope("a")], "t".into(), Duration::ZERO);
        assert_eq!(c.get("r", &[pull_scope("a")]), None);
    }

    #[test]
    fn scopes_are_spelled_as_the_spec_says() {
        assert_eq!(pull_scope("library/busybox"), "repository:library/busybox:pull");
        assert_eq!(push_scope("app"), "repository:app:pull,push");
    }
}
