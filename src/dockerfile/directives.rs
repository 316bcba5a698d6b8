// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Parser directives (`# escape=`, `# syntax=`, `# check=`) at the top of a Dockerfile.
//!
//! As in BuildKit: a directive is a line `#<ws>name<ws>=<ws>value`, names are case-insensitive, and
//! directive scanning stops for good at the first line that is not a known directive (an instruction,
//! an ordinary comment, an unknown directive, or a blank line). A directive may appear once.

use super::error::{ErrorKind, Problem};

/// The parser directives found at the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directives {
    /// The escape character: `\` (default) or `` ` ``.
    pub escape: char,
    /// The `# syntax=` frontend image, kept for information (we are the frontend).
    pub syntax: Option<String>,
    /// The `# check=` linter configuration, kept raw.
    pub check: Option<String>,
}

impl Default for Directives {
    fn default() -> Self {
        Self {
            escape: '\\',
            syntax: None,
            check: None,
        }
    }
}

/// Recognises directives line by line until the first line that is not one.
#[derive(Debug, Default)]
pub(crate) struct DirectiveScanner {
    pub directives: Directives,
    done: bool,
    seen: Vec<String>,
}

/// Splits `#<ws>name<ws>=<ws>value<ws>` into (name, value).
fn split_directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let name_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let value = rest[name_len..].trim_start().strip_prefix('=')?.trim();
    if value.is_empty() {
        return None;
    }
    Some((name, value))
}

impl DirectiveScanner {
    /// Offers one physical line (leading whitespace already stripped).
    pub fn offer(&mut self, line: &str) -> Result<(), Problem> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) = split_directive(line) else {
            self.done = true;
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "escape" | "syntax" | "check") {
            self.done = true;
            return Ok(());
        }
        if self.seen.contains(&name) {
            return Err(Problem::new(
                ErrorKind::Directive,
                format!("only one {name} parser directive can be used"),
                line,
            ));
        }
        self.seen.push(name.clone());
        match name.as_str() {
            "escape" => {
                self.directives.escape = match value {
                    "\\" => '\\',
                    "`" => '`',
                    _ => {
                        return Err(Problem::new(
                            ErrorKind::Directive,
                            "invalid escape token does not match ` or \\",
                            value,
                        ))
                    }
                }
            }
            "syntax" => self.directives.syntax = Some(value.to_string()),
            _ => self.directives.check = Some(value.to_string()),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(lines: &[&str]) -> Result<Directives, Problem> {
        let mut s = DirectiveScanner::default();
        for l in lines {
            s.offer(l.trim_start())?;
        }
        Ok(s.directives)
    }

    #[test]
    fn recognises_forms_from_the_reference() {
        for l in ["#escape=`", "# escape=`", "#  ESCAPE = ` ", "#\tescape=\t`"] {
            assert_eq!(scan(&[l]).unwrap().escape, '`', "{l}");
        }
        let d = scan(&["# syntax=docker/dockerfile:1", "# escape=`"]).unwrap();
        assert_eq!(d.syntax.as_deref(), Some("docker/dockerfile:1"));
        assert_eq!(d.escape, '`');
    }

    #[test]
    fn scanning_stops_at_first_non_directive() {
        assert_eq!(scan(&["# a comment", "# escape=`"]).unwrap().escape, '\\');
        assert_eq!(scan(&["# unknown=x", "# escape=`"]).unwrap().escape, '\\');
        assert_eq!(scan(&["", "# escape=`"]).unwrap().escape, '\\');
        assert_eq!(scan(&["FROM x", "# escape=`"]).unwrap().escape, '\\');
    }

    #[test]
    fn rejects_repeats_and_bad_tokens() {
        let e = scan(&["# escape=`", "# Escape=\\"]).unwrap_err();
        assert_eq!(e.message, "only one escape parser directive can be used");
        assert!(scan(&["# escape=x"])
            .unwrap_err()
            .message
            .contains("invalid escape token"));
    }
}
