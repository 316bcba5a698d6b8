// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Structured logs of a whole build (issue #5, first part): with `--log-format json` every line is
//! one JSON object, and every instruction, ONBUILD triggers and RUN included, ends with a
//! `step done` record carrying its stage, step number, line, instruction and duration (and every
//! stage a `stage done` record with its duration); human
//! logs written to a pipe carry no ANSI escape codes.

mod common;

use std::ffi::OsString;
use std::process::Command;

use common::kaniko::{build_args, Context};
use common::tools;
use serde_json::Value;

/// The shared helper's build flags without its `--log-format text`, so a test can choose the format.
fn args_without_log_format(ctx: &Context, kaniko_dir: &std::path::Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut skip = false;
    for a in build_args(ctx, kaniko_dir) {
        if std::mem::take(&mut skip) {
            continue;
        }
        if a == "--log-format" {
            skip = true;
            continue;
        }
        args.push(a);
    }
    args
}

#[test]
fn json_logs_have_a_timed_record_per_instruction() {
    let ctx = Context::new(
        "FROM {{BASE}} AS base\nARG GREETING=hi\nRUN echo \"$GREETING\" > /g && sleep 0.2\n\
         FROM base\nCOPY a.txt /a.txt\nENV A=1\nLABEL x=y\n",
    )
    .file("a.txt", "a\n");
    let kaniko_dir = tempfile::tempdir().unwrap();
    let args = args_without_log_format(&ctx, kaniko_dir.path());
    let out = tools::run(
        Command::new(env!("CARGO_BIN_EXE_kaniko"))
            .args(&args)
            .args(["--no-push", "--log-format", "json"])
            .env_remove("KANIKO_DIR"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let records: Vec<Value> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {l}"))
        })
        .collect();
    assert!(records
        .iter()
        .all(|r| r["timestamp"].is_string() && r["level"].is_string() && r["component"].is_string()));
    assert!(
        records
            .iter()
            .any(|r| r["message"] == "build done" && r["duration_ms"].is_u64()),
        "{stderr}"
    );
    let steps: Vec<&Value> = records.iter().filter(|r| r["message"] == "step done").collect();
    let seen: Vec<(u64, u64, &str)> = steps
        .iter()
        .map(|r| {
            assert!(r["duration_ms"].is_u64(), "{r}");
            (
                r["stage"].as_u64().unwrap(),
                r["line"].as_u64().unwrap(),
                r["instruction"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (0, 2, "ARG"),
            (0, 3, "RUN"),
            (1, 5, "COPY"),
            (1, 6, "ENV"),
            (1, 7, "LABEL")
        ],
        "{stderr}"
    );
    let run = steps.iter().find(|r| r["instruction"] == "RUN").unwrap();
    assert!(
        run["duration_ms"].as_u64().unwrap() >= 200,
        "the RUN slept 0.2 s: {run}"
    );
    let numbers: Vec<u64> = steps.iter().map(|r| r["step"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [1, 2, 1, 2, 3], "steps are numbered per stage");
    let stages: Vec<(&str, u64)> = records
        .iter()
        .filter(|r| r["message"] == "stage done")
        .map(|r| (r["stage"].as_str().unwrap(), r["duration_ms"].as_u64().unwrap()))
        .collect();
    assert_eq!(stages.len(), 2, "{stderr}");
    assert_eq!(stages[0].0, "base");
    assert!(
        stages[0].1 >= 200,
        "the first stage holds the 0.2 s RUN: {stages:?}"
    );
}

/// The default `--log-format color` writes no ANSI escape codes when stderr is not a terminal
/// (here a pipe, as in CI), nor on a terminal when NO_COLOR is set (checked in the unit tests of
/// `observe::logging`).
#[test]
fn colour_logs_to_a_pipe_have_no_escape_codes() {
    let ctx = Context::new("FROM {{BASE}}\nRUN echo coloured\nENV A=1\n");
    let kaniko_dir = tempfile::tempdir().unwrap();
    let args = args_without_log_format(&ctx, kaniko_dir.path());
    let out = tools::run(
        Command::new(env!("CARGO_BIN_EXE_kaniko"))
            .args(&args)
            .args(["--no-push", "-v", "debug"])
            .env_remove("KANIKO_DIR")
            .env_remove("NO_COLOR"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("step done"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "escape codes in piped logs:\n{stderr:?}"
    );
}

/// A plain HTTP GET on loopback; the body, or None while nothing listens.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_string())
}

/// The value of an unlabelled sample in a Prometheus text page.
fn sample(page: &str, name: &str) -> u64 {
    page.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in:\n{page}"))
        .trim()
        .parse()
        .unwrap()
}

/// Sizes of the blobs (config and layers) of a manifest.
fn blob_sizes(manifest: &Value) -> Vec<(String, u64)> {
    let mut out = vec![(
        manifest["config"]["digest"].as_str().unwrap().to_string(),
        manifest["config"]["size"].as_u64().unwrap(),
    )];
    for l in manifest["layers"].as_array().unwrap() {
        out.push((
            l["digest"].as_str().unwrap().to_string(),
            l["size"].as_u64().unwrap(),
        ));
    }
    out
}

/// `--metrics-addr` serves the metrics while the build runs: scraped during the RUN, the page
/// says the build is running, has the COPY's duration and counts exactly the base image's bytes as
/// pulled. `--metrics-file` has the final numbers: bytes pushed equal the sizes of the blobs the
/// registry did not already have (the base layers are mounted across repositories), and
/// `--report-file` holds the same bytes.
#[test]
fn metrics_are_served_during_the_build_and_match_what_moved() {
    use common::kaniko::{bases, unique_repo};
    use common::registry::free_port;
    let ctx = Context::new("FROM {{BASE}}\nCOPY a.txt /a.txt\nRUN sleep 4 && echo done > /b\n")
        .file("a.txt", "metrics\n");
    let kaniko_dir = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let (metrics_file, report_file) = (
        out_dir.path().join("metrics.prom"),
        out_dir.path().join("report.json"),
    );
    let port = free_port();
    let dest = format!("{}/{}:latest", bases().registry.host(), unique_repo("metrics"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_kaniko"))
        .args(build_args(&ctx, kaniko_dir.path()))
        .args([
            "--destination",
            &dest,
            "--metrics-addr",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--metrics-file")
        .arg(&metrics_file)
        .arg("--report-file")
        .arg(&report_file)
        .env_remove("KANIKO_DIR")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let base_manifest: Value =
        serde_json::from_slice(&tools::skopeo_inspect_raw(&bases().images.amd64)).unwrap();
    let base_blobs = blob_sizes(&base_manifest);
    let base_bytes: u64 = base_blobs.iter().map(|(_, n)| n).sum();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let during = loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the build ended before a scrape saw its RUN"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "no scrape showed the COPY step"
        );
        if let Some(page) = http_get(port, "/metrics") {
            if page.contains("instruction=\"COPY\"") {
                break page;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        during.contains("kaniko_build_result{result=\"running\"} 1"),
        "{during}"
    );
    assert_eq!(
        sample(&during, "kaniko_pulled_bytes_total"),
        base_bytes,
        "{during}"
    );
    assert_eq!(sample(&during, "kaniko_pushed_bytes_total"), 0, "{during}");

    let page = fs_err::read_to_string(&metrics_file).unwrap();
    assert!(
        page.contains("kaniko_build_result{result=\"success\"} 1"),
        "{page}"
    );
    let built: Value = serde_json::from_slice(&tools::skopeo_inspect_raw(&dest)).unwrap();
    let new_blobs: Vec<(String, u64)> = blob_sizes(&built)
        .into_iter()
        .filter(|(d, _)| !base_blobs.iter().any(|(b, _)| b == d))
        .collect();
    let expected: u64 = new_blobs.iter().map(|(_, n)| n).sum();
    assert_eq!(new_blobs.len(), 3, "config and two new layers: {built}");
    assert_eq!(sample(&page, "kaniko_pushed_bytes_total"), expected, "{page}");
    assert_eq!(sample(&page, "kaniko_pushed_blobs_total"), 3, "{page}");
    assert_eq!(sample(&page, "kaniko_pulled_bytes_total"), base_bytes, "{page}");
    assert_eq!(sample(&page, "kaniko_layers_written_total"), 2, "{page}");
    assert_eq!(sample(&page, "kaniko_pushed_manifests_total"), 1, "{page}");
    let run_line = page
        .lines()
        .find(|l| l.starts_with("kaniko_step_duration_seconds{") && l.contains("instruction=\"RUN\""))
        .unwrap_or_else(|| panic!("no RUN duration:\n{page}"));
    let secs: f64 = run_line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(secs >= 4.0, "the RUN slept 4 s: {run_line}");
    assert!(page.contains("kaniko_snapshot_files_scanned{"), "{page}");

    let report: Value = serde_json::from_slice(&fs_err::read(&report_file).unwrap()).unwrap();
    assert_eq!(report["result"], "success");
    assert_eq!(report["bytes"]["pushed"].as_u64(), Some(expected), "{report}");
    assert_eq!(report["bytes"]["pulled"].as_u64(), Some(base_bytes), "{report}");
    assert!(report["memory"]["peak_bytes"].as_u64().unwrap() > 0, "{report}");
    assert!(report["phases"]["outputs"].is_f64(), "{report}");
}

/// On a terminal (a tmux pane: a real pseudo-terminal) the pushes and extractions are drawn as
/// indicatif bars, which stay on the screen finished; the same build with stderr redirected to a
/// file has no bar and no escape code in it.
#[test]
fn progress_bars_on_a_terminal_and_none_in_a_file() {
    use common::kaniko::{bases, unique_repo};
    let big: Vec<u8> = (0..4u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let ctx = Context::new("FROM {{BASE}}\nCOPY big.bin /big.bin\nRUN true\n").file("big.bin", big);
    let kaniko_dir = tempfile::tempdir().unwrap();
    let dest = format!("{}/{}:latest", bases().registry.host(), unique_repo("progress"));
    let mut args: Vec<String> = build_args(&ctx, kaniko_dir.path())
        .into_iter()
        .map(|a| a.into_string().unwrap())
        .collect();
    args.extend([
        "--destination".into(),
        dest.clone(),
        "--isolation".into(),
        "chroot".into(),
    ]);
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let socket = format!("kaniko-test-{}", std::process::id());
    let script = format!(
        "env -u KANIKO_DIR {} {}; echo KANIKO-EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_kaniko"),
        quoted.join(" ")
    );
    let tmux = |extra: &[&str]| {
        let mut c = Command::new("tmux");
        c.args(["-L", &socket]).args(extra);
        c
    };
    tools::run_ok(&mut tmux(&[
        "new-session",
        "-d",
        "-x",
        "160",
        "-y",
        "60",
        &script,
    ]));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    let screen = loop {
        let out = tools::run_ok(&mut tmux(&["capture-pane", "-p", "-J", "-S", "-200"]));
        let text = String::from_utf8_lossy(&out).into_owned();
        if text.contains("KANIKO-EXIT=") || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    let _ = tmux(&["kill-server"]).status();
    eprintln!("--- screen ---\n{screen}");
    assert!(
        screen.contains("KANIKO-EXIT=0"),
        "the build failed or timed out:\n{screen}"
    );
    let bars: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("[==============================]"))
        .collect();
    assert!(
        bars.iter().any(|l| l.trim_start().starts_with("push")),
        "no finished push bar on the screen:\n{screen}"
    );
    assert!(
        bars.iter().any(|l| l.trim_start().starts_with("extract")),
        "no finished extraction bar on the screen:\n{screen}"
    );

    let log = kaniko_dir.path().join("stderr.log");
    let status = Command::new(env!("CARGO_BIN_EXE_kaniko"))
        .args(&args)
        .env_remove("KANIKO_DIR")
        .stdout(std::process::Stdio::null())
        .stderr(fs_err::File::create(&log).unwrap().into_parts().0)
        .status()
        .unwrap();
    let text = fs_err::read_to_string(&log).unwrap();
    assert!(status.success(), "{text}");
    assert!(
        !text.contains("[===") && !text.contains('\u{1b}'),
        "bars or escape codes in a file:\n{text}"
    );
    assert!(text.contains("pushed"), "{text}");
}

/// `--profile-cpu` writes a flamegraph SVG of the build's own CPU time: a build that compresses
/// 16 MiB of incompressible data samples our compression code.
#[test]
fn cpu_profile_is_a_flamegraph_of_the_build() {
    let data: Vec<u8> = {
        let mut x: u64 = 0x9e3779b97f4a7c15;
        (0..16u32 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    };
    let ctx = Context::new("FROM scratch\nCOPY data.bin /data.bin\n").file("data.bin", data);
    let kaniko_dir = tempfile::tempdir().unwrap();
    let svg = kaniko_dir.path().join("profile.svg");
    let out = tools::run(
        Command::new(env!("CARGO_BIN_EXE_kaniko"))
            .args(build_args(&ctx, kaniko_dir.path()))
            .args(["--no-push", "--profile-cpu"])
            .arg(&svg)
            .env_remove("KANIKO_DIR"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("CPU profile written"), "{stderr}");
    let text = fs_err::read_to_string(&svg).unwrap();
    assert!(
        text.contains("<svg") && text.contains("kaniko CPU profile"),
        "not a flamegraph: {}",
        &text[..text.len().min(300)]
    );
    assert!(text.contains("kaniko::"), "no frame of ours was sampled");
}

/// `--debug-filesystem --debug-output-files` on a build with a RUN: the extraction of the base,
/// the snapshot and every changed path land in their files under `filesystem/`, and no other
/// component's directory is made.
#[test]
fn filesystem_debug_files_list_extraction_snapshots_and_changed_paths() {
    let ctx = Context::new("FROM {{BASE}}\nRUN mkdir -p /made && echo x > /made/here.txt\n");
    let kaniko_dir = tempfile::tempdir().unwrap();
    let out = tools::run(
        Command::new(env!("CARGO_BIN_EXE_kaniko"))
            .args(build_args(&ctx, kaniko_dir.path()))
            .args(["--no-push", "--debug-filesystem", "--debug-output-files"])
            .env_remove("KANIKO_DIR")
            .env_remove("KANIKO_DEBUG"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let debug = kaniko_dir.path().join("debug");
    let read = |rel: &str| fs_err::read_to_string(debug.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert!(read("filesystem/extraction.log").contains("layer extracted"));
    assert!(read("filesystem/snapshots.log").contains("snapshot diff"));
    let changes = read("filesystem/changes.log");
    assert!(
        changes.contains("path=made/here.txt") || changes.contains("path=/made/here.txt"),
        "{changes}"
    );
    for other in ["registry", "oci-operations", "multi-platform", "build-steps"] {
        assert!(
            !debug.join(other).exists(),
            "{other}/ written without being asked for"
        );
    }
}

/// Runs `kaniko build` of `ctx` with JSON logs and `extra` flags; parses every stderr line as one
/// JSON object (panicking on the first that is not) and returns the records with the exit status.
fn json_build(ctx: &Context, extra: &[&str]) -> (std::process::ExitStatus, Vec<Value>, String) {
    let kaniko_dir = tempfile::tempdir().unwrap();
    let args = args_without_log_format(ctx, kaniko_dir.path());
    let out = tools::run(
        Command::new(env!("CARGO_BIN_EXE_kaniko"))
            .args(&args)
            .args(["--no-push", "--log-format=json"])
            .args(extra)
            .env_remove("KANIKO_DIR")
            .env_remove("KANIKO_DEBUG"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let records = stderr
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .ok()
                .filter(Value::is_object)
                .unwrap_or_else(|| panic!("a stderr line that is no JSON object: {l:?}\n{stderr}"))
        })
        .collect();
    (out.status, records, stderr)
}

/// Regression: with `--log-format=json` the final `error:` line was plain text, and the build's
/// failure was logged at INFO.
#[test]
fn json_logs_of_a_failed_build_have_no_plain_error_line() {
    let ctx = Context::new("FROM {{BASE}}\nCOPY missing.txt /missing.txt\n");
    let (status, records, stderr) = json_build(&ctx, &[]);
    assert!(!status.success(), "{stderr}");
    let failed = records
        .iter()
        .find(|r| r["message"] == "build failed")
        .unwrap_or_else(|| panic!("no 'build failed' record: {stderr}"));
    assert_eq!(failed["level"], "ERROR", "{failed}");
    let last = records.last().unwrap_or_else(|| panic!("no records: {stderr}"));
    assert_eq!(last["level"], "ERROR", "{last}");
    assert!(
        last["message"]
            .as_str()
            .is_some_and(|m| m.contains("missing.txt")),
        "the last record is the error, naming the missing file: {last}"
    );
}

/// Regression: `--debug-full` printed its performance report as plain text lines even with
/// `--log-format=json`.
#[test]
fn json_logs_with_debug_full_carry_the_report_as_json() {
    let ctx = Context::new("FROM {{BASE}}\nENV A=1\n");
    let (status, records, stderr) = json_build(&ctx, &["--debug-full"]);
    assert!(status.success(), "{stderr}");
    let report = records
        .iter()
        .find(|r| r["message"] == "performance report")
        .unwrap_or_else(|| panic!("no performance report record: {stderr}"));
    assert_eq!(report["report"]["result"], "success", "{report}");
    assert!(report["report"]["total_seconds"].is_f64(), "{report}");
}

/// Regression: text logs repeated the span path and its fields on every line
/// (`build:stage{stage_name=stage-0}:step{stage=0 step=2 …}: ARG GREETING=hello stage=0 line=9`).
/// A person reads a compact step header, `[stage-0 2/3] ARG GREETING=hello`, as docker build and
/// kaniko print; the JSON records keep every field.
#[test]
fn text_logs_have_compact_step_headers_and_json_keeps_the_fields() {
    let ctx = Context::new("FROM {{BASE}}\nENV A=1\nARG GREETING=hello\nLABEL x=y\n");
    let kaniko_dir = tempfile::tempdir().unwrap();
    let out = tools::run(
        Command::new(env!("CARGO_BIN_EXE_kaniko"))
            .args(build_args(&ctx, kaniko_dir.path()))
            .args(["--no-push", "--progress=quiet"])
            .env_remove("KANIKO_DIR"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for header in [
        "[stage-0 1/3] ENV A=1",
        "[stage-0 2/3] ARG GREETING=hello",
        "[stage-0 3/3] LABEL x=y",
    ] {
        assert!(
            stderr.lines().any(|l| l.trim_start().starts_with(header)
                && l.trim_end().ends_with(header.split("] ").nth(1).unwrap())),
            "no line {header:?}:\n{stderr}"
        );
    }
    assert!(
        !stderr.contains("build:stage{"),
        "span paths in text logs:\n{stderr}"
    );
    assert!(!stderr.contains("step{"), "span paths in text logs:\n{stderr}");

    let (status, records, stderr) = json_build(&ctx, &[]);
    assert!(status.success(), "{stderr}");
    let arg = records
        .iter()
        .find(|r| r["message"] == "ARG GREETING=hello")
        .unwrap_or_else(|| panic!("no ARG record:\n{stderr}"));
    assert_eq!(
        (&arg["stage"], &arg["step"], &arg["line"], &arg["instruction"]),
        (
            &Value::from(0),
            &Value::from(2),
            &Value::from(3),
            &Value::from("ARG")
        ),
        "{arg}"
    );
    assert_eq!(arg["stage_name"], "stage-0", "{arg}");
    assert_eq!(arg["steps"], 3, "{arg}");
}
