// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! GitHub Actions expressions (`${{ … }}`), evaluated the way the runner evaluates them, for the
//! tests that run workflow files step by step (`tests/github_action.rs`).
//!
//! The subset our workflows use: context paths (`inputs.file`, `needs.prepare.outputs.push`,
//! `matrix.platform`), string, number and boolean literals, `!`, `==`, `!=` (strings compared
//! case-insensitively, as GitHub does), `&&` and `||` (which return an operand, not a boolean, so
//! `a && b || c` is GitHub's ternary), parentheses, `format()` and `fromJSON()`. Anything else is a
//! panic naming the expression, so a workflow cannot use an operator the tests would misread.

use serde_json::Value;

/// `text` with every `${{ expression }}` evaluated against `ctx`. A text that is one expression and
/// nothing else keeps the expression's type (a matrix, a boolean), as GitHub does.
pub fn substitute(text: &str, ctx: &Value) -> Value {
    let trimmed = text.trim();
    if let Some(inner) = trimmed.strip_prefix("${{").and_then(|t| t.strip_suffix("}}")) {
        if !inner.contains("${{") {
            return eval(inner, ctx);
        }
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .unwrap_or_else(|| panic!("unclosed ${{{{ in {text:?}"));
        out.push_str(&to_text(&eval(&rest[start + 3..start + end], ctx)));
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Value::String(out)
}

/// A job's or step's `if:`, with or without `${{ }}`.
pub fn condition(text: &str, ctx: &Value) -> bool {
    let text = text.trim();
    let inner = text
        .strip_prefix("${{")
        .and_then(|t| t.strip_suffix("}}"))
        .unwrap_or(text);
    truthy(&eval(inner, ctx))
}

/// A value as GitHub puts it into a string: `true`, numbers as written, null as empty.
pub fn to_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// Evaluates one expression (what is between `${{` and `}}`).
pub fn eval(expr: &str, ctx: &Value) -> Value {
    let tokens = tokenize(expr);
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        ctx,
        expr,
    };
    let v = p.or();
    assert!(
        p.pos == tokens.len(),
        "unsupported expression {expr:?}: stopped at {:?}",
        &tokens[p.pos..]
    );
    v
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Num(f64),
    Ident(String),
    Op(&'static str),
}

fn tokenize(expr: &str) -> Vec<Tok> {
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                assert!(i < chars.len(), "unclosed string in {expr:?}");
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        s.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                s.push(chars[i]);
                i += 1;
            }
            out.push(Tok::Str(s));
        } else if let Some(op) = ["==", "!=", "&&", "||"]
            .into_iter()
            .find(|op| expr_at(&chars, i).starts_with(op))
        {
            out.push(Tok::Op(op));
            i += 2;
        } else if let Some(op) = ["!", "(", ")", ",", "."].into_iter().find(|op| op.starts_with(c)) {
            out.push(Tok::Op(op));
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Tok::Num(text.parse().expect("number")));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '-')
            {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            panic!("unsupported character {c:?} in expression {expr:?}");
        }
    }
    out
}

fn expr_at(chars: &[char], i: usize) -> String {
    chars[i..].iter().take(2).collect()
}

struct Parser<'a> {
    tokens: &'a [Tok],
    pos: usize,
    ctx: &'a Value,
    expr: &'a str,
}

impl Parser<'_> {
    fn peek_op(&self, op: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Tok::Op(o)) if *o == op)
    }

    fn expect_op(&mut self, op: &str) {
        assert!(self.peek_op(op), "expected {op:?} in {:?}", self.expr);
        self.pos += 1;
    }

    fn or(&mut self) -> Value {
        let mut left = self.and();
        while self.peek_op("||") {
            self.pos += 1;
            let right = self.and();
            if !truthy(&left) {
                left = right;
            }
        }
        left
    }

    fn and(&mut self) -> Value {
        let mut left = self.comparison();
        while self.peek_op("&&") {
            self.pos += 1;
            let right = self.comparison();
            if truthy(&left) {
                left = right;
            }
        }
        left
    }

    fn comparison(&mut self) -> Value {
        let left = self.unary();
        for (op, equal) in [("==", true), ("!=", false)] {
            if self.peek_op(op) {
                self.pos += 1;
                let right = self.unary();
                return Value::Bool(loosely_equal(&left, &right) == equal);
            }
        }
        left
    }

    fn unary(&mut self) -> Value {
        if self.peek_op("!") {
            self.pos += 1;
            return Value::Bool(!truthy(&self.unary()));
        }
        self.primary()
    }

    fn primary(&mut self) -> Value {
        let tok = self
            .tokens
            .get(self.pos)
            .cloned()
            .unwrap_or_else(|| panic!("unexpected end of {:?}", self.expr));
        self.pos += 1;
        match tok {
            Tok::Op("(") => {
                let v = self.or();
                self.expect_op(")");
                v
            }
            Tok::Str(s) => Value::String(s),
            Tok::Num(n) => serde_json::json!(n),
            Tok::Ident(name) if self.peek_op("(") => self.call(&name),
            Tok::Ident(name) => match name.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => {
                    let mut v = self.ctx.get(&name).cloned().unwrap_or(Value::Null);
                    while self.peek_op(".") {
                        self.pos += 1;
                        let Some(Tok::Ident(field)) = self.tokens.get(self.pos).cloned() else {
                            panic!("expected a property name in {:?}", self.expr)
                        };
                        self.pos += 1;
                        v = v.get(&field).cloned().unwrap_or(Value::Null);
                    }
                    v
                }
            },
            other => panic!("unexpected {other:?} in {:?}", self.expr),
        }
    }

    fn call(&mut self, name: &str) -> Value {
        self.expect_op("(");
        let mut args = Vec::new();
        while !self.peek_op(")") {
            args.push(self.or());
            if self.peek_op(",") {
                self.pos += 1;
            }
        }
        self.expect_op(")");
        match name {
            "format" => {
                let mut text = to_text(&args[0]);
                for (i, arg) in args.iter().enumerate().skip(1) {
                    text = text.replace(&format!("{{{}}}", i - 1), &to_text(arg));
                }
                Value::String(text)
            }
            "fromJSON" => serde_json::from_str(&to_text(&args[0]))
                .unwrap_or_else(|e| panic!("fromJSON({:?}): {e}", args[0])),
            other => panic!("unsupported function {other} in {:?}", self.expr),
        }
    }
}

/// GitHub's `==`: strings case-insensitively; values of different types as numbers (`true` is 1,
/// a string that is no number is NaN, so `true == 'true'` is false, as on GitHub).
fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => number(a) == number(b),
    }
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) if s.trim().is_empty() => 0.0,
        Value::String(s) => s.trim().parse().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}
