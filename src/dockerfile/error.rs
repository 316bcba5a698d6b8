// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The one error type of the Dockerfile front end and the source location it points at.
//!
//! Every failure (syntax, unknown instruction or flag, bad arguments, expansion, stage graph) is a
//! [`DockerfileError`] so a user always sees `<file>:<line>:<column>: <message>: <offending text>`.

use std::fmt;

/// Where an instruction starts in the Dockerfile: 1-based line and column of its first character, and
/// the last physical line it occupies (continuations and heredoc bodies included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
}

impl Location {
    /// A location that does not point into the file (errors about the file as a whole, `--target`).
    pub const NONE: Location = Location {
        line: 0,
        column: 0,
        end_line: 0,
    };
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// `:line:column`, or nothing for [`Location::NONE`].
struct LocationSuffix(Location);

impl fmt::Display for LocationSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.line == 0 {
            Ok(())
        } else {
            write!(f, ":{}", self.0)
        }
    }
}

/// What went wrong, for callers that react differently (tests, the CLI's exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A parser directive (`# escape=`, `# syntax=`) is invalid or repeated.
    Directive,
    /// Malformed text: unterminated heredoc, quotes, JSON of non-strings.
    Syntax,
    /// An instruction name Docker does not know.
    UnknownInstruction,
    /// A `--flag` the instruction does not take, or a flag with a bad value.
    Flag,
    /// Wrong number or shape of arguments for an instruction.
    Arguments,
    /// An instruction in a place it may not be (before the first FROM, ONBUILD ONBUILD).
    Placement,
    /// Variable expansion failed (`${V:?}` on an unset variable, bad substitution).
    Expansion,
    /// Stage graph problems: unknown target, bad index, duplicate name, cycles.
    Stage,
}

/// An error in a Dockerfile, located at the instruction (and column) that caused it. Errors about
/// the file as a whole or about `--target` ([`Location::NONE`]) name only the file: a `:0:0` would
/// send users looking for a line that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}: {text:?}", LocationSuffix(*location))]
pub struct DockerfileError {
    pub file: String,
    pub location: Location,
    pub kind: ErrorKind,
    pub message: String,
    /// The offending text (an instruction name, a flag, a word, or the instruction).
    pub text: String,
}

impl DockerfileError {
    pub fn new(
        file: &str,
        location: Location,
        kind: ErrorKind,
        message: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_string(),
            location,
            kind,
            message: message.into(),
            text: text.into(),
        }
    }
}

/// An error found while building one instruction, before the file name and location are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub kind: ErrorKind,
    pub message: String,
    pub text: String,
}

impl Problem {
    pub fn new(kind: ErrorKind, message: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            text: text.into(),
        }
    }

    pub fn args(message: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new(ErrorKind::Arguments, message, text)
    }

    pub fn at(self, file: &str, location: Location) -> DockerfileError {
        DockerfileError::new(file, location, self.kind, self.message, self.text)
    }
}
