// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Registry options mirroring kaniko's flags (`--insecure*`, `--skip-tls-verify*`, `--registry-mirror`,
//! `--registry-certificate`, `--push-retry`, `--image-download-retry`), validated once before any request
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

/// `--registry-mirror host[:port][/path]`: mirrors serve Docker Hub repositories under an optional prefix.
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
    /// `--registry-certificate` (repeatable): extra trusted certificate (CA or self-signed) per registry.
    pub registry_certificates: Vec<RegistryCertificate>,
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
            registry_certificates: Vec::new(),
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
    pub(crate) mirrors: Vec<RegistryMirror>,
}

/// How to talk to one registry in one direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransportSettings {
    /// Plain HTTP may be used when HTTPS is not answered.
    pub allow_http: bool,
    pub skip_tls_verify: bool,
    /// Extra trusted certificate file, from `--registry-certificate`.
    pub certificate: Option<PathBuf>,
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
        let mut mirrors = Vec::new();
        for m in &self.registry_mirrors {
            mirrors.push(parse_mirror(m)?);
        }
        Ok(ValidatedOptions {
            raw: self.clone(),
            insecure_registries,
            skip_tls_verify_registries,
            certificates,
            mirrors,
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
        TransportSettings {
            allow_http,
            skip_tls_verify,
            certificate,
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

    pub fn mirrors(&self) -> &[RegistryMirror] {
        &self.mirrors
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

fn parse_mirror(value: &str) -> Result<RegistryMirror, RegistryError> {
    let v = value.trim().trim_end_matches('/');
    if v.contains("://") {
        return Err(RegistryError::InvalidOptions(format!(
            "--registry-mirror {value:?}: expected host[:port][/path] without scheme (use --insecure-registry \
             for a plain-HTTP mirror)"
        )));
    }
    let (host, prefix) = match v.split_once('/') {
        Some((h, p)) => (h, Some(p.to_string())),
        None => (v, None),
    };
    let host = registry_name("--registry-mirror", host)?;
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
            v.mirrors()[0],
            RegistryMirror {
                host: "mirror.gcr.io".into(),
                prefix: None
            }
        );
        assert_eq!(
            v.mirrors()[1],
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
