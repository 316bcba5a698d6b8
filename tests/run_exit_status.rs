// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! What a failed RUN leaves a kaniko user with (issue #15, point 5), with the real binary:
//!
//! - the build's exit status is the command's (kaniko's contract: its integration test runs
//!   `RUN exit 42` and expects the executor to exit 42), 128 + N for a command killed by signal N,
//!   1 for other failures; in chroot and rootless isolation (rootless as the unprivileged test user,
//!   so through the user-namespace re-execution) and in a multi-platform run of the local driver.
//!   Container mode is left out: it runs the executor image `hack/image.sh` built, which is shared
//!   by every checkout using the daemon, not necessarily this binary;
//! - `VOLUME /data` then `RUN echo x > /data/f` fails (VOLUME is metadata only, as in BuildKit),
//!   and the error says so with the fix.

mod common;

use std::process::Output;

use common::isolation::Isolation;
use common::kaniko::{bases, kaniko, Context};
use common::tools;

/// The modes this test covers and this machine can run (each skipped one printed with why).
fn modes() -> Vec<Isolation> {
    [Isolation::Chroot, Isolation::Rootless]
        .into_iter()
        .filter(|m| m.runnable())
        .collect()
}

/// The single `error: ` line of a failed build, after asserting the exit status.
fn failed_with(out: &Output, status: i32, what: &str) -> String {
    let text = tools::output_text(out);
    assert_eq!(out.status.code(), Some(status), "{what}:\n{text}");
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{what}: one error line expected:\n{text}");
    errors[0].to_owned()
}

#[test]
fn a_failed_run_gives_the_commands_exit_status_in_every_isolation_mode() {
    let cases: &[(&str, i32, &str)] = &[
        ("RUN exit 42", 42, "returned exit code 42"),
        ("RUN echo before; exit 3", 3, "returned exit code 3"),
        ("RUN kill -KILL $$", 137, "returned killed by signal 9"),
        ("RUN kill -USR1 $$", 138, "returned killed by signal 10"),
        // Not a RUN failure: the documented code for every other failure.
        (
            "COPY missing /missing",
            1,
            "missing: not found in the build context",
        ),
    ];
    let modes = modes();
    for (instruction, status, says) in cases {
        let ctx = Context::new(&format!("FROM {{{{BASE}}}}\n{instruction}\nRUN echo never\n"));
        for mode in &modes {
            let what = format!("{instruction} in --isolation={}", mode.flag_value());
            let out = mode.kaniko(&ctx, &["--no-push"]);
            let line = failed_with(&out, *status, &what);
            assert!(line.contains(says), "{what}: {line}");
            let log = tools::output_text(&out);
            let ran_in = format!("RUN isolation isolation={}", mode.flag_value());
            assert!(log.contains(&ran_in), "{what}: not run in that mode:\n{log}");
        }
    }
}

#[test]
fn a_failed_run_in_a_multi_platform_run_gives_the_commands_exit_status() {
    let ctx = Context::new("FROM {{INDEX}}\nRUN exit 42\n");
    let reference = format!(
        "{}/parity/multi-exit-{:08x}:latest",
        bases().registry.host(),
        fastrand::u32(..)
    );
    let out = kaniko(
        &ctx,
        &[
            "--multi-platform=linux/amd64",
            "--driver=local",
            "--destination",
            &reference,
        ],
    );
    let line = failed_with(&out, 42, "RUN exit 42 with the local driver");
    assert!(
        line.contains("building linux/amd64") && line.contains("exit code 42"),
        "{line}"
    );
}

#[test]
fn a_run_writing_into_a_volume_no_step_created_names_the_fix() {
    let ctx = Context::new("FROM {{BASE}}\nVOLUME /data\nRUN echo x > /data/f\n");
    for mode in modes() {
        let what = format!("--isolation={}", mode.flag_value());
        let out = mode.kaniko(&ctx, &["--no-push"]);
        let line = failed_with(&out, 1, &what);
        assert!(
            line.contains("VOLUME /data declares a directory that no step created")
                && line.contains("`RUN mkdir -p /data`"),
            "{what}: {line}"
        );
    }
    // With the fix the build succeeds; a volume that exists gets no hint on a failure.
    let fixed = Context::new("FROM {{BASE}}\nVOLUME /data\nRUN mkdir -p /data\nRUN echo x > /data/f\n");
    let out = kaniko(&fixed, &["--no-push"]);
    assert!(out.status.success(), "{}", tools::output_text(&out));
    let exists = Context::new("FROM {{BASE}}\nVOLUME /data\nRUN mkdir -p /data\nRUN cat /data/f\n");
    let line = failed_with(&kaniko(&exists, &["--no-push"]), 1, "cat of a missing file");
    assert!(!line.contains("VOLUME"), "{line}");
}
