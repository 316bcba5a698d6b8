// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! [`RootfsSnapshot`]: an unpacked root filesystem reduced to what an image build decides
//! (type, permission bits, ownership, size, content hash, link target, extended attributes such as
//! `security.capability`, and which paths are hard links of one another), keyed by absolute path in
//! a sorted map, with a readable diff. Timestamps are left out on purpose: two builds of the same
//! Dockerfile differ there legitimately. Used to compare our builds with `docker build`'s.

use std::collections::{BTreeMap, HashMap};
use std::ffi::CString;
use std::fmt;
use std::io::Read;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use sha2::{Digest as _, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
}

/// One path of a snapshot. `size` and `sha256` are set for regular files, `link` for symlinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotEntry {
    pub kind: EntryKind,
    /// Permission bits including setuid/setgid/sticky (`mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub sha256: Option<String>,
    pub link: Option<String>,
    /// Extended attributes (name → hex of the value), e.g. `security.capability`. The unpacking
    /// tool decides which ones survive; both sides of a comparison go through the same one.
    pub xattrs: BTreeMap<String, String>,
    /// For a non-directory sharing its inode with a path walked earlier: that path (the walk is
    /// depth-first with names sorted, so the choice is stable). Unpackers only recreate hard
    /// links that one layer holds, so this records what the image's layers say, not only what
    /// its files contain.
    pub hardlink_of: Option<String>,
}

impl fmt::Display for SnapshotEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {:04o} {}:{}", self.kind, self.mode, self.uid, self.gid)?;
        if self.kind == EntryKind::File {
            let hash = self.sha256.as_deref().unwrap_or("?");
            write!(f, " size={} sha256={}", self.size, hash.get(..12).unwrap_or(hash))?;
        }
        if let Some(link) = &self.link {
            write!(f, " -> {link}")?;
        }
        for (name, value) in &self.xattrs {
            write!(f, " xattr:{name}={value}")?;
        }
        if let Some(first) = &self.hardlink_of {
            write!(f, " hardlink-of={first}")?;
        }
        Ok(())
    }
}

/// Every path under a root directory (the root itself excluded), keyed `/a/b`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootfsSnapshot {
    pub entries: BTreeMap<String, SnapshotEntry>,
}

impl RootfsSnapshot {
    /// Walks `root` without following symlinks.
    pub fn capture(root: &Path) -> RootfsSnapshot {
        let mut snapshot = RootfsSnapshot::default();
        let mut inodes = HashMap::new();
        walk(root, "", &mut snapshot.entries, &mut inodes);
        snapshot
    }

    pub fn get(&self, path: &str) -> Option<&SnapshotEntry> {
        self.entries.get(path)
    }

    /// Panics with the listing when `path` is missing.
    pub fn entry(&self, path: &str) -> &SnapshotEntry {
        self.entries
            .get(path)
            .unwrap_or_else(|| panic!("{path} is not in the snapshot:\n{}", self.render()))
    }

    /// Drops `paths` and everything below them (e.g. files docker's runtime injects).
    pub fn without(mut self, paths: &[&str]) -> RootfsSnapshot {
        self.entries.retain(|p, _| {
            !paths
                .iter()
                .any(|drop| p == drop || p.strip_prefix(drop).is_some_and(|r| r.starts_with('/')))
        });
        self
    }

    /// Keeps only the paths for which `keep` is true.
    pub fn filter(mut self, keep: impl Fn(&str, &SnapshotEntry) -> bool) -> RootfsSnapshot {
        self.entries.retain(|p, e| keep(p, e));
        self
    }

    /// One line per difference, `-` only in `self`, `+` only in `other`, `~` changed.
    pub fn diff(&self, other: &RootfsSnapshot) -> Vec<String> {
        let mut lines = Vec::new();
        for (path, mine) in &self.entries {
            match other.entries.get(path) {
                None => lines.push(format!("- {path}: {mine}")),
                Some(theirs) if theirs != mine => lines.push(format!("~ {path}: {mine}  =>  {theirs}")),
                Some(_) => {}
            }
        }
        for (path, theirs) in &other.entries {
            if !self.entries.contains_key(path) {
                lines.push(format!("+ {path}: {theirs}"));
            }
        }
        lines.sort_by(|a, b| a[2..].cmp(&b[2..]));
        lines
    }

    /// Panics with a labelled diff unless both snapshots are equal.
    pub fn assert_same(&self, other: &RootfsSnapshot, left: &str, right: &str) {
        let diff = self.diff(other);
        if !diff.is_empty() {
            panic!(
                "rootfs snapshots differ ({} lines; '-' only in {left}, '+' only in {right}):\n{}",
                diff.len(),
                diff.join("\n")
            );
        }
    }

    /// The whole snapshot, one entry per line.
    pub fn render(&self) -> String {
        self.entries.iter().map(|(p, e)| format!("{p}: {e}\n")).collect()
    }
}

/// Hard-linked inodes seen so far: (device, inode) → the first path walked.
type Inodes = HashMap<(u64, u64), String>;

fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, SnapshotEntry>, inodes: &mut Inodes) {
    let mut children: Vec<_> = fs_err::read_dir(dir)
        .expect("read rootfs directory")
        .map(|e| e.expect("read rootfs directory entry"))
        .collect();
    children.sort_by_key(|e| e.file_name());
    for child in children {
        let path = child.path();
        let key = format!("{prefix}/{}", child.file_name().to_string_lossy());
        let meta = fs_err::symlink_metadata(&path).expect("stat rootfs entry");
        let file_type = meta.file_type();
        let kind = if file_type.is_symlink() {
            EntryKind::Symlink
        } else if file_type.is_dir() {
            EntryKind::Dir
        } else if file_type.is_file() {
            EntryKind::File
        } else if file_type.is_fifo() {
            EntryKind::Fifo
        } else if file_type.is_char_device() {
            EntryKind::CharDevice
        } else if file_type.is_block_device() {
            EntryKind::BlockDevice
        } else {
            EntryKind::Socket
        };
        let mut entry = SnapshotEntry {
            kind,
            // Symlink permission bits are meaningless on Linux and differ between extractors.
            mode: if kind == EntryKind::Symlink {
                0o777
            } else {
                meta.mode() & 0o7777
            },
            uid: meta.uid(),
            gid: meta.gid(),
            size: 0,
            sha256: None,
            link: None,
            xattrs: xattrs(&path),
            hardlink_of: None,
        };
        if kind != EntryKind::Dir && meta.nlink() > 1 {
            let first = inodes
                .entry((meta.dev(), meta.ino()))
                .or_insert_with(|| key.clone());
            if *first != key {
                entry.hardlink_of = Some(first.clone());
            }
        }
        match kind {
            EntryKind::File => {
                entry.size = meta.len();
                entry.sha256 = Some(hash_file(&path));
            }
            EntryKind::Symlink => {
                let target = fs_err::read_link(&path).expect("read symlink");
                entry.link = Some(target.to_string_lossy().into_owned());
            }
            _ => {}
        }
        out.insert(key.clone(), entry);
        if kind == EntryKind::Dir {
            walk(&path, &key, out, inodes);
        }
    }
}

fn hash_file(path: &Path) -> String {
    let mut file = fs_err::File::open(path).expect("open rootfs file");
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).expect("read rootfs file");
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    hex::encode(hasher.finalize())
}

/// Every extended attribute of `path` (not following symlinks), values in hex.
fn xattrs(path: &Path) -> BTreeMap<String, String> {
    let c_path = CString::new(path.as_os_str().as_bytes()).expect("path without NUL");
    let mut out = BTreeMap::new();
    // SAFETY: a NULL buffer of size 0 asks for the size of the name list; the path is a valid C string.
    let size = unsafe { libc::llistxattr(c_path.as_ptr(), std::ptr::null_mut(), 0) };
    if size <= 0 {
        return out;
    }
    let mut names = vec![0u8; size as usize];
    // SAFETY: `names` has room for `names.len()` bytes, which the kernel will not exceed.
    let size = unsafe { libc::llistxattr(c_path.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
    assert!(
        size >= 0,
        "llistxattr {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
    names.truncate(size as usize);
    for name in names.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let c_name = CString::new(name).expect("xattr name without NUL");
        let mut value = vec![0u8; 64 * 1024];
        // SAFETY: both strings are valid C strings and `value` has room for `value.len()` bytes.
        let len = unsafe {
            libc::lgetxattr(
                c_path.as_ptr(),
                c_name.as_ptr(),
                value.as_mut_ptr().cast(),
                value.len(),
            )
        };
        assert!(
            len >= 0,
            "lgetxattr {} {}: {}",
            path.display(),
            String::from_utf8_lossy(name),
            std::io::Error::last_os_error()
        );
        value.truncate(len as usize);
        out.insert(String::from_utf8_lossy(name).into_owned(), hex::encode(value));
    }
    out
}
