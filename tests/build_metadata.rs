// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Acceptance cases for FROM, ARG and the metadata instructions (issue #2, point 8): ENV, ARG
//! scoping, LABEL, EXPOSE, VOLUME, USER, WORKDIR, CMD, ENTRYPOINT, SHELL, STOPSIGNAL, HEALTHCHECK,
//! ONBUILD and MAINTAINER. Each image is built by the real binary, read back with `skopeo inspect`
//! and `umoci`, and compared with `docker build` where docker is available.

mod common;

use serde_json::json;

use common::kaniko::{build_err, build_ok, compare_with_docker, Context, DockerOptions};
use common::tools::EntryKind;

const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const SECOND: i64 = 1_000_000_000;

#[test]
fn metadata_instructions_set_the_config() {
    let ctx = Context::new(
        "FROM {{BASE}}\n\
         MAINTAINER Jane Doe <jane@example.com>\n\
         ENV A=1 B=\"two words\"\n\
         ENV C $A-${B}\n\
         ENV LEGACY value with spaces\n\
         LABEL org.example.name=\"parity\" multi=\"a b\" version=$A\n\
         EXPOSE 80 53/udp 8000-8001/tcp\n\
         VOLUME /data\n\
         VOLUME [\"/cache\", \"/logs\"]\n\
         USER app:staff\n\
         WORKDIR /srv/app\n\
         WORKDIR sub\n\
         STOPSIGNAL SIGTERM\n\
         HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=4 CMD wget -q localhost || exit 1\n\
         SHELL [\"/bin/sh\", \"-ec\"]\n\
         CMD echo $A\n\
         ENTRYPOINT [\"/bin/busybox\"]\n",
    );
    let built = build_ok(&ctx, "metadata", &[]);
    let c = built.container();
    assert_eq!(
        c["Env"],
        json!([
            PATH,
            "A=1",
            "B=two words",
            "C=1-two words",
            "LEGACY=value with spaces"
        ])
    );
    assert_eq!(
        c["Labels"],
        json!({"multi": "a b", "org.example.name": "parity", "version": "1"})
    );
    assert_eq!(
        c["ExposedPorts"],
        json!({"53/udp": {}, "80/tcp": {}, "8000/tcp": {}, "8001/tcp": {}})
    );
    assert_eq!(c["Volumes"], json!({"/cache": {}, "/data": {}, "/logs": {}}));
    assert_eq!(c["User"], "app:staff");
    assert_eq!(c["WorkingDir"], "/srv/app/sub");
    assert_eq!(c["StopSignal"], "SIGTERM");
    assert_eq!(
        c["Healthcheck"],
        json!({
            "Test": ["CMD-SHELL", "wget -q localhost || exit 1"],
            "Interval": 30 * SECOND,
            "Timeout": 5 * SECOND,
            "StartPeriod": 10 * SECOND,
            "Retries": 4
        })
    );
    assert_eq!(c["Shell"], json!(["/bin/sh", "-ec"]));
    // CMD is not expanded at build time; shell form goes through SHELL.
    assert_eq!(c["Cmd"], json!(["/bin/sh", "-ec", "echo $A"]));
    // ENTRYPOINT keeps a CMD set in the same stage.
    assert_eq!(c["Entrypoint"], json!(["/bin/busybox"]));
    assert_eq!(built.config["author"], "Jane Doe <jane@example.com>");
    // WORKDIR creates missing directories, owned by USER as BuildKit does.
    assert_eq!(built.meta("/srv/app"), "Dir 0755 1000:50");
    assert_eq!(built.meta("/srv/app/sub"), "Dir 0755 1000:50");
    let history = built.config["history"].as_array().expect("history");
    assert_eq!(history.len(), 2 + 16, "{history:#?}");
    compare_with_docker(
        &ctx,
        &built,
        &DockerOptions {
            // The legacy builder creates WORKDIR directories as root; BuildKit (the reference)
            // creates them as the current USER.
            ignore_paths: &["/srv"],
            ..DockerOptions::default()
        },
    );
}

#[test]
fn entrypoint_resets_an_inherited_cmd_and_shell_forms_use_the_default_shell() {
    let ctx = Context::new("FROM {{BASE}}\nENTRYPOINT /bin/echo hello\n");
    let built = build_ok(&ctx, "entrypoint-shell", &[]);
    assert_eq!(
        built.container()["Entrypoint"],
        json!(["/bin/sh", "-c", "/bin/echo hello"])
    );
    assert!(built.container()["Cmd"].is_null(), "{}", built.container());
    compare_with_docker(&ctx, &built, &DockerOptions::default());

    let ctx = Context::new("FROM {{BASE}}\nCMD [\"echo\", \"exec form\"]\nSTOPSIGNAL 9\n");
    let built = build_ok(&ctx, "cmd-exec", &[]);
    assert_eq!(built.container()["Cmd"], json!(["echo", "exec form"]));
    assert_eq!(built.container()["StopSignal"], "9");
    compare_with_docker(&ctx, &built, &DockerOptions::default());
}

/// `--start-interval` is newer than the 20.10 engine, so this case has no docker comparison.
#[test]
fn healthcheck_exec_form_start_interval_and_none() {
    let ctx = Context::new(
        "FROM {{BASE}} AS checked\n\
         HEALTHCHECK --start-interval=3s --retries=2 CMD [\"/bin/true\"]\n\
         FROM checked\n\
         HEALTHCHECK NONE\n",
    );
    let checked = build_ok(&ctx, "healthcheck-checked", &["--target", "checked"]);
    assert_eq!(
        checked.container()["Healthcheck"],
        json!({"Test": ["CMD", "/bin/true"], "StartInterval": 3 * SECOND, "Retries": 2})
    );
    let none = build_ok(&ctx, "healthcheck-none", &[]);
    assert_eq!(none.container()["Healthcheck"], json!({"Test": ["NONE"]}));
}

#[test]
fn arg_scoping_defaults_and_build_arg_overrides() {
    let ctx = Context::new(
        "ARG VERSION=1.0\n\
         ARG ONLY_GLOBAL=g\n\
         FROM {{BASE}} AS first\n\
         ARG VERSION\n\
         ARG LOCAL=default\n\
         ENV SEEN_VERSION=$VERSION SEEN_LOCAL=$LOCAL SEEN_GLOBAL=${ONLY_GLOBAL:-unset}\n\
         FROM {{BASE}}\n\
         ENV SEEN_LOCAL=${LOCAL:-unset}\n\
         ARG OVERRIDE=from-default\n\
         ARG EMPTY\n\
         LABEL override=$OVERRIDE version=${VERSION:-none} empty=${EMPTY:-unset}\n",
    );
    let first = build_ok(&ctx, "args-first", &["--target", "first"]);
    assert_eq!(
        first.container()["Env"],
        json!([
            PATH,
            "SEEN_VERSION=1.0",
            "SEEN_LOCAL=default",
            "SEEN_GLOBAL=unset"
        ])
    );
    let first = build_ok(
        &ctx,
        "args-first-override",
        &[
            "--target",
            "first",
            "--build-arg",
            "VERSION=2.0",
            "--build-arg",
            "LOCAL=cli",
        ],
    );
    assert_eq!(
        first.container()["Env"],
        json!([PATH, "SEEN_VERSION=2.0", "SEEN_LOCAL=cli", "SEEN_GLOBAL=unset"])
    );
    compare_with_docker(
        &ctx,
        &first,
        &DockerOptions {
            build_args: &[("VERSION", "2.0"), ("LOCAL", "cli")],
            target: Some("first"),
            ..DockerOptions::default()
        },
    );

    let last = build_ok(&ctx, "args-last", &["--build-arg", "OVERRIDE=cli"]);
    assert_eq!(last.container()["Env"], json!([PATH, "SEEN_LOCAL=unset"]));
    assert_eq!(
        last.container()["Labels"],
        json!({"empty": "unset", "override": "cli", "version": "none"})
    );
    // ARG values do not persist in the image.
    assert!(!last.container().to_string().contains("from-default"));
    compare_with_docker(
        &ctx,
        &last,
        &DockerOptions {
            build_args: &[("OVERRIDE", "cli")],
            ..DockerOptions::default()
        },
    );
}

#[test]
fn from_expands_args_names_stages_and_pulls_another_platform() {
    let ctx = Context::new(
        "ARG BASE_IMAGE={{BASE}}\n\
         ARG MULTI={{INDEX}}\n\
         FROM --platform=linux/arm64 ${MULTI} AS arm\n\
         FROM ${BASE_IMAGE} AS base\n\
         COPY --from=arm /bin/busybox /busybox-arm64\n\
         FROM base AS final\n\
         LABEL stage=final\n",
    );
    let built = build_ok(&ctx, "from-args-platform", &[]);
    assert_eq!(built.config["architecture"], "amd64");
    assert_eq!(
        format!(
            "sha256:{}",
            built.snapshot.entry("/busybox-arm64").sha256.as_deref().unwrap()
        ),
        common::images::sha256_digest(&common::images::busybox_binary("arm64"))
    );
    assert_eq!(
        format!(
            "sha256:{}",
            built.snapshot.entry("/bin/busybox").sha256.as_deref().unwrap()
        ),
        common::images::sha256_digest(&common::images::busybox_binary("amd64"))
    );
    assert_eq!(built.container()["Labels"], json!({"stage": "final"}));
    // The final stage builds on the named stage's layers: base layer + the COPY.
    assert_eq!(built.manifest["layers"].as_array().map(Vec::len), Some(2));
}

#[test]
fn onbuild_triggers_run_when_the_image_is_a_base() {
    let parent_ctx = Context::new(
        "FROM {{BASE}}\n\
         ONBUILD COPY trigger.txt /from-trigger.txt\n\
         ONBUILD LABEL triggered=yes\n\
         LABEL parent=yes\n",
    );
    let parent = build_ok(&parent_ctx, "onbuild-parent", &[]);
    assert_eq!(
        parent.container()["OnBuild"],
        json!(["COPY trigger.txt /from-trigger.txt", "LABEL triggered=yes"])
    );
    assert!(parent.snapshot.get("/from-trigger.txt").is_none());
    compare_with_docker(&parent_ctx, &parent, &DockerOptions::default());

    let child_ctx = Context::new(&format!("FROM {}\nLABEL child=yes\n", parent.reference))
        .file("trigger.txt", "triggered\n");
    let child = build_ok(&child_ctx, "onbuild-child", &[]);
    assert_eq!(child.text("/from-trigger.txt"), "triggered\n");
    assert_eq!(child.meta("/from-trigger.txt"), "File 0644 0:0");
    assert_eq!(
        child.container()["Labels"],
        json!({"child": "yes", "parent": "yes", "triggered": "yes"})
    );
    // Triggers run once: the child does not pass them on.
    assert!(child.container()["OnBuild"].as_array().is_none_or(Vec::is_empty));
    compare_with_docker(&child_ctx, &child, &DockerOptions::default());

    // A trigger whose source is missing fails the child build.
    let err = build_err(&Context::new(&format!("FROM {}\n", parent.reference)), &[]);
    assert!(err.contains("trigger.txt"), "{err}");
}

#[test]
fn workdir_is_created_once_and_existing_directories_are_kept() {
    let ctx = Context::new(
        "FROM {{BASE}}\n\
         WORKDIR /home/app\n\
         WORKDIR /new/deep/dir\n\
         WORKDIR ../other\n",
    );
    let built = build_ok(&ctx, "workdir", &[]);
    assert_eq!(built.container()["WorkingDir"], "/new/deep/other");
    for dir in ["/new", "/new/deep", "/new/deep/dir", "/new/deep/other"] {
        assert_eq!(built.snapshot.entry(dir).kind, EntryKind::Dir, "{dir}");
        assert_eq!(built.meta(dir), "Dir 0755 0:0");
    }
    // /home/app existed: no layer for it; the two new paths make one layer each.
    assert_eq!(built.manifest["layers"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        built.changed_paths(),
        ["/new", "/new/deep", "/new/deep/dir", "/new/deep/other"]
    );
    compare_with_docker(&ctx, &built, &DockerOptions::default());
}
