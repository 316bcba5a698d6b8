// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The layer cache as a build uses it: a stage's keys ([`super::cache_keys`]) are probed together
//! before its first step runs, the longest run of hits from the stage's start is taken, and every
//! step that runs is stored in the background (a failed store is a warning, never a failed build).

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;

use super::request::BuildRequest;
use super::BuildError;
use crate::cache::entry::{Entry, EntryConfig, EntryLayer};
use crate::cache::key::{differing_parts, PartDigest, SCHEMA};
use crate::cache::store::{CacheStore, NewEntry, Probe};
use crate::cache::{CacheKey, CacheRepo, KeyParts};
use crate::image::digest::HashingWriter;
use crate::image::{AssembledLayer, Digest, LayerLocation};
use crate::registry::RegistryClient;
use crate::snapshot::layer_reader::open_decompressed;
use crate::snapshot::LayerBlob;
use crate::snapshot::LayerReadError;

/// A layer step as the key pass saw it.
#[derive(Debug, Clone)]
pub struct KeyedStep {
    /// `None`: the step cannot be keyed, and nothing after it in the stage is cached.
    pub key: Option<CacheKey>,
    pub parent: Option<CacheKey>,
    pub parts: Vec<PartDigest>,
    pub created_by: String,
    /// Cached by the options (`--cache-run-layers`, `--cache-copy-layers`).
    pub cacheable: bool,
    /// Redone in place when not cached (a COPY or ADD: deterministic, so it does not end the run
    /// of hits).
    pub redo_in_place: bool,
}

/// A layer step with the decision for it.
#[derive(Debug, Clone)]
pub struct PlannedStep {
    pub step: KeyedStep,
    /// The entry to use instead of running the step.
    pub hit: Option<Entry>,
}

/// The cache store of one build, and the entries being stored.
pub struct LayerCache {
    store: CacheStore,
    repo: CacheRepo,
    push: bool,
    copy_layers: bool,
    run_layers: bool,
    debug_misses: bool,
    pushes: Mutex<tokio::task::JoinSet<()>>,
    /// When the build started (wall clock), the creation time of the entries it stores.
    now: u64,
    /// Whether entries are looked up (off after a corrupt one was found: the build only stores).
    lookups: bool,
    /// Hits taken whose bytes have not been read yet: blob digest → the diff ID the entry claims.
    unverified: Mutex<BTreeMap<Digest, Digest>>,
}

impl LayerCache {
    /// The cache of `request`, or `None` when it is off or has nowhere to keep entries.
    pub fn open(request: &BuildRequest, registry: &RegistryClient, lookups: bool) -> Option<Self> {
        // Wall-clock time, even in a reproducible build: it dates entries for the TTL.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let options = &request.cache;
        if !options.enabled {
            return None;
        }
        let Some(repo) = options.repo_for(&request.outputs.destinations, &request.platform) else {
            tracing::warn!("--cache is on but there is no --cache-repo and no --destination to derive one from: layers are not cached");
            return None;
        };
        if request.snapshot.single_snapshot {
            tracing::warn!("--single-snapshot writes one layer per stage: layers are not cached");
            return None;
        }
        let store = match CacheStore::open(&repo, registry, options.ttl_secs, now) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cache repository unusable: layers are not cached");
                return None;
            }
        };
        tracing::info!(repository = %repo, "layer cache");
        Some(Self {
            store,
            repo,
            push: options.push,
            copy_layers: options.copy_layers,
            run_layers: options.run_layers,
            debug_misses: tracing::enabled!(tracing::Level::DEBUG),
            now,
            lookups,
            unverified: Mutex::new(BTreeMap::new()),
            pushes: Mutex::new(tokio::task::JoinSet::new()),
        })
    }

    /// Whether steps of `kind` (`RUN`, `COPY`, `ADD`, `WORKDIR`) are cached.
    pub fn caches(&self, kind: &str) -> bool {
        match kind {
            "RUN" => self.run_layers,
            "COPY" | "ADD" => self.copy_layers,
            _ => true,
        }
    }

    /// Keys one step: `parts` (or `None` when it cannot be keyed) after `parent`.
    pub fn key_step(
        &self,
        parts: Option<KeyParts>,
        kind: &str,
        parent: Option<CacheKey>,
        created_by: String,
    ) -> KeyedStep {
        let (key, digests) = match (&parts, &parent) {
            (Some(p), Some(parent)) => (Some(p.finish(Some(parent))), p.digests(Some(parent))),
            _ => (None, Vec::new()),
        };
        KeyedStep {
            key,
            parent,
            parts: digests,
            created_by,
            cacheable: self.caches(kind),
            redo_in_place: matches!(kind, "COPY" | "ADD"),
        }
    }

    /// Probes every cacheable key of a stage at once and keeps the hits of the longest run from
    /// the stage's start.
    pub async fn plan(&self, stage: &str, steps: Vec<KeyedStep>) -> VecDeque<PlannedStep> {
        let keys: Vec<Option<&CacheKey>> = steps
            .iter()
            .map(|s| s.key.as_ref().filter(|_| s.cacheable && self.lookups))
            .collect();
        let probes = self.store.probe_all(&keys).await;
        let mut in_run = true;
        let mut planned = VecDeque::with_capacity(steps.len());
        for (step, probe) in steps.into_iter().zip(probes) {
            let hit = match probe {
                Some(Probe::Hit(entry)) if in_run => Some(*entry),
                Some(Probe::Hit(_)) => None,
                Some(Probe::Miss) | None => None,
                Some(Probe::Expired(age)) => {
                    tracing::info!(step = %step.created_by, age_secs = age, "cache entry expired (--cache-ttl)");
                    None
                }
                Some(Probe::Unusable(reason)) => {
                    tracing::warn!(step = %step.created_by, %reason, "cache entry unusable: treated as a miss");
                    None
                }
            };
            match (&hit, &step.key, step.cacheable) {
                (Some(_), _, _) => {
                    tracing::info!(stage, step = %step.created_by, key = %short(&step.key), "cache hit");
                    crate::observe::measure::layer_cache(stage, &step.created_by, Some(true));
                }
                (None, Some(_), true) if !self.lookups => {
                    tracing::info!(stage, step = %step.created_by, reason = "lookups off after a corrupt entry", "step not cached");
                    crate::observe::measure::layer_cache(stage, &step.created_by, None);
                    in_run = false;
                }
                (None, Some(_), true) => {
                    tracing::info!(stage, step = %step.created_by, key = %short(&step.key), "cache miss");
                    crate::observe::measure::layer_cache(stage, &step.created_by, Some(false));
                    if self.debug_misses {
                        self.explain_miss(&step).await;
                    }
                    in_run = false;
                }
                (None, _, _) => {
                    let why = if step.key.is_none() {
                        "an input of this step or an earlier one cannot be keyed"
                    } else {
                        "not cached by the --cache-*-layers options"
                    };
                    tracing::info!(stage, step = %step.created_by, reason = why, "step not cached");
                    crate::observe::measure::layer_cache(stage, &step.created_by, None);
                    if !(step.redo_in_place && step.key.is_some()) {
                        in_run = false;
                    }
                }
            }
            planned.push_back(PlannedStep { step, hit });
        }
        planned
    }

    /// `--debug-cache`: which parts of the key differ from the newest entry stored after the same
    /// parent.
    async fn explain_miss(&self, step: &KeyedStep) {
        let Some(parent) = &step.parent else { return };
        match self.store.latest_after(parent).await {
            Some(previous) => {
                let differing = differing_parts(&step.parts, &previous.parts);
                tracing::debug!(
                    step = %step.created_by,
                    previous = %previous.created_by,
                    differing = %differing.join(", "),
                    "why the cache missed: these key parts differ from the newest entry stored after the same parent"
                );
            }
            None => tracing::debug!(
                step = %step.created_by,
                "why the cache missed: no entry was ever stored after this step's parent (the base image, an earlier step or this stage's start changed)"
            ),
        }
    }

    /// Remembers a hit whose diff ID is checked when its bytes are first read.
    pub fn note_hit(&self, layer: &EntryLayer) {
        let mut unverified = self.unverified.lock().unwrap_or_else(|e| e.into_inner());
        unverified.insert(layer.descriptor.digest.clone(), layer.diff_id.clone());
    }

    /// Checks the diff ID of every hit among `layers` (with their local files) that has not been
    /// read before: the entry's claim against the content.
    pub fn verify(&self, layers: &[AssembledLayer], files: &[(PathBuf, String)]) -> Result<(), BuildError> {
        for (layer, (path, media_type)) in layers.iter().zip(files) {
            let expected = {
                let unverified = self.unverified.lock().unwrap_or_else(|e| e.into_inner());
                match unverified.get(&layer.descriptor.digest) {
                    Some(d) => d.clone(),
                    None => continue,
                }
            };
            let actual = tokio::task::block_in_place(|| -> Result<Digest, LayerReadError> {
                let mut reader = open_decompressed(path, media_type)?;
                let mut hasher = HashingWriter::new(std::io::sink());
                std::io::copy(&mut reader, &mut hasher).map_err(|source| LayerReadError::Entry {
                    path: path.clone(),
                    entry: PathBuf::new(),
                    source,
                })?;
                Ok(hasher.finish().1)
            })?;
            if actual != expected {
                return Err(BuildError::CorruptCacheEntry {
                    digest: layer.descriptor.digest.clone(),
                    expected,
                    actual,
                });
            }
            let mut unverified = self.unverified.lock().unwrap_or_else(|e| e.into_inner());
            unverified.remove(&layer.descriptor.digest);
        }
        Ok(())
    }

    /// Where a hit's layer is.
    pub fn location(&self, layer: &EntryLayer) -> LayerLocation {
        self.store.location_of(layer)
    }

    /// Stores the step that just ran, in the background.
    pub fn store(&self, step: &KeyedStep, layer: Option<&LayerBlob>) {
        let (Some(key), true, true) = (&step.key, step.cacheable, self.push) else {
            return;
        };
        let new = NewEntry {
            config: EntryConfig {
                schema: SCHEMA,
                key: key.clone(),
                parent: step.parent.clone(),
                parts: step.parts.clone(),
                created: self.now,
                created_by: step.created_by.clone(),
            },
            layer: layer.map(|b| {
                (
                    b.path.clone(),
                    EntryLayer {
                        descriptor: b.descriptor.clone(),
                        diff_id: b.diff_id.clone(),
                    },
                )
            }),
        };
        let store = self.store.clone();
        let repo = self.repo.to_string();
        let span = tracing::Span::current();
        let mut pushes = self.pushes.lock().unwrap_or_else(|e| e.into_inner());
        pushes.spawn(tracing::Instrument::instrument(
            async move {
                match store.put(&new).await {
                    Ok(()) => tracing::debug!(key = %new.config.key, step = %new.config.created_by, "cache entry stored"),
                    Err(e) => tracing::warn!(repository = %repo, step = %new.config.created_by, error = %e, "could not store a cache entry (the build goes on)"),
                }
            },
            span,
        ));
    }

    /// Waits for the entries being stored.
    pub async fn finish(&self) {
        let mut set = std::mem::take(&mut *self.pushes.lock().unwrap_or_else(|e| e.into_inner()));
        while set.join_next().await.is_some() {}
    }
}

fn short(key: &Option<CacheKey>) -> String {
    key.as_ref()
        .map_or_else(|| "-".into(), |k| k.hex()[..12].to_string())
}
