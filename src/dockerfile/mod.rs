// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The Dockerfile front end: parsing, word expansion, ARG scoping and the stage graph, following
//! BuildKit's (`docker build`'s) documented semantics.
//!
//! # Using it
//!
//! - [`parse`]`(source, file_name) -> Result<`[`Dockerfile`]`, `[`DockerfileError`]`>`: directives,
//!   global ARGs (before the first FROM) and [`Stage`]s, each holding [`Instruction`]s whose words are
//!   raw (unexpanded). [`parse_instruction`] parses one ONBUILD trigger taken from a base image config.
//! - Expansion at build time, against the environment the stage has at that instruction:
//!   [`expand_word`], [`expand_words`], [`expand_heredoc`], or [`Instruction::expanded`] /
//!   [`InstructionKind::expanded`] which expand exactly the words Docker expands for that instruction.
//!   [`ExpandError::at`] turns an expansion failure into a located [`DockerfileError`].
//! - ARGs: [`predefined_args`], [`global_scope`] (values usable in FROM lines), [`resolve_arg`] (the
//!   value an `ARG` takes inside a stage), [`proxy_env`] and [`unused_build_args`].
//! - Stages: [`plan_build`] returns the build order, the stages the target needs, and every stage's
//!   resolved dependencies (base stage/image, `COPY --from` sources).
//!
//! # Semantics choices (BuildKit wins where it and the legacy builder differ)
//!
//! - Parser directives are only recognised before the first instruction, comment or blank line; an
//!   unknown directive ends the directive section; a repeated directive is an error.
//! - A trailing escape character continues a line even when followed by spaces/tabs. Comment lines
//!   and blank lines inside a continuation are skipped (BuildKit warns about the blank ones; we accept).
//!   Nothing is inserted where lines are joined. Heredoc bodies keep their line endings verbatim.
//! - Heredocs are read for RUN, COPY and ADD (also behind ONBUILD) in shell form only. A quoted
//!   delimiter disables expansion of the body; `<<-` strips leading tabs ([`Heredoc::body`]).
//! - JSON form is a JSON array of strings; an array of other values is an error; anything else that
//!   fails to parse as JSON is shell form (`CMD [oops` runs `[oops` in a shell).
//! - Expanded (BuildKit list): ADD, COPY (sources, destination, --chown, --chmod, --from, --exclude,
//!   --checksum), ENV and LABEL (keys and values), EXPOSE (word-split), FROM (base and --platform,
//!   with global ARGs only), STOPSIGNAL, USER, VOLUME, WORKDIR, ARG (defaults only; names stay literal as in BuildKit).
//!   RUN `--mount` values (each as one word, like BuildKit). Not expanded: RUN's command, CMD, ENTRYPOINT, SHELL (the shell does it), HEALTHCHECK, MAINTAINER, ONBUILD
//!   (its trigger expands when it runs in the child build). Exec forms are never expanded.
//!   Only EXPOSE splits words after expansion; every other instruction expands each
//!   whitespace-separated word as one word (paths with spaces need the JSON form, as in Docker).
//! - Shell-form words of ADD/COPY/VOLUME/EXPOSE are split on blanks at parse time, ENV/LABEL/ARG on
//!   unquoted blanks (quotes are kept and removed by expansion).
//! - Instruction flags are validated for every instruction; unknown flags, repeated non-list flags,
//!   bad booleans are errors. `HEALTHCHECK NONE` accepts (and ignores) the CMD flags like BuildKit.
//!   We accept RUN `--mount`, `--network`, `--security`; COPY `--from --chown --chmod --link --parents
//!   --exclude`; ADD `--chown --chmod --link --parents --exclude --checksum --keep-git-dir --unpack`.
//! - Stage names are lower-cased, must match `^[a-z][a-z0-9-_.]*$` and be unique. `FROM name` refers to
//!   an earlier stage only (otherwise it is an image). `COPY --from=name` may name any stage, earlier or
//!   later, as in BuildKit; a cycle (including a stage copying from itself) is an error. A name that is
//!   no stage is an image reference; a numeric `--from` must be a valid stage index.
//! - An instruction other than ARG before the first FROM is an error, as is an empty file.
//! - Errors without a place in the file (unknown `--target`, an empty file) name only the file
//!   (`Dockerfile: message: "text"`), never a line 0.

mod args;
mod directives;
mod error;
mod expand;
mod expand_instruction;
mod flags;
mod heredoc;
mod instruction;
mod instruction_parser;
mod lines;
mod pattern;
mod run_mount;
mod stages;
mod words;

pub use args::{
    global_scope, is_proxy_arg, predefined_args, proxy_env, resolve_arg, unused_build_args, PROXY_ARGS,
};
pub use directives::Directives;
pub use error::{DockerfileError, ErrorKind, Location};
pub use expand::{expand_heredoc, expand_word, expand_words, ExpandError, Lookup};
pub use heredoc::Heredoc;
pub use instruction::{
    Add, ArgDecl, CommandLine, Copy, From, Healthcheck, Instruction, InstructionKind, KeyValue, Onbuild, Run,
    Source,
};
pub use run_mount::{
    parse_run_mount, BindMount, CacheMount, CacheSharing, MountSpecError, RunMount, SecretMount, SshMount,
    TmpfsMount,
};
pub use stages::{plan_build, BuildPlan, PlanOptions, StageDependencies, StageRef};

use error::Problem;
use lines::{LineReader, LogicalLine};

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// The name used in error messages (usually the path given with `--dockerfile`).
    pub file_name: String,
    pub directives: Directives,
    /// ARG instructions before the first FROM (their words raw).
    pub global_args: Vec<Instruction>,
    pub stages: Vec<Stage>,
}

/// One build stage: a FROM line and the instructions up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    /// Lower-cased `AS` name.
    pub name: Option<String>,
    /// The base as written (expand it with the global scope).
    pub base: String,
    /// `--platform` as written.
    pub platform: Option<String>,
    pub location: Location,
    /// The FROM line as written.
    pub original: String,
    pub instructions: Vec<Instruction>,
}

impl Stage {
    /// The name, or `stage-<index>` like BuildKit uses in messages.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("stage-{}", self.index))
    }
}

impl Dockerfile {
    /// The escape character in effect (`# escape=`).
    pub fn escape(&self) -> char {
        self.directives.escape
    }

    /// The stage with this name (case-insensitive).
    pub fn stage_by_name(&self, name: &str) -> Option<&Stage> {
        let lower = name.to_ascii_lowercase();
        self.stages
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
    }

    /// An error located at `location` of this file.
    pub fn error(
        &self,
        location: Location,
        kind: ErrorKind,
        message: impl Into<String>,
        text: impl Into<String>,
    ) -> DockerfileError {
        DockerfileError::new(&self.file_name, location, kind, message, text)
    }
}

/// Places a problem of `line` in the file: at the column of the offending text when it is on the
/// instruction's first line, else at the instruction.
fn locate(problem: Problem, line: &LogicalLine, file: &str, location: Location) -> DockerfileError {
    let mut loc = location;
    if !problem.text.is_empty() {
        let first = line.text.get(..line.first_len).unwrap_or(&line.text);
        if let Some(pos) = first.find(&problem.text) {
            loc.column = line.column + first[..pos].chars().count();
        }
    }
    problem.at(file, loc)
}

/// Reads the next instruction (with its heredocs) from `reader`.
fn next_instruction(reader: &mut LineReader<'_>, file: &str) -> Result<Option<Instruction>, DockerfileError> {
    let at_line = |line: usize| Location {
        line,
        column: 1,
        end_line: line,
    };
    let Some(line) = reader.next_line().map_err(|(p, l)| p.at(file, at_line(l)))? else {
        return Ok(None);
    };
    let escape = reader.directives().escape;
    let mut location = Location {
        line: line.start_line,
        column: line.column,
        end_line: line.end_line,
    };
    let mut heredocs = Vec::new();
    if instruction_parser::can_contain_heredoc(&line.text) {
        let markers = heredoc::markers_in_line(&line.text)
            .map_err(|m| Problem::new(ErrorKind::Syntax, m, line.text.as_str()).at(file, location))?;
        for mut h in markers {
            reader.read_heredoc(&mut h, line.start_line).map_err(|(p, _)| {
                let loc = Location {
                    end_line: reader.line_number(),
                    ..location
                };
                locate(p, &line, file, loc)
            })?;
            heredocs.push(h);
        }
        location.end_line = reader.line_number();
    }
    instruction_parser::build(&line.text, heredocs, escape, location)
        .map(Some)
        .map_err(|p| locate(p, &line, file, location))
}

/// Parses a Dockerfile. `file_name` only appears in error messages.
pub fn parse(source: &str, file_name: &str) -> Result<Dockerfile, DockerfileError> {
    let mut reader = LineReader::new(source);
    let mut global_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut seen_any = false;
    while let Some(instruction) = next_instruction(&mut reader, file_name)? {
        seen_any = true;
        match instruction.kind {
            InstructionKind::From(from) => {
                if let Some(name) = &from.name {
                    if stages.iter().any(|s| s.name.as_ref() == Some(name)) {
                        return Err(DockerfileError::new(
                            file_name,
                            instruction.location,
                            ErrorKind::Stage,
                            "duplicate stage name",
                            name.as_str(),
                        ));
                    }
                }
                stages.push(Stage {
                    index: stages.len(),
                    name: from.name,
                    base: from.base,
                    platform: from.platform,
                    location: instruction.location,
                    original: instruction.original,
                    instructions: Vec::new(),
                });
            }
            _ => match stages.last_mut() {
                Some(stage) => stage.instructions.push(instruction),
                None if matches!(instruction.kind, InstructionKind::Arg(_)) => global_args.push(instruction),
                None => {
                    return Err(DockerfileError::new(
                        file_name,
                        instruction.location,
                        ErrorKind::Placement,
                        "no build stage in current context (the first instruction must be FROM or ARG)",
                        instruction.name(),
                    ))
                }
            },
        }
    }
    let directives = reader.directives().clone();
    if !seen_any {
        return Err(DockerfileError::new(
            file_name,
            Location::NONE,
            ErrorKind::Arguments,
            "file with no instructions",
            file_name,
        ));
    }
    if stages.is_empty() {
        return Err(DockerfileError::new(
            file_name,
            Location::NONE,
            ErrorKind::Placement,
            "no build stage in current context (no FROM instruction)",
            file_name,
        ));
    }
    Ok(Dockerfile {
        file_name: file_name.to_string(),
        directives,
        global_args,
        stages,
    })
}

/// Where [`parse_instruction`] errors say they come from.
pub const ONBUILD_TRIGGER_FILE: &str = "ONBUILD trigger";

/// Parses one instruction, e.g. an ONBUILD trigger stored in a base image's config (heredoc bodies
/// may follow on the next lines). `escape` is the escape character of the Dockerfile being built.
pub fn parse_instruction(text: &str, escape: char) -> Result<Instruction, DockerfileError> {
    let file = ONBUILD_TRIGGER_FILE;
    let mut reader = LineReader::with_escape(text, escape);
    let Some(instruction) = next_instruction(&mut reader, file)? else {
        return Err(DockerfileError::new(
            file,
            Location::NONE,
            ErrorKind::Arguments,
            "empty instruction",
            text,
        ));
    };
    if let Some(extra) = next_instruction(&mut reader, file)? {
        return Err(DockerfileError::new(
            file,
            extra.location,
            ErrorKind::Arguments,
            "expected exactly one instruction",
            extra.original,
        ));
    }
    Ok(instruction)
}

#[cfg(test)]
mod tests;
