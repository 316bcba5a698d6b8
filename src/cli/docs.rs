// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Generates `docs/cli.md` from the clap definitions, so the reference can never drift from `--help`
//! (a test compares the file with this output).

use std::fmt::Write as _;

use clap::CommandFactory;

use super::Cli;

/// The whole CLI reference as Markdown.
pub fn markdown() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = String::new();
    out.push_str("# Command-line reference\n\n");
    out.push_str("<!-- Generated from the clap definitions by `UPDATE_DOCS=1 cargo test --test cli`; do not edit. -->\n\n");
    let _ = writeln!(
        out,
        "{}\n",
        cmd.get_long_about()
            .or(cmd.get_about())
            .map(|s| s.to_string())
            .unwrap_or_default()
    );
    let visible = |s: &&clap::Command| !s.is_hide_set() && s.get_name() != "help";
    // Groups (`kaniko cache`) are followed by their own subcommands (`kaniko cache prune`).
    let mut sections: Vec<(String, &clap::Command)> = Vec::new();
    for sub in cmd.get_subcommands().filter(visible) {
        sections.push((sub.get_name().to_string(), sub));
        for nested in sub.get_subcommands().filter(visible) {
            sections.push((format!("{} {}", sub.get_name(), nested.get_name()), nested));
        }
    }
    for (name, sub) in sections {
        let _ = writeln!(out, "## `kaniko {name}`\n");
        if let Some(about) = sub.get_about() {
            let _ = writeln!(out, "{about}\n");
        }
        let args: Vec<_> = sub
            .get_arguments()
            .filter(|a| !a.is_hide_set() && a.get_long().is_some() && a.get_id() != "help")
            .collect();
        if args.is_empty() {
            continue;
        }
        let mut heading: Option<&str> = None;
        let mut first = true;
        for arg in args {
            if first || arg.get_help_heading() != heading {
                heading = arg.get_help_heading();
                let _ = writeln!(
                    out,
                    "{}### {}\n",
                    if first { "" } else { "\n" },
                    heading.unwrap_or("Options")
                );
                out.push_str("| Flag | Default | Description |\n|---|---|---|\n");
                first = false;
            }
            let mut flag = format!("`--{}`", arg.get_long().unwrap_or_default());
            if let Some(s) = arg.get_short() {
                flag = format!("`-{s}`, {flag}");
            }
            if let Some(names) = arg.get_value_names() {
                if arg.get_num_args().is_some_and(|n| n.min_values() > 0) {
                    let _ = write!(flag, " `{}`", names.join(" "));
                }
            }
            let defaults: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            let mut default = if defaults.is_empty() {
                String::from("—")
            } else {
                format!("`{}`", defaults.join(","))
            };
            if let Some(env) = arg.get_env() {
                let _ = write!(default, " (env `{}`)", env.to_string_lossy());
            }
            let help = arg
                .get_long_help()
                .or(arg.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {flag} | {default} | {} |",
                help.replace('|', "\\|").replace('\n', " ")
            );
        }
        out.push('\n');
    }
    out
}
