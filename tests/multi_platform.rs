// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Multi-platform builds with the real binary against the shared registry: `build --multi-platform`
//! with the local driver (no RUN, and the `FROM --platform=$BUILDPLATFORM` cross-build pattern), its
//! refusal of RUN under emulation, and `kaniko aggregate` over a CI matrix's records in each of the
//! three forms, with the failures that must push nothing. Every index is read back with skopeo
//! (`copy --all` walks every platform's manifest, config and layers).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::kaniko::{bases, kaniko, kaniko_ok, unique_repo, Built, Context};
use common::tools;
use serde_json::Value;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn registry_host() -> String {
    bases().registry.host()
}

/// `kaniko aggregate ARGS` against the shared registry.
fn aggregate(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.arg("aggregate")
        .args(["--insecure-registry", &registry_host(), "--log-format", "text"])
        .args(args);
    tools::run(&mut cmd)
}

/// The tags of `repo` in the shared registry (empty when the repository does not exist).
fn tags(repo: &str) -> Vec<String> {
    let (status, body) = bases()
        .registry
        .get(&format!("/v2/{repo}/tags/list"))
        .expect("tags list");
    if status == 404 {
        return Vec::new();
    }
    let v: Value = serde_json::from_slice(&body).expect("tags JSON");
    let mut tags: Vec<String> = v["tags"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    tags.sort();
    tags
}

/// The index at `reference`, checked to be an OCI index whose every image skopeo can copy.
fn read_index(reference: &str) -> (Value, Vec<u8>) {
    let bytes = tools::skopeo_inspect_raw(reference);
    let index: Value = serde_json::from_slice(&bytes).expect("index JSON");
    let dir = tempfile::tempdir().unwrap();
    tools::skopeo_copy(
        reference,
        &format!("oci:{}:all", dir.path().display()),
        &["--all".to_string()],
    );
    (index, bytes)
}

fn platforms(index: &Value) -> Vec<String> {
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let p = &m["platform"];
            format!(
                "{}/{}",
                p["os"].as_str().unwrap(),
                p["architecture"].as_str().unwrap()
            )
        })
        .collect()
}

fn child(index: &Value, repo_ref: &str, arch: &str) -> Built {
    let entry = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == arch)
        .unwrap_or_else(|| panic!("no {arch} entry in {index}"));
    Built::read(&format!("{repo_ref}@{}", entry["digest"].as_str().unwrap()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn local_driver_builds_every_platform_and_pushes_one_index() {
    let ctx = Context::new("FROM {{INDEX}}\nCOPY hello.txt /hello.txt\nLABEL purpose=multi\n")
        .file("hello.txt", "hello\n");
    let repo = unique_repo("multi-local");
    let reference = format!("{}/{repo}:v1", registry_host());
    let digest_file = ctx.scratch().join("index.digest");
    let metadata = ctx.scratch().join("index.json");
    kaniko_ok(
        &ctx,
        &[
            "--multi-platform=linux/arm64,linux/amd64",
            "--destination",
            &reference,
            "--index-annotations",
            "org.opencontainers.image.version=1.0,org.opencontainers.image.vendor=kaniko-rs",
            "--digest-file",
            digest_file.to_str().unwrap(),
            "--metadata-file",
            metadata.to_str().unwrap(),
        ],
    );
    let (index, bytes) = read_index(&reference);
    assert_eq!(index["mediaType"], OCI_INDEX);
    assert_eq!(platforms(&index), ["linux/amd64", "linux/arm64"], "fixed order");
    assert_eq!(index["annotations"]["org.opencontainers.image.version"], "1.0");
    assert_eq!(
        index["annotations"]["org.opencontainers.image.vendor"],
        "kaniko-rs"
    );
    assert_eq!(
        fs_err::read_to_string(&digest_file).unwrap(),
        format!("sha256:{}", sha256_hex(&bytes))
    );
    let record: Value = serde_json::from_slice(&fs_err::read(&metadata).unwrap()).unwrap();
    assert_eq!(record["digest"], format!("sha256:{}", sha256_hex(&bytes)));
    assert_eq!(record["platforms"].as_array().unwrap().len(), 2);
    // The per-platform images were pushed by digest: the only tag is the index's.
    assert_eq!(tags(&repo), ["v1"]);
    let repo_ref = format!("{}/{repo}", registry_host());
    for arch in ["amd64", "arm64"] {
        let image = child(&index, &repo_ref, arch);
        assert_eq!(image.config["architecture"], arch);
        assert_eq!(image.text("/hello.txt"), "hello\n");
        assert_eq!(image.container()["Labels"]["purpose"], "multi");
        // The base's own file from the right platform: busybox of that architecture.
        assert!(!image.file("/bin/busybox").is_empty());
    }
    let amd = child(&index, &repo_ref, "amd64").file("/bin/busybox");
    let arm = child(&index, &repo_ref, "arm64").file("/bin/busybox");
    assert_ne!(amd, arm, "each platform starts from its own base image");
}

#[test]
fn local_driver_refuses_run_under_emulation_before_any_work() {
    let ctx = Context::new("FROM {{INDEX}}\nENV A=1\nRUN echo built > /built.txt\n");
    let repo = unique_repo("multi-emulation");
    let reference = format!("{}/{repo}:v1", registry_host());
    let out = kaniko(
        &ctx,
        &[
            "--multi-platform=linux/amd64,linux/arm64",
            "--destination",
            &reference,
        ],
    );
    let log = tools::output_text(&out);
    assert!(!out.status.success(), "{log}");
    assert!(
        log.contains("building linux/arm64")
            && log.contains("Dockerfile:3:1")
            && log.contains("emulation")
            && log.contains("--require-native-nodes=false"),
        "{log}"
    );
    assert!(tags(&repo).is_empty(), "nothing may be pushed: {:?}", tags(&repo));
}

#[test]
fn buildplatform_stages_cross_build_without_emulation() {
    let ctx = Context::new(
        "FROM --platform=$BUILDPLATFORM {{BASE}} AS build\n\
         ARG TARGETARCH\nARG TARGETPLATFORM\n\
         RUN echo \"built on $(uname -m) for $TARGETPLATFORM ($TARGETARCH)\" > /out.txt\n\
         FROM {{INDEX}}\nCOPY --from=build /out.txt /out.txt\n",
    );
    let repo = unique_repo("multi-cross");
    let reference = format!("{}/{repo}:v1", registry_host());
    kaniko_ok(
        &ctx,
        &[
            "--multi-platform",
            "linux/amd64",
            "--multi-platform",
            "linux/arm64",
            "--destination",
            &reference,
        ],
    );
    let (index, _) = read_index(&reference);
    let repo_ref = format!("{}/{repo}", registry_host());
    assert_eq!(
        child(&index, &repo_ref, "arm64").text("/out.txt"),
        "built on x86_64 for linux/arm64 (arm64)\n"
    );
    assert_eq!(
        child(&index, &repo_ref, "amd64").text("/out.txt"),
        "built on x86_64 for linux/amd64 (amd64)\n"
    );
}

/// One matrix job: builds `ctx` for `platform`, pushes it by digest and leaves its records in `dir`.
fn matrix_job(ctx: &Context, platform: &str, repo_ref: &str, dir: &Path) -> String {
    let arch = platform.rsplit('/').next().unwrap();
    let digest_file = ctx.scratch().join(format!("{arch}.digest"));
    kaniko_ok(
        ctx,
        &[
            "--custom-platform",
            platform,
            "--destination",
            &format!("{repo_ref}:ignored-{arch}"),
            "--push-by-digest",
            "--digest-file",
            digest_file.to_str().unwrap(),
            "--metadata-file",
            dir.join(format!("{arch}.json")).to_str().unwrap(),
        ],
    );
    fs_err::read_to_string(digest_file).unwrap()
}

#[test]
fn aggregate_publishes_a_matrix_from_every_record_form() {
    let ctx = Context::new("FROM {{INDEX}}\nCOPY app.txt /app.txt\n").file("app.txt", "app\n");
    let repo = unique_repo("aggregate");
    let repo_ref = format!("{}/{repo}", registry_host());
    let records = tempfile::tempdir().unwrap();
    let amd = matrix_job(&ctx, "linux/amd64", &repo_ref, records.path());
    let arm = matrix_job(&ctx, "linux/arm64", &repo_ref, records.path());
    assert!(
        tags(&repo).is_empty(),
        "push by digest made tags: {:?}",
        tags(&repo)
    );
    let record: Value =
        serde_json::from_slice(&fs_err::read(records.path().join("arm64.json")).unwrap()).unwrap();
    assert_eq!(record["digest"], arm.as_str());
    assert_eq!(record["platform"]["architecture"], "arm64");
    assert_eq!(record["image"], repo_ref.as_str());
    assert_eq!(record["containerimage.digest"], arm.as_str());

    // Docker's recipe: empty files named by the hex digest, one artifact directory per platform.
    let recipe = tempfile::tempdir().unwrap();
    for (arch, digest) in [("amd64", &amd), ("arm64", &arm)] {
        let dir = recipe.path().join(format!("digests-linux-{arch}"));
        fs_err::create_dir(&dir).unwrap();
        fs_err::write(dir.join(digest.trim_start_matches("sha256:")), "").unwrap();
    }
    // kaniko's --digest-file form.
    let digest_files = tempfile::tempdir().unwrap();
    fs_err::write(digest_files.path().join("amd64"), &amd).unwrap();
    fs_err::write(digest_files.path().join("arm64"), &arm).unwrap();

    let mut digests = Vec::new();
    for (tag, source) in [
        ("metadata", records.path().display().to_string()),
        ("recipe", format!("{}/digests-*", recipe.path().display())),
        ("digestfile", digest_files.path().display().to_string()),
    ] {
        let digest_file = ctx.scratch().join(format!("{tag}.index"));
        let out = aggregate(&[
            "--digests-from",
            &source,
            "--destination",
            &format!("{repo_ref}:{tag}"),
            "--digest-file",
            digest_file.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{tag}: {}", tools::output_text(&out));
        let (index, bytes) = read_index(&format!("{repo_ref}:{tag}"));
        assert_eq!(platforms(&index), ["linux/amd64", "linux/arm64"], "{tag}");
        let written = fs_err::read_to_string(&digest_file).unwrap();
        assert_eq!(written, format!("sha256:{}", sha256_hex(&bytes)), "{tag}");
        digests.push(written);
    }
    // The same images give the same index, whatever form the records took.
    assert!(digests.windows(2).all(|w| w[0] == w[1]), "{digests:?}");
    assert_eq!(tags(&repo), ["digestfile", "metadata", "recipe"]);
    let (index, _) = read_index(&format!("{repo_ref}:metadata"));
    assert_eq!(child(&index, &repo_ref, "arm64").text("/app.txt"), "app\n");
}

#[test]
fn aggregate_rejects_bad_matrices_and_pushes_nothing() {
    let ctx = Context::new("FROM {{INDEX}}\nCOPY app.txt /app.txt\n").file("app.txt", "bad\n");
    let repo = unique_repo("aggregate-bad");
    let repo_ref = format!("{}/{repo}", registry_host());
    let records = tempfile::tempdir().unwrap();
    let amd = matrix_job(&ctx, "linux/amd64", &repo_ref, records.path());
    let arm = matrix_job(&ctx, "linux/arm64", &repo_ref, records.path());
    let dest = format!("{repo_ref}:must-not-exist");
    let scratch = tempfile::tempdir().unwrap();
    let case = |name: &str| {
        let dir = scratch.path().join(name);
        fs_err::create_dir(&dir).unwrap();
        dir
    };

    // A record that lies about its platform.
    let lying = case("lying");
    let mut record: Value =
        serde_json::from_slice(&fs_err::read(records.path().join("amd64.json")).unwrap()).unwrap();
    record["platform"]["architecture"] = "arm64".into();
    fs_err::write(lying.join("amd64.json"), record.to_string()).unwrap();
    // Two images for one platform.
    let twice = case("twice");
    fs_err::write(twice.join("a"), &amd).unwrap();
    let other_amd = matrix_job(
        &Context::new("FROM {{INDEX}}\nENV OTHER=1\n"),
        "linux/amd64",
        &repo_ref,
        &case("other-records"),
    );
    fs_err::write(twice.join("b"), &other_amd).unwrap();
    // A digest the repository does not have.
    let missing = case("missing");
    fs_err::write(missing.join(sha256_hex(b"not pushed")), "").unwrap();
    // A stray file.
    let stray = case("stray");
    fs_err::write(stray.join("notes.txt"), "see the wiki").unwrap();

    let cases: [(&Path, &[&str], &str); 5] = [
        (&lying, &[], "declares linux/arm64 but the image config"),
        (&twice, &[], "both hold an image for linux/amd64"),
        (&missing, &[], "is not readable in"),
        (&stray, &[], "notes.txt: expected a metadata JSON record"),
        (
            records.path(),
            &["--legacy-manifest-list"],
            "cannot list OCI manifests",
        ),
    ];
    for (dir, extra, expected) in cases {
        let mut args = vec!["--digests-from", dir.to_str().unwrap(), "--destination", &dest];
        args.extend_from_slice(extra);
        let out = aggregate(&args);
        let log = tools::output_text(&out);
        assert!(!out.status.success(), "{expected}: succeeded\n{log}");
        assert!(log.contains(expected), "expected {expected:?} in:\n{log}");
        assert!(
            !tags(&repo).contains(&"must-not-exist".to_string()),
            "{expected}: the tag moved"
        );
    }
    let _ = arm;
    let out = aggregate(&["--digests-from", "/nonexistent/digests-*", "--destination", &dest]);
    assert!(
        tools::output_text(&out).contains("matches no files"),
        "{}",
        tools::output_text(&out)
    );
    assert!(tags(&repo).is_empty(), "{:?}", tags(&repo));
}

#[test]
fn multi_platform_flag_conflicts_are_rejected_up_front() {
    let ctx = Context::new("FROM {{INDEX}}\n");
    for (args, expected) in [
        (
            vec!["--multi-platform=linux/amd64,linux/sparc", "--no-push"],
            "invalid --multi-platform",
        ),
        (
            vec!["--multi-platform=linux/arm64,linux/arm64/v8", "--no-push"],
            "linux/arm64 is listed twice",
        ),
        (
            vec![
                "--multi-platform=linux/amd64",
                "--custom-platform=linux/arm64",
                "--no-push",
            ],
            "--custom-platform names one platform",
        ),
        (
            vec![
                "--multi-platform=linux/amd64",
                "--tar-path=/tmp/x.tar",
                "--no-push",
            ],
            "a multi-platform build pushes an image index",
        ),
        (
            vec![
                "--multi-platform=linux/amd64",
                "--oci-layout-path=/tmp/layout",
                "--no-push",
            ],
            "--oci-layout-path is not supported with --multi-platform yet",
        ),
        (vec!["--push-by-digest", "--no-push"], "--push-by-digest pushes"),
        (
            vec![
                "--multi-platform=linux/amd64",
                "--index-annotations=a=b",
                "--legacy-manifest-list",
                "--no-push",
            ],
            "a Docker manifest list has no annotations",
        ),
    ] {
        let out = kaniko(&ctx, &args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            tools::output_text(&out).contains(expected),
            "{args:?}: {}",
            tools::output_text(&out)
        );
    }
}

#[test]
fn unpublished_index_is_printed_and_nothing_is_pushed() {
    let ctx = Context::new("FROM {{INDEX}}\nENV MODE=print\n");
    let repo = unique_repo("multi-print");
    let reference = format!("{}/{repo}:v1", registry_host());
    let out = kaniko_ok(
        &ctx,
        &[
            "--multi-platform=linux/amd64,linux/arm64",
            "--destination",
            &reference,
            "--publish-index=false",
        ],
    );
    let index: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not the index ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(index["mediaType"], OCI_INDEX);
    assert_eq!(platforms(&index), ["linux/amd64", "linux/arm64"]);
    // The images were pushed by digest (the printed index points at them); no tag moved.
    assert!(tags(&repo).is_empty(), "{:?}", tags(&repo));
    let repo_ref = format!("{}/{repo}", registry_host());
    assert_eq!(child(&index, &repo_ref, "arm64").config["architecture"], "arm64");
}
