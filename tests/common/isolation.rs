// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Starts `kaniko build` the way each RUN isolation mode is meant to be used, so one test can
//! build the same [`Context`] in all of them:
//!
//! - [`Isolation::Chroot`]: the binary as root (this test process) with `--isolation=chroot`.
//! - [`Isolation::Rootless`]: the binary as the unprivileged [`ROOTLESS_USER`] (started with
//!   `setpriv`, which needs root) with `--isolation=rootless`; the user needs subordinate id ranges
//!   in `/etc/subuid` and `/etc/subgid` and `newuidmap` (package `uidmap`), as `hack/setup.sh`
//!   arranges. Without root the binary runs as the current user instead.
//! - [`Isolation::Container`]: the executor image (`target/image/kaniko-executor.tar` from
//!   `hack/image.sh`, loaded as `kaniko-rs/executor:<.release-version>`) in a plain
//!   `docker run --network host` (no `--privileged`) with the context mounted at `/workspace`.
//!
//! [`Isolation::availability`] says whether this machine can run a mode at all (root for chroot,
//! docker for the container); a mode that should work but is misconfigured fails with the fix.

use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::kaniko::{bases, build_args, Context};
use super::tools;

/// The unprivileged user rootless builds run as (uid 2000, subordinate ids 200000:65536).
pub const ROOTLESS_USER: &str = "kaniko-test";
/// The executor image tarball `hack/image.sh` writes.
pub const EXECUTOR_TARBALL: &str = "target/image/kaniko-executor.tar";
/// Where the container mode mounts the context and the Dockerfile.
const CONTAINER_CONTEXT: &str = "/workspace";
const CONTAINER_DOCKERFILE: &str = "/kaniko-build/Dockerfile";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    Chroot,
    Rootless,
    Container,
}

impl Isolation {
    pub const ALL: [Isolation; 3] = [Isolation::Chroot, Isolation::Rootless, Isolation::Container];

    /// The value of `--isolation`.
    pub fn flag_value(self) -> &'static str {
        match self {
            Isolation::Chroot => "chroot",
            Isolation::Rootless => "rootless",
            Isolation::Container => "container",
        }
    }

    pub fn from_flag_value(value: &str) -> Option<Isolation> {
        Isolation::ALL.into_iter().find(|m| m.flag_value() == value)
    }

    /// `Err(reason)` when this machine cannot run the mode at all (then the caller skips it
    /// and prints the reason); a mode that could run but is not set up panics later instead.
    pub fn availability(self) -> Result<(), String> {
        match self {
            Isolation::Chroot if !is_root() => Err("chroot isolation needs root".to_owned()),
            Isolation::Chroot | Isolation::Rootless => Ok(()),
            Isolation::Container if tools::docker_available() => Ok(()),
            Isolation::Container => Err("the container mode needs a docker daemon".to_owned()),
        }
    }

    /// Whether this machine can run the mode; when not, prints why (the caller skips it).
    pub fn runnable(self) -> bool {
        match self.availability() {
            Ok(()) => true,
            Err(reason) => {
                eprintln!("skipping --isolation={}: {reason}", self.flag_value());
                false
            }
        }
    }

    /// The modes of [`Isolation::ALL`] this machine can run, each one skipped named with the reason.
    pub fn runnable_modes() -> Vec<Isolation> {
        Isolation::ALL.into_iter().filter(|m| m.runnable()).collect()
    }

    /// `kaniko build` of `ctx` in this mode with `args` added (`--isolation` is added here);
    /// the output whatever the outcome.
    pub fn kaniko(self, ctx: &Context, args: &[&str]) -> Output {
        self.kaniko_with(ctx, args, &Extras::default())
    }

    /// [`Isolation::kaniko`] with what a build needs beyond its flags (see [`Extras`]).
    pub fn kaniko_with(self, ctx: &Context, args: &[&str], extras: &Extras<'_>) -> Output {
        let isolation = format!("--isolation={}", self.flag_value());
        match self {
            Isolation::Chroot => {
                let temporary = tempfile::tempdir().expect("kaniko dir");
                let kaniko_dir = extras.kaniko_dir.unwrap_or(temporary.path());
                let mut cmd = Command::new(kaniko_binary());
                cmd.args(build_args(ctx, kaniko_dir))
                    .arg(&isolation)
                    .args(args)
                    .env_remove("KANIKO_DIR")
                    .envs(extras.env.iter().copied());
                tools::run(&mut cmd)
            }
            Isolation::Rootless => rootless(ctx, &isolation, args, extras),
            Isolation::Container => container(ctx, &isolation, args, extras),
        }
    }
}

/// What a build may need besides its flags, given the same way in every mode.
#[derive(Debug, Default, Clone, Copy)]
pub struct Extras<'a> {
    /// Host directories the build reads or writes by their path (`--cache-dir`, secret files,
    /// outputs). Container mode bind-mounts each at the same path; rootless mode needs them
    /// reachable (and, to write, writable) by [`ROOTLESS_USER`], which the caller arranges.
    pub shared: &'a [&'a Path],
    /// `--kaniko-dir`, kept after the build (a temporary one otherwise; the container's own
    /// `/kaniko` in container mode). Container mode mounts it like a shared directory.
    pub kaniko_dir: Option<&'a Path>,
    /// Environment variables of the build (passed into the container by name).
    pub env: &'a [(&'a str, &'a str)],
    /// Extra `docker run` flags for container mode, e.g. `--cap-add SYS_ADMIN`.
    pub docker_args: &'a [&'a str],
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn kaniko_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kaniko"))
}

/// uid and gid of `user` from `/etc/passwd`.
pub fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = fs_err::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        match fields.as_slice() {
            [name, _, uid, gid, ..] if *name == user => Some((uid.parse().ok()?, gid.parse().ok()?)),
            _ => None,
        }
    })
}

fn has_subordinate_range(file: &str, user: &str, uid: u32) -> bool {
    fs_err::read_to_string(file).is_ok_and(|text| {
        text.lines().any(|l| {
            l.split(':')
                .next()
                .is_some_and(|n| n == user || n == uid.to_string())
        })
    })
}

/// Panics naming the first path that `uid` cannot reach: every ancestor must be searchable by
/// others (and the path itself readable), since the rootless build runs as another user.
fn assert_reachable_by_others(path: &Path, what: &str) {
    for ancestor in path.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()) {
        let mode = fs_err::metadata(ancestor).expect("stat ancestor").mode();
        assert!(
            mode & 0o001 != 0,
            "{what} {} is not reachable by {ROOTLESS_USER}: {} has mode {:o} (needs o+x)",
            path.display(),
            ancestor.display(),
            mode & 0o7777
        );
    }
}

/// Panics unless everything in the context is readable by others (directories also searchable):
/// the rootless build reads it as [`ROOTLESS_USER`], and changing modes here would change what
/// COPY records, so contexts must be written that way.
fn assert_context_world_readable(dir: &Path) {
    for entry in fs_err::read_dir(dir).expect("read context dir") {
        let path = entry.expect("context entry").path();
        let meta = fs_err::symlink_metadata(&path).expect("stat context entry");
        if meta.is_symlink() {
            continue;
        }
        let needed = if meta.is_dir() { 0o005 } else { 0o004 };
        assert!(
            meta.permissions().mode() & needed == needed,
            "{} has mode {:o}: rootless builds read the context as {ROOTLESS_USER}, so context \
             files must be world-readable (directories world-searchable)",
            path.display(),
            meta.permissions().mode() & 0o7777
        );
        if meta.is_dir() {
            assert_context_world_readable(&path);
        }
    }
}

fn rootless(ctx: &Context, isolation: &str, args: &[&str], extras: &Extras<'_>) -> Output {
    let temporary = tempfile::Builder::new()
        .prefix("kaniko-rootless-")
        .tempdir()
        .expect("kaniko dir");
    let kaniko_dir = extras.kaniko_dir.unwrap_or(temporary.path());
    fs_err::create_dir_all(kaniko_dir).expect("create the kaniko dir");
    let mut build: Vec<OsString> = build_args(ctx, kaniko_dir);
    build.push(isolation.into());
    build.extend(args.iter().map(OsString::from));
    if !is_root() {
        // Already unprivileged: run as ourselves.
        let mut cmd = Command::new(kaniko_binary());
        cmd.args(build)
            .env_remove("KANIKO_DIR")
            .envs(extras.env.iter().copied());
        return tools::run(&mut cmd);
    }
    let (uid, gid) = user_ids(ROOTLESS_USER).unwrap_or_else(|| {
        panic!(
            "rootless mode: no user {ROOTLESS_USER} (run hack/setup.sh, or useradd -u 2000 -m \
             {ROOTLESS_USER})"
        )
    });
    for file in ["/etc/subuid", "/etc/subgid"] {
        assert!(
            has_subordinate_range(file, ROOTLESS_USER, uid),
            "rootless mode: {file} has no range for {ROOTLESS_USER} (run hack/setup.sh, or \
             echo {ROOTLESS_USER}:200000:65536 >> {file})"
        );
    }
    assert!(
        Path::new("/usr/bin/newuidmap").exists(),
        "rootless mode: newuidmap is missing (run hack/setup.sh, or apt-get install uidmap)"
    );
    // The temporary directory holding the context and the Dockerfile is 0700; the context's
    // own modes are input and stay as they are.
    fs_err::set_permissions(ctx.scratch(), std::fs::Permissions::from_mode(0o755))
        .expect("open the context's parent to the rootless user");
    assert_context_world_readable(&ctx.dir());
    std::os::unix::fs::chown(kaniko_dir, Some(uid), Some(gid)).expect("chown kaniko dir");
    assert_reachable_by_others(&kaniko_binary(), "the kaniko binary");
    assert_reachable_by_others(&ctx.dir(), "the context");
    for dir in extras.shared {
        assert_reachable_by_others(&dir.join("."), "the shared directory");
    }
    // root's HOME is unreadable to the user; its kaniko dir is its own.
    let mut cmd = kaniko_as_rootless_user(kaniko_dir);
    cmd.args(build).envs(extras.env.iter().copied());
    tools::run(&mut cmd)
}

/// The kaniko binary started as [`ROOTLESS_USER`] (by root, through `setpriv`) with `home` as its
/// HOME and no KANIKO_DIR; the caller adds the arguments.
pub fn kaniko_as_rootless_user(home: &Path) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid",
        ROOTLESS_USER,
        "--regid",
        ROOTLESS_USER,
        "--init-groups",
        "--",
    ])
    .arg(kaniko_binary())
    .env_remove("KANIKO_DIR")
    .env("HOME", home);
    cmd
}

/// The kaniko binary for a build of `ctx` in `mode` (`chroot` or `rootless`) whose files all live
/// under `work` (opened to everyone): as root, a rootless build runs as [`ROOTLESS_USER`] with
/// `work` as HOME and the context opened to it; otherwise the binary runs as ourselves. No
/// KANIKO_DIR; the caller adds the arguments.
pub fn kaniko_in_mode(ctx: &Context, mode: &str, work: &Path) -> Command {
    fs_err::set_permissions(work, std::fs::Permissions::from_mode(0o777)).expect("open the work dir");
    if mode == "rootless" && is_root() {
        for p in [ctx.scratch(), ctx.dir()] {
            fs_err::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("open the context");
        }
        fs_err::set_permissions(ctx.dockerfile_path(), std::fs::Permissions::from_mode(0o644))
            .expect("open the Dockerfile");
        return kaniko_as_rootless_user(work);
    }
    let mut cmd = Command::new(kaniko_binary());
    cmd.env_remove("KANIKO_DIR");
    cmd
}

/// The executor image's tag: `kaniko-rs/executor:<.release-version>`.
pub fn executor_tag() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let version = fs_err::read_to_string(root.join(".release-version")).expect("read .release-version");
    format!("kaniko-rs/executor:{}", version.trim())
}

/// Makes the executor image available in the daemon, loading [`EXECUTOR_TARBALL`] unless the
/// daemon already holds the tag from the same tarball (a stamp next to it records size and mtime;
/// concurrent loads of one tarball are harmless). Panics naming `hack/image.sh` when it is missing.
pub fn ensure_executor_image() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tarball = root.join(EXECUTOR_TARBALL);
    let meta = fs_err::metadata(&tarball).unwrap_or_else(|e| {
        panic!("container mode: no executor image ({e}): run hack/image.sh to build {EXECUTOR_TARBALL}")
    });
    let tag = executor_tag();
    let stamp_text = format!("{tag} {} {}.{}", meta.len(), meta.mtime(), meta.mtime_nsec());
    let stamp = tarball.with_extension("tar.loaded");
    let loaded = fs_err::read_to_string(&stamp).is_ok_and(|s| s == stamp_text)
        && tools::run(tools::docker_cmd().args(["image", "inspect", &tag]))
            .status
            .success();
    if !loaded {
        let name = tools::docker_load(&tarball);
        if name != tag {
            tools::docker_ok(&["tag", &name, &tag]);
        }
        fs_err::write(&stamp, stamp_text).expect("write the executor stamp");
    }
    tag
}

fn container(ctx: &Context, isolation: &str, args: &[&str], extras: &Extras<'_>) -> Output {
    let image = ensure_executor_image();
    let context = format!("{}:{CONTAINER_CONTEXT}:ro", ctx.dir().display());
    let dockerfile = format!("{}:{CONTAINER_DOCKERFILE}:ro", ctx.dockerfile_path().display());
    let mut cmd = tools::docker_cmd();
    cmd.args([
        "run",
        "--rm",
        "--network",
        "host",
        "-v",
        &context,
        "-v",
        &dockerfile,
    ]);
    let kaniko_dir = extras.kaniko_dir.inspect(|dir| {
        fs_err::create_dir_all(dir).expect("create the kaniko dir");
    });
    for dir in extras.shared.iter().copied().chain(kaniko_dir) {
        cmd.arg("-v").arg(format!("{}:{}", dir.display(), dir.display()));
    }
    for (name, value) in extras.env {
        // By name: the value comes from docker's own environment, not its command line.
        cmd.args(["-e", name]).env(name, value);
    }
    cmd.args(extras.docker_args)
        .arg(&image)
        // Executor-style flags work whether the entrypoint is `kaniko` or `/kaniko/executor`.
        .args([
            "--context",
            CONTAINER_CONTEXT,
            "--dockerfile",
            CONTAINER_DOCKERFILE,
        ])
        .args(["--insecure-registry", &bases().registry.host()])
        .args(["--log-format", "text", isolation]);
    if let Some(dir) = kaniko_dir {
        cmd.arg("--kaniko-dir").arg(dir);
    }
    cmd.args(args);
    tools::run(&mut cmd)
}
