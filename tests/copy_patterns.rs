// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! COPY source patterns mean the same files whether they copy from the build context or from
//! another stage (issue #11, point 5): one Dockerfile uses each pattern both ways, over a stage
//! that holds exactly the context's files, and the two destination trees must be equal, equal to
//! the expected list written here, and equal to what `docker build` (legacy builder, Go's
//! `filepath.Match`) copies for the same Dockerfile. The comparison with docker is skipped, with
//! the reason printed, when `docker info` fails.

mod common;

use common::kaniko::{build_ok, compare_with_docker, Context, DockerOptions};

/// Each pattern as written in the Dockerfile, and the paths it must copy below its destination.
/// A Dockerfile word loses one level of `\` to the shell-like lexer (docker's and ours), so
/// `[\\-a]` reaches the matcher as the class `[\-a]`.
const CASES: &[(&str, &[&str])] = &[
    ("[abc].txt", &["a.txt", "b.txt", "c.txt"]),
    ("[a-b]*.txt", &["a.txt", "ab.txt", "abc.txt", "b.txt"]),
    ("[^a-b].txt", &["!.txt", "-.txt", "^.txt", "c.txt"]),
    // Go has no `!` negation: `[!a]` is the class of `!` and `a`.
    ("[!a].txt", &["!.txt", "a.txt"]),
    ("?.txt", &["!.txt", "-.txt", "^.txt", "a.txt", "b.txt", "c.txt"]),
    ("??.txt", &["ab.txt"]),
    ("a*", &["a.txt", "ab.txt", "abc.txt"]),
    ("[\\\\-a].txt", &["-.txt", "a.txt"]),
    ("\\\\[x\\\\]*", &["[x].txt"]),
    ("[[]x]*", &["[x].txt"]),
    ("dir/*/[a-c]?.txt", &["a1.txt", "b2.txt", "bc.txt", "c3.txt"]),
    ("di?/o*/?1.txt", &["a1.txt", "d1.txt"]),
    // A matched directory copies its contents.
    ("dir/t*", &["bc.txt", "c3.txt", "sub", "sub/a4.txt", "three.txt"]),
    ("*/*/sub", &["a4.txt"]),
    // A class may match `/` in Go's Match, and docker matches the whole path below the literal
    // prefix, so this pattern reaches dir/one.
    ("dir[^x]one/a*", &["a1.txt"]),
];

const FILES: &[&str] = &[
    "a.txt",
    "b.txt",
    "c.txt",
    "!.txt",
    "-.txt",
    "^.txt",
    "ab.txt",
    "abc.txt",
    "[x].txt",
    "dir/one/a1.txt",
    "dir/one/b2.txt",
    "dir/one/d1.txt",
    "dir/two/c3.txt",
    "dir/two/bc.txt",
    "dir/two/sub/a4.txt",
    "dir/three.txt",
];

#[test]
fn copy_patterns_match_the_same_files_from_the_context_and_from_a_stage() {
    let mut dockerfile = String::from("FROM scratch AS files\nCOPY . /\n\nFROM scratch\n");
    for (i, (pattern, _)) in CASES.iter().enumerate() {
        dockerfile.push_str(&format!("COPY {pattern} /ctx/{i}/\n"));
        dockerfile.push_str(&format!("COPY --from=files {pattern} /stg/{i}/\n"));
    }
    let ctx = FILES.iter().fold(Context::new(&dockerfile), |ctx, path| {
        ctx.file(path, format!("{path}\n"))
    });
    let built = build_ok(&ctx, "copy-patterns", &[]);

    let mut wrong = Vec::new();
    for (i, (pattern, expected)) in CASES.iter().enumerate() {
        let from_context = built.paths_under(&format!("/ctx/{i}"));
        let from_stage = built.paths_under(&format!("/stg/{i}"));
        if from_context != *expected || from_stage != *expected {
            wrong.push(format!(
                "COPY {pattern}: expected {expected:?}\n  from the context: {from_context:?}\n  from the stage:   {from_stage:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Contents too: every copied file holds its own context path.
    assert_eq!(built.text("/ctx/3/!.txt"), "!.txt\n");
    assert_eq!(built.text("/stg/14/a1.txt"), "dir/one/a1.txt\n");

    compare_with_docker(&ctx, &built, &DockerOptions::default());
}

/// Regression: `COPY --from --exclude` copied everything (the patterns were only applied to the
/// build context). Docker's legacy builder has no `--exclude`, so this one is checked against the
/// expected lists alone (BuildKit's semantics: patterns relative to the source, or to the
/// wildcard's directory for a wildcard source).
#[test]
fn copy_exclude_removes_the_same_files_from_the_context_and_from_a_stage() {
    let copies = [
        ("--exclude=*.log --exclude=cache logs/", "logs"),
        ("--exclude=**/*.log --exclude=!sub/keep.log logs", "deep"),
        ("--exclude=l*/sub lo*", "wild"),
    ];
    let mut dockerfile = String::from("FROM scratch AS files\nCOPY . /\n\nFROM scratch\n");
    for (args, dest) in copies {
        dockerfile.push_str(&format!("COPY {args} /ctx/{dest}/\n"));
        dockerfile.push_str(&format!("COPY --from=files {args} /stg/{dest}/\n"));
    }
    let ctx = [
        "logs/keep.txt",
        "logs/drop.log",
        "logs/sub/drop.log",
        "logs/sub/keep.log",
        "logs/sub/keep.txt",
        "logs/cache/x",
    ]
    .iter()
    .fold(Context::new(&dockerfile), |ctx, path| ctx.file(path, *path));
    let built = build_ok(&ctx, "copy-exclude-from", &[]);
    let under = |dir: &str| built.paths_under(dir);
    let expected: [(&str, &[&str]); 3] = [
        (
            "logs",
            &["keep.txt", "sub", "sub/drop.log", "sub/keep.log", "sub/keep.txt"],
        ),
        (
            "deep",
            &[
                "cache",
                "cache/x",
                "keep.txt",
                "sub",
                "sub/keep.log",
                "sub/keep.txt",
            ],
        ),
        ("wild", &["cache", "cache/x", "drop.log", "keep.txt"]),
    ];
    for (dest, files) in expected {
        assert_eq!(
            under(&format!("/ctx/{dest}")),
            files,
            "from the context into /ctx/{dest}"
        );
        assert_eq!(
            under(&format!("/stg/{dest}")),
            files,
            "from the stage into /stg/{dest}"
        );
    }
}
