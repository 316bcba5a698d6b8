// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The GitHub Action (`action.yml` + `action/entrypoint.sh`), the reusable workflow
//! (`.github/workflows/kaniko-multiarch.yml`) and the example workflow (`examples/github/`).
//!
//! The definitions are read as YAML and checked for what GitHub would do with them: every input
//! reaches the script, every output comes from it, and both workflows have the shape of Docker's
//! multi-runner recipe. Then the script itself runs the recipe against a TLS + basic-auth registry
//! with a simulated runner (`RUNNER_ARCH`, `RUNNER_TEMP`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, the
//! inputs as `INPUT_*`): as root, each step runs as the unprivileged user `kaniko-test`, like
//! GitHub's `runner`, with a fake `sudo` on `PATH` that records its arguments and runs the rest.
//! Each job gets its own runner directories; the merge job's digests directory is what
//! download-artifact with `merge-multiple` would make of the legs' uploads.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use common::ci::{
    cosign_keys, load_yaml, read_json, release_version, repo_path, write_context, CiRegistry, FakeKaniko,
    MEDIA_DOCKER_MANIFEST, MEDIA_DOCKER_MANIFEST_LIST, PASSWORD, USER,
};
use common::gha_runner::{input_var, RunnerJob, Step, SCRIPT};
use common::gha_workflow::{run_workflow, Trigger, WorkflowRun};
use common::isolation::is_root;
use common::tools;

/// A file holding the value of the AppArmor user-namespace sysctl, for KANIKO_ACTION_USERNS_SYSCTL.
fn sysctl_file(dir: &Path, value: &str) -> String {
    let path = dir.join(format!("apparmor_restrict_unprivileged_userns-{value}"));
    fs_err::write(&path, format!("{value}\n")).expect("write sysctl file");
    path.to_string_lossy().into_owned()
}

/// A release directory as GitHub serves it (`v<version>/kaniko-<triple>` and its `.sha256`),
/// holding the binary under test; returns its `file://` base URL.
fn fake_release(dir: &Path, triple: &str, checksum: Option<&str>) -> String {
    let release = dir.join(format!("release/v{}", release_version()));
    fs_err::create_dir_all(&release).expect("create release dir");
    let asset = release.join(format!("kaniko-{triple}"));
    fs_err::copy(env!("CARGO_BIN_EXE_kaniko"), &asset).expect("copy the binary");
    let sha = match checksum {
        Some(sha) => sha.to_owned(),
        None => common::images::sha256_digest(&fs_err::read(&asset).expect("read asset"))[7..].to_owned(),
    };
    fs_err::write(
        release.join(format!("kaniko-{triple}.sha256")),
        format!("{sha}  kaniko-{triple}\n"),
    )
    .expect("write checksum");
    for d in [dir.join("release"), release.clone()] {
        fs_err::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod release dir");
    }
    format!("file://{}", dir.join("release").display())
}

fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn action_yml_hands_every_input_to_the_script_and_every_output_back() {
    let action = load_yaml(&repo_path("action.yml"));
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().expect("runs.steps");
    assert_eq!(steps.len(), 1, "action.yml stays one step calling the script");
    let step = &steps[0];
    assert_eq!(step["shell"], "bash");
    assert_eq!(step["run"], format!("bash \"$GITHUB_ACTION_PATH/{SCRIPT}\""));
    let step_id = step["id"].as_str().expect("step id");
    let env = step["env"].as_object().expect("step env");
    let script = fs_err::read_to_string(repo_path(SCRIPT)).expect("read the script");

    let inputs = action["inputs"].as_object().expect("inputs");
    for (name, spec) in inputs {
        let var = input_var(name);
        assert_eq!(
            env.get(&var).and_then(Value::as_str),
            Some(format!("${{{{ inputs.{name} }}}}").as_str()),
            "input {name} is not passed as {var}"
        );
        assert!(script.contains(&var), "the script never reads {var}");
        assert!(
            spec["description"].as_str().is_some_and(|d| !d.is_empty()),
            "input {name} has no description"
        );
    }
    // Nothing the script reads is missing from action.yml, nothing passed is stale.
    let read_by_script: std::collections::BTreeSet<String> = script
        .match_indices("INPUT_")
        .map(|(i, _)| {
            script[i..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect::<String>()
        })
        // The script's comments speak of INPUT_<NAME>.
        .filter(|var| var.len() > "INPUT_".len())
        .collect();
    for var in &read_by_script {
        assert!(
            env.contains_key(var),
            "the script reads {var}, which action.yml does not pass"
        );
    }
    for var in env.keys().filter(|k| k.starts_with("INPUT_")) {
        assert!(
            read_by_script.contains(var),
            "action.yml passes {var}, which nothing reads"
        );
    }
    // docker/build-push-action's vocabulary, plus what the matrix recipe needs.
    for name in [
        "context",
        "file",
        "tags",
        "build-args",
        "labels",
        "target",
        "secrets",
        "secret-files",
        "secret-envs",
        "push",
        "push-by-digest",
        "annotations",
        "outputs",
        "tar-path",
        "platforms",
        "mode",
        "digests",
        "oci-mode",
        "cache",
        "cache-repo",
        "cache-ttl",
        "binary",
        "extra-args",
    ] {
        assert!(inputs.contains_key(name), "action.yml lacks the input {name}");
    }

    let outputs = action["outputs"].as_object().expect("outputs");
    for name in ["digest", "imageid", "metadata"] {
        assert!(outputs.contains_key(name), "action.yml lacks the output {name}");
    }
    for (name, spec) in outputs {
        assert_eq!(
            spec["value"],
            format!("${{{{ steps.{step_id}.outputs.{name} }}}}"),
            "output {name}"
        );
        assert!(
            script.contains(&format!("output {name} ")),
            "the script never writes the output {name}"
        );
    }
}

/// The expression `${{ inputs.NAME }}` replaced by the input's default, for reusable workflows.
fn with_input_defaults(workflow: &Value, text: &str) -> String {
    let mut text = text.to_owned();
    if let Some(inputs) = workflow["on"]["workflow_call"]["inputs"].as_object() {
        for (name, spec) in inputs {
            if let Some(default) = spec["default"].as_str() {
                text = text.replace(&format!("${{{{ inputs.{name} }}}}"), default);
            }
        }
    }
    text
}

fn find_step<'a>(steps: &'a [Value], uses_prefix: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(uses_prefix)))
        .unwrap_or_else(|| panic!("no step uses {uses_prefix}*"))
}

/// Docker's multi-runner recipe: a matrix job per platform on a runner of that architecture that
/// pushes by digest and uploads `digests-<os>-<arch>`, and a merge job that needs it, downloads
/// every `digests-*` into one directory and aggregates from there. `action` is how the workflow
/// refers to the kaniko-rs action.
fn assert_multi_runner_recipe(workflow: &Value, action: &str) {
    let jobs = workflow["jobs"].as_object().expect("jobs");
    let (build_name, build) = jobs
        .iter()
        .find(|(_, j)| !j["strategy"]["matrix"].is_null())
        .expect("a matrix job");
    // A literal matrix (the examples) has the recipe's two legs; the reusable workflow computes its
    // own from the platforms input, which its tests run.
    if let Some(include) = build["strategy"]["matrix"]["include"].as_array() {
        let legs: BTreeMap<String, String> = include
            .iter()
            .map(|leg| {
                let platform = leg["platform"].as_str().expect("leg platform").to_owned();
                let runner = with_input_defaults(workflow, leg["runner"].as_str().expect("leg runner"));
                (platform, runner)
            })
            .collect();
        let expected: BTreeMap<String, String> = [
            ("linux/amd64", "ubuntu-24.04"),
            ("linux/arm64", "ubuntu-24.04-arm"),
        ]
        .into_iter()
        .map(|(p, r)| (p.to_owned(), r.to_owned()))
        .collect();
        assert_eq!(legs, expected);
    }
    assert_eq!(build["runs-on"], "${{ matrix.runner }}");
    let steps = build["steps"].as_array().expect("build steps");
    let kaniko = find_step(steps, action);
    let id = kaniko["id"].as_str().expect("the build step has an id");
    let with = &kaniko["with"];
    assert!(with["mode"].is_null() || with["mode"] == "build", "{with:#}");
    assert_eq!(with["platforms"], "${{ matrix.platform }}");
    assert!(
        !(with["push"] == Value::Bool(false) || with["push"].is_null() || with["push"] == "false"),
        "{with:#}"
    );
    // A leg pushes by digest and leaves the tags to the merge job.
    assert!(
        with["push-by-digest"] == Value::Bool(true) || with["push-by-digest"] == "true",
        "{with:#}"
    );
    let upload = find_step(steps, "actions/upload-artifact@");
    assert_eq!(
        upload["with"]["name"],
        format!("digests-${{{{ steps.{id}.outputs.platform-pair }}}}")
    );
    assert_eq!(
        upload["with"]["path"],
        format!("${{{{ steps.{id}.outputs.digests-dir }}}}/*")
    );

    let (_, merge) = jobs
        .iter()
        .find(|(_, j)| {
            j["needs"] == build_name.as_str()
                || j["needs"]
                    .as_array()
                    .is_some_and(|n| n.contains(&Value::from(build_name.as_str())))
        })
        .expect("a job that needs the matrix job");
    let steps = merge["steps"].as_array().expect("merge steps");
    let download = find_step(steps, "actions/download-artifact@");
    assert_eq!(download["with"]["pattern"], "digests-*");
    assert_eq!(download["with"]["merge-multiple"], true);
    let aggregate = find_step(steps, action);
    assert_eq!(aggregate["with"]["mode"], "aggregate");
    assert_eq!(aggregate["with"]["digests"], download["with"]["path"]);
}

#[test]
fn reusable_workflow_follows_the_multi_runner_recipe() {
    let workflow = load_yaml(&repo_path(".github/workflows/kaniko-multiarch.yml"));
    let call = &workflow["on"]["workflow_call"];
    assert!(call.is_object(), "not a reusable workflow: {workflow:#}");
    assert_multi_runner_recipe(&workflow, "./.kaniko-action");
    // The cache inputs reach the action's build step (its per-architecture repositories).
    let build_steps = workflow["jobs"]["build"]["steps"]
        .as_array()
        .expect("build steps");
    let with = &find_step(build_steps, "./.kaniko-action")["with"];
    for name in ["cache", "cache-repo", "cache-ttl"] {
        assert!(
            call["inputs"][name].is_object(),
            "the workflow lacks the input {name}"
        );
        assert_eq!(with[name], format!("${{{{ inputs.{name} }}}}"), "{with:#}");
    }
    assert_eq!(call["inputs"]["cache"]["default"], false);
    // Build secrets cross the call as a secret of the workflow, and reach only the build step.
    assert!(
        call["secrets"]["build-secrets"].is_object(),
        "the workflow lacks the secret build-secrets"
    );
    assert_eq!(with["secrets"], "${{ secrets.build-secrets }}", "{with:#}");
    let merge_steps = workflow["jobs"]["merge"]["steps"]
        .as_array()
        .expect("merge steps");
    let merge_with = &find_step(merge_steps, "./.kaniko-action")["with"];
    assert!(merge_with["secrets"].is_null(), "{merge_with:#}");
    // The action it checks out is the one of the ref it was called at (the prepare job finds it;
    // the tests below run it), and the merge job publishes its digest.
    assert_eq!(call["inputs"]["kaniko-ref"]["default"], "");
    for job in ["build", "merge"] {
        let steps = workflow["jobs"][job]["steps"].as_array().expect("steps");
        let checkout = steps
            .iter()
            .find(|s| s["with"]["path"] == ".kaniko-action")
            .expect("the action's checkout");
        assert_eq!(checkout["with"]["ref"], "${{ needs.prepare.outputs.kaniko-ref }}");
    }
    // Each job gets its own extra flags.
    assert_eq!(with["extra-args"], "${{ inputs.build-extra-args }}");
    assert_eq!(merge_with["extra-args"], "${{ inputs.aggregate-extra-args }}");
    assert_eq!(
        call["outputs"]["digest"]["value"],
        "${{ jobs.merge.outputs.digest }}"
    );
}

#[test]
fn example_workflow_follows_the_multi_runner_recipe() {
    let workflow = load_yaml(&repo_path("examples/github/multiarch.yml"));
    assert_multi_runner_recipe(&workflow, &format!("kaniko-rs/kaniko-rs@v{}", release_version()));
    let readme = fs_err::read_to_string(repo_path("examples/github/README.md")).expect("README");
    assert!(readme.contains("multiarch.yml") && readme.contains("kaniko-multiarch.yml"));
}

#[test]
fn matrix_legs_push_by_digest_and_the_merge_job_publishes_an_index() {
    let ci = CiRegistry::start();
    let repo = ci.unique_repo("ci/action");
    let binary = env!("CARGO_BIN_EXE_kaniko");
    let common_inputs = |job: &RunnerJob| -> Vec<(&'static str, String)> {
        let context = job.path("workspace/app");
        write_context(&context, &ci.base.index);
        vec![
            ("context", "app".to_owned()),
            ("tags", format!("{repo}:ignored-by-push-by-digest")),
            ("build-args", "VERSION=1.2.3\n".to_owned()),
            (
                "labels",
                "org.example.team=ci\norg.example.note=a, b\n".to_owned(),
            ),
            ("push", "true".to_owned()),
            ("push-by-digest", "true".to_owned()),
            ("registry", ci.host()),
            ("username", USER.to_owned()),
            ("password", PASSWORD.to_owned()),
        ]
    };
    let ca = ci.ca_cert.to_string_lossy().into_owned();

    // linux/amd64 on an X64 runner whose kernel restricts user namespaces: sudo + chroot.
    let amd64_job = RunnerJob::new("X64");
    let restricted = sysctl_file(&amd64_job.path("home"), "1");
    let mut inputs = common_inputs(&amd64_job);
    inputs.push(("platforms", "linux/amd64".to_owned()));
    inputs.push(("binary", binary.to_owned()));
    inputs.push(("cache", "true".to_owned()));
    inputs.push(("cache-ttl", "24h".to_owned()));
    let inputs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let amd64 = amd64_job
        .step(
            &inputs,
            &[
                ("KANIKO_ACTION_USERNS_SYSCTL", restricted.as_str()),
                ("SSL_CERT_FILE", ca.as_str()),
            ],
        )
        .assert_ok();
    assert_eq!(amd64.output("isolation"), "chroot", "{}", amd64.log);
    assert!(
        amd64
            .log
            .contains("kernel.apparmor_restrict_unprivileged_userns=1"),
        "the log does not say why:\n{}",
        amd64.log
    );
    let sudo = amd64_job.sudo_calls();
    assert!(
        sudo.iter().any(|c| c.starts_with(&format!("-E {binary} build "))
            && c.contains("--isolation=chroot")
            && c.contains("--push-by-digest")),
        "kaniko did not run through sudo -E with --isolation=chroot: {sudo:#?}"
    );
    // cache: true turns the cache on in a repository of this leg's own (default repository).
    assert!(
        sudo.iter().any(|c| c.starts_with(&format!("-E {binary} build "))
            && c.contains(" --cache=true --arch-cache-repo-suffix --cache-ttl=24h ")
            && !c.contains("--cache-repo")),
        "the cache flags did not reach kaniko: {sudo:#?}"
    );

    // linux/arm64 on an ARM64 runner without the restriction, with the release binary downloaded:
    // the platform comes from RUNNER_ARCH, the isolation from what the kernel allows here.
    let arm64_job = RunnerJob::new("ARM64");
    let unrestricted = sysctl_file(&arm64_job.path("home"), "0");
    let release = fake_release(arm64_job.root.path(), "aarch64-unknown-linux-musl", None);
    let mut inputs = common_inputs(&arm64_job);
    inputs.push(("cache", "true".to_owned()));
    inputs.push(("cache-repo", format!("{repo}/layers")));
    let inputs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let arm64 = arm64_job
        .step(
            &inputs,
            &[
                ("KANIKO_ACTION_USERNS_SYSCTL", unrestricted.as_str()),
                ("KANIKO_RELEASE_BASE_URL", release.as_str()),
                ("SSL_CERT_FILE", ca.as_str()),
            ],
        )
        .assert_ok();
    let downloaded = arm64_job.temp().join(format!(
        "kaniko-{}-aarch64-unknown-linux-musl/kaniko",
        release_version()
    ));
    assert!(
        downloaded.is_file(),
        "no {} after the download\n{}",
        downloaded.display(),
        arm64.log
    );
    assert!(
        arm64
            .log
            .contains(&format!("running: {} build ", downloaded.display())),
        "{}",
        arm64.log
    );
    assert!(
        arm64.log.contains(&format!(
            " --cache=true --arch-cache-repo-suffix --cache-repo={repo}/layers "
        )),
        "the cache flags did not reach kaniko:\n{}",
        arm64.log
    );
    assert!(
        arm64
            .log
            .contains(&format!("entries in {repo}/layers-<architecture>")),
        "{}",
        arm64.log
    );
    if arm64_job.userns_works() {
        assert_eq!(arm64.output("isolation"), "rootless", "{}", arm64.log);
        assert!(
            !arm64_job.sudo_calls().iter().any(|c| c.starts_with("-E ")),
            "rootless must not use sudo: {:?}",
            arm64_job.sudo_calls()
        );
    } else {
        assert_eq!(arm64.output("isolation"), "chroot", "{}", arm64.log);
        assert!(
            arm64.log.contains("cannot create an unprivileged user namespace"),
            "{}",
            arm64.log
        );
    }

    let mut legs = Vec::new();
    for (step, job, platform, arch) in [
        (&amd64, &amd64_job, "linux/amd64", "amd64"),
        (&arm64, &arm64_job, "linux/arm64", "arm64"),
    ] {
        let digest = step.output("digest").to_owned();
        assert!(is_digest(&digest), "digest output {digest:?}");
        assert_eq!(step.output("platform"), platform);
        assert_eq!(step.output("platform-pair"), platform.replace('/', "-"));
        // The image ID is the config's digest, as docker/build-push-action's `imageid` is.
        let imageid = step.output("imageid").to_owned();
        assert!(is_digest(&imageid) && imageid != digest, "imageid {imageid:?}");
        let digests_dir = PathBuf::from(step.output("digests-dir"));
        assert_eq!(digests_dir, job.temp().join("kaniko-digests"));
        let metadata_file = digests_dir.join(format!("linux-{arch}.json"));
        let metadata = read_json(&metadata_file);
        assert_eq!(metadata["digest"], digest.as_str(), "{metadata:#}");
        assert_eq!(metadata["platform"]["architecture"], arch, "{metadata:#}");
        assert_eq!(
            metadata["containerimage.config.digest"],
            imageid.as_str(),
            "{metadata:#}"
        );
        assert!(
            metadata["imageSize"].as_u64().unwrap() > metadata["size"].as_u64().unwrap(),
            "{metadata:#}"
        );
        let output_metadata: Value = serde_json::from_str(step.output("metadata")).expect("metadata output");
        assert_eq!(output_metadata, metadata);
        assert!(
            step.summary
                .contains("| Tags | Platforms | Digest | Size | Duration |")
                && step.summary.contains(&format!(
                    "| — (by digest to `{repo}`) | {platform} | `{digest}` | "
                )),
            "summary:\n{}",
            step.summary
        );
        // Pushed under its digest, built with the inputs, and no tag created.
        let config = ci.config(&format!("{repo}@{digest}"));
        assert_eq!(config["architecture"], arch);
        let labels = &config["config"]["Labels"];
        assert_eq!(labels["version"], "1.2.3", "{config:#}");
        assert_eq!(labels["org.example.team"], "ci", "{config:#}");
        assert_eq!(labels["org.example.note"], "a, b", "{config:#}");
        legs.push((arch, digest, metadata_file));
    }
    assert!(
        !ci.exists(&format!("{repo}:ignored-by-push-by-digest")),
        "a build leg created a tag"
    );

    // The merge job: both uploads downloaded into one directory, then aggregate.
    let merge_job = RunnerJob::new("X64");
    let digests = merge_job.temp().join("digests");
    fs_err::create_dir(&digests).expect("create digests dir");
    for (_, _, file) in &legs {
        fs_err::copy(file, digests.join(file.file_name().unwrap())).expect("download artifact");
    }
    merge_job.give(&digests);
    let tags = format!("{repo}:1.2.3\n{repo}:latest");
    let digests_input = digests.to_string_lossy().into_owned();
    let host = ci.host();
    let merged = merge_job
        .step(
            &[
                ("mode", "aggregate"),
                ("digests", digests_input.as_str()),
                ("tags", tags.as_str()),
                ("index-annotations", "org.opencontainers.image.version=1.2.3"),
                ("registry", host.as_str()),
                ("username", USER),
                ("password", PASSWORD),
                ("binary", binary),
            ],
            &[("SSL_CERT_FILE", ca.as_str())],
        )
        .assert_ok();
    let expected: Vec<(&str, &str)> = legs.iter().map(|(a, d, _)| (*a, d.as_str())).collect();
    let (index_digest, index) = ci.assert_index(&format!("{repo}:1.2.3"), &expected);
    assert_eq!(merged.output("digest"), index_digest);
    assert_eq!(
        index["annotations"]["org.opencontainers.image.version"], "1.2.3",
        "{index:#}"
    );
    let (latest_digest, _) = ci.assert_index(&format!("{repo}:latest"), &expected);
    assert_eq!(latest_digest, index_digest);
    for (arch, digest, _) in &legs {
        assert!(
            merged
                .summary
                .contains(&format!("| linux/{arch} | `{digest}` | ")),
            "summary:\n{}",
            merged.summary
        );
    }
    assert!(
        merged.summary.contains("### kaniko aggregate: image index")
            && merged.summary.contains(&format!(
                "| `{repo}:1.2.3`<br>`{repo}:latest` | linux/amd64<br>linux/arm64 | `{index_digest}` | "
            )),
        "summary:\n{}",
        merged.summary
    );
    assert!(
        amd64_job.sudo_calls().len() > 1 && merge_job.sudo_calls().is_empty(),
        "aggregate never needs sudo: {:?}",
        merge_job.sudo_calls()
    );
}

#[test]
fn a_release_binary_with_the_wrong_checksum_is_refused() {
    let job = RunnerJob::new("X64");
    let release = fake_release(
        job.root.path(),
        "x86_64-unknown-linux-musl",
        Some(&"0".repeat(64)),
    );
    write_context(&job.path("workspace"), "scratch");
    let step = job.step(
        &[("push", "false")],
        &[("KANIKO_RELEASE_BASE_URL", release.as_str())],
    );
    assert!(!step.success, "{}", step.log);
    assert!(step.log.contains("checksum mismatch"), "{}", step.log);
    let installed = job.temp().join(format!(
        "kaniko-{}-x86_64-unknown-linux-musl/kaniko",
        release_version()
    ));
    assert!(!installed.exists(), "the mismatching binary was installed");
    assert!(step.outputs.is_empty(), "{:?}", step.outputs);
}

#[test]
fn build_mode_builds_one_platform_per_job() {
    let job = RunnerJob::new("X64");
    write_context(&job.path("workspace"), "scratch");
    let step = job.step(
        &[
            ("platforms", "linux/amd64,linux/arm64"),
            ("binary", env!("CARGO_BIN_EXE_kaniko")),
        ],
        &[],
    );
    assert!(!step.success, "{}", step.log);
    assert!(step.log.contains("one platform per job"), "{}", step.log);
    // And a push needs to know where to.
    let step = job.step(&[("push", "true"), ("binary", env!("CARGO_BIN_EXE_kaniko"))], &[]);
    assert!(!step.success, "{}", step.log);
    assert!(step.log.contains("push needs tags"), "{}", step.log);
}

#[test]
fn cache_inputs_are_checked_and_do_nothing_without_cache() {
    let job = RunnerJob::new("X64");
    write_context(&job.path("workspace"), "scratch");
    let binary = env!("CARGO_BIN_EXE_kaniko");
    let step = job.step(&[("cache", "maybe"), ("binary", binary)], &[]);
    assert!(!step.success, "{}", step.log);
    assert!(
        step.log.contains("cache: expected true or false, got 'maybe'"),
        "{}",
        step.log
    );
    // cache-repo alone does not turn the cache on: a warning, and no cache flag reaches kaniko.
    let step = job
        .step(&[("cache-repo", "oci:/tmp/nowhere"), ("binary", binary)], &[])
        .assert_ok();
    assert!(
        step.log
            .contains("cache-repo and cache-ttl do nothing without cache: true"),
        "{}",
        step.log
    );
    let running = step
        .log
        .lines()
        .find(|l| l.contains("running: "))
        .unwrap_or_else(|| panic!("no command line logged:\n{}", step.log));
    assert!(!running.contains("--cache"), "{running}");
}

#[test]
fn docker_oci_mode_publishes_a_manifest_list_of_docker_manifests() {
    let ci = CiRegistry::start();
    let repo = ci.unique_repo("ci/action-docker");
    let tag = format!("{repo}:1.0");
    let (legs, merged) = legs_then_merge(&ci, &repo, &tag, &[("oci-mode", "docker")], &[]);
    for (_, step) in &legs {
        // The metadata output is the file handed to the merge job.
        let metadata: Value = serde_json::from_str(step.output("metadata")).expect("metadata JSON");
        assert_eq!(metadata["mediaType"], MEDIA_DOCKER_MANIFEST, "{metadata:#}");
    }
    let expected: Vec<(&str, &str)> = legs.iter().map(|(a, s)| (*a, s.output("digest"))).collect();
    let (digest, _) = ci.assert_index_of(MEDIA_DOCKER_MANIFEST_LIST, &tag, &expected);
    assert_eq!(merged.output("digest"), digest);
    assert!(
        merged.summary.contains("### kaniko aggregate: manifest list")
            && merged
                .summary
                .contains(&format!("| `{tag}` | linux/amd64<br>linux/arm64 | `{digest}` | ")),
        "summary:\n{}",
        merged.summary
    );
}

/// Docker's recipe by hand against the test registry: an amd64 and an arm64 leg (each its own
/// runner) push by digest to `repo` with `inputs`; the merge job gets their metadata files, as
/// download-artifact would, and aggregates them under `tag` with `inputs` and `merge_inputs`.
fn legs_then_merge(
    ci: &CiRegistry,
    repo: &str,
    tag: &str,
    inputs: &[(&str, &str)],
    merge_inputs: &[(&str, &str)],
) -> (Vec<(&'static str, Step)>, Step) {
    let (host, ca) = (ci.host(), ci.ca_cert.to_string_lossy().into_owned());
    let mut common = vec![
        ("registry", host.as_str()),
        ("username", USER),
        ("password", PASSWORD),
        ("binary", env!("CARGO_BIN_EXE_kaniko")),
    ];
    common.extend_from_slice(inputs);
    let env = [("SSL_CERT_FILE", ca.as_str())];
    let merge_job = RunnerJob::new("X64");
    let digests = merge_job.temp().join("digests");
    fs_err::create_dir(&digests).expect("create digests dir");
    merge_job.give(&digests);
    let mut legs = Vec::new();
    for (arch, runner_arch) in [("amd64", "X64"), ("arm64", "ARM64")] {
        let job = RunnerJob::new(runner_arch);
        write_context(&job.path("workspace"), &ci.base.index);
        let mut leg = common.clone();
        leg.extend([("tags", repo), ("push", "true"), ("push-by-digest", "true")]);
        let step = job.step(&leg, &env).assert_ok();
        let file = PathBuf::from(step.output("digests-dir")).join(format!("linux-{arch}.json"));
        fs_err::copy(&file, digests.join(file.file_name().unwrap())).expect("download artifact");
        legs.push((arch, step));
    }
    let digests_input = digests.to_string_lossy().into_owned();
    let mut merge = common.clone();
    merge.extend([
        ("mode", "aggregate"),
        ("tags", tag),
        ("digests", digests_input.as_str()),
    ]);
    merge.extend_from_slice(merge_inputs);
    let merged = merge_job.step(&merge, &env).assert_ok();
    (legs, merged)
}

#[test]
fn as_root_the_action_leaves_isolation_to_kaniko_and_never_calls_sudo() {
    if !is_root() {
        eprintln!("skipping: this case needs the test to run as root");
        return;
    }
    let job = RunnerJob::as_self("X64");
    write_context(&job.path("workspace"), "scratch");
    let restricted = sysctl_file(&job.path("home"), "1");
    let step = job
        .step(
            &[("binary", env!("CARGO_BIN_EXE_kaniko")), ("labels", "stage=test")],
            &[("KANIKO_ACTION_USERNS_SYSCTL", restricted.as_str())],
        )
        .assert_ok();
    assert_eq!(step.output("isolation"), "auto", "{}", step.log);
    assert!(job.sudo_calls().is_empty(), "{:?}", job.sudo_calls());
    // Without push: built and reported, nothing to hand to an aggregate job.
    assert!(is_digest(step.output("digest")), "{:?}", step.outputs);
    assert_eq!(step.output("platform"), "linux/amd64");
    assert!(!step.outputs.contains_key("digests-dir"), "{:?}", step.outputs);
    assert!(!job.temp().join("kaniko-digests").exists());
    assert!(step.summary.contains("(not pushed)"), "{}", step.summary);
    let metadata: Value = serde_json::from_str(step.output("metadata")).expect("metadata output");
    assert_eq!(metadata["digest"], step.output("digest"));
}

/// The `secrets` input of the secret tests, in build-push-action's format: a value holding `=` and
/// what a workflow command would unescape (`%0A`), a quoted value of several lines with a comma and
/// a doubled quote, and a value with a comma (kept: `secrets` items are whole lines).
const SECRETS_INPUT: &str = "API_TOKEN=tok=en%0Avalue\n\
    \"CERT=-----BEGIN TEST KEY-----\nsecond line, with a comma\n\"\"quoted\"\" third line\n-----END TEST KEY-----\"\n\
    \n\
    GIT_AUTH_TOKEN=abc,def-token\n";

/// What the build must get for each item of [`SECRETS_INPUT`].
const SECRETS: [(&str, &str); 3] = [
    ("API_TOKEN", "tok=en%0Avalue"),
    (
        "CERT",
        "-----BEGIN TEST KEY-----\nsecond line, with a comma\n\"quoted\" third line\n-----END TEST KEY-----",
    ),
    ("GIT_AUTH_TOKEN", "abc,def-token"),
];

/// The `::add-mask::` command for one line of a secret, escaped as the runner unescapes it.
fn mask_command(line: &str) -> String {
    format!("::add-mask::{}", line.replace('%', "%25").replace('\r', "%0D"))
}

/// Panics unless every line of `secret` is masked before anything else is logged, and appears in
/// no other line of the log.
fn assert_masked(log: &str, secret: &str) {
    let lines: Vec<&str> = log.lines().collect();
    let first_other = lines
        .iter()
        .position(|l| !l.starts_with("::add-mask::"))
        .unwrap_or(lines.len());
    for part in secret.lines().filter(|l| !l.trim().is_empty()) {
        let mask = mask_command(part);
        let at = lines
            .iter()
            .position(|l| *l == mask)
            .unwrap_or_else(|| panic!("{part:?} is not masked:\n{log}"));
        assert!(
            at < first_other,
            "{part:?} is masked only after other output:\n{log}"
        );
        for line in lines.iter().filter(|l| l.contains(part)) {
            assert!(
                line.starts_with("::add-mask::"),
                "{part:?} is in the log: {line:?}\n{log}"
            );
        }
    }
}

/// Panics if a line of `secret` is anywhere in `text`.
fn assert_absent(text: &str, secret: &str, what: &str) {
    for part in secret.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            !text.contains(part),
            "{what} holds the secret line {part:?}:\n{text}"
        );
    }
}

/// A job on an X64 runner whose `binary` is a [`FakeKaniko`], with a context to build; returns the
/// job, the stand-in and its path for the `binary` input.
fn job_with_fake_kaniko() -> (RunnerJob, FakeKaniko, String) {
    let job = RunnerJob::new("X64");
    let fake = FakeKaniko::new(&job.path("fake"));
    write_context(&job.path("workspace"), "scratch");
    let binary = fake.path.to_string_lossy().into_owned();
    (job, fake, binary)
}

#[test]
fn build_secrets_reach_kaniko_as_private_files_and_stay_out_of_the_log() {
    let (job, fake, binary) = job_with_fake_kaniko();
    let file_secret = "//registry.example/:_authToken=from-a-file\nalways-auth=true\n";
    let npmrc = job.path("workspace/npmrc");
    fs_err::write(&npmrc, file_secret).expect("write secret file");
    fs_err::set_permissions(&npmrc, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    job.give(&npmrc);
    let restricted = sysctl_file(&job.path("home"), "1");
    let env_secrets = [("MY_ENV_ONE", "env-secret-one"), ("MY_ENV_TWO", "env secret two")];
    let mut env = vec![("KANIKO_ACTION_USERNS_SYSCTL", restricted.as_str())];
    env.extend(env_secrets);
    let step = job
        .step(
            &[
                ("binary", binary.as_str()),
                ("secrets", SECRETS_INPUT),
                ("secret-files", "NPMRC=npmrc\n"),
                ("secret-envs", "ENV_ONE=MY_ENV_ONE,ENV_TWO=MY_ENV_TWO"),
            ],
            &env,
        )
        .assert_ok();
    // kaniko ran through sudo (chroot isolation), which must not matter to the secrets.
    assert!(
        job.sudo_calls()
            .iter()
            .any(|c| c.starts_with(&format!("-E {binary} build "))),
        "{:?}",
        job.sudo_calls()
    );
    let calls = fake.calls();
    assert_eq!(calls.len(), 1, "{}", step.log);
    let call = &calls[0];
    let argv = call.argv();
    let mut files = Vec::new();
    for (id, value) in SECRETS.iter().copied().chain([("NPMRC", file_secret)]) {
        assert_eq!(call.secret(id), value, "secret {id}");
        let (mode, src) = call.secret_file(id);
        assert_eq!(mode, "600", "secret {id}: {}", src.display());
        assert!(
            src.starts_with(job.temp()),
            "secret {id} outside RUNNER_TEMP: {}",
            src.display()
        );
        assert!(
            argv.contains(&format!("--secret\nid={id},src={}\n", src.display())),
            "{argv}"
        );
        files.push(src);
    }
    for (id, var, value) in [
        ("ENV_ONE", "MY_ENV_ONE", "env-secret-one"),
        ("ENV_TWO", "MY_ENV_TWO", "env secret two"),
    ] {
        assert_eq!(call.secret(id), value, "secret {id}");
        assert!(argv.contains(&format!("--secret\nid={id},env={var}\n")), "{argv}");
    }
    assert!(
        !call.saw_secrets_input(),
        "INPUT_SECRETS reached kaniko's environment"
    );
    // Gone afterwards, with the work directory.
    for file in &files {
        assert!(!file.exists(), "{} is left after the step", file.display());
    }
    assert!(job.work_dirs_left().is_empty(), "{:?}", job.work_dirs_left());
    // Values are masked, and in no log line, argument, output or summary.
    let sudo = job.sudo_calls().join("\n");
    for value in SECRETS
        .iter()
        .map(|(_, v)| *v)
        .chain(env_secrets.iter().map(|(_, v)| *v))
    {
        assert_masked(&step.log, value);
        assert_absent(&argv, value, "kaniko's arguments");
        assert_absent(&sudo, value, "sudo's arguments");
        assert_absent(&format!("{:?}", step.outputs), value, "the outputs");
        assert_absent(&step.summary, value, "the summary");
    }
    assert_absent(&step.log, file_secret, "the log");
    assert!(step.log.contains("build secrets: 6 "), "{}", step.log);
}

#[test]
fn a_malformed_secret_line_is_an_error_naming_it_and_nothing_is_built() {
    let (job, fake, binary) = job_with_fake_kaniko();
    // (input, value, error, text that may appear only masked)
    let cases = [
        (
            "secrets",
            "GOOD=written-first\nno-equals-hidden-value",
            "secrets: line 2: expected ID=VALUE",
            "no-equals-hidden-value",
        ),
        ("secrets", "\n\nEMPTY=", "secrets: line 3: the value is empty", ""),
        (
            "secrets",
            "BAD ID=hidden-value-two",
            "secrets: line 1: the ID is empty or holds a comma, a quote or a blank",
            "hidden-value-two",
        ),
        (
            "secrets",
            "A=1\n\"OPEN=never closed",
            "secrets: the quoted item that starts on line 2 has no closing quote",
            "never closed",
        ),
        (
            "secret-files",
            "NPMRC=missing.txt",
            "secret-files: line 1 (NPMRC=missing.txt): missing.txt is not a readable file",
            "",
        ),
        (
            "secret-files",
            "just-a-path",
            "secret-files: line 1 (just-a-path): expected ID=PATH",
            "",
        ),
        (
            "secret-envs",
            "A=MY_VAR,B=UNSET_VAR",
            "secret-envs: line 1 (B=UNSET_VAR): the environment variable UNSET_VAR is not set",
            "",
        ),
        (
            "secret-envs",
            "A=not-a-name",
            "secret-envs: line 1 (A=not-a-name): not-a-name is not an environment variable name",
            "",
        ),
    ];
    for (input, value, error, hidden) in cases {
        let step = job.step(
            &[
                ("binary", binary.as_str()),
                ("secrets", "GOOD=written-first"),
                (input, value),
            ],
            &[("MY_VAR", "set")],
        );
        assert!(!step.success, "{input}={value:?} was accepted:\n{}", step.log);
        assert!(
            step.log.contains(&format!("::error title=kaniko::{error}")),
            "{input}={value:?}: no error {error:?}:\n{}",
            step.log
        );
        if !hidden.is_empty() {
            for line in step.log.lines().filter(|l| l.contains(hidden)) {
                assert!(
                    line.starts_with("::add-mask::"),
                    "{hidden:?} is in the log:\n{}",
                    step.log
                );
            }
        }
        assert!(fake.calls().is_empty(), "{input}={value:?}: kaniko ran");
        // The secret written before the error went with the work directory.
        assert!(job.work_dirs_left().is_empty(), "{:?}", job.work_dirs_left());
    }
}

#[test]
fn a_cancelled_step_removes_the_secret_files() {
    use std::os::unix::process::CommandExt as _;
    let (job, fake, binary) = job_with_fake_kaniko();
    fake.hold();
    let (mut cmd, _) = job.step_command(
        &[("binary", binary.as_str()), ("secrets", "TOKEN=cancelled")],
        &[],
    );
    // Its own process group, which the runner signals when a job is cancelled.
    cmd.process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("start the step");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let call = loop {
        if let Some(call) = fake.calls().into_iter().next().filter(|c| c.running()) {
            break call;
        }
        assert!(
            child.try_wait().expect("poll the step").is_none(),
            "the step ended before kaniko ran"
        );
        assert!(std::time::Instant::now() < deadline, "kaniko never ran");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let (_, src) = call.secret_file("TOKEN");
    assert!(src.exists(), "{} is not there while kaniko runs", src.display());
    let group = format!("-{}", child.id());
    tools::run_ok(Command::new("kill").args(["-TERM", "--", &group]));
    let status = child.wait().expect("wait for the step");
    fake.release();
    assert!(!status.success(), "{status}");
    assert!(
        !src.exists(),
        "{} is left after the cancelled step",
        src.display()
    );
    assert!(job.work_dirs_left().is_empty(), "{:?}", job.work_dirs_left());
}

/// End to end: a `RUN` step reads one secret of each input, and the build succeeds only if what it
/// read is what was given. kaniko's own output must not show the values either.
#[test]
fn a_run_step_reads_the_secrets_of_each_input() {
    let binary = env!("CARGO_BIN_EXE_kaniko");
    if !is_root() {
        eprintln!("skipping: the RUN step needs chroot isolation, which needs root");
        return;
    }
    let ci = CiRegistry::start();
    let arch = if std::env::consts::ARCH == "aarch64" {
        "ARM64"
    } else {
        "X64"
    };
    let job = RunnerJob::as_self(arch);
    let file_secret = "//registry.example/:_authToken=from-a-file\n";
    fs_err::write(job.path("workspace/npmrc"), file_secret).expect("write secret file");
    let env_secret = "env-secret-one";
    let ids = ["API_TOKEN", "CERT", "NPMRC", "ENV_ONE"];
    let read: String = [SECRETS[0].1, SECRETS[1].1, file_secret, env_secret].concat();
    let hash = &common::images::sha256_digest(read.as_bytes())[7..];
    let mounts: Vec<String> = ids
        .iter()
        .map(|id| format!("--mount=type=secret,id={id}"))
        .collect();
    let files: Vec<String> = ids.iter().map(|id| format!("/run/secrets/{id}")).collect();
    fs_err::write(
        job.path("workspace/Dockerfile"),
        format!(
            "FROM {}\nRUN {} cat {} | sha256sum | grep -q '^{hash} '\n",
            ci.base.index,
            mounts.join(" "),
            files.join(" ")
        ),
    )
    .expect("write Dockerfile");
    let (host, ca) = (ci.host(), ci.ca_cert.to_string_lossy().into_owned());
    let step = job
        .step(
            &[
                ("binary", binary),
                ("isolation", "chroot"),
                ("registry", host.as_str()),
                ("username", USER),
                ("password", PASSWORD),
                ("secrets", SECRETS_INPUT),
                ("secret-files", "NPMRC=npmrc"),
                ("secret-envs", "ENV_ONE=MY_ENV_ONE"),
            ],
            &[("MY_ENV_ONE", env_secret), ("SSL_CERT_FILE", ca.as_str())],
        )
        .assert_ok();
    for value in SECRETS.iter().map(|(_, v)| *v).chain([env_secret]) {
        assert_masked(&step.log, value);
    }
    assert_absent(&step.log, file_secret, "the log");
    assert!(job.work_dirs_left().is_empty(), "{:?}", job.work_dirs_left());
}

#[test]
fn signing_inputs_sign_the_leg_and_the_index_and_keep_the_key_private() {
    const KEY_PASSWORD: &str = "action-cosign-password-91fe";
    let ci = CiRegistry::start();
    let repo = ci.unique_repo("ci/signed");
    let binary = env!("CARGO_BIN_EXE_kaniko");
    let keys = tempfile::tempdir().expect("tempdir");
    let (private, public) = cosign_keys(keys.path(), KEY_PASSWORD);
    let key = fs_err::read_to_string(&private).expect("read cosign.key");
    let ca = ci.ca_cert.to_string_lossy().into_owned();
    let job = RunnerJob::new("X64");
    write_context(&job.path("workspace/app"), &ci.base.index);
    let restricted = sysctl_file(&job.path("home"), "1");
    let env = [
        ("KANIKO_ACTION_USERNS_SYSCTL", restricted.as_str()),
        ("SSL_CERT_FILE", ca.as_str()),
    ];
    let credentials = [
        ("registry", ci.host()),
        ("username", USER.to_owned()),
        ("password", PASSWORD.to_owned()),
        ("binary", binary.to_owned()),
        ("sign", "true".to_owned()),
        ("cosign-key", key.clone()),
        ("cosign-password", KEY_PASSWORD.to_owned()),
    ];
    let mut inputs = credentials.to_vec();
    inputs.extend([
        ("context", "app".to_owned()),
        ("tags", format!("{repo}:ignored")),
        ("push", "true".to_owned()),
        ("push-by-digest", "true".to_owned()),
        ("provenance", "true".to_owned()),
    ]);
    let inputs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let leg = job.step(&inputs, &env).assert_ok();
    let mut inputs = credentials.to_vec();
    inputs.extend([("mode", "aggregate".to_owned()), ("tags", format!("{repo}:v1"))]);
    let inputs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let merged = job.step(&inputs, &env).assert_ok();

    // `kaniko verify` (as a verifier would run it) checks the index, the leg and its provenance.
    let docker_config = ci.docker_config();
    let verified = tools::run(
        Command::new(binary)
            .args(["verify", "--provenance", "--key"])
            .arg(&public)
            .arg(format!("{repo}:v1"))
            .env("DOCKER_CONFIG", docker_config.path())
            .env("SSL_CERT_FILE", &ci.ca_cert),
    );
    let text = tools::output_text(&verified);
    assert!(verified.status.success(), "{text}");
    assert!(
        text.contains("verified index") && text.contains("verified linux/amd64"),
        "{text}"
    );

    // Masked first, never on a command line, and gone with the work directory.
    for step in [&leg, &merged] {
        assert_masked(&step.log, KEY_PASSWORD);
        assert_masked(&step.log, &key);
        assert!(
            step.log.contains("--sign-images --cosign-key-path "),
            "{}",
            step.log
        );
    }
    assert!(leg.log.contains(" --provenance"), "{}", leg.log);
    let sudo = job.sudo_calls().join("\n");
    assert_absent(&sudo, KEY_PASSWORD, "sudo's arguments");
    assert_absent(&sudo, &key, "sudo's arguments");
    assert!(job.work_dirs_left().is_empty(), "{:?}", job.work_dirs_left());
}

#[test]
fn signing_inputs_are_checked_before_kaniko_runs() {
    let (job, fake, binary) = job_with_fake_kaniko();
    let key = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nc2VjcmV0LWtleS1ib2R5\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("sign", "true"), ("push", "true")],
            "sign: true needs cosign-key",
        ),
        (
            &[
                ("sign", "true"),
                ("push", "true"),
                ("cosign-key", "/secrets/cosign.key"),
            ],
            "cosign-key: expected the contents of cosign.key",
        ),
        (
            &[("sign", "true"), ("cosign-key", key), ("cosign-password", "pw-1")],
            "sign: true needs push: true",
        ),
        (&[("provenance", "true")], "provenance: true needs push: true"),
    ];
    for (inputs, expected) in cases {
        let mut all = vec![("binary", binary.as_str()), ("tags", "registry.example/app:1")];
        all.extend_from_slice(inputs);
        let step = job.step(&all, &[]);
        assert!(!step.success, "{inputs:?} succeeded:\n{}", step.log);
        assert!(step.log.contains(expected), "{expected}:\n{}", step.log);
        for line in key.lines().filter(|l| !l.starts_with("-----")) {
            for log_line in step.log.lines().filter(|l| l.contains(line)) {
                assert!(log_line.starts_with("::add-mask::"), "{log_line}");
            }
        }
    }
    assert!(fake.calls().is_empty(), "kaniko ran");
    assert!(job.work_dirs_left().is_empty(), "{:?}", job.work_dirs_left());
}

/// docker/metadata-action's outputs for `images` with its default `tags` input, in the format its
/// README and tests document (`__tests__/meta.test.ts`): one reference per line (the branch for a
/// branch push, with `/` made `-`; the git tag and `latest` for a tag push; `pr-N` for a pull
/// request), the OCI labels sorted by key, and the same as annotations with the levels of
/// `DOCKER_METADATA_ANNOTATIONS_LEVELS` (default `manifest`) as prefixes. The description holds a
/// comma, as real ones do.
fn metadata_action(with: &Value, env: &Value, github: &Value) -> BTreeMap<String, String> {
    let images: Vec<String> = with["images"]
        .as_str()
        .expect("images")
        .split([',', '\n'])
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_lowercase)
        .collect();
    let ref_name = github["ref_name"].as_str().expect("ref_name");
    let tags: Vec<String> = match (github["event_name"].as_str(), github["ref_type"].as_str()) {
        (Some("pull_request"), _) => vec![format!("pr-{}", github["event"]["number"])],
        (_, Some("tag")) => vec![ref_name.to_owned(), "latest".to_owned()],
        _ => vec![ref_name.replace('/', "-")],
    };
    let references: Vec<String> = images
        .iter()
        .flat_map(|image| tags.iter().map(move |t| format!("{image}:{t}")))
        .collect();
    let repository = github["repository"].as_str().expect("repository");
    let url = format!("https://github.com/{repository}");
    let labels = [
        (
            "org.opencontainers.image.created",
            "2020-01-10T00:30:00.000Z".to_owned(),
        ),
        (
            "org.opencontainers.image.description",
            "A kaniko-rs test, with a comma".to_owned(),
        ),
        ("org.opencontainers.image.licenses", "Apache-2.0".to_owned()),
        (
            "org.opencontainers.image.revision",
            github["sha"].as_str().expect("sha").to_owned(),
        ),
        ("org.opencontainers.image.source", url.clone()),
        (
            "org.opencontainers.image.title",
            repository.rsplit('/').next().unwrap().to_owned(),
        ),
        ("org.opencontainers.image.url", url),
        ("org.opencontainers.image.version", tags[0].clone()),
    ];
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let levels = env["DOCKER_METADATA_ANNOTATIONS_LEVELS"]
        .as_str()
        .filter(|l| !l.is_empty())
        .unwrap_or("manifest");
    let annotations: Vec<String> = levels
        .split(',')
        .flat_map(|level| labels.iter().map(move |l| format!("{level}:{l}")))
        .collect();
    BTreeMap::from([
        ("tags".to_owned(), references.join("\n")),
        ("labels".to_owned(), labels.join("\n")),
        ("annotations".to_owned(), annotations.join("\n")),
        ("version".to_owned(), tags[0].clone()),
    ])
}

/// The `github` context of an event on the repository `Octo-Org/App` (capitals, as owners have).
fn github_event(event_name: &str, reference: &str) -> Value {
    let (ref_type, ref_name) = match reference.strip_prefix("refs/tags/") {
        Some(tag) => ("tag", tag.to_owned()),
        None => match reference.strip_prefix("refs/heads/") {
            Some(branch) => ("branch", branch.to_owned()),
            None => ("branch", reference.trim_start_matches("refs/").to_owned()),
        },
    };
    serde_json::json!({
        "event_name": event_name,
        "ref": reference,
        "ref_name": ref_name,
        "ref_type": ref_type,
        "repository": "Octo-Org/App",
        "repository_owner": "Octo-Org",
        "sha": "860c1904a1ce19322e91ac35af1ab07466440c37",
        "actor": USER,
        "token": PASSWORD,
        "server_url": "https://github.com",
        "event": {"number": 2},
    })
}

/// The repository metadata-action makes of `Octo-Org/App` in the test registry.
fn event_image(ci: &CiRegistry) -> String {
    format!("{}/octo-org/app", ci.host())
}

/// Runs `workflow` for `github` against the test registry (in place of ghcr.io) with the binary
/// under test, the caller's repository holding the CI test context.
fn run_against(ci: &CiRegistry, workflow: &Value, github: Value, inputs: Value) -> WorkflowRun {
    run_from(ci, &ci.base.index, workflow, github, inputs)
}

/// [`run_against`] with the context's image built `FROM base`.
fn run_from(ci: &CiRegistry, base: &str, workflow: &Value, github: Value, inputs: Value) -> WorkflowRun {
    let base = base.to_owned();
    let checkout = move |dir: &Path| write_context(dir, &base);
    let metadata = {
        let github = github.clone();
        move |with: &Value, env: &Value| metadata_action(with, env, &github)
    };
    let trigger = Trigger {
        github,
        inputs,
        secrets: serde_json::json!({"GITHUB_TOKEN": PASSWORD}),
        env: serde_json::json!({"REGISTRY": ci.host()}),
        checkout: &checkout,
        action_inputs: vec![("binary".to_owned(), env!("CARGO_BIN_EXE_kaniko").to_owned())],
        step_env: vec![(
            "SSL_CERT_FILE".to_owned(),
            ci.ca_cert.to_string_lossy().into_owned(),
        )],
        metadata_action: &metadata,
        call_overrides: serde_json::json!({"registry": ci.host()}),
        job_workflow_sha: "0123456789abcdef0123456789abcdef01234567".to_owned(),
    };
    run_workflow(workflow, &trigger)
}

/// [`run_against`] for pull request 2, every job that runs succeeding.
fn run_pull_request(ci: &CiRegistry, workflow: &Value) -> WorkflowRun {
    let run = run_against(
        ci,
        workflow,
        github_event("pull_request", "refs/pull/2/merge"),
        Value::Null,
    );
    assert_jobs_ok(&run);
    run
}

fn assert_jobs_ok(run: &WorkflowRun) {
    for job in &run.jobs {
        let logs: Vec<&str> = job.action_steps.iter().map(|s| s.log.as_str()).collect();
        assert!(
            job.success,
            "job {} ({}) failed:\n{}",
            job.job,
            job.matrix,
            logs.join("\n")
        );
    }
}

/// The annotations of the manifest or index stored under `reference`.
fn stored_annotations(ci: &CiRegistry, reference: &str) -> Value {
    let doc: Value = serde_json::from_slice(&ci.raw(reference)).expect("manifest JSON");
    doc["annotations"].clone()
}

/// metadata-action's labels (as KEY=VALUE lines) as a JSON object.
fn label_map(lines: &str) -> Value {
    lines
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').expect("KEY=VALUE");
            (k.to_owned(), Value::from(v))
        })
        .collect()
}

#[test]
fn single_arch_example_pushes_every_tag_of_metadata_action() {
    let ci = CiRegistry::start();
    let workflow = load_yaml(&repo_path("examples/github/single-arch.yml"));
    let image = event_image(&ci);
    let github = github_event("push", "refs/tags/v1.2.3");
    let expected = metadata_action(&serde_json::json!({"images": image}), &Value::Null, &github);
    let run = run_against(&ci, &workflow, github, Value::Null);
    assert_jobs_ok(&run);
    let step = &run.job("image")[0].action_steps[0];
    let digest = step.output("digest");
    // build-push-action's behaviour: every tag, the same image.
    for tag in ["v1.2.3", "latest"] {
        let reference = format!("{image}:{tag}");
        assert_eq!(
            common::images::sha256_digest(&ci.raw(&reference)),
            digest,
            "{reference}\n{}",
            step.log
        );
    }
    let config = ci.config(&format!("{image}:v1.2.3"));
    let labels = label_map(&expected["labels"]);
    for (k, v) in labels.as_object().unwrap() {
        assert_eq!(config["config"]["Labels"][k], *v, "label {k}: {config:#}");
    }
    // manifest: annotations (the default level) on the image manifest, keys without the prefix.
    assert_eq!(stored_annotations(&ci, &format!("{image}:latest")), labels);
    assert!(
        step.summary.contains(&format!(
            "| `{image}:v1.2.3`<br>`{image}:latest` | linux/amd64 | `{digest}` | "
        )),
        "{}",
        step.summary
    );

    // A pull request builds and pushes nothing.
    let run = run_pull_request(&ci, &workflow);
    assert!(!ci.exists(&format!("{image}:pr-2")));
    assert!(run.job("image")[0].action_steps[0].log.contains("--no-push"));
}

#[test]
fn matrix_example_pushes_legs_by_digest_and_tags_the_index() {
    let ci = CiRegistry::start();
    let workflow = load_yaml(&repo_path("examples/github/multiarch.yml"));
    let image = event_image(&ci);
    let github = github_event("push", "refs/heads/feature/login");
    let run = run_against(&ci, &workflow, github.clone(), Value::Null);
    assert_jobs_ok(&run);
    let legs = run.job("build");
    assert_eq!(legs.len(), 2);
    let mut expected = Vec::new();
    let labels =
        label_map(&metadata_action(&serde_json::json!({"images": image}), &Value::Null, &github)["labels"]);
    for leg in &legs {
        let step = &leg.action_steps[0];
        let digest = step.output("digest").to_owned();
        let arch = leg.matrix["platform"]
            .as_str()
            .unwrap()
            .trim_start_matches("linux/")
            .to_owned();
        // The manifest: lines on the manifest; the index: lines are left to the merge job.
        assert_eq!(stored_annotations(&ci, &format!("{image}@{digest}")), labels);
        assert!(
            step.log
                .contains("give the same annotations to the aggregate step"),
            "{}",
            step.log
        );
        expected.push((arch, digest));
    }
    // No leg created a tag: the branch's tag (feature/login made feature-login) is the index's.
    let tag = format!("{image}:feature-login");
    let expected: Vec<(&str, &str)> = expected.iter().map(|(a, d)| (a.as_str(), d.as_str())).collect();
    let (digest, index) = ci.assert_index(&tag, &expected);
    assert_eq!(index["annotations"], labels, "{index:#}");
    let merge = &run.job("merge")[0].action_steps[0];
    assert_eq!(merge.output("digest"), digest);

    // A pull request: both legs build, nothing is uploaded or published.
    let run = run_pull_request(&ci, &workflow);
    assert_eq!(run.job("build").len(), 2);
    assert_eq!(run.skipped, ["merge"]);
    for leg in run.job("build") {
        let step = &leg.action_steps[0];
        assert!(
            step.log.contains("--no-push") && !step.outputs.contains_key("digests-dir"),
            "{}",
            step.log
        );
    }
}

#[test]
fn annotations_of_every_level_go_where_they_say() {
    let ci = CiRegistry::start();
    let repo = ci.unique_repo("ci/levels");
    // metadata-action's output with DOCKER_METADATA_ANNOTATIONS_LEVELS covering every level, plus an
    // unprefixed line and a BuildKit platform qualifier.
    let annotations = "manifest:org.opencontainers.image.title=App\n\
        manifest:org.opencontainers.image.description=Fast, small\n\
        org.example.plain=unprefixed\n\
        manifest[linux/arm64]:org.example.only-arm64=yes\n\
        index:org.opencontainers.image.title=App index\n\
        manifest-descriptor:org.example.descriptor=each\n\
        index-descriptor:org.example.layout-only=unused\n";
    let tag = format!("{repo}:1.0");
    let (legs, merged) = legs_then_merge(
        &ci,
        &repo,
        &tag,
        &[("annotations", annotations)],
        &[(
            "index-annotations",
            "org.example.extra=from the index-annotations input",
        )],
    );
    for (arch, step) in &legs {
        let mut wanted = serde_json::json!({
            "org.opencontainers.image.title": "App",
            "org.opencontainers.image.description": "Fast, small",
            "org.example.plain": "unprefixed",
        });
        if *arch == "arm64" {
            wanted["org.example.only-arm64"] = "yes".into();
        }
        let digest = step.output("digest");
        assert_eq!(
            stored_annotations(&ci, &format!("{repo}@{digest}")),
            wanted,
            "{}",
            step.log
        );
        assert!(
            step.log
                .contains("index-descriptor: lines annotate an OCI layout"),
            "{}",
            step.log
        );
    }
    let expected: Vec<(&str, &str)> = legs.iter().map(|(a, s)| (*a, s.output("digest"))).collect();
    let (_, index) = ci.assert_index(&tag, &expected);
    assert_eq!(
        index["annotations"],
        serde_json::json!({
            "org.opencontainers.image.title": "App index",
            "org.example.extra": "from the index-annotations input",
        }),
        "{index:#}\n{}",
        merged.log
    );
    for descriptor in index["manifests"].as_array().unwrap() {
        assert_eq!(
            descriptor["annotations"],
            serde_json::json!({"org.example.descriptor": "each"}),
            "{index:#}"
        );
    }
}

#[test]
fn an_invalid_tag_line_or_a_macos_runner_fails_before_kaniko_runs() {
    let (job, fake, binary) = job_with_fake_kaniko();
    let cases: [(&str, &str); 3] = [
        (
            "ghcr.io/octo-org/app:1.0\nghcr.io/Octo-Org/App:main",
            "tags: line 2 'ghcr.io/Octo-Org/App:main': the repository 'ghcr.io/Octo-Org/App' must be lower case",
        ),
        (
            "ghcr.io/octo-org/app:feature/login",
            "tags: line 1 'ghcr.io/octo-org/app:feature/login': the tag 'feature/login' contains '/'",
        ),
        ("ghcr.io/octo-org/app:.hidden", "the tag '.hidden' may only hold"),
    ];
    for (tags, expected) in cases {
        let step = job.step(
            &[("binary", binary.as_str()), ("tags", tags), ("push", "true")],
            &[],
        );
        assert!(!step.success, "{tags:?} succeeded:\n{}", step.log);
        assert!(step.log.contains(expected), "{expected}:\n{}", step.log);
        assert!(
            step.log.contains("docker/metadata-action"),
            "no hint:\n{}",
            step.log
        );
    }
    for (os, expected) in [
        (
            "macOS",
            "kaniko-rs runs on Linux runners only (this job runs on macOS X64)",
        ),
        (
            "Windows",
            "kaniko-rs runs on Linux runners only (this job runs on Windows X64)",
        ),
    ] {
        let step = job.step(&[("binary", binary.as_str())], &[("RUNNER_OS", os)]);
        assert!(!step.success && step.log.contains(expected), "{}", step.log);
    }
    assert!(fake.calls().is_empty(), "kaniko ran");
}

#[test]
fn reusable_workflow_on_a_pull_request_builds_and_pushes_nothing() {
    let ci = CiRegistry::start();
    let workflow = load_yaml(&repo_path("examples/github/reusable.yml"));
    let run = run_pull_request(&ci, &workflow);
    let legs = run.job("build");
    assert_eq!(legs.len(), 2);
    for leg in &legs {
        // The action checked out is the one of the commit the workflow was called at.
        assert_eq!(
            leg.checkouts,
            ["kaniko-rs/kaniko-rs@0123456789abcdef0123456789abcdef01234567"]
        );
        let step = &leg.action_steps[0];
        assert!(step.log.contains("--no-push"), "{}", step.log);
    }
    assert_eq!(run.skipped, ["merge"]);
    assert!(!ci.exists(&format!("{}:pr-2", event_image(&ci))));
}

#[test]
fn reusable_workflow_builds_three_platforms_from_the_runner_map_with_extra_args_per_job() {
    let ci = CiRegistry::start();
    let workflow = load_yaml(&repo_path(".github/workflows/kaniko-multiarch.yml"));
    let image = ci.unique_repo("ci/reusable");
    let inputs = serde_json::json!({
        "image": image,
        "tags": format!("{image}:v2.0.0\n{image}:latest"),
        "platforms": "linux/amd64,linux/arm64,linux/arm/v7",
        "runners": "linux/arm/v7=self-hosted, linux, arm\n",
        "build-args": "VERSION=2.0.0",
        "build-extra-args": "--reproducible",
        "registry": ci.host(),
        "kaniko-ref": "v9.9.9",
    });
    // The base images have amd64 and arm64 only: FROM scratch, for arm/v7 too.
    let run = run_from(
        &ci,
        "scratch",
        &workflow,
        github_event("push", "refs/tags/v2.0.0"),
        inputs,
    );
    assert_jobs_ok(&run);
    let legs = run.job("build");
    let runs_on: BTreeMap<String, Value> = legs
        .iter()
        .map(|l| {
            (
                l.matrix["platform"].as_str().unwrap().to_owned(),
                l.runs_on.clone(),
            )
        })
        .collect();
    assert_eq!(
        runs_on,
        BTreeMap::from([
            ("linux/amd64".to_owned(), Value::from("ubuntu-24.04")),
            ("linux/arm64".to_owned(), Value::from("ubuntu-24.04-arm")),
            (
                "linux/arm/v7".to_owned(),
                serde_json::json!(["self-hosted", "linux", "arm"])
            ),
        ])
    );
    let mut expected = Vec::new();
    for leg in &legs {
        assert_eq!(leg.checkouts, ["kaniko-rs/kaniko-rs@v9.9.9"]);
        let step = &leg.action_steps[0];
        assert!(
            step.log.contains("--push-by-digest") && step.log.contains(" --reproducible "),
            "{}",
            step.log
        );
        let config = ci.config(&format!("{image}@{}", step.output("digest")));
        // --reproducible reached the build: the epoch as creation time.
        assert_eq!(config["created"], "1970-01-01T00:00:00Z", "{config:#}");
        assert_eq!(config["config"]["Labels"]["version"], "2.0.0");
        let arch = config["architecture"].as_str().unwrap().to_owned();
        expected.push((arch, step.output("digest").to_owned()));
    }
    let merge = run.job("merge");
    assert_eq!(merge.len(), 1);
    assert_eq!(merge[0].runs_on, "ubuntu-24.04");
    let step = &merge[0].action_steps[0];
    assert!(!step.log.contains("--reproducible"), "{}", step.log);
    let expected: Vec<(&str, &str)> = expected.iter().map(|(a, d)| (a.as_str(), d.as_str())).collect();
    for tag in ["v2.0.0", "latest"] {
        let (digest, _) = ci.assert_index(&format!("{image}:{tag}"), &expected);
        assert_eq!(step.output("digest"), digest);
    }
}

#[test]
fn workflow_expressions_evaluate_as_on_github() {
    use common::gha_expr::{condition, eval, substitute};
    use serde_json::json;
    let ctx = json!({"inputs": {"file": "", "registry": "ghcr.io", "username": ""},
        "github": {"actor": "octo"}, "needs": {"p": {"outputs": {"m": "{\"include\":[1]}"}}}});
    assert_eq!(
        eval(
            "inputs.file != '' && format('source/{0}', inputs.file) || ''",
            &ctx
        ),
        ""
    );
    assert_eq!(
        eval(
            "inputs.registry != '' && (inputs.username || github.actor) || ''",
            &ctx
        ),
        "octo"
    );
    assert_eq!(eval("fromJSON(needs.p.outputs.m)", &ctx), json!({"include": [1]}));
    assert_eq!(substitute("a-${{ github.actor }}-b", &ctx), "a-octo-b");
    assert!(condition("needs.p.outputs.m != 'x'", &ctx));
    assert!(!condition("true == 'true'", &ctx) && condition("'TRUE' == 'true'", &ctx));
}
