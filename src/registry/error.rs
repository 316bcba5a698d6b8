// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The registry client's error type, and the [`Operation`] every error names.
//!
//! A registry error must let a user act without a debugger: which registry and repository, what we were
//! doing, the HTTP status with the registry's own error codes, the URL when the host could not be reached,
//! and how many retries were spent. Credentials and tokens never reach these values.

use std::fmt;
use std::path::PathBuf;

use crate::image::Digest;

/// What the client was doing when something failed: e.g. `pushing blob sha256:… to 127.0.0.1:5000/app`.
/// Boxed, so errors stay small enough to pass around by value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation(Box<OperationParts>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct OperationParts {
    action: String,
    registry: String,
    repository: String,
}

impl Operation {
    pub fn new(
        action: impl Into<String>,
        registry: impl Into<String>,
        repository: impl Into<String>,
    ) -> Self {
        Self(Box::new(OperationParts {
            action: action.into(),
            registry: registry.into(),
            repository: repository.into(),
        }))
    }

    /// The verb phrase including its preposition, e.g. `pushing blob sha256:… to`.
    pub fn action(&self) -> &str {
        &self.0.action
    }

    /// The registry as the user named it (`index.docker.io`, `127.0.0.1:5000`).
    pub fn registry(&self) -> &str {
        &self.0.registry
    }

    /// The repository path inside the registry (`library/busybox`).
    pub fn repository(&self) -> &str {
        &self.0.repository
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.0.action, self.0.registry, self.0.repository)
    }
}

/// `" (gave up after N retries)"` when retries were spent, empty otherwise.
fn retries_suffix(retries: u32) -> String {
    match retries {
        0 => String::new(),
        1 => " (gave up after 1 retry)".to_string(),
        n => format!(" (gave up after {n} retries)"),
    }
}

/// `" (CODE: message; CODE2: message2)"` when the registry sent an error body, empty otherwise.
fn codes_suffix(codes: &Option<String>) -> String {
    codes.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
}

/// Everything that can go wrong talking to a registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("invalid image reference {input:?}: {reason}")]
    InvalidReference { input: String, reason: String },

    #[error("invalid registry options: {0}")]
    InvalidOptions(String),

    #[error("{op}: {status}{codes}{retries}", codes = codes_suffix(.codes), retries = retries_suffix(*.retries))]
    Status {
        op: Operation,
        /// The status line, e.g. `401 Unauthorized`.
        status: reqwest::StatusCode,
        /// The registry's error codes and messages from its JSON error body, when it sent one.
        codes: Option<String>,
        url: String,
        retries: u32,
    },

    #[error("{op}: cannot reach registry {host} at {url}: {cause}{retries}", retries = retries_suffix(*.retries))]
    Unreachable {
        op: Operation,
        host: String,
        url: String,
        cause: String,
        retries: u32,
    },

    #[error(
        "{op}: token request to {realm} failed: {status}{codes}{retries}",
        codes = codes_suffix(.codes),
        retries = retries_suffix(*.retries)
    )]
    Token {
        op: Operation,
        realm: String,
        status: reqwest::StatusCode,
        codes: Option<String>,
        retries: u32,
    },

    #[error("{op}: {reason}")]
    Protocol { op: Operation, reason: String },

    #[error("{op}: invalid {what} JSON: {source}")]
    InvalidJson {
        op: Operation,
        what: &'static str,
        source: serde_json::Error,
    },

    #[error("{op}: registry answered with an invalid Docker-Content-Digest: {source}")]
    InvalidDigestHeader {
        op: Operation,
        source: crate::image::digest::DigestError,
    },

    #[error("{op}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        op: Operation,
        expected: Digest,
        actual: Digest,
    },

    #[error("{op}: no manifest for platform {wanted} in {reference}; available platforms: {available}")]
    NoMatchingPlatform {
        op: Operation,
        reference: String,
        wanted: String,
        available: String,
    },

    #[error("{op}: {path}: {source}")]
    Io {
        op: Operation,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("reading docker config {path}: {source}")]
    DockerConfig {
        path: PathBuf,
        source: DockerConfigError,
    },

    #[error("credential helper docker-credential-{helper} for registry {registry}: {source}")]
    CredentialHelper {
        helper: String,
        registry: String,
        source: HelperError,
    },

    #[error("the credential for registry {registry} contains characters not allowed in an HTTP header")]
    CredentialNotAHeader { registry: String },

    #[error("{op}: registry asks for {scheme} authentication but {reason}")]
    Credentials {
        op: Operation,
        scheme: &'static str,
        reason: String,
    },

    #[error(
        "pulling {reference}: no remapped registry could serve it, and --skip-default-registry-fallback \
         forbids falling back to its own registry; tried {tried}"
    )]
    NoMappedSource { reference: String, tried: String },

    #[error("TLS setup for {what}: {reason}")]
    Tls { what: String, reason: String },

    #[error("TLS setup for registry {registry} (--registry-certificate {path}): {source}")]
    Certificate {
        registry: String,
        path: PathBuf,
        source: rustls_pki_types::pem::Error,
    },

    #[error("TLS setup for registry connections: {0}")]
    Verifier(#[source] rustls::client::VerifierBuilderError),

    #[error("TLS setup for registry connections: {0}")]
    TlsConfig(#[source] rustls::Error),

    /// reqwest's own message ("builder error") says nothing; its sources follow in the chain.
    #[error("setting up the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// Why docker's `config.json` could not be used (the [`RegistryError`] names the file).
#[derive(Debug, thiserror::Error)]
pub enum DockerConfigError {
    #[error("{0}")]
    Read(#[source] std::io::Error),
    #[error("{0}")]
    Parse(#[source] serde_json::Error),
    #[error("auths entry for {host}: {reason}")]
    Auth { host: String, reason: &'static str },
}

/// Why a `docker-credential-*` helper gave no credential (the [`RegistryError`] names the helper
/// and the registry).
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    #[error("{program} is not on PATH")]
    NotOnPath { program: String },
    #[error("cannot start {program}: {source}")]
    Start { program: String, source: std::io::Error },
    #[error("{program} did not answer within {seconds}s")]
    Timeout { program: String, seconds: u64 },
    #[error("waiting for {program}: {source}")]
    Wait { program: String, source: std::io::Error },
    /// `first_line` is the first line of its stderr (or stdout): diagnostics, never the secret.
    #[error("{program} get failed ({status}): {first_line}")]
    Failed {
        program: String,
        status: std::process::ExitStatus,
        first_line: String,
    },
    #[error("{program} get printed something that is not its JSON answer: {source}")]
    Answer {
        program: String,
        source: serde_json::Error,
    },
}

impl RegistryError {
    /// How many retries were spent before this error was returned (0 for errors that are never retried).
    pub fn retries(&self) -> u32 {
        match self {
            Self::Status { retries, .. }
            | Self::Unreachable { retries, .. }
            | Self::Token { retries, .. } => *retries,
            _ => 0,
        }
    }

    /// The HTTP status the registry answered with, when the error is a status error.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Self::Status { status, .. } | Self::Token { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the registry refused a manifest because its tag is immutable and already points
    /// elsewhere. Registries say so in their error message, not with a dedicated code: Artifact
    /// Registry ("The repository has enabled tag immutability"), ECR ("… cannot be overwritten because
    /// the repository is immutable", TAG_INVALID), Harbor ("… configured as immutable", 412).
    pub fn is_immutable_tag(&self) -> bool {
        match self {
            Self::Status {
                op, status, codes, ..
            } => {
                op.action().starts_with("pushing manifest")
                    && status.is_client_error()
                    && codes
                        .as_deref()
                        .is_some_and(|c| c.to_ascii_lowercase().contains("immutab"))
            }
            _ => false,
        }
    }

    /// Records how many retries were spent, for errors that carry the count.
    pub(crate) fn with_retries(mut self, n: u32) -> Self {
        match &mut self {
            Self::Status { retries, .. }
            | Self::Unreachable { retries, .. }
            | Self::Token { retries, .. } => *retries = n,
            _ => {}
        }
        self
    }
}

/// Why one attempt failed, before it is known whether the operation will be retried. Turned into a
/// [`RegistryError`] naming the operation once the retry loop gives up.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The registry answered with an unexpected status.
    Status {
        status: reqwest::StatusCode,
        codes: Option<String>,
        retry_after: Option<std::time::Duration>,
        url: String,
    },
    /// No response: connection, TLS or timeout trouble, or a body stream that broke.
    Transport {
        host: String,
        url: String,
        cause: String,
    },
    /// The token server refused or failed.
    Token {
        realm: String,
        status: reqwest::StatusCode,
        codes: Option<String>,
        retry_after: Option<std::time::Duration>,
    },
    /// Not worth retrying; already a complete error.
    Final(RegistryError),
}

impl Failure {
    pub(crate) fn kind(&self) -> super::retry::FailureKind {
        use super::retry::FailureKind;
        match self {
            Self::Status {
                status, retry_after, ..
            }
            | Self::Token {
                status, retry_after, ..
            } => FailureKind::Status {
                status: status.as_u16(),
                retry_after: *retry_after,
            },
            Self::Transport { .. } => FailureKind::Transport,
            Self::Final(_) => FailureKind::Permanent,
        }
    }

    pub(crate) fn into_error(self, op: &Operation, retries: u32) -> RegistryError {
        match self {
            Self::Status {
                status, codes, url, ..
            } => RegistryError::Status {
                op: op.clone(),
                status,
                codes,
                url,
                retries,
            },
            Self::Transport { host, url, cause } => RegistryError::Unreachable {
                op: op.clone(),
                host,
                url,
                cause,
                retries,
            },
            Self::Token {
                realm, status, codes, ..
            } => RegistryError::Token {
                op: op.clone(),
                realm,
                status,
                codes,
                retries,
            },
            Self::Final(e) => e.with_retries(retries),
        }
    }

    /// A transport failure from a reqwest error, with the full cause chain (reqwest's own message alone
    /// is often just "error sending request").
    pub(crate) fn transport(host: &str, url: &str, error: &reqwest::Error) -> Self {
        let cause = crate::observe::error_chain::error_chain(error);
        // reqwest repeats the URL in its message; the error already names it.
        let cause = cause.replace(&format!(" for url ({url})"), "");
        Self::Transport {
            host: host.to_string(),
            url: url.to_string(),
            cause,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_error_reads_like_the_brief() {
        let e = RegistryError::Status {
            op: Operation::new("pushing blob sha256:abc to", "127.0.0.1:5000", "app"),
            status: reqwest::StatusCode::UNAUTHORIZED,
            codes: Some("UNAUTHORIZED: authentication required".into()),
            url: "http://127.0.0.1:5000/v2/app/blobs/uploads/".into(),
            retries: 0,
        };
        assert_eq!(
            e.to_string(),
            "pushing blob sha256:abc to 127.0.0.1:5000/app: 401 Unauthorized (UNAUTHORIZED: authentication required)"
        );
        let e = e.with_retries(3);
        assert!(e.to_string().ends_with("(gave up after 3 retries)"), "{e}");
        assert_eq!(e.retries(), 3);
    }

    #[test]
    fn immutable_tag_refusals_are_recognised_by_their_message() {
        let refusal = |action: &str, status: u16, codes: &str| RegistryError::Status {
            op: Operation::new(action, "r.example", "app"),
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            codes: Some(codes.into()),
            url: "https://r.example/v2/app/manifests/1".into(),
            retries: 0,
        };
        let manifest = "pushing manifest 1 to";
        for (status, codes) in [
            (400, "TAG_INVALID: The image tag '1' already exists in the 'app' repository and cannot be overwritten because the repository is immutable."),
            (400, "MANIFEST_INVALID: The repository has enabled tag immutability"),
            (412, "PRECONDITION: Failed to process request due to 'app:1' configured as immutable."),
        ] {
            assert!(refusal(manifest, status, codes).is_immutable_tag(), "{codes}");
        }
        assert!(!refusal(manifest, 400, "MANIFEST_INVALID: manifest invalid").is_immutable_tag());
        assert!(!refusal("pushing blob sha256:abc to", 400, "immutable").is_immutable_tag());
        assert!(!refusal(manifest, 503, "immutable").is_immutable_tag());
    }
}
