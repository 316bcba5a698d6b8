// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Rootless mode: the build re-executes itself in a new user and mount namespace, where the invoking
//! user is root and may chroot, bind-mount and chown within the ids mapped to it.
//!
//! A multi-threaded process cannot enter a user namespace, so the switch happens before the async
//! runtime starts: this process becomes a small parent that maps ids, forwards SIGINT/SIGTERM/SIGHUP
//! and exits with the child's status. The child does all the work, including removing its own files
//! (which belong to mapped ids the parent may not be allowed to delete).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;

/// Set on the re-executed child: it already runs inside the namespace.
pub const INSIDE_ENV: &str = "_KANIKO_ROOTLESS_CHILD";

/// Whether this process is the re-executed child of a rootless build.
pub fn inside() -> bool {
    std::env::var_os(INSIDE_ENV).is_some_and(|v| v == "1")
}

/// How many user ids this process's user namespace maps (u32::MAX+1 for the initial namespace).
pub fn mapped_uid_count() -> u64 {
    std::fs::read_to_string("/proc/self/uid_map")
        .map(|m| {
            m.lines()
                .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0)
}

/// One line of a uid or gid map: `inside outside count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MapRange {
    inside: u64,
    outside: u64,
    count: u64,
}

/// How the child's ids get mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
enum MapPlan {
    /// Root maps every id to itself.
    Identity,
    /// The invoking ids to 0, plus subordinate ranges at 1.., written by newuidmap/newgidmap.
    Helpers { uid: Vec<MapRange>, gid: Vec<MapRange> },
    /// Only the invoking ids, written directly (no subordinate ranges configured).
    Single { uid: u32, gid: u32 },
}

/// Finds `user`'s (by name or uid) first range in an /etc/subuid-style file.
fn subordinate_range(file: &str, name: Option<&str>, id: u32) -> Option<(u64, u64)> {
    file.lines().find_map(|l| {
        let mut f = l.trim().split(':');
        let owner = f.next()?;
        let start = f.next()?.parse().ok()?;
        let count = f.next()?.parse().ok()?;
        (Some(owner) == name || owner == id.to_string()).then_some((start, count))
    })
}

fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.get(2)?.parse::<u32>().ok()? == uid).then(|| f.first().map(|s| s.to_string()))?
    })
}

fn have_program(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()))
}

fn plan_mapping() -> MapPlan {
    // SAFETY: getuid/getgid have no preconditions.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    if uid == 0 {
        return MapPlan::Identity;
    }
    let name = user_name(uid);
    let sub = |file: &str| {
        std::fs::read_to_string(file)
            .ok()
            .and_then(|f| subordinate_range(&f, name.as_deref(), uid))
    };
    match (sub("/etc/subuid"), sub("/etc/subgid")) {
        (Some((us, uc)), Some((gs, gc))) if have_program("newuidmap") && have_program("newgidmap") => {
            let ranges = |own: u32, start, count| {
                vec![
                    MapRange {
                        inside: 0,
                        outside: u64::from(own),
                        count: 1,
                    },
                    MapRange {
                        inside: 1,
                        outside: start,
                        count,
                    },
                ]
            };
            MapPlan::Helpers {
                uid: ranges(uid, us, uc),
                gid: ranges(gid, gs, gc),
            }
        }
        _ => MapPlan::Single { uid, gid },
    }
}

/// Writes the maps of process `pid` (which has just unshared its user namespace).
/// Why the build could not be re-executed in a user namespace.
#[derive(Debug, thiserror::Error)]
pub enum ReexecError {
    #[error("--isolation=rootless: cannot create a user namespace: {0}")]
    Unshare(#[source] std::io::Error),
    /// The child failed to start because its ids could not be mapped; `spawn` is how it failed.
    #[error("--isolation=rootless: cannot create a user namespace: {source} ({spawn})")]
    Mapping {
        source: MappingError,
        spawn: std::io::Error,
    },
    #[error("rootless: creating a pipe: {0}")]
    Pipe(#[source] std::io::Error),
    #[error("rootless: the id-mapping thread panicked")]
    MapperPanicked,
    #[error("rootless: waiting for the build: {0}")]
    Wait(#[source] std::io::Error),
}

/// Why the child's ids could not be mapped.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("the child did not enter its namespace: {0}")]
    ChildNotReady(#[source] std::io::Error),
    #[error("writing {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("running {helper}: {source}")]
    Helper {
        helper: &'static str,
        source: std::io::Error,
    },
    /// `stderr` is the helper's own diagnostic, trimmed.
    #[error("{helper} failed ({status}): {stderr}")]
    HelperFailed {
        helper: &'static str,
        status: std::process::ExitStatus,
        stderr: String,
    },
    #[error("releasing the child: {0}")]
    Release(#[source] std::io::Error),
}

fn apply_mapping(pid: i32, plan: &MapPlan) -> Result<(), MappingError> {
    let write = |file: &str, text: &str| {
        let path = format!("/proc/{pid}/{file}");
        std::fs::write(&path, text).map_err(|source| MappingError::Write { path, source })
    };
    match plan {
        MapPlan::Identity => {
            write("uid_map", "0 0 4294967295\n")?;
            write("gid_map", "0 0 4294967295\n")
        }
        MapPlan::Single { uid, gid } => {
            // An unprivileged process may only map its own ids, and only after giving up setgroups.
            write("setgroups", "deny")?;
            write("uid_map", &format!("0 {uid} 1\n"))?;
            write("gid_map", &format!("0 {gid} 1\n"))
        }
        MapPlan::Helpers { uid, gid } => {
            for (helper, ranges) in [("newuidmap", uid), ("newgidmap", gid)] {
                let mut cmd = Command::new(helper);
                cmd.arg(pid.to_string());
                for r in ranges {
                    cmd.args([r.inside.to_string(), r.outside.to_string(), r.count.to_string()]);
                }
                let out = cmd
                    .output()
                    .map_err(|source| MappingError::Helper { helper, source })?;
                if !out.status.success() {
                    return Err(MappingError::HelperFailed {
                        helper,
                        status: out.status,
                        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                    });
                }
            }
            Ok(())
        }
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd), ReexecError> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(ReexecError::Pipe(std::io::Error::last_os_error()));
    }
    // SAFETY: pipe2 returned two fresh descriptors that we now own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Signals the parent forwards to the child.
const FORWARDED: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

fn forwarded_set() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data initialised by sigemptyset before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in FORWARDED {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// Runs this program again (`args` with argv[0], which may select executor-style parsing) inside a
/// new user and mount namespace, and returns the exit code to leave with (128 + signal when the child
/// was killed).
pub fn reexec(args: Vec<OsString>) -> Result<u8, ReexecError> {
    let plan = plan_mapping();
    if let MapPlan::Single { uid, .. } = plan {
        tracing::warn!(
            uid,
            "rootless: no subordinate ids for this user in /etc/subuid and /etc/subgid (or newuidmap \
             is missing); only root is mapped, so files cannot be owned by other users"
        );
    }
    let (ready_r, ready_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    // Blocked here so they queue for the forwarding thread; the child starts with an empty mask
    // (the standard library resets it).
    let set = forwarded_set();
    // SAFETY: set is initialised; blocking signals in this thread is what we want.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };

    let mapper = std::thread::spawn(move || -> Result<(), MappingError> {
        let mut ready = std::fs::File::from(ready_r);
        let mut pid = [0u8; 4];
        ready.read_exact(&mut pid).map_err(MappingError::ChildNotReady)?;
        apply_mapping(i32::from_ne_bytes(pid), &plan)?;
        std::fs::File::from(go_w)
            .write_all(b"g")
            .map_err(MappingError::Release)
    });

    let mut args = args.into_iter();
    let arg0 = args.next().unwrap_or_else(|| OsString::from("kaniko"));
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg0(arg0).args(args).env(INSIDE_ENV, "1");
    let (ready_fd, go_fd) = (ready_w.as_raw_fd(), go_r.as_raw_fd());
    // SAFETY: the closure runs in the forked child and only makes async-signal-safe system calls.
    unsafe {
        cmd.pre_exec(move || {
            super::process::reset_signals()?;
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong) != 0
                || libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            let pid = libc::getpid().to_ne_bytes();
            if libc::write(ready_fd, pid.as_ptr().cast(), pid.len()) != 4 {
                return Err(std::io::Error::last_os_error());
            }
            let mut b = 0u8;
            if libc::read(go_fd, (&mut b as *mut u8).cast(), 1) != 1 {
                return Err(std::io::Error::from_raw_os_error(libc::EPERM));
            }
            Ok(())
        });
    }
    let spawned = cmd.spawn();
    // Our copies must close so the mapper sees end-of-file if the child died before writing.
    drop(ready_w);
    drop(go_r);
    let mapped = mapper.join().map_err(|_| ReexecError::MapperPanicked)?;
    let mut child = match (spawned, mapped) {
        (Ok(c), _) => c,
        (Err(spawn), Err(source)) => return Err(ReexecError::Mapping { source, spawn }),
        (Err(e), Ok(())) => return Err(ReexecError::Unshare(e)),
    };
    let child_pid = child.id() as libc::pid_t;
    std::thread::spawn(move || loop {
        let mut sig = 0;
        // SAFETY: set is initialised and blocked in every thread (inherited from this one).
        if unsafe { libc::sigwait(&set, &mut sig) } == 0 {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(child_pid, sig) };
        }
    });
    let status = child.wait().map_err(ReexecError::Wait)?;
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(1),
        _ => 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subordinate_ranges_match_name_or_uid() {
        let file = "alice:100000:65536\n2000:300000:1000\nbad line\n";
        assert_eq!(
            subordinate_range(file, Some("alice"), 1000),
            Some((100000, 65536))
        );
        assert_eq!(subordinate_range(file, Some("bob"), 2000), Some((300000, 1000)));
        assert_eq!(subordinate_range(file, Some("carol"), 3000), None);
    }

    #[test]
    fn the_initial_namespace_maps_every_id() {
        // Tests run outside any rootless child.
        if !inside() {
            assert!(mapped_uid_count() >= 1 << 32 || mapped_uid_count() > 65536);
        }
    }
}
