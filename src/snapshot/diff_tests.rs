// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Unit tests of the diff: each scenario changes a real directory the way a RUN command would
//! and checks exactly which entries the layer must carry.

use std::path::{Path, PathBuf};

use super::*;
use crate::snapshot::scan::{scan, ExcludeSet};
use crate::snapshot::test_fs::{chmod, chown, mkdir, mkfifo, set_mtime_ns, symlink, write};

fn paths(list: &[&str]) -> Vec<PathBuf> {
    list.iter().map(PathBuf::from).collect()
}

/// A small tree with fixed timestamps.
fn base(root: &Path) {
    write(root, "etc/hosts", "127.0.0.1 localhost\n");
    write(root, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    write(root, "usr/lib/a/one", "1");
    write(root, "usr/lib/a/two", "2");
    write(root, "usr/lib/b/three", "3");
    symlink(root, "etc/localtime", "/usr/share/zoneinfo/UTC");
    for rel in [
        "etc/hosts",
        "etc/passwd",
        "usr/lib/a/one",
        "usr/lib/a/two",
        "usr/lib/b/three",
    ] {
        set_mtime_ns(root, rel, 1_600_000_000, 500);
    }
}

/// Builds the base tree, scans it, applies `change`, scans again and diffs in `mode`.
fn run(mode: SnapshotMode, change: impl FnOnce(&Path)) -> Changes {
    run_excluding(mode, &ExcludeSet::default(), change)
}

fn run_excluding(mode: SnapshotMode, exclude: &ExcludeSet, change: impl FnOnce(&Path)) -> Changes {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path());
    let old = scan(dir.path(), exclude, mode).unwrap();
    // Coarse timestamp clocks tick every few ms; make every change land on a later tick.
    std::thread::sleep(std::time::Duration::from_millis(20));
    change(dir.path());
    let new = scan(dir.path(), exclude, mode).unwrap();
    diff(&old, &new, mode)
}

#[test]
fn no_change_is_empty() {
    for mode in [
        SnapshotMode::Stat,
        SnapshotMode::Full,
        SnapshotMode::Redo,
        SnapshotMode::Time,
    ] {
        assert!(run(mode, |_| {}).is_empty(), "{mode}");
    }
}

#[test]
fn added_file_comes_with_its_ancestors() {
    let c = run(SnapshotMode::Stat, |r| write(r, "usr/lib/a/new", "n"));
    assert_eq!(
        c.upserts,
        paths(&["usr", "usr/lib", "usr/lib/a", "usr/lib/a/new"])
    );
    assert!(c.deletions.is_empty() && c.opaque_dirs.is_empty());
}

#[test]
fn rewrite_keeping_size_and_mtime_is_caught_by_ctime_in_stat_mode_only() {
    let rewrite = |r: &Path| {
        write(r, "etc/hosts", "127.0.0.2 localhost\n");
        set_mtime_ns(r, "etc/hosts", 1_600_000_000, 500);
    };
    assert_eq!(
        run(SnapshotMode::Stat, rewrite).upserts,
        paths(&["etc", "etc/hosts"])
    );
    assert_eq!(
        run(SnapshotMode::Full, rewrite).upserts,
        paths(&["etc", "etc/hosts"]),
        "content hash"
    );
    assert!(run(SnapshotMode::Redo, rewrite).is_empty());
    assert!(run(SnapshotMode::Time, rewrite).is_empty());
}

#[test]
fn chmod_only() {
    let c = run(SnapshotMode::Stat, |r| chmod(r, "etc/passwd", 0o4755));
    assert_eq!(c.upserts, paths(&["etc", "etc/passwd"]));
    assert_eq!(
        run(SnapshotMode::Redo, |r| chmod(r, "etc/passwd", 0o600))
            .upserts
            .len(),
        2
    );
    assert!(run(SnapshotMode::Time, |r| chmod(r, "etc/passwd", 0o600)).is_empty());
}

#[test]
fn chown_only() {
    let c = run(SnapshotMode::Stat, |r| chown(r, "usr/lib/b/three", 1000, 1000));
    assert_eq!(
        c.upserts,
        paths(&["usr", "usr/lib", "usr/lib/b", "usr/lib/b/three"])
    );
    assert_eq!(
        run(SnapshotMode::Redo, |r| chown(r, "usr/lib/b/three", 0, 1))
            .upserts
            .len(),
        4
    );
}

#[test]
fn deleted_file_is_one_whiteout_and_its_parent_changes() {
    let c = run(SnapshotMode::Stat, |r| {
        std::fs::remove_file(r.join("etc/passwd")).unwrap()
    });
    assert_eq!(c.deletions, paths(&["etc/passwd"]));
    assert_eq!(c.upserts, paths(&["etc"]), "the directory's mtime moved");
}

#[test]
fn deleted_tree_is_one_whiteout() {
    let c = run(SnapshotMode::Stat, |r| {
        std::fs::remove_dir_all(r.join("usr/lib")).unwrap()
    });
    assert_eq!(c.deletions, paths(&["usr/lib"]));
    assert_eq!(c.upserts, paths(&["usr"]));
}

#[test]
fn directory_replaced_by_file_and_file_by_directory() {
    let c = run(SnapshotMode::Stat, |r| {
        std::fs::remove_dir_all(r.join("usr/lib/a")).unwrap();
        write(r, "usr/lib/a", "now a file");
    });
    assert_eq!(
        c.upserts,
        paths(&["usr", "usr/lib", "usr/lib/a"]),
        "the file alone replaces the tree"
    );
    assert!(c.deletions.is_empty() && c.opaque_dirs.is_empty());

    let c = run(SnapshotMode::Time, |r| {
        std::fs::remove_file(r.join("etc/hosts")).unwrap();
        write(r, "etc/hosts/inner", "i");
    });
    assert_eq!(c.upserts, paths(&["etc", "etc/hosts", "etc/hosts/inner"]));
    assert!(c.deletions.is_empty() && c.opaque_dirs.is_empty());
}

#[test]
fn recreated_directory_is_opaque_and_carried_whole() {
    for mode in [SnapshotMode::Stat, SnapshotMode::Time] {
        let c = run(mode, |r| {
            std::fs::remove_dir_all(r.join("usr/lib/a")).unwrap();
            write(r, "usr/lib/a/sub/fresh", "f");
        });
        assert_eq!(c.opaque_dirs, paths(&["usr/lib/a"]), "{mode}");
        assert_eq!(
            c.upserts,
            paths(&[
                "usr",
                "usr/lib",
                "usr/lib/a",
                "usr/lib/a/sub",
                "usr/lib/a/sub/fresh"
            ]),
            "{mode}"
        );
        assert!(
            c.deletions.is_empty(),
            "no per-child whiteouts: {:?}",
            c.deletions
        );
    }
}

#[test]
fn recreated_directory_above_an_excluded_path_is_not_opaque() {
    let exclude = ExcludeSet::new([PathBuf::from("usr/lib/a/mnt")]);
    let c = run_excluding(SnapshotMode::Stat, &exclude, |r| {
        std::fs::remove_dir_all(r.join("usr/lib/a")).unwrap();
        write(r, "usr/lib/a/one", "1 again");
    });
    assert!(c.opaque_dirs.is_empty());
    assert_eq!(c.deletions, paths(&["usr/lib/a/two"]));
    assert_eq!(
        c.upserts,
        paths(&["usr", "usr/lib", "usr/lib/a", "usr/lib/a/one"])
    );
}

#[test]
fn rename_keeping_content() {
    let c = run(SnapshotMode::Stat, |r| {
        std::fs::rename(r.join("usr/lib/a/one"), r.join("usr/lib/b/one")).unwrap();
    });
    assert_eq!(c.deletions, paths(&["usr/lib/a/one"]));
    assert_eq!(
        c.upserts,
        paths(&["usr", "usr/lib", "usr/lib/a", "usr/lib/b", "usr/lib/b/one"])
    );
}

#[test]
fn new_hard_link_changes_the_existing_path_too_in_stat_mode() {
    let link = |r: &Path| std::fs::hard_link(r.join("etc/hosts"), r.join("etc/hosts2")).unwrap();
    assert_eq!(
        run(SnapshotMode::Stat, link).upserts,
        paths(&["etc", "etc/hosts", "etc/hosts2"]),
        "the link count is in ctime, so both names go into the layer"
    );
    assert_eq!(
        run(SnapshotMode::Redo, link).upserts,
        paths(&["etc", "etc/hosts2"])
    );
}

#[test]
fn symlink_retarget() {
    let retarget = |r: &Path| {
        std::fs::remove_file(r.join("etc/localtime")).unwrap();
        symlink(r, "etc/localtime", "/usr/share/zoneinfo/CET");
        set_mtime_ns(r, "etc", 1, 0);
    };
    assert_eq!(
        run(SnapshotMode::Stat, retarget).upserts,
        paths(&["etc", "etc/localtime"])
    );
    assert_eq!(
        run(SnapshotMode::Full, retarget).upserts,
        paths(&["etc", "etc/localtime"])
    );
}

#[test]
fn fifo_added() {
    let c = run(SnapshotMode::Stat, |r| mkfifo(r, "usr/pipe"));
    assert_eq!(c.upserts, paths(&["usr", "usr/pipe"]));
}

#[test]
fn changes_in_excluded_subtrees_are_ignored() {
    let exclude = ExcludeSet::new([PathBuf::from("/usr/lib/b"), PathBuf::from("/tmp")]);
    let c = run_excluding(SnapshotMode::Stat, &exclude, |r| {
        write(r, "usr/lib/b/new", "n");
        std::fs::remove_file(r.join("usr/lib/b/three")).unwrap();
        mkdir(r, "tmp/cache");
    });
    assert!(c.is_empty(), "{c:?}");
}
