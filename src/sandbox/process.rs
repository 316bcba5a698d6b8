// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Starts one RUN command: in its own process group (so a cancelled build can kill everything it
//! started), optionally in a private mount namespace with the sandbox mounts and chrooted into the
//! stage filesystem, as the stage's user, with stdin closed and stdout/stderr streamed line by line
//! with a prefix while the last lines are kept for the error message.
//!
//! Everything the child does between fork and exec is prepared here as plain system-call arguments:
//! after fork only async-signal-safe calls are allowed.

use std::collections::VecDeque;
use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::mounts::{Mount, MountKind};
use crate::secrets::Redactor;

/// What to run and where. Its Debug output leaves out environment values (they may be secrets).
#[derive(Clone)]
pub struct ProcessSpec {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The command's root directory; with `chroot` false it must be `/`.
    pub root: PathBuf,
    /// Enter a private mount namespace, apply `mounts`, chroot into `root`.
    pub chroot: bool,
    /// Run in a new, empty network namespace (`RUN --network=none`).
    pub new_network: bool,
    pub mounts: Vec<Mount>,
    /// Working directory inside the root.
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// Prefix of every output line.
    pub label: String,
    /// How many of the last output lines to keep for the report.
    pub tail_lines: usize,
    /// Masks secret values in the output before it is printed, logged or kept.
    pub redact: Redactor,
}

impl std::fmt::Debug for ProcessSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessSpec")
            .field("argv", &self.argv)
            .field("env", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("root", &self.root)
            .field("chroot", &self.chroot)
            .field("new_network", &self.new_network)
            .field("mounts", &self.mounts)
            .field("cwd", &self.cwd)
            .field("uid", &self.uid)
            .field("gid", &self.gid)
            .field("groups", &self.groups)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// How the command ended, with its last lines of output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitReport {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub tail: Vec<String>,
}

impl ExitReport {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The status a shell would report for the command: its exit code, or 128 + the number of
    /// the signal that killed it (1 when neither is known).
    pub fn shell_status(&self) -> u8 {
        match (self.code, self.signal) {
            (Some(c), _) => u8::try_from(c).unwrap_or(1),
            (None, Some(s)) => u8::try_from(128 + s).unwrap_or(1),
            _ => 1,
        }
    }

    /// `exit code 3` or `killed by signal 9`.
    pub fn describe(&self) -> String {
        match (self.code, self.signal) {
            (Some(c), _) => format!("exit code {c}"),
            (None, Some(s)) => format!("killed by signal {s}"),
            _ => "an unknown status".into(),
        }
    }
}

/// Why the command could not be run (as opposed to: it ran and failed).
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("the command is empty")]
    EmptyCommand,
    #[error("{what} contains a NUL byte")]
    Nul { what: String },
    #[error("cannot start {program:?}: {source}")]
    Spawn { program: String, source: std::io::Error },
    #[error("waiting for {program:?}: {source}")]
    Wait { program: String, source: std::io::Error },
}

/// One step the child performs before exec.
#[derive(Debug)]
enum Op {
    /// unshare(CLONE_NEWNS) and make every mount private so nothing propagates back to the host.
    PrivateMounts,
    /// unshare(CLONE_NEWNET): only a loopback interface, which stays down.
    PrivateNetwork,
    Proc {
        target: CString,
    },
    Sys {
        target: CString,
    },
    Tmpfs {
        target: CString,
        data: CString,
    },
    /// Creates the target (file or directory) inside a tmpfs, then binds `source` there.
    Bind {
        source: CString,
        target: CString,
        readonly: bool,
        file: bool,
        create: bool,
    },
    Symlink {
        target: CString,
        link: CString,
    },
    Chroot {
        root: CString,
    },
    Chdir {
        dir: CString,
    },
    Groups {
        groups: Vec<libc::gid_t>,
    },
    Ids {
        uid: libc::uid_t,
        gid: libc::gid_t,
    },
}

fn cstr(what: &str, bytes: &[u8]) -> Result<CString, ProcessError> {
    CString::new(bytes).map_err(|_| ProcessError::Nul {
        what: what.to_string(),
    })
}

fn path_c(p: &Path) -> Result<CString, ProcessError> {
    cstr(&p.display().to_string(), p.as_os_str().as_bytes())
}

fn plan(spec: &ProcessSpec) -> Result<Vec<Op>, ProcessError> {
    let mut ops = Vec::new();
    if spec.new_network {
        ops.push(Op::PrivateNetwork);
    }
    if spec.chroot {
        ops.push(Op::PrivateMounts);
        let tmpfs: Vec<&Path> = spec
            .mounts
            .iter()
            .filter(|m| matches!(m.kind, MountKind::Tmpfs { .. }))
            .map(|m| m.target.as_path())
            .collect();
        for m in &spec.mounts {
            let target = path_c(&spec.root.join(&m.target))?;
            let in_tmpfs = tmpfs.iter().any(|t| m.target != *t && m.target.starts_with(t));
            let op = match &m.kind {
                MountKind::Proc => Op::Proc { target },
                MountKind::Sys => Op::Sys { target },
                MountKind::Tmpfs { data } => {
                    if in_tmpfs {
                        // A tmpfs inside another one (/dev/shm): its directory must be made first.
                        ops.push(Op::Bind {
                            source: CString::default(),
                            target: target.clone(),
                            readonly: false,
                            file: false,
                            create: true,
                        });
                    }
                    Op::Tmpfs {
                        target,
                        data: cstr("mount data", data.as_bytes())?,
                    }
                }
                MountKind::Bind { source, readonly } => Op::Bind {
                    source: path_c(source)?,
                    target,
                    readonly: *readonly,
                    file: m.file,
                    create: in_tmpfs,
                },
                MountKind::Symlink { target: to } => Op::Symlink {
                    target: cstr("symlink target", to.as_bytes())?,
                    link: target,
                },
            };
            ops.push(op);
        }
        ops.push(Op::Chroot {
            root: path_c(&spec.root)?,
        });
    }
    ops.push(Op::Chdir {
        dir: cstr("working directory", spec.cwd.as_bytes())?,
    });
    ops.push(Op::Groups {
        groups: spec.groups.clone(),
    });
    ops.push(Op::Ids {
        uid: spec.uid,
        gid: spec.gid,
    });
    Ok(ops)
}

fn check(rc: libc::c_int) -> std::io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Gives a new process the signal state of a fresh one: nothing blocked, SIGPIPE back to its
/// default (Rust programs ignore it, and both are inherited across exec). Async-signal-safe.
pub(crate) fn reset_signals() -> std::io::Result<()> {
    // SAFETY: sigset_t is initialised by sigemptyset; these calls are async-signal-safe.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        if libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::signal(libc::SIGPIPE, libc::SIG_DFL) == libc::SIG_ERR {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Runs in the forked child: only system calls on prepared arguments, no allocation.
fn apply(ops: &[Op]) -> std::io::Result<()> {
    reset_signals()?;
    let none = std::ptr::null::<libc::c_char>();
    // SAFETY: every pointer comes from a CString owned by `ops`, alive for the whole call.
    unsafe {
        for op in ops {
            match op {
                Op::PrivateMounts => {
                    check(libc::unshare(libc::CLONE_NEWNS))?;
                    check(libc::mount(
                        none,
                        c"/".as_ptr(),
                        none,
                        libc::MS_REC | libc::MS_PRIVATE,
                        std::ptr::null(),
                    ))?;
                }
                Op::PrivateNetwork => check(libc::unshare(libc::CLONE_NEWNET))?,
                Op::Proc { target } => {
                    let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
                    let fresh = libc::mount(
                        c"proc".as_ptr(),
                        target.as_ptr(),
                        c"proc".as_ptr(),
                        flags,
                        std::ptr::null(),
                    );
                    if fresh != 0 {
                        check(libc::mount(
                            c"/proc".as_ptr(),
                            target.as_ptr(),
                            none,
                            libc::MS_BIND | libc::MS_REC,
                            std::ptr::null(),
                        ))?;
                    }
                }
                Op::Sys { target } => {
                    // Best effort, as a read-only view: builds rarely need it and user namespaces
                    // that do not own the network namespace cannot mount sysfs.
                    if libc::mount(
                        c"/sys".as_ptr(),
                        target.as_ptr(),
                        none,
                        libc::MS_BIND | libc::MS_REC,
                        std::ptr::null(),
                    ) == 0
                    {
                        libc::mount(
                            none,
                            target.as_ptr(),
                            none,
                            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_REC,
                            std::ptr::null(),
                        );
                    }
                }
                Op::Tmpfs { target, data } => check(libc::mount(
                    c"tmpfs".as_ptr(),
                    target.as_ptr(),
                    c"tmpfs".as_ptr(),
                    libc::MS_NOSUID,
                    data.as_ptr().cast(),
                ))?,
                Op::Bind {
                    source,
                    target,
                    readonly,
                    file,
                    create,
                } => {
                    if *create {
                        if *file {
                            let fd = libc::open(
                                target.as_ptr(),
                                libc::O_CREAT | libc::O_WRONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                                0o644,
                            );
                            if fd < 0 {
                                return Err(std::io::Error::last_os_error());
                            }
                            libc::close(fd);
                        } else if libc::mkdir(target.as_ptr(), 0o755) != 0
                            && *libc::__errno_location() != libc::EEXIST
                        {
                            return Err(std::io::Error::last_os_error());
                        }
                    }
                    if source.as_bytes().is_empty() {
                        continue;
                    }
                    check(libc::mount(
                        source.as_ptr(),
                        target.as_ptr(),
                        none,
                        libc::MS_BIND | libc::MS_REC,
                        std::ptr::null(),
                    ))?;
                    if *readonly {
                        check(libc::mount(
                            none,
                            target.as_ptr(),
                            none,
                            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
                            std::ptr::null(),
                        ))?;
                    }
                }
                Op::Symlink { target, link } => check(libc::symlink(target.as_ptr(), link.as_ptr()))?,
                Op::Chroot { root } => check(libc::chroot(root.as_ptr()))?,
                Op::Chdir { dir } => check(libc::chdir(dir.as_ptr()))?,
                Op::Groups { groups } => {
                    let rc = libc::setgroups(groups.len(), groups.as_ptr());
                    // A user namespace with a single mapped id forbids setgroups; an empty or
                    // root-only list then changes nothing anyway.
                    if rc != 0
                        && !(*libc::__errno_location() == libc::EPERM && groups.iter().all(|g| *g == 0))
                    {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Op::Ids { uid, gid } => {
                    check(libc::setgid(*gid))?;
                    check(libc::setuid(*uid))?;
                }
            }
        }
    }
    Ok(())
}

/// Whether this process may give a command a network namespace of its own (`RUN --network=none`).
/// A plain container (no CAP_SYS_ADMIN, docker's seccomp profile) may not. Tried on a throw-away
/// thread: a network namespace belongs to the thread that unshares it and ends with it.
pub fn private_network_available() -> std::io::Result<()> {
    std::thread::spawn(|| {
        // SAFETY: unshare takes no pointers; it changes only this short-lived thread.
        check(unsafe { libc::unshare(libc::CLONE_NEWNET) })
    })
    .join()
    .unwrap_or_else(|_| Err(std::io::Error::other("the probe thread panicked")))
}

/// Kills the command's whole process group when dropped, so a cancelled build (SIGTERM, an error
/// elsewhere) leaves no process writing into a filesystem that is about to be removed.
struct GroupKiller(Option<libc::pid_t>);

impl Drop for GroupKiller {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            // SAFETY: signalling a process group we created.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
    }
}

/// Reads the command's combined output line by line until every writer has closed it.
fn pump(reader: std::io::PipeReader, label: &str, keep: usize, redact: &Redactor) -> VecDeque<String> {
    use std::io::BufRead;
    let mut tail = VecDeque::new();
    let mut reader = std::io::BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return tail,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&buf);
        let line = redact.redact(line.trim_end_matches(['\n', '\r']));
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{label} {line}");
        }
        // For the step's debug file; the console already has the line on stdout.
        tracing::debug!(target: crate::observe::component::RUN_OUTPUT_TARGET, "{line}");
        tail.push_back(line.to_string());
        while tail.len() > keep {
            tail.pop_front();
        }
    }
}

/// Runs the command to completion and reports how it ended. Dropping the future kills it.
pub async fn run(spec: &ProcessSpec) -> Result<ExitReport, ProcessError> {
    let program = spec.argv.first().ok_or(ProcessError::EmptyCommand)?.clone();
    let ops = plan(spec)?;
    // One pipe for stdout and stderr keeps their lines in the order the command wrote them.
    let (reader, writer) = std::io::pipe().map_err(|source| ProcessError::Spawn {
        program: program.clone(),
        source,
    })?;
    let writer2 = writer.try_clone().map_err(|source| ProcessError::Spawn {
        program: program.clone(),
        source,
    })?;
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(&spec.argv[1..])
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .process_group(0)
        .kill_on_drop(true);
    // SAFETY: `apply` only makes async-signal-safe system calls on data prepared before the fork.
    unsafe {
        cmd.pre_exec(move || apply(&ops));
    }
    let spawned = cmd.spawn();
    // The command object holds our copies of the pipe's write end; the reader sees end-of-file only
    // once they are closed.
    drop(cmd);
    let mut child = spawned.map_err(|source| ProcessError::Spawn {
        program: program.clone(),
        source,
    })?;
    let _killer = GroupKiller(child.id().and_then(|id| libc::pid_t::try_from(id).ok()));
    let label = spec.label.clone();
    let keep = spec.tail_lines;
    let redact = spec.redact.clone();
    // The output's records belong to the step that runs the command.
    let span = tracing::Span::current();
    let pumping = tokio::task::spawn_blocking(move || span.in_scope(|| pump(reader, &label, keep, &redact)));
    let status = child.wait().await.map_err(|source| ProcessError::Wait {
        program: program.clone(),
        source,
    })?;
    // Background processes the command left behind would hold the pipe open: end the group.
    if let Some(pgid) = _killer.0 {
        // SAFETY: signalling the process group we created.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
    let tail: Vec<String> = pumping.await.map(Vec::from).unwrap_or_default();
    use std::os::unix::process::ExitStatusExt;
    Ok(ExitReport {
        code: status.code(),
        signal: status.signal(),
        tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(argv: &[&str]) -> ProcessSpec {
        ProcessSpec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: vec![
                ("PATH".into(), "/usr/bin:/bin".into()),
                ("GREETING".into(), "hi".into()),
            ],
            root: PathBuf::from("/"),
            chroot: false,
            new_network: false,
            mounts: Vec::new(),
            cwd: "/tmp".into(),
            uid: 0,
            gid: 0,
            groups: Vec::new(),
            label: "[test]".into(),
            tail_lines: 2,
            redact: Redactor::default(),
        }
    }

    #[tokio::test]
    async fn exit_code_env_cwd_and_tail_are_reported() {
        let report = run(&spec(&[
            "/bin/sh",
            "-c",
            "echo one; echo $GREETING; pwd >&2; exit 3",
        ]))
        .await
        .unwrap();
        assert_eq!(report.code, Some(3));
        assert!(!report.success());
        assert_eq!(report.describe(), "exit code 3");
        assert_eq!(report.shell_status(), 3);
        // stdout and stderr share one pipe, so their order is kept; only the last two lines stay.
        assert_eq!(report.tail, ["hi", "/tmp"]);
    }

    /// Regression: commands inherited the builder's blocked signals and ignored SIGPIPE, so
    /// `yes | head` printed "Broken pipe" errors and `kill -TERM` did nothing.
    #[tokio::test]
    async fn commands_start_with_default_signal_handling() {
        let report = run(&spec(&[
            "/bin/sh",
            "-c",
            "grep -E 'SigBlk|SigIgn' /proc/self/status | tr -s '\\t' ' '",
        ]))
        .await
        .unwrap();
        // Only the classic signals (1–31) matter; the C library reserves some real-time ones.
        let classic =
            |line: &str| u64::from_str_radix(line.rsplit(' ').next().unwrap(), 16).unwrap() & 0x7fff_ffff;
        assert_eq!(report.tail.len(), 2, "{:?}", report.tail);
        assert_eq!(classic(&report.tail[0]), 0, "{:?}", report.tail);
        assert_eq!(classic(&report.tail[1]), 0, "{:?}", report.tail);
    }

    #[tokio::test]
    async fn secret_values_are_masked_in_the_output() {
        let mut s = spec(&["/bin/sh", "-c", "echo the key is s3cr3t-value; echo plain"]);
        s.redact = Redactor::new(["s3cr3t-value".to_string()]);
        let report = run(&s).await.unwrap();
        assert_eq!(report.tail, ["the key is ****", "plain"]);
    }

    #[tokio::test]
    async fn stdin_is_closed() {
        let report = run(&spec(&["/bin/sh", "-c", "cat; echo done"])).await.unwrap();
        assert!(report.success());
        assert_eq!(report.tail, ["done"]);
    }

    #[tokio::test]
    async fn a_missing_program_is_a_spawn_error() {
        let err = run(&spec(&["/nonexistent/prog"])).await.unwrap_err().to_string();
        assert!(err.contains("/nonexistent/prog"), "{err}");
    }

    #[tokio::test]
    async fn ids_are_switched() {
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: needs root to switch ids");
            return;
        }
        let mut s = spec(&["/bin/sh", "-c", "id -u; id -g"]);
        s.uid = 65534;
        s.gid = 65534;
        let report = run(&s).await.unwrap();
        assert_eq!(report.tail, ["65534", "65534"]);
    }

    /// A chrooted command sees the sandbox mounts, and they are gone once it exits.
    #[tokio::test(flavor = "multi_thread")]
    async fn chroot_gets_proc_and_dev_and_leaves_no_mount() {
        let busybox = Path::new("/bin/busybox");
        if unsafe { libc::geteuid() } != 0 || !busybox.exists() {
            eprintln!("skipped: needs root and busybox-static (hack/setup.sh installs it)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::copy(busybox, root.join("bin/busybox")).unwrap();
        std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
        let mounts = super::super::mounts::standard_mounts(&["etc/hosts"]);
        super::super::mounts::prepare_targets(&root, &mounts).unwrap();
        let mut s = spec(&[
            "/bin/sh",
            "-c",
            "busybox ls /dev | busybox tr '\\n' ' '; echo; echo x > /dev/null && busybox head -c 4 /dev/zero | busybox wc -c; \
             busybox test -r /proc/self/status && echo proc; busybox pwd; busybox id -u",
        ]);
        s.root = root.clone();
        s.chroot = true;
        s.mounts = mounts;
        s.cwd = "/bin".into();
        s.uid = 1234;
        s.gid = 1234;
        s.tail_lines = 10;
        let report = run(&s).await.unwrap();
        assert!(report.success(), "{report:?}");
        let devs = &report.tail[0];
        for d in ["null", "zero", "urandom", "shm", "fd"] {
            assert!(devs.split(' ').any(|x| x == d), "/dev lacks {d}: {devs}");
        }
        assert_eq!(&report.tail[1..], ["4", "proc", "/bin", "1234"]);
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        assert!(
            !mountinfo.contains(root.to_str().unwrap()),
            "a mount leaked: {mountinfo}"
        );
        // Nothing the command saw in /dev was written into the stage filesystem.
        assert_eq!(std::fs::read_dir(root.join("dev")).unwrap().count(), 0);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn network_none_has_only_loopback() {
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: needs root");
            return;
        }
        private_network_available().expect("root may unshare the network namespace");
        let mut s = spec(&[
            "/bin/sh",
            "-c",
            "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '",
        ]);
        s.new_network = true;
        let report = run(&s).await.unwrap();
        assert_eq!(report.tail, ["lo"]);
    }
}
