// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The registry client: a cheap-to-clone handle holding the transport (HTTP clients, endpoints), the
//! keychain and the token cache, plus the two mechanisms every operation goes through: sending one
//! authenticated request ([`RegistryClient::send`]) and retrying a whole attempt
//! ([`RegistryClient::with_retry`]). The operations themselves live in `manifest.rs` and `blob.rs`.

use std::future::Future;
use std::sync::Arc;

use base64::Engine as _;
use reqwest::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use url::Url;

use super::challenge::Challenge;
use super::credential::Credential;
use super::error::{Failure, Operation, RegistryError};
use super::keychain::Keychain;
use super::options::{Direction, RegistryOptions};
use super::reference::Reference;
use super::retry::Decision;
use super::token::{fetch_token, pull_scope, push_scope, TokenCache};
use super::transport::{Endpoint, Transport};

/// A registry client. Clones share connections, endpoint knowledge, credentials and tokens.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transport: Transport,
    keychain: Keychain,
    tokens: TokenCache,
}

/// Where a request goes and which token scopes it needs.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub registry: String,
    pub repository: String,
    pub scopes: Vec<String>,
    pub direction: Direction,
}

impl Target {
    pub fn pull(reference: &Reference) -> Self {
        Self {
            registry: reference.registry().to_string(),
            repository: reference.repository().to_string(),
            scopes: vec![pull_scope(reference.repository())],
            direction: Direction::Pull,
        }
    }

    pub fn push(reference: &Reference) -> Self {
        Self {
            registry: reference.registry().to_string(),
            repository: reference.repository().to_string(),
            scopes: vec![push_scope(reference.repository())],
            direction: Direction::Push,
        }
    }
}

impl RegistryClient {
    /// Validates `options`, loads certificates and builds the HTTP clients. Fails on any bad option
    /// instead of falling back to defaults.
    pub fn new(options: &RegistryOptions, keychain: Keychain) -> Result<Self, RegistryError> {
        let validated = options.validate()?;
        let transport = Transport::new(validated)?;
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                keychain,
                tokens: TokenCache::default(),
            }),
        })
    }

    /// A URL under the endpoint's base (`/v2/...`).
    pub(crate) fn api_url(endpoint: &Endpoint, path: &str) -> Result<Url, Failure> {
        endpoint.base.join(path).map_err(|e| {
            Failure::Final(RegistryError::InvalidOptions(format!(
                "cannot build URL {}{path}: {e}",
                endpoint.base
            )))
        })
    }

    /// Sends one request built by `build`, authenticated as the endpoint's challenge asks. When the
    /// registry answers 401 with a challenge we have not satisfied (new scope, expired token, a registry
    /// that did not ask at `/v2/`), it authenticates afresh and sends once more. Any other response,
    /// including a final 401, is returned for the caller to judge.
    pub(crate) async fn send<B>(&self, target: &Target, build: B) -> Result<reqwest::Response, Failure>
    where
        B: Fn(&Endpoint) -> Result<reqwest::RequestBuilder, Failure>,
    {
        let endpoint = self
            .inner
            .transport
            .endpoint(&target.registry, target.direction)
            .await?;
        let auth = self
            .authorization(
                &endpoint,
                endpoint.challenge.as_ref(),
                target,
                &target.scopes,
                false,
            )
            .await?;
        let response = self.execute(&endpoint, build(&endpoint)?, auth.clone()).await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let values = response.headers().get_all(WWW_AUTHENTICATE);
        let Some(challenge) = Challenge::select(values.iter().filter_map(|v| v.to_str().ok())) else {
            return Ok(response);
        };
        let mut scopes = target.scopes.clone();
        if let Challenge::Bearer {
            scope: Some(extra), ..
        } = &challenge
        {
            for s in extra.split(' ').filter(|s| !s.is_empty()) {
                if !scopes.iter().any(|x| x == s) {
                    scopes.push(s.to_string());
                }
            }
        }
        let fresh = self
            .authorization(&endpoint, Some(&challenge), target, &scopes, true)
            .await?;
        if fresh.is_none() || fresh == auth {
            // Nothing different to offer: the 401 stands.
            return Ok(response);
        }
        self.inner
            .transport
            .update_challenge(&target.registry, target.direction, challenge);
        self.execute(&endpoint, build(&endpoint)?, fresh).await
    }

    async fn execute(
        &self,
        endpoint: &Endpoint,
        builder: reqwest::RequestBuilder,
        auth: Option<HeaderValue>,
    ) -> Result<reqwest::Response, Failure> {
        let mut request = builder
            .build()
            .map_err(|e| Failure::transport(&endpoint.host, endpoint.base.as_str(), &e))?;
        // Credentials go only to the registry itself, never to an upload URL on another host.
        if let Some(auth) = auth {
            if request.url().host_str() == endpoint.base.host_str()
                && request.url().port() == endpoint.base.port()
            {
                request.headers_mut().insert(AUTHORIZATION, auth);
            }
        }
        let url = request.url().to_string();
        tracing::trace!(method = %request.method(), %url, "registry request");
        endpoint
            .http
            .execute(request)
            .await
            .map_err(|e| Failure::transport(&endpoint.host, &url, &e))
    }

    /// The `Authorization` header value for a challenge, or `None` to go anonymous.
    async fn authorization(
        &self,
        endpoint: &Endpoint,
        challenge: Option<&Challenge>,
        target: &Target,
        scopes: &[String],
        fresh: bool,
    ) -> Result<Option<HeaderValue>, Failure> {
        let Some(challenge) = challenge else {
            return Ok(None);
        };
        let credential = self
            .inner
            .keychain
            .resolve(&target.registry)
            .await
            .map_err(Failure::Final)?;
        let header = match (challenge, &credential) {
            (_, Credential::RegistryToken(token)) => format!("Bearer {token}"),
            (Challenge::Basic, Credential::Basic { username, password }) => {
                let raw = format!("{username}:{password}");
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
            }
            (Challenge::Basic, _) => return Ok(None),
            (Challenge::Bearer { realm, service, .. }, _) => {
                let token = match (fresh, self.inner.tokens.get(&target.registry, scopes)) {
                    (false, Some(t)) => t,
                    _ => {
                        let (token, ttl) =
                            fetch_token(&endpoint.http, realm, service.as_deref(), scopes, &credential)
                                .await?;
                        self.inner
                            .tokens
                            .insert(&target.registry, scopes, token.clone(), ttl);
                        token
                    }
                };
                format!("Bearer {token}")
            }
        };
        let mut value = HeaderValue::from_str(&header).map_err(|_| {
            Failure::Final(RegistryError::CredentialNotAHeader {
                registry: target.registry.clone(),
            })
        })?;
        value.set_sensitive(true);
        Ok(Some(value))
    }

    /// Runs `attempt` until it succeeds or the direction's retry policy gives up; the error then names
    /// `op` and the retries spent.
    pub(crate) async fn with_retry<T, F, Fut>(
        &self,
        op: &Operation,
        direction: Direction,
        mut attempt: F,
    ) -> Result<T, RegistryError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let policy = self.inner.transport.options().retry_policy(direction);
        let mut retries = 0;
        loop {
            let failure = match attempt().await {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            match policy.decide(failure.kind(), retries) {
                Decision::RetryAfter(wait) => {
                    retries += 1;
                    crate::observe::measure::retry(&failure.kind().reason());
                    let error = failure.into_error(op, 0);
                    tracing::warn!(operation = %op, retry = retries, of = policy.max_retries, wait = ?wait, %error, "retrying registry request");
                    tokio::time::sleep(wait).await;
                }
                Decision::GiveUp => return Err(failure.into_error(op, retries)),
            }
        }
    }

    /// The references to try for a pull: the remaps of its registry first (`--registry-map`, and
    /// `--registry-mirror` for Docker Hub), in order, then the reference itself unless
    /// `--skip-default-registry-fallback` forbids it for a registry that has remaps.
    pub(crate) fn pull_sources(&self, reference: &Reference) -> Vec<Reference> {
        let options = self.inner.transport.options();
        let remaps = options.remaps_of(reference.registry());
        let skip_original = !remaps.is_empty() && options.skip_default_registry_fallback();
        let mut out: Vec<Reference> = (remaps.into_iter())
            .map(|m| {
                let repository = match &m.prefix {
                    Some(p) => format!("{p}/{}", reference.repository()),
                    None => reference.repository().to_string(),
                };
                reference.rehomed(&m.host, repository)
            })
            .collect();
        if !skip_original {
            out.push(reference.clone());
        }
        out
    }

    /// Tries `f` on each pull source in turn. When the original registry is among them its error is
    /// returned when all fail; without it (`--skip-default-registry-fallback`) the error names every
    /// source tried and why each failed.
    pub(crate) async fn try_pull_sources<T, F, Fut>(
        &self,
        reference: &Reference,
        mut f: F,
    ) -> Result<T, RegistryError>
    where
        F: FnMut(Reference) -> Fut,
        Fut: Future<Output = Result<T, RegistryError>>,
    {
        let mut sources = self.pull_sources(reference);
        let original = match sources.last() {
            Some(last) if last == reference => sources.pop(),
            _ => None,
        };
        let mut tried = Vec::new();
        for source in sources {
            match f(source.clone()).await {
                Ok(v) => return Ok(v),
                Err(error) => {
                    tracing::warn!(remap = %source.registry(), %error, "registry remap failed; trying the next source");
                    tried.push(format!("{source}: {error}"));
                }
            }
        }
        match original {
            Some(original) => f(original).await,
            None => Err(RegistryError::NoMappedSource {
                reference: reference.to_string(),
                tried: tried.join("; "),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_apply_to_docker_hub_only_and_in_order() {
        let options = RegistryOptions {
            registry_mirrors: vec!["mirror.gcr.io".into(), "m.example.com:5000/hub".into()],
            ..Default::default()
        };
        let client = RegistryClient::new(&options, Keychain::anonymous()).unwrap();
        let hub = Reference::parse("busybox:1.36").unwrap();
        let sources: Vec<String> = client.pull_sources(&hub).iter().map(|r| r.to_string()).collect();
        assert_eq!(
            sources,
            [
                "mirror.gcr.io/library/busybox:1.36",
                "m.example.com:5000/hub/library/busybox:1.36",
                "index.docker.io/library/busybox:1.36"
            ]
        );
        let other = Reference::parse("quay.io/a/b").unwrap();
        assert_eq!(client.pull_sources(&other), vec![other]);
    }

    #[test]
    fn skipping_the_default_registry_leaves_only_the_remaps_of_remapped_registries() {
        let options = RegistryOptions {
            registry_maps: crate::registry::RegistryMapping::parse_list("quay.io=q.example/cache").unwrap(),
            skip_default_registry_fallback: true,
            ..Default::default()
        };
        let client = RegistryClient::new(&options, Keychain::anonymous()).unwrap();
        let quay = Reference::parse("quay.io/a/b:1").unwrap();
        let sources: Vec<String> = client.pull_sources(&quay).iter().map(|r| r.to_string()).collect();
        assert_eq!(sources, ["q.example/cache/a/b:1"]);
        // A registry without remaps is pulled from as usual.
        let hub = Reference::parse("busybox").unwrap();
        assert_eq!(client.pull_sources(&hub), vec![hub]);
    }
}
