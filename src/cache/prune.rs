// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko cache prune`: finds the cache entries older than a TTL in a registry repository or an
//! OCI layout and, when asked, deletes them. A dry run by default, so the first run only shows
//! what would go.
//!
//! Only tags with our prefix (`kaniko-rs-v1-`, which covers the `after-` tags) are considered:
//! a repository may also hold a user's images or kaniko's bare-hex cache tags, and those are never
//! read or touched. An entry's age is its manifest's creation annotation; a manifest under our
//! tag without a valid one is reported and kept, as we cannot tell how old it is. Several tags
//! may name one manifest (an entry and its `after-` tag), so deletion goes by manifest digest,
//! once each. The registry frees the blobs in its own garbage collection; in a layout, the blobs
//! no remaining manifest references are removed here ([`super::prune_layout`]).

use std::collections::BTreeMap;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::StreamExt as _;
use serde::Deserialize;

use super::entry::{CREATED_ANNOTATION, TAG_PREFIX};
use super::options::CacheRepo;
use super::prune_layout::{self, BlobSweep};
use crate::image::Digest;
use crate::registry::{Reference, RegistryClient, RegistryError, TAG_PAGE_SIZE};

/// Manifests read at once from a registry: entries are small, round trips are what takes time.
const CONCURRENT_READS: usize = 8;

/// What to prune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneRequest {
    pub repo: CacheRepo,
    /// Entries created more than this many seconds ago are selected.
    pub ttl_secs: u64,
    /// Delete the selected entries; `false` is a dry run that only reports them.
    pub delete: bool,
}

/// One selected manifest: an entry, under every tag of ours that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunedEntry {
    pub digest: Digest,
    pub tags: Vec<String>,
    /// Seconds since the epoch, from the manifest's annotation.
    pub created: u64,
    pub age_secs: u64,
    /// The step's layer size; `None` when the step wrote no file.
    pub layer_size: Option<u64>,
}

/// A manifest under our tags that was left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    pub tags: Vec<String>,
    pub reason: String,
}

/// What a prune found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneReport {
    pub repo: CacheRepo,
    pub ttl_secs: u64,
    /// Whether the selected entries were deleted (`false`: a dry run).
    pub deleted: bool,
    /// Oldest first.
    pub selected: Vec<PrunedEntry>,
    /// Entries younger than the TTL.
    pub kept: usize,
    pub skipped: Vec<SkippedEntry>,
    /// Tags without our prefix, never touched.
    pub other_tags: usize,
    /// For a layout: the blobs no remaining manifest references (removed, or to be removed).
    pub blobs: Option<BlobSweep>,
}

/// Why a prune failed.
#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    #[error(transparent)]
    Registry(#[from] RegistryError),

    #[error(
        "{repository}: the registry refuses to delete manifests ({source}): deletes are disabled there \
         (docker-registry needs `storage: delete: enabled: true` in its config, or REGISTRY_STORAGE_DELETE_ENABLED=true); {done}",
        done = deleted_so_far(.deleted)
    )]
    DeletesDisabled {
        /// `registry/repository`.
        repository: String,
        /// Manifests deleted before the refusal (none when the first delete was refused).
        deleted: Vec<Digest>,
        #[source]
        source: Box<RegistryError>,
    },

    #[error("{source}; {done}", done = deleted_so_far(.deleted))]
    DeleteFailed {
        deleted: Vec<Digest>,
        #[source]
        source: Box<RegistryError>,
    },

    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is not an OCI image layout: {reason}")]
    NotALayout {
        path: std::path::PathBuf,
        reason: String,
    },

    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
}

fn deleted_so_far(deleted: &[Digest]) -> String {
    match deleted {
        [] => "nothing was deleted".into(),
        [one] => format!("1 manifest was deleted before that: {one}"),
        many => format!(
            "{} manifests were deleted before that: {}",
            many.len(),
            many.iter().map(Digest::to_string).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Selects the entries of `request.repo` older than the TTL and, unless it is a dry run, deletes
/// them.
pub async fn prune(request: &PruneRequest, client: &RegistryClient) -> Result<PruneReport, PruneError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match &request.repo {
        CacheRepo::Registry(repo) => prune_registry(request, repo, client, now).await,
        CacheRepo::Layout(dir) => {
            let (path, dir, request) = (dir.clone(), dir.clone(), request.clone());
            // Reading and rewriting the layout blocks; the runtime's workers stay free.
            tokio::task::spawn_blocking(move || prune_layout::prune_layout(&dir, &request, now))
                .await
                .map_err(|e| PruneError::Io {
                    path,
                    source: std::io::Error::other(e),
                })?
        }
    }
}

async fn prune_registry(
    request: &PruneRequest,
    repo: &str,
    client: &RegistryClient,
    now: u64,
) -> Result<PruneReport, PruneError> {
    let repository = Reference::parse(repo)?;
    let tags = client.list_tags(&repository, TAG_PAGE_SIZE).await?;
    let (ours, others): (Vec<String>, Vec<String>) =
        tags.into_iter().partition(|t| t.starts_with(TAG_PREFIX));
    let reads = futures_util::stream::iter(ours)
        .map(|tag| {
            let repository = &repository;
            async move {
                let reference = repository.with_tag(&tag)?;
                match client.get_destination_manifest(&reference).await {
                    Ok(m) => Ok(Some((tag, m.digest, Ok(m.bytes)))),
                    // Deleted since it was listed (another prune): nothing left to judge.
                    Err(e) if e.status() == Some(reqwest::StatusCode::NOT_FOUND) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        })
        .buffered(CONCURRENT_READS)
        .collect::<Vec<Result<_, RegistryError>>>()
        .await;
    let mut found = Vec::new();
    for read in reads {
        found.extend(read?);
    }
    let judged = Judgement::of(found, now, request.ttl_secs);
    let mut deleted = Vec::new();
    if request.delete {
        for entry in &judged.selected {
            match client.delete_manifest(&repository, &entry.digest).await {
                Ok(_) => deleted.push(entry.digest.clone()),
                Err(source) if source.is_unsupported() => {
                    return Err(PruneError::DeletesDisabled {
                        repository: repository.repository_url(),
                        deleted,
                        source: Box::new(source),
                    })
                }
                Err(source) => {
                    return Err(PruneError::DeleteFailed {
                        deleted,
                        source: Box::new(source),
                    })
                }
            }
        }
    }
    Ok(judged.report(request, others.len(), None))
}

/// A manifest's bytes, or why they could not be read.
pub(super) type ManifestRead = Result<Vec<u8>, String>;

/// The verdict on each manifest under our tags.
pub(super) struct Judgement {
    pub selected: Vec<PrunedEntry>,
    pub kept: usize,
    pub skipped: Vec<SkippedEntry>,
}

/// What an entry's manifest says about its age and size (nothing else is checked: an old
/// manifest under our tag goes whatever else it holds).
#[derive(Deserialize)]
struct EntryManifestDoc {
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    layers: Vec<LayerDoc>,
}

#[derive(Deserialize)]
struct LayerDoc {
    #[serde(default)]
    size: u64,
}

impl Judgement {
    /// Judges `found` (tag, manifest digest, manifest bytes or why they could not be read),
    /// grouping the tags of one manifest.
    pub(super) fn of(found: Vec<(String, Digest, ManifestRead)>, now: u64, ttl_secs: u64) -> Self {
        let mut by_digest: BTreeMap<Digest, (Vec<String>, ManifestRead)> = BTreeMap::new();
        for (tag, digest, bytes) in found {
            by_digest
                .entry(digest)
                .or_insert_with(|| (Vec::new(), bytes))
                .0
                .push(tag);
        }
        let mut out = Self {
            selected: Vec::new(),
            kept: 0,
            skipped: Vec::new(),
        };
        for (digest, (mut tags, bytes)) in by_digest {
            tags.sort();
            match bytes.and_then(|b| created_and_size(&b)) {
                Err(reason) => out.skipped.push(SkippedEntry { tags, reason }),
                Ok((created, layer_size)) => {
                    let age_secs = now.saturating_sub(created);
                    if age_secs > ttl_secs {
                        out.selected.push(PrunedEntry {
                            digest,
                            tags,
                            created,
                            age_secs,
                            layer_size,
                        });
                    } else {
                        out.kept += 1;
                    }
                }
            }
        }
        out.selected
            .sort_by(|a, b| a.created.cmp(&b.created).then(a.digest.cmp(&b.digest)));
        out
    }

    pub(super) fn report(
        self,
        request: &PruneRequest,
        other_tags: usize,
        blobs: Option<BlobSweep>,
    ) -> PruneReport {
        PruneReport {
            repo: request.repo.clone(),
            ttl_secs: request.ttl_secs,
            deleted: request.delete,
            selected: self.selected,
            kept: self.kept,
            skipped: self.skipped,
            other_tags,
            blobs,
        }
    }
}

impl PruneReport {
    /// Whether deleting would change anything: entries selected, or layout blobs to remove.
    pub fn would_change(&self) -> bool {
        !self.selected.is_empty() || self.blobs.as_ref().is_some_and(|b| b.count > 0)
    }
}

fn created_and_size(bytes: &[u8]) -> Result<(u64, Option<u64>), String> {
    let doc: EntryManifestDoc =
        serde_json::from_slice(bytes).map_err(|e| format!("not an image manifest: {e}"))?;
    let created = doc
        .annotations
        .get(CREATED_ANNOTATION)
        .ok_or_else(|| format!("no {CREATED_ANNOTATION} annotation, so its age is unknown"))?;
    let created = created
        .parse::<u64>()
        .map_err(|_| format!("{CREATED_ANNOTATION} {created:?} is not a time in seconds since the epoch"))?;
    let size = (!doc.layers.is_empty()).then(|| doc.layers.iter().map(|l| l.size).sum());
    Ok((created, size))
}

/// `20d 3h`, `5h 12m`, `42m`, `17s`: ages at a glance.
pub fn format_age(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// `812 B`, `3.4 KiB`, `1.2 MiB`, `2.0 GiB`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

impl fmt::Display for PruneReport {
    /// One line per selected entry, then what was skipped, then the totals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.deleted { "deleted" } else { "would delete" };
        writeln!(
            f,
            "Cache {}: entries older than {}",
            self.repo,
            format_age(self.ttl_secs)
        )?;
        for e in &self.selected {
            let size = e.layer_size.map_or_else(|| "no layer".to_string(), format_size);
            writeln!(
                f,
                "  {verb:<12}  {}  age {:<8}  {:>10}  {}",
                e.digest,
                format_age(e.age_secs),
                size,
                e.tags.join(" ")
            )?;
        }
        for s in &self.skipped {
            writeln!(f, "  {:<12}  {}: {}", "skipped", s.tags.join(" "), s.reason)?;
        }
        let layers: u64 = self.selected.iter().filter_map(|e| e.layer_size).sum();
        let tags: usize = self.selected.iter().map(|e| e.tags.len()).sum();
        writeln!(
            f,
            "{} {} entries ({tags} tags, {} of layers); {} younger kept; {} skipped; {} other tags left alone.",
            if self.deleted { "Deleted" } else { "Would delete" },
            self.selected.len(),
            format_size(layers),
            self.kept,
            self.skipped.len(),
            self.other_tags,
        )?;
        match (&self.repo, &self.blobs) {
            (CacheRepo::Layout(_), Some(sweep)) => write!(f, "{sweep}"),
            (CacheRepo::Registry(_), _) if self.deleted && !self.selected.is_empty() => writeln!(
                f,
                "The registry keeps the blobs until its garbage collection runs \
                 (for docker-registry: `docker-registry garbage-collect <config.yml>`)."
            ),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(created: Option<&str>, layers: &[u64]) -> Vec<u8> {
        let mut doc = serde_json::json!({
            "schemaVersion": 2,
            "layers": layers.iter().map(|s| serde_json::json!({"size": s})).collect::<Vec<_>>(),
        });
        if let Some(c) = created {
            doc["annotations"] = serde_json::json!({ CREATED_ANNOTATION: c });
        }
        serde_json::to_vec(&doc).unwrap()
    }

    #[test]
    fn judgement_groups_tags_by_digest_and_selects_only_the_old() {
        let now = 1_000_000;
        let old = manifest(Some("1000"), &[10, 5]);
        let young = manifest(Some("999990"), &[]);
        let found = vec![
            (format!("{TAG_PREFIX}a"), Digest::of(&old), Ok(old.clone())),
            (format!("{TAG_PREFIX}after-b"), Digest::of(&old), Ok(old.clone())),
            (format!("{TAG_PREFIX}c"), Digest::of(&young), Ok(young.clone())),
            (
                format!("{TAG_PREFIX}d"),
                Digest::of(b"x"),
                Ok(manifest(None, &[])),
            ),
            (
                format!("{TAG_PREFIX}e"),
                Digest::of(b"y"),
                Ok(manifest(Some("soon"), &[])),
            ),
            (
                format!("{TAG_PREFIX}f"),
                Digest::of(b"z"),
                Err("blob missing".into()),
            ),
        ];
        let j = Judgement::of(found, now, 3600);
        assert_eq!(j.selected.len(), 1);
        assert_eq!(
            j.selected[0].tags,
            [format!("{TAG_PREFIX}a"), format!("{TAG_PREFIX}after-b")]
        );
        assert_eq!(j.selected[0].layer_size, Some(15));
        assert_eq!(j.selected[0].age_secs, now - 1000);
        assert_eq!(j.kept, 1);
        assert_eq!(j.skipped.len(), 3);
        assert!(j.skipped.iter().any(|s| s.reason.contains("age is unknown")));
        assert!(j.skipped.iter().any(|s| s.reason.contains("\"soon\"")));
        // Exactly at the TTL is not older than it; a clock running behind is age 0.
        let at = manifest(Some("996400"), &[]);
        let future = manifest(Some("2000000"), &[]);
        let j = Judgement::of(
            vec![
                ("t1".into(), Digest::of(&at), Ok(at.clone())),
                ("t2".into(), Digest::of(&future), Ok(future.clone())),
            ],
            now,
            3600,
        );
        assert_eq!((j.selected.len(), j.kept), (0, 2));
    }

    #[test]
    fn ages_sizes_and_partial_deletes_read_well() {
        assert_eq!(format_age(17), "17s");
        assert_eq!(format_age(42 * 60 + 5), "42m");
        assert_eq!(format_age(5 * 3600 + 12 * 60), "5h 12m");
        assert_eq!(format_age(336 * 3600), "14d");
        assert_eq!(format_age(20 * 86_400 + 3 * 3600 + 5), "20d 3h");
        assert_eq!(format_size(812), "812 B");
        assert_eq!(format_size(3 * 1024 + 400), "3.4 KiB");
        assert_eq!(format_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(deleted_so_far(&[]), "nothing was deleted");
        assert!(deleted_so_far(&[Digest::of(b"a"), Digest::of(b"b")])
            .starts_with("2 manifests were deleted before that: sha256:"));
    }
}
