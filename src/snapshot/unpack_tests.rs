// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Unit tests of unpacking: hand-made layers (through the layer writer, or raw tar bytes for
//! entries the writer refuses to produce) applied onto real directories, checked with lstat and
//! lgetxattr. We run as root, so owners, device nodes and file capabilities are real.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::*;
use crate::image::media_type::OCI_LAYER_TAR;
use crate::snapshot::test_fs::{mkdir, set_mtime_ns, symlink, write, CAP_NET_BIND_SERVICE};
use crate::snapshot::{clear_root, EntryMeta, LayerOptions, LayerWriter};

fn meta(mode: u32, uid: u64, gid: u64, mtime: u64) -> EntryMeta {
    EntryMeta {
        mode,
        uid,
        gid,
        mtime,
        xattrs: BTreeMap::new(),
    }
}

fn lstat(path: &Path) -> std::fs::Metadata {
    std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unpack(blob: &crate::snapshot::LayerBlob, root: &Path, options: &UnpackOptions) -> UnpackStats {
    unpack_layer(&blob.path, &blob.descriptor.media_type, root, options).unwrap()
}

/// A raw uncompressed tar entry whose name is written verbatim (the writer refuses `..`).
fn raw_entry(out: &mut Vec<u8>, name: &str, kind: tar::EntryType, link: &str, data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_size(data.len() as u64);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn raw_layer(dir: &Path, entries: &[(&str, tar::EntryType, &str, &[u8])]) -> PathBuf {
    let mut bytes = Vec::new();
    for (name, kind, link, data) in entries {
        raw_entry(&mut bytes, name, *kind, link, data);
    }
    bytes.extend_from_slice(&[0u8; 1024]);
    let path = dir.join("raw.tar");
    std::fs::File::create(&path).unwrap().write_all(&bytes).unwrap();
    path
}

#[test]
fn every_entry_kind_is_applied() {
    let blobs = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // The lower layers.
    write(root, "gone/a", "a");
    write(root, "gone/deep/b", "b");
    write(root, "opq/lower1", "l");
    write(root, "opq/lower2/sub", "l");
    write(root, "opq2/lower", "l");
    write(root, "replace_dir/child", "c");
    write(root, "replace_file", "f");
    write(root, "bin/su", "old su, hard-linked");
    std::fs::hard_link(root.join("bin/su"), root.join("bin/old-link")).unwrap();

    let mut w = LayerWriter::create(blobs.path(), LayerOptions::default()).unwrap();
    w.append_whiteout(Path::new("gone")).unwrap();
    w.append_dir(Path::new("bin"), &meta(0o755, 0, 0, 1_000)).unwrap();
    w.append_file(
        Path::new("bin/su"),
        &b"su!"[..],
        3,
        &meta(0o4755, 0, 0, 1_700_000_000),
    )
    .unwrap();
    let mut cap = meta(0o755, 0, 0, 1_700_000_001);
    cap.xattrs
        .insert("security.capability".into(), CAP_NET_BIND_SERVICE.to_vec());
    cap.xattrs.insert("user.note".into(), b"hello".to_vec());
    w.append_file(Path::new("bin/ping"), &b"ping"[..], 4, &cap)
        .unwrap();
    w.append_hard_link(Path::new("bin/su2"), Path::new("/bin/su"), &meta(0o4755, 0, 0, 0))
        .unwrap();
    w.append_symlink(
        Path::new("bin/sh"),
        Path::new("/bin/busybox"),
        &meta(0o777, 0, 0, 1_600_000_000),
    )
    .unwrap();
    w.append_dir(Path::new("home/u"), &meta(0o750, 1000, 1001, 2_000))
        .unwrap();
    w.append_file(
        Path::new("home/u/f"),
        &b"f"[..],
        1,
        &meta(0o640, 1000, 1001, 1_234_567_890),
    )
    .unwrap();
    w.append_dir(Path::new("tmp"), &meta(0o1777, 0, 0, 3_000))
        .unwrap();
    w.append_fifo(Path::new("run/fifo"), &meta(0o600, 0, 0, 0))
        .unwrap();
    w.append_char_device(Path::new("dev2/null"), 1, 3, &meta(0o666, 0, 0, 0))
        .unwrap();
    w.append_block_device(Path::new("dev2/loop0"), 7, 0, &meta(0o660, 0, 6, 0))
        .unwrap();
    // Docker's order: the opaque marker right after its directory.
    w.append_dir(Path::new("opq"), &meta(0o755, 0, 0, 0)).unwrap();
    w.append_opaque_whiteout(Path::new("opq")).unwrap();
    w.append_file(Path::new("opq/new"), &b"n"[..], 1, &meta(0o644, 0, 0, 0))
        .unwrap();
    // Marker after a sibling of the same layer, which must survive it.
    w.append_file(Path::new("opq2/kept"), &b"k"[..], 1, &meta(0o644, 0, 0, 0))
        .unwrap();
    w.append_opaque_whiteout(Path::new("opq2")).unwrap();
    w.append_file(
        Path::new("replace_dir"),
        &b"file now"[..],
        8,
        &meta(0o644, 0, 0, 0),
    )
    .unwrap();
    w.append_dir(Path::new("replace_file"), &meta(0o755, 0, 0, 0))
        .unwrap();
    w.append_file(
        Path::new("replace_file/inner"),
        &b"i"[..],
        1,
        &meta(0o644, 0, 0, 0),
    )
    .unwrap();
    let blob = w.finish().unwrap();

    let stats = unpack(&blob, root, &UnpackOptions::default());
    assert_eq!(stats.entries, 20);
    assert_eq!((stats.ownership_skipped, stats.devices_skipped), (0, 0));

    assert!(!root.join("gone").exists(), "whiteout removes the whole tree");
    let su = lstat(&root.join("bin/su"));
    assert_eq!(su.mode() & 0o7777, 0o4755, "setuid survives chown");
    assert_eq!(std::fs::read(root.join("bin/su")).unwrap(), b"su!");
    assert_eq!(su.mtime(), 1_700_000_000);
    assert_eq!(
        std::fs::read(root.join("bin/old-link")).unwrap(),
        b"old su, hard-linked",
        "a replaced file is a new inode"
    );
    let su2 = lstat(&root.join("bin/su2"));
    assert_eq!((su2.ino(), su.nlink()), (su.ino(), 2));
    let caps = crate::snapshot::sys::layer_xattrs(&root.join("bin/ping")).unwrap();
    assert_eq!(
        caps.get("security.capability").unwrap(),
        &CAP_NET_BIND_SERVICE.to_vec()
    );
    assert_eq!(caps.get("user.note").unwrap(), b"hello");
    assert_eq!(
        std::fs::read_link(root.join("bin/sh")).unwrap(),
        Path::new("/bin/busybox")
    );
    assert_eq!(
        lstat(&root.join("bin/sh")).mtime(),
        1_600_000_000,
        "symlink's own mtime"
    );
    let f = lstat(&root.join("home/u/f"));
    assert_eq!(
        (f.uid(), f.gid(), f.mode() & 0o7777, f.mtime()),
        (1000, 1001, 0o640, 1_234_567_890)
    );
    let u = lstat(&root.join("home/u"));
    assert_eq!((u.uid(), u.gid(), u.mode() & 0o7777), (1000, 1001, 0o750));
    assert_eq!(u.mtime(), 2_000, "directory mtimes are set after their children");
    assert_eq!(lstat(&root.join("bin")).mtime(), 1_000);
    assert_eq!(lstat(&root.join("tmp")).mode() & 0o7777, 0o1777);
    assert!(lstat(&root.join("run/fifo")).file_type().is_fifo());
    let null = lstat(&root.join("dev2/null"));
    assert!(null.file_type().is_char_device());
    assert_eq!((libc::major(null.rdev()), libc::minor(null.rdev())), (1, 3));
    let lo = lstat(&root.join("dev2/loop0"));
    assert!(lo.file_type().is_block_device());
    assert_eq!((lo.gid(), lo.mode() & 0o7777), (6, 0o660));
    assert!(!root.join("opq/lower1").exists() && !root.join("opq/lower2").exists());
    assert!(root.join("opq/new").exists());
    assert!(
        !root.join("opq2/lower").exists(),
        "opaque marker after siblings still hides lower content"
    );
    assert!(
        root.join("opq2/kept").exists(),
        "and keeps what the same layer wrote"
    );
    assert_eq!(std::fs::read(root.join("replace_dir")).unwrap(), b"file now");
    assert!(lstat(&root.join("replace_file")).is_dir());
    assert!(root.join("replace_file/inner").exists());
}

#[test]
fn parent_dot_dot_is_rejected_and_nothing_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    mkdir(dir.path(), "root");
    let blob = raw_layer(dir.path(), &[("../escaped", tar::EntryType::Regular, "", b"x")]);
    let err = unpack_layer(&blob, OCI_LAYER_TAR, &root, &UnpackOptions::default()).unwrap_err();
    assert!(matches!(err, UnpackError::InvalidEntry { .. }), "{err}");
    assert!(!dir.path().join("escaped").exists());

    let blob = raw_layer(
        dir.path(),
        &[("a", tar::EntryType::Link, "../../etc/passwd", b"")],
    );
    let err = unpack_layer(&blob, OCI_LAYER_TAR, &root, &UnpackOptions::default()).unwrap_err();
    assert!(err.to_string().contains("leaves the root"), "{err}");
    assert!(!root.join("a").exists());

    let blob = raw_layer(dir.path(), &[("d/.wh..", tar::EntryType::Regular, "", b"")]);
    mkdir(&root, "d");
    assert!(unpack_layer(&blob, OCI_LAYER_TAR, &root, &UnpackOptions::default()).is_err());
    assert!(root.join("d").exists(), "'.wh..' never deletes the parent");
}

#[test]
fn symlinked_parents_resolve_inside_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    write(&root, "etc/hostname", "inside");
    let marker = format!("kaniko-unpack-escape-{}", std::process::id());
    let host_target = PathBuf::from("/etc").join(&marker);
    let blob = raw_layer(
        dir.path(),
        &[
            ("etc_link", tar::EntryType::Symlink, "/etc", b""),
            (&format!("etc_link/{marker}"), tar::EntryType::Regular, "", b"x"),
            ("up", tar::EntryType::Symlink, "../../../../..", b""),
            ("up/climbed", tar::EntryType::Regular, "", b"y"),
            ("hard", tar::EntryType::Link, "/etc_link/hostname", b""),
            ("rel/link", tar::EntryType::Symlink, "../etc", b""),
            ("rel/link/.wh.hostname", tar::EntryType::Regular, "", b""),
        ],
    );
    let result = unpack_layer(&blob, OCI_LAYER_TAR, &root, &UnpackOptions::default());
    let escaped = host_target.exists();
    let _ = std::fs::remove_file(&host_target);
    result.unwrap();
    assert!(!escaped, "wrote through a symlink to the host's /etc");
    assert_eq!(
        std::fs::read(root.join("hard")).unwrap(),
        b"inside",
        "absolute link target is root-relative"
    );
    assert_eq!(std::fs::read(root.join("etc").join(&marker)).unwrap(), b"x");
    assert_eq!(
        std::fs::read(root.join("climbed")).unwrap(),
        b"y",
        "'..' stops at the root"
    );
    assert!(!dir.path().join("climbed").exists());
    assert!(
        !root.join("etc/hostname").exists(),
        "whiteout through a symlink stays inside"
    );
}

#[test]
fn excluded_paths_are_neither_written_nor_deleted() {
    let blobs = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "kaniko/secret", "s");
    write(root, "proc/1/status", "p");
    write(root, "var/run/pid", "1");
    write(root, "var/lib/old", "o");
    write(root, "other", "o");
    let options = UnpackOptions {
        exclude: ExcludeSet::new(["/kaniko", "/proc", "/var/run"].map(PathBuf::from)),
        ownership: Ownership::Exact,
    };
    let mut w = LayerWriter::create(blobs.path(), LayerOptions::default()).unwrap();
    w.append_opaque_whiteout(Path::new("var")).unwrap();
    w.append_whiteout(Path::new("kaniko")).unwrap();
    w.append_whiteout(Path::new("proc/1")).unwrap();
    w.append_file(Path::new("kaniko/injected"), &b"x"[..], 1, &meta(0o644, 0, 0, 0))
        .unwrap();
    w.append_symlink(Path::new("var/run"), Path::new("/run"), &meta(0o777, 0, 0, 0))
        .unwrap();
    w.append_symlink(Path::new("evil"), Path::new("/kaniko"), &meta(0o777, 0, 0, 0))
        .unwrap();
    w.append_file(
        Path::new("evil/through-link"),
        &b"x"[..],
        1,
        &meta(0o644, 0, 0, 0),
    )
    .unwrap();
    w.append_hard_link(
        Path::new("stolen"),
        Path::new("kaniko/secret"),
        &meta(0o644, 0, 0, 0),
    )
    .unwrap();
    let blob = w.finish().unwrap();
    unpack(&blob, root, &options);

    assert_eq!(std::fs::read(root.join("kaniko/secret")).unwrap(), b"s");
    assert!(!root.join("kaniko/injected").exists() && !root.join("kaniko/through-link").exists());
    assert!(root.join("proc/1/status").exists());
    assert!(
        lstat(&root.join("var/run")).is_dir(),
        "excluded path not replaced by a symlink"
    );
    assert!(root.join("var/run/pid").exists());
    assert!(
        !root.join("var/lib").exists(),
        "opaque var still hides its other lower content"
    );
    assert!(!root.join("stolen").exists(), "no hard link to an excluded file");
    assert!(root.join("other").exists());
}

#[test]
fn clear_root_keeps_only_excluded_paths_and_their_ancestors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a/b/keep", "k");
    write(root, "a/other", "o");
    write(root, "c/d", "d");
    symlink(root, "l", "/etc");
    mkdir(root, "empty");
    set_mtime_ns(root, "a/b/keep", 5, 0);
    clear_root(root, &ExcludeSet::new([PathBuf::from("a/b")])).unwrap();
    let mut left: Vec<PathBuf> = walkdir(root);
    left.sort();
    assert_eq!(left, ["a", "a/b", "a/b/keep"].map(PathBuf::from).to_vec());
    assert!(Path::new("/etc").exists());
}

fn walkdir(root: &Path) -> Vec<PathBuf> {
    crate::snapshot::scan(root, &ExcludeSet::default(), crate::snapshot::SnapshotMode::Stat)
        .unwrap()
        .iter()
        .map(|(p, _)| p)
        .collect()
}

/// In a user namespace mapping only root (rootless builds), lchown to other ids fails with
/// EINVAL and mknod of devices with EPERM. The test runs itself again under
/// `unshare --user --map-root-user`; that second run (told by the environment) does the unpack.
#[test]
fn best_effort_ownership_in_a_user_namespace() {
    const BLOB: &str = "KANIKO_TEST_USERNS_BLOB";
    const ROOT: &str = "KANIKO_TEST_USERNS_ROOT";
    if let (Some(blob), Some(root)) = (std::env::var_os(BLOB), std::env::var_os(ROOT)) {
        let (blob, root) = (PathBuf::from(blob), PathBuf::from(root));
        let media = crate::image::media_type::OCI_LAYER_GZIP;
        let exact = unpack_layer(&blob, media, &root.join("exact"), &UnpackOptions::default());
        println!(
            "exact: {}",
            exact.map(|_| "ok".to_string()).unwrap_or_else(|e| e.to_string())
        );
        let options = UnpackOptions {
            ownership: Ownership::BestEffort,
            ..UnpackOptions::default()
        };
        let stats = unpack_layer(&blob, media, &root.join("best"), &options).unwrap();
        println!(
            "stats: {} {} {}",
            stats.entries, stats.ownership_skipped, stats.devices_skipped
        );
        return;
    }
    let work = tempfile::tempdir().unwrap();
    for d in ["exact", "best"] {
        mkdir(work.path(), d);
    }
    let mut w = LayerWriter::create(work.path(), LayerOptions::default()).unwrap();
    w.append_dir(Path::new("home/u"), &meta(0o750, 1000, 1000, 0))
        .unwrap();
    w.append_file(Path::new("home/u/f"), &b"f"[..], 1, &meta(0o4755, 1000, 1000, 5))
        .unwrap();
    w.append_file(Path::new("rootfile"), &b"r"[..], 1, &meta(0o600, 0, 0, 5))
        .unwrap();
    w.append_char_device(Path::new("dev/null"), 1, 3, &meta(0o666, 0, 0, 0))
        .unwrap();
    let blob = w.finish().unwrap();
    let out = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "snapshot::unpack::tests::best_effort_ownership_in_a_user_namespace",
            "--nocapture",
        ])
        .env(BLOB, &blob.path)
        .env(ROOT, work.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exact = stdout.lines().find_map(|l| l.strip_prefix("exact: ")).unwrap();
    assert!(
        exact.contains("changing owner of") && exact.contains("Invalid argument"),
        "{exact}"
    );
    assert_eq!(
        stdout.lines().find_map(|l| l.strip_prefix("stats: ")),
        Some("4 2 1")
    );
    let best = work.path().join("best");
    let f = lstat(&best.join("home/u/f"));
    assert_eq!(
        (f.uid(), f.mode() & 0o7777, f.mtime()),
        (0, 0o4755, 5),
        "mode and mtime still applied"
    );
    assert_eq!(std::fs::read(best.join("rootfile")).unwrap(), b"r");
    assert!(!best.join("dev/null").exists());
}
