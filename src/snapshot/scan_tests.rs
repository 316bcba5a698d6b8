// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Unit tests of tree scanning and exclusion sets, on real temporary directories.

use std::path::{Path, PathBuf};

use super::*;
use crate::snapshot::test_fs::{mkdir, mkfifo, symlink, write};

fn set(paths: &[&str]) -> ExcludeSet {
    ExcludeSet::new(paths.iter().map(PathBuf::from))
}

#[test]
fn exclude_set_hides_paths_and_their_subtrees() {
    let ex = set(&["/proc", "kaniko/", "./var/run", "/"]);
    assert!(ex.contains(Path::new("proc")));
    assert!(ex.contains(Path::new("proc/1/status")));
    assert!(ex.contains(Path::new("kaniko/secret")));
    assert!(ex.contains(Path::new("var/run/x")));
    assert!(!ex.contains(Path::new("var")));
    assert!(!ex.contains(Path::new("processes")));
    assert!(!ex.contains(Path::new("")), "the root cannot be excluded");
    assert_eq!(ex.iter().count(), 3);
}

#[test]
fn exclude_set_knows_ancestors_of_excluded_paths() {
    let ex = set(&["var/run", "a/b/c"]);
    assert!(ex.is_ancestor_of_excluded(Path::new("")));
    assert!(ex.is_ancestor_of_excluded(Path::new("var")));
    assert!(ex.is_ancestor_of_excluded(Path::new("a/b")));
    assert!(
        !ex.is_ancestor_of_excluded(Path::new("var/run")),
        "strictly below only"
    );
    assert!(!ex.is_ancestor_of_excluded(Path::new("var/lib")));
    // Sorts between "a/b" and "a/b/c" bytewise, but not by component.
    assert!(!ex.is_ancestor_of_excluded(Path::new("a/b.c")));
    assert!(!ExcludeSet::default().is_ancestor_of_excluded(Path::new("")));
}

#[test]
fn snapshot_mode_parses_kaniko_names() {
    assert_eq!("stat".parse::<SnapshotMode>().unwrap(), SnapshotMode::Stat);
    assert_eq!("full".parse::<SnapshotMode>().unwrap(), SnapshotMode::Full);
    assert_eq!("redo".parse::<SnapshotMode>().unwrap(), SnapshotMode::Redo);
    assert_eq!("time".parse::<SnapshotMode>().unwrap(), SnapshotMode::Time);
    assert_eq!(SnapshotMode::default(), SnapshotMode::Stat);
    let err = "fast".parse::<SnapshotMode>().unwrap_err().to_string();
    assert!(
        err.contains("\"fast\"") && err.contains("stat, full, redo, time"),
        "{err}"
    );
    assert_eq!(SnapshotMode::Redo.to_string(), "redo");
}

#[test]
fn scan_records_every_kind_without_following_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "etc/hosts", "127.0.0.1 localhost\n");
    mkdir(root, "outside-target");
    write(root, "outside-target/inner", "x");
    symlink(root, "link", "outside-target");
    symlink(root, "dangling", "/nowhere");
    mkfifo(root, "fifo");
    let tree = scan(root, &ExcludeSet::default(), SnapshotMode::Stat).unwrap();

    let paths: Vec<PathBuf> = tree.iter().map(|(p, _)| p).collect();
    let expected: Vec<PathBuf> = [
        "dangling",
        "etc",
        "etc/hosts",
        "fifo",
        "link",
        "outside-target",
        "outside-target/inner",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    assert_eq!(
        paths, expected,
        "walk order: parents first, siblings by name; no link followed"
    );
    assert_eq!(tree.len(), 7);

    let hosts = tree.get(Path::new("etc/hosts")).unwrap();
    assert_eq!(hosts.kind, FileKind::File);
    assert_eq!(hosts.size, 20);
    assert_eq!(hosts.content_hash, None, "stat mode never reads content");
    let link = tree.get(Path::new("link")).unwrap();
    assert_eq!(link.kind, FileKind::Symlink);
    assert_eq!(link.link_target.as_deref(), Some(Path::new("outside-target")));
    assert_eq!(tree.get(Path::new("fifo")).unwrap().kind, FileKind::Fifo);
    assert_eq!(tree.get(Path::new("link/inner")), None);
    assert_eq!(tree.get(Path::new("etc")).unwrap().kind, FileKind::Dir);
}

#[test]
fn full_mode_hashes_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a", "hello");
    let tree = scan(dir.path(), &ExcludeSet::default(), SnapshotMode::Full).unwrap();
    let expected: [u8; 32] = Sha256::digest(b"hello").into();
    assert_eq!(tree.get(Path::new("a")).unwrap().content_hash, Some(expected));
}

#[test]
fn excluded_subtrees_are_not_entered() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "proc/1/status", "x");
    write(root, "var/run/pid", "1");
    write(root, "var/lib/db", "d");
    let tree = scan(root, &set(&["/proc", "/var/run"]), SnapshotMode::Stat).unwrap();
    let paths: Vec<PathBuf> = tree.iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        ["var", "var/lib", "var/lib/db"]
            .iter()
            .map(PathBuf::from)
            .collect::<Vec<_>>()
    );
    assert!(tree.children.iter().any(|n| n.name == "var" && n.holds_excluded));
}

#[test]
fn large_directories_are_scanned_completely() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..300 {
        write(dir.path(), &format!("d/f{i:04}"), "x");
    }
    let tree = scan(dir.path(), &ExcludeSet::default(), SnapshotMode::Stat).unwrap();
    assert_eq!(tree.len(), 301);
    let names: Vec<PathBuf> = tree.iter().map(|(p, _)| p).skip(1).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[test]
fn stat_mode_sees_ctime_and_inode_but_redo_and_time_do_not() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a", "x");
    let old = scan(dir.path(), &ExcludeSet::default(), SnapshotMode::Stat).unwrap();
    let mut new = old.get(Path::new("a")).unwrap().clone();
    new.ctime_ns += 1;
    let old = old.get(Path::new("a")).unwrap();
    assert!(new.changed_from(old, SnapshotMode::Stat));
    assert!(!new.changed_from(old, SnapshotMode::Full));
    assert!(!new.changed_from(old, SnapshotMode::Redo));
    assert!(!new.changed_from(old, SnapshotMode::Time));
    new.uid += 1;
    assert!(new.changed_from(old, SnapshotMode::Redo));
    assert!(!new.changed_from(old, SnapshotMode::Time));
}

/// Measures a no-change scan + diff of 100,000 files (1,000 directories of 100, in 50 groups).
/// Run with `cargo test --release --lib no_change_scan_timing -- --ignored --nocapture`; it
/// prints the times and asserts nothing about them (machines differ). `SCAN_TIMING_DIR` names
/// an existing tree to scan instead of building one.
#[test]
#[ignore]
fn no_change_scan_timing() {
    let dir = tempfile::tempdir().unwrap();
    let root = match std::env::var_os("SCAN_TIMING_DIR") {
        Some(existing) => PathBuf::from(existing),
        None => {
            for d in 0..1_000 {
                let sub = dir.path().join(format!("d{:02}/s{d:04}", d % 50));
                std::fs::create_dir_all(&sub).unwrap();
                for f in 0..100 {
                    std::fs::write(sub.join(format!("f{f:03}")), b"x").unwrap();
                }
            }
            dir.path().to_path_buf()
        }
    };
    let mut baseline = scan(&root, &ExcludeSet::default(), SnapshotMode::Stat).unwrap();
    let mut best = std::time::Duration::MAX;
    let runs = std::env::var("SCAN_TIMING_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    for _ in 0..runs {
        let (start, cpu_start) = (std::time::Instant::now(), cpu_time());
        let current = scan(&root, &ExcludeSet::default(), SnapshotMode::Stat).unwrap();
        let changes = crate::snapshot::diff(&baseline, &current, SnapshotMode::Stat);
        // As `Snapshotter::take` does: the new state replaces (drops) the old one.
        baseline = current;
        let (elapsed, cpu) = (start.elapsed(), cpu_time() - cpu_start);
        assert!(changes.is_empty());
        best = best.min(elapsed);
        println!(
            "no-change scan+diff of {} entries: {elapsed:?} (CPU, all threads: {cpu:?})",
            baseline.len()
        );
    }
    println!("best: {best:?}");
}

/// User + system CPU time of this process so far (all threads).
fn cpu_time() -> std::time::Duration {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| std::time::Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    if std::env::var_os("SCAN_TIMING_SPLIT").is_some() {
        println!("  user {:?} sys {:?}", tv(usage.ru_utime), tv(usage.ru_stime));
    }
    tv(usage.ru_utime) + tv(usage.ru_stime)
}
