// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Files that appear whole or not at all: written to a temporary file next to the destination and
//! renamed over it on commit, so a failed build never leaves a truncated tarball, index or digest
//! file behind (the temporary file is removed when dropped uncommitted).

use std::io::{self, BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::OutputError;

/// A file being written to a temporary name, renamed to its destination by [`AtomicFile::commit`].
pub struct AtomicFile {
    dest: PathBuf,
    writer: BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    /// Starts writing `dest`, creating its parent directories.
    pub fn create(dest: &Path) -> Result<Self, OutputError> {
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let io_err = |source| OutputError::Io {
            path: dest.to_path_buf(),
            source,
        };
        fs_err::create_dir_all(&parent).map_err(io_err)?;
        let file_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{file_name}."))
            .suffix(".tmp")
            .tempfile_in(&parent)
            .map_err(io_err)?;
        Ok(Self {
            dest: dest.to_path_buf(),
            writer: BufWriter::with_capacity(256 * 1024, temp),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// Flushes, makes the file world-readable (0644, like the files kaniko writes) and renames it
    /// into place.
    pub fn commit(self) -> Result<(), OutputError> {
        let dest = self.dest;
        let io_err = |source| OutputError::Io {
            path: dest.clone(),
            source,
        };
        let temp = self.writer.into_inner().map_err(|e| io_err(e.into_error()))?;
        temp.as_file().sync_all().map_err(io_err)?;
        fs_err::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o644)).map_err(io_err)?;
        temp.persist(&dest).map_err(|e| io_err(e.error))?;
        Ok(())
    }

    /// Writes `bytes` to `dest` atomically.
    pub fn write_all_to(dest: &Path, bytes: &[u8]) -> Result<(), OutputError> {
        let mut f = Self::create(dest)?;
        f.write_all(bytes).map_err(|source| OutputError::Io {
            path: dest.to_path_buf(),
            source,
        })?;
        f.commit()
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_until_commit_and_nothing_is_left_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("sub/out.txt");
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"partial").unwrap();
        assert!(!dest.exists());
        drop(f);
        assert!(!dest.exists());
        assert_eq!(std::fs::read_dir(dir.path().join("sub")).unwrap().count(), 0);

        AtomicFile::write_all_to(&dest, b"whole").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"whole");
        assert_eq!(
            std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(std::fs::read_dir(dir.path().join("sub")).unwrap().count(), 1);
    }
}
