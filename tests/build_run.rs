// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! RUN semantics with the real binary, pushed to the shared registry and read back with skopeo and
//! umoci: the environment a command sees (ENV, ARG, HOME, PATH, WORKDIR), USER with supplementary
//! groups, heredocs, which steps make layers (no-change RUN, --single-snapshot), what each
//! --snapshot-mode detects, and that chroot and rootless modes produce the same image.
//! The comparison with `docker build` over many Dockerfiles is tests/e2e.rs.

mod common;

use common::kaniko::{build_ok, Built, Context};

fn layers(b: &Built) -> usize {
    b.manifest["layers"].as_array().map_or(0, Vec::len)
}

fn history_created_by(b: &Built) -> Vec<String> {
    b.config["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{}{}",
                h["created_by"].as_str().unwrap_or(""),
                if h["empty_layer"].as_bool() == Some(true) {
                    " (empty)"
                } else {
                    ""
                }
            )
        })
        .collect()
}

#[test]
fn run_sees_env_args_home_path_and_workdir_and_args_are_not_persisted() {
    let ctx = Context::new(
        "FROM {{BASE}}\nARG GREETING=hello\nENV WHO=world\n\
         RUN echo \"$GREETING $WHO home=$HOME\" > /env.txt && echo \"$PATH\" > /path.txt\n\
         WORKDIR /work/sub\nRUN pwd > here.txt && ls -ld /work/sub | cut -c1-10 > /workmode.txt\n",
    );
    for isolation in ["--isolation=chroot", "--isolation=rootless"] {
        let b = build_ok(&ctx, "run-env", &[isolation, "--build-arg", "GREETING=hi"]);
        assert_eq!(b.text("/env.txt"), "hi world home=/root\n", "{isolation}");
        assert!(b.text("/path.txt").contains("/usr/bin"), "{isolation}");
        assert_eq!(b.text("/work/sub/here.txt"), "/work/sub\n", "{isolation}");
        let env = b.container()["Env"].to_string();
        assert!(
            env.contains("WHO=world") && !env.contains("GREETING"),
            "{isolation}: {env}"
        );
        // Base layer + RUN + WORKDIR + RUN.
        assert_eq!(layers(&b), 4, "{isolation}: {:?}", history_created_by(&b));
    }
}

#[test]
fn user_by_name_gets_its_groups_and_owns_what_it_writes() {
    let ctx = Context::new(
        // Debian's busybox-static has no adduser: users are added the way a minimal image does it.
        "FROM {{BASE}}\nRUN echo 'svc:x:1500:1500::/home/svc:/bin/sh' >> /etc/passwd && \
         echo 'svc:x:1500:' >> /etc/group && echo 'extra:x:1600:app,svc' >> /etc/group && \
         mkdir -p /home/svc && chown svc:svc /home/svc\n\
         USER svc\nRUN id > /tmp/id.txt && touch /tmp/mine && echo $HOME > /tmp/home.txt\n",
    );
    for isolation in ["--isolation=chroot", "--isolation=rootless"] {
        let b = build_ok(&ctx, "run-user", &[isolation]);
        assert_eq!(
            b.text("/tmp/id.txt"),
            "uid=1500(svc) gid=1500(svc) groups=1500(svc),1600(extra)\n",
            "{isolation}"
        );
        assert_eq!(b.text("/tmp/home.txt"), "/home/svc\n");
        assert!(
            b.meta("/tmp/mine").ends_with(" 1500:1500"),
            "{}",
            b.meta("/tmp/mine")
        );
        assert!(
            b.meta("/home/svc").ends_with(" 1500:1500"),
            "{}",
            b.meta("/home/svc")
        );
    }
}

#[test]
fn heredocs_run_like_buildkit() {
    let ctx = Context::new(
        "FROM {{BASE}}\nRUN <<EOF\necho one > /one.txt\necho two >> /one.txt\nEOF\n\
         RUN <<'SCRIPT'\n#!/bin/sh\necho \"script $0\" > /script.txt\nSCRIPT\n\
         RUN cat <<EOF > /cat.txt\nfrom cat\nEOF\n",
    );
    let b = build_ok(&ctx, "run-heredoc", &["--isolation=chroot"]);
    assert_eq!(b.text("/one.txt"), "one\ntwo\n");
    assert_eq!(b.text("/script.txt"), "script /dev/pipes/SCRIPT\n");
    assert_eq!(b.text("/cat.txt"), "from cat\n");
    // Nothing of the sandbox reached the image.
    assert!(b.snapshot.get("/dev/pipes").is_none());
}

#[test]
fn a_run_that_changes_nothing_makes_no_layer() {
    let ctx = Context::new("FROM {{BASE}}\nRUN true\nRUN echo x > /x\nRUN cat /x > /dev/null\n");
    let b = build_ok(&ctx, "run-nochange", &["--isolation=chroot"]);
    assert_eq!(layers(&b), 2, "{:?}", history_created_by(&b));
    let history = history_created_by(&b);
    assert!(
        history
            .iter()
            .any(|h| h.starts_with("RUN true") && h.ends_with("(empty)")),
        "{history:?}"
    );
}

#[test]
fn single_snapshot_makes_one_layer_per_stage() {
    let ctx = Context::new("FROM {{BASE}}\nRUN echo a > /a\nCOPY f /f\nRUN rm /bin/true && echo b > /b\n")
        .file("f", "from context\n");
    let b = build_ok(&ctx, "run-single", &["--isolation=chroot", "--single-snapshot"]);
    assert_eq!(layers(&b), 2, "{:?}", history_created_by(&b));
    assert_eq!(b.text("/a"), "a\n");
    assert_eq!(b.text("/b"), "b\n");
    assert_eq!(b.text("/f"), "from context\n");
    assert!(b.snapshot.get("/bin/true").is_none());
}

/// An edit that keeps size and mtime is caught by the default mode (through ctime) and by `full`
/// (content), and missed by `time` and `redo`, as in kaniko.
#[test]
fn snapshot_modes_detect_what_they_promise() {
    let ctx = Context::new(
        "FROM {{BASE}}\nRUN echo aaaa > /f && touch -d '2020-01-01 00:00:00' /f\n\
         RUN touch -r /f /ref && echo bbbb > /f && touch -r /ref /f && rm /ref\n",
    );
    for (mode, caught) in [("stat", true), ("full", true), ("redo", false), ("time", false)] {
        let b = build_ok(
            &ctx,
            "run-modes",
            &["--isolation=chroot", &format!("--snapshot-mode={mode}")],
        );
        let expected = if caught { "bbbb\n" } else { "aaaa\n" };
        assert_eq!(b.text("/f"), expected, "--snapshot-mode={mode}");
    }
}

/// The mode for a non-root CI runner: an ordinary user (dropped to with setpriv, as `hack/setup.sh`
/// creates it with subordinate ids) builds with RUN steps that need several ids, and the image
/// carries exactly those owners.
#[test]
fn rootless_as_an_unprivileged_user_keeps_ownership() {
    use std::os::unix::fs::PermissionsExt;
    if unsafe { libc::geteuid() } != 0 {
        eprintln!(
            "skipped: dropping to the test user needs root (run as that user to test rootless directly)"
        );
        return;
    }
    let user = "kaniko-test";
    let ctx = Context::new(
        "FROM {{BASE}}\nRUN mkdir /data && chown 1000:50 /data && touch /data/f && chown 4321:4322 /data/f\n\
         USER app\nRUN id -u > /tmp/uid && touch /tmp/by-app\n",
    );
    let work = tempfile::tempdir().unwrap();
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    for p in [ctx.scratch(), ctx.dir()] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(ctx.dockerfile_path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let reference = format!(
        "{}/{}:latest",
        common::kaniko::bases().registry.host(),
        common::kaniko::unique_repo("rootless-user")
    );
    let out = std::process::Command::new("setpriv")
        .args(["--reuid", user, "--regid", user, "--init-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_kaniko"))
        .args(["build", "--isolation=rootless", "--log-format=text"])
        .arg("--context")
        .arg(ctx.dir())
        .arg("--dockerfile")
        .arg(ctx.dockerfile_path())
        .arg("--kaniko-dir")
        .arg(work.path().join("kaniko"))
        .args(["--insecure-registry", &common::kaniko::bases().registry.host()])
        .args(["--destination", &reference])
        .env("HOME", work.path())
        .env_remove("KANIKO_DIR")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "as {user}: {}\n{stderr}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !stderr.contains("only root is mapped"),
        "subordinate ids were not used:\n{stderr}"
    );
    let b = Built::read(&reference);
    assert!(b.meta("/data").ends_with(" 1000:50"), "{}", b.meta("/data"));
    assert!(b.meta("/data/f").ends_with(" 4321:4322"), "{}", b.meta("/data/f"));
    assert_eq!(b.text("/tmp/uid"), "1000\n");
    assert!(
        b.meta("/tmp/by-app").ends_with(" 1000:1000"),
        "{}",
        b.meta("/tmp/by-app")
    );
    // The build's files were removed by the build itself, even those owned by subordinate ids.
    let left: Vec<_> = std::fs::read_dir(work.path().join("kaniko"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}
