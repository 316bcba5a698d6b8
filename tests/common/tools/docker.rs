// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `docker` as the reference: load and run images, `docker build` a context (the legacy builder;
//! this engine has no buildx), and turn a daemon image into a rootfs for [`RootfsSnapshot`]
//! comparisons.
//!
//! The engine here (20.10) has no images and no internet, but it shares the host's loopback and
//! treats 127.0.0.0/8 as insecure, so it can `docker pull` from a plain fixture registry.
//! [`docker_import_base`] does that and falls back to `skopeo copy … docker-archive:` +
//! `docker load` (TLS registries, or a daemon on another network), so `docker build` can use the
//! same base image under a chosen `FROM` name.
//!
//! [`RootfsSnapshot`]: super::RootfsSnapshot

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::command::{run, run_ok};
use super::skopeo::{skopeo_copy, skopeo_copy_to_docker_archive, skopeo_copy_to_oci, skopeo_ref};
use super::umoci::umoci_unpack;

/// Set to `1` to make a missing docker daemon a test failure instead of a skip.
pub const REQUIRE_DOCKER_ENV: &str = "KANIKO_TEST_REQUIRE_DOCKER";

/// Whether `docker info` succeeds. When it does not, prints "skipping: docker info failed: …" (the
/// caller then returns), or panics if [`REQUIRE_DOCKER_ENV`] is `1`.
pub fn docker_available() -> bool {
    let reason = match Command::new("docker").arg("info").output() {
        Ok(out) if out.status.success() => return true,
        Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        Err(e) => e.to_string(),
    };
    if std::env::var(REQUIRE_DOCKER_ENV).is_ok_and(|v| v == "1") {
        panic!("docker info failed and {REQUIRE_DOCKER_ENV}=1: {reason}");
    }
    eprintln!("skipping: docker info failed: {reason}");
    false
}

/// A `docker` command with the legacy builder selected (no buildx plugin on this machine).
pub fn docker_cmd() -> Command {
    let mut cmd = Command::new("docker");
    cmd.env("DOCKER_BUILDKIT", "0");
    cmd
}

/// `docker ARGS…`, panicking on failure; returns stdout as text.
pub fn docker_ok(args: &[&str]) -> String {
    String::from_utf8_lossy(&run_ok(docker_cmd().args(args))).into_owned()
}

/// `docker load -i TARBALL`; returns what was loaded (a `name:tag`, or an image ID).
pub fn docker_load(tarball: &Path) -> String {
    let out = run_ok(docker_cmd().arg("load").arg("-i").arg(tarball));
    let text = String::from_utf8_lossy(&out);
    text.lines()
        .rev()
        .find_map(|l| {
            l.strip_prefix("Loaded image: ")
                .or_else(|| l.strip_prefix("Loaded image ID: "))
        })
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| panic!("docker load {}: unexpected output: {text}", tarball.display()))
}

/// `docker run --rm IMAGE ARGS…`, whatever the exit status.
pub fn docker_run(image: &str, args: &[&str]) -> Output {
    run(docker_cmd().args(["run", "--rm", image]).args(args))
}

/// `docker run --rm IMAGE ARGS…`, panicking unless it succeeds; returns stdout as text.
pub fn docker_run_ok(image: &str, args: &[&str]) -> String {
    String::from_utf8_lossy(&run_ok(docker_cmd().args(["run", "--rm", image]).args(args))).into_owned()
}

/// What to `docker build`.
#[derive(Debug, Clone)]
pub struct DockerBuild<'a> {
    pub context: &'a Path,
    /// `-f`, relative to the current directory or absolute; `None` = `context/Dockerfile`.
    pub dockerfile: Option<&'a Path>,
    pub tag: &'a str,
    pub build_args: &'a [(&'a str, &'a str)],
    /// `--platform`, e.g. `linux/amd64`.
    pub platform: Option<&'a str>,
    /// `--target`.
    pub target: Option<&'a str>,
}

impl<'a> DockerBuild<'a> {
    /// Builds `context/Dockerfile` as `tag`, nothing else set; fill the other fields as needed.
    pub fn new(context: &'a Path, tag: &'a str) -> DockerBuild<'a> {
        DockerBuild {
            context,
            dockerfile: None,
            tag,
            build_args: &[],
            platform: None,
            target: None,
        }
    }
}

/// Runs `docker build` (legacy builder, `--pull=false` implied: bases come from
/// [`docker_import_base`]); returns the output whatever the exit status.
pub fn docker_build(build: &DockerBuild<'_>) -> Output {
    let mut cmd = docker_cmd();
    // --force-rm: a failed RUN's container is removed too, not left in the shared daemon.
    cmd.args(["build", "--quiet", "--force-rm", "--tag", build.tag]);
    if let Some(f) = build.dockerfile {
        cmd.arg("--file").arg(f);
    }
    for (k, v) in build.build_args {
        cmd.arg("--build-arg").arg(format!("{k}={v}"));
    }
    if let Some(p) = build.platform {
        cmd.args(["--platform", p]);
    }
    if let Some(t) = build.target {
        cmd.args(["--target", t]);
    }
    cmd.arg(build.context);
    run(&mut cmd)
}

/// [`docker_build`] that panics with docker's output unless it succeeds.
pub fn docker_build_ok(build: &DockerBuild<'_>) {
    let out = docker_build(build);
    if !out.status.success() {
        panic!(
            "docker build of {} failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            build.context.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Makes the image `reference` (`HOST/REPO:TAG` in a fixture registry, or any skopeo reference)
/// available to the daemon as `tag`. Tries `docker pull` first, then `docker load` of a
/// `skopeo copy`'d docker-archive. `skopeo_src_args` are passed to skopeo for the fallback
/// (e.g. `registry.skopeo_args("src-")` for a TLS registry).
pub fn docker_import_base(reference: &str, tag: &str, skopeo_src_args: &[String]) {
    let source = skopeo_ref(reference);
    let pullable = source
        .strip_prefix("docker://")
        .filter(|_| skopeo_src_args.is_empty());
    if let Some(name) =
        pullable.filter(|name| run(docker_cmd().args(["pull", "--quiet", name])).status.success())
    {
        docker_ok(&["tag", name, tag]);
        if name != tag {
            // Only the chosen name should stay; the registry name dies with the registry.
            let _ = run(docker_cmd().args(["rmi", name]));
        }
        return;
    }
    let dir = tempfile::tempdir().expect("create docker-archive tempdir");
    let tarball = dir.path().join("image.tar");
    if skopeo_src_args.is_empty() {
        skopeo_copy_to_docker_archive(reference, &tarball, tag);
    } else {
        let dst = format!("docker-archive:{}:{tag}", tarball.display());
        skopeo_copy(reference, &dst, skopeo_src_args);
    }
    docker_load(&tarball);
}

/// `docker rmi -f` of `images`, ignoring ones that do not exist.
pub fn docker_rmi(images: &[&str]) {
    let _ = run(docker_cmd().args(["rmi", "-f"]).args(images));
}

/// `docker save IMAGE` unpacked with umoci under `workdir` (which must exist); returns the rootfs.
pub fn docker_save_rootfs(image: &str, workdir: &Path) -> PathBuf {
    let tarball = workdir.join("docker-save.tar");
    run_ok(docker_cmd().arg("save").arg("--output").arg(&tarball).arg(image));
    let layout = workdir.join("docker-save-layout");
    skopeo_copy_to_oci(&format!("docker-archive:{}", tarball.display()), &layout, "image");
    umoci_unpack(&layout, "image", &workdir.join("docker-save-bundle"))
}
