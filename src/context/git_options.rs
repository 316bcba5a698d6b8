// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! kaniko's `--git` options: how a `git://` context is cloned (branch, single branch, submodules,
//! TLS verification). Parsed and validated here so a typo fails at start-up; the clone itself belongs
//! to the git context source, which reads them from the build request.

use serde::{Deserialize, Serialize};

/// The options of a git context clone. Defaults are kaniko's: the remote's default branch, all
/// branches, no submodules, TLS verified.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitOptions {
    /// `branch=NAME`: the branch to clone (a `#REF` in the context URL names a ref as well).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// `single-branch=true`: fetch only that branch's history.
    #[serde(default)]
    pub single_branch: bool,
    /// `recurse-submodules=true`: clone submodules too.
    #[serde(default)]
    pub recurse_submodules: bool,
    /// `insecure-skip-tls=true`: do not verify the git server's certificate.
    #[serde(default)]
    pub insecure_skip_tls: bool,
}

/// A `--git` value that is not one of kaniko's `KEY=VALUE` options.
#[derive(Debug, thiserror::Error)]
#[error("invalid --git {value:?}: {reason}")]
pub struct GitOptionError {
    value: String,
    reason: String,
}

impl GitOptions {
    /// Applies `--git` values in order (a later value of the same key wins, as in kaniko). Unlike
    /// kaniko, which ignores keys it does not know, an unknown key is an error: a misspelt
    /// `recurse-submodule=true` would otherwise clone without submodules and say nothing.
    pub fn parse(values: &[String]) -> Result<Self, GitOptionError> {
        let mut options = Self::default();
        for value in values {
            let fail = |reason: String| GitOptionError {
                value: value.clone(),
                reason,
            };
            let (key, v) = value.split_once('=').ok_or_else(|| {
                fail("expected KEY=VALUE with KEY one of branch, single-branch, recurse-submodules, insecure-skip-tls".into())
            })?;
            let flag =
                || parse_go_bool(v).ok_or_else(|| fail(format!("{key} takes true or false, not {v:?}")));
            match key.trim() {
                "branch" => options.branch = Some(v.to_string()).filter(|b| !b.is_empty()),
                "single-branch" => options.single_branch = flag()?,
                "recurse-submodules" => options.recurse_submodules = flag()?,
                "insecure-skip-tls" => options.insecure_skip_tls = flag()?,
                other => {
                    return Err(fail(format!(
                        "unknown key {other:?}; expected branch, single-branch, recurse-submodules or insecure-skip-tls"
                    )))
                }
            }
        }
        Ok(options)
    }

    /// Whether every option is kaniko's default (nothing asked of a clone).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Go's `strconv.ParseBool`, which kaniko uses for these values (and for `KANIKO_NO_PUSH`).
pub fn parse_go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&str]) -> Result<GitOptions, String> {
        let owned: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        GitOptions::parse(&owned).map_err(|e| e.to_string())
    }

    #[test]
    fn kaniko_keys_parse_and_later_values_win() {
        let o = parse(&[
            "branch=release/1.x",
            "single-branch=true",
            "recurse-submodules=T",
            "insecure-skip-tls=1",
            "single-branch=false",
        ])
        .unwrap();
        assert_eq!(
            o,
            GitOptions {
                branch: Some("release/1.x".into()),
                single_branch: false,
                recurse_submodules: true,
                insecure_skip_tls: true,
            }
        );
        assert!(parse(&[]).unwrap().is_default());
    }

    #[test]
    fn malformed_values_name_the_value_and_the_fix() {
        for (bad, expect) in [
            ("branch", "expected KEY=VALUE"),
            ("single-branch=yes", "takes true or false"),
            ("recurse-submodule=true", "unknown key \"recurse-submodule\""),
        ] {
            let e = parse(&[bad]).unwrap_err();
            assert!(
                e.starts_with(&format!("invalid --git {bad:?}")) && e.contains(expect),
                "{e}"
            );
        }
    }
}
