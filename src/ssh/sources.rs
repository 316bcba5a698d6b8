// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The `--ssh` sources of a build, checked and read once before any work: a path that is missing,
//! a socket nobody listens on or a key that cannot be used fails the build naming the id and the
//! path, before anything is pulled or run. Debug output shows ids and key fingerprints only.

use std::collections::BTreeMap;
use std::fmt;
use std::os::unix::fs::FileTypeExt as _;
use std::path::PathBuf;
use std::sync::Arc;

use super::agent::AgentBackend;
use super::keys::{KeyError, PrivateKey};
use super::spec::SshSpec;

/// Why an `--ssh` source cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("ssh {id}: {}: {source}", path.display())]
    Read {
        id: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("ssh {id}: {}: {source}", path.display())]
    Key {
        id: String,
        path: PathBuf,
        source: KeyError,
    },
    #[error("ssh {id}: cannot reach the agent at {}: {source}", path.display())]
    Agent {
        id: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("ssh {id}: {} is an agent socket, which must be the id's only path", path.display())]
    SocketAmongKeys { id: String, path: PathBuf },
    #[error("ssh {id}: {} is neither an agent socket nor a key file", path.display())]
    NotAKey { id: String, path: PathBuf },
    #[error("ssh {id}: no socket or key path")]
    NoPath { id: String },
    #[error("ssh {id} is given twice")]
    Duplicate { id: String },
}

/// The agent behind each `--ssh` id.
#[derive(Clone, Default)]
pub struct SshSources {
    by_id: BTreeMap<String, Arc<AgentBackend>>,
}

impl fmt::Debug for SshSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (id, backend) in &self.by_id {
            match &**backend {
                AgentBackend::Keys(keys) => {
                    m.entry(id, &keys.iter().map(PrivateKey::fingerprint).collect::<Vec<_>>())
                }
                AgentBackend::Forward(path) => m.entry(id, path),
            };
        }
        m.finish()
    }
}

impl SshSources {
    /// Checks every source: a socket must accept a connection, a key file must parse.
    pub fn load(specs: &[SshSpec]) -> Result<SshSources, SshError> {
        let mut by_id = BTreeMap::new();
        for spec in specs {
            let backend = backend(spec)?;
            tracing::debug!(id = %spec.id, agent = ?backend, "ssh source ready");
            if by_id.insert(spec.id.clone(), Arc::new(backend)).is_some() {
                return Err(SshError::Duplicate { id: spec.id.clone() });
            }
        }
        Ok(SshSources { by_id })
    }

    pub fn get(&self, id: &str) -> Option<Arc<AgentBackend>> {
        self.by_id.get(id).cloned()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

fn backend(spec: &SshSpec) -> Result<AgentBackend, SshError> {
    let id = || spec.id.clone();
    if spec.paths.is_empty() {
        return Err(SshError::NoPath { id: id() });
    }
    let mut files = Vec::new();
    for path in &spec.paths {
        let meta = std::fs::metadata(path).map_err(|source| SshError::Read {
            id: id(),
            path: path.clone(),
            source,
        })?;
        if meta.file_type().is_socket() {
            if spec.paths.len() > 1 {
                return Err(SshError::SocketAmongKeys {
                    id: id(),
                    path: path.clone(),
                });
            }
            // A stale socket left by an agent that exited fails here, not in the middle of a build.
            std::os::unix::net::UnixStream::connect(path).map_err(|source| SshError::Agent {
                id: id(),
                path: path.clone(),
                source,
            })?;
            return Ok(AgentBackend::Forward(path.clone()));
        }
        if !meta.is_file() {
            return Err(SshError::NotAKey {
                id: id(),
                path: path.clone(),
            });
        }
        files.push(path);
    }
    let mut keys = Vec::new();
    for path in files {
        let bytes = std::fs::read(path).map_err(|source| SshError::Read {
            id: id(),
            path: path.clone(),
            source,
        })?;
        let key = PrivateKey::parse(&bytes, &path.display().to_string()).map_err(|source| SshError::Key {
            id: id(),
            path: path.clone(),
            source,
        })?;
        keys.push(key);
    }
    Ok(AgentBackend::Keys(keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: &str) -> SshSpec {
        v.parse().unwrap()
    }

    #[test]
    fn sources_are_checked_naming_the_id_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("agent.sock");
        let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello").unwrap();
        let sources = SshSources::load(&[spec(&format!("default={}", sock.display()))]).unwrap();
        assert!(matches!(
            sources.get("default").as_deref(),
            Some(AgentBackend::Forward(_))
        ));
        assert!(sources.get("other").is_none());

        let cases = [
            (
                "gone=/nonexistent/agent".to_string(),
                "ssh gone: /nonexistent/agent: No such file",
            ),
            (format!("k={}", text.display()), "ssh k: "),
            (
                format!("d={}", dir.path().display()),
                "neither an agent socket nor a key file",
            ),
            (
                format!("mix={},{}", text.display(), sock.display()),
                "must be the id's only path",
            ),
            ("bare".to_string(), "ssh bare: no socket or key path"),
        ];
        for (value, want) in cases {
            let e = SshSources::load(&[spec(&value)]).unwrap_err().to_string();
            assert!(e.contains(want), "{value}: {e}");
        }
        let twice = format!("a={}", sock.display());
        let e = SshSources::load(&[spec(&twice), spec(&twice)])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "ssh a is given twice");
        drop(listener);
        let e = SshSources::load(&[spec(&twice)]).unwrap_err().to_string();
        assert!(e.contains("cannot reach the agent"), "{e}");
    }
}
