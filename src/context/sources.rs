// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Resolving a COPY/ADD source (a path or a `filepath.Match` wildcard, relative to the context
//! root) to the context entries it names, in sorted order, minus what the ignore file excludes.
//! A wildcard may match nothing (docker's builders accept it); the COPY itself decides whether an
//! instruction with no file at all is an error.
//! Wildcards expand through [`SourcePattern::expand`], the walk `COPY --from` uses too.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::entry::ContextEntry;
use super::error::ContextError;
use super::ignore::IgnoreMatcher;
use super::pattern::{ListedChild, SourcePattern};
use super::scope;

/// See [`super::BuildContext::resolve_sources`].
pub fn resolve(root: &Path, ignore: &IgnoreMatcher, source: &str) -> Result<Vec<ContextEntry>, ContextError> {
    let outside = || ContextError::OutsideContext {
        path: source.to_string(),
    };
    let cleaned = crate::lexical_path::clean_within_root(source).ok_or_else(outside)?;
    let pattern = SourcePattern::parse(&cleaned).map_err(|e| ContextError::BadPattern {
        pattern: source.to_string(),
        origin: "COPY/ADD source".to_string(),
        reason: e.0,
    })?;
    if !pattern.is_wildcard() {
        return resolve_literal(root, ignore, source, pattern.base()).map(|entry| vec![entry]);
    }

    let base = PathBuf::from(pattern.base());
    // The literal directory is resolved like any path (its symlinks followed inside the context);
    // below it the walk lists real directories only.
    let base_abs = scope::resolve(root, &base, true)?;
    let matched =
        pattern.expand(|dir: &[OsString]| list_children(&base_abs.join(dir.iter().collect::<PathBuf>())))?;

    let mut entries = Vec::new();
    for components in matched {
        let rel = base.join(components.iter().collect::<PathBuf>());
        let abs = scope::resolve(root, &rel, false)?;
        let mut entry = ContextEntry::read(abs, rel.clone())?;
        if is_excluded(ignore, &entry) {
            continue;
        }
        // BuildKit matches --exclude for a wildcard source relative to the wildcard's directory.
        entry.exclude_rel_path = rel.file_name().map(PathBuf::from).unwrap_or_default();
        entries.push(entry);
    }
    entries.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    Ok(entries)
}

/// A directory's children for [`SourcePattern::expand`], by `lstat` (a symlink is not walked).
fn list_children(dir: &Path) -> Result<Vec<ListedChild<OsString>>, ContextError> {
    let mut children = Vec::new();
    for name in sorted_names(dir)? {
        let is_dir = fs_err::symlink_metadata(dir.join(&name))
            .map_err(|e| ContextError::io("listing the build context", e))?
            .is_dir();
        children.push(ListedChild { name, is_dir });
    }
    Ok(children)
}

fn resolve_literal(
    root: &Path,
    ignore: &IgnoreMatcher,
    source: &str,
    literal: &str,
) -> Result<ContextEntry, ContextError> {
    let rel = PathBuf::from(literal);
    let abs = scope::resolve(root, &rel, false)?;
    if std::fs::symlink_metadata(&abs).is_err() {
        return Err(ContextError::SourceNotFound {
            path: source.to_string(),
        });
    }
    let entry = ContextEntry::read(abs, rel)?;
    if is_excluded(ignore, &entry) {
        return Err(ContextError::SourceIgnored {
            path: source.to_string(),
            ignore_file: ignore.origin().to_string(),
        });
    }
    Ok(entry)
}

/// Excluded and nothing below it can be re-included by an exception.
fn is_excluded(ignore: &IgnoreMatcher, entry: &ContextEntry) -> bool {
    ignore.is_ignored(&entry.rel_path, entry.is_dir())
        && !(entry.is_dir() && ignore.may_include_below(&entry.rel_path))
}

/// Names in a directory in byte order; a path that is not a directory has none.
pub(crate) fn sorted_names(dir: &Path) -> Result<Vec<std::ffi::OsString>, ContextError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for item in fs_err::read_dir(dir).map_err(|e| ContextError::io("listing the build context", e))? {
        let item = item.map_err(|e| ContextError::io(format!("listing {}", dir.display()), e))?;
        names.push(item.file_name());
    }
    names.sort();
    Ok(names)
}
