// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! End-to-end tests of the snapshotter. The key property is the round trip: a copy of the tree
//! before the change, with the snapshot layer unpacked onto it, must equal the tree after the
//! change in everything a layer carries (kind, mode, owner, size, mtime seconds, content, link
//! targets, devices, xattrs, hard links).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::snapshot::layer_reader::{list_entries, EntryKind};
use crate::snapshot::test_fs::{
    assert_same, chmod, chown, copy_tree, describe, mkdir, mkfifo, set_mtime_ns, symlink, write,
    CAP_NET_BIND_SERVICE,
};
use crate::snapshot::{sys, unpack_layer, UnpackOptions};

/// A small rootfs with every kind of entry, all timestamps fixed in the past.
fn populated(root: &Path) {
    write(root, "etc/hosts", "127.0.0.1 localhost\n");
    write(root, "etc/hosts.allow", "ALL: LOCAL\n");
    write(root, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    write(root, "etc/motd", "hi\n");
    symlink(root, "etc/localtime", "/usr/share/zoneinfo/UTC");
    write(root, "bin/busybox", "#!busybox");
    std::fs::hard_link(root.join("bin/busybox"), root.join("bin/sh")).unwrap();
    write(root, "bin/su", "su");
    chmod(root, "bin/su", 0o4755);
    write(root, "bin/ping", "ping");
    sys::set_xattr(
        &root.join("bin/ping"),
        "security.capability",
        &CAP_NET_BIND_SERVICE,
    )
    .unwrap();
    write(root, "home/user/.profile", "export A=1\n");
    chown(root, "home/user/.profile", 1000, 1000);
    chown(root, "home/user", 1000, 1000);
    chmod(root, "home/user/.profile", 0o600);
    mkdir(root, "tmp");
    chmod(root, "tmp", 0o1777);
    mkdir(root, "dev");
    sys::mknod(&root.join("dev/null"), libc::S_IFCHR, 0o666, 1, 3).unwrap();
    mkdir(root, "run");
    mkfifo(root, "run/fifo");
    for f in ["1", "2", "3"] {
        write(root, &format!("usr/lib/x/{f}"), f);
    }
    write(root, "usr/share/doc/a/b/c", "doc");
    write(root, "proc/1/status", "excluded");
    let tree = scan(root, &ExcludeSet::default(), SnapshotMode::Stat).unwrap();
    // Children before parents, so setting a child's time does not move the parent's again.
    let paths: Vec<PathBuf> = tree.iter().map(|(p, _)| p).collect();
    for (i, p) in paths.iter().enumerate().rev() {
        set_mtime_ns(root, p.to_str().unwrap(), 1_500_000_000 + i as i64, 250);
    }
}

fn excluded() -> ExcludeSet {
    ExcludeSet::new([PathBuf::from("/proc")])
}

/// Builds `populated`, takes a baseline, copies the tree, applies `change`, takes a layer,
/// unpacks it onto the copy and compares. Returns the layer's entries.
fn round_trip(mode: SnapshotMode, change: impl FnOnce(&Path)) -> Vec<crate::snapshot::LayerEntry> {
    let work = tempfile::tempdir().unwrap();
    let (live, copy, blobs) = (
        work.path().join("live"),
        work.path().join("copy"),
        work.path().join("blobs"),
    );
    for d in [&live, &copy, &blobs] {
        std::fs::create_dir(d).unwrap();
    }
    populated(&live);
    let mut snap = Snapshotter::new(live.clone(), excluded(), mode).unwrap();
    copy_tree(&live, &copy);
    // Coarse timestamp clocks tick every few ms; make every change land on a later tick.
    std::thread::sleep(Duration::from_millis(20));
    change(&live);
    let blob = snap
        .take(&blobs, LayerOptions::default())
        .unwrap()
        .expect("a layer");
    let options = UnpackOptions {
        exclude: excluded(),
        ..UnpackOptions::default()
    };
    unpack_layer(&blob.path, &blob.descriptor.media_type, &copy, &options).unwrap();
    assert_same(&describe(&live, &excluded()), &describe(&copy, &excluded()));
    assert!(
        snap.take(&blobs, LayerOptions::default()).unwrap().is_none(),
        "the new state is the baseline"
    );
    list_entries(&blob.path, &blob.descriptor.media_type).unwrap()
}

/// Every kind of change; Stat and Full see all of them.
fn everything(r: &Path) {
    // Same size, mtime put back: only ctime (stat) or content (full) can tell.
    let hosts_mtime = std::fs::symlink_metadata(r.join("etc/hosts")).unwrap();
    std::fs::write(r.join("etc/hosts"), "127.0.0.2 localhost\n").unwrap();
    set_mtime_ns(r, "etc/hosts", hosts_mtime.mtime(), hosts_mtime.mtime_nsec());
    write(r, "usr/local/bin/tool", "tool");
    sys::set_xattr(
        &r.join("usr/local/bin/tool"),
        "security.capability",
        &CAP_NET_BIND_SERVICE,
    )
    .unwrap();
    sys::set_xattr(&r.join("usr/local/bin/tool"), "user.origin", b"test").unwrap();
    write(r, "bin/newsu", "newsu");
    chmod(r, "bin/newsu", 0o4755);
    chmod(r, "etc/passwd", 0o600);
    chown(r, "home/user/.profile", 1001, 1001);
    std::fs::remove_file(r.join("bin/ping")).unwrap();
    std::fs::remove_dir_all(r.join("usr/share/doc")).unwrap();
    std::fs::remove_dir_all(r.join("usr/lib/x")).unwrap();
    write(r, "usr/lib/x", "a file now");
    std::fs::remove_file(r.join("etc/localtime")).unwrap();
    symlink(r, "etc/localtime", "/usr/share/zoneinfo/CET");
    mkfifo(r, "run/fifo2");
    std::fs::rename(r.join("etc/hosts.allow"), r.join("etc/hosts.deny")).unwrap();
    std::fs::hard_link(r.join("bin/busybox"), r.join("bin/sh2")).unwrap();
    std::fs::remove_file(r.join("etc/motd")).unwrap();
    write(r, "etc/motd/inner", "dir now");
    sys::mknod(&r.join("dev/zero"), libc::S_IFCHR, 0o666, 1, 5).unwrap();
    std::fs::remove_dir_all(r.join("home/user")).unwrap();
    write(r, "home/user/new", "fresh");
    write(r, "proc/2/status", "excluded too");
}

#[test]
fn round_trip_of_every_change_in_stat_mode() {
    let entries = round_trip(SnapshotMode::Stat, everything);
    let pos = |p: &str| {
        entries
            .iter()
            .position(|e| e.path == Path::new(p) && !matches!(e.kind, EntryKind::OpaqueWhiteout { .. }))
    };
    let whiteouts: Vec<&Path> = entries
        .iter()
        .filter_map(|e| match &e.kind {
            EntryKind::Whiteout { target } => Some(target.as_path()),
            _ => None,
        })
        .collect();
    assert_eq!(
        whiteouts,
        ["bin/ping", "etc/hosts.allow", "usr/share/doc"]
            .map(Path::new)
            .to_vec(),
        "one whiteout per deleted tree"
    );
    assert!(
        entries
            .iter()
            .take(3)
            .all(|e| matches!(e.kind, EntryKind::Whiteout { .. })),
        "whiteouts first"
    );
    let home = pos("home/user").unwrap();
    assert!(
        matches!(&entries[home + 1].kind, EntryKind::OpaqueWhiteout { dir } if dir == Path::new("home/user")),
        "opaque marker right after its directory"
    );
    let sh2 = &entries[pos("bin/sh2").unwrap()];
    assert_eq!(sh2.kind, EntryKind::HardLink);
    assert_eq!(sh2.link_name.as_deref(), Some(Path::new("bin/busybox")));
    assert_eq!(entries[pos("bin/busybox").unwrap()].kind, EntryKind::File);
    assert!(
        entries.iter().all(|e| !e.path.starts_with("proc")),
        "excluded paths stay out"
    );
    assert_eq!(pos("etc/passwd").map(|i| entries[i].mode), Some(0o600));
}

#[test]
fn round_trip_of_every_change_in_full_mode() {
    round_trip(SnapshotMode::Full, everything);
}

/// Changes that all move an mtime, which every mode sees.
fn mtime_visible(r: &Path) {
    write(r, "usr/local/new", "n");
    std::fs::OpenOptions::new()
        .append(true)
        .open(r.join("etc/passwd"))
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"user:x:1000:1000::/home/user:/bin/sh\n"))
        .unwrap();
    std::fs::remove_file(r.join("etc/hosts")).unwrap();
    std::fs::remove_dir_all(r.join("usr/share")).unwrap();
    std::fs::remove_dir_all(r.join("usr/lib/x")).unwrap();
    write(r, "usr/lib/x/4", "4");
    std::fs::rename(r.join("bin/su"), r.join("etc/su")).unwrap();
    symlink(r, "bin/ash", "busybox");
}

#[test]
fn round_trip_in_every_mode() {
    for mode in [
        SnapshotMode::Stat,
        SnapshotMode::Full,
        SnapshotMode::Redo,
        SnapshotMode::Time,
    ] {
        let entries = round_trip(mode, mtime_visible);
        assert!(
            entries.iter().any(
                |e| matches!(&e.kind, EntryKind::OpaqueWhiteout { dir } if dir == Path::new("usr/lib/x"))
            ),
            "{mode}: recreated directory is opaque"
        );
    }
}

#[test]
fn nothing_changed_gives_no_layer() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    let blobs = work.path().join("blobs");
    std::fs::create_dir(&blobs).unwrap();
    populated(&root);
    for mode in [
        SnapshotMode::Stat,
        SnapshotMode::Full,
        SnapshotMode::Redo,
        SnapshotMode::Time,
    ] {
        let mut snap = Snapshotter::new(root.clone(), excluded(), mode).unwrap();
        // Reading moves atime only.
        std::fs::read(root.join("etc/hosts")).unwrap();
        write(&root, "proc/3/status", "excluded");
        assert!(
            snap.take(&blobs, LayerOptions::default()).unwrap().is_none(),
            "{mode}"
        );
    }
    assert_eq!(
        std::fs::read_dir(&blobs).unwrap().count(),
        0,
        "no blob left behind"
    );
}

#[test]
fn rebaseline_absorbs_the_builders_own_changes() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    populated(&root);
    let mut snap = Snapshotter::new(root.clone(), ExcludeSet::default(), SnapshotMode::Stat).unwrap();
    assert_eq!(snap.root(), root);
    write(&root, "app/copied", "from COPY");
    snap.rebaseline().unwrap();
    write(&root, "app/ran", "from RUN");
    let blob = snap.take(work.path(), LayerOptions::default()).unwrap().unwrap();
    let paths: Vec<PathBuf> = list_entries(&blob.path, &blob.descriptor.media_type)
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(paths, [PathBuf::from("app"), PathBuf::from("app/ran")]);
}

/// One random change to a small tree of candidate paths.
#[derive(Debug, Clone)]
enum Op {
    Write(usize, u8),
    Mkdir(usize),
    Remove(usize),
    Chmod(usize, u32),
    Chown(usize, u32),
    Symlink(usize, usize),
    HardLink(usize, usize),
    Rename(usize, usize),
    Recreate(usize),
    Fifo(usize),
    /// Rewrites content keeping size and mtime (`touch -r` style).
    RewriteKeepingMtime(usize, u8),
    Xattr(usize, u8),
}

const PATHS: [&str; 7] = ["a", "a/b", "a/b/c", "a/d", "d", "d/e", "f"];

fn op() -> impl Strategy<Value = Op> {
    let i = || 0..PATHS.len();
    prop_oneof![
        (i(), any::<u8>()).prop_map(|(p, b)| Op::Write(p, b)),
        i().prop_map(Op::Mkdir),
        i().prop_map(Op::Remove),
        (i(), prop_oneof![Just(0o644), Just(0o4755), Just(0o700)]).prop_map(|(p, m)| Op::Chmod(p, m)),
        (i(), 0u32..3).prop_map(|(p, u)| Op::Chown(p, u)),
        (i(), i()).prop_map(|(p, t)| Op::Symlink(p, t)),
        (i(), i()).prop_map(|(p, t)| Op::HardLink(p, t)),
        (i(), i()).prop_map(|(p, t)| Op::Rename(p, t)),
        i().prop_map(Op::Recreate),
        i().prop_map(Op::Fifo),
        (i(), any::<u8>()).prop_map(|(p, b)| Op::RewriteKeepingMtime(p, b)),
        (i(), any::<u8>()).prop_map(|(p, b)| Op::Xattr(p, b)),
    ]
}

/// Applies `op`; operations the current tree makes impossible simply fail and change nothing.
fn apply(root: &Path, op: &Op) {
    let p = |i: usize| root.join(PATHS[i]);
    let _ = match *op {
        // Opening a fifo (or a symlink to one) for writing would block.
        Op::Write(i, b) => match std::fs::metadata(p(i)) {
            Ok(m) if m.file_type().is_fifo() => Ok(()),
            _ => std::fs::write(p(i), [b; 3]),
        },
        Op::Mkdir(i) => std::fs::create_dir(p(i)),
        Op::Remove(i) => std::fs::remove_file(p(i)).or_else(|_| std::fs::remove_dir_all(p(i))),
        Op::Chmod(i, m) => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p(i), std::fs::Permissions::from_mode(m))
        }
        Op::Chown(i, u) => sys::lchown(&p(i), u, u),
        Op::Symlink(i, t) => std::os::unix::fs::symlink(PATHS[t], p(i)),
        Op::HardLink(i, t) => std::fs::hard_link(p(t), p(i)),
        Op::Rename(i, t) => std::fs::rename(p(i), p(t)),
        Op::Recreate(i) => std::fs::remove_dir_all(p(i)).and_then(|()| std::fs::create_dir(p(i))),
        Op::Fifo(i) => sys::mknod(&p(i), libc::S_IFIFO, 0o600, 0, 0),
        Op::RewriteKeepingMtime(i, b) => std::fs::symlink_metadata(p(i)).and_then(|m| {
            if !m.is_file() {
                return Ok(());
            }
            std::fs::write(p(i), vec![b; m.len() as usize])?;
            set_mtime_ns(root, PATHS[i], m.mtime(), m.mtime_nsec());
            Ok(())
        }),
        Op::Xattr(i, b) => sys::set_xattr(&p(i), "user.k", &[b]),
    };
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_changes_round_trip(before in proptest::collection::vec(op(), 0..12),
                                 after in proptest::collection::vec(op(), 1..12)) {
        let work = tempfile::tempdir().unwrap();
        let (live, copy, blobs) = (work.path().join("live"), work.path().join("copy"), work.path().join("blobs"));
        for d in [&live, &copy, &blobs] {
            std::fs::create_dir(d).unwrap();
        }
        for o in &before {
            apply(&live, o);
        }
        let mut snap = Snapshotter::new(live.clone(), ExcludeSet::default(), SnapshotMode::Stat).unwrap();
        copy_tree(&live, &copy);
        std::thread::sleep(Duration::from_millis(10));
        for o in &after {
            apply(&live, o);
        }
        if let Some(blob) = snap.take(&blobs, LayerOptions::default()).unwrap() {
            unpack_layer(&blob.path, &blob.descriptor.media_type, &copy, &UnpackOptions::default()).unwrap();
        }
        assert_same(&describe(&live, &ExcludeSet::default()), &describe(&copy, &ExcludeSet::default()));
    }
}
