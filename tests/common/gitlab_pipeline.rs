// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A project's `.gitlab-ci.yml` read the way GitLab reads it, for the tests that run the GitLab
//! templates and examples (`tests/gitlab_templates.rs`): which jobs a pipeline gets, in which order,
//! and with which variables. Running a job's script is the test's business.
//!
//! Modelled, after GitLab's documentation:
//! - `include:` (`local:` paths of this repository, and `remote:` URLs of this project's own
//!   templates, read from this checkout), included files deep-merged under the including one (maps
//!   merged, the including file winning; anything else replaced);
//! - `extends:` resolved the same way, recursively;
//! - `parallel:matrix` expanded into one job per combination;
//! - `workflow:rules` and job `rules:` (`if:` as in [`gitlab_expr`], `when: on_success | always |
//!   never`, `variables:`): the first matching rule decides, no match means no job (or no pipeline);
//!   a job without `rules:` runs in branch and tag pipelines, not in merge-request pipelines (GitLab's
//!   default of `only: [branches, tags]`);
//! - `stages:` (GitLab's default list without one) and `needs:`, which must name jobs of the same
//!   pipeline, as pipeline creation otherwise fails;
//! - variable precedence, lowest first: predefined, global `variables:`, `workflow:rules:variables`,
//!   the job's `variables:`, its rule's `variables:`, its matrix combination, then project CI/CD
//!   variables; every value is then expanded against the result, as the runner does.
//!
//! Anything else a job or rule says (`only`, `changes`, `when: manual`, …) is a panic naming it, so a
//! template cannot rely on a keyword the tests would ignore.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::ci::{load_yaml, release_version, repo_path};
use super::gitlab_expr;

/// Where this project's templates are fetched from in an `include: - remote:` line; the rest of the
/// URL is `v<release version>/<path in the repository>`.
pub const REMOTE_PREFIX: &str = "https://raw.githubusercontent.com/kaniko-rs/kaniko-rs/";

/// Top-level keys that are not jobs.
const GLOBAL_KEYWORDS: &[&str] = &[
    "include",
    "variables",
    "stages",
    "workflow",
    "default",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
];

/// Variables as (name, value) pairs, lowest precedence first.
pub type Vars = Vec<(String, String)>;

/// A `.gitlab-ci.yml` with its includes merged in.
pub struct Pipeline {
    pub doc: Value,
}

/// One job of a pipeline: a matrix combination of a job definition, with the variables its YAML gives
/// it (global, workflow rule, job, job rule and matrix layers, in that order, unexpanded).
pub struct PlannedJob {
    pub name: String,
    pub def: Value,
    pub matrix: Vars,
    pub yaml_variables: Vars,
}

impl PlannedJob {
    /// GitLab's name for a matrix job: `build: [amd64]`.
    pub fn display_name(&self) -> String {
        if self.matrix.is_empty() {
            return self.name.clone();
        }
        let values: Vec<&str> = self.matrix.iter().map(|(_, v)| v.as_str()).collect();
        format!("{}: [{}]", self.name, values.join(", "))
    }

    /// The value of the matrix variable `name`.
    pub fn matrix_value(&self, name: &str) -> Option<&str> {
        self.matrix
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Pipeline {
    /// The project file at `path` (a `.gitlab-ci.yml`).
    pub fn load(path: &Path) -> Pipeline {
        Pipeline::from_value(load_yaml(path))
    }

    /// A `.gitlab-ci.yml` given as a value.
    pub fn from_value(user: Value) -> Pipeline {
        let mut doc = Value::Object(Map::new());
        for included in includes(&user["include"]) {
            merge(&mut doc, &Pipeline::from_value(load_yaml(&included)).doc);
        }
        merge(&mut doc, &user);
        if let Some(map) = doc.as_object_mut() {
            map.remove("include");
        }
        Pipeline { doc }
    }

    /// A `.gitlab-ci.yml` that only includes the repository file `relative`.
    pub fn including(relative: &str) -> Pipeline {
        Pipeline::from_value(serde_json::json!({"include": [{"local": relative}]}))
    }

    /// The job definition `name` with everything it extends merged in.
    pub fn job(&self, name: &str) -> Value {
        resolve(&self.doc, name)
    }

    /// The global `variables:`, unexpanded.
    pub fn global_variables(&self) -> Vars {
        yaml_variables(&self.doc["variables"], "the global variables")
    }

    /// The jobs of a pipeline run with the `predefined` and `project` variables, in the order they
    /// can run (stage, then `needs:`); None when `workflow:rules` creates no pipeline.
    pub fn plan(
        &self,
        predefined: &[(String, String)],
        project: &[(String, String)],
    ) -> Option<Vec<PlannedJob>> {
        let mut global = self.global_variables();
        if let Some(rules) = self.doc["workflow"].get("rules") {
            let vars = layered(predefined, &global, project);
            let (when, rule_vars) = first_matching_rule(rules, &vars, "workflow")?;
            if when == "never" {
                return None;
            }
            global.extend(rule_vars);
        }
        let stages = self.stages();
        let mut planned = Vec::new();
        for name in self.job_names() {
            let def = self.job(&name);
            let mut yaml = global.clone();
            yaml.extend(yaml_variables(&def["variables"], &name));
            let vars = layered(predefined, &yaml, project);
            let Some(rule_vars) = job_rules(&name, &def, &vars) else {
                continue;
            };
            yaml.extend(rule_vars);
            let stage = def["stage"].as_str().unwrap_or("test").to_owned();
            let stage_index = stages
                .iter()
                .position(|s| *s == stage)
                .unwrap_or_else(|| panic!("job {name}: stage {stage} is not in stages {stages:?}"));
            for matrix in matrix_combinations(&def) {
                let mut yaml_variables = yaml.clone();
                yaml_variables.extend(matrix.iter().cloned());
                planned.push((
                    stage_index,
                    PlannedJob {
                        name: name.clone(),
                        def: def.clone(),
                        matrix,
                        yaml_variables,
                    },
                ));
            }
        }
        let names: Vec<String> = planned.iter().map(|(_, j)| j.name.clone()).collect();
        for (_, job) in &planned {
            for need in needs(&job.def) {
                if !names.contains(&need.0) && !need.1 {
                    panic!(
                        "pipeline creation fails: '{}' job needs '{}' job, but '{}' is not in any previous stage",
                        job.name, need.0, need.0
                    );
                }
            }
        }
        // By stage, then each job after the jobs it needs (file order otherwise).
        planned.sort_by_key(|(stage, _)| *stage);
        let mut ordered: Vec<PlannedJob> = Vec::new();
        let mut pending: Vec<PlannedJob> = planned.into_iter().map(|(_, j)| j).collect();
        while !pending.is_empty() {
            let ready = pending
                .iter()
                .position(|job| {
                    needs(&job.def)
                        .iter()
                        .all(|(need, _)| !pending.iter().any(|p| &p.name == need && p.name != job.name))
                })
                .unwrap_or_else(|| {
                    panic!(
                        "a cycle in needs: {:?}",
                        pending.iter().map(|j| &j.name).collect::<Vec<_>>()
                    )
                });
            ordered.push(pending.remove(ready));
        }
        Some(ordered)
    }

    fn stages(&self) -> Vec<String> {
        let declared: Vec<String> = match self.doc["stages"].as_array() {
            Some(list) => list.iter().map(scalar).collect(),
            None => ["build", "test", "deploy"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        };
        let mut stages = vec![".pre".to_owned()];
        stages.extend(declared.into_iter().filter(|s| s != ".pre" && s != ".post"));
        stages.push(".post".into());
        stages
    }

    fn job_names(&self) -> Vec<String> {
        self.doc
            .as_object()
            .expect("a CI file is a map")
            .keys()
            .filter(|k| !k.starts_with('.') && !GLOBAL_KEYWORDS.contains(&k.as_str()))
            .cloned()
            .collect()
    }
}

/// The files an `include:` names, in order.
fn includes(include: &Value) -> Vec<std::path::PathBuf> {
    let entries: Vec<Value> = match include {
        Value::Null => Vec::new(),
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    entries
        .iter()
        .map(|entry| {
            let (kind, location) = match entry {
                Value::String(s) if s.starts_with("https://") => ("remote", s.as_str()),
                Value::String(s) => ("local", s.as_str()),
                Value::Object(m) if m.len() == 1 => {
                    let (k, v) = m.iter().next().expect("one key");
                    (k.as_str(), v.as_str().expect("an include location is a string"))
                }
                other => panic!("include entry {other} is not modelled"),
            };
            match kind {
                "local" => repo_path(location.trim_start_matches('/')),
                "remote" => {
                    let rest = location.strip_prefix(REMOTE_PREFIX).unwrap_or_else(|| {
                        panic!("remote include {location} is not one of this project's files")
                    });
                    let (reference, path) = rest.split_once('/').expect("<ref>/<path>");
                    assert_eq!(
                        reference,
                        format!("v{}", release_version()),
                        "{location}: the include line should pin the current release"
                    );
                    repo_path(path)
                }
                other => panic!("include:{other} is not modelled"),
            }
        })
        .collect()
}

/// GitLab's `extends`: the job with every template it extends merged under it, recursively.
pub fn resolve(doc: &Value, name: &str) -> Value {
    let job = doc
        .get(name)
        .unwrap_or_else(|| panic!("no job {name} in the pipeline"));
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

/// GitLab's deep merge: maps merged key by key, `over` winning; anything else replaced.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// One combination per `parallel:matrix` entry and value (a single empty one without a matrix).
pub fn matrix_combinations(job: &Value) -> Vec<Vars> {
    let Some(entries) = job["parallel"]["matrix"].as_array() else {
        return vec![Vec::new()];
    };
    let mut all = Vec::new();
    for entry in entries {
        let mut combos: Vec<Vars> = vec![Vec::new()];
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

/// A YAML scalar as GitLab reads it into a variable.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The variables a job gets: `predefined`, then its YAML layers, then `project`, every value expanded
/// against the result (references to other variables, recursively, as the runner expands them).
pub fn job_variables(
    predefined: &[(String, String)],
    job: &PlannedJob,
    project: &[(String, String)],
) -> BTreeMap<String, String> {
    let raw = layered(predefined, &job.yaml_variables, project);
    raw.keys()
        .map(|name| (name.clone(), expanded(name, &raw, 0)))
        .collect()
}

fn expanded(name: &str, raw: &BTreeMap<String, String>, depth: usize) -> String {
    assert!(depth < 16, "variable {name}: references nest too deep (a cycle?)");
    let value = raw.get(name).cloned().unwrap_or_default();
    substitute(&value, &|n| {
        if raw.contains_key(n) {
            expanded(n, raw, depth + 1)
        } else {
            String::new()
        }
    })
}

/// GitLab's variable expansion of `text` (`$NAME` and `${NAME}`; unknown names become empty), as for
/// `image:` and `tags:`.
pub fn expand(text: &str, vars: &BTreeMap<String, String>) -> String {
    substitute(text, &|n| vars.get(n).cloned().unwrap_or_default())
}

fn substitute(text: &str, lookup: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(braced) = after.strip_prefix('{') {
            let end = braced
                .find('}')
                .unwrap_or_else(|| panic!("unclosed ${{ in {text:?}"));
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

fn layered(
    predefined: &[(String, String)],
    yaml: &[(String, String)],
    project: &[(String, String)],
) -> BTreeMap<String, String> {
    predefined
        .iter()
        .chain(yaml)
        .chain(project)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn yaml_variables(variables: &Value, owner: &str) -> Vars {
    match variables {
        Value::Null => Vec::new(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    // The long form: {value: …, description: …}.
                    Value::Object(long) => scalar(&long["value"]),
                    v => scalar(v),
                };
                (k.clone(), value)
            })
            .collect(),
        other => panic!("{owner}: variables is {other}"),
    }
}

/// Whether the job is in the pipeline, and if so its rule's variables.
fn job_rules(name: &str, def: &Value, vars: &BTreeMap<String, String>) -> Option<Vars> {
    for keyword in ["only", "except"] {
        assert!(
            def.get(keyword).is_none(),
            "job {name}: {keyword} is not modelled"
        );
    }
    if let Some(when) = def.get("when") {
        assert_eq!(when, "on_success", "job {name}: when: {when} is not modelled");
    }
    let Some(rules) = def.get("rules") else {
        // GitLab's default for a job without rules: branches and tags, not merge requests.
        let source = vars.get("CI_PIPELINE_SOURCE").map(String::as_str);
        return (source != Some("merge_request_event")).then(Vec::new);
    };
    let (when, rule_vars) = first_matching_rule(rules, vars, name)?;
    (when != "never").then_some(rule_vars)
}

/// The `when:` and `variables:` of the first rule that matches; None when none does.
fn first_matching_rule(
    rules: &Value,
    vars: &BTreeMap<String, String>,
    owner: &str,
) -> Option<(String, Vars)> {
    for rule in rules
        .as_array()
        .unwrap_or_else(|| panic!("{owner}: rules is not a list"))
    {
        let rule = rule
            .as_object()
            .unwrap_or_else(|| panic!("{owner}: a rule is not a map"));
        for key in rule.keys() {
            assert!(
                ["if", "when", "variables"].contains(&key.as_str()),
                "{owner}: rules:{key} is not modelled"
            );
        }
        let matches = rule
            .get("if")
            .map(|e| gitlab_expr::evaluate(e.as_str().expect("rules:if is a string"), vars))
            .unwrap_or(true);
        if matches {
            let when = rule
                .get("when")
                .map(scalar)
                .unwrap_or_else(|| "on_success".into());
            assert!(
                ["on_success", "always", "never"].contains(&when.as_str()),
                "{owner}: when: {when} is not modelled"
            );
            return Some((
                when,
                yaml_variables(rule.get("variables").unwrap_or(&Value::Null), owner),
            ));
        }
    }
    None
}

/// The jobs `job` needs, each with whether the need is optional.
pub fn needs(job: &Value) -> Vec<(String, bool)> {
    job["needs"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|n| match n {
                    Value::String(s) => (s.clone(), false),
                    Value::Object(m) => (
                        scalar(&m["job"]),
                        m.get("optional").and_then(Value::as_bool).unwrap_or(false),
                    ),
                    other => panic!("needs entry {other} is not modelled"),
                })
                .collect()
        })
        .unwrap_or_default()
}
