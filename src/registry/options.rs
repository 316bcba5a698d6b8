// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Registry options mirroring kaniko's flags (`--insecure*`, `--skip-tls-verify*`, `--registry-mirror`,
//! `--registry-map`, `--skip-default-registry-fallback`, `--registry-certificate`,
//! `--registry-client-cert`, `--push-retry`, `--image-download-retry`), validated once before any request
//! so a bad combination fails the build at start-up with a message naming the flag.

use std::path::PathBuf;
use std::str::FromStr;

use super::error::RegistryError;
use super::reference::{normalize_registry, validate_registry};
use super::retry::{RetryPolicy, RetryTiming, DEFAULT_RETRIES};

/// Which side of a build a request serves: pulls of its inputs (base images, context images), or
/// pushes to its destinations (including the reads of a destination on the way, such as a blob
/// check). `--insecure-pull` and `--skip-tls-verify-pull` relax only pulls; `--insecure` and
/// `--skip-tls-verify` only pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Pull,
    Push,
}

/// `--registry-certificate my.registry.url=/path/to/cert.pem`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RegistryCertificate {
    pub registry: String,
    pub path: PathBuf,
}

impl FromStr for RegistryCertificate {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (registry, path) = s
            .split_once('=')
            .filter(|(r, p)| !r.is_empty() && !p.is_empty())
            .ok_or_else(|| {
                RegistryError::InvalidOptions(format!(
                    "--registry-certificate {s:?}: expected <registry>=<path to PEM certificate>"
                ))
            })?;
        Ok(Self {
            registry: registry.to_string(),
            path: PathBuf::from(path),
        })
    }
}

/// `--registry-client-cert my.registry.url=/path/to/cert.pem,/path/to/key.pem`: the client certificate
/// (chain) and private key presented to that registry for mutual TLS.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryClientCert {
    pub registry: String,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl FromStr for RegistryClientCert {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = s.split_once('=').and_then(|(registry, files)| {
            let (cert, key) = files.split_once(',')?;
            let all = [registry, cert, key];
            (all.iter().all(|p| !p.trim().is_empty()) && !key.contains(',')).then(|| Self {
                registry: registry.trim().to_string(),
                cert: PathBuf::from(cert.trim()),
                key: PathBuf::from(key.trim()),
            })
        });
        parsed.ok_or_else(|| {
            RegistryError::InvalidOptions(format!(
                "--registry-client-cert {s:?}: expected <registry>=<path to PEM certificate>,<path to PEM key>"
            ))
        })
    }
}

/// One `--registry-map` entry: pulls of images from `registry` try `remap` (`host[:port][/prefix]`).
/// kaniko's `a=b;a=c` value holds two entries, tried in that order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryMapping {
    pub registry: String,
    pub remap: String,
}

impl RegistryMapping {
    /// Parses one `--registry-map` (or `KANIKO_REGISTRY_MAP`) value: `ORIGINAL=REMAP` pairs separated
    /// by `;`, as kaniko writes them. A part without `=` is one more remap of the previous pair's
    /// registry (`a=b;c` is `a=b;a=c`), a shorthand kaniko itself refuses.
    pub fn parse_list(value: &str) -> Result<Vec<Self>, RegistryError> {
        let bad = |why: &str| {
            RegistryError::InvalidOptions(format!(
                "--registry-map {value:?}: {why} (expected ORIGINAL=REMAP[;ORIGINAL=REMAP...], e.g. \
                 index.docker.io=mirror.gcr.io)"
            ))
        };
        let mut out: Vec<Self> = Vec::new();
        for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (registry, remap) = match part.split_once('=') {
                Some((r, m)) => (r.trim().to_string(), m.trim().to_string()),
                None => match out.last() {
                    Some(prev) => (prev.registry.clone(), part.to_string()),
                    None => return Err(bad(&format!("{part:?} names no original registry"))),
                },
            };
            if registry.is_empty() || remap.is_empty() {
                return Err(bad(&format!(
                    "{part:?} lacks the original or the remapped registry"
                )));
            }
            out.push(Self { registry, remap });
        }
        Ok(out)
    }
}

/// Where pulls of one registry's images are redirected: `--registry-mirror` (for Docker Hub) and
/// `--registry-map` entries, as `host[:port]` plus an optional repository prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryMirror {
    pub host: String,
    pub prefix: Option<String>,
}

/// Registry access options. Field defaults are the flags' defaults: kaniko's, except the retry counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryOptions {
    /// `--insecure`: allow plain HTTP for pushes, to every registry (default false).
    pub insecure: bool,
    /// `--insecure-pull`: allow plain HTTP for pulls (default false).
    pub insecure_pull: bool,
    /// `--insecure-registry` (repeatable): allow plain HTTP to these registries.
    pub insecure_registries: Vec<String>,
    /// `--skip-tls-verify`: accept any TLS certificate when pushing (default false).
    pub skip_tls_verify: bool,
    /// `--skip-tls-verify-pull`: accept any certificate when pulling (default false).
    pub skip_tls_verify_pull: bool,
    /// `--skip-tls-verify-registry` (repeatable): accept any certificate from these registries.
    pub skip_tls_verify_registries: Vec<String>,
    /// `--registry-mirror` (repeatable): pull Docker Hub images from these first, in order.
    pub registry_mirrors: Vec<String>,
    /// `--registry-map` (repeatable): pulls from a registry try these remaps first, in order.
    pub registry_maps: Vec<RegistryMapping>,
    /// `--skip-default-registry-fallback`: when a registry has mirrors or remaps, never pull from the
    /// registry itself (default false).
    pub skip_default_registry_fallback: bool,
    /// `--registry-certificate` (repeatable): extra trusted certificate (CA or self-signed) per registry.
    pub registry_certificates: Vec<RegistryCertificate>,
    /// `--registry-client-cert` (repeatable): client certificate and key for mutual TLS per registry.
    pub registry_client_certs: Vec<RegistryClientCert>,
    /// `--push-retry`: retries of a push operation after a transient failure, 0 for none (default
    /// [`DEFAULT_RETRIES`]).
    pub push_retry: u32,
    /// `--image-download-retry`: the same for pulls.
    pub image_download_retry: u32,
    /// Backoff timing; not a flag, tests shorten it.
    #[serde(skip)]
    pub retry_timing: RetryTiming,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            insecure: false,
            insecure_pull: false,
            insecure_registries: Vec::new(),
            skip_tls_verify: false,
            skip_tls_verify_pull: false,
            skip_tls_verify_registries: Vec::new(),
            registry_mirrors: Vec::new(),
            registry_maps: Vec::new(),
            skip_default_registry_fallback: false,
            registry_certificates: Vec::new(),
            registry_client_certs: Vec::new(),
            push_retry: DEFAULT_RETRIES,
            image_download_retry: DEFAULT_RETRIES,
            retry_timing: RetryTiming::default(),
        }
    }
}

/// Options after validation: registry names normalised, mirrors parsed.
#[derive(Debug, Clone)]
pub struct ValidatedOptions {
    raw: RegistryOptions,
    insecure_registries: Vec<String>,
    skip_tls_verify_registries: Vec<String>,
    pub(crate) certificates: Vec<RegistryCertificate>,
    pub(crate) client_certs: Vec<RegistryClientCert>,
    /// Remaps per (normalised) original registry, in the order they are tried.
    pub(crate) remaps: Vec<(String, RegistryMirror)>,
}

/// How to talk to one registry in one direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransportSettings {
    /// Plain HTTP may be used when HTTPS is not answered.
    pub allow_http: bool,
    pub skip_tls_verify: bool,
    /// Extra trusted certificate file, from `--registry-certificate`.
    pub certificate: Option<PathBuf>,
    /// Client certificate and key for mutual TLS, from `--registry-client-cert`.
    pub client_cert: Option<RegistryClientCert>,
}

impl RegistryOptions {
    /// Checks the options and normalises registry names. Errors name the offending flag and value.
    pub fn validate(&self) -> Result<ValidatedOptions, RegistryError> {
        let bad = |m: String| Err(RegistryError::InvalidOptions(m));
        let registry_list = |flag: &str, list: &[String]| -> Result<Vec<String>, RegistryError> {
            list.iter().map(|r| registry_name(flag, r)).collect()
        };
        let insecure_registries = registry_list("--insecure-registry", &self.insecure_registries)?;
        let skip_tls_verify_registries =
            registry_list("--skip-tls-verify-registry", &self.skip_tls_verify_registries)?;
        let mut certificates: Vec<RegistryCertificate> = Vec::new();
        for cert in &self.registry_certificates {
            let registry = registry_name("--registry-certificate", &cert.registry)?;
            if let Some(prev) = certificates.iter().find(|c| c.registry == registry) {
                if prev.path != cert.path {
                    return bad(format!(
                        "--registry-certificate given twice for {registry}: {} and {}",
                        prev.path.display(),
                        cert.path.display()
                    ));
                }
                continue;
            }
            if self.skip_tls_verify || skip_tls_verify_registries.contains(&registry) {
                return bad(format!(
                    "--registry-certificate for {registry} conflicts with {}: a trusted certificate is pointless \
                     when verification is off; drop one of them",
                    if self.skip_tls_verify { "--skip-tls-verify" } else { "--skip-tls-verify-registry" }
                ));
            }
            if !cert.path.is_file() {
                return bad(format!(
                    "--registry-certificate {registry}={}: no such file",
                    cert.path.display()
                ));
            }
            certificates.push(RegistryCertificate {
                registry,
                path: cert.path.clone(),
            });
        }
        let mut client_certs: Vec<RegistryClientCert> = Vec::new();
        for cert in &self.registry_client_certs {
            let registry = registry_name("--registry-client-cert", &cert.registry)?;
            if client_certs.iter().any(|c| c.registry == registry) {
                return bad(format!("--registry-client-cert given twice for {registry}"));
            }
            for file in [&cert.cert, &cert.key] {
                if !file.is_file() {
                    return bad(format!(
                        "--registry-client-cert {registry}={},{}: {} does not exist",
                        cert.cert.display(),
                        cert.key.display(),
                        file.display()
                    ));
                }
            }
            client_certs.push(RegistryClientCert {
                registry,
                ..cert.clone()
            });
        }
        // kaniko turns each mirror into a map of Docker Hub, after the --registry-map entries.
        let mut remaps = Vec::new();
        for m in &self.registry_maps {
            let registry = registry_name("--registry-map", &m.registry)?;
            remaps.push((registry, parse_mirror("--registry-map", &m.remap)?));
        }
        for m in &self.registry_mirrors {
            remaps.push((
                super::reference::DOCKER_HUB_REGISTRY.to_string(),
                parse_mirror("--registry-mirror", m)?,
            ));
        }
        Ok(ValidatedOptions {
            raw: self.clone(),
            insecure_registries,
            skip_tls_verify_registries,
            certificates,
            client_certs,
            remaps,
        })
    }
}

impl ValidatedOptions {
    /// The transport settings for `registry` (a reference's registry name) in `direction`.
    pub fn transport_for(&self, registry: &str, direction: Direction) -> TransportSettings {
        let registry = normalize_registry(registry);
        // As in kaniko, each global flag relaxes one direction only: `--insecure` and
        // `--skip-tls-verify` pushes, their `-pull` forms pulls; the per-registry flags both.
        let (insecure, skip_verify) = match direction {
            Direction::Pull => (self.raw.insecure_pull, self.raw.skip_tls_verify_pull),
            Direction::Push => (self.raw.insecure, self.raw.skip_tls_verify),
        };
        let allow_http = insecure
            || self.insecure_registries.contains(&registry)
            || super::reference::is_loopback_registry(&registry);
        let skip_tls_verify = skip_verify || self.skip_tls_verify_registries.contains(&registry);
        let certificate = self
            .certificates
            .iter()
            .find(|c| c.registry == registry)
            .map(|c| c.path.clone());
        let client_cert = self.client_certs.iter().find(|c| c.registry == registry).cloned();
        TransportSettings {
            allow_http,
            skip_tls_verify,
            certificate,
            client_cert,
        }
    }

    /// The retry policy for one direction.
    pub fn retry_policy(&self, direction: Direction) -> RetryPolicy {
        let n = match direction {
            Direction::Pull => self.raw.image_download_retry,
            Direction::Push => self.raw.push_retry,
        };
        RetryPolicy::from_flag(n, self.raw.retry_timing)
    }

    /// Where pulls of `registry`'s images go before (or, with `--skip-default-registry-fallback`,
    /// instead of) the registry itself, in order.
    pub fn remaps_of(&self, registry: &str) -> Vec<&RegistryMirror> {
        let registry = normalize_registry(registry);
        (self.remaps.iter())
            .filter(|(r, _)| *r == registry)
            .map(|(_, m)| m)
            .collect()
    }

    /// `--skip-default-registry-fallback`.
    pub fn skip_default_registry_fallback(&self) -> bool {
        self.raw.skip_default_registry_fallback
    }

    /// The client certificates to build TLS identities for.
    pub(crate) fn client_certs(&self) -> &[RegistryClientCert] {
        &self.client_certs
    }
}

/// A registry name given to a per-registry flag: `host[:port]`, normalised like reference registries.
fn registry_name(flag: &str, value: &str) -> Result<String, RegistryError> {
    let v = value.trim().trim_end_matches('/');
    if v.contains("://") || v.contains('/') {
        return Err(RegistryError::InvalidOptions(format!(
            "{flag} {value:?}: expected a registry host[:port], without scheme or path"
        )));
    }
    let name = normalize_registry(v);
    validate_registry(&name).map_err(|r| RegistryError::InvalidOptions(format!("{flag} {value:?}: {r}")))?;
    Ok(name)
}

/// A mirror or remap, `host[:port][/prefix]`, for `flag`.
fn parse_mirror(flag: &str, value: &str) -> Result<RegistryMirror, RegistryError> {
    let v = value.trim().trim_end_matches('/');
    if v.contains("://") {
        return Err(RegistryError::InvalidOptions(format!(
            "{flag} {value:?}: expected host[:port][/path] without scheme (use --insecure-registry \
             for a plain-HTTP mirror)"
        )));
    }
    let (host, prefix) = match v.split_once('/') {
        Some((h, p)) => (h, Some(p.to_string())),
        None => (v, None),
    };
    let host = registry_name(flag, host)?;
    Ok(RegistryMirror { host, prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_flags_do_not_relax_pulls() {
        let o = RegistryOptions {
            insecure: true,
            skip_tls_verify: true,
            ..Default::default()
        };
        let v = o.validate().unwrap();
        let pull = v.transport_for("reg.example.com", Direction::Pull);
        let push = v.transport_for("reg.example.com", Direction::Push);
        assert!(push.allow_http && push.skip_tls_verify);
        assert!(!pull.allow_http && !pull.skip_tls_verify);
    }

    #[test]
    fn pull_only_flags_do_not_relax_pushes() {
        let o = RegistryOptions {
            insecure_pull: true,
            skip_tls_verify_pull: true,
            ..Default::default()
        };
        let v = o.validate().unwrap();
        let pull = v.transport_for("reg.example.com", Direction::Pull);
        let push = v.transport_for("reg.example.com", Direction::Push);
        assert!(pull.allow_http && pull.skip_tls_verify);
        assert!(!push.allow_http && !push.skip_tls_verify);
    }

    #[test]
    fn per_registry_flags_apply_only_to_their_registry() {
        let o = RegistryOptions {
            insecure_registries: vec!["a.example.com:5000".into()],
            skip_tls_verify_registries: vec!["docker.io".into()],
            ..Default::default()
        };
        let v = o.validate().unwrap();
        assert!(v.transport_for("a.example.com:5000", Direction::Push).allow_http);
        assert!(!v.transport_for("a.example.com", Direction::Push).allow_http);
        assert!(
            v.transport_for("index.docker.io", Direction::Push)
                .skip_tls_verify
        );
        // Loopback registries may always use plain HTTP, as in go-containerregistry.
        assert!(v.transport_for("127.0.0.1:5000", Direction::Push).allow_http);
        assert!(v.transport_for("localhost", Direction::Push).allow_http);
    }

    #[test]
    fn rejects_conflicts_and_malformed_values() {
        let cert = tempfile::NamedTempFile::new().unwrap();
        let rc = RegistryCertificate {
            registry: "r.io".into(),
            path: cert.path().to_path_buf(),
        };
        let cases = [
            RegistryOptions {
                insecure_registries: vec!["http://r.io".into()],
                ..Default::default()
            },
            RegistryOptions {
                skip_tls_verify_registries: vec!["r.io/path".into()],
                ..Default::default()
            },
            RegistryOptions {
                registry_mirrors: vec!["https://mirror.gcr.io".into()],
                ..Default::default()
            },
            RegistryOptions {
                registry_certificates: vec![rc.clone()],
                skip_tls_verify: true,
                ..Default::default()
            },
            RegistryOptions {
                registry_certificates: vec![rc.clone()],
                skip_tls_verify_registries: vec!["R.io".into()],
                ..Default::default()
            },
            RegistryOptions {
                registry_certificates: vec![
                    rc.clone(),
                    RegistryCertificate {
                        path: "/other.pem".into(),
                        ..rc.clone()
                    },
                ],
                ..Default::default()
            },
            RegistryOptions {
                registry_certificates: vec![RegistryCertificate {
                    registry: "r.io".into(),
                    path: "/nonexistent.pem".into(),
                }],
                ..Default::default()
            },
        ];
        for o in cases {
            let e = o.validate().unwrap_err();
            assert!(matches!(e, RegistryError::InvalidOptions(_)), "{e}");
            assert!(e.to_string().contains("--"), "error names the flag: {e}");
        }
        assert!("no-equals-sign".parse::<RegistryCertificate>().is_err());
        assert!("=x".parse::<RegistryCertificate>().is_err());
        let parsed: RegistryCertificate = "my.registry.url=/path/to/cert.pem".parse().unwrap();
        assert_eq!(parsed.registry, "my.registry.url");
    }

    #[test]
    fn mirrors_and_certificates_are_normalised() {
        let cert = tempfile::NamedTempFile::new().unwrap();
        let o = RegistryOptions {
            registry_mirrors: vec![
                "mirror.gcr.io".into(),
                "Mirror.Example.com:5000/dockerhub/".into(),
            ],
            registry_certificates: vec![format!("REG.io:443={}", cert.path().display()).parse().unwrap()],
            ..Default::default()
        };
        let v = o.validate().unwrap();
        assert_eq!(
            *v.remaps_of("docker.io")[0],
            RegistryMirror {
                host: "mirror.gcr.io".into(),
                prefix: None
            }
        );
        assert_eq!(
            *v.remaps_of("index.docker.io")[1],
            RegistryMirror {
                host: "mirror.example.com:5000".into(),
                prefix: Some("dockerhub".into())
            }
        );
        assert_eq!(
            v.transport_for("reg.io:443", Direction::Pull)
                .certificate
                .as_deref(),
            Some(cert.path())
        );
        assert_eq!(v.transport_for("reg.io", Direction::Pull).certificate, None);
    }

    #[test]
    fn registry_maps_parse_kaniko_syntax_and_come_before_mirrors() {
        let parse = |v: &str| {
            RegistryMapping::parse_list(v).map(|l| {
                l.into_iter()
                    .map(|m| format!("{}={}", m.registry, m.remap))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            parse("index.docker.io=a.example;index.docker.io=b.example;gcr.io=127.0.0.1").unwrap(),
            [
                "index.docker.io=a.example",
                "index.docker.io=b.example",
                "gcr.io=127.0.0.1"
            ]
        );
        assert_eq!(
            parse("quay.io=a;b/prefix").unwrap(),
            ["quay.io=a", "quay.io=b/prefix"]
        );
        for bad in ["nokey", "=x", "x=", "a=b;=c"] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(
                e.contains("--registry-map") && e.contains("ORIGINAL=REMAP"),
                "{e}"
            );
        }
        let o = RegistryOptions {
            registry_mirrors: vec!["mirror.example".into()],
            registry_maps: RegistryMapping::parse_list("docker.io=map.example/hub;quay.io=q.example")
                .unwrap(),
            ..Default::default()
        };
        let v = o.validate().unwrap();
        let hosts = |r: &str| v.remaps_of(r).iter().map(|m| m.host.clone()).collect::<Vec<_>>();
        assert_eq!(hosts("index.docker.io"), ["map.example", "mirror.example"]);
        assert_eq!(v.remaps_of("docker.io")[0].prefix.as_deref(), Some("hub"));
        assert_eq!(hosts("Quay.io"), ["q.example"]);
        assert!(hosts("gcr.io").is_empty());
        let e = RegistryOptions {
            registry_maps: RegistryMapping::parse_list("a.example=https://b.example").unwrap(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("--registry-map"), "{e}");
    }

    #[test]
    fn client_certs_parse_and_need_both_files() {
        let cert = tempfile::NamedTempFile::new().unwrap();
        let key = tempfile::NamedTempFile::new().unwrap();
        let value = format!(
            "Reg.example:5000={},{}",
            cert.path().display(),
            key.path().display()
        );
        let parsed: RegistryClientCert = value.parse().unwrap();
        assert_eq!(parsed.key, key.path());
        let v = RegistryOptions {
            registry_client_certs: vec![parsed.clone()],
            ..Default::default()
        }
        .validate()
        .unwrap();
        let got = v.transport_for("reg.example:5000", Direction::Pull).client_cert;
        assert_eq!(got.map(|c| c.cert), Some(cert.path().to_path_buf()));
        assert_eq!(v.transport_for("reg.example", Direction::Push).client_cert, None);
        for bad in ["r.io=/c.pem", "r.io=/c.pem,", "=/c,/k", "r.io=/c,/k,/x", "r.io"] {
            let e = bad.parse::<RegistryClientCert>().unwrap_err().to_string();
            assert!(e.contains("--registry-client-cert"), "{e}");
        }
        let missing = RegistryOptions {
            registry_client_certs: vec![RegistryClientCert {
                key: "/nonexistent/key.pem".into(),
                ..parsed
            }],
            ..Default::default()
        };
        let e = missing.validate().unwrap_err().to_string();
        assert!(e.contains("/nonexistent/key.pem does not exist"), "{e}");
    }

    #[test]
    fn retry_flags_set_per_direction_policies() {
        let v = RegistryOptions {
            push_retry: 5,
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(v.retry_policy(Direction::Push).max_retries, 5);
        assert_eq!(v.retry_policy(Direction::Pull).max_retries, DEFAULT_RETRIES);
    }
}
