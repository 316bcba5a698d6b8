// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--secret`: `id=ID,src=PATH` (a file), `id=ID,env=VAR` (an environment variable), with
//! BuildKit's aliases (`source`), `type=file|env` (with `type=env`, `src` names the variable), and
//! `id=ID` alone meaning the variable ID when it is set, else the file ID.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a secret's value is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
    /// `id=ID` alone: the environment variable ID if set, else the file ID.
    EnvOrFile(String),
}

/// One `--secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSpec {
    pub id: String,
    pub source: SecretSource,
}

/// Why a `--secret` value is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --secret {value:?}: {reason}")]
pub struct SecretSpecError {
    pub value: String,
    pub reason: String,
}

impl FromStr for SecretSpec {
    type Err = SecretSpecError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| SecretSpecError {
            value: value.to_string(),
            reason,
        };
        let (mut id, mut src, mut env, mut kind) = (None, None, None, None);
        for field in value.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            let (key, val) = field
                .split_once('=')
                .ok_or_else(|| fail(format!("field {field:?} must be a key=value pair")))?;
            match key.trim().to_ascii_lowercase().as_str() {
                "id" => id = Some(val.to_string()),
                "src" | "source" => src = Some(val.to_string()),
                "env" => env = Some(val.to_string()),
                "type" => match val {
                    "file" | "env" => kind = Some(val.to_string()),
                    other => return Err(fail(format!("unsupported type {other:?} (expected file or env)"))),
                },
                other => {
                    return Err(fail(format!(
                        "unexpected key {other:?} (expected id, src, source, env or type)"
                    )))
                }
            }
        }
        if kind.as_deref() == Some("env") && env.is_none() {
            env = src.take();
        }
        let id = id
            .filter(|i| !i.is_empty())
            .or_else(|| env.clone())
            .or_else(|| {
                src.as_deref()
                    .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
            })
            .filter(|i| !i.is_empty())
            .ok_or_else(|| fail("no id".into()))?;
        let source = match (src, env) {
            (Some(_), Some(_)) => return Err(fail("give either src or env, not both".into())),
            (Some(path), None) if !path.is_empty() => SecretSource::File(PathBuf::from(path)),
            (None, Some(var)) if !var.is_empty() => SecretSource::Env(var),
            (None, None) if kind.as_deref() == Some("file") => SecretSource::File(PathBuf::from(&id)),
            (None, None) => SecretSource::EnvOrFile(id.clone()),
            _ => return Err(fail("empty src or env".into())),
        };
        Ok(SecretSpec { id, source })
    }
}

impl fmt::Display for SecretSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            SecretSource::File(p) => write!(f, "id={},src={}", self.id, p.display()),
            SecretSource::Env(v) => write!(f, "id={},env={v}", self.id),
            SecretSource::EnvOrFile(_) => write!(f, "id={}", self.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: &str) -> SecretSpec {
        v.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn buildkit_forms_parse() {
        assert_eq!(
            spec("id=npmrc,src=/home/me/.npmrc"),
            SecretSpec {
                id: "npmrc".into(),
                source: SecretSource::File("/home/me/.npmrc".into())
            }
        );
        assert_eq!(
            spec("id=tok,env=API_TOKEN").source,
            SecretSource::Env("API_TOKEN".into())
        );
        assert_eq!(
            spec("type=env,id=tok,src=API_TOKEN").source,
            SecretSource::Env("API_TOKEN".into())
        );
        assert_eq!(spec("source=./aws/credentials").id, "credentials");
        assert_eq!(spec("env=GITHUB_TOKEN").id, "GITHUB_TOKEN");
        assert_eq!(spec("id=X").source, SecretSource::EnvOrFile("X".into()));
        assert_eq!(spec("id=X,type=file").source, SecretSource::File("X".into()));
        for s in ["id=a,src=/p", "id=a,env=V", "id=a"] {
            assert_eq!(spec(s).to_string(), s);
        }
    }

    #[test]
    fn malformed_values_say_why() {
        for (v, why) in [
            ("id=a,src=/p,env=V", "not both"),
            ("id=a,mode=0400", "unexpected key"),
            ("id=a,type=ssh", "unsupported type"),
            ("", "no id"),
            ("npmrc", "key=value"),
            ("id=a,src=", "empty"),
        ] {
            let e = v.parse::<SecretSpec>().unwrap_err().to_string();
            assert!(e.contains(why), "{v}: {e}");
        }
    }
}
