// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `RUN --mount`: turns the typed mounts of a RUN into sandbox mounts of its private mount
//! namespace, so nothing under a target reaches the snapshot (the parent only ever sees the empty
//! target directory). Targets that did not exist before the step are removed after it when still
//! empty, parent times kept, as BuildKit's mount stub cleaner does, so they are not in the layer.
//! Container mode has no namespace of its own: the same mounts are put in place as files and taken
//! away before the snapshot ([`crate::sandbox::mounts_in_place`]); [`PreparedMounts::owns`] tells
//! it which sources are the step's own to consume.
//!
//! - `tmpfs`: a fresh tmpfs (`size=` as mount data).
//! - `bind`: a copy of the source taken for this step, read-only unless `rw` (then the writes go
//!   to the copy and are discarded with it). From the context, the copy honours .dockerignore and
//!   cannot leave the context; `from=` a stage or image unpacks that filesystem and takes the
//!   source below it (symlinks resolved inside it).
//! - `cache`: a directory that persists under `<cache dir>/run-cache/<platform>/<id>`, one tree
//!   per platform because what a cache holds (compiled objects, downloaded wheels) usually is
//!   platform-specific. `sharing=locked` takes an exclusive `flock` on `<dir>.lock` (waiting,
//!   also for other processes); `private` takes it without waiting and falls back to a fresh
//!   directory discarded after the step; `shared` takes no lock.
//! - `secret`: a private copy of the value with the mount's mode and owner, and/or an env variable.
//! - `ssh`: an agent socket served for this step (crate::ssh) at the target, by default
//!   `/run/buildkit/ssh_agent.N` (N counting the RUN's ssh mounts), with `SSH_AUTH_SOCK` naming the
//!   first one unless the step's environment already sets it, as BuildKit does.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::copy::{resolve_from, FromImage};
use super::stage::StageRun;
use super::BuildError;
use crate::cache::CacheOptions;
use crate::context::{ContextEntry, EntryKind, IgnoreMatcher};
use crate::dockerfile::{
    parse_run_mount, BindMount, CacheMount, CacheSharing, Instruction, Run, RunMount, SecretMount, SshMount,
};
use crate::lexical_path::clean_under_root;
use crate::sandbox::mounts::{Mount, MountKind};
use crate::snapshot::{unpack_layer, ExcludeSet, Ownership, UnpackOptions};

/// The sandbox mounts of one RUN and what must live until the command is done: scratch copies
/// (removed on drop) and cache locks (released on drop).
#[derive(Default)]
pub struct PreparedMounts {
    pub mounts: Vec<Mount>,
    /// Environment variables the mounts add (`type=secret,env=…`).
    pub env: Vec<(String, String)>,
    /// The first ssh mount's target, for `SSH_AUTH_SOCK` when the environment has none.
    pub ssh_auth_sock: Option<String>,
    /// Agents served for this step; dropped before the scratch directories holding their sockets.
    agents: Vec<crate::ssh::AgentSocket>,
    scratch: Vec<tempfile::TempDir>,
    locks: Vec<std::fs::File>,
}

impl PreparedMounts {
    /// Whether `path` lies in this step's own scratch space (a copy or a private file it may
    /// consume), as opposed to something that outlives it (a cache directory).
    pub fn owns(&self, path: &Path) -> bool {
        self.scratch.iter().any(|d| path.starts_with(d.path()))
    }
}

/// The RUN's `--mount` values (expanded), typed.
pub fn parse_all(
    stage: &StageRun<'_>,
    instruction: &Instruction,
    run: &Run,
) -> Result<Vec<RunMount>, BuildError> {
    run.mounts
        .iter()
        .map(|raw| parse_run_mount(raw).map_err(|e| stage.error(instruction, e.to_string())))
        .collect()
}

/// The mount points a RUN's targets will create in the stage filesystem (each target and its
/// missing parents, deepest first) and the times of the existing directories they are made in,
/// so [`MountStubs::remove`] can take them away again as BuildKit does.
pub struct MountStubs {
    root: PathBuf,
    paths: Vec<PathBuf>,
    parents: Vec<(PathBuf, std::fs::FileTimes)>,
}

impl MountStubs {
    /// Records what is missing; call before the targets are created.
    pub fn find(root: &Path, mounts: &[Mount]) -> MountStubs {
        let mut paths = Vec::new();
        let mut parents = Vec::new();
        for m in mounts {
            let mut path = root.join(&m.target);
            while path != root && std::fs::symlink_metadata(&path).is_err() {
                paths.push(path.clone());
                let Some(parent) = path.parent() else { break };
                path = parent.to_path_buf();
            }
            if !paths.is_empty() && !parents.iter().any(|(p, _)| *p == path) {
                if let Ok(times) = std::fs::metadata(&path).and_then(|m| {
                    Ok(std::fs::FileTimes::new()
                        .set_accessed(m.accessed()?)
                        .set_modified(m.modified()?))
                }) {
                    parents.push((path, times));
                }
            }
        }
        MountStubs {
            root: root.to_path_buf(),
            paths,
            parents,
        }
    }

    /// Removes the stubs that are still empty after the command and gives their parents back the
    /// times they had before the step (the layer must not change because a mount point came and
    /// went). Returns those parents, relative to the root, for the snapshot's ctime.
    pub fn remove(&self) -> Vec<PathBuf> {
        for stub in &self.paths {
            let Ok(meta) = std::fs::symlink_metadata(stub) else {
                continue;
            };
            let empty = if meta.is_dir() {
                std::fs::read_dir(stub).is_ok_and(|mut d| d.next().is_none())
            } else {
                meta.len() == 0
            };
            if !empty {
                continue;
            }
            let removed = if meta.is_dir() {
                std::fs::remove_dir(stub)
            } else {
                std::fs::remove_file(stub)
            };
            if let Err(e) = removed {
                tracing::warn!("removing the mount point {}: {e}", stub.display());
            }
        }
        let mut restored = Vec::new();
        for (parent, times) in &self.parents {
            // Only where every stub made in it is gone: what the command left there is its change.
            let clean = self
                .paths
                .iter()
                .filter(|p| p.parent() == Some(parent.as_path()))
                .all(|p| std::fs::symlink_metadata(p).is_err());
            if !clean {
                continue;
            }
            match std::fs::File::open(parent).and_then(|f| f.set_times(*times)) {
                Ok(()) => restored.push(parent.strip_prefix(&self.root).unwrap_or(parent).to_path_buf()),
                Err(e) => tracing::warn!("restoring the times of {}: {e}", parent.display()),
            }
        }
        restored
    }
}

/// A target relative to the command's root; a relative target is below the working directory.
fn target_path(workdir: &str, target: &str) -> PathBuf {
    let absolute = if target.starts_with('/') {
        target.to_string()
    } else {
        format!("{}/{target}", workdir.trim_end_matches('/'))
    };
    PathBuf::from(clean_under_root(&absolute).trim_start_matches('/'))
}

/// Prepares every mount of a RUN, parents before children.
pub async fn prepare(
    stage: &mut StageRun<'_>,
    instruction: &Instruction,
    mounts: &[RunMount],
) -> Result<PreparedMounts, BuildError> {
    let mut prepared = PreparedMounts::default();
    let workdir = stage.workdir();
    // An ssh mount's default target numbers it among the RUN's ssh mounts, in the order written.
    let mut ssh_mounts = 0;
    let mut ordered: Vec<(&RunMount, String)> = mounts
        .iter()
        .map(|m| {
            let target = match m {
                RunMount::Ssh(ssh) => {
                    let target = ssh
                        .target
                        .clone()
                        .unwrap_or_else(|| format!("/run/buildkit/ssh_agent.{ssh_mounts}"));
                    if ssh_mounts == 0 {
                        prepared.ssh_auth_sock =
                            Some(format!("/{}", target_path(&workdir, &target).display()));
                    }
                    ssh_mounts += 1;
                    target
                }
                other => other.target().unwrap_or("/").to_string(),
            };
            (m, target)
        })
        .collect();
    ordered.sort_by_key(|(_, target)| target_path(&workdir, target).components().count());
    for (mount, target) in ordered {
        match mount {
            RunMount::Secret(secret) => {
                secret_mount(stage, instruction, &workdir, secret, &mut prepared)?;
                continue;
            }
            RunMount::Ssh(ssh) => {
                ssh_mount(
                    stage,
                    instruction,
                    &target_path(&workdir, &target),
                    ssh,
                    &mut prepared,
                )?;
                continue;
            }
            _ => {}
        }
        let target = target_path(&workdir, &target);
        if target.as_os_str().is_empty() {
            return Err(stage.error(instruction, "RUN --mount cannot target /".into()));
        }
        let mount = match mount {
            RunMount::Tmpfs(t) => {
                let mut data = "mode=1777".to_string();
                if let Some(size) = t.size {
                    data.push_str(&format!(",size={size}"));
                }
                Mount {
                    target,
                    kind: MountKind::Tmpfs { data },
                    file: false,
                }
            }
            RunMount::Bind(b) => {
                let (source, file) = bind_source(stage, instruction, b, &mut prepared).await?;
                Mount {
                    target,
                    kind: MountKind::Bind {
                        source,
                        readonly: !b.readwrite,
                    },
                    file,
                }
            }
            RunMount::Cache(c) => {
                let source = cache_dir(stage, instruction, c, &mut prepared).await?;
                Mount {
                    target,
                    kind: MountKind::Bind {
                        source,
                        readonly: c.readonly,
                    },
                    file: false,
                }
            }
            RunMount::Secret(_) | RunMount::Ssh(_) => continue,
        };
        prepared.mounts.push(mount);
    }
    Ok(prepared)
}

/// A secret or ssh id the build was not given: an error naming it (and `how` to give it) when the
/// mount is required, else the mount is left out, as in BuildKit.
fn not_given(
    stage: &StageRun<'_>,
    instruction: &Instruction,
    (kind, id): (&str, &str),
    required: bool,
    how: &str,
) -> Result<(), BuildError> {
    if required {
        return Err(stage.error(
            instruction,
            format!("{kind} {id} is required but was not given (pass {how})"),
        ));
    }
    tracing::debug!(%id, "{kind} not given: its mount is left out");
    Ok(())
}

/// An agent socket for the step at `target`, serving the `--ssh` source of the mount's id. An id
/// that was not given leaves the mount out unless it is required.
fn ssh_mount(
    stage: &StageRun<'_>,
    instruction: &Instruction,
    target: &Path,
    ssh: &SshMount,
    prepared: &mut PreparedMounts,
) -> Result<(), BuildError> {
    let Some(backend) = stage.shared.ssh.get(&ssh.id) else {
        let id = &ssh.id;
        let how = format!("--ssh {id}=SOCKET_OR_KEY, or --ssh {id} for the agent at $SSH_AUTH_SOCK");
        return not_given(stage, instruction, ("ssh", id), ssh.required, &how);
    };
    if target.as_os_str().is_empty() {
        return Err(stage.error(instruction, "RUN --mount cannot target /".into()));
    }
    let socket = scratch(stage, prepared)?.join("agent");
    let agent = crate::ssh::AgentSocket::serve(backend, &socket, ssh.mode, ssh.uid, ssh.gid)
        .map_err(|e| BuildError::io(&socket, e))?;
    prepared.agents.push(agent);
    prepared.mounts.push(Mount {
        target: target.to_path_buf(),
        kind: MountKind::Bind {
            source: socket,
            readonly: true,
        },
        file: true,
    });
    Ok(())
}

/// A secret as a file at its target (a private copy with the mount's mode and owner) and/or an
/// environment variable. A secret that was not given leaves the mount out unless it is required.
fn secret_mount(
    stage: &StageRun<'_>,
    instruction: &Instruction,
    workdir: &str,
    secret: &SecretMount,
    prepared: &mut PreparedMounts,
) -> Result<(), BuildError> {
    let Some(value) = stage.shared.secrets.get(&secret.id) else {
        let id = &secret.id;
        let how = format!("--secret id={id},src=PATH or id={id},env=VAR");
        return not_given(stage, instruction, ("secret", id), secret.required, &how);
    };
    if let Some(var) = &secret.env {
        let text = String::from_utf8(value.to_vec()).map_err(|_| {
            stage.error(
                instruction,
                format!(
                    "secret {} is not UTF-8 text, so it cannot be an environment variable",
                    secret.id
                ),
            )
        })?;
        prepared.env.push((var.clone(), text));
    }
    let Some(target) = &secret.target else {
        return Ok(());
    };
    let target = target_path(workdir, target);
    if target.as_os_str().is_empty() {
        return Err(stage.error(instruction, "RUN --mount cannot target /".into()));
    }
    let file = scratch(stage, prepared)?.join("secret");
    let write = || -> std::io::Result<()> {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file)?;
        f.write_all(value)?;
        f.set_permissions(std::fs::Permissions::from_mode(secret.mode))
    };
    write().map_err(|e| BuildError::io(&file, e))?;
    // Rootless namespaces may not map the id; the file stays ours (readable by the step's root).
    let _ = std::os::unix::fs::chown(&file, Some(secret.uid), Some(secret.gid));
    prepared.mounts.push(Mount {
        target,
        kind: MountKind::Bind {
            source: file,
            readonly: true,
        },
        file: true,
    });
    Ok(())
}

fn scratch(stage: &StageRun<'_>, prepared: &mut PreparedMounts) -> Result<PathBuf, BuildError> {
    let dir = stage
        .shared
        .workspace
        .scratch_dir()
        .map_err(|e| BuildError::io(stage.shared.workspace.path(), e))?;
    let path = dir.path().to_path_buf();
    prepared.scratch.push(dir);
    Ok(path)
}

/// The host path a bind mount shows, and whether it is a file.
async fn bind_source(
    stage: &mut StageRun<'_>,
    instruction: &Instruction,
    bind: &BindMount,
    prepared: &mut PreparedMounts,
) -> Result<(PathBuf, bool), BuildError> {
    let dest = scratch(stage, prepared)?.join("m");
    match &bind.from {
        None => {
            let entry = context_entry(stage, &bind.source).map_err(|m| stage.error(instruction, m))?;
            let file = !entry.metadata.is_dir();
            tokio::task::block_in_place(|| copy_context(stage, &entry, &dest))
                .map_err(|m| stage.error(instruction, m))?;
            Ok((dest, file))
        }
        Some(from) => {
            let root = unpack_from(stage, instruction, from, prepared).await?;
            let found = resolve_in_root(&root, &bind.source).map_err(|m| stage.error(instruction, m))?;
            let meta = fs_err::metadata(&found)
                .map_err(|e| stage.error(instruction, format!("--mount source {}: {e}", bind.source)))?;
            Ok((found, !meta.is_dir()))
        }
    }
}

/// The context entry a bind or the key names: one path, inside the context, not ignored.
pub(super) fn context_entry(stage: &StageRun<'_>, source: &str) -> Result<ContextEntry, String> {
    let context = stage.shared.context;
    let literal = source
        .replace('\\', "\\\\")
        .replace('*', "\\*")
        .replace('?', "\\?")
        .replace('[', "\\[");
    let mut entries = context
        .resolve_sources(&literal)
        .map_err(|e| format!("--mount source {source}: {e}"))?;
    let entry = match (entries.pop(), entries.is_empty()) {
        (Some(e), true) => e,
        _ => {
            return Err(format!(
                "--mount source {source} must name one path of the context"
            ))
        }
    };
    context
        .follow_source_link(entry)
        .map_err(|e| format!("--mount source {source}: {e}"))
}

/// Copies a context entry and what .dockerignore keeps below it to `dest`.
fn copy_context(stage: &StageRun<'_>, entry: &ContextEntry, dest: &Path) -> Result<(), String> {
    let excludes = IgnoreMatcher::empty();
    for item in stage.shared.context.walk(entry, &excludes) {
        let e = item.map_err(|e| e.to_string())?;
        let out = if e.source_rel_path.as_os_str().is_empty() {
            dest.to_path_buf()
        } else {
            dest.join(&e.source_rel_path)
        };
        let fail = |err: std::io::Error| format!("copying {} for --mount: {err}", e.display_path());
        match &e.metadata.kind {
            EntryKind::Dir => {
                fs_err::create_dir_all(&out).map_err(fail)?;
                fs_err::set_permissions(&out, std::fs::Permissions::from_mode(e.metadata.mode & 0o7777))
                    .map_err(fail)?;
            }
            EntryKind::File => {
                fs_err::copy(&e.abs_path, &out).map_err(fail)?;
            }
            EntryKind::Symlink(to) => std::os::unix::fs::symlink(to, &out).map_err(fail)?,
            // Devices, fifos and sockets are not content a build step reads.
            _ => {}
        }
    }
    Ok(())
}

/// Unpacks the filesystem of the stage or image `from` names into a scratch directory.
async fn unpack_from(
    stage: &mut StageRun<'_>,
    instruction: &Instruction,
    from: &str,
    prepared: &mut PreparedMounts,
) -> Result<PathBuf, BuildError> {
    let shared = stage.shared;
    let layers = match resolve_from(stage, from) {
        FromImage::Stage(i) => {
            let image = stage.done.get(&i).ok_or_else(|| {
                stage.error(instruction, format!("--mount from={from}: stage not built yet"))
            })?;
            shared.local_layers(image.assembler.layers()).await?
        }
        FromImage::Image(name) => {
            let platform = stage.platform.clone();
            let image = stage.cache.get(shared, &name, &platform).await?;
            shared.local_layers(image.assembler.layers()).await?
        }
    };
    let root = scratch(stage, prepared)?;
    let options = UnpackOptions {
        exclude: ExcludeSet::new(Vec::<PathBuf>::new()),
        // A mount source only needs to be readable; ids the namespace cannot map stay ours.
        ownership: Ownership::BestEffort,
    };
    tokio::task::block_in_place(|| {
        for (path, media_type) in &layers {
            unpack_layer(path, media_type, &root, &options)
                .map_err(|e| stage.error(instruction, format!("--mount from={from}: {e}")))?;
        }
        Ok::<_, BuildError>(())
    })?;
    Ok(root)
}

/// Resolves `rel` below `root`, following symlinks as the image would see them (absolute links
/// and `..` stay inside `root`).
pub(super) fn resolve_in_root(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let mut pending: Vec<OsString> = Path::new(&clean_under_root(rel))
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_os_string()),
            _ => None,
        })
        .rev()
        .collect();
    let mut resolved = PathBuf::new();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            resolved.pop();
            continue;
        }
        let candidate = root.join(&resolved).join(&part);
        match std::fs::symlink_metadata(&candidate) {
            Ok(meta) if meta.file_type().is_symlink() => {
                hops += 1;
                if hops > 40 {
                    return Err(format!("--mount source {rel}: too many symbolic links"));
                }
                let to = std::fs::read_link(&candidate).map_err(|e| format!("--mount source {rel}: {e}"))?;
                if to.is_absolute() {
                    resolved = PathBuf::new();
                }
                let parts: Vec<OsString> = to
                    .components()
                    .filter_map(|c| match c {
                        Component::Normal(p) => Some(p.to_os_string()),
                        Component::ParentDir => Some("..".into()),
                        _ => None,
                    })
                    .collect();
                pending.extend(parts.into_iter().rev());
            }
            Ok(_) => resolved.push(&part),
            Err(e) => return Err(format!("--mount source {rel}: {e}")),
        }
    }
    Ok(root.join(resolved))
}

/// The directory name of a cache id: readable, and unique through a hash of the id.
fn cache_name(id: &str) -> String {
    let readable: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let hash = hex::encode(Sha256::digest(id.as_bytes()));
    format!("{}-{}", readable.trim_matches('_'), &hash[..16])
}

/// Where the caches of a platform live, created: below `--run-cache-dir` or `<--cache-dir>/run-cache`,
/// or, when the default cannot be created (an ordinary user, `/cache` owned by root), below the
/// user's own cache directory.
fn run_cache_root(options: &CacheOptions, platform: &str) -> Result<PathBuf, BuildError> {
    let leaf = platform.replace('/', "_");
    let root = options.run_cache_root().join(&leaf);
    let error = match std::fs::create_dir_all(&root) {
        Ok(()) => return Ok(root),
        Err(e) => e,
    };
    let denied = matches!(
        error.kind(),
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
    );
    match options.user_run_cache_root(|v| std::env::var(v).ok()) {
        Some(user) if denied => {
            let fallback = user.join(&leaf);
            fs_err::create_dir_all(&fallback).map_err(|e| BuildError::io(&fallback, e))?;
            tracing::info!(
                denied = %root.display(),
                using = %fallback.display(),
                "cache mounts live in the user's cache directory (--run-cache-dir chooses another)"
            );
            Ok(fallback)
        }
        _ => Err(BuildError::io(&root, error)),
    }
}

fn lock(file: &std::fs::File, wait: bool) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd as _;
    let op = if wait {
        libc::LOCK_EX
    } else {
        libc::LOCK_EX | libc::LOCK_NB
    };
    loop {
        // SAFETY: flock on a descriptor we own; no memory is passed.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) if !wait => return Ok(false),
            _ => return Err(e),
        }
    }
}

/// The cache directory of a cache mount, created (mode, owner, seeded `from`) on first use, with
/// the lock its sharing asks for held in `prepared`.
async fn cache_dir(
    stage: &mut StageRun<'_>,
    instruction: &Instruction,
    cache: &CacheMount,
    prepared: &mut PreparedMounts,
) -> Result<PathBuf, BuildError> {
    let root = run_cache_root(&stage.shared.request.cache, &stage.platform.to_string())?;
    let name = cache_name(&cache.id);
    let mut dir = root.join(&name);
    if cache.sharing != CacheSharing::Shared {
        let lock_path = root.join(format!("{name}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| BuildError::io(&lock_path, e))?;
        let wait = cache.sharing == CacheSharing::Locked;
        let got =
            tokio::task::block_in_place(|| lock(&file, wait)).map_err(|e| BuildError::io(&lock_path, e))?;
        if got {
            prepared.locks.push(file);
        } else {
            // In use by another step: a private mount starts empty and is not kept.
            dir = scratch(stage, prepared)?.join("cache");
        }
    }
    if !dir.exists() {
        // Built beside the final name and renamed, so a crash never leaves a half-seeded cache;
        // beside it because --cache-dir may be another filesystem than the workspace.
        let parent = dir.parent().unwrap_or(&root).to_path_buf();
        let building = tempfile::Builder::new()
            .prefix(".new-")
            .tempdir_in(&parent)
            .map_err(|e| BuildError::io(&parent, e))?;
        let fresh = building.path().to_path_buf();
        if let Some(from) = &cache.from {
            let src_root = unpack_from(stage, instruction, from, prepared).await?;
            let src = resolve_in_root(&src_root, &cache.source).map_err(|m| stage.error(instruction, m))?;
            tokio::task::block_in_place(|| copy_tree(&src, &fresh)).map_err(|e| BuildError::io(&src, e))?;
        }
        fs_err::set_permissions(&fresh, std::fs::Permissions::from_mode(cache.mode))
            .map_err(|e| BuildError::io(&fresh, e))?;
        // Rootless namespaces may not map the id; the directory stays ours then.
        let _ = std::os::unix::fs::chown(&fresh, Some(cache.uid), Some(cache.gid));
        match std::fs::rename(&fresh, &dir) {
            // Nothing is left to remove under the temporary name.
            Ok(()) => drop(building.keep()),
            // Another build created it meanwhile (shared sharing): use theirs.
            Err(_) if dir.is_dir() => {}
            Err(e) => return Err(BuildError::io(&dir, e)),
        }
    }
    Ok(dir)
}

/// Copies a directory tree (files, directories, symlinks, modes).
fn copy_tree(src: &Path, dest: &Path) -> std::io::Result<()> {
    for entry in fs_err::read_dir(src)? {
        let entry = entry?;
        let from = entry.path();
        let to = dest.join(entry.file_name());
        let meta = fs_err::symlink_metadata(&from)?;
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(fs_err::read_link(&from)?, &to)?;
        } else if meta.is_dir() {
            fs_err::create_dir(&to)?;
            copy_tree(&from, &to)?;
            fs_err::set_permissions(&to, meta.permissions())?;
        } else if meta.is_file() {
            fs_err::copy(&from, &to)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_mount_points_are_removed_when_empty() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("usr")).unwrap();
        let mount = |t: &str| Mount {
            target: PathBuf::from(t),
            kind: MountKind::Tmpfs { data: String::new() },
            file: false,
        };
        let mounts = [mount("usr/a/b"), mount("usr/c"), mount("kept")];
        let before = std::fs::metadata(root.join("usr")).unwrap().mtime_nsec();
        let stubs = MountStubs::find(root, &mounts);
        assert_eq!(stubs.paths.len(), 4, "{:?}", stubs.paths);
        std::thread::sleep(std::time::Duration::from_millis(20));
        crate::sandbox::mounts::prepare_targets(root, &mounts).unwrap();
        std::fs::write(root.join("kept/written-by-the-command"), "x").unwrap();
        let restored = stubs.remove();
        assert!(!root.join("usr/a").exists() && !root.join("usr/c").exists());
        assert!(
            root.join("kept").is_dir(),
            "a stub the command wrote into is the command's"
        );
        assert_eq!(std::fs::metadata(root.join("usr")).unwrap().mtime_nsec(), before);
        assert_eq!(
            restored,
            [PathBuf::from("usr")],
            "the root kept a stub, so it is not restored"
        );
    }

    #[test]
    fn targets_resolve_against_the_workdir() {
        assert_eq!(target_path("/app", "cache"), PathBuf::from("app/cache"));
        assert_eq!(target_path("/app", "/x/../y"), PathBuf::from("y"));
        assert_eq!(target_path("/", "../../etc"), PathBuf::from("etc"));
    }

    #[test]
    fn cache_names_are_safe_and_distinct() {
        let a = cache_name("/root/.cache");
        assert!(a.starts_with("root_.cache-"), "{a}");
        assert_ne!(cache_name("a/b"), cache_name("a_b"));
        assert!(!cache_name("../..").contains('/'));
    }

    #[test]
    fn sources_in_a_stage_stay_inside_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::write(root.join("usr/lib/f"), "x").unwrap();
        std::os::unix::fs::symlink("/usr/lib", root.join("lib")).unwrap();
        std::os::unix::fs::symlink("../../../../..", root.join("up")).unwrap();
        assert_eq!(resolve_in_root(root, "/lib/f").unwrap(), root.join("usr/lib/f"));
        assert_eq!(resolve_in_root(root, "up/usr").unwrap(), root.join("usr"));
        assert!(resolve_in_root(root, "missing").is_err());
    }

    #[test]
    fn a_locked_cache_waits_and_a_private_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.lock");
        let open = || {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .unwrap()
        };
        let first = open();
        assert!(lock(&first, true).unwrap());
        assert!(!lock(&open(), false).unwrap());
        drop(first);
        assert!(lock(&open(), false).unwrap());
    }
}
