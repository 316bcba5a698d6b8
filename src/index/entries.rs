// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Finding the per-platform records of a CI matrix (`--digests-from DIR|GLOB`).
//!
//! Three kinds of file are understood, because three recipes are in use: our own `--metadata-file`
//! JSON records; Docker's multi-runner recipe, which `touch`es an empty file named by the hex digest;
//! and kaniko's `--digest-file`, which holds `sha256:<hex>`. Anything else is an error naming the file,
//! so a stray upload never silently drops a platform.

use std::path::{Path, PathBuf};

use super::IndexError;
use crate::image::Digest;
use crate::output::record::BuildRecord;
use crate::platform::Platform;

/// One per-platform image named by the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub digest: Digest,
    /// The platform the record declares (only metadata records declare one).
    pub platform: Option<Platform>,
    /// The repository the record names (`registry/repository`), if any.
    pub image: Option<String>,
    pub source: EntrySource,
}

/// Which file an entry came from, and in which form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntrySource {
    Metadata(PathBuf),
    DigestName(PathBuf),
    DigestFile(PathBuf),
    /// Reported by a remote builder (a Kubernetes pod), described in words.
    Remote(String),
}

impl std::fmt::Display for EntrySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Metadata(p) | Self::DigestName(p) | Self::DigestFile(p) => write!(f, "{}", p.display()),
            Self::Remote(what) => f.write_str(what),
        }
    }
}

/// Reads every record under the given directories or globs. Each pattern must yield at least one
/// file; the same digest named twice (e.g. a metadata record and its digest file) counts once.
pub fn collect_entries(patterns: &[String]) -> Result<Vec<Entry>, IndexError> {
    let mut entries: Vec<Entry> = Vec::new();
    for pattern in patterns {
        let files = files_of(pattern)?;
        if files.is_empty() {
            return Err(IndexError::Source {
                pattern: pattern.clone(),
                reason: "matches no files",
            });
        }
        for file in files {
            let entry = read_entry(&file)?;
            match entries.iter_mut().find(|e| e.digest == entry.digest) {
                // A metadata record knows more than a bare digest: keep its declarations.
                Some(existing) => {
                    if existing.platform.is_none() {
                        *existing = entry;
                    }
                }
                None => entries.push(entry),
            }
        }
    }
    Ok(entries)
}

/// The regular files a pattern names: a directory's files (recursively, sorted), a file, or a glob's
/// matches.
fn files_of(pattern: &str) -> Result<Vec<PathBuf>, IndexError> {
    let path = Path::new(pattern);
    let io_err = |source| IndexError::SourceIo {
        pattern: pattern.to_string(),
        source,
    };
    if path.is_dir() {
        let mut out = Vec::new();
        walk(path, &mut out).map_err(io_err)?;
        out.sort();
        return Ok(out);
    }
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !pattern.contains(['*', '?', '[']) {
        return Err(IndexError::Source {
            pattern: pattern.to_string(),
            reason: "no such file or directory",
        });
    }
    let mut out = Vec::new();
    let matches = glob::glob(pattern).map_err(|source| IndexError::SourceGlob {
        pattern: pattern.to_string(),
        source,
    })?;
    for item in matches {
        let p = item.map_err(|source| IndexError::SourceGlobEntry {
            pattern: pattern.to_string(),
            source,
        })?;
        if p.is_dir() {
            walk(&p, &mut out).map_err(io_err)?;
        } else if p.is_file() {
            out.push(p);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for item in fs_err::read_dir(dir)? {
        let item = item?;
        let ty = item.file_type()?;
        if ty.is_dir() {
            walk(&item.path(), out)?;
        } else if ty.is_file() {
            out.push(item.path());
        }
    }
    Ok(())
}

/// Reads one record file.
pub fn read_entry(path: &Path) -> Result<Entry, IndexError> {
    let bad = |reason: String| IndexError::Entry {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = fs_err::read(path).map_err(|source| IndexError::EntryIo {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        let digest = Digest::from_hex(name).map_err(|_| {
            bad("an empty file must be named by a sha256 hex digest (Docker's multi-runner recipe)".into())
        })?;
        return Ok(Entry {
            digest,
            platform: None,
            image: None,
            source: EntrySource::DigestName(path.to_path_buf()),
        });
    }
    if trimmed.starts_with('{') {
        let record = BuildRecord::parse(&bytes).map_err(|source| IndexError::EntryJson {
            path: path.to_path_buf(),
            source,
        })?;
        if record.platform.is_none() {
            return Err(bad(
                "the record has no platform (an index's record cannot go into another index)".into(),
            ));
        }
        return Ok(Entry {
            digest: record.digest,
            platform: record.platform.map(Platform::normalized),
            image: (!record.image.is_empty()).then_some(record.image),
            source: EntrySource::Metadata(path.to_path_buf()),
        });
    }
    let digest: Digest = trimmed.parse().map_err(|e| {
        bad(format!(
            "expected a metadata JSON record, `sha256:<hex>`, or an empty file named by the digest ({e})"
        ))
    })?;
    Ok(Entry {
        digest,
        platform: None,
        image: None,
        source: EntrySource::DigestFile(path.to_path_buf()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(seed: &[u8]) -> String {
        Digest::of(seed).hex().to_string()
    }

    #[test]
    fn reads_all_three_forms_and_merges_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join(hex(b"a")), "").unwrap();
        std::fs::write(d.join("digest-b"), format!("sha256:{}\n", hex(b"b"))).unwrap();
        let mut record = BuildRecord::new(
            "r/app".into(),
            Digest::of(b"a"),
            1,
            crate::image::media_type::OCI_MANIFEST.into(),
            vec![],
        );
        record.platform = Some("linux/arm64/v8".parse().unwrap());
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/meta.json"), record.to_json()).unwrap();
        let entries = collect_entries(&[d.display().to_string()]).unwrap();
        assert_eq!(entries.len(), 2, "{entries:?}");
        let a = entries.iter().find(|e| e.digest == Digest::of(b"a")).unwrap();
        assert_eq!(a.platform.as_ref().unwrap().to_string(), "linux/arm64");
        assert!(matches!(a.source, EntrySource::Metadata(_)));
        let b = entries.iter().find(|e| e.digest == Digest::of(b"b")).unwrap();
        assert!(matches!(b.source, EntrySource::DigestFile(_)));
    }

    #[test]
    fn globs_and_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("digests-linux-amd64")).unwrap();
        std::fs::write(d.join("digests-linux-amd64").join(hex(b"x")), "").unwrap();
        let glob = format!("{}/digests-*", d.display());
        assert_eq!(collect_entries(&[glob]).unwrap().len(), 1);

        let none = format!("{}/nothing-*", d.display());
        let e = collect_entries(&[none]).unwrap_err().to_string();
        assert!(e.contains("matches no files"), "{e}");
        let e = collect_entries(&[d.join("missing").display().to_string()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no such file or directory"), "{e}");

        std::fs::write(d.join("notes.txt"), "hello").unwrap();
        let e = collect_entries(&[d.join("notes.txt").display().to_string()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("notes.txt") && e.contains("expected a metadata JSON record"),
            "{e}"
        );
        std::fs::write(d.join("empty"), "").unwrap();
        let e = collect_entries(&[d.join("empty").display().to_string()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("named by a sha256 hex digest"), "{e}");
    }
}
