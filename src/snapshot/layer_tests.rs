// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Unit tests of the layer writer, checked by reading the blobs back independently (flate2/zstd
//! decoders, sha2 and the `tar` crate's reader) rather than through the writer's own bookkeeping.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest as _, Sha256};

use super::*;
use crate::image::{media_type, Digest};
use crate::snapshot::layer_reader::{list_entries, EntryKind};

fn meta(mode: u32, uid: u64, gid: u64, mtime: u64) -> EntryMeta {
    EntryMeta {
        mode,
        uid,
        gid,
        mtime,
        xattrs: BTreeMap::new(),
    }
}

fn decompress(blob: &LayerBlob) -> Vec<u8> {
    let bytes = std::fs::read(&blob.path).unwrap();
    let mut out = Vec::new();
    match media_type::layer_compression(&blob.descriptor.media_type).unwrap() {
        LayerCompression::Gzip => {
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut out)
                .unwrap();
        }
        LayerCompression::Zstd => {
            zstd::stream::read::Decoder::new(&bytes[..])
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
        }
        LayerCompression::None => out = bytes,
    }
    out
}

fn sample_layer(dir: &Path, options: LayerOptions, mtime: u64) -> LayerBlob {
    let mut w = LayerWriter::create(dir, options).unwrap();
    w.append_dir(Path::new("/etc"), &meta(0o755, 0, 0, mtime))
        .unwrap();
    w.append_file(
        Path::new("etc/hello"),
        &b"hello world\n"[..],
        12,
        &meta(0o644, 1000, 1000, mtime),
    )
    .unwrap();
    w.append_symlink(
        Path::new("bin/sh"),
        Path::new("/bin/busybox"),
        &meta(0o777, 0, 0, mtime),
    )
    .unwrap();
    w.append_hard_link(
        Path::new("etc/hello2"),
        Path::new("/etc/hello"),
        &meta(0o644, 0, 0, mtime),
    )
    .unwrap();
    w.finish().unwrap()
}

#[test]
fn digests_match_an_independent_recomputation() {
    let dir = tempfile::tempdir().unwrap();
    for compression in [Compression::Gzip, Compression::Zstd] {
        let options = LayerOptions {
            compression,
            ..LayerOptions::default()
        };
        let blob = sample_layer(dir.path(), options, 1_700_000_000);
        let compressed = std::fs::read(&blob.path).unwrap();
        assert_eq!(blob.descriptor.digest, Digest::of(&compressed));
        assert_eq!(blob.descriptor.size, compressed.len() as u64);
        assert_eq!(blob.path, dir.path().join(blob.descriptor.digest.hex()));
        let tar = decompress(&blob);
        assert_eq!(blob.diff_id, Digest::from_sha256(Sha256::digest(&tar).into()));
        assert_eq!(blob.uncompressed_size, tar.len() as u64);
        assert_eq!(tar.len() % 512, 0);
        let expected_type = match compression {
            Compression::Gzip => media_type::OCI_LAYER_GZIP,
            Compression::Zstd => media_type::OCI_LAYER_ZSTD,
        };
        assert_eq!(blob.descriptor.media_type, expected_type);
        // The reader computes the same diff ID.
        let read_diff = crate::snapshot::visit_entries(&blob.path, expected_type, |_, _| {
            Ok::<_, crate::snapshot::LayerReadError>(())
        })
        .unwrap();
        assert_eq!(read_diff, blob.diff_id);
    }
}

#[test]
fn entries_read_back_with_the_tar_crate() {
    let dir = tempfile::tempdir().unwrap();
    let blob = sample_layer(dir.path(), LayerOptions::default(), 1_700_000_000);
    let tar = decompress(&blob);
    let mut archive = tar::Archive::new(&tar[..]);
    let mut seen = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let h = entry.header().clone();
        assert_eq!(h.username().unwrap(), Some(""));
        assert_eq!(h.groupname().unwrap(), Some(""));
        assert_eq!(h.mtime().unwrap(), 1_700_000_000);
        let path = String::from_utf8(entry.path_bytes().into_owned()).unwrap();
        let mut content = String::new();
        entry.read_to_string(&mut content).unwrap();
        seen.push((path, h.entry_type(), h.mode().unwrap(), h.uid().unwrap(), content));
    }
    assert_eq!(
        seen,
        vec![
            ("etc/".into(), tar::EntryType::Directory, 0o755, 0, String::new()),
            (
                "etc/hello".into(),
                tar::EntryType::Regular,
                0o644,
                1000,
                "hello world\n".into()
            ),
            ("bin/sh".into(), tar::EntryType::Symlink, 0o777, 0, String::new()),
            ("etc/hello2".into(), tar::EntryType::Link, 0o644, 0, String::new()),
        ]
    );
}

#[test]
fn special_modes_devices_and_xattrs_survive() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LayerWriter::create(dir.path(), LayerOptions::default()).unwrap();
    let mut caps = meta(0o4755, 0, 0, 5);
    caps.xattrs.insert(
        "security.capability".into(),
        vec![1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    caps.xattrs.insert("user.note".into(), b"hi".to_vec());
    w.append_file(Path::new("usr/bin/ping"), &b"elf"[..], 3, &caps)
        .unwrap();
    w.append_dir(Path::new("tmp"), &meta(0o1777, 0, 0, 5)).unwrap();
    w.append_dir(Path::new("srv/shared"), &meta(0o2775, 0, 50, 5))
        .unwrap();
    w.append_fifo(Path::new("run/pipe"), &meta(0o600, 0, 0, 5))
        .unwrap();
    w.append_char_device(Path::new("dev/null"), 1, 3, &meta(0o666, 0, 0, 5))
        .unwrap();
    w.append_block_device(Path::new("dev/sda"), 8, 0, &meta(0o660, 0, 6, 5))
        .unwrap();
    let blob = w.finish().unwrap();

    // Independent check of the PAX records with the tar crate.
    let tar = decompress(&blob);
    let mut archive = tar::Archive::new(&tar[..]);
    let mut first = archive.entries().unwrap().next().unwrap().unwrap();
    let pax: Vec<(String, Vec<u8>)> = first
        .pax_extensions()
        .unwrap()
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            (r.key().unwrap().to_string(), r.value_bytes().to_vec())
        })
        .collect();
    assert_eq!(pax.len(), 2);
    assert_eq!(pax[0].0, "SCHILY.xattr.security.capability");
    assert_eq!(pax[0].1, caps.xattrs["security.capability"]);

    let entries = list_entries(&blob.path, &blob.descriptor.media_type).unwrap();
    assert_eq!(entries[0].mode, 0o4755);
    assert_eq!(entries[0].xattrs, caps.xattrs);
    assert_eq!(entries[1].mode, 0o1777);
    assert_eq!((entries[2].mode, entries[2].gid), (0o2775, 50));
    assert_eq!(entries[3].kind, EntryKind::Fifo);
    assert_eq!(
        (entries[4].kind.clone(), entries[4].device),
        (EntryKind::CharDevice, Some((1, 3)))
    );
    assert_eq!(
        (entries[5].kind.clone(), entries[5].device),
        (EntryKind::BlockDevice, Some((8, 0)))
    );
}

#[test]
fn whiteouts_are_named_like_docker_and_read_as_whiteouts() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LayerWriter::create(dir.path(), LayerOptions::default()).unwrap();
    w.append_whiteout(Path::new("/etc/removed.conf")).unwrap();
    w.append_whiteout(Path::new("toplevel")).unwrap();
    w.append_opaque_whiteout(Path::new("/var/cache")).unwrap();
    let blob = w.finish().unwrap();
    let tar = decompress(&blob);
    let names: Vec<String> = tar::Archive::new(&tar[..])
        .entries()
        .unwrap()
        .map(|e| String::from_utf8(e.unwrap().path_bytes().into_owned()).unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["etc/.wh.removed.conf", ".wh.toplevel", "var/cache/.wh..wh..opq"]
    );
    let entries = list_entries(&blob.path, &blob.descriptor.media_type).unwrap();
    assert_eq!(
        entries[0].kind,
        EntryKind::Whiteout {
            target: "etc/removed.conf".into()
        }
    );
    assert_eq!(
        entries[1].kind,
        EntryKind::Whiteout {
            target: "toplevel".into()
        }
    );
    assert_eq!(
        entries[2].kind,
        EntryKind::OpaqueWhiteout {
            dir: "var/cache".into()
        }
    );
}

#[test]
fn long_names_and_link_targets_use_pax() {
    let dir = tempfile::tempdir().unwrap();
    let long_dir = "d".repeat(120);
    let long_file = format!("{long_dir}/{}", "f".repeat(150));
    let split_file = format!("{}/{}", "p".repeat(140), "n".repeat(90));
    let utf8 = "données/é.txt";
    let mut w = LayerWriter::create(dir.path(), LayerOptions::default()).unwrap();
    w.append_dir(Path::new(&long_dir), &meta(0o755, 0, 0, 0)).unwrap();
    w.append_file(Path::new(&long_file), &b"x"[..], 1, &meta(0o644, 0, 0, 0))
        .unwrap();
    w.append_file(Path::new(&split_file), &b""[..], 0, &meta(0o644, 0, 0, 0))
        .unwrap();
    w.append_file(Path::new(utf8), &b""[..], 0, &meta(0o644, 0, 0, 0))
        .unwrap();
    w.append_symlink(
        Path::new("link"),
        Path::new(&format!("/{long_file}")),
        &meta(0o777, 0, 0, 0),
    )
    .unwrap();
    w.append_file(
        Path::new("big-ids"),
        &b""[..],
        0,
        &meta(0o644, 1 << 31, 1 << 32, 0),
    )
    .unwrap();
    let blob = w.finish().unwrap();
    let tar = decompress(&blob);
    let mut archive = tar::Archive::new(&tar[..]);
    let got: Vec<(String, Option<String>, u64, u64)> = archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let link = e.link_name().unwrap().map(|l| l.to_string_lossy().into_owned());
            (
                e.path().unwrap().to_string_lossy().into_owned(),
                link,
                e.header().uid().unwrap(),
                e.header().gid().unwrap(),
            )
        })
        .collect();
    assert_eq!(got[0].0, format!("{long_dir}/"));
    assert_eq!(got[1].0, long_file);
    assert_eq!(got[2].0, split_file);
    assert_eq!(got[3].0, utf8);
    assert_eq!(got[4].1.as_deref(), Some(format!("/{long_file}").as_str()));
    // Our reader applies the PAX uid/gid records.
    let entries = list_entries(&blob.path, &blob.descriptor.media_type).unwrap();
    assert_eq!(entries[0].path, Path::new(&long_dir));
    assert_eq!((entries[5].uid, entries[5].gid), (1 << 31, 1 << 32));
}

#[test]
fn reproducible_layers_are_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for compression in [Compression::Gzip, Compression::Zstd] {
        let options = LayerOptions {
            compression,
            ..LayerOptions::default()
        }
        .reproducible(0);
        let first = sample_layer(a.path(), options, 1_700_000_000);
        let second = sample_layer(b.path(), options, 1_800_000_000);
        assert_eq!(
            std::fs::read(&first.path).unwrap(),
            std::fs::read(&second.path).unwrap()
        );
        assert_eq!(first.descriptor, second.descriptor);
        let entries = list_entries(&first.path, &first.descriptor.media_type).unwrap();
        assert!(entries.iter().all(|e| e.mtime == 0));
    }
    assert_eq!(source_date_epoch(Some("1700000000")).unwrap(), 1_700_000_000);
    assert_eq!(source_date_epoch(None).unwrap(), 0);
    assert!(matches!(
        source_date_epoch(Some("yesterday")),
        Err(LayerError::SourceDateEpoch { .. })
    ));
}

#[test]
fn multi_megabyte_file_streams_through_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.bin");
    let data: Vec<u8> = (0..3_000_001u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&src, &data).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut w = LayerWriter::create(&out, LayerOptions::default()).unwrap();
    w.append_file_from_path(Path::new("data.bin"), &src, &meta(0o600, 0, 0, 0))
        .unwrap();
    let blob = w.finish().unwrap();
    let mut read_back = Vec::new();
    crate::snapshot::visit_entries(&blob.path, &blob.descriptor.media_type, |entry, r| {
        r.read_to_end(&mut read_back)
            .map(|_| ())
            .map_err(|source| crate::snapshot::LayerReadError::Entry {
                path: blob.path.clone(),
                entry: entry.path.clone(),
                source,
            })
    })
    .unwrap();
    assert_eq!(read_back, data);
    // Only the finished blob is left in the directory: no temporary files.
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
}

#[test]
fn short_reader_is_an_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LayerWriter::create(dir.path(), LayerOptions::default()).unwrap();
    let err = w
        .append_file(Path::new("f"), &b"abc"[..], 10, &meta(0o644, 0, 0, 0))
        .unwrap_err();
    assert!(
        matches!(
            err,
            LayerError::SizeChanged {
                expected: 10,
                actual: 3,
                ..
            }
        ),
        "{err}"
    );
    drop(w);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn rejects_bad_paths_and_docker_zstd() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LayerWriter::create(dir.path(), LayerOptions::default()).unwrap();
    assert!(matches!(
        w.append_dir(Path::new("a/../../b"), &meta(0o755, 0, 0, 0)),
        Err(LayerError::InvalidPath { .. })
    ));
    assert!(matches!(
        w.append_dir(Path::new("/"), &meta(0o755, 0, 0, 0)),
        Err(LayerError::InvalidPath { .. })
    ));
    let docker_zstd = LayerOptions {
        compression: Compression::Zstd,
        format: ManifestFormat::Docker,
        ..LayerOptions::default()
    };
    assert!(matches!(
        LayerWriter::create(dir.path(), docker_zstd),
        Err(LayerError::ZstdNeedsOci)
    ));
    let docker_gzip = LayerOptions {
        format: ManifestFormat::Docker,
        ..LayerOptions::default()
    };
    let blob = LayerWriter::create(dir.path(), docker_gzip)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(blob.descriptor.media_type, media_type::DOCKER_LAYER_GZIP);
    assert_eq!(blob.uncompressed_size, 1024);
}
