// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Turns the physical lines of a Dockerfile into logical instruction lines, following BuildKit's
//! scanner: leading whitespace and comment lines are dropped, a trailing escape character (optionally
//! followed by spaces or tabs) continues the line, comment lines and blank lines inside a continuation
//! are skipped, and heredoc bodies are read verbatim up to their terminator.

use super::directives::{DirectiveScanner, Directives};
use super::error::{ErrorKind, Problem};
use super::heredoc::Heredoc;

/// One instruction's text with continuations joined, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogicalLine {
    /// The joined text (escape characters that continued lines removed, nothing inserted).
    pub text: String,
    /// 1-based first and last physical line.
    pub start_line: usize,
    pub end_line: usize,
    /// 1-based column of the first character of `text` on `start_line`.
    pub column: usize,
    /// How many bytes of `text` come from the first physical line (to place columns of errors).
    pub first_len: usize,
}

pub(crate) struct LineReader<'a> {
    lines: Vec<&'a str>,
    next: usize,
    scanner: DirectiveScanner,
}

/// A problem at a physical line.
pub(crate) type LineProblem = (Problem, usize);

fn trim_newline(s: &str) -> &str {
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.strip_suffix('\r').unwrap_or(s)
}

fn is_comment(line: &str) -> bool {
    trim_newline(line).trim_start().starts_with('#')
}

impl<'a> LineReader<'a> {
    pub fn new(source: &'a str) -> Self {
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        Self {
            lines: source.split_inclusive('\n').collect(),
            next: 0,
            scanner: DirectiveScanner::default(),
        }
    }

    /// A reader for one instruction with a known escape character (ONBUILD triggers).
    pub fn with_escape(source: &'a str, escape: char) -> Self {
        let mut reader = Self::new(source);
        reader.scanner.directives.escape = escape;
        // A trigger has no directives: make the scanner stop at once.
        let _ = reader.scanner.offer("");
        reader
    }

    pub fn directives(&self) -> &Directives {
        &self.scanner.directives
    }

    fn escape(&self) -> char {
        self.scanner.directives.escape
    }

    /// Strips the escape character and trailing spaces/tabs; `true` when the line continues.
    fn trim_continuation<'s>(&self, line: &'s str) -> (&'s str, bool) {
        let trimmed = line.trim_end_matches([' ', '\t']);
        match trimmed.strip_suffix(self.escape()) {
            Some(rest) => (rest, true),
            None => (line, false),
        }
    }

    /// Takes the next physical line, stripping its terminator and feeding the directive scanner.
    fn take(&mut self, strip_left: bool) -> Result<Option<(&'a str, &'a str)>, LineProblem> {
        let Some(raw) = self.lines.get(self.next).copied() else {
            return Ok(None);
        };
        self.next += 1;
        let mut line = trim_newline(raw);
        if strip_left {
            line = line.trim_start();
        }
        self.scanner.offer(line).map_err(|p| (p, self.next))?;
        let body = if line.starts_with('#') { "" } else { line };
        Ok(Some((raw, body)))
    }

    /// The next logical line, or `None` at the end of the file.
    pub fn next_line(&mut self) -> Result<Option<LogicalLine>, LineProblem> {
        loop {
            let Some((raw, first)) = self.take(true)? else {
                return Ok(None);
            };
            let start_line = self.next;
            let raw_line = trim_newline(raw);
            let column = raw_line[..raw_line.len() - raw_line.trim_start().len()]
                .chars()
                .count()
                + 1;
            let (text, continues) = self.trim_continuation(first);
            if !continues && text.is_empty() {
                continue;
            }
            let mut text = text.to_string();
            let first_len = text.len();
            let mut continues = continues;
            while continues {
                let Some((raw, body)) = self.take(false)? else {
                    break;
                };
                if is_comment(raw) || body.trim_start().is_empty() {
                    continue;
                }
                let (part, more) = self.trim_continuation(body);
                text.push_str(part);
                continues = more;
            }
            return Ok(Some(LogicalLine {
                text,
                start_line,
                end_line: self.next,
                column,
                first_len,
            }));
        }
    }

    /// Reads the body of `heredoc` up to its terminator line.
    pub fn read_heredoc(&mut self, heredoc: &mut Heredoc, start_line: usize) -> Result<(), LineProblem> {
        while let Some(raw) = self.lines.get(self.next).copied() {
            self.next += 1;
            let mut candidate = trim_newline(raw);
            if heredoc.chomp {
                candidate = candidate.trim_start_matches('\t');
            }
            if candidate == heredoc.name {
                return Ok(());
            }
            heredoc.content.push_str(raw);
        }
        Err((
            Problem::new(ErrorKind::Syntax, "unterminated heredoc", heredoc.name.clone()),
            start_line,
        ))
    }

    /// The current physical line number (the last one consumed).
    pub fn line_number(&self) -> usize {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(src: &str) -> Vec<(String, usize, usize, usize)> {
        let mut r = LineReader::new(src);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push((l.text, l.start_line, l.end_line, l.column));
        }
        out
    }

    #[test]
    fn joins_continuations_and_skips_comments() {
        let src = "# c\nFROM a\n  RUN x \\\n  y\\  \n# inside\n\n   z\nCMD q\n";
        assert_eq!(
            lines(src),
            vec![
                ("FROM a".to_string(), 2, 2, 1),
                ("RUN x   y   z".to_string(), 3, 7, 3),
                ("CMD q".to_string(), 8, 8, 1)
            ]
        );
    }

    #[test]
    fn backtick_escape_and_crlf() {
        let src = "# escape=`\r\nRUN a `\r\n b\\\r\n";
        assert_eq!(lines(src), vec![("RUN a  b\\".to_string(), 2, 3, 1)]);
    }

    #[test]
    fn comment_lines_never_continue() {
        assert_eq!(lines("# a \\\nRUN b\n"), vec![("RUN b".to_string(), 2, 2, 1)]);
    }

    #[test]
    fn continuation_at_end_of_file() {
        assert_eq!(lines("RUN a \\"), vec![("RUN a ".to_string(), 1, 1, 1)]);
    }
}
