// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Reading layer blobs: decompress by media type and walk the tar entries without extracting.
//!
//! Used to read base-layer headers (what exists, with which owner and mode, which paths are
//! whited out) and by tests to check what the layer writer produced. The uncompressed stream is
//! hashed on the way, so a walk also yields the layer's diff ID.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::layer::{OPAQUE_WHITEOUT, WHITEOUT_PREFIX};
use crate::image::media_type::{self, LayerCompression};
use crate::image::Digest;

/// Why a layer blob could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LayerReadError {
    #[error("{media_type:?} is not a layer media type we can read ({path})")]
    UnknownMediaType { path: PathBuf, media_type: String },
    #[error("reading layer {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("reading entry {entry:?} of layer {path}: {source}")]
    Entry {
        path: PathBuf,
        entry: PathBuf,
        source: io::Error,
    },
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// What a tar entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
    Symlink,
    HardLink,
    Fifo,
    CharDevice,
    BlockDevice,
    /// `.wh.<name>`: the named sibling path (given here) is deleted.
    Whiteout {
        target: PathBuf,
    },
    /// `.wh..wh..opq`: the parent directory (given here) is opaque.
    OpaqueWhiteout {
        dir: PathBuf,
    },
    /// Any other type flag (e.g. a GNU sparse or contiguous file).
    Other(u8),
}

/// One entry's header, with PAX records applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerEntry {
    /// Relative path, cleaned like Go's `path.Clean` (no `.`, no inner `..`, no leading `/` or
    /// trailing `/`); a `..` climbing out of the layer stays at the front.
    pub path: PathBuf,
    pub kind: EntryKind,
    /// Permission bits including setuid/setgid/sticky.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: u64,
    pub size: u64,
    pub link_name: Option<PathBuf>,
    pub device: Option<(u32, u32)>,
    /// From `SCHILY.xattr.*` PAX records.
    pub xattrs: BTreeMap<String, Vec<u8>>,
}

/// Opens a layer blob as its decompressed tar stream.
pub fn open_decompressed(path: &Path, media_type: &str) -> Result<Box<dyn Read + Send>, LayerReadError> {
    let compression =
        media_type::layer_compression(media_type).ok_or_else(|| LayerReadError::UnknownMediaType {
            path: path.to_path_buf(),
            media_type: media_type.to_string(),
        })?;
    let io_err = |source| LayerReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = BufReader::new(fs_err::File::open(path).map_err(io_err)?);
    Ok(match compression {
        LayerCompression::None => Box::new(file),
        LayerCompression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
        LayerCompression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(file).map_err(io_err)?),
    })
}

/// Calls `visit` for each entry of the layer at `path`, with a reader of the entry's content, and
/// returns the layer's diff ID (SHA-256 of the whole uncompressed stream, trailer included). The
/// first error `visit` returns is returned as it is; reading the layer fails with a
/// [`LayerReadError`] turned into the visitor's error type.
pub fn visit_entries<F, E>(path: &Path, media_type: &str, mut visit: F) -> Result<Digest, E>
where
    F: FnMut(&LayerEntry, &mut dyn Read) -> Result<(), E>,
    E: From<LayerReadError>,
{
    let io_err = |source| LayerReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let hashing = HashingReader {
        inner: open_decompressed(path, media_type)?,
        hasher: Sha256::new(),
    };
    let mut archive = tar::Archive::new(hashing);
    for entry in archive.entries().map_err(io_err)? {
        let mut entry = entry.map_err(io_err)?;
        let info = describe(&mut entry).map_err(io_err)?;
        visit(&info, &mut entry)?;
    }
    let mut hashing = archive.into_inner();
    // The tar reader stops at the end-of-archive marker; the rest of the stream still counts.
    io::copy(&mut hashing, &mut io::sink()).map_err(io_err)?;
    Ok(Digest::from_sha256(hashing.hasher.finalize().into()))
}

/// Reads every entry header of a layer (content skipped).
pub fn list_entries(path: &Path, media_type: &str) -> Result<Vec<LayerEntry>, LayerReadError> {
    let mut out = Vec::new();
    visit_entries(path, media_type, |entry, _| {
        out.push(entry.clone());
        Ok::<_, LayerReadError>(())
    })?;
    Ok(out)
}

fn describe<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<LayerEntry> {
    let raw_path = entry.path()?.into_owned();
    // Cleaned as docker cleans entry names; a leading `..` stays for the unpacker to refuse.
    let path = crate::lexical_path::clean_entry_name(&raw_path);
    let mut xattrs = BTreeMap::new();
    if let Some(pax) = entry.pax_extensions()? {
        for record in pax {
            let record = record?;
            if let Ok(key) = record.key() {
                if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                    xattrs.insert(name.to_string(), record.value_bytes().to_vec());
                }
            }
        }
    }
    let header = entry.header();
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let kind = match header.entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous if file_name == OPAQUE_WHITEOUT => {
            EntryKind::OpaqueWhiteout { dir: parent }
        }
        tar::EntryType::Regular | tar::EntryType::Continuous if file_name.starts_with(WHITEOUT_PREFIX) => {
            EntryKind::Whiteout {
                target: parent.join(file_name.strip_prefix(WHITEOUT_PREFIX).unwrap_or_default()),
            }
        }
        tar::EntryType::Regular => EntryKind::File,
        tar::EntryType::Directory => EntryKind::Directory,
        tar::EntryType::Symlink => EntryKind::Symlink,
        tar::EntryType::Link => EntryKind::HardLink,
        tar::EntryType::Fifo => EntryKind::Fifo,
        tar::EntryType::Char => EntryKind::CharDevice,
        tar::EntryType::Block => EntryKind::BlockDevice,
        other => EntryKind::Other(other.as_byte()),
    };
    let device = match kind {
        EntryKind::CharDevice | EntryKind::BlockDevice => Some((
            header.device_major()?.unwrap_or(0),
            header.device_minor()?.unwrap_or(0),
        )),
        _ => None,
    };
    Ok(LayerEntry {
        path,
        mode: header.mode()? & 0o7777,
        uid: header.uid()?,
        gid: header.gid()?,
        mtime: header.mtime()?,
        size: entry.size(),
        link_name: entry.link_name()?.map(|l| l.into_owned()),
        device,
        xattrs,
        kind,
    })
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}
