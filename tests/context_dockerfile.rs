// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Finding the Dockerfile with kaniko's rule (as given relative to the current directory, else
//! relative to the context root, `-` for stdin) against real directories.

use std::io::Cursor;
use std::path::Path;

use kaniko::context::{resolve_dockerfile_with, BuildContext, ContextError};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn context_with(
    files: &[(&str, &str)],
) -> Result<(tempfile::TempDir, BuildContext), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    for (rel, text) in files {
        let path = dir.path().join(rel);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(path, text)?;
    }
    let ctx = BuildContext::open(&dir.path().display().to_string(), None, dir.path())?;
    Ok((dir, ctx))
}

#[test]
fn relative_to_the_context_when_not_in_the_current_directory() -> TestResult {
    let (_dir, ctx) = context_with(&[("build/app.Dockerfile", "FROM alpine\n")])?;
    let cwd = tempfile::tempdir()?;
    let found = resolve_dockerfile_with("build/app.Dockerfile", &ctx, cwd.path(), &mut std::io::empty())?;
    assert_eq!(found.contents, "FROM alpine\n");
    assert_eq!(found.display_name, "build/app.Dockerfile");
    assert_eq!(
        found.path.as_deref(),
        Some(ctx.root().join("build/app.Dockerfile").as_path())
    );
    Ok(())
}

#[test]
fn the_current_directory_wins_when_the_file_exists_there() -> TestResult {
    let (_dir, ctx) = context_with(&[("Dockerfile", "FROM context\n")])?;
    let cwd = tempfile::tempdir()?;
    fs_err::write(cwd.path().join("Dockerfile"), "FROM cwd\n")?;
    let found = resolve_dockerfile_with("Dockerfile", &ctx, cwd.path(), &mut std::io::empty())?;
    assert_eq!(found.contents, "FROM cwd\n");
    Ok(())
}

#[test]
fn missing_dockerfile_names_both_places() -> TestResult {
    let (_dir, ctx) = context_with(&[])?;
    let cwd = tempfile::tempdir()?;
    match resolve_dockerfile_with("nope.Dockerfile", &ctx, cwd.path(), &mut std::io::empty()) {
        Err(e @ ContextError::DockerfileNotFound { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains(&cwd.path().join("nope.Dockerfile").display().to_string()),
                "{text}"
            );
            assert!(
                text.contains(&ctx.root().join("nope.Dockerfile").display().to_string()),
                "{text}"
            );
        }
        other => panic!("expected DockerfileNotFound, got {other:?}"),
    }
    Ok(())
}

#[test]
fn dash_reads_stdin_unless_the_context_is_stdin_too() -> TestResult {
    let (_dir, ctx) = context_with(&[])?;
    let mut stdin = Cursor::new(b"FROM busybox\nRUN true\n".to_vec());
    let found = resolve_dockerfile_with("-", &ctx, Path::new("/"), &mut stdin)?;
    assert_eq!(found.contents, "FROM busybox\nRUN true\n");
    assert_eq!(found.path, None);

    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(5);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append_data(&mut header, "hello", &b"hello"[..])?;
    let tarball = builder.into_inner()?;
    let work = tempfile::tempdir()?;
    let stdin_ctx =
        BuildContext::open_with_stdin("tar://stdin", None, work.path(), Box::new(Cursor::new(tarball)))?;
    let err = resolve_dockerfile_with("-", &stdin_ctx, Path::new("/"), &mut std::io::empty()).err();
    assert!(matches!(err, Some(ContextError::StdinConflict)), "{err:?}");
    Ok(())
}
