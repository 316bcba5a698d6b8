// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! How to reach one registry: the HTTP client for its TLS profile, whether it speaks HTTPS or (when
//! allowed) plain HTTP, and the authentication challenge its `/v2/` endpoint answers with. Learned once per
//! registry and direction by pinging `/v2/`, as go-containerregistry does, then cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use url::Url;

use super::challenge::Challenge;
use super::error::{Failure, RegistryError};
use super::options::{Direction, TransportSettings, ValidatedOptions};
use super::reference::api_host_of;
use super::response::status_failure;
use super::tls;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// A registry silent this long mid-transfer is treated as a dropped connection (and retried).
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// What we know about one registry in one direction.
#[derive(Debug)]
pub(crate) struct Endpoint {
    /// `https://host[:port]` or `http://host[:port]`.
    pub base: Url,
    pub http: reqwest::Client,
    /// The API host (`registry-1.docker.io` for Docker Hub).
    pub host: String,
    /// The challenge `/v2/` answered with; `None` when it needs no authentication.
    pub challenge: Option<Challenge>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Verification {
    Verify,
    SkipVerify,
    Certificate(std::path::PathBuf),
}

/// How a connection verifies the server, and which client certificate (by its file) it presents.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TlsProfile {
    verification: Verification,
    identity: Option<std::path::PathBuf>,
}

/// HTTP clients per TLS profile and endpoints per registry.
#[derive(Debug)]
pub(crate) struct Transport {
    options: ValidatedOptions,
    clients: HashMap<TlsProfile, reqwest::Client>,
    endpoints: Mutex<HashMap<(String, Direction), Arc<Endpoint>>>,
}

impl Transport {
    /// Builds every HTTP client the options can need, so a bad certificate fails here, at start-up.
    pub fn new(options: ValidatedOptions) -> Result<Self, RegistryError> {
        let roots = tls::native_roots();
        let mut clients = HashMap::new();
        // Each client certificate combines with every way of verifying servers: which one a
        // registry gets depends on the direction and its other flags.
        let mut identities = vec![(None, None)];
        for cert in options.client_certs() {
            let identity = tls::read_client_identity(cert)?;
            identities.push((Some(cert.cert.clone()), Some(identity)));
        }
        for (id_path, identity) in &identities {
            let profile = |verification| TlsProfile {
                verification,
                identity: id_path.clone(),
            };
            // Without system roots the default profile cannot verify anything; it fails on first use
            // instead of at start-up, since plain-HTTP or certificate-pinned builds never use it.
            if let Ok(c) = build_client(&roots, &[], false, identity.as_ref()) {
                clients.insert(profile(Verification::Verify), c);
            }
            clients.insert(
                profile(Verification::SkipVerify),
                build_client(&RootCertStore::empty(), &[], true, identity.as_ref())?,
            );
            for cert in &options.certificates {
                let extra = tls::read_pem_certificates(&cert.path, &cert.registry)?;
                clients.insert(
                    profile(Verification::Certificate(cert.path.clone())),
                    build_client(&roots, &extra, false, identity.as_ref())?,
                );
            }
        }
        Ok(Self {
            options,
            clients,
            endpoints: Mutex::new(HashMap::new()),
        })
    }

    pub fn options(&self) -> &ValidatedOptions {
        &self.options
    }

    /// The endpoint for `registry` (a reference's registry name), pinging it on first use.
    pub async fn endpoint(&self, registry: &str, direction: Direction) -> Result<Arc<Endpoint>, Failure> {
        let key = (registry.to_string(), direction);
        if let Some(e) = self.endpoints.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(e);
        }
        let settings = self.options.transport_for(registry, direction);
        let http = self.client_for(&settings)?;
        let host = api_host_of(registry).to_string();
        let endpoint = Arc::new(ping(http, &host, &settings).await?);
        tracing::debug!(registry, base = %endpoint.base, challenge = ?endpoint.challenge.as_ref().map(Challenge::scheme), "registry endpoint");
        if let Ok(mut m) = self.endpoints.lock() {
            m.insert(key, endpoint.clone());
        }
        Ok(endpoint)
    }

    /// Forgets what a ping learned (after the registry changed its mind about authentication).
    pub fn update_challenge(&self, registry: &str, direction: Direction, challenge: Challenge) {
        if let Ok(mut m) = self.endpoints.lock() {
            if let Some(e) = m.get(&(registry.to_string(), direction)).cloned() {
                let updated = Endpoint {
                    base: e.base.clone(),
                    http: e.http.clone(),
                    host: e.host.clone(),
                    challenge: Some(challenge),
                };
                m.insert((registry.to_string(), direction), Arc::new(updated));
            }
        }
    }

    fn client_for(&self, settings: &TransportSettings) -> Result<reqwest::Client, Failure> {
        let verification = if settings.skip_tls_verify {
            Verification::SkipVerify
        } else if let Some(path) = &settings.certificate {
            Verification::Certificate(path.clone())
        } else {
            Verification::Verify
        };
        let profile = TlsProfile {
            verification,
            identity: settings.client_cert.as_ref().map(|c| c.cert.clone()),
        };
        self.clients.get(&profile).cloned().ok_or_else(|| {
            Failure::Final(RegistryError::Tls {
                what: "registry connections".into(),
                reason:
                    "no trusted CA certificates found on the system (set SSL_CERT_FILE or SSL_CERT_DIR, or \
                         pass --registry-certificate)"
                        .into(),
            })
        })
    }
}

fn build_client(
    roots: &RootCertStore,
    extra: &[CertificateDer<'static>],
    skip_verify: bool,
    identity: Option<&tls::ClientIdentity>,
) -> Result<reqwest::Client, RegistryError> {
    let config = tls::client_config(roots, extra, skip_verify, identity)?;
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .user_agent(format!("kaniko-rs/{}", crate::version::VERSION))
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .build()
        .map_err(RegistryError::HttpClient)
}

/// `GET /v2/` over HTTPS, falling back to plain HTTP when allowed and HTTPS cannot be spoken.
async fn ping(http: reqwest::Client, host: &str, settings: &TransportSettings) -> Result<Endpoint, Failure> {
    let https = ping_scheme(&http, "https", host).await;
    let (base, response) = match https {
        Ok(ok) => ok,
        Err(Failure::Transport {
            cause: https_cause, ..
        }) if settings.allow_http => match ping_scheme(&http, "http", host).await {
            // An HTTPS server answers plain HTTP with 400: the HTTPS failure is the real story
            // (typically an untrusted certificate).
            Ok((_, r)) if r.status() == reqwest::StatusCode::BAD_REQUEST => {
                let url = format!("https://{host}/v2/");
                return Err(Failure::Transport {
                    host: host.to_string(),
                    url,
                    cause: https_cause,
                });
            }
            Ok(ok) => ok,
            Err(Failure::Transport { host, url, cause }) => {
                let cause = if cause == https_cause {
                    cause
                } else {
                    format!("{cause} (HTTPS also failed: {https_cause})")
                };
                return Err(Failure::Transport { host, url, cause });
            }
            Err(other) => return Err(other),
        },
        Err(e) => return Err(e),
    };
    let status = response.status();
    let challenge = if status == reqwest::StatusCode::UNAUTHORIZED {
        let values = response.headers().get_all(reqwest::header::WWW_AUTHENTICATE);
        Challenge::select(values.iter().filter_map(|v| v.to_str().ok()))
    } else if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(status_failure(response).await);
    } else {
        None
    };
    Ok(Endpoint {
        base,
        http,
        host: host.to_string(),
        challenge,
    })
}

async fn ping_scheme(
    http: &reqwest::Client,
    scheme: &str,
    host: &str,
) -> Result<(Url, reqwest::Response), Failure> {
    let base_str = format!("{scheme}://{host}");
    let base = Url::parse(&base_str).map_err(|e| Failure::Transport {
        host: host.to_string(),
        url: base_str.clone(),
        cause: format!("not a valid URL: {e}"),
    })?;
    let url = format!("{base_str}/v2/");
    match http.get(&url).send().await {
        Ok(r) => Ok((base, r)),
        Err(e) => Err(Failure::transport(host, &url, &e)),
    }
}
