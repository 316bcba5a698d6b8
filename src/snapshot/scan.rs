// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Recording the state of a directory tree (the stage rootfs) so two states can be compared by
//! [`super::diff`]: what RUN changed is the difference between the tree before and after it.
//!
//! The walk is parallel (rayon): directories fan out as work-stealing tasks and large directories
//! stat their entries in parallel too. Rayon rather than a hand-made queue over
//! `std::thread::scope` because a tree is recursive work of unknown shape, which is exactly what
//! `join`/work stealing balances without a shared queue, termination detection or per-thread
//! result merging; the result comes back already in tree shape. Entries are read and stat'ed
//! relative to their directory's descriptor ([`super::dir_fd`]: getdents64, statx, openat with
//! O_NOFOLLOW), so no path is resolved again from the root; symlinks are recorded, never
//! followed; excluded subtrees are not entered.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io;
use std::ops::Bound;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use super::dir_fd::{DirFd, RawStat};
use super::snapshotter::SnapshotError;

/// Which metadata decides that an entry changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotMode {
    /// mtime and ctime (ns), size, mode incl. type, owner, inode, rdev, link target: catches every
    /// change a process can make (even `touch -r` or content rewritten in place with the old
    /// mtime, because the kernel always moves ctime) without reading unchanged files.
    #[default]
    Stat,
    /// kaniko's default: mtime, size, mode, owner, rdev, link target, plus a content hash of
    /// every regular file (every file is read on every snapshot). Unlike kaniko it also compares
    /// the link count of non-directories, so a new hard link brings the existing names along and
    /// the layer keeps them linked.
    Full,
    /// kaniko's `redo`: mtime, size, mode, owner.
    Redo,
    /// kaniko's `time`: mtime only.
    Time,
}

impl SnapshotMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stat => "stat",
            Self::Full => "full",
            Self::Redo => "redo",
            Self::Time => "time",
        }
    }
}

impl std::fmt::Display for SnapshotMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--snapshot-mode` value we do not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown snapshot mode {0:?}: expected one of stat, full, redo, time")]
pub struct UnknownSnapshotMode(pub String);

impl FromStr for SnapshotMode {
    type Err = UnknownSnapshotMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "stat" => Ok(Self::Stat),
            "full" => Ok(Self::Full),
            "redo" => Ok(Self::Redo),
            "time" => Ok(Self::Time),
            other => Err(UnknownSnapshotMode(other.to_string())),
        }
    }
}

/// Paths (relative to the root) that snapshots and unpacking leave alone: each hides itself and
/// its whole subtree (container mode: /proc, /sys, /dev, the kaniko dir, mount points…).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExcludeSet {
    paths: BTreeSet<PathBuf>,
}

impl ExcludeSet {
    /// Relative or absolute paths (a leading `/` means the root); `.` and `..` are applied
    /// lexically. The root itself cannot be excluded and is dropped.
    pub fn new(paths: impl IntoIterator<Item = PathBuf>) -> Self {
        let paths = paths
            .into_iter()
            .map(|p| crate::lexical_path::clean_path_under_root(&p))
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        Self { paths }
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The excluded paths, relative, in tree order.
    pub fn iter(&self) -> impl Iterator<Item = &Path> {
        self.paths.iter().map(PathBuf::as_path)
    }

    /// Whether `rel` is excluded or lies under an excluded path.
    pub fn contains(&self, rel: &Path) -> bool {
        !self.paths.is_empty()
            && rel
                .ancestors()
                .filter(|a| !a.as_os_str().is_empty())
                .any(|a| self.paths.contains(a))
    }

    /// Whether some excluded path lies strictly under `rel` (the root `""` included), so `rel`
    /// must survive deletions and cannot be made opaque.
    pub fn is_ancestor_of_excluded(&self, rel: &Path) -> bool {
        // Path order is by component, so `rel`'s descendants directly follow it.
        self.paths
            .range::<Path, _>((Bound::Excluded(rel), Bound::Unbounded))
            .next()
            .is_some_and(|p| p.starts_with(rel))
    }

    fn contains_exact(&self, rel: &Path) -> bool {
        self.paths.contains(rel)
    }
}

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
}

/// One entry's recorded state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryStat {
    pub kind: FileKind,
    /// `st_mode`: type and permission bits (setuid/setgid/sticky included).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    /// Creation time where the filesystem records one (statx): tells a directory recreated at
    /// a reused inode number from the one it replaced.
    pub btime_ns: Option<i128>,
    pub ino: u64,
    pub dev: u64,
    pub nlink: u64,
    pub rdev: u64,
    /// Symlinks only: the target, verbatim.
    pub link_target: Option<PathBuf>,
    /// Regular files in [`SnapshotMode::Full`] only: SHA-256 of the content.
    pub content_hash: Option<[u8; 32]>,
}

impl EntryStat {
    fn from_raw(st: &RawStat) -> Self {
        let kind = match st.mode & libc::S_IFMT {
            libc::S_IFDIR => FileKind::Dir,
            libc::S_IFLNK => FileKind::Symlink,
            libc::S_IFIFO => FileKind::Fifo,
            libc::S_IFCHR => FileKind::CharDevice,
            libc::S_IFBLK => FileKind::BlockDevice,
            libc::S_IFSOCK => FileKind::Socket,
            _ => FileKind::File,
        };
        let ns = |(s, n): (i64, u32)| i128::from(s) * 1_000_000_000 + i128::from(n);
        Self {
            kind,
            mode: st.mode,
            uid: st.uid,
            gid: st.gid,
            size: st.size,
            mtime_ns: ns(st.mtime),
            ctime_ns: ns(st.ctime),
            btime_ns: st.btime.map(ns),
            ino: st.ino,
            dev: st.dev,
            nlink: st.nlink,
            rdev: st.rdev,
            link_target: None,
            content_hash: None,
        }
    }

    /// Permission bits incl. setuid/setgid/sticky, without the file type.
    pub fn permissions(&self) -> u32 {
        self.mode & 0o7777
    }

    /// Whole seconds of the mtime, as a layer header stores it (pre-1970 becomes 0).
    pub fn mtime_secs(&self) -> u64 {
        u64::try_from(self.mtime_ns.div_euclid(1_000_000_000)).unwrap_or(0)
    }

    /// Whether `self` is a different object than `old` at the same path: another inode, or the
    /// same inode number reused for a newer object (creation times differ).
    pub fn recreated_from(&self, old: &EntryStat) -> bool {
        self.ino != old.ino || matches!((self.btime_ns, old.btime_ns), (Some(a), Some(b)) if a != b)
    }

    /// Whether `self` (the new state) differs from `old` by the fields `mode` compares. The entry
    /// kind is compared by the caller (a type change is never "unchanged").
    pub fn changed_from(&self, old: &EntryStat, mode: SnapshotMode) -> bool {
        let redo = || {
            self.mtime_ns != old.mtime_ns
                || self.size != old.size
                || self.mode != old.mode
                || self.uid != old.uid
                || self.gid != old.gid
        };
        match mode {
            SnapshotMode::Time => self.mtime_ns != old.mtime_ns,
            SnapshotMode::Redo => redo(),
            SnapshotMode::Full => {
                redo()
                    || self.rdev != old.rdev
                    || self.link_target != old.link_target
                    || self.content_hash != old.content_hash
                    || (self.kind != FileKind::Dir && self.nlink != old.nlink)
            }
            SnapshotMode::Stat => {
                redo()
                    || self.ctime_ns != old.ctime_ns
                    || self.ino != old.ino
                    || self.rdev != old.rdev
                    || self.link_target != old.link_target
            }
        }
    }
}

/// One entry of a [`Tree`]; directories hold their children sorted by name.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub name: OsString,
    pub stat: EntryStat,
    pub children: Vec<Node>,
    /// Directories only: an excluded path lies somewhere below, so this directory must never be
    /// made opaque (that would hide the excluded path's lower content).
    pub holds_excluded: bool,
}

/// The recorded state of a tree: relative path (the root itself not included) → [`EntryStat`].
/// Stored as nested sorted directories, so a diff is a merge walk and paths come out parents
/// first without sorting.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub(super) children: Vec<Node>,
    len: usize,
}

impl Tree {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entry at relative path `rel`.
    pub fn get(&self, rel: &Path) -> Option<&EntryStat> {
        let mut nodes = &self.children;
        let mut found = None;
        for c in rel.components() {
            let Component::Normal(name) = c else { continue };
            let i = nodes.binary_search_by(|n| n.name.as_os_str().cmp(name)).ok()?;
            let node = nodes.get(i)?;
            nodes = &node.children;
            found = Some(&node.stat);
        }
        found
    }

    /// The entry at relative path `rel`, to amend.
    pub(super) fn get_mut(&mut self, rel: &Path) -> Option<&mut EntryStat> {
        let mut nodes = &mut self.children;
        let mut found = None;
        for c in rel.components() {
            let Component::Normal(name) = c else { continue };
            let i = nodes.binary_search_by(|n| n.name.as_os_str().cmp(name)).ok()?;
            let node = nodes.get_mut(i)?;
            found = Some(&mut node.stat);
            nodes = &mut node.children;
        }
        found
    }

    /// All entries, parents before children, siblings by name.
    pub fn iter(&self) -> TreeIter<'_> {
        TreeIter {
            stack: vec![self.children.iter()],
            dir: PathBuf::new(),
        }
    }
}

/// Iterator over a [`Tree`]'s entries in walk order.
pub struct TreeIter<'a> {
    stack: Vec<std::slice::Iter<'a, Node>>,
    dir: PathBuf,
}

impl<'a> Iterator for TreeIter<'a> {
    type Item = (PathBuf, &'a EntryStat);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let top = self.stack.last_mut()?;
            match top.next() {
                Some(node) => {
                    let path = self.dir.join(&node.name);
                    if !node.children.is_empty() {
                        self.stack.push(node.children.iter());
                        self.dir = path.clone();
                    }
                    return Some((path, &node.stat));
                }
                None => {
                    self.stack.pop();
                    self.dir.pop();
                }
            }
        }
    }
}

/// Directories with at least this many entries stat them in parallel; below it the task
/// overhead outweighs the gain.
const PARALLEL_STAT_MIN: usize = 64;

struct ScanContext<'a> {
    root: &'a Path,
    exclude: &'a ExcludeSet,
    hash: bool,
}

/// Records the tree under `root` (which must be a directory), skipping excluded subtrees.
pub fn scan(root: &Path, exclude: &ExcludeSet, mode: SnapshotMode) -> Result<Tree, SnapshotError> {
    let ctx = ScanContext {
        root,
        exclude,
        hash: mode == SnapshotMode::Full,
    };
    let dir = DirFd::open(root).map_err(|source| SnapshotError::ReadDir {
        path: root.to_path_buf(),
        source,
    })?;
    let children = scan_dir(&ctx, &dir, Path::new(""))?;
    let len = count(&children);
    Ok(Tree { children, len })
}

fn count(nodes: &[Node]) -> usize {
    nodes.iter().map(|n| 1 + count(&n.children)).sum()
}

fn scan_dir(ctx: &ScanContext<'_>, dir: &DirFd, rel: &Path) -> Result<Vec<Node>, SnapshotError> {
    let mut names = dir.names().map_err(|source| SnapshotError::ReadDir {
        path: ctx.root.join(rel),
        source,
    })?;
    // Sorted before stat'ing (collecting keeps the order): moving names is cheaper than nodes.
    names.sort_unstable();
    // Only directories above an excluded path need the per-entry lookup.
    let check_exclude = ctx.exclude.is_ancestor_of_excluded(rel);
    let stat_one = |name: OsString| stat_entry(ctx, dir, rel, check_exclude, name).transpose();
    let mut nodes: Vec<Node> = if names.len() >= PARALLEL_STAT_MIN {
        names
            .into_par_iter()
            .filter_map(stat_one)
            .collect::<Result<Vec<_>, _>>()?
    } else {
        names
            .into_iter()
            .filter_map(stat_one)
            .collect::<Result<Vec<_>, _>>()?
    };
    nodes
        .par_iter_mut()
        .filter(|n| n.stat.kind == FileKind::Dir)
        .try_for_each(|n| {
            let child_rel = rel.join(&n.name);
            n.holds_excluded = ctx.exclude.is_ancestor_of_excluded(&child_rel);
            let child = match dir.open_dir(&n.name) {
                Ok(d) => d,
                // Removed or replaced since it was stat'ed: nothing below it to record.
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR | libc::ELOOP)) => {
                    return Ok(());
                }
                Err(source) => {
                    return Err(SnapshotError::ReadDir {
                        path: ctx.root.join(&child_rel),
                        source,
                    })
                }
            };
            n.children = scan_dir(ctx, &child, &child_rel)?;
            Ok::<(), SnapshotError>(())
        })?;
    Ok(nodes)
}

fn stat_entry(
    ctx: &ScanContext<'_>,
    dir: &DirFd,
    rel: &Path,
    check_exclude: bool,
    name: OsString,
) -> Result<Option<Node>, SnapshotError> {
    if check_exclude && ctx.exclude.contains_exact(&rel.join(&name)) {
        return Ok(None);
    }
    let path = || ctx.root.join(rel).join(&name);
    let raw = match dir.stat(&name) {
        Ok(m) => m,
        // Deleted since the directory was listed: not part of this state.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(SnapshotError::Stat { path: path(), source }),
    };
    let mut stat = EntryStat::from_raw(&raw);
    match stat.kind {
        FileKind::Symlink => {
            let target = dir
                .read_link(&name)
                .map_err(|source| SnapshotError::ReadLink { path: path(), source })?;
            stat.link_target = Some(target);
        }
        FileKind::File if ctx.hash => {
            let hash = dir
                .open_file(&name)
                .and_then(|mut file| {
                    let mut hasher = Sha256::new();
                    io::copy(&mut file, &mut hasher)?;
                    Ok(hasher.finalize().into())
                })
                .map_err(|source| SnapshotError::Hash { path: path(), source })?;
            stat.content_hash = Some(hash);
        }
        _ => {}
    }
    Ok(Some(Node {
        name,
        stat,
        children: Vec::new(),
        holds_excluded: false,
    }))
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
