// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Tar headers for layer entries, the way Go's `archive/tar` (Docker, kaniko) writes them: a USTAR
//! header, preceded by a PAX extended header when a field does not fit (long or non-ASCII names,
//! sizes of 8 GiB and more, large ids) or when the entry carries xattrs (`SCHILY.xattr.*`).
//! User and group names stay empty, as Docker leaves them.

use std::collections::BTreeMap;

use tar::{EntryType, Header};

const NAME_LEN: usize = 100;
const PREFIX_LEN: usize = 155;
/// Largest value an 11-digit octal size or mtime field holds.
const MAX_OCTAL_11: u64 = 0o77_777_777_777;
/// Largest value a 7-digit octal uid/gid field holds.
const MAX_OCTAL_7: u64 = 0o7_777_777;

/// Metadata of one entry as it will appear in the layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryMeta {
    /// Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000);
    /// file-type bits are ignored (the entry kind decides the type).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Seconds since the Unix epoch.
    pub mtime: u64,
    /// Extended attributes, e.g. `security.capability`, written as `SCHILY.xattr.<name>`.
    pub xattrs: BTreeMap<String, Vec<u8>>,
}

impl EntryMeta {
    /// Root-owned with `mode`, mtime 0 and no xattrs.
    pub fn with_mode(mode: u32) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }
}

/// The kind-specific part of a header.
pub(crate) enum HeaderKind<'a> {
    Regular { size: u64 },
    Directory,
    Symlink { target: &'a [u8] },
    HardLink { target: &'a [u8] },
    Fifo,
    CharDevice { major: u32, minor: u32 },
    BlockDevice { major: u32, minor: u32 },
}

/// A finished header and the PAX records that must precede it (empty when none are needed).
pub(crate) struct BuiltHeader {
    pub header: Header,
    pub pax: Vec<(String, Vec<u8>)>,
}

/// Builds the header for an entry named `name` (already normalised: relative, `/`-separated,
/// directories ending in `/`).
pub(crate) fn build(name: &[u8], kind: &HeaderKind<'_>, meta: &EntryMeta) -> BuiltHeader {
    let mut h = Header::new_ustar();
    let mut pax: Vec<(String, Vec<u8>)> = Vec::new();

    if !set_ustar_name(&mut h, name) {
        pax.push(("path".into(), name.to_vec()));
        set_ustar_name(&mut h, truncate(name, NAME_LEN));
    }

    let (entry_type, size) = match kind {
        HeaderKind::Regular { size } => (EntryType::Regular, *size),
        HeaderKind::Directory => (EntryType::Directory, 0),
        HeaderKind::Symlink { .. } => (EntryType::Symlink, 0),
        HeaderKind::HardLink { .. } => (EntryType::Link, 0),
        HeaderKind::Fifo => (EntryType::Fifo, 0),
        HeaderKind::CharDevice { .. } => (EntryType::Char, 0),
        HeaderKind::BlockDevice { .. } => (EntryType::Block, 0),
    };
    h.set_entry_type(entry_type);
    h.set_mode(meta.mode & 0o7777);

    if size > MAX_OCTAL_11 {
        pax.push(("size".into(), size.to_string().into_bytes()));
    }
    h.set_size(size);
    if meta.uid > MAX_OCTAL_7 {
        pax.push(("uid".into(), meta.uid.to_string().into_bytes()));
    }
    h.set_uid(meta.uid);
    if meta.gid > MAX_OCTAL_7 {
        pax.push(("gid".into(), meta.gid.to_string().into_bytes()));
    }
    h.set_gid(meta.gid);
    if meta.mtime > MAX_OCTAL_11 {
        pax.push(("mtime".into(), meta.mtime.to_string().into_bytes()));
    }
    h.set_mtime(meta.mtime.min(MAX_OCTAL_11));

    if let HeaderKind::Symlink { target } | HeaderKind::HardLink { target } = kind {
        if target.len() > NAME_LEN || !target.is_ascii() {
            pax.push(("linkpath".into(), target.to_vec()));
            set_link_name(&mut h, truncate(target, NAME_LEN));
        } else {
            set_link_name(&mut h, target);
        }
    }
    if let HeaderKind::CharDevice { major, minor } | HeaderKind::BlockDevice { major, minor } = kind {
        // Both calls only fail for non-ustar/gnu headers, which this is not.
        let _ = h.set_device_major(*major);
        let _ = h.set_device_minor(*minor);
    }

    for (name, value) in &meta.xattrs {
        pax.push((format!("SCHILY.xattr.{name}"), value.clone()));
    }
    h.set_cksum();
    BuiltHeader { header: h, pax }
}

fn truncate(bytes: &[u8], len: usize) -> &[u8] {
    bytes.get(..len).unwrap_or(bytes)
}

fn set_link_name(h: &mut Header, target: &[u8]) {
    let field = &mut h.as_old_mut().linkname;
    field.fill(0);
    for (slot, b) in field.iter_mut().zip(target) {
        *slot = *b;
    }
}

/// Stores `name` in the USTAR name/prefix fields if it fits (ASCII only, split at a `/`, as Go does);
/// returns false if it does not.
fn set_ustar_name(h: &mut Header, name: &[u8]) -> bool {
    if !name.is_ascii() {
        return false;
    }
    let Some(ustar) = h.as_ustar_mut() else {
        return false;
    };
    let (prefix, rest): (&[u8], &[u8]) = if name.len() <= NAME_LEN {
        (&[], name)
    } else {
        // Split at a slash so the prefix is at most 155 bytes and the name at most 100; a trailing
        // slash (directory) must stay in the name part.
        let search_end = name.len().saturating_sub(1).min(PREFIX_LEN + 1);
        let split = name
            .get(..search_end)
            .unwrap_or_default()
            .iter()
            .rposition(|b| *b == b'/')
            .filter(|&i| i <= PREFIX_LEN && name.len() - i - 1 <= NAME_LEN && name.len() - i - 1 > 0);
        match split {
            Some(i) => (
                name.get(..i).unwrap_or_default(),
                name.get(i + 1..).unwrap_or_default(),
            ),
            None => return false,
        }
    };
    ustar.name.fill(0);
    ustar.prefix.fill(0);
    for (slot, b) in ustar.name.iter_mut().zip(rest) {
        *slot = *b;
    }
    for (slot, b) in ustar.prefix.iter_mut().zip(prefix) {
        *slot = *b;
    }
    true
}
