// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! How `kaniko build` fails, run as users run it: the real binary against a real `docker-registry`.
//!
//! Every failure must give a non-zero exit and exactly one `error: ` line naming the specific thing
//! that is wrong (Dockerfile location and text, path, stage, build argument, host and URL, registry,
//! repository and status), push nothing (checked through the registry's catalog and tags list),
//! write no digest file and leave nothing under `--kaniko-dir`. Log lines (INFO, WARN) may come
//! before the error line; the rule is about the error line. The SIGTERM tests interrupt builds stuck
//! on a context pipe that never ends and on a download that stalls.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::images::push_base_images;
use common::registry::Registry;

const USER: &str = "builder";
const PASSWORD: &str = "s3cret-Pa55";
const REPO: &str = "team/app";
const TAG: &str = "v1";

/// A build's files: a context directory, an isolated docker config and the `--kaniko-dir`.
struct Build {
    dir: tempfile::TempDir,
}

impl Build {
    fn new(dockerfile: &str) -> Build {
        let dir = tempfile::tempdir().unwrap();
        let b = Build { dir };
        fs_err::create_dir_all(b.context()).unwrap();
        fs_err::create_dir_all(b.docker_config()).unwrap();
        // An empty config.json: the host's credentials must not leak into the tests.
        fs_err::write(b.docker_config().join("config.json"), r#"{"auths":{}}"#).unwrap();
        fs_err::write(b.context().join("Dockerfile"), dockerfile).unwrap();
        fs_err::write(b.context().join("hello.txt"), "hello\n").unwrap();
        b
    }

    fn context(&self) -> PathBuf {
        self.dir.path().join("ctx")
    }

    fn kaniko_dir(&self) -> PathBuf {
        self.dir.path().join("kaniko")
    }

    fn docker_config(&self) -> PathBuf {
        self.dir.path().join("docker")
    }

    fn digest_file(&self) -> PathBuf {
        self.dir.path().join("out/digest")
    }

    /// Writes `$DOCKER_CONFIG/config.json` with a basic-auth entry for `host`.
    fn credentials(&self, host: &str, user: &str, password: &str) {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let json = serde_json::json!({"auths": {host: {"auth": auth}}});
        fs_err::write(
            self.docker_config().join("config.json"),
            serde_json::to_vec(&json).unwrap(),
        )
        .unwrap();
    }

    /// `kaniko build` on this context with `args` added, ready to run.
    fn command(&self, args: &[&str]) -> Command {
        self.command_in(self.context().to_str().unwrap(), args)
    }

    /// `kaniko build --context <context>` with `args` added, ready to run.
    fn command_in(&self, context: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
        cmd.arg("build")
            .arg("--context")
            .arg(context)
            .arg("--kaniko-dir")
            .arg(self.kaniko_dir())
            .arg("--digest-file")
            .arg(self.digest_file())
            .args(["--log-format", "text"])
            .args(args)
            .env("DOCKER_CONFIG", self.docker_config())
            .env("HOME", self.dir.path())
            .env_remove("KANIKO_DIR")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs a build that must fail; checks the exit code, the single error line, that no digest file
    /// was written and that `--kaniko-dir` holds nothing, and returns the error line.
    fn fails(&self, args: &[&str]) -> String {
        self.fails_in(self.context().to_str().unwrap(), args)
    }

    /// [`Build::fails`] with another `--context`.
    fn fails_in(&self, context: &str, args: &[&str]) -> String {
        let out = self.command_in(context, args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        // Shown with --nocapture: docs/troubleshooting.md quotes these.
        eprintln!("--- kaniko build stderr ---\n{stderr}");
        assert!(!out.status.success(), "the build succeeded:\n{stderr}");
        assert_ne!(out.status.code(), Some(0), "{stderr}");
        let line = one_error_line(&stderr);
        assert!(
            !self.digest_file().exists(),
            "a failed build wrote {}",
            self.digest_file().display()
        );
        assert_no_leftovers(&self.kaniko_dir());
        line
    }
}

/// The one line of `stderr` that starts with `error: `; panics when there are none or several.
fn one_error_line(stderr: &str) -> String {
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "expected one error line in:\n{stderr}");
    // No continuation lines after it: the error is the last thing printed.
    assert_eq!(
        stderr.trim_end().lines().last(),
        Some(errors[0]),
        "lines follow the error line:\n{stderr}"
    );
    errors[0].to_string()
}

/// `--kaniko-dir` is absent or empty: the per-build directory was removed.
fn assert_no_leftovers(kaniko_dir: &Path) {
    if let Ok(entries) = fs_err::read_dir(kaniko_dir) {
        let left: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        assert!(left.is_empty(), "leftovers under --kaniko-dir: {left:?}");
    }
}

/// Neither the repository nor the tag exists in `registry` (asked with its own credentials).
fn assert_nothing_pushed(registry: &Registry, repo: &str, tag: &str) {
    let (status, body) = registry.get("/v2/_catalog").unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let catalog: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let repos = catalog["repositories"].as_array().unwrap();
    assert!(!repos.iter().any(|r| r == repo), "{repo} was pushed: {catalog}");
    let (status, body) = registry.get(&format!("/v2/{repo}/tags/list")).unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(
        status == 404 || !text.contains(&format!("\"{tag}\"")),
        "{repo}:{tag} exists: {status} {text}"
    );
}

/// A loopback port nothing listens on.
fn dead_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn destination(registry: &Registry) -> String {
    format!("{}/{REPO}:{TAG}", registry.host())
}

/// Requests the registry has served: one access-log line each.
fn registry_requests(registry: &Registry) -> usize {
    registry
        .logs()
        .lines()
        .filter(|l| l.contains("\"GET /v2/") || l.contains("\"HEAD /v2/") || l.contains("\"PUT /v2/"))
        .count()
}

#[test]
fn malformed_dockerfile_names_file_line_column_and_text() {
    let registry = Registry::start();
    let b = Build::new("FROM scratch\nCOPY hello.txt /\nFROOM busybox\n");
    let dest = destination(&registry);
    let line = b.fails(&["--destination", &dest]);
    assert!(line.starts_with("error: Dockerfile:3:1: "), "{line}");
    assert!(line.contains("FROOM"), "{line}");
    assert!(line.to_lowercase().contains("unknown instruction"), "{line}");
    assert_nothing_pushed(&registry, REPO, TAG);
}

#[test]
fn malformed_instruction_arguments_point_at_the_column() {
    let b = Build::new("FROM scratch\nENV =bad\n");
    let line = b.fails(&["--no-push"]);
    assert_eq!(
        line,
        "error: Dockerfile:2:5: ENV names can not be blank: \"=bad\""
    );
}

#[test]
fn missing_context_file_names_the_path_and_the_instruction() {
    let registry = Registry::start();
    let b = Build::new("FROM scratch\nCOPY hello.txt /\nCOPY missing.txt /missing.txt\n");
    let dest = destination(&registry);
    let line = b.fails(&["--destination", &dest]);
    assert!(line.starts_with("error: Dockerfile:3:1: "), "{line}");
    assert!(
        line.contains("missing.txt: not found in the build context"),
        "{line}"
    );
    assert!(line.contains("COPY missing.txt /missing.txt"), "{line}");
    assert_nothing_pushed(&registry, REPO, TAG);
}

#[test]
fn missing_context_directory_names_the_path() {
    let b = Build::new("FROM scratch\n");
    let missing = b.dir.path().join("no-such-context");
    let line = b.fails_in(missing.to_str().unwrap(), &["--no-push"]);
    assert!(line.contains(missing.to_str().unwrap()), "{line}");
}

#[test]
fn unknown_target_stage_names_it_and_the_available_stages() {
    let registry = Registry::start();
    let b = Build::new(
        "FROM scratch AS build\nCOPY hello.txt /\nFROM scratch AS final\nCOPY --from=build /hello.txt /\n",
    );
    let dest = destination(&registry);
    let line = b.fails(&["--destination", &dest, "--target", "tset"]);
    assert_eq!(
        line,
        "error: Dockerfile: --target stage not found (available stages: build, final): \"tset\""
    );
    assert_nothing_pushed(&registry, REPO, TAG);
}

#[test]
fn unknown_stage_index_in_copy_from_names_it() {
    let b = Build::new("FROM scratch\nCOPY --from=3 /hello.txt /\n");
    let line = b.fails(&["--no-push"]);
    assert!(line.starts_with("error: Dockerfile:2:"), "{line}");
    assert!(line.contains("\"3\""), "{line}");
}

#[test]
fn bad_build_arg_names_the_argument() {
    let registry = Registry::start();
    let b = Build::new("FROM scratch\nARG A\nCOPY hello.txt /\n");
    let dest = destination(&registry);
    for bad in ["=value", "NAME WITH SPACE=1", ""] {
        let line = b.fails(&["--destination", &dest, "--build-arg", bad]);
        assert_eq!(
            line,
            format!(
                "error: invalid --build-arg {bad:?}: expected KEY=VALUE or KEY with a non-empty name without spaces"
            )
        );
    }
    assert_nothing_pushed(&registry, REPO, TAG);
}

#[test]
fn unreachable_destination_registry_names_host_and_url() {
    let port = dead_port();
    let b = Build::new("FROM scratch\nCOPY hello.txt /\n");
    let dest = format!("127.0.0.1:{port}/{REPO}:{TAG}");
    let started = Instant::now();
    let line = b.fails(&["--destination", &dest]);
    assert!(
        line.contains(&format!(
            "cannot reach registry 127.0.0.1:{port} at http://127.0.0.1:{port}/v2/"
        )),
        "{line}"
    );
    assert!(line.contains(&format!("127.0.0.1:{port}/{REPO}")), "{line}");
    assert!(line.contains("Connection refused"), "{line}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "retries took {:?}",
        started.elapsed()
    );
}

#[test]
fn unreachable_base_image_registry_fails_before_anything_is_pushed() {
    let registry = Registry::start();
    let port = dead_port();
    let b = Build::new(&format!(
        "FROM 127.0.0.1:{port}/busybox:amd64\nCOPY hello.txt /\n"
    ));
    let dest = destination(&registry);
    let line = b.fails(&["--destination", &dest]);
    assert!(
        line.contains(&format!(
            "cannot reach registry 127.0.0.1:{port} at http://127.0.0.1:{port}/v2/"
        )),
        "{line}"
    );
    assert!(line.contains(&format!("127.0.0.1:{port}/busybox")), "{line}");
    assert_nothing_pushed(&registry, REPO, TAG);
}

/// A one-file build against a fresh TLS + basic-auth registry (user USER, password PASSWORD), logged
/// in with `password` (`None`: no credentials at all), with the destination and the
/// `--registry-certificate` value that trusts the registry's CA.
struct AuthBuild {
    registry: Registry,
    b: Build,
    dest: String,
    cert: String,
}

impl AuthBuild {
    fn new(password: Option<&str>) -> AuthBuild {
        let registry = Registry::start_tls_basic_auth(USER, PASSWORD);
        let b = Build::new("FROM scratch\nCOPY hello.txt /\n");
        if let Some(password) = password {
            b.credentials(&registry.host(), USER, password);
        }
        let dest = destination(&registry);
        let cert = format!("{}={}", registry.host(), registry.ca_cert_path().display());
        AuthBuild {
            registry,
            b,
            dest,
            cert,
        }
    }
}

#[test]
fn wrong_password_is_one_401_line_naming_registry_and_repository() {
    let AuthBuild {
        registry,
        b,
        dest,
        cert,
    } = AuthBuild::new(Some("not-the-password"));
    let line = b.fails(&["--destination", &dest, "--registry-certificate", &cert]);
    assert!(line.contains(&registry.host()), "{line}");
    assert!(line.contains(REPO), "{line}");
    assert!(line.contains("401"), "{line}");
    assert_nothing_pushed(&registry, REPO, TAG);
}

#[test]
fn missing_credentials_are_one_401_line_too() {
    let AuthBuild {
        registry,
        b,
        dest,
        cert,
    } = AuthBuild::new(None);
    let line = b.fails(&["--destination", &dest, "--registry-certificate", &cert]);
    assert!(line.contains(&registry.host()), "{line}");
    assert!(line.contains("401"), "{line}");
    assert_nothing_pushed(&registry, REPO, TAG);
}

/// The positive control of the auth tests: the same build with the right password pushes.
#[test]
fn right_password_pushes() {
    let AuthBuild {
        registry,
        b,
        dest,
        cert,
    } = AuthBuild::new(Some(PASSWORD));
    let out = b.run(&["--destination", &dest, "--registry-certificate", &cert]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("error: "), "{stderr}");
    let digest = fs_err::read_to_string(b.digest_file()).unwrap();
    assert!(digest.starts_with("sha256:"), "{digest}");
    let (status, body) = registry.get(&format!("/v2/{REPO}/tags/list")).unwrap();
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains(&format!("\"{TAG}\"")));
    // The digest file names the manifest the tag points at.
    let raw = common::tools::skopeo_inspect_raw_with(&dest, &registry.skopeo_args(""));
    assert_eq!(common::images::sha256_digest(&raw), digest);
    assert_no_leftovers(&b.kaniko_dir());
}

/// Credentials never reach the logs, even at trace level where HTTP exchanges are logged: neither the
/// password nor the Basic `Authorization` value built from it (issue #5's redaction rule).
#[test]
fn trace_logs_never_show_the_password() {
    use base64::Engine as _;
    // `_registry`, not `..`: the server must live until the build is done.
    let AuthBuild {
        registry: _registry,
        b,
        dest,
        cert,
    } = AuthBuild::new(Some(PASSWORD));
    let out = b.run(&[
        "--destination",
        &dest,
        "--registry-certificate",
        &cert,
        "-v",
        "trace",
    ]);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.status.success(), "{log}");
    assert!(
        log.lines().count() > 20,
        "trace logging produced almost nothing: {log}"
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    assert!(!log.contains(PASSWORD), "the password is in the log:\n{log}");
    assert!(
        !log.contains(&basic),
        "the Basic credentials are in the log:\n{log}"
    );
}

/// Every file of the debug tree, for a multi-platform build (coordinator and local driver) that
/// authenticates, writes a layer and pushes; with `--debug-full` at trace level, and
/// `KANIKO_DEBUG=true` giving the same tree. Neither the password nor its Basic credentials
/// appear in any of them, nor on the console. Without the flags, no debug directory is made.
#[test]
fn debug_files_cover_every_component_and_never_show_the_password() {
    let AuthBuild {
        registry: _registry,
        b,
        dest,
        cert,
    } = AuthBuild::new(Some(PASSWORD));
    let host = kaniko::platform::Platform::host().to_string();
    let multi = [
        "--multi-platform",
        host.as_str(),
        "--destination",
        &dest,
        "--registry-certificate",
        &cert,
    ];
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let debug_dir = b.kaniko_dir().join("debug");
    let mut full = multi.to_vec();
    full.extend(["--debug-full", "--debug-level", "trace"]);
    let out = b.run(&full);
    let console = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.status.success(), "{console}");
    assert!(
        console.contains("performance report: success"),
        "--debug-full prints the report:\n{console}"
    );
    let files = |dir: &Path| -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs_err::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                    out.push((rel, fs_err::read_to_string(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    };
    let tree = files(&debug_dir);
    let names: Vec<&str> = tree.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "build-steps/step-1.log",
        "multi-platform/coordinator.log",
        "multi-platform/local.log",
        "oci-operations/index.log",
        "oci-operations/manifests.log",
        "filesystem/layers.log",
        "registry/auth.log",
        "registry/pulls.log",
        "registry/pushes.log",
    ] {
        let (_, text) = tree
            .iter()
            .find(|(n, _)| n == want)
            .unwrap_or_else(|| panic!("{want} is missing from the debug tree: {names:?}"));
        assert!(!text.trim().is_empty(), "{want} is empty");
    }
    let main = tree
        .iter()
        .find(|(n, _)| n.starts_with("kaniko-debug-") && n.ends_with(".log"))
        .unwrap_or_else(|| panic!("no main debug log: {names:?}"));
    assert!(main.1.contains("COPY hello.txt /"), "{}", main.1);
    assert!(
        tree.iter()
            .any(|(n, t)| n == "build-steps/step-1.log" && t.contains("step done")),
        "{names:?}"
    );
    assert!(
        tree.iter()
            .any(|(n, t)| n == "registry/pushes.log" && t.contains("blob pushed")),
        "{names:?}"
    );
    for (name, text) in tree.iter().chain([&("console".to_string(), console.clone())]) {
        assert!(!text.contains(PASSWORD), "the password is in {name}:\n{text}");
        assert!(
            !text.contains(&basic),
            "the Basic credentials are in {name}:\n{text}"
        );
    }

    // KANIKO_DEBUG=true is --debug-full.
    fs_err::remove_dir_all(&debug_dir).unwrap();
    let out = b.command(&multi).env("KANIKO_DEBUG", "true").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = files(&debug_dir);
    assert!(again.iter().any(|(n, _)| n == "registry/auth.log"), "{again:?}");

    fs_err::remove_dir_all(&debug_dir).unwrap();
    let out = b.run(&multi);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!debug_dir.exists(), "debug files written without being asked for");
}

#[test]
fn run_without_a_usable_isolation_is_refused_before_any_pull_or_push() {
    let registry = Registry::start();
    let images = push_base_images(&registry);
    let b = Build::new(&format!(
        "FROM {} AS base\nCOPY hello.txt /\nRUN echo hi > /x\nFROM base\n",
        images.amd64
    ));
    let dest = destination(&registry);
    let before = registry_requests(&registry);
    assert!(
        before > 0,
        "the access log shows no requests:\n{}",
        registry.logs()
    );
    // This machine is not a container (whatever /.dockerenv says), so container mode refuses.
    let line = b.fails(&["--destination", &dest, "--isolation=container"]);
    assert!(
        line.starts_with(
            "error: Dockerfile:3:1 (stage base): RUN needs an isolation mode: --isolation=container \
             unpacks the base image over / and runs commands directly, so it only runs inside a \
             throw-away container, and this does not look like one ("
        ),
        "{line}"
    );
    assert!(line.contains("--force"), "{line}");
    assert_eq!(
        registry_requests(&registry),
        before,
        "the registry was contacted:\n{}",
        registry.logs()
    );
    assert_nothing_pushed(&registry, REPO, TAG);
}

/// Waits until the build has created its working directory, so the signal lands mid-build.
fn wait_for_workspace(kaniko_dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if fs_err::read_dir(kaniko_dir).is_ok_and(|mut d| d.next().is_some()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "the build never created its directory under {}",
        kaniko_dir.display()
    );
}

/// Sends SIGTERM and waits (bounded) for the build to end; returns its output.
fn terminate(mut child: std::process::Child) -> Output {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the build ignored SIGTERM for 20s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn assert_interrupted(b: &Build, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("--- kaniko build stderr ---\n{stderr}");
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    let line = one_error_line(&stderr);
    assert!(line.contains("interrupted by SIGTERM"), "{line}");
    assert!(!b.digest_file().exists());
    assert_no_leftovers(&b.kaniko_dir());
}

/// Regression: a build blocked reading its context (a tarball on a pipe that never ends) ignored
/// SIGTERM, because the signal was only noticed when the blocked build future was polled again.
#[test]
fn sigterm_interrupts_a_build_blocked_reading_a_context_pipe() {
    let registry = Registry::start();
    let b = Build::new("FROM scratch\n");
    let fifo = b.dir.path().join("context.fifo");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let dest = destination(&registry);
    let context = format!("tar://{}", fifo.display());
    let mut cmd = b.command_in(&context, &["--destination", &dest]);
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // Hold the pipe open (read-write, so this open never blocks) without ever finishing the tarball.
    let mut writer = fs_err::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    writer.write_all(&[0u8; 100]).unwrap();
    wait_for_workspace(&b.kaniko_dir());
    std::thread::sleep(Duration::from_millis(300));
    let out = terminate(child);
    drop(writer);
    assert_interrupted(&b, &out);
    assert_nothing_pushed(&registry, REPO, TAG);
}

/// An HTTP server that answers every request with headers promising a large body, sends a little of
/// it and then stalls until the test ends.
fn stalling_server() -> (u16, std::sync::mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else {
            return;
        };
        let mut buf = [0u8; 4096];
        let _ = conn.read(&mut buf);
        let _ = conn.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\nContent-Type: application/octet-stream\r\n\r\npartial",
        );
        let _ = conn.flush();
        let _ = stopped.recv_timeout(Duration::from_secs(60));
    });
    (port, stop)
}

#[test]
fn sigterm_interrupts_a_stalled_download_and_removes_the_working_directory() {
    let (port, stop) = stalling_server();
    let b = Build::new(&format!(
        "FROM scratch\nCOPY hello.txt /\nADD http://127.0.0.1:{port}/big.bin /big.bin\n"
    ));
    let child = b
        .command(&["--no-push"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_workspace(&b.kaniko_dir());
    // Let the download start writing into the working directory before interrupting it.
    std::thread::sleep(Duration::from_millis(500));
    let out = terminate(child);
    let _ = stop.send(());
    assert_interrupted(&b, &out);
}

/// Regression: an error quoting multi-line text (here a `${A:?message}` whose message spans two
/// heredoc lines) printed a second line that log scrapers did not see as part of the error.
#[test]
fn multi_line_text_in_an_error_stays_on_one_line() {
    let b = Build::new("FROM scratch\nCOPY <<EOF /greeting\nhello ${A:?must\nbe set}\nEOF\n");
    let line = b.fails(&["--no-push"]);
    assert!(
        line.starts_with("error: Dockerfile:2:1: A: must\\nbe set"),
        "{line}"
    );
}

/// Mount points under `dir` in this test's mount namespace (a leaked sandbox mount would show here).
fn mounts_under(dir: &Path) -> Vec<String> {
    let info = fs_err::read_to_string("/proc/self/mountinfo").unwrap();
    let dir = dir.to_str().unwrap();
    info.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| m.starts_with(dir))
        .map(str::to_string)
        .collect()
}

/// Processes whose command line contains `token`.
fn processes_with(token: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs_err::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if text.contains(token) {
                found.push(format!("{}: {text}", entry.file_name().to_string_lossy()));
            }
        }
    }
    found
}

/// A failing RUN stops the build naming the stage, line, command, exit code and the command's last
/// output; nothing is pushed and nothing is left behind, in both modes this machine runs as root.
#[test]
fn failed_run_names_stage_line_command_and_status_and_pushes_nothing() {
    let registry = Registry::start();
    let images = push_base_images(&registry);
    for isolation in ["chroot", "rootless"] {
        let b = Build::new(&format!(
            "FROM {} AS base\nCOPY hello.txt /\nRUN echo first line && echo to stderr >&2 && exit 7\nFROM base\n",
            images.amd64
        ));
        let dest = destination(&registry);
        let line = b.fails(&["--destination", &dest, &format!("--isolation={isolation}")]);
        assert_eq!(
            line,
            "error: Dockerfile:3:1: RUN failed in stage base: `echo first line && echo to stderr >&2 && exit 7` \
             returned exit code 7; last output:\\n  first line\\n  to stderr",
            "{isolation}"
        );
        assert_nothing_pushed(&registry, REPO, TAG);
        assert!(mounts_under(b.dir.path()).is_empty(), "{isolation}");
    }
}

#[test]
fn run_of_a_missing_program_says_so() {
    let registry = Registry::start();
    let images = push_base_images(&registry);
    let b = Build::new(&format!(
        "FROM {}\nRUN [\"/no/such/tool\", \"x\"]\n",
        images.amd64
    ));
    let dest = destination(&registry);
    let line = b.fails(&["--destination", &dest, "--isolation=chroot"]);
    assert!(
        line.starts_with("error: Dockerfile:2:1: RUN in stage stage-0: cannot start \"/no/such/tool\": "),
        "{line}"
    );
    assert!(line.contains("No such file or directory"), "{line}");
    assert_nothing_pushed(&registry, REPO, TAG);
}

#[test]
fn a_required_secret_that_was_not_given_fails_the_build_and_pushes_nothing() {
    let registry = Registry::start();
    let images = push_base_images(&registry);
    let b = Build::new(&format!(
        "FROM {}\nRUN --mount=type=secret,id=token,required echo hi\n",
        images.amd64
    ));
    let line = b.fails(&["--destination", &destination(&registry), "--isolation=chroot"]);
    assert!(
        line.starts_with("error: Dockerfile:2:1")
            && line.contains("secret token is required but was not given (pass --secret id=token,src=PATH"),
        "{line}"
    );
    assert_nothing_pushed(&registry, REPO, TAG);
}

/// SIGTERM while a RUN command is running: the command and everything it started are killed, the
/// sandbox mounts are gone, the working directory is removed and nothing is pushed.
#[test]
fn sigterm_during_run_kills_the_command_and_leaves_no_mount_or_directory() {
    let registry = Registry::start();
    let images = push_base_images(&registry);
    for isolation in ["chroot", "rootless"] {
        // A unique sleep length names the command's processes.
        let token = format!(
            "{}",
            600_000 + std::process::id() % 1000 + if isolation == "chroot" { 0 } else { 1000 }
        );
        let b = Build::new(&format!(
            "FROM {}\nRUN touch /started && (sleep {token} &) && sleep {token}\n",
            images.amd64
        ));
        let dest = destination(&registry);
        let arg = format!("--isolation={isolation}");
        let mut cmd = b.command(&["--destination", &dest, &arg]);
        let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let started = glob::glob(&format!("{}/build-*/rootfs-*/started", b.kaniko_dir().display()))
                .unwrap()
                .any(|p| p.is_ok());
            if started && processes_with(&format!("sleep {token}")).len() >= 2 {
                break;
            }
            assert!(Instant::now() < deadline, "{isolation}: the RUN never started");
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = terminate(child);
        assert_interrupted(&b, &out);
        assert_nothing_pushed(&registry, REPO, TAG);
        assert!(mounts_under(b.dir.path()).is_empty(), "{isolation}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !processes_with(&format!("sleep {token}")).is_empty() {
            assert!(
                Instant::now() < deadline,
                "{isolation}: RUN processes survived: {:?}",
                processes_with(&format!("sleep {token}"))
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
