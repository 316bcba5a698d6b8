// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The password of a cosign private key: where it is read (an environment variable, a file, or a
//! value given on the command line), and the value itself, which never prints.
//!
//! A request names the source, not the value, wherever it can: a flag's value shows in process
//! listings, so `COSIGN_PASSWORD` and a password file are the ways the help recommends.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use zeroize::Zeroizing;

use super::SignError;

/// cosign's variable for the key password; ours too, so one secret serves both tools.
pub const PASSWORD_ENV: &str = "COSIGN_PASSWORD";

/// A password held in memory: wiped on drop, `***` when formatted, so that a request or flag
/// structure printed with `{:?}` shows nothing secret.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The bytes the key derivation takes.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Password {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s.to_string()))
    }
}

/// Where the password is read when the key is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// An environment variable (`COSIGN_PASSWORD`); set but empty means an empty password, as in
    /// cosign.
    Env(String),
    /// A file; one trailing newline is not part of the password (`echo secret > file`).
    File(PathBuf),
    /// A value given on the command line.
    Value(Password),
}

impl PasswordSource {
    /// Reads the password. `env` is injectable for tests.
    pub fn read(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Password, SignError> {
        match self {
            Self::Env(name) => env(name).map(Password::new).ok_or_else(|| SignError::NoPassword {
                variable: name.clone(),
            }),
            Self::File(path) => {
                let mut text =
                    Zeroizing::new(fs_err::read_to_string(path).map_err(|source| SignError::Io {
                        what: "reading the key password file",
                        source,
                    })?);
                if text.ends_with('\n') {
                    text.pop();
                    if text.ends_with('\r') {
                        text.pop();
                    }
                }
                Ok(Password::new(std::mem::take(&mut *text)))
            }
            Self::Value(p) => Ok(p.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_formats() {
        let p: Password = "hunter2".parse().unwrap();
        let source = PasswordSource::Value(p.clone());
        assert!(!format!("{p:?} {source:?}").contains("hunter2"));
        assert_eq!(p.expose(), b"hunter2");
    }

    #[test]
    fn a_file_password_loses_one_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\n\n").unwrap();
        let read = PasswordSource::File(path).read(&|_| None).unwrap();
        assert_eq!(read.expose(), b"s3cret\n");
    }

    #[test]
    fn an_unset_variable_is_an_error_and_an_empty_one_a_password() {
        let unset = PasswordSource::Env(PASSWORD_ENV.into()).read(&|_| None);
        assert!(matches!(unset, Err(SignError::NoPassword { .. })));
        let empty = PasswordSource::Env(PASSWORD_ENV.into()).read(&|_| Some(String::new()));
        assert_eq!(empty.unwrap().expose(), b"");
    }
}
