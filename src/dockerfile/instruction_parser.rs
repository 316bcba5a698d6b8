// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Builds an [`InstructionKind`] from one logical line (and its heredocs): instruction name lookup,
//! flag validation, exec/shell form, and the argument rules of each instruction, with BuildKit's
//! messages where it has one.

use std::time::Duration;

use super::error::{ErrorKind, Location, Problem};
use super::flags::{parse_flags, parse_go_duration, FlagType, Flags};
use super::heredoc::{parse_marker, Heredoc};
use super::instruction::{
    Add, ArgDecl, CommandLine, Copy, From, Healthcheck, Instruction, InstructionKind, KeyValue, Onbuild, Run,
    Source,
};
use super::words::{extract_flags, parse_json, parse_words, split_command, split_whitespace, Json};

use FlagType::{Bool, List, String as Str};

const FROM_FLAGS: &[(&str, FlagType)] = &[("platform", Str)];
const RUN_FLAGS: &[(&str, FlagType)] = &[("mount", List), ("network", Str), ("security", Str)];
const COPY_FLAGS: &[(&str, FlagType)] = &[
    ("from", Str),
    ("chown", Str),
    ("chmod", Str),
    ("link", Bool),
    ("parents", Bool),
    ("exclude", List),
];
const ADD_FLAGS: &[(&str, FlagType)] = &[
    ("chown", Str),
    ("chmod", Str),
    ("link", Bool),
    ("parents", Bool),
    ("exclude", List),
    ("checksum", Str),
    ("keep-git-dir", Bool),
    ("unpack", Bool),
];
const HEALTHCHECK_FLAGS: &[(&str, FlagType)] = &[
    ("interval", Str),
    ("timeout", Str),
    ("start-period", Str),
    ("start-interval", Str),
    ("retries", Str),
];

/// Instructions whose shell form may carry heredocs.
const HEREDOC_INSTRUCTIONS: &[&str] = &["RUN", "COPY", "ADD"];

/// Whether the heredoc markers of this line should be read (BuildKit's `canContainHeredoc`).
pub(crate) fn can_contain_heredoc(text: &str) -> bool {
    if !text.contains("<<") {
        return false;
    }
    let (cmd, rest) = split_command(text);
    let (mut args, _) = extract_flags(rest);
    let mut cmd = cmd.to_ascii_uppercase();
    if cmd == "ONBUILD" {
        let (sub, sub_rest) = split_command(&args);
        cmd = sub.to_ascii_uppercase();
        args = extract_flags(sub_rest).0;
    }
    HEREDOC_INSTRUCTIONS.contains(&cmd.as_str()) && matches!(parse_json(args.trim()), Ok(Json::No))
}

fn at_least_one(name: &str) -> Problem {
    Problem::args(format!("{name} requires at least one argument"), name)
}

fn exactly_one(name: &str, args: &str) -> Problem {
    Problem::args(format!("{name} requires exactly one argument"), args)
}

fn no_flags(name: &str, raw: &[String]) -> Result<(), Problem> {
    parse_flags(raw, &[]).map(|_| ()).map_err(|mut p| {
        p.message = format!("{name}: {}", p.message);
        p
    })
}

/// Exec form if `args` is a JSON array of strings, else shell form.
fn command_line(args: &str) -> Result<CommandLine, Problem> {
    Ok(match parse_json(args)? {
        Json::Strings(v) => CommandLine::Exec(v),
        Json::No => CommandLine::Shell(args.to_string()),
    })
}

/// JSON array, or whitespace-separated words (ADD, COPY, VOLUME). The bool says JSON.
fn word_list(args: &str) -> Result<(Vec<String>, bool), Problem> {
    Ok(match parse_json(args)? {
        Json::Strings(v) => (v, true),
        Json::No => (split_whitespace(args), false),
    })
}

/// Builds one instruction from its logical line text and heredocs.
pub(crate) fn build(
    text: &str,
    heredocs: Vec<Heredoc>,
    escape: char,
    location: Location,
) -> Result<Instruction, Problem> {
    let original = text.trim().to_string();
    let (cmd, rest) = split_command(text);
    let (args, raw_flags) = extract_flags(rest);
    let args = args.trim();
    let name = cmd.to_ascii_uppercase();
    let kind = match name.as_str() {
        "FROM" => {
            let flags = parse_flags(&raw_flags, FROM_FLAGS)?;
            InstructionKind::From(from(args, &flags)?)
        }
        "RUN" => {
            let flags = parse_flags(&raw_flags, RUN_FLAGS)?;
            let command = command_line(args)?;
            let empty = match &command {
                CommandLine::Exec(v) => v.is_empty(),
                CommandLine::Shell(s) => s.is_empty(),
            };
            if empty {
                return Err(at_least_one("RUN"));
            }
            let mounts = flags.list("mount");
            // Values that use variables are checked again once expanded, when the step runs.
            for m in mounts.iter().filter(|m| !m.contains('$')) {
                super::run_mount::parse_run_mount(m)
                    .map_err(|e| Problem::new(ErrorKind::Flag, e.message, e.text))?;
            }
            InstructionKind::Run(Run {
                mounts,
                network: flags.string("network"),
                security: flags.string("security"),
                heredocs: if command.is_exec() { Vec::new() } else { heredocs },
                command,
            })
        }
        "CMD" | "ENTRYPOINT" => {
            no_flags(&name, &raw_flags)?;
            let command = command_line(args)?;
            if name == "CMD" {
                InstructionKind::Cmd(command)
            } else {
                InstructionKind::Entrypoint(command)
            }
        }
        "SHELL" => {
            no_flags(&name, &raw_flags)?;
            match parse_json(args)? {
                Json::Strings(v) if v.is_empty() => return Err(at_least_one("SHELL")),
                Json::Strings(v) => InstructionKind::Shell(v),
                Json::No => {
                    return Err(Problem::args(
                        "SHELL requires the arguments to be in JSON form",
                        args,
                    ))
                }
            }
        }
        "ENV" | "LABEL" => {
            no_flags(&name, &raw_flags)?;
            let pairs = name_values(&name, args, escape)?;
            if name == "ENV" {
                InstructionKind::Env(pairs)
            } else {
                InstructionKind::Label(pairs)
            }
        }
        "MAINTAINER" | "USER" | "WORKDIR" | "STOPSIGNAL" => {
            no_flags(&name, &raw_flags)?;
            if args.is_empty() {
                return Err(exactly_one(&name, args));
            }
            let value = args.to_string();
            match name.as_str() {
                "MAINTAINER" => InstructionKind::Maintainer(value),
                "USER" => InstructionKind::User(value),
                "WORKDIR" => InstructionKind::Workdir(value),
                _ => InstructionKind::Stopsignal(value),
            }
        }
        "EXPOSE" => {
            no_flags(&name, &raw_flags)?;
            let ports = split_whitespace(args);
            if ports.is_empty() {
                return Err(at_least_one("EXPOSE"));
            }
            InstructionKind::Expose(ports)
        }
        "VOLUME" => {
            no_flags(&name, &raw_flags)?;
            let (words, _) = word_list(args)?;
            if words.is_empty() {
                return Err(at_least_one("VOLUME"));
            }
            let mut volumes = Vec::with_capacity(words.len());
            for w in words {
                let w = w.trim();
                if w.is_empty() {
                    return Err(Problem::args("VOLUME specified can not be an empty string", args));
                }
                volumes.push(w.to_string());
            }
            InstructionKind::Volume(volumes)
        }
        "ADD" | "COPY" => copy_or_add(&name, args, &raw_flags, heredocs)?,
        "ARG" => {
            no_flags(&name, &raw_flags)?;
            let words = parse_words(args, escape);
            if words.is_empty() {
                return Err(at_least_one("ARG"));
            }
            let mut decls = Vec::with_capacity(words.len());
            for w in words {
                let decl = match w.split_once('=') {
                    Some((n, v)) => ArgDecl {
                        name: n.to_string(),
                        default: Some(v.to_string()),
                    },
                    None => ArgDecl {
                        name: w.clone(),
                        default: None,
                    },
                };
                if decl.name.is_empty() {
                    return Err(Problem::args("ARG names can not be blank", w));
                }
                decls.push(decl);
            }
            InstructionKind::Arg(decls)
        }
        "ONBUILD" => onbuild(args, &raw_flags, heredocs, escape, location)?,
        "HEALTHCHECK" => InstructionKind::Healthcheck(healthcheck(args, &raw_flags)?),
        _ => {
            return Err(Problem::new(
                ErrorKind::UnknownInstruction,
                "unknown instruction",
                cmd,
            ))
        }
    };
    Ok(Instruction {
        location,
        original,
        kind,
    })
}

fn from(args: &str, flags: &Flags) -> Result<From, Problem> {
    let words = split_whitespace(args);
    let name = match words.as_slice() {
        [_] => None,
        [_, as_kw, name] if as_kw.eq_ignore_ascii_case("as") => {
            let lower = name.to_ascii_lowercase();
            let valid = lower.starts_with(|c: char| c.is_ascii_lowercase())
                && lower
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
            if !valid {
                return Err(Problem::new(
                    ErrorKind::Stage,
                    "invalid name for build stage, name can't start with a number or contain symbols",
                    name.as_str(),
                ));
            }
            Some(lower)
        }
        _ => return Err(Problem::args("FROM requires either one or three arguments", args)),
    };
    Ok(From {
        base: words.first().cloned().unwrap_or_default(),
        platform: flags.string("platform"),
        name,
    })
}

/// ENV and LABEL: `k=v k2="v 2"` or the legacy `k v with spaces`.
fn name_values(name: &str, args: &str, escape: char) -> Result<Vec<KeyValue>, Problem> {
    let words = parse_words(args, escape);
    let Some(first) = words.first() else {
        return Err(at_least_one(name));
    };
    if !first.contains('=') {
        let mut parts = args.splitn(2, ['\t', '\u{b}', '\u{c}', '\r', ' ']);
        let key = parts.next().unwrap_or_default();
        let value = parts
            .next()
            .map(|v| v.trim_start_matches(['\t', '\u{b}', '\u{c}', '\r', ' ']))
            .unwrap_or("");
        if value.is_empty() {
            return Err(Problem::args(format!("{name} must have two arguments"), args));
        }
        return Ok(vec![KeyValue {
            key: key.to_string(),
            value: value.to_string(),
            legacy: true,
        }]);
    }
    let mut pairs = Vec::with_capacity(words.len());
    for w in &words {
        let Some((k, v)) = w.split_once('=') else {
            return Err(Problem::args(
                "Syntax error - can't find = in word. Must be of the form: name=value",
                w.as_str(),
            ));
        };
        if k.is_empty() {
            return Err(Problem::args(
                format!("{name} names can not be blank"),
                w.as_str(),
            ));
        }
        pairs.push(KeyValue {
            key: k.to_string(),
            value: v.to_string(),
            legacy: false,
        });
    }
    Ok(pairs)
}

fn copy_or_add(
    name: &str,
    args: &str,
    raw_flags: &[String],
    heredocs: Vec<Heredoc>,
) -> Result<InstructionKind, Problem> {
    let is_copy = name == "COPY";
    let flags = parse_flags(raw_flags, if is_copy { COPY_FLAGS } else { ADD_FLAGS })?;
    let (mut words, json) = word_list(args)?;
    if words.len() < 2 {
        return Err(Problem::args(
            format!("{name} requires at least two arguments, but only one was provided. Destination could not be determined"),
            args,
        ));
    }
    let dest = words.pop().unwrap_or_default();
    if !json && matches!(parse_marker(&dest), Ok(Some(_))) {
        return Err(Problem::args(
            format!("{name} cannot accept a heredoc as a destination"),
            dest,
        ));
    }
    let sources = words
        .into_iter()
        .map(|w| match (json, parse_marker(&w)) {
            (false, Ok(Some(marker))) => {
                let doc = heredocs.iter().find(|h| h.name == marker.name).cloned();
                Source::Heredoc(doc.unwrap_or(marker))
            }
            _ => Source::Path(w),
        })
        .collect();
    let chown = flags.string("chown");
    let chmod = flags.string("chmod");
    let link = flags.bool("link").unwrap_or(false);
    let parents = flags.bool("parents").unwrap_or(false);
    let excludes = flags.list("exclude");
    Ok(if is_copy {
        InstructionKind::Copy(Copy {
            from: flags.string("from"),
            chown,
            chmod,
            link,
            parents,
            excludes,
            sources,
            dest,
            json,
        })
    } else {
        InstructionKind::Add(Add {
            chown,
            chmod,
            link,
            parents,
            excludes,
            checksum: flags.string("checksum"),
            keep_git_dir: flags.bool("keep-git-dir"),
            unpack: flags.bool("unpack"),
            sources,
            dest,
            json,
        })
    })
}

fn onbuild(
    args: &str,
    raw_flags: &[String],
    heredocs: Vec<Heredoc>,
    escape: char,
    location: Location,
) -> Result<InstructionKind, Problem> {
    no_flags("ONBUILD", raw_flags)?;
    if args.is_empty() {
        return Err(at_least_one("ONBUILD"));
    }
    let (trigger_name, _) = split_command(args);
    match trigger_name.to_ascii_uppercase().as_str() {
        "ONBUILD" => {
            return Err(Problem::new(
                ErrorKind::Placement,
                "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
                trigger_name,
            ))
        }
        t @ ("MAINTAINER" | "FROM") => {
            return Err(Problem::new(
                ErrorKind::Placement,
                format!("{t} isn't allowed as an ONBUILD trigger"),
                trigger_name,
            ))
        }
        _ => {}
    }
    let mut expression = args.to_string();
    for h in &heredocs {
        expression.push('\n');
        expression.push_str(&h.content);
        expression.push_str(&h.name);
    }
    let trigger = build(args, heredocs, escape, location)?;
    Ok(InstructionKind::Onbuild(Onbuild {
        expression,
        trigger: Box::new(trigger),
    }))
}

fn interval(flags: &Flags, name: &str) -> Result<Option<Duration>, Problem> {
    let Some(value) = flags.string(name) else {
        return Ok(None);
    };
    if value.is_empty() {
        return Ok(None);
    }
    let bad = |m: String| Problem::new(ErrorKind::Flag, m, value.as_str());
    let nanos = parse_go_duration(&value).ok_or_else(|| bad(format!("invalid duration for --{name}")))?;
    if nanos == 0 {
        return Ok(None);
    }
    if nanos < 1_000_000 {
        return Err(bad(format!("Interval \"{name}\" cannot be less than 1ms")));
    }
    Ok(Some(Duration::from_nanos(
        u64::try_from(nanos).unwrap_or(u64::MAX),
    )))
}

fn healthcheck(args: &str, raw_flags: &[String]) -> Result<Healthcheck, Problem> {
    let flags = parse_flags(raw_flags, HEALTHCHECK_FLAGS)?;
    let (typ, rest) = match args.find(char::is_whitespace) {
        Some(i) => (&args[..i], args[i..].trim_start()),
        None => (args, ""),
    };
    if typ.is_empty() {
        return Err(at_least_one("HEALTHCHECK"));
    }
    match typ.to_ascii_uppercase().as_str() {
        "NONE" => {
            if !rest.is_empty() {
                return Err(Problem::args("HEALTHCHECK NONE takes no arguments", rest));
            }
            Ok(Healthcheck::None)
        }
        "CMD" => {
            let command = command_line(rest)?;
            let empty = match &command {
                CommandLine::Exec(v) => v.is_empty(),
                CommandLine::Shell(s) => s.is_empty(),
            };
            if empty {
                return Err(Problem::args("Missing command after HEALTHCHECK CMD", args));
            }
            let retries = match flags.string("retries").filter(|r| !r.is_empty()) {
                None => None,
                Some(r) => {
                    let n: i64 = r.parse().map_err(|_| {
                        Problem::new(ErrorKind::Flag, "invalid value for --retries", r.as_str())
                    })?;
                    if n < 0 {
                        return Err(Problem::new(
                            ErrorKind::Flag,
                            "--retries cannot be negative",
                            r.as_str(),
                        ));
                    }
                    Some(u32::try_from(n).map_err(|_| {
                        Problem::new(ErrorKind::Flag, "--retries is out of range", r.as_str())
                    })?)
                }
            };
            Ok(Healthcheck::Cmd {
                command,
                interval: interval(&flags, "interval")?,
                timeout: interval(&flags, "timeout")?,
                start_period: interval(&flags, "start-period")?,
                start_interval: interval(&flags, "start-interval")?,
                retries,
            })
        }
        _ => Err(Problem::args("Unknown type in HEALTHCHECK (try CMD)", typ)),
    }
}
