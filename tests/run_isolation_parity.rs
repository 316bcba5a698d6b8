// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! RUN --mount (per type) and RUN --network in every isolation mode (chroot, rootless, container),
//! each image compared layer by layer with the expected result: BuildKit's own build of the same
//! context where the engine has BuildKit, and otherwise (this machine's docker 20.10 has no buildx)
//! the listing BuildKit's documented behaviour gives, written out below. Nothing of a mount may
//! reach a layer, no mount point the step created may be left behind, and what stood at a target
//! must come back unchanged. Where container mode differs by design (no kernel mounts there, see
//! docs/advanced-configuration.md) the expectation says so.

mod common;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;

use common::isolation::{Extras, Isolation};
use common::kaniko::{bases, unique_repo, Built, Context};
use common::layers::{self, Listing};

/// Builds and pushes `ctx` in `mode` and reads the image back; panics with the log on failure.
fn build(ctx: &Context, mode: Isolation, name: &str, args: &[&str], extras: &Extras<'_>) -> Built {
    let reference = format!("{}/{}:latest", bases().registry.host(), unique_repo(name));
    let mut all = vec!["--destination", reference.as_str()];
    all.extend_from_slice(args);
    let out = mode.kaniko_with(ctx, &all, extras);
    assert!(
        out.status.success(),
        "{mode:?}: the build failed\n{}",
        common::tools::output_text(&out)
    );
    Built::read(&reference)
}

/// The layers a build added to the base (which has one).
fn added_layers(built: &Built) -> Vec<Listing> {
    layers::pushed(built).split_off(1)
}

fn assert_layers(what: &str, got: &[Listing], want: &[Listing]) {
    assert_eq!(
        got, want,
        "{what}: the layers differ from the expected result\n got: {got:#?}\nwant: {want:#?}"
    );
}

/// Checks the written-out expectation against BuildKit itself where the engine has it.
fn compare_with_buildkit(ctx: &Context, build_args: &[(&str, &str)], want: &[Listing]) {
    match layers::buildkit_available() {
        Ok(()) => {
            let theirs = layers::buildkit_layers(ctx, build_args).split_off(1);
            assert_layers("BuildKit", &theirs, want);
        }
        Err(reason) => eprintln!("no BuildKit here ({reason}): compared with the written-out result"),
    }
}

fn file(path: &str, text: &str) -> String {
    format!("{path} 0644 0:0 file = {text:?}")
}

fn dir(path: &str) -> String {
    format!("{path} 0755 0:0 dir")
}

#[test]
fn tmpfs_mounts_leave_nothing_in_any_layer() {
    let ctx = Context::new(
        "FROM {{BASE}}\n\
         RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/f && ls -A /scratch > /tmpfs-seen.txt && \
         stat -c '%a %u' /scratch > /tmpfs-meta.txt\n\
         RUN mkdir /data && echo keep > /data/keep\n\
         RUN --mount=type=tmpfs,target=/data ls -A /data > /hidden.txt && touch /data/dropped\n\
         RUN --mount=type=tmpfs,target=/new/deep/t touch /new/deep/t/x\n",
    );
    let want = [
        vec![file("tmpfs-meta.txt", "1777 0\n"), file("tmpfs-seen.txt", "f\n")],
        vec![dir("data"), file("data/keep", "keep\n")],
        vec![file("hidden.txt", "")],
        // The last step wrote only into its mount: BuildKit leaves the empty layer out.
    ];
    compare_with_buildkit(&ctx, &[], &want);
    for mode in Isolation::runnable_modes() {
        let b = build(&ctx, mode, "parity-tmpfs", &[], &Extras::default());
        assert_layers(&format!("{mode:?}"), &added_layers(&b), &want);
        assert!(!b.snapshot.entries.contains_key("/new"), "{mode:?}");
        assert_eq!(b.paths_under("/data"), ["keep"], "{mode:?}");
    }
}

#[test]
fn bind_mounts_show_the_source_and_hide_the_target() {
    let ctx = Context::new(
        "FROM {{BASE}}\n\
         RUN mkdir /data && echo keep > /data/keep\n\
         RUN --mount=source=src,target=/src cat /src/a.txt > /bind.txt && ls -A /src > /bind-list.txt && \
         (touch /src/new 2>/dev/null && echo writable || echo readonly) > /bind-ro.txt\n\
         RUN --mount=source=src,target=/data ls -A /data > /bind-hidden.txt\n\
         RUN --mount=source=src/a.txt,target=/etc/a.txt cat /etc/a.txt > /bind-file.txt\n",
    )
    .file("src/a.txt", "from the context\n")
    .file("src/secret.key", "ignored\n")
    .file(".dockerignore", "src/*.key\n");
    let want = |read_only: &str| {
        vec![
            vec![dir("data"), file("data/keep", "keep\n")],
            vec![
                file("bind-list.txt", "a.txt\n"),
                file("bind-ro.txt", read_only),
                file("bind.txt", "from the context\n"),
            ],
            vec![file("bind-hidden.txt", "a.txt\n")],
            vec![file("bind-file.txt", "from the context\n")],
        ]
    };
    compare_with_buildkit(&ctx, &[], &want("readonly\n"));
    for mode in Isolation::runnable_modes() {
        let b = build(&ctx, mode, "parity-bind", &[], &Extras::default());
        // Container mode has no read-only mounts: the root command could write (into the copy,
        // discarded with it).
        let read_only = if mode == Isolation::Container {
            "writable\n"
        } else {
            "readonly\n"
        };
        assert_layers(&format!("{mode:?}"), &added_layers(&b), &want(read_only));
        assert_eq!(b.paths_under("/data"), ["keep"], "{mode:?}");
    }
}

#[test]
fn rw_bind_mount_writes_are_discarded() {
    let ctx = Context::new(
        "FROM {{BASE}} AS build\nRUN mkdir /out && echo built > /out/artifact\n\
         FROM {{BASE}}\n\
         RUN --mount=source=src,target=/src,rw echo scribble > /src/a.txt && echo more > /src/extra && \
         cat /src/a.txt > /rw.txt\n\
         RUN --mount=source=src,target=/src ls -A /src > /rw-after.txt && cat /src/a.txt >> /rw-after.txt\n\
         RUN --mount=from=build,source=/out,target=/in,rw echo scribble > /in/artifact && cat /in/artifact > /rw-from.txt\n\
         RUN --mount=from=build,source=/out,target=/in ls -A /in > /rw-from-after.txt && \
         cat /in/artifact >> /rw-from-after.txt\n",
    )
    .file("src/a.txt", "from the context\n");
    let want = vec![
        vec![file("rw.txt", "scribble\n")],
        vec![file("rw-after.txt", "a.txt\nfrom the context\n")],
        vec![file("rw-from.txt", "scribble\n")],
        vec![file("rw-from-after.txt", "artifact\nbuilt\n")],
    ];
    compare_with_buildkit(&ctx, &[], &want);
    for mode in Isolation::runnable_modes() {
        let b = build(&ctx, mode, "parity-bind-rw", &[], &Extras::default());
        assert_layers(&format!("{mode:?}"), &added_layers(&b), &want);
        assert_eq!(
            fs_err::read_to_string(ctx.dir().join("src/a.txt")).unwrap(),
            "from the context\n",
            "{mode:?}: the context is never written"
        );
    }
}

#[test]
fn cache_mounts_persist_across_builds_and_stay_out_of_the_image() {
    // A fresh id, so a BuildKit engine's cache from an earlier run cannot answer.
    let id = format!("parity-{:08x}", fastrand::u32(..));
    let ctx = Context::new(&format!(
        "FROM {{{{BASE}}}}\nARG N\n\
         RUN --mount=type=cache,target=/var/cache/app,id={id} echo \"build $N\" >> /var/cache/app/log && \
         cat /var/cache/app/log > /cache-seen.txt && (test -L /var/cache/app && echo link || echo dir) > /cache-kind.txt\n\
         RUN --mount=type=cache,target=/var/cache/app,id={id},sharing=locked ls -A /var/cache/app > /cache-list.txt\n"
    ));
    let want = |n: usize, kind: &str| {
        let seen: String = (1..=n).map(|i| format!("build {i}\n")).collect();
        vec![
            vec![file("cache-kind.txt", kind), file("cache-seen.txt", &seen)],
            vec![file("cache-list.txt", "log\n")],
        ]
    };
    if layers::buildkit_available().is_ok() {
        for n in 1..=2 {
            let theirs = layers::buildkit_layers(&ctx, &[("N", &n.to_string())]).split_off(1);
            assert_layers("BuildKit", &theirs, &want(n, "dir\n"));
        }
    }
    for mode in Isolation::runnable_modes() {
        let cache = tempfile::tempdir().unwrap();
        // The rootless build runs as another user and writes there.
        std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let cache_dir = cache.path().to_str().unwrap();
        let extras = Extras {
            shared: &[cache.path()],
            ..Extras::default()
        };
        // Container mode links the target to the cache directory (documented).
        let kind = if mode == Isolation::Container {
            "link\n"
        } else {
            "dir\n"
        };
        for n in 1..=2 {
            let arg = format!("N={n}");
            let args = ["--cache-dir", cache_dir, "--build-arg", &arg];
            let b = build(&ctx, mode, "parity-cache", &args, &extras);
            assert_layers(&format!("{mode:?} build {n}"), &added_layers(&b), &want(n, kind));
            assert!(
                !b.snapshot.entries.contains_key("/var/cache"),
                "{mode:?}: no mount point is left"
            );
        }
        let kept = common::tools::files_under(&cache.path().join("run-cache"));
        assert!(kept.iter().any(|p| p.ends_with("log")), "{mode:?}: {kept:?}");
    }
}

/// A TCP server on 127.0.0.1 answering every connection with `pong`; its port.
fn pong_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.write_all(b"pong\n");
        }
    });
    port
}

#[test]
fn network_none_cuts_the_step_off_and_default_and_host_do_not() {
    let port = pong_server().to_string();
    let port_arg = format!("PORT={port}");
    let shared = Context::new(
        "FROM {{BASE}}\nARG PORT\n\
         RUN busybox nc 127.0.0.1 $PORT > /default.txt\n\
         RUN --network=host busybox nc 127.0.0.1 $PORT > /host.txt\n\
         RUN --network=default busybox nc 127.0.0.1 $PORT > /default-flag.txt\n",
    );
    let none = Context::new(
        "FROM {{BASE}}\nARG PORT\nRUN true\n\
         RUN --network=none busybox nc 127.0.0.1 $PORT > /none.txt\n",
    );
    let want = vec![
        vec![file("default.txt", "pong\n")],
        vec![file("host.txt", "pong\n")],
        vec![file("default-flag.txt", "pong\n")],
    ];
    for mode in Isolation::runnable_modes() {
        let args = ["--build-arg", port_arg.as_str()];
        let b = build(&shared, mode, "network", &args, &Extras::default());
        assert_layers(&format!("{mode:?}"), &added_layers(&b), &want);

        let out = mode.kaniko_with(&none, &[&["--no-push"][..], &args].concat(), &Extras::default());
        let log = common::tools::output_text(&out);
        assert!(
            !out.status.success(),
            "{mode:?}: --network=none reached the server\n{log}"
        );
        if mode == Isolation::Container {
            // An ordinary container may not create a network namespace: the error says so.
            assert!(
                log.contains("Dockerfile:4")
                    && log.contains("RUN --network=none needs a network namespace of its own")
                    && log.contains("--cap-add SYS_ADMIN"),
                "{mode:?}: {log}"
            );
            // Given CAP_SYS_ADMIN it may, and the step is cut off like in the other modes.
            let privileged = Extras {
                docker_args: &["--cap-add", "SYS_ADMIN"],
                ..Extras::default()
            };
            let out = mode.kaniko_with(&none, &[&["--no-push"][..], &args].concat(), &privileged);
            let log = common::tools::output_text(&out);
            assert!(
                !out.status.success(),
                "{mode:?} with CAP_SYS_ADMIN: reached the server\n{log}"
            );
            assert_step_cut_off(&log, "Container with CAP_SYS_ADMIN");
        } else {
            assert_step_cut_off(&log, &format!("{mode:?}"));
        }
    }
}

/// The RUN with --network=none ran and failed to connect, and the error names it.
fn assert_step_cut_off(log: &str, what: &str) {
    assert!(
        log.contains("Dockerfile:4")
            && log.contains("--network=none busybox nc 127.0.0.1")
            && log.contains("exit code 1")
            && log.contains("nc: "),
        "{what}: {log}"
    );
}
