// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! One .dockerignore / `--exclude` pattern, compiled the way moby/patternmatcher compiles it.
//!
//! Docker turns a pattern into a regular expression (`*` → `[^/]*`, `?` → `[^/]`, `**/` → `(.*/)?`,
//! a trailing `**` → `.*`) and short-cuts three shapes: exact names, `prefix**` and `**suffix`.
//! The short-cuts are not exactly equivalent to the regex (`**foo` matches `barfoo`), and docker
//! build users depend on what docker does, so both are reproduced. The regex is the engine's token
//! list (the same lexer and classes as COPY sources, plus `**`), run by the engine's NFA, which also
//! answers "could this pattern match anything below directory D?", the question the walker asks
//! before skipping an excluded directory.

use super::{lex, BadPattern, Lexeme, Nfa, Token, Wildcard};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Exact,
    /// Pattern ends in `**`; holds the part before it.
    Prefix(String),
    /// Pattern starts with `**`; holds the part after it.
    Suffix(String),
    Regex(Vec<Token>),
}

/// A compiled .dockerignore or `--exclude` pattern, with whether it is a `!` exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnorePattern {
    cleaned: String,
    exclusion: bool,
    kind: Kind,
}

impl IgnorePattern {
    /// Compiles a pattern already cleaned and stripped of its `!`.
    pub fn compile(cleaned: &str, exclusion: bool) -> Result<Self, BadPattern> {
        // Docker validates with filepath.Match, so malformed classes and trailing `\` are errors.
        Wildcard::new(cleaned)?;
        let mut tokens = Vec::new();
        let mut detected = Detected::Exact;
        for (index, lexeme) in lex(cleaned, true)?.into_iter().enumerate() {
            match lexeme {
                Lexeme::DoubleStar { at_end } => {
                    if !at_end {
                        tokens.push(Token::AnyDirs);
                        detected = Detected::Regex;
                    } else if detected == Detected::Exact {
                        detected = Detected::Prefix;
                    } else {
                        tokens.push(Token::AnyRest);
                        detected = Detected::Regex;
                    }
                    if index == 0 {
                        detected = Detected::Suffix;
                    }
                }
                Lexeme::Star => {
                    tokens.push(Token::Star);
                    detected = Detected::Regex;
                }
                Lexeme::One => {
                    tokens.push(Token::One);
                    detected = Detected::Regex;
                }
                Lexeme::Class(class) => {
                    tokens.push(Token::Class(class));
                    detected = Detected::Regex;
                }
                Lexeme::Literal { c, escaped } => {
                    tokens.push(Token::Literal(c));
                    if escaped {
                        detected = Detected::Regex;
                    }
                }
            }
        }
        let kind = match detected {
            Detected::Exact => Kind::Exact,
            Detected::Prefix => Kind::Prefix(cleaned.strip_suffix("**").unwrap_or(cleaned).to_string()),
            Detected::Suffix => Kind::Suffix(cleaned.get(2..).unwrap_or_default().to_string()),
            Detected::Regex => Kind::Regex(tokens),
        };
        Ok(Self {
            cleaned: cleaned.to_string(),
            exclusion,
            kind,
        })
    }

    /// Whether this is a `!` exception (re-includes what it matches).
    pub fn is_exclusion(&self) -> bool {
        self.exclusion
    }

    /// Whether the pattern matches the whole of `path` (slash-separated, relative, cleaned).
    pub fn matches(&self, path: &str) -> bool {
        match &self.kind {
            Kind::Exact => path == self.cleaned,
            Kind::Prefix(prefix) => path.starts_with(prefix.as_str()),
            Kind::Suffix(suffix) => {
                path.ends_with(suffix.as_str()) || suffix.strip_prefix('/').is_some_and(|rest| path == rest)
            }
            Kind::Regex(tokens) => Nfa::new(tokens).run(path).accepts(),
        }
    }

    /// Whether the pattern could match some path strictly below directory `dir`. May say yes when
    /// the answer is no (the walker then descends needlessly), never the reverse.
    pub fn may_match_below(&self, dir: &str) -> bool {
        let dir_slash = format!("{dir}/");
        match &self.kind {
            Kind::Exact => self.cleaned.starts_with(&dir_slash),
            Kind::Prefix(prefix) => dir_slash.starts_with(prefix.as_str()) || prefix.starts_with(&dir_slash),
            Kind::Suffix(_) => true,
            Kind::Regex(tokens) => Nfa::new(tokens).run(&dir_slash).alive(),
        }
    }
}

/// moby's `matchType` while scanning: a later wildcard can upgrade the short-cut shapes to a regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detected {
    Exact,
    Prefix,
    Suffix,
    Regex,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        IgnorePattern::compile(&crate::lexical_path::clean(pattern), false)
            .map(|p| p.matches(path))
            .unwrap_or(false)
    }

    #[test]
    fn matches_like_moby_patternmatcher() {
        // Cases from moby/patternmatcher's TestMatch table (Linux rows).
        for (pattern, path, want) in [
            ("**", "file", true),
            ("**", "file/", true),
            ("**/", "file", true),
            ("**/", "file/", true),
            ("**", "/", true),
            ("**/", "/", true),
            ("**", "dir/file", true),
            ("**/", "dir/file", true),
            ("**", "dir/file/", true),
            ("**/", "dir/file/", true),
            ("**/**", "dir/file", true),
            ("**/**", "dir/file/", true),
            ("dir/**", "dir/file", true),
            ("dir/**", "dir/file/", true),
            ("dir/**", "dir/dir2/file", true),
            ("dir/**", "dir/dir2/file/", true),
            ("**/dir", "dir", true),
            ("**/dir", "dir/file", false),
            ("**/dir2/*", "dir/dir2/file", true),
            ("**/dir2/*", "dir/dir2/file/", false),
            ("**/dir2/**", "dir/dir2/dir3/file", true),
            ("**/dir2/**", "dir/dir2/dir3/file/", true),
            ("**file", "file", true),
            ("**file", "dir/file", true),
            ("**/file", "dir/file", true),
            ("**file", "dir/dir/file", true),
            ("**/file", "dir/dir/file", true),
            ("**/file*", "dir/dir/file", true),
            ("**/file*", "dir/dir/file.txt", true),
            ("**/file*txt", "dir/dir/file.txt", true),
            ("**/file*.txt", "dir/dir/file.txt", true),
            ("**/file*.txt*", "dir/dir/file.txt", true),
            ("**/**/*.txt", "dir/dir/file.txt", true),
            ("**/**/*.txt2", "dir/dir/file.txt", false),
            ("**/*.txt", "file.txt", true),
            ("**/**/*.txt", "file.txt", true),
            ("a**/*.txt", "a/file.txt", true),
            ("a**/*.txt", "a/dir/file.txt", true),
            ("a**/*.txt", "a/dir/dir/file.txt", true),
            ("a/*.txt", "a/dir/file.txt", false),
            ("a/*.txt", "a/file.txt", true),
            ("a/*.txt**", "a/file.txt", true),
            ("a[b-d]e", "ae", false),
            ("a[b-d]e", "ace", true),
            ("a[b-d]e", "aae", false),
            ("a[^b-d]e", "aze", true),
            (".*", ".foo", true),
            (".*", "foo", false),
            ("abc.def", "abcdef", false),
            ("abc.def", "abc.def", true),
            ("abc.def", "abcZdef", false),
            ("abc?def", "abcZdef", true),
            ("abc?def", "abcdef", false),
            ("a\\\\", "a\\", true),
            ("**/foo/bar", "foo/bar", true),
            ("**/foo/bar", "dir/foo/bar", true),
            ("**/foo/bar", "dir/dir2/foo/bar", true),
            ("abc/**", "abc", false),
            ("abc/**", "abc/def", true),
            ("abc/**", "abc/def/ghi", true),
            ("**/.foo", ".foo", true),
            ("**/.foo", "bar.foo", false),
            ("a(b)c/def", "a(b)c/def", true),
            ("a(b)c/def", "a(b)c/xyz", false),
            ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
            (
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                true,
            ),
            (
                "dist/*.whl",
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                true,
            ),
        ] {
            assert_eq!(m(pattern, path), want, "pattern {pattern:?} against {path:?}");
        }
    }

    #[test]
    fn leading_double_star_is_a_plain_suffix_like_docker() {
        // moby short-cuts a leading `**` to a suffix test, so `**foo` also matches `barfoo`.
        assert!(m("**foo", "barfoo"));
    }

    #[test]
    fn may_match_below_is_conservative() {
        let p = |s: &str| IgnorePattern::compile(s, true).map_err(|e| e.0);
        assert_eq!(p("dir/keep").map(|p| p.may_match_below("dir")), Ok(true));
        assert_eq!(p("dir/keep").map(|p| p.may_match_below("other")), Ok(false));
        assert_eq!(p("*/keep").map(|p| p.may_match_below("anything")), Ok(true));
        assert_eq!(p("*/keep").map(|p| p.may_match_below("a/b")), Ok(false));
        assert_eq!(p("**/*.go").map(|p| p.may_match_below("vendor/x")), Ok(true));
        assert_eq!(p("a/**").map(|p| p.may_match_below("a/b")), Ok(true));
        assert_eq!(p("a/**").map(|p| p.may_match_below("b")), Ok(false));
        assert_eq!(p("src/*.rs").map(|p| p.may_match_below("src")), Ok(true));
        assert_eq!(p("src/*.rs").map(|p| p.may_match_below("src/deep")), Ok(false));
    }

    proptest::proptest! {
        /// Skipping an excluded directory is only safe if `may_match_below` never says "no" for a
        /// directory under which the pattern does match something.
        #[test]
        fn may_match_below_never_misses_a_match(
            pattern in "(a|b|\\*|\\?|\\*\\*|/|\\[ab\\]){1,6}",
            path in "(a|b|/){1,8}",
        ) {
            let cleaned = crate::lexical_path::clean(&pattern);
            let path = crate::lexical_path::clean(&path);
            if let Ok(compiled) = IgnorePattern::compile(&cleaned, true) {
                if compiled.matches(&path) {
                    for (at, _) in path.match_indices('/') {
                        let dir = &path[..at];
                        proptest::prop_assert!(
                            compiled.may_match_below(dir),
                            "{cleaned:?} matches {path:?} but may_match_below({dir:?}) is false"
                        );
                    }
                }
            }
        }
    }
}
