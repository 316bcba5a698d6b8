// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Word expansion with Docker's shell-lexer rules, as BuildKit applies them to instruction arguments.
//!
//! Supported: `$V`, `${V}`, `${V:-w}`, `${V-w}`, `${V:+w}`, `${V+w}`, `${V:?msg}`, `${V?msg}`,
//! `${V#p}`/`${V##p}`/`${V%p}`/`${V%%p}` (shortest/longest prefix/suffix removal with `*` and `?`),
//! `${V/p/r}`/`${V//p/r}` (first/all replacement), nested expansions inside the word of a modifier,
//! single quotes (literal), double quotes (only `$` expands; the escape character escapes `"`, `$` and
//! itself), and the escape character outside quotes (escapes any character).
//!
//! Three entry points mirror BuildKit's: [`expand_word`] (`ProcessWord`: one word, whitespace kept),
//! [`expand_words`] (`ProcessWords`: split on unquoted whitespace after expansion, used by EXPOSE) and
//! [`expand_heredoc`] (heredoc bodies: quotes are literal, only `$` and `\` are special).
//! Unset variables expand to the empty string. Expansion never runs a command: `$(...)` and backquotes
//! are left as they are.

use std::fmt;

use super::pattern::Pattern;

/// Looks a variable up in the environment the instruction runs with (ENV, ARG values so far).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Nesting deeper than this (`${a:-${b:-...}}`) is rejected instead of exhausting the stack.
const MAX_DEPTH: usize = 64;

/// Why a word could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError {
    /// The word as written.
    pub word: String,
    pub message: String,
}

impl fmt::Display for ExpandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed to process {:?}: {}", self.word, self.message)
    }
}

impl std::error::Error for ExpandError {}

/// Expands one word (BuildKit's `ProcessWord`): quotes are removed, whitespace is kept.
pub fn expand_word(word: &str, escape: char, lookup: Lookup<'_>) -> Result<String, ExpandError> {
    Lexer::new(word, escape, LexOptions::default(), lookup)
        .process()
        .map(|(s, _)| s)
}

/// Expands and splits into words (BuildKit's `ProcessWords`): unquoted whitespace, including
/// whitespace produced by a variable's value, separates words; quoted whitespace does not.
pub fn expand_words(word: &str, escape: char, lookup: Lookup<'_>) -> Result<Vec<String>, ExpandError> {
    Lexer::new(word, escape, LexOptions::default(), lookup)
        .process()
        .map(|(_, w)| w)
}

/// Expands a heredoc body whose delimiter was not quoted: quotes are ordinary characters and the
/// escape character is always `\` (BuildKit's raw expansion for ADD/COPY heredocs).
pub fn expand_heredoc(content: &str, lookup: Lookup<'_>) -> Result<String, ExpandError> {
    let opts = LexOptions {
        skip_process_quotes: true,
        ..LexOptions::default()
    };
    Lexer::new(content, '\\', opts, lookup).process().map(|(s, _)| s)
}

/// Lexer switches matching BuildKit's `Lex` fields.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LexOptions {
    /// Keep quote characters in the result.
    pub raw_quotes: bool,
    /// Keep escape characters in the result.
    pub raw_escapes: bool,
    /// Treat quotes as ordinary characters.
    pub skip_process_quotes: bool,
    /// Leave references to unset variables as written.
    pub skip_unset_env: bool,
}

/// Collects words the way BuildKit's `wordsStruct` does.
#[derive(Default)]
struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }

    fn add_raw_char(&mut self, ch: char) {
        self.word.push(ch);
        self.in_word = true;
    }

    fn add_string(&mut self, s: &str) {
        s.chars().for_each(|c| self.add_char(c));
    }

    fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(std::mem::take(&mut self.word));
        }
        self.words
    }
}

pub(crate) struct Lexer<'a> {
    source: &'a str,
    chars: Vec<char>,
    pos: usize,
    escape: char,
    opts: LexOptions,
    raw_escapes: bool,
    depth: usize,
    lookup: Lookup<'a>,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(source: &'a str, escape: char, opts: LexOptions, lookup: Lookup<'a>) -> Self {
        Self {
            source,
            chars: source.chars().collect(),
            pos: 0,
            escape,
            opts,
            raw_escapes: opts.raw_escapes,
            depth: 0,
            lookup,
        }
    }

    /// Runs the lexer over the whole source: the joined result and the split words.
    pub(crate) fn process(mut self) -> Result<(String, Vec<String>), ExpandError> {
        let raw = self.raw_escapes;
        self.process_stop_on(None, raw).map_err(|message| ExpandError {
            word: self.source.to_string(),
            message,
        })
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn get_env(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("substitutions nested too deeply".to_string());
        }
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        let out = self.stop_on_inner(stop);
        self.raw_escapes = saved;
        self.depth -= 1;
        out
    }

    fn stop_on_inner(&mut self, stop: Option<char>) -> Result<(String, Vec<String>), String> {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            if stop == Some(ch) {
                self.next();
                return Ok((result, words.finish()));
            }
            let quote = !self.opts.skip_process_quotes && (ch == '\'' || ch == '"');
            if ch == '$' {
                let value = self.process_dollar()?;
                result.push_str(&value);
                words.add_string(&value);
            } else if quote {
                let value = if ch == '\'' {
                    self.process_single_quote()?
                } else {
                    self.process_double_quote()?
                };
                result.push_str(&value);
                words.add_raw_string(&value);
            } else {
                self.next();
                if ch == self.escape {
                    if self.raw_escapes {
                        words.add_raw_char(ch);
                        result.push(ch);
                    }
                    match self.next() {
                        None => break,
                        Some(escaped) => {
                            words.add_raw_char(escaped);
                            result.push(escaped);
                        }
                    }
                } else {
                    words.add_char(ch);
                    result.push(ch);
                }
            }
        }
        if let Some(stop) = stop {
            return Err(format!(
                "unexpected end of statement while looking for matching {stop}"
            ));
        }
        Ok((result, words.finish()))
    }

    fn process_single_quote(&mut self) -> Result<String, String> {
        let mut out = String::new();
        let open = self.next();
        if self.opts.raw_quotes {
            out.extend(open);
        }
        loop {
            match self.next() {
                None => {
                    return Err("unexpected end of statement while looking for matching single-quote".into())
                }
                Some('\'') => {
                    if self.opts.raw_quotes {
                        out.push('\'');
                    }
                    return Ok(out);
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn process_double_quote(&mut self) -> Result<String, String> {
        let mut out = String::new();
        let open = self.next();
        if self.opts.raw_quotes {
            out.extend(open);
        }
        loop {
            match self.peek() {
                None => {
                    return Err("unexpected end of statement while looking for matching double-quote".into())
                }
                Some('"') => {
                    self.next();
                    if self.opts.raw_quotes {
                        out.push('"');
                    }
                    return Ok(out);
                }
                Some('$') => {
                    let value = self.process_dollar()?;
                    out.push_str(&value);
                }
                Some(mut ch) => {
                    self.next();
                    if ch == self.escape {
                        if self.raw_escapes {
                            out.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(c) if c == '"' || c == '$' || c == self.escape => {
                                self.next();
                                ch = c;
                            }
                            Some(_) => {}
                        }
                    }
                    out.push(ch);
                }
            }
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return ch.to_string();
            }
            if !ch.is_alphanumeric() && ch != '_' {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }

    fn process_dollar(&mut self) -> Result<String, String> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".to_string());
            }
            return Ok(match self.get_env(&name) {
                Some(v) => v,
                None if self.opts.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }
        self.next();
        match self.peek() {
            None => return Err("syntax error: missing '}'".into()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".into()),
            Some(_) => {}
        }
        let name = self.process_name();
        let Some(first) = self.next() else {
            return Err("syntax error: missing '}'".into());
        };
        match first {
            '}' => Ok(match self.get_env(&name) {
                Some(v) => v,
                None if self.opts.skip_unset_env => format!("${{{name}}}"),
                None => String::new(),
            }),
            '/' => self.process_replace(&name),
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let mut modifier = first.to_string();
                let (null_is_unset, op) = if first == ':' {
                    let Some(op) = self.next() else {
                        return Err("syntax error: missing '}'".into());
                    };
                    modifier.push(op);
                    (true, op)
                } else {
                    (false, first)
                };
                let raw = op == '#' || op == '%';
                let word = match self.process_stop_on(Some('}'), raw) {
                    Ok((w, _)) => w,
                    Err(e) if self.peek().is_none() && !e.contains("nested") => {
                        return Err("syntax error: missing '}'".into())
                    }
                    Err(e) => return Err(e),
                };
                let value = self.get_env(&name);
                if self.opts.skip_unset_env && value.is_none() {
                    return Ok(format!("${{{name}{modifier}{word}}}"));
                }
                let empty_or_unset = match &value {
                    None => true,
                    Some(v) => null_is_unset && v.is_empty(),
                };
                match op {
                    '-' => Ok(if empty_or_unset {
                        word
                    } else {
                        value.unwrap_or_default()
                    }),
                    '+' => Ok(if empty_or_unset { String::new() } else { word }),
                    '?' => match value {
                        None => Err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be unset"
                            } else {
                                &word
                            }
                        )),
                        Some(v) if null_is_unset && v.is_empty() => Err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be empty"
                            } else {
                                &word
                            }
                        )),
                        Some(v) => Ok(v),
                    },
                    '#' | '%' if !null_is_unset => {
                        let (greedy, pattern) = match word.strip_prefix(op) {
                            Some(p) => (true, p),
                            None => (false, word.as_str()),
                        };
                        let pattern = Pattern::parse(pattern)?;
                        let value = value.unwrap_or_default();
                        Ok(if op == '#' {
                            pattern.trim_prefix(&value, greedy)
                        } else {
                            pattern.trim_suffix(&value, greedy)
                        })
                    }
                    _ => Err(format!("unsupported modifier ({modifier}) in substitution")),
                }
            }
            other => Err(format!("unsupported modifier ({other}) in substitution")),
        }
    }

    fn process_replace(&mut self, name: &str) -> Result<String, String> {
        let all = self.peek() == Some('/');
        if all {
            self.next();
        }
        let pattern = match self.process_stop_on(Some('/'), true) {
            Ok((p, _)) => p,
            Err(_) if self.peek().is_none() => return Err("syntax error: missing '/' in ${}".into()),
            Err(e) => return Err(e),
        };
        let replacement = match self.process_stop_on(Some('}'), true) {
            Ok((r, _)) => r,
            Err(_) if self.peek().is_none() => return Err("syntax error: missing '}'".into()),
            Err(e) => return Err(e),
        };
        let value = self.get_env(name);
        let Some(value) = value else {
            if self.opts.skip_unset_env {
                return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
            }
            return Ok(String::new());
        };
        let compiled = Pattern::parse(&pattern)?;
        Ok(compiled.replace(&value, &replacement, all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env() -> BTreeMap<String, String> {
        [
            ("A", "a"),
            ("EMPTY", ""),
            ("SPACED", "x  y"),
            ("PATHV", "/usr/local/bin"),
            ("FILE", "a.tar.gz"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn w(word: &str) -> Result<String, ExpandError> {
        let e = env();
        expand_word(word, '\\', &|k| e.get(k).cloned())
    }

    fn ws(word: &str) -> Vec<String> {
        let e = env();
        expand_words(word, '\\', &|k| e.get(k).cloned()).unwrap()
    }

    #[test]
    fn plain_and_braced_variables() {
        assert_eq!(w("$A").unwrap(), "a");
        assert_eq!(w("${A}").unwrap(), "a");
        assert_eq!(w("x${A}y$A.z").unwrap(), "xaya.z");
        assert_eq!(w("$UNSET").unwrap(), "");
        assert_eq!(w("$").unwrap(), "$");
        assert_eq!(w("a$").unwrap(), "a$");
        assert_eq!(w("$1x").unwrap(), "x");
    }

    #[test]
    fn default_and_alternative_modifiers() {
        assert_eq!(w("${UNSET:-def}").unwrap(), "def");
        assert_eq!(w("${EMPTY:-def}").unwrap(), "def");
        assert_eq!(w("${EMPTY-def}").unwrap(), "");
        assert_eq!(w("${A:-def}").unwrap(), "a");
        assert_eq!(w("${A:+alt}").unwrap(), "alt");
        assert_eq!(w("${EMPTY:+alt}").unwrap(), "");
        assert_eq!(w("${EMPTY+alt}").unwrap(), "alt");
        assert_eq!(w("${UNSET+alt}").unwrap(), "");
    }

    #[test]
    fn nested_expansion_in_default_word() {
        assert_eq!(w("${UNSET:-${A}-x}").unwrap(), "a-x");
        assert_eq!(w("${UNSET:-${ALSO:-deep}}").unwrap(), "deep");
        assert_eq!(w("${UNSET:-'q}'}").unwrap(), "q}");
    }

    #[test]
    fn required_variables_error() {
        let e = w("${UNSET:?must be set}").unwrap_err();
        assert_eq!(e.message, "UNSET: must be set");
        assert_eq!(
            e.to_string(),
            "failed to process \"${UNSET:?must be set}\": UNSET: must be set"
        );
        assert_eq!(
            w("${UNSET?}").unwrap_err().message,
            "UNSET: is not allowed to be unset"
        );
        assert_eq!(
            w("${EMPTY:?}").unwrap_err().message,
            "EMPTY: is not allowed to be empty"
        );
        assert_eq!(w("${EMPTY?}").unwrap(), "");
        assert_eq!(w("${A:?x}").unwrap(), "a");
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(w("'$A'").unwrap(), "$A");
        assert_eq!(w("\"$A\"").unwrap(), "a");
        assert_eq!(w("\\$A").unwrap(), "$A");
        assert_eq!(w("\"\\$A\"").unwrap(), "$A");
        assert_eq!(w("\"a\\b\"").unwrap(), "a\\b");
        assert_eq!(w("\"a\\\"b\"").unwrap(), "a\"b");
        assert_eq!(w("a\\ b").unwrap(), "a b");
        assert_eq!(
            w("it's").unwrap_err().message,
            "unexpected end of statement while looking for matching single-quote"
        );
        let e = env();
        assert_eq!(expand_word("`$A", '`', &|k| e.get(k).cloned()).unwrap(), "$A");
        assert_eq!(expand_word("a\\b", '`', &|k| e.get(k).cloned()).unwrap(), "a\\b");
    }

    #[test]
    fn docker_documented_examples() {
        // From the Dockerfile reference, "Environment replacement".
        let env: BTreeMap<String, String> = [("FOO".to_string(), "/bar".to_string())].into();
        let l = |k: &str| env.get(k).cloned();
        assert_eq!(expand_word("${FOO}", '\\', &l).unwrap(), "/bar");
        assert_eq!(expand_word("\\$FOO", '\\', &l).unwrap(), "$FOO");
        assert_eq!(expand_word("$FOO/x", '\\', &l).unwrap(), "/bar/x");
        assert_eq!(expand_word("${variable:-word}", '\\', &l).unwrap(), "word");
        assert_eq!(expand_word("${FOO:+word}", '\\', &l).unwrap(), "word");
        let env: BTreeMap<String, String> = [("string".to_string(), "foobarbaz".to_string())].into();
        let l = |k: &str| env.get(k).cloned();
        assert_eq!(expand_word("${string#*o}", '\\', &l).unwrap(), "obarbaz");
        assert_eq!(expand_word("${string##*o}", '\\', &l).unwrap(), "barbaz");
        assert_eq!(expand_word("${string%b*}", '\\', &l).unwrap(), "foobar");
        assert_eq!(expand_word("${string%%b*}", '\\', &l).unwrap(), "foo");
        assert_eq!(expand_word("${string/ba/fo}", '\\', &l).unwrap(), "fooforbaz");
        assert_eq!(expand_word("${string//ba/fo}", '\\', &l).unwrap(), "fooforfoz");
    }

    #[test]
    fn pattern_modifiers() {
        assert_eq!(w("${FILE%.*}").unwrap(), "a.tar");
        assert_eq!(w("${FILE%%.*}").unwrap(), "a");
        assert_eq!(w("${PATHV#/*/}").unwrap(), "local/bin");
        assert_eq!(w("${PATHV##*/}").unwrap(), "bin");
        assert_eq!(w("${PATHV/\\/usr/X}").unwrap(), "X/local/bin");
        assert_eq!(w("${UNSET/a/b}").unwrap(), "");
        assert!(w("${A#\\x}").is_err());
        assert_eq!(w("${PATHV#*/*/}").unwrap(), "local/bin");
        assert_eq!(w("${PATHV##*/*/}").unwrap(), "bin");
        assert_eq!(w("${FILE#?}").unwrap(), ".tar.gz");
        assert_eq!(w("${FILE#x}").unwrap(), "a.tar.gz");
        assert_eq!(w("${FILE//./}").unwrap(), "atargz");
        assert!(w("${FILE//.}").is_err(), "BuildKit requires the second slash");
        assert_eq!(w("${FILE/#/}").unwrap(), "a.tar.gz");
    }

    #[test]
    fn bad_substitutions() {
        for bad in [
            "${", "${}", "${:x}", "${A", "${A:-x", "${A!x}", "${A:=x}", "${{A}}", "\"abc",
        ] {
            assert!(w(bad).is_err(), "{bad}");
        }
        assert_eq!(w("${}").unwrap_err().message, "syntax error: bad substitution");
        assert_eq!(w("${A:-x").unwrap_err().message, "syntax error: missing '}'");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "${A:-".repeat(10_000) + &"}".repeat(10_000);
        assert!(w(&deep).unwrap_err().message.contains("nested"));
    }

    #[test]
    fn word_splitting() {
        assert_eq!(ws("80 443/tcp"), vec!["80", "443/tcp"]);
        assert_eq!(ws("$SPACED z"), vec!["x", "y", "z"]);
        assert_eq!(ws("\"$SPACED\" z"), vec!["x  y", "z"]);
        assert_eq!(ws("'a b' c\\ d"), vec!["a b", "c d"]);
        assert_eq!(ws("  "), Vec::<String>::new());
        assert_eq!(ws("\"\""), Vec::<String>::new());
    }

    #[test]
    fn heredoc_expansion_keeps_quotes() {
        let e = env();
        let l = |k: &str| e.get(k).cloned();
        assert_eq!(
            expand_heredoc("echo \"$A\" '$A' \\$A\n", &l).unwrap(),
            "echo \"a\" 'a' $A\n"
        );
    }
}
