// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko build`'s raw flags, with kaniko's executor names, short forms and defaults.
//!
//! Boolean flags accept both `--flag` and `--flag=true|false`, as kaniko's pflag parsing does,
//! because existing CI configurations write both.

use std::path::PathBuf;

use clap::Args;

use super::shared_flags::{LogFlags, MultiPlatformFlags, RegistryFlags, SigningFlags};

/// Flags of `kaniko build`. Raw values only: [`super::settings`] validates and combines them.
///
/// Declared in the order `--help` shows them: clap lists headings by their first flag, so the
/// flags nearly every build passes come first under "Common", then the build's own groups, then
/// the shared registry, multi-platform (index, Kubernetes) and logging groups.
#[derive(Debug, Clone, Args, Default)]
pub struct BuildFlags {
    /// Path to the build context: a directory (`dir://PATH` or a plain path), a tarball
    /// (`tar://PATH`, or `tar://stdin` to read it from standard input; plain, gzip or zstd), or a
    /// one-layer image in a registry (`docker-image://REPO@DIGEST`, how `kaniko k8s` hands contexts
    /// to its pods).
    #[arg(short = 'c', long, default_value = "/workspace/", help_heading = "Common")]
    pub context: String,

    /// Path to the Dockerfile to build, or `-` to read it from standard input. Tried as given, then
    /// relative to the context.
    #[arg(short = 'f', long, default_value = "Dockerfile", help_heading = "Common")]
    pub dockerfile: String,

    /// Registry destination to push to, e.g. `registry.example.com/team/app:tag` (repeatable).
    #[arg(
        short = 'd',
        long = "destination",
        value_name = "IMAGE",
        help_heading = "Common"
    )]
    pub destinations: Vec<String>,

    /// Build-time variable, `KEY=VALUE`, or `KEY` to take the value from the environment (repeatable).
    #[arg(long = "build-arg", value_name = "KEY[=VALUE]", help_heading = "Common")]
    pub build_args: Vec<String>,

    /// Build only up to this stage (name or index).
    #[arg(long, value_name = "STAGE", help_heading = "Common")]
    pub target: Option<String>,

    /// Build for this platform (`os/arch[/variant]`) instead of the host's.
    #[arg(long, value_name = "PLATFORM", help_heading = "Common")]
    pub custom_platform: Option<String>,

    /// Build the image but do not push it.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Common")]
    pub no_push: bool,

    /// Write the image as a tarball that `docker load` accepts, to this path.
    #[arg(long, value_name = "PATH", help_heading = "Common")]
    pub tar_path: Option<PathBuf>,

    /// kaniko's deprecated spelling of --custom-platform.
    #[arg(
        long = "customPlatform",
        hide = true,
        value_name = "PLATFORM",
        conflicts_with = "custom_platform"
    )]
    pub custom_platform_deprecated: Option<String>,

    /// kaniko's deprecated spelling of --snapshot-mode.
    #[arg(
        long = "snapshotMode",
        hide = true,
        value_name = "MODE",
        conflicts_with = "snapshot_mode"
    )]
    pub snapshot_mode_deprecated: Option<String>,

    /// kaniko's deprecated spelling of --tar-path.
    #[arg(
        long = "tarPath",
        hide = true,
        value_name = "PATH",
        conflicts_with = "tar_path"
    )]
    pub tar_path_deprecated: Option<PathBuf>,

    /// Sub path within the given context.
    #[arg(long, help_heading = "Context")]
    pub context_sub_path: Option<String>,

    /// How a `git://` context is cloned, `KEY=VALUE` (repeatable): `branch=NAME`,
    /// `single-branch=true|false`, `recurse-submodules=true|false`, `insecure-skip-tls=true|false`.
    #[arg(long = "git", value_name = "KEY=VALUE", help_heading = "Context")]
    pub git: Vec<String>,

    /// kaniko's Google Cloud Storage bucket holding the context tarball: the context `gs://BUCKET`
    /// (or BUCKET itself when it has a scheme). Hidden, as in kaniko, which prefers --context.
    #[arg(
        short = 'b',
        long,
        hide = true,
        value_name = "BUCKET",
        help_heading = "Context"
    )]
    pub bucket: Option<String>,

    /// Build only the stages the target depends on, instead of every stage up to it.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Build")]
    pub skip_unused_stages: bool,

    /// Add a label to the image, `KEY=VALUE` (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE", help_heading = "Build")]
    pub labels: Vec<String>,

    /// Add an annotation to the image manifest, `KEY=VALUE` (repeatable); in a multi-platform
    /// build, to each platform's manifest (--index-annotations annotates the index).
    #[arg(long = "annotation", value_name = "KEY=VALUE", help_heading = "Build")]
    pub annotations: Vec<String>,

    /// Make the image reproducible: fixed timestamps (SOURCE_DATE_EPOCH, or the Unix epoch).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Build")]
    pub reproducible: bool,

    /// Give every instruction a layer, as kaniko does with this flag: metadata-only steps (ENV,
    /// LABEL, …) and steps that changed nothing add an empty layer instead of an `empty_layer`
    /// history entry.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Build")]
    pub force_build_metadata: bool,

    /// Write the image into an OCI image layout at this directory.
    #[arg(long, value_name = "DIR", help_heading = "Outputs")]
    pub oci_layout_path: Option<PathBuf>,

    /// Write the digest of the built image (`sha256:…`) to this file.
    #[arg(long, value_name = "PATH", help_heading = "Outputs")]
    pub digest_file: Option<PathBuf>,

    /// Write `image@digest` for every destination, one per line, to this file.
    #[arg(long, value_name = "PATH", help_heading = "Outputs")]
    pub image_name_with_digest_file: Option<PathBuf>,

    /// Write `image:tag@digest` for every destination, one per line, to this file.
    #[arg(long, value_name = "PATH", help_heading = "Outputs")]
    pub image_name_tag_with_digest_file: Option<PathBuf>,

    /// Write a JSON record of the built image (image name, digest, size, media type, platform,
    /// destinations) to this file, for `kaniko aggregate --digests-from`.
    #[arg(long, value_name = "PATH", help_heading = "Outputs")]
    pub metadata_file: Option<PathBuf>,

    /// Push the image to each destination's repository by digest only: no tag is created or moved
    /// (the per-architecture step of a CI matrix; `kaniko aggregate` tags the index).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Outputs")]
    pub push_by_digest: bool,

    /// When a destination refuses the push because its tag is immutable (and already exists), log
    /// it and carry on instead of failing (parallel builds pushing the same tag).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Outputs")]
    pub push_ignore_immutable_tag_errors: bool,

    /// Do not check, before building, that every destination accepts a push from these credentials
    /// (the check starts an upload and cancels it; some registries refuse that but accept pushes).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Outputs")]
    pub skip_push_permission_check: bool,

    /// How RUN commands are isolated: `auto` (container when root inside a container, else rootless
    /// when user namespaces work, else chroot when root), `container` (unpack over `/` and run
    /// directly, kaniko's model; only inside a throw-away container), `chroot` (a root directory under
    /// --kaniko-dir, needs root) or `rootless` (an unprivileged user namespace).
    #[arg(long, default_value = "auto", value_name = "MODE", help_heading = "RUN")]
    pub isolation: String,

    /// Allow --isolation=container where no container is detected (kaniko's `--force`).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "RUN")]
    pub force: bool,

    /// How RUN changes are detected: `stat` (mtime, ctime, size, mode, owner, inode; never reads
    /// unchanged files), `full` (metadata and content hash of every file), `redo` (mtime, size, mode,
    /// owner) or `time` (mtime only).
    #[arg(long, default_value = "stat", value_name = "MODE", help_heading = "RUN")]
    pub snapshot_mode: String,

    /// A build secret for `RUN --mount=type=secret` (repeatable), in BuildKit's syntax:
    /// `id=ID,src=PATH` (a file) or `id=ID,env=VAR` (an environment variable); `id=ID` alone reads
    /// the variable ID if set, else the file ID. Values never reach a layer, the history or a log.
    #[arg(long = "secret", value_name = "id=ID,src=PATH", help_heading = "RUN")]
    pub secrets: Vec<String>,

    /// An SSH agent for `RUN --mount=type=ssh` (repeatable), in BuildKit's syntax: `default` (the
    /// agent at $SSH_AUTH_SOCK), `ID=SOCKET` (that agent; the step may list keys and ask for
    /// signatures, nothing else) or `ID=KEY[,KEY…]` (unencrypted private key files, served by an
    /// in-process agent). Key material never reaches a step, a layer or a log.
    #[arg(long = "ssh", value_name = "default|ID[=SOCKET|KEY,…]", help_heading = "RUN")]
    pub ssh: Vec<String>,

    /// Accepted for kaniko's pipelines: RUN here always finds its changes the way kaniko's
    /// experimental run does (by file metadata, without a full snapshot per command).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "RUN")]
    pub use_new_run: bool,

    /// Take one snapshot per stage, at its end, instead of one layer per RUN/COPY/ADD.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "RUN")]
    pub single_snapshot: bool,

    /// Working directory for the build's own files (downloaded layers, new layers, extracted contexts).
    #[arg(
        long,
        env = "KANIKO_DIR",
        default_value = "/kaniko",
        value_name = "DIR",
        help_heading = "Filesystem"
    )]
    pub kaniko_dir: PathBuf,

    /// Path to leave out of snapshots and extraction (repeatable).
    #[arg(long = "ignore-path", value_name = "PATH", help_heading = "Filesystem")]
    pub ignore_paths: Vec<PathBuf>,

    /// Leave /var/run out of RUN snapshots (kaniko's default); `false` keeps what RUN writes there.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true", help_heading = "Filesystem")]
    pub ignore_var_run: bool,

    /// kaniko's deprecated spelling of --ignore-var-run.
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL", conflicts_with = "ignore_var_run")]
    pub whitelist_var_run: Option<bool>,

    /// Retries of preparing a stage's filesystem from its base image (downloading and extracting
    /// the layers) after a failure (0: none).
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Filesystem")]
    pub image_fs_extract_retry: u32,

    /// Remove the build's working files at the end of the build.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Filesystem")]
    pub cleanup: bool,

    /// Media types of the built image: `oci`, `docker` (Docker schema 2) or `auto` (the base image's;
    /// OCI for `FROM scratch` and whenever layers are zstd). Base layers keep their bytes; only their
    /// descriptors change.
    #[arg(
        long,
        default_value = "auto",
        value_name = "MODE",
        help_heading = "Image format"
    )]
    pub oci_mode: String,

    /// Compression of the layers this build writes: `gzip` or `zstd` (zstd needs OCI media types).
    #[arg(
        long,
        default_value = "gzip",
        value_name = "ALGORITHM",
        help_heading = "Image format"
    )]
    pub compression: String,

    /// Compression level of new layers: gzip 0-9 (default 1), zstd 1-22 (default 3).
    #[arg(long, value_name = "N", help_heading = "Image format")]
    pub compression_level: Option<i32>,

    /// Recompress the base image's layers too when their compression differs from --compression
    /// (e.g. to publish an all-zstd image); their digests change, their content does not.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Image format")]
    pub force_compression: bool,

    #[command(flatten)]
    pub signing: SigningFlags,

    /// Attach a SLSA v1 build provenance to the pushed image as a cosign attestation
    /// (`sha256-<hex>.att`): the image digest, the Dockerfile's and base images' digests, build
    /// arguments, target, platform, version and CI run facts; signed with the --sign-images key.
    /// In a multi-platform run, one per platform manifest (the coordinator signs them).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Signing")]
    pub provenance: bool,

    #[command(flatten)]
    pub cache: CacheFlags,

    #[command(flatten)]
    pub registry: RegistryFlags,

    #[command(flatten)]
    pub multi: MultiPlatformFlags,

    /// A whole build as JSON, as `kaniko k8s` hands it to its pods (the request is the build: only
    /// --kaniko-dir, --isolation, --force and the logging flags still apply).
    #[arg(
        long,
        hide = true,
        value_name = "JSON",
        conflicts_with_all = [
            "context", "dockerfile", "destinations", "build_args", "custom_platform", "multi_platform",
            "target", "tar_path", "custom_platform_deprecated", "snapshot_mode_deprecated",
            "tar_path_deprecated", "git", "bucket", "force_build_metadata",
            "push_ignore_immutable_tag_errors", "ignore_var_run", "whitelist_var_run",
            "image_fs_extract_retry", "use_new_run", "registry_maps", "skip_default_registry_fallback",
            "registry_client_certs",
            "digest_file", "image_name_with_digest_file", "image_name_tag_with_digest_file",
            "metadata_file", "oci_layout_path", "no_push", "push_by_digest", "context_sub_path",
            "labels", "annotations", "reproducible", "skip_unused_stages", "oci_mode", "compression",
            "compression_level", "force_compression", "snapshot_mode", "single_snapshot",
            "ignore_paths", "skip_push_permission_check", "insecure", "insecure_pull",
            "insecure_registries", "skip_tls_verify", "skip_tls_verify_pull",
            "skip_tls_verify_registries", "registry_mirrors", "registry_certificates",
            "push_retry", "image_download_retry", "cache", "cache_repo", "cache_ttl",
            "cache_copy_layers", "cache_run_layers", "compressed_caching", "no_push_cache",
            "arch_cache_repo_suffix", "secrets", "run_cache_dir", "ssh",
        ]
    )]
    pub build_request: Option<String>,

    #[command(flatten)]
    pub log: LogFlags,
}

/// The layer cache's flags (kaniko's names and defaults; docs/caching.md).
#[derive(Debug, Clone, Args, Default)]
pub struct CacheFlags {
    /// Cache layers: look each RUN (and with --cache-copy-layers, COPY/ADD) step up in the cache
    /// repository, reuse the hits and store the steps that ran.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Cache")]
    pub cache: bool,

    /// Where cache entries live: a registry repository, or `oci:DIR` for an OCI image layout.
    /// Default: `<first destination's repository>/cache`.
    #[arg(long, value_name = "REPO", help_heading = "Cache")]
    pub cache_repo: Option<String>,

    /// Directory of base images saved by `kaniko warmer`, and of layer blobs kept across builds.
    #[arg(long, default_value = crate::cache::options::DEFAULT_CACHE_DIR, value_name = "DIR", help_heading = "Cache")]
    pub cache_dir: std::path::PathBuf,

    /// Cache entries older than this are misses (Go-style duration: `336h`, `30m`, `90s`).
    #[arg(long, default_value = "336h", value_name = "DURATION", help_heading = "Cache")]
    pub cache_ttl: String,

    /// Cache COPY and ADD layers too (off by default, as in kaniko: they are cheap to redo).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Cache")]
    pub cache_copy_layers: bool,

    /// Cache RUN layers.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true", help_heading = "Cache")]
    pub cache_run_layers: bool,

    /// Accepted for kaniko's pipelines: snapshots stream to disk, so memory stays flat either way.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true", help_heading = "Cache")]
    pub compressed_caching: bool,

    /// Look steps up in the cache but do not store new entries.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Cache")]
    pub no_push_cache: bool,

    /// One cache repository per architecture: `<cache repo>-amd64`, `<cache repo>-arm64`, also in
    /// each platform's build of a multi-platform run and in each leg of a CI matrix.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", help_heading = "Cache")]
    pub arch_cache_repo_suffix: bool,

    /// Where `RUN --mount=type=cache` directories persist (default `<--cache-dir>/run-cache`; an
    /// ordinary user who cannot create that gets `~/.cache/kaniko-rs/run-cache`).
    #[arg(long, value_name = "DIR", help_heading = "Cache")]
    pub run_cache_dir: Option<std::path::PathBuf>,
}
