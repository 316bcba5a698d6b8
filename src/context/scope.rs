// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Resolving a relative path inside the build context while following symlinks *within* it:
//! a link pointing to `/etc` or `../../..` is evaluated as if the context root were `/`, like
//! docker's `FollowSymlinkInScope`, so no COPY source and no sub-path can reach outside the context.

use std::collections::VecDeque;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::error::ContextError;

/// Linux's own limit on symlinks followed while resolving one path.
const MAX_LINK_HOPS: usize = 40;

/// Resolves `rel` (relative, `/`-separated) under `root`. Symlinks in intermediate components are
/// followed, clamped to `root`; the final component is followed only if `follow_final` is set.
/// Components that do not exist are appended literally, so the caller's `lstat` reports them.
pub fn resolve(root: &Path, rel: &Path, follow_final: bool) -> Result<PathBuf, ContextError> {
    let mut pending: VecDeque<PathBuf> = components_of(rel);
    let mut resolved = PathBuf::new();
    let mut hops = 0;
    while let Some(component) = pending.pop_front() {
        if component.as_os_str() == ".." {
            resolved.pop();
            continue;
        }
        let candidate = root.join(&resolved).join(&component);
        let is_last = pending.is_empty();
        let meta = match fs_err::symlink_metadata(&candidate) {
            Ok(meta) => meta,
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
                resolved.push(&component);
                resolved.extend(pending.drain(..));
                break;
            }
            Err(e) => return Err(ContextError::io("resolving a path in the build context", e)),
        };
        if meta.file_type().is_symlink() && (follow_final || !is_last) {
            hops += 1;
            if hops > MAX_LINK_HOPS {
                return Err(ContextError::io(
                    format!("resolving {} in the build context", rel.display()),
                    io::Error::other("too many levels of symbolic links"),
                ));
            }
            let target = fs_err::read_link(&candidate).map_err(|e| ContextError::io("reading symlink", e))?;
            if target.is_absolute() {
                resolved = PathBuf::new();
            }
            for part in components_of(&target).into_iter().rev() {
                pending.push_front(part);
            }
            continue;
        }
        resolved.push(&component);
    }
    Ok(root.join(resolved))
}

fn components_of(path: &Path) -> VecDeque<PathBuf> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(PathBuf::from(name)),
            Component::ParentDir => Some(PathBuf::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_are_clamped_to_the_root() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        fs_err::create_dir_all(root.join("real/sub"))?;
        std::os::unix::fs::symlink("/real", root.join("abs"))?;
        std::os::unix::fs::symlink("../../../../real", root.join("climb"))?;
        std::os::unix::fs::symlink("/etc", root.join("hostetc"))?;
        assert_eq!(resolve(root, Path::new("abs/sub"), false)?, root.join("real/sub"));
        assert_eq!(
            resolve(root, Path::new("climb/sub"), false)?,
            root.join("real/sub")
        );
        assert_eq!(
            resolve(root, Path::new("hostetc/passwd"), false)?,
            root.join("etc/passwd")
        );
        assert_eq!(resolve(root, Path::new("abs"), false)?, root.join("abs"));
        assert_eq!(resolve(root, Path::new("abs"), true)?, root.join("real"));
        std::os::unix::fs::symlink("loop", root.join("loop"))?;
        assert!(resolve(root, Path::new("loop/x"), false).is_err());
        Ok(())
    }
}
