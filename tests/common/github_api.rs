// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A stand-in for the two GitHub endpoints `--github-artifacts` uses, speaking their documented
//! wire protocol (REST API version 2022-11-28), since no real GitHub can run here:
//!
//! - `GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts?per_page=&page=`: `{"total_count",
//!   "artifacts": [...]}` with GitHub's artifact objects, paginated, with a `Link` header;
//! - `GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/zip`: `302 Found` to a short-lived
//!   URL on a separate "blob storage" server, which serves the zip without authentication.
//!
//! Both demand `Authorization: Bearer <token>` and answer GitHub's JSON errors (`401 Bad
//! credentials`, `404 Not Found`). Every request is recorded, so tests can check the token went only
//! to the API host.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::http_stub::{read_request, respond};

/// One artifact of the simulated run.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub id: u64,
    pub name: String,
    pub zip: Vec<u8>,
    pub expired: bool,
}

/// A request as the servers saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `api` or `blob`.
    pub server: &'static str,
    pub method: String,
    pub target: String,
    pub authorization: Option<String>,
}

#[derive(Debug)]
struct State {
    owner: String,
    repo: String,
    run_id: u64,
    token: String,
    artifacts: Vec<Artifact>,
    api_url: String,
    blob_url: String,
    seen: Vec<Seen>,
}

/// The running API and blob servers (their threads outlive this handle).
#[derive(Debug, Clone)]
pub struct GithubApi {
    api_port: u16,
    state: Arc<Mutex<State>>,
}

impl GithubApi {
    /// Serves the run `owner/repo` `run_id` holding `artifacts`, for requests carrying `token`.
    pub fn start(owner: &str, repo: &str, run_id: u64, token: &str, artifacts: Vec<Artifact>) -> GithubApi {
        let api = TcpListener::bind("127.0.0.1:0").expect("bind the GitHub API stand-in");
        let blob = TcpListener::bind("127.0.0.1:0").expect("bind the blob stand-in");
        let api_port = api.local_addr().unwrap().port();
        let blob_port = blob.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            run_id,
            token: token.to_owned(),
            artifacts,
            api_url: format!("http://127.0.0.1:{api_port}"),
            blob_url: format!("http://127.0.0.1:{blob_port}"),
            seen: Vec::new(),
        }));
        for (listener, server) in [(api, "api"), (blob, "blob")] {
            let state = Arc::clone(&state);
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let state = Arc::clone(&state);
                    std::thread::spawn(move || serve(stream, server, &state));
                }
            });
        }
        GithubApi { api_port, state }
    }

    /// The value for `GITHUB_API_URL`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }
}

/// A zip archive of `files` (`name` → contents), deflated as actions/upload-artifact does.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        let opts =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in files {
            w.start_file(*name, opts).expect("zip entry");
            w.write_all(data).expect("zip data");
        }
        w.finish().expect("zip finish");
    }
    out.into_inner()
}

fn json_error(stream: &TcpStream, status: &str, message: &str) {
    let body = json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.split(' ').next().unwrap_or(""),
    });
    respond(
        stream,
        status,
        &[("Content-Type", "application/json; charset=utf-8".into())],
        body.to_string().as_bytes(),
    );
}

fn serve(stream: TcpStream, server: &'static str, state: &Mutex<State>) {
    let Some(req) = read_request(&stream) else {
        return;
    };
    let mut st = state.lock().unwrap();
    st.seen.push(Seen {
        server,
        method: req.method.clone(),
        target: req.target.clone(),
        authorization: req.headers.get("authorization").cloned(),
    });
    let (path, query) = (req.path.as_str(), &req.query);

    if server == "blob" {
        // /blob/<id>.zip?sig=…: pre-signed, so no credentials are needed (or wanted).
        let id = path.strip_prefix("/blob/").and_then(|p| p.strip_suffix(".zip"));
        match id.and_then(|id| st.artifacts.iter().find(|a| a.id.to_string() == id)) {
            Some(a) if query.contains_key("sig") => respond(
                &stream,
                "200 OK",
                &[("Content-Type", "application/zip".into())],
                &a.zip,
            ),
            _ => respond(&stream, "403 Forbidden", &[], b"AuthenticationFailed"),
        }
        return;
    }

    if req.method != "GET" {
        return json_error(&stream, "404 Not Found", "Not Found");
    }
    if req.headers.get("authorization") != Some(&format!("Bearer {}", st.token)) {
        return json_error(&stream, "401 Unauthorized", "Bad credentials");
    }
    let repo_prefix = format!("/repos/{}/{}/actions/", st.owner, st.repo);
    let Some(rest) = path.strip_prefix(&repo_prefix) else {
        return json_error(&stream, "404 Not Found", "Not Found");
    };
    if rest == format!("runs/{}/artifacts", st.run_id) {
        let per_page: usize = query
            .get("per_page")
            .and_then(|v| v.parse().ok())
            .unwrap_or(30)
            .clamp(1, 100);
        let page: usize = query.get("page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
        let total = st.artifacts.len();
        let items: Vec<serde_json::Value> = st
            .artifacts
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|a| artifact_json(&st, a))
            .collect();
        let mut links = Vec::new();
        let base = format!("{}{path}", st.api_url);
        if page * per_page < total {
            links.push(format!(
                "<{base}?per_page={per_page}&page={}>; rel=\"next\"",
                page + 1
            ));
        }
        let mut headers = vec![("Content-Type", "application/json; charset=utf-8".to_owned())];
        if !links.is_empty() {
            headers.push(("Link", links.join(", ")));
        }
        let body = json!({"total_count": total, "artifacts": items});
        return respond(&stream, "200 OK", &headers, body.to_string().as_bytes());
    }
    if let Some(id) = rest
        .strip_prefix("artifacts/")
        .and_then(|r| r.strip_suffix("/zip"))
    {
        return match st.artifacts.iter().find(|a| a.id.to_string() == id) {
            Some(a) if a.expired => json_error(&stream, "410 Gone", "Artifact has expired"),
            Some(a) => {
                let location = format!("{}/blob/{}.zip?sig=signed-{}", st.blob_url, a.id, a.id);
                respond(&stream, "302 Found", &[("Location", location)], b"")
            }
            None => json_error(&stream, "404 Not Found", "Not Found"),
        };
    }
    json_error(&stream, "404 Not Found", "Not Found")
}

fn artifact_json(st: &State, a: &Artifact) -> serde_json::Value {
    let api = format!(
        "https://api.github.com/repos/{}/{}/actions/artifacts/{}",
        st.owner, st.repo, a.id
    );
    json!({
        "id": a.id,
        "node_id": format!("MDg6QXJ0aWZhY3Q{}", a.id),
        "name": a.name,
        "size_in_bytes": a.zip.len(),
        "url": api,
        "archive_download_url": format!("{api}/zip"),
        "expired": a.expired,
        "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "created_at": "2026-12-02T10:00:00Z",
        "expires_at": "2027-03-02T10:00:00Z",
        "updated_at": "2026-12-02T10:00:00Z",
        "workflow_run": {
            "id": st.run_id,
            "repository_id": 1296269,
            "head_repository_id": 1296269,
            "head_branch": "main",
            "head_sha": "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d"
        }
    })
}
