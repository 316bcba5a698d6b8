// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! kaniko's registry and snapshot flags doing what they do in kaniko, with the real binary against
//! real registries: `--registry-map` and `--skip-default-registry-fallback` between two registries,
//! `--registry-client-cert` against a registry requiring client certificates, and
//! `--push-ignore-immutable-tag-errors` against a stand-in refusing to move tags; then
//! `--ignore-var-run` (and `--whitelist-var-run`) and `--force-build-metadata` in the built image.

mod common;

use common::images::push_base_images;
use common::kaniko::{bases, build_ok, kaniko, kaniko_ok, unique_repo, Built, Context};
use common::registry::Registry;

fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    )
}

/// A context building `FROM base` with one COPY (no RUN: no isolation needed).
fn copy_onto(base: &str) -> Context {
    Context::new(&format!("FROM {base}\nCOPY f /f\n")).file("f", "remapped\n")
}

#[test]
fn a_registry_map_serves_the_base_from_another_registry() {
    let empty = Registry::start();
    // The image names the empty registry; the map sends the pull to the one holding the base.
    let ctx = copy_onto(&format!("{}/busybox:amd64", empty.host()));
    let map = format!("--registry-map={}={}", empty.host(), bases().registry.host());
    let built = build_ok(&ctx, "registry-map", &[&map]);
    assert_eq!(built.text("/f"), "remapped\n");
    assert!(
        !empty.logs().contains("/v2/busybox/manifests/"),
        "the original registry was asked although its remap served the image:\n{}",
        empty.logs()
    );
}

#[test]
fn a_failing_map_falls_back_to_the_original_unless_told_not_to() {
    let empty = Registry::start();
    let base = bases().images.amd64.clone();
    let ctx = copy_onto(&base);
    // kaniko's `a=b;a=c` syntax: two remaps of one registry, both lacking the image.
    let map = format!(
        "--registry-map={orig}={e};{orig}={e}/second",
        orig = bases().registry.host(),
        e = empty.host()
    );
    kaniko_ok(&ctx, &["--no-push", &map]);
    let logs = empty.logs();
    assert!(logs.contains("/v2/busybox/manifests/amd64"), "{logs}");
    assert!(logs.contains("/v2/second/busybox/manifests/amd64"), "{logs}");

    let out = kaniko(&ctx, &["--no-push", &map, "--skip-default-registry-fallback"]);
    let text = output_text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("--skip-default-registry-fallback"), "{text}");
    for tried in [
        format!("{}/busybox:amd64", empty.host()),
        format!("{}/second/busybox:amd64", empty.host()),
    ] {
        assert!(text.contains(&tried), "the error names {tried}:\n{text}");
    }
    assert!(
        text.contains("404"),
        "the error says why each remap failed:\n{text}"
    );
}

#[test]
fn a_client_certificate_opens_a_registry_that_requires_one() {
    let registry = Registry::start_mutual_tls();
    let images = push_base_images(&registry);
    let ctx = copy_onto(&images.amd64);
    let host = registry.host();
    let (cert, key) = registry.client_cert_paths();
    let trust = format!(
        "--registry-certificate={host}={}",
        registry.ca_cert_path().display()
    );
    let client = format!(
        "--registry-client-cert={host}={},{}",
        cert.display(),
        key.display()
    );
    let destination = format!("--destination={host}/mtls/app:1");
    kaniko_ok(&ctx, &[&trust, &client, &destination]);
    let (status, body) = registry.get("/v2/mtls/app/tags/list").unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("\"1\""));

    // Without the certificate the registry refuses the connection, and the error says where.
    let out = kaniko(&ctx, &[&trust, &destination]);
    let text = output_text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains(&host), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_immutable_tag_refusal_is_ignored_only_when_asked() {
    let body = r#"{"errors":[{"code":"TAG_INVALID","message":"The image tag '1' already exists in the 'immutable/app' repository and cannot be overwritten because the repository is immutable."}]}"#;
    let refusal = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (addr, task) = common::proxy::refusing_tag_pushes(bases().registry.addr(), refusal).await;
    let ctx = copy_onto(&bases().images.amd64);
    let destination = format!("--destination={addr}/{}:1", unique_repo("immutable"));
    let scratch = ctx.scratch();
    let digest_file = scratch.join("digest");
    let run = |extra: Vec<String>| {
        let mut args = vec![destination.clone()];
        args.extend(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kaniko(&ctx, &args)
    };
    let out = tokio::task::block_in_place(|| run(Vec::new()));
    let text = output_text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("TAG_INVALID") && text.contains("immutable"),
        "{text}"
    );

    let out = tokio::task::block_in_place(|| {
        run(vec![
            "--push-ignore-immutable-tag-errors".into(),
            format!("--digest-file={}", digest_file.display()),
        ])
    });
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("push ignored (--push-ignore-immutable-tag-errors)"),
        "{text}"
    );
    let digest = std::fs::read_to_string(&digest_file).unwrap();
    assert!(
        digest.starts_with("sha256:"),
        "the records are still written: {digest:?}"
    );
    task.abort();
}

/// `RUN` replacing the base's `/var/run -> /run` link with a directory holding a file.
const VAR_RUN: &str =
    "FROM {{BASE}}\nRUN rm /var/run && mkdir /var/run && echo 1 > /var/run/x.pid && echo kept > /kept\n";

#[test]
fn var_run_is_left_out_of_snapshots_by_default_as_in_kaniko() {
    let built = build_ok(&Context::new(VAR_RUN), "ignore-var-run", &[]);
    assert_eq!(built.text("/kept"), "kept\n");
    assert_eq!(built.meta("/var/run"), "Symlink 0777 0:0 -> /run");
    assert!(!built.paths_under("/run").iter().any(|p| p.ends_with("x.pid")));
}

#[test]
fn ignore_var_run_false_and_its_old_spelling_keep_var_run() {
    for flag in ["--ignore-var-run=false", "--whitelist-var-run=false"] {
        let built = build_ok(&Context::new(VAR_RUN), "keep-var-run", &[flag]);
        assert_eq!(built.meta("/var/run"), "Dir 0755 0:0", "{flag}");
        assert_eq!(built.text("/var/run/x.pid"), "1\n", "{flag}");
    }
}

fn layer_count(built: &Built) -> usize {
    built.manifest["layers"].as_array().map_or(0, Vec::len)
}

fn empty_layer_entries(built: &Built) -> usize {
    (built.config["history"].as_array().into_iter().flatten())
        .filter(|h| h["empty_layer"] == serde_json::Value::Bool(true))
        .count()
}

#[test]
fn force_build_metadata_gives_every_instruction_a_layer() {
    let dockerfile = "FROM {{BASE}}\nENV A=1\nLABEL team=a\nRUN true\nCOPY f /f\n";
    let plain = build_ok(
        &Context::new(dockerfile).file("f", "x"),
        "no-forced-metadata",
        &[],
    );
    // The base's layer and COPY's; ENV, LABEL and the RUN that changed nothing are history only.
    assert_eq!(layer_count(&plain), 2);
    let forced = build_ok(
        &Context::new(dockerfile).file("f", "x"),
        "forced-metadata",
        &["--force-build-metadata"],
    );
    assert_eq!(layer_count(&forced), 5);
    assert_eq!(empty_layer_entries(&forced) + 3, empty_layer_entries(&plain));
    assert_eq!(forced.config["config"]["Labels"]["team"], "a");
    assert_eq!(forced.text("/f"), "x");
}
