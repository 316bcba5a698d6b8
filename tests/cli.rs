// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The command line as users meet it: the real binary, its help, kaniko-compatible invocations,
//! unknown flags, what subcommands need, and `docs/cli.md` kept in sync with clap.

use std::path::Path;
use std::process::Command;

fn kaniko() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kaniko"))
}

#[test]
fn version_prints_release_version_commit_and_target() {
    let out = kaniko().arg("version").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let release =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".release-version")).unwrap();
    assert!(
        text.starts_with(&format!("kaniko {} (commit ", release.trim())),
        "{text}"
    );
    assert!(
        text.contains("target x86_64-") || text.contains("target aarch64-"),
        "{text}"
    );
}

/// Regression: `--version` printed `kaniko kaniko 0.1.0 (…)`, clap's name in front of a version
/// string that already held it. Both flags print `kaniko <version>`; `kaniko version` has the details.
#[test]
fn version_flags_print_the_name_once() {
    let release =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".release-version")).unwrap();
    for flag in ["--version", "-V"] {
        let out = kaniko().arg(flag).output().unwrap();
        assert!(out.status.success(), "{flag}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text, format!("kaniko {}\n", release.trim()), "{flag}");
    }
}

#[test]
fn unknown_flag_fails_with_a_suggestion() {
    let out = kaniko().args(["--destinaton", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("'--destination'"), "{err}");
}

#[test]
fn k8s_says_what_it_needs() {
    let out = kaniko()
        .args(["k8s", "--destination", "r.example/app:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the k8s driver builds the platforms of --multi-platform"),
        "{err}"
    );
}

#[test]
fn aggregate_says_what_it_needs() {
    let out = kaniko().arg("aggregate").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs --digests-from"), "{err}");
    let out = kaniko()
        .args(["aggregate", "--digests-from", "/tmp"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs --destination"), "{err}");
}

#[test]
fn executor_name_and_bare_flags_mean_build() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("executor");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kaniko"), &exe).unwrap();
    let help = Command::new(&exe).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--destination"));
    // Bare flags under the kaniko name go to build too: its validation answers.
    let out = kaniko().args(["--context", "/nonexistent"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--destination, or use --no-push"));
}

#[test]
fn bad_build_arg_is_one_clear_line() {
    let out = kaniko()
        .args(["--no-push", "--build-arg", "=oops"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: invalid --build-arg \"=oops\""), "{err}");
}

#[test]
fn docs_cli_md_matches_clap() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md");
    let generated = kaniko::cli::docs::markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/cli.md is out of date: run `UPDATE_DOCS=1 cargo test --test cli`"
    );
    // Every build flag is documented.
    use clap::CommandFactory;
    let cmd = kaniko::cli::Cli::command();
    let build = cmd.find_subcommand("build").unwrap();
    // Hidden flags (the executor's side of `kaniko k8s`) are documented in advanced-configuration.md.
    for arg in build
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long())
        .filter(|l| *l != "help")
    {
        assert!(
            on_disk.contains(&format!("`--{arg}`")),
            "--{arg} missing from docs/cli.md"
        );
    }
}

#[test]
fn every_build_flag_is_in_advanced_configuration_md() {
    use clap::CommandFactory;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/advanced-configuration.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let cmd = kaniko::cli::Cli::command();
    let build = cmd.find_subcommand("build").unwrap();
    let longs: Vec<&str> = build
        .get_arguments()
        .filter_map(|a| a.get_long())
        .filter(|l| *l != "help")
        .collect();
    assert!(longs.len() > 30, "clap lists only {} flags", longs.len());
    let missing: Vec<&&str> = longs
        .iter()
        .filter(|l| !doc.contains(&format!("`--{l}`")))
        .collect();
    assert!(missing.is_empty(), "missing from {}: {missing:?}", path.display());
}

/// The headings of a help text, in order, each with the long flags under it (a flag's line is
/// indented by at most six spaces; its description's continuation lines, deeper).
fn help_sections(help: &str) -> Vec<(String, Vec<String>)> {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in help.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent == 0 && line.ends_with(':') {
            sections.push((line.trim_end_matches(':').to_string(), Vec::new()));
        } else if indent <= 6 && trimmed.starts_with('-') {
            let flag = trimmed
                .split_whitespace()
                .find(|w| w.starts_with("--"))
                .map(|w| w.split(['=', '[', '<']).next().unwrap_or(w).to_string());
            if let (Some(flag), Some(last)) = (flag, sections.last_mut()) {
                last.1.push(flag);
            }
        }
    }
    sections
}

/// Regression: `kaniko build -h` listed 233 lines with the context first and the destination, build
/// arguments and target scattered among outputs, Kubernetes and index flags. The flags people pass
/// every time now come first, under one heading, and the specialised groups follow under their own.
#[test]
fn build_help_puts_the_common_flags_first_and_groups_the_rest() {
    let out = kaniko().args(["build", "-h"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let sections = help_sections(&help);
    let headings: Vec<&str> = sections
        .iter()
        .map(|(h, _)| h.as_str())
        .filter(|h| !["Usage", "Options"].contains(h) && !h.starts_with("Build a Dockerfile"))
        .collect();
    assert_eq!(
        headings,
        [
            "Common",
            "Context",
            "Build",
            "Outputs",
            "RUN",
            "Filesystem",
            "Image format",
            "Signing",
            "Cache",
            "Registry",
            "Multi-platform",
            "Index",
            "Kubernetes",
            "Logging",
            "Debugging",
            "Metrics and profiling"
        ],
        "{help}"
    );
    let common = &sections.iter().find(|(h, _)| h == "Common").unwrap().1;
    for flag in [
        "--context",
        "--dockerfile",
        "--destination",
        "--build-arg",
        "--target",
        "--custom-platform",
        "--no-push",
        "--tar-path",
    ] {
        assert!(
            common.contains(&flag.to_string()),
            "{flag} not under Common: {common:?}"
        );
    }
    assert!(
        common.len() <= 10,
        "Common is for the few flags every build passes: {common:?}"
    );
}
