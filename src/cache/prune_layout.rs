// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Pruning a cache kept in an OCI image layout (`--cache-repo oci:/dir`): the expired entries'
//! lines are dropped from `index.json`, then the blobs no remaining manifest references are
//! removed.
//!
//! Builds on the same machine may write the layout meanwhile, so `index.json` is rewritten under
//! the lock builds take (`index.json.lock`, flock) and replaced by a rename, never edited in place;
//! the index is rewritten before any blob goes, so it never lists a manifest whose blobs are gone.
//! A build writes its blobs before it takes the lock to add its entry, so a blob no manifest
//! references yet may be one it is about to list: such orphans are only removed once they are
//! [`ORPHAN_GRACE_SECS`] old. The blobs of the entries pruned now go at once.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::Deserialize;
use serde_json::Value;

use super::entry::TAG_PREFIX;
use super::prune::{format_size, Judgement, PruneError, PruneReport, PruneRequest, SkippedEntry};
use crate::image::Digest;

/// The lock builds and prunes take to rewrite `index.json`.
use super::store::{lock_layout, LAYOUT_LOCK as LOCK_FILE};
use crate::output::atomic_file::AtomicFile;
/// `org.opencontainers.image.ref.name`: the tag of an index entry.
const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Unreferenced blobs younger than this may belong to an entry a build is adding.
pub const ORPHAN_GRACE_SECS: u64 = 3600;

/// The blobs of a layout that no remaining manifest references.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlobSweep {
    /// Whether they were removed (`false`: a dry run).
    pub removed: bool,
    pub count: usize,
    pub bytes: u64,
    /// Set when no blob was removed because the layout's references could not all be read.
    pub kept_because: Option<String>,
}

impl fmt::Display for BlobSweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(reason) = &self.kept_because {
            return writeln!(f, "No blob was removed: {reason}.");
        }
        writeln!(
            f,
            "{} {} blobs ({}) that no remaining manifest references.",
            if self.removed { "Removed" } else { "Would remove" },
            self.count,
            format_size(self.bytes)
        )
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PruneError + '_ {
    move |source| PruneError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs").join(digest.algorithm()).join(digest.hex())
}

/// Prunes the layout at `dir` as `request` asks, `now` being seconds since the epoch.
pub(super) fn prune_layout(dir: &Path, request: &PruneRequest, now: u64) -> Result<PruneReport, PruneError> {
    let index_path = dir.join("index.json");
    if !index_path.is_file() {
        return Err(PruneError::NotALayout {
            path: dir.to_path_buf(),
            reason: format!("{} does not exist", index_path.display()),
        });
    }
    // Held until the function returns: the index is read, rewritten and its blobs swept under it.
    let _lock = if request.delete { Some(lock(dir)?) } else { None };
    let bytes = fs_err::read(&index_path).map_err(io(&index_path))?;
    let mut index: Value = serde_json::from_slice(&bytes).map_err(|e| PruneError::NotALayout {
        path: dir.to_path_buf(),
        reason: format!("index.json: {e}"),
    })?;
    let entries: Vec<Value> = index
        .get("manifests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();

    let mut found = Vec::new();
    let mut unreadable = Vec::new();
    let mut other_tags = 0;
    for entry in &entries {
        match ref_name(entry) {
            Some(tag) if tag.starts_with(TAG_PREFIX) => match descriptor_digest(entry) {
                Some(digest) => {
                    let bytes = read_manifest(dir, &digest);
                    found.push((tag.to_string(), digest, bytes));
                }
                None => unreadable.push(SkippedEntry {
                    tags: vec![tag.to_string()],
                    reason: "its index.json entry has no sha256 digest".into(),
                }),
            },
            Some(_) => other_tags += 1,
            None => {}
        }
    }
    let mut judged = Judgement::of(found, now, request.ttl_secs);
    judged.skipped.extend(unreadable);

    let pruned: BTreeSet<Digest> = judged.selected.iter().map(|e| e.digest.clone()).collect();
    let remaining: Vec<Value> = entries
        .iter()
        .filter(|e| {
            let ours = ref_name(e).is_some_and(|t| t.starts_with(TAG_PREFIX));
            !(ours && descriptor_digest(e).is_some_and(|d| pruned.contains(&d)))
        })
        .cloned()
        .collect();
    let sweep = Sweep::plan(dir, &remaining, &pruned, now);
    let blobs = if request.delete {
        if remaining.len() != entries.len() {
            if let Some(obj) = index.as_object_mut() {
                obj.insert("manifests".into(), Value::Array(remaining));
            }
            write_index(dir, &index)?;
        }
        sweep.remove()?
    } else {
        sweep.summary(false)
    };
    Ok(judged.report(request, other_tags, Some(blobs)))
}

/// Takes the layout's lock, waiting for a build that holds it.
fn lock(dir: &Path) -> Result<fs_err::File, PruneError> {
    lock_layout(dir).map_err(io(&dir.join(LOCK_FILE)))
}

/// Replaces `index.json` whole (a temporary file renamed over it, readable like the rest).
fn write_index(dir: &Path, index: &Value) -> Result<(), PruneError> {
    let path = dir.join("index.json");
    let bytes = serde_json::to_vec(index).map_err(|e| io(&path)(std::io::Error::other(e)))?;
    Ok(AtomicFile::write_all_to(&path, &bytes)?)
}

fn ref_name(entry: &Value) -> Option<&str> {
    entry.get("annotations")?.get(REF_NAME)?.as_str()
}

fn descriptor_digest(entry: &Value) -> Option<Digest> {
    entry.get("digest")?.as_str()?.parse().ok()
}

/// A manifest blob's bytes, checked against its digest, or why they cannot be judged.
fn read_manifest(dir: &Path, digest: &Digest) -> Result<Vec<u8>, String> {
    let path = blob_path(dir, digest);
    match fs_err::read(&path) {
        Ok(b) if Digest::of(&b) == *digest => Ok(b),
        Ok(_) => Err(format!("{} does not match its digest", path.display())),
        Err(e) => Err(e.to_string()),
    }
}

/// The descriptors a manifest or index points to.
#[derive(Deserialize)]
struct ChildrenDoc {
    #[serde(default)]
    config: Option<DigestRef>,
    #[serde(default)]
    layers: Vec<DigestRef>,
    #[serde(default)]
    manifests: Vec<DigestRef>,
}

#[derive(Deserialize)]
struct DigestRef {
    digest: String,
}

impl ChildrenDoc {
    /// Its config and layers (leaves), and the manifests it lists (to be followed).
    fn read(bytes: &[u8]) -> Option<(Vec<Digest>, Vec<Digest>)> {
        let doc: Self = serde_json::from_slice(bytes).ok()?;
        let parse = |refs: Vec<DigestRef>| refs.into_iter().filter_map(|r| r.digest.parse().ok()).collect();
        let leaves = parse(doc.config.into_iter().chain(doc.layers).collect());
        Some((leaves, parse(doc.manifests)))
    }
}

/// The blobs to remove: those of the pruned entries, and old orphans, that nothing remaining
/// references.
struct Sweep {
    blobs: Vec<(PathBuf, u64)>,
    kept_because: Option<String>,
}

impl Sweep {
    fn plan(dir: &Path, remaining: &[Value], pruned: &BTreeSet<Digest>, now: u64) -> Self {
        let (referenced, problem) = referenced_blobs(dir, remaining);
        if let Some(reason) = problem {
            return Self {
                blobs: Vec::new(),
                kept_because: Some(reason),
            };
        }
        let mut candidates: BTreeSet<Digest> = BTreeSet::new();
        for digest in pruned {
            candidates.insert(digest.clone());
            let children = fs_err::read(blob_path(dir, digest))
                .ok()
                .and_then(|b| ChildrenDoc::read(&b));
            if let Some((leaves, manifests)) = children {
                candidates.extend(leaves.into_iter().chain(manifests));
            }
        }
        let mut blobs = Vec::new();
        for digest in candidates.iter().filter(|d| !referenced.contains(*d)) {
            let path = blob_path(dir, digest);
            if let Ok(meta) = fs_err::metadata(&path) {
                blobs.push((path, meta.len()));
            }
        }
        let sha256 = dir.join("blobs/sha256");
        for item in fs_err::read_dir(&sha256).into_iter().flatten().flatten() {
            let name = item.file_name();
            let Ok(digest) = Digest::from_hex(&name.to_string_lossy()) else {
                // Temporary files of writes in progress, and anything else that is not a blob.
                continue;
            };
            if referenced.contains(&digest) || candidates.contains(&digest) {
                continue;
            }
            let Ok(meta) = item.metadata() else { continue };
            let modified = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
                .map_or(now, |d| d.as_secs());
            if meta.is_file() && now.saturating_sub(modified) > ORPHAN_GRACE_SECS {
                blobs.push((item.path(), meta.len()));
            }
        }
        Self {
            blobs,
            kept_because: None,
        }
    }

    fn summary(&self, removed: bool) -> BlobSweep {
        BlobSweep {
            removed,
            count: self.blobs.len(),
            bytes: self.blobs.iter().map(|(_, size)| size).sum(),
            kept_because: self.kept_because.clone(),
        }
    }

    fn remove(self) -> Result<BlobSweep, PruneError> {
        for (path, _) in &self.blobs {
            match fs_err::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(path)(e)),
            }
        }
        Ok(self.summary(true))
    }
}

/// Every blob the remaining index entries reach (manifests, the manifests an index lists, their
/// configs and layers), or why that cannot be known: a listed manifest that is not JSON could
/// reference anything, so then nothing is removed.
fn referenced_blobs(dir: &Path, remaining: &[Value]) -> (BTreeSet<Digest>, Option<String>) {
    let mut referenced = BTreeSet::new();
    let mut stack: Vec<Digest> = remaining.iter().filter_map(descriptor_digest).collect();
    // A warmed image in a --cache-dir also keeps the manifest (and index) exactly as its registry
    // served it: the layer cache keys on that digest, and the index lists a translation.
    for entry in remaining {
        for annotation in [super::dir::MANIFEST_ANNOTATION, super::dir::INDEX_ANNOTATION] {
            let digest = entry["annotations"][annotation]
                .as_str()
                .and_then(|d| d.parse::<Digest>().ok());
            // On the stack, not straight into the set: its own children count too.
            stack.extend(digest);
        }
    }
    while let Some(digest) = stack.pop() {
        if !referenced.insert(digest.clone()) {
            continue;
        }
        let path = blob_path(dir, &digest);
        let Ok(bytes) = fs_err::read(&path) else {
            // A missing manifest references nothing that could be removed.
            continue;
        };
        match ChildrenDoc::read(&bytes) {
            Some((leaves, manifests)) => {
                referenced.extend(leaves);
                stack.extend(manifests);
            }
            None => {
                return (
                    referenced,
                    Some(format!(
                        "{} is listed as a manifest but is not one, so what it references is unknown",
                        path.display()
                    )),
                )
            }
        }
    }
    (referenced, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_read_from_manifests_and_indexes() {
        let a = Digest::of(b"a");
        let b = Digest::of(b"b");
        let m = serde_json::json!({"config": {"digest": a.to_string()}, "layers": [{"digest": b.to_string()}, {"digest": "sha512:ab"}]});
        let (leaves, manifests) = ChildrenDoc::read(&serde_json::to_vec(&m).unwrap()).unwrap();
        assert_eq!((leaves, manifests), (vec![a.clone(), b], vec![]));
        let i = serde_json::json!({"manifests": [{"digest": a.to_string()}]});
        let (leaves, manifests) = ChildrenDoc::read(&serde_json::to_vec(&i).unwrap()).unwrap();
        assert_eq!((leaves, manifests), (vec![], vec![a]));
        assert!(ChildrenDoc::read(b"\x1f\x8b not json").is_none());
    }
}
