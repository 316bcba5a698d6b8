// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A credential for one registry, with a `Debug` that never prints secrets (so a stray `{:?}` in a log
//! line cannot leak a password or token).

use std::fmt;

/// What we can present to a registry or its token server.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Credential {
    /// No credentials: anonymous pulls, or a registry that needs none.
    #[default]
    Anonymous,
    /// Username and password (or a personal access token used as password).
    Basic { username: String, password: String },
    /// An OAuth2 refresh token (`identitytoken` in config.json, or a helper answering username `<token>`),
    /// exchanged at the token server with `grant_type=refresh_token`.
    IdentityToken { username: String, token: String },
    /// A bearer token sent to the registry as is (`registrytoken` in config.json).
    RegistryToken(String),
}

impl Credential {
    /// The username to show in logs, never the secret.
    pub fn username(&self) -> Option<&str> {
        match self {
            Self::Basic { username, .. } | Self::IdentityToken { username, .. } => Some(username),
            _ => None,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        matches!(self, Self::Anonymous)
    }

    /// The kind of credential, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Anonymous => "no credentials",
            Self::Basic { .. } => "username and password",
            Self::IdentityToken { .. } => "an identity token",
            Self::RegistryToken(_) => "a registry token",
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Basic { username, .. } => {
                write!(f, "Basic {{ username: {username:?}, password: <redacted> }}")
            }
            Self::IdentityToken { username, .. } => {
                write!(f, "IdentityToken {{ username: {username:?}, token: <redacted> }}")
            }
            Self::RegistryToken(_) => f.write_str("RegistryToken(<redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let creds = [
            Credential::Basic {
                username: "u".into(),
                password: "hunter2".into(),
            },
            Credential::IdentityToken {
                username: "<token>".into(),
                token: "hunter2".into(),
            },
            Credential::RegistryToken("hunter2".into()),
        ];
        for c in creds {
            let s = format!("{c:?}");
            assert!(!s.contains("hunter2"), "{s}");
            assert!(s.contains("redacted"), "{s}");
        }
    }
}
