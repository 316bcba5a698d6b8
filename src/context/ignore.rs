// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `.dockerignore` files and COPY/ADD `--exclude` lists: parsing them the way docker does
//! (moby/patternmatcher `ignorefile.ReadAll` + `New`) and deciding whether a path is excluded
//! (`MatchesOrParentMatches`: the last matching pattern wins, and a pattern that matches a parent
//! directory matches everything below it).
//!
//! Also decides where the ignore file comes from: `<Dockerfile>.dockerignore` next to the
//! Dockerfile takes precedence over the context's `.dockerignore`.

use std::path::Path;

use super::error::ContextError;
use super::pattern::IgnorePattern;
use crate::lexical_path;

/// An ordered list of exclusion patterns with `!` exceptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreMatcher {
    patterns: Vec<IgnorePattern>,
    origin: String,
}

impl IgnoreMatcher {
    /// A matcher that excludes nothing.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Builds a matcher from patterns as given on the command line or in `COPY --exclude`.
    /// `origin` names where they came from in error messages.
    pub fn new<S: AsRef<str>>(patterns: &[S], origin: &str) -> Result<Self, ContextError> {
        let mut compiled = Vec::with_capacity(patterns.len());
        for raw in patterns {
            let raw = raw.as_ref().trim();
            if raw.is_empty() {
                continue;
            }
            let (exclusion, body) = match raw.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, raw),
            };
            if exclusion && body.is_empty() {
                return Err(bad(raw, origin, "illegal exclusion pattern \"!\""));
            }
            let mut cleaned = lexical_path::clean(body);
            if cleaned.len() > 1 {
                if let Some(relative) = cleaned.strip_prefix('/') {
                    cleaned = relative.to_string();
                }
            }
            let pattern = IgnorePattern::compile(&cleaned, exclusion).map_err(|e| bad(raw, origin, e.0))?;
            compiled.push(pattern);
        }
        Ok(Self {
            patterns: compiled,
            origin: origin.to_string(),
        })
    }

    /// Parses the text of a .dockerignore file: a UTF-8 BOM is dropped, lines starting with `#`
    /// are comments, blank lines are skipped, the rest are patterns.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ContextError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Docker tests for `#` before trimming, so an indented `#` is a pattern, not a comment.
        let lines: Vec<&str> = text.lines().filter(|line| !line.starts_with('#')).collect();
        Self::new(&lines, origin)
    }

    /// Reads and parses an ignore file.
    pub fn from_file(path: &Path) -> Result<Self, ContextError> {
        let text = fs_err::read_to_string(path).map_err(|e| ContextError::io("reading ignore file", e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Where the patterns came from (a file path, or e.g. `COPY --exclude`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether there are no patterns at all.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `rel_path` (relative to the directory the patterns apply to) is excluded.
    ///
    /// Docker's syntax has no directory-only patterns (a trailing `/` is cleaned away), so `is_dir`
    /// does not change the answer; it is taken so call sites read the same for files and dirs.
    pub fn is_ignored(&self, rel_path: &Path, is_dir: bool) -> bool {
        let _ = is_dir;
        let path = lexical_path::clean(&rel_path.to_string_lossy());
        if path == "." || path.is_empty() || self.patterns.is_empty() {
            // Docker never excludes the root itself.
            return false;
        }
        let parents: Vec<&str> = parent_prefixes(&path);
        let mut matched = false;
        for pattern in &self.patterns {
            // An inclusion cannot change an already-excluded path, nor an exception an included one.
            if pattern.is_exclusion() != matched {
                continue;
            }
            let hit = pattern.matches(&path) || parents.iter().any(|parent| pattern.matches(parent));
            if hit {
                matched = !pattern.is_exclusion();
            }
        }
        matched
    }

    /// Whether an exception (`!pattern`) could re-include something below the excluded directory
    /// `rel_dir`, so a walker must descend into it instead of skipping it.
    pub fn may_include_below(&self, rel_dir: &Path) -> bool {
        let dir = lexical_path::clean(&rel_dir.to_string_lossy());
        self.patterns
            .iter()
            .any(|p| p.is_exclusion() && p.may_match_below(&dir))
    }
}

/// `a`, `a/b` for `a/b/c`: the parent directories MatchesOrParentMatches also tests.
fn parent_prefixes(path: &str) -> Vec<&str> {
    path.match_indices('/')
        .filter_map(|(at, _)| path.get(..at))
        .collect()
}

fn bad(pattern: &str, origin: &str, reason: &'static str) -> ContextError {
    ContextError::BadPattern {
        pattern: pattern.to_string(),
        origin: origin.to_string(),
        reason,
    }
}

/// The ignore file docker uses for a build: `<dockerfile>.dockerignore` if it exists (the
/// Dockerfile-specific ignore file), else `<root>/.dockerignore`, else none.
pub fn load(root: &Path, dockerfile: Option<&Path>) -> Result<IgnoreMatcher, ContextError> {
    if let Some(dockerfile) = dockerfile {
        let mut specific = dockerfile.as_os_str().to_owned();
        specific.push(".dockerignore");
        let specific = Path::new(&specific);
        if specific.is_file() {
            tracing::debug!(path = %specific.display(), "using Dockerfile-specific ignore file");
            return IgnoreMatcher::from_file(specific);
        }
    }
    let general = root.join(".dockerignore");
    if general.is_file() {
        tracing::debug!(path = %general.display(), "using .dockerignore");
        return IgnoreMatcher::from_file(&general);
    }
    Ok(IgnoreMatcher::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(text: &str) -> IgnoreMatcher {
        match IgnoreMatcher::parse(text, ".dockerignore") {
            Ok(m) => m,
            Err(e) => panic!("parse failed: {e}"),
        }
    }

    fn ignored(m: &IgnoreMatcher, path: &str) -> bool {
        m.is_ignored(Path::new(path), false)
    }

    #[test]
    fn docker_documentation_example() {
        // The example from the Dockerfile reference's .dockerignore section.
        let m = matcher("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
        assert!(ignored(&m, "somedir/temporary.txt"));
        assert!(ignored(&m, "somedir/temp"));
        assert!(ignored(&m, "somedir/subdir/temporary.txt"));
        assert!(ignored(&m, "tempa"));
        assert!(ignored(&m, "tempb"));
        assert!(!ignored(&m, "temporary.txt"));
        assert!(!ignored(&m, "a/b/c/temp"));
        assert!(!ignored(&m, "# comment"));
    }

    #[test]
    fn exceptions_last_match_wins() {
        // Reference: `*.md` then `!README*.md` keeps READMEs; adding `README-secret.md` after
        // the exception excludes that one again.
        let m = matcher("*.md\n!README*.md\nREADME-secret.md\n");
        assert!(ignored(&m, "CHANGES.md"));
        assert!(!ignored(&m, "README.md"));
        assert!(!ignored(&m, "README-public.md"));
        assert!(ignored(&m, "README-secret.md"));

        // With the order swapped the exception comes last and re-includes everything it matches.
        let m = matcher("*.md\nREADME-secret.md\n!README*.md\n");
        assert!(!ignored(&m, "README-secret.md"));
        assert!(ignored(&m, "CHANGES.md"));
    }

    #[test]
    fn double_star_crosses_directories() {
        let m = matcher("**/*.go\n");
        assert!(ignored(&m, "main.go"));
        assert!(ignored(&m, "cmd/tool/main.go"));
        assert!(!ignored(&m, "cmd/tool/main.rs"));
    }

    #[test]
    fn directory_pattern_excludes_contents_and_exception_reincludes() {
        let m = matcher("vendor\n!vendor/keep.txt\n");
        assert!(ignored(&m, "vendor"));
        assert!(ignored(&m, "vendor/a/b.txt"));
        assert!(!ignored(&m, "vendor/keep.txt"));
        assert!(m.may_include_below(Path::new("vendor")));
        assert!(!m.may_include_below(Path::new("other")));
    }

    #[test]
    fn exception_under_excluded_dir_with_wildcards() {
        let m = matcher("docs\n!docs/**/*.md\n");
        assert!(ignored(&m, "docs/img/logo.png"));
        assert!(!ignored(&m, "docs/guide/intro.md"));
        assert!(!ignored(&m, "docs/intro.md"));
        assert!(m.may_include_below(Path::new("docs/img")));
    }

    #[test]
    fn leading_slash_and_dot_slash_are_stripped_and_patterns_cleaned() {
        let m = matcher("/secret\n./build/\nlogs/../tmp\n");
        assert!(ignored(&m, "secret"));
        assert!(ignored(&m, "build/out.o"));
        assert!(ignored(&m, "tmp"));
        assert!(!ignored(&m, "logs"));
    }

    #[test]
    fn blank_lines_whitespace_and_bom() {
        let m = matcher("\u{feff}  foo  \n\n   \n!  foo/bar\n");
        assert!(ignored(&m, "foo"));
        assert!(!ignored(&m, "foo/bar"));
        // Only lines *starting* with `#` are comments.
        let m = matcher(" #notcomment\n");
        assert!(ignored(&m, "#notcomment"));
    }

    #[test]
    fn root_is_never_ignored_and_bang_alone_is_an_error() {
        let m = matcher("*\n");
        assert!(!m.is_ignored(Path::new("."), true));
        assert!(ignored(&m, "anything"));
        assert!(IgnoreMatcher::parse("!\n", ".dockerignore").is_err());
        assert!(IgnoreMatcher::parse("[\n", ".dockerignore").is_err());
    }

    #[test]
    fn classes_read_like_go_and_malformed_patterns_are_errors() {
        // The same engine as COPY sources: `[!a]` is the class of `!` and `a`, `^` negates.
        let m = matcher("[!a].txt\n[^x-z]?.md\n");
        assert!(ignored(&m, "!.txt"));
        assert!(ignored(&m, "a.txt"));
        assert!(!ignored(&m, "b.txt"));
        assert!(ignored(&m, "ab.md"));
        assert!(!ignored(&m, "xb.md"));
        for bad in ["[]\n", "a[\n", "[z-a]\n", "x\\\n", "!a[\n"] {
            assert!(
                IgnoreMatcher::parse(bad, ".dockerignore").is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn exclude_everything_but_some() {
        let m = matcher("*\n!src\n!Cargo.toml\n");
        assert!(ignored(&m, "target/debug/x"));
        assert!(!ignored(&m, "src/main.rs"));
        assert!(!ignored(&m, "Cargo.toml"));
        assert!(ignored(&m, ".git"));
    }
}
