// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Build secrets for the pods: the values read here go into one Kubernetes Secret per run, mounted
//! read-only into every pod at [`SECRETS_DIR`], and the pods' requests read each secret from its
//! file there. The Job spec names the Secret and the files, never a value. Secret keys are
//! positional (`secret-0`, …) because a build secret's id may hold characters a key may not.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;

use super::job::RUN_LABEL;
use crate::secrets::{SecretSource, SecretSpec, Secrets};

/// Where the pods see the run's Secret.
pub const SECRETS_DIR: &str = "/kaniko/secrets";

fn key(index: usize) -> String {
    format!("secret-{index}")
}

/// The name of a run's Secret.
pub fn secret_name(run_id: &str) -> String {
    format!("kaniko-{run_id}-secrets")
}

/// The Secret holding every value of `specs` (loaded in `secrets`), in the order of `specs`.
pub fn run_secret(run_id: &str, specs: &[SecretSpec], secrets: &Secrets) -> Secret {
    let data = specs
        .iter()
        .enumerate()
        .filter_map(|(i, spec)| secrets.get(&spec.id).map(|v| (key(i), ByteString(v.to_vec()))))
        .collect();
    Secret {
        metadata: ObjectMeta {
            name: Some(secret_name(run_id)),
            labels: Some(BTreeMap::from([
                (
                    "app.kubernetes.io/managed-by".to_string(),
                    "kaniko-rs".to_string(),
                ),
                (RUN_LABEL.to_string(), run_id.to_string()),
            ])),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".into()),
        immutable: Some(true),
        data: Some(data),
        ..Secret::default()
    }
}

/// The secrets as a pod reads them: each from its file in the mounted Secret.
pub fn pod_secrets(specs: &[SecretSpec]) -> Vec<SecretSpec> {
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| SecretSpec {
            id: spec.id.clone(),
            source: SecretSource::File(format!("{SECRETS_DIR}/{}", key(i)).into()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_go_to_the_secret_and_pods_read_files() {
        let specs: Vec<SecretSpec> = ["id=npm/rc,env=A", "id=tok,env=B"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let secrets = Secrets::load(&specs, |v| Some(format!("value of {v}"))).unwrap();
        let secret = run_secret("r1", &specs, &secrets);
        assert_eq!(secret.metadata.name.as_deref(), Some("kaniko-r1-secrets"));
        let data = secret.data.unwrap();
        assert_eq!(data["secret-0"].0, b"value of A");
        assert_eq!(data["secret-1"].0, b"value of B");
        let pods = pod_secrets(&specs);
        assert_eq!(pods[0].id, "npm/rc");
        assert_eq!(
            pods[0].source,
            SecretSource::File("/kaniko/secrets/secret-0".into())
        );
        assert_eq!(pods[1].to_string(), "id=tok,src=/kaniko/secrets/secret-1");
    }
}
