// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Masks secret values in text we print or log, as CI systems mask theirs: every occurrence of a
//! value becomes `****`. A multi-line value is masked line by line (a command may print one line
//! of a key file). Lines shorter than [`MIN_MASKED`] are not masked on their own: masking every
//! `a` or `1` would garble the output and tell a reader the secret anyway.

use std::borrow::Cow;
use std::sync::Arc;

/// The shortest text masked.
pub const MIN_MASKED: usize = 4;
const MASK: &str = "****";

/// The texts to mask, longest first so a value containing another is masked whole.
#[derive(Clone, Default)]
pub struct Redactor {
    needles: Arc<Vec<String>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} values)", self.needles.len())
    }
}

impl Redactor {
    pub fn new(values: impl IntoIterator<Item = String>) -> Redactor {
        let mut needles: Vec<String> = Vec::new();
        for value in values {
            let whole = value.trim_end_matches(['\n', '\r']);
            for part in std::iter::once(whole).chain(whole.lines()) {
                let part = part.trim();
                if part.chars().count() >= MIN_MASKED && !needles.iter().any(|n| n == part) {
                    needles.push(part.to_string());
                }
            }
        }
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Redactor {
            needles: Arc::new(needles),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `text` with every secret value replaced by `****`.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for needle in self.needles.iter() {
            if out.contains(needle.as_str()) {
                out = Cow::Owned(out.replace(needle.as_str(), MASK));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_their_lines_are_masked() {
        let r = Redactor::new([
            "hunter22".to_string(),
            "-----BEGIN KEY-----\nAAAAsecret\n-----END KEY-----\n".into(),
            "ab".into(),
        ]);
        assert_eq!(r.redact("password is hunter22!"), "password is ****!");
        assert_eq!(r.redact("line AAAAsecret here"), "line **** here");
        assert_eq!(r.redact("ab stays: too short"), "ab stays: too short");
        assert!(matches!(r.redact("nothing"), Cow::Borrowed(_)));
        assert!(Redactor::default().is_empty());
    }

    #[test]
    fn the_longest_value_wins() {
        let r = Redactor::new(["token".to_string(), "token-extended".into()]);
        assert_eq!(r.redact("x token-extended y token"), "x **** y ****");
    }
}
