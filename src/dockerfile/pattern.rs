// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Shell wildcard patterns (`*`, `?`, `\` escapes; no bracket expressions, like BuildKit) for the
//! `${V#p}`, `${V%p}` and `${V/p/r}` substitutions: shortest/longest prefix and suffix removal and
//! leftmost-longest replacement.

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Star,
    Any,
    Lit(char),
}

/// A parsed wildcard pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern(Vec<Token>);

impl Pattern {
    pub(crate) fn parse(pattern: &str) -> Result<Self, String> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => tokens.push(Token::Star),
                '?' => tokens.push(Token::Any),
                '\\' => match chars.peek().copied() {
                    // `}` and `/` are escaped only to get them past the ${} syntax.
                    Some('}' | '/') => {}
                    Some(e @ ('*' | '?' | '\\')) => {
                        chars.next();
                        tokens.push(Token::Lit(e));
                    }
                    other => {
                        let shown = other.map(String::from).unwrap_or_default();
                        return Err(format!(
                            "invalid pattern ({pattern}) in substitution: invalid escape '\\{shown}'"
                        ));
                    }
                },
                other => tokens.push(Token::Lit(other)),
            }
        }
        Ok(Self(tokens))
    }

    /// Whether the whole of `text` matches (iterative wildcard matching with one backtrack point).
    fn matches(&self, text: &[char]) -> bool {
        let p = &self.0;
        let (mut pi, mut ti) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while ti < text.len() {
            match p.get(pi) {
                Some(Token::Star) => {
                    star = Some((pi, ti));
                    pi += 1;
                }
                Some(Token::Any) => {
                    pi += 1;
                    ti += 1;
                }
                Some(Token::Lit(c)) if text.get(ti) == Some(c) => {
                    pi += 1;
                    ti += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        pi = sp + 1;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi.min(p.len())..].iter().all(|t| *t == Token::Star)
    }

    /// For each end position `e >= start`, whether `text[start..e]` matches: one pass of a
    /// position-set simulation, so prefix searches stay linear in the text.
    fn match_ends(&self, text: &[char], start: usize) -> Vec<bool> {
        let p = &self.0;
        let closure = |set: &mut Vec<bool>| {
            for i in 0..p.len() {
                if set[i] && p[i] == Token::Star {
                    set[i + 1] = true;
                }
            }
        };
        let mut states = vec![false; p.len() + 1];
        states[0] = true;
        closure(&mut states);
        let mut ends = vec![false; text.len() + 1];
        for (e, end) in ends.iter_mut().enumerate().skip(start) {
            *end = states[p.len()];
            let Some(c) = text.get(e) else { break };
            let mut next = vec![false; p.len() + 1];
            for (i, token) in p.iter().enumerate() {
                if !states[i] {
                    continue;
                }
                match token {
                    Token::Star => next[i] = true,
                    Token::Any => next[i + 1] = true,
                    Token::Lit(l) if l == c => next[i + 1] = true,
                    Token::Lit(_) => {}
                }
            }
            closure(&mut next);
            if !next.iter().any(|b| *b) {
                break;
            }
            states = next;
        }
        ends
    }

    pub(crate) fn trim_prefix(&self, value: &str, greedy: bool) -> String {
        let chars: Vec<char> = value.chars().collect();
        let ends = self.match_ends(&chars, 0);
        let found = if greedy {
            ends.iter().rposition(|b| *b)
        } else {
            ends.iter().position(|b| *b)
        };
        match found {
            Some(n) => chars[n..].iter().collect(),
            None => value.to_string(),
        }
    }

    pub(crate) fn trim_suffix(&self, value: &str, greedy: bool) -> String {
        let chars: Vec<char> = value.chars().collect();
        let mut starts: Vec<usize> = (0..=chars.len()).collect();
        if !greedy {
            starts.reverse();
        }
        match starts.into_iter().find(|&s| self.matches(&chars[s..])) {
            Some(s) => chars[..s].iter().collect(),
            None => value.to_string(),
        }
    }

    /// Replaces the leftmost-longest match (or every non-overlapping one).
    pub(crate) fn replace(&self, value: &str, replacement: &str, all: bool) -> String {
        let chars: Vec<char> = value.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        let mut replaced = false;
        while i <= chars.len() {
            let found = if replaced && !all {
                None
            } else {
                self.match_ends(&chars, i)
                    .iter()
                    .rposition(|b| *b)
                    .filter(|end| *end >= i)
            };
            if let Some(end) = found {
                out.push_str(replacement);
                replaced = true;
                if end > i {
                    i = end;
                    continue;
                }
            }
            if let Some(c) = chars.get(i) {
                out.push(*c);
            }
            i += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(p: &str) -> Pattern {
        Pattern::parse(p).unwrap()
    }

    #[test]
    fn prefix_suffix_and_replace() {
        assert_eq!(pat("*o").trim_prefix("foobar", false), "obar");
        assert_eq!(pat("*o").trim_prefix("foobar", true), "bar");
        assert_eq!(pat("b*").trim_suffix("abcb", false), "abc");
        assert_eq!(pat("b*").trim_suffix("abcb", true), "a");
        assert_eq!(pat("?").replace("abc", "X", true), "XXX");
        assert_eq!(pat("b*").replace("abcabc", "X", false), "aX");
        assert_eq!(pat("\\*").replace("a\\*b", "+", false), "a\\+b");
        assert_eq!(pat("z").trim_prefix("abc", true), "abc");
    }

    #[test]
    fn escapes() {
        assert_eq!(pat("\\*").replace("a*b", "+", true), "a+b");
        assert!(Pattern::parse("\\x").is_err());
        assert!(Pattern::parse("\\").is_err());
        assert_eq!(pat("\\}").trim_prefix("}x", false), "x");
    }
}
