// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The parts of each layer step's cache key, from what is known before the step runs: the
//! expanded instruction with every flag, the state a RUN sees (environment, USER, WORKDIR, SHELL,
//! the build args declared in scope), the files a COPY or ADD takes from the context (after
//! .dockerignore and --exclude: name, type, mode after --chmod, link target, content hash), the
//! key of a stage or the digest of an image it copies from, and the settings that change a
//! layer's bytes. `None` means the step cannot be keyed (an ADD of a URL without --checksum, a
//! source that cannot be read): it and every later step of the stage are not cached.

use std::fmt::Write as _;

use rayon::prelude::*;

use super::copy::{context_source, is_local_archive, resolve_from, CopySpec, FromImage};
use super::copy_plan::{Content, SourceKind, SourceMatch};
use super::stage::StageRun;
use crate::cache::KeyParts;
use crate::context::IgnoreMatcher;
use crate::dockerfile::{parse_run_mount, Run, RunMount, Source};
use crate::image::digest::digest_file;

/// Settings that change the bytes of any layer a step writes.
fn layer_settings(stage: &StageRun<'_>, parts: &mut KeyParts) {
    let request = stage.shared.request;
    parts.push(
        "snapshot settings",
        format!(
            "{:?} reproducible={:?}",
            request.snapshot, request.reproducible_epoch
        ),
    );
}

/// RUN: the command and everything it runs with, and the content of its bind mounts (a cache
/// mount's content never enters a key, as in BuildKit).
pub async fn run(stage: &mut StageRun<'_>, run: &Run) -> Option<KeyParts> {
    let mut parts = KeyParts::new("RUN").part("instruction", format!("{run:?}"));
    let env: Vec<String> = stage
        .image
        .assembler
        .config()
        .config
        .as_ref()
        .map(|c| c.env_pairs().map(|(k, v)| format!("{k}={v}")).collect())
        .unwrap_or_default();
    parts.push("environment", env.join("\0"));
    parts.push("user", stage.user());
    parts.push("workdir", stage.workdir());
    parts.push("shell", stage.shell().join("\0"));
    // Only the arguments declared in this stage so far reach the command: one passed with
    // --build-arg but never declared here changes nothing.
    let args: Vec<String> = stage.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.push("build args in scope", args.join("\0"));
    let isolation = match &stage.shared.isolation {
        Ok(i) => i.to_string(),
        Err(_) => "none".into(),
    };
    parts.push("isolation", isolation);
    layer_settings(stage, &mut parts);
    for raw in &run.mounts {
        let RunMount::Bind(bind) = parse_run_mount(raw).ok()? else {
            continue;
        };
        let content = match &bind.from {
            Some(from) => from_key(stage, from).await?,
            None => mount_listing(stage, &bind.source)?,
        };
        parts.push("bind mount", format!("{}\n{content}", bind.target));
    }
    Some(parts)
}

/// The cache key a stage ended with, or the one of an image's manifest (pulled once per build).
async fn from_key(stage: &mut StageRun<'_>, from: &str) -> Option<String> {
    let key = match resolve_from(stage, from) {
        FromImage::Stage(i) => stage.done.get(&i)?.cache_key.clone(),
        FromImage::Image(name) => {
            let platform = stage.platform.clone();
            let shared = stage.shared;
            stage
                .cache
                .get(shared, &name, &platform)
                .await
                .ok()?
                .cache_key
                .clone()
        }
    };
    Some(key?.hex().to_string())
}

/// One line per entry a bind mount from the context shows (what .dockerignore keeps).
fn mount_listing(stage: &StageRun<'_>, source: &str) -> Option<String> {
    let entry = super::run_mounts::context_entry(stage, source).ok()?;
    let matched = context_source(stage.shared.context, &entry, &IgnoreMatcher::empty()).ok()?;
    Some(source_lines(&matched, None)?.join("\n"))
}

/// WORKDIR: the directory and the user it is created for.
pub fn workdir(stage: &StageRun<'_>, path: &str) -> KeyParts {
    let mut parts = KeyParts::new("WORKDIR")
        .part("path", path)
        .part("user", stage.user());
    layer_settings(stage, &mut parts);
    parts
}

/// COPY and ADD: the instruction and what it copies. Pulls an image named by `--from` (once per
/// build; the copy itself reuses it).
pub async fn copy(stage: &mut StageRun<'_>, spec: &CopySpec) -> Option<KeyParts> {
    let kind = if spec.is_add { "ADD" } else { "COPY" };
    let mut parts = KeyParts::new(kind)
        .part("instruction", format!("{spec:?}"))
        .part("workdir", stage.workdir());
    layer_settings(stage, &mut parts);
    if let Some(from) = &spec.from {
        parts.push("source stage or image", from_key(stage, from).await?);
        return Some(parts);
    }
    parts.push("sources", context_listing(stage, spec)?);
    Some(parts)
}

/// One line per copied entry, sources in order, each source's entries sorted.
fn context_listing(stage: &StageRun<'_>, spec: &CopySpec) -> Option<String> {
    let context = stage.shared.context;
    let excludes = IgnoreMatcher::new(&spec.excludes, "--exclude").ok()?;
    let chmod = spec.chmod.as_deref().and_then(|m| u32::from_str_radix(m, 8).ok());
    let mut out = String::new();
    for source in &spec.sources {
        let Source::Path(p) = source else {
            // A heredoc's body is part of the instruction.
            continue;
        };
        if spec.is_add && (p.starts_with("http://") || p.starts_with("https://")) {
            // The checksum (in the instruction) is the content's identity; without one the
            // content is unknown until downloaded.
            spec.checksum.as_ref()?;
            continue;
        }
        for entry in context.resolve_sources(p).ok()? {
            let entry = context.follow_source_link(entry).ok()?;
            if spec.is_add && spec.unpack && is_local_archive(&entry) {
                let hash = hash_file(&entry.abs_path)?;
                let _ = writeln!(out, "archive\t{}\t{hash}", entry.file_name().to_string_lossy());
                continue;
            }
            let matched = context_source(context, &entry, &excludes).ok()?;
            for line in source_lines(&matched, chmod)? {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    Some(out)
}

/// A source's entries as sorted lines: name, type, mode (after `--chmod`), content hash. Files
/// are hashed on every core.
fn source_lines(matched: &SourceMatch, chmod: Option<u32>) -> Option<Vec<String>> {
    let lines: Option<Vec<String>> = matched
        .entries
        .par_iter()
        .map(|e| {
            let (kind, hash) = match (&e.kind, &e.content) {
                (SourceKind::File { .. }, Content::Disk(path)) => ("file".to_string(), hash_file(path)?),
                (k, _) => (format!("{k:?}"), String::new()),
            };
            let mode = match (&e.kind, chmod) {
                (SourceKind::Symlink(_), _) | (_, None) => e.mode & 0o7777,
                (_, Some(m)) => m,
            };
            Some(format!("{}/{}\t{kind}\t{mode:o}\t{hash}", matched.name, e.rel))
        })
        .collect();
    let mut lines = lines?;
    lines.sort();
    Some(lines)
}

fn hash_file(path: &std::path::Path) -> Option<String> {
    digest_file(path).ok().map(|(d, _)| d.hex().to_string())
}
