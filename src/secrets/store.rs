// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The values of a build's secrets, read once before any work so a missing file fails the build
//! before it pulls or runs anything. Debug output shows ids, never values.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use super::spec::{SecretSource, SecretSpec};
use super::Redactor;

/// Why a secret's value could not be read (the value itself never appears in it).
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret {id}: reading {}: {source}", path.display())]
    File {
        id: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("secret {id}: the environment variable {var} is not set")]
    Env { id: String, var: String },
    #[error("secret {id} is given twice")]
    Duplicate { id: String },
}

/// Loaded secret values by id.
#[derive(Clone, Default)]
pub struct Secrets {
    values: BTreeMap<String, Vec<u8>>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("ids", &self.values.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Secrets {
    /// Reads every secret; `env` looks up environment variables (the process's in production).
    pub fn load(specs: &[SecretSpec], env: impl Fn(&str) -> Option<String>) -> Result<Secrets, SecretError> {
        let mut values = BTreeMap::new();
        for spec in specs {
            let read_file = |path: PathBuf| {
                std::fs::read(&path).map_err(|source| SecretError::File {
                    id: spec.id.clone(),
                    path,
                    source,
                })
            };
            let value = match &spec.source {
                SecretSource::File(path) => read_file(path.clone())?,
                SecretSource::Env(var) => env(var)
                    .ok_or_else(|| SecretError::Env {
                        id: spec.id.clone(),
                        var: var.clone(),
                    })?
                    .into_bytes(),
                SecretSource::EnvOrFile(name) => match env(name) {
                    Some(v) => v.into_bytes(),
                    None => read_file(PathBuf::from(name))?,
                },
            };
            if values.insert(spec.id.clone(), value).is_some() {
                return Err(SecretError::Duplicate { id: spec.id.clone() });
            }
        }
        Ok(Secrets { values })
    }

    pub fn get(&self, id: &str) -> Option<&[u8]> {
        self.values.get(id).map(Vec::as_slice)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// A redactor for every value, so output that echoes any of them is masked.
    pub fn redactor(&self) -> Redactor {
        Redactor::new(
            self.values
                .values()
                .map(|v| String::from_utf8_lossy(v).into_owned()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_from_files_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("npmrc");
        std::fs::write(&file, "token=abc").unwrap();
        let specs: Vec<SecretSpec> = [
            format!("id=npmrc,src={}", file.display()),
            "id=tok,env=TOKEN".to_string(),
            "id=SET".to_string(),
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let env = |k: &str| match k {
            "TOKEN" => Some("t0k3n".to_string()),
            "SET" => Some("from env".to_string()),
            _ => None,
        };
        let secrets = Secrets::load(&specs, env).unwrap();
        assert_eq!(secrets.get("npmrc"), Some(&b"token=abc"[..]));
        assert_eq!(secrets.get("tok"), Some(&b"t0k3n"[..]));
        assert_eq!(secrets.get("SET"), Some(&b"from env"[..]));
        let debug = format!("{secrets:?}");
        assert!(
            debug.contains("npmrc") && !debug.contains("abc") && !debug.contains("t0k3n"),
            "{debug}"
        );
    }

    #[test]
    fn missing_sources_name_the_id() {
        let missing: SecretSpec = "id=gone,src=/nonexistent/secret".parse().unwrap();
        let e = Secrets::load(&[missing], |_| None).unwrap_err().to_string();
        assert!(e.starts_with("secret gone: reading /nonexistent/secret"), "{e}");
        let unset: SecretSpec = "id=tok,env=UNSET_VAR".parse().unwrap();
        let e = Secrets::load(&[unset], |_| None).unwrap_err().to_string();
        assert_eq!(e, "secret tok: the environment variable UNSET_VAR is not set");
        let twice: Vec<SecretSpec> = ["id=a,env=A", "id=a,env=A"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let e = Secrets::load(&twice, |_| Some("v".into()))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "secret a is given twice");
    }
}
