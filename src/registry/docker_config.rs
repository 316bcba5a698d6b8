// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Docker's `config.json`: `auths` entries, `credHelpers` and `credsStore`, and how a registry name is
//! matched against its keys (docker normalises keys to a host name, with or without scheme and path, and
//! keeps Docker Hub under `https://index.docker.io/v1/`).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde::Deserialize;

use super::credential::Credential;
use super::error::{DockerConfigError, RegistryError};
use super::reference::{normalize_registry, DOCKER_HUB_REGISTRY};

/// The key docker uses for Docker Hub in `auths` and the server URL it gives credential helpers.
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// The parts of config.json that concern registry credentials.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerConfig {
    #[serde(default)]
    pub auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    pub cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    pub creds_store: Option<String>,
}

/// One `auths` entry. Secrets are only read into a [`Credential`], whose `Debug` redacts them.
#[derive(Default, Deserialize)]
pub struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

impl std::fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthEntry { <redacted> }")
    }
}

/// Where the credential for a registry comes from, according to config.json.
#[derive(Debug, PartialEq, Eq)]
pub enum CredentialSource {
    /// Run `docker-credential-<helper> get` with `server_url` on stdin; `fallback` is an inline `auths`
    /// entry to use when the helper (only a `credsStore`) has nothing for this registry.
    Helper {
        helper: String,
        server_url: String,
        fallback: Option<Credential>,
    },
    Inline(Credential),
    None,
}

impl DockerConfig {
    /// Parses config.json bytes; `path` is only for the error.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, RegistryError> {
        serde_json::from_slice(bytes).map_err(|e| RegistryError::DockerConfig {
            path: path.to_path_buf(),
            source: DockerConfigError::Parse(e),
        })
    }

    /// Decides where the credential for `registry` (a reference's registry name) comes from. Docker's
    /// precedence: a `credHelpers` entry for the registry, then `credsStore`, then `auths`.
    pub fn source_for(&self, registry: &str, path: &Path) -> Result<CredentialSource, RegistryError> {
        let host = normalize_registry(registry);
        let server_url = server_url_for(&host);
        let inline = self.inline_for(&host, path)?;
        if let Some(helper) = self
            .cred_helpers
            .iter()
            .find(|(k, _)| key_host(k) == host)
            .map(|(_, v)| v)
        {
            return Ok(CredentialSource::Helper {
                helper: helper.clone(),
                server_url,
                fallback: None,
            });
        }
        if let Some(store) = self.creds_store.as_ref().filter(|s| !s.is_empty()) {
            return Ok(CredentialSource::Helper {
                helper: store.clone(),
                server_url,
                fallback: inline,
            });
        }
        Ok(inline
            .map(CredentialSource::Inline)
            .unwrap_or(CredentialSource::None))
    }

    fn inline_for(&self, host: &str, path: &Path) -> Result<Option<Credential>, RegistryError> {
        // An exact key wins over a normalised match, as in docker's GetAuthConfig.
        let entry = self.auths.get(&server_url_for(host)).or_else(|| {
            self.auths
                .iter()
                .find(|(k, _)| key_host(k) == host)
                .map(|(_, v)| v)
        });
        let Some(entry) = entry else { return Ok(None) };
        entry.credential(host, path)
    }
}

impl AuthEntry {
    fn credential(&self, host: &str, path: &Path) -> Result<Option<Credential>, RegistryError> {
        let nonempty = |s: &Option<String>| s.as_ref().filter(|s| !s.is_empty()).cloned();
        if let Some(token) = nonempty(&self.registrytoken) {
            return Ok(Some(Credential::RegistryToken(token)));
        }
        let (mut username, mut password) = (nonempty(&self.username), nonempty(&self.password));
        if let Some(auth) = nonempty(&self.auth) {
            let bad = |reason: &'static str| RegistryError::DockerConfig {
                path: path.to_path_buf(),
                source: DockerConfigError::Auth {
                    host: host.to_string(),
                    reason,
                },
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| bad("\"auth\" is not valid base64"))?;
            let decoded = String::from_utf8(decoded).map_err(|_| bad("\"auth\" is not UTF-8"))?;
            let (u, p) = decoded
                .split_once(':')
                .ok_or_else(|| bad("\"auth\" does not decode to user:password"))?;
            username = Some(u.to_string());
            password = Some(p.to_string());
        }
        if let Some(token) = nonempty(&self.identitytoken) {
            return Ok(Some(Credential::IdentityToken {
                username: username.unwrap_or_default(),
                token,
            }));
        }
        Ok(match (username, password) {
            (Some(username), Some(password)) => Some(Credential::Basic { username, password }),
            _ => None,
        })
    }
}

/// The server URL docker stores and hands to helpers: `https://index.docker.io/v1/` for Docker Hub,
/// `host[:port]` otherwise.
pub fn server_url_for(registry: &str) -> String {
    if registry == DOCKER_HUB_REGISTRY {
        DOCKER_HUB_AUTH_KEY.to_string()
    } else {
        registry.to_string()
    }
}

/// A config.json key reduced to the registry it names: scheme and path stripped, Docker Hub aliases
/// folded to `index.docker.io`.
pub fn key_host(key: &str) -> String {
    let key = key.trim();
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = without_scheme.split('/').next().unwrap_or(without_scheme);
    normalize_registry(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(json: &str) -> DockerConfig {
        DockerConfig::parse(json.as_bytes(), Path::new("/cfg/config.json")).unwrap()
    }

    fn basic(u: &str, p: &str) -> Credential {
        Credential::Basic {
            username: u.into(),
            password: p.into(),
        }
    }

    #[test]
    fn base64_auth_and_key_normalisation() {
        // "user:pa:ss" — the password may itself contain ':'.
        let c = cfg(r#"{"auths": {
            "https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="},
            "http://myreg.example.com:5000/v2/": {"auth": "dXNlcjpwYTpzcw=="},
            "other.example.com": {"username": "o", "password": "p"}
        }}"#);
        let p = Path::new("x");
        assert_eq!(
            c.source_for("index.docker.io", p).unwrap(),
            CredentialSource::Inline(basic("hub", "secret"))
        );
        assert_eq!(
            c.source_for("myreg.example.com:5000", p).unwrap(),
            CredentialSource::Inline(basic("user", "pa:ss"))
        );
        assert_eq!(
            c.source_for("other.example.com", p).unwrap(),
            CredentialSource::Inline(basic("o", "p"))
        );
        assert_eq!(
            c.source_for("myreg.example.com", p).unwrap(),
            CredentialSource::None,
            "port is part of the key"
        );
        assert_eq!(c.source_for("unknown.io", p).unwrap(), CredentialSource::None);
    }

    #[test]
    fn docker_hub_aliases_share_the_v1_key() {
        let c = cfg(r#"{"auths": {"docker.io": {"auth": "aHViOnNlY3JldA=="}}}"#);
        assert_eq!(
            c.source_for("index.docker.io", Path::new("x")).unwrap(),
            CredentialSource::Inline(basic("hub", "secret"))
        );
    }

    #[test]
    fn tokens() {
        let c = cfg(r#"{"auths": {
            "a.io": {"auth": "dTo=", "identitytoken": "refresh"},
            "b.io": {"registrytoken": "bearer"},
            "c.io": {"email": "x@y"}
        }}"#);
        let p = Path::new("x");
        assert_eq!(
            c.source_for("a.io", p).unwrap(),
            CredentialSource::Inline(Credential::IdentityToken {
                username: "u".into(),
                token: "refresh".into()
            })
        );
        assert_eq!(
            c.source_for("b.io", p).unwrap(),
            CredentialSource::Inline(Credential::RegistryToken("bearer".into()))
        );
        assert_eq!(c.source_for("c.io", p).unwrap(), CredentialSource::None);
    }

    #[test]
    fn helpers_take_precedence() {
        let c = cfg(r#"{
            "auths": {"gcr.io": {"auth": "dTpw"}, "ecr.example.com": {"auth": "dTpw"}},
            "credHelpers": {"https://gcr.io": "gcloud"},
            "credsStore": "desktop"
        }"#);
        let p = Path::new("x");
        assert_eq!(
            c.source_for("gcr.io", p).unwrap(),
            CredentialSource::Helper {
                helper: "gcloud".into(),
                server_url: "gcr.io".into(),
                fallback: None
            }
        );
        assert_eq!(
            c.source_for("ecr.example.com", p).unwrap(),
            CredentialSource::Helper {
                helper: "desktop".into(),
                server_url: "ecr.example.com".into(),
                fallback: Some(basic("u", "p"))
            }
        );
        assert_eq!(
            c.source_for("docker.io", p).unwrap(),
            CredentialSource::Helper {
                helper: "desktop".into(),
                server_url: "https://index.docker.io/v1/".into(),
                fallback: None
            }
        );
    }

    #[test]
    fn errors_name_the_file_but_not_the_secret() {
        let e = DockerConfig::parse(b"{not json", Path::new("/cfg/config.json")).unwrap_err();
        assert!(e.to_string().contains("/cfg/config.json"), "{e}");
        let c = cfg(r#"{"auths": {"a.io": {"auth": "!!!secret!!!"}}}"#);
        let e = c.source_for("a.io", Path::new("/cfg/config.json")).unwrap_err();
        assert!(
            e.to_string().contains("a.io") && !e.to_string().contains("secret!!!"),
            "{e}"
        );
        let c = cfg(r#"{"auths": {"a.io": {"auth": "bm9jb2xvbg=="}}}"#);
        assert!(c
            .source_for("a.io", Path::new("x"))
            .unwrap_err()
            .to_string()
            .contains("user:password"));
    }

    #[test]
    fn an_unparsable_config_keeps_the_json_error() {
        let e = DockerConfig::parse(b"{not json", Path::new("/cfg/config.json")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("reading docker config /cfg/config.json: key must be a string at line 1"),
            "{e}"
        );
        let source = std::error::Error::source(&e).and_then(|s| s.source());
        assert!(source.is_some_and(|s| s.is::<serde_json::Error>()), "{e:?}");
    }

    #[test]
    fn empty_and_unknown_fields_are_fine() {
        let c = cfg(r#"{"psFormat": "x", "auths": {}}"#);
        assert_eq!(
            c.source_for("x.io", Path::new("x")).unwrap(),
            CredentialSource::None
        );
        let c = cfg("{}");
        assert!(c.auths.is_empty() && c.creds_store.is_none());
    }
}
