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
        .all(|r| r["timestamp"].is_string() && r["level"].is_string()));
    let steps: Vec<&Value> = records.iter().filter(|r| r["message"] == "step done").collect();
    let seen: Vec<(u64, u64, &str)> = steps
        .iter()
        .map(|r| {
            assert!(r["duration_ms"].is_u64(), "{r}");
            (
                r["span"]["stage"].as_u64().unwrap(),
                r["span"]["line"].as_u64().unwrap(),
                r["span"]["instruction"].as_str().unwrap(),
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
    let run = steps.iter().find(|r| r["span"]["instruction"] == "RUN").unwrap();
    assert!(
        run["duration_ms"].as_u64().unwrap() >= 200,
        "the RUN slept 0.2 s: {run}"
    );
    let numbers: Vec<u64> = steps
        .iter()
        .map(|r| r["span"]["step"].as_u64().unwrap())
        .collect();
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
