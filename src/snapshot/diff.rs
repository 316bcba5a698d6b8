// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The difference between two recorded states of a tree: what a RUN layer must contain.
//!
//! Both trees hold sorted directories, so the diff is one merge walk with no lookups and no
//! sorting; it allocates only for what changed. The result follows the layer conventions Docker
//! and kaniko use: changed entries come with every ancestor directory (parents first), a deleted
//! tree is one whiteout, and a directory that was replaced (another inode, or a reused inode number
//! with a newer creation time) is opaque and carried
//! whole, so nothing of its lower content can leak through.

use std::cmp::Ordering;
use std::path::PathBuf;

use super::scan::{FileKind, Node, SnapshotMode, Tree};

/// What changed between two states, as layer entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Added or changed entries and all their ancestor directories, parents before children.
    pub upserts: Vec<PathBuf>,
    /// Entries gone from the tree; only the topmost path of a deleted subtree.
    pub deletions: Vec<PathBuf>,
    /// Directories (also in `upserts`) whose lower content is hidden by an opaque marker.
    pub opaque_dirs: Vec<PathBuf>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.deletions.is_empty() && self.opaque_dirs.is_empty()
    }
}

/// Compares `old` with `new` by the fields `mode` looks at.
pub fn diff(old: &Tree, new: &Tree, mode: SnapshotMode) -> Changes {
    let mut walk = Walk {
        mode,
        path: PathBuf::new(),
        out: Changes::default(),
    };
    walk.children(&old.children, &new.children);
    walk.out
}

struct Walk {
    mode: SnapshotMode,
    /// The directory being compared (relative).
    path: PathBuf,
    out: Changes,
}

impl Walk {
    /// Merges two sorted child lists; returns whether anything below was upserted.
    fn children(&mut self, old: &[Node], new: &[Node]) -> bool {
        let mut any = false;
        let (mut old_it, mut new_it) = (old.iter().peekable(), new.iter().peekable());
        loop {
            let order = match (old_it.peek(), new_it.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(o), Some(n)) => o.name.cmp(&n.name),
            };
            match order {
                Ordering::Less => {
                    if let Some(o) = old_it.next() {
                        self.out.deletions.push(self.path.join(&o.name));
                    }
                }
                Ordering::Greater => {
                    if let Some(n) = new_it.next() {
                        self.add_subtree(n);
                        any = true;
                    }
                }
                Ordering::Equal => {
                    if let (Some(o), Some(n)) = (old_it.next(), new_it.next()) {
                        any |= self.compare(o, n);
                    }
                }
            }
        }
        any
    }

    /// Compares an entry present in both states; returns whether it (or anything below) was upserted.
    fn compare(&mut self, old: &Node, new: &Node) -> bool {
        self.path.push(&new.name);
        let upserted = if old.stat.kind != new.stat.kind {
            // A type change replaces the entry whole: a new directory brings all its content, a
            // non-directory replacing a directory needs nothing else (it removes the tree).
            self.upsert_here_and_below(new);
            true
        } else if new.stat.kind != FileKind::Dir {
            let changed = new.stat.changed_from(&old.stat, self.mode);
            if changed {
                self.out.upserts.push(self.path.clone());
            }
            changed
        } else if new.stat.recreated_from(&old.stat) && !new.holds_excluded {
            // Replaced (rm -rf d && mkdir d): hide everything it held and carry what it holds now.
            self.out.upserts.push(self.path.clone());
            self.out.opaque_dirs.push(self.path.clone());
            for child in &new.children {
                self.add_subtree(child);
            }
            true
        } else {
            // Reserve the directory's slot so it precedes its children; drop it if nothing changed.
            let slot = self.out.upserts.len();
            self.out.upserts.push(PathBuf::new());
            let below = self.children(&old.children, &new.children);
            if below || new.stat.changed_from(&old.stat, self.mode) {
                if let Some(s) = self.out.upserts.get_mut(slot) {
                    s.clone_from(&self.path);
                }
                true
            } else {
                // Nothing below was pushed (else `below` would be true): only the slot goes.
                self.out.upserts.truncate(slot);
                false
            }
        };
        self.path.pop();
        upserted
    }

    fn add_subtree(&mut self, node: &Node) {
        self.path.push(&node.name);
        self.upsert_here_and_below(node);
        self.path.pop();
    }

    /// Upserts `self.path` (which names `node`) and everything below it.
    fn upsert_here_and_below(&mut self, node: &Node) {
        self.out.upserts.push(self.path.clone());
        for child in &node.children {
            self.add_subtree(child);
        }
    }
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
