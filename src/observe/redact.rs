// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Masks credentials in every line we write (stderr, debug files, reports). The library does not
//! log secrets in the first place; this is the second line of defence against a registry's error
//! body, a URL or a header that quotes one.

use std::borrow::Cow;

const MASK: &str = "[REDACTED]";

/// Keys whose values are secrets wherever they appear as `key=value`, `key: value` or JSON.
const SECRET_KEYS: [&str; 12] = [
    "password",
    "passwd",
    "token",
    "access_token",
    "refresh_token",
    "identitytoken",
    "registrytoken",
    "secret",
    "client_secret",
    "auth",
    "authorization",
    "x-registry-auth",
];

/// Authentication schemes whose parameter is a credential.
const SCHEMES: [&str; 2] = ["bearer ", "basic "];

/// `text` with every credential it holds replaced by `[REDACTED]`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    if !SECRET_KEYS.iter().any(|k| lower.contains(k))
        && !SCHEMES.iter().any(|s| lower.contains(s))
        && !text.contains("://")
    {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let lower = lower.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if let Some(value_start) = secret_value_start(bytes, lower, i) {
            let end = value_end(bytes, value_start);
            if end > value_start && !bytes[value_start..end].starts_with(MASK.as_bytes()) {
                out.push_str(&text[copied..value_start]);
                out.push_str(MASK);
                copied = end;
                i = end;
                continue;
            }
        }
        if bytes[i] == b'@' {
            if let Some(colon) = userinfo_password_start(bytes, i) {
                if colon >= copied {
                    out.push_str(&text[copied..colon]);
                    out.push_str(MASK);
                    copied = i;
                }
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Where the secret starts when a scheme (`Bearer x`) or a secret key with its separator
/// (`password=x`, `"auth": "x"`, `Authorization: x`) begins at `i`.
fn secret_value_start(bytes: &[u8], lower: &[u8], i: usize) -> Option<usize> {
    // After `\n` or `\t` (an escaped line break in JSON or a debug line) a word starts too.
    let escaped_break = i >= 2 && bytes[i - 2] == b'\\' && matches!(bytes[i - 1], b'n' | b't' | b'r');
    let word_start =
        i == 0 || escaped_break || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
    if !word_start {
        return None;
    }
    for scheme in SCHEMES {
        if lower[i..].starts_with(scheme.as_bytes()) {
            let start = i + scheme.len();
            // "Basic realm=…" in a challenge is not a credential.
            let rest = &lower[start..];
            if rest.starts_with(b"realm") || rest.first().is_none_or(|b| !is_token_byte(*b)) {
                return None;
            }
            return Some(start);
        }
    }
    for key in SECRET_KEYS {
        if !lower[i..].starts_with(key.as_bytes()) {
            continue;
        }
        let mut j = i + key.len();
        if j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b'-') {
            continue;
        }
        if bytes.get(j) == Some(&b'"') {
            j += 1;
        }
        while bytes.get(j) == Some(&b' ') {
            j += 1;
        }
        if !matches!(bytes.get(j), Some(b'=' | b':')) {
            continue;
        }
        j += 1;
        while bytes.get(j) == Some(&b' ') {
            j += 1;
        }
        if bytes.get(j) == Some(&b'"') {
            j += 1;
        }
        // `Authorization: Bearer x`: leave the scheme's name, mask what follows it.
        if let Some(scheme) = SCHEMES.iter().find(|s| lower[j..].starts_with(s.as_bytes())) {
            j += scheme.len();
        }
        return Some(j);
    }
    None
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// The end of a secret value: the next quote, whitespace, comma, ampersand or closing brace.
fn value_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < bytes.len()
        && !matches!(bytes[end], b'"' | b'\'' | b',' | b'&' | b'}' | b';' | b'\\')
        && !bytes[end].is_ascii_whitespace()
    {
        end += 1;
    }
    end
}

/// For `scheme://user:password@host`, with `at` the position of `@`: where the password starts.
fn userinfo_password_start(bytes: &[u8], at: usize) -> Option<usize> {
    let mut j = at;
    let mut colon = None;
    while j > 0 {
        j -= 1;
        match bytes[j] {
            b':' if colon.is_none() => colon = Some(j + 1),
            b'/' => {
                let is_authority = j >= 2 && bytes[j - 1] == b'/' && bytes[j - 2] == b':';
                return if is_authority {
                    colon.filter(|c| *c < at)
                } else {
                    None
                };
            }
            b if b.is_ascii_whitespace() || b == b'"' => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_credentials_in_their_usual_shapes() {
        let cases = [
            (
                "Authorization: Bearer abc.def-ghi",
                "Authorization: Bearer [REDACTED]",
            ),
            (
                "authorization=\"Basic dXNlcjpwYXNz\"",
                "authorization=\"Basic [REDACTED]\"",
            ),
            (
                "{\"auths\":{\"r\":{\"auth\":\"dXNlcjpwYXNz\"}}}",
                "{\"auths\":{\"r\":{\"auth\":\"[REDACTED]\"}}}",
            ),
            (
                "{\"token\": \"s3cr3t\", \"expires_in\": 300}",
                "{\"token\": \"[REDACTED]\", \"expires_in\": 300}",
            ),
            ("password=hunter2 user=bob", "password=[REDACTED] user=bob"),
            (
                "GET https://bob:hunter2@r.example/v2/",
                "GET https://bob:[REDACTED]@r.example/v2/",
            ),
            (
                "?access_token=xyz&scope=pull",
                "?access_token=[REDACTED]&scope=pull",
            ),
            (
                "{\"message\":\"body:\\ntoken=abc\"}",
                "{\"message\":\"body:\\ntoken=[REDACTED]\"}",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for text in [
            "step done duration_ms=12",
            "WWW-Authenticate: Basic realm=\"registry\"",
            "registry/auth.log written",
            "tokens=3 authentication succeeded",
            "pulling blob sha256:abc from r.example:5000/team/app",
            "docker-image://r.example/ctx@sha256:abc",
        ] {
            assert_eq!(redact(text), text);
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "token",
            "token=",
            "Bearer ",
            "a@b",
            "://@",
            "password:\"",
            "é token=ü ✓",
        ] {
            let _ = redact(text);
        }
    }
}
