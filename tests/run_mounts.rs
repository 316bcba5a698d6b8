// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `RUN --mount` with the real binary, pushed to the shared registry and read back: tmpfs, bind
//! (context, another stage, rw), cache (persistence across builds, locked sharing across
//! concurrent builds), in chroot and rootless isolation; that nothing under a mount target reaches
//! the image; and the errors for unsupported types and bad values.

mod common;

use common::kaniko::{build_err, build_ok, kaniko, Context};

const MODES: [&str; 2] = ["--isolation=chroot", "--isolation=rootless"];

#[test]
fn tmpfs_is_there_during_run_and_empty_in_the_image() {
    let ctx = Context::new(
        "FROM {{BASE}}\nRUN --mount=type=tmpfs,target=/scratch,size=1m \
         echo x > /scratch/f && grep -c tmpfs /proc/mounts > /mounts.txt && \
         df -k /scratch | tail -1 | awk '{print $2}' > /size.txt && ls /scratch > /seen.txt\n\
         RUN --mount=type=tmpfs,target=/var/new/t --mount=type=cache,target=/c2 touch /var/new/t/x /c2/y\n",
    );
    // The cache mount's tree goes below a directory of the test's own, never the machine's /cache.
    let cache_dir = tempfile::tempdir().unwrap();
    let dir = cache_dir.path().to_str().unwrap();
    for isolation in MODES {
        let b = build_ok(&ctx, "mount-tmpfs", &[isolation, "--cache-dir", dir]);
        let layers = b.manifest["layers"].as_array().map_or(0, Vec::len);
        assert_eq!(
            layers, 2,
            "{isolation}: a RUN that only writes into mounts adds no layer"
        );
        assert!(!b.snapshot.entries.contains_key("/var/new"), "{isolation}");
        assert_eq!(b.text("/seen.txt"), "f\n", "{isolation}");
        assert_eq!(b.text("/size.txt"), "1024\n", "{isolation}");
        assert!(
            !b.snapshot.entries.contains_key("/scratch"),
            "{isolation}: a new mount point stays out"
        );
    }
}

#[test]
fn bind_from_the_context_is_read_only_honours_dockerignore_and_stays_out_of_the_image() {
    let ctx = Context::new(
        "FROM {{BASE}}\nRUN --mount=source=src,target=/src cat /src/a.txt > /copied.txt && \
         (touch /src/new 2>/dev/null && echo writable || echo readonly) > /ro.txt && \
         ls /src > /listing.txt\n\
         RUN --mount=target=/ctx,source=. ls /ctx > /root-listing.txt\n\
         RUN --mount=src=src/a.txt,dst=/one.txt cat /one.txt > /file.txt\n",
    )
    .file("src/a.txt", "from the context\n")
    .file("src/secret.key", "ignored\n")
    .file(".dockerignore", "src/*.key\n");
    for isolation in MODES {
        let b = build_ok(&ctx, "mount-bind", &[isolation]);
        assert_eq!(b.text("/copied.txt"), "from the context\n", "{isolation}");
        assert_eq!(b.text("/ro.txt"), "readonly\n", "{isolation}");
        assert_eq!(b.text("/listing.txt"), "a.txt\n", "{isolation}");
        assert!(b.text("/root-listing.txt").contains("src\n"), "{isolation}");
        assert_eq!(b.text("/file.txt"), "from the context\n", "{isolation}");
        for stub in ["/src", "/ctx", "/one.txt"] {
            assert!(
                !b.snapshot.entries.contains_key(stub),
                "{isolation}: {stub} is in the image"
            );
        }
    }
    let escape = Context::new("FROM {{BASE}}\nRUN --mount=source=../..,target=/x true\n");
    let err = build_err(&escape, &["--isolation=chroot"]);
    assert!(err.contains("--mount source ../.."), "{err}");
}

#[test]
fn bind_from_a_stage_and_rw_writes_are_discarded() {
    let ctx = Context::new(
        "FROM {{BASE}} AS build\nRUN mkdir -p /out && echo built > /out/artifact\n\
         FROM {{BASE}}\nRUN --mount=from=build,source=/out,target=/in,rw \
         cat /in/artifact > /got.txt && echo scribble > /in/artifact && echo more > /in/extra\n\
         RUN --mount=from=build,source=/out,target=/in cat /in/artifact > /again.txt && ls /in > /again-list.txt\n",
    );
    for isolation in MODES {
        let b = build_ok(&ctx, "mount-from", &[isolation]);
        assert_eq!(b.text("/got.txt"), "built\n", "{isolation}");
        assert_eq!(b.text("/again.txt"), "built\n", "{isolation}");
        assert_eq!(b.text("/again-list.txt"), "artifact\n", "{isolation}");
        assert!(!b.snapshot.entries.contains_key("/in"), "{isolation}");
        assert!(
            b.paths_under("/out").is_empty(),
            "the stage's files are not in the final image"
        );
    }
}

#[test]
fn a_cache_mount_persists_between_builds_and_never_reaches_the_image() {
    let cache_dir = tempfile::tempdir().unwrap();
    let dir = cache_dir.path().to_str().unwrap();
    let ctx = Context::new(
        "FROM {{BASE}}\nARG N\nRUN --mount=type=cache,target=/var/cache/app,id=app,mode=0700,uid=1000 \
         echo \"build $N\" >> /var/cache/app/log && cat /var/cache/app/log > /seen.txt && \
         stat -c '%a %u' /var/cache/app > /meta.txt\n",
    );
    for isolation in MODES {
        let _ = std::fs::remove_dir_all(cache_dir.path().join("run-cache"));
        let first = build_ok(
            &ctx,
            "mount-cache",
            &[isolation, "--cache-dir", dir, "--build-arg", "N=1"],
        );
        assert_eq!(first.text("/seen.txt"), "build 1\n", "{isolation}");
        let second = build_ok(
            &ctx,
            "mount-cache",
            &[isolation, "--cache-dir", dir, "--build-arg", "N=2"],
        );
        assert_eq!(second.text("/seen.txt"), "build 1\nbuild 2\n", "{isolation}");
        // /var/cache exists in the base, so the stub is /var/cache/app alone.
        assert!(
            !second.snapshot.entries.contains_key("/var/cache/app"),
            "{isolation}"
        );
        if isolation.ends_with("chroot") {
            assert_eq!(second.text("/meta.txt"), "700 1000\n");
        }
    }
    // One tree per platform, below --cache-dir.
    let platforms: Vec<_> = std::fs::read_dir(cache_dir.path().join("run-cache"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(platforms, ["linux_amd64"]);
}

#[test]
fn locked_sharing_serializes_concurrent_builds() {
    let cache_dir = tempfile::tempdir().unwrap();
    let dir = cache_dir.path().to_str().unwrap().to_string();
    let dockerfile = "FROM {{BASE}}\nARG N\nRUN --mount=type=cache,target=/c,id=serial,sharing=locked \
         echo start-$N >> /c/log && sleep 2 && echo end-$N >> /c/log\n";
    let ctxs: Vec<Context> = (0..2).map(|_| Context::new(dockerfile)).collect();
    std::thread::scope(|s| {
        for (i, ctx) in ctxs.iter().enumerate() {
            let dir = dir.clone();
            s.spawn(move || {
                let n = format!("N={i}");
                let out = kaniko(
                    ctx,
                    &[
                        "--no-push",
                        "--isolation=chroot",
                        "--cache-dir",
                        &dir,
                        "--build-arg",
                        &n,
                    ],
                );
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            });
        }
    });
    let root = cache_dir.path().join("run-cache/linux_amd64");
    let cache = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .find(|e| e.path().is_dir())
        .unwrap()
        .path();
    let log = std::fs::read_to_string(cache.join("log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 4, "{log}");
    for pair in lines.chunks(2) {
        let n = pair[0].strip_prefix("start-").expect("a start line");
        assert_eq!(pair[1], format!("end-{n}"), "interleaved:\n{log}");
    }
}

#[test]
fn errors_name_the_line_and_the_unsupported_cases() {
    // Container mode is covered by tests/run_isolation_parity.rs (the executor image in docker).
    let bad = Context::new("FROM {{BASE}}\n\nRUN --mount=type=cache,target=/c,sharing=sometimes true\n");
    let err = build_err(&bad, &["--isolation=chroot"]);
    assert!(
        err.contains("Dockerfile:3:") && err.contains("invalid --mount sharing"),
        "{err}"
    );
    let expanded =
        Context::new("FROM {{BASE}}\nARG K=colour\nRUN --mount=type=tmpfs,target=/t,$K=blue true\n");
    let err = build_err(&expanded, &["--isolation=chroot"]);
    assert!(err.contains(":3:") && err.contains("colour"), "{err}");
}

/// A bind mount's content is part of RUN's layer-cache key; a cache mount's content is not.
#[test]
fn the_layer_cache_sees_bind_mount_content_but_not_cache_mounts() {
    let cache_dir = tempfile::tempdir().unwrap();
    let dir = cache_dir.path().to_str().unwrap();
    let ctx = Context::new(
        "FROM {{BASE}}\nRUN --mount=type=cache,target=/c date +%s%N >> /c/stamps && echo ran > /cached.txt\n\
         RUN --mount=source=data,target=/d cat /d/v > /v.txt\n",
    )
    .file("data/v", "one\n");
    let dest = format!(
        "{}/{}:latest",
        common::kaniko::bases().registry.host(),
        common::kaniko::unique_repo("mount-key")
    );
    let build = || {
        let out = common::kaniko::kaniko_ok(
            &ctx,
            &[
                "--destination",
                &dest,
                "--isolation=chroot",
                "--cache=true",
                "--cache-dir",
                dir,
            ],
        );
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        let count = |what: &str| log.lines().filter(|l| l.contains(what)).count();
        (count("cache hit stage="), count("cache miss stage="))
    };
    assert_eq!(build(), (0, 2));
    assert_eq!(
        build(),
        (2, 0),
        "the cache mount's new stamp must not change any key"
    );
    std::fs::write(ctx.dir().join("data/v"), "two\n").unwrap();
    assert_eq!(build(), (1, 1), "the bind mount's content changed");
    assert_eq!(common::kaniko::Built::read(&dest).text("/v.txt"), "two\n");
}

/// `from=` an image, a relative target, a cache seeded from a stage, and a private cache that is
/// in use giving the step a fresh, empty directory.
#[test]
fn image_sources_relative_targets_seeded_and_private_caches() {
    let cache_dir = tempfile::tempdir().unwrap();
    let dir = cache_dir.path().to_str().unwrap();
    let ctx = Context::new(
        "FROM {{BASE}} AS seed\nRUN mkdir -p /s && echo seeded > /s/first\n\
         FROM {{BASE}}\nWORKDIR /w\n\
         RUN --mount=from={{BASE}},source=/etc,target=base-etc cat base-etc/group | head -1 > /group.txt\n\
         RUN --mount=type=cache,id=seeded,target=/c,from=seed,source=/s cat /c/first > /seed.txt\n\
         RUN --mount=type=cache,id=p,target=/p1,sharing=private --mount=type=cache,id=p,target=/p2,sharing=private \
         touch /p1/mine && ls /p2 > /p2.txt\n",
    );
    let b = build_ok(&ctx, "mount-more", &["--isolation=chroot", "--cache-dir", dir]);
    assert_eq!(b.text("/group.txt"), "root:x:0:\n");
    assert!(!b.snapshot.entries.contains_key("/w/base-etc"));
    assert!(b.snapshot.entries.contains_key("/w"), "WORKDIR's directory stays");
    assert_eq!(b.text("/seed.txt"), "seeded\n");
    assert_eq!(
        b.text("/p2.txt"),
        "",
        "the second private user got a fresh directory"
    );
}

/// Rootless as an ordinary user (not root in a user namespace made by root): the mounts, and a
/// cache directory below a --cache-dir that user owns.
#[test]
fn rootless_as_an_unprivileged_user_mounts_and_caches() {
    use std::os::unix::fs::PermissionsExt;
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: dropping to the test user needs root");
        return;
    }
    let ctx = Context::new(
        "FROM {{BASE}}\nRUN --mount=type=tmpfs,target=/t --mount=source=src,target=/s \
         --mount=type=cache,target=/c,uid=1000 cp /s/a /t/a && cat /t/a > /got.txt && \
         echo kept > /c/f && stat -c %u /c > /cache-owner.txt\n",
    )
    .file("src/a", "from the context\n");
    let work = tempfile::tempdir().unwrap();
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    for p in [ctx.scratch(), ctx.dir(), ctx.dir().join("src")] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for p in [ctx.dockerfile_path(), ctx.dir().join("src/a")] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let host = common::kaniko::bases().registry.host();
    let reference = format!("{host}/{}:latest", common::kaniko::unique_repo("mount-rootless"));
    let cache_dir = work.path().join("cache");
    let out = common::isolation::kaniko_as_rootless_user(work.path())
        .args(common::kaniko::build_args(&ctx, &work.path().join("kaniko")))
        .arg("--cache-dir")
        .arg(&cache_dir)
        .args(["--isolation=rootless", "--destination", &reference])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let b = common::kaniko::Built::read(&reference);
    assert_eq!(b.text("/got.txt"), "from the context\n");
    assert_eq!(b.text("/cache-owner.txt"), "1000\n");
    for stub in ["/t", "/s", "/c"] {
        assert!(!b.snapshot.entries.contains_key(stub), "{stub} is in the image");
    }
    let kept: Vec<_> = common::tools::files_under(&cache_dir.join("run-cache"));
    assert!(kept.iter().any(|p| p.ends_with("f")), "{kept:?}");
}

/// An ordinary user without `--cache-dir` cannot create `/cache`: cache mounts then live in the
/// user's own cache directory and persist there between builds.
#[test]
fn an_ordinary_users_cache_mounts_default_to_their_home() {
    use std::os::unix::fs::PermissionsExt;
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: dropping to the test user needs root");
        return;
    }
    let ctx = Context::new(
        "FROM {{BASE}}\nRUN --mount=type=cache,id=home,target=/c \
         { ls /c; echo; } > /seen.txt && date +%s%N > /c/marker\n",
    );
    for p in [ctx.scratch(), ctx.dir()] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(ctx.dockerfile_path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let host = common::kaniko::bases().registry.host();
    let build = |n: usize| {
        let reference = format!("{host}/{}:latest", common::kaniko::unique_repo("mount-home"));
        let out = common::isolation::kaniko_as_rootless_user(home.path())
            .args(common::kaniko::build_args(
                &ctx,
                &home.path().join(format!("kaniko-{n}")),
            ))
            .args(["--isolation=rootless", "--destination", &reference])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        common::kaniko::Built::read(&reference).text("/seen.txt")
    };
    assert_eq!(build(1), "\n", "the first build sees an empty cache");
    assert_eq!(
        build(2),
        "marker\n\n",
        "the second build sees the first one's marker"
    );
    let kept = common::tools::files_under(&home.path().join(".cache/kaniko-rs/run-cache"));
    assert!(kept.iter().any(|p| p.ends_with("marker")), "{kept:?}");
}
