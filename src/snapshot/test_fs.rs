// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Test fixtures for the snapshot tests: building real trees (files, owners, modes, exact
//! timestamps, fifos, devices, xattrs) and describing a tree in the terms a layer can carry, so
//! two trees can be compared after a layer round trip.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::scan::{scan, ExcludeSet, FileKind, SnapshotMode};
use super::sys;

/// A valid v2 `security.capability` value granting cap_net_bind_service (+ep).
pub const CAP_NET_BIND_SERVICE: [u8; 20] = [1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

pub fn write(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

pub fn mkdir(root: &Path, rel: &str) {
    std::fs::create_dir_all(root.join(rel)).unwrap();
}

pub fn symlink(root: &Path, rel: &str, target: &str) {
    std::os::unix::fs::symlink(target, root.join(rel)).unwrap();
}

pub fn chmod(root: &Path, rel: &str, mode: u32) {
    std::fs::set_permissions(root.join(rel), std::fs::Permissions::from_mode(mode)).unwrap();
}

pub fn chown(root: &Path, rel: &str, uid: u32, gid: u32) {
    sys::lchown(&root.join(rel), uid, gid).unwrap();
}

pub fn mkfifo(root: &Path, rel: &str) {
    sys::mknod(&root.join(rel), libc::S_IFIFO, 0o644, 0, 0).unwrap();
}

/// Sets atime and mtime of `rel` itself to exactly `secs`.`nsec`.
pub fn set_mtime_ns(root: &Path, rel: &str, secs: i64, nsec: i64) {
    let p = std::ffi::CString::new(root.join(rel).into_os_string().into_encoded_bytes()).unwrap();
    let t = libc::timespec {
        tv_sec: secs,
        tv_nsec: nsec,
    };
    let times = [t, t];
    // SAFETY: valid C string and two timespecs.
    let r = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            p.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    assert_eq!(r, 0, "utimensat {rel}: {}", std::io::Error::last_os_error());
}

/// Copies a tree with everything a layer can describe (`cp -a`: owners, modes, times, links,
/// specials, xattrs).
pub fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success(), "cp -a failed");
}

/// What a layer round trip must preserve about one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub kind: FileKind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Regular files and symlinks (directory sizes depend on the filesystem's history).
    pub size: Option<u64>,
    pub mtime_secs: u64,
    pub hash: Option<[u8; 32]>,
    pub link_target: Option<PathBuf>,
    pub rdev: u64,
    pub xattrs: BTreeMap<String, Vec<u8>>,
    /// Regular files sharing their inode with other paths of the tree: the first such path.
    pub link_group: Option<PathBuf>,
}

/// Describes every entry of `root` (minus `exclude`).
pub fn describe(root: &Path, exclude: &ExcludeSet) -> BTreeMap<PathBuf, Described> {
    let tree = scan(root, exclude, SnapshotMode::Full).unwrap();
    // Hard links a layer can express: paths of one inode within the tree.
    let mut by_inode: BTreeMap<(u64, u64), Vec<PathBuf>> = BTreeMap::new();
    for (path, st) in tree
        .iter()
        .filter(|(_, st)| st.kind == FileKind::File && st.nlink > 1)
    {
        by_inode.entry((st.dev, st.ino)).or_default().push(path);
    }
    let mut out = BTreeMap::new();
    for (path, st) in tree.iter() {
        let link_group = by_inode
            .get(&(st.dev, st.ino))
            .filter(|paths| st.kind == FileKind::File && paths.len() > 1)
            .and_then(|paths| paths.first().cloned());
        let d = Described {
            kind: st.kind,
            mode: st.mode,
            uid: st.uid,
            gid: st.gid,
            size: (st.kind != FileKind::Dir).then_some(st.size),
            mtime_secs: st.mtime_secs(),
            hash: st.content_hash,
            link_target: st.link_target.clone(),
            rdev: st.rdev,
            xattrs: sys::layer_xattrs(&root.join(&path)).unwrap(),
            link_group,
        };
        out.insert(path, d);
    }
    out
}

/// Asserts two described trees are equal, naming the first differences.
pub fn assert_same(expected: &BTreeMap<PathBuf, Described>, actual: &BTreeMap<PathBuf, Described>) {
    let mut problems = Vec::new();
    for (path, e) in expected {
        match actual.get(path) {
            None => problems.push(format!("missing {path:?}")),
            Some(a) if a != e => problems.push(format!("{path:?}: expected {e:?}\n   got {a:?}")),
            Some(_) => {}
        }
    }
    for path in actual.keys().filter(|p| !expected.contains_key(*p)) {
        problems.push(format!("unexpected {path:?}"));
    }
    assert!(problems.is_empty(), "trees differ:\n{}", problems.join("\n"));
}
