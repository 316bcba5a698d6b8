// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! What a build asks of the layer cache: kaniko's `--cache*` flags as the library's own input.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::platform::Platform;
use crate::registry::Reference;

/// kaniko's `--cache-ttl` default: two weeks.
pub const DEFAULT_TTL_SECS: u64 = 336 * 3600;
/// kaniko's `--cache-dir` default.
pub const DEFAULT_CACHE_DIR: &str = "/cache";

/// Where cache entries live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheRepo {
    /// A registry repository (`--cache-repo registry.example/team/app/cache`).
    Registry(String),
    /// An OCI image layout directory (`--cache-repo oci:/path`).
    Layout(PathBuf),
}

impl CacheRepo {
    /// Parses `--cache-repo`: `oci:/path` for a layout, else a repository name (a tag or digest
    /// is refused: entries are tagged by their keys).
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(path) = text.strip_prefix("oci:") {
            if path.is_empty() {
                return Err("oci: needs a directory, e.g. oci:/cache/layout".into());
            }
            return Ok(Self::Layout(PathBuf::from(path)));
        }
        // A tag or digest would be silently replaced by the entries' own tags.
        let last = text.rsplit('/').next().unwrap_or(text);
        if text.contains('@') || (text.contains('/') && last.contains(':')) {
            return Err(format!(
                "{text:?} names a tag or digest; give the repository only (entries are tagged by their keys)"
            ));
        }
        let reference = Reference::parse(text).map_err(|e| e.to_string())?;
        Ok(Self::Registry(reference.repository_url()))
    }

    /// This repository with the per-architecture suffix of `platform` (`-amd64`, `-arm64-v8`):
    /// a layout gets its own subdirectory instead.
    pub fn for_platform(&self, platform: &Platform) -> Self {
        let suffix = platform_suffix(platform);
        match self {
            Self::Registry(repo) => Self::Registry(format!("{repo}-{suffix}")),
            Self::Layout(dir) => {
                let mut name = dir.file_name().map(|n| n.to_os_string()).unwrap_or_default();
                name.push(format!("-{suffix}"));
                Self::Layout(dir.with_file_name(name))
            }
        }
    }
}

impl std::fmt::Display for CacheRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Registry(r) => f.write_str(r),
            Self::Layout(p) => write!(f, "oci:{}", p.display()),
        }
    }
}

/// `amd64`, `arm64`, `arm-v7`: the architecture and variant, lower case, for repository names.
fn platform_suffix(platform: &Platform) -> String {
    let p = platform.clone().normalized();
    match &p.variant {
        Some(v) if !(v.is_empty() || p.architecture == "arm64" && v == "v8") => {
            format!("{}-{}", p.architecture, v).to_lowercase()
        }
        _ => p.architecture.to_lowercase(),
    }
}

/// The layer cache's settings. Field defaults are kaniko's flag defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheOptions {
    /// `--cache`: look steps up in the cache and store the ones that ran.
    pub enabled: bool,
    /// `--cache-repo`; when absent, `<first destination's repository>/cache`.
    pub repo: Option<CacheRepo>,
    /// `--cache-dir`: base images (from `kaniko warmer`) and layer blobs kept on this machine.
    pub dir: PathBuf,
    /// `--cache-ttl`, in seconds: older entries are misses.
    pub ttl_secs: u64,
    /// `--cache-copy-layers`: COPY and ADD layers are cached too (kaniko's default: off).
    pub copy_layers: bool,
    /// `--cache-run-layers`: RUN layers are cached (default on).
    pub run_layers: bool,
    /// `--compressed-caching`: accepted for kaniko's pipelines; memory stays flat either way.
    pub compressed: bool,
    /// `--no-push-cache` turns this off: steps are looked up but new entries are not stored.
    pub push: bool,
    /// `--arch-cache-repo-suffix`: one cache repository per architecture (`<repo>-amd64`).
    pub arch_suffix: bool,
    /// `--run-cache-dir`: where `RUN --mount=type=cache` directories live; `<dir>/run-cache` when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_cache_dir: Option<PathBuf>,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            enabled: false,
            repo: None,
            dir: PathBuf::from(DEFAULT_CACHE_DIR),
            ttl_secs: DEFAULT_TTL_SECS,
            copy_layers: false,
            run_layers: true,
            compressed: true,
            push: true,
            arch_suffix: false,
            run_cache_dir: None,
        }
    }
}

impl CacheOptions {
    /// The root of `RUN --mount=type=cache` directories: `--run-cache-dir`, or `<--cache-dir>/run-cache`.
    pub fn run_cache_root(&self) -> PathBuf {
        self.run_cache_dir
            .clone()
            .unwrap_or_else(|| self.dir.join("run-cache"))
    }

    /// Where cache mounts go when the default root cannot be created (an ordinary user, where
    /// `/cache` belongs to root): the user's own cache directory, `$XDG_CACHE_HOME` or
    /// `$HOME/.cache`, under `kaniko-rs/run-cache`. `None` when a root was chosen explicitly.
    pub fn user_run_cache_root(&self, env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
        if self.run_cache_dir.is_some() || self.dir != std::path::Path::new(DEFAULT_CACHE_DIR) {
            return None;
        }
        let base = env("XDG_CACHE_HOME")
            .filter(|v| v.starts_with('/'))
            .map(PathBuf::from)
            .or_else(|| {
                env("HOME")
                    .filter(|v| v.starts_with('/'))
                    .map(|h| PathBuf::from(h).join(".cache"))
            })?;
        Some(base.join("kaniko-rs").join("run-cache"))
    }

    /// The repository this build's entries live in for `platform`: `--cache-repo`, or
    /// `<first destination>/cache`, with the architecture suffix when asked. `None` when the cache
    /// is off or there is nowhere to keep entries (no --cache-repo and no destination).
    pub fn repo_for(&self, destinations: &[Reference], platform: &Platform) -> Option<CacheRepo> {
        if !self.enabled {
            return None;
        }
        let repo = match &self.repo {
            Some(r) => r.clone(),
            None => CacheRepo::Registry(format!("{}/cache", destinations.first()?.repository_url())),
        };
        Some(if self.arch_suffix {
            repo.for_platform(platform)
        } else {
            repo
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_mounts_fall_back_to_the_users_cache_only_from_the_default() {
        let env = |v: &str| match v {
            "HOME" => Some("/home/me".to_string()),
            _ => None,
        };
        let default = CacheOptions::default();
        assert_eq!(default.run_cache_root(), PathBuf::from("/cache/run-cache"));
        assert_eq!(
            default.user_run_cache_root(env),
            Some(PathBuf::from("/home/me/.cache/kaniko-rs/run-cache"))
        );
        let xdg = |v: &str| (v == "XDG_CACHE_HOME").then(|| "/xdg".to_string());
        assert_eq!(
            default.user_run_cache_root(xdg),
            Some(PathBuf::from("/xdg/kaniko-rs/run-cache"))
        );
        let chosen = CacheOptions {
            run_cache_dir: Some("/mine".into()),
            ..CacheOptions::default()
        };
        assert_eq!(chosen.run_cache_root(), PathBuf::from("/mine"));
        assert_eq!(
            chosen.user_run_cache_root(env),
            None,
            "an explicit root never moves"
        );
        let dir = CacheOptions {
            dir: "/builds/cache".into(),
            ..CacheOptions::default()
        };
        assert_eq!(dir.run_cache_root(), PathBuf::from("/builds/cache/run-cache"));
        assert_eq!(dir.user_run_cache_root(env), None);
    }

    #[test]
    fn cache_repo_parses_registry_and_layout() {
        assert_eq!(
            CacheRepo::parse("r.example:5000/team/app/cache").unwrap(),
            CacheRepo::Registry("r.example:5000/team/app/cache".into())
        );
        assert_eq!(
            CacheRepo::parse("oci:/var/cache/layout").unwrap(),
            CacheRepo::Layout("/var/cache/layout".into())
        );
        assert!(CacheRepo::parse("oci:").is_err());
        assert!(CacheRepo::parse("r.example/app:tag").is_err());
        assert!(CacheRepo::parse(
            "r.example/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        )
        .is_err());
    }

    #[test]
    fn default_repo_follows_the_first_destination_and_the_suffix_the_platform() {
        let dest = [Reference::parse("r.example/team/app:v1").unwrap()];
        let amd64: Platform = "linux/amd64".parse().unwrap();
        let arm: Platform = "linux/arm/v7".parse().unwrap();
        let mut options = CacheOptions {
            enabled: true,
            ..CacheOptions::default()
        };
        assert_eq!(
            options.repo_for(&dest, &amd64),
            Some(CacheRepo::Registry("r.example/team/app/cache".into()))
        );
        options.arch_suffix = true;
        assert_eq!(
            options.repo_for(&dest, &arm),
            Some(CacheRepo::Registry("r.example/team/app/cache-arm-v7".into()))
        );
        options.repo = Some(CacheRepo::Layout("/c/layout".into()));
        assert_eq!(
            options.repo_for(&dest, &amd64),
            Some(CacheRepo::Layout("/c/layout-amd64".into()))
        );
        assert_eq!(
            options.repo_for(&[], &amd64),
            Some(CacheRepo::Layout("/c/layout-amd64".into()))
        );
        options.repo = None;
        assert_eq!(options.repo_for(&[], &amd64), None);
        options.enabled = false;
        assert_eq!(options.repo_for(&dest, &amd64), None);
    }
}
