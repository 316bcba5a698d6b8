// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Docker credential helpers: `docker-credential-<name> get` with the server URL on stdin, answering
//! `{"ServerURL":…,"Username":…,"Secret":…}` on stdout (the docker-credential-helpers protocol).

use std::ffi::OsString;
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use super::credential::Credential;
use super::error::{HelperError, RegistryError};

/// A helper that hangs (waiting for a desktop unlock prompt, say) must not hang the build.
const HELPER_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    #[serde(default)]
    username: String,
    #[serde(default)]
    secret: String,
}

/// Runs `docker-credential-<helper> get`. `Ok(None)` when the helper has no credentials for the server.
/// `path` overrides `PATH` for finding the helper (tests put a fake helper first).
pub async fn run_helper(
    helper: &str,
    server_url: &str,
    registry: &str,
    path: Option<&OsString>,
) -> Result<Option<Credential>, RegistryError> {
    let fail = |source: HelperError| RegistryError::CredentialHelper {
        helper: helper.to_string(),
        registry: registry.to_string(),
        source,
    };
    let program = format!("docker-credential-{helper}");
    let mut cmd = tokio::process::Command::new(&program);
    cmd.arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(path) = path {
        // std resolves the program with the child's PATH when it is set explicitly.
        cmd.env("PATH", path);
    }
    let mut child = cmd.spawn().map_err(|source| {
        fail(match source.kind() {
            std::io::ErrorKind::NotFound => HelperError::NotOnPath {
                program: program.clone(),
            },
            _ => HelperError::Start {
                program: program.clone(),
                source,
            },
        })
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading stdin is not an error by itself; its exit status tells.
        let _ = stdin.write_all(server_url.as_bytes()).await;
        drop(stdin);
    }
    let output = tokio::time::timeout(HELPER_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| {
            fail(HelperError::Timeout {
                program: program.clone(),
                seconds: HELPER_TIMEOUT.as_secs(),
            })
        })?
        .map_err(|source| {
            fail(HelperError::Wait {
                program: program.clone(),
                source,
            })
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        // The protocol's "not found" answer is a message on stdout and a failing exit status.
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stdout.contains("credentials not found") || stderr.contains("credentials not found") {
            return Ok(None);
        }
        // Only the first line of stderr: helpers print diagnostics there, never the secret.
        let first = stderr
            .lines()
            .chain(stdout.lines())
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(fail(HelperError::Failed {
            program,
            status: output.status,
            first_line: first.trim().to_string(),
        }));
    }
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout)
        .map_err(|source| fail(HelperError::Answer { program, source }))?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(if answer.username == "<token>" {
        Credential::IdentityToken {
            username: answer.username,
            token: answer.secret,
        }
    } else {
        Credential::Basic {
            username: answer.username,
            password: answer.secret,
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_helper_is_named_with_its_registry() {
        let empty = tempfile::tempdir().unwrap();
        let path = OsString::from(empty.path());
        let err = run_helper("absent", "https://r.example", "r.example", Some(&path))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "credential helper docker-credential-absent for registry r.example: \
             docker-credential-absent is not on PATH"
        );
    }

    #[tokio::test]
    async fn a_helper_answer_that_is_not_json_keeps_the_json_error() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let helper = dir.path().join("docker-credential-garbled");
        std::fs::write(&helper, "#!/bin/sh\necho 'not json'\n").unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = OsString::from(dir.path());
        let err = run_helper("garbled", "https://r.example", "r.example", Some(&path))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains(
                "docker-credential-garbled get printed something that is not its JSON answer: expected"
            ),
            "{err}"
        );
        let json = std::iter::successors(std::error::Error::source(&err), |s| s.source())
            .find_map(|s| s.downcast_ref::<serde_json::Error>());
        assert!(json.is_some(), "{err:?}");
    }
}
