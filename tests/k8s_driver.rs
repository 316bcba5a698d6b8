// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko k8s`: one Job per platform against a stand-in Kubernetes API and kubelet (the real REST
//! protocol; no cluster can run here) and the real test registry. The context travels through the
//! registry, each pod is pinned with `nodeSelector: kubernetes.io/arch`, its digest comes back as
//! its termination message, and the index lists both platforms. Failures (a failing build, a
//! platform no node can run) push nothing, say why, and leave no Job behind.

mod common;

use std::process::{Command, Output};

use common::kaniko::{bases, unique_repo, Built, Context};
use common::kube_api::KubeApi;
use common::tools;
use serde_json::Value;

fn kaniko_k8s(api: &KubeApi, ctx: &Context, args: &[&str]) -> Output {
    kaniko_k8s_with_env(api, ctx, args, &[])
}

fn kaniko_k8s_with_env(api: &KubeApi, ctx: &Context, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.envs(env.iter().copied());
    cmd.arg("k8s")
        .arg("--context")
        .arg(ctx.dir())
        .args(["--insecure-registry", &bases().registry.host()])
        .args(["--k8s-poll-interval", "200ms", "--log-format", "text"])
        .args(["--build-arg", &format!("BASE={}", bases().images.index)])
        .args(args)
        .env("KUBECONFIG", api.kubeconfig("builds"))
        .env_remove("KANIKO_DIR");
    tools::run(&mut cmd)
}

/// The executor's arguments in a created Job.
fn container_args(job: &Value) -> Vec<String> {
    job["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

/// The build request a Job's pod runs (the JSON after `--build-request`).
fn pod_request(job: &Value) -> Value {
    let args = container_args(job);
    assert_eq!(args[0], "build", "{args:?}");
    serde_json::from_str(flag_value(&args, "--build-request")).unwrap()
}

/// The word after `flag` in `args`.
fn flag_value<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{flag} not in {args:?}"));
    &args[at + 1]
}

const DOCKERFILE: &str = "ARG BASE\n\
FROM --platform=$BUILDPLATFORM ${BASE} AS build\n\
ARG TARGETPLATFORM\n\
COPY greeting.txt /src/\n\
RUN mkdir /out && { cat /src/greeting.txt; echo \"for ${TARGETPLATFORM}\"; } > /out/message\n\
FROM ${BASE}\n\
COPY --from=build /out/message /message\n";

#[test]
fn k8s_driver_builds_each_platform_in_a_pinned_job() {
    let api = KubeApi::start(&["amd64", "arm64"], env!("CARGO_BIN_EXE_kaniko").as_ref());
    let ctx = Context::new(DOCKERFILE)
        .file("Dockerfile", DOCKERFILE)
        .file("greeting.txt", "hello from a pod\n");
    let repo = format!("{}/{}", bases().registry.host(), unique_repo("k8s"));
    let out = kaniko_k8s(
        &api,
        &ctx,
        &[
            "--multi-platform",
            "linux/amd64,linux/arm64",
            "--destination",
            &format!("{repo}:1.0"),
        ],
    );
    let log = tools::output_text(&out);
    assert!(out.status.success(), "{log}");

    let index = tools::skopeo_inspect_raw_json(&format!("{repo}:1.0"));
    assert_eq!(index["mediaType"], "application/vnd.oci.image.index.v1+json");
    for arch in ["amd64", "arm64"] {
        let entry = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["platform"]["architecture"] == arch)
            .unwrap_or_else(|| panic!("no {arch} in {index}"));
        let image = Built::read(&format!("{repo}@{}", entry["digest"].as_str().unwrap()));
        assert_eq!(image.config["architecture"], arch);
        assert_eq!(
            image.text("/message"),
            format!("hello from a pod\nfor linux/{arch}\n")
        );
    }

    // One Job per platform, pinned to its architecture, building from the uploaded context image
    // and reporting through the termination log; all deleted afterwards.
    let jobs = api.created_jobs();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    let mut arches = Vec::new();
    for job in &jobs {
        let pod = &job["spec"]["template"]["spec"];
        let arch = pod["nodeSelector"]["kubernetes.io/arch"]
            .as_str()
            .unwrap()
            .to_owned();
        let request = pod_request(job);
        assert_eq!(request["platform"]["architecture"], arch.as_str(), "{request}");
        assert_eq!(request["platform"]["os"], "linux");
        assert!(
            request["source"]["context"]
                .as_str()
                .unwrap()
                .starts_with(&format!("docker-image://{repo}@sha256:")),
            "{request}"
        );
        assert_eq!(
            request["outputs"]["records"]["digest_file"],
            "/dev/termination-log"
        );
        assert_eq!(request["outputs"]["push_by_digest"], true, "{request}");
        assert_eq!(request["outputs"]["destinations"][0], format!("{repo}:1.0"));
        assert_eq!(
            job["metadata"]["namespace"],
            Value::Null,
            "the client names the namespace in the path"
        );
        arches.push(arch);
    }
    arches.sort();
    assert_eq!(arches, ["amd64", "arm64"]);
    assert!(api.live_jobs().is_empty(), "left behind: {:?}", api.live_jobs());
    assert_eq!(api.deleted_jobs().len(), 2);
    assert_eq!(api.unauthorized(), 0);
}

#[test]
fn k8s_failures_push_nothing_and_clean_up() {
    let api = KubeApi::start(&["amd64", "arm64"], env!("CARGO_BIN_EXE_kaniko").as_ref());
    let repo = format!("{}/{}", bases().registry.host(), unique_repo("k8s-bad"));
    let dest = format!("{repo}:must-not-exist");

    // The build fails inside the pods: the error quotes the pod's log.
    let broken = "ARG BASE\nFROM ${BASE}\nCOPY missing.txt /\n";
    let failing = Context::new(broken).file("Dockerfile", broken);
    let out = kaniko_k8s(
        &api,
        &failing,
        &[
            "--multi-platform",
            "linux/amd64,linux/arm64",
            "--destination",
            &dest,
        ],
    );
    let log = tools::output_text(&out);
    assert!(!out.status.success(), "{log}");
    assert!(log.contains("the executor exited with code 1"), "{log}");
    assert!(log.contains("missing.txt"), "the pod's log is quoted: {log}");

    // No node has the architecture: the scheduler's message, then the timeout.
    let simple = "ARG BASE\nFROM ${BASE}\nENV OK=1\n";
    let ctx = Context::new(simple).file("Dockerfile", simple);
    let out = kaniko_k8s(
        &api,
        &ctx,
        &[
            "--multi-platform",
            "linux/amd64,linux/s390x",
            "--destination",
            &dest,
            "--k8s-timeout",
            "4s",
        ],
    );
    let log = tools::output_text(&out);
    assert!(!out.status.success(), "{log}");
    assert!(log.contains("timed out after 4s"), "{log}");
    assert!(log.contains("linux/s390x"), "{log}");
    assert!(log.contains("didn't match Pod's node affinity/selector"), "{log}");

    assert!(!tools::skopeo_exists(&dest), "a failed run pushed the tag");
    assert!(api.live_jobs().is_empty(), "left behind: {:?}", api.live_jobs());

    // Flags the pods could not honour are refused before anything is created.
    let before = api.created_jobs().len();
    let outside = ctx.dockerfile_path().display().to_string();
    for (args, expected) in [
        (
            vec![
                "--multi-platform",
                "linux/amd64",
                "--destination",
                dest.as_str(),
                "--dockerfile",
                outside.as_str(),
            ],
            "is outside the build context",
        ),
        (vec!["--destination", dest.as_str()], "--multi-platform"),
        (
            vec!["--multi-platform", "linux/amd64", "--no-push"],
            "drop --no-push",
        ),
        (
            vec![
                "--multi-platform",
                "linux/amd64",
                "--destination",
                dest.as_str(),
                "--registry-certificate",
                "r.example=/etc/ssl/r.pem",
            ],
            "--registry-certificate",
        ),
    ] {
        let out = kaniko_k8s(&api, &ctx, &args);
        assert!(!out.status.success());
        assert!(
            tools::output_text(&out).contains(expected),
            "{expected}: {}",
            tools::output_text(&out)
        );
    }
    assert_eq!(api.created_jobs().len(), before);

    // Without any Kubernetes configuration the error says where it looked.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.args([
        "k8s",
        "--multi-platform",
        "linux/amd64",
        "--destination",
        &dest,
        "--context",
    ])
    .arg(ctx.dir())
    .env("KUBECONFIG", "/nonexistent/kubeconfig")
    .env("HOME", "/nonexistent")
    .env_remove("KUBERNETES_SERVICE_HOST");
    let out = tools::run(&mut cmd);
    assert!(!out.status.success());
    assert!(
        tools::output_text(&out).contains("no Kubernetes configuration"),
        "{}",
        tools::output_text(&out)
    );
}

/// With `--context-sub-path`, the pods get the whole directory plus the sub path, and the
/// Dockerfile is named relative to the sub path, as a build in the pod resolves it.
#[test]
fn k8s_driver_honours_the_context_sub_path() {
    let api = KubeApi::start(&["amd64"], env!("CARGO_BIN_EXE_kaniko").as_ref());
    let dockerfile = "ARG BASE\nFROM ${BASE}\nCOPY only-here.txt /only-here.txt\n";
    let ctx = Context::new(dockerfile)
        .file("app/Dockerfile", dockerfile)
        .file("app/only-here.txt", "from the sub path\n");
    let repo = format!("{}/{}", bases().registry.host(), unique_repo("k8s-subpath"));
    let out = kaniko_k8s(
        &api,
        &ctx,
        &[
            "--multi-platform",
            "linux/amd64",
            "--context-sub-path",
            "app",
            "--destination",
            &format!("{repo}:1.0"),
        ],
    );
    assert!(out.status.success(), "{}", tools::output_text(&out));
    let request = pod_request(&api.created_jobs()[0]);
    assert_eq!(request["source"]["dockerfile"], "Dockerfile", "{request}");
    assert_eq!(request["source"]["context_sub_path"], "app", "{request}");
    let index = tools::skopeo_inspect_raw_json(&format!("{repo}:1.0"));
    let image = Built::read(&format!(
        "{repo}@{}",
        index["manifests"][0]["digest"].as_str().unwrap()
    ));
    assert_eq!(image.text("/only-here.txt"), "from the sub path\n");
}

/// What the local environment decides travels resolved: `--build-arg KEY` takes its value from this
/// process's environment and `--reproducible` its epoch from SOURCE_DATE_EPOCH, and the pods (whose
/// environment has neither) build with those values.
#[test]
fn k8s_pods_build_with_values_resolved_from_the_local_environment() {
    let api = KubeApi::start(&["amd64"], env!("CARGO_BIN_EXE_kaniko").as_ref());
    let dockerfile = "ARG BASE\nFROM ${BASE}\nARG KEY\nENV FROM_KEY=${KEY}\nCOPY hello.txt /hello.txt\n";
    let ctx = Context::new(dockerfile)
        .file("Dockerfile", dockerfile)
        .file("hello.txt", "hello\n");
    let repo = format!("{}/{}", bases().registry.host(), unique_repo("k8s-env"));
    let out = kaniko_k8s_with_env(
        &api,
        &ctx,
        &[
            "--multi-platform",
            "linux/amd64",
            "--build-arg",
            "KEY",
            "--reproducible",
            "--destination",
            &format!("{repo}:1.0"),
        ],
        &[
            ("KEY", "value from the local environment"),
            ("SOURCE_DATE_EPOCH", "1700000000"),
        ],
    );
    assert!(out.status.success(), "{}", tools::output_text(&out));
    let request = pod_request(&api.created_jobs()[0]);
    assert_eq!(request["build_args"]["KEY"], "value from the local environment");
    assert_eq!(request["reproducible_epoch"], 1_700_000_000);

    let index = tools::skopeo_inspect_raw_json(&format!("{repo}:1.0"));
    let image = Built::read(&format!(
        "{repo}@{}",
        index["manifests"][0]["digest"].as_str().unwrap()
    ));
    let env: Vec<&str> = image.config["config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        env.contains(&"FROM_KEY=value from the local environment"),
        "{env:?}"
    );
    assert_eq!(image.config["created"], "2023-11-14T22:13:20Z");
}

/// Build secrets reach the pods through a Kubernetes Secret mounted into them: the Job spec names
/// the Secret and the files, never a value; the Secret is deleted with the Jobs.
#[test]
fn k8s_build_secrets_travel_in_a_secret_object_not_the_job() {
    const FILE_VALUE: &str = "k8s-file-secret-9e4b2c71";
    const ENV_VALUE: &str = "k8s-env-secret-3d8a5f06";
    let api = KubeApi::start(&["amd64"], env!("CARGO_BIN_EXE_kaniko").as_ref());
    let dockerfile = "ARG BASE\nFROM ${BASE}\n\
        RUN --mount=type=secret,id=npmrc,required --mount=type=secret,id=token,env=TOKEN,required \
        { cat /run/secrets/npmrc; echo \" $TOKEN\"; } | sha256sum | cut -c1-64 > /secrets.sum\n";
    let ctx = Context::new(dockerfile).file("Dockerfile", dockerfile);
    let secret_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret_file.path(), FILE_VALUE).unwrap();
    let repo = format!("{}/{}", bases().registry.host(), unique_repo("k8s-secrets"));
    let out = kaniko_k8s_with_env(
        &api,
        &ctx,
        &[
            "--multi-platform",
            "linux/amd64",
            "--secret",
            &format!("id=npmrc,src={}", secret_file.path().display()),
            "--secret",
            "id=token,env=KANIKO_K8S_TOKEN",
            "--destination",
            &format!("{repo}:1.0"),
        ],
        &[("KANIKO_K8S_TOKEN", ENV_VALUE)],
    );
    let log = tools::output_text(&out);
    assert!(out.status.success(), "{log}");

    let index = tools::skopeo_inspect_raw_json(&format!("{repo}:1.0"));
    let image = Built::read(&format!(
        "{repo}@{}",
        index["manifests"][0]["digest"].as_str().unwrap()
    ));
    let expected = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        format!("{FILE_VALUE} {ENV_VALUE}\n").as_bytes(),
    ));
    assert_eq!(image.text("/secrets.sum").trim(), expected);

    // One Secret for the run, holding both values; the Job mounts it and names only files.
    let secrets = api.created_secrets();
    assert_eq!(secrets.len(), 1, "{secrets:?}");
    let secret = &secrets[0];
    let name = secret["metadata"]["name"].as_str().unwrap();
    use base64::Engine as _;
    let values: Vec<String> = secret["data"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| {
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(v.as_str().unwrap())
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();
    assert_eq!(values, [FILE_VALUE, ENV_VALUE]);
    let job = &api.created_jobs()[0];
    let job_text = job.to_string();
    for value in [FILE_VALUE, ENV_VALUE] {
        assert!(!job_text.contains(value), "a secret value is in the Job spec");
        assert!(!log.contains(value), "a secret value is in the log");
        assert!(
            !image.config.to_string().contains(value),
            "a secret value is in the config"
        );
    }
    let pod = &job["spec"]["template"]["spec"];
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["secret"]["secretName"] == name)
        .unwrap_or_else(|| panic!("no volume of Secret {name}: {pod}"));
    assert_eq!(volume["secret"]["defaultMode"], 0o400);
    let request = pod_request(job);
    assert_eq!(request["secrets"][0]["id"], "npmrc");
    assert_eq!(
        request["secrets"][0]["source"]["file"],
        "/kaniko/secrets/secret-0"
    );
    assert_eq!(
        request["secrets"][1]["source"]["file"],
        "/kaniko/secrets/secret-1"
    );
    assert!(
        api.live_secrets().is_empty(),
        "the Secret outlived the run: {:?}",
        api.live_secrets()
    );
    assert!(api.live_jobs().is_empty());
}

/// `kaniko k8s --sign-images`: the pods push unsigned, this process signs each platform's manifest
/// and the index, and neither the key nor its password reaches a Job.
#[test]
fn k8s_signs_every_platform_and_the_index_here_and_jobs_never_see_the_key() {
    const PASSWORD: &str = "k8s-signing-password-5c1e";
    let kaniko = env!("CARGO_BIN_EXE_kaniko");
    let keys = tempfile::tempdir().unwrap();
    let generated = Command::new(kaniko)
        .args(["generate-key-pair", "--output-key-prefix"])
        .arg(keys.path().join("cosign"))
        .env("COSIGN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(generated.status.success(), "{}", tools::output_text(&generated));
    let key = keys.path().join("cosign.key");
    let api = KubeApi::start(&["amd64", "arm64"], kaniko.as_ref());
    let ctx = Context::new(DOCKERFILE)
        .file("Dockerfile", DOCKERFILE)
        .file("greeting.txt", "signed after the pods\n");
    let reference = format!("{}/{}:1.0", bases().registry.host(), unique_repo("k8s-signed"));
    let out = kaniko_k8s_with_env(
        &api,
        &ctx,
        &[
            "--multi-platform",
            "linux/amd64,linux/arm64",
            "--destination",
            &reference,
            "--sign-images",
            "--cosign-key-path",
            key.to_str().unwrap(),
            "--provenance",
        ],
        &[("COSIGN_PASSWORD", PASSWORD), ("GITHUB_SHA", "k8s-facts-1")],
    );
    assert!(out.status.success(), "{}", tools::output_text(&out));

    // The pods attached unsigned provenances; the coordinator signed them: `--provenance` passes.
    let verified = tools::run(
        Command::new(kaniko)
            .args([
                "verify",
                "--provenance",
                "--insecure-registry",
                &bases().registry.host(),
                "--key",
            ])
            .arg(keys.path().join("cosign.pub"))
            .arg(&reference),
    );
    let text = tools::output_text(&verified);
    assert!(verified.status.success(), "{text}");
    for what in ["verified index", "verified linux/amd64", "verified linux/arm64"] {
        assert!(text.contains(what), "{what}: {text}");
    }
    let coordinator = tools::output_text(&out);
    assert_eq!(
        coordinator.matches("provenance signed").count(),
        2,
        "one per platform: {coordinator}"
    );
    let jobs = api.created_jobs();
    assert_eq!(jobs.len(), 2);
    for job in jobs {
        let spec = job.to_string();
        assert!(!spec.contains(PASSWORD) && !spec.contains("cosign.key"), "{spec}");
        // The CI facts travel with the pod's request: its provenance records the coordinator's run.
        assert!(spec.contains("k8s-facts-1"), "{spec}");
    }
}
