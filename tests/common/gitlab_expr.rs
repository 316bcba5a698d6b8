// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! GitLab CI/CD variable expressions (`rules:if`), evaluated as GitLab documents them, for the tests
//! that run the GitLab templates and examples (`tests/gitlab_templates.rs`).
//!
//! The subset: `$VAR` (true when the variable is defined and not empty), `"…"` and `'…'` strings,
//! `null`, `==` and `!=` (an undefined variable equals `null` only; a defined empty one equals `""`
//! only), `&&` (binding tighter than `||`, as GitLab evaluates since 13.3), `||` and parentheses.
//! Anything else (`=~`, `!~`, `!`) is a panic naming the expression, so a template cannot use an
//! operator the tests would misread.

use std::collections::BTreeMap;

/// Whether `expression` holds for `vars` (variable name → value; absent means undefined).
pub fn evaluate(expression: &str, vars: &BTreeMap<String, String>) -> bool {
    let tokens = tokenize(expression);
    let mut parser = Parser {
        tokens: &tokens,
        pos: 0,
        vars,
        expression,
    };
    let value = parser.or();
    if parser.pos != tokens.len() {
        panic!("rules:if {expression:?}: unexpected {:?}", tokens[parser.pos]);
    }
    value
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Var(String),
    Str(String),
    Null,
    Eq,
    Ne,
    And,
    Or,
    Open,
    Close,
}

fn tokenize(expression: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = expression.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        match c {
            ' ' | '\t' => i += 1,
            '$' => {
                let braced = chars.get(i + 1) == Some(&'{');
                let start = if braced { i + 2 } else { i + 1 };
                let mut end = start;
                while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_') {
                    end += 1;
                }
                assert!(end > start, "rules:if {expression:?}: `$` without a name");
                tokens.push(Token::Var(chars[start..end].iter().collect()));
                i = end;
                if braced {
                    assert_eq!(chars.get(i), Some(&'}'), "rules:if {expression:?}: unclosed ${{");
                    i += 1;
                }
            }
            '"' | '\'' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&q| q == c)
                    .unwrap_or_else(|| panic!("rules:if {expression:?}: unclosed string"));
                tokens.push(Token::Str(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            _ if two == "==" => {
                tokens.push(Token::Eq);
                i += 2;
            }
            _ if two == "!=" => {
                tokens.push(Token::Ne);
                i += 2;
            }
            _ if two == "&&" => {
                tokens.push(Token::And);
                i += 2;
            }
            _ if two == "||" => {
                tokens.push(Token::Or);
                i += 2;
            }
            _ if chars[i..].iter().collect::<String>().starts_with("null") => {
                tokens.push(Token::Null);
                i += 4;
            }
            _ => panic!(
                "rules:if {expression:?}: {:?} is not modelled by the test harness",
                chars[i..].iter().collect::<String>()
            ),
        }
    }
    tokens
}

/// An operand: a variable's value (None when undefined), a string, or `null`.
type Operand = Option<String>;

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    vars: &'a BTreeMap<String, String>,
    expression: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn or(&mut self) -> bool {
        let mut value = self.and();
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            // Both sides are parsed; evaluation has no side effects, so no short-circuit is needed.
            let right = self.and();
            value = value || right;
        }
        value
    }

    fn and(&mut self) -> bool {
        let mut value = self.comparison();
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            let right = self.comparison();
            value = value && right;
        }
        value
    }

    fn comparison(&mut self) -> bool {
        if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            let value = self.or();
            assert_eq!(
                self.peek(),
                Some(&Token::Close),
                "rules:if {:?}: unclosed (",
                self.expression
            );
            self.pos += 1;
            return value;
        }
        let left = self.operand();
        match self.peek() {
            Some(Token::Eq) => {
                self.pos += 1;
                left == self.operand()
            }
            Some(Token::Ne) => {
                self.pos += 1;
                left != self.operand()
            }
            // A lone operand: a variable is true when defined and not empty.
            _ => left.is_some_and(|v| !v.is_empty()),
        }
    }

    fn operand(&mut self) -> Operand {
        let token = self.peek().cloned();
        self.pos += 1;
        match token {
            Some(Token::Var(name)) => self.vars.get(&name).cloned(),
            Some(Token::Str(s)) => Some(s),
            Some(Token::Null) => None,
            other => panic!(
                "rules:if {:?}: expected an operand, found {other:?}",
                self.expression
            ),
        }
    }
}
