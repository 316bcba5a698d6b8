// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Unpacking a build context tarball into a directory without letting any entry land outside it.
//!
//! Rejected, with an error naming the entry: absolute paths, `..` components, entries whose parent
//! directory is (or goes through) a symlink, and hard links pointing outside the root. Symlinks
//! themselves are created as they are (their targets are data, never followed here).
//! Directories get their final mode and mtime after all entries are in, so a read-only directory
//! in the archive does not stop its own contents from being written; owner rwx is kept so the
//! temporary directory can always be removed.

use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use tar::EntryType;

use super::error::ContextError;

/// Extracts the (already decompressed) tar stream `reader` into `dest`, an existing empty dir.
pub fn extract(reader: impl Read, dest: &Path, archive_name: &str) -> Result<(), ContextError> {
    let mut archive = tar::Archive::new(reader);
    let mut directories: Vec<(PathBuf, u32, u64)> = Vec::new();
    let entries = archive
        .entries()
        .map_err(|cause| archive_error(archive_name, cause))?;
    for entry in entries {
        let mut entry = entry.map_err(|cause| archive_error(archive_name, cause))?;
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let unsafe_entry = |reason| ContextError::UnsafeArchiveEntry {
            archive: archive_name.to_string(),
            entry: raw_path.clone(),
            reason,
        };
        let rel = checked_relative(Path::new(&raw_path)).map_err(unsafe_entry)?;
        let kind = entry.header().entry_type();
        if rel.as_os_str().is_empty() {
            // The archive's own `./` entry: the root already exists.
            continue;
        }
        let target = dest.join(&rel);
        prepare_parents(dest, &rel).map_err(unsafe_entry)?;
        let mode = entry.header().mode().unwrap_or(0o644) & 0o7777;
        let mtime = entry.header().mtime().unwrap_or(0);
        let io_err =
            |cause: io::Error| ContextError::io(format!("extracting {raw_path} from {archive_name}"), cause);
        match kind {
            EntryType::Directory => {
                match fs_err::symlink_metadata(&target) {
                    Ok(meta) if meta.is_dir() => {}
                    Ok(_) => {
                        fs_err::remove_file(&target).map_err(io_err)?;
                        fs_err::create_dir(&target).map_err(io_err)?;
                    }
                    Err(_) => fs_err::create_dir(&target).map_err(io_err)?,
                }
                directories.push((target, mode, mtime));
            }
            EntryType::Regular | EntryType::Continuous => {
                remove_existing(&target).map_err(io_err)?;
                let mut file = fs_err::File::create_new(&target).map_err(io_err)?;
                io::copy(&mut entry, &mut file).map_err(io_err)?;
                set_mode(&target, mode).map_err(io_err)?;
                file.file().set_modified(mtime_of(mtime)).map_err(io_err)?;
            }
            EntryType::Symlink => {
                let link = entry
                    .link_name()
                    .map_err(io_err)?
                    .ok_or_else(|| unsafe_entry("symlink without a target"))?;
                remove_existing(&target).map_err(io_err)?;
                std::os::unix::fs::symlink(&link, &target).map_err(io_err)?;
            }
            EntryType::Link => {
                let link = entry
                    .link_name()
                    .map_err(io_err)?
                    .ok_or_else(|| unsafe_entry("hard link without a target"))?;
                let link_rel = checked_relative(&link).map_err(unsafe_entry)?;
                prepare_parents(dest, &link_rel).map_err(unsafe_entry)?;
                remove_existing(&target).map_err(io_err)?;
                // linkat without AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself.
                fs_err::hard_link(dest.join(&link_rel), &target).map_err(io_err)?;
            }
            EntryType::Fifo | EntryType::Char | EntryType::Block => {
                remove_existing(&target).map_err(io_err)?;
                entry.set_preserve_permissions(true);
                entry.unpack(&target).map_err(io_err)?;
            }
            EntryType::XGlobalHeader
            | EntryType::XHeader
            | EntryType::GNULongName
            | EntryType::GNULongLink => {
                // Metadata records; the tar crate applies the per-entry ones itself.
            }
            other => {
                // Dropping a file from the context silently would build the wrong image.
                return Err(ContextError::NotImplemented {
                    what: format!(
                        "tar entry type {other:?} (entry {raw_path:?} in build context {archive_name})"
                    ),
                });
            }
        }
    }
    for (dir, mode, mtime) in directories.into_iter().rev() {
        let io_err = |cause| ContextError::io(format!("finishing directory {}", dir.display()), cause);
        set_mode(&dir, mode | 0o700).map_err(io_err)?;
        let handle = fs_err::File::open(&dir).map_err(io_err)?;
        handle.file().set_modified(mtime_of(mtime)).map_err(io_err)?;
    }
    Ok(())
}

fn archive_error(archive: &str, cause: io::Error) -> ContextError {
    ContextError::Archive {
        archive: archive.to_string(),
        cause,
    }
}

/// The entry path as a plain relative path, or why it is unsafe.
fn checked_relative(path: &Path) -> Result<PathBuf, &'static str> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => out.push(name),
            Component::CurDir => {}
            Component::ParentDir => return Err("path contains '..'"),
            Component::RootDir | Component::Prefix(_) => return Err("absolute path"),
        }
    }
    Ok(out)
}

/// Creates missing parent directories of `rel` under `dest`, refusing to go through a symlink or
/// a non-directory (a previous entry could have planted `dir -> /etc` to redirect `dir/passwd`).
fn prepare_parents(dest: &Path, rel: &Path) -> Result<(), &'static str> {
    let mut current = dest.to_path_buf();
    let Some(parent) = rel.parent() else {
        return Ok(());
    };
    for component in parent.components() {
        current.push(component);
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => return Err("a parent directory is a symlink"),
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err("a parent path is not a directory"),
            Err(_) => std::fs::create_dir(&current).map_err(|_| "cannot create parent directory")?,
        }
    }
    Ok(())
}

/// Later entries replace earlier ones with the same name, as with `tar -x`.
fn remove_existing(target: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(target) {
        Ok(meta) if meta.is_dir() => fs_err::remove_dir_all(target),
        Ok(_) => fs_err::remove_file(target),
        Err(_) => Ok(()),
    }
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

fn mtime_of(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_relative_rejects_escapes() {
        assert_eq!(checked_relative(Path::new("./a/b")), Ok(PathBuf::from("a/b")));
        assert_eq!(checked_relative(Path::new("./")), Ok(PathBuf::new()));
        assert!(checked_relative(Path::new("../a")).is_err());
        assert!(checked_relative(Path::new("a/../../b")).is_err());
        assert!(checked_relative(Path::new("/etc/passwd")).is_err());
    }
}
