// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The layer writer: turns a sequence of entries into a compressed layer blob in one pass.
//!
//! Used by COPY/ADD now and by RUN snapshots later. The tar stream is hashed as it is produced
//! (the diff ID), handed to a compressor thread, hashed again after compression (the blob digest)
//! and written to a temporary file in the blob directory, which is renamed to its digest on
//! [`LayerWriter::finish`]. Nothing is held whole in memory; a writer dropped before `finish`
//! leaves no file behind.

use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use super::compressor::CompressingSink;
use super::tar_header::{self, EntryMeta, HeaderKind};
use crate::image::digest::HashingWriter;
use crate::image::manifest::ManifestFormat;
use crate::image::media_type::LayerCompression;
use crate::image::Descriptor;

/// Prefix that marks a whiteout entry (a file deleted from a lower layer).
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// Name of the entry that marks a directory opaque (lower layers' contents hidden).
pub const OPAQUE_WHITEOUT: &str = ".wh..wh..opq";

/// Why a layer could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("cannot create layer file in {dir}: {source}")]
    Create { dir: PathBuf, source: io::Error },
    #[error("invalid path {path:?} for a layer entry: {reason}")]
    InvalidPath { path: PathBuf, reason: &'static str },
    #[error("writing layer entry {path:?}: {source}")]
    Entry { path: PathBuf, source: io::Error },
    #[error("{path:?} changed while being added to the layer: expected {expected} bytes, read {actual}")]
    SizeChanged {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    #[error("finishing layer in {dir}: {source}")]
    Finish { dir: PathBuf, source: io::Error },
    #[error("zstd layers need OCI media types; Docker schema 2 has no zstd layer type")]
    ZstdNeedsOci,
    #[error("invalid SOURCE_DATE_EPOCH {value:?}: expected a non-negative integer of seconds")]
    SourceDateEpoch { value: String },
}

/// How layers are encoded. Defaults: gzip at the default level, OCI media types, real mtimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayerOptions {
    pub compression: Compression,
    /// Algorithm-specific level (gzip 0–9, zstd 1–22); `None` for the algorithm's default.
    pub level: Option<i32>,
    pub format: ManifestFormat,
    /// When set, every entry's mtime is replaced by this value (`--reproducible`).
    pub mtime_override: Option<u64>,
}

/// Layer compression we write (uncompressed layers are read, never written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    Gzip,
    Zstd,
}

impl Compression {
    pub fn as_layer_compression(self) -> LayerCompression {
        match self {
            Self::Gzip => LayerCompression::Gzip,
            Self::Zstd => LayerCompression::Zstd,
        }
    }
}

impl LayerOptions {
    /// Reproducible layers: every mtime becomes `epoch` (SOURCE_DATE_EPOCH, or 0).
    pub fn reproducible(mut self, epoch: u64) -> Self {
        self.mtime_override = Some(epoch);
        self
    }

    /// The layer media type these options produce.
    pub fn media_type(&self) -> Result<&'static str, LayerError> {
        self.format
            .layer_media_type(self.compression.as_layer_compression())
            .ok_or(LayerError::ZstdNeedsOci)
    }
}

/// Parses a `SOURCE_DATE_EPOCH` value; unset or empty means 0, as kaniko's `--reproducible` does.
pub fn source_date_epoch(value: Option<&str>) -> Result<u64, LayerError> {
    match value.map(str::trim) {
        None | Some("") => Ok(0),
        Some(v) => v
            .parse()
            .map_err(|_| LayerError::SourceDateEpoch { value: v.to_string() }),
    }
}

pub use crate::image::LayerBlob;

/// Writes one layer. Entries are written in the order appended; callers sort them when they want
/// a canonical order. After an error the tar stream may be incomplete: drop the writer (its
/// temporary file goes with it) rather than appending more.
pub struct LayerWriter {
    dir: PathBuf,
    options: LayerOptions,
    media_type: &'static str,
    temp: tempfile::TempPath,
    tar: tar::Builder<HashingWriter<CompressingSink>>,
    entries: u64,
}

impl LayerWriter {
    /// Starts a layer whose blob will be written into `dir`.
    pub fn create(dir: &Path, options: LayerOptions) -> Result<Self, LayerError> {
        let media_type = options.media_type()?;
        let create_err = |source| LayerError::Create {
            dir: dir.to_path_buf(),
            source,
        };
        let temp = tempfile::Builder::new()
            .prefix(".layer-")
            .tempfile_in(dir)
            .map_err(create_err)?;
        let (file, temp) = temp.into_parts();
        let sink = CompressingSink::start(file, options.compression.as_layer_compression(), options.level)
            .map_err(create_err)?;
        let tar = tar::Builder::new(HashingWriter::new(sink));
        Ok(Self {
            dir: dir.to_path_buf(),
            options,
            media_type,
            temp,
            tar,
            entries: 0,
        })
    }

    /// Number of entries appended so far (whiteouts included).
    pub fn entry_count(&self) -> u64 {
        self.entries
    }

    /// Appends a regular file whose content is read from `source` on disk.
    pub fn append_file_from_path(
        &mut self,
        path: &Path,
        source: &Path,
        meta: &EntryMeta,
    ) -> Result<(), LayerError> {
        let entry_err = |e| LayerError::Entry {
            path: source.to_path_buf(),
            source: e,
        };
        let file = fs_err::File::open(source).map_err(entry_err)?;
        let size = file.metadata().map_err(entry_err)?.len();
        self.append_file_inner(path, file, size, meta, source)
    }

    /// Appends a regular file of exactly `size` bytes read from `reader`.
    pub fn append_file(
        &mut self,
        path: &Path,
        reader: impl Read,
        size: u64,
        meta: &EntryMeta,
    ) -> Result<(), LayerError> {
        self.append_file_inner(path, reader, size, meta, path)
    }

    fn append_file_inner(
        &mut self,
        path: &Path,
        reader: impl Read,
        size: u64,
        meta: &EntryMeta,
        source_for_errors: &Path,
    ) -> Result<(), LayerError> {
        let name = entry_name(path, false)?;
        self.write_header(&name, &HeaderKind::Regular { size }, meta, path)?;
        let entry_err = |e| LayerError::Entry {
            path: source_for_errors.to_path_buf(),
            source: e,
        };
        let out = self.tar.get_mut();
        let copied = io::copy(&mut reader.take(size), out).map_err(entry_err)?;
        if copied != size {
            return Err(LayerError::SizeChanged {
                path: source_for_errors.to_path_buf(),
                expected: size,
                actual: copied,
            });
        }
        pad_to_block(out, size).map_err(entry_err)
    }

    /// Appends a directory entry.
    pub fn append_dir(&mut self, path: &Path, meta: &EntryMeta) -> Result<(), LayerError> {
        let name = entry_name(path, true)?;
        self.write_header(&name, &HeaderKind::Directory, meta, path)
    }

    /// Appends a symbolic link pointing at `target` (stored verbatim, absolute or relative).
    pub fn append_symlink(&mut self, path: &Path, target: &Path, meta: &EntryMeta) -> Result<(), LayerError> {
        let name = entry_name(path, false)?;
        let target = target.as_os_str().as_bytes();
        self.write_header(&name, &HeaderKind::Symlink { target }, meta, path)
    }

    /// Appends a hard link to `target`, another entry of this layer or of a lower one.
    pub fn append_hard_link(
        &mut self,
        path: &Path,
        target: &Path,
        meta: &EntryMeta,
    ) -> Result<(), LayerError> {
        let name = entry_name(path, false)?;
        let target = entry_name(target, false)?;
        self.write_header(&name, &HeaderKind::HardLink { target: &target }, meta, path)
    }

    /// Appends a named pipe.
    pub fn append_fifo(&mut self, path: &Path, meta: &EntryMeta) -> Result<(), LayerError> {
        let name = entry_name(path, false)?;
        self.write_header(&name, &HeaderKind::Fifo, meta, path)
    }

    /// Appends a character device node.
    pub fn append_char_device(
        &mut self,
        path: &Path,
        major: u32,
        minor: u32,
        meta: &EntryMeta,
    ) -> Result<(), LayerError> {
        let name = entry_name(path, false)?;
        self.write_header(&name, &HeaderKind::CharDevice { major, minor }, meta, path)
    }

    /// Appends a block device node.
    pub fn append_block_device(
        &mut self,
        path: &Path,
        major: u32,
        minor: u32,
        meta: &EntryMeta,
    ) -> Result<(), LayerError> {
        let name = entry_name(path, false)?;
        self.write_header(&name, &HeaderKind::BlockDevice { major, minor }, meta, path)
    }

    /// Records that `path` (present in a lower layer) is deleted: an empty `.wh.<name>` entry.
    pub fn append_whiteout(&mut self, path: &Path) -> Result<(), LayerError> {
        let name = entry_name(path, false)?;
        let (parent, base) = match name.iter().rposition(|b| *b == b'/') {
            Some(i) => (
                name.get(..=i).unwrap_or_default(),
                name.get(i + 1..).unwrap_or_default(),
            ),
            None => (&[][..], &name[..]),
        };
        let mut wh = parent.to_vec();
        wh.extend_from_slice(WHITEOUT_PREFIX.as_bytes());
        wh.extend_from_slice(base);
        self.write_header(&wh, &HeaderKind::Regular { size: 0 }, &EntryMeta::default(), path)
    }

    /// Marks directory `dir` opaque: lower layers' contents of it are hidden.
    pub fn append_opaque_whiteout(&mut self, dir: &Path) -> Result<(), LayerError> {
        let mut name = entry_name(dir, true)?;
        name.extend_from_slice(OPAQUE_WHITEOUT.as_bytes());
        self.write_header(
            &name,
            &HeaderKind::Regular { size: 0 },
            &EntryMeta::default(),
            dir,
        )
    }

    fn write_header(
        &mut self,
        name: &[u8],
        kind: &HeaderKind<'_>,
        meta: &EntryMeta,
        path: &Path,
    ) -> Result<(), LayerError> {
        let entry_err = |e| LayerError::Entry {
            path: path.to_path_buf(),
            source: e,
        };
        let mut meta_override;
        let meta = match self.options.mtime_override {
            Some(mtime) if meta.mtime != mtime => {
                meta_override = meta.clone();
                meta_override.mtime = mtime;
                &meta_override
            }
            _ => meta,
        };
        let built = tar_header::build(name, kind, meta);
        if !built.pax.is_empty() {
            self.tar
                .append_pax_extensions(built.pax.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                .map_err(entry_err)?;
        }
        self.tar
            .get_mut()
            .write_all(built.header.as_bytes())
            .map_err(entry_err)?;
        self.entries += 1;
        Ok(())
    }

    /// Ends the tar stream, waits for compression and moves the blob to `<dir>/<hex>`.
    pub fn finish(self) -> Result<LayerBlob, LayerError> {
        let finish_err = |source| LayerError::Finish {
            dir: self.dir.clone(),
            source,
        };
        let hashing = self.tar.into_inner().map_err(finish_err)?;
        let (sink, diff_id, uncompressed_size) = hashing.finish();
        let compressed = sink.finish().map_err(finish_err)?;
        let path = self.dir.join(compressed.digest.hex());
        self.temp.persist(&path).map_err(|e| finish_err(e.error))?;
        tracing::debug!(
            blob = %compressed.digest, %diff_id, size = compressed.size, uncompressed_size,
            entries = self.entries, "layer written"
        );
        crate::observe::measure::layer_written(uncompressed_size, compressed.size);
        Ok(LayerBlob {
            path,
            descriptor: Descriptor::new(self.media_type, compressed.digest, compressed.size),
            diff_id,
            uncompressed_size,
        })
    }
}

fn pad_to_block(out: &mut impl Write, size: u64) -> io::Result<()> {
    let rem = (size % 512) as usize;
    if rem != 0 {
        out.write_all(&[0u8; 512][rem..])?;
    }
    Ok(())
}

/// Normalises a path inside the layer: relative, `/`-separated, no `.`/`..`, directories with a
/// trailing `/` (as Docker writes them).
fn entry_name(path: &Path, is_dir: bool) -> Result<Vec<u8>, LayerError> {
    let invalid = |reason| LayerError::InvalidPath {
        path: path.to_path_buf(),
        reason,
    };
    let mut out = Vec::new();
    for component in path.components() {
        match component {
            Component::RootDir | Component::CurDir => {}
            Component::Prefix(_) => return Err(invalid("not a Unix path")),
            Component::ParentDir => return Err(invalid("'..' is not allowed in a layer path")),
            Component::Normal(part) => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(part.as_bytes());
            }
        }
    }
    if out.is_empty() {
        return Err(invalid("the layer root cannot be an entry"));
    }
    if is_dir {
        out.push(b'/');
    }
    Ok(out)
}

#[cfg(test)]
#[path = "layer_tests.rs"]
mod tests;
