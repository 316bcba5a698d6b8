// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The image config (`application/vnd.oci.image.config.v1+json` /
//! `application/vnd.docker.container.image.v1+json`), with the fields Docker writes.
//!
//! Our own type rather than a general-purpose crate's, because those drop Docker's `Healthcheck`,
//! `OnBuild`, `Shell` and `ArgsEscaped` and keep maps in hash order, which makes digests unstable.
//! Every map here is a `BTreeMap` and serialization is compact, so a config we build always hashes
//! the same. Parsing is lenient (unknown fields ignored, `null` accepted wherever Docker writes it),
//! but a pulled config is never re-serialized for its digest: its bytes stay the source of truth.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::digest::Digest;
use crate::platform::Platform;

/// Why config bytes could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("image config is not valid JSON of the expected shape: {0}")]
    Parse(#[source] serde_json::Error),
    #[error("cannot serialize image config: {0}")]
    Serialize(#[source] serde_json::Error),
}

/// An empty JSON object, the value type of `ExposedPorts` and `Volumes` (Docker writes `{}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyObject {}

/// The whole image config document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    #[serde(default, deserialize_with = "null_as_default")]
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
    /// RFC 3339 timestamp, kept as text so a pulled value is never reformatted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub history: Vec<History>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub os: String,
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(
        rename = "os.features",
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub os_features: Vec<String>,
    #[serde(default)]
    pub rootfs: RootFs,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// The runtime defaults of a container started from the image (Docker's `container.Config` subset
/// that images carry). Field names are Docker's, capitalised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    #[serde(
        default,
        skip_serializing_if = "String::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub user: String,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub exposed_ports: BTreeMap<String, EmptyObject>,
    /// `KEY=value` entries in the order they were set.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub env: Vec<String>,
    /// `None` when the image sets no entrypoint (also how `null` is read: Docker writes `null` for
    /// an unset one); `Some(vec![])` is an explicitly empty entrypoint and is written as `[]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Same convention as `entrypoint`: absent or `null` is `None`, `[]` is `Some(vec![])`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(
        default,
        skip_serializing_if = "std::ops::Not::not",
        deserialize_with = "null_as_default"
    )]
    pub args_escaped: bool,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub volumes: BTreeMap<String, EmptyObject>,
    #[serde(
        default,
        skip_serializing_if = "String::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub working_dir: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub on_build: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub labels: BTreeMap<String, String>,
    #[serde(
        default,
        skip_serializing_if = "String::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub stop_signal: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub shell: Vec<String>,
}

/// `HEALTHCHECK` settings. Durations are integer nanoseconds, as Go's `time.Duration` marshals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Healthcheck {
    /// `["NONE"]`, `["CMD", args...]` or `["CMD-SHELL", command]`; empty means inherit.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub test: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "null_as_default"
    )]
    pub interval: i64,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "null_as_default"
    )]
    pub timeout: i64,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "null_as_default"
    )]
    pub start_period: i64,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "null_as_default"
    )]
    pub start_interval: i64,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "null_as_default"
    )]
    pub retries: i64,
}

/// The layer list of the image as uncompressed-content digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type", default = "layers_type", deserialize_with = "null_as_layers")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub diff_ids: Vec<Digest>,
}

impl Default for RootFs {
    fn default() -> Self {
        Self {
            kind: layers_type(),
            diff_ids: Vec::new(),
        }
    }
}

/// One history entry; `empty_layer` entries (ENV, LABEL, …) have no layer in `rootfs.diff_ids`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "std::ops::Not::not",
        deserialize_with = "null_as_default"
    )]
    pub empty_layer: bool,
}

fn layers_type() -> String {
    "layers".to_string()
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// Reads `null` as the type's default: Go marshals nil slices and maps as `null`.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn null_as_layers<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_else(layers_type))
}

impl ImageConfig {
    /// An empty config for `FROM scratch` on `platform`.
    pub fn scratch(platform: &Platform) -> Self {
        Self {
            architecture: platform.architecture.clone(),
            os: platform.os.clone(),
            os_version: platform.os_version.clone(),
            os_features: platform.os_features.clone(),
            variant: platform.variant.clone(),
            config: Some(ContainerConfig::default()),
            ..Self::default()
        }
    }

    /// Parses config bytes leniently. Keep the bytes: they, not a re-serialization, give the digest.
    pub fn parse(bytes: &[u8]) -> Result<Self, ConfigError> {
        serde_json::from_slice(bytes).map_err(ConfigError::Parse)
    }

    /// Compact, deterministic JSON for a config we built.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ConfigError> {
        super::json::to_vec(self).map_err(ConfigError::Serialize)
    }

    /// The platform this config describes.
    pub fn platform(&self) -> Platform {
        Platform {
            architecture: self.architecture.clone(),
            os: self.os.clone(),
            os_version: self.os_version.clone(),
            os_features: self.os_features.clone(),
            variant: self.variant.clone(),
        }
    }

    /// The container config, created empty if the base had none (a `null` `config` is legal).
    pub fn container_mut(&mut self) -> &mut ContainerConfig {
        self.config.get_or_insert_with(ContainerConfig::default)
    }

    /// Records a layer: its diff ID and a history entry.
    pub fn push_layer(&mut self, diff_id: Digest, mut history: History) {
        history.empty_layer = false;
        self.rootfs.diff_ids.push(diff_id);
        self.history.push(history);
    }

    /// Records a metadata-only step (ENV, LABEL, CMD, …) in the history.
    pub fn push_empty_layer_history(&mut self, mut history: History) {
        history.empty_layer = true;
        self.history.push(history);
    }
}

impl ContainerConfig {
    /// The value of environment variable `key`, if set.
    pub fn env_get(&self, key: &str) -> Option<&str> {
        self.env.iter().find_map(|entry| match entry.split_once('=') {
            Some((k, v)) if k == key => Some(v),
            None if entry == key => Some(""),
            _ => None,
        })
    }

    /// Sets `key=value`: replaces an existing entry for `key` in place (as `ENV` does), otherwise
    /// appends.
    pub fn env_set(&mut self, key: &str, value: &str) {
        let entry = format!("{key}={value}");
        let existing = self
            .env
            .iter()
            .position(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k) == key);
        match existing {
            Some(i) => {
                if let Some(slot) = self.env.get_mut(i) {
                    *slot = entry;
                }
            }
            None => self.env.push(entry),
        }
    }

    /// The environment as ordered `(key, value)` pairs.
    pub fn env_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env
            .iter()
            .map(|e| e.split_once('=').unwrap_or((e.as_str(), "")))
    }

    /// Sets a label, replacing an existing value.
    pub fn label_set(&mut self, key: &str, value: &str) {
        self.labels.insert(key.to_string(), value.to_string());
    }

    /// Adds an exposed port such as `80/tcp`; a bare number gets Docker's default `/tcp`.
    pub fn expose(&mut self, port: &str) {
        let key = if port.contains('/') {
            port.to_string()
        } else {
            format!("{port}/tcp")
        };
        self.exposed_ports.insert(key, EmptyObject {});
    }

    /// Adds a volume mount point.
    pub fn add_volume(&mut self, path: &str) {
        self.volumes.insert(path.to_string(), EmptyObject {});
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ImageConfig {
        let mut c = ImageConfig::scratch(&Platform::new("linux", "arm", Some("v7")));
        c.created = Some("2024-01-02T03:04:05Z".into());
        let cc = c.container_mut();
        cc.env_set("PATH", "/usr/bin");
        cc.env_set("B", "2");
        cc.label_set("z", "last");
        cc.label_set("a", "first");
        cc.expose("80");
        cc.expose("53/udp");
        cc.add_volume("/data");
        cc.cmd = Some(vec!["sh".into()]);
        cc.healthcheck = Some(Healthcheck {
            test: vec!["CMD-SHELL".into(), "true".into()],
            interval: 30_000_000_000,
            retries: 3,
            ..Healthcheck::default()
        });
        cc.shell = vec!["/bin/sh".into(), "-c".into()];
        cc.on_build = vec!["RUN true".into()];
        cc.args_escaped = true;
        c.push_layer(
            Digest::of(b"layer"),
            History {
                created_by: Some("COPY a b".into()),
                ..History::default()
            },
        );
        c.push_empty_layer_history(History {
            created_by: Some("ENV B=2".into()),
            ..History::default()
        });
        c
    }

    #[test]
    fn serializes_compactly_and_deterministically() {
        let bytes = sample().to_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(!text.contains(": ") && !text.contains(", "), "{text}");
        assert!(!text.contains('\n'));
        assert!(
            text.contains(r#""ExposedPorts":{"53/udp":{},"80/tcp":{}}"#),
            "{text}"
        );
        assert!(text.contains(r#""Labels":{"a":"first","z":"last"}"#), "{text}");
        assert!(text
            .contains(r#""Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":30000000000,"Retries":3}"#));
        assert!(text.contains(r#""rootfs":{"type":"layers","diff_ids":["sha256:"#));
        assert!(text.contains(r#""empty_layer":true"#));
        assert!(text.contains(r#""variant":"v7""#));
        assert_eq!(bytes, sample().to_bytes().unwrap());
        // Round trip.
        assert_eq!(ImageConfig::parse(&bytes).unwrap(), sample());
    }

    #[test]
    fn env_set_replaces_existing_key_in_place() {
        let mut cc = ContainerConfig::default();
        cc.env_set("A", "1");
        cc.env_set("B", "2");
        cc.env_set("A", "3");
        assert_eq!(cc.env, vec!["A=3".to_string(), "B=2".to_string()]);
        assert_eq!(cc.env_get("A"), Some("3"));
        assert_eq!(cc.env_get("C"), None);
        cc.env_set("C", "x=y");
        assert_eq!(cc.env_get("C"), Some("x=y"));
        assert_eq!(
            cc.env_pairs().collect::<Vec<_>>(),
            vec![("A", "3"), ("B", "2"), ("C", "x=y")]
        );
    }

    #[test]
    fn parses_docker_written_config_with_nulls_and_unknown_fields() {
        let raw = br#"{"architecture":"amd64","config":{"Hostname":"","User":"","Env":["PATH=/bin"],
            "Cmd":null,"Entrypoint":null,"Volumes":null,"OnBuild":null,"Labels":null,"Image":"sha256:00",
            "Healthcheck":{"Test":["CMD","true"],"Interval":1000000000,"StartInterval":5}},
            "container":"abc","docker_version":"24.0.0","created":"2024-01-01T00:00:00.123456789Z",
            "history":[{"created":"2024-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file","empty_layer":null}],
            "os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]}}"#;
        let c = ImageConfig::parse(raw).unwrap();
        let cc = c.config.as_ref().unwrap();
        assert_eq!(cc.cmd, None);
        assert!(cc.labels.is_empty());
        assert_eq!(cc.healthcheck.as_ref().unwrap().start_interval, 5);
        assert_eq!(c.rootfs.diff_ids.len(), 1);
        assert_eq!(c.created.as_deref(), Some("2024-01-01T00:00:00.123456789Z"));
    }

    #[test]
    fn empty_cmd_is_kept_distinct_from_absent() {
        let c = ContainerConfig {
            cmd: Some(vec![]),
            ..ContainerConfig::default()
        };
        let text = String::from_utf8(crate::image::json::to_vec(&c).unwrap()).unwrap();
        assert_eq!(text, r#"{"Cmd":[]}"#);
        let back: ContainerConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(back.cmd, Some(vec![]));
        let absent: ContainerConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.cmd, None);
    }

    #[test]
    fn null_config_and_rootfs_type_are_accepted() {
        let c = ImageConfig::parse(
            br#"{"os":"linux","architecture":"amd64","config":null,"rootfs":{"type":null,"diff_ids":null}}"#,
        )
        .unwrap();
        assert_eq!(c.config, None);
        assert_eq!(c.rootfs.kind, "layers");
    }
}
