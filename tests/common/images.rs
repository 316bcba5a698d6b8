// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Busybox base images for the integration tests, built from Debian's busybox-static .debs.
//!
//! How they are made: the statically linked `/bin/busybox` is read out of each .deb in
//! `tests/fixtures/debs` (an `ar` archive holding `data.tar.xz`; `hack/setup.sh` downloads them),
//! put into one gzip layer together with a small, deliberately awkward filesystem (applet
//! symlinks, absolute and relative, one symlink chain, a directory symlink, a setuid file, a sticky
//! `/tmp`, files owned by uid 1000), and described by an OCI config, manifest and a two-platform index.
//! Everything is fixed (timestamps included), so the digests are the same on every run.
//!
//! The OCI layout is written once per content under Cargo's test tmpdir, named after the index
//! digest, so several test binaries can share it; [`push_base_images`] then copies it into a
//! [`Registry`] with skopeo. Nothing here uses the crate under test.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use flate2::write::GzEncoder;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use super::registry::Registry;

/// Seconds since the epoch used for every file and `created` field: 2024-01-01T00:00:00Z.
pub const CREATED_EPOCH: u64 = 1_704_067_200;
pub const CREATED: &str = "2024-01-01T00:00:00Z";
/// The `PATH` in the images' config, the same as Docker Hub's busybox.
pub const PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub const MEDIA_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MEDIA_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const MEDIA_OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Applets reachable as `/bin/<name>`; the link target style is chosen in [`applet_target`].
pub const APPLETS: &[&str] = &[
    "ls",
    "cat",
    "echo",
    "id",
    "stat",
    "sh",
    "env",
    "true",
    "false",
    "test",
    "mkdir",
    "touch",
    "rm",
    "ln",
    "chmod",
    "chown",
    "readlink",
    "find",
    "sha256sum",
    "wc",
    "grep",
    "sed",
    "printf",
    "sleep",
    "whoami",
];

/// Contents of `/etc/passwd` in the base images.
pub const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
";
/// Contents of `/etc/group` in the base images (`app` is also a member of `staff`).
pub const GROUP: &str = "root:x:0:
daemon:x:1:
staff:x:50:app
nogroup:x:65534:
app:x:1000:
";
/// `/usr/local/bin/suid-check`, mode 4755 owned by root. The kernel ignores setuid on scripts, so
/// this file exists for its mode bits (snapshots, tar headers, chmod/chown handling), not to run as root.
pub const SUID_CHECK: &str = "#!/bin/sh\n# setuid-root fixture file: its mode bits are the point\nid -u\n";

/// One platform's image inside the layout.
#[derive(Debug, Clone)]
pub struct PlatformImage {
    /// `amd64` or `arm64`.
    pub architecture: &'static str,
    /// `Some("v8")` for arm64, as Docker Hub's busybox declares.
    pub variant: Option<&'static str>,
    pub manifest_digest: String,
    pub config_digest: String,
    /// Digest of the compressed (gzip) layer blob.
    pub layer_digest: String,
    /// Digest of the uncompressed layer tar (the config's `rootfs.diff_ids[0]`).
    pub diff_id: String,
}

/// The base images as an OCI layout on disk: tags `latest` (the index), `amd64` and `arm64`.
#[derive(Debug, Clone)]
pub struct BaseLayout {
    pub dir: PathBuf,
    pub index_digest: String,
    pub amd64: PlatformImage,
    pub arm64: PlatformImage,
}

impl BaseLayout {
    /// `oci:DIR:TAG` for skopeo.
    pub fn oci_ref(&self, tag: &str) -> String {
        format!("oci:{}:{tag}", self.dir.display())
    }
}

/// References (`HOST/REPO:TAG`, no transport) of the base images pushed into one registry.
#[derive(Debug, Clone)]
pub struct BaseImages {
    /// `HOST/busybox:amd64`: a single OCI manifest, linux/amd64.
    pub amd64: String,
    /// `HOST/busybox:arm64`: a single OCI manifest, linux/arm64/v8.
    pub arm64: String,
    /// `HOST/busybox:latest`: the OCI index of both.
    pub index: String,
    /// `HOST/busybox-docker:latest`: the amd64 image converted to Docker schema2 by skopeo.
    pub docker_v2: String,
    /// The layout the images were pushed from (digests of the OCI flavours match the registry's).
    pub layout: BaseLayout,
}

/// The busybox layout, built once per test process (and written once per content on disk).
pub fn base_layout() -> &'static BaseLayout {
    static LAYOUT: OnceLock<BaseLayout> = OnceLock::new();
    LAYOUT.get_or_init(build_base_layout)
}

/// Pushes the base images into `registry` (plain or TLS + auth) and returns their references.
pub fn push_base_images(registry: &Registry) -> BaseImages {
    let layout = base_layout().clone();
    let host = registry.host();
    let images = BaseImages {
        amd64: format!("{host}/busybox:amd64"),
        arm64: format!("{host}/busybox:arm64"),
        index: format!("{host}/busybox:latest"),
        docker_v2: format!("{host}/busybox-docker:latest"),
        layout,
    };
    let dest = registry.skopeo_args("dest-");
    let copy = |src: String, dst: &str, extra: &[&str]| {
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--quiet"]).args(extra).args(&dest);
        cmd.arg(&src).arg(format!("docker://{dst}"));
        run_skopeo(&mut cmd, registry);
    };
    copy(images.layout.oci_ref("latest"), &images.index, &["--all"]);
    copy(images.layout.oci_ref("amd64"), &images.amd64, &[]);
    copy(images.layout.oci_ref("arm64"), &images.arm64, &[]);
    copy(
        images.layout.oci_ref("amd64"),
        &images.docker_v2,
        &["--format", "v2s2"],
    );
    images
}

fn run_skopeo(cmd: &mut Command, registry: &Registry) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run skopeo: {e} (run hack/setup.sh)"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed with {}:\n{}\n--- registry log ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            registry.logs()
        );
    }
}

/// Directory holding the busybox-static .debs fetched by `hack/setup.sh`.
pub fn debs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/debs")
}

/// The statically linked busybox binary for `arch` (`amd64`, `arm64`), read from its .deb.
pub fn busybox_binary(arch: &str) -> Vec<u8> {
    let pattern = debs_dir().join(format!("busybox-static_*_{arch}.deb"));
    let deb = glob::glob(&pattern.to_string_lossy())
        .expect("valid glob")
        .filter_map(Result::ok)
        .next()
        .unwrap_or_else(|| panic!("no {} : run hack/setup.sh", pattern.display()));
    let bytes = fs_err::read(&deb).expect("read busybox .deb");
    let data =
        ar_member(&bytes, "data.tar").unwrap_or_else(|| panic!("{}: no data.tar.* member", deb.display()));
    let (name, compressed) = data;
    let mut tar_bytes = Vec::new();
    match name.rsplit('.').next() {
        Some("xz") => liblzma::read::XzDecoder::new(compressed).read_to_end(&mut tar_bytes),
        Some("zst") => {
            zstd::stream::read::Decoder::new(compressed).and_then(|mut d| d.read_to_end(&mut tar_bytes))
        }
        Some("gz") => flate2::read::GzDecoder::new(compressed).read_to_end(&mut tar_bytes),
        _ => panic!("{}: unsupported member {name}", deb.display()),
    }
    .unwrap_or_else(|e| panic!("{}: decompress {name}: {e}", deb.display()));
    let mut archive = tar::Archive::new(tar_bytes.as_slice());
    for entry in archive.entries().expect("read data.tar") {
        let mut entry = entry.expect("data.tar entry");
        let path = entry.path().expect("entry path").to_string_lossy().into_owned();
        if path.trim_start_matches("./") == "bin/busybox" {
            let mut binary = Vec::new();
            entry.read_to_end(&mut binary).expect("read bin/busybox");
            return binary;
        }
    }
    panic!("{}: no ./bin/busybox in data.tar", deb.display());
}

/// Finds the first member of an `ar` archive whose name starts with `prefix`.
fn ar_member<'a>(archive: &'a [u8], prefix: &str) -> Option<(String, &'a [u8])> {
    let mut rest = archive.strip_prefix(b"!<arch>\n")?;
    while rest.len() >= 60 {
        let (header, after) = rest.split_at(60);
        let name = String::from_utf8_lossy(&header[..16])
            .trim()
            .trim_end_matches('/')
            .to_owned();
        let size: usize = String::from_utf8_lossy(&header[48..58]).trim().parse().ok()?;
        let data = after.get(..size)?;
        if name.starts_with(prefix) {
            return Some((name, data));
        }
        // Members are padded to an even offset.
        rest = after.get(size + size % 2..)?;
    }
    None
}

/// Where an applet link points: mostly relative `busybox`, some absolute `/bin/busybox`.
fn applet_target(applet: &str) -> &'static str {
    match applet {
        "ln" | "chmod" | "chown" | "readlink" | "stat" => "/bin/busybox",
        _ => "busybox",
    }
}

enum Node<'a> {
    Dir { mode: u32, uid: u64, gid: u64 },
    File { mode: u32, data: &'a [u8] },
    Symlink { target: &'a str },
}

/// The single layer of a base image, as an uncompressed tar.
pub fn base_layer_tar(busybox: &[u8]) -> Vec<u8> {
    let mut nodes: Vec<(String, Node)> = Vec::new();
    let dir = |mode| Node::Dir { mode, uid: 0, gid: 0 };
    for d in ["bin", "dev", "etc", "home"] {
        nodes.push((d.into(), dir(0o755)));
    }
    nodes.push((
        "home/app".into(),
        Node::Dir {
            mode: 0o755,
            uid: 1000,
            gid: 1000,
        },
    ));
    nodes.push(("proc".into(), dir(0o555)));
    nodes.push(("root".into(), dir(0o700)));
    for d in ["run", "sbin", "sys"] {
        nodes.push((d.into(), dir(0o755)));
    }
    nodes.push(("tmp".into(), dir(0o1777)));
    for d in [
        "usr",
        "usr/bin",
        "usr/local",
        "usr/local/bin",
        "usr/local/sbin",
        "usr/sbin",
        "var",
    ] {
        nodes.push((d.into(), dir(0o755)));
    }
    nodes.push((
        "bin/busybox".into(),
        Node::File {
            mode: 0o755,
            data: busybox,
        },
    ));
    for applet in APPLETS {
        nodes.push((
            format!("bin/{applet}"),
            Node::Symlink {
                target: applet_target(applet),
            },
        ));
    }
    nodes.push((
        "etc/passwd".into(),
        Node::File {
            mode: 0o644,
            data: PASSWD.as_bytes(),
        },
    ));
    nodes.push((
        "etc/group".into(),
        Node::File {
            mode: 0o644,
            data: GROUP.as_bytes(),
        },
    ));
    // A chain: /usr/bin/env -> /bin/env -> busybox.
    nodes.push(("usr/bin/env".into(), Node::Symlink { target: "/bin/env" }));
    nodes.push((
        "usr/local/bin/suid-check".into(),
        Node::File {
            mode: 0o4755,
            data: SUID_CHECK.as_bytes(),
        },
    ));
    nodes.push(("var/run".into(), Node::Symlink { target: "/run" }));

    let mut builder = tar::Builder::new(Vec::new());
    for (path, node) in nodes {
        let mut header = tar::Header::new_ustar();
        header.set_mtime(CREATED_EPOCH);
        header.set_uid(0);
        header.set_gid(0);
        match node {
            Node::Dir { mode, uid, gid } => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(mode);
                header.set_uid(uid);
                header.set_gid(gid);
                header.set_size(0);
                builder.append_data(&mut header, format!("{path}/"), std::io::empty())
            }
            Node::File { mode, data } => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(mode);
                header.set_size(data.len() as u64);
                builder.append_data(&mut header, &path, data)
            }
            Node::Symlink { target } => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_mode(0o777);
                header.set_size(0);
                builder.append_link(&mut header, &path, target)
            }
        }
        .unwrap_or_else(|e| panic!("append {path} to the base layer: {e}"));
    }
    builder.into_inner().expect("finish base layer tar")
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    // A fixed header (no mtime, no name) keeps the blob digest stable.
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("finish gzip")
}

fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({ "mediaType": media_type, "digest": sha256_digest(bytes), "size": bytes.len() })
}

fn platform_json(image: &PlatformImage) -> Value {
    let mut platform = json!({ "architecture": image.architecture, "os": "linux" });
    if let Some(variant) = image.variant {
        platform["variant"] = json!(variant);
    }
    platform
}

/// Blob contents keyed by digest, in write order.
type Blobs = Vec<(String, Vec<u8>)>;

/// Blobs (digest → bytes) of one platform's image, and its summary.
fn build_platform(
    architecture: &'static str,
    variant: Option<&'static str>,
) -> (PlatformImage, Vec<u8>, Blobs) {
    let tar = base_layer_tar(&busybox_binary(architecture));
    let diff_id = sha256_digest(&tar);
    let layer = gzip(&tar);
    let mut config = json!({
        "created": CREATED,
        "architecture": architecture,
        "os": "linux",
        "config": { "Env": [PATH_ENV], "Cmd": ["sh"] },
        "rootfs": { "type": "layers", "diff_ids": [diff_id] },
        "history": [
            {
                "created": CREATED,
                "created_by": format!("/bin/sh -c #(nop) ADD file:{} in / ", &diff_id[7..]),
            },
            {
                "created": CREATED,
                "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]",
                "empty_layer": true,
            },
        ],
    });
    if let Some(v) = variant {
        config["variant"] = json!(v);
    }
    let config = serde_json::to_vec(&config).expect("serialize config");
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_OCI_MANIFEST,
        "config": descriptor(MEDIA_OCI_CONFIG, &config),
        "layers": [descriptor(MEDIA_OCI_LAYER_GZIP, &layer)],
    }))
    .expect("serialize manifest");
    let image = PlatformImage {
        architecture,
        variant,
        manifest_digest: sha256_digest(&manifest),
        config_digest: sha256_digest(&config),
        layer_digest: sha256_digest(&layer),
        diff_id,
    };
    let blobs = vec![
        (image.config_digest.clone(), config),
        (image.layer_digest.clone(), layer),
        (image.manifest_digest.clone(), manifest.clone()),
    ];
    (image, manifest, blobs)
}

fn build_base_layout() -> BaseLayout {
    let (amd64, amd64_manifest, mut blobs) = build_platform("amd64", None);
    let (arm64, arm64_manifest, arm64_blobs) = build_platform("arm64", Some("v8"));
    blobs.extend(arm64_blobs);
    let manifest_entry = |image: &PlatformImage, bytes: &[u8], tag: Option<&str>| {
        let mut d = descriptor(MEDIA_OCI_MANIFEST, bytes);
        d["platform"] = platform_json(image);
        if let Some(tag) = tag {
            d["annotations"] = json!({ REF_NAME: tag });
        }
        d
    };
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_OCI_INDEX,
        "manifests": [
            manifest_entry(&amd64, &amd64_manifest, None),
            manifest_entry(&arm64, &arm64_manifest, None),
        ],
    }))
    .expect("serialize index");
    let index_digest = sha256_digest(&index);
    blobs.push((index_digest.clone(), index.clone()));
    let mut index_entry = descriptor(MEDIA_OCI_INDEX, &index);
    index_entry["annotations"] = json!({ REF_NAME: "latest" });
    let layout_index = serde_json::to_vec_pretty(&json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_OCI_INDEX,
        "manifests": [
            index_entry,
            manifest_entry(&amd64, &amd64_manifest, Some("amd64")),
            manifest_entry(&arm64, &arm64_manifest, Some("arm64")),
        ],
    }))
    .expect("serialize index.json");

    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("base-images");
    let dir = root.join(format!("busybox-{}", &index_digest[7..19]));
    if !dir.join("index.json").exists() {
        write_layout_atomically(&root, &dir, &blobs, &layout_index);
    }
    BaseLayout {
        dir,
        index_digest,
        amd64,
        arm64,
    }
}

/// Writes the layout into a private directory, then renames it into place, so concurrent test
/// binaries never see a half-written layout.
fn write_layout_atomically(root: &Path, dir: &Path, blobs: &Blobs, index_json: &[u8]) {
    fs_err::create_dir_all(root).expect("create base-images dir");
    let staging = tempfile::Builder::new()
        .prefix(".staging-")
        .tempdir_in(root)
        .expect("create staging dir");
    let blob_dir = staging.path().join("blobs/sha256");
    fs_err::create_dir_all(&blob_dir).expect("create blobs dir");
    for (digest, bytes) in blobs {
        fs_err::write(blob_dir.join(&digest[7..]), bytes).expect("write blob");
    }
    fs_err::write(
        staging.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("write oci-layout");
    fs_err::write(staging.path().join("index.json"), index_json).expect("write index.json");
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, dir) {
        // Another process won the race with identical content; ours is redundant.
        let _ = fs_err::remove_dir_all(&staged);
        assert!(
            dir.join("index.json").exists(),
            "rename {} -> {}: {e}",
            staged.display(),
            dir.display()
        );
    }
}
