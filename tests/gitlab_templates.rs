// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The GitLab CI templates in `gitlab-ci-templates/`, run the way a GitLab runner would run them.
//!
//! Each template is read as YAML, its jobs' `extends` resolved (maps merged, everything else
//! replaced, as GitLab does), `parallel:matrix` expanded into one job per combination, and each job's
//! `before_script` and `script` lines run in one busybox shell (`sh -e`, with only busybox's applets on
//! `PATH`: the debug executor image's shell). The variables are GitLab's: predefined `CI_*` ones for a
//! project whose registry is a TLS + basic-auth `docker-registry` on loopback, then the job's YAML
//! variables (expanded against what came before), the matrix variables, and last the "project CI/CD
//! variables" a team would set, which is how the test points `KANIKO_EXECUTOR` at the binary under test.
//! Every job starts in a fresh copy of the project; a job's `artifacts:paths` are carried to the jobs
//! that `need` it, so the aggregate job sees only what the build jobs declared as artifacts.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};
use tempfile::TempDir;

use common::ci::{
    cosign_keys, load_yaml, read_json, repo_path, write_context, CiRegistry, FakeKaniko, PASSWORD, USER,
};
use common::tools;

const MULTIARCH: &str = "gitlab-ci-templates/kaniko-multiarch.gitlab-ci.yml";
const SINGLE: &str = "gitlab-ci-templates/kaniko-build.gitlab-ci.yml";

/// GitLab's `extends`: the job with every template it extends merged under it, recursively.
fn resolve(doc: &Value, name: &str) -> Value {
    let job = doc
        .get(name)
        .unwrap_or_else(|| panic!("no job {name} in the template"));
    let parents: Vec<&str> = match &job["extends"] {
        Value::Null => Vec::new(),
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        other => panic!("{name}: extends is {other}"),
    };
    let mut merged = Value::Object(Map::new());
    for parent in parents {
        merge(&mut merged, &resolve(doc, parent));
    }
    merge(&mut merged, job);
    merged.as_object_mut().expect("a job is a map").remove("extends");
    merged
}

fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// One job per combination of `parallel:matrix` (a single empty one without a matrix).
fn matrix_combinations(job: &Value) -> Vec<Vec<(String, String)>> {
    let Some(entries) = job["parallel"]["matrix"].as_array() else {
        return vec![Vec::new()];
    };
    let mut all = Vec::new();
    for entry in entries {
        let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for (name, values) in entry.as_object().expect("a matrix entry is a map") {
            let values: Vec<String> = match values {
                Value::Array(a) => a.iter().map(scalar).collect(),
                v => vec![scalar(v)],
            };
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push((name.clone(), v.clone()));
                        c
                    })
                })
                .collect();
        }
        all.extend(combos);
    }
    all
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// GitLab's variable expansion: `$NAME` and `${NAME}`, unknown names become empty.
fn expand(text: &str, vars: &[(String, String)]) -> String {
    let lookup = |name: &str| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}').expect("closed ${");
            out.push_str(&lookup(&braced[..end]));
            rest = &braced[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                out.push('$');
            } else {
                out.push_str(&lookup(&after[..len]));
            }
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    out
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn lines(job: &Value, key: &str) -> Vec<String> {
    job[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| l.as_str().expect("script lines are strings").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// An executor that records its arguments (one call per line of the returned log) and runs
/// `binary` with them: what the templates' script lines hand to kaniko, after the shell's expansion.
fn recording_executor(dir: &Path, binary: &Path) -> (String, PathBuf) {
    let log = dir.join("executor-calls.log");
    let wrapper = dir.join("executor");
    fs_err::write(
        &wrapper,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >>{}\nexec {} \"$@\"\n",
            shell_quote(&log.to_string_lossy()),
            shell_quote(&binary.to_string_lossy())
        ),
    )
    .expect("write executor wrapper");
    fs_err::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod wrapper");
    (wrapper.to_string_lossy().into_owned(), log)
}

fn calls(log: &Path) -> Vec<String> {
    fs_err::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A project on a GitLab instance whose container registry is `ci`.
struct Project {
    ci: CiRegistry,
    root: TempDir,
    /// `$CI_REGISTRY_IMAGE`.
    image: String,
    /// Predefined variables, then "project CI/CD variables".
    predefined: Vec<(String, String)>,
    project_vars: Vec<(String, String)>,
    /// File-type project variables (name, content): the runner writes each into
    /// `$CI_PROJECT_DIR.tmp/NAME`, and the variable holds that path.
    file_vars: Vec<(String, String)>,
    jobs_run: std::cell::Cell<u32>,
}

impl Project {
    fn new(project_vars: &[(&str, &str)]) -> Project {
        let ci = CiRegistry::start();
        let root = tempfile::Builder::new()
            .prefix("kaniko-gitlab-")
            .tempdir()
            .expect("tempdir");
        let image = ci.unique_repo("group/project");
        write_context(&root.path().join("source"), &ci.base.index);
        // The debug executor image's shell: busybox, with nothing else on PATH.
        let busybox = root.path().join("busybox");
        fs_err::create_dir(&busybox).expect("create busybox dir");
        tools::run_ok(
            Command::new("/bin/busybox")
                .args(["--install", "-s"])
                .arg(&busybox),
        );
        let predefined = [
            ("CI", "true"),
            ("GITLAB_CI", "true"),
            ("CI_REGISTRY", ci.host().as_str()),
            ("CI_REGISTRY_IMAGE", image.as_str()),
            ("CI_REGISTRY_USER", USER),
            ("CI_REGISTRY_PASSWORD", PASSWORD),
            ("CI_COMMIT_SHORT_SHA", "1a2b3c4d"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let project_vars = project_vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Project {
            ci,
            root,
            image,
            predefined,
            project_vars,
            file_vars: Vec::new(),
            jobs_run: std::cell::Cell::new(0),
        }
    }

    /// All variables a job sees, in precedence order (later wins).
    fn variables(
        &self,
        job: &Value,
        matrix: &[(String, String)],
        project_dir: &Path,
    ) -> Vec<(String, String)> {
        let mut vars = self.predefined.clone();
        vars.push((
            "CI_PROJECT_DIR".into(),
            project_dir.to_string_lossy().into_owned(),
        ));
        // A reference to a file variable expands to its path (GitLab 15.7 and later), so the paths
        // are there before the YAML variables are expanded, and again last (project variables win).
        let files: Vec<(String, String)> = self
            .file_vars
            .iter()
            .map(|(name, _)| {
                (
                    name.clone(),
                    file_var_path(project_dir, name).to_string_lossy().into_owned(),
                )
            })
            .collect();
        vars.extend(files.iter().cloned());
        if let Some(yaml) = job["variables"].as_object() {
            for (k, v) in yaml {
                let value = expand(&scalar(v), &vars);
                vars.push((k.clone(), value));
            }
        }
        vars.extend(matrix.iter().cloned());
        vars.extend(self.project_vars.iter().cloned());
        vars.extend(files);
        vars
    }

    /// Runs one job (one matrix combination) in a fresh checkout with `artifacts` (directories of
    /// earlier jobs' artifacts) unpacked into it; returns the job's project directory.
    fn run_job(&self, job: &Value, matrix: &[(String, String)], artifacts: &[PathBuf]) -> PathBuf {
        self.run_job_logged(job, matrix, artifacts).0
    }

    /// [`Project::run_job`], also returning the job's log (its shell's stdout and stderr).
    fn run_job_logged(
        &self,
        job: &Value,
        matrix: &[(String, String)],
        artifacts: &[PathBuf],
    ) -> (PathBuf, String) {
        let n = self.jobs_run.get() + 1;
        self.jobs_run.set(n);
        let dir = self.root.path().join(format!("job-{n}"));
        let project_dir = dir.join("project");
        copy_dir(&self.root.path().join("source"), &project_dir);
        for a in artifacts {
            copy_dir(a, &project_dir);
        }
        for (name, content) in &self.file_vars {
            let path = file_var_path(&project_dir, name);
            fs_err::create_dir_all(path.parent().unwrap()).expect("create file variables dir");
            fs_err::write(&path, content).expect("write file variable");
        }
        let kaniko_dir = dir.join("kaniko");
        fs_err::create_dir_all(kaniko_dir.join(".docker")).expect("create kaniko dir");
        let vars = self.variables(job, matrix, &project_dir);
        let mut script = String::new();
        for (k, v) in &vars {
            script.push_str(&format!("export {k}={}\n", shell_quote(v)));
        }
        for line in lines(job, "before_script").iter().chain(&lines(job, "script")) {
            script.push_str(line);
            script.push('\n');
        }
        let script_path = dir.join("job.sh");
        fs_err::write(&script_path, &script).expect("write job script");
        let mut cmd = Command::new("/bin/busybox");
        cmd.args(["sh", "-e"])
            .arg(&script_path)
            .current_dir(&project_dir)
            .env_clear()
            .env("PATH", self.root.path().join("busybox"))
            .env("HOME", &dir)
            // What the executor image provides: its own directory, its docker config, CA roots.
            .env("KANIKO_DIR", &kaniko_dir)
            .env("DOCKER_CONFIG", kaniko_dir.join(".docker"))
            .env("SSL_CERT_FILE", &self.ci.ca_cert);
        // Shown with the failure, if there is one.
        eprintln!("--- job {n} {matrix:?} ---\n{script}");
        let out = tools::run(&mut cmd);
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "job {n} failed with {}:\n{log}", out.status);
        (project_dir, log)
    }
}

/// Where the runner writes the file variable `name` of a job in `project_dir`.
fn file_var_path(project_dir: &Path, name: &str) -> PathBuf {
    let mut dir = project_dir.as_os_str().to_owned();
    dir.push(".tmp");
    PathBuf::from(dir).join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).expect("create dir");
    for entry in fs_err::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs_err::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// What a job declared as `artifacts:paths`, collected from its project directory.
fn collect_artifacts(job: &Value, project_dir: &Path, store: &Path) {
    for path in job["artifacts"]["paths"].as_array().expect("artifacts:paths") {
        let path = path.as_str().expect("artifact path").trim_end_matches('/');
        let source = project_dir.join(path);
        assert!(source.exists(), "artifact path {path} was not written by the job");
        if source.is_dir() {
            copy_dir(&source, &store.join(path));
        } else {
            fs_err::create_dir_all(store.join(path).parent().unwrap()).expect("create dir");
            fs_err::copy(&source, store.join(path)).expect("copy artifact");
        }
    }
}

#[test]
fn multiarch_template_builds_each_architecture_and_aggregates_an_index() {
    let doc = load_yaml(&repo_path(MULTIARCH));
    let build = resolve(&doc, "kaniko-multiarch-build");
    let aggregate = resolve(&doc, "kaniko-multiarch-aggregate");
    // The aggregate job waits for the build jobs and gets their artifacts.
    assert_eq!(aggregate["needs"], serde_json::json!(["kaniko-multiarch-build"]));
    for job in [&build, &aggregate] {
        assert_eq!(job["image"]["entrypoint"], serde_json::json!([""]), "{job:#}");
        assert_eq!(job["variables"]["KANIKO_EXECUTOR"], "/kaniko/executor");
        assert_eq!(job["variables"]["KANIKO_ISOLATION"], "container");
    }

    let bin = tempfile::tempdir().expect("tempdir");
    let (executor, executor_log) = recording_executor(bin.path(), Path::new(env!("CARGO_BIN_EXE_kaniko")));
    let mut project = Project::new(&[
        ("KANIKO_EXECUTOR", executor.as_str()),
        ("KANIKO_EXTRA_TAGS", "latest"),
        ("KANIKO_ARGS", "--label ci=gitlab --build-arg VERSION=2.0"),
        ("KANIKO_CACHE", "true"),
    ]);
    let cache_repo = format!("{}/buildcache", project.image);
    project
        .project_vars
        .push(("KANIKO_CACHE_REPO".into(), cache_repo.clone()));
    let combos = matrix_combinations(&build);
    let archs: Vec<&str> = combos
        .iter()
        .map(|c| {
            c.iter()
                .find(|(k, _)| k == "KANIKO_ARCH")
                .map(|(_, v)| v.as_str())
                .expect("KANIKO_ARCH")
        })
        .collect();
    assert_eq!(archs, ["amd64", "arm64"]);

    let store = project.root.path().join("artifacts");
    let mut legs = Vec::new();
    for combo in &combos {
        let arch = archs[legs.len()];
        // Each leg asks for a runner of its architecture.
        let vars = project.variables(&build, combo, Path::new("/builds/project"));
        let tags: Vec<String> = build["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .map(|t| expand(t.as_str().unwrap(), &vars))
            .collect();
        assert_eq!(tags, [format!("saas-linux-small-{arch}")]);
        assert_eq!(
            expand(build["image"]["name"].as_str().unwrap(), &vars),
            "kaniko-rs/executor:debug"
        );

        let project_dir = project.run_job(&build, combo, &[]);
        collect_artifacts(&build, &project_dir, &store);
        let metadata = read_json(&store.join(format!("kaniko-digests/linux-{arch}.json")));
        assert_eq!(metadata["platform"]["architecture"], arch, "{metadata:#}");
        let digest = metadata["digest"].as_str().expect("digest").to_owned();
        let config = project.ci.config(&format!("{}@{digest}", project.image));
        assert_eq!(config["architecture"], arch);
        assert_eq!(config["config"]["Labels"]["ci"], "gitlab", "{config:#}");
        assert_eq!(config["config"]["Labels"]["version"], "2.0", "{config:#}");
        legs.push((arch, digest));
    }
    // KANIKO_CACHE turned the cache on in each build job, one cache repository per architecture;
    // the aggregate job builds nothing and gets no cache flag.
    let build_calls = calls(&executor_log);
    assert_eq!(build_calls.len(), 2, "{build_calls:#?}");
    for (call, arch) in build_calls.iter().zip(&archs) {
        assert!(
            call.contains(&format!("--custom-platform linux/{arch} ")),
            "{call}"
        );
        assert!(
            call.contains(&format!(
                " --cache=true --cache-repo={cache_repo} --arch-cache-repo-suffix "
            )),
            "the cache flags did not reach the executor: {call}"
        );
    }
    // Pushed by digest: the tag appears only with the index.
    let tagged = format!("{}:1a2b3c4d", project.image);
    assert!(!project.ci.exists(&tagged), "a build job created the tag");

    let project_dir = project.run_job(&aggregate, &[], &[store]);
    let aggregate_call = &calls(&executor_log)[2];
    assert!(aggregate_call.starts_with("aggregate "), "{aggregate_call}");
    assert!(!aggregate_call.contains("--cache"), "{aggregate_call}");
    let expected: Vec<(&str, &str)> = legs.iter().map(|(a, d)| (*a, d.as_str())).collect();
    let (digest, _) = project.ci.assert_index(&tagged, &expected);
    let (latest, _) = project
        .ci
        .assert_index(&format!("{}:latest", project.image), &expected);
    assert_eq!(latest, digest);
    // The dotenv report hands the index digest to later jobs.
    let dotenv = aggregate["artifacts"]["reports"]["dotenv"]
        .as_str()
        .expect("dotenv report");
    let report = fs_err::read_to_string(project_dir.join(dotenv)).expect("read dotenv report");
    assert_eq!(report.trim(), format!("KANIKO_INDEX_DIGEST={digest}"));
}

#[test]
fn single_arch_template_builds_like_kaniko() {
    let doc = load_yaml(&repo_path(SINGLE));
    let job = resolve(&doc, "kaniko-build");
    assert_eq!(job["image"]["entrypoint"], serde_json::json!([""]));
    let script = lines(&job, "script");
    assert!(
        script
            .iter()
            .any(|l| l.starts_with("$KANIKO_EXECUTOR --context ")),
        "kaniko's executor invocation: {script:#?}"
    );
    // `/kaniko/executor` with no subcommand, as kaniko's images are used: the recording wrapper
    // runs a binary named `executor` too.
    let bin = tempfile::tempdir().expect("tempdir");
    let real = bin.path().join("real");
    fs_err::create_dir(&real).expect("create dir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kaniko"), real.join("executor"))
        .expect("symlink executor");
    let (executor, executor_log) = recording_executor(bin.path(), &real.join("executor"));
    let mut project = Project::new(&[("KANIKO_EXECUTOR", executor.as_str()), ("KANIKO_CACHE", "true")]);
    project.predefined.push(("CI_COMMIT_TAG".into(), "v1.2.3".into()));

    let project_dir = project.run_job(&job, &[], &[]);
    // KANIKO_CACHE turned the cache on, in the default repository ($KANIKO_IMAGE_NAME/cache).
    let call = calls(&executor_log);
    assert_eq!(call.len(), 1, "{call:#?}");
    assert!(call[0].starts_with("--context "), "{call:#?}");
    assert!(
        call[0].split_whitespace().any(|w| w == "--cache=true"),
        "{call:#?}"
    );
    assert!(
        !call[0].contains("--cache-repo") && !call[0].contains("--arch-cache-repo-suffix"),
        "{call:#?}"
    );
    let reference = format!("{}:v1.2.3", project.image);
    let manifest: serde_json::Value = serde_json::from_slice(&project.ci.raw(&reference)).expect("manifest");
    assert!(
        manifest["manifests"].is_null(),
        "a single image, not an index: {manifest:#}"
    );
    let config = project.ci.config(&reference);
    let host_arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    assert_eq!(config["architecture"], host_arch);
    assert_eq!(config["config"]["Labels"]["version"], "dev", "{config:#}");
    // The docker config the script wrote holds the job's registry credentials.
    let docker_config = read_json(&project_dir.parent().unwrap().join("kaniko/.docker/config.json"));
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    assert_eq!(docker_config["auths"][project.ci.host()]["auth"], auth);
}

#[test]
fn file_variables_reach_the_build_jobs_as_secrets() {
    let npmrc = "//registry.example/:_authToken=gitlab-file-secret\n";
    let key = "-----BEGIN TEST KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END TEST KEY-----\n";
    let bin = tempfile::tempdir().expect("tempdir");
    let fake = FakeKaniko::new(&bin.path().join("fake"));
    let executor = fake.path.to_string_lossy().into_owned();
    let mut project = Project::new(&[("KANIKO_EXECUTOR", executor.as_str())]);
    project.file_vars = vec![("NPMRC".into(), npmrc.into()), ("SIGNING_KEY".into(), key.into())];
    // The user's .gitlab-ci.yml sets KANIKO_SECRETS on the included job, referring to the file
    // variables.
    let user = serde_json::json!({
        "variables": {"KANIKO_SECRETS": "id=npmrc,src=$NPMRC\nid=key,src=$SIGNING_KEY"}
    });
    for (template, name) in [(SINGLE, "kaniko-build"), (MULTIARCH, "kaniko-multiarch-build")] {
        let mut job = resolve(&load_yaml(&repo_path(template)), name);
        merge(&mut job, &user);
        for combo in matrix_combinations(&job) {
            let before = fake.calls().len();
            let (project_dir, log) = project.run_job_logged(&job, &combo, &[]);
            let calls = fake.calls();
            assert_eq!(calls.len(), before + 1, "{template}: the executor ran once");
            let call = &calls[before];
            let argv = call.argv();
            for (id, var, content) in [("npmrc", "NPMRC", npmrc), ("key", "SIGNING_KEY", key)] {
                let path = file_var_path(&project_dir, var);
                assert!(
                    argv.contains(&format!("--secret\nid={id},src={}\n", path.display())),
                    "{template} {combo:?}: {argv}"
                );
                assert_eq!(call.secret(id), content, "{template} {combo:?}");
                for line in content.lines() {
                    assert!(!argv.contains(line), "{template}: {line:?} on the command line");
                    assert!(!log.contains(line), "{template}: {line:?} in the job log:\n{log}");
                }
            }
        }
    }
    // Without KANIKO_SECRETS, no --secret.
    let job = resolve(&load_yaml(&repo_path(SINGLE)), "kaniko-build");
    project.run_job(&job, &[], &[]);
    let calls = fake.calls();
    let argv = calls.last().expect("a call").argv();
    assert!(!argv.contains("--secret"), "{argv}");
}

#[test]
fn signing_variables_sign_each_platform_and_the_index_with_provenance() {
    const KEY_PASSWORD: &str = "gitlab-cosign-password-7d2e";
    let keys = tempfile::tempdir().expect("tempdir");
    let (private, public) = cosign_keys(keys.path(), KEY_PASSWORD);
    let key_text = fs_err::read_to_string(&private).expect("read key");
    let doc = load_yaml(&repo_path(MULTIARCH));
    let build = resolve(&doc, "kaniko-multiarch-build");
    let aggregate = resolve(&doc, "kaniko-multiarch-aggregate");
    let mut project = Project::new(&[
        ("KANIKO_EXECUTOR", env!("CARGO_BIN_EXE_kaniko")),
        ("COSIGN_PASSWORD", KEY_PASSWORD),
        ("KANIKO_PROVENANCE", "true"),
    ]);
    project.file_vars = vec![("KANIKO_COSIGN_KEY".into(), key_text.clone())];
    let store = project.root.path().join("artifacts");
    let mut logs = Vec::new();
    for combo in matrix_combinations(&build) {
        let (project_dir, log) = project.run_job_logged(&build, &combo, &[]);
        collect_artifacts(&build, &project_dir, &store);
        logs.push(log);
    }
    let (_, log) = project.run_job_logged(&aggregate, &[], &[store]);
    logs.push(log);

    // The index and both platforms verify, each platform with its provenance.
    let docker_config = project.ci.docker_config();
    let reference = format!("{}:1a2b3c4d", project.image);
    let verified = tools::run(
        Command::new(env!("CARGO_BIN_EXE_kaniko"))
            .args(["verify", "--provenance", "--key"])
            .arg(&public)
            .arg(&reference)
            .env("DOCKER_CONFIG", docker_config.path())
            .env("SSL_CERT_FILE", &project.ci.ca_cert),
    );
    let text = tools::output_text(&verified);
    assert!(verified.status.success(), "{text}");
    for what in ["verified index", "verified linux/amd64", "verified linux/arm64"] {
        assert!(text.contains(what), "{what}: {text}");
    }
    // Neither the password nor the key's text reached a job log.
    let key_body: Vec<&str> = key_text.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!key_body.is_empty());
    for log in &logs {
        assert!(
            !log.contains(KEY_PASSWORD),
            "the password is in a job log:\n{log}"
        );
        for line in &key_body {
            assert!(!log.contains(line), "the key is in a job log:\n{log}");
        }
    }
}
