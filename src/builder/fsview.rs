// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The filesystem a stage sees, reconstructed from layer tar headers alone.
//!
//! Stages without RUN never extract their base image: path resolution (symlinks in the base, whether a
//! destination is a directory), `--chown` names and COPY --from only need to know which entries exist
//! and which layer holds each one. Whiteouts and opaque directories are applied as the OCI image spec
//! describes, so the view equals what an extraction would produce.

use std::collections::BTreeMap;

use crate::lexical_path::clean_under_root;

/// What kind of filesystem object an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    File {
        size: u64,
    },
    Dir,
    Symlink(String),
    /// A hard link to another entry, named by its normalised path.
    HardLink(String),
    Char(u32, u32),
    Block(u32, u32),
    Fifo,
}

/// One entry of the view, with the index of the layer that last wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    /// Permission bits including setuid, setgid and sticky.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    pub layer: usize,
}

impl Node {
    pub fn dir(mode: u32, uid: u32, gid: u32, layer: usize) -> Self {
        Self {
            kind: NodeKind::Dir,
            mode,
            uid,
            gid,
            mtime: 0,
            layer,
        }
    }

    /// A regular file of `size` bytes, its content in layer `layer`.
    pub fn file(size: u64, mode: u32, uid: u32, gid: u32, layer: usize) -> Self {
        Self {
            kind: NodeKind::File { size },
            mode,
            uid,
            gid,
            mtime: 0,
            layer,
        }
    }

    pub fn is_dir(&self) -> bool {
        self.kind == NodeKind::Dir
    }
}

/// Why a path cannot be resolved in the view.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FsViewError {
    #[error("{0}: too many levels of symbolic links")]
    SymlinkLoop(String),
    #[error("{path}: {component:?} is not a directory")]
    NotADirectory { path: String, component: String },
}

/// Maximum symlink expansions during one resolution, as Linux allows (40) with headroom.
const MAX_LINKS: usize = 255;

/// A layered filesystem's namespace. Keys are normalised paths without a leading `/`; the root is `""`.
#[derive(Debug, Clone)]
pub struct FsView {
    nodes: BTreeMap<String, Node>,
}

impl Default for FsView {
    fn default() -> Self {
        Self::new()
    }
}

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

impl FsView {
    /// An empty filesystem: just the root directory.
    pub fn new() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(String::new(), Node::dir(0o755, 0, 0, 0));
        Self { nodes }
    }

    /// Looks a normalised path up without following symlinks.
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// Number of entries, the root included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// Applies one tar entry of layer `layer`, interpreting `.wh.` whiteouts and `.wh..wh..opq` markers.
    pub fn apply(&mut self, raw_path: &str, node: Node) {
        let path = clean_under_root(raw_path);
        let (dir, name) = match path.rsplit_once('/') {
            Some((d, n)) => (d.to_string(), n),
            None => (String::new(), path.as_str()),
        };
        if name == ".wh..wh..opq" {
            self.make_opaque(&dir, node.layer);
            return;
        }
        if let Some(hidden) = name.strip_prefix(".wh.") {
            self.remove(&join(&dir, hidden));
            return;
        }
        if path.is_empty() {
            // The root's own metadata: keep it a directory whatever the entry says.
            if node.is_dir() {
                self.nodes.insert(path, node);
            }
            return;
        }
        self.ensure_parents(&path, node.layer);
        if let Some(existing) = self.nodes.get(&path) {
            if existing.is_dir() && !node.is_dir() {
                self.remove(&path);
            }
        }
        self.nodes.insert(path, node);
    }

    /// Hides everything below `dir` that lower layers (index < `layer`) put there.
    pub fn make_opaque(&mut self, dir: &str, layer: usize) {
        let doomed: Vec<String> = self
            .descendants(dir)
            .filter(|(_, n)| n.layer < layer)
            .map(|(p, _)| p.to_string())
            .collect();
        for p in doomed {
            self.nodes.remove(&p);
        }
    }

    /// Removes an entry and everything below it.
    pub fn remove(&mut self, path: &str) {
        let doomed: Vec<String> = self.descendants(path).map(|(p, _)| p.to_string()).collect();
        for p in doomed {
            self.nodes.remove(&p);
        }
        if !path.is_empty() {
            self.nodes.remove(path);
        }
    }

    fn ensure_parents(&mut self, path: &str, layer: usize) {
        let mut dir = parent_of(path);
        let mut missing = Vec::new();
        while !dir.is_empty() && !self.nodes.contains_key(dir) {
            missing.push(dir.to_string());
            dir = parent_of(dir);
        }
        for d in missing {
            self.nodes.insert(d, Node::dir(0o755, 0, 0, layer));
        }
    }

    /// Every entry strictly below `dir`, in path order.
    pub fn descendants<'a>(&'a self, dir: &str) -> impl Iterator<Item = (&'a str, &'a Node)> + 'a {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let start = prefix.clone();
        self.nodes
            .range(start..)
            .take_while(move |(p, _)| p.starts_with(&prefix))
            .filter(|(p, _)| !p.is_empty())
            .map(|(p, n)| (p.as_str(), n))
    }

    /// The direct children of `dir`, in name order.
    pub fn children<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a str, &'a Node)> + 'a {
        let depth = if dir.is_empty() {
            0
        } else {
            dir.matches('/').count() + 1
        };
        self.descendants(dir)
            .filter(move |(p, _)| p.matches('/').count() == depth)
    }

    /// Resolves `path` (absolute or relative to the root) inside the view as a chroot would: symlinks
    /// in intermediate components are followed (absolute targets from the view's root, `..` clamped
    /// there), and the last component too when `follow_last` is set. Components that do not exist
    /// resolve lexically, so a destination that is yet to be created still gets a path.
    pub fn resolve(&self, path: &str, follow_last: bool) -> Result<String, FsViewError> {
        let mut pending: Vec<String> = normalize_keep_dots(path).into_iter().rev().collect();
        let mut resolved = String::new();
        let mut expansions = 0;
        while let Some(component) = pending.pop() {
            if component == ".." {
                resolved = parent_of(&resolved).to_string();
                continue;
            }
            let candidate = join(&resolved, &component);
            let is_last = pending.is_empty();
            match self.nodes.get(&candidate) {
                Some(Node {
                    kind: NodeKind::Symlink(target),
                    ..
                }) if !is_last || follow_last => {
                    expansions += 1;
                    if expansions > MAX_LINKS {
                        return Err(FsViewError::SymlinkLoop(path.to_string()));
                    }
                    if target.starts_with('/') {
                        resolved.clear();
                    }
                    for part in normalize_keep_dots(target).into_iter().rev() {
                        pending.push(part);
                    }
                }
                Some(node) if !is_last && !node.is_dir() && !matches!(node.kind, NodeKind::Symlink(_)) => {
                    return Err(FsViewError::NotADirectory {
                        path: path.to_string(),
                        component: candidate,
                    });
                }
                _ => resolved = candidate,
            }
        }
        Ok(resolved)
    }

    /// Follows hard links to the entry that holds the content.
    pub fn content_node<'a>(&'a self, path: &'a str) -> Option<(&'a str, &'a Node)> {
        let mut p = path;
        for _ in 0..MAX_LINKS {
            let n = self.nodes.get(p)?;
            match &n.kind {
                NodeKind::HardLink(t) => p = t.as_str(),
                _ => return Some((p, n)),
            }
        }
        None
    }
}

/// Splits a path into components keeping `..` (resolution needs them after symlink expansion).
fn normalize_keep_dots(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(layer: usize) -> Node {
        Node::file(1, 0o644, 0, 0, layer)
    }
    fn link(t: &str) -> Node {
        Node {
            kind: NodeKind::Symlink(t.into()),
            mode: 0o777,
            uid: 0,
            gid: 0,
            mtime: 0,
            layer: 0,
        }
    }

    #[test]
    fn whiteouts_and_opaque_dirs() {
        let mut v = FsView::new();
        v.apply("./etc/", Node::dir(0o755, 0, 0, 0));
        v.apply("etc/a", file(0));
        v.apply("etc/b", file(0));
        v.apply("etc/sub/c", file(0));
        v.apply("etc/.wh.a", file(1));
        assert!(v.get("etc/a").is_none());
        assert!(v.get("etc/b").is_some());
        v.apply("etc/new", file(2));
        v.apply("etc/.wh..wh..opq", file(2));
        assert!(v.get("etc/b").is_none());
        assert!(v.get("etc/sub/c").is_none());
        assert!(
            v.get("etc/new").is_some(),
            "same-layer entries survive the opaque marker"
        );
        assert!(v.get("etc").is_some());
    }

    #[test]
    fn replacing_a_dir_with_a_file_drops_its_children() {
        let mut v = FsView::new();
        v.apply("d/x", file(0));
        v.apply("d", file(1));
        assert!(v.get("d/x").is_none());
        assert_eq!(v.get("d").map(|n| n.is_dir()), Some(false));
    }

    #[test]
    fn resolves_symlinks_like_a_chroot() {
        let mut v = FsView::new();
        v.apply("run", Node::dir(0o755, 0, 0, 0));
        v.apply("var/run", link("/run"));
        v.apply("var/lock", link("../run/lock"));
        v.apply("bin/sh", link("busybox"));
        v.apply("escape", link("../../../../etc"));
        assert_eq!(v.resolve("/var/run/x", true).unwrap(), "run/x");
        assert_eq!(v.resolve("/var/run", false).unwrap(), "var/run");
        assert_eq!(v.resolve("/var/lock/f", true).unwrap(), "run/lock/f");
        assert_eq!(v.resolve("/bin/sh", true).unwrap(), "bin/busybox");
        assert_eq!(v.resolve("/escape/passwd", true).unwrap(), "etc/passwd");
    }

    #[test]
    fn symlink_loops_are_errors_not_hangs() {
        let mut v = FsView::new();
        v.apply("a", link("b"));
        v.apply("b", link("a"));
        assert!(matches!(
            v.resolve("/a/x", true),
            Err(FsViewError::SymlinkLoop(_))
        ));
    }

    #[test]
    fn children_lists_one_level() {
        let mut v = FsView::new();
        v.apply("a/b/c", file(0));
        v.apply("a/d", file(0));
        v.apply("a.txt", file(0));
        let kids: Vec<&str> = v.children("a").map(|(p, _)| p).collect();
        assert_eq!(kids, ["a/b", "a/d"]);
        let top: Vec<&str> = v.children("").map(|(p, _)| p).collect();
        assert_eq!(top, ["a", "a.txt"]);
    }
}
