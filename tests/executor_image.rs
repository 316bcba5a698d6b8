// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The executor images that `hack/image.sh` builds with kaniko-rs itself (`target/image/*.tar`):
//! they load into docker, start, look like kaniko's `gcr.io/kaniko-project/executor` images (layout,
//! environment, entry point), pick up credentials and certificates from where kaniko's images keep
//! them, and build a Dockerfile with RUN steps inside a plain unprivileged `docker run`: no
//! `--privileged`, no added capabilities, docker's default seccomp profile.
//!
//! The tarballs are inputs, not something this test builds: a missing one fails with a pointer to
//! `hack/image.sh` (which `hack/test.sh` runs before the tests). Without a working docker the tests
//! print why and skip, as every docker-based test here does.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::images::APPLETS;
use common::kaniko::{bases, unique_repo, Built, Context};
use common::registry::Registry;
use common::tools::{self, docker_cmd, EntryKind, RootfsSnapshot};

const ENV: &[&str] = &[
    "HOME=/root",
    "USER=root",
    "SSL_CERT_DIR=/kaniko/ssl/certs",
    "DOCKER_CONFIG=/kaniko/.docker/",
    "DOCKER_CREDENTIAL_GCR_CONFIG=/kaniko/.config/gcloud/docker_credential_gcr_config.json",
];

/// The release version the images are tagged with and the binary reports.
fn version() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".release-version");
    fs_err::read_to_string(path)
        .expect(".release-version")
        .trim()
        .to_owned()
}

/// `target/image/NAME`, failing the test (not skipping it) when hack/image.sh has not made it.
fn tarball(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/image")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: run hack/image.sh to build the executor images (hack/test.sh does)",
        path.display()
    );
    path
}

/// The two images loaded into docker: `(executor, debug)` as `docker load` names them.
/// `None` (after printing why) when docker is not usable here.
fn load_images() -> Option<(String, String)> {
    let executor = tarball("kaniko-executor.tar");
    let debug = tarball("kaniko-executor-debug.tar");
    if !tools::docker_available() {
        return None;
    }
    Some((tools::docker_load(&executor), tools::docker_load(&debug)))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Panics with everything docker printed unless `out` is a success.
fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `docker inspect --format '{{json .Config}}' IMAGE`.
fn image_config(image: &str) -> serde_json::Value {
    let text = tools::docker_ok(&["inspect", "--format", "{{json .Config}}", image]);
    serde_json::from_str(&text).expect("docker inspect prints JSON")
}

#[test]
fn both_images_are_tagged_with_the_release_version_and_report_it() {
    let Some((executor, debug)) = load_images() else {
        return;
    };
    let version = version();
    assert!(executor.ends_with(&format!("/executor:{version}")), "{executor}");
    assert!(debug.ends_with("/executor:debug"), "{debug}");
    for image in [&executor, &debug] {
        // kaniko's `executor version`; the binary is the static musl build.
        let out = tools::docker_run_ok(image, &["version"]);
        assert!(
            out.starts_with(&format!("kaniko {version} ")) && out.contains("x86_64-unknown-linux-musl"),
            "{image}: {out}"
        );
        let out = tools::docker_run_ok(image, &["--version"]);
        assert!(out.contains(&version), "{image} --version: {out}");
        // Named `executor`, the binary is `kaniko build`, so `--help` lists the build flags.
        let help = tools::docker_run_ok(image, &["--help"]);
        assert!(help.contains("Usage: executor build"), "{image}: {help}");
        assert!(help.contains("--destination"), "{image}: {help}");
    }
}

#[test]
fn image_configs_mirror_kanikos_executor_images() {
    let Some((executor, debug)) = load_images() else {
        return;
    };
    for (image, path) in [
        (&executor, "PATH=/usr/local/bin:/kaniko"),
        (&debug, "PATH=/usr/local/bin:/kaniko:/busybox"),
    ] {
        let config = image_config(image);
        let mut env: Vec<&str> = config["Env"]
            .as_array()
            .unwrap_or_else(|| panic!("{image}: no Env in {config}"))
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        env.sort_unstable();
        let mut expected = ENV.to_vec();
        expected.push(path);
        expected.sort_unstable();
        assert_eq!(env, expected, "{image}");
        assert_eq!(
            config["Entrypoint"],
            serde_json::json!(["/kaniko/executor"]),
            "{image}"
        );
        assert_eq!(config["WorkingDir"], "/workspace", "{image}");
        assert!(config["Cmd"].is_null(), "{image}: {config}");
    }
    let config = image_config(&debug);
    assert_eq!(config["Shell"], serde_json::json!(["/busybox/sh", "-c"]));
    assert_eq!(config["Volumes"], serde_json::json!({"/busybox": {}}));
    assert!(image_config(&executor)["Shell"].is_null());
}

#[test]
fn executor_image_holds_only_the_binary_certificates_and_docker_config_dir() {
    let Some((executor, debug)) = load_images() else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let snapshot = RootfsSnapshot::capture(&tools::docker_save_rootfs(&executor, work.path()));
    let paths: Vec<&str> = snapshot.entries.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "/kaniko",
            "/kaniko/.docker",
            "/kaniko/executor",
            "/kaniko/ssl",
            "/kaniko/ssl/certs",
            "/kaniko/ssl/certs/ca-certificates.crt",
            "/kaniko/warmer",
            "/workspace",
        ],
        "{}",
        snapshot.render()
    );
    let kaniko = snapshot.entry("/kaniko");
    assert_eq!((kaniko.kind, kaniko.mode), (EntryKind::Dir, 0o1777));
    let binary = snapshot.entry("/kaniko/executor");
    assert_eq!(
        (binary.kind, binary.mode, binary.uid, binary.gid),
        (EntryKind::File, 0o755, 0, 0)
    );
    let warmer = snapshot.entry("/kaniko/warmer");
    assert_eq!(warmer.kind, EntryKind::Symlink, "{}", snapshot.render());
    // kaniko's warmer invocation: the link runs `kaniko warmer`.
    let help = tools::run_ok(tools::docker_cmd().args([
        "run",
        "--rm",
        "--entrypoint",
        "/kaniko/warmer",
        &executor,
        "--help",
    ]));
    let help = String::from_utf8_lossy(&help);
    assert!(
        help.contains("--dockerfile") && help.contains("--cache-dir"),
        "{help}"
    );
    let bundle = fs_err::read_to_string(
        work.path()
            .join("docker-save-bundle/rootfs/kaniko/ssl/certs/ca-certificates.crt"),
    )
    .expect("read the CA bundle");
    assert!(
        bundle.matches("BEGIN CERTIFICATE").count() > 100,
        "a CA bundle, not a stub"
    );

    let work = tempfile::tempdir().expect("tempdir");
    let snapshot = RootfsSnapshot::capture(&tools::docker_save_rootfs(&debug, work.path()));
    let sh = snapshot.entry("/bin/sh");
    assert_eq!(
        (sh.kind, sh.link.as_deref()),
        (EntryKind::Symlink, Some("/busybox/sh"))
    );
    let busybox = snapshot.entry("/busybox/busybox");
    assert_eq!((busybox.kind, busybox.mode), (EntryKind::File, 0o755));
    let applets = snapshot
        .entries
        .keys()
        .filter(|p| p.starts_with("/busybox/"))
        .count();
    assert!(applets > 200, "busybox and its applet links, got {applets}");
    for path in paths {
        assert!(snapshot.get(path).is_some(), "the debug image lacks {path}");
    }
}

#[test]
fn debug_image_runs_a_busybox_shell() {
    let Some((_, debug)) = load_images() else { return };
    let out = tools::run(docker_cmd().args([
        "run",
        "--rm",
        "--entrypoint",
        "/busybox/sh",
        &debug,
        "-c",
        "echo ok",
    ]));
    assert_success("/busybox/sh -c 'echo ok'", &out);
    assert_eq!(stdout(&out), "ok\n");
    // By name through the image's PATH, as CI systems that start `sh` in the build image do; the
    // executor is found on PATH too.
    let out = tools::run(docker_cmd().args([
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        &debug,
        "-c",
        "command -v executor; /bin/sh -c pwd",
    ]));
    assert_success("sh -c 'command -v executor'", &out);
    assert_eq!(stdout(&out), "/kaniko/executor\n/workspace\n");
}

/// The image's `SSL_CERT_DIR` and `DOCKER_CONFIG` are where the executor really looks: with a CA
/// mounted at /kaniko/ssl/certs and a `config.json` at /kaniko/.docker, as kaniko's users mount
/// them in Kubernetes, it pushes to a TLS registry that requires basic auth, with no flags for either.
#[test]
fn executor_image_uses_mounted_certificates_and_docker_config() {
    let Some((executor, _)) = load_images() else {
        return;
    };
    let registry = Registry::start_tls_basic_auth("builder", "s3cret-pass");
    let work = tempfile::tempdir().expect("tempdir");
    let context = work.path().join("context");
    fs_err::create_dir(&context).expect("context dir");
    fs_err::write(
        context.join("Dockerfile"),
        "FROM scratch\nCOPY hello.txt /hello.txt\n",
    )
    .expect("Dockerfile");
    fs_err::write(context.join("hello.txt"), "hello from the executor image\n").expect("hello.txt");
    let docker_config = work.path().join("docker-config");
    fs_err::create_dir(&docker_config).expect("docker config dir");
    let auth = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode("builder:s3cret-pass")
    };
    let config = serde_json::json!({"auths": {registry.host(): {"auth": auth}}});
    fs_err::write(docker_config.join("config.json"), config.to_string()).expect("config.json");

    let destination = format!("{}/executor-image/tls:latest", registry.host());
    let out = tools::run(
        docker_cmd()
            .args(["run", "--rm", "--network", "host"])
            .args(mount(&context, "/workspace", true))
            .args(mount(registry.cert_dir(), "/kaniko/ssl/certs", true))
            .args(mount(&docker_config, "/kaniko/.docker", true))
            .args([&executor, "--destination", &destination]),
    );
    assert_success(
        &format!(
            "the executor image pushing to {destination}\n--- registry log ---\n{}",
            registry.logs()
        ),
        &out,
    );
    let manifest = tools::skopeo_inspect_raw_with(&destination, &registry.skopeo_args(""));
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).expect("manifest JSON");
    assert_eq!(manifest["layers"].as_array().map(Vec::len), Some(1), "{manifest}");
}

/// `docker run --rm --network host -v ROOT:/workspace EXECUTOR --context /workspace/context
/// --dockerfile /workspace/Dockerfile --destination … --insecure-registry …` for a [`Context`] whose
/// Dockerfile builds from the shared registry's base, with no privileges at all. Host networking
/// only because the registry listens on the host's loopback. Returns the pushed image, read back.
fn build_in_executor_image(executor: &str, ctx: &Context, name: &str) -> Built {
    let registry = bases().registry;
    let destination = format!("{}/{}:latest", registry.host(), unique_repo(name));
    let out = tools::run(
        docker_cmd()
            .args(["run", "--rm", "--network", "host"])
            .args(mount(&ctx.scratch(), "/workspace", false))
            .args([
                executor,
                "--context",
                "/workspace/context",
                "--dockerfile",
                "/workspace/Dockerfile",
            ])
            .args([
                "--destination",
                &destination,
                "--insecure-registry",
                &registry.host(),
            ]),
    );
    assert_success(
        &format!(
            "the executor image (docker run, no --privileged, no --cap-add, default seccomp) building\n\
             --- Dockerfile ---\n{}",
            fs_err::read_to_string(ctx.dockerfile_path()).unwrap_or_default()
        ),
        &out,
    );
    Built::read(&destination)
}

/// `docker pull` of a built image and `docker run` of it with `args`, for each `(args, stdout)`;
/// the image is removed from the daemon afterwards whatever happened.
fn pull_and_run(reference: &str, runs: &[(&[&str], &str)]) {
    let result = std::panic::catch_unwind(|| {
        tools::docker_ok(&["pull", "--quiet", reference]);
        for (args, expected) in runs {
            assert_eq!(
                tools::docker_run_ok(reference, args),
                *expected,
                "docker run {reference} {args:?}"
            );
        }
    });
    tools::docker_rmi(&[reference]);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Everything around RUN: from inside the image the executor pulls a base from a registry, adds a
/// layer and pushes, and docker runs the result.
#[test]
fn executor_image_builds_on_a_registry_base_in_an_unprivileged_container() {
    let Some((executor, _)) = load_images() else {
        return;
    };
    let ctx = Context::new("FROM {{BASE}}\nCOPY greeting /greeting\nCMD [\"cat\", \"/greeting\"]\n")
        .file("greeting", "hello from COPY\n");
    let built = build_in_executor_image(&executor, &ctx, "executor-image-copy");
    assert_eq!(
        built.changed_paths(),
        ["/greeting"],
        "{:#?}",
        built.changes_from_base()
    );
    common::kaniko::compare_with_docker(&ctx, &built, &common::kaniko::DockerOptions::default());
    pull_and_run(&built.reference, &[(&[], "hello from COPY\n")]);
}

/// The point of the executor image: `docker run` of it, with no privileges at all, builds a
/// Dockerfile whose RUN steps change files, add a user and run as that user, pushes the result, and
/// the result runs. The executor picks container isolation by itself (root in a container).
#[test]
fn executor_image_runs_run_steps_in_an_unprivileged_container() {
    let Some((executor, _)) = load_images() else {
        return;
    };
    // Debian's busybox has no adduser applet: the user is added the way adduser would.
    let ctx = Context::new(
        "FROM {{BASE}}
RUN echo hello > /greeting && echo 'builder:x:1001:1001::/home/builder:/bin/sh' >> /etc/passwd \\
 && mkdir -p /home/builder && chown 1001:1001 /home/builder
RUN ls /bin | wc -l > /count
USER builder
RUN id -u > /home/builder/uid
CMD [\"cat\", \"/greeting\"]
",
    );
    let built = build_in_executor_image(&executor, &ctx, "executor-image-run");
    // What RUN changed, and nothing of the executor's own container (/kaniko, /workspace, /busybox,
    // docker's /etc/hosts, /etc/resolv.conf and /.dockerenv) leaked in.
    assert_eq!(
        built.changed_paths(),
        [
            "/count",
            "/etc/passwd",
            "/greeting",
            "/home/builder",
            "/home/builder/uid"
        ],
        "{:#?}",
        built.changes_from_base()
    );
    assert_eq!(
        built.text("/count").trim(),
        (APPLETS.len() + 1).to_string(),
        "busybox + applets"
    );
    assert_eq!(built.text("/home/builder/uid"), "1001\n");
    assert_eq!(built.meta("/home/builder"), "Dir 0755 1001:1001");
    assert_eq!(built.container()["User"], "builder");
    common::kaniko::compare_with_docker(&ctx, &built, &common::kaniko::DockerOptions::default());
    pull_and_run(&built.reference, &[(&[], "hello\n"), (&["id", "-u"], "1001\n")]);
}

/// `--volume HOST:CONTAINER[:ro]`.
fn mount(host: &Path, container: &str, read_only: bool) -> [String; 2] {
    let ro = if read_only { ":ro" } else { "" };
    [
        "--volume".to_owned(),
        format!("{}:{container}{ro}", host.display()),
    ]
}
