// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The layer cache (issue #12) against the registry fixture: a hit for each instruction kind, the
//! stale-hit scenarios kaniko's cache got wrong (each must build the right image), an unused build
//! arg that keeps every hit, identical digests for cached and uncached reproducible builds, an
//! OCI-layout cache, per-architecture repositories, TTL expiry, corrupt entries and a cache
//! repository that refuses pushes.

mod common;

use std::collections::BTreeMap;
use std::process::Output;

use common::file_server::FileServer;
use common::kaniko::{bases, kaniko_ok, unique_repo, Built, Context};
use common::registry::Registry;
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
        hits: text.lines().filter(|l| l.contains("cache hit stage=")).count(),
        misses: text.lines().filter(|l| l.contains("cache miss stage=")).count(),
    }
}

/// A destination in the shared registry; its cache repository is `<repository>/cache`.
fn destination(name: &str) -> String {
    format!("{}/{}:latest", bases().registry.host(), unique_repo(name))
}

/// `kaniko build --cache=true` of `ctx` to `dest` with `args`; returns the log's lookups and the
/// pushed image.
fn cached(ctx: &Context, dest: &str, args: &[&str]) -> (Lookups, Built, Output) {
    // Never the machine's /cache: a test leaves nothing outside its temporary directories.
    let cache_dir = tempfile::tempdir().expect("cache dir");
    let cache_dir = cache_dir.path().to_str().expect("UTF-8 temp path");
    let mut all = vec![
        "--destination",
        dest,
        "--cache=true",
        "--cache-copy-layers=true",
        "--cache-dir",
        cache_dir,
    ];
    all.extend_from_slice(args);
    let out = kaniko_ok(ctx, &all);
    (lookups(&out), Built::read(dest), out)
}

/// Packs the context directory `dir` into the context file `name` (gzip tar), removing `dir`.
fn tar_gz(ctx: &Context, dir: &str, name: &str) {
    tools::run_ok(
        std::process::Command::new("tar")
            .arg("-czf")
            .arg(ctx.dir().join(name))
            .arg("-C")
            .arg(ctx.dir())
            .arg(dir),
    );
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
    assert_eq!(
        cold.misses, 7,
        "WORKDIR, COPY, ADD, RUN, RUN, COPY --from, RUN: {cold:?}"
    );
    let observed = tempfile::tempdir().expect("report dir");
    let report = observed.path().join("report.json");
    let metrics = observed.path().join("metrics.prom");
    let (warm, built, out) = cached(
        &ctx,
        &dest,
        &[
            "--reproducible",
            "--report-file",
            report.to_str().unwrap(),
            "--metrics-file",
            metrics.to_str().unwrap(),
        ],
    );
    assert_eq!(warm, Lookups { hits: 7, misses: 0 }, "{}", log(&out));
    // The same hits in the report (per step) and the metrics.
    let report: serde_json::Value = serde_json::from_slice(&fs_err::read(&report).unwrap()).unwrap();
    assert_eq!(report["layer_cache"]["hits"], 7, "{report}");
    assert_eq!(report["layer_cache"]["misses"], 0, "{report}");
    let steps = report["layer_cache"]["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 7, "{report}");
    assert!(steps.iter().all(|s| s["result"] == "hit"), "{report}");
    assert!(
        steps
            .iter()
            .any(|s| s["step"] == "COPY --from=build /app/both /both # buildkit"),
        "{report}"
    );
    let metrics = fs_err::read_to_string(&metrics).unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("kaniko_layer_cache_hits_total") && l.ends_with(" 7")),
        "{metrics}"
    );
    assert_eq!(
        digest_of(&built),
        digest_of(&uncached),
        "cached and uncached reproducible builds differ"
    );
    assert_eq!(built.text("/both"), "a\nfrom the archive\n");
    assert_eq!(built.text("/greeting"), "hi\n");
    // Assembled from mounted cache blobs: docker pulls and runs it.
    if tools::docker_available() {
        tools::docker_ok(&["pull", "--quiet", &dest]);
        assert_eq!(
            tools::docker_run_ok(&dest, &["cat", "/both", "/greeting"]),
            "a\nfrom the archive\nhi\n"
        );
        tools::docker_rmi(&[&dest]);
    } else {
        eprintln!("docker info failed: skipping the docker pull/run check");
    }
    let entries: Vec<String> = tags(&format!("{}/cache", repository_of(&dest)))
        .into_iter()
        .filter(|t| t.starts_with("kaniko-rs-v1-") && !t.starts_with("kaniko-rs-v1-after-"))
        .collect();
    assert_eq!(entries.len(), 7, "{entries:?}");
}

#[test]
fn a_renamed_file_with_the_same_content_is_a_miss() {
    let dockerfile = "FROM {{BASE}}\nCOPY . /app/\nRUN ls /app > /list\n";
    let dest = destination("cache-rename");
    let first = Context::new(dockerfile).file("old.txt", "same\n");
    let (_, built, _) = cached(&first, &dest, &[]);
    assert_eq!(built.text("/list"), "old.txt\n");
    let renamed = Context::new(dockerfile).file("new.txt", "same\n");
    let (lookups, built, _) = cached(&renamed, &dest, &[]);
    assert_eq!(lookups, Lookups { hits: 0, misses: 2 });
    assert_eq!(built.text("/list"), "new.txt\n");
    assert!(built.snapshot.get("/app/old.txt").is_none());
}

#[test]
fn a_build_arg_used_by_run_busts_and_an_unused_one_keeps_every_hit() {
    let ctx = Context::new(
        "ARG GLOBAL_ONLY=g\n\
         FROM {{BASE}}\n\
         ARG USED=1\n\
         RUN echo \"$USED\" > /used\n\
         COPY a.txt /a\n",
    )
    .file("a.txt", "a\n");
    let dest = destination("cache-args");
    let (_, built, _) = cached(
        &ctx,
        &dest,
        &["--build-arg", "USED=1", "--build-arg", "COMMIT=aaa"],
    );
    assert_eq!(built.text("/used"), "1\n");
    // A per-commit argument no stage declares, and a global one no stage redeclares: every hit.
    let (lookups, built, out) = cached(
        &ctx,
        &dest,
        &[
            "--build-arg",
            "USED=1",
            "--build-arg",
            "COMMIT=bbb",
            "--build-arg",
            "GLOBAL_ONLY=changed",
        ],
    );
    assert_eq!(lookups, Lookups { hits: 2, misses: 0 }, "{}", log(&out));
    assert_eq!(built.text("/used"), "1\n");
    let (lookups, built, out) = cached(&ctx, &dest, &["--build-arg", "USED=2", "--debug-cache"]);
    assert_eq!(lookups, Lookups { hits: 0, misses: 2 }, "{}", log(&out));
    assert_eq!(built.text("/used"), "2\n");
    // --debug-cache names the part that changed, and says the COPY after it has a new parent.
    let text = log(&out);
    let explained = text
        .lines()
        .find(|l| l.contains("key parts differ"))
        .unwrap_or_else(|| panic!("no explanation of the miss:\n{text}"));
    assert!(explained.contains("build args in scope"), "{explained}");
    assert!(!explained.contains("instruction"), "{explained}");
    assert!(
        text.contains("no entry was ever stored after this step's parent"),
        "{text}"
    );
}

#[test]
fn identical_steps_on_different_bases_and_stages_keep_apart() {
    let ctx = Context::new(
        "FROM {{BASE}} AS a\n\
         RUN echo a > /id\n\
         FROM {{BASE}} AS b\n\
         RUN echo b > /id\n\
         FROM a AS c\n\
         RUN cat /id > /out\n\
         FROM b AS d\n\
         RUN cat /id > /out\n\
         FROM scratch\n\
         COPY --from=c /out /c\n\
         COPY --from=d /out /d\n",
    );
    let dest = destination("cache-stages");
    for round in 0..2 {
        let (lookups, built, out) = cached(&ctx, &dest, &[]);
        assert_eq!(built.text("/c"), "a\n", "round {round}");
        assert_eq!(built.text("/d"), "b\n", "round {round}");
        let expected = if round == 0 {
            Lookups { hits: 0, misses: 6 }
        } else {
            Lookups { hits: 6, misses: 0 }
        };
        assert_eq!(lookups, expected, "round {round}: {}", log(&out));
    }
}

#[test]
fn copy_to_an_arg_dependent_destination_lands_there() {
    let ctx = Context::new("FROM {{BASE}}\nARG DEST=/one\nCOPY a.txt $DEST/\n").file("a.txt", "a\n");
    let dest = destination("cache-argdest");
    let (_, built, _) = cached(&ctx, &dest, &["--build-arg", "DEST=/one"]);
    assert_eq!(built.text("/one/a.txt"), "a\n");
    let (lookups, built, _) = cached(&ctx, &dest, &["--build-arg", "DEST=/two"]);
    assert_eq!(lookups.hits, 0);
    assert_eq!(built.text("/two/a.txt"), "a\n");
    assert!(built.snapshot.get("/one/a.txt").is_none());
}

#[test]
fn chmod_and_chown_changes_are_misses() {
    let dest = destination("cache-chmod");
    let mut seen = Vec::new();
    for flags in ["--chmod=644", "--chmod=755", "--chmod=755 --chown=1:1"] {
        let ctx = Context::new(&format!("FROM {{{{BASE}}}}\nCOPY {flags} a.txt /a\n")).file("a.txt", "a\n");
        let (lookups, built, _) = cached(&ctx, &dest, &[]);
        assert_eq!(lookups, Lookups { hits: 0, misses: 1 }, "{flags}");
        seen.push(built.meta("/a"));
    }
    assert!(
        seen[0].contains("644") || seen[0].contains("rw-r--r--"),
        "{seen:?}"
    );
    assert_ne!(seen[0], seen[1], "{seen:?}");
    assert_ne!(seen[1], seen[2], "{seen:?}");
}

#[test]
fn a_dockerignore_change_that_lets_a_file_in_is_a_miss() {
    let dockerfile = "FROM {{BASE}}\nCOPY . /app/\n";
    let dest = destination("cache-ignore");
    let ignoring = Context::new(dockerfile)
        .file("kept.txt", "k\n")
        .file("secret.txt", "s\n")
        .file(".dockerignore", "secret.txt\n");
    let (_, built, _) = cached(&ignoring, &dest, &[]);
    assert!(built.snapshot.get("/app/secret.txt").is_none());
    let letting_in = Context::new(dockerfile)
        .file("kept.txt", "k\n")
        .file("secret.txt", "s\n")
        .file(".dockerignore", "nothing-matches\n");
    let (lookups, built, _) = cached(&letting_in, &dest, &[]);
    assert_eq!(lookups, Lookups { hits: 0, misses: 1 });
    assert_eq!(built.text("/app/secret.txt"), "s\n");
}

#[test]
fn an_oci_layout_cache_serves_a_rebuild() {
    let ctx = Context::new("FROM {{BASE}}\nCOPY a.txt /a\nRUN cp /a /b\n").file("a.txt", "a\n");
    let layout = tempfile::tempdir().expect("layout dir");
    let repo = format!("oci:{}", layout.path().join("cache").display());
    let dest = destination("cache-layout");
    let (cold, _, _) = cached(&ctx, &dest, &["--cache-repo", &repo]);
    assert_eq!(cold, Lookups { hits: 0, misses: 2 });
    let (warm, built, _) = cached(&ctx, &dest, &["--cache-repo", &repo]);
    assert_eq!(warm, Lookups { hits: 2, misses: 0 });
    assert_eq!(built.text("/b"), "a\n");
    // A third-party reader lists the entries.
    let listed = tools::run_ok(
        std::process::Command::new("umoci")
            .args(["ls", "--layout"])
            .arg(layout.path().join("cache")),
    );
    let listed = String::from_utf8_lossy(&listed);
    assert_eq!(
        listed
            .lines()
            .filter(|l| l.starts_with("kaniko-rs-v1-") && !l.contains("-after-"))
            .count(),
        2,
        "{listed}"
    );
}

#[test]
fn arch_suffix_gives_each_platform_its_own_repository() {
    // No RUN: the arm64 platform builds here without emulation.
    let ctx = Context::new("FROM {{INDEX}}\nCOPY a.txt /a\n").file("a.txt", "a\n");
    let dest = destination("cache-arch");
    let repo = repository_of(&dest);
    let cache_dir = tempfile::tempdir().expect("cache dir");
    let suffixed = |extra: &[&str]| {
        let mut args = vec![
            "--cache-dir",
            cache_dir.path().to_str().expect("UTF-8 temp path"),
            "--destination",
            dest.as_str(),
            "--cache=true",
            "--cache-copy-layers",
            "--arch-cache-repo-suffix",
        ];
        args.extend_from_slice(extra);
        kaniko_ok(&ctx, &args)
    };
    let out = suffixed(&["--multi-platform", "linux/amd64,linux/arm64"]);
    assert_eq!(lookups(&out).misses, 2, "{}", log(&out));
    for arch in ["amd64", "arm64"] {
        let entries = tags(&format!("{repo}/cache-{arch}"));
        assert!(
            entries.iter().any(|t| t.starts_with("kaniko-rs-v1-")),
            "{arch}: {entries:?}"
        );
    }
    assert!(tags(&format!("{repo}/cache")).is_empty());
    // A CI matrix leg: one platform, the same suffix; it finds what the local driver stored.
    let leg = suffixed(&["--custom-platform", "linux/arm64", "--push-by-digest"]);
    assert_eq!(lookups(&leg), Lookups { hits: 1, misses: 0 }, "{}", log(&leg));
}

#[test]
fn an_expired_entry_is_a_miss() {
    let ctx = Context::new("FROM {{BASE}}\nRUN echo x > /x\n");
    let dest = destination("cache-ttl");
    cached(&ctx, &dest, &[]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (lookups, built, out) = cached(&ctx, &dest, &["--cache-ttl", "1s"]);
    assert_eq!(lookups, Lookups { hits: 0, misses: 1 });
    assert!(log(&out).contains("expired"), "{}", log(&out));
    assert_eq!(built.text("/x"), "x\n");
    let (lookups, _, _) = cached(&ctx, &dest, &[]);
    assert_eq!(lookups.hits, 1);
}

#[test]
fn a_corrupt_entry_is_a_miss_with_a_warning() {
    let ctx = Context::new("FROM {{BASE}}\nRUN echo right > /x\n");
    let dest = destination("cache-corrupt");
    cached(&ctx, &dest, &[]);
    let cache_repo = format!("{}/cache", repository_of(&dest));
    let entry = tags(&cache_repo)
        .into_iter()
        .find(|t| t.starts_with("kaniko-rs-v1-") && !t.starts_with("kaniko-rs-v1-after-"))
        .expect("an entry");
    // Another image under the entry's tag: foreign content where an entry should be.
    tools::run_ok(std::process::Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &format!("docker://{}", bases().images.amd64),
        &format!("docker://{}/{cache_repo}:{entry}", bases().registry.host()),
    ]));
    let (lookups, built, out) = cached(&ctx, &dest, &[]);
    assert_eq!(lookups, Lookups { hits: 0, misses: 1 }, "{}", log(&out));
    assert!(log(&out).contains("cache entry unusable"), "{}", log(&out));
    assert_eq!(built.text("/x"), "right\n");
}

#[test]
fn a_cache_repository_that_refuses_pushes_is_a_warning() {
    let locked = Registry::start_tls_basic_auth("user", "secret");
    let ctx = Context::new("FROM {{BASE}}\nRUN echo ok > /x\n");
    let dest = destination("cache-refused");
    let cache_repo = format!("{}/cache", locked.host());
    let certificate = format!("{}={}", locked.host(), locked.ca_cert_path().display());
    let (lookups, built, out) = cached(
        &ctx,
        &dest,
        &[
            "--cache-repo",
            &cache_repo,
            "--registry-certificate",
            &certificate,
            "--push-retry=0",
        ],
    );
    assert_eq!(built.text("/x"), "ok\n");
    assert_eq!(lookups.hits, 0);
    let text = log(&out);
    assert!(text.contains("could not store a cache entry"), "{text}");
    assert!(text.contains(&locked.host()), "{text}");
}

/// Regression: an entry whose manifest claims a diff ID its layer does not have is well-formed, so
/// the probe takes it; the lie shows only when the layer's bytes are read (here by the RUN after
/// it). The build then starts over without lookups instead of shipping a config with a wrong
/// diff ID.
#[test]
fn an_entry_with_a_wrong_diff_id_is_found_when_read_and_the_build_starts_over() {
    let dest = destination("cache-diffid");
    let first = Context::new("FROM {{BASE}}\nRUN echo one > /one\nRUN echo first > /two\n");
    cached(&first, &dest, &[]);
    let cache_repo = format!("{}/cache", repository_of(&dest));
    let host = bases().registry.host();
    // Every entry with a layer gets a wrong diff ID in its manifest, under the same tag.
    for tag in tags(&cache_repo)
        .into_iter()
        .filter(|t| !t.starts_with("kaniko-rs-v1-after-"))
    {
        // With an Accept header: distribution 2.8 answers 404 for an OCI manifest without one.
        let body = tools::run_ok(std::process::Command::new("curl").args([
            "-fsS",
            "-H",
            "Accept: application/vnd.oci.image.manifest.v1+json",
            &format!("http://{host}/v2/{cache_repo}/manifests/{tag}"),
        ]));
        let mut manifest: serde_json::Value = serde_json::from_slice(&body).expect("manifest");
        let Some(layer) = manifest["layers"].get_mut(0) else {
            continue;
        };
        layer["annotations"]["dev.kaniko-rs.cache.diff-id"] =
            serde_json::Value::String(format!("sha256:{}", "0".repeat(64)));
        let file = tempfile::NamedTempFile::new().expect("temp file");
        fs_err::write(file.path(), serde_json::to_vec(&manifest).unwrap()).unwrap();
        tools::run_ok(std::process::Command::new("curl").args([
            "-fsS",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/vnd.oci.image.manifest.v1+json",
            "--data-binary",
            &format!("@{}", file.path().display()),
            &format!("http://{host}/v2/{cache_repo}/manifests/{tag}"),
        ]));
    }
    let second = Context::new("FROM {{BASE}}\nRUN echo one > /one\nRUN cat /one > /two\n");
    let (lookups, built, out) = cached(&second, &dest, &[]);
    let text = log(&out);
    assert!(text.contains("is corrupt"), "{text}");
    assert!(text.contains("building again without cache lookups"), "{text}");
    assert_eq!(
        lookups,
        Lookups { hits: 1, misses: 1 },
        "the first attempt's lookups: {text}"
    );
    assert_eq!(built.text("/two"), "one\n");
    // umoci checked every diff ID while unpacking the image (Built::read).
}

#[test]
fn add_of_a_url_is_cached_only_with_a_checksum() {
    use sha2::Digest as _;
    let data = b"downloaded payload\n".to_vec();
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&data)));
    let server = FileServer::start(BTreeMap::from([("/data.bin".to_owned(), data.clone())]));
    let url = server.url();
    let dest = destination("cache-url");
    let pinned = Context::new(&format!(
        "FROM {{{{BASE}}}}\nADD --checksum={digest} {url}/data.bin /pinned.bin\nRUN cp /pinned.bin /copied\n"
    ));
    cached(&pinned, &dest, &[]);
    let (lookups, built, out) = cached(&pinned, &dest, &[]);
    assert_eq!(lookups, Lookups { hits: 2, misses: 0 }, "{}", log(&out));
    assert_eq!(built.file("/copied"), data);
    // Without a checksum the content is unknown until downloaded: neither the ADD nor anything
    // after it is looked up or stored, so a changed download can never meet an old entry.
    let unpinned = Context::new(&format!(
        "FROM {{{{BASE}}}}\nADD {url}/data.bin /unpinned.bin\nRUN cp /unpinned.bin /copied\n"
    ));
    for _ in 0..2 {
        let (lookups, built, out) = cached(&unpinned, &dest, &[]);
        assert_eq!(lookups, Lookups { hits: 0, misses: 0 }, "{}", log(&out));
        assert_eq!(log(&out).matches("step not cached").count(), 2, "{}", log(&out));
        assert_eq!(built.file("/copied"), data);
    }
}
