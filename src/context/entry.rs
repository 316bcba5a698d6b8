// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A file in the build context as COPY/ADD sees it: where it is, what it is (from `lstat`, so
//! symlinks are links and never followed), and everything a layer writer needs to reproduce it.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::error::ContextError;

/// What kind of file an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    /// A symbolic link and its target, exactly as stored (may be absolute or dangling).
    Symlink(PathBuf),
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

/// `lstat` metadata of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryMetadata {
    pub kind: EntryKind,
    /// Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Size in bytes (regular files; for links the length of the target).
    pub size: u64,
    /// Modification time: seconds and nanoseconds since the Unix epoch.
    pub mtime_secs: i64,
    pub mtime_nanos: u32,
    /// Device number for character and block devices.
    pub rdev: u64,
    /// (dev, inode) identify the file for hard-link detection; `nlink` says whether to bother.
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
}

impl EntryMetadata {
    /// Reads metadata without following a final symlink.
    pub fn lstat(path: &Path) -> Result<Self, ContextError> {
        let meta =
            fs_err::symlink_metadata(path).map_err(|e| ContextError::io("reading file metadata", e))?;
        let file_type = meta.file_type();
        let kind = if file_type.is_symlink() {
            let target = fs_err::read_link(path).map_err(|e| ContextError::io("reading symlink", e))?;
            EntryKind::Symlink(target)
        } else if file_type.is_dir() {
            EntryKind::Dir
        } else if file_type.is_file() {
            EntryKind::File
        } else {
            use std::os::unix::fs::FileTypeExt;
            if file_type.is_char_device() {
                EntryKind::CharDevice
            } else if file_type.is_block_device() {
                EntryKind::BlockDevice
            } else if file_type.is_fifo() {
                EntryKind::Fifo
            } else {
                EntryKind::Socket
            }
        };
        Ok(Self {
            kind,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            size: meta.size(),
            mtime_secs: meta.mtime(),
            mtime_nanos: u32::try_from(meta.mtime_nsec()).unwrap_or(0),
            rdev: meta.rdev(),
            dev: meta.dev(),
            ino: meta.ino(),
            nlink: meta.nlink(),
        })
    }

    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }
}

/// A file, directory or link in the build context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEntry {
    /// Path relative to the context root, `/`-separated; empty for the root itself.
    pub rel_path: PathBuf,
    /// Path relative to the COPY/ADD source this entry was reached from (empty for the matched
    /// source itself); where it goes below the destination.
    pub source_rel_path: PathBuf,
    /// The path `COPY --exclude` patterns are matched against: relative to the source for a
    /// literal source, relative to the wildcard's directory for a wildcard match (so
    /// `--exclude=*.txt hom*` drops `home.txt`), as BuildKit does.
    pub exclude_rel_path: PathBuf,
    /// Where to read it on disk (intermediate symlinks already resolved inside the context).
    pub abs_path: PathBuf,
    pub metadata: EntryMetadata,
    /// When this is a hard link to a file already yielded by the same walk, that file's
    /// `rel_path`; the layer writer emits a hard link instead of the content.
    pub hard_link_to: Option<PathBuf>,
}

impl ContextEntry {
    /// Reads the entry at `abs_path`; the relative paths are filled in by the caller.
    pub(crate) fn read(abs_path: PathBuf, rel_path: PathBuf) -> Result<Self, ContextError> {
        let metadata = EntryMetadata::lstat(&abs_path)?;
        Ok(Self {
            rel_path,
            source_rel_path: PathBuf::new(),
            exclude_rel_path: PathBuf::new(),
            abs_path,
            metadata,
            hard_link_to: None,
        })
    }

    /// The relative path for messages: `.` for the root.
    pub fn display_path(&self) -> String {
        if self.rel_path.as_os_str().is_empty() {
            ".".to_string()
        } else {
            self.rel_path.display().to_string()
        }
    }

    pub fn is_dir(&self) -> bool {
        self.metadata.is_dir()
    }

    /// The file name of the entry (empty for the context root).
    pub fn file_name(&self) -> &std::ffi::OsStr {
        self.rel_path.file_name().unwrap_or_default()
    }
}
