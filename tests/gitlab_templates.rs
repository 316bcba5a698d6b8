// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The GitLab CI templates in `gitlab-ci-templates/` and the pipelines in `examples/gitlab/`, run the
//! way GitLab and a runner would run them.
//!
//! A project's `.gitlab-ci.yml` is read by `common::gitlab_pipeline` (includes, `extends`,
//! `parallel:matrix`, `workflow:rules` and job `rules:`, stages and `needs:`, variable precedence), for
//! a branch, merge-request or tag pipeline: GitLab's predefined `CI_*` variables of that kind of
//! pipeline, for a project whose registry is a TLS + basic-auth `docker-registry` on loopback. Each
//! planned job's `before_script` and `script` lines run in one busybox shell (`sh -e`, with only
//! busybox's applets on `PATH`: the debug executor image's shell), with the job's variables: predefined,
//! the file's global `variables:`, the job's, its matrix combination, and last the "project CI/CD
//! variables" a team would set, which is how the tests point `KANIKO_EXECUTOR` at the binary under
//! test. Every job starts in a fresh copy of the project; a job's `artifacts:paths` are carried to the
//! jobs that `need` it (or, without `needs:`, to the jobs of later stages).

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use common::ci::{cosign_keys, read_json, repo_path, write_context, CiRegistry, FakeKaniko, PASSWORD, USER};
use common::gitlab_expr;
use common::gitlab_pipeline::{expand, job_variables, needs, Pipeline, PlannedJob, Vars};
use common::tools;

const MULTIARCH: &str = "gitlab-ci-templates/kaniko-multiarch.gitlab-ci.yml";
const SINGLE: &str = "gitlab-ci-templates/kaniko-build.gitlab-ci.yml";
const SINGLE_EXAMPLE: &str = "examples/gitlab/single-arch.gitlab-ci.yml";
const MULTIARCH_EXAMPLE: &str = "examples/gitlab/multiarch.gitlab-ci.yml";

/// What started a pipeline, which decides GitLab's predefined variables.
#[derive(Clone, Copy, Debug)]
enum Trigger {
    /// A push to a branch (`CI_COMMIT_BRANCH`); `open_mr` sets `CI_OPEN_MERGE_REQUESTS`.
    Branch { open_mr: bool },
    /// A merge request's pipeline: `CI_PIPELINE_SOURCE=merge_request_event`, no `CI_COMMIT_BRANCH`.
    MergeRequest,
    /// A pushed git tag (`CI_COMMIT_TAG`), no `CI_COMMIT_BRANCH`.
    Tag(&'static str),
}

const BRANCH: Trigger = Trigger::Branch { open_mr: false };
const SHORT_SHA: &str = "1a2b3c4d";

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
    trigger: Trigger,
    /// "Project CI/CD variables".
    project_vars: Vars,
    /// File-type project variables (name, content): the runner writes each into
    /// `$CI_PROJECT_DIR.tmp/NAME`, and the variable holds that path.
    file_vars: Vec<(String, String)>,
    jobs_run: std::cell::Cell<u32>,
}

/// One job of a pipeline, as it ran.
struct JobRun {
    job: PlannedJob,
    project_dir: PathBuf,
    log: String,
    /// Its artifacts (`artifacts:paths`), as the later jobs get them.
    artifacts: PathBuf,
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
        Project {
            ci,
            root,
            image,
            trigger: BRANCH,
            project_vars: pairs(project_vars),
            file_vars: Vec::new(),
            jobs_run: std::cell::Cell::new(0),
        }
    }

    /// GitLab's predefined variables for a pipeline of `self.trigger` (those the templates and
    /// examples read), with the job's `CI_PROJECT_DIR`.
    fn predefined(&self, project_dir: &Path) -> Vars {
        let mut vars = pairs(&[
            ("CI", "true"),
            ("GITLAB_CI", "true"),
            ("CI_REGISTRY", self.ci.host().as_str()),
            ("CI_REGISTRY_IMAGE", self.image.as_str()),
            ("CI_REGISTRY_USER", USER),
            ("CI_REGISTRY_PASSWORD", PASSWORD),
            ("CI_PROJECT_URL", "https://gitlab.example.com/group/project"),
            ("CI_COMMIT_SHA", "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"),
            ("CI_COMMIT_SHORT_SHA", SHORT_SHA),
            ("CI_DEFAULT_BRANCH", "main"),
        ]);
        vars.push((
            "CI_PROJECT_DIR".into(),
            project_dir.to_string_lossy().into_owned(),
        ));
        let by_trigger: &[(&str, &str)] = match self.trigger {
            Trigger::Branch { open_mr: false } => &[
                ("CI_PIPELINE_SOURCE", "push"),
                ("CI_COMMIT_BRANCH", "main"),
                ("CI_COMMIT_REF_NAME", "main"),
            ],
            Trigger::Branch { open_mr: true } => &[
                ("CI_PIPELINE_SOURCE", "push"),
                ("CI_COMMIT_BRANCH", "feature/x"),
                ("CI_COMMIT_REF_NAME", "feature/x"),
                ("CI_OPEN_MERGE_REQUESTS", "group/project!7"),
            ],
            Trigger::MergeRequest => &[
                ("CI_PIPELINE_SOURCE", "merge_request_event"),
                ("CI_COMMIT_REF_NAME", "feature/x"),
                ("CI_MERGE_REQUEST_IID", "7"),
                ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/x"),
                ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
            ],
            Trigger::Tag(_) => &[("CI_PIPELINE_SOURCE", "push")],
        };
        vars.extend(pairs(by_trigger));
        if let Trigger::Tag(tag) = self.trigger {
            vars.extend(pairs(&[("CI_COMMIT_TAG", tag), ("CI_COMMIT_REF_NAME", tag)]));
        }
        vars
    }

    /// Project CI/CD variables, File-type ones holding their file's path in `project_dir`'s job.
    fn project_variables(&self, project_dir: &Path) -> Vars {
        let mut vars = self.project_vars.clone();
        for (name, _) in &self.file_vars {
            vars.push((
                name.clone(),
                file_var_path(project_dir, name).to_string_lossy().into_owned(),
            ));
        }
        vars
    }

    /// The jobs GitLab creates for `pipeline` (none when its workflow rules create no pipeline).
    fn plan(&self, pipeline: &Pipeline) -> Vec<PlannedJob> {
        let dir = Path::new("/builds/group/project");
        pipeline
            .plan(&self.predefined(dir), &self.project_variables(dir))
            .unwrap_or_default()
    }

    /// All variables `job` sees, expanded.
    fn variables(&self, job: &PlannedJob, project_dir: &Path) -> BTreeMap<String, String> {
        job_variables(
            &self.predefined(project_dir),
            job,
            &self.project_variables(project_dir),
        )
    }

    /// Runs every job of `pipeline`, in order, each with the artifacts of the jobs it needs (or of
    /// all earlier jobs, without `needs:`).
    fn run_pipeline(&self, pipeline: &Pipeline) -> Vec<JobRun> {
        let mut runs: Vec<JobRun> = Vec::new();
        for job in self.plan(pipeline) {
            let wanted = needs(&job.def);
            let artifacts: Vec<PathBuf> = runs
                .iter()
                .filter(|r| job.def.get("needs").is_none() || wanted.iter().any(|(n, _)| *n == r.job.name))
                .map(|r| r.artifacts.clone())
                .collect();
            let (project_dir, log) = self.run_job_logged(&job, &artifacts);
            let store = project_dir.with_file_name("artifacts");
            collect_artifacts(&job.def, &project_dir, &store);
            runs.push(JobRun {
                job,
                project_dir,
                log,
                artifacts: store,
            });
        }
        runs
    }

    /// Runs one job in a fresh checkout with `artifacts` (directories of earlier jobs' artifacts)
    /// unpacked into it; returns the job's project directory and its log (the shell's stdout and
    /// stderr).
    fn run_job_logged(&self, job: &PlannedJob, artifacts: &[PathBuf]) -> (PathBuf, String) {
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
        let vars = self.variables(job, &project_dir);
        let mut script = String::new();
        for (k, v) in &vars {
            script.push_str(&format!("export {k}={}\n", shell_quote(v)));
        }
        for line in lines(&job.def, "before_script")
            .iter()
            .chain(&lines(&job.def, "script"))
        {
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
        eprintln!("--- job {n} {} ---\n{script}", job.display_name());
        let out = tools::run(&mut cmd);
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "job {n} ({}) failed with {}:\n{log}",
            job.display_name(),
            out.status
        );
        (project_dir, log)
    }

    /// The repositories of this project in the registry (the image's and its cache repositories).
    fn repositories(&self) -> Vec<String> {
        let own = self.image.split_once('/').expect("HOST/REPO").1;
        self.ci
            .repositories()
            .into_iter()
            .filter(|r| r.starts_with(own))
            .collect()
    }
}

fn pairs(list: &[(&str, &str)]) -> Vars {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The names of planned jobs, as GitLab shows them.
fn job_names(jobs: &[PlannedJob]) -> Vec<String> {
    jobs.iter().map(PlannedJob::display_name).collect()
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
    fs_err::create_dir_all(store).expect("create artifacts dir");
    let Some(paths) = job["artifacts"]["paths"].as_array() else {
        return;
    };
    for path in paths {
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

/// The real binary as a file named `executor` (kaniko's images run `/kaniko/executor` with no
/// subcommand), behind [`recording_executor`].
fn executor_named_executor(bin: &Path) -> (String, PathBuf) {
    let real = bin.join("real");
    fs_err::create_dir(&real).expect("create dir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kaniko"), real.join("executor"))
        .expect("symlink executor");
    recording_executor(bin, &real.join("executor"))
}

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The runner tags and the image a job asks for, as GitLab expands them.
fn runner_tags_and_image(project: &Project, job: &PlannedJob) -> (Vec<String>, String) {
    let vars = project.variables(job, Path::new("/builds/group/project"));
    let tags = job.def["tags"]
        .as_array()
        .map(|a| a.iter().map(|t| expand(t.as_str().unwrap(), &vars)).collect())
        .unwrap_or_default();
    (tags, expand(job.def["image"]["name"].as_str().unwrap(), &vars))
}

#[test]
fn rules_expressions_follow_gitlab_semantics() {
    let v: BTreeMap<String, String> = pairs(&[
        ("SOURCE", "merge_request_event"),
        ("EMPTY", ""),
        ("BRANCH", "main"),
    ])
    .into_iter()
    .collect();
    let eval = |e: &str| gitlab_expr::evaluate(e, &v);
    assert!(eval(r#"$SOURCE == "merge_request_event""#));
    assert!(!eval(r#"$SOURCE != "merge_request_event""#));
    assert!(eval("$BRANCH"));
    assert!(!eval("$EMPTY"));
    assert!(!eval("$UNDEFINED"));
    assert!(eval("$UNDEFINED == null"));
    assert!(!eval(r#"$UNDEFINED == """#));
    assert!(eval(r#"$EMPTY == """#));
    assert!(!eval("$EMPTY == null"));
    // && binds tighter than ||.
    assert!(eval("$BRANCH || $UNDEFINED && $EMPTY"));
    assert!(!eval("($BRANCH || $UNDEFINED) && $EMPTY"));
    assert!(eval("$BRANCH == 'main' && ${SOURCE} != $BRANCH"));
}

#[test]
fn executor_image_is_the_kubernetes_drivers_image_with_a_shell() {
    // The Kubernetes driver's default --k8s-executor-image, from the binary's own help.
    let help = tools::run_ok(Command::new(env!("CARGO_BIN_EXE_kaniko")).args(["build", "--help"]));
    let help = String::from_utf8_lossy(&help).replace('\n', " ");
    let after = &help[help
        .find("--k8s-executor-image")
        .expect("--k8s-executor-image in the help")..];
    let default = after
        .split("[default: ")
        .nth(1)
        .and_then(|d| d.split(']').next())
        .expect("a default image");
    let (repository, _) = default.rsplit_once(':').expect("IMAGE:TAG");
    // The templates need a shell, so the debug variant of the same image.
    for template in [SINGLE, MULTIARCH] {
        let pipeline = Pipeline::including(template);
        let globals: BTreeMap<String, String> = pipeline.global_variables().into_iter().collect();
        assert_eq!(
            globals["KANIKO_EXECUTOR_IMAGE"],
            format!("{repository}:debug"),
            "{template}"
        );
        assert_eq!(globals["KANIKO_EXECUTOR"], "/kaniko/executor", "{template}");
        assert_eq!(globals["KANIKO_ISOLATION"], "container", "{template}");
        let project = Project::new(&[]);
        for job in project.plan(&pipeline) {
            assert_eq!(
                job.def["image"]["entrypoint"],
                serde_json::json!([""]),
                "{}",
                job.name
            );
            assert_eq!(
                runner_tags_and_image(&project, &job).1,
                format!("{repository}:debug")
            );
        }
    }
}

#[test]
fn multiarch_template_builds_each_architecture_and_aggregates_an_index() {
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
    let pipeline = Pipeline::including(MULTIARCH);
    let jobs = project.plan(&pipeline);
    assert_eq!(
        job_names(&jobs),
        [
            "kaniko-multiarch-build: [amd64]",
            "kaniko-multiarch-build: [arm64]",
            "kaniko-multiarch-aggregate"
        ]
    );
    // The aggregate job waits for the build jobs and gets their artifacts.
    assert_eq!(
        jobs[2].def["needs"],
        serde_json::json!(["kaniko-multiarch-build"])
    );
    // Each leg asks for a runner of its architecture.
    for job in &jobs[..2] {
        let arch = job.matrix_value("KANIKO_ARCH").expect("KANIKO_ARCH");
        let (tags, _) = runner_tags_and_image(&project, job);
        assert_eq!(tags, [format!("saas-linux-small-{arch}")]);
    }

    let runs = project.run_pipeline(&pipeline);
    let mut legs = Vec::new();
    for run in &runs[..2] {
        let arch = run.job.matrix_value("KANIKO_ARCH").unwrap();
        let metadata = read_json(&run.artifacts.join(format!("kaniko-digests/linux-{arch}.json")));
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
    let all_calls = calls(&executor_log);
    assert_eq!(all_calls.len(), 3, "{all_calls:#?}");
    for (call, (arch, _)) in all_calls.iter().zip(&legs) {
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
    let aggregate_call = &all_calls[2];
    assert!(aggregate_call.starts_with("aggregate "), "{aggregate_call}");
    assert!(!aggregate_call.contains("--cache"), "{aggregate_call}");
    let expected: Vec<(&str, &str)> = legs.iter().map(|(a, d)| (*a, d.as_str())).collect();
    let tagged = format!("{}:{SHORT_SHA}", project.image);
    let (digest, _) = project.ci.assert_index(&tagged, &expected);
    let (latest, _) = project
        .ci
        .assert_index(&format!("{}:latest", project.image), &expected);
    assert_eq!(latest, digest);
    // The dotenv report hands the index digest to later jobs.
    let aggregate = &runs[2];
    let dotenv = aggregate.job.def["artifacts"]["reports"]["dotenv"]
        .as_str()
        .expect("dotenv report");
    let report = fs_err::read_to_string(aggregate.project_dir.join(dotenv)).expect("read dotenv report");
    assert_eq!(report.trim(), format!("KANIKO_INDEX_DIGEST={digest}"));
}

#[test]
fn single_arch_template_builds_like_kaniko() {
    let bin = tempfile::tempdir().expect("tempdir");
    let (executor, executor_log) = executor_named_executor(bin.path());
    let mut project = Project::new(&[("KANIKO_EXECUTOR", executor.as_str()), ("KANIKO_CACHE", "true")]);
    project.trigger = Trigger::Tag("v1.2.3");
    let pipeline = Pipeline::including(SINGLE);
    let runs = project.run_pipeline(&pipeline);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].job.name, "kaniko-build");
    // `/kaniko/executor` with no subcommand, as kaniko's images are used; KANIKO_CACHE turned the
    // cache on, in the default repository ($KANIKO_IMAGE_NAME/cache).
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
    let manifest: Value = serde_json::from_slice(&project.ci.raw(&reference)).expect("manifest");
    assert!(
        manifest["manifests"].is_null(),
        "a single image, not an index: {manifest:#}"
    );
    let config = project.ci.config(&reference);
    assert_eq!(config["architecture"], host_arch());
    assert_eq!(config["config"]["Labels"]["version"], "dev", "{config:#}");
    // The docker config the script wrote holds the job's registry credentials.
    let docker_config = read_json(
        &runs[0]
            .project_dir
            .parent()
            .unwrap()
            .join("kaniko/.docker/config.json"),
    );
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    assert_eq!(docker_config["auths"][project.ci.host()]["auth"], auth);
}

/// The first ```yaml block after `heading` in docs/ci-integration.md.
fn docs_yaml_after(heading: &str) -> Value {
    let docs = fs_err::read_to_string(repo_path("docs/ci-integration.md")).expect("read docs");
    let section = &docs[docs
        .find(heading)
        .unwrap_or_else(|| panic!("{heading} in the docs"))..];
    let block = section.split("```yaml\n").nth(1).expect("a yaml block");
    let block = &block[..block.find("```").expect("closed block")];
    yaml_serde::from_str(block).unwrap_or_else(|e| panic!("the docs' YAML under {heading}: {e}\n{block}"))
}

#[test]
fn global_variables_of_the_including_file_reach_the_template_jobs() {
    // The documented example sets KANIKO_EXTRA_TAGS in the global `variables:`; a template job that
    // declared the variable itself would override it (GitLab gives job variables precedence), so the
    // extra tag silently never appeared.
    let docs = docs_yaml_after("### Multi-architecture");
    assert_eq!(docs["variables"]["KANIKO_EXTRA_TAGS"], "latest", "{docs:#}");
    let bin = tempfile::tempdir().expect("tempdir");
    let fake = FakeKaniko::new(&bin.path().join("fake"));
    let executor = fake.path.to_string_lossy().into_owned();
    let mut project = Project::new(&[("KANIKO_EXECUTOR", executor.as_str())]);
    let destinations = |project: &Project, pipeline: &Pipeline| -> Vec<String> {
        let before = fake.calls().len();
        project.run_pipeline(pipeline);
        let calls = fake.calls();
        let last = calls[before..]
            .iter()
            .rfind(|c| c.argv().starts_with("aggregate\n") || !c.argv().contains("--custom-platform"))
            .expect("a pushing call");
        let argv = last.argv();
        let words: Vec<&str> = argv.lines().collect();
        words
            .windows(2)
            .filter(|w| w[0] == "--destination")
            .map(|w| w[1].rsplit_once(':').expect("IMAGE:TAG").1.to_owned())
            .collect()
    };
    let pipeline = Pipeline::from_value(docs.clone());
    assert_eq!(destinations(&project, &pipeline), [SHORT_SHA, "latest"]);
    // The same with the single-architecture template.
    let mut single = docs.clone();
    single["include"][0]["remote"] = Value::String(
        docs["include"][0]["remote"]
            .as_str()
            .unwrap()
            .replace("kaniko-multiarch.gitlab-ci.yml", "kaniko-build.gitlab-ci.yml"),
    );
    assert_eq!(
        destinations(&project, &Pipeline::from_value(single)),
        [SHORT_SHA, "latest"]
    );
    // A job's own variables beat the global ones; project CI/CD variables beat both.
    let mut with_job = docs.clone();
    with_job["kaniko-multiarch-aggregate"] = serde_json::json!({"variables": {"KANIKO_EXTRA_TAGS": "edge"}});
    let with_job = Pipeline::from_value(with_job);
    assert_eq!(destinations(&project, &with_job), [SHORT_SHA, "edge"]);
    project
        .project_vars
        .push(("KANIKO_EXTRA_TAGS".into(), "stable".into()));
    assert_eq!(destinations(&project, &with_job), [SHORT_SHA, "stable"]);
}

#[test]
fn merge_request_pipelines_build_every_template_without_pushing() {
    for (template, expected) in [
        (SINGLE, vec!["kaniko-build-mr"]),
        (
            MULTIARCH,
            vec![
                "kaniko-multiarch-build-mr: [amd64]",
                "kaniko-multiarch-build-mr: [arm64]",
            ],
        ),
    ] {
        let bin = tempfile::tempdir().expect("tempdir");
        let (executor, executor_log) = executor_named_executor(bin.path());
        // Provenance and the cache are on: the merge-request jobs must neither attach provenance
        // (kaniko refuses --provenance with --no-push) nor store cache entries.
        let mut project = Project::new(&[
            ("KANIKO_EXECUTOR", executor.as_str()),
            ("KANIKO_CACHE", "true"),
            ("KANIKO_PROVENANCE", "true"),
            ("KANIKO_EXTRA_TAGS", "latest"),
        ]);
        project.trigger = Trigger::MergeRequest;
        let pipeline = Pipeline::including(template);
        let jobs = project.plan(&pipeline);
        assert_eq!(job_names(&jobs), expected, "{template}");
        for job in jobs.iter().filter(|j| !j.matrix.is_empty()) {
            let arch = job.matrix_value("KANIKO_ARCH").unwrap();
            assert_eq!(
                runner_tags_and_image(&project, job).0,
                [format!("saas-linux-small-{arch}")]
            );
        }
        let writes_before = project.ci.write_requests();
        let runs = project.run_pipeline(&pipeline);
        let all_calls = calls(&executor_log);
        assert_eq!(all_calls.len(), expected.len(), "{template}: {all_calls:#?}");
        for (call, run) in all_calls.iter().zip(&runs) {
            let words: Vec<&str> = call.split_whitespace().collect();
            for flag in ["--no-push", "--no-push-cache", "--cache=true"] {
                assert!(words.contains(&flag), "{template}: {flag} missing: {call}");
            }
            for flag in ["--push-by-digest", "--provenance", "--sign-images"] {
                assert!(
                    !words.contains(&flag),
                    "{template}: {flag} in a merge request: {call}"
                );
            }
            if let Some(arch) = run.job.matrix_value("KANIKO_ARCH") {
                assert!(
                    call.contains(&format!("--custom-platform linux/{arch} ")),
                    "{call}"
                );
            }
        }
        // Nothing reached the registry: no write request, no repository, no tag.
        assert_eq!(project.ci.write_requests(), writes_before, "{template}");
        assert_eq!(project.repositories(), Vec::<String>::new(), "{template}");
        for tag in [SHORT_SHA, "latest"] {
            assert!(
                !project.ci.exists(&format!("{}:{tag}", project.image)),
                "{template}: {tag}"
            );
        }
    }
}

/// An example pipeline run as a branch pipeline of a branch with an open merge request (no pipeline:
/// the merge request has its own), a merge-request pipeline (builds, pushes nothing), a branch
/// pipeline (the short commit SHA) and a tag pipeline (the tag and `latest`); returns each tag
/// published, in that order, with the manifest or index stored under it.
fn run_example(example: &str, push_jobs: &[&str], mr_jobs: &[&str]) -> (Project, Vec<(String, Vec<u8>)>) {
    let bin = tempfile::tempdir().expect("tempdir");
    let (executor, executor_log) = executor_named_executor(bin.path());
    let mut project = Project::new(&[("KANIKO_EXECUTOR", executor.as_str())]);
    let pipeline = Pipeline::load(&repo_path(example));

    project.trigger = Trigger::Branch { open_mr: true };
    assert!(
        project.plan(&pipeline).is_empty(),
        "{example}: a duplicate branch pipeline"
    );

    project.trigger = Trigger::MergeRequest;
    assert_eq!(job_names(&project.plan(&pipeline)), mr_jobs, "{example}");
    let writes_before = project.ci.write_requests();
    project.run_pipeline(&pipeline);
    let mr_calls = calls(&executor_log);
    assert_eq!(mr_calls.len(), mr_jobs.len(), "{mr_calls:#?}");
    assert!(
        mr_calls.iter().all(|c| c.contains(" --no-push ")),
        "{mr_calls:#?}"
    );
    assert_eq!(
        project.ci.write_requests(),
        writes_before,
        "{example}: the merge request pushed"
    );
    assert_eq!(project.repositories(), Vec::<String>::new(), "{example}");

    let mut published = Vec::new();
    for (trigger, tags) in [
        (BRANCH, vec![SHORT_SHA]),
        (Trigger::Tag("v1.2.3"), vec!["v1.2.3", "latest"]),
    ] {
        project.trigger = trigger;
        assert_eq!(
            job_names(&project.plan(&pipeline)),
            push_jobs,
            "{example} {trigger:?}"
        );
        project.run_pipeline(&pipeline);
        for tag in tags {
            published.push((
                tag.to_owned(),
                project.ci.raw(&format!("{}:{tag}", project.image)),
            ));
        }
        if matches!(trigger, Trigger::Branch { .. }) {
            // `latest` comes with tag pipelines only.
            assert!(
                !project.ci.exists(&format!("{}:latest", project.image)),
                "{example}"
            );
        }
    }
    (project, published)
}

#[test]
fn single_arch_example_runs_as_branch_merge_request_and_tag_pipelines() {
    let (project, published) = run_example(SINGLE_EXAMPLE, &["kaniko-build"], &["kaniko-build-mr"]);
    let tags: Vec<&str> = published.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tags, [SHORT_SHA, "v1.2.3", "latest"]);
    // The tag and `latest` name the same image.
    assert_eq!(published[1].1, published[2].1);
    for (tag, _) in &published {
        let config = project.ci.config(&format!("{}:{tag}", project.image));
        assert_eq!(config["architecture"], host_arch());
        let labels = &config["config"]["Labels"];
        assert_eq!(
            labels["org.opencontainers.image.source"],
            "https://gitlab.example.com/group/project"
        );
        assert_eq!(
            labels["org.opencontainers.image.revision"],
            "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
        );
    }
}

#[test]
fn multiarch_example_runs_as_branch_merge_request_and_tag_pipelines() {
    let (project, published) = run_example(
        MULTIARCH_EXAMPLE,
        &[
            "kaniko-multiarch-build: [amd64]",
            "kaniko-multiarch-build: [arm64]",
            "kaniko-multiarch-aggregate",
        ],
        &[
            "kaniko-multiarch-build-mr: [amd64]",
            "kaniko-multiarch-build-mr: [arm64]",
        ],
    );
    let tags: Vec<&str> = published.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tags, [SHORT_SHA, "v1.2.3", "latest"]);
    assert_eq!(published[1].1, published[2].1);
    for (tag, bytes) in &published {
        let index: Value = serde_json::from_slice(bytes).expect("index JSON");
        let legs: Vec<(String, String)> = index["manifests"]
            .as_array()
            .expect("an index")
            .iter()
            .map(|m| {
                (
                    m["platform"]["architecture"].as_str().unwrap().to_owned(),
                    m["digest"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected: Vec<(&str, &str)> = legs.iter().map(|(a, d)| (a.as_str(), d.as_str())).collect();
        assert_eq!(
            expected.iter().map(|(a, _)| *a).collect::<Vec<_>>(),
            ["amd64", "arm64"],
            "{tag}"
        );
        project
            .ci
            .assert_index(&format!("{}:{tag}", project.image), &expected);
        for (_, digest) in &legs {
            let config = project.ci.config(&format!("{}@{digest}", project.image));
            assert_eq!(
                config["config"]["Labels"]["org.opencontainers.image.source"],
                "https://gitlab.example.com/group/project"
            );
        }
    }
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
    for template in [SINGLE, MULTIARCH] {
        // The user's .gitlab-ci.yml sets KANIKO_SECRETS in its global variables, referring to the
        // file variables; the build jobs of branch and merge-request pipelines get them.
        let pipeline = Pipeline::from_value(serde_json::json!({
            "include": [{"local": template}],
            "variables": {"KANIKO_SECRETS": "id=npmrc,src=$NPMRC\nid=key,src=$SIGNING_KEY"}
        }));
        for trigger in [BRANCH, Trigger::MergeRequest] {
            project.trigger = trigger;
            for job in project.plan(&pipeline) {
                if job.name.ends_with("-aggregate") {
                    continue;
                }
                let before = fake.calls().len();
                let (project_dir, log) = project.run_job_logged(&job, &[]);
                let calls = fake.calls();
                assert_eq!(calls.len(), before + 1, "{template}: the executor ran once");
                let call = &calls[before];
                let argv = call.argv();
                let name = job.display_name();
                for (id, var, content) in [("npmrc", "NPMRC", npmrc), ("key", "SIGNING_KEY", key)] {
                    let path = file_var_path(&project_dir, var);
                    assert!(
                        argv.contains(&format!("--secret\nid={id},src={}\n", path.display())),
                        "{template} {name}: {argv}"
                    );
                    assert_eq!(call.secret(id), content, "{template} {name}");
                    for line in content.lines() {
                        assert!(!argv.contains(line), "{template}: {line:?} on the command line");
                        assert!(!log.contains(line), "{template}: {line:?} in the job log:\n{log}");
                    }
                }
            }
        }
    }
    // Without KANIKO_SECRETS, no --secret.
    project.trigger = BRANCH;
    project.run_pipeline(&Pipeline::including(SINGLE));
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
    let mut project = Project::new(&[
        ("KANIKO_EXECUTOR", env!("CARGO_BIN_EXE_kaniko")),
        ("COSIGN_PASSWORD", KEY_PASSWORD),
        ("KANIKO_PROVENANCE", "true"),
    ]);
    project.file_vars = vec![("KANIKO_COSIGN_KEY".into(), key_text.clone())];
    let runs = project.run_pipeline(&Pipeline::including(MULTIARCH));
    assert_eq!(runs.len(), 3);

    // The index and both platforms verify, each platform with its provenance.
    let docker_config = project.ci.docker_config();
    let reference = format!("{}:{SHORT_SHA}", project.image);
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
    for run in &runs {
        let log = &run.log;
        assert!(
            !log.contains(KEY_PASSWORD),
            "the password is in a job log:\n{log}"
        );
        for line in &key_body {
            assert!(!log.contains(line), "the key is in a job log:\n{log}");
        }
    }
}

#[test]
fn every_variable_the_templates_read_is_documented() {
    let docs = fs_err::read_to_string(repo_path("docs/ci-integration.md")).expect("read docs");
    let gitlab = &docs[docs.find("## GitLab CI").expect("a GitLab section")..];
    for template in [SINGLE, MULTIARCH] {
        let text = fs_err::read_to_string(repo_path(template)).expect("read template");
        let include = format!(
            "  - remote: {}v{}/{template}\n",
            common::gitlab_pipeline::REMOTE_PREFIX,
            common::ci::release_version()
        );
        assert!(
            gitlab.contains(&include),
            "the include line of {template}: {include}"
        );
        // Every KANIKO_* name the YAML or its scripts read, except the scripts' own (assigned in
        // them) and KANIKO_DIR, the executor image's environment.
        let mut read = std::collections::BTreeSet::new();
        let mut assigned = std::collections::BTreeSet::new();
        for (i, _) in text.match_indices("KANIKO_") {
            let name: String = text[i..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            let before = &text[..i];
            let after = &text[i + name.len()..];
            if after.starts_with('=') && (before.ends_with("- ") || before.ends_with("; ")) {
                assigned.insert(name);
            } else if before.ends_with('$') || before.ends_with("${") || after.starts_with(':') {
                read.insert(name);
            }
        }
        read.remove("KANIKO_DIR");
        for name in read.difference(&assigned) {
            assert!(
                gitlab.contains(&format!("| `{name}` |")),
                "{template} reads {name}, which the variable table of docs/ci-integration.md lacks"
            );
        }
        assert!(
            read.contains("KANIKO_SECRETS") && read.contains("KANIKO_EXTRA_TAGS"),
            "{read:?}"
        );
    }
}
