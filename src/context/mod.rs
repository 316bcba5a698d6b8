// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The build context: the directory tree COPY and ADD read from, with docker build's rules.
//!
//! # Opening
//! [`BuildContext::open`] accepts kaniko's `--context` forms: `dir://PATH`, a plain `PATH`,
//! `tar://PATH` and `tar://stdin` (a tarball, plain or gzip/bzip2/xz/zstd, recognised by its magic
//! bytes). Tarballs are extracted safely into a fresh temporary directory under the build's work
//! directory (`--kaniko-dir`), removed when the context is dropped. `gs://`, `s3://`, Azure Blob
//! and `git://` contexts are an [`ContextError::Unsupported`] error naming the scheme.
//! `--context-sub-path` selects a directory inside the context and may not leave it.
//!
//! # Using
//! - [`resolve_dockerfile`]: `--dockerfile` (`-` is stdin), found like kaniko does.
//! - [`BuildContext::load_ignore`]: `<Dockerfile>.dockerignore` or `.dockerignore`
//!   ([`IgnoreMatcher`], moby/patternmatcher semantics).
//! - [`BuildContext::resolve_sources`]: a COPY/ADD source path or wildcard → sorted entries.
//! - [`BuildContext::walk`]: every entry at and below a source, depth-first, sorted, with `lstat`
//!   metadata and hard-link detection, honouring the ignore file and `--exclude`.
//! - [`compression`]: magic-byte detection and decompression, shared with ADD.
//! - [`pattern`]: the one pattern engine (Go's `filepath.Match`, plus `**` for .dockerignore and
//!   `--exclude`) for every path a Dockerfile or an ignore file matches; `COPY --from` expands its
//!   sources with it as well.
//!
//! Symlinks in the context are entries in their own right: listing and walking never follow them,
//! and a COPY of a symlink copies the link. Only symlinks in the *middle* of a source path are
//! followed, and then only inside the context.

pub mod compression;
mod dockerfile_source;
mod entry;
mod error;
mod extract;
mod git_options;
mod ignore;
pub mod pattern;
mod scope;
mod sources;
mod spec;
mod walk;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use compression::{decompress, detect, is_archive_file, is_tar_archive, Compression};
pub use dockerfile_source::{resolve_dockerfile, resolve_dockerfile_with, ResolvedDockerfile};
pub use entry::{ContextEntry, EntryKind, EntryMetadata};
pub use error::ContextError;
pub use git_options::{parse_go_bool, GitOptionError, GitOptions};
pub use ignore::IgnoreMatcher;
pub use spec::ContextSpec;
pub use walk::Walk;

/// An opened build context: a directory on disk (possibly a temporary extraction of a tarball)
/// and the ignore rules loaded for the build.
#[derive(Debug)]
pub struct BuildContext {
    spec: ContextSpec,
    root: PathBuf,
    ignore: IgnoreMatcher,
    /// Keeps an extracted tarball alive; deleting it on drop.
    _extracted: Option<tempfile::TempDir>,
}

impl BuildContext {
    /// Opens the context named by a `--context` value. `sub_path` is `--context-sub-path`;
    /// `work_dir` is where tarballs are extracted (the build's `--kaniko-dir`). `tar://stdin` reads
    /// the process's standard input.
    pub fn open(spec: &str, sub_path: Option<&str>, work_dir: &Path) -> Result<Self, ContextError> {
        Self::open_with_stdin(spec, sub_path, work_dir, Box::new(std::io::stdin()))
    }

    /// [`BuildContext::open`] with `stdin` standing in for standard input (used by tests, and by
    /// callers that already hold the stream). It is only read for `tar://stdin`.
    pub fn open_with_stdin(
        spec: &str,
        sub_path: Option<&str>,
        work_dir: &Path,
        stdin: Box<dyn Read + Send>,
    ) -> Result<Self, ContextError> {
        let parsed = ContextSpec::parse(spec)?;
        let (base, extracted) = match &parsed {
            ContextSpec::Dir(path) => (existing_dir(path, "build context directory")?, None),
            ContextSpec::Tarball(path) => {
                let file = fs_err::File::open(path).map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => ContextError::NotFound {
                        what: "build context tarball",
                        path: path.clone(),
                    },
                    _ => ContextError::io("opening the build context tarball", e),
                })?;
                let dir = extract_tarball(file, work_dir, &path.display().to_string())?;
                (dir.path().to_path_buf(), Some(dir))
            }
            ContextSpec::Stdin => {
                let dir = extract_tarball(stdin, work_dir, "stdin")?;
                (dir.path().to_path_buf(), Some(dir))
            }
        };
        let root = match sub_path.filter(|s| !s.is_empty()) {
            None => base,
            Some(sub) => {
                let rel = crate::lexical_path::clean_within_root(sub).ok_or_else(|| {
                    ContextError::OutsideContext {
                        path: sub.to_string(),
                    }
                })?;
                let resolved = scope::resolve(&base, Path::new(&rel), true)?;
                existing_dir(&resolved, "build context sub-path")?
            }
        };
        tracing::debug!(root = %root.display(), "opened build context");
        Ok(Self {
            spec: parsed,
            root,
            ignore: IgnoreMatcher::empty(),
            _extracted: extracted,
        })
    }

    /// The directory COPY and ADD sources are relative to (after `--context-sub-path`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Which `--context` form this context was opened from.
    pub fn spec(&self) -> &ContextSpec {
        &self.spec
    }

    /// Loads the ignore file for a build whose Dockerfile is at `dockerfile` (on disk, as returned
    /// in [`ResolvedDockerfile::path`]; `None` for a Dockerfile from stdin) and keeps it for
    /// [`BuildContext::resolve_sources`] and [`BuildContext::walk`].
    pub fn load_ignore(&mut self, dockerfile: Option<&Path>) -> Result<&IgnoreMatcher, ContextError> {
        self.ignore = ignore::load(&self.root, dockerfile)?;
        Ok(&self.ignore)
    }

    /// Replaces the ignore rules (for callers that build them another way).
    pub fn set_ignore(&mut self, ignore: IgnoreMatcher) {
        self.ignore = ignore;
    }

    /// The ignore rules in effect (empty until loaded).
    pub fn ignore(&self) -> &IgnoreMatcher {
        &self.ignore
    }

    /// Resolves a COPY/ADD source: a path or a `filepath.Match` wildcard relative to the context
    /// root (a leading `/` is the root). Returns the matching entries in sorted order, without
    /// ignored ones; a wildcard may match nothing (an empty list). Errors: `../x` leaving the
    /// context ([`ContextError::OutsideContext`]), a missing or ignored path.
    pub fn resolve_sources(&self, source: &str) -> Result<Vec<ContextEntry>, ContextError> {
        sources::resolve(&self.root, &self.ignore, source)
    }

    /// Replaces a source entry that is a symlink with what it points to (resolved inside the
    /// context), keeping its name: BuildKit follows a COPY/ADD source that is itself a symlink
    /// (`FollowSymlinks`), while links *inside* a copied directory stay links.
    pub fn follow_source_link(&self, entry: ContextEntry) -> Result<ContextEntry, ContextError> {
        if !matches!(entry.metadata.kind, EntryKind::Symlink(_)) {
            return Ok(entry);
        }
        let abs_path = scope::resolve(&self.root, &entry.rel_path, true)?;
        let metadata = EntryMetadata::lstat(&abs_path)?;
        Ok(ContextEntry {
            abs_path,
            metadata,
            ..entry
        })
    }

    /// Walks `entry` (from [`BuildContext::resolve_sources`]) and everything below it, skipping
    /// what the ignore file excludes and what `excludes` (COPY/ADD `--exclude`, see
    /// [`IgnoreMatcher::new`]) excludes relative to the source. The first item is the entry itself.
    pub fn walk<'a>(&'a self, entry: &ContextEntry, excludes: &'a IgnoreMatcher) -> Walk<'a> {
        Walk::new(entry.clone(), &self.ignore, excludes)
    }
}

fn existing_dir(path: &Path, what: &'static str) -> Result<PathBuf, ContextError> {
    match fs_err::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            fs_err::canonicalize(path).map_err(|e| ContextError::io(format!("resolving the {what}"), e))
        }
        Ok(_) => Err(ContextError::NotADirectory {
            what,
            path: path.to_path_buf(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ContextError::NotFound {
            what,
            path: path.to_path_buf(),
        }),
        Err(e) => Err(ContextError::io(format!("reading the {what}"), e)),
    }
}

fn extract_tarball<R: Read + Send + 'static>(
    reader: R,
    work_dir: &Path,
    name: &str,
) -> Result<tempfile::TempDir, ContextError> {
    fs_err::create_dir_all(work_dir).map_err(|e| ContextError::io("creating the work directory", e))?;
    let dir = tempfile::Builder::new()
        .prefix("context-")
        .tempdir_in(work_dir)
        .map_err(|e| {
            ContextError::io(
                format!("creating a temporary directory in {}", work_dir.display()),
                e,
            )
        })?;
    let (format, decoded) =
        compression::decompress_detected(reader).map_err(|cause| ContextError::Archive {
            archive: name.to_string(),
            cause,
        })?;
    tracing::debug!(archive = name, compression = ?format, dest = %dir.path().display(), "extracting build context");
    extract::extract(decoded, dir.path(), name)?;
    Ok(dir)
}
