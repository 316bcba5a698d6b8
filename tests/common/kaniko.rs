// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Builds with the real `kaniko` binary and reads the result back with independent tools.
//!
//! - [`bases`]: one registry per test process ([`Registry::shared`]) with the busybox base images.
//! - [`Context`]: a build context directory plus a Dockerfile kept *outside* it (so `COPY .` never
//!   copies the Dockerfile, for us and for docker alike). Dockerfiles name bases with placeholders:
//!   `{{BASE}}` (amd64), `{{ARM64}}`, `{{INDEX}}`, `{{DOCKER_V2}}`, `{{REGISTRY}}`.
//! - [`build_ok`]: `kaniko build` pushing to the shared registry, then [`Built`]: the config from
//!   `skopeo inspect --config --raw`, the manifest from `skopeo inspect --raw`, and the root filesystem
//!   unpacked by `skopeo copy` + `umoci unpack` as a [`RootfsSnapshot`].
//! - [`compare_with_docker`]: `docker build` of the same context from the same base (imported into
//!   the daemon), with the root filesystems and the config fields compared.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;

use super::images::{push_base_images, BaseImages};
use super::registry::Registry;
use super::tools::{self, DockerBuild, RootfsSnapshot};

/// The config fields compared with docker's (`.Config` of `docker inspect`).
pub const CONFIG_FIELDS: &[&str] = &[
    "Env",
    "Cmd",
    "Entrypoint",
    "WorkingDir",
    "User",
    "ExposedPorts",
    "Volumes",
    "Labels",
    "StopSignal",
    "Healthcheck",
    "OnBuild",
    "Shell",
];

/// The shared registry and the base images pushed into it.
pub struct Bases {
    pub registry: &'static Registry,
    pub images: BaseImages,
}

pub fn bases() -> &'static Bases {
    static BASES: OnceLock<Bases> = OnceLock::new();
    BASES.get_or_init(|| {
        let registry = Registry::shared();
        let images = push_base_images(registry);
        Bases { registry, images }
    })
}

/// The amd64 base's root filesystem, unpacked once per process.
pub fn base_snapshot() -> &'static RootfsSnapshot {
    static SNAPSHOT: OnceLock<RootfsSnapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let layout = &bases().images.layout;
        let rootfs = tools::umoci_unpack(&layout.dir, "amd64", &dir.path().join("bundle"));
        RootfsSnapshot::capture(&rootfs)
    })
}

/// A unique repository name for one build (tests share the registry).
pub fn unique_repo(name: &str) -> String {
    format!("parity/{name}-{:08x}", fastrand::u32(..))
}

/// A build context in a temporary directory: `ROOT/context/` and `ROOT/Dockerfile`.
pub struct Context {
    root: TempDir,
    dockerfile: String,
}

impl Context {
    /// A context whose Dockerfile is `dockerfile` (placeholders allowed, see the module doc).
    pub fn new(dockerfile: &str) -> Context {
        let root = tempfile::Builder::new()
            .prefix("kaniko-parity-")
            .tempdir()
            .expect("create context tempdir");
        fs_err::create_dir(root.path().join("context")).expect("create context dir");
        let ctx = Context {
            root,
            dockerfile: dockerfile.to_owned(),
        };
        fs_err::write(ctx.dockerfile_path(), ctx.dockerfile_for(&bases().images, None))
            .expect("write Dockerfile");
        ctx
    }

    /// The context directory.
    pub fn dir(&self) -> PathBuf {
        self.root.path().join("context")
    }

    /// Scratch space next to the context (outputs, digest files).
    pub fn scratch(&self) -> PathBuf {
        self.root.path().to_path_buf()
    }

    pub fn dockerfile_path(&self) -> PathBuf {
        self.root.path().join("Dockerfile")
    }

    /// The Dockerfile with placeholders replaced; `docker_base` replaces `{{BASE}}` for docker.
    fn dockerfile_for(&self, images: &BaseImages, docker_base: Option<&str>) -> String {
        Self::replace_placeholders(&self.dockerfile, images, docker_base)
    }

    fn replace_placeholders(dockerfile: &str, images: &BaseImages, docker_base: Option<&str>) -> String {
        dockerfile
            .replace("{{BASE}}", docker_base.unwrap_or(&images.amd64))
            .replace("{{ARM64}}", &images.arm64)
            .replace("{{INDEX}}", &images.index)
            .replace("{{DOCKER_V2}}", &images.docker_v2)
            .replace("{{REGISTRY}}", &bases().registry.host())
    }

    /// Writes a context file with mode 0644 (parents 0755).
    pub fn file(self, path: &str, contents: impl AsRef<[u8]>) -> Context {
        self.file_mode(path, contents, 0o644)
    }

    pub fn file_mode(self, path: &str, contents: impl AsRef<[u8]>, mode: u32) -> Context {
        use std::os::unix::fs::PermissionsExt as _;
        let full = self.dir().join(path);
        self.parents(&full);
        fs_err::write(&full, contents).expect("write context file");
        fs_err::set_permissions(&full, std::fs::Permissions::from_mode(mode)).expect("chmod");
        self
    }

    /// Creates a context directory with `mode`.
    pub fn dir_mode(self, path: &str, mode: u32) -> Context {
        use std::os::unix::fs::PermissionsExt as _;
        let full = self.dir().join(path);
        fs_err::create_dir_all(&full).expect("create context dir");
        fs_err::set_permissions(&full, std::fs::Permissions::from_mode(mode)).expect("chmod");
        self
    }

    /// Copies the directory `src` (files, directories, symlinks) into the context root, for
    /// contexts kept as files in the repository. Modes are what git records, whatever the
    /// checkout's umask: 0755 for directories and executables, 0644 for other files.
    pub fn tree(self, src: &Path) -> Context {
        copy_tree(src, &self.dir());
        self
    }

    pub fn symlink(self, path: &str, target: &str) -> Context {
        let full = self.dir().join(path);
        self.parents(&full);
        std::os::unix::fs::symlink(target, &full).expect("create context symlink");
        self
    }

    fn parents(&self, full: &Path) {
        use std::os::unix::fs::PermissionsExt as _;
        let mut parent = full.parent();
        let mut missing = Vec::new();
        while let Some(p) = parent.filter(|p| !p.exists()) {
            missing.push(p.to_path_buf());
            parent = p.parent();
        }
        for p in missing.iter().rev() {
            fs_err::create_dir(p).expect("create context dir");
            fs_err::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
}

fn copy_tree(src: &Path, dst: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    for entry in fs_err::read_dir(src).expect("read context source dir") {
        let entry = entry.expect("context source entry");
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        let meta = fs_err::symlink_metadata(&from).expect("stat context source");
        if meta.is_symlink() {
            let target = fs_err::read_link(&from).expect("read context source symlink");
            std::os::unix::fs::symlink(target, &to).expect("create context symlink");
            continue;
        }
        if meta.is_dir() {
            fs_err::create_dir(&to).expect("create context dir");
            copy_tree(&from, &to);
        } else {
            fs_err::copy(&from, &to).expect("copy context file");
        }
        let executable = meta.is_dir() || meta.permissions().mode() & 0o100 != 0;
        let mode = if executable { 0o755 } else { 0o644 };
        fs_err::set_permissions(&to, std::fs::Permissions::from_mode(mode)).expect("chmod context entry");
    }
}

/// `kaniko build` of `ctx` with `args` added; whatever the outcome.
pub fn kaniko(ctx: &Context, args: &[&str]) -> Output {
    let kaniko_dir = tempfile::tempdir().expect("kaniko dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.args(build_args(ctx, kaniko_dir.path()))
        .args(args)
        .env_remove("KANIKO_DIR");
    tools::run(&mut cmd)
}

/// `build` and the flags every test build of `ctx` starts with (context, Dockerfile, `kaniko_dir`,
/// the shared registry as insecure, text logs), for callers that start the binary another way.
pub fn build_args(ctx: &Context, kaniko_dir: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["build".into(), "--context".into(), ctx.dir().into()];
    args.extend(["--dockerfile".into(), ctx.dockerfile_path().into()]);
    args.extend(["--kaniko-dir".into(), kaniko_dir.into()]);
    args.extend(["--insecure-registry".into(), bases().registry.host().into()]);
    args.extend(["--log-format".into(), "text".into()]);
    args
}

/// Like [`kaniko`], panicking with the log unless the build succeeds.
pub fn kaniko_ok(ctx: &Context, args: &[&str]) -> Output {
    let out = kaniko(ctx, args);
    if !out.status.success() {
        panic!(
            "kaniko build failed with {}\n--- Dockerfile ---\n{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            out.status,
            fs_err::read_to_string(ctx.dockerfile_path()).unwrap_or_default(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// Builds `ctx` and pushes it as `REGISTRY/parity/NAME-RANDOM:latest`, then reads it back.
pub fn build_ok(ctx: &Context, name: &str, args: &[&str]) -> Built {
    let reference = format!("{}/{}:latest", bases().registry.host(), unique_repo(name));
    let mut all = vec!["--destination", &reference];
    all.extend_from_slice(args);
    kaniko_ok(ctx, &all);
    Built::read(&reference)
}

/// Runs `kaniko build` expecting failure; returns its stderr+stdout.
pub fn build_err(ctx: &Context, args: &[&str]) -> String {
    let out = kaniko(ctx, &[&["--no-push"], args].concat());
    assert!(
        !out.status.success(),
        "the build succeeded but should have failed\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    )
}

/// A pushed image as other tools see it.
pub struct Built {
    pub reference: String,
    /// `skopeo inspect --config --raw`.
    pub config: Value,
    /// `skopeo inspect --raw`.
    pub manifest: Value,
    pub manifest_bytes: Vec<u8>,
    pub rootfs: PathBuf,
    pub snapshot: RootfsSnapshot,
    _dir: TempDir,
}

impl Built {
    pub fn read(reference: &str) -> Built {
        let dir = tempfile::tempdir().expect("tempdir");
        // `--raw`: without it skopeo re-serializes the config through the OCI struct, which has
        // no Healthcheck, OnBuild or Shell.
        let config_bytes = tools::run_ok(Command::new("skopeo").args([
            "inspect",
            "--config",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{reference}"),
        ]));
        let config = serde_json::from_slice(&config_bytes).expect("config JSON");
        let manifest_bytes = tools::skopeo_inspect_raw(reference);
        let manifest = serde_json::from_slice(&manifest_bytes).expect("manifest JSON");
        let layout = dir.path().join("layout");
        tools::skopeo_copy_to_oci(reference, &layout, "built");
        let rootfs = tools::umoci_unpack(&layout, "built", &dir.path().join("bundle"));
        let snapshot = RootfsSnapshot::capture(&rootfs);
        Built {
            reference: reference.to_owned(),
            config,
            manifest,
            manifest_bytes,
            rootfs,
            snapshot,
            _dir: dir,
        }
    }

    /// `.config` of the image config (Env, Cmd, ...).
    pub fn container(&self) -> &Value {
        &self.config["config"]
    }

    /// A file's contents in the unpacked rootfs.
    pub fn file(&self, path: &str) -> Vec<u8> {
        let full = self.rootfs.join(path.trim_start_matches('/'));
        fs_err::read(&full).unwrap_or_else(|e| panic!("{e}\n{}", self.snapshot.render()))
    }

    pub fn text(&self, path: &str) -> String {
        String::from_utf8(self.file(path)).expect("UTF-8 file")
    }

    /// `kind mode uid:gid [-> link]` of a path, the way [`super::tools::SnapshotEntry`] prints it
    /// without size and hash, for compact assertions.
    pub fn meta(&self, path: &str) -> String {
        let e = self.snapshot.entry(path);
        let mut s = format!("{:?} {:04o} {}:{}", e.kind, e.mode, e.uid, e.gid);
        if let Some(l) = &e.link {
            s.push_str(&format!(" -> {l}"));
        }
        s
    }

    /// The paths below directory `dir` (absolute, no trailing `/`), relative to it, sorted.
    pub fn paths_under(&self, dir: &str) -> Vec<String> {
        let prefix = format!("{dir}/");
        self.snapshot
            .entries
            .keys()
            .filter_map(|p| p.strip_prefix(&prefix).map(str::to_owned))
            .collect()
    }

    /// What differs from the amd64 base, one line per path ([`RootfsSnapshot::diff`] format).
    pub fn changes_from_base(&self) -> Vec<String> {
        base_snapshot().diff(&self.snapshot)
    }

    /// The paths added or changed relative to the amd64 base, sorted.
    pub fn changed_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .changes_from_base()
            .iter()
            .map(|l| l[2..].split(':').next().unwrap_or_default().to_owned())
            .collect();
        paths.sort();
        paths
    }
}

/// What [`compare_with_docker`] should pass to `docker build` and leave out of the comparison.
#[derive(Default)]
pub struct DockerOptions<'a> {
    pub build_args: &'a [(&'a str, &'a str)],
    pub target: Option<&'a str>,
    /// Paths (and everything below) left out of the rootfs comparison.
    pub ignore_paths: &'a [&'a str],
    /// Config fields left out of the comparison.
    pub ignore_fields: &'a [&'a str],
    /// The Dockerfile docker builds instead of the context's (same placeholders), for syntax the
    /// legacy builder lacks (heredocs): an equivalent written without it.
    pub dockerfile: Option<&'a str>,
}

/// The amd64 base in the daemon, imported once per process under a content-derived tag.
fn docker_base() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let images = &bases().images;
        let tag = format!(
            "kaniko-parity/busybox:{}",
            &images.layout.amd64.manifest_digest[7..19]
        );
        tools::docker_import_base(&images.amd64, &tag, &[]);
        tag
    })
}

/// An image built by `docker build` from a [`Context`], read back like [`Built`]; removed from
/// the daemon on drop.
pub struct DockerImage {
    pub tag: String,
    /// `.Config` of `docker inspect`.
    pub config: Value,
    /// How many layers `.RootFS.Layers` lists.
    pub layers: usize,
    pub rootfs: PathBuf,
    pub snapshot: RootfsSnapshot,
    _work: TempDir,
}

impl Drop for DockerImage {
    fn drop(&mut self) {
        tools::docker_rmi(&[&self.tag]);
    }
}

/// `docker build` (legacy builder) of `ctx` from the same base as ours, honouring `options`'
/// build arguments, target and Dockerfile. `None` when docker is unavailable (printed, or a
/// panic under [`tools::REQUIRE_DOCKER_ENV`]); panics with docker's output when the build fails.
pub fn docker_build_context(ctx: &Context, options: &DockerOptions<'_>) -> Option<DockerImage> {
    if !tools::docker_available() {
        return None;
    }
    let work = tempfile::tempdir().expect("tempdir");
    // Owned before the build so that a failure further down still removes the image.
    let mut image = DockerImage {
        tag: format!("kaniko-parity/built:{:08x}", fastrand::u32(..)),
        config: Value::Null,
        layers: 0,
        rootfs: PathBuf::new(),
        snapshot: RootfsSnapshot::default(),
        _work: work,
    };
    let out = docker_build_output(ctx, options, &image.tag);
    if !out.status.success() {
        panic!(
            "docker build of {} failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            ctx.dir().display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    image.rootfs = tools::docker_save_rootfs(&image.tag, image._work.path());
    image.snapshot = RootfsSnapshot::capture(&image.rootfs);
    let inspect = tools::docker_ok(&["inspect", "--format", "{{json .}}", &image.tag]);
    let inspect: Value = serde_json::from_str(inspect.trim()).expect("docker inspect JSON");
    image.config = inspect["Config"].clone();
    image.layers = inspect["RootFS"]["Layers"].as_array().map_or(0, Vec::len);
    Some(image)
}

/// `docker build` of `ctx` tagged `tag`, as [`docker_build_context`] runs it, whatever the
/// outcome (for builds expected to fail). Docker must be available.
pub fn docker_build_output(ctx: &Context, options: &DockerOptions<'_>, tag: &str) -> Output {
    let base = docker_base();
    let dockerfile = ctx.scratch().join("Dockerfile.docker");
    let text = match options.dockerfile {
        Some(own) => Context::replace_placeholders(own, &bases().images, Some(base)),
        None => ctx.dockerfile_for(&bases().images, Some(base)),
    };
    fs_err::write(&dockerfile, text).expect("write docker's Dockerfile");
    tools::docker_build(&DockerBuild {
        dockerfile: Some(&dockerfile),
        build_args: options.build_args,
        target: options.target,
        ..DockerBuild::new(&ctx.dir(), tag)
    })
}

/// What differs between our image and docker's, one line each: the rootfs diff
/// ([`RootfsSnapshot::diff`], `-` only ours, `+` only docker's) without `options.ignore_paths`,
/// then the [`CONFIG_FIELDS`] not in `options.ignore_fields`.
pub fn docker_differences(ours: &Built, theirs: &DockerImage, options: &DockerOptions<'_>) -> Vec<String> {
    let mine = ours.snapshot.clone().without(options.ignore_paths);
    let mut differences = mine.diff(&theirs.snapshot.clone().without(options.ignore_paths));
    for field in CONFIG_FIELDS
        .iter()
        .filter(|f| !options.ignore_fields.contains(f))
    {
        let a = normalized(&ours.container()[field]);
        let b = normalized(&theirs.config[field]);
        if a != b {
            differences.push(format!("config {field}: ours {a}  docker {b}"));
        }
    }
    differences
}

/// Builds the same context with `docker build` (legacy builder) from the same base and asserts
/// that its root filesystem and the [`CONFIG_FIELDS`] equal ours. Skips when docker is missing.
pub fn compare_with_docker(ctx: &Context, ours: &Built, options: &DockerOptions<'_>) {
    let Some(theirs) = docker_build_context(ctx, options) else {
        return;
    };
    let differences = docker_differences(ours, &theirs, options);
    assert!(
        differences.is_empty(),
        "kaniko and docker build differ ('-' only ours, '+' only docker's):\n{}",
        differences.join("\n")
    );
}

/// Absent, null and empty are the same thing in a config.
pub fn normalized(v: &Value) -> Value {
    match v {
        Value::Array(a) if a.is_empty() => Value::Null,
        Value::Object(o) if o.is_empty() => Value::Null,
        Value::String(s) if s.is_empty() => Value::Null,
        other => other.clone(),
    }
}
