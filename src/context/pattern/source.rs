// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A COPY/ADD source pattern and the walk that expands it over a tree, the build context on disk
//! or another stage's filesystem alike: both go through [`SourcePattern::expand`], so one pattern
//! names the same files wherever it copies from.
//!
//! Docker splits a source at its first component holding a wildcard. The literal directory before
//! it is resolved like any path (its symlinks followed, inside the root); below it, the tree is
//! walked without following symlinks and each relative path is matched whole with
//! `filepath.Match`, as BuildKit's `resolveWildcards` and the legacy builder's `copyWithWildcards`
//! do (which is why a class such as `[^x]` can match a `/`). A matched directory is taken whole
//! and not walked further (BuildKit's `SkipDir`); a directory the pattern cannot reach is not
//! walked at all.

use std::borrow::Cow;
use std::ffi::OsString;

use super::{contains_wildcards, unescape, BadPattern, Wildcard};

/// A COPY/ADD source, split where its wildcards start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePattern {
    base: String,
    wildcard: Option<Wildcard>,
}

/// One entry of a directory listing handed to [`SourcePattern::expand`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedChild<N> {
    pub name: N,
    /// A real directory; a symlink to one is not, since the walk does not follow links.
    pub is_dir: bool,
}

/// A file name as a tree stores it: text in an image's filesystem view, OS bytes on disk. Matched
/// as text (lossily for names that are not UTF-8), handed back as it was.
pub trait ChildName: Clone {
    fn text(&self) -> Cow<'_, str>;
}

impl ChildName for String {
    fn text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ChildName for OsString {
    fn text(&self) -> Cow<'_, str> {
        self.to_string_lossy()
    }
}

impl SourcePattern {
    /// Parses a source already cleaned and made relative to its root (`""` is the root).
    pub fn parse(cleaned: &str) -> Result<Self, BadPattern> {
        let components: Vec<&str> = cleaned.split('/').filter(|c| !c.is_empty()).collect();
        let first_wildcard = components
            .iter()
            .position(|c| contains_wildcards(c))
            .unwrap_or(components.len());
        let (literal, rest) = components.split_at(first_wildcard);
        let base = literal.iter().map(|c| unescape(c)).collect::<Vec<_>>().join("/");
        let wildcard = match rest {
            [] => None,
            _ => Some(Wildcard::new(&rest.join("/"))?),
        };
        Ok(Self { base, wildcard })
    }

    /// The literal part, escapes removed: the whole path of a source without wildcards, else the
    /// directory the wildcard part is matched below (`""` for the root).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether the source has wildcards (else [`SourcePattern::base`] is the path it names).
    pub fn is_wildcard(&self) -> bool {
        self.wildcard.is_some()
    }

    /// The paths below the base that the wildcard part matches, as components relative to the
    /// base, in byte order of names, depth first. `list` gives the children of a directory given
    /// by its components relative to the base (none: the base itself). A source without wildcards
    /// matches nothing here.
    pub fn expand<N: ChildName, E>(
        &self,
        mut list: impl FnMut(&[N]) -> Result<Vec<ListedChild<N>>, E>,
    ) -> Result<Vec<Vec<N>>, E> {
        let mut out = Vec::new();
        if let Some(wildcard) = &self.wildcard {
            expand_below(wildcard, &mut Vec::new(), "", &mut list, &mut out)?;
        }
        Ok(out)
    }
}

fn expand_below<N: ChildName, E>(
    wildcard: &Wildcard,
    dir: &mut Vec<N>,
    dir_text: &str,
    list: &mut impl FnMut(&[N]) -> Result<Vec<ListedChild<N>>, E>,
    out: &mut Vec<Vec<N>>,
) -> Result<(), E> {
    let mut children = list(dir)?;
    children.sort_by(|a, b| a.name.text().cmp(&b.name.text()));
    for child in children {
        let rel = if dir_text.is_empty() {
            child.name.text().into_owned()
        } else {
            format!("{dir_text}/{}", child.name.text())
        };
        dir.push(child.name);
        if wildcard.matches(&rel) {
            out.push(dir.clone());
        } else if child.is_dir && wildcard.may_match_below(&rel) {
            // Recursion depth is bounded by the pattern: each level needs a token that takes `/`.
            expand_below(wildcard, dir, &rel, list, out)?;
        }
        dir.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A tree as a list of paths; a path with children is a directory.
    fn tree(paths: &[&str]) -> BTreeMap<String, Vec<ListedChild<String>>> {
        let mut dirs: BTreeMap<String, Vec<ListedChild<String>>> = BTreeMap::new();
        for path in paths {
            let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
            let is_dir = paths.iter().any(|p| p.starts_with(&format!("{path}/")));
            dirs.entry(parent.to_string()).or_default().push(ListedChild {
                name: name.to_string(),
                is_dir,
            });
        }
        dirs
    }

    fn expand(pattern: &str, paths: &[&str]) -> Vec<String> {
        let dirs = tree(paths);
        let parsed = SourcePattern::parse(pattern).map_err(|e| e.0);
        let Ok(parsed) = parsed else {
            return vec![format!("bad pattern {pattern:?}")];
        };
        let base = parsed.base().to_string();
        let listed = parsed.expand(|dir: &[String]| {
            let full: Vec<&str> = std::iter::once(base.as_str())
                .filter(|b| !b.is_empty())
                .chain(dir.iter().map(String::as_str))
                .collect();
            Ok::<_, ()>(dirs.get(&full.join("/")).cloned().unwrap_or_default())
        });
        listed.unwrap_or_default().iter().map(|c| c.join("/")).collect()
    }

    const TREE: &[&str] = &[
        "a.txt",
        "b.txt",
        "dir",
        "dir/one",
        "dir/one/a1.txt",
        "dir/one/d1.txt",
        "dir/two",
        "dir/two/c3.txt",
        "dir/two/sub",
        "dir/two/sub/a4.txt",
        "dir/three.txt",
    ];

    #[test]
    fn splits_at_the_first_wildcard_component() {
        let p = SourcePattern::parse("dir/\\*lit/*/x").map_err(|e| e.0);
        assert_eq!(p.as_ref().map(SourcePattern::base), Ok("dir/*lit"));
        assert_eq!(p.as_ref().map(SourcePattern::is_wildcard), Ok(true));
        let p = SourcePattern::parse("plain/fi\\[le").map_err(|e| e.0);
        assert_eq!(p.as_ref().map(SourcePattern::base), Ok("plain/fi[le"));
        assert_eq!(p.map(|p| p.is_wildcard()), Ok(false));
        assert!(SourcePattern::parse("dir/[").is_err());
    }

    #[test]
    fn expands_multi_level_patterns_and_takes_matched_directories_whole() {
        // Relative to the literal base `dir`.
        assert_eq!(expand("dir/*/[a-c]?.txt", TREE), ["one/a1.txt", "two/c3.txt"]);
        assert_eq!(expand("*.txt", TREE), ["a.txt", "b.txt"]);
        // `dir/t*` matches the directory `two` (taken whole, not walked) and the file.
        assert_eq!(expand("dir/t*", TREE), ["three.txt", "two"]);
        assert_eq!(expand("*/*/sub", TREE), ["dir/two/sub"]);
        // A class crosses a `/`, as Go's Match lets it.
        assert_eq!(expand("dir[^x]one/a*", TREE), ["dir/one/a1.txt"]);
        assert!(expand("dir/*/none*", TREE).is_empty());
    }

    #[test]
    fn walks_only_directories_the_pattern_can_reach() {
        let dirs = tree(TREE);
        let mut listed = Vec::new();
        let parsed = SourcePattern::parse("d*/one/*.txt").map_err(|e| e.0);
        let found = parsed.map(|p| {
            p.expand(|dir: &[String]| {
                listed.push(dir.join("/"));
                Ok::<_, ()>(dirs.get(&dir.join("/")).cloned().unwrap_or_default())
            })
            .map(|found| found.iter().map(|c| c.join("/")).collect::<Vec<_>>())
        });
        assert_eq!(
            found,
            Ok(Ok(vec![
                "dir/one/a1.txt".to_string(),
                "dir/one/d1.txt".to_string()
            ]))
        );
        assert_eq!(listed, ["", "dir", "dir/one"]);
    }
}
