// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`) on RUN, COPY and ADD: finding the markers in an
//! instruction line and trimming bodies.
//!
//! Detection follows BuildKit: the line is split into shell words with quotes kept; a word matching
//! `^\d*<<-?[^<]+$` whose delimiter is a single shell word is a heredoc. If any part of the delimiter is
//! quoted the body is not expanded.

use std::borrow::Cow;

use super::expand::{LexOptions, Lexer};

/// One heredoc attached to an instruction, with its body as written (terminator line excluded,
/// line endings kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter with quotes removed (`EOF` for `<<"EOF"`); also the file name for COPY/ADD.
    pub name: String,
    /// The body exactly as written, one line terminator per line.
    pub content: String,
    /// `false` when the delimiter was quoted: `$` in the body stays literal.
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from each body line (and from the terminator line).
    pub chomp: bool,
    /// The file descriptor before `<<` (`3<<EOF`), 0 when absent.
    pub file_descriptor: u32,
}

impl Heredoc {
    /// The body as the instruction uses it: with leading tabs stripped for `<<-`.
    pub fn body(&self) -> Cow<'_, str> {
        if self.chomp {
            Cow::Owned(chomp_tabs(&self.content))
        } else {
            Cow::Borrowed(&self.content)
        }
    }
}

/// Removes leading tabs from every line.
pub(crate) fn chomp_tabs(content: &str) -> String {
    content
        .split_inclusive('\n')
        .map(|line| line.trim_start_matches('\t'))
        .collect()
}

/// Parses one word as a heredoc marker. `Ok(None)` when the word is not a marker.
pub(crate) fn parse_marker(word: &str) -> Result<Option<Heredoc>, String> {
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(after) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match after.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, after),
    };
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    // An overlong descriptor is ignored rather than rejected, as BuildKit does.
    let file_descriptor = word[..digits].parse().unwrap_or(0);
    let none = |_: &str| None;
    let plain = LexOptions {
        skip_unset_env: true,
        ..LexOptions::default()
    };
    let (_, words) = Lexer::new(rest, '\\', plain, &none)
        .process()
        .map_err(|e| e.to_string())?;
    let [name] = words.as_slice() else {
        return Ok(None);
    };
    let raw = LexOptions {
        raw_quotes: true,
        ..plain
    };
    let (_, raw_words) = Lexer::new(rest, '\\', raw, &none)
        .process()
        .map_err(|e| e.to_string())?;
    let [raw_name] = raw_words.as_slice() else {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        ));
    };
    let quotes = |s: &str| s.chars().filter(|c| *c == '\'' || *c == '"').count();
    Ok(Some(Heredoc {
        name: name.clone(),
        content: String::new(),
        expand: quotes(name) == quotes(raw_name),
        chomp,
        file_descriptor,
    }))
}

/// The heredoc markers of an instruction line, in order.
pub(crate) fn markers_in_line(line: &str) -> Result<Vec<Heredoc>, String> {
    let none = |_: &str| None;
    let opts = LexOptions {
        raw_quotes: true,
        raw_escapes: true,
        ..LexOptions::default()
    };
    // A line the lexer cannot split (an unbalanced quote) has no heredocs, as in BuildKit.
    let Ok((_, words)) = Lexer::new(line, '\\', opts, &none).process() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for word in &words {
        if let Some(h) = parse_marker(word)? {
            out.push(h);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        let m = markers_in_line("RUN <<EOF cat <<-\"END\" 3<<'x'y").unwrap();
        let got: Vec<_> = m
            .iter()
            .map(|h| (h.name.as_str(), h.expand, h.chomp, h.file_descriptor))
            .collect();
        assert_eq!(
            got,
            vec![
                ("EOF", true, false, 0),
                ("END", false, true, 0),
                ("xy", false, false, 3)
            ]
        );
    }

    #[test]
    fn not_markers() {
        assert!(markers_in_line("RUN echo \"<<EOF\"").unwrap().is_empty());
        assert!(markers_in_line("RUN echo a<<EOF").unwrap().is_empty());
        assert!(markers_in_line("RUN echo <<").unwrap().is_empty());
        assert!(markers_in_line("RUN echo <<<EOF").unwrap().is_empty());
        assert!(markers_in_line("RUN echo 'unbalanced <<EOF").unwrap().is_empty());
    }

    #[test]
    fn chomp_strips_leading_tabs_per_line() {
        assert_eq!(chomp_tabs("\t\ta\n\tb\t\n c\n"), "a\nb\t\n c\n");
    }
}
