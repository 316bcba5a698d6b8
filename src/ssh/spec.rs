// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--ssh`, in BuildKit's syntax: `ID` (the agent at `$SSH_AUTH_SOCK`), `ID=SOCKET` (that agent)
//! or `ID=KEY[,KEY…]` (private key files). The id a Dockerfile names is usually `default`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One `--ssh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshSpec {
    pub id: String,
    /// An agent socket or key files; empty means the agent at `$SSH_AUTH_SOCK`, which
    /// [`SshSpec::or_agent`] fills in where the flag was given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<PathBuf>,
}

/// Why an `--ssh` value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --ssh {value:?}: {reason}")]
pub struct SshSpecError {
    pub value: String,
    pub reason: String,
}

impl FromStr for SshSpec {
    type Err = SshSpecError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| SshSpecError {
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let (id, paths) = match value.split_once('=') {
            Some((id, paths)) => (id, Some(paths)),
            None => (value, None),
        };
        let id = id.trim();
        if id.is_empty() {
            return Err(fail("no id (expected default, ID, ID=SOCKET or ID=KEY[,KEY…])"));
        }
        if id.contains(',') {
            return Err(fail("an id cannot contain a comma"));
        }
        let paths: Vec<PathBuf> = match paths {
            None => Vec::new(),
            Some(list) => {
                let parts: Vec<&str> = list.split(',').map(str::trim).collect();
                if parts.iter().any(|p| p.is_empty()) {
                    return Err(fail("an empty path"));
                }
                parts.into_iter().map(PathBuf::from).collect()
            }
        };
        Ok(SshSpec {
            id: id.to_string(),
            paths,
        })
    }
}

impl SshSpec {
    /// The spec with `$SSH_AUTH_SOCK` (`auth_sock`) as its path when it names none, as BuildKit
    /// reads it; an error when that is unset too.
    pub fn or_agent(mut self, auth_sock: Option<String>) -> Result<SshSpec, SshSpecError> {
        if self.paths.is_empty() {
            match auth_sock.filter(|s| !s.is_empty()) {
                Some(sock) => self.paths.push(PathBuf::from(sock)),
                None => {
                    return Err(SshSpecError {
                        value: self.id.clone(),
                        reason: format!(
                            "no socket or key given and SSH_AUTH_SOCK is not set: start an agent or \
                             give one (--ssh {}=PATH)",
                            self.id
                        ),
                    })
                }
            }
        }
        Ok(self)
    }
}

impl fmt::Display for SshSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)?;
        for (i, p) in self.paths.iter().enumerate() {
            f.write_str(if i == 0 { "=" } else { "," })?;
            write!(f, "{}", p.display())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buildkit_forms_parse_and_print_back() {
        let spec = |v: &str| v.parse::<SshSpec>().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            spec("default"),
            SshSpec {
                id: "default".into(),
                paths: vec![]
            }
        );
        assert_eq!(
            spec("gh=/run/agent.sock").paths,
            [PathBuf::from("/run/agent.sock")]
        );
        assert_eq!(spec("deploy=/k/a,/k/b").paths.len(), 2);
        for v in ["default", "gh=/run/agent.sock", "deploy=/k/a,/k/b"] {
            assert_eq!(spec(v).to_string(), v);
        }
    }

    #[test]
    fn malformed_values_say_why() {
        for (v, why) in [
            ("", "no id"),
            ("=/x", "no id"),
            ("a=", "empty path"),
            ("a=/x,,/y", "empty path"),
            ("a,b", "comma"),
        ] {
            let e = v.parse::<SshSpec>().unwrap_err().to_string();
            assert!(e.contains(why), "{v}: {e}");
        }
    }

    #[test]
    fn a_bare_id_is_the_agent_at_ssh_auth_sock() {
        let bare: SshSpec = "default".parse().unwrap();
        let got = bare.clone().or_agent(Some("/tmp/agent".into())).unwrap();
        assert_eq!(got.paths, [PathBuf::from("/tmp/agent")]);
        let e = bare.or_agent(None).unwrap_err().to_string();
        assert!(e.contains("SSH_AUTH_SOCK is not set"), "{e}");
        let given: SshSpec = "default=/k".parse().unwrap();
        assert_eq!(given.clone().or_agent(Some("/tmp/agent".into())).unwrap(), given);
    }
}
