// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Finding and reading the Dockerfile named by `--dockerfile`, with kaniko's lookup rule: the path
//! as given (relative to the current directory) if it exists, else relative to the context root;
//! `-` reads it from standard input.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::error::ContextError;
use super::{BuildContext, ContextSpec};

/// The Dockerfile's text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDockerfile {
    pub contents: String,
    /// A name for messages: the flag as given, the path inside the context, or `<stdin>`.
    pub display_name: String,
    /// Its location on disk (absolute); `None` when read from stdin. Used to find the
    /// Dockerfile-specific `<path>.dockerignore`.
    pub path: Option<PathBuf>,
}

/// Resolves `flag` against the process's current directory and standard input.
pub fn resolve_dockerfile(flag: &str, context: &BuildContext) -> Result<ResolvedDockerfile, ContextError> {
    let cwd = std::env::current_dir().map_err(|e| ContextError::io("reading the current directory", e))?;
    resolve_dockerfile_with(flag, context, &cwd, &mut std::io::stdin())
}

/// [`resolve_dockerfile`] with the current directory and stdin supplied by the caller (tests).
pub fn resolve_dockerfile_with(
    flag: &str,
    context: &BuildContext,
    cwd: &Path,
    stdin: &mut dyn Read,
) -> Result<ResolvedDockerfile, ContextError> {
    let flag = if flag.is_empty() { "Dockerfile" } else { flag };
    if flag == "-" {
        if context.spec() == &ContextSpec::Stdin {
            return Err(ContextError::StdinConflict);
        }
        let mut bytes = Vec::new();
        stdin
            .read_to_end(&mut bytes)
            .map_err(|e| ContextError::io("reading the Dockerfile from stdin", e))?;
        let display_name = "<stdin>".to_string();
        let contents = utf8(bytes, &display_name)?;
        return Ok(ResolvedDockerfile {
            contents,
            display_name,
            path: None,
        });
    }
    if flag.starts_with("http://") || flag.starts_with("https://") {
        return Err(ContextError::NotImplemented {
            what: format!("a Dockerfile URL ({flag})"),
        });
    }
    let in_cwd = cwd.join(flag);
    let in_context = context.root().join(flag.trim_start_matches('/'));
    let (path, display_name) = if in_cwd.exists() {
        (in_cwd, flag.to_string())
    } else if in_context.exists() {
        let shown = in_context
            .strip_prefix(context.root())
            .unwrap_or(&in_context)
            .display()
            .to_string();
        (in_context, shown)
    } else {
        return Err(ContextError::DockerfileNotFound {
            given: flag.to_string(),
            tried_cwd: in_cwd,
            tried_context: in_context,
        });
    };
    let bytes = fs_err::read(&path).map_err(|e| ContextError::io("reading the Dockerfile", e))?;
    let contents = utf8(bytes, &display_name)?;
    tracing::debug!(path = %path.display(), "resolved Dockerfile");
    Ok(ResolvedDockerfile {
        contents,
        display_name,
        path: Some(path),
    })
}

fn utf8(bytes: Vec<u8>, name: &str) -> Result<String, ContextError> {
    let bytes = bytes
        .strip_prefix(&[0xef, 0xbb, 0xbf])
        .map(<[u8]>::to_vec)
        .unwrap_or(bytes);
    String::from_utf8(bytes).map_err(|_| ContextError::DockerfileNotUtf8 {
        name: name.to_string(),
    })
}
