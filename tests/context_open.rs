// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Opening build contexts from real directories and real tarballs (plain, gzip, zstd, on "stdin"),
//! and tarballs crafted to escape the extraction root, which must fail without writing outside.
//! Fixtures are built by the tests with the tar/flate2/zstd crates.

use std::io::{Cursor, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use kaniko::context::{BuildContext, ContextError, ContextSpec};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A small context: a Dockerfile, a nested file, an executable, a symlink and an empty dir.
fn context_tar() -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str, mode: u32, data: &[u8]| -> std::io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder.append_data(&mut header, path, data)
    };
    add("Dockerfile", 0o644, b"FROM scratch\nCOPY . /\n")?;
    add("src/main.rs", 0o644, b"fn main() {}\n")?;
    add("bin/run.sh", 0o4755, b"#!/bin/sh\n")?;
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    link.set_mode(0o777);
    builder.append_link(&mut link, "latest", "src/main.rs")?;
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_size(0);
    dir.set_mode(0o555);
    builder.append_data(&mut dir, "readonly/", std::io::empty())?;
    Ok(builder.into_inner()?)
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data)?;
    gz.finish()
}

fn assert_context_contents(root: &Path) -> TestResult {
    assert_eq!(
        fs_err::read_to_string(root.join("Dockerfile"))?,
        "FROM scratch\nCOPY . /\n"
    );
    assert_eq!(
        fs_err::read_to_string(root.join("src/main.rs"))?,
        "fn main() {}\n"
    );
    let mode = fs_err::metadata(root.join("bin/run.sh"))?.permissions().mode() & 0o7777;
    assert_eq!(mode, 0o4755, "setuid bit and mode survive extraction");
    assert_eq!(fs_err::read_link(root.join("latest"))?, Path::new("src/main.rs"));
    assert!(fs_err::symlink_metadata(root.join("readonly"))?.is_dir());
    Ok(())
}

#[test]
fn plain_directory_and_dir_scheme() -> TestResult {
    let work = tempfile::tempdir()?;
    let ctx_dir = tempfile::tempdir()?;
    fs_err::write(ctx_dir.path().join("Dockerfile"), "FROM scratch\n")?;
    for spec in [
        ctx_dir.path().display().to_string(),
        format!("dir://{}", ctx_dir.path().display()),
    ] {
        let ctx = BuildContext::open(&spec, None, work.path())?;
        assert_eq!(ctx.root(), fs_err::canonicalize(ctx_dir.path())?);
        assert!(matches!(ctx.spec(), ContextSpec::Dir(_)));
    }
    Ok(())
}

#[test]
fn missing_directory_and_file_as_directory_are_errors() -> TestResult {
    let work = tempfile::tempdir()?;
    let missing = work.path().join("nope");
    let err = BuildContext::open(&missing.display().to_string(), None, work.path()).err();
    assert!(matches!(err, Some(ContextError::NotFound { .. })), "{err:?}");
    let file = work.path().join("file");
    fs_err::write(&file, "x")?;
    let err = BuildContext::open(&file.display().to_string(), None, work.path()).err();
    assert!(matches!(err, Some(ContextError::NotADirectory { .. })), "{err:?}");
    Ok(())
}

#[test]
fn tarballs_are_recognised_by_magic_bytes_not_names() -> TestResult {
    let work = tempfile::tempdir()?;
    let raw = context_tar()?;
    let variants = [
        ("plain.tar.gz", raw.clone()),
        ("gzipped.tar", gzip(&raw)?),
        ("zstd.bin", zstd::encode_all(Cursor::new(raw.clone()), 3)?),
    ];
    for (name, bytes) in variants {
        let path = work.path().join(name);
        fs_err::write(&path, bytes)?;
        let ctx = BuildContext::open(
            &format!("tar://{}", path.display()),
            None,
            &work.path().join("kaniko"),
        )?;
        assert!(ctx
            .root()
            .starts_with(fs_err::canonicalize(work.path().join("kaniko"))?));
        assert_context_contents(ctx.root())?;
    }
    Ok(())
}

#[test]
fn extracted_context_is_removed_on_drop() -> TestResult {
    let work = tempfile::tempdir()?;
    let path = work.path().join("ctx.tar");
    fs_err::write(&path, context_tar()?)?;
    let ctx = BuildContext::open(&format!("tar://{}", path.display()), None, work.path())?;
    let root = ctx.root().to_path_buf();
    assert!(root.join("Dockerfile").is_file());
    drop(ctx);
    assert!(
        !root.exists(),
        "{} should be gone (including the read-only directory)",
        root.display()
    );
    Ok(())
}

#[test]
fn stdin_tarball_gzip_and_zstd() -> TestResult {
    let work = tempfile::tempdir()?;
    let raw = context_tar()?;
    for bytes in [
        gzip(&raw)?,
        zstd::encode_all(Cursor::new(raw.clone()), 3)?,
        raw.clone(),
    ] {
        let ctx =
            BuildContext::open_with_stdin("tar://stdin", None, work.path(), Box::new(Cursor::new(bytes)))?;
        assert_eq!(ctx.spec(), &ContextSpec::Stdin);
        assert_context_contents(ctx.root())?;
    }
    Ok(())
}

#[test]
fn stdin_that_is_not_a_tarball_is_an_error() -> TestResult {
    let work = tempfile::tempdir()?;
    let garbage = gzip(b"this is not a tar archive at all, just some text that is long enough")?;
    let err =
        BuildContext::open_with_stdin("tar://stdin", None, work.path(), Box::new(Cursor::new(garbage))).err();
    assert!(err.is_some(), "a gzip of non-tar data must not open as a context");
    Ok(())
}

#[test]
fn sub_path_selects_a_directory_and_cannot_escape() -> TestResult {
    let work = tempfile::tempdir()?;
    let path = work.path().join("ctx.tar");
    fs_err::write(&path, context_tar()?)?;
    let spec = format!("tar://{}", path.display());
    let ctx = BuildContext::open(&spec, Some("src"), work.path())?;
    assert!(ctx.root().join("main.rs").is_file());
    assert!(ctx.root().ends_with("src"));

    let err = BuildContext::open(&spec, Some("../.."), work.path()).err();
    assert!(
        matches!(err, Some(ContextError::OutsideContext { .. })),
        "{err:?}"
    );
    let err = BuildContext::open(&spec, Some("src/../../x"), work.path()).err();
    assert!(
        matches!(err, Some(ContextError::OutsideContext { .. })),
        "{err:?}"
    );
    let err = BuildContext::open(&spec, Some("Dockerfile"), work.path()).err();
    assert!(matches!(err, Some(ContextError::NotADirectory { .. })), "{err:?}");
    let err = BuildContext::open(&spec, Some("missing"), work.path()).err();
    assert!(matches!(err, Some(ContextError::NotFound { .. })), "{err:?}");
    Ok(())
}

#[test]
fn sub_path_symlink_is_resolved_inside_the_context() -> TestResult {
    let work = tempfile::tempdir()?;
    let ctx_dir = tempfile::tempdir()?;
    fs_err::create_dir(ctx_dir.path().join("real"))?;
    fs_err::write(ctx_dir.path().join("real/marker"), "inside")?;
    // An absolute link is evaluated with the context as `/`, so it lands on ctx/real.
    std::os::unix::fs::symlink("/real", ctx_dir.path().join("link"))?;
    let ctx = BuildContext::open(&ctx_dir.path().display().to_string(), Some("link"), work.path())?;
    assert_eq!(fs_err::read_to_string(ctx.root().join("marker"))?, "inside");
    Ok(())
}

#[test]
fn unsupported_schemes_are_named() {
    let work = Path::new("/nonexistent-work-dir");
    for (spec, needle) in [
        ("gs://b/c.tgz", "gs://"),
        ("s3://b/c.tgz", "s3://"),
        ("git://h/r.git", "git://"),
    ] {
        match BuildContext::open(spec, None, work) {
            Err(e @ ContextError::Unsupported { .. }) => assert!(e.to_string().contains(needle), "{e}"),
            other => panic!("{spec}: expected Unsupported, got {other:?}"),
        }
    }
}

/// Appends an entry with a raw name (bypassing the tar crate's own path checks).
fn append_raw(
    builder: &mut tar::Builder<Vec<u8>>,
    name: &str,
    kind: tar::EntryType,
    link: Option<&str>,
    data: &[u8],
) -> std::io::Result<()> {
    let mut header = tar::Header::new_old();
    let old = header.as_old_mut();
    old.name[..name.len()].copy_from_slice(name.as_bytes());
    if let Some(link) = link {
        old.linkname[..link.len()].copy_from_slice(link.as_bytes());
    }
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    header.set_cksum();
    builder.append(&header, data)
}

fn open_malicious(
    entries: &[(&str, tar::EntryType, Option<&str>)],
    work: &Path,
) -> Result<Result<BuildContext, ContextError>, Box<dyn std::error::Error>> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, link) in entries {
        append_raw(&mut builder, name, *kind, *link, b"pwned")?;
    }
    let bytes = gzip(&builder.into_inner()?)?;
    Ok(BuildContext::open_with_stdin(
        "tar://stdin",
        None,
        work,
        Box::new(Cursor::new(bytes)),
    ))
}

#[test]
fn tarball_entries_cannot_escape_the_root() -> TestResult {
    use tar::EntryType::{Link, Regular, Symlink};
    let base = tempfile::tempdir()?;
    let work = base.path().join("kaniko");
    let outside = base.path().join("outside");
    fs_err::create_dir_all(&outside)?;
    let outside_link = outside.display().to_string();
    let cases: Vec<Vec<(&str, tar::EntryType, Option<&str>)>> = vec![
        vec![("../../outside/dotdot", Regular, None)],
        vec![("a/../../../outside/dotdot", Regular, None)],
        vec![("/tmp/absolute-entry-kaniko-test", Regular, None)],
        vec![
            ("escape", Symlink, Some(outside_link.as_str())),
            ("escape/through-link", Regular, None),
        ],
        vec![
            ("up", Symlink, Some("..")),
            ("up/through-relative-link", Regular, None),
        ],
        vec![("hard", Link, Some("../../outside/victim"))],
    ];
    fs_err::write(outside.join("victim"), "original")?;
    for entries in &cases {
        match open_malicious(entries, &work)? {
            Err(e @ ContextError::UnsafeArchiveEntry { .. }) => {
                assert!(e.to_string().contains("unsafe entry"), "{e}");
            }
            other => panic!("{entries:?}: expected UnsafeArchiveEntry, got {other:?}"),
        }
    }
    let mut left: Vec<_> = fs_err::read_dir(&outside)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    left.sort();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("victim")],
        "nothing may be written outside the root"
    );
    assert_eq!(fs_err::read_to_string(outside.join("victim"))?, "original");
    assert!(!Path::new("/tmp/absolute-entry-kaniko-test").exists());
    // Failed extractions leave no temporary directories behind.
    assert_eq!(fs_err::read_dir(&work)?.count(), 0);
    Ok(())
}

#[test]
fn symlinks_inside_a_tarball_are_kept_as_links() -> TestResult {
    use tar::EntryType::{Regular, Symlink};
    let work = tempfile::tempdir()?;
    let entries = [
        ("etc-link", Symlink, Some("/etc")),
        ("dir/file", Regular, None),
        ("rel", Symlink, Some("dir/file")),
    ];
    let ctx = open_malicious(&entries, work.path())??;
    assert_eq!(fs_err::read_link(ctx.root().join("etc-link"))?, Path::new("/etc"));
    assert_eq!(fs_err::read_link(ctx.root().join("rel"))?, Path::new("dir/file"));
    assert_eq!(fs_err::read_to_string(ctx.root().join("rel"))?, "pwned");
    Ok(())
}
