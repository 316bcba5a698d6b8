// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The parsed form of each Dockerfile instruction: validated flags and raw (unexpanded) words.
//!
//! Words are kept as written because expansion depends on the environment at build time (ENV and
//! ARG change as a stage proceeds); see [`super::expand_instruction`] for the expanded view.

use std::time::Duration;

use super::error::Location;
use super::heredoc::Heredoc;

/// One instruction, where it is, and its source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub location: Location,
    /// The instruction line as written, continuations joined (for history `created_by` and messages).
    pub original: String,
    pub kind: InstructionKind,
}

impl Instruction {
    /// The upper-case instruction name (`RUN`, `COPY`...).
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }
}

/// Exec form (JSON array, never expanded) or shell form (one string, run by the stage's SHELL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    Exec(Vec<String>),
    Shell(String),
}

impl CommandLine {
    pub fn is_exec(&self) -> bool {
        matches!(self, CommandLine::Exec(_))
    }
}

/// `KEY=value` of ENV and LABEL; both sides raw (quotes kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
    /// Written in the legacy `ENV key value` form (no `=`).
    pub legacy: bool,
}

/// One `NAME` or `NAME=default` of an ARG line; both raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    pub name: String,
    pub default: Option<String>,
}

/// `FROM [--platform=P] base [AS name]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct From {
    pub base: String,
    pub platform: Option<String>,
    /// Lower-cased stage name.
    pub name: Option<String>,
}

/// `RUN`: flags kept raw for the executor (`--mount=type=cache,target=/x`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub mounts: Vec<String>,
    pub network: Option<String>,
    pub security: Option<String>,
    pub command: CommandLine,
    /// Heredocs named in the command line (shell form only), in order.
    pub heredocs: Vec<Heredoc>,
}

/// A source of ADD/COPY: a path or URL in the context, or an inline heredoc file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Path(String),
    Heredoc(Heredoc),
}

/// `COPY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    /// `--from`: a stage name, a stage index or an image reference (raw).
    pub from: Option<String>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub parents: bool,
    pub excludes: Vec<String>,
    pub sources: Vec<Source>,
    pub dest: String,
    /// Written in JSON form.
    pub json: bool,
}

/// `ADD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Add {
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub parents: bool,
    pub excludes: Vec<String>,
    pub checksum: Option<String>,
    pub keep_git_dir: Option<bool>,
    pub unpack: Option<bool>,
    pub sources: Vec<Source>,
    pub dest: String,
    pub json: bool,
}

/// `HEALTHCHECK`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`: disable any inherited check.
    None,
    /// `HEALTHCHECK [flags] CMD ...`. Durations are `None` when not given (inherit Docker's defaults).
    Cmd {
        command: CommandLine,
        interval: Option<Duration>,
        timeout: Option<Duration>,
        start_period: Option<Duration>,
        start_interval: Option<Duration>,
        retries: Option<u32>,
    },
}

impl Healthcheck {
    /// The image config `Healthcheck.Test` value: `["NONE"]`, `["CMD", ...]` or `["CMD-SHELL", cmd]`.
    pub fn test(&self) -> Vec<String> {
        match self {
            Healthcheck::None => vec!["NONE".to_string()],
            Healthcheck::Cmd {
                command: CommandLine::Exec(args),
                ..
            } => std::iter::once("CMD".to_string())
                .chain(args.iter().cloned())
                .collect(),
            Healthcheck::Cmd {
                command: CommandLine::Shell(s),
                ..
            } => vec!["CMD-SHELL".to_string(), s.clone()],
        }
    }
}

/// `ONBUILD <trigger>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onbuild {
    /// The trigger text as stored in the image config's `OnBuild` list (heredoc bodies appended,
    /// as BuildKit stores them).
    pub expression: String,
    /// The trigger, parsed (validated at parse time like BuildKit does).
    pub trigger: Box<Instruction>,
}

/// One variant per instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstructionKind {
    From(From),
    Run(Run),
    Cmd(CommandLine),
    /// An `ENTRYPOINT` with no arguments is `Shell("")`, which BuildKit treats as clearing it.
    Entrypoint(CommandLine),
    Label(Vec<KeyValue>),
    Maintainer(String),
    /// Raw port specs; each may expand to several words.
    Expose(Vec<String>),
    Env(Vec<KeyValue>),
    Add(Add),
    Copy(Copy),
    Volume(Vec<String>),
    User(String),
    Workdir(String),
    Arg(Vec<ArgDecl>),
    Onbuild(Onbuild),
    Stopsignal(String),
    Healthcheck(Healthcheck),
    Shell(Vec<String>),
}

impl InstructionKind {
    pub fn name(&self) -> &'static str {
        match self {
            InstructionKind::From(_) => "FROM",
            InstructionKind::Run(_) => "RUN",
            InstructionKind::Cmd(_) => "CMD",
            InstructionKind::Entrypoint(_) => "ENTRYPOINT",
            InstructionKind::Label(_) => "LABEL",
            InstructionKind::Maintainer(_) => "MAINTAINER",
            InstructionKind::Expose(_) => "EXPOSE",
            InstructionKind::Env(_) => "ENV",
            InstructionKind::Add(_) => "ADD",
            InstructionKind::Copy(_) => "COPY",
            InstructionKind::Volume(_) => "VOLUME",
            InstructionKind::User(_) => "USER",
            InstructionKind::Workdir(_) => "WORKDIR",
            InstructionKind::Arg(_) => "ARG",
            InstructionKind::Onbuild(_) => "ONBUILD",
            InstructionKind::Stopsignal(_) => "STOPSIGNAL",
            InstructionKind::Healthcheck(_) => "HEALTHCHECK",
            InstructionKind::Shell(_) => "SHELL",
        }
    }
}
