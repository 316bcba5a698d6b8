// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Where COPY and ADD put things: docker build's destination rules applied to a stage's filesystem
//! view, producing the exact list of entries the new layer holds.
//!
//! The rules (BuildKit's, which `docker build` uses):
//! - a relative destination is relative to WORKDIR;
//! - a source directory's *contents* are copied into the destination, which becomes a directory;
//! - a file goes *into* the destination when it ends with `/` or already is a directory (after
//!   following symlinks in the base filesystem); otherwise the destination is the file's new name;
//! - several sources need a destination ending with `/`, as the Dockerfile reference says and
//!   docker's legacy builder and kaniko enforce; like them, sources are counted after wildcards
//!   expand, so a wildcard matching nothing counts for none (`COPY f nomatch* /dst` makes a file);
//! - an instruction whose sources all expand to nothing fails, with the legacy builder's message
//!   (BuildKit accepts it and copies nothing: see docs/design-decisions.md);
//! - missing parent directories are created (0755, owned by the --chown user or root);
//! - --chown sets owner of everything copied; --chmod sets the mode of everything but symlinks;
//!   without --chown, context files are root-owned and files from another stage keep their owner;
//! - symlinks inside a copied directory are copied as symlinks (a source that is itself a symlink
//!   was already followed by the caller), hard links within one source stay hard links.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::fsview::{FsView, FsViewError, Node, NodeKind};
use crate::lexical_path::clean_under_root;

/// Where the bytes of a copied regular file come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A file on local disk (build context, extracted archive, downloaded URL).
    Disk(PathBuf),
    /// A regular file stored in layer `layer` of another stage or image, at `path`.
    Layer { layer: usize, path: String },
    /// Not a regular file.
    None,
}

/// What a source entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    File {
        size: u64,
    },
    Dir,
    Symlink(String),
    /// A hard link to another entry of the same source, named by its `rel`.
    HardLink(String),
    Fifo,
    Char(u32, u32),
    Block(u32, u32),
}

/// One entry below a matched source (the source itself has `rel == ""`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEntry {
    pub rel: String,
    pub kind: SourceKind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    pub content: Content,
    /// Extended attributes (from a tar's `SCHILY.xattr.*` records; ADD keeps them like docker).
    pub xattrs: BTreeMap<String, Vec<u8>>,
}

/// A matched COPY/ADD source: its base name and its entries, the source itself first, parents
/// before children.
#[derive(Debug, Clone)]
pub struct SourceMatch {
    pub name: String,
    pub entries: Vec<SourceEntry>,
}

/// Options of one COPY/ADD.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    pub chown: Option<(u32, u32)>,
    pub chmod: Option<u32>,
    /// mtime of directories this copy creates.
    pub created_mtime: u64,
    /// --link: the destination is not resolved through the base filesystem's symlinks.
    pub link: bool,
}

/// One entry of the new layer, at its final path in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEntry {
    pub path: String,
    pub kind: SourceKind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    pub content: Content,
    pub xattrs: BTreeMap<String, Vec<u8>>,
}

impl PlannedEntry {
    /// The node this entry leaves in a filesystem view, as part of layer `layer`.
    pub fn node(&self, layer: usize) -> Node {
        let kind = match &self.kind {
            SourceKind::File { size } => NodeKind::File { size: *size },
            SourceKind::Dir => NodeKind::Dir,
            SourceKind::Symlink(t) => NodeKind::Symlink(t.clone()),
            SourceKind::HardLink(t) => NodeKind::HardLink(t.clone()),
            SourceKind::Fifo => NodeKind::Fifo,
            SourceKind::Char(a, b) => NodeKind::Char(*a, *b),
            SourceKind::Block(a, b) => NodeKind::Block(*a, *b),
        };
        Node {
            kind,
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
            mtime: self.mtime,
            layer,
        }
    }
}

/// Why a copy cannot be planned.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CopyPlanError {
    #[error("cannot copy to {dest:?}: {existing:?} exists and is not a directory")]
    NotADirectory { dest: String, existing: String },
    #[error("when using COPY or ADD with more than one source file, the destination must be a directory and end with a /: {dest:?}")]
    SeveralSourcesNeedDirectory { dest: String },
    #[error("no source files were specified: every source is a wildcard that matches no file")]
    NoSourceFiles,
    #[error(transparent)]
    Resolve(#[from] FsViewError),
}

/// Plans a COPY/ADD of `matches` (the sources after wildcards expanded, one per matched path) to
/// `dest` (already expanded; absolute, or relative to `workdir`). Planned directories already
/// present in `view` are not repeated.
pub fn plan_copy(
    view: &FsView,
    workdir: &str,
    dest: &str,
    matches: &[SourceMatch],
    opts: &CopyOptions,
) -> Result<Vec<PlannedEntry>, CopyPlanError> {
    if matches.is_empty() {
        return Err(CopyPlanError::NoSourceFiles);
    }
    let several = matches.len() > 1;
    let absolute = if dest.starts_with('/') {
        dest.to_string()
    } else {
        format!("{workdir}/{dest}")
    };
    let dir_syntax = dest.ends_with('/') || dest.ends_with("/.") || dest == "." || dest.is_empty();
    if several && !dir_syntax {
        return Err(CopyPlanError::SeveralSourcesNeedDirectory {
            dest: dest.to_string(),
        });
    }
    let dest_norm = clean_under_root(&absolute);
    // With --link the layer is independent of what it lands on: nothing of the base is consulted.
    let empty = FsView::new();
    let view = if opts.link { &empty } else { view };
    let mut planner = Planner {
        view,
        opts,
        out: Vec::new(),
        created: BTreeMap::new(),
        dest: dest.to_string(),
    };
    let resolve = |path: &str, follow: bool| -> Result<String, CopyPlanError> {
        if opts.link {
            Ok(clean_under_root(path))
        } else {
            Ok(view.resolve(path, follow)?)
        }
    };
    let dest_is_dir = dir_syntax || view.get(&resolve(&dest_norm, true)?).is_some_and(Node::is_dir);
    for m in matches {
        let Some(root) = m.entries.first() else { continue };
        if root.kind == SourceKind::Dir {
            let dir = resolve(&dest_norm, true)?;
            planner.ensure_dir(&dir, Some(root))?;
            planner.emit_tree(&dir, &m.entries[1..]);
        } else {
            let path = if dest_is_dir {
                let dir = resolve(&dest_norm, true)?;
                planner.ensure_dir(&dir, None)?;
                join(&dir, &m.name)
            } else {
                let (parent, name) = split(&dest_norm);
                let dir = resolve(parent, true)?;
                planner.ensure_dir(&dir, None)?;
                join(&dir, name)
            };
            planner.emit(&path, root, &BTreeMap::new());
        }
    }
    Ok(planner.out)
}

struct Planner<'a> {
    view: &'a FsView,
    opts: &'a CopyOptions,
    out: Vec<PlannedEntry>,
    /// Directories planned by this copy (so they are emitted once).
    created: BTreeMap<String, ()>,
    dest: String,
}

impl Planner<'_> {
    fn owner(&self, entry: Option<&SourceEntry>) -> (u32, u32) {
        self.opts
            .chown
            .unwrap_or_else(|| entry.map(|e| (e.uid, e.gid)).unwrap_or((0, 0)))
    }

    /// Makes sure `dir` exists as a directory, planning it and its missing parents. `like` gives the
    /// metadata for `dir` itself when a source directory is copied onto it.
    fn ensure_dir(&mut self, dir: &str, like: Option<&SourceEntry>) -> Result<(), CopyPlanError> {
        if dir.is_empty() || self.created.contains_key(dir) {
            return Ok(());
        }
        match self.view.get(dir) {
            Some(n) if n.is_dir() => return Ok(()),
            Some(_) => {
                return Err(CopyPlanError::NotADirectory {
                    dest: self.dest.clone(),
                    existing: format!("/{dir}"),
                })
            }
            None => {}
        }
        let (parent, _) = split(dir);
        self.ensure_dir(parent, None)?;
        let (uid, gid) = self.owner(like);
        let mode = match like {
            Some(e) => self.opts.chmod.unwrap_or(e.mode),
            None => 0o755,
        };
        let mtime = like.map(|e| e.mtime).unwrap_or(self.opts.created_mtime);
        self.created.insert(dir.to_string(), ());
        self.out.push(PlannedEntry {
            path: dir.to_string(),
            kind: SourceKind::Dir,
            mode,
            uid,
            gid,
            mtime,
            content: Content::None,
            xattrs: BTreeMap::new(),
        });
        Ok(())
    }

    fn emit_tree(&mut self, dir: &str, entries: &[SourceEntry]) {
        let mut mapped = BTreeMap::new();
        for e in entries {
            let path = join(dir, &e.rel);
            mapped.insert(e.rel.clone(), path.clone());
            self.emit(&path, e, &mapped);
        }
    }

    fn emit(&mut self, path: &str, e: &SourceEntry, mapped: &BTreeMap<String, String>) {
        let (uid, gid) = self.owner(Some(e));
        let kind = match &e.kind {
            SourceKind::HardLink(target) => match mapped.get(target) {
                Some(t) => SourceKind::HardLink(t.clone()),
                None => SourceKind::HardLink(target.clone()),
            },
            k => k.clone(),
        };
        let mode = match kind {
            SourceKind::Symlink(_) => 0o777,
            _ => self.opts.chmod.unwrap_or(e.mode),
        };
        if kind == SourceKind::Dir {
            self.created.insert(path.to_string(), ());
        }
        self.out.push(PlannedEntry {
            path: path.to_string(),
            kind,
            mode,
            uid,
            gid,
            mtime: e.mtime,
            content: e.content.clone(),
            xattrs: e.xattrs.clone(),
        });
    }
}

fn join(dir: &str, name: &str) -> String {
    match (dir.is_empty(), name.is_empty()) {
        (_, true) => dir.to_string(),
        (true, false) => name.to_string(),
        _ => format!("{dir}/{name}"),
    }
}

fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str) -> SourceEntry {
        SourceEntry {
            rel: rel.into(),
            kind: SourceKind::File { size: 3 },
            mode: 0o644,
            uid: 1000,
            gid: 1000,
            mtime: 5,
            content: Content::Disk(PathBuf::from(format!("/ctx/{rel}"))),
            xattrs: BTreeMap::new(),
        }
    }
    fn dir(rel: &str) -> SourceEntry {
        SourceEntry {
            kind: SourceKind::Dir,
            mode: 0o750,
            content: Content::None,
            ..file(rel)
        }
    }
    fn one(name: &str, entries: Vec<SourceEntry>) -> Vec<SourceMatch> {
        vec![SourceMatch {
            name: name.into(),
            entries,
        }]
    }
    fn paths(p: &[PlannedEntry]) -> Vec<&str> {
        p.iter().map(|e| e.path.as_str()).collect()
    }
    fn base() -> FsView {
        let mut v = FsView::new();
        v.apply("opt/real", Node::dir(0o755, 0, 0, 0));
        v.apply(
            "app",
            Node {
                kind: NodeKind::Symlink("/opt/real".into()),
                mode: 0o777,
                uid: 0,
                gid: 0,
                mtime: 0,
                layer: 0,
            },
        );
        v.apply("etc/hosts", Node::file(1, 0o644, 0, 0, 0));
        v
    }

    #[test]
    fn file_to_new_name_and_into_dir() {
        let v = base();
        let o = CopyOptions::default();
        let p = plan_copy(&v, "/", "/usr/bin/tool", &one("t", vec![file("")]), &o).unwrap();
        assert_eq!(paths(&p), ["usr", "usr/bin", "usr/bin/tool"]);
        let p = plan_copy(&v, "/", "/usr/bin/", &one("t", vec![file("")]), &o).unwrap();
        assert_eq!(paths(&p), ["usr", "usr/bin", "usr/bin/t"]);
        let p = plan_copy(&v, "/", "/opt/real", &one("t", vec![file("")]), &o).unwrap();
        assert_eq!(
            paths(&p),
            ["opt/real/t"],
            "an existing directory receives the file"
        );
    }

    #[test]
    fn relative_destination_uses_workdir_and_symlinks_are_followed() {
        let v = base();
        let o = CopyOptions::default();
        let p = plan_copy(&v, "/app", "conf/", &one("c", vec![file("")]), &o).unwrap();
        assert_eq!(paths(&p), ["opt/real/conf", "opt/real/conf/c"]);
        let linked = CopyOptions {
            link: true,
            ..CopyOptions::default()
        };
        let p = plan_copy(&v, "/app", "conf/", &one("c", vec![file("")]), &linked).unwrap();
        assert_eq!(
            paths(&p),
            ["app", "app/conf", "app/conf/c"],
            "--link does not follow base symlinks"
        );
    }

    #[test]
    fn directory_contents_are_copied_with_owner_rules() {
        let v = base();
        let o = CopyOptions {
            chown: Some((7, 8)),
            ..CopyOptions::default()
        };
        let src = one("d", vec![dir(""), file("a"), dir("sub"), file("sub/b")]);
        let p = plan_copy(&v, "/", "/srv", &src, &o).unwrap();
        assert_eq!(paths(&p), ["srv", "srv/a", "srv/sub", "srv/sub/b"]);
        assert!(p.iter().all(|e| (e.uid, e.gid) == (7, 8)));
        assert_eq!(
            p[0].mode, 0o750,
            "the created destination takes the source directory's mode"
        );
        let keep = plan_copy(&v, "/", "/srv", &src, &CopyOptions::default()).unwrap();
        assert_eq!((keep[1].uid, keep[1].gid), (1000, 1000));
    }

    #[test]
    fn chmod_spares_symlinks_and_hard_links_are_remapped() {
        let v = base();
        let o = CopyOptions {
            chmod: Some(0o700),
            ..CopyOptions::default()
        };
        let mut link = file("l");
        link.kind = SourceKind::Symlink("a".into());
        let mut hard = file("h");
        hard.kind = SourceKind::HardLink("a".into());
        let p = plan_copy(
            &v,
            "/",
            "/x/",
            &one("d", vec![dir(""), file("a"), link, hard]),
            &o,
        )
        .unwrap();
        assert_eq!(p[2].mode, 0o777);
        assert_eq!(p[1].mode, 0o700);
        assert_eq!(p[3].kind, SourceKind::HardLink("x/a".into()));
    }

    #[test]
    fn copying_into_a_file_is_an_error() {
        let v = base();
        let e = plan_copy(
            &v,
            "/",
            "/etc/hosts/",
            &one("t", vec![file("")]),
            &CopyOptions::default(),
        );
        assert!(matches!(e, Err(CopyPlanError::NotADirectory { .. })));
    }

    /// Two one-file sources, `a` and `b`.
    fn two_sources() -> Vec<SourceMatch> {
        ["a", "b"]
            .map(|name| SourceMatch {
                name: name.into(),
                entries: vec![file("")],
            })
            .into()
    }

    #[test]
    fn several_sources_go_into_the_destination() {
        let v = base();
        let m = two_sources();
        let p = plan_copy(&v, "/", "/d/", &m, &CopyOptions::default()).unwrap();
        assert_eq!(paths(&p), ["d", "d/a", "d/b"]);
    }

    #[test]
    fn several_sources_into_a_destination_without_slash_is_an_error() {
        let v = base();
        let m = two_sources();
        let err = plan_copy(&v, "/", "/d", &m, &CopyOptions::default()).unwrap_err();
        assert_eq!(
            err,
            CopyPlanError::SeveralSourcesNeedDirectory { dest: "/d".into() }
        );
    }

    #[test]
    fn one_source_left_after_expansion_may_name_a_file() {
        let v = base();
        let p = plan_copy(&v, "/", "/d", &one("a", vec![file("")]), &CopyOptions::default()).unwrap();
        assert_eq!(paths(&p), ["d"]);
    }

    #[test]
    fn no_source_left_after_expansion_is_an_error() {
        let err = plan_copy(&base(), "/", "/d/", &[], &CopyOptions::default()).unwrap_err();
        assert_eq!(err, CopyPlanError::NoSourceFiles);
    }
}
