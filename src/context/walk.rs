// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Walking a COPY/ADD source: every entry at and below it, depth-first in byte order of names so
//! layers are deterministic, skipping what the ignore file and `--exclude` patterns exclude.
//!
//! An excluded directory is still entered when an exception (`!pattern`) could re-include
//! something below it; the directory itself is then yielded just before its first surviving
//! descendant, so the layer has a parent for it. Files sharing a (device, inode) with one already
//! yielded come out with `hard_link_to` set.

use std::collections::{HashMap, VecDeque};
use std::ffi::OsString;

use super::entry::{ContextEntry, EntryKind};
use super::error::ContextError;
use super::ignore::IgnoreMatcher;
use super::sources::sorted_names;

/// Iterator over a source and everything below it. See [`super::BuildContext::walk`].
pub struct Walk<'a> {
    ignore: &'a IgnoreMatcher,
    excludes: &'a IgnoreMatcher,
    start: Option<ContextEntry>,
    stack: Vec<Frame>,
    ready: VecDeque<Result<ContextEntry, ContextError>>,
    seen_inodes: HashMap<(u64, u64), std::path::PathBuf>,
}

struct Frame {
    dir: ContextEntry,
    names: std::vec::IntoIter<OsString>,
    /// The directory itself, while excluded and not yet yielded.
    pending: Option<ContextEntry>,
}

impl<'a> Walk<'a> {
    pub(crate) fn new(start: ContextEntry, ignore: &'a IgnoreMatcher, excludes: &'a IgnoreMatcher) -> Self {
        Self {
            ignore,
            excludes,
            start: Some(start),
            stack: Vec::new(),
            ready: VecDeque::new(),
            seen_inodes: HashMap::new(),
        }
    }

    /// Which of the two pattern lists exclude `entry`: (by the ignore file, by --exclude).
    fn exclusion(&self, entry: &ContextEntry) -> (bool, bool) {
        let is_dir = entry.is_dir();
        let by_ignore =
            !entry.rel_path.as_os_str().is_empty() && self.ignore.is_ignored(&entry.rel_path, is_dir);
        let by_exclude = !entry.exclude_rel_path.as_os_str().is_empty()
            && self.excludes.is_ignored(&entry.exclude_rel_path, is_dir);
        (by_ignore, by_exclude)
    }

    fn visit(&mut self, entry: ContextEntry) {
        let (by_ignore, by_exclude) = self.exclusion(&entry);
        let excluded = by_ignore || by_exclude;
        if !entry.is_dir() {
            if !excluded {
                self.emit(entry);
            }
            return;
        }
        if excluded {
            let reachable = (!by_ignore || self.ignore.may_include_below(&entry.rel_path))
                && (!by_exclude || self.excludes.may_include_below(&entry.exclude_rel_path));
            if !reachable {
                return;
            }
        }
        let names = match sorted_names(&entry.abs_path) {
            Ok(names) => names,
            Err(e) => {
                self.ready.push_back(Err(e));
                return;
            }
        };
        let pending = if excluded {
            Some(entry.clone())
        } else {
            self.emit(entry.clone());
            None
        };
        self.stack.push(Frame {
            dir: entry,
            names: names.into_iter(),
            pending,
        });
    }

    fn emit(&mut self, mut entry: ContextEntry) {
        for frame in &mut self.stack {
            if let Some(dir) = frame.pending.take() {
                self.ready.push_back(Ok(dir));
            }
        }
        let meta = &entry.metadata;
        if meta.kind == EntryKind::File && meta.nlink > 1 {
            let key = (meta.dev, meta.ino);
            match self.seen_inodes.get(&key) {
                Some(first) => entry.hard_link_to = Some(first.clone()),
                None => {
                    self.seen_inodes.insert(key, entry.rel_path.clone());
                }
            }
        }
        self.ready.push_back(Ok(entry));
    }
}

impl Iterator for Walk<'_> {
    type Item = Result<ContextEntry, ContextError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if let Some(start) = self.start.take() {
                self.visit(start);
                continue;
            }
            let frame = self.stack.last_mut()?;
            let Some(name) = frame.names.next() else {
                self.stack.pop();
                continue;
            };
            let dir = &frame.dir;
            let child =
                ContextEntry::read(dir.abs_path.join(&name), dir.rel_path.join(&name)).map(|mut child| {
                    child.source_rel_path = dir.source_rel_path.join(&name);
                    child.exclude_rel_path = dir.exclude_rel_path.join(&name);
                    child
                });
            match child {
                Ok(child) => self.visit(child),
                Err(e) => self.ready.push_back(Err(e)),
            }
        }
    }
}
