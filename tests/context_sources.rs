// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! COPY/ADD source resolution and walking over real directories: wildcards, .dockerignore with
//! exceptions under excluded directories, `--exclude`, symlinks kept as links, hard links,
//! special mode bits, and sources that try to leave the context.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use kaniko::context::{BuildContext, ContextEntry, ContextError, EntryKind, IgnoreMatcher};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn write(root: &Path, rel: &str, text: &str) -> std::io::Result<()> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent)?;
    }
    fs_err::write(path, text)
}

/// A project-shaped context, built fresh per test.
fn project() -> Result<tempfile::TempDir, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    for (rel, text) in [
        ("Dockerfile", "FROM scratch\n"),
        ("README.md", "readme"),
        ("CHANGES.md", "changes"),
        ("a.txt", "a"),
        ("b.txt", "b"),
        ("c.log", "c"),
        ("src/main.go", "package main"),
        ("src/util/strings.go", "package util"),
        ("src/util/strings_test.go", "package util"),
        ("vendor/lib/lib.go", "package lib"),
        ("vendor/modules.txt", "modules"),
        ("node_modules/x/index.js", "x"),
        ("docs/guide/intro.md", "intro"),
        ("docs/img/logo.png", "png"),
        ("[literal].txt", "brackets"),
    ] {
        write(root, rel, text)?;
    }
    Ok(dir)
}

fn open(dir: &Path) -> Result<BuildContext, ContextError> {
    BuildContext::open(&dir.display().to_string(), None, dir)
}

fn rels(entries: &[ContextEntry]) -> Vec<String> {
    entries.iter().map(|e| e.rel_path.display().to_string()).collect()
}

fn walk_rels(
    ctx: &BuildContext,
    source: &str,
    excludes: &IgnoreMatcher,
) -> Result<Vec<String>, ContextError> {
    let mut out = Vec::new();
    for entry in ctx.resolve_sources(source)? {
        for item in ctx.walk(&entry, excludes) {
            out.push(item?.rel_path.display().to_string());
        }
    }
    Ok(out)
}

#[test]
fn literal_and_wildcard_sources_in_sorted_order() -> TestResult {
    let dir = project()?;
    let ctx = open(dir.path())?;
    assert_eq!(rels(&ctx.resolve_sources("a.txt")?), ["a.txt"]);
    assert_eq!(rels(&ctx.resolve_sources("/src/main.go")?), ["src/main.go"]);
    assert_eq!(rels(&ctx.resolve_sources("./src/../a.txt")?), ["a.txt"]);
    assert_eq!(
        rels(&ctx.resolve_sources("*.txt")?),
        ["[literal].txt", "a.txt", "b.txt"]
    );
    assert_eq!(rels(&ctx.resolve_sources("?.t[a-x]t")?), ["a.txt", "b.txt"]);
    assert_eq!(
        rels(&ctx.resolve_sources("src/*/*.go")?),
        ["src/util/strings.go", "src/util/strings_test.go"]
    );
    assert_eq!(rels(&ctx.resolve_sources("*/lib")?), ["vendor/lib"]);
    assert_eq!(
        rels(&ctx.resolve_sources("\\[literal\\].txt")?),
        ["[literal].txt"]
    );
    let root = ctx.resolve_sources(".")?;
    assert_eq!(root.len(), 1);
    assert!(root[0].rel_path.as_os_str().is_empty() && root[0].is_dir());
    Ok(())
}

#[test]
fn missing_sources_are_errors_and_empty_wildcards_match_nothing() -> TestResult {
    let dir = project()?;
    let ctx = open(dir.path())?;
    match ctx.resolve_sources("nope/missing.txt") {
        Err(e @ ContextError::SourceNotFound { .. }) => {
            assert!(e.to_string().contains("nope/missing.txt"), "{e}")
        }
        other => panic!("expected SourceNotFound, got {other:?}"),
    }
    // docker's builders accept a wildcard that matches nothing; the instruction decides.
    assert!(ctx.resolve_sources("*.rs")?.is_empty());
    assert!(ctx.resolve_sources("nodir/*.rs")?.is_empty());
    assert!(matches!(
        ctx.resolve_sources("src/[z-a]*"),
        Err(ContextError::BadPattern { .. })
    ));
    Ok(())
}

#[test]
fn sources_may_not_leave_the_context() -> TestResult {
    let base = tempfile::tempdir()?;
    write(base.path(), "secret", "outside")?;
    let ctx_dir = base.path().join("ctx");
    write(&ctx_dir, "inside.txt", "in")?;
    symlink(base.path().join("secret"), ctx_dir.join("abs-link"))?;
    symlink("..", ctx_dir.join("parent"))?;
    let ctx = open(&ctx_dir)?;
    for source in [
        "../secret",
        "../ctx/inside.txt",
        "a/../../secret",
        "/../secret",
        "..",
    ] {
        match ctx.resolve_sources(source) {
            Err(e @ ContextError::OutsideContext { .. }) => {
                assert!(
                    e.to_string().contains("forbidden path outside the build context"),
                    "{e}"
                )
            }
            other => panic!("{source}: expected OutsideContext, got {other:?}"),
        }
    }
    // Through a symlink in the middle of the path: resolved inside the context, where there is
    // no `secret`, so it is simply not found.
    assert!(matches!(
        ctx.resolve_sources("parent/secret"),
        Err(ContextError::SourceNotFound { .. })
    ));
    // A symlink as the source itself is the link, not what it points to.
    let link = ctx.resolve_sources("abs-link")?;
    assert_eq!(
        link[0].metadata.kind,
        EntryKind::Symlink(base.path().join("secret"))
    );
    Ok(())
}

#[test]
fn dockerignore_applies_to_sources_and_walks() -> TestResult {
    let dir = project()?;
    write(dir.path(), ".dockerignore", "# build junk\n*.log\nnode_modules\nvendor\n!vendor/modules.txt\n*.md\n!README*.md\ndocs\n!docs/**/*.md\n")?;
    let mut ctx = open(dir.path())?;
    ctx.load_ignore(None)?;

    assert!(matches!(
        ctx.resolve_sources("c.log"),
        Err(ContextError::SourceIgnored { .. })
    ));
    // Only ignored files match: as if the wildcard matched nothing.
    assert!(ctx.resolve_sources("*.log")?.is_empty());
    assert_eq!(rels(&ctx.resolve_sources("*.md")?), ["README.md"]);

    let none = IgnoreMatcher::empty();
    let all = walk_rels(&ctx, ".", &none)?;
    assert_eq!(
        all,
        [
            "",
            ".dockerignore",
            "Dockerfile",
            "README.md",
            "[literal].txt",
            "a.txt",
            "b.txt",
            // docs is excluded but entered for the `!docs/**/*.md` exception; it and docs/guide
            // are yielded just before the file that needs them, docs/img never.
            "docs",
            "docs/guide",
            "docs/guide/intro.md",
            "src",
            "src/main.go",
            "src/util",
            "src/util/strings.go",
            "src/util/strings_test.go",
            "vendor",
            "vendor/modules.txt",
        ]
    );
    // Walking an excluded directory named directly still honours the exception below it.
    assert_eq!(
        walk_rels(&ctx, "vendor", &none)?,
        ["vendor", "vendor/modules.txt"]
    );
    Ok(())
}

#[test]
fn dockerfile_specific_ignore_file_wins() -> TestResult {
    let dir = project()?;
    write(dir.path(), ".dockerignore", "*.txt\n")?;
    write(dir.path(), "build/app.Dockerfile", "FROM scratch\n")?;
    write(dir.path(), "build/app.Dockerfile.dockerignore", "*.md\n")?;
    let mut ctx = open(dir.path())?;
    let ignore = ctx.load_ignore(Some(&dir.path().join("build/app.Dockerfile")))?;
    assert!(ignore.origin().ends_with("app.Dockerfile.dockerignore"));
    assert!(ctx.resolve_sources("a.txt").is_ok());
    assert!(matches!(
        ctx.resolve_sources("README.md"),
        Err(ContextError::SourceIgnored { .. })
    ));

    // Without a specific file the context's .dockerignore applies.
    ctx.load_ignore(Some(&dir.path().join("Dockerfile")))?;
    assert!(matches!(
        ctx.resolve_sources("a.txt"),
        Err(ContextError::SourceIgnored { .. })
    ));
    Ok(())
}

#[test]
fn copy_exclude_is_relative_to_the_source() -> TestResult {
    let dir = project()?;
    let ctx = open(dir.path())?;
    let excludes = IgnoreMatcher::new(&["**/*_test.go", "util/strings.go"], "COPY --exclude")?;
    assert_eq!(
        walk_rels(&ctx, "src", &excludes)?,
        ["src", "src/main.go", "src/util"]
    );
    // `*` does not cross directories: `*_test.go` only matches directly below the source.
    let excludes = IgnoreMatcher::new(&["*_test.go"], "COPY --exclude")?;
    assert!(walk_rels(&ctx, "src", &excludes)?.contains(&"src/util/strings_test.go".to_string()));

    // For a wildcard source the patterns are relative to the wildcard's directory.
    let excludes = IgnoreMatcher::new(&["b.*"], "COPY --exclude")?;
    assert_eq!(walk_rels(&ctx, "?.txt", &excludes)?, ["a.txt"]);

    // Exceptions work in --exclude too.
    let excludes = IgnoreMatcher::new(&["util", "!util/strings.go"], "COPY --exclude")?;
    assert_eq!(
        walk_rels(&ctx, "src", &excludes)?,
        ["src", "src/main.go", "src/util", "src/util/strings.go"]
    );
    Ok(())
}

#[test]
fn walk_reports_lstat_metadata_links_and_mode_bits() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    write(root, "tree/file", "hello")?;
    write(root, "outside-target", "x")?;
    fs_err::hard_link(root.join("tree/file"), root.join("tree/hard"))?;
    symlink("../outside-target", root.join("tree/link"))?;
    symlink("/", root.join("tree/root-link"))?;
    fs_err::create_dir(root.join("tree/sticky"))?;
    fs_err::set_permissions(root.join("tree/sticky"), std::fs::Permissions::from_mode(0o1777))?;
    write(root, "tree/suid", "#!/bin/sh")?;
    fs_err::set_permissions(root.join("tree/suid"), std::fs::Permissions::from_mode(0o6755))?;

    let ctx = open(root)?;
    let source = ctx.resolve_sources("tree")?;
    let entries: Vec<ContextEntry> = ctx
        .walk(&source[0], &IgnoreMatcher::empty())
        .collect::<Result<_, _>>()?;
    let by_name = |name: &str| entries.iter().find(|e| e.rel_path == Path::new(name));
    assert_eq!(
        rels(&entries),
        [
            "tree",
            "tree/file",
            "tree/hard",
            "tree/link",
            "tree/root-link",
            "tree/sticky",
            "tree/suid"
        ]
    );
    let file = by_name("tree/file").ok_or("tree/file missing")?;
    assert_eq!(file.metadata.kind, EntryKind::File);
    assert_eq!(file.metadata.size, 5);
    assert_eq!(file.hard_link_to, None);
    assert_eq!(file.source_rel_path, PathBuf::from("file"));
    let hard = by_name("tree/hard").ok_or("tree/hard missing")?;
    assert_eq!(hard.hard_link_to, Some(PathBuf::from("tree/file")));
    let link = by_name("tree/link").ok_or("tree/link missing")?;
    assert_eq!(
        link.metadata.kind,
        EntryKind::Symlink(PathBuf::from("../outside-target"))
    );
    // The walk does not descend through a symlink to a directory.
    let below_link = |e: &ContextEntry| {
        e.rel_path.starts_with("tree/root-link") && e.rel_path != Path::new("tree/root-link")
    };
    assert!(!entries.iter().any(below_link));
    assert_eq!(
        by_name("tree/sticky").ok_or("sticky missing")?.metadata.mode,
        0o1777
    );
    assert_eq!(by_name("tree/suid").ok_or("suid missing")?.metadata.mode, 0o6755);
    let uid = fs_err::metadata(root.join("tree/file")).map(|m| std::os::unix::fs::MetadataExt::uid(&m))?;
    assert_eq!(file.metadata.uid, uid);
    Ok(())
}

#[test]
fn intermediate_symlink_is_followed_inside_the_context() -> TestResult {
    let dir = project()?;
    symlink("src", dir.path().join("code"))?;
    let ctx = open(dir.path())?;
    let found = ctx.resolve_sources("code/*.go")?;
    assert_eq!(rels(&found), ["code/main.go"]);
    assert_eq!(
        found[0].abs_path,
        fs_err::canonicalize(dir.path())?.join("src/main.go")
    );
    Ok(())
}
