// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Instruction flags (`--from=`, `--link`, `--mount=`...): validating the raw `--name[=value]` words
//! against what each instruction accepts, with BuildKit's rules: names are case-sensitive, unknown
//! flags are errors, a flag may be given once unless it is a list flag (`--mount`, `--exclude`),
//! string flags need `=value`, boolean flags take no value or `=true`/`=false`.

use std::collections::BTreeMap;

use super::error::{ErrorKind, Problem};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagType {
    Bool,
    String,
    List,
}

/// The flags one instruction was given, after validation.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    values: BTreeMap<&'static str, Vec<String>>,
}

impl Flags {
    pub fn string(&self, name: &str) -> Option<String> {
        self.values.get(name).and_then(|v| v.last().cloned())
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v == "true")
    }

    pub fn list(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }
}

fn flag_problem(message: String, text: &str) -> Problem {
    Problem::new(ErrorKind::Flag, message, text)
}

/// Validates `raw` (each `--name[=value]`) against `spec`.
pub(crate) fn parse_flags(raw: &[String], spec: &[(&'static str, FlagType)]) -> Result<Flags, Problem> {
    let mut flags = Flags::default();
    for arg in raw {
        if arg == "--" {
            break;
        }
        let Some(body) = arg.strip_prefix("--") else {
            return Err(flag_problem("arg should start with --".into(), arg));
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let Some(&(key, ty)) = spec.iter().find(|(n, _)| *n == name) else {
            let known: Vec<String> = spec.iter().map(|(n, _)| format!("--{n}")).collect();
            let message = if known.is_empty() {
                "unknown flag (this instruction takes no flags)".to_string()
            } else {
                format!("unknown flag (expected one of {})", known.join(", "))
            };
            return Err(flag_problem(message, name));
        };
        let entry = flags.values.entry(key).or_default();
        if !entry.is_empty() && ty != FlagType::List {
            return Err(flag_problem("duplicate flag specified".into(), name));
        }
        let value = match (ty, value) {
            (FlagType::Bool, None) => "true".to_string(),
            (FlagType::Bool, Some(v)) if v.eq_ignore_ascii_case("true") => "true".to_string(),
            (FlagType::Bool, Some(v)) if v.eq_ignore_ascii_case("false") => "false".to_string(),
            (FlagType::Bool, Some("")) | (_, None) => {
                return Err(flag_problem("missing a value on flag".into(), name));
            }
            (FlagType::Bool, Some(v)) => {
                return Err(flag_problem(
                    format!("expecting boolean value for flag {name}, not"),
                    v,
                ));
            }
            (_, Some(v)) => v.to_string(),
        };
        entry.push(value);
    }
    Ok(flags)
}

/// Parses a Go `time.Duration` string (`1m30s`, `1.5h`, `300ms`, `0`) into nanoseconds.
pub(crate) fn parse_go_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let number = &rest[..num_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale: i128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        let int: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut value = int.checked_mul(scale)?;
        let mut div: i128 = 1;
        for d in frac.chars().take(18) {
            div *= 10;
            value = value.checked_add(i128::from(d.to_digit(10)?) * scale / div)?;
        }
        total = total.checked_add(value)?;
        if total > i128::from(i64::MAX) {
            return None;
        }
    }
    Some(if neg { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &[(&str, FlagType)] = &[
        ("from", FlagType::String),
        ("link", FlagType::Bool),
        ("exclude", FlagType::List),
    ];

    fn p(raw: &[&str]) -> Result<Flags, Problem> {
        parse_flags(&raw.iter().map(|s| s.to_string()).collect::<Vec<_>>(), SPEC)
    }

    #[test]
    fn accepts_valid_flags() {
        let f = p(&["--from=a", "--link", "--exclude=x", "--exclude=y"]).unwrap();
        assert_eq!(f.string("from").as_deref(), Some("a"));
        assert_eq!(f.bool("link"), Some(true));
        assert_eq!(f.list("exclude"), vec!["x", "y"]);
        assert_eq!(p(&["--link=FALSE"]).unwrap().bool("link"), Some(false));
        assert_eq!(p(&["--from="]).unwrap().string("from").as_deref(), Some(""));
    }

    #[test]
    fn rejects_bad_flags() {
        assert_eq!(p(&["--form=a"]).unwrap_err().text, "form");
        assert_eq!(p(&["--FROM=a"]).unwrap_err().text, "FROM");
        assert_eq!(
            p(&["--from=a", "--from=b"]).unwrap_err().message,
            "duplicate flag specified"
        );
        assert_eq!(p(&["--from"]).unwrap_err().message, "missing a value on flag");
        assert_eq!(p(&["--link="]).unwrap_err().message, "missing a value on flag");
        assert!(p(&["--link=yes"])
            .unwrap_err()
            .message
            .starts_with("expecting boolean"));
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("30s"), Some(30_000_000_000));
        assert_eq!(parse_go_duration("1m30s"), Some(90_000_000_000));
        assert_eq!(parse_go_duration("1.5h"), Some(5_400_000_000_000));
        assert_eq!(parse_go_duration("300ms"), Some(300_000_000));
        assert_eq!(parse_go_duration("0"), Some(0));
        assert_eq!(parse_go_duration("-1s"), Some(-1_000_000_000));
        for bad in ["", "10", "s", "1x", "1..2s", "99999999999999999999h"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }
}
