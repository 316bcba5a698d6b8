// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! kaniko compatibility for the argument vector: `executor --context … --destination …` and
//! `kaniko --context …` (flags with no subcommand) both mean `kaniko build …`.

use std::ffi::OsString;
use std::path::Path;

/// Subcommand names; anything else in first position is taken as `build`'s arguments.
const SUBCOMMANDS: &[&str] = &[
    "build",
    "aggregate",
    "local",
    "k8s",
    "warmer",
    "cache",
    "version",
    "help",
];

/// Inserts `build` after the program name when the invocation is kaniko's executor style.
///
/// A binary named `executor` always builds unless a subcommand is named (`executor version` is
/// kaniko's too), so `executor --help` shows build's flags; `executor --version` prints the version,
/// since `build` has no version flag of its own. Under any other name, top-level `--help`/`--version`
/// keep their meaning and flags alone mean `build`.
pub fn rewrite(mut args: Vec<OsString>) -> Vec<OsString> {
    let Some(program) = args.first() else {
        return args;
    };
    let is_executor = Path::new(program).file_name().is_some_and(|n| n == "executor");
    let first = args.get(1).map(|a| a.to_string_lossy().into_owned());
    // kaniko's warmer image runs `/kaniko/warmer --image …`.
    let is_warmer = Path::new(program).file_name().is_some_and(|n| n == "warmer");
    if is_warmer && !first.as_deref().is_some_and(|a| SUBCOMMANDS.contains(&a)) {
        args.insert(1, OsString::from("warmer"));
        return args;
    }
    let insert = match first.as_deref() {
        None => is_executor,
        Some(a) if SUBCOMMANDS.contains(&a) => false,
        Some("-V" | "--version") => false,
        Some("-h" | "--help") => is_executor,
        Some(a) => is_executor || a.starts_with('-'),
    };
    if insert {
        args.insert(1, OsString::from("build"));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(args: &[&str]) -> Vec<String> {
        rewrite(args.iter().map(OsString::from).collect())
            .into_iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn flags_without_subcommand_mean_build() {
        assert_eq!(
            rw(&["kaniko", "--context", "."]),
            ["kaniko", "build", "--context", "."]
        );
        assert_eq!(rw(&["kaniko", "-c", "."]), ["kaniko", "build", "-c", "."]);
    }

    #[test]
    fn executor_name_means_build() {
        assert_eq!(
            rw(&["/kaniko/executor", "--help"]),
            ["/kaniko/executor", "build", "--help"]
        );
        assert_eq!(rw(&["/kaniko/executor"]), ["/kaniko/executor", "build"]);
        assert_eq!(
            rw(&["/kaniko/executor", "--version"]),
            ["/kaniko/executor", "--version"]
        );
        assert_eq!(
            rw(&["/kaniko/executor", "version"]),
            ["/kaniko/executor", "version"]
        );
    }

    #[test]
    fn subcommands_and_top_level_help_are_kept() {
        assert_eq!(
            rw(&["kaniko", "build", "-c", "."]),
            ["kaniko", "build", "-c", "."]
        );
        assert_eq!(rw(&["kaniko", "--help"]), ["kaniko", "--help"]);
        assert_eq!(rw(&["kaniko", "aggregate"]), ["kaniko", "aggregate"]);
        assert_eq!(rw(&["kaniko", "cache", "prune"]), ["kaniko", "cache", "prune"]);
        assert_eq!(rw(&["kaniko"]), ["kaniko"]);
    }

    #[test]
    fn warmer_name_means_warmer() {
        assert_eq!(
            rw(&["/kaniko/warmer", "--image", "a"]),
            ["/kaniko/warmer", "warmer", "--image", "a"]
        );
        assert_eq!(rw(&["/kaniko/warmer", "version"]), ["/kaniko/warmer", "version"]);
    }
}
