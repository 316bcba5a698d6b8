// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The agent a step talks to: a unix socket we own, served for the length of one RUN, that
//! answers the two requests an SSH client makes of an agent (list the identities, sign with one)
//! from the keys of `--ssh ID=KEYFILE`, or passes them to the agent of `--ssh ID=SOCKET`. Every
//! other request (adding, removing or locking keys, extensions) gets SSH_AGENT_FAILURE, so a step
//! can use a forwarded agent but not change it, as BuildKit's read-only forwarding does.
//!
//! Serving our own socket even for a forwarded agent lets the socket carry the mount's mode and
//! owner, which a bind mount of the user's socket could not change, and keeps the user's agent
//! reachable inside a user namespace that does not map its owner.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{UnixListener, UnixStream};

use super::keys::PrivateKey;
use super::wire::{Reader, Writer};

/// OpenSSH's cap on an agent message; a longer one ends the connection.
const MAX_MESSAGE: u32 = 256 * 1024;

const FAILURE: u8 = 5;
const REQUEST_IDENTITIES: u8 = 11;
const IDENTITIES_ANSWER: u8 = 12;
const SIGN_REQUEST: u8 = 13;
const SIGN_RESPONSE: u8 = 14;

/// What answers an id's agent requests.
#[derive(Debug)]
pub enum AgentBackend {
    /// Keys read from files, answered here.
    Keys(Vec<PrivateKey>),
    /// An agent socket on this machine, asked on the step's behalf.
    Forward(PathBuf),
}

/// A served agent socket. Dropping it stops the agent, ends its connections and removes the socket.
#[derive(Debug)]
pub struct AgentSocket {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl AgentSocket {
    /// Serves `backend` on a new socket at `path` with `mode` and, where the ids are mapped,
    /// `uid`/`gid`. Call inside the runtime.
    pub fn serve(
        backend: Arc<AgentBackend>,
        path: &Path,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> std::io::Result<AgentSocket> {
        let listener = bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        // A rootless namespace may not map the id; the socket stays ours (the step's root) then.
        let _ = std::os::unix::fs::chown(path, Some(uid), Some(gid));
        let task = tokio::spawn(accept(listener, backend));
        Ok(AgentSocket {
            path: path.to_path_buf(),
            task,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for AgentSocket {
    fn drop(&mut self) {
        self.task.abort();
        if let Err(e) = std::fs::remove_file(&self.path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!("removing the ssh agent socket {}: {e}", self.path.display());
            }
        }
    }
}

/// Binds a listener at `path`, through the directory's `/proc/self/fd` entry when the path is
/// longer than a socket address holds (a deep --kaniko-dir).
fn bind(path: &Path) -> std::io::Result<UnixListener> {
    const SUN_PATH_MAX: usize = 107;
    if path.as_os_str().len() <= SUN_PATH_MAX {
        return UnixListener::bind(path);
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return UnixListener::bind(path);
    };
    let dir = std::fs::File::open(dir)?;
    use std::os::fd::AsRawFd as _;
    let short = Path::new("/proc/self/fd")
        .join(dir.as_raw_fd().to_string())
        .join(name);
    UnixListener::bind(short)
}

/// Accepts connections until aborted; the connections are aborted with it.
async fn accept(listener: UnixListener, backend: Arc<AgentBackend>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, backend.clone()));
                }
                Err(e) => {
                    tracing::warn!("ssh agent socket: accepting a connection: {e}");
                    return;
                }
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

/// Answers one client's requests, one at a time (the protocol is strictly request and reply).
async fn connection(mut client: UnixStream, backend: Arc<AgentBackend>) {
    let mut upstream: Option<UnixStream> = None;
    while let Some(request) = read_message(&mut client).await {
        let reply = match &*backend {
            AgentBackend::Keys(keys) => answer(keys, &request),
            AgentBackend::Forward(socket) => relay(socket, &mut upstream, &request).await,
        };
        if write_message(&mut client, &reply).await.is_err() {
            return;
        }
    }
}

async fn read_message(stream: &mut UnixStream) -> Option<Vec<u8>> {
    let len = stream.read_u32().await.ok()?;
    if len == 0 || len > MAX_MESSAGE {
        return None;
    }
    let mut body = vec![0; len as usize];
    stream.read_exact(&mut body).await.ok()?;
    Some(body)
}

async fn write_message(stream: &mut UnixStream, body: &[u8]) -> std::io::Result<()> {
    let framed = Writer::default().string(body).finish();
    stream.write_all(&framed).await
}

/// The reply to `request` from our own keys.
pub fn answer(keys: &[PrivateKey], request: &[u8]) -> Vec<u8> {
    let mut r = Reader::new(request);
    match r.u8() {
        Ok(REQUEST_IDENTITIES) => {
            let mut w = Writer::default()
                .u8(IDENTITIES_ANSWER)
                .u32(u32::try_from(keys.len()).unwrap_or(0));
            for key in keys {
                w = w.string(key.public_blob()).string(key.comment().as_bytes());
            }
            w.finish()
        }
        Ok(SIGN_REQUEST) => {
            let (Ok(blob), Ok(data), Ok(flags)) = (r.string(), r.string(), r.u32()) else {
                return vec![FAILURE];
            };
            let signed = keys
                .iter()
                .find(|k| k.public_blob() == blob)
                .and_then(|k| k.sign(data, flags));
            match signed {
                Some(sig) => Writer::default().u8(SIGN_RESPONSE).string(&sig).finish(),
                None => vec![FAILURE],
            }
        }
        _ => vec![FAILURE],
    }
}

/// Passes a list or sign request to the agent at `socket` (connected on first use, one
/// connection per client connection) and returns its reply; refuses everything else.
async fn relay(socket: &Path, upstream: &mut Option<UnixStream>, request: &[u8]) -> Vec<u8> {
    if !matches!(request.first(), Some(&REQUEST_IDENTITIES) | Some(&SIGN_REQUEST)) {
        return vec![FAILURE];
    }
    if upstream.is_none() {
        match UnixStream::connect(socket).await {
            Ok(s) => *upstream = Some(s),
            Err(e) => {
                tracing::warn!("ssh agent {}: {e}", socket.display());
                return vec![FAILURE];
            }
        }
    }
    let Some(stream) = upstream.as_mut() else {
        return vec![FAILURE];
    };
    let replied = match write_message(stream, request).await {
        Ok(()) => read_message(stream).await,
        Err(_) => None,
    };
    replied.unwrap_or_else(|| {
        *upstream = None;
        vec![FAILURE]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn ask(path: &Path, request: &[u8]) -> Vec<u8> {
        // A path too long for a socket address is reached through its directory's descriptor.
        let dir = std::fs::File::open(path.parent().unwrap()).unwrap();
        use std::os::fd::AsRawFd as _;
        let short = Path::new("/proc/self/fd")
            .join(dir.as_raw_fd().to_string())
            .join(path.file_name().unwrap());
        let mut s = UnixStream::connect(short).await.unwrap();
        write_message(&mut s, request).await.unwrap();
        read_message(&mut s).await.unwrap()
    }

    #[tokio::test]
    async fn an_agent_without_keys_lists_none_and_refuses_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.sock");
        let agent = AgentSocket::serve(Arc::new(AgentBackend::Keys(Vec::new())), &path, 0o600, 0, 0).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o600);
        assert_eq!(
            ask(&path, &[REQUEST_IDENTITIES]).await,
            [IDENTITIES_ANSWER, 0, 0, 0, 0]
        );
        // Add identity (17), lock (22), an extension (27), a sign request for no key.
        for request in [
            &[17u8][..],
            &[22],
            &[27],
            &[SIGN_REQUEST, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ] {
            assert_eq!(ask(&path, request).await, [FAILURE], "{request:?}");
        }
        drop(agent);
        assert!(!path.exists(), "the socket is removed with the agent");
    }

    #[tokio::test]
    async fn forwarding_passes_only_list_and_sign() {
        let dir = tempfile::tempdir().unwrap();
        // The "user's agent": answers every request with its type plus 100.
        let upstream = dir.path().join("upstream.sock");
        let listener = UnixListener::bind(&upstream).unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    while let Some(m) = read_message(&mut s).await {
                        write_message(&mut s, &[m[0] + 100]).await.unwrap();
                    }
                });
            }
        });
        let path = dir.path().join("a".repeat(120));
        std::fs::create_dir(&path).unwrap();
        let path = path.join("agent.sock");
        let agent =
            AgentSocket::serve(Arc::new(AgentBackend::Forward(upstream)), &path, 0o660, 0, 0).unwrap();
        assert!(path.exists(), "a long path is bound through /proc/self/fd");
        assert_eq!(ask(&path, &[REQUEST_IDENTITIES]).await, [111]);
        assert_eq!(ask(&path, &[SIGN_REQUEST, 1]).await, [113]);
        assert_eq!(ask(&path, &[19]).await, [FAILURE], "remove-all is not forwarded");
        drop(agent);
    }
}
