// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The one pattern engine for every path a Dockerfile or a .dockerignore file matches.
//!
//! Syntax is Go's `filepath.Match`: `*` (any run of characters but `/`), `?` (one character but
//! `/`), `[...]` classes with `a-z` ranges and `^` as the only negation (`[!a]` is the class of
//! `!` and `a`, as in Go), and `\` escapes. A class may match `/`, as in Go. Three dialects share
//! it, so a pattern means the same wherever it is written:
//! - [`Wildcard`]: a COPY/ADD source, from the build context or from another stage alike
//!   ([`source`] splits it and walks a tree with it);
//! - [`IgnorePattern`]: a .dockerignore line or a COPY/ADD `--exclude`, where `**` also crosses
//!   directories and moby's short-cuts apply ([`dockerignore`]).
//!
//! A pattern compiles to [`Token`]s run by one small NFA, which also answers "could anything below
//! directory D match?", so walkers prune the directories a pattern cannot reach.

mod dockerignore;
mod source;

pub use dockerignore::IgnorePattern;
pub use source::{ChildName, ListedChild, SourcePattern};

/// Why a pattern is malformed (Go reports all of these as `ErrBadPattern`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern(pub &'static str);

/// One `[...]` character class.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CharClass {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl CharClass {
    /// Whether `c` is in the class.
    fn matches(&self, c: char) -> bool {
        let inside = self.ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi);
        inside != self.negated
    }

    /// Parses a class starting just after `[`; returns the class and the chars consumed (incl. `]`).
    /// Only `^` negates: Go has no `!` negation, so `[!a]` is a class of two characters.
    fn parse(chars: &[char]) -> Result<(CharClass, usize), BadPattern> {
        let mut i = 0;
        let negated = chars.first() == Some(&'^');
        if negated {
            i += 1;
        }
        let mut ranges = Vec::new();
        loop {
            let rest = chars.get(i..).unwrap_or_default();
            match rest.first() {
                None => return Err(BadPattern("unterminated character class")),
                Some(']') if !ranges.is_empty() => return Ok((CharClass { negated, ranges }, i + 1)),
                _ => {}
            }
            let (lo, used) = class_char(rest)?;
            i += used;
            let mut hi = lo;
            if chars.get(i) == Some(&'-') {
                let (end, used) = class_char(chars.get(i + 1..).unwrap_or_default())?;
                hi = end;
                i += 1 + used;
                if hi < lo {
                    return Err(BadPattern("character range is out of order"));
                }
            }
            ranges.push((lo, hi));
        }
    }
}

/// One character inside a class, honouring `\` escapes; `-` and `]` must be escaped there.
fn class_char(chars: &[char]) -> Result<(char, usize), BadPattern> {
    match chars {
        [] => Err(BadPattern("unterminated character class")),
        ['-' | ']', ..] => Err(BadPattern("empty character class or unescaped '-'")),
        ['\\', c, ..] => Ok((*c, 2)),
        ['\\'] => Err(BadPattern("trailing backslash")),
        [c, ..] => Ok((*c, 1)),
    }
}

/// A pattern as written, before a dialect gives it meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lexeme {
    Literal {
        c: char,
        escaped: bool,
    },
    One,
    Star,
    Class(CharClass),
    /// `**`, with the `/` that may follow it; only lexed for the .dockerignore dialect.
    DoubleStar {
        at_end: bool,
    },
}

/// Splits `pattern` into lexemes, rejecting what Go rejects. `double_star` lexes `**` as one
/// lexeme (the .dockerignore dialect); without it `**` is two stars, which match like one.
fn lex(pattern: &str, double_star: bool) -> Result<Vec<Lexeme>, BadPattern> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '*' if double_star && chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                out.push(Lexeme::DoubleStar {
                    at_end: i >= chars.len(),
                });
            }
            '*' => out.push(Lexeme::Star),
            '?' => out.push(Lexeme::One),
            '[' => {
                let (class, used) = CharClass::parse(chars.get(i..).unwrap_or_default())?;
                i += used;
                out.push(Lexeme::Class(class));
            }
            '\\' => match chars.get(i) {
                Some(&escaped) => {
                    i += 1;
                    out.push(Lexeme::Literal {
                        c: escaped,
                        escaped: true,
                    });
                }
                None => return Err(BadPattern("trailing backslash")),
            },
            other => out.push(Lexeme::Literal {
                c: other,
                escaped: false,
            }),
        }
    }
    Ok(out)
}

/// What the NFA runs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`: one character other than `/`.
    One,
    /// `*`: any run of characters other than `/`.
    Star,
    Class(CharClass),
    /// `**/` or `**` in the middle of a .dockerignore pattern: `(.*/)?`
    AnyDirs,
    /// `**` at the end of a .dockerignore pattern after a wildcard: `.*`
    AnyRest,
}

/// A compiled `filepath.Match` pattern, matched against a whole slash-separated path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wildcard {
    tokens: Vec<Token>,
}

impl Wildcard {
    /// Compiles `pattern`, rejecting the patterns Go rejects.
    pub fn new(pattern: &str) -> Result<Self, BadPattern> {
        let tokens = lex(pattern, false)?
            .into_iter()
            .map(|lexeme| match lexeme {
                Lexeme::Literal { c, .. } => Token::Literal(c),
                Lexeme::One => Token::One,
                // Not lexed without `double_star`; two stars match what one does.
                Lexeme::Star | Lexeme::DoubleStar { .. } => Token::Star,
                Lexeme::Class(class) => Token::Class(class),
            })
            .collect();
        Ok(Self { tokens })
    }

    /// Whether the whole of `path` matches (`filepath.Match(pattern, path)`).
    pub fn matches(&self, path: &str) -> bool {
        Nfa::new(&self.tokens).run(path).accepts()
    }

    /// Whether some path strictly below directory `dir` could match, so a walker must descend.
    pub fn may_match_below(&self, dir: &str) -> bool {
        Nfa::new(&self.tokens).run(&format!("{dir}/")).alive()
    }
}

/// Whether `pattern` uses any wildcard syntax (Docker's `containsWildcards`: an escaped character
/// is not a wildcard).
pub fn contains_wildcards(pattern: &str) -> bool {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

/// Removes `\` escapes, giving the literal name a wildcard-free pattern stands for.
pub fn unescape(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Thompson simulation of a token list: state `2*i` is "before token i", `2*i+1` is "inside the
/// `(.*/)?` of token i". Linear in the input whatever the pattern, so no pattern can make a
/// match take exponential time.
struct Nfa<'a> {
    tokens: &'a [Token],
    states: Vec<bool>,
}

impl<'a> Nfa<'a> {
    fn new(tokens: &'a [Token]) -> Self {
        let mut nfa = Self {
            tokens,
            states: vec![false; 2 * (tokens.len() + 1)],
        };
        nfa.add(0);
        nfa
    }

    fn add(&mut self, state: usize) {
        match self.states.get_mut(state) {
            Some(on @ false) => *on = true,
            _ => return,
        }
        if state % 2 == 1 {
            return;
        }
        let i = state / 2;
        match self.tokens.get(i) {
            Some(Token::Star | Token::AnyRest) => self.add(2 * (i + 1)),
            Some(Token::AnyDirs) => {
                self.add(2 * (i + 1));
                self.add(2 * i + 1);
            }
            _ => {}
        }
    }

    fn run(mut self, input: &str) -> Self {
        for c in input.chars() {
            let current = std::mem::replace(&mut self.states, vec![false; 2 * (self.tokens.len() + 1)]);
            for (state, _) in current.iter().enumerate().filter(|(_, on)| **on) {
                let i = state / 2;
                if state % 2 == 1 {
                    self.add(state);
                    if c == '/' {
                        self.add(2 * (i + 1));
                    }
                    continue;
                }
                match self.tokens.get(i) {
                    Some(Token::Literal(l)) if *l == c => self.add(2 * (i + 1)),
                    Some(Token::One) if c != '/' => self.add(2 * (i + 1)),
                    Some(Token::Class(class)) if class.matches(c) => self.add(2 * (i + 1)),
                    Some(Token::Star) if c != '/' => self.add(state),
                    Some(Token::AnyRest) => self.add(state),
                    _ => {}
                }
            }
            if !self.alive() {
                break;
            }
        }
        self
    }

    fn accepts(&self) -> bool {
        self.states.get(2 * self.tokens.len()).copied().unwrap_or(false)
    }

    fn alive(&self) -> bool {
        self.states.iter().any(|on| *on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, name: &str) -> bool {
        Wildcard::new(pattern).map(|w| w.matches(name)).unwrap_or(false)
    }

    #[test]
    fn matches_like_go_filepath_match() {
        // Cases from Go's path/filepath match_test.go.
        for (pattern, name, want) in [
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ab/c", false),
            ("a*/b", "abc/b", true),
            ("a*/b", "a/c/b", false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("[a-ζ]*", "α", true),
            ("*[a-ζ]", "A", false),
            ("a?b", "a/b", false),
            ("a*b", "a/b", false),
            ("[\\]a]", "]", true),
            ("[\\-]", "-", true),
            ("[x\\-]", "x", true),
            ("[x\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("[\\-x]", "x", true),
            ("*x", "xxx", true),
        ] {
            assert_eq!(m(pattern, name), want, "Match({pattern:?}, {name:?})");
        }
    }

    #[test]
    fn classes_ranges_and_negation() {
        assert!(m("[abc].txt", "b.txt"));
        assert!(!m("[abc].txt", "d.txt"));
        assert!(m("[a-c][0-9]", "c7"));
        assert!(!m("[a-c][0-9]", "d7"));
        assert!(m("[^a-c].txt", "d.txt"));
        assert!(!m("[^a-c].txt", "b.txt"));
        // Several ranges and single characters in one class.
        assert!(m("[a-cx-z_]", "_"));
        assert!(m("[a-cx-z_]", "y"));
        assert!(!m("[a-cx-z_]", "m"));
        // `^` negates only in first place; elsewhere it is a member.
        assert!(m("[a^]", "^"));
        assert!(m("[^^]", "a"));
        assert!(!m("[^^]", "^"));
    }

    #[test]
    fn bang_is_a_class_member_as_in_go_not_a_negation() {
        // Go's filepath.Match grammar is `'[' [ '^' ] { character-range } ']'`: only `^` negates,
        // so `[!a]` is the class {'!', 'a'} (docker build copies `!.txt` and `a.txt` for
        // `COPY [!a].txt`; shells and the `glob` crate would read it as "not a").
        assert!(m("[!a].txt", "a.txt"));
        assert!(m("[!a].txt", "!.txt"));
        assert!(!m("[!a].txt", "b.txt"));
        assert!(m("[^!a].txt", "b.txt"));
        assert!(!m("[^!a].txt", "!.txt"));
    }

    #[test]
    fn question_mark_and_star_never_match_a_slash() {
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "a/c"));
        assert!(!m("a?c", "ac"));
        assert!(m("*/*.txt", "dir/a.txt"));
        assert!(!m("*.txt", "dir/a.txt"));
        assert!(!m("*", "a/b"));
        assert!(m("*", ""));
        // Two stars are no `**` in COPY sources: they still stop at `/`.
        assert!(!m("**.txt", "dir/a.txt"));
        assert!(m("**.txt", "a.txt"));
    }

    #[test]
    fn a_class_can_match_a_slash_as_in_go() {
        // Go's Match checks the separator for `*` and `?` only; docker's COPY of `dir[^x]one/a*`
        // copies dir/one/a1.txt.
        assert!(m("dir[^x]one/a*", "dir/one/a1.txt"));
        assert!(m("a[/]b", "a/b"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\[x\\]", "[x]"));
        assert!(!m("\\[x\\]", "x"));
        assert!(m("st\\*r", "st*r"));
        assert!(!m("st\\*r", "stXr"));
        assert!(m("\\?", "?"));
        assert!(!m("\\?", "a"));
        assert!(m("a\\\\b", "a\\b"));
        assert!(m("[\\^]", "^"));
        assert!(m("\\a", "a"));
    }

    #[test]
    fn rejects_go_bad_patterns() {
        for pattern in [
            "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "*x\\", "[z-a]", "[]",
            "[^]", "[\\",
        ] {
            assert!(Wildcard::new(pattern).is_err(), "{pattern:?} should be rejected");
        }
    }

    #[test]
    fn may_match_below_prunes_unreachable_directories() {
        let w = |p: &str| Wildcard::new(p).map_err(|e| e.0);
        assert_eq!(w("dir/*/[a-c]?.txt").map(|w| w.may_match_below("dir")), Ok(true));
        assert_eq!(
            w("dir/*/[a-c]?.txt").map(|w| w.may_match_below("dir/x")),
            Ok(true)
        );
        assert_eq!(
            w("dir/*/[a-c]?.txt").map(|w| w.may_match_below("dir/x/y")),
            Ok(false)
        );
        assert_eq!(
            w("dir/*/[a-c]?.txt").map(|w| w.may_match_below("other")),
            Ok(false)
        );
        assert_eq!(w("*.txt").map(|w| w.may_match_below("a")), Ok(false));
    }

    #[test]
    fn wildcard_detection_and_unescape() {
        assert!(contains_wildcards("*.txt"));
        assert!(contains_wildcards("dir/file[0-9]"));
        assert!(!contains_wildcards("plain/file.txt"));
        assert!(!contains_wildcards("weird\\*name"));
        assert_eq!(unescape("weird\\*name"), "weird*name");
    }

    proptest::proptest! {
        /// No pattern and no name, however malformed, makes compiling or matching panic.
        #[test]
        fn arbitrary_patterns_and_names_never_panic(pattern in "\\PC{0,24}", name in "\\PC{0,24}") {
            if let Ok(w) = Wildcard::new(&pattern) {
                let _ = w.matches(&name);
                let _ = w.may_match_below(&name);
            }
            if let Ok(p) = IgnorePattern::compile(&pattern, false) {
                let _ = p.matches(&name);
                let _ = p.may_match_below(&name);
            }
            let _ = SourcePattern::parse(&pattern);
            let _ = unescape(&pattern);
        }

        /// The same, with the pattern drawn from the characters that mean something.
        #[test]
        fn syntax_heavy_patterns_never_panic(
            pattern in "[\\[\\]\\\\^!*?/a-c-]{0,16}",
            name in "[\\[\\]\\\\^!*?/a-c-]{0,16}",
        ) {
            if let Ok(w) = Wildcard::new(&pattern) {
                let _ = w.matches(&name);
                let _ = w.may_match_below(&name);
            }
            if let Ok(p) = IgnorePattern::compile(&pattern, true) {
                let _ = p.matches(&name);
                let _ = p.may_match_below(&name);
            }
        }

        /// A directory the walker prunes holds no match: `may_match_below` never says "no" for a
        /// directory under which the pattern matches something.
        #[test]
        fn wildcard_may_match_below_never_misses_a_match(
            pattern in "(a|b|\\*|\\?|/|\\[ab\\]|\\[\\^a\\]){1,6}",
            path in "(a|b|/){1,8}",
        ) {
            if let Ok(w) = Wildcard::new(&pattern) {
                if w.matches(&path) {
                    for (at, _) in path.match_indices('/') {
                        let dir = &path[..at];
                        proptest::prop_assert!(
                            w.may_match_below(dir),
                            "{pattern:?} matches {path:?} but may_match_below({dir:?}) is false"
                        );
                    }
                }
            }
        }
    }
}
