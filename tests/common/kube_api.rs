// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A stand-in Kubernetes API server with a kubelet behind it, for the k8s driver's tests (no cluster
//! can run here). It speaks the real REST protocol for what the driver uses, with the API's JSON
//! objects and `Status` errors:
//!
//! - `POST /apis/batch/v1/namespaces/{ns}/jobs` creates a Job and its pod (labels `job-name`,
//!   `batch.kubernetes.io/job-name`, `controller-uid`);
//! - `GET /api/v1/namespaces/{ns}/pods?labelSelector=…` lists pods (equality selectors);
//! - `GET /api/v1/namespaces/{ns}/pods/{name}/log?tailLines=N` returns the container's output;
//! - `DELETE /apis/batch/v1/namespaces/{ns}/jobs/{name}` deletes the Job and, in the background,
//!   its pods;
//! - `POST /api/v1/namespaces/{ns}/secrets` and `DELETE …/secrets/{name}` create and delete Secrets;
//!   the kubelet writes a pod's secret volumes into its directory (keys, or `items`, with
//!   `defaultMode`) and points the container's arguments that name a mount path at them.
//!
//! The "cluster" has one node per architecture given. A pod whose `nodeSelector` matches no node
//! stays Pending with the scheduler's `Unschedulable` condition; otherwise the kubelet runs the
//! container's command with the kaniko binary under test in place of `/kaniko/executor`, in a
//! private working directory (`KANIKO_DIR`) and docker config, and reports the exit code and the
//! termination message file (`terminationMessagePath`) in the pod status, as a kubelet does.
//! Requests without the kubeconfig's bearer token get `401 Unauthorized`.

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::http_stub::{read_request, respond};

pub const TOKEN: &str = "kube-test-token-5ec7e7";

#[derive(Debug, Default)]
struct State {
    jobs: BTreeMap<String, Value>,
    pods: BTreeMap<String, Value>,
    logs: BTreeMap<String, String>,
    /// Every Job ever created, as posted.
    created: Vec<Value>,
    deleted: Vec<String>,
    secrets: BTreeMap<String, Value>,
    /// Every Secret ever created, as posted.
    created_secrets: Vec<Value>,
    unauthorized: usize,
    next_uid: u64,
}

/// The running server (its threads outlive this handle).
#[derive(Clone)]
pub struct KubeApi {
    port: u16,
    state: Arc<Mutex<State>>,
    work: Arc<tempfile::TempDir>,
}

struct Cluster {
    state: Arc<Mutex<State>>,
    nodes: Vec<String>,
    kaniko: PathBuf,
    work: Arc<tempfile::TempDir>,
}

impl KubeApi {
    /// A cluster with one node per architecture in `nodes` (`amd64`, `arm64`…) whose kubelet runs
    /// `kaniko` for `/kaniko/executor`.
    pub fn start(nodes: &[&str], kaniko: &Path) -> KubeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the Kubernetes API stand-in");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let work = Arc::new(tempfile::tempdir().unwrap());
        let cluster = Arc::new(Cluster {
            state: Arc::clone(&state),
            nodes: nodes.iter().map(|n| n.to_string()).collect(),
            kaniko: kaniko.to_path_buf(),
            work: Arc::clone(&work),
        });
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let cluster = Arc::clone(&cluster);
                std::thread::spawn(move || serve(stream, &cluster));
            }
        });
        KubeApi { port, state, work }
    }

    /// Writes a kubeconfig for this server (token auth, default namespace `namespace`); returns its path.
    pub fn kubeconfig(&self, namespace: &str) -> PathBuf {
        let path = self.work.path().join(format!("kubeconfig-{namespace}"));
        let config = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: http://127.0.0.1:{}\n\
             users:\n- name: test\n  user:\n    token: {TOKEN}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: {namespace}\n\
             current-context: test\n",
            self.port
        );
        std::fs::write(&path, config).unwrap();
        path
    }

    /// Every Job created, as the client posted it.
    pub fn created_jobs(&self) -> Vec<Value> {
        self.state.lock().unwrap().created.clone()
    }

    /// Names of the Jobs deleted.
    pub fn deleted_jobs(&self) -> Vec<String> {
        self.state.lock().unwrap().deleted.clone()
    }

    /// Jobs that still exist.
    pub fn live_jobs(&self) -> Vec<String> {
        self.state.lock().unwrap().jobs.keys().cloned().collect()
    }

    /// Every Secret created, as the client posted it.
    pub fn created_secrets(&self) -> Vec<Value> {
        self.state.lock().unwrap().created_secrets.clone()
    }

    /// Secrets that still exist.
    pub fn live_secrets(&self) -> Vec<String> {
        self.state.lock().unwrap().secrets.keys().cloned().collect()
    }

    /// Requests refused for a missing or wrong token.
    pub fn unauthorized(&self) -> usize {
        self.state.lock().unwrap().unauthorized
    }
}

fn respond_with(stream: &TcpStream, status: u16, content_type: &str, body: &[u8]) {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        401 => "Unauthorized",
        404 => "Not Found",
        409 => "Conflict",
        _ => "Bad Request",
    };
    respond(
        stream,
        &format!("{status} {reason}"),
        &[("Content-Type", content_type.to_owned())],
        body,
    );
}

fn respond_json(stream: &TcpStream, status: u16, value: &Value) {
    respond_with(stream, status, "application/json", value.to_string().as_bytes());
}

fn status_error(stream: &TcpStream, code: u16, reason: &str, message: &str) {
    respond_json(
        stream,
        code,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code}),
    );
}

fn serve(stream: TcpStream, cluster: &Arc<Cluster>) {
    let Some(req) = read_request(&stream) else {
        return;
    };
    if req.headers.get("authorization") != Some(&format!("Bearer {TOKEN}")) {
        cluster.state.lock().unwrap().unauthorized += 1;
        return status_error(&stream, 401, "Unauthorized", "Unauthorized");
    }
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["apis", "batch", "v1", "namespaces", ns, "jobs"]) => {
            create_job(&stream, cluster, ns, &req.body)
        }
        ("DELETE", ["apis", "batch", "v1", "namespaces", ns, "jobs", name]) => {
            delete_job(&stream, cluster, ns, name)
        }
        ("GET", ["api", "v1", "namespaces", ns, "pods"]) => list_pods(&stream, cluster, ns, &req.query),
        ("POST", ["api", "v1", "namespaces", ns, "secrets"]) => {
            create_secret(&stream, cluster, ns, &req.body)
        }
        ("DELETE", ["api", "v1", "namespaces", ns, "secrets", name]) => {
            delete_secret(&stream, cluster, ns, name)
        }
        ("GET", ["api", "v1", "namespaces", ns, "pods", name, "log"]) => {
            pod_log(&stream, cluster, ns, name, &req.query)
        }
        _ => status_error(
            &stream,
            404,
            "NotFound",
            &format!(
                "the server could not find the requested resource ({} {})",
                req.method, req.path
            ),
        ),
    }
}

fn create_job(stream: &TcpStream, cluster: &Arc<Cluster>, ns: &str, body: &[u8]) {
    let Ok(mut job) = serde_json::from_slice::<Value>(body) else {
        return status_error(stream, 400, "BadRequest", "the body is not a JSON object");
    };
    let Some(name) = job["metadata"]["name"].as_str().map(str::to_owned) else {
        return status_error(
            stream,
            422,
            "Invalid",
            "Job.batch is invalid: metadata.name: Required value",
        );
    };
    let mut st = cluster.state.lock().unwrap();
    let key = format!("{ns}/{name}");
    if st.jobs.contains_key(&key) {
        drop(st);
        return status_error(
            stream,
            409,
            "AlreadyExists",
            &format!("jobs.batch \"{name}\" already exists"),
        );
    }
    st.created.push(job.clone());
    st.next_uid += 1;
    let uid = format!("00000000-0000-4000-8000-{:012}", st.next_uid);
    job["metadata"]["namespace"] = json!(ns);
    job["metadata"]["uid"] = json!(uid);
    job["metadata"]["creationTimestamp"] = json!("2026-12-02T12:00:00Z");
    job["metadata"]["resourceVersion"] = json!(st.next_uid.to_string());
    job["status"] = json!({"active": 1});
    st.jobs.insert(key, job.clone());

    let pod_name = format!("{name}-{:05x}", st.next_uid);
    let mut labels = job["spec"]["template"]["metadata"]["labels"].clone();
    labels["job-name"] = json!(name);
    labels["batch.kubernetes.io/job-name"] = json!(name);
    labels["controller-uid"] = json!(uid);
    let spec = job["spec"]["template"]["spec"].clone();
    let wanted = spec["nodeSelector"]["kubernetes.io/arch"]
        .as_str()
        .unwrap_or("amd64")
        .to_owned();
    let schedulable = cluster.nodes.contains(&wanted);
    let mut status = json!({"phase": "Pending", "conditions": []});
    if !schedulable {
        status["conditions"] = json!([{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "lastTransitionTime": "2026-12-02T12:00:00Z",
            "message": format!("0/{n} nodes are available: {n} node(s) didn't match Pod's node affinity/selector. preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling.", n = cluster.nodes.len()),
        }]);
    }
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod_name, "namespace": ns, "labels": labels, "uid": format!("{uid}-pod")},
        "spec": spec,
        "status": status,
    });
    st.pods.insert(format!("{ns}/{pod_name}"), pod);
    drop(st);
    respond_json(stream, 201, &job);
    if schedulable {
        let cluster = Arc::clone(cluster);
        let ns = ns.to_owned();
        std::thread::spawn(move || run_pod(&cluster, &ns, &pod_name, &wanted));
    }
}

/// The kubelet: runs the pod's only container to completion and records its status.
fn run_pod(cluster: &Cluster, ns: &str, pod_name: &str, node_arch: &str) {
    let key = format!("{ns}/{pod_name}");
    let (container, pod_spec) = {
        let mut st = cluster.state.lock().unwrap();
        let pod = st.pods.get_mut(&key).unwrap();
        pod["spec"]["nodeName"] = json!(format!("node-{node_arch}"));
        pod["status"] = json!({"phase": "Running", "conditions": [{"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": "kaniko", "image": pod["spec"]["containers"][0]["image"], "imageID": "",
                "ready": true, "restartCount": 0, "state": {"running": {"startedAt": "2026-12-02T12:00:01Z"}}}]});
        (pod["spec"]["containers"][0].clone(), pod["spec"].clone())
    };
    let pod_spec = &pod_spec;
    let dir = cluster.work.path().join(pod_name);
    std::fs::create_dir_all(dir.join("docker")).unwrap();
    let termination = container["terminationMessagePath"]
        .as_str()
        .unwrap_or("/dev/termination-log")
        .to_owned();
    let message_file = dir.join("termination-log");
    let volumes = secret_volumes(cluster, ns, &dir, &container, pod_spec);
    let args: Vec<String> = container["args"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                // The container's termination log is this pod's own file, wherever an argument
                // names it (a flag value, or inside the JSON build request).
                .map(|s| {
                    let mut s = s.replace(&termination, &message_file.display().to_string());
                    for (mount_path, local) in &volumes {
                        s = s.replace(mount_path.as_str(), &local.display().to_string());
                    }
                    s
                })
                .collect()
        })
        .unwrap_or_default();
    let command = container["command"][0].as_str().unwrap_or("");
    let mut cmd = if command == "/kaniko/executor" {
        Command::new(&cluster.kaniko)
    } else {
        Command::new(command)
    };
    cmd.args(&args)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("KANIKO_DIR", dir.join("kaniko"))
        .env("HOME", &dir);
    for e in container["env"].as_array().cloned().unwrap_or_default() {
        if let (Some(k), Some(v)) = (e["name"].as_str(), e["value"].as_str()) {
            // The image's /kaniko/.docker is this pod's own empty directory.
            let v = if k == "DOCKER_CONFIG" {
                dir.join("docker").display().to_string()
            } else {
                v.to_owned()
            };
            cmd.env(k, v);
        }
    }
    let (code, log) = match cmd.output() {
        Ok(out) => (
            out.status.code().unwrap_or(128),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ),
        Err(e) => (128, format!("exec {command}: {e}")),
    };
    let message = std::fs::read_to_string(&message_file).unwrap_or_default();
    let mut st = cluster.state.lock().unwrap();
    st.logs.insert(key.clone(), log);
    if let Some(pod) = st.pods.get_mut(&key) {
        pod["status"] = json!({
            "phase": if code == 0 { "Succeeded" } else { "Failed" },
            "conditions": [{"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": "kaniko", "image": container["image"], "imageID": "", "ready": false, "restartCount": 0,
                "state": {"terminated": {"exitCode": code, "reason": if code == 0 { "Completed" } else { "Error" },
                    "message": message, "startedAt": "2026-12-02T12:00:01Z", "finishedAt": "2026-12-02T12:00:09Z"}}}],
        });
    }
}

/// Writes the pod's secret volumes that name an existing Secret under its directory; returns each
/// mount path with the directory standing in for it.
fn secret_volumes(
    cluster: &Cluster,
    ns: &str,
    dir: &Path,
    container: &Value,
    pod: &Value,
) -> Vec<(String, PathBuf)> {
    use base64::Engine as _;
    use std::os::unix::fs::PermissionsExt as _;
    let st = cluster.state.lock().unwrap();
    let mut out = Vec::new();
    for mount in container["volumeMounts"].as_array().cloned().unwrap_or_default() {
        let (Some(name), Some(path)) = (mount["name"].as_str(), mount["mountPath"].as_str()) else {
            continue;
        };
        let Some(volume) = pod["volumes"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["name"].as_str() == Some(name)))
        else {
            continue;
        };
        let Some(secret) = volume["secret"]["secretName"]
            .as_str()
            .and_then(|s| st.secrets.get(&format!("{ns}/{s}")))
        else {
            continue;
        };
        let local = dir.join("volumes").join(name);
        std::fs::create_dir_all(&local).unwrap();
        let mode = volume["secret"]["defaultMode"].as_u64().unwrap_or(0o644) as u32;
        let data = secret["data"].as_object().cloned().unwrap_or_default();
        let items: Vec<(String, String)> = match volume["secret"]["items"].as_array() {
            Some(items) => items
                .iter()
                .map(|i| {
                    (
                        i["key"].as_str().unwrap().to_owned(),
                        i["path"].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
            None => data.keys().map(|k| (k.clone(), k.clone())).collect(),
        };
        for (key, file) in items {
            let value = base64::engine::general_purpose::STANDARD
                .decode(data[&key].as_str().unwrap_or(""))
                .unwrap();
            let file = local.join(file);
            std::fs::write(&file, value).unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        out.push((path.to_owned(), local));
    }
    out
}

fn create_secret(stream: &TcpStream, cluster: &Cluster, ns: &str, body: &[u8]) {
    let Ok(mut secret) = serde_json::from_slice::<Value>(body) else {
        return status_error(stream, 400, "BadRequest", "the body is not a JSON object");
    };
    let Some(name) = secret["metadata"]["name"].as_str().map(str::to_owned) else {
        return status_error(
            stream,
            422,
            "Invalid",
            "Secret is invalid: metadata.name: Required value",
        );
    };
    let mut st = cluster.state.lock().unwrap();
    let key = format!("{ns}/{name}");
    if st.secrets.contains_key(&key) {
        drop(st);
        return status_error(
            stream,
            409,
            "AlreadyExists",
            &format!("secrets \"{name}\" already exists"),
        );
    }
    st.created_secrets.push(secret.clone());
    secret["metadata"]["namespace"] = json!(ns);
    st.secrets.insert(key, secret.clone());
    drop(st);
    respond_json(stream, 201, &secret);
}

fn delete_secret(stream: &TcpStream, cluster: &Cluster, ns: &str, name: &str) {
    let removed = cluster
        .state
        .lock()
        .unwrap()
        .secrets
        .remove(&format!("{ns}/{name}"));
    match removed {
        Some(_) => respond_json(
            stream,
            200,
            &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": name, "kind": "secrets"}}),
        ),
        None => status_error(stream, 404, "NotFound", &format!("secrets \"{name}\" not found")),
    }
}

fn selector_matches(labels: &Value, selector: &str) -> bool {
    selector
        .split(',')
        .filter(|s| !s.is_empty())
        .all(|term| match term.split_once('=') {
            Some((k, v)) => labels[k.trim_end_matches('=')].as_str() == Some(v.trim_start_matches('=')),
            None => labels.get(term).is_some(),
        })
}

fn list_pods(stream: &TcpStream, cluster: &Cluster, ns: &str, query: &BTreeMap<String, String>) {
    let selector = query.get("labelSelector").cloned().unwrap_or_default();
    let st = cluster.state.lock().unwrap();
    let items: Vec<Value> = st
        .pods
        .iter()
        .filter(|(k, p)| {
            k.starts_with(&format!("{ns}/")) && selector_matches(&p["metadata"]["labels"], &selector)
        })
        .map(|(_, p)| p.clone())
        .collect();
    let list =
        json!({"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "1"}, "items": items});
    drop(st);
    respond_json(stream, 200, &list);
}

fn pod_log(stream: &TcpStream, cluster: &Cluster, ns: &str, name: &str, query: &BTreeMap<String, String>) {
    let st = cluster.state.lock().unwrap();
    let Some(log) = st.logs.get(&format!("{ns}/{name}")).cloned() else {
        drop(st);
        return status_error(stream, 404, "NotFound", &format!("pods \"{name}\" not found"));
    };
    drop(st);
    let tail: Option<usize> = query.get("tailLines").and_then(|v| v.parse().ok());
    let lines: Vec<&str> = log.lines().collect();
    let start = tail.map_or(0, |n| lines.len().saturating_sub(n));
    let text = lines[start..].join("\n") + "\n";
    respond_with(stream, 200, "text/plain", text.as_bytes());
}

fn delete_job(stream: &TcpStream, cluster: &Cluster, ns: &str, name: &str) {
    let mut st = cluster.state.lock().unwrap();
    let Some(job) = st.jobs.remove(&format!("{ns}/{name}")) else {
        drop(st);
        return status_error(
            stream,
            404,
            "NotFound",
            &format!("jobs.batch \"{name}\" not found"),
        );
    };
    st.deleted.push(name.to_owned());
    // propagationPolicy=Background: the garbage collector removes the pods afterwards.
    st.pods
        .retain(|_, p| p["metadata"]["labels"]["job-name"].as_str() != Some(name));
    drop(st);
    respond_json(
        stream,
        200,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "group": "batch", "kind": "jobs", "uid": job["metadata"]["uid"]}}),
    );
}
