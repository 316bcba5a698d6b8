// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Lexical path cleaning with Go's `path.Clean` semantics, the one implementation every module uses.
//!
//! Docker cleans .dockerignore patterns, COPY sources, WORKDIR and COPY destinations, and layer
//! entry names with `path.Clean` (or `filepath.Clean`, the same on Linux) before using them, so
//! our results only agree with docker's if our cleaning does too. The context, the builder and the
//! snapshot code all need it, and `snapshot` may not import `context` or `builder`; a top-level
//! leaf module that imports nothing of the crate can be used by all of them without an import
//! cycle.
//!
//! [`clean_bytes`] is the algorithm; the other functions are the same cleaning seen through the
//! types and rootings callers hold (text, OS paths, "relative to a root that `..` cannot leave").

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};

/// Go's `path.Clean` on the bytes of a slash-separated path: collapses repeated slashes, drops `.`
/// elements, resolves `..` against the preceding element, and returns `.` for an empty result.
/// A rooted path stays rooted and `..` at the root is dropped; leading `..` of a relative path
/// stay. Bytes, not text, because tar entry names and file names need not be UTF-8.
pub fn clean_bytes(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let rooted = path.first() == Some(&b'/');
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if parts.last().is_some_and(|last| *last != b"..") {
                    parts.pop();
                } else if !rooted {
                    parts.push(b"..");
                }
            }
            other => parts.push(other),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    if rooted {
        out.push(b'/');
    }
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

/// [`clean_bytes`] on text.
pub fn clean(path: &str) -> String {
    // Cutting UTF-8 at ASCII `/` leaves UTF-8, so the lossy branch is never taken.
    match String::from_utf8(clean_bytes(path.as_bytes())) {
        Ok(cleaned) => cleaned,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// [`clean_bytes`] on an OS path.
pub fn clean_path(path: &Path) -> PathBuf {
    PathBuf::from(OsString::from_vec(clean_bytes(path.as_os_str().as_bytes())))
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

/// Cleans a path as seen from a root that `..` cannot leave (a chroot, an image's filesystem):
/// `clean("/" + path)` without its leading `/`, so `""` is the root and `../x` is `x`.
pub fn clean_under_root(path: &str) -> String {
    let cleaned = clean(&format!("/{path}"));
    cleaned.trim_start_matches('/').to_string()
}

/// [`clean_under_root`] on an OS path.
pub fn clean_path_under_root(path: &Path) -> PathBuf {
    let mut rooted = b"/".to_vec();
    rooted.extend_from_slice(path.as_os_str().as_bytes());
    let cleaned = clean_bytes(&rooted);
    PathBuf::from(OsString::from_vec(cleaned.get(1..).unwrap_or_default().to_vec()))
}

/// A tar entry name as docker's layer code treats it: cleaned, relative (a leading `/` dropped,
/// `.` is `""`), with a leading `..` kept so that the caller can refuse an entry that climbs out.
pub fn clean_entry_name(path: &Path) -> PathBuf {
    let cleaned = clean_bytes(path.as_os_str().as_bytes());
    let relative = match cleaned.as_slice() {
        b"." | b"/" => &[][..],
        other => other.strip_prefix(b"/").unwrap_or(other),
    };
    PathBuf::from(OsString::from_vec(relative.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        // Cases from Go's path.Clean tests, plus the shapes .dockerignore patterns take.
        for (input, want) in [
            ("", "."),
            ("abc", "abc"),
            ("a/c", "a/c"),
            ("a//c", "a/c"),
            ("a/c/.", "a/c"),
            ("a/c/b/..", "a/c"),
            ("/../a/c", "/a/c"),
            ("/../a/b/../././/c", "/a/c"),
            ("../../a", "../../a"),
            ("a/../..", ".."),
            ("./foo/", "foo"),
            ("/", "/"),
            ("//abc", "/abc"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
            ("!foo", "!foo"),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn clean_keeps_non_utf8_bytes() {
        let name = Path::new(std::ffi::OsStr::from_bytes(b"a/./\xff/../\xfe//"));
        assert_eq!(clean_path(name).as_os_str().as_bytes(), b"a/\xfe");
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

    #[test]
    fn under_root_clamps_at_the_root() {
        for (input, want) in [
            ("", ""),
            ("/", ""),
            ("./etc/", "etc"),
            ("/a/../../x", "x"),
            ("../x", "x"),
            ("a//b/./c/..", "a/b"),
        ] {
            assert_eq!(clean_under_root(input), want, "clean_under_root({input:?})");
            assert_eq!(
                clean_path_under_root(Path::new(input)),
                PathBuf::from(want),
                "clean_path_under_root({input:?})"
            );
        }
    }

    #[test]
    fn entry_names_keep_a_leading_parent_for_the_caller_to_refuse() {
        for (input, want) in [
            ("./etc/passwd", "etc/passwd"),
            ("/usr/bin/", "usr/bin"),
            ("./", ""),
            ("a/../b", "b"),
            ("/../x", "x"),
            ("../x", "../x"),
            ("a/../../x", "../x"),
        ] {
            assert_eq!(
                clean_entry_name(Path::new(input)),
                PathBuf::from(want),
                "{input:?}"
            );
        }
    }
}
