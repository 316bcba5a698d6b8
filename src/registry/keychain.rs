// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Finding the credential for a registry: which docker config.json to read (`$DOCKER_CONFIG/config.json`,
//! then kaniko's `/kaniko/.docker/config.json`, then `~/.docker/config.json`; the first that exists is used,
//! as docker reads a single file), and running the credential helper it names. Answers are cached per
//! registry so a helper runs once per build.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Mutex;

use super::credential::Credential;
use super::credential_helper::run_helper;
use super::docker_config::{CredentialSource, DockerConfig};
use super::error::{DockerConfigError, RegistryError};
use super::reference::normalize_registry;

/// kaniko's own config location; its executor image sets `DOCKER_CONFIG=/kaniko/.docker`.
pub const KANIKO_DOCKER_CONFIG: &str = "/kaniko/.docker/config.json";

/// Resolves registry credentials from docker config files and credential helpers.
#[derive(Debug, Default)]
pub struct Keychain {
    config_paths: Vec<PathBuf>,
    helper_path: Option<OsString>,
    cache: Mutex<HashMap<String, Credential>>,
}

impl Keychain {
    /// The standard search path, read from the environment once, here.
    pub fn from_env() -> Self {
        let mut paths = Vec::new();
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
            paths.push(PathBuf::from(dir).join("config.json"));
        }
        paths.push(PathBuf::from(KANIKO_DOCKER_CONFIG));
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            paths.push(PathBuf::from(home).join(".docker").join("config.json"));
        }
        Self::with_config_paths(paths)
    }

    /// A keychain reading only these config files (first existing one wins).
    pub fn with_config_paths(paths: Vec<PathBuf>) -> Self {
        Self {
            config_paths: paths,
            helper_path: None,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// A keychain that never finds credentials.
    pub fn anonymous() -> Self {
        Self::with_config_paths(Vec::new())
    }

    /// Looks credential helpers up in `path` instead of `$PATH`.
    pub fn with_helper_path(mut self, path: impl Into<OsString>) -> Self {
        self.helper_path = Some(path.into());
        self
    }

    /// The config files searched, in order.
    pub fn config_paths(&self) -> &[PathBuf] {
        &self.config_paths
    }

    /// The credential for `registry` (a reference's registry name), `Anonymous` when none is configured.
    pub async fn resolve(&self, registry: &str) -> Result<Credential, RegistryError> {
        let key = normalize_registry(registry);
        if let Some(c) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(c);
        }
        let credential = self.lookup(&key).await?;
        tracing::debug!(registry = %key, kind = credential.kind(), username = ?credential.username(), "resolved registry credentials");
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, credential.clone());
        }
        Ok(credential)
    }

    async fn lookup(&self, registry: &str) -> Result<Credential, RegistryError> {
        let Some(path) = self.config_paths.iter().find(|p| p.is_file()) else {
            return Ok(Credential::Anonymous);
        };
        // std::fs, not fs_err: the error names the file already.
        let bytes = std::fs::read(path).map_err(|e| RegistryError::DockerConfig {
            path: path.clone(),
            source: DockerConfigError::Read(e),
        })?;
        let config = DockerConfig::parse(&bytes, path)?;
        match config.source_for(registry, path)? {
            CredentialSource::None => Ok(Credential::Anonymous),
            CredentialSource::Inline(c) => Ok(c),
            CredentialSource::Helper {
                helper,
                server_url,
                fallback,
            } => match run_helper(&helper, &server_url, registry, self.helper_path.as_ref()).await? {
                Some(c) => Ok(c),
                None => Ok(fallback.unwrap_or_default()),
            },
        }
    }
}
