// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A workflow file run the way GitHub runs it, job by job and step by step, each job on its own
//! simulated runner ([`RunnerJob`]): expressions evaluated against the `github`, `inputs`, `secrets`,
//! `env`, `needs`, `matrix`, `steps` and `runner` contexts ([`super::gha_expr`]), `if:` honoured,
//! `strategy.matrix` expanded (including `fromJSON` of an earlier job's output), `run:` steps run by
//! bash, and the kaniko-rs action (`./.kaniko-action` or `kaniko-rs/kaniko-rs@…`) run as its script
//! with the step's `with:` as inputs. Other actions are stood in for: `actions/checkout` puts the
//! caller's files in place (or records which kaniko-rs ref would be checked out),
//! `actions/upload-artifact` and `actions/download-artifact` copy files between jobs as
//! `merge-multiple` does, and `docker/metadata-action` answers with the outputs the test gives it.
//! Any other action is a panic, so a workflow cannot grow a step the tests skip.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::gha_expr::{condition, substitute, to_text};
use super::gha_runner::{RunnerJob, Step};

/// What the workflow is run with.
pub struct Trigger<'a> {
    /// The `github` context (event_name, ref, actor, token, …).
    pub github: Value,
    /// `workflow_call` inputs (a reusable workflow); the defaults fill in the rest.
    pub inputs: Value,
    pub secrets: Value,
    /// Workflow-level `env` values to replace, as a fork would edit them (the registry).
    pub env: Value,
    /// Writes the caller's repository into a directory (what actions/checkout fetches).
    pub checkout: &'a dyn Fn(&Path),
    /// Inputs added to every kaniko-rs action step (`binary`: the kaniko under test).
    pub action_inputs: Vec<(String, String)>,
    /// Environment added to every step (`SSL_CERT_FILE` for the test registry).
    pub step_env: Vec<(String, String)>,
    /// The outputs of a docker/metadata-action step, given its evaluated `with:` and `env:`.
    pub metadata_action: &'a dyn Fn(&Value, &Value) -> BTreeMap<String, String>,
    /// Inputs of a called reusable workflow to replace after the caller's `with:` is evaluated, as
    /// a fork would edit them (`registry: ghcr.io` in a `with:`, which cannot read `env`).
    pub call_overrides: Value,
    /// `github.job_workflow_sha` inside a called reusable workflow: the commit it was called at.
    pub job_workflow_sha: String,
}

/// One job (one leg of a matrix) as it ran.
pub struct JobRun {
    pub job: String,
    pub matrix: Value,
    /// `runs-on`, evaluated.
    pub runs_on: Value,
    /// The kaniko-rs action steps, in order.
    pub action_steps: Vec<Step>,
    /// `repository@ref` of every checkout of another repository.
    pub checkouts: Vec<String>,
    pub success: bool,
    pub outputs: BTreeMap<String, String>,
    /// Kept so that a test can look at the runner's files.
    pub runner: RunnerJob,
}

/// Every job that ran, and the names of those skipped by their `if:`.
pub struct WorkflowRun {
    pub jobs: Vec<JobRun>,
    pub skipped: Vec<String>,
}

impl WorkflowRun {
    /// The runs of `job` (one per matrix leg).
    pub fn job(&self, job: &str) -> Vec<&JobRun> {
        self.jobs.iter().filter(|j| j.job == job).collect()
    }
}

/// Runs `workflow` (as YAML read by [`super::ci::load_yaml`]) with `trigger`.
pub fn run_workflow(workflow: &Value, trigger: &Trigger) -> WorkflowRun {
    let mut inputs = Map::new();
    if let Some(specs) = workflow["on"]["workflow_call"]["inputs"].as_object() {
        for (name, spec) in specs {
            if let Some(default) = spec.get("default") {
                inputs.insert(name.clone(), default.clone());
            }
        }
        for (name, spec) in specs {
            if spec["required"] == true {
                assert!(
                    trigger.inputs.get(name).is_some(),
                    "the required input {name} is not given"
                );
            }
        }
    }
    for (name, value) in trigger.inputs.as_object().into_iter().flatten() {
        assert!(
            workflow["on"]["workflow_call"].is_null()
                || workflow["on"]["workflow_call"]["inputs"].get(name).is_some(),
            "the workflow has no input {name}"
        );
        inputs.insert(name.clone(), value.clone());
    }
    let mut ctx = json!({
        "github": trigger.github,
        "inputs": inputs,
        "secrets": trigger.secrets,
        "needs": {},
        "env": {},
    });
    let mut env = Map::new();
    for (k, v) in workflow["env"].as_object().into_iter().flatten() {
        let value = match trigger.env.get(k) {
            Some(v) => v.clone(),
            None => substitute(&to_text(v), &ctx),
        };
        env.insert(k.clone(), value);
        ctx["env"] = Value::Object(env.clone());
    }

    let mut run = WorkflowRun {
        jobs: Vec::new(),
        skipped: Vec::new(),
    };
    // Uploaded files, kept until the jobs that download them have run.
    let mut artifacts: BTreeMap<String, (tempfile::TempDir, Vec<PathBuf>)> = BTreeMap::new();
    let mut results: BTreeMap<String, (bool, BTreeMap<String, String>)> = BTreeMap::new();
    for (name, job) in workflow["jobs"].as_object().expect("jobs") {
        let needs: Vec<String> = match &job["needs"] {
            Value::Null => Vec::new(),
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a.iter().map(to_text).collect(),
            other => panic!("{name}: needs is {other}"),
        };
        let mut needs_ctx = Map::new();
        let mut needs_ok = true;
        for need in &needs {
            let (ok, outputs) = results
                .get(need)
                .unwrap_or_else(|| panic!("{name} needs {need}, which did not run before it"));
            needs_ok &= *ok;
            needs_ctx.insert(
                need.clone(),
                json!({"outputs": outputs, "result": if *ok { "success" } else { "failure" }}),
            );
        }
        ctx["needs"] = Value::Object(needs_ctx);
        let runs = needs_ok && job.get("if").is_none_or(|c| condition(&to_text(c), &ctx));
        if !runs {
            run.skipped.push(name.clone());
            results.insert(name.clone(), (false, BTreeMap::new()));
            continue;
        }
        if let Some(uses) = job["uses"].as_str() {
            let (called, outputs, ok) = call_workflow(uses, job, &ctx, trigger);
            run.jobs.extend(called.jobs);
            run.skipped.extend(called.skipped);
            results.insert(name.clone(), (ok, outputs));
            continue;
        }
        let legs: Vec<Value> = match job["strategy"]["matrix"].clone() {
            Value::Null => vec![Value::Object(Map::new())],
            Value::String(s) => matrix_legs(&substitute(&s, &ctx)),
            m => matrix_legs(&m),
        };
        let mut ok = true;
        let mut outputs = BTreeMap::new();
        for leg in legs {
            let job_run = run_job(name, job, &ctx, leg, trigger, &mut artifacts);
            ok &= job_run.success;
            // With a matrix, GitHub keeps one leg's outputs; ours set none.
            outputs.extend(job_run.outputs.clone());
            run.jobs.push(job_run);
        }
        results.insert(name.clone(), (ok, outputs));
    }
    run
}

/// A job that `uses:` this repository's reusable workflow: run with the job's `with:` as inputs and
/// its `secrets:`, in the caller's `github` context plus `job_workflow_sha`. Returns the run, the
/// workflow's outputs and whether every job that ran succeeded.
fn call_workflow(
    uses: &str,
    job: &Value,
    ctx: &Value,
    trigger: &Trigger,
) -> (WorkflowRun, BTreeMap<String, String>, bool) {
    let path = uses
        .strip_prefix("kaniko-rs/kaniko-rs/")
        .and_then(|p| p.split_once('@'))
        .map(|(p, _)| p)
        .unwrap_or_else(|| panic!("only kaniko-rs/kaniko-rs's reusable workflows are run here, not {uses}"));
    let workflow = super::ci::load_yaml(&super::ci::repo_path(path));
    let mut inputs: Map<String, Value> = evaluate_map(&job["with"], ctx)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    for (k, v) in trigger.call_overrides.as_object().into_iter().flatten() {
        inputs.insert(k.clone(), v.clone());
    }
    let secrets: Value = if job["secrets"] == "inherit" {
        trigger.secrets.clone()
    } else {
        evaluate_map(&job["secrets"], ctx)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect()
    };
    let mut github = trigger.github.clone();
    github["job_workflow_sha"] = Value::String(trigger.job_workflow_sha.clone());
    let called = Trigger {
        github,
        inputs: Value::Object(inputs),
        secrets,
        env: Value::Null,
        checkout: trigger.checkout,
        action_inputs: trigger.action_inputs.clone(),
        step_env: trigger.step_env.clone(),
        metadata_action: trigger.metadata_action,
        call_overrides: Value::Null,
        job_workflow_sha: trigger.job_workflow_sha.clone(),
    };
    let run = run_workflow(&workflow, &called);
    let mut jobs = Map::new();
    for j in &run.jobs {
        let entry = jobs
            .entry(j.job.clone())
            .or_insert_with(|| json!({"outputs": {}}));
        for (k, v) in &j.outputs {
            entry["outputs"][k] = Value::String(v.clone());
        }
    }
    let outputs = evaluate_map(
        &workflow["on"]["workflow_call"]["outputs"]
            .as_object()
            .map_or(Value::Null, |o| {
                o.iter().map(|(k, v)| (k.clone(), v["value"].clone())).collect()
            }),
        &json!({ "jobs": jobs }),
    );
    let ok = run.jobs.iter().all(|j| j.success);
    (run, outputs, ok)
}

fn matrix_legs(matrix: &Value) -> Vec<Value> {
    let include = matrix["include"]
        .as_array()
        .unwrap_or_else(|| panic!("only matrix include lists are run here: {matrix}"));
    include.clone()
}

/// The runner architecture of a leg, from its platform (X64 without one).
fn runner_arch(matrix: &Value) -> &'static str {
    match matrix["platform"].as_str().unwrap_or("linux/amd64") {
        "linux/amd64" => "X64",
        "linux/arm64" => "ARM64",
        p if p.starts_with("linux/arm/") => "ARM",
        "linux/386" => "X86",
        p => panic!("no runner architecture for {p}"),
    }
}

fn is_kaniko_action(uses: &str) -> bool {
    uses == "./.kaniko-action" || uses.starts_with("kaniko-rs/kaniko-rs@")
}

fn run_job(
    name: &str,
    job: &Value,
    workflow_ctx: &Value,
    matrix: Value,
    trigger: &Trigger,
    artifacts: &mut BTreeMap<String, (tempfile::TempDir, Vec<PathBuf>)>,
) -> JobRun {
    let runner = RunnerJob::new(runner_arch(&matrix));
    let mut ctx = workflow_ctx.clone();
    ctx["matrix"] = matrix.clone();
    ctx["runner"] = json!({"temp": runner.temp().to_string_lossy(), "os": "Linux", "arch": runner.arch});
    ctx["steps"] = json!({});
    let runs_on = substitute(&to_text(&job["runs-on"]), &ctx);
    let runs_on = if job["runs-on"].is_string() {
        runs_on
    } else {
        job["runs-on"].clone()
    };
    let mut job_env: Vec<(String, String)> = Vec::new();
    for (k, v) in job["env"].as_object().into_iter().flatten() {
        job_env.push((k.clone(), to_text(&substitute(&to_text(v), &ctx))));
    }
    for (k, v) in workflow_ctx["env"].as_object().into_iter().flatten() {
        job_env.push((k.clone(), to_text(v)));
    }
    let mut action_steps = Vec::new();
    let mut checkouts = Vec::new();
    let mut success = true;
    for step in job["steps"].as_array().expect("steps") {
        if let Some(cond) = step.get("if") {
            if !condition(&to_text(cond), &ctx) {
                continue;
            }
        }
        let with = evaluate_map(&step["with"], &ctx);
        let mut env = job_env.clone();
        for (k, v) in evaluate_map(&step["env"], &ctx) {
            env.push((k, v));
        }
        env.extend(trigger.step_env.iter().cloned());
        let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let outputs: BTreeMap<String, String>;
        if let Some(script) = step["run"].as_str() {
            // GitHub evaluates the expressions of a script before the shell sees it.
            let done = runner.run_step(&to_text(&substitute(script, &ctx)), &env_refs);
            if !done.success {
                eprintln!("{name}: run step failed:\n{}", done.log);
                success = false;
                break;
            }
            outputs = done.outputs;
        } else {
            let uses = step["uses"].as_str().expect("a step runs or uses");
            let with_refs: Vec<(&str, &str)> = with.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            if is_kaniko_action(uses) {
                let mut inputs = with_refs.clone();
                inputs.extend(
                    trigger
                        .action_inputs
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str())),
                );
                let done = runner.step(&inputs, &env_refs);
                outputs = done.outputs.clone();
                let failed = !done.success;
                action_steps.push(done);
                if failed {
                    success = false;
                    break;
                }
            } else if uses.starts_with("actions/checkout@") {
                match with.get("repository") {
                    Some(repository) => {
                        let reference = with.get("ref").cloned().unwrap_or_default();
                        checkouts.push(format!("{repository}@{reference}"));
                    }
                    None => {
                        let dir = runner
                            .path("workspace")
                            .join(with.get("path").map_or(".", String::as_str));
                        (trigger.checkout)(&dir);
                        runner.give(&dir);
                    }
                }
                outputs = BTreeMap::new();
            } else if uses.starts_with("actions/upload-artifact@") {
                let name = with["name"].clone();
                let pattern = with["path"].trim_end_matches("/*").to_owned();
                let files: Vec<PathBuf> = fs_err::read_dir(&pattern)
                    .unwrap_or_else(|e| panic!("upload-artifact {name}: {e}"))
                    .map(|e| e.expect("dir entry").path())
                    .collect();
                assert!(!files.is_empty(), "upload-artifact {name}: no files in {pattern}");
                let keep = tempfile::tempdir().expect("artifact dir");
                let copies = files
                    .iter()
                    .map(|f| {
                        let copy = keep.path().join(f.file_name().expect("file name"));
                        fs_err::copy(f, &copy).expect("copy artifact");
                        copy
                    })
                    .collect();
                artifacts.insert(name, (keep, copies));
                outputs = BTreeMap::new();
            } else if uses.starts_with("actions/download-artifact@") {
                assert_eq!(with.get("merge-multiple").map(String::as_str), Some("true"));
                let prefix = with["pattern"].trim_end_matches('*').to_owned();
                let dest = PathBuf::from(&with["path"]);
                fs_err::create_dir_all(&dest).expect("create download dir");
                for (artifact, (_, files)) in artifacts.iter() {
                    if artifact.starts_with(&prefix) {
                        for f in files {
                            fs_err::copy(f, dest.join(f.file_name().unwrap())).expect("download artifact");
                        }
                    }
                }
                runner.give(&dest);
                outputs = BTreeMap::new();
            } else if uses.starts_with("docker/metadata-action@") {
                let with_value: Value = with
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                    .collect();
                let env_value: Value = env
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                    .collect();
                outputs = (trigger.metadata_action)(&with_value, &env_value);
            } else {
                panic!("{name}: the step uses {uses}, which these tests do not stand in for");
            }
        }
        if let Some(id) = step["id"].as_str() {
            ctx["steps"][id] = json!({ "outputs": outputs });
        }
    }
    let outputs = if success {
        evaluate_map(&job["outputs"], &ctx)
    } else {
        BTreeMap::new()
    };
    JobRun {
        job: name.to_owned(),
        matrix,
        runs_on,
        action_steps,
        checkouts,
        success,
        outputs,
        runner,
    }
}

/// A `with:`, `env:` or `outputs:` map with its expressions evaluated, as strings.
fn evaluate_map(map: &Value, ctx: &Value) -> BTreeMap<String, String> {
    map.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => to_text(&substitute(s, ctx)),
                other => to_text(other),
            };
            (k.clone(), text)
        })
        .collect()
}
