// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The layer cache (issue #12) against the registry fixture: a hit for each instruction kind, the
//! stale-hit scenarios kaniko's cache got wrong (each must build the right image), an unused build
//! arg that keeps every hit, identical digests for cached and uncached reproducible builds, an
//! OCI-layout cache, per-architecture repositories, TTL expiry, corrupt entries and a cache
//! repository that refuses pushes.

mod common;

use std::process::Output;

use common::kaniko::{bases, kaniko, kaniko_ok, unique_repo, Built, Context};
use common::tools;

/// Hits and misses as the build logged them.
#[derive(Debug, PartialEq, Eq)]
struct Lookups {
    hits: usize,
    misses: usize,
}

fn log(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    )
}

fn lookups(out: &Output) -> Lookups {
    let text = log(out);
    Lookups {
        hits: text.lines().filter(|l| l.contains("cache hit")).count(),
        misses: text.lines().filter(|l| l.contains("cache miss")).count(),
    }
}

/// A destination in the shared registry; its cache repository is `<repository>/cache`.
fn destination(name: &str) -> String {
    format!("{}/{}:latest", bases().registry.host(), unique_repo(name))
}

/// `kaniko build --cache=true` of `ctx` to `dest` with `args`; returns the log's lookups and the
/// pushed image.
fn cached(ctx: &Context, dest: &str, args: &[&str]) -> (Lookups, Built, Output) {
    let mut all = vec!["--destination", dest, "--cache=true", "--cache-copy-layers=true"];
    all.extend_from_slice(args);
    let out = kaniko_ok(ctx, &all);
    (lookups(&out), Built::read(dest), out)
}

/// Packs the context directory `dir` into the context file `name` (gzip tar), removing `dir`.
fn tar_gz(ctx: &Context, dir: &str, name: &str) {
    tools::run_ok(std::process::Command::new("tar").arg("-czf").arg(ctx.dir().join(name)).arg("-C").arg(ctx.dir()).arg(dir));
    fs_err::remove_dir_all(ctx.dir().join(dir)).expect("remove packed dir");
}

fn digest_of(built: &Built) -> String {
    common::images::sha256_digest(&built.manifest_bytes)
}

/// Tags of `repository` in the shared registry.
fn tags(repository: &str) -> Vec<String> {
    let (status, body) = bases()
        .registry
        .get(&format!("/v2/{repository}/tags/list"))
        .expect("list tags");
    if status == 404 {
        return Vec::new();
    }
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).expect("tags JSON");
    v["tags"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn repository_of(dest: &str) -> String {
    let without_host = dest.split_once('/').unwrap().1;
    without_host.rsplit_once(':').unwrap().0.to_string()
}

#[test]
fn every_instruction_kind_hits_and_a_reproducible_rebuild_has_the_same_digest() {
    let ctx = Context::new(
        "FROM {{BASE}} AS build\n\
         WORKDIR /app\n\
         COPY a.txt ./\n\
         ADD files.tar.gz /opt/\n\
         RUN cat a.txt /opt/inner/f.txt > /app/both && mkdir -p /made\n\
         RUN true\n\
         FROM {{BASE}}\n\
         ENV GREETING=hi\n\
         COPY --from=build /app/both /both\n\
         RUN echo \"$GREETING\" > /greeting\n",
    )
    .file("a.txt", "a\n")
    .file("inner/f.txt", "from the archive\n");
    tar_gz(&ctx, "inner", "files.tar.gz");
    let dest = destination("cache-kinds");
    // Uncached reproducible build first: the digest to match.
    let plain = kaniko_ok(&ctx, &["--destination", &dest, "--reproducible"]);
    assert_eq!(lookups(&plain), Lookups { hits: 0, misses: 0 });
    let uncached = Built::read(&dest);
    let (cold, _, _) = cached(&ctx, &dest, &["--reproducible"]);
    assert_eq!(cold.hits, 0, "{cold:?}");
    assert_eq!(cold.misses, 7, "WORKDIR, COPY, ADD, RUN, RUN, COPY --from, RUN: {cold:?}");
    let (warm, built, out) = cached(&ctx, &dest, &["--reproducible"]);
    assert_eq!(warm, Lookups { hits: 7, misses: 0 }, "{}", log(&out));
    assert_eq!(digest_of(&built), digest_of(&uncached), "cached and uncached reproducible builds differ");
    assert_eq!(built.text("/both"), "a\nfrom the archive\n");
    assert_eq!(built.text("/greeting"), "hi\n");
    let entries: Vec<String> = tags(&format!("{}/cache", repository_of(&dest)))
        .into_iter()
        .filter(|t| t.starts_with("kaniko-rs-v1-") && !t.starts_with("kaniko-rs-v1-after-"))
        .collect();
    assert_eq!(entries.len(), 7, "{entries:?}");
}
