// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Lexical path operations with Go's semantics: `path.Clean` and the "does this climb out of the root"
//! test. Docker cleans .dockerignore patterns and COPY sources this way before matching, so matching
//! only agrees with docker build if cleaning does too.

/// Go's `path.Clean` on a slash-separated path: collapses repeated slashes, drops `.` elements,
/// resolves `..` against the preceding element, and returns `.` for an empty result.
/// A rooted path stays rooted and `..` at the root is dropped; leading `..` of a relative path stays.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Cleans a path that must stay inside a root: a leading `/` means the root itself, and a result
/// that climbs above the root (`..`, `../x`, `a/../../x`) is `None`. Returns `""` for the root.
pub fn clean_within_root(path: &str) -> Option<String> {
    let cleaned = clean(path.trim_start_matches('/'));
    if cleaned == ".." || cleaned.starts_with("../") {
        return None;
    }
    Some(if cleaned == "." { String::new() } else { cleaned })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("", "."),
            ("a/c", "a/c"),
            ("a//c", "a/c"),
            ("a/c/.", "a/c"),
            ("a/c/b/..", "a/c"),
            ("/../a/c", "/a/c"),
            ("../../a", "../../a"),
            ("a/../..", ".."),
            ("./foo/", "foo"),
            ("/", "/"),
            ("abc/def/../../..", ".."),
            ("!foo", "!foo"),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn within_root_rejects_escapes() {
        assert_eq!(clean_within_root("/a/b/"), Some("a/b".to_string()));
        assert_eq!(clean_within_root("."), Some(String::new()));
        assert_eq!(clean_within_root("/"), Some(String::new()));
        assert_eq!(clean_within_root("a/../b"), Some("b".to_string()));
        assert_eq!(clean_within_root("../x"), None);
        assert_eq!(clean_within_root("a/../../x"), None);
        assert_eq!(clean_within_root(".."), None);
        // kaniko joins the source onto the context directory, so `/../x` climbs out as well.
        assert_eq!(clean_within_root("/../x"), None);
    }
}
