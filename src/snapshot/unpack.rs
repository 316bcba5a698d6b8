// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Applying a layer blob onto a real directory (the stage rootfs that RUN executes in), with OCI
//! layer semantics: whiteouts delete lower content, opaque markers empty a directory of it, and
//! every entry is recreated with its owner, mode (setuid/setgid/sticky included), xattrs and
//! mtime.
//!
//! A layer is untrusted input: `..` is refused, parent directories are resolved inside the root
//! chroot-style ([`super::root_path`]), the final component is never followed, and excluded
//! paths (in container mode the root is `/`: /proc, /sys, the kaniko dir, mounts…) are neither
//! written nor deleted.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use super::layer::WHITEOUT_PREFIX;
use super::layer_reader::{EntryKind, LayerEntry, LayerReadError};
use super::prune::{remove_children, remove_path, Keep};
use super::root_path::{ResolvedDir, RootResolver};
use super::scan::ExcludeSet;
use super::{sys, visit_entries};

/// Why a layer could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error(transparent)]
    Read(#[from] LayerReadError),
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("layer entry {entry:?}: {reason}")]
    InvalidEntry { entry: PathBuf, reason: String },
}

impl UnpackError {
    pub(super) fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        Self::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    fn invalid(entry: &Path, reason: impl Into<String>) -> Self {
        Self::InvalidEntry {
            entry: entry.to_path_buf(),
            reason: reason.into(),
        }
    }
}

/// How strictly ownership is restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ownership {
    /// Every lchown must succeed.
    #[default]
    Exact,
    /// lchown failing with EPERM/EINVAL (an unprivileged user namespace mapping one uid) is
    /// ignored, counted and warned about once; so are xattrs the kernel refuses (EPERM).
    BestEffort,
}

/// What to leave alone and how strictly to restore ownership.
#[derive(Debug, Clone, Default)]
pub struct UnpackOptions {
    pub exclude: ExcludeSet,
    pub ownership: Ownership,
}

/// Counts of one unpack.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnpackStats {
    /// Entries read from the layer (skipped ones included).
    pub entries: u64,
    /// Entries whose owner could not be set ([`Ownership::BestEffort`]).
    pub ownership_skipped: u64,
    /// Device nodes not created because mknod was not permitted.
    pub devices_skipped: u64,
}

/// Applies the layer at `blob` (compressed as `media_type` says) onto directory `root`.
pub fn unpack_layer(
    blob: &Path,
    media_type: &str,
    root: &Path,
    options: &UnpackOptions,
) -> Result<UnpackStats, UnpackError> {
    let mut unpacker = Unpacker {
        root,
        options,
        resolver: RootResolver::new(root, &options.exclude),
        written: HashSet::new(),
        dir_times: Vec::new(),
        stats: UnpackStats::default(),
        warned_ownership: false,
    };
    visit_entries(blob, media_type, |entry, content| unpacker.apply(entry, content))?;
    unpacker.set_dir_times()?;
    Ok(unpacker.stats)
}

struct Unpacker<'a> {
    root: &'a Path,
    options: &'a UnpackOptions,
    resolver: RootResolver<'a>,
    /// What this layer wrote (resolved relative paths and their ancestors): whiteouts and opaque
    /// markers of the same layer must not remove it.
    written: HashSet<PathBuf>,
    /// Directory mtimes, applied once every entry is in place (writing a child moves them).
    dir_times: Vec<(PathBuf, u64)>,
    stats: UnpackStats,
    warned_ownership: bool,
}

impl Unpacker<'_> {
    fn apply(&mut self, entry: &LayerEntry, content: &mut dyn Read) -> Result<(), UnpackError> {
        self.stats.entries += 1;
        if entry
            .path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(UnpackError::invalid(
                &entry.path,
                "'..' is not allowed in a layer path",
            ));
        }
        // The root itself (`./`) keeps the metadata the rootfs already has.
        let (Some(parent), Some(name)) = (entry.path.parent(), entry.path.file_name()) else {
            return Ok(());
        };
        if self.options.exclude.contains(&entry.path) {
            tracing::debug!(path = %entry.path.display(), "excluded path in layer skipped");
            return Ok(());
        }
        match &entry.kind {
            EntryKind::Whiteout { .. } => self.whiteout(&entry.path, parent, name),
            EntryKind::OpaqueWhiteout { dir } => self.opaque(dir),
            EntryKind::Other(flag) => {
                tracing::warn!(path = %entry.path.display(), flag, "layer entry of an unsupported type skipped");
                Ok(())
            }
            _ => self.write_entry(entry, parent, Path::new(name), content),
        }
    }

    /// `.wh.<name>` deletes the lower `<name>`; the name is taken from the entry itself so that
    /// `.wh.` + `.`/`..`/nothing can never name the directory or its parent.
    fn whiteout(&mut self, entry: &Path, parent: &Path, file_name: &OsStr) -> Result<(), UnpackError> {
        let name = file_name
            .as_bytes()
            .strip_prefix(WHITEOUT_PREFIX.as_bytes())
            .map(OsStr::from_bytes)
            .unwrap_or_default();
        if name.is_empty() || name == "." || name == ".." {
            return Err(UnpackError::invalid(entry, "whiteout without a valid name"));
        }
        let ResolvedDir::Dir(dir) = self.resolver.resolve_dir(parent, false)? else {
            return Ok(());
        };
        let rel = dir.join(name);
        self.resolver.invalidate();
        remove_path(self.root, &rel, &self.keep())
    }

    fn opaque(&mut self, dir: &Path) -> Result<(), UnpackError> {
        let ResolvedDir::Dir(resolved) = self.resolver.resolve_dir(dir, false)? else {
            return Ok(());
        };
        self.resolver.invalidate();
        remove_children(self.root, &resolved, &self.keep())?;
        self.mark_written(&resolved);
        Ok(())
    }

    fn keep(&self) -> Keep<'_> {
        Keep {
            exclude: &self.options.exclude,
            written: Some(&self.written),
        }
    }

    fn mark_written(&mut self, rel: &Path) {
        for a in rel.ancestors().filter(|a| !a.as_os_str().is_empty()) {
            if !self.written.insert(a.to_path_buf()) {
                break;
            }
        }
    }

    fn write_entry(
        &mut self,
        entry: &LayerEntry,
        parent: &Path,
        name: &Path,
        content: &mut dyn Read,
    ) -> Result<(), UnpackError> {
        let ResolvedDir::Dir(dir) = self.resolver.resolve_dir(parent, true)? else {
            tracing::debug!(path = %entry.path.display(), "layer entry leading into an excluded path skipped");
            return Ok(());
        };
        let rel = dir.join(name);
        if self.options.exclude.contains(&rel) {
            return Ok(());
        }
        let full = self.root.join(&rel);
        match entry.kind {
            EntryKind::Directory => self.make_dir(&full)?,
            EntryKind::HardLink => return self.hard_link(entry, &rel, &full),
            _ => {
                if !self.clear_for(&rel, &full)? {
                    return Ok(());
                }
                if !self.create_node(entry, &full, content)? {
                    return Ok(());
                }
            }
        }
        self.mark_written(&rel);
        self.set_metadata(entry, &full)
    }

    /// Removes whatever is at `full` so a non-directory can be created there. False when a
    /// directory holding an excluded path is in the way (the entry is skipped).
    fn clear_for(&mut self, rel: &Path, full: &Path) -> Result<bool, UnpackError> {
        let meta = match std::fs::symlink_metadata(full) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
            Err(e) => return Err(UnpackError::io("inspecting", full, e)),
        };
        self.resolver.invalidate();
        if !meta.is_dir() {
            std::fs::remove_file(full).map_err(|e| UnpackError::io("removing", full, e))?;
            return Ok(true);
        }
        if self.options.exclude.is_ancestor_of_excluded(rel) {
            tracing::warn!(path = %full.display(), "not replacing a directory that holds an excluded path");
            return Ok(false);
        }
        std::fs::remove_dir_all(full).map_err(|e| UnpackError::io("removing", full, e))?;
        Ok(true)
    }

    fn make_dir(&mut self, full: &Path) -> Result<(), UnpackError> {
        match std::fs::symlink_metadata(full) {
            Ok(m) if m.is_dir() => return Ok(()),
            Ok(_) => {
                self.resolver.invalidate();
                std::fs::remove_file(full).map_err(|e| UnpackError::io("removing", full, e))?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(UnpackError::io("inspecting", full, e)),
        }
        std::fs::create_dir(full).map_err(|e| UnpackError::io("creating directory", full, e))
    }

    /// Creates a file, symlink, fifo or device node at the (cleared) path `full`. False when a
    /// device node may not be created here (counted, skipped).
    fn create_node(
        &mut self,
        entry: &LayerEntry,
        full: &Path,
        content: &mut dyn Read,
    ) -> Result<bool, UnpackError> {
        let err = |op| move |e| UnpackError::io(op, full, e);
        match entry.kind {
            EntryKind::File => {
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(full)
                    .map_err(err("creating"))?;
                io::copy(content, &mut file).map_err(err("writing"))?;
            }
            EntryKind::Symlink => {
                let target = entry
                    .link_name
                    .as_deref()
                    .ok_or_else(|| UnpackError::invalid(&entry.path, "symlink without a target"))?;
                std::os::unix::fs::symlink(target, full).map_err(err("creating symlink"))?;
            }
            EntryKind::Fifo => {
                sys::mknod(full, libc::S_IFIFO, entry.mode, 0, 0).map_err(err("creating fifo"))?
            }
            EntryKind::CharDevice | EntryKind::BlockDevice => {
                let kind = if entry.kind == EntryKind::CharDevice {
                    libc::S_IFCHR
                } else {
                    libc::S_IFBLK
                };
                let (major, minor) = entry.device.unwrap_or((0, 0));
                match sys::mknod(full, kind, entry.mode, major, minor) {
                    Ok(()) => {}
                    Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
                        self.stats.devices_skipped += 1;
                        tracing::debug!(path = %full.display(), "device node not permitted here, skipped");
                        return Ok(false);
                    }
                    Err(e) => return Err(err("creating device")(e)),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// A hard link shares its target's inode, so the target's metadata stays as it is.
    fn hard_link(&mut self, entry: &LayerEntry, rel: &Path, full: &Path) -> Result<(), UnpackError> {
        let link_name = entry
            .link_name
            .as_deref()
            .ok_or_else(|| UnpackError::invalid(&entry.path, "hard link without a target"))?;
        let target: PathBuf = link_name
            .components()
            .filter(|c| !matches!(c, Component::RootDir | Component::CurDir))
            .collect();
        if target.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(UnpackError::invalid(
                &entry.path,
                "hard link target leaves the root",
            ));
        }
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            return Err(UnpackError::invalid(&entry.path, "hard link to the root"));
        };
        let skip = || {
            tracing::warn!(path = %entry.path.display(), target = %target.display(), "hard link to an excluded path skipped");
        };
        let target_rel = match self.resolver.resolve_dir(parent, false)? {
            ResolvedDir::Dir(d) => d.join(name),
            ResolvedDir::Missing => {
                return Err(UnpackError::invalid(
                    &entry.path,
                    format!("hard link target {target:?} does not exist"),
                ))
            }
            ResolvedDir::Excluded => {
                skip();
                return Ok(());
            }
        };
        if self.options.exclude.contains(&target_rel) {
            skip();
            return Ok(());
        }
        if target_rel == rel {
            return Ok(());
        }
        if !self.clear_for(rel, full)? {
            return Ok(());
        }
        let target_full = self.root.join(&target_rel);
        sys::hard_link(&target_full, full).map_err(|e| UnpackError::io("creating hard link", full, e))?;
        self.mark_written(rel);
        Ok(())
    }

    /// Owner, then mode (chown clears setuid), xattrs, then mtime (directories: deferred).
    fn set_metadata(&mut self, entry: &LayerEntry, full: &Path) -> Result<(), UnpackError> {
        let (Ok(uid), Ok(gid)) = (u32::try_from(entry.uid), u32::try_from(entry.gid)) else {
            return Err(UnpackError::invalid(&entry.path, "uid or gid out of range"));
        };
        match sys::lchown(full, uid, gid) {
            Ok(()) => {}
            Err(e) if self.tolerated(&e) => {
                self.stats.ownership_skipped += 1;
                if !self.warned_ownership {
                    self.warned_ownership = true;
                    tracing::warn!(
                        path = %full.display(), uid, gid, error = %e,
                        "cannot set file ownership here (user namespace with one uid mapped?); \
                         keeping the current owner for this and later entries"
                    );
                }
            }
            Err(e) => return Err(UnpackError::io("changing owner of", full, e)),
        }
        let symlink = entry.kind == EntryKind::Symlink;
        if !symlink {
            std::fs::set_permissions(full, std::fs::Permissions::from_mode(entry.mode & 0o7777))
                .map_err(|e| UnpackError::io("changing mode of", full, e))?;
        }
        for (name, value) in &entry.xattrs {
            match sys::set_xattr(full, name, value) {
                Ok(()) => {}
                Err(e) if sys::is_unsupported(&e) => {
                    tracing::debug!(path = %full.display(), name, "xattr not supported here, skipped")
                }
                // Linux allows user.* attributes on regular files and directories only.
                Err(e) if symlink && e.raw_os_error() == Some(libc::EPERM) => {
                    tracing::debug!(path = %full.display(), name, "xattr not allowed on a symlink, skipped")
                }
                Err(e)
                    if self.options.ownership == Ownership::BestEffort
                        && e.raw_os_error() == Some(libc::EPERM) =>
                {
                    tracing::warn!(path = %full.display(), name, "xattr not permitted here, skipped")
                }
                Err(e) => return Err(UnpackError::io("setting xattr on", full, e)),
            }
        }
        if entry.kind == EntryKind::Directory {
            self.dir_times.push((full.to_path_buf(), entry.mtime));
            return Ok(());
        }
        sys::set_mtime(full, entry.mtime).map_err(|e| UnpackError::io("setting mtime of", full, e))
    }

    fn tolerated(&self, e: &io::Error) -> bool {
        self.options.ownership == Ownership::BestEffort
            && matches!(e.raw_os_error(), Some(libc::EPERM | libc::EINVAL))
    }

    /// Deepest first, so setting a child's time cannot move its parent's again.
    fn set_dir_times(&mut self) -> Result<(), UnpackError> {
        let mut times = std::mem::take(&mut self.dir_times);
        times.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
        for (path, mtime) in times {
            match sys::set_mtime(&path, mtime) {
                // Removed again by a later entry of the same layer.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(UnpackError::io("setting mtime of", &path, e)),
                Ok(()) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "unpack_tests.rs"]
mod tests;
