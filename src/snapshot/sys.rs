// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Thin wrappers over the system calls std does not offer for a path without following a final
//! symlink: lchown, mknod, utimensat, linkat and the `l*xattr` family.
//!
//! Snapshots read extended attributes of changed entries and the unpacker restores ownership,
//! device nodes, timestamps and attributes exactly as a layer states them, so these must act on
//! the entry itself (a symlink, never its target).

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Extended attributes a layer carries: file capabilities and user attributes. SELinux labels
/// belong to the build host, and `trusted.*`/`system.*` (overlay metadata, ACLs) are not portable.
pub(crate) fn is_layer_xattr(name: &str) -> bool {
    name == "security.capability" || name.starts_with("user.")
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Changes the owner of `path` itself (a symlink is not followed).
pub(crate) fn lchown(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    let p = c_path(path)?;
    // SAFETY: `p` is a valid NUL-terminated string for the duration of the call.
    check(unsafe { libc::lchown(p.as_ptr(), uid, gid) })
}

/// Creates a fifo or device node (`kind` is `libc::S_IFIFO`, `S_IFCHR` or `S_IFBLK`).
pub(crate) fn mknod(path: &Path, kind: libc::mode_t, perm: u32, major: u32, minor: u32) -> io::Result<()> {
    let p = c_path(path)?;
    let dev = libc::makedev(major, minor);
    // SAFETY: `p` is a valid NUL-terminated string for the duration of the call.
    check(unsafe { libc::mknod(p.as_ptr(), kind | (perm & 0o7777), dev) })
}

/// Sets access and modification time of `path` itself to `mtime` seconds.
pub(crate) fn set_mtime(path: &Path, mtime: u64) -> io::Result<()> {
    let p = c_path(path)?;
    let t = libc::timespec {
        // time_t is 64-bit on every target we build (x86_64 and aarch64, glibc and musl).
        tv_sec: i64::try_from(mtime).unwrap_or(i64::MAX) as _,
        tv_nsec: 0,
    };
    let times = [t, t];
    // SAFETY: `p` is NUL-terminated and `times` is an array of two timespecs, as utimensat expects.
    check(unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            p.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })
}

/// Creates `link` as a hard link to `target` (a symlink target is linked itself, not followed).
pub(crate) fn hard_link(target: &Path, link: &Path) -> io::Result<()> {
    let t = c_path(target)?;
    let l = c_path(link)?;
    // SAFETY: both are valid NUL-terminated strings for the duration of the call.
    check(unsafe { libc::linkat(libc::AT_FDCWD, t.as_ptr(), libc::AT_FDCWD, l.as_ptr(), 0) })
}

/// Sets extended attribute `name` on `path` itself.
pub(crate) fn set_xattr(path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
    let p = c_path(path)?;
    let n = CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "xattr name contains a NUL byte"))?;
    // SAFETY: `p` and `n` are NUL-terminated; `value` is valid for `value.len()` bytes.
    check(unsafe { libc::lsetxattr(p.as_ptr(), n.as_ptr(), value.as_ptr().cast(), value.len(), 0) })
}

/// Whether an xattr error means the filesystem (or the entry type) does not support attributes.
pub(crate) fn is_unsupported(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(libc::ENOTSUP))
}

/// Reads the attributes of `path` itself that belong in a layer (see [`is_layer_xattr`]).
/// A filesystem without xattr support has none.
pub(crate) fn layer_xattrs(path: &Path) -> io::Result<BTreeMap<String, Vec<u8>>> {
    let p = c_path(path)?;
    let mut out = BTreeMap::new();
    let Some(names) = read_sized(|buf: &mut [u8]| {
        // SAFETY: `p` is NUL-terminated and `buf` is valid for `buf.len()` bytes (null when empty,
        // which asks for the size).
        unsafe { libc::llistxattr(p.as_ptr(), buf_ptr(buf), buf.len()) }
    })?
    else {
        return Ok(out);
    };
    for raw in names.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let Ok(name) = std::str::from_utf8(raw) else {
            continue;
        };
        if !is_layer_xattr(name) {
            continue;
        }
        let Ok(n) = CString::new(raw) else { continue };
        let value = read_sized(|buf: &mut [u8]| {
            // SAFETY: as above, for the attribute name `n` too.
            unsafe { libc::lgetxattr(p.as_ptr(), n.as_ptr(), buf_ptr(buf).cast(), buf.len()) }
        })?;
        // An attribute removed between listing and reading is simply not there.
        if let Some(value) = value {
            out.insert(name.to_string(), value);
        }
    }
    Ok(out)
}

fn buf_ptr(buf: &mut [u8]) -> *mut libc::c_char {
    if buf.is_empty() {
        std::ptr::null_mut()
    } else {
        buf.as_mut_ptr().cast()
    }
}

/// Runs a size-then-fill xattr call, retrying when the value grew in between (ERANGE). `None` when
/// the attribute is missing or attributes are unsupported.
fn read_sized(mut call: impl FnMut(&mut [u8]) -> libc::ssize_t) -> io::Result<Option<Vec<u8>>> {
    loop {
        let size = call(&mut []);
        if size < 0 {
            return absent_or(io::Error::last_os_error());
        }
        let mut buf = vec![0u8; usize::try_from(size).unwrap_or(0)];
        if buf.is_empty() {
            return Ok(Some(buf));
        }
        let got = call(&mut buf);
        if got < 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::ERANGE) {
                continue;
            }
            return absent_or(err);
        }
        buf.truncate(usize::try_from(got).unwrap_or(0));
        return Ok(Some(buf));
    }
}

fn absent_or(err: io::Error) -> io::Result<Option<Vec<u8>>> {
    match err.raw_os_error() {
        Some(libc::ENODATA) | Some(libc::ENOTSUP) => Ok(None),
        _ => Err(err),
    }
}
