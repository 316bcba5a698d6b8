// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Compact JSON the way Go's `encoding/json` writes it, for configs, manifests and indexes we build.
//!
//! Go escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings (so `RUN a > b` becomes
//! `a \u003e b`). Writing the same bytes Docker, BuildKit and go-containerregistry write keeps our
//! digests comparable with theirs for the same content; it is still valid JSON for every reader.

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

/// Serializes `value` compactly with Go's string escaping.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(512);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    value.serialize(&mut ser)?;
    Ok(out)
}

/// The default `Formatter` methods already write compact JSON; only string escaping differs.
struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, ch) in fragment.char_indices() {
            let escape = match ch {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(fragment.get(start..i).unwrap_or_default().as_bytes())?;
            writer.write_all(escape.as_bytes())?;
            start = i + ch.len_utf8();
        }
        writer.write_all(fragment.get(start..).unwrap_or_default().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        let v = vec![
            "/bin/sh -c echo a > b && c < d",
            "line\u{2028}sep",
            "plain \"quoted\"\n",
        ];
        assert_eq!(
            String::from_utf8(to_vec(&v).unwrap()).unwrap(),
            r#"["/bin/sh -c echo a \u003e b \u0026\u0026 c \u003c d","line\u2028sep","plain \"quoted\"\n"]"#
        );
    }

    #[test]
    fn round_trips_through_serde_json() {
        let s = "a<b>&c\u{2029}é";
        let bytes = to_vec(&s).unwrap();
        assert_eq!(serde_json::from_slice::<String>(&bytes).unwrap(), s);
    }
}
