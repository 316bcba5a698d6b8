// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! What a chrooted command sees besides the stage filesystem: `/proc`, a `/dev` with the usual
//! nodes, a read-only `/sys`, and the host's resolver files, all mounted in the command's private
//! mount namespace (so they disappear with it and never reach a snapshot), plus the bind mounts a
//! RUN asks for (heredoc scripts, `RUN --mount`).
//!
//! Mount targets are checked in the parent right before each command: every component must be a real
//! directory (or, for the last one, a file), never a symlink a previous step may have planted.

use std::path::{Component, Path, PathBuf};

/// Device nodes bind-mounted from the host into the command's `/dev` (Docker's default set).
pub const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// Paths of the stage filesystem that belong to the sandbox, not to the image: never unpacked
/// into, never snapshotted (Docker mounts the same ones over every RUN).
pub const SANDBOX_PATHS: &[&str] = &[
    "proc",
    "sys",
    "dev",
    "etc/hosts",
    "etc/resolv.conf",
    "etc/hostname",
];

/// Host files bind-mounted over the stage's copies so name resolution works in RUN.
pub const RESOLVER_FILES: &[&str] = &["etc/resolv.conf", "etc/hosts"];

/// What to mount at a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    /// A fresh procfs, or the host's `/proc` bound recursively where a new one cannot be mounted
    /// (inside a user namespace that does not own the pid namespace).
    Proc,
    /// `/sys`, read-only; skipped when it cannot be mounted.
    Sys,
    /// A tmpfs with these mount data (`mode=755,size=…`).
    Tmpfs { data: String },
    /// A bind mount of a host path.
    Bind { source: PathBuf, readonly: bool },
    /// A symlink created inside an earlier tmpfs (`/dev/fd` → `/proc/self/fd`).
    Symlink { target: String },
}

/// One mount, at a path relative to the command's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub target: PathBuf,
    pub kind: MountKind,
    /// The target is a file (created empty when missing) rather than a directory.
    pub file: bool,
}

/// Why a mount target is unsafe or unusable.
#[derive(Debug, thiserror::Error)]
pub enum MountError {
    #[error("mount target /{path} goes through a symbolic link ({component}); refusing to mount there")]
    Symlink { path: String, component: String },
    #[error("mount target /{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("mount target /{path} is not a {expected}")]
    WrongType { path: String, expected: &'static str },
}

/// The standard mounts of a chrooted RUN. `resolver` says which resolver files exist on the host.
pub fn standard_mounts(resolver: &[&str]) -> Vec<Mount> {
    let dir = |target: &str, kind| Mount {
        target: PathBuf::from(target),
        kind,
        file: false,
    };
    let file = |target: &str, kind| Mount {
        target: PathBuf::from(target),
        kind,
        file: true,
    };
    let mut v = vec![
        dir("proc", MountKind::Proc),
        dir("sys", MountKind::Sys),
        dir(
            "dev",
            MountKind::Tmpfs {
                data: "mode=755,size=65536k".into(),
            },
        ),
    ];
    for d in DEVICES {
        v.push(file(
            &format!("dev/{d}"),
            MountKind::Bind {
                source: PathBuf::from(format!("/dev/{d}")),
                readonly: false,
            },
        ));
    }
    v.push(dir(
        "dev/shm",
        MountKind::Tmpfs {
            data: "mode=1777,size=65536k".into(),
        },
    ));
    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        v.push(dir(
            &format!("dev/{name}"),
            MountKind::Symlink {
                target: target.into(),
            },
        ));
    }
    for f in RESOLVER_FILES.iter().filter(|f| resolver.contains(f)) {
        v.push(file(
            f,
            MountKind::Bind {
                source: Path::new("/").join(f),
                readonly: true,
            },
        ));
    }
    v
}

/// Creates the targets of `mounts` that live in the stage filesystem itself (not inside a tmpfs
/// another mount provides), checking that no component is a symlink. Returns nothing to undo: the
/// targets are sandbox paths that snapshots leave out.
pub fn prepare_targets(root: &Path, mounts: &[Mount]) -> Result<(), MountError> {
    let tmpfs_dirs: Vec<&Path> = mounts
        .iter()
        .filter(|m| matches!(m.kind, MountKind::Tmpfs { .. }))
        .map(|m| m.target.as_path())
        .collect();
    for m in mounts {
        let inside_tmpfs = tmpfs_dirs
            .iter()
            .any(|t| m.target != *t && m.target.starts_with(t));
        if inside_tmpfs {
            continue;
        }
        ensure_target(root, &m.target, m.file)?;
    }
    Ok(())
}

/// Makes sure `root/rel` exists as a directory (or file), with real directories all the way.
fn ensure_target(root: &Path, rel: &Path, file: bool) -> Result<(), MountError> {
    let show = rel.to_string_lossy().into_owned();
    let io = |source| MountError::Io {
        path: show.clone(),
        source,
    };
    let parts: Vec<&std::ffi::OsStr> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p),
            _ => None,
        })
        .collect();
    let mut current = root.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        current.push(part);
        let last = i + 1 == parts.len();
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(MountError::Symlink {
                    path: show,
                    component: current
                        .strip_prefix(root)
                        .unwrap_or(&current)
                        .display()
                        .to_string(),
                })
            }
            Ok(meta) => {
                let want_dir = !(last && file);
                if meta.is_dir() != want_dir {
                    return Err(MountError::WrongType {
                        path: show,
                        expected: if want_dir { "directory" } else { "file" },
                    });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if last && file {
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&current)
                        .map_err(io)?;
                } else {
                    std::fs::create_dir(&current).map_err(io)?;
                }
            }
            Err(e) => return Err(io(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_created_and_symlinks_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mounts = standard_mounts(&["etc/resolv.conf"]);
        prepare_targets(root, &mounts).unwrap();
        assert!(root.join("proc").is_dir() && root.join("dev").is_dir());
        assert!(root.join("etc/resolv.conf").is_file());
        // Device nodes live in the /dev tmpfs, not in the stage filesystem.
        assert!(!root.join("dev/null").exists());
        // Idempotent.
        prepare_targets(root, &mounts).unwrap();

        std::fs::remove_file(root.join("etc/resolv.conf")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("etc/resolv.conf")).unwrap();
        let err = prepare_targets(root, &mounts).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");

        let other = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(other.path(), other.path().join("x")).ok();
        std::fs::remove_dir(root.join("proc")).unwrap();
        std::os::unix::fs::symlink("/", root.join("proc")).unwrap();
        assert!(matches!(
            prepare_targets(root, &mounts[..1]),
            Err(MountError::Symlink { .. })
        ));
    }

    #[test]
    fn a_file_where_a_directory_belongs_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dev"), b"").unwrap();
        let err = prepare_targets(dir.path(), &standard_mounts(&[])).unwrap_err();
        assert!(matches!(err, MountError::WrongType { .. }), "{err}");
    }
}
