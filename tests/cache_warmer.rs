// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko warmer` and `--cache-dir` (issue #12): base images warmed into an OCI layout that skopeo
//! and umoci read, builds that start from them with their registry gone, the TTL on both sides,
//! and base layer blobs kept across builds with `--cache`.
//!
//! Each test has its own registry ([`Registry::start`]) holding the busybox bases, so it can stop
//! it (drop) or count the requests in its log without other tests' traffic.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use common::images::{push_base_images, sha256_digest, BaseImages};
use common::kaniko::{kaniko, Context};
use common::registry::Registry;
use common::tools;

/// `kaniko warmer ARGS…` against `registry` (plain HTTP), text logs.
fn warmer(registry: &Registry, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.args([
        "warmer",
        "--insecure-registry",
        &registry.host(),
        "--log-format",
        "text",
    ])
    .args(args)
    .env_remove("KANIKO_DIR");
    tools::run(&mut cmd)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    )
}

fn warmer_ok(registry: &Registry, args: &[&str]) -> String {
    let out = warmer(registry, args);
    let log = text(&out);
    assert!(
        out.status.success(),
        "kaniko warmer failed: {}\n{log}",
        out.status
    );
    log
}

fn build(ctx: &Context, registry_host: &str, args: &[&str]) -> (Output, String) {
    let out = kaniko(ctx, &[&["--insecure-registry", registry_host], args].concat());
    let log = text(&out);
    (out, log)
}

/// The entries of the cache directory's `index.json` as (ref.name, platform annotation).
fn warmed_entries(dir: &Path) -> Vec<(String, String)> {
    let index: Value = serde_json::from_slice(&fs_err::read(dir.join("index.json")).unwrap()).unwrap();
    let mut out: Vec<(String, String)> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let a = &d["annotations"];
            (
                a["org.opencontainers.image.ref.name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                a["dev.kaniko-rs.cache.platform"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// How many times the registry served `path` (a `GET`, from its access log).
fn gets(registry: &Registry, path: &str) -> usize {
    registry
        .logs()
        .lines()
        .filter(|l| l.contains("response completed") && l.contains("GET") && l.contains(path))
        .count()
}

fn started() -> (Registry, BaseImages) {
    let registry = Registry::start();
    let images = push_base_images(&registry);
    (registry, images)
}

#[test]
fn warmed_base_is_an_oci_layout_and_builds_without_its_registry() {
    let (registry, images) = started();
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("cache");
    let dir_arg = dir.to_str().unwrap();
    let log = warmer_ok(
        &registry,
        &[
            "--image",
            &images.amd64,
            "--cache-dir",
            dir_arg,
            "--custom-platform=linux/amd64",
        ],
    );
    assert!(log.contains("warmed base image"), "{log}");

    // Third-party readers see the image under the reference it was warmed as.
    let oci_ref = format!("oci:{}:{}", dir.display(), images.amd64);
    let inspected = tools::skopeo_inspect(&oci_ref);
    assert_eq!(inspected["Digest"], images.layout.amd64.manifest_digest.as_str());
    assert_eq!(inspected["Architecture"], "amd64");
    let bundle = tempfile::tempdir().unwrap();
    let rootfs = tools::umoci_unpack(&dir, &images.amd64, &bundle.path().join("b"));
    assert!(rootfs.join("bin/busybox").is_file());
    assert_eq!(
        warmed_entries(&dir),
        [(images.amd64.clone(), "linux/amd64".to_string())]
    );

    let host = registry.host();
    drop(registry);
    let ctx = Context::new(&format!("FROM {}\nRUN echo hi > /x\n", images.amd64));
    let tar = ctx.scratch().join("image.tar");
    let (out, log) = build(
        &ctx,
        &host,
        &[
            "--cache-dir",
            dir_arg,
            "--no-push",
            "--tar-path",
            tar.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "build with the registry stopped failed:\n{log}"
    );
    assert!(log.contains("base image from the cache directory"), "{log}");

    if !tools::docker_available() {
        return;
    }
    let loaded = tools::docker_load(&tar);
    let shown = tools::docker_run_ok(&loaded, &["cat", "/x"]);
    tools::docker_rmi(&[&loaded]);
    assert_eq!(shown, "hi\n");
}

#[test]
fn dockerfile_bases_skip_stages_and_scratch_and_expand_args() {
    let (registry, images) = started();
    let host = registry.host();
    let cache = tempfile::tempdir().unwrap();
    let df = cache.path().join("Dockerfile");
    fs_err::write(
        &df,
        format!(
            "ARG TAG=no-such-tag\n\
             FROM {host}/busybox:${{TAG}} AS one\n\
             FROM one AS two\n\
             FROM scratch\n\
             COPY --from=two /bin/busybox /busybox\n\
             FROM --platform=linux/arm64 {host}/busybox:arm64\n"
        ),
    )
    .unwrap();
    let dir = cache.path().join("cache");
    warmer_ok(
        &registry,
        &[
            "--dockerfile",
            df.to_str().unwrap(),
            "--build-arg",
            "TAG=amd64",
            "--cache-dir",
            dir.to_str().unwrap(),
            "--customPlatform",
            "linux/amd64",
        ],
    );
    assert_eq!(
        warmed_entries(&dir),
        [
            (images.amd64.clone(), "linux/amd64".to_string()),
            (images.arm64.clone(), "linux/arm64".to_string()),
        ]
    );
    for name in ["one", "two", "scratch", "no-such-tag"] {
        assert_eq!(
            gets(&registry, &format!("/manifests/{name}")),
            0,
            "{}",
            registry.logs()
        );
    }
}

#[test]
fn ttl_expires_warmed_images_for_builds_and_warmers() {
    let (registry, images) = started();
    let host = registry.host();
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("cache");
    let dir_arg = dir.to_str().unwrap();
    let warm = [
        "--image",
        &images.amd64,
        "--cache-dir",
        dir_arg,
        "--custom-platform=linux/amd64",
    ];
    let manifest_path = "/v2/busybox/manifests/amd64";

    let first = warmer_ok(&registry, &warm);
    assert!(first.contains("pulling base image"), "{first}");
    let pulls = gets(&registry, manifest_path);
    assert!(pulls >= 1, "{}", registry.logs());

    // Within the TTL (default 336h): nothing is pulled.
    let second = warmer_ok(&registry, &warm);
    assert!(second.contains("already warmed"), "{second}");
    assert!(!second.contains("pulling base image"), "{second}");
    assert_eq!(gets(&registry, manifest_path), pulls);

    // Past a 1s TTL: pulled again.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let third = warmer_ok(&registry, &[&warm[..], &["--cache-ttl=1s"]].concat());
    assert!(third.contains("pulling base image"), "{third}");
    assert!(gets(&registry, manifest_path) > pulls);
    // --force pulls whatever the age.
    let forced = warmer_ok(&registry, &[&warm[..], &["--force"]].concat());
    assert!(forced.contains("pulling base image"), "{forced}");

    // A build does not use a warmed image older than its --cache-ttl: with the registry gone it
    // fails, naming the registry.
    std::thread::sleep(std::time::Duration::from_secs(2));
    drop(registry);
    let ctx = Context::new(&format!("FROM {}\nRUN echo hi > /x\n", images.amd64));
    let (out, log) = build(
        &ctx,
        &host,
        &["--cache-dir", dir_arg, "--cache-ttl=1s", "--no-push"],
    );
    assert!(!out.status.success(), "a stale warmed image was used:\n{log}");
    assert!(log.contains(&host), "{log}");
    assert!(!log.contains("base image from the cache directory"), "{log}");
}

#[test]
fn cache_keeps_base_layer_blobs_across_builds() {
    let (registry, images) = started();
    let host = registry.host();
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("cache");
    // A build keeps blobs only in a cache directory that exists: it never creates /cache itself.
    fs_err::create_dir_all(&dir).unwrap();
    let layers = cache.path().join("layers");
    let layer = images.layout.amd64.layer_digest.clone();
    let layer_hex = layer.strip_prefix("sha256:").unwrap();
    let ctx = Context::new(&format!("FROM {}\nRUN echo hi > /x\n", images.amd64));
    let tar = ctx.scratch().join("image.tar");
    let args = [
        "--cache=true",
        "--cache-dir",
        dir.to_str().unwrap(),
        "--cache-repo",
        &format!("oci:{}", layers.display()),
        "--no-push",
        "--tar-path",
        tar.to_str().unwrap(),
        "--verbosity=debug",
    ];
    let blob_path = format!("/v2/busybox/blobs/{layer}");

    let (out, log) = build(&ctx, &host, &args);
    assert!(out.status.success(), "{log}");
    let kept = dir.join("blobs/sha256").join(layer_hex);
    assert_eq!(
        sha256_digest(&fs_err::read(&kept).unwrap()),
        layer,
        "the base layer blob is kept under its digest"
    );
    let downloads = gets(&registry, &blob_path);
    assert_eq!(downloads, 1, "{}", registry.logs());

    let (out, log) = build(&ctx, &host, &args);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("base layer blob from the cache directory"), "{log}");
    assert_eq!(gets(&registry, &blob_path), downloads, "{}", registry.logs());
}

/// `kaniko cache prune --cache-repo oci:<cache dir>` on the warmer's directory: the base layer
/// blobs builds kept there (referenced by nothing) go once they are old, the warmed images stay
/// usable with their registry gone, Docker-format ones included.
#[test]
fn pruning_the_cache_dir_drops_kept_blobs_and_keeps_warmed_images() {
    let (registry, images) = started();
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("cache");
    let dir_arg = dir.to_str().unwrap();
    warmer_ok(
        &registry,
        &[
            "--image",
            &images.amd64,
            "--image",
            &images.docker_v2,
            "--cache-dir",
            dir_arg,
        ],
    );
    // A blob a build kept (nothing in index.json lists it), made old.
    let loose = dir.join("blobs/sha256").join("ab".repeat(32));
    fs_err::write(&loose, b"a kept base layer").unwrap();
    let old = |path: &Path| {
        tools::run_ok(Command::new("touch").args(["-h", "-d", "2 hours ago"]).arg(path));
    };
    for item in fs_err::read_dir(dir.join("blobs/sha256")).unwrap() {
        old(&item.unwrap().path());
    }
    let prune = |yes: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
        cmd.args([
            "cache",
            "prune",
            "--cache-repo",
            &format!("oci:{dir_arg}"),
            "--log-format",
            "text",
        ]);
        if yes {
            cmd.arg("--yes");
        }
        let out = tools::run(&mut cmd);
        assert!(out.status.success(), "{}", text(&out));
        text(&out)
    };
    let blobs = || fs_err::read_dir(dir.join("blobs/sha256")).unwrap().count();
    let before = blobs();
    prune(false);
    assert!(loose.exists(), "a dry run deletes nothing");
    let report = prune(true);
    assert!(!loose.exists(), "{report}");
    assert_eq!(blobs(), before - 1, "only the kept blob goes: {report}");

    let host = registry.host();
    drop(registry);
    for base in [&images.amd64, &images.docker_v2] {
        let ctx = Context::new(&format!("FROM {base}\nRUN echo hi > /x\n"));
        let (out, log) = build(&ctx, &host, &["--cache-dir", dir_arg, "--no-push"]);
        assert!(out.status.success(), "{base} after the prune:\n{log}");
    }
}
