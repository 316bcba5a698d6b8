// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Where entries are kept: a registry repository, or an OCI image layout on disk. Both answer the
//! same questions: is there a usable entry for this key (a probe), where is its layer, store this
//! entry, and which entry was stored last after this parent (for `--debug-cache`).
//!
//! A probe never fails a build: an unreachable repository, a corrupt or foreign manifest under our
//! tag, a missing layer blob or an expired entry is a miss, with the reason for the log.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::entry::{self, Entry, EntryConfig, EntryLayer};
use super::key::CacheKey;
use super::options::CacheRepo;
use crate::image::media_type::OCI_MANIFEST;
use crate::image::{Descriptor, Digest, LayerLocation};
use crate::output::atomic_file::AtomicFile;
use crate::output::tarball::OCI_LAYOUT_FILE;
use crate::output::OutputError;
use crate::registry::{BlobSource, Reference, RegistryClient, RegistryError};

const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Builds on one machine may share a layout: index.json is rewritten only under this lock, which
/// layer-cache layouts, the warmer's `--cache-dir` and `kaniko cache prune` all take.
pub const LAYOUT_LOCK: &str = "index.json.lock";

/// Takes the exclusive lock of the layout at `dir` (waiting for its holder); it is released when
/// the returned file is closed.
pub fn lock_layout(dir: &Path) -> std::io::Result<fs_err::File> {
    let file = fs_err::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LAYOUT_LOCK))?;
    file.file().lock()?;
    Ok(file)
}

/// Why storing an entry failed (a warning for the build, never its failure).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not an OCI image layout: {reason}")]
    NotALayout { path: PathBuf, reason: String },
    #[error(transparent)]
    Output(#[from] OutputError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a probe found.
#[derive(Debug, Clone)]
pub enum Probe {
    Hit(Box<Entry>),
    Miss,
    /// An entry older than the TTL (seconds of age).
    Expired(u64),
    /// Something under the tag that cannot be used, and why.
    Unusable(String),
}

/// A new entry to store: its config and, when the step wrote one, its layer file.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub config: EntryConfig,
    pub layer: Option<(PathBuf, EntryLayer)>,
}

/// A cache repository or layout, opened for one build.
#[derive(Debug, Clone)]
pub struct CacheStore {
    place: Place,
    ttl_secs: u64,
    now: u64,
}

#[derive(Debug, Clone)]
enum Place {
    Registry {
        client: RegistryClient,
        /// The repository (tagged by each use).
        repo: Reference,
    },
    Layout {
        dir: PathBuf,
    },
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexDoc {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

impl CacheStore {
    /// Opens `repo`; entries older than `ttl_secs` (at `now`, seconds since the epoch) are misses.
    pub fn open(
        repo: &CacheRepo,
        client: &RegistryClient,
        ttl_secs: u64,
        now: u64,
    ) -> Result<Self, RegistryError> {
        let place = match repo {
            CacheRepo::Registry(r) => Place::Registry {
                client: client.clone(),
                repo: Reference::parse(r)?,
            },
            CacheRepo::Layout(dir) => Place::Layout { dir: dir.clone() },
        };
        Ok(Self { place, ttl_secs, now })
    }

    /// Looks every key up at once (`None`: not looked up), answers in the same order: concurrent
    /// requests to a registry, one read of a layout's `index.json` for them all.
    pub async fn probe_all(&self, keys: &[Option<&CacheKey>]) -> Vec<Option<Probe>> {
        let found: Vec<Option<Probe>> = match &self.place {
            Place::Registry { client, repo } => {
                futures_util::future::join_all(
                    keys.iter()
                        .map(|k| async move { Some(registry_probe(client, repo, (*k)?).await) }),
                )
                .await
            }
            Place::Layout { dir } => tokio::task::block_in_place(|| match read_index(dir) {
                Ok(index) => keys
                    .iter()
                    .map(|k| Some(layout_probe(dir, &index, (*k)?)))
                    .collect(),
                Err(e) => keys
                    .iter()
                    .map(|k| k.map(|_| Probe::Unusable(e.to_string())))
                    .collect(),
            }),
        };
        found.into_iter().map(|p| p.map(|p| self.expire(p))).collect()
    }

    /// A hit older than the TTL becomes [`Probe::Expired`].
    fn expire(&self, found: Probe) -> Probe {
        match found {
            Probe::Hit(e) if self.now.saturating_sub(e.created) > self.ttl_secs => {
                Probe::Expired(self.now.saturating_sub(e.created))
            }
            other => other,
        }
    }

    /// Where a hit's layer blob is, for the image and for downloads.
    pub fn location_of(&self, layer: &EntryLayer) -> LayerLocation {
        match &self.place {
            Place::Registry { repo, .. } => LayerLocation::Remote {
                registry: repo.registry().to_string(),
                repository: repo.repository().to_string(),
            },
            Place::Layout { dir } => LayerLocation::File(layout_blob(dir, &layer.descriptor.digest)),
        }
    }

    /// Stores `new` under its key, and as the newest entry after its parent.
    pub async fn put(&self, new: &NewEntry) -> Result<(), StoreError> {
        let config_bytes = entry::config_bytes(&new.config);
        let config = Descriptor::new(
            entry::CONFIG_MEDIA_TYPE,
            Digest::of(&config_bytes),
            config_bytes.len() as u64,
        );
        let manifest = entry::manifest_bytes(&new.config, &config, new.layer.as_ref().map(|(_, l)| l));
        let mut tags = vec![entry::tag(&new.config.key)];
        if let Some(parent) = &new.config.parent {
            tags.push(entry::after_tag(parent));
        }
        match &self.place {
            Place::Registry { client, repo } => {
                if let Some((path, layer)) = &new.layer {
                    client
                        .push_blob(repo, &layer.descriptor.digest, BlobSource::File(path), None)
                        .await?;
                }
                client
                    .push_blob(repo, &config.digest, BlobSource::Bytes(&config_bytes), None)
                    .await?;
                for tag in &tags {
                    client
                        .put_manifest(&repo.with_tag(tag)?, &manifest, OCI_MANIFEST)
                        .await?;
                }
                Ok(())
            }
            Place::Layout { dir } => tokio::task::block_in_place(|| {
                layout_put(dir, new, (&config, &config_bytes), &manifest, &tags)
            }),
        }
    }

    /// The config of the newest entry stored after `parent`, if any can be read.
    pub async fn latest_after(&self, parent: &CacheKey) -> Option<EntryConfig> {
        let tag = entry::after_tag(parent);
        let config_bytes = match &self.place {
            Place::Registry { client, repo } => {
                let m = client
                    .get_destination_manifest(&repo.with_tag(&tag).ok()?)
                    .await
                    .ok()?;
                let digest = config_digest(&m.bytes)?;
                client
                    .get_destination_blob_bytes(repo, &digest, 1 << 20)
                    .await
                    .ok()?
            }
            Place::Layout { dir } => {
                let index = read_index(dir).ok()?;
                let d = index
                    .manifests
                    .iter()
                    .find(|d| d.annotations.get(REF_NAME) == Some(&tag))?;
                let digest = config_digest(&fs_err::read(layout_blob(dir, &d.digest)).ok()?)?;
                fs_err::read(layout_blob(dir, &digest)).ok()?
            }
        };
        serde_json::from_slice(&config_bytes).ok()
    }
}

/// The config digest a manifest names.
fn config_digest(manifest: &[u8]) -> Option<Digest> {
    let doc: serde_json::Value = serde_json::from_slice(manifest).ok()?;
    doc["config"]["digest"].as_str()?.parse().ok()
}

async fn registry_probe(client: &RegistryClient, repo: &Reference, key: &CacheKey) -> Probe {
    let tagged = match repo.with_tag(&entry::tag(key)) {
        Ok(r) => r,
        Err(e) => return Probe::Unusable(e.to_string()),
    };
    let manifest = match client.get_destination_manifest(&tagged).await {
        Ok(m) => m,
        Err(e) if e.status() == Some(reqwest::StatusCode::NOT_FOUND) => return Probe::Miss,
        Err(e) => return Probe::Unusable(e.to_string()),
    };
    let found = match entry::parse_manifest(&manifest.bytes, key) {
        Ok(e) => e,
        Err(e) => return Probe::Unusable(format!("{tagged}: {e}")),
    };
    if let Some(layer) = &found.layer {
        match client.blob_exists(repo, &layer.descriptor.digest).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Probe::Unusable(format!(
                    "{tagged}: its layer {} is missing from the repository",
                    layer.descriptor.digest
                ))
            }
            Err(e) => return Probe::Unusable(e.to_string()),
        }
    }
    Probe::Hit(Box::new(found))
}

fn layout_blob(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs").join(digest.algorithm()).join(digest.hex())
}

fn read_index(dir: &Path) -> Result<IndexDoc, StoreError> {
    let path = dir.join("index.json");
    match fs_err::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::NotALayout {
            path: dir.to_path_buf(),
            reason: format!("index.json: {e}"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(IndexDoc::default()),
        Err(e) => Err(io(&path)(e)),
    }
}

fn layout_probe(dir: &Path, index: &IndexDoc, key: &CacheKey) -> Probe {
    let tag = entry::tag(key);
    let Some(d) = index
        .manifests
        .iter()
        .find(|d| d.annotations.get(REF_NAME) == Some(&tag))
    else {
        return Probe::Miss;
    };
    let path = layout_blob(dir, &d.digest);
    let bytes = match fs_err::read(&path) {
        Ok(b) if Digest::of(&b) == d.digest => b,
        Ok(_) => return Probe::Unusable(format!("{}: content does not match its digest", path.display())),
        Err(e) => return Probe::Unusable(e.to_string()),
    };
    let found = match entry::parse_manifest(&bytes, key) {
        Ok(e) => e,
        Err(e) => return Probe::Unusable(format!("{}: {e}", path.display())),
    };
    if let Some(layer) = &found.layer {
        let blob = layout_blob(dir, &layer.descriptor.digest);
        match fs_err::metadata(&blob) {
            Ok(m) if m.len() == layer.descriptor.size => {}
            Ok(_) => return Probe::Unusable(format!("{}: wrong size", blob.display())),
            Err(e) => return Probe::Unusable(e.to_string()),
        }
    }
    Probe::Hit(Box::new(found))
}

/// Writes a blob into the layout unless it is there, so a partial blob never has a digest name:
/// a file through a hard link when the source is on the same filesystem (no copy of a large
/// layer), else like bytes, through [`AtomicFile`].
fn put_blob(dir: &Path, digest: &Digest, source: BlobSource<'_>) -> Result<(), StoreError> {
    let dest = layout_blob(dir, digest);
    if dest.exists() {
        return Ok(());
    }
    match source {
        BlobSource::File(p) => {
            let parent = dest.parent().unwrap_or(dir);
            fs_err::create_dir_all(parent).map_err(io(parent))?;
            let temp = parent.join(format!(
                ".{}.{}.{:08x}.tmp",
                digest.hex(),
                std::process::id(),
                fastrand::u32(..)
            ));
            if std::fs::hard_link(p, &temp).is_err() {
                fs_err::copy(p, &temp).map_err(io(&temp))?;
            }
            fs_err::rename(&temp, &dest).map_err(io(&dest))
        }
        BlobSource::Bytes(b) => Ok(AtomicFile::write_all_to(&dest, b)?),
    }
}

fn layout_put(
    dir: &Path,
    new: &NewEntry,
    (config, config_bytes): (&Descriptor, &[u8]),
    manifest: &[u8],
    tags: &[String],
) -> Result<(), StoreError> {
    fs_err::create_dir_all(dir).map_err(io(dir))?;
    // Blobs are written under the lock too: a prune holding it may be deleting a blob this entry
    // shares with an expired one.
    let lock = lock_layout(dir).map_err(io(&dir.join(LAYOUT_LOCK)))?;
    if let Some((path, layer)) = &new.layer {
        put_blob(dir, &layer.descriptor.digest, BlobSource::File(path))?;
    }
    put_blob(dir, &config.digest, BlobSource::Bytes(config_bytes))?;
    let manifest_digest = Digest::of(manifest);
    put_blob(dir, &manifest_digest, BlobSource::Bytes(manifest))?;
    let marker = dir.join("oci-layout");
    if !marker.exists() {
        AtomicFile::write_all_to(&marker, OCI_LAYOUT_FILE)?;
    }
    let mut index = read_index(dir)?;
    index.schema_version = 2;
    index.media_type = Some(crate::image::media_type::OCI_INDEX.into());
    index
        .manifests
        .retain(|d| !d.annotations.get(REF_NAME).is_some_and(|n| tags.contains(n)));
    for tag in tags {
        let mut d = Descriptor::new(OCI_MANIFEST, manifest_digest.clone(), manifest.len() as u64);
        d.annotations = BTreeMap::from([(REF_NAME.to_string(), tag.clone())]);
        index.manifests.push(d);
    }
    let bytes = serde_json::to_vec(&index).expect("an index always serializes");
    AtomicFile::write_all_to(&dir.join("index.json"), &bytes)?;
    drop(lock);
    Ok(())
}
