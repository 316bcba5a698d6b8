// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A COPY or ADD wildcard that matches nothing (issue #15, point 5): it is skipped, as docker's
//! builders skip it, and only an instruction left with no file at all fails, with the legacy
//! builder's "no source files were specified" (BuildKit would copy nothing instead; see
//! docs/design-decisions.md). A source without wildcards that does not exist is still an error.
//! Each case is built by `docker build` (legacy builder) too, the successes compared file by file;
//! the comparison is skipped, with the reason printed, when `docker info` fails.
//!
//! Also kaniko's own integration Dockerfile that stopped on such a wildcard
//! (`integration/dockerfiles/Dockerfile_test_copy`, identical to `Dockerfile_test_copy_bucket`
//! and `Dockerfile_test_copy_reproducible`), rewritten onto the local busybox base.

mod common;

use common::kaniko::{build_err, build_ok, compare_with_docker, docker_build_output, Context, DockerOptions};
use common::tools;

#[test]
fn wildcards_that_match_nothing_are_skipped_like_docker_build() {
    let ctx = Context::new(
        "FROM {{BASE}} AS files\n\
         COPY f /src/f\n\
         FROM {{BASE}}\n\
         COPY f nomatch* /ctx/\n\
         ADD f nomatch* /add/\n\
         COPY nodir/nomatch* f /nodir/\n\
         COPY nomatch* f /single\n\
         COPY --from=files /src/f /src/nomatch* /stage/\n\
         COPY --from=files /src/nomatch* /src/f /stagefile\n",
    )
    .file("f", "f\n")
    .file("g.txt", "g\n");
    let built = build_ok(&ctx, "copy-empty-wildcard", &[]);
    for dir in ["/ctx", "/add", "/nodir", "/stage"] {
        assert_eq!(built.paths_under(dir), ["f"], "{dir}");
    }
    // One source is left after expansion, so the destination without `/` is its new name.
    assert_eq!(built.text("/single"), "f\n");
    assert_eq!(built.text("/stagefile"), "f\n");
    compare_with_docker(&ctx, &built, &DockerOptions::default());
}

#[test]
fn an_instruction_whose_wildcards_all_match_nothing_fails_like_docker_build() {
    let cases = [
        "COPY nomatch* /dst/",
        "ADD nomatch* no*match /dst/",
        "COPY --from=files /src/nomatch* /dst/",
    ];
    for instruction in cases {
        let dockerfile =
            format!("FROM {{{{BASE}}}} AS files\nCOPY f /src/f\nFROM {{{{BASE}}}}\n{instruction}\n");
        let ctx = Context::new(&dockerfile).file("f", "f\n");
        let err = build_err(&ctx, &[]);
        let error_line = err.lines().find(|l| l.starts_with("error: ")).unwrap_or_default();
        assert!(
            error_line.contains("no source files were specified") && error_line.contains(instruction),
            "{instruction}: {err}"
        );
        assert!(
            error_line.contains("Dockerfile:4:"),
            "{instruction}: {error_line}"
        );
        docker_fails_with(&ctx, "no source files were specified");
    }
}

#[test]
fn a_missing_source_without_wildcards_is_still_an_error() {
    let ctx = Context::new("FROM {{BASE}}\nCOPY f missing nomatch* /dst/\n").file("f", "f\n");
    let err = build_err(&ctx, &[]);
    assert!(err.contains("missing: not found in the build context"), "{err}");
    docker_fails_with(&ctx, "file not found in build context");
}

/// `docker build` of `ctx` fails and says `expected`; skipped when docker is unavailable.
fn docker_fails_with(ctx: &Context, expected: &str) {
    if !tools::docker_available() {
        return;
    }
    let tag = format!("kaniko-parity/fails:{:08x}", fastrand::u32(..));
    let out = docker_build_output(ctx, &DockerOptions::default(), &tag);
    let text = tools::output_text(&out);
    assert!(!out.status.success(), "docker build succeeded:\n{text}");
    tools::docker_rmi(&[&tag]);
    assert!(text.contains(expected), "docker build said:\n{text}");
}

/// kaniko's `integration/context` as its Dockerfiles see it (the tarballs of the ADD tests left
/// out): each file holds its own path, `empty` holds only a `.gitignore`.
const KANIKO_CONTEXT: &[(&str, u32)] = &[
    ("context/arr[0].txt", 0o644),
    ("context/bar/bam/bat", 0o644),
    ("context/bar/bat", 0o644),
    ("context/bar/baz", 0o644),
    ("context/empty/.gitignore", 0o644),
    ("context/foo", 0o755),
    ("context/qux/qup", 0o644),
    ("context/qux/quw/que", 0o644),
    ("context/qux/quz", 0o644),
    ("context/workspace/test", 0o644),
];

/// `Dockerfile_test_copy` of kaniko's integration tests, `FROM` rewritten; its line
/// `COPY context/bar/doesnotexist* context/foo hello` stopped the build.
const KANIKO_TEST_COPY: &str = "FROM {{BASE}}
COPY context/foo foo
COPY context/foo /foodir/
COPY context/bar/b* bar/
COPY context/fo? /foo2
COPY context/bar/doesnotexist* context/foo hello
COPY ./context/empty /empty
COPY ./ dir/
COPY . newdir
COPY context/bar /baz/
COPY [\"context/foo\", \"/tmp/foo\" ]
COPY context/q* /qux/
COPY context/foo context/bar/ba? /test/
COPY context/arr[[]0].txt /mydir/
COPY context/bar/bat .

ENV contextenv ./context
COPY ${contextenv}/foo /tmp/foo2
COPY $contextenv/foo /tmp/foo3
COPY $contextenv/* /tmp/${contextenv}/
";

#[test]
fn kaniko_integration_dockerfile_test_copy_builds_like_docker_build() {
    let ctx = KANIKO_CONTEXT
        .iter()
        .fold(Context::new(KANIKO_TEST_COPY), |ctx, (path, mode)| {
            ctx.file_mode(path, format!("{path}\n"), *mode)
        });
    let built = build_ok(&ctx, "kaniko-test-copy", &[]);
    // The empty wildcard counts for nothing: one source is left, so `hello` is a file.
    assert_eq!(built.text("/hello"), "context/foo\n");
    // `ba?` matches the directory `bam` too, whose contents are copied.
    assert_eq!(built.paths_under("/test"), ["bat", "baz", "foo"]);
    assert_eq!(built.text("/mydir/arr[0].txt"), "context/arr[0].txt\n");
    compare_with_docker(&ctx, &built, &DockerOptions::default());
}
