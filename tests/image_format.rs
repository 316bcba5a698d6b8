// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--oci-mode`, `--compression`, `--compression-level` and `--force-compression`, pushed to the
//! shared registry and read back with skopeo (and umoci, through `Built::read`): which media types
//! the manifest, config and layers carry, that base layers keep their bytes unless recompression is
//! asked for, and that Docker-typed images make a Docker manifest list with `kaniko aggregate`.

mod common;

use std::process::Command;

use common::kaniko::{bases, build_ok, kaniko, kaniko_ok, unique_repo, Built, Context};
use common::tools;
use serde_json::Value;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

fn layer_types(b: &Built) -> Vec<String> {
    b.manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["mediaType"].as_str().unwrap().to_owned())
        .collect()
}

fn layer_digest(b: &Built, i: usize) -> String {
    b.manifest["layers"][i]["digest"].as_str().unwrap().to_owned()
}

fn base_layer_digest() -> String {
    bases().images.layout.amd64.layer_digest.clone()
}

#[test]
fn docker_mode_rewrites_descriptors_and_keeps_base_layer_bytes() {
    let ctx = Context::new("FROM {{BASE}}\nCOPY a.txt /a.txt\n").file("a.txt", "a\n");
    let b = build_ok(&ctx, "docker-mode", &["--oci-mode=docker"]);
    assert_eq!(b.manifest["mediaType"], DOCKER_MANIFEST);
    assert_eq!(b.manifest["config"]["mediaType"], DOCKER_CONFIG);
    assert_eq!(layer_types(&b), [DOCKER_GZIP, DOCKER_GZIP]);
    assert_eq!(
        layer_digest(&b, 0),
        base_layer_digest(),
        "the base layer keeps its bytes"
    );
    assert_eq!(b.text("/a.txt"), "a\n");

    let oci = build_ok(&ctx, "oci-mode", &["--oci-mode=oci"]);
    assert_eq!(oci.manifest["mediaType"], OCI_MANIFEST);
    assert_eq!(oci.manifest["config"]["mediaType"], OCI_CONFIG);
    assert_eq!(layer_types(&oci), [OCI_GZIP, OCI_GZIP]);
}

#[test]
fn auto_mode_follows_the_base_image() {
    let ctx = Context::new(&format!(
        "FROM {}\nENV X=1\nCOPY a.txt /a.txt\n",
        bases().images.docker_v2
    ))
    .file("a.txt", "a\n");
    let b = build_ok(&ctx, "auto-docker", &[]);
    assert_eq!(b.manifest["mediaType"], DOCKER_MANIFEST);
    assert_eq!(layer_types(&b), [DOCKER_GZIP, DOCKER_GZIP]);

    let ctx = Context::new("FROM {{BASE}}\nCOPY a.txt /a.txt\n").file("a.txt", "a\n");
    assert_eq!(
        build_ok(&ctx, "auto-oci", &[]).manifest["mediaType"],
        OCI_MANIFEST
    );
}

/// A zstd image as other tools see it. umoci 0.4 cannot unpack zstd layers, so the root filesystem
/// is read through skopeo converting the layers to gzip on the way (containers/image decompresses
/// zstd itself), which checks the zstd blobs with a second reader.
struct ZstdImage {
    manifest: Value,
    config: Value,
    rootfs: std::path::PathBuf,
    reference: String,
    _dir: tempfile::TempDir,
}

fn build_zstd(ctx: &Context, name: &str, args: &[&str]) -> ZstdImage {
    let reference = format!("{}/{}:latest", bases().registry.host(), unique_repo(name));
    let mut all = vec!["--destination", reference.as_str()];
    all.extend_from_slice(args);
    kaniko_ok(ctx, &all);
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    tools::skopeo_copy(
        &reference,
        &format!("oci:{}:built", layout.display()),
        &[
            "--dest-compress".into(),
            "--dest-compress-format".into(),
            "gzip".into(),
        ],
    );
    let rootfs = tools::umoci_unpack(&layout, "built", &dir.path().join("bundle"));
    ZstdImage {
        manifest: tools::skopeo_inspect_raw_json(&reference),
        config: tools::skopeo_inspect_config(&reference),
        rootfs,
        reference,
        _dir: dir,
    }
}

impl ZstdImage {
    fn layer_types(&self) -> Vec<String> {
        self.manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["mediaType"].as_str().unwrap().to_owned())
            .collect()
    }
    fn layer_digest(&self, i: usize) -> String {
        self.manifest["layers"][i]["digest"].as_str().unwrap().to_owned()
    }
    fn file(&self, path: &str) -> Vec<u8> {
        fs_err::read(self.rootfs.join(path.trim_start_matches('/'))).unwrap()
    }
}

#[test]
fn zstd_layers_and_forced_recompression() {
    let ctx = Context::new(&format!("FROM {}\nCOPY a.txt /a.txt\n", bases().images.docker_v2))
        .file("a.txt", "zstd content\n");
    // A Docker base with zstd layers: auto switches to OCI, the base layer stays gzip.
    let b = build_zstd(&ctx, "zstd", &["--compression=zstd", "--compression-level=19"]);
    assert_eq!(b.manifest["mediaType"], OCI_MANIFEST);
    assert_eq!(b.layer_types(), [OCI_GZIP, OCI_ZSTD]);
    assert_eq!(b.layer_digest(0), base_layer_digest());
    assert_eq!(b.file("/a.txt"), b"zstd content\n");

    let forced = build_zstd(
        &ctx,
        "zstd-forced",
        &["--compression=zstd", "--force-compression"],
    );
    assert_eq!(forced.layer_types(), [OCI_ZSTD, OCI_ZSTD]);
    assert_ne!(
        forced.layer_digest(0),
        base_layer_digest(),
        "the base layer was re-encoded"
    );
    assert_eq!(
        forced.config["rootfs"]["diff_ids"], b.config["rootfs"]["diff_ids"],
        "same content, same diff IDs"
    );
    assert_eq!(forced.file("/a.txt"), b"zstd content\n");
    assert_eq!(forced.file("/bin/busybox"), b.file("/bin/busybox"));
    // The blob really is zstd: its magic number.
    let dir = tempfile::tempdir().unwrap();
    tools::skopeo_copy(&forced.reference, &format!("dir:{}", dir.path().display()), &[]);
    let blob = fs_err::read(
        dir.path()
            .join(forced.layer_digest(0).trim_start_matches("sha256:")),
    )
    .unwrap();
    assert_eq!(&blob[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
}

#[test]
fn conflicting_format_flags_are_refused() {
    let ctx = Context::new("FROM {{BASE}}\n");
    for (args, expected) in [
        (
            vec!["--oci-mode=docker", "--compression=zstd"],
            "Docker schema 2 has no zstd layer type",
        ),
        (vec!["--oci-mode=podman"], "invalid --oci-mode"),
        (vec!["--compression=brotli"], "invalid --compression"),
        (vec!["--compression-level=12"], "expected 0-9"),
        (
            vec!["--compression=zstd", "--compression-level=0"],
            "expected 1-22",
        ),
    ] {
        let mut all = vec!["--no-push"];
        all.extend(&args);
        let out = kaniko(&ctx, &all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[test]
fn docker_typed_matrix_makes_a_docker_manifest_list() {
    let ctx = Context::new("FROM {{INDEX}}\nCOPY a.txt /a.txt\n").file("a.txt", "list\n");
    let repo = format!("{}/{}", bases().registry.host(), unique_repo("legacy-list"));
    let records = tempfile::tempdir().unwrap();
    for platform in ["linux/amd64", "linux/arm64"] {
        let arch = platform.rsplit('/').next().unwrap();
        kaniko_ok(
            &ctx,
            &[
                "--custom-platform",
                platform,
                "--oci-mode=docker",
                "--destination",
                &repo,
                "--push-by-digest",
                "--metadata-file",
                records.path().join(format!("{arch}.json")).to_str().unwrap(),
            ],
        );
    }
    for (tag, extra, media) in [
        ("list", vec!["--legacy-manifest-list"], DOCKER_LIST),
        ("index", vec![], "application/vnd.oci.image.index.v1+json"),
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
        cmd.args(["aggregate", "--insecure-registry", &bases().registry.host()])
            .args(["--digests-from", records.path().to_str().unwrap()])
            .args(["--destination", &format!("{repo}:{tag}")])
            .args(&extra);
        let out = tools::run(&mut cmd);
        assert!(
            out.status.success(),
            "{tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let index: Value = tools::skopeo_inspect_raw_json(&format!("{repo}:{tag}"));
        assert_eq!(index["mediaType"], media, "{tag}");
        let children: Vec<&str> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["mediaType"].as_str().unwrap())
            .collect();
        assert_eq!(children, [DOCKER_MANIFEST, DOCKER_MANIFEST], "{tag}");
        let dir = tempfile::tempdir().unwrap();
        tools::skopeo_copy(
            &format!("{repo}:{tag}"),
            &format!("oci:{}:all", dir.path().display()),
            &["--all".to_string()],
        );
    }
}

#[test]
fn oci_gzip_and_zstd_images_pull_and_run_in_docker() {
    if !tools::docker_available() {
        return;
    }
    let ctx = Context::new("FROM {{BASE}}\nCOPY a.txt /a.txt\nCMD [\"cat\", \"/a.txt\"]\n")
        .file("a.txt", "pulled by docker\n");
    for (name, args) in [
        ("docker-oci-gzip", vec!["--oci-mode=oci"]),
        (
            "docker-oci-zstd",
            vec!["--oci-mode=oci", "--compression=zstd", "--force-compression"],
        ),
    ] {
        let reference = format!("{}/{}:latest", bases().registry.host(), unique_repo(name));
        let mut all = vec!["--destination", reference.as_str()];
        all.extend_from_slice(&args);
        kaniko_ok(&ctx, &all);
        let manifest = tools::skopeo_inspect_raw_json(&reference);
        assert_eq!(manifest["mediaType"], OCI_MANIFEST, "{name}");
        let want = if name.ends_with("zstd") {
            OCI_ZSTD
        } else {
            OCI_GZIP
        };
        assert!(
            manifest["layers"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["mediaType"] == want),
            "{name}: {manifest}"
        );
        if name.ends_with("zstd") && !engine_reads_zstd() {
            // Docker Engine reads zstd layers from 23.0 on; an older engine must fail the pull (it
            // unpacks the blob as a plain tar), not store a broken image.
            let out = tools::run(tools::docker_cmd().args(["pull", &reference]));
            let text = tools::output_text(&out);
            assert!(
                !out.status.success(),
                "{name}: an engine before 23.0 pulled zstd layers"
            );
            assert!(text.contains("invalid tar header"), "{name}: {text}");
            eprintln!("{name}: the docker engine is older than 23.0 and refuses zstd layers, as expected");
            continue;
        }
        tools::docker_ok(&["pull", &reference]);
        assert_eq!(
            tools::docker_run_ok(&reference, &[]),
            "pulled by docker\n",
            "{name}"
        );
        tools::docker_rmi(&[&reference]);
    }
}

/// Whether the docker engine is 23.0 or later (the first to decompress zstd layers).
fn engine_reads_zstd() -> bool {
    let version = tools::docker_ok(&["version", "--format", "{{.Server.Version}}"]);
    let major: u32 = version
        .trim()
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    major >= 23
}
