// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Resolving a layer entry's directory inside the rootfs as if the rootfs were `/` (chroot-style),
//! so no entry of a hostile layer can reach outside it.
//!
//! Every component is looked at with lstat: a directory is entered, a symlink is replaced by its
//! target (an absolute target starts again at the root, `..` never climbs above the root), and a
//! missing directory is created when the entry needs it. The result is a path made of real
//! directories only, so the final operation on `<root>/<resolved>/<name>` cannot be redirected.
//! Excluded paths are never entered, whatever symlink leads to them.

use std::ffi::OsString;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Component, Path, PathBuf};

use super::scan::ExcludeSet;
use super::unpack::UnpackError;

/// Symlinks followed for one path before giving up, as Linux's MAXSYMLINKS.
const MAX_SYMLINK_HOPS: u32 = 40;

/// Where a layer directory path leads inside the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ResolvedDir {
    /// A real directory, relative to the root.
    Dir(PathBuf),
    /// The path reaches an excluded path: the entry must be skipped.
    Excluded,
    /// A component does not exist or is not a directory (only when not creating).
    Missing,
}

enum Step {
    Name(OsString),
    Up,
}

/// Resolves directories inside one root, remembering the last answer: layer entries come
/// directory by directory, so most lookups repeat the previous one.
pub(super) struct RootResolver<'a> {
    root: &'a Path,
    exclude: &'a ExcludeSet,
    last: Option<(PathBuf, PathBuf)>,
}

impl<'a> RootResolver<'a> {
    pub fn new(root: &'a Path, exclude: &'a ExcludeSet) -> Self {
        Self {
            root,
            exclude,
            last: None,
        }
    }

    /// Forgets the remembered answer; called whenever anything in the root is removed, since a
    /// removed directory may come back as a symlink.
    pub fn invalidate(&mut self) {
        self.last = None;
    }

    /// Resolves directory `literal` (a relative layer path without `..`), creating missing
    /// directories (mode 0755) when `create`.
    pub fn resolve_dir(&mut self, literal: &Path, create: bool) -> Result<ResolvedDir, UnpackError> {
        if let Some((lit, resolved)) = &self.last {
            if lit == literal {
                return Ok(ResolvedDir::Dir(resolved.clone()));
            }
        }
        // Components still to walk, last first, so symlink targets can be pushed in front.
        let mut pending: Vec<Step> = steps(literal);
        let mut resolved = PathBuf::new();
        let mut hops = 0;
        while let Some(step) = pending.pop() {
            let name = match step {
                Step::Up => {
                    resolved.pop();
                    continue;
                }
                Step::Name(name) => name,
            };
            let candidate = resolved.join(&name);
            if self.exclude.contains(&candidate) {
                return Ok(ResolvedDir::Excluded);
            }
            let full = self.root.join(&candidate);
            match std::fs::symlink_metadata(&full) {
                Ok(m) if m.is_dir() => resolved = candidate,
                Ok(m) if m.file_type().is_symlink() => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(UnpackError::io(
                            "resolving",
                            &full,
                            io::Error::from_raw_os_error(libc::ELOOP),
                        ));
                    }
                    let target = std::fs::read_link(&full)
                        .map_err(|e| UnpackError::io("reading symlink", &full, e))?;
                    if target.has_root() {
                        resolved.clear();
                    }
                    pending.extend(steps(&target));
                }
                Ok(_) if create => {
                    return Err(UnpackError::io(
                        "creating directory",
                        &full,
                        io::Error::from_raw_os_error(libc::ENOTDIR),
                    ))
                }
                Ok(_) => return Ok(ResolvedDir::Missing),
                Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                    std::fs::DirBuilder::new()
                        .mode(0o755)
                        .create(&full)
                        .map_err(|e| UnpackError::io("creating directory", &full, e))?;
                    resolved = candidate;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ResolvedDir::Missing),
                Err(e) => return Err(UnpackError::io("inspecting", &full, e)),
            }
        }
        self.last = Some((literal.to_path_buf(), resolved.clone()));
        Ok(ResolvedDir::Dir(resolved))
    }
}

/// The components of `path` as steps, reversed (the first component last).
fn steps(path: &Path) -> Vec<Step> {
    path.components()
        .rev()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(Step::Name(n.to_os_string())),
            Component::ParentDir => Some(Step::Up),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect()
}
