// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Splitting an instruction line into its parts the way BuildKit's parser does, before any expansion:
//! the instruction name, leading `--flags`, JSON (exec) form detection, whitespace-delimited words,
//! and quote-aware words for `ENV`/`LABEL`/`ARG` (quotes kept; expansion removes them later).

use super::error::{ErrorKind, Problem};

/// BuildKit splits on `[\t\v\f\r ]+`, not on every Unicode space.
fn is_split_space(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// Splits on runs of ASCII blanks; empty input gives no words.
pub(crate) fn split_whitespace(s: &str) -> Vec<String> {
    s.split(is_split_space)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Splits `text` into (instruction name, rest) at the first run of blanks.
pub(crate) fn split_command(text: &str) -> (&str, &str) {
    let text = text.trim();
    match text.find(is_split_space) {
        Some(i) => (&text[..i], text[i..].trim_start_matches(is_split_space)),
        None => (text, ""),
    }
}

/// Takes the leading `--flag[=value]` words off `line`. Quotes inside a flag group its value and
/// a backslash escapes the next character; a lone `--` ends the flags.
pub(crate) fn extract_flags(line: &str) -> (String, Vec<String>) {
    let chars: Vec<char> = line.chars().collect();
    let mut flags = Vec::new();
    let mut pos = 0;
    loop {
        while chars.get(pos).is_some_and(|c| c.is_whitespace()) {
            pos += 1;
        }
        if chars.get(pos) != Some(&'-') || chars.get(pos + 1) != Some(&'-') {
            return (chars[pos.min(chars.len())..].iter().collect(), flags);
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        let mut blank_ok = false;
        while let Some(&c) = chars.get(pos) {
            match quote {
                None if c.is_whitespace() => break,
                None if c == '\'' || c == '"' => {
                    quote = Some(c);
                    blank_ok = true;
                }
                Some(q) if c == q => quote = None,
                _ if c == '\\' => {
                    pos += 1;
                    match chars.get(pos) {
                        Some(&e) => word.push(e),
                        None => break,
                    }
                }
                _ => word.push(c),
            }
            pos += 1;
        }
        if word == "--" {
            return (chars[pos.min(chars.len())..].iter().collect(), flags);
        }
        if blank_ok || !word.is_empty() {
            flags.push(word);
        }
    }
}

/// The outcome of trying the JSON (exec) form.
pub(crate) enum Json {
    /// Not a JSON array: use the shell form.
    No,
    /// A JSON array of strings.
    Strings(Vec<String>),
}

/// Tries to read `rest` as a JSON array of strings. An array that parses but holds something other
/// than strings is an error, as in BuildKit; anything that is not valid JSON is shell form.
pub(crate) fn parse_json(rest: &str) -> Result<Json, Problem> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Ok(Json::No);
    }
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(rest) else {
        return Ok(Json::No);
    };
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match v {
            serde_json::Value::String(s) => out.push(s),
            _ => {
                return Err(Problem::new(
                    ErrorKind::Syntax,
                    "when using JSON array syntax, arrays must be comprised of strings only",
                    rest,
                ))
            }
        }
    }
    Ok(Json::Strings(out))
}

/// Splits into words on unquoted whitespace, keeping quotes and escapes in the words (BuildKit's
/// `parseWords`, used for `ENV`, `LABEL` and `ARG`).
pub(crate) fn parse_words(rest: &str, escape: char) -> Vec<String> {
    let chars: Vec<char> = rest.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut blank_ok = false;
    let mut pos = 0;
    while pos < chars.len() {
        let ch = chars[pos];
        let at_end = pos + 1 == chars.len();
        match quote {
            None if !in_word && ch.is_whitespace() => {}
            None if ch.is_whitespace() => {
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                word.clear();
                blank_ok = false;
                in_word = false;
            }
            None => {
                in_word = true;
                if ch == '\'' || ch == '"' {
                    quote = Some(ch);
                    blank_ok = true;
                }
                if ch == escape {
                    if at_end {
                        pos += 1;
                        continue;
                    }
                    word.push(ch);
                    pos += 1;
                    word.push(chars[pos]);
                } else {
                    word.push(ch);
                }
            }
            Some(q) => {
                if ch == q {
                    quote = None;
                }
                if ch == escape && q != '\'' {
                    if at_end {
                        quote = None;
                        pos += 1;
                        continue;
                    }
                    word.push(ch);
                    pos += 1;
                    word.push(chars[pos]);
                } else {
                    word.push(ch);
                }
            }
        }
        pos += 1;
    }
    if in_word && (blank_ok || !word.is_empty()) {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_split() {
        assert_eq!(split_command("  RUN   echo  hi "), ("RUN", "echo  hi"));
        assert_eq!(split_command("CMD"), ("CMD", ""));
    }

    #[test]
    fn flags() {
        let (rest, f) = extract_flags("--from=build --chown=\"a b\" src dst");
        assert_eq!(rest, "src dst");
        assert_eq!(f, vec!["--from=build", "--chown=a b"]);
        let (rest, f) = extract_flags("-- --not-a-flag x");
        assert_eq!((rest.trim(), f.len()), ("--not-a-flag x", 0));
        let (rest, f) = extract_flags("--link");
        assert_eq!((rest.as_str(), f), ("", vec!["--link".to_string()]));
        let (rest, f) = extract_flags("[\"--x\"]");
        assert_eq!((rest.as_str(), f.len()), ("[\"--x\"]", 0));
    }

    #[test]
    fn json_form() {
        assert!(matches!(parse_json("[\"a\", \"b c\"]"), Ok(Json::Strings(v)) if v == ["a", "b c"]));
        assert!(matches!(parse_json("[\"a\", \"b c\"] x"), Ok(Json::No)));
        assert!(matches!(parse_json("echo [x]"), Ok(Json::No)));
        assert!(matches!(parse_json("[unquoted]"), Ok(Json::No)));
        assert!(parse_json("[1, 2]").is_err());
    }

    #[test]
    fn quote_aware_words() {
        assert_eq!(
            parse_words("a=\"b c\" d='e f' g\\ h", '\\'),
            vec!["a=\"b c\"", "d='e f'", "g\\ h"]
        );
        assert_eq!(parse_words("  x  ", '\\'), vec!["x"]);
        assert_eq!(parse_words("\"\"", '\\'), vec!["\"\""]);
        assert_eq!(parse_words("a\\", '\\'), vec!["a"]);
        assert_eq!(parse_words("k=\"unterminated", '\\'), vec!["k=\"unterminated"]);
    }
}
