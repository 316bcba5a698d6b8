// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The parity suite (issue #3, point 5): Dockerfiles with RUN, each built by `docker build` and by
//! our binary in every RUN isolation mode this machine allows, the results compared.
//!
//! Every case is a directory `tests/e2e/<case>/` holding a `Dockerfile` (bases as placeholders, see
//! [`Context`]), optionally a `context/` directory (the build context, files as git records them),
//! and optionally a `Dockerfile.docker` that docker builds instead (the legacy builder lacks
//! heredocs). The list in [`parity_cases!`] adds what cannot live in files: build arguments, a
//! hook that writes context files git cannot hold (xattrs, empty directories), expectations, and
//! paths left out of the docker comparison, each with its reason.
//!
//! One `#[test]` per case, so nextest runs them in parallel. A case:
//! 1. builds the context with `docker build` (legacy builder, same base) and checks every
//!    expectation that is not ours-only against docker's image: this validates the case itself;
//! 2. for each isolation mode ([`Isolation`]; `KANIKO_E2E_MODES=chroot,rootless,container`
//!    selects some, an empty value none), in turn: builds with our binary, pushes to the shared
//!    registry, reads the image back (skopeo + umoci), checks the expectations, compares the root
//!    filesystem (type, mode, owner, size, content hash, link target, xattrs, hard links) and the
//!    config fields with docker's, and smoke-runs the image with `docker run`;
//! 3. fails once at the end naming the case and every mode that went wrong, with the details.
//!
//! `KANIKO_E2E_ARGS` adds flags to every build of ours (e.g. `--snapshot-mode=redo`), to run the
//! suite under another snapshot mode; [`Expect::Layers`] assumes one layer per changing step, so
//! `--single-snapshot` fails those on purpose. Each case prints docker's changes from the base and
//! its timings to stderr (`--no-capture` shows them for passing cases too).
//!
//! Ignored everywhere ([`IGNORED_EVERYWHERE`]) is nothing: docker's legacy builder commits the
//! container's own layer only, so the files it mounts into RUN containers (`/etc/hosts`,
//! `/etc/resolv.conf`, `/etc/hostname`, `/.dockerenv`, `/dev/*`, `/proc`, `/sys`) never reach its
//! images, and ours must not show them either. The per-case ignores are listed with the cases.
//!
//! Layer counts are compared only where a case asserts one ([`Expect::Layers`]; docker, too, adds
//! no layer for a RUN that changes nothing): elsewhere, how changes are split into layers is not
//! what parity is about.
//! A failing RUN has its own test, [`run_failure_names_line_and_exit_code`].

mod common;

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use serde_json::Value;

use common::images::{CREATED_EPOCH, GROUP, PASSWD};
use common::isolation::Isolation;
use common::kaniko::{
    bases, docker_build_context, docker_build_output, docker_differences, normalized, unique_repo, Built,
    Context, DockerImage, DockerOptions,
};
use common::tools::{self, RootfsSnapshot};

/// Paths left out of every comparison with docker; see the module documentation for why this is
/// empty. Kept as a named list so that an addition has to come with a reason there.
const IGNORED_EVERYWHERE: &[&str] = &[];

/// `security.capability` of `cap_net_raw+ep`, as the kernel stores it for the initial user
/// namespace (VFS_CAP_REVISION_2 with the effective flag, permitted bit 13).
const CAP_NET_RAW_EP: [u8; 20] = [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// What a case expects of the images built from it.
#[derive(Debug, Clone)]
enum Expect {
    /// The file's content, symlinks resolved inside the image.
    Text(&'static str, &'static str),
    /// The file contains this text.
    Contains(&'static str, &'static str),
    /// `kind mode uid:gid [-> target]`, as [`Built::meta`] prints it.
    Meta(&'static str, &'static str),
    Absent(&'static str),
    /// An extended attribute's value, or that the path has none by that name.
    Xattr(&'static str, &'static str, Option<&'static [u8]>),
    /// The paths are one inode (hard links of each other).
    SameFile(&'static [&'static str]),
    /// How many layers the image has.
    Layers(usize),
    /// A config field (`Env`, `Cmd`, ...) as JSON; absent, null and empty are equal.
    Config(&'static str, &'static str),
    /// `docker run --rm IMAGE ARGS...` succeeds with exactly this stdout (no ARGS: the image's CMD).
    Run(&'static [&'static str], &'static str),
}

/// Which images an expectation holds for.
#[derive(Debug, Clone)]
enum Scope {
    Both,
    /// Ours only; docker's legacy builder differs for the given reason.
    Ours(&'static str),
    /// Ours only, and not in container mode: the container's own filesystem is docker's storage
    /// driver, with the same quirk that makes docker differ.
    OursOnPlainFs(&'static str),
}

/// One parity case: its directory name and what the Dockerfile alone cannot say.
struct Case {
    name: &'static str,
    build_args: Vec<(&'static str, &'static str)>,
    /// Flags of ours the case needs to match docker (kaniko's defaults differ from docker's).
    flags: Vec<&'static str>,
    /// Writes context files git cannot hold, into the context directory.
    prepare: Option<fn(&Path)>,
    expects: Vec<(Expect, Scope)>,
    /// Paths left out of the docker comparison, with the reason.
    ignores: Vec<(&'static str, &'static str)>,
}

impl Case {
    fn new(name: &'static str) -> Case {
        Case {
            name,
            build_args: Vec::new(),
            flags: Vec::new(),
            prepare: None,
            expects: Vec::new(),
            ignores: Vec::new(),
        }
    }

    fn arg(mut self, name: &'static str, value: &'static str) -> Case {
        self.build_args.push((name, value));
        self
    }

    fn flag(mut self, flag: &'static str) -> Case {
        self.flags.push(flag);
        self
    }

    fn prepare(mut self, hook: fn(&Path)) -> Case {
        self.prepare = Some(hook);
        self
    }

    fn expect(mut self, expect: Expect) -> Case {
        self.expects.push((expect, Scope::Both));
        self
    }

    /// Like [`Case::expect_ours`], for a filesystem quirk of docker's storage driver that our
    /// container mode inherits (it runs on that storage too).
    fn expect_on_plain_fs(mut self, expect: Expect, why_docker_differs: &'static str) -> Case {
        self.expects
            .push((expect, Scope::OursOnPlainFs(why_docker_differs)));
        self
    }

    fn expect_ours(mut self, expect: Expect, why_docker_differs: &'static str) -> Case {
        self.expects.push((expect, Scope::Ours(why_docker_differs)));
        self
    }

    fn ignore(mut self, path: &'static str, reason: &'static str) -> Case {
        self.ignores.push((path, reason));
        self
    }

    fn dir(&self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/e2e")
            .join(self.name)
    }
}

/// One `#[test]` per case; `CASE_NAMES` lists them for [`every_case_directory_is_listed`].
macro_rules! parity_cases {
    ($($name:ident => $define:expr;)+) => {
        $(
            #[test]
            fn $name() {
                let define: fn(Case) -> Case = $define;
                run_case(&define(Case::new(stringify!($name))));
            }
        )+
        const CASE_NAMES: &[&str] = &[$(stringify!($name)),+];
    };
}

use Expect::{Absent, Config, Contains, Layers, Meta, Run, SameFile, Text, Xattr};

parity_cases! {
    delete_recreate_base_files => |c| c
        .expect(Text("/etc/group", "root:x:0:\napp:x:1000:\n"))
        .expect(Text("/etc/passwd", PASSWD))
        .expect(Meta("/etc/passwd", "File 0644 0:0"))
        .expect(Meta("/bin/ls", "Symlink 0777 0:0 -> /bin/busybox"))
        .expect(Meta("/usr/local/bin/suid-check", "File 0755 0:0"))
        .expect(Meta("/bin/cat", "File 0755 0:0"))
        .expect(Absent("/root/passwd.saved"))
        .expect(Run(&[], "root:x:0:\napp:x:1000:\n"))
        .expect(Run(&["/usr/local/bin/suid-check"], "recreated\n"));
    dir_file_swap => |c| c
        // kaniko (and we, by default) leave /var/run out of RUN snapshots; docker keeps it.
        .flag("--ignore-var-run=false")
        .expect(Text("/swap/dir/again/y", "back\n"))
        .expect(Text("/swap/file", "file-again\n"))
        .expect(Absent("/swap/dir/sub"))
        .expect(Meta("/home/app", "File 0644 0:0"))
        .expect(Meta("/var/run", "Dir 0755 0:0"))
        .expect(Text("/var/run/x.pid", "42\n"))
        .expect(Absent("/run/x.pid"))
        .expect(Run(&[], "back\nfile-again\n"));
    symlink_chains => |c| c
        .expect(Meta("/opt/app/current", "Symlink 0777 0:0 -> v2"))
        .expect(Meta("/etc/app-version", "Symlink 0777 0:0 -> ../opt/version"))
        .expect(Text("/etc/app-version", "v2\n"))
        .expect(Meta("/usr/local/bin/env3", "Symlink 0777 0:0 -> env2"))
        .expect(Meta("/opt/dangling", "Symlink 0777 0:0 -> /does/not/exist"))
        .expect(Meta("/opt/loop-a", "Symlink 0777 0:0 -> loop-b"))
        .expect(Meta("/var/run", "Symlink 0777 0:0 -> /run"))
        .expect(Text("/run/app/state", "through\n"))
        .expect(Meta("/bin/true", "File 0755 0:0"))
        .expect(Meta("/etc/passwd-link", "Symlink 0777 0:0 -> /etc/passwd"))
        .expect(Run(&[], "v2\n"))
        .expect(Run(&["readlink", "-f", "/usr/local/bin/env3"], "/bin/busybox\n"));
    hardlinks_across_steps => |c| c
        .expect(Text("/links/a", "one\ntwo\n"))
        .expect(SameFile(&["/links/same/1", "/links/same/2"]))
        .expect_ours(Text("/links/b", "one\ntwo\n"), HARDLINK_COPY_UP)
        .expect_ours(Text("/links/c", "one\ntwo\n"), HARDLINK_COPY_UP)
        .expect_ours(SameFile(&["/links/a", "/links/b", "/links/c"]), HARDLINK_COPY_UP)
        .ignore("/links/b", HARDLINK_COPY_UP)
        .ignore("/links/c", HARDLINK_COPY_UP)
        .expect(Run(&[], "one\ntwo\n"));
    setuid_setgid => |c| c
        .expect(Meta("/usr/local/bin/suid-check", "File 0755 0:0"))
        .expect(Meta("/usr/local/bin/suid-new", "File 0755 1000:0"))
        .expect(Meta("/usr/local/bin/sgid-new", "File 6755 0:0"))
        .expect(Meta("/shared", "Dir 2775 0:50"))
        .expect(Meta("/shared/inherits-gid", "File 0644 0:50"))
        .expect_on_plain_fs(Meta("/shared/subdir", "Dir 2755 0:50"), SETGID_MKDIR)
        .ignore("/shared/subdir", SETGID_MKDIR)
        .expect(Meta("/sticky", "Dir 1777 0:0"))
        .expect(Run(&[], "755 0:0 /usr/local/bin/suid-check\n755 1000:0 /usr/local/bin/suid-new\n\
                          6755 0:0 /usr/local/bin/sgid-new\n2775 0:50 /shared\n"));
    file_capabilities => |c| c
        .prepare(caps_tar)
        .expect(Xattr("/opt/caps/kept", "security.capability", Some(&CAP_NET_RAW_EP)))
        .expect(Xattr("/opt/caps/chmodded", "security.capability", Some(&CAP_NET_RAW_EP)))
        .expect(Meta("/opt/caps/chmodded", "File 0700 0:0"))
        .expect(Xattr("/opt/caps/chowned", "security.capability", None))
        .expect(Meta("/opt/caps/chowned", "File 0755 1000:0"))
        .expect(Xattr("/opt/caps/copied", "security.capability", None))
        .expect(Xattr("/opt/caps/plain", "security.capability", None))
        .expect(Run(&[], "chmodded\nchowned\ncopied\nkept\nplain\n"));
    empty_directories => |c| c
        .prepare(empty_dirs)
        .expect(Meta("/copied-empty", "Dir 0755 0:0"))
        .expect(Meta("/copied-tree/emptysub", "Dir 0755 0:0"))
        .expect(Absent("/copied-tree/f"))
        .expect(Meta("/e/one", "Dir 0755 0:0"))
        .expect(Absent("/e/one/two"))
        .expect(Meta("/e/three", "Dir 0700 0:0"))
        .expect(Meta("/e/owned", "Dir 0755 1000:1000"))
        .expect(Meta("/usr/local/sbin", "Dir 0755 0:0"))
        .expect(Run(&[], ".\n..\nemptysub\n"));
    spaces_unicode_names => |c| c
        .expect(Text("/names/dir ü moved/sub dir/file name.txt", "a\n"))
        .expect(Absent("/names/dir with spaces"))
        .expect(Text("/names/ünïcödé-ñ.txt", "b\n"))
        .expect(Text("/names/日本語 ファイル", "c\n"))
        .expect(Absent("/names/it's"))
        .expect(Text("/names/-leading-dash", "e\n"))
        .expect(Text("/names/emoji 🚀.txt", "f\n"))
        .expect(Text(
            "/names/üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüü.txt",
            "g\n",
        ))
        .expect(Text("/ctx/moved ü.txt", "space\n"))
        .expect(Absent("/ctx/with space.txt"))
        .expect(Absent("/ctx/ünïcödé.txt"))
        .expect(Text("/ctx/日本語/ファイル.txt", "nihongo\n"))
        .expect(Text("/ctx/-dash.txt", "dash\n"))
        .expect(Run(&[], "a\n"));
    chown_trees => |c| c
        .expect(Meta("/srv/tree", "Dir 0755 1000:50"))
        .expect(Meta("/srv/tree/a/b", "Dir 0755 1000:50"))
        .expect(Meta("/srv/tree/a/b/f", "File 0644 0:0"))
        .expect(Meta("/srv/tree/link", "Symlink 0777 4321:8765 -> a/b/f"))
        .expect(Meta("/srv/tree/c", "Dir 0755 65534:65534"))
        .expect(Meta("/srv/tree/c/g", "File 0644 65534:65534"))
        .expect(Meta("/home/app", "Dir 0755 1234:5678"))
        .expect(Meta("/srv/copied/x", "File 0644 1000:1000"))
        .expect(Meta("/srv/copied/sub", "Dir 0755 0:0"))
        .expect(Meta("/srv/copied/sub/y", "File 0644 0:0"))
        .expect(Run(&[], "65534:65534 /srv/tree/c/g\n1234:5678 /home/app\n1000:1000 /srv/copied/x\n\
                          0:0 /srv/copied/sub/y\n"));
    same_size_mtime_edit => |c| c
        .expect(Text("/data/g", "keep\n"))
        .expect(Meta("/etc/passwd", "File 0644 0:0"))
        .expect(Absent("/root/ref"))
        .expect_ours(Text("/data/f", "bbbb\n"), NAIVE_DIFF)
        .expect_ours(Contains("/etc/passwd", "\nnobody:y:65534:"), NAIVE_DIFF)
        .expect_ours(Run(&[], "nobody:y:65534:65534:nobody:/nonexistent:/bin/false\n"), NAIVE_DIFF)
        .ignore("/data/f", NAIVE_DIFF)
        .ignore("/etc/passwd", NAIVE_DIFF);
    rename_keeps_content => |c| c
        .expect(Text("/r/renamed", "content\n"))
        .expect(Absent("/r/file"))
        .expect(Text("/r/moved-dir/sub/x", "inner\n"))
        .expect(Absent("/r/dir"))
        .expect(Text("/etc/group", GROUP))
        .expect(Absent("/etc/group.orig"))
        .expect(Meta("/home/app-renamed", "Dir 0755 1000:1000"))
        .expect(Absent("/home/app"))
        .expect(Run(&[], "content\ninner\n"));
    user_by_name => |c| c
        .expect(Text("/home/builder/whoami.txt", "builder\n"))
        .expect(Text("/home/builder/id.txt", "uid=1500(builder) gid=1500(builder) groups=1500(builder)\n"))
        .expect(Text("/home/builder/home.txt", "/home/builder\n"))
        .expect(Meta("/home/builder", "Dir 0755 1500:1500"))
        .expect(Meta("/tmp/made-by-builder", "File 0644 1500:1500"))
        .expect(Meta("/tmp/made-by-app", "File 0644 1000:50"))
        .expect(Text("/root/seen.txt", "builder\n"))
        .expect(Config("User", r#""builder""#))
        .expect(Run(&[], "builder\n"));
    multistage_copy_from_run => |c| c
        .expect(Text("/tool-output.txt", "built\nconf2\n"))
        .expect(Meta("/usr/local/bin/tool", "File 0750 1000:1000"))
        .expect(Meta("/opt/out/bin/tool", "File 0750 0:0"))
        .expect(Meta("/opt/out/bin/conf-link", "Symlink 0777 0:0 -> ../etc/conf"))
        .expect(Meta("/opt/out/empty", "Dir 0755 0:0"))
        .expect(Text("/etc/conf-from-index", "conf2\n"))
        .expect(Absent("/never"))
        .expect(Meta("/opt/owned-file", "File 0644 1000:50"))
        .expect(Run(&[], "built\n"));
    onbuild_run => |c| c
        .expect(Text("/combined.txt", "triggered\n0\nparent\nyes\n"))
        .expect(Absent("/grandchild.txt"))
        .expect(Config("OnBuild", r#"["RUN echo grandchild > /grandchild.txt"]"#))
        .expect(Config("Env", ENV_PATH_AND_FROM_ONBUILD))
        .expect(Run(&[], "triggered\n0\nparent\nyes\n"));
    heredoc_run => |c| c
        .expect(Text("/heredoc/script.txt", "one\ntwo heredoc /root\n"))
        .expect(Text("/heredoc/stdin.txt", "stdin for heredoc\n"))
        .expect(Text("/heredoc/quoted.txt", "literal $WHO\n"))
        .expect(Text("/heredoc/shebang.txt", "shebang heredoc\n"))
        .expect(Text("/heredoc/copied.txt", "copied heredoc\n"))
        .expect(Meta("/heredoc/copied.txt", "File 0644 0:0"))
        .expect(Run(&[], "one\ntwo heredoc /root\n"));
    env_arg_in_run => |c| c
        .arg("FROM_CLI", "from-cli")
        .expect(Text(
            "/app/env.txt",
            "version=1.0 cli=from-cli before=global home=/app greeting=hello world\n\
             HOME=/root PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
        ))
        .expect(Text("/app/path-lookup.txt", "from-path\n"))
        .expect(Text("/app/shadow.txt", "/app 1.0\n"))
        .expect(Config(
            "Env",
            r#"["PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "APP_HOME=/app", "GREETING=hello world", "VERSION_ENV=1.0"]"#,
        ))
        .expect(Run(&[], "from-path\n"));
    workdir_relative => |c| c
        .expect(Text("/app/pwd1.txt", "/app\n"))
        .expect(Text("/app/sub/file", "x\n"))
        .expect(Text("/app/sub/rel.txt", "y\n"))
        .expect(Text("/app/pwd2.txt", "/app/sub\n"))
        .expect(Text("/app/sub/copied-note.txt", "a note\n"))
        .expect(Text("/app/other/here.txt", "/app/other\na note\n"))
        .expect(Meta("/srv/fromenv/made-here", "File 0644 0:0"))
        .expect(Config("WorkingDir", r#""/srv/fromenv""#))
        .expect(Run(&[], "/srv/fromenv\n"));
    shell_change => |c| c
        .expect(Text("/shell2.txt", "shell-env\n"))
        .expect(Text("/shell3.txt", "exec-ignores-shell unset\n"))
        .expect(Config("Shell", r#"["/bin/busybox", "env", "MARK=shell-env", "/bin/sh", "-c"]"#))
        .expect(Config(
            "Cmd",
            r#"["/bin/busybox", "env", "MARK=shell-env", "/bin/sh", "-c", "echo shell-form-cmd $MARK"]"#,
        ))
        .expect(Run(&[], "shell-form-cmd shell-env\n"));
    exec_form_run => |c| c
        .expect(Meta("/exec/dir with space", "Dir 0755 0:0"))
        .expect(Text("/exec/home.txt", "/root\n"))
        .expect(Meta("/exec/$NOT_EXPANDED", "File 0644 0:0"))
        .expect(Text("/exec/who.txt", "env-value\n"))
        .expect(Text("/exec/dir with space/group copy", GROUP))
        .expect(Run(&[], "$NOT_EXPANDED\ndir with space\nhome.txt\nwho.txt\n"));
    rm_rf_base_dir => |c| c
        .expect(Absent("/home"))
        .expect(Absent("/var"))
        .expect(Absent("/usr/local/bin/suid-check"))
        .expect(Absent("/usr/local/sbin"))
        .expect(Meta("/usr/local", "Dir 0755 0:0"))
        .expect(Text("/usr/local/bin/fresh", "fresh\n"))
        .expect(Run(&[], "fresh\n"));
    chmod_only => |c| c
        .expect(Meta("/m/file", "File 0600 0:0"))
        .expect(Meta("/m/dir", "Dir 1777 0:0"))
        .expect(Meta("/m/exec", "File 4711 0:0"))
        .expect(Meta("/etc/passwd", "File 0640 0:0"))
        .expect(Text("/etc/passwd", PASSWD))
        .expect(Meta("/home/app", "Dir 0700 1000:1000"))
        .expect(Meta("/etc/group", "File 0000 0:0"))
        .expect(Run(&[], "1777 /m/dir\n600 /m/file\n4711 /m/exec\n0 /etc/group\n"));
    no_change_run => |c| c
        .expect(Layers(2))
        .expect(Text("/changed.txt", "changed\n"))
        .expect(Config("Env", ENV_PATH_AND_AFTER))
        .expect(Run(&[], "changed\n"));
    many_small_runs => |c| c
        .expect(Layers(26))
        .expect(Text(
            "/many/log",
            "start\nstep-3\nstep-4\nstep-7\nstep-8\nstep-11\nstep-12\nstep-15\nstep-16\nstep-19\n\
             step-20\nstep-23\nstep-24\n",
        ))
        .expect(Absent("/many/file-1"))
        .expect(Absent("/many/file-21"))
        .expect(Meta("/many/kept-2", "File 0600 0:0"))
        .expect(Meta("/many/kept-22", "File 0600 0:0"))
        .expect(Run(&["ls", "/many"], "kept-10\nkept-14\nkept-18\nkept-2\nkept-22\nkept-6\nlog\n"));
    deep_tree => |c| c
        .expect(Meta("/deep/level-0/level-1", "Dir 0700 0:0"))
        .expect(Absent("/wide/file-7"))
        .expect(Text("/wide/file-299", "299\n"))
        .expect(Run(&[], "changed\n299\n"));
    large_file => |c| c
        .expect(Meta("/large.bin", "File 0644 0:0"))
        .expect(Meta("/zeros.bin", "File 0644 0:0"))
        .expect(Run(&["sha256sum", "/large.bin"], LARGE_SHA256_LINE))
        .expect(Run(&["wc", "-c", "/zeros.bin"], "8388608 /zeros.bin\n"));
    whiteout_earlier_run => |c| c
        .expect(Absent("/w/a"))
        .expect(Absent("/w/link-to-a"))
        .expect(Absent("/w/sub"))
        .expect(Absent("/w/note.txt"))
        .expect(Absent("/etc/group"))
        .expect(Text("/w/b", "b\n"))
        .expect(Text("/w/a-new", "a-again\n"))
        .expect(Run(&[], "a-new\nb\n"));
    opaque_directory => |c| c
        .expect(Absent("/op/one"))
        .expect(Absent("/op/keep"))
        .expect(Text("/op/three", "3\n"))
        .expect(Absent("/usr/local"))
        .expect(Absent("/usr/sbin"))
        .expect(Meta("/usr/bin/env", "Symlink 0777 0:0 -> /bin/env"))
        .expect(Meta("/root", "Dir 0700 0:0"))
        .expect(Text("/root/.profile", "rc\n"))
        .expect(Run(&[], "three\n"));
    copy_then_run => |c| c
        .ignore("/srv", CHOWN_PARENTS)
        .expect(Text("/srv/app/output.txt", "ran as 0 in /\n"))
        .expect(Text("/srv/app/config.ini", "[app]\nname=parity\n"))
        .expect(Meta("/srv/app/config.ini", "File 0644 0:0"))
        .expect(Text("/srv/app/config-copy.ini", "[app]\nname=parity\n"))
        .expect(Absent("/srv/app/run.sh"))
        .expect(Meta("/srv/app/data", "Dir 0755 1000:50"))
        .expect(Meta("/srv/app/data/readme.txt", "File 0600 1000:50"))
        .expect(Run(&[], "ran as 0 in /\n"));
    add_then_run => |c| c
        .expect(Text("/opt/concat.txt", "single\none\ntwo\n"))
        .expect(Absent("/opt/added/one.txt"))
        .expect(Text("/opt/added/one-renamed.txt", "one\n"))
        .expect(Meta("/opt/added/nested", "Dir 0700 0:0"))
        .expect(Run(&[], "single\none\ntwo\n"));
    metadata_with_run => |c| c
        .expect(Text("/service.conf", "port 8080\n"))
        .expect(Text("/home/app/uid.txt", "1000\n"))
        .expect(Meta("/home/app/uid.txt", "File 0644 1000:1000"))
        .expect(Config("User", r#""1000:1000""#))
        .expect(Config("ExposedPorts", r#"{"53/udp": {}, "8080/tcp": {}}"#))
        .expect(Config("StopSignal", r#""SIGTERM""#))
        .expect(Config(
            "Healthcheck",
            r#"{"Test": ["CMD-SHELL", "cat /service.conf || exit 1"], "Interval": 30000000000,
                "Timeout": 3000000000, "Retries": 2}"#,
        ))
        .expect(Config("Labels", r#"{"org.example.multi": "a b", "org.example.name": "parity"}"#))
        .expect(Run(&[], "port 8080\nfrom-cmd\n"));
    volume_then_run => |c| c
        .expect(Text("/data/before.txt", "before\n"))
        .expect(Text("/outside.txt", "outside\n"))
        .expect(Config("Volumes", r#"{"/data": {}}"#))
        .expect_ours(Text("/data/after.txt", "after\n"), VOLUME_DISCARDED)
        .ignore("/data/after.txt", VOLUME_DISCARDED)
        .expect(Run(&[], "outside\n"));
    user_numeric_unknown => |c| c
        .expect(Text("/drop/4242.txt", "uid=4242 gid=0(root) groups=0(root)\n"))
        .expect(Meta("/drop/by-4242", "File 0644 4242:0"))
        .expect(Meta("/drop/by-4242-4343", "File 0644 4242:4343"))
        .expect(Meta("/drop/by-app", "File 0644 1000:1000"))
        .expect(Meta("/drop/by-1000-staff", "File 0644 1000:50"))
        .expect(Run(&[], "uid=4242 gid=0(root) groups=0(root)\n"));
    fifo_special => |c| c
        .expect(Meta("/tmp/private-fifo", "Fifo 0600 1000:1000"))
        .expect(Meta("/pipes/a", "Fifo 0644 0:0"))
        .expect(Absent("/fifo"))
        .expect(Run(&[], "a\nb\n"));
    busybox_install_links => |c| c
        .expect(Meta("/opt/bb/ls", "Symlink 0777 0:0 -> /bin/busybox"))
        .expect(Meta("/opt/bb/vi", "Symlink 0777 0:0 -> /bin/sh"))
        .expect(Absent("/opt/bb/wget"))
        .expect(Run(&[], "c\n"));
    line_continuations => |c| c
        .expect(Text("/cont.txt", "first second third\n"))
        .expect(Text("/bs.txt", "back\\slash\n"))
        .expect(Text("/quoted.txt", "quoted continued\n"))
        .expect(Run(&[], "first second third\nback\\slash\nquoted continued\n"));
    proc_dev_in_run => |c| c
        .expect(Text("/dev-null-ok.txt", "ok\n"))
        .expect(Text("/zero-count.txt", "16\n"))
        .expect(Text("/urandom-count.txt", "8\n"))
        .expect(Text("/proc-ok.txt", "proc-ok\n"))
        .expect(Text("/dev-list.txt", "/dev/null\n/dev/zero\n"))
        .expect(Run(&[], "proc-ok\n"));
}

const CHOWN_PARENTS: &str = "COPY --chown creates missing parent directories owned by the --chown \
     user, as BuildKit does (our reference, docs/design-decisions.md); the legacy builder makes them root's";
const HARDLINK_COPY_UP: &str = "docker's storage driver copies a hard-linked file up alone when \
     a later step writes or links it, so docker's /links/b and /links/c keep the old content in \
     separate inodes; a build on a plain filesystem (ours, kaniko's) keeps one inode";
const NAIVE_DIFF: &str = "docker's storage driver here (fuse-overlayfs) diffs a RUN by size and \
     mtime only, so it misses an edit that keeps both; the ctime tells, and we must catch it";
const SETGID_MKDIR: &str = "under docker's fuse-overlayfs a directory made inside a setgid \
     directory gets neither its group nor the setgid bit; the kernel gives both on a plain \
     filesystem";
const VOLUME_DISCARDED: &str = "the legacy builder runs RUN with an anonymous volume on a VOLUME \
     path and drops what RUN writes there; BuildKit (our reference) keeps it";
const ENV_PATH_AND_FROM_ONBUILD: &str = concat!(
    r#"["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "#,
    r#""FROM_ONBUILD=yes"]"#
);
const ENV_PATH_AND_AFTER: &str =
    r#"["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "AFTER=1"]"#;
/// `sha256sum /large.bin` in `large_file`: `yes kaniko-parity | head -c 20971520` with byte 1000
/// replaced by `X`.
const LARGE_SHA256_LINE: &str =
    "b4639aac957746bcda5f4d228a4152d1aa4ea449789b5030c73ab3066c3579da  /large.bin\n";

/// `context/caps.tar` for `file_capabilities`: `caps/` with `kept`, `chmodded`, `chowned` carrying
/// `security.capability` (as PAX `SCHILY.xattr` records, which ADD applies) and `plain` without.
fn caps_tar(context: &Path) {
    let file = fs_err::File::create(context.join("caps.tar")).expect("create caps.tar");
    let mut tar = tar::Builder::new(file);
    let header = |kind: tar::EntryType, mode: u32, size: u64| {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(CREATED_EPOCH);
        h.set_size(size);
        h
    };
    let mut dir = header(tar::EntryType::Directory, 0o755, 0);
    tar.append_data(&mut dir, "caps/", std::io::empty())
        .expect("append caps/");
    for name in ["chmodded", "chowned", "kept", "plain"] {
        let body = format!("#!/bin/sh\necho {name}\n");
        if name != "plain" {
            tar.append_pax_extensions([("SCHILY.xattr.security.capability", &CAP_NET_RAW_EP[..])])
                .expect("append xattr record");
        }
        let mut h = header(tar::EntryType::Regular, 0o755, body.len() as u64);
        tar.append_data(&mut h, format!("caps/{name}"), body.as_bytes())
            .expect("append caps file");
    }
    tar.finish().expect("finish caps.tar");
}

/// Empty directories for `empty_directories` (git cannot hold them).
fn empty_dirs(context: &Path) {
    fs_err::create_dir(context.join("empty")).expect("create empty/");
    fs_err::create_dir(context.join("tree/emptysub")).expect("create tree/emptysub/");
}

/// An image under test, docker's or ours, as the expectations look at it.
struct View<'a> {
    rootfs: &'a Path,
    snapshot: &'a RootfsSnapshot,
    /// The image config's `config` object.
    config: &'a Value,
    layers: usize,
    /// What `docker run` can start, when docker is available.
    runnable: Option<&'a str>,
}

/// What the case Dockerfile says, with its context: built the same way for docker and for us.
struct Prepared {
    ctx: Context,
    docker_dockerfile: Option<String>,
    ignore_paths: Vec<&'static str>,
}

fn prepare(case: &Case) -> Prepared {
    let dir = case.dir();
    let dockerfile = fs_err::read_to_string(dir.join("Dockerfile")).expect("read the case's Dockerfile");
    let mut ctx = Context::new(&dockerfile);
    if dir.join("context").is_dir() {
        ctx = ctx.tree(&dir.join("context"));
    }
    if let Some(hook) = case.prepare {
        hook(&ctx.dir());
    }
    let docker_dockerfile = dir.join("Dockerfile.docker");
    let docker_dockerfile = docker_dockerfile
        .exists()
        .then(|| fs_err::read_to_string(&docker_dockerfile).expect("read Dockerfile.docker"));
    let mut ignore_paths: Vec<&'static str> = IGNORED_EVERYWHERE.to_vec();
    ignore_paths.extend(case.ignores.iter().map(|(path, _)| *path));
    Prepared {
        ctx,
        docker_dockerfile,
        ignore_paths,
    }
}

fn run_case(case: &Case) {
    let prepared = prepare(case);
    let options = DockerOptions {
        build_args: &case.build_args,
        ignore_paths: &prepared.ignore_paths,
        dockerfile: prepared.docker_dockerfile.as_deref(),
        ..DockerOptions::default()
    };
    for (path, reason) in &case.ignores {
        eprintln!(
            "[{}] left out of the docker comparison: {path}: {reason}",
            case.name
        );
    }

    let started = Instant::now();
    let docker = docker_build_context(&prepared.ctx, &options);
    if let Some(theirs) = &docker {
        let view = View {
            rootfs: &theirs.rootfs,
            snapshot: &theirs.snapshot,
            config: &theirs.config,
            layers: theirs.layers,
            runnable: Some(&theirs.tag),
        };
        eprintln!(
            "[{}/docker] changes from the base:\n{}",
            case.name,
            changes_from_base(&theirs.snapshot)
        );
        let problems = check_expectations(case, &view, None);
        assert!(
            problems.is_empty(),
            "[{}/docker] docker's own image does not meet the case's expectations (the case is \
             wrong, or docker changed):\n{}",
            case.name,
            problems.join("\n")
        );
        eprintln!(
            "[{}/docker] built and checked in {:.1}s",
            case.name,
            started.elapsed().as_secs_f64()
        );
    }

    let mut failures = Vec::new();
    let modes = selected_modes();
    for mode in &modes {
        let started = Instant::now();
        let label = format!("{}/{}", case.name, mode.flag_value());
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_mode(case, &prepared, *mode, docker.as_ref(), &options)
        }));
        let problems = match outcome {
            Ok(problems) => problems,
            Err(panic) => vec![format!("panicked: {}", panic_message(&panic))],
        };
        eprintln!(
            "[{label}] {} in {:.1}s",
            if problems.is_empty() { "ok" } else { "FAILED" },
            started.elapsed().as_secs_f64()
        );
        if !problems.is_empty() {
            failures.push(format!("[{label}]\n  {}", problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{}: {} of {} isolation modes failed (docker's changes from the base are in stderr)\n{}",
        case.name,
        failures.len(),
        modes.len(),
        failures.join("\n")
    );
}

/// The modes to build in: `KANIKO_E2E_MODES` (comma-separated `--isolation` values; empty for
/// none, which checks the docker side only) or all, minus those this machine cannot run.
fn selected_modes() -> Vec<Isolation> {
    let wanted: Vec<Isolation> = match std::env::var("KANIKO_E2E_MODES") {
        Ok(list) => list
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(|m| {
                Isolation::from_flag_value(m)
                    .unwrap_or_else(|| panic!("KANIKO_E2E_MODES: unknown isolation mode {m:?}"))
            })
            .collect(),
        Err(_) => Isolation::ALL.to_vec(),
    };
    wanted.into_iter().filter(|mode| mode.runnable()).collect()
}

/// Builds the case in one mode and returns everything wrong with the result.
fn check_mode(
    case: &Case,
    prepared: &Prepared,
    mode: Isolation,
    docker: Option<&DockerImage>,
    options: &DockerOptions<'_>,
) -> Vec<String> {
    let reference = format!("{}/{}:latest", bases().registry.host(), unique_repo(case.name));
    let build_args: Vec<String> = case
        .build_args
        .iter()
        .flat_map(|(name, value)| ["--build-arg".to_owned(), format!("{name}={value}")])
        .collect();
    let extra = std::env::var("KANIKO_E2E_ARGS").unwrap_or_default();
    let mut args = vec!["--destination", reference.as_str()];
    args.extend(build_args.iter().map(String::as_str));
    args.extend(case.flags.iter().copied());
    args.extend(extra.split_whitespace());
    let out = mode.kaniko(&prepared.ctx, &args);
    if !out.status.success() {
        return vec![format!(
            "kaniko build failed with {}:\n{}",
            out.status,
            log_tail(&out, 40)
        )];
    }
    let ours = Built::read(&reference);
    let pulled = docker.is_some().then(|| PulledImage::pull(&reference));
    let view = View {
        rootfs: &ours.rootfs,
        snapshot: &ours.snapshot,
        config: ours.container(),
        layers: ours.config["rootfs"]["diff_ids"].as_array().map_or(0, Vec::len),
        runnable: pulled.as_ref().map(|p| p.reference.as_str()),
    };
    let mut problems = check_expectations(case, &view, Some(mode));
    if let Some(theirs) = docker {
        let differences = docker_differences(&ours, theirs, options);
        if !differences.is_empty() {
            problems.push(format!(
                "differs from docker build ('-' only ours, '+' only docker's):\n    {}",
                differences.join("\n    ")
            ));
        }
    }
    problems
}

/// Our image pulled into the daemon for smoke runs; removed on drop.
struct PulledImage {
    reference: String,
}

impl PulledImage {
    fn pull(reference: &str) -> PulledImage {
        tools::docker_ok(&["pull", "--quiet", reference]);
        PulledImage {
            reference: reference.to_owned(),
        }
    }
}

impl Drop for PulledImage {
    fn drop(&mut self) {
        tools::docker_rmi(&[&self.reference]);
    }
}

/// Every expectation of `case` that applies to the image of `ours` (our mode, or `None` for
/// docker's image), one line per miss.
fn check_expectations(case: &Case, view: &View<'_>, ours: Option<Isolation>) -> Vec<String> {
    case.expects
        .iter()
        .filter(|(_, scope)| match scope {
            Scope::Both => true,
            Scope::Ours(_) => ours.is_some(),
            Scope::OursOnPlainFs(_) => ours.is_some_and(|m| m != Isolation::Container),
        })
        .filter_map(|(expect, scope)| {
            check(expect, view).err().map(|problem| match scope {
                Scope::Both => problem,
                Scope::Ours(why) | Scope::OursOnPlainFs(why) => {
                    format!("{problem} (checked on ours only: {why})")
                }
            })
        })
        .collect()
}

fn check(expect: &Expect, view: &View<'_>) -> Result<(), String> {
    match expect {
        Expect::Text(path, want) => {
            let got = read_in_rootfs(view.rootfs, path)?;
            if got != want.as_bytes() {
                return Err(format!(
                    "{path}: content {:?}, expected {want:?}",
                    String::from_utf8_lossy(&got)
                ));
            }
        }
        Expect::Contains(path, want) => {
            let got = String::from_utf8_lossy(&read_in_rootfs(view.rootfs, path)?).into_owned();
            if !got.contains(want) {
                return Err(format!("{path}: {got:?} does not contain {want:?}"));
            }
        }
        Expect::Meta(path, want) => {
            let got = view
                .snapshot
                .get(path)
                .map(meta)
                .ok_or(format!("{path}: missing"))?;
            if got != *want {
                return Err(format!("{path}: {got}, expected {want}"));
            }
        }
        Expect::Absent(path) => {
            if let Some(entry) = view.snapshot.get(path) {
                return Err(format!("{path}: should not exist, is {entry}"));
            }
        }
        Expect::Xattr(path, name, want) => {
            let entry = view.snapshot.get(path).ok_or(format!("{path}: missing"))?;
            let got = entry.xattrs.get(*name);
            let want = want.map(hex::encode);
            if got != want.as_ref() {
                return Err(format!("{path}: xattr {name} is {got:?}, expected {want:?}"));
            }
        }
        Expect::SameFile(paths) => {
            let inode = |p: &str| {
                let full = view.rootfs.join(p.trim_start_matches('/'));
                fs_err::symlink_metadata(full)
                    .map(|m| (m.dev(), m.ino()))
                    .map_err(|e| format!("{p}: {e}"))
            };
            let first = inode(paths[0])?;
            for path in &paths[1..] {
                if inode(path)? != first {
                    return Err(format!("{path} is not a hard link of {}", paths[0]));
                }
            }
        }
        Expect::Layers(want) => {
            if view.layers != *want {
                return Err(format!("{} layers, expected {want}", view.layers));
            }
        }
        Expect::Config(field, want) => {
            let want: Value = serde_json::from_str(want).expect("expectation JSON");
            let got = normalized(&view.config[field]);
            if got != normalized(&want) {
                return Err(format!("config {field}: {got}, expected {want}"));
            }
        }
        Expect::Run(args, want) => {
            let Some(image) = view.runnable else {
                eprintln!("smoke run skipped (no docker): {args:?}");
                return Ok(());
            };
            let out = tools::docker_run(image, args);
            let stdout = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() || stdout != *want {
                return Err(format!(
                    "docker run {args:?}: {}, stdout {stdout:?}, expected {want:?}; stderr {:?}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    Ok(())
}

/// `kind mode uid:gid [-> target]` of a snapshot entry, as [`Built::meta`] prints it.
fn meta(entry: &tools::SnapshotEntry) -> String {
    let mut s = format!("{:?} {:04o} {}:{}", entry.kind, entry.mode, entry.uid, entry.gid);
    if let Some(link) = &entry.link {
        s.push_str(&format!(" -> {link}"));
    }
    s
}

/// Reads `path` inside `rootfs` the way a process chrooted there would: symlinks (absolute ones
/// included) resolve within the image, never on the host.
fn read_in_rootfs(rootfs: &Path, path: &str) -> Result<Vec<u8>, String> {
    let mut pending: Vec<String> = path.split('/').rev().map(str::to_owned).collect();
    let mut resolved = PathBuf::new();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                resolved.pop();
                continue;
            }
            _ => {}
        }
        let candidate = resolved.join(&part);
        let meta =
            fs_err::symlink_metadata(rootfs.join(&candidate)).map_err(|_| format!("{path}: missing"))?;
        if meta.is_symlink() {
            hops += 1;
            if hops > 40 {
                return Err(format!("{path}: too many levels of symlinks"));
            }
            let target = fs_err::read_link(rootfs.join(&candidate)).map_err(|e| e.to_string())?;
            let target = target.to_string_lossy().into_owned();
            if target.starts_with('/') {
                resolved = PathBuf::new();
            }
            pending.extend(target.split('/').rev().map(str::to_owned));
        } else {
            resolved = candidate;
        }
    }
    fs_err::read(rootfs.join(resolved)).map_err(|e| format!("{path}: {e}"))
}

/// docker's changes from the base, at most 150 lines, for the log.
fn changes_from_base(snapshot: &RootfsSnapshot) -> String {
    let lines = common::kaniko::base_snapshot().diff(snapshot);
    let shown: Vec<&str> = lines.iter().take(150).map(String::as_str).collect();
    let more = lines.len().saturating_sub(shown.len());
    let mut text = shown.join("\n");
    if more > 0 {
        text.push_str(&format!("\n... and {more} more"));
    }
    text
}

/// The last `n` lines of a command's stderr and stdout.
fn log_tail(out: &Output, n: usize) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(non-text panic)".to_owned())
}

/// A RUN that exits 3 (line 5 of `tests/e2e/run_failure/Dockerfile`): docker fails there, and so
/// must we in every mode, naming the line and the exit code, with nothing pushed.
#[test]
fn run_failure_names_line_and_exit_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/run_failure");
    let dockerfile = fs_err::read_to_string(dir.join("Dockerfile")).expect("read Dockerfile");
    let line = dockerfile
        .lines()
        .position(|l| l.contains("exit 3"))
        .expect("the failing RUN")
        + 1;
    let ctx = Context::new(&dockerfile);
    if tools::docker_available() {
        let out = docker_build_output(&ctx, &DockerOptions::default(), "kaniko-parity/run-failure:never");
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && log.contains("returned a non-zero code: 3"),
            "docker build should fail with code 3: {}\n{log}",
            out.status
        );
    }
    let mut failures = Vec::new();
    for mode in selected_modes() {
        let outcome = std::panic::catch_unwind(|| failing_run_problem(&ctx, mode, line));
        let problem = outcome.unwrap_or_else(|panic| Some(format!("panicked: {}", panic_message(&panic))));
        if let Some(problem) = problem {
            failures.push(format!("[run_failure/{}] {problem}", mode.flag_value()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What is wrong with our build of the failing RUN in `mode`, if anything.
fn failing_run_problem(ctx: &Context, mode: Isolation, line: usize) -> Option<String> {
    let reference = format!(
        "{}/{}:latest",
        bases().registry.host(),
        unique_repo("run-failure")
    );
    let out = mode.kaniko(ctx, &["--destination", &reference]);
    let log = log_tail(&out, 60);
    let lower = log.to_lowercase();
    let names_line = log.contains(&format!("Dockerfile:{line}"));
    let names_code = lower.contains("exit code 3") || lower.contains("exit status 3");
    let pushed = tools::run(std::process::Command::new("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{reference}"),
    ]))
    .status
    .success();
    (out.status.success() || !names_line || !names_code || pushed).then(|| {
        format!(
            "{}, names Dockerfile:{line}: {names_line}, names exit code 3: {names_code}, \
             pushed: {pushed}\n{log}",
            out.status
        )
    })
}

/// Every directory under `tests/e2e/` is a listed case (or the failure test's), so a case cannot
/// be added as files and silently never run; and the suite keeps its promised size.
#[test]
fn every_case_directory_is_listed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    let mut dirs: Vec<String> = fs_err::read_dir(&root)
        .expect("read tests/e2e")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name != "run_failure")
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = CASE_NAMES.iter().map(|s| (*s).to_owned()).collect();
    listed.sort();
    assert_eq!(
        dirs, listed,
        "tests/e2e/ directories and parity_cases! entries differ"
    );
    assert!(
        CASE_NAMES.len() >= 30,
        "the parity suite promises at least 30 cases"
    );
    for name in CASE_NAMES {
        assert!(
            root.join(name).join("Dockerfile").is_file(),
            "tests/e2e/{name}/Dockerfile is missing"
        );
    }
}
