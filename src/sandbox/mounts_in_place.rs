// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `RUN --mount` in container isolation, where the command runs over `/` of the build container
//! with no mount namespace of its own (and no CAP_SYS_ADMIN to make one): each [`Mount`] is put in
//! place as files before the command and taken away again before the snapshot.
//!
//! - a tmpfs becomes an empty directory (mode from its `mode=` data, 1777 by default);
//! - a bind of something the step owns (a scratch copy, a secret's private file) is moved to the
//!   target, or copied with modes and owners where a rename cannot cross filesystems, and deleted
//!   afterwards, so writes are discarded with it;
//! - a bind of a directory the step does not own (a cache directory, which must keep the writes)
//!   and any socket (an ssh agent) become a symbolic link to the source; another file is copied;
//! - a [`MountKind::Symlink`] is a symbolic link.
//!
//! Whatever already exists at a target is renamed aside in its directory under a hidden name and
//! renamed back afterwards. Directories that did not exist on the way to a target are created and
//! removed again while empty, and each existing directory whose entries were changed gets its
//! times back, unless the command itself changed its entries too: [`InPlace::undo`] returns those
//! paths (and the renamed-back entries), whose ctime alone moved, for the snapshotter.
//!
//! Nothing is enforced the kernel way: a read-only bind is writable by root, a tmpfs has no size
//! limit, and a cache target is a symlink. Dropping an [`InPlace`] undoes it, so a failed, cancelled
//! or half-prepared step leaves the filesystem as it was.

use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use super::mounts::{Mount, MountError, MountKind};

/// Why the mounts could not be put in place or taken away.
#[derive(Debug, thiserror::Error)]
pub enum InPlaceError {
    #[error(transparent)]
    Target(#[from] MountError),
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("mount target /{} cannot be provided without a mount namespace ({kind})", target.display())]
    Unsupported { target: PathBuf, kind: &'static str },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> InPlaceError {
    let path = path.to_path_buf();
    move |source| InPlaceError::Io { action, path, source }
}

/// One target put in place: what stands there now, and where the original waits.
#[derive(Debug)]
struct Placed {
    at: PathBuf,
    aside: Option<PathBuf>,
}

/// An existing directory whose entries were changed, with its times before and after.
#[derive(Debug)]
struct Parent {
    path: PathBuf,
    before: std::fs::FileTimes,
    /// mtime once every mount is in place; a different one afterwards means the command changed
    /// the directory's entries itself, so its times are its own.
    prepared: Option<SystemTime>,
}

/// The mounts of one command, in place under a root. Undone on drop.
#[derive(Debug)]
pub struct InPlace {
    root: PathBuf,
    placed: Vec<Placed>,
    /// Directories created on the way to targets, in creation order.
    stubs: Vec<PathBuf>,
    parents: Vec<Parent>,
    undone: bool,
}

impl InPlace {
    /// Puts every mount in place under `root`, in order (parents before children). `owned` says
    /// whether a bind source belongs to this step alone and may be consumed. On error, what was
    /// done is undone.
    pub fn place(root: &Path, mounts: &[Mount], owned: &dyn Fn(&Path) -> bool) -> Result<Self, InPlaceError> {
        let mut this = InPlace {
            root: root.to_path_buf(),
            placed: Vec::new(),
            stubs: Vec::new(),
            parents: Vec::new(),
            undone: false,
        };
        let placed = mounts
            .iter()
            .enumerate()
            .try_for_each(|(n, m)| this.place_one(m, n, owned));
        // Also on error: then no command ran, and dropping `this` restores everything.
        for parent in &mut this.parents {
            parent.prepared = mtime(&parent.path);
        }
        placed.map(|()| this)
    }

    fn place_one(&mut self, m: &Mount, n: usize, owned: &dyn Fn(&Path) -> bool) -> Result<(), InPlaceError> {
        let parts: Vec<&std::ffi::OsStr> = m
            .target
            .components()
            .filter_map(|c| match c {
                Component::Normal(p) => Some(p),
                _ => None,
            })
            .collect();
        let Some((last, dirs)) = parts.split_last() else {
            return Err(InPlaceError::Unsupported {
                target: m.target.clone(),
                kind: "the root itself",
            });
        };
        let show = m.target.to_string_lossy().into_owned();
        let mut current = self.root.clone();
        for part in dirs {
            let next = current.join(part);
            match std::fs::symlink_metadata(&next) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(MountError::Symlink {
                        path: show,
                        component: next
                            .strip_prefix(&self.root)
                            .unwrap_or(&next)
                            .display()
                            .to_string(),
                    }
                    .into())
                }
                Ok(meta) if !meta.is_dir() => {
                    return Err(MountError::WrongType {
                        path: show,
                        expected: "directory",
                    }
                    .into())
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    self.remember_parent(&current);
                    std::fs::create_dir(&next).map_err(io("creating the mount point", &next))?;
                    self.stubs.push(next.clone());
                }
                Err(e) => return Err(io("reading", &next)(e)),
            }
            current = next;
        }
        self.remember_parent(&current);
        let at = current.join(last);
        let aside = match std::fs::symlink_metadata(&at) {
            Ok(_) => {
                let hidden = self.aside_name(&current, n);
                std::fs::rename(&at, &hidden).map_err(io("moving aside what is at the mount target", &at))?;
                Some(hidden)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io("reading", &at)(e)),
        };
        // Recorded before materializing, so a failure below still restores the original.
        self.placed.push(Placed {
            at: at.clone(),
            aside,
        });
        materialize(m, &at, owned)
    }

    fn remember_parent(&mut self, dir: &Path) {
        if self.stubs.iter().any(|s| s == dir) || self.parents.iter().any(|p| p.path == dir) {
            return;
        }
        let Ok(meta) = std::fs::metadata(dir) else {
            return;
        };
        let (Ok(accessed), Ok(modified)) = (meta.accessed(), meta.modified()) else {
            return;
        };
        self.parents.push(Parent {
            path: dir.to_path_buf(),
            before: std::fs::FileTimes::new()
                .set_accessed(accessed)
                .set_modified(modified),
            prepared: None,
        });
    }

    /// A free hidden name in `dir` for what stands at the `n`th target.
    fn aside_name(&self, dir: &Path, n: usize) -> PathBuf {
        let pid = std::process::id();
        (0..)
            .map(|k| dir.join(format!(".kaniko-mount-aside-{pid}-{n}-{k}")))
            .find(|p| std::fs::symlink_metadata(p).is_err())
            .unwrap_or_else(|| dir.join(format!(".kaniko-mount-aside-{pid}-{n}")))
    }

    /// Takes every mount away (children first), puts back what stood at the targets, removes the
    /// directories created for them while empty and restores their parents' times. Returns the
    /// paths, relative to the root, whose ctime alone changed. Goes on after an error and reports
    /// the first.
    pub fn undo(mut self) -> Result<Vec<PathBuf>, InPlaceError> {
        self.undo_all()
    }

    fn undo_all(&mut self) -> Result<Vec<PathBuf>, InPlaceError> {
        self.undone = true;
        let mut first: Option<InPlaceError> = None;
        let mut keep = |r: Result<(), InPlaceError>| {
            if let Err(e) = r {
                first.get_or_insert(e);
            }
        };
        let untouched: Vec<bool> = self
            .parents
            .iter()
            .map(|p| p.prepared.is_some() && mtime(&p.path) == p.prepared)
            .collect();
        let mut accepted = Vec::new();
        for placed in self.placed.iter().rev() {
            keep(remove_any(&placed.at));
            if let Some(aside) = &placed.aside {
                match std::fs::rename(aside, &placed.at) {
                    Ok(()) => accepted.push(placed.at.clone()),
                    Err(e) => keep(Err(io("putting back what was at the mount target", &placed.at)(
                        e,
                    ))),
                }
            }
        }
        for stub in self.stubs.iter().rev() {
            // A stub the command wrote into holds its change and stays.
            if std::fs::read_dir(stub).is_ok_and(|mut d| d.next().is_none()) {
                keep(std::fs::remove_dir(stub).map_err(io("removing the mount point", stub)));
            }
        }
        for (parent, untouched) in self.parents.iter().zip(untouched) {
            let clean = untouched
                && self
                    .stubs
                    .iter()
                    .filter(|s| s.parent() == Some(parent.path.as_path()))
                    .all(|s| std::fs::symlink_metadata(s).is_err());
            if !clean {
                continue;
            }
            match std::fs::File::open(&parent.path).and_then(|f| f.set_times(parent.before)) {
                Ok(()) => accepted.push(parent.path.clone()),
                // Inside a bind copy that is gone already.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => keep(Err(io("restoring the times of", &parent.path)(e))),
            }
        }
        if let Some(e) = first {
            return Err(e);
        }
        Ok(accepted
            .into_iter()
            .map(|p| p.strip_prefix(&self.root).unwrap_or(&p).to_path_buf())
            .collect())
    }
}

impl Drop for InPlace {
    fn drop(&mut self) {
        if !self.undone {
            if let Err(e) = self.undo_all() {
                tracing::warn!("taking RUN --mount targets away: {e}");
            }
        }
    }
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::symlink_metadata(path).and_then(|m| m.modified()).ok()
}

/// Removes whatever is at `path` (a directory with its content), never following a symlink.
fn remove_any(path: &Path) -> Result<(), InPlaceError> {
    let removed = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    };
    removed.map_err(io("removing the mount", path))
}

/// Creates what the command sees at `at` (which does not exist).
fn materialize(m: &Mount, at: &Path, owned: &dyn Fn(&Path) -> bool) -> Result<(), InPlaceError> {
    match &m.kind {
        MountKind::Tmpfs { data } => {
            std::fs::create_dir(at).map_err(io("creating the mount point", at))?;
            std::fs::set_permissions(at, std::fs::Permissions::from_mode(tmpfs_mode(data)))
                .map_err(io("setting the mode of", at))
        }
        MountKind::Symlink { target } => {
            std::os::unix::fs::symlink(target, at).map_err(io("creating the symbolic link", at))
        }
        MountKind::Bind { source, .. } => {
            let meta = std::fs::metadata(source).map_err(io("reading the mount source", source))?;
            if meta.file_type().is_socket() || (meta.is_dir() && !owned(source)) {
                return std::os::unix::fs::symlink(source, at).map_err(io("creating the symbolic link", at));
            }
            if owned(source) {
                match std::fs::rename(source, at) {
                    Ok(()) => return Ok(()),
                    Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {}
                    Err(e) => return Err(io("moving the mount source into place", source)(e)),
                }
            }
            copy_tree(source, at).map_err(io("copying the mount source into place", source))
        }
        MountKind::Proc => Err(InPlaceError::Unsupported {
            target: m.target.clone(),
            kind: "proc",
        }),
        MountKind::Sys => Err(InPlaceError::Unsupported {
            target: m.target.clone(),
            kind: "sysfs",
        }),
    }
}

/// The root mode of a tmpfs from its mount data (`mode=755,size=…`); tmpfs's own default is 1777.
fn tmpfs_mode(data: &str) -> u32 {
    data.split(',')
        .find_map(|o| o.strip_prefix("mode="))
        .and_then(|m| u32::from_str_radix(m, 8).ok())
        .unwrap_or(0o1777)
}

/// Copies a file or directory tree with modes, owners and symlinks (what a bind shows); other
/// special files are not content a step reads and are left out.
fn copy_tree(src: &Path, dest: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(src)?;
    let kind = meta.file_type();
    if kind.is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(src)?, dest)?;
    } else if kind.is_dir() {
        std::fs::create_dir(dest)?;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            copy_tree(&entry.path(), &dest.join(entry.file_name()))?;
        }
    } else if kind.is_file() {
        std::fs::copy(src, dest)?;
    } else {
        return Ok(());
    }
    // Without the privilege to give files away (not root) the copy stays ours.
    match std::os::unix::fs::lchown(dest, Some(meta.uid()), Some(meta.gid())) {
        Err(e) if e.raw_os_error() != Some(libc::EPERM) => return Err(e),
        _ => {}
    }
    if !kind.is_symlink() {
        // After chown, which clears setuid and setgid bits.
        std::fs::set_permissions(dest, std::fs::Permissions::from_mode(meta.mode() & 0o7777))?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "mounts_in_place_tests.rs"]
mod tests;
