// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--provenance`: a SLSA v1 build provenance (an in-toto statement) for the pushed image, in a
//! DSSE envelope signed with the signing key when signing is on, attached as cosign attaches an
//! attestation: a layer of the image tagged `sha256-<hex>.att` next to the image.
//!
//! What it records: the image's digest (the subject), the Dockerfile's digest, the base images'
//! digests, the build arguments (never `--secret` values, which are not build arguments), the
//! target, the platform, our version, and the CI run's facts from `GITHUB_*` / `CI_*` variables.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::attach::{attach_layer, stored_layers, LayerKind, SIGNATURE_ANNOTATION};
use super::key::{SigningKey, VerifyingKey};
use super::SignError;
use crate::image::Digest;
use crate::registry::{Reference, RegistryClient};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
pub const BUILD_TYPE: &str = "https://github.com/kaniko-rs/kaniko-rs/build/v1";
pub const BUILDER_ID: &str = "https://github.com/kaniko-rs/kaniko-rs";
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// cosign's annotation naming an attestation layer's predicate type.
pub const PREDICATE_ANNOTATION: &str = "predicateType";

/// The attestation image: `sha256-<hex>.att`, one DSSE layer per attestation.
pub const ATTESTATION: LayerKind = LayerKind {
    suffix: "att",
    media_type: DSSE_MEDIA_TYPE,
};

/// The CI variables a provenance records when they are set: which run built the image, from which
/// commit. Tokens and credentials are never among them.
pub const CI_VARIABLES: &[&str] = &[
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_WORKFLOW",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "CI_SERVER_URL",
    "CI_PROJECT_PATH",
    "CI_COMMIT_SHA",
    "CI_COMMIT_REF_NAME",
    "CI_PIPELINE_ID",
    "CI_JOB_ID",
    "CI_JOB_URL",
];

/// What the command line knows for the provenance: the CI facts of this environment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenanceFacts {
    pub ci: BTreeMap<String, String>,
}

impl ProvenanceFacts {
    /// The [`CI_VARIABLES`] set in `env`.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let ci = CI_VARIABLES
            .iter()
            .filter_map(|k| env(k).filter(|v| !v.is_empty()).map(|v| (k.to_string(), v)))
            .collect();
        Self { ci }
    }
}

/// A base image a stage started from, as resolved for the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseImage {
    /// The name in the Dockerfile, arguments expanded.
    pub name: String,
    /// The manifest digest for the stage's platform.
    pub digest: Digest,
}

/// Everything one build's provenance is made of (the build's own inputs, not its request type,
/// so signing does not depend on the builder).
pub struct Provenance<'a> {
    pub build_args: &'a BTreeMap<String, String>,
    pub platform: String,
    pub target: Option<&'a str>,
    /// The Dockerfile as the build was asked for it.
    pub dockerfile_name: &'a str,
    /// The Dockerfile as read (`None` for standard input, whose bytes are gone by now).
    pub dockerfile: Option<&'a Path>,
    pub bases: &'a [BaseImage],
    pub facts: &'a ProvenanceFacts,
}

fn sha256_map(hex: &str) -> serde_json::Value {
    serde_json::json!({ "sha256": hex })
}

impl Provenance<'_> {
    /// The in-toto statement for `digest` pushed to `repository`.
    pub fn statement(&self, repository: &str, digest: &Digest) -> Result<Vec<u8>, SignError> {
        let mut parameters = serde_json::json!({
            "buildArgs": self.build_args,
            "platform": self.platform,
        });
        if let Some(target) = self.target {
            parameters["target"] = target.into();
        }
        if let Some(path) = self.dockerfile {
            let bytes = fs_err::read(path).map_err(|source| SignError::Io {
                what: "reading the Dockerfile for the provenance",
                source,
            })?;
            parameters["dockerfile"] = serde_json::json!({
                "path": self.dockerfile_name,
                "digest": sha256_map(&hex::encode(sha2::Sha256::digest(&bytes))),
            });
        }
        let dependencies: Vec<_> = self
            .bases
            .iter()
            .map(|b| serde_json::json!({ "uri": format!("docker://{}", b.name), "digest": sha256_map(b.digest.hex()) }))
            .collect();
        let statement = serde_json::json!({
            "_type": STATEMENT_TYPE,
            "subject": [{ "name": repository, "digest": sha256_map(digest.hex()) }],
            "predicateType": PREDICATE_TYPE,
            "predicate": {
                "buildDefinition": {
                    "buildType": BUILD_TYPE,
                    "externalParameters": parameters,
                    "internalParameters": { "ci": self.facts.ci },
                    "resolvedDependencies": dependencies,
                },
                "runDetails": {
                    "builder": { "id": BUILDER_ID, "version": { "kaniko-rs": crate::version::VERSION } },
                    "metadata": { "invocationId": invocation_id(&self.facts.ci) },
                },
            },
        });
        serde_json::to_vec(&statement).map_err(|e| SignError::Signing(e.to_string()))
    }
}

/// The CI run's address, when the variables name one.
fn invocation_id(ci: &BTreeMap<String, String>) -> Option<String> {
    let get = |k: &str| ci.get(k).map(String::as_str);
    match (
        get("GITHUB_SERVER_URL"),
        get("GITHUB_REPOSITORY"),
        get("GITHUB_RUN_ID"),
    ) {
        (Some(server), Some(repo), Some(run)) => Some(format!("{server}/{repo}/actions/runs/{run}")),
        _ => get("CI_JOB_URL").map(str::to_string),
    }
}

/// DSSE's pre-authentication encoding: what is signed instead of the bare payload.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub payload_type: String,
    /// base64 of the statement.
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    #[serde(default)]
    pub keyid: String,
    /// base64 of the signature of the PAE.
    pub sig: String,
}

/// Wraps `statement` in an envelope, signed with `key` when there is one.
pub fn envelope(statement: &[u8], key: Option<&SigningKey>) -> Result<Vec<u8>, SignError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let signatures = match key {
        Some(key) => vec![EnvelopeSignature {
            keyid: String::new(),
            sig: b64.encode(key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, statement))?),
        }],
        None => Vec::new(),
    };
    let envelope = Envelope {
        payload_type: IN_TOTO_PAYLOAD_TYPE.to_string(),
        payload: b64.encode(statement),
        signatures,
    };
    serde_json::to_vec(&envelope).map_err(|e| SignError::Signing(e.to_string()))
}

/// Attaches the provenance of `digest` in each destination repository, after the push (and the
/// signature, when signing is on). A failure names the digest left without one.
pub async fn attest_pushed(
    registry: &RegistryClient,
    key: Option<&SigningKey>,
    destinations: &[Reference],
    digest: &Digest,
    provenance: &Provenance<'_>,
) -> Result<(), SignError> {
    in_each_repository(
        destinations,
        digest,
        "provenance attached",
        |destination, repository| async move {
            let envelope = envelope(&provenance.statement(&repository, digest)?, key)?;
            // cosign reads every layer's signature annotation, empty for an attestation (the
            // signature is inside the envelope).
            let annotations = BTreeMap::from([
                (PREDICATE_ANNOTATION.to_string(), PREDICATE_TYPE.to_string()),
                (SIGNATURE_ANNOTATION.to_string(), String::new()),
            ]);
            put_envelope(registry, destination, digest, &envelope, annotations, None).await
        },
    )
    .await
}

/// Signs the unsigned provenance a platform build attached to `digest`: the builds of a
/// multi-platform run hold no key (Kubernetes pods never see it), so the coordinator signs what
/// they attached as it signs their manifests. In each destination, the unsigned envelope whose
/// statement names `digest` is replaced by the same statement signed with `key`.
pub async fn sign_attached(
    registry: &RegistryClient,
    key: &SigningKey,
    destinations: &[Reference],
    digest: &Digest,
) -> Result<(), SignError> {
    in_each_repository(
        destinations,
        digest,
        "provenance signed",
        |destination, _| async move {
            let layers = stored_layers(registry, destination, digest, &ATTESTATION)
                .await?
                .unwrap_or_default();
            let mut signed = 0;
            for layer in layers {
                let Some(statement) = unsigned_statement(&layer.payload, digest) else {
                    continue;
                };
                let envelope = envelope(&statement, Some(key))?;
                put_envelope(
                    registry,
                    destination,
                    digest,
                    &envelope,
                    layer.annotations,
                    Some(&layer.digest),
                )
                .await?;
                signed += 1;
            }
            match signed {
                0 => Err(SignError::Signing(
                    "the platform's build attached no unsigned provenance naming it".into(),
                )),
                _ => Ok(()),
            }
        },
    )
    .await
}

/// Runs `work` for each destination (with its repository's name), in order; a failure names the
/// digest and the repository left without a provenance, success is logged as `done`.
async fn in_each_repository<'a, W, F>(
    destinations: &'a [Reference],
    digest: &Digest,
    done: &str,
    work: W,
) -> Result<(), SignError>
where
    W: Fn(&'a Reference, String) -> F,
    F: std::future::Future<Output = Result<(), SignError>>,
{
    for destination in destinations {
        let repository = destination.repository_url();
        work(destination, repository.clone())
            .await
            .map_err(|source| SignError::NoProvenance {
                digest: digest.clone(),
                repository: repository.clone(),
                source: Box::new(source),
            })?;
        tracing::info!(%repository, %digest, "{done}");
    }
    Ok(())
}

/// Puts `envelope` into the attestation image of `digest` (replacing the layer `replacing`).
async fn put_envelope(
    registry: &RegistryClient,
    destination: &Reference,
    digest: &Digest,
    envelope: &[u8],
    annotations: BTreeMap<String, String>,
    replacing: Option<&Digest>,
) -> Result<(), SignError> {
    attach_layer(
        registry,
        destination,
        digest,
        &ATTESTATION,
        envelope,
        annotations,
        replacing,
    )
    .await
    .map(|_| ())
}

/// The statement of an unsigned SLSA provenance envelope whose subject is `digest`.
fn unsigned_statement(envelope: &[u8], digest: &Digest) -> Option<Vec<u8>> {
    let envelope: Envelope = serde_json::from_slice(envelope).ok()?;
    if !envelope.signatures.is_empty() || envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return None;
    }
    let statement = base64::engine::general_purpose::STANDARD
        .decode(&envelope.payload)
        .ok()?;
    names_subject(&statement, digest).then_some(statement)
}

/// Whether `statement` is a SLSA provenance whose subject is `digest`.
fn names_subject(statement: &[u8], digest: &Digest) -> bool {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(statement) else {
        return false;
    };
    let names_digest = doc["subject"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s["digest"]["sha256"] == digest.hex()));
    doc["predicateType"] == PREDICATE_TYPE && names_digest
}

/// Checks that `digest` in `repository` has a provenance signed by `key` whose subject is
/// `digest`; returns why not otherwise.
pub async fn verify_provenance(
    registry: &RegistryClient,
    repository: &Reference,
    digest: &Digest,
    key: &VerifyingKey,
) -> Result<Result<(), String>, SignError> {
    let Some(layers) = stored_layers(registry, repository, digest, &ATTESTATION).await? else {
        return Ok(Err(format!("{digest} has no provenance attestation")));
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    for layer in layers {
        let Ok(envelope) = serde_json::from_slice::<Envelope>(&layer.payload) else {
            continue;
        };
        let Ok(statement) = b64.decode(&envelope.payload) else {
            continue;
        };
        let signed = envelope
            .signatures
            .iter()
            .any(|s| key.verifies(&s.sig, &pae(&envelope.payload_type, &statement)));
        if signed && names_subject(&statement, digest) {
            return Ok(Ok(()));
        }
    }
    Ok(Err(format!(
        "{digest}: no provenance attestation verifies with this key and names this digest"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_dsses() {
        assert_eq!(pae("t", b"ab"), b"DSSEv1 1 t 2 ab");
    }

    #[test]
    fn ci_facts_come_from_the_listed_variables_only() {
        let env = |k: &str| match k {
            "GITHUB_SHA" => Some("abc".to_string()),
            "GITHUB_TOKEN" => Some("secret".to_string()),
            "CI_JOB_URL" => Some(String::new()),
            _ => None,
        };
        let facts = ProvenanceFacts::from_env(&env);
        assert_eq!(
            facts.ci,
            BTreeMap::from([("GITHUB_SHA".to_string(), "abc".to_string())])
        );
    }
}
