// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Go's `filepath.Match` wildcard syntax: `*`, `?`, `[...]` classes (`^` negates, `a-z` ranges) and
//! `\` escapes. COPY/ADD sources use it per path element, and .dockerignore patterns share its
//! character classes and its notion of a malformed pattern.

/// Why a pattern is malformed (Go reports all of these as `ErrBadPattern`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern(pub &'static str);

/// One `[...]` character class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharClass {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl CharClass {
    /// Whether `c` is in the class.
    pub fn matches(&self, c: char) -> bool {
        let inside = self.ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi);
        inside != self.negated
    }

    /// Parses a class starting just after `[`; returns the class and the chars consumed (incl. `]`).
    pub fn parse(chars: &[char]) -> Result<(CharClass, usize), BadPattern> {
        let mut i = 0;
        let negated = chars.first() == Some(&'^');
        if negated {
            i += 1;
        }
        let mut ranges = Vec::new();
        loop {
            match chars.get(i) {
                None => return Err(BadPattern("unterminated character class")),
                Some(']') if !ranges.is_empty() => return Ok((CharClass { negated, ranges }, i + 1)),
                _ => {}
            }
            let (lo, used) = class_char(&chars[i..])?;
            i += used;
            let mut hi = lo;
            if chars.get(i) == Some(&'-') {
                let (end, used) = class_char(&chars[i + 1..])?;
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

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`: one character other than `/`.
    One,
    /// `*`: any run of characters other than `/`.
    Star,
    Class(CharClass),
}

/// A compiled `filepath.Match` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wildcard {
    tokens: Vec<Token>,
}

impl Wildcard {
    /// Compiles `pattern`, rejecting the patterns Go rejects.
    pub fn new(pattern: &str) -> Result<Self, BadPattern> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while let Some(&c) = chars.get(i) {
            i += 1;
            match c {
                '*' => tokens.push(Token::Star),
                '?' => tokens.push(Token::One),
                '[' => {
                    let (class, used) = CharClass::parse(&chars[i..])?;
                    i += used;
                    tokens.push(Token::Class(class));
                }
                '\\' => match chars.get(i) {
                    Some(&escaped) => {
                        i += 1;
                        tokens.push(Token::Literal(escaped));
                    }
                    None => return Err(BadPattern("trailing backslash")),
                },
                other => tokens.push(Token::Literal(other)),
            }
        }
        Ok(Self { tokens })
    }

    /// Whether the whole of `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.chars().collect();
        match_tokens(&self.tokens, &name)
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

fn match_tokens(tokens: &[Token], name: &[char]) -> bool {
    // Backtracking over the last `*` keeps this linear-ish: a later star supersedes an earlier one.
    let (mut t, mut n) = (0, 0);
    let mut resume: Option<(usize, usize)> = None;
    while n < name.len() || t < tokens.len() {
        if let Some(token) = tokens.get(t) {
            let c = name.get(n).copied();
            match (token, c) {
                (Token::Star, _) => {
                    resume = Some((t, n));
                    t += 1;
                    continue;
                }
                (Token::Literal(l), Some(c)) if *l == c => {
                    t += 1;
                    n += 1;
                    continue;
                }
                (Token::One, Some(c)) if c != '/' => {
                    t += 1;
                    n += 1;
                    continue;
                }
                (Token::Class(class), Some(c)) if class.matches(c) => {
                    t += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        }
        match resume {
            Some((star_t, star_n)) if name.get(star_n).is_some_and(|c| *c != '/') => {
                resume = Some((star_t, star_n + 1));
                t = star_t + 1;
                n = star_n + 1;
            }
            _ => return false,
        }
    }
    true
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
    fn rejects_go_bad_patterns() {
        for pattern in [
            "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "*x\\",
        ] {
            assert!(Wildcard::new(pattern).is_err(), "{pattern:?} should be rejected");
        }
    }

    #[test]
    fn wildcard_detection_and_unescape() {
        assert!(contains_wildcards("*.txt"));
        assert!(contains_wildcards("dir/file[0-9]"));
        assert!(!contains_wildcards("plain/file.txt"));
        assert!(!contains_wildcards("weird\\*name"));
        assert_eq!(unescape("weird\\*name"), "weird*name");
    }
}
