// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Acceptance cases for the build flags and outputs (issue #2, point 8): --target and
//! --skip-unused-stages, --label, --custom-platform, several --destination pushes with the three
//! digest files, --tar-path loaded and run by docker, a Docker-schema2 base, and --reproducible.

mod common;

use serde_json::json;

use common::images::{busybox_binary, sha256_digest};
use common::kaniko::{bases, build_err, build_ok, kaniko_ok, unique_repo, Built, Context};
use common::tools;

#[test]
fn target_with_and_without_skip_unused_stages() {
    let ctx = Context::new(
        "FROM {{BASE}} AS broken\n\
         COPY does-not-exist /x\n\
         FROM scratch AS wanted\n\
         COPY a.txt /a.txt\n\
         FROM wanted AS after\n\
         LABEL after=yes\n",
    )
    .file("a.txt", "a\n");
    // Without --skip-unused-stages every stage before the target is built, as kaniko does.
    let err = build_err(&ctx, &["--target", "wanted"]);
    assert!(err.contains("does-not-exist"), "{err}");
    let built = build_ok(
        &ctx,
        "target-skip",
        &["--target", "wanted", "--skip-unused-stages"],
    );
    assert_eq!(built.text("/a.txt"), "a\n");
    assert!(built.container()["Labels"].is_null(), "{}", built.container());
    assert_eq!(built.manifest["layers"].as_array().map(Vec::len), Some(1));
    let err = build_err(&ctx, &["--target", "nosuchstage"]);
    assert!(err.contains("nosuchstage"), "{err}");
}

#[test]
fn label_flags_add_to_and_override_dockerfile_labels() {
    let ctx = Context::new("FROM {{BASE}}\nLABEL team=dockerfile keep=yes\n");
    let built = build_ok(
        &ctx,
        "label-flag",
        &[
            "--label",
            "team=cli",
            "--label",
            "org.opencontainers.image.version=1.2.3",
        ],
    );
    assert_eq!(
        built.container()["Labels"],
        json!({"keep": "yes", "org.opencontainers.image.version": "1.2.3", "team": "cli"})
    );
}

#[test]
fn custom_platform_resolves_the_arm64_image_of_an_index() {
    let ctx = Context::new(
        "FROM {{INDEX}}\nLABEL arch=${TARGETARCH:-unset}\nARG TARGETARCH\nLABEL arg=$TARGETARCH\n",
    );
    let built = build_ok(&ctx, "custom-platform", &["--custom-platform=linux/arm64"]);
    assert_eq!(built.config["architecture"], "arm64");
    assert_eq!(built.config["os"], "linux");
    assert_eq!(
        format!(
            "sha256:{}",
            built.snapshot.entry("/bin/busybox").sha256.as_deref().unwrap()
        ),
        sha256_digest(&busybox_binary("arm64"))
    );
    // TARGETARCH is predefined but, like any ARG, only visible after it is declared.
    assert_eq!(
        built.container()["Labels"],
        json!({"arch": "unset", "arg": "arm64"})
    );
    assert_eq!(
        built.manifest["layers"][0]["digest"],
        bases().images.layout.arm64.layer_digest.as_str()
    );
}

#[test]
fn several_destinations_and_the_three_digest_files() {
    let ctx = Context::new("FROM scratch\nCOPY a.txt /\n").file("a.txt", "a");
    let host = bases().registry.host();
    let one = format!("{host}/{}:one", unique_repo("dest-a"));
    let two = format!("{host}/{}:two", unique_repo("dest-b"));
    let out = ctx.scratch();
    let (digest_file, names, tags) = (out.join("digest"), out.join("names"), out.join("name-tags"));
    kaniko_ok(
        &ctx,
        &[
            "--destination",
            &one,
            "--destination",
            &two,
            "--digest-file",
            digest_file.to_str().unwrap(),
            "--image-name-with-digest-file",
            names.to_str().unwrap(),
            "--image-name-tag-with-digest-file",
            tags.to_str().unwrap(),
        ],
    );
    let digest = fs_err::read_to_string(&digest_file).unwrap();
    assert!(digest.starts_with("sha256:") && digest.len() == 71, "{digest:?}");
    for reference in [&one, &two] {
        let built = Built::read(reference);
        assert_eq!(sha256_digest(&built.manifest_bytes), digest, "{reference}");
        assert_eq!(built.text("/a.txt"), "a");
    }
    let repo = |r: &str| r.rsplit_once(':').unwrap().0.to_owned();
    assert_eq!(
        fs_err::read_to_string(&names).unwrap(),
        format!("{}@{digest}\n{}@{digest}\n", repo(&one), repo(&two))
    );
    assert_eq!(
        fs_err::read_to_string(&tags).unwrap(),
        format!("{one}@{digest}\n{two}@{digest}\n")
    );
}

#[test]
fn tarball_loads_into_docker_and_runs_a_copied_static_program() {
    let ctx = Context::new(
        "FROM scratch\n\
         COPY --from={{BASE}} /bin/busybox /busybox\n\
         ENTRYPOINT [\"/busybox\"]\n\
         CMD [\"echo\", \"static ok\"]\n",
    );
    let tarball = ctx.scratch().join("image.tar");
    let tag = format!("kaniko-parity/static:{:08x}", fastrand::u32(..));
    kaniko_ok(
        &ctx,
        &[
            "--no-push",
            "--destination",
            &tag,
            "--tar-path",
            tarball.to_str().unwrap(),
        ],
    );
    // The tarball is also a valid docker-archive for skopeo, whatever the daemon says.
    let layout = ctx.scratch().join("layout");
    tools::skopeo_copy_to_oci(&format!("docker-archive:{}", tarball.display()), &layout, "t");
    let rootfs = tools::umoci_unpack(&layout, "t", &ctx.scratch().join("bundle"));
    assert_eq!(
        sha256_digest(&fs_err::read(rootfs.join("busybox")).unwrap()),
        sha256_digest(&busybox_binary("amd64"))
    );
    if !tools::docker_available() {
        return;
    }
    let loaded = tools::docker_load(&tarball);
    let result = std::panic::catch_unwind(|| {
        assert_eq!(loaded, tag);
        assert_eq!(tools::docker_run_ok(&loaded, &[]), "static ok\n");
        assert_eq!(tools::docker_run_ok(&loaded, &["echo", "args"]), "args\n");
    });
    tools::docker_rmi(&[&loaded]);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn a_docker_schema2_base_keeps_docker_media_types() {
    let ctx = Context::new("FROM {{DOCKER_V2}}\nCOPY a.txt /\nLABEL schema=docker\n").file("a.txt", "a");
    let built = build_ok(&ctx, "docker-v2", &[]);
    assert_eq!(
        built.manifest["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(
        built.manifest["config"]["mediaType"],
        "application/vnd.docker.container.image.v1+json"
    );
    for layer in built.manifest["layers"].as_array().unwrap() {
        assert_eq!(
            layer["mediaType"],
            "application/vnd.docker.image.rootfs.diff.tar.gzip"
        );
    }
    assert_eq!(
        built.manifest["layers"][0]["digest"],
        bases().images.layout.amd64.layer_digest.as_str()
    );
    assert_eq!(built.text("/a.txt"), "a");
}

#[test]
fn reproducible_builds_of_the_same_context_have_the_same_digest() {
    let ctx = Context::new(
        "FROM {{BASE}}\n\
         COPY . /app/\n\
         WORKDIR /app/work\n\
         ENV MODE=repro\n",
    )
    .file("a.txt", "a")
    .file("dir/b.txt", "b");
    let digest_of = |n: u32| {
        let file = ctx.scratch().join(format!("digest-{n}"));
        kaniko_ok(
            &ctx,
            &[
                "--no-push",
                "--reproducible",
                "--digest-file",
                file.to_str().unwrap(),
            ],
        );
        fs_err::read_to_string(&file).unwrap()
    };
    let first = digest_of(1);
    // Let wall-clock time move on so a leaked timestamp would change the digest.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = digest_of(2);
    assert_eq!(first, second);
    let built = build_ok(&ctx, "reproducible", &["--reproducible"]);
    assert_eq!(sha256_digest(&built.manifest_bytes), first);
    assert_eq!(built.config["created"], "1970-01-01T00:00:00Z");
}
