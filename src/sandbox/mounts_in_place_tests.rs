// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! [`InPlace`] on real directories: what a command sees at each target, and that undoing leaves
//! the tree as it was (entries, modes, owners, directory times).

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use super::*;

fn mount(target: &str, kind: MountKind, file: bool) -> Mount {
    Mount {
        target: PathBuf::from(target),
        kind,
        file,
    }
}

fn bind(target: &str, source: &Path, file: bool) -> Mount {
    mount(
        target,
        MountKind::Bind {
            source: source.to_path_buf(),
            readonly: true,
        },
        file,
    )
}

fn tmpfs(target: &str) -> Mount {
    mount(
        target,
        MountKind::Tmpfs {
            data: "mode=1777,size=1m".into(),
        },
        false,
    )
}

/// Every path under `root` with its type, mode, owner, content or link, and times (ns).
fn state(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let m = std::fs::symlink_metadata(&path).unwrap();
            let what = if m.is_dir() {
                pending.push(path.clone());
                "dir".to_string()
            } else if m.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&path).unwrap().display())
            } else {
                String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()
            };
            let line = format!(
                "{what} {:o} {}:{} mtime={}.{}",
                m.mode() & 0o7777,
                m.uid(),
                m.gid(),
                m.mtime(),
                m.mtime_nsec()
            );
            out.insert(path.strip_prefix(root).unwrap().to_path_buf(), line);
        }
    }
    out.insert(PathBuf::new(), format!("mtime={:?}", mtime(root)));
    out
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    scratch: PathBuf,
    cache: PathBuf,
}

/// A root with `/etc/conf` and `/home/app/keep`, a scratch area the step owns and a cache it
/// does not.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/conf"), "original\n").unwrap();
    std::fs::create_dir_all(root.join("home/app")).unwrap();
    std::fs::write(root.join("home/app/keep"), "kept\n").unwrap();
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(scratch.join("copy/sub")).unwrap();
    std::fs::write(scratch.join("copy/sub/a"), "from the context\n").unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    // A private file of the step (moved into place) and a file it does not own (copied).
    for file in [scratch.join("secret"), cache.join("shared-file")] {
        std::fs::write(&file, "s3cr3t").unwrap();
        if is_root() {
            std::os::unix::fs::chown(&file, Some(1000), Some(1001)).unwrap();
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o440)).unwrap();
    }
    // Old times, so a directory whose times were not restored cannot look unchanged.
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    for d in ["", "etc", "home", "home/app"] {
        let f = std::fs::File::open(root.join(d)).unwrap();
        f.set_times(std::fs::FileTimes::new().set_accessed(old).set_modified(old))
            .unwrap();
    }
    Fixture {
        _dir: dir,
        root,
        scratch,
        cache,
    }
}

#[test]
fn each_kind_is_in_place_and_undoing_restores_the_tree() {
    let f = fixture();
    let before = state(&f.root);
    let listener = std::os::unix::net::UnixListener::bind(f.cache.join("agent.sock")).unwrap();
    let mounts = [
        tmpfs("new/deep/t"),
        bind("home/app", &f.scratch.join("copy"), false),
        bind("run/secrets/key", &f.scratch.join("secret"), true),
        bind("etc/conf", &f.cache.join("shared-file"), true),
        bind("var/cache/app", &f.cache, false),
        bind("run/agent.sock", &f.cache.join("agent.sock"), true),
        mount(
            "dev-fd",
            MountKind::Symlink {
                target: "/proc/self/fd".into(),
            },
            false,
        ),
    ];
    let owned = |p: &Path| p.starts_with(&f.scratch);
    let placed = InPlace::place(&f.root, &mounts, &owned).unwrap();
    let root = &f.root;
    let tmp = std::fs::symlink_metadata(root.join("new/deep/t")).unwrap();
    assert!(tmp.is_dir());
    assert_eq!(tmp.mode() & 0o7777, 0o1777);
    assert_eq!(
        std::fs::read_to_string(root.join("home/app/sub/a")).unwrap(),
        "from the context\n"
    );
    assert!(!root.join("home/app/keep").exists(), "the original is hidden");
    assert!(
        !f.scratch.join("copy").exists(),
        "an owned directory is moved, not copied"
    );
    assert!(!f.scratch.join("secret").exists(), "an owned file is moved");
    assert!(
        f.cache.join("shared-file").exists(),
        "a file the step does not own is copied"
    );
    for key in ["run/secrets/key", "etc/conf"] {
        let m = std::fs::symlink_metadata(root.join(key)).unwrap();
        assert!(m.is_file(), "{key}");
        assert_eq!(m.mode() & 0o7777, 0o440, "{key}");
        if is_root() {
            assert_eq!((m.uid(), m.gid()), (1000, 1001), "{key}");
        }
        assert_eq!(std::fs::read_to_string(root.join(key)).unwrap(), "s3cr3t");
    }
    assert_eq!(std::fs::read_link(root.join("var/cache/app")).unwrap(), f.cache);
    assert!(std::fs::symlink_metadata(root.join("run/agent.sock"))
        .unwrap()
        .file_type()
        .is_symlink());
    std::os::unix::net::UnixStream::connect(root.join("run/agent.sock")).unwrap();
    assert_eq!(
        std::fs::read_link(root.join("dev-fd")).unwrap(),
        Path::new("/proc/self/fd")
    );
    // The command writes through the cache link and into the bind copy.
    std::fs::write(root.join("var/cache/app/kept"), "persisted").unwrap();
    std::fs::write(root.join("home/app/scribble"), "discarded").unwrap();

    let accepted = placed.undo().unwrap();
    assert_eq!(state(&f.root), before, "the tree is as it was, times included");
    assert_eq!(
        std::fs::read_to_string(f.cache.join("kept")).unwrap(),
        "persisted"
    );
    assert!(f.cache.join("agent.sock").exists(), "a socket is never moved");
    drop(listener);
    for dir in ["", "home", "etc"] {
        assert!(accepted.contains(&PathBuf::from(dir)), "{dir:?} in {accepted:?}");
    }
    for entry in ["home/app", "etc/conf"] {
        assert!(
            accepted.contains(&PathBuf::from(entry)),
            "{entry} in {accepted:?}"
        );
    }
}

#[test]
fn a_failure_while_placing_undoes_what_was_placed() {
    let f = fixture();
    std::os::unix::fs::symlink("/etc", f.root.join("planted")).unwrap();
    let before = state(&f.root);
    let mounts = [
        tmpfs("new/t"),
        bind("home/app", &f.scratch.join("copy"), false),
        tmpfs("planted/x"),
    ];
    let err = InPlace::place(&f.root, &mounts, &|_: &Path| true).unwrap_err();
    assert!(
        matches!(err, InPlaceError::Target(MountError::Symlink { .. })),
        "{err}"
    );
    assert_eq!(state(&f.root), before);
}

#[test]
fn dropping_undoes() {
    let f = fixture();
    let before = state(&f.root);
    let placed = InPlace::place(&f.root, &[tmpfs("home/app")], &|_: &Path| false).unwrap();
    assert_eq!(std::fs::read_dir(f.root.join("home/app")).unwrap().count(), 0);
    drop(placed);
    assert_eq!(state(&f.root), before);
}

#[test]
fn what_the_command_changed_next_to_a_target_stays_its_own() {
    let f = fixture();
    let placed = InPlace::place(&f.root, &[tmpfs("home/new/t"), tmpfs("etc/conf")], &|_: &Path| {
        false
    })
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(10));
    std::fs::write(f.root.join("home/new/written"), "x").unwrap();
    std::fs::write(f.root.join("etc/added"), "y").unwrap();
    let accepted = placed.undo().unwrap();
    assert!(
        f.root.join("home/new/written").exists(),
        "a stub written into stays"
    );
    assert!(!f.root.join("home/new/t").exists());
    assert_eq!(
        std::fs::read_to_string(f.root.join("etc/conf")).unwrap(),
        "original\n"
    );
    assert!(
        !accepted.contains(&PathBuf::from("etc")) && !accepted.contains(&PathBuf::from("home")),
        "{accepted:?}"
    );
    assert_ne!(
        mtime(&f.root.join("etc")),
        Some(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000)),
        "the command's change keeps its time"
    );
}

#[test]
fn a_copy_keeps_modes_owners_and_links() {
    let f = fixture();
    let src = f.scratch.join("copy");
    std::os::unix::fs::symlink("sub/a", src.join("link")).unwrap();
    std::fs::set_permissions(src.join("sub"), std::fs::Permissions::from_mode(0o750)).unwrap();
    std::fs::set_permissions(src.join("sub/a"), std::fs::Permissions::from_mode(0o4755)).unwrap();
    if is_root() {
        std::os::unix::fs::chown(src.join("sub/a"), Some(7), Some(8)).unwrap();
        std::fs::set_permissions(src.join("sub/a"), std::fs::Permissions::from_mode(0o4755)).unwrap();
    }
    let dest = f.scratch.join("out");
    copy_tree(&src, &dest).unwrap();
    let a = std::fs::metadata(dest.join("sub/a")).unwrap();
    assert_eq!(a.mode() & 0o7777, 0o4755);
    if is_root() {
        assert_eq!((a.uid(), a.gid()), (7, 8));
    }
    assert_eq!(
        std::fs::metadata(dest.join("sub")).unwrap().mode() & 0o7777,
        0o750
    );
    assert_eq!(std::fs::read_link(dest.join("link")).unwrap(), Path::new("sub/a"));
}

#[test]
fn tmpfs_modes_come_from_the_mount_data() {
    assert_eq!(tmpfs_mode("mode=755,size=1024k"), 0o755);
    assert_eq!(tmpfs_mode("size=1m"), 0o1777);
}

/// What the snapshotter makes of a step whose command wrote only into its mounts: no layer.
#[test]
fn a_snapshot_after_undoing_sees_no_change() {
    use crate::snapshot::{ExcludeSet, LayerOptions, SnapshotMode, Snapshotter};
    let f = fixture();
    let mut snap = Snapshotter::new(
        f.root.clone(),
        ExcludeSet::new(Vec::<PathBuf>::new()),
        SnapshotMode::Stat,
    )
    .unwrap();
    let mounts = [
        tmpfs("new/t"),
        tmpfs("tmp-at-root"),
        bind("home/app", &f.scratch.join("copy"), false),
        bind("etc/conf", &f.cache.join("shared-file"), true),
        bind("var/cache/app", &f.cache, false),
    ];
    let placed = InPlace::place(&f.root, &mounts, &|p: &Path| p.starts_with(&f.scratch)).unwrap();
    std::fs::write(f.root.join("home/app/scribble"), "discarded").unwrap();
    std::fs::write(f.root.join("new/t/x"), "discarded").unwrap();
    snap.accept_ctime(&placed.undo().unwrap());
    let blobs = tempfile::tempdir().unwrap();
    let layer = snap.take(blobs.path(), LayerOptions::default()).unwrap();
    assert!(layer.is_none(), "{layer:?}");
}
