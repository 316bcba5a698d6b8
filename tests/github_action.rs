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
use tempfile::TempDir;

use common::ci::{
    cosign_keys, load_yaml, read_json, release_version, repo_path, world_readable_tempdir, write_context,
    CiRegistry, FakeKaniko, MEDIA_DOCKER_MANIFEST, MEDIA_DOCKER_MANIFEST_LIST, PASSWORD, USER,
};
use common::isolation::{is_root, user_ids, ROOTLESS_USER};
use common::tools;

const SCRIPT: &str = "action/entrypoint.sh";

/// `INPUT_<NAME>` as action.yml names the variable of an input.
fn input_var(name: &str) -> String {
    format!("INPUT_{}", name.to_uppercase().replace('-', "_"))
}

/// Records `sudo`'s arguments, drops its options and runs the rest as the same user.
const FAKE_SUDO: &str = "#!/bin/sh\n\
    printf '%s\\n' \"$*\" >>\"$FAKE_SUDO_LOG\"\n\
    while [ $# -gt 0 ]; do case \"$1\" in -*) shift ;; *) break ;; esac; done\n\
    exec \"$@\"\n";

/// What one step left behind.
struct Step {
    success: bool,
    log: String,
    outputs: BTreeMap<String, String>,
    summary: String,
}

impl Step {
    fn assert_ok(self) -> Step {
        assert!(self.success, "the action step failed:\n{}", self.log);
        self
    }

    fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output {name} in {:?}\n{}", self.outputs, self.log))
    }
}

/// GitHub's `$GITHUB_OUTPUT` format: `name=value` lines and `name<<DELIMITER` blocks.
fn parse_github_output(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_owned(), value.to_owned());
        } else {
            panic!("malformed GITHUB_OUTPUT line {line:?} in:\n{text}");
        }
    }
    outputs
}

/// The files a step writes its outputs and summary into.
struct StepFiles {
    output: PathBuf,
    summary: PathBuf,
}

impl StepFiles {
    fn finish(&self, success: bool, stdout: &[u8], stderr: &[u8]) -> Step {
        Step {
            success,
            log: format!(
                "{}{}",
                String::from_utf8_lossy(stdout),
                String::from_utf8_lossy(stderr)
            ),
            outputs: parse_github_output(&fs_err::read_to_string(&self.output).expect("read GITHUB_OUTPUT")),
            summary: fs_err::read_to_string(&self.summary).expect("read GITHUB_STEP_SUMMARY"),
        }
    }
}

/// One job on a simulated GitHub-hosted runner.
struct RunnerJob {
    root: TempDir,
    /// `RUNNER_ARCH`: X64 or ARM64.
    arch: &'static str,
    /// The unprivileged user the steps run as, when the test runs as root.
    user: Option<(u32, u32)>,
    steps: std::cell::Cell<u32>,
}

impl RunnerJob {
    /// A job whose steps run as an ordinary user, like GitHub's `runner`.
    fn new(arch: &'static str) -> RunnerJob {
        let user = is_root().then(|| {
            user_ids(ROOTLESS_USER).unwrap_or_else(|| panic!("no user {ROOTLESS_USER}: run hack/setup.sh"))
        });
        Self::with_user(arch, user)
    }

    /// A job whose steps run as this process's user (root, for a job in a `container:`).
    fn as_self(arch: &'static str) -> RunnerJob {
        Self::with_user(arch, None)
    }

    fn with_user(arch: &'static str, user: Option<(u32, u32)>) -> RunnerJob {
        let root = world_readable_tempdir("kaniko-gha-");
        let job = RunnerJob {
            root,
            arch,
            user,
            steps: std::cell::Cell::new(0),
        };
        for dir in ["temp", "home", "workspace", "bin"] {
            fs_err::create_dir(job.path(dir)).expect("create runner dir");
            job.give(&job.path(dir));
        }
        fs_err::write(job.path("bin/sudo"), FAKE_SUDO).expect("write fake sudo");
        fs_err::set_permissions(job.path("bin/sudo"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod fake sudo");
        fs_err::write(job.path("sudo.log"), "").expect("create sudo log");
        job.give(&job.path("sudo.log"));
        job
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    /// `RUNNER_TEMP`.
    fn temp(&self) -> PathBuf {
        self.path("temp")
    }

    /// Hands `path` to the runner user.
    fn give(&self, path: &Path) {
        if let Some((uid, gid)) = self.user {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown to the runner user");
        }
    }

    /// Runs the action's script with `inputs` (action input names) and extra environment.
    fn step(&self, inputs: &[(&str, &str)], env: &[(&str, &str)]) -> Step {
        let (mut cmd, files) = self.step_command(inputs, env);
        let out = tools::run(&mut cmd);
        files.finish(out.status.success(), &out.stdout, &out.stderr)
    }

    /// The command that runs the action's script with `inputs` and extra environment, not started,
    /// and the step's GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
    fn step_command(&self, inputs: &[(&str, &str)], env: &[(&str, &str)]) -> (Command, StepFiles) {
        let n = self.steps.get() + 1;
        self.steps.set(n);
        let files = StepFiles {
            output: self.path(&format!("output-{n}")),
            summary: self.path(&format!("summary-{n}")),
        };
        for file in [&files.output, &files.summary] {
            fs_err::write(file, "").expect("create step file");
            self.give(file);
        }
        let mut cmd = self.command("bash");
        cmd.arg(repo_path(SCRIPT))
            .env_clear()
            .current_dir(self.path("workspace"));
        let path = format!(
            "{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            self.path("bin").display()
        );
        cmd.env("PATH", path)
            .env("HOME", self.path("home"))
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", self.path("workspace"))
            .env("GITHUB_OUTPUT", &files.output)
            .env("GITHUB_STEP_SUMMARY", &files.summary)
            .env("RUNNER_TEMP", self.temp())
            .env("RUNNER_ARCH", self.arch)
            .env("FAKE_SUDO_LOG", self.path("sudo.log"));
        for (name, value) in inputs {
            cmd.env(input_var(name), value);
        }
        for (name, value) in env {
            cmd.env(name, value);
        }
        (cmd, files)
    }

    /// What is left in `RUNNER_TEMP` of the script's work directories (secrets, credentials).
    fn work_dirs_left(&self) -> Vec<String> {
        fs_err::read_dir(self.temp())
            .expect("read RUNNER_TEMP")
            .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("kaniko-action."))
            .collect()
    }

    /// What the fake sudo was asked to run, one call per entry.
    fn sudo_calls(&self) -> Vec<String> {
        fs_err::read_to_string(self.path("sudo.log"))
            .expect("read sudo log")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// `program` run as the runner user.
    fn command(&self, program: &str) -> Command {
        let Some((uid, gid)) = self.user else {
            return Command::new(program);
        };
        let mut cmd = Command::new("setpriv");
        cmd.arg(format!("--reuid={uid}"))
            .arg(format!("--regid={gid}"))
            .args(["--clear-groups", "--", program]);
        cmd
    }

    /// Whether the runner user can create a user namespace here, as the script probes it.
    fn userns_works(&self) -> bool {
        let mut cmd = self.command("unshare");
        cmd.args(["--user", "--map-root-user", "true"]);
        tools::run(&mut cmd).status.success()
    }
}

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
        .find(|(_, j)| j["strategy"]["matrix"]["include"].is_array())
        .expect("a matrix job");
    let legs: BTreeMap<String, String> = build["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
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
    assert_eq!(build["runs-on"], "${{ matrix.runner }}");
    let steps = build["steps"].as_array().expect("build steps");
    let kaniko = find_step(steps, action);
    let id = kaniko["id"].as_str().expect("the build step has an id");
    let with = &kaniko["with"];
    assert!(with["mode"].is_null() || with["mode"] == "build", "{with:#}");
    assert_eq!(with["platforms"], "${{ matrix.platform }}");
    assert!(
        with["push"] == Value::Bool(true) || with["push"] == "true",
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
    // The action it checks out is this release's, and the merge job publishes its digest.
    assert_eq!(
        call["inputs"]["kaniko-ref"]["default"],
        format!("v{}", release_version())
    );
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
            step.summary.contains("| Platform | Digest | Size | Duration |")
                && step.summary.contains(&format!("| {platform} | `{digest}` | ")),
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
        merged
            .summary
            .contains(&format!("| **image index** | `{index_digest}` | ")),
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
    let (host, ca, binary) = (
        ci.host(),
        ci.ca_cert.to_string_lossy().into_owned(),
        env!("CARGO_BIN_EXE_kaniko"),
    );
    let with = |more: &[(&'static str, &'static str)]| -> Vec<(&str, &str)> {
        let mut inputs = vec![
            ("oci-mode", "docker"),
            ("registry", host.as_str()),
            ("username", USER),
            ("password", PASSWORD),
            ("binary", binary),
        ];
        inputs.extend_from_slice(more);
        inputs
    };
    let merge_job = RunnerJob::new("X64");
    let digests = merge_job.temp().join("digests");
    fs_err::create_dir(&digests).expect("create digests dir");
    merge_job.give(&digests);
    let mut legs = Vec::new();
    for (arch, runner_arch) in [("amd64", "X64"), ("arm64", "ARM64")] {
        let job = RunnerJob::new(runner_arch);
        write_context(&job.path("workspace"), &ci.base.index);
        let mut inputs = with(&[("push", "true")]);
        inputs.push(("tags", repo.as_str()));
        let step = job.step(&inputs, &[("SSL_CERT_FILE", ca.as_str())]).assert_ok();
        let file = PathBuf::from(step.output("digests-dir")).join(format!("linux-{arch}.json"));
        let metadata = read_json(&file);
        assert_eq!(metadata["mediaType"], MEDIA_DOCKER_MANIFEST, "{metadata:#}");
        fs_err::copy(&file, digests.join(file.file_name().unwrap())).expect("download artifact");
        legs.push((arch, step.output("digest").to_owned()));
    }
    let tag = format!("{repo}:1.0");
    let digests_input = digests.to_string_lossy().into_owned();
    let mut inputs = with(&[("mode", "aggregate")]);
    inputs.extend([("tags", tag.as_str()), ("digests", digests_input.as_str())]);
    let merged = merge_job
        .step(&inputs, &[("SSL_CERT_FILE", ca.as_str())])
        .assert_ok();
    let expected: Vec<(&str, &str)> = legs.iter().map(|(a, d)| (*a, d.as_str())).collect();
    let (digest, _) = ci.assert_index_of(MEDIA_DOCKER_MANIFEST_LIST, &tag, &expected);
    assert_eq!(merged.output("digest"), digest);
    assert!(
        merged
            .summary
            .contains(&format!("| **manifest list** | `{digest}` | ")),
        "summary:\n{}",
        merged.summary
    );
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
