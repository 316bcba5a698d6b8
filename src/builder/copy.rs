// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! COPY and ADD: gathering sources (build context, another stage, another image, heredocs, local
//! archives, URLs), planning where they land ([`super::copy_plan`]) and writing the layer.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::copy_plan::{plan_copy, Content, CopyOptions, PlannedEntry, SourceEntry, SourceKind, SourceMatch};
use super::fsview::{FsView, Node, NodeKind};
use super::images::StageImage;
use super::layers::{extract_files, LoadedView};
use super::stage::StageRun;
use super::users::UserDb;
use super::BuildError;
use crate::context::pattern::{ListedChild, SourcePattern};
use crate::context::{self, ContextEntry, EntryKind, IgnoreMatcher};
use crate::dockerfile::{Add, Copy, Instruction, Source};
use crate::lexical_path::clean_under_root;
use crate::snapshot::{EntryMeta, LayerBlob, LayerWriter};

/// What COPY and ADD share, after expansion.
#[derive(Debug, Clone)]
pub struct CopySpec {
    pub is_add: bool,
    pub from: Option<String>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub parents: bool,
    pub excludes: Vec<String>,
    pub checksum: Option<String>,
    pub unpack: bool,
    pub sources: Vec<Source>,
    pub dest: String,
}

impl CopySpec {
    pub fn from_copy(c: Copy) -> Self {
        Self {
            is_add: false,
            from: c.from,
            chown: c.chown,
            chmod: c.chmod,
            link: c.link,
            parents: c.parents,
            excludes: c.excludes,
            checksum: None,
            unpack: false,
            sources: c.sources,
            dest: c.dest,
        }
    }

    pub fn from_add(a: Add) -> Self {
        Self {
            is_add: true,
            from: None,
            chown: a.chown,
            chmod: a.chmod,
            link: a.link,
            parents: a.parents,
            excludes: a.excludes,
            checksum: a.checksum,
            unpack: a.unpack.unwrap_or(true),
            sources: a.sources,
            dest: a.dest,
        }
    }
}

/// Where `COPY --from` reads: another stage's image or a pulled one.
pub(super) enum FromImage {
    Stage(usize),
    Image(String),
}

/// Runs a COPY or ADD and returns its layer. The stage's view is updated with what was written.
pub async fn run(
    stage: &mut StageRun<'_>,
    instruction: &Instruction,
    spec: CopySpec,
) -> Result<LayerBlob, BuildError> {
    let shared = stage.shared;
    let view = shared.ensure_view(&mut stage.image).await?;
    let owner = match &spec.chown {
        Some(c) => Some(resolve_owner(&view, c).map_err(|m| stage.error(instruction, m))?),
        None => None,
    };
    let chmod = match &spec.chmod {
        Some(m) => Some(
            u32::from_str_radix(m, 8)
                .ok()
                .filter(|m| *m <= 0o7777)
                .ok_or_else(|| {
                    stage.error(
                        instruction,
                        format!("invalid --chmod {m:?}: expected an octal mode"),
                    )
                })?,
        ),
        None => None,
    };
    if spec.parents {
        return Err(stage.error(instruction, "--parents is not implemented yet".into()));
    }
    let scratch = shared
        .workspace
        .scratch_dir()
        .map_err(|e| BuildError::io(shared.workspace.path(), e))?;
    let mut matches = Vec::new();
    let mut source_image: Option<StageImage> = None;
    let excludes = IgnoreMatcher::new(&spec.excludes, "--exclude").map_err(|e| stage.fail(instruction, e))?;
    match &spec.from {
        Some(from) => {
            let mut image = match resolve_from(stage, from) {
                FromImage::Stage(i) => stage.done.get(&i).cloned().ok_or_else(|| {
                    stage.error(
                        instruction,
                        format!("stage {from:?} has not been built before this stage"),
                    )
                })?,
                FromImage::Image(name) => {
                    let platform = stage.platform.clone();
                    stage.cache.get(shared, &name, &platform).await?.clone()
                }
            };
            let source_view = shared.ensure_view(&mut image).await?;
            for src in &spec.sources {
                let Source::Path(p) = src else {
                    return Err(stage.error(instruction, "COPY --from cannot take a heredoc".into()));
                };
                let (paths, wildcard) =
                    match_in_view(&source_view.view, p).map_err(|m| stage.error(instruction, m))?;
                for path in paths {
                    // A source that is a symlink is followed (BuildKit's FollowSymlinks) but keeps
                    // its own name at the destination.
                    let target = source_view.view.resolve(&path, true)?;
                    let name = path.rsplit('/').next().unwrap_or(&path);
                    // --exclude patterns are relative to the source, or for a wildcard match to
                    // the wildcard's directory (the match's own name first), as from the context.
                    let scope = ExcludeScope {
                        excludes: &excludes,
                        wildcard_name: wildcard.then_some(name),
                    };
                    let mut m = view_source(&source_view.view, &target, &scope);
                    m.name = name.to_string();
                    matches.push(m);
                }
            }
            source_image = Some(image);
        }
        None => {
            for src in &spec.sources {
                match src {
                    Source::Heredoc(h) => {
                        let file = scratch.path().join(format!("heredoc-{}", matches.len()));
                        fs_err::write(&file, h.body().as_bytes()).map_err(|e| BuildError::io(&file, e))?;
                        matches.push(SourceMatch {
                            name: h.name.clone(),
                            entries: vec![SourceEntry {
                                rel: String::new(),
                                kind: SourceKind::File {
                                    size: h.body().len() as u64,
                                },
                                mode: 0o644,
                                uid: 0,
                                gid: 0,
                                mtime: shared.now,
                                content: Content::Disk(file),
                                xattrs: BTreeMap::new(),
                            }],
                        });
                    }
                    Source::Path(p)
                        if spec.is_add && (p.starts_with("http://") || p.starts_with("https://")) =>
                    {
                        matches.push(
                            super::remote_file::download(p, spec.checksum.as_deref(), scratch.path())
                                .await
                                .map_err(|e| stage.fail(instruction, e))?,
                        );
                    }
                    Source::Path(p) => {
                        if spec.checksum.is_some() {
                            return Err(
                                stage.error(instruction, "--checksum applies only to ADD of a URL".into())
                            );
                        }
                        let entries = shared
                            .context
                            .resolve_sources(p)
                            .map_err(|e| stage.fail(instruction, e))?;
                        for entry in entries {
                            let entry = shared
                                .context
                                .follow_source_link(entry)
                                .map_err(|e| stage.fail(instruction, e))?;
                            let m = if spec.is_add && spec.unpack && is_local_archive(&entry) {
                                extract_archive(&entry, scratch.path(), matches.len())
                                    .map_err(|m| stage.error(instruction, m))?
                            } else {
                                context_source(shared.context, &entry, &excludes)
                                    .map_err(|e| stage.error(instruction, e))?
                            };
                            matches.push(m);
                        }
                    }
                }
            }
        }
    }
    let opts = CopyOptions {
        chown: owner,
        chmod,
        created_mtime: shared.now,
        link: spec.link,
    };
    let workdir = stage.workdir();
    let planned = plan_copy(&view.view, &workdir, &spec.dest, &matches, &opts)
        .map_err(|e| stage.fail(instruction, e))?;

    // Contents stored in another image's layers are extracted once, then streamed into the new layer.
    let wanted: BTreeSet<(usize, String)> = planned
        .iter()
        .filter_map(|p| match &p.content {
            Content::Layer { layer, path } => Some((*layer, path.clone())),
            _ => None,
        })
        .collect();
    let extracted = match (&source_image, wanted.is_empty()) {
        (Some(img), false) => {
            let files = shared.local_layers(img.assembler.layers()).await?;
            let dest = scratch.path().join("from");
            tokio::task::block_in_place(|| extract_files(&files, &wanted, &dest))?
        }
        _ => BTreeMap::new(),
    };
    let blob = tokio::task::block_in_place(|| write_layer(shared, &planned, &extracted))?;
    record_in_view(stage, &view, &planned);
    Ok(blob)
}

/// Applies what a new layer holds to the stage's view, as the layer about to be appended.
fn record_in_view(stage: &mut StageRun<'_>, view: &LoadedView, planned: &[PlannedEntry]) {
    let index = stage.image.assembler.layers().len();
    let mut updated = view.clone();
    for p in planned {
        updated.view.apply(&p.path, p.node(index));
    }
    stage.image.view = Some(Arc::new(updated));
}

/// Creates WORKDIR's directory when it is missing, owned by the stage's USER; `None` when it exists.
pub async fn create_workdir(stage: &mut StageRun<'_>, path: &str) -> Result<Option<LayerBlob>, BuildError> {
    let shared = stage.shared;
    let view = shared.ensure_view(&mut stage.image).await?;
    let resolved = view.view.resolve(path, true)?;
    if view.view.get(&resolved).is_some_and(Node::is_dir) {
        return Ok(None);
    }
    let user = stage.user();
    let owner = if user.is_empty() {
        (0, 0)
    } else {
        resolve_owner(&view, &user).unwrap_or((0, 0))
    };
    let mut planned = Vec::new();
    let mut current = String::new();
    for part in resolved.split('/').filter(|p| !p.is_empty()) {
        current = if current.is_empty() {
            part.to_string()
        } else {
            format!("{current}/{part}")
        };
        if view.view.get(&current).is_some_and(Node::is_dir) {
            continue;
        }
        planned.push(PlannedEntry {
            path: current.clone(),
            kind: SourceKind::Dir,
            mode: 0o755,
            uid: owner.0,
            gid: owner.1,
            mtime: shared.now,
            content: Content::None,
            xattrs: BTreeMap::new(),
        });
    }
    let blob = tokio::task::block_in_place(|| write_layer(shared, &planned, &BTreeMap::new()))?;
    record_in_view(stage, &view, &planned);
    Ok(Some(blob))
}

fn resolve_owner(view: &LoadedView, spec: &str) -> Result<(u32, u32), String> {
    let db = UserDb::parse(
        view.captured.get("etc/passwd").map(String::as_str).unwrap_or(""),
        view.captured.get("etc/group").map(String::as_str).unwrap_or(""),
    );
    db.resolve(spec).map_err(|e| e.to_string())
}

pub(super) fn resolve_from(stage: &StageRun<'_>, from: &str) -> FromImage {
    let df = stage.shared.dockerfile;
    if let Ok(i) = from.parse::<usize>() {
        if i < df.stages.len() {
            return FromImage::Stage(i);
        }
    }
    // Any other stage may be named, later ones too (BuildKit's rule; the plan builds it first and
    // rejects cycles); what names no stage is an image reference.
    match df.stage_by_name(from) {
        Some(s) if s.index != stage.index => FromImage::Stage(s.index),
        _ => FromImage::Image(from.to_string()),
    }
}

/// Paths in a view matching a COPY --from source (absolute or relative to the root), expanded by
/// the same [`SourcePattern`] walk as a source in the build context, so a pattern names the same
/// files whichever it copies from. Also says whether the source was a wildcard.
fn match_in_view(view: &FsView, source: &str) -> Result<(Vec<String>, bool), String> {
    let pattern = SourcePattern::parse(&clean_under_root(source))
        .map_err(|e| format!("invalid pattern {source:?}: {}", e.0))?;
    // The last component is taken as it is here; the caller follows a symlink.
    let candidates = if pattern.is_wildcard() {
        let base = view.resolve(pattern.base(), true).map_err(|e| e.to_string())?;
        let matched = pattern.expand(|dir: &[String]| -> Result<_, String> {
            let dir = join_components(&base, dir);
            Ok(view
                .children(&dir)
                .map(|(path, node)| ListedChild {
                    name: path.rsplit('/').next().unwrap_or(path).to_string(),
                    is_dir: node.is_dir(),
                })
                .collect())
        })?;
        matched.iter().map(|rel| join_components(&base, rel)).collect()
    } else {
        let path = view.resolve(pattern.base(), false).map_err(|e| e.to_string())?;
        view.get(&path).map(|_| path).into_iter().collect::<Vec<_>>()
    };
    // A wildcard may match nothing, as from the build context.
    if candidates.is_empty() && !pattern.is_wildcard() {
        return Err(format!("{source:?} not found in the source image"));
    }
    Ok((candidates, pattern.is_wildcard()))
}

/// `base/c1/c2…` for a view path (`""` is the root).
fn join_components(base: &str, components: &[String]) -> String {
    std::iter::once(base)
        .filter(|b| !b.is_empty())
        .chain(components.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("/")
}

fn node_kind(n: &Node) -> SourceKind {
    match &n.kind {
        NodeKind::File { size } => SourceKind::File { size: *size },
        NodeKind::Dir => SourceKind::Dir,
        NodeKind::Symlink(t) => SourceKind::Symlink(t.clone()),
        NodeKind::HardLink(t) => SourceKind::HardLink(t.clone()),
        NodeKind::Fifo => SourceKind::Fifo,
        NodeKind::Char(a, b) => SourceKind::Char(*a, *b),
        NodeKind::Block(a, b) => SourceKind::Block(*a, *b),
    }
}

/// What `COPY --exclude` removes from a source taken from another image.
struct ExcludeScope<'a> {
    excludes: &'a IgnoreMatcher,
    /// The matched name, when a wildcard matched it: patterns then see it as the first component.
    wildcard_name: Option<&'a str>,
}

impl ExcludeScope<'_> {
    /// For each `(path relative to the source, is a directory)`, in the view's order (parents
    /// before what they hold), whether it is copied. An excluded directory is still copied as the
    /// parent of something an exception (`!pattern`) keeps, as the context walk does.
    fn kept(&self, entries: &[(&str, bool)]) -> Vec<bool> {
        let mut keep = vec![true; entries.len()];
        if self.excludes.is_empty() {
            return keep;
        }
        let mut needed: BTreeSet<&str> = BTreeSet::new();
        for (i, (rel, is_dir)) in entries.iter().enumerate().rev() {
            let path = match (self.wildcard_name, *rel) {
                (Some(name), "") => name.to_string(),
                (Some(name), rel) => format!("{name}/{rel}"),
                (None, rel) => rel.to_string(),
            };
            let excluded = !path.is_empty() && self.excludes.is_ignored(Path::new(&path), *is_dir);
            if excluded && !needed.contains(rel) {
                keep[i] = false;
                continue;
            }
            let mut parent = *rel;
            while let Some((up, _)) = parent.rsplit_once('/') {
                needed.insert(up);
                parent = up;
            }
            if !rel.is_empty() {
                needed.insert("");
            }
        }
        keep
    }
}

/// A matched path of another image and everything below it that `scope` keeps.
fn view_source(view: &FsView, path: &str, scope: &ExcludeScope<'_>) -> SourceMatch {
    let name = path.rsplit('/').next().unwrap_or(path).to_string();
    let root_prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    let mut nodes: Vec<(&str, &str, &Node)> = Vec::new();
    if let Some(root) = view.get(path) {
        nodes.push(("", path, root));
        if root.is_dir() {
            for (p, n) in view.descendants(path) {
                nodes.push((p.get(root_prefix.len()..).unwrap_or_default(), p, n));
            }
        }
    }
    let shape: Vec<(&str, bool)> = nodes.iter().map(|(rel, _, n)| (*rel, n.is_dir())).collect();
    let kept = scope.kept(&shape);
    let nodes: Vec<_> = nodes
        .into_iter()
        .zip(kept)
        .filter_map(|(node, keep)| keep.then_some(node))
        .collect();
    let copied: BTreeSet<&str> = nodes.iter().map(|(_, full, _)| *full).collect();
    let mut entries = Vec::new();
    for (rel, full, node) in nodes {
        let (kind, content) = match &node.kind {
            // A hard link to something copied along stays a link; otherwise it gets the content.
            NodeKind::HardLink(target) if copied.contains(target.as_str()) => {
                match target.strip_prefix(&root_prefix) {
                    Some(inside) => (SourceKind::HardLink(inside.to_string()), Content::None),
                    None => content_of(view, full),
                }
            }
            NodeKind::HardLink(_) | NodeKind::File { .. } => content_of(view, full),
            _ => (node_kind(node), Content::None),
        };
        entries.push(SourceEntry {
            rel: rel.to_string(),
            kind,
            mode: node.mode,
            uid: node.uid,
            gid: node.gid,
            mtime: node.mtime,
            content,
            xattrs: BTreeMap::new(),
        });
    }
    SourceMatch { name, entries }
}

/// A file's kind and where its content lies in the image's layers (a hard link's, its target's).
fn content_of(view: &FsView, full: &str) -> (SourceKind, Content) {
    match view.content_node(full) {
        Some((p, n)) => (
            node_kind(n),
            Content::Layer {
                layer: n.layer,
                path: p.to_string(),
            },
        ),
        None => (SourceKind::File { size: 0 }, Content::None),
    }
}

/// A context source and everything below it that the ignore rules and --exclude keep. Context files
/// are owned by root in the image, as docker build does.
pub(super) fn context_source(
    ctx: &context::BuildContext,
    entry: &ContextEntry,
    excludes: &IgnoreMatcher,
) -> Result<SourceMatch, String> {
    let name = entry.file_name().to_string_lossy().into_owned();
    let mut entries = Vec::new();
    let mut rel_of: BTreeMap<std::path::PathBuf, String> = BTreeMap::new();
    for item in ctx.walk(entry, excludes) {
        let e = item.map_err(|e| e.to_string())?;
        let rel = e.source_rel_path.to_string_lossy().into_owned();
        rel_of.insert(e.rel_path.clone(), rel.clone());
        let m = &e.metadata;
        let kind = if let Some(target) = e.hard_link_to.as_ref().and_then(|t| rel_of.get(t)) {
            SourceKind::HardLink(target.clone())
        } else {
            match &m.kind {
                EntryKind::File => SourceKind::File { size: m.size },
                EntryKind::Dir => SourceKind::Dir,
                EntryKind::Symlink(t) => SourceKind::Symlink(t.to_string_lossy().into_owned()),
                EntryKind::Fifo => SourceKind::Fifo,
                EntryKind::CharDevice => SourceKind::Char(dev_major(m.rdev), dev_minor(m.rdev)),
                EntryKind::BlockDevice => SourceKind::Block(dev_major(m.rdev), dev_minor(m.rdev)),
                EntryKind::Socket => continue,
            }
        };
        let content = if matches!(kind, SourceKind::File { .. }) {
            Content::Disk(e.abs_path.clone())
        } else {
            Content::None
        };
        entries.push(SourceEntry {
            rel,
            kind,
            mode: m.mode,
            uid: 0,
            gid: 0,
            mtime: u64::try_from(m.mtime_secs).unwrap_or(0),
            content,
            xattrs: BTreeMap::new(),
        });
    }
    Ok(SourceMatch { name, entries })
}

fn dev_major(rdev: u64) -> u32 {
    libc::major(rdev as libc::dev_t)
}

fn dev_minor(rdev: u64) -> u32 {
    libc::minor(rdev as libc::dev_t)
}

pub(super) fn is_local_archive(entry: &ContextEntry) -> bool {
    entry.metadata.kind == EntryKind::File && context::is_archive_file(&entry.abs_path).unwrap_or(false)
}

/// ADD of a local tar archive (plain, gzip, bzip2, xz or zstd): its entries are copied into the
/// destination, keeping their modes and owners, as docker build does.
fn extract_archive(entry: &ContextEntry, scratch: &Path, n: usize) -> Result<SourceMatch, String> {
    let file = fs_err::File::open(&entry.abs_path).map_err(|e| e.to_string())?;
    let reader = context::decompress(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
    let mut archive = tar::Archive::new(reader);
    let dir = scratch.join(format!("archive-{n}"));
    let mut entries = vec![SourceEntry {
        rel: String::new(),
        kind: SourceKind::Dir,
        mode: 0o755,
        uid: 0,
        gid: 0,
        mtime: 0,
        content: Content::None,
        xattrs: BTreeMap::new(),
    }];
    let mut count = 0usize;
    let name = entry.display_path();
    for item in archive
        .entries()
        .map_err(|e| format!("reading archive {name}: {e}"))?
    {
        let mut item = item.map_err(|e| format!("reading archive {name}: {e}"))?;
        let header = item.header().clone();
        let raw = item
            .path()
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .into_owned();
        let rel = clean_under_root(&raw);
        if rel.is_empty() {
            continue;
        }
        let mode = header.mode().unwrap_or(0o644) & 0o7777;
        let uid = u32::try_from(header.uid().unwrap_or(0)).unwrap_or(0);
        let gid = u32::try_from(header.gid().unwrap_or(0)).unwrap_or(0);
        let mtime = header.mtime().unwrap_or(0);
        let mut xattrs = BTreeMap::new();
        if let Ok(Some(pax)) = item.pax_extensions() {
            for record in pax.flatten() {
                if let Some(name) = record.key().ok().and_then(|k| k.strip_prefix("SCHILY.xattr.")) {
                    xattrs.insert(name.to_string(), record.value_bytes().to_vec());
                }
            }
        }
        let link = || {
            item.link_name()
                .ok()
                .flatten()
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let (kind, content) = match header.entry_type() {
            tar::EntryType::Directory => (SourceKind::Dir, Content::None),
            tar::EntryType::Symlink => (SourceKind::Symlink(link()), Content::None),
            tar::EntryType::Link => (SourceKind::HardLink(clean_under_root(&link())), Content::None),
            tar::EntryType::Fifo => (SourceKind::Fifo, Content::None),
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                count += 1;
                let out = dir.join(format!("{count}"));
                fs_err::create_dir_all(&dir).map_err(|e| e.to_string())?;
                let mut f = fs_err::File::create(&out).map_err(|e| e.to_string())?;
                let size =
                    std::io::copy(&mut item.by_ref().take(u64::MAX), &mut f).map_err(|e| e.to_string())?;
                (SourceKind::File { size }, Content::Disk(out))
            }
            _ => continue,
        };
        entries.push(SourceEntry {
            rel,
            kind,
            mode,
            uid,
            gid,
            mtime,
            content,
            xattrs,
        });
    }
    Ok(SourceMatch {
        name: entry.file_name().to_string_lossy().into_owned(),
        entries,
    })
}

/// Writes planned entries into a new layer blob.
fn write_layer(
    shared: &super::Shared<'_>,
    planned: &[PlannedEntry],
    extracted: &BTreeMap<(usize, String), std::path::PathBuf>,
) -> Result<LayerBlob, BuildError> {
    let mut writer = LayerWriter::create(&shared.workspace.layers(), shared.layer_options)?;
    for p in planned {
        let path = Path::new(&p.path);
        let meta = EntryMeta {
            mode: p.mode,
            uid: u64::from(p.uid),
            gid: u64::from(p.gid),
            mtime: p.mtime,
            xattrs: p.xattrs.clone(),
        };
        match &p.kind {
            SourceKind::Dir => writer.append_dir(path, &meta)?,
            SourceKind::Symlink(t) => writer.append_symlink(path, Path::new(t), &meta)?,
            SourceKind::HardLink(t) => writer.append_hard_link(path, Path::new(t), &meta)?,
            SourceKind::Fifo => writer.append_fifo(path, &meta)?,
            SourceKind::Char(a, b) => writer.append_char_device(path, *a, *b, &meta)?,
            SourceKind::Block(a, b) => writer.append_block_device(path, *a, *b, &meta)?,
            SourceKind::File { .. } => match &p.content {
                Content::Disk(src) => writer.append_file_from_path(path, src, &meta)?,
                Content::Layer { layer, path: lp } => {
                    let src = extracted
                        .get(&(*layer, lp.clone()))
                        .ok_or_else(|| BuildError::Internal {
                            message: format!("content of /{lp} was not extracted from layer {layer}"),
                        })?;
                    writer.append_file_from_path(path, src, &meta)?
                }
                Content::None => writer.append_file(path, std::io::empty(), 0, &meta)?,
            },
        }
    }
    Ok(writer.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(paths: &[&str]) -> FsView {
        let mut view = FsView::new();
        for path in paths {
            let node = match path.strip_suffix('/') {
                Some(_) => Node::dir(0o755, 0, 0, 0),
                None => Node::file(1, 0o644, 0, 0, 0),
            };
            view.apply(path.trim_end_matches('/'), node);
        }
        view
    }

    #[test]
    fn copy_from_a_stage_reads_a_bang_class_as_go_does() {
        // Regression: COPY --from used the glob crate, where `[!a]` means "not a"; Go (and docker)
        // read it as the class of `!` and `a`, as COPY from the context does.
        let v = view(&["a.txt", "b.txt", "!.txt"]);
        assert_eq!(
            match_in_view(&v, "[!a].txt"),
            Ok((vec!["!.txt".to_string(), "a.txt".to_string()], true))
        );
        assert_eq!(
            match_in_view(&v, "/b.txt"),
            Ok((vec!["b.txt".to_string()], false))
        );
        assert!(match_in_view(&v, "[").is_err());
        // A wildcard may match nothing; a literal path may not.
        assert_eq!(match_in_view(&v, "c*"), Ok((vec![], true)));
        assert!(match_in_view(&v, "c.txt").is_err());
    }

    #[test]
    fn exclude_from_a_stage_keeps_parents_of_exceptions() {
        let v = view(&[
            "src/",
            "src/a.log",
            "src/keep/",
            "src/keep/b.log",
            "src/keep/c.txt",
            "src/d.txt",
        ]);
        let excludes = IgnoreMatcher::new(&["**/*.log", "keep", "!keep/c.txt"], "--exclude");
        let Ok(excludes) = excludes else {
            panic!("patterns compile");
        };
        let literal = ExcludeScope {
            excludes: &excludes,
            wildcard_name: None,
        };
        let rels = |m: SourceMatch| m.entries.into_iter().map(|e| e.rel).collect::<Vec<_>>();
        assert_eq!(
            rels(view_source(&v, "src", &literal)),
            ["", "d.txt", "keep", "keep/c.txt"]
        );
        // Matched by a wildcard, the match's name is the first component patterns see.
        let excludes = IgnoreMatcher::new(&["src/d.txt", "*.log"], "--exclude");
        let Ok(excludes) = excludes else {
            panic!("patterns compile");
        };
        let wildcard = ExcludeScope {
            excludes: &excludes,
            wildcard_name: Some("src"),
        };
        assert_eq!(
            rels(view_source(&v, "src", &wildcard)),
            ["", "a.log", "keep", "keep/b.log", "keep/c.txt"]
        );
    }
}
