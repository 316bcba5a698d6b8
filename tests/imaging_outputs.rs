// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! End-to-end checks of the imaging path: layers written by the layer writer, assembled on top of a
//! "remote" base (served by the directory blob fetcher), written as a docker tarball and as an OCI
//! layout, then read by the real consumers: `docker load`/`docker run`, `skopeo inspect`
//! (docker-archive:, oci-archive:, oci:) and `umoci unpack --rootless`.
//!
//! Fixture: the base layer holds a static busybox extracted with `dpkg-deb -x` from the
//! busybox-static .deb that `hack/setup.sh` downloads into tests/fixtures/debs/. Tests that need a
//! tool or the .deb that is missing print why and return.

use std::path::{Path, PathBuf};
use std::process::Command;

use kaniko::image::assembled::rfc3339_from_unix;
use kaniko::image::media_type;
use kaniko::image::{
    AssembledImage, Digest, History, ImageAssembler, ImageConfig, ImageIndex, ImageManifest, ManifestFormat,
};
use kaniko::output::digest_file::{write_digest_file, write_image_name_tag_with_digest_file};
use kaniko::output::{
    write_layout, write_tarball, DirBlobFetcher, LayoutWrite, NoRemoteBlobs, OutputError, TarballImage,
};
use kaniko::platform::Platform;
use kaniko::snapshot::{Compression, EntryMeta, LayerOptions, LayerWriter};

const GREETING_SCRIPT: &[u8] = b"#!/bin/sh\necho \"hello-from-kaniko-rs $GREETING\"\n";

fn tool_works(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Extracts the host-architecture busybox-static .deb and returns the busybox binary, or `None`
/// (with a printed reason) when the fixture is missing.
fn busybox(work: &Path) -> Option<PathBuf> {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => {
            eprintln!("skipping: no busybox fixture for host architecture {other}");
            return None;
        }
    };
    let debs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/debs");
    let deb = std::fs::read_dir(&debs)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(&format!("_{arch}.deb")))
        });
    let Some(deb) = deb else {
        eprintln!(
            "skipping: no busybox-static deb in {} (run hack/setup.sh)",
            debs.display()
        );
        return None;
    };
    let root = work.join("busybox-deb");
    run("dpkg-deb", &["-x", deb.to_str().unwrap(), root.to_str().unwrap()]);
    Some(root.join("bin/busybox"))
}

fn meta(mode: u32, uid: u64, gid: u64) -> EntryMeta {
    EntryMeta {
        mode,
        uid,
        gid,
        mtime: 1_700_000_000,
        ..EntryMeta::default()
    }
}

struct Fixture {
    _work: tempfile::TempDir,
    work: PathBuf,
    /// Blobs of the "remote" base image, served by `DirBlobFetcher`.
    remote: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let work = tempfile::tempdir().unwrap();
        let path = work.path().to_path_buf();
        let remote = path.join("remote");
        std::fs::create_dir_all(&remote).unwrap();
        std::fs::create_dir_all(path.join("local")).unwrap();
        Self {
            _work: work,
            work: path,
            remote,
        }
    }

    fn fetcher(&self) -> DirBlobFetcher {
        DirBlobFetcher::new(&self.remote)
    }

    /// Base image (Docker media types, as a registry would serve it) + one new layer and config
    /// changes, assembled in `format`.
    fn build(&self, busybox: &Path, format: ManifestFormat, options: LayerOptions) -> AssembledImage {
        let base_options = LayerOptions {
            format: ManifestFormat::Docker,
            compression: Compression::Gzip,
            ..options
        };
        let mut base = LayerWriter::create(&self.remote, base_options).unwrap();
        base.append_dir(Path::new("bin"), &meta(0o755, 0, 0)).unwrap();
        base.append_file_from_path(Path::new("bin/busybox"), busybox, &meta(0o755, 0, 0))
            .unwrap();
        base.append_symlink(Path::new("bin/sh"), Path::new("busybox"), &meta(0o777, 0, 0))
            .unwrap();
        base.append_hard_link(
            Path::new("bin/stat"),
            Path::new("bin/busybox"),
            &meta(0o755, 0, 0),
        )
        .unwrap();
        base.append_hard_link(
            Path::new("bin/test"),
            Path::new("bin/busybox"),
            &meta(0o755, 0, 0),
        )
        .unwrap();
        base.append_dir(Path::new("etc"), &meta(0o755, 0, 0)).unwrap();
        base.append_file(Path::new("etc/hello"), &b"hi\n"[..], 3, &meta(0o640, 1000, 1000))
            .unwrap();
        base.append_file(Path::new("etc/gone"), &b"bye\n"[..], 4, &meta(0o644, 0, 0))
            .unwrap();
        base.append_dir(Path::new("var/cache"), &meta(0o755, 0, 0))
            .unwrap();
        base.append_file(Path::new("var/cache/old"), &b""[..], 0, &meta(0o644, 0, 0))
            .unwrap();
        let base_blob = base.finish().unwrap();
        assert_eq!(base_blob.descriptor.media_type, media_type::DOCKER_LAYER_GZIP);

        let platform = Platform::host();
        let mut base_config = ImageConfig::scratch(&platform);
        base_config.created = Some(rfc3339_from_unix(1_600_000_000));
        base_config.container_mut().env_set("PATH", "/bin");
        base_config.container_mut().cmd = Some(vec!["sh".into()]);
        base_config.push_layer(base_blob.diff_id.clone(), History::default());
        let base_config_bytes = base_config.to_bytes().unwrap();
        let base_manifest = ImageManifest::new(
            ManifestFormat::Docker,
            kaniko::image::Descriptor::new(
                media_type::DOCKER_CONFIG,
                Digest::of(&base_config_bytes),
                base_config_bytes.len() as u64,
            ),
            vec![base_blob.descriptor.clone()],
        );
        // The base blob now exists only "in the registry".
        let mut assembler = ImageAssembler::from_base(
            format,
            &ImageManifest::parse(&base_manifest.to_bytes().unwrap()).unwrap(),
            ImageConfig::parse(&base_config_bytes).unwrap(),
            "registry.invalid",
            "library/base",
        )
        .unwrap();

        let mut layer =
            LayerWriter::create(&self.work.join("local"), LayerOptions { format, ..options }).unwrap();
        layer.append_whiteout(Path::new("/etc/gone")).unwrap();
        layer.append_opaque_whiteout(Path::new("/var/cache")).unwrap();
        layer.append_dir(Path::new("/app"), &meta(0o755, 0, 0)).unwrap();
        layer
            .append_file(
                Path::new("/app/run.sh"),
                GREETING_SCRIPT,
                GREETING_SCRIPT.len() as u64,
                &meta(0o755, 0, 0),
            )
            .unwrap();
        layer
            .append_file(Path::new("/usr/bin/suid"), &b"x"[..], 1, &meta(0o4755, 0, 0))
            .unwrap();
        layer.append_dir(Path::new("/tmp"), &meta(0o1777, 0, 0)).unwrap();
        layer
            .append_dir(Path::new("/data"), &meta(0o2750, 1234, 5678))
            .unwrap();
        let blob = layer.finish().unwrap();
        assembler.append_layer(
            blob,
            History {
                created_by: Some("COPY . /app".into()),
                ..History::default()
            },
        );

        let config = assembler.config_mut();
        config.created = Some(rfc3339_from_unix(1_700_000_000));
        let cc = config.container_mut();
        cc.env_set("GREETING", "world");
        cc.env_set("PATH", "/bin:/usr/bin");
        cc.cmd = Some(vec!["/app/run.sh".into()]);
        cc.working_dir = "/app".into();
        cc.label_set("org.example.test", "imaging");
        assembler.append_history(History {
            created_by: Some("CMD [\"/app/run.sh\"]".into()),
            ..History::default()
        });
        assembler.assemble().unwrap()
    }
}

#[test]
fn docker_loads_and_runs_the_tarball() {
    let fx = Fixture::new();
    let Some(busybox) = busybox(&fx.work) else { return };
    let image = fx.build(&busybox, ManifestFormat::Docker, LayerOptions::default());
    let tag = format!("kaniko-rs-imaging-test:{}", fastrand::u64(..));
    let tar_path = fx.work.join("out/image.tar");
    write_tarball(
        &tar_path,
        &[TarballImage {
            image: &image,
            tags: &[kaniko::registry::Reference::parse(&tag).unwrap()],
        }],
        &fx.fetcher(),
    )
    .unwrap();

    // skopeo reads both views of the same file.
    if tool_works("skopeo", &["--version"]) {
        let inspected = run(
            "skopeo",
            &[
                "inspect",
                "--raw",
                &format!("docker-archive:{}", tar_path.display()),
            ],
        );
        let m = ImageManifest::parse(inspected.as_bytes()).unwrap();
        assert_eq!(m.layers.len(), 2);
        // The OCI view lists the same config and layers under OCI media types.
        let oci_ref = format!(
            "oci-archive:{}:{}",
            tar_path.display(),
            tag.rsplit(':').next().unwrap()
        );
        let oci = ImageManifest::parse(run("skopeo", &["inspect", "--raw", &oci_ref]).as_bytes()).unwrap();
        assert_eq!(oci.media_type.as_deref(), Some(media_type::OCI_MANIFEST));
        assert_eq!(oci.config.digest, image.config_descriptor.digest);
        let digests = |m: &ImageManifest| m.layers.iter().map(|l| l.digest.clone()).collect::<Vec<_>>();
        assert_eq!(
            digests(&oci),
            image
                .layers
                .iter()
                .map(|l| l.descriptor.digest.clone())
                .collect::<Vec<_>>()
        );
        // docker-archive: presents layers decompressed, so by their diff IDs.
        assert_eq!(
            digests(&m),
            image.layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()
        );
    } else {
        eprintln!("skopeo not available: skipping the skopeo checks of the tarball");
    }

    if !tool_works("docker", &["info"]) {
        eprintln!("skipping docker load/run: `docker info` fails (no reachable daemon)");
        return;
    }
    let loaded = run("docker", &["load", "-i", tar_path.to_str().unwrap()]);
    assert!(loaded.contains(&tag), "{loaded}");
    let cleanup = scopeguard(tag.clone());
    let out = run("docker", &["run", "--rm", &tag]);
    assert_eq!(out, "hello-from-kaniko-rs world\n");
    let out = run(
        "docker",
        &[
            "run", "--rm", "--entrypoint", "/bin/sh", &tag, "-c",
            "test ! -e /etc/gone && test ! -e /var/cache/old && pwd && stat -c '%n %a %u %g' /etc/hello /usr/bin/suid /tmp /data",
        ],
    );
    assert_eq!(
        out,
        "/app\n/etc/hello 640 1000 1000\n/usr/bin/suid 4755 0 0\n/tmp 1777 0 0\n/data 2750 1234 5678\n"
    );
    let id = run("docker", &["image", "inspect", "--format", "{{.Id}}", &tag]);
    assert_eq!(id.trim(), image.config_descriptor.digest.to_string());
    drop(cleanup);
}

/// zstd layers checked with the reference `zstd` and GNU `tar` tools. (Docker 20.10, the daemon on
/// the test machines, cannot `docker load` zstd layers: it reports "unexpected EOF".)
#[test]
fn zstd_layers_decompress_with_the_zstd_cli() {
    let fx = Fixture::new();
    let Some(busybox) = busybox(&fx.work) else { return };
    if !tool_works("zstd", &["--version"]) {
        eprintln!("skipping: zstd CLI not available");
        return;
    }
    let options = LayerOptions {
        compression: Compression::Zstd,
        level: Some(19),
        ..LayerOptions::default()
    };
    let image = fx.build(&busybox, ManifestFormat::Oci, options);
    let layer = &image.layers[1];
    assert_eq!(layer.descriptor.media_type, media_type::OCI_LAYER_ZSTD);
    let kaniko::image::LayerLocation::File(path) = &layer.location else {
        panic!("new layer is local")
    };
    let out = Command::new("zstd")
        .args(["-dc", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(Digest::of(&out.stdout), layer.diff_id);
    let tar_file = fx.work.join("layer.tar");
    std::fs::write(&tar_file, &out.stdout).unwrap();
    let listing = run("tar", &["-tvf", tar_file.to_str().unwrap()]);
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("-rwsr-xr-x 0/0") && l.ends_with("usr/bin/suid")),
        "{listing}"
    );
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("drwxr-s--- 1234/5678") && l.ends_with("data/")),
        "{listing}"
    );
    assert!(
        listing.contains("etc/.wh.gone") && listing.contains("var/cache/.wh..wh..opq"),
        "{listing}"
    );
}

/// Removes the loaded image when the test ends, pass or fail.
fn scopeguard(tag: String) -> impl Drop {
    struct Remove(String);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
        }
    }
    Remove(tag)
}

#[test]
fn oci_layout_is_read_by_skopeo_and_unpacked_by_umoci() {
    let fx = Fixture::new();
    let Some(busybox) = busybox(&fx.work) else { return };
    let image = fx.build(&busybox, ManifestFormat::Oci, LayerOptions::default());
    let layout = fx.work.join("layout");
    write_layout(
        &layout,
        &image,
        &LayoutWrite {
            ref_name: Some("v1".into()),
            replace_index: false,
        },
        &fx.fetcher(),
    )
    .unwrap();
    // A second image under another name, and the first one written again (replaced, not doubled).
    let docker_image = fx.build(&busybox, ManifestFormat::Docker, LayerOptions::default());
    write_layout(
        &layout,
        &docker_image,
        &LayoutWrite {
            ref_name: Some("v2".into()),
            ..LayoutWrite::default()
        },
        &fx.fetcher(),
    )
    .unwrap();
    write_layout(
        &layout,
        &image,
        &LayoutWrite {
            ref_name: Some("v1".into()),
            ..LayoutWrite::default()
        },
        &fx.fetcher(),
    )
    .unwrap();
    let index = ImageIndex::parse(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let names: Vec<_> = index
        .manifests
        .iter()
        .map(|d| d.annotations["org.opencontainers.image.ref.name"].as_str())
        .collect();
    assert_eq!(names, vec!["v2", "v1"]);
    // Every blob is named by its digest.
    for entry in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        let (digest, _) = kaniko::image::digest::digest_file(&entry.path()).unwrap();
        assert_eq!(digest.hex(), entry.file_name().to_string_lossy());
    }

    if !tool_works("skopeo", &["--version"]) {
        eprintln!("skipping skopeo/umoci checks: skopeo not available");
        return;
    }
    let oci_ref = format!("oci:{}:v1", layout.display());
    let raw = run("skopeo", &["inspect", "--raw", &oci_ref]);
    assert_eq!(raw.as_bytes(), image.manifest_bytes.as_slice());
    let raw_config = run("skopeo", &["inspect", "--raw", "--config", &oci_ref]);
    assert_eq!(raw_config.as_bytes(), image.config_bytes.as_slice());
    let config: serde_json::Value =
        serde_json::from_str(&run("skopeo", &["inspect", "--config", &oci_ref])).unwrap();
    assert_eq!(
        config["config"]["Env"],
        serde_json::json!(["PATH=/bin:/usr/bin", "GREETING=world"])
    );
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
    // skopeo's oci: transport only lists OCI manifests, so the Docker-format image written as v2
    // is checked in index.json (above) and by its blob rather than through skopeo.
    let v2 = std::fs::read(layout.join("blobs/sha256").join(docker_image.digest().hex())).unwrap();
    assert_eq!(v2, docker_image.manifest_bytes);
    assert_eq!(index.manifests[0].media_type, media_type::DOCKER_MANIFEST);

    if !tool_works("umoci", &["--version"]) {
        eprintln!("skipping umoci unpack: umoci not available");
        return;
    }
    let bundle = fx.work.join("bundle");
    run(
        "umoci",
        &[
            "unpack",
            "--rootless",
            "--image",
            &format!("{}:v1", layout.display()),
            bundle.to_str().unwrap(),
        ],
    );
    let rootfs = bundle.join("rootfs");
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &str| {
        std::fs::symlink_metadata(rootfs.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(std::fs::read(rootfs.join("app/run.sh")).unwrap(), GREETING_SCRIPT);
    assert_eq!(mode("app/run.sh"), 0o755);
    assert_eq!(mode("etc/hello"), 0o640);
    assert_eq!(mode("tmp"), 0o1777);
    assert_eq!(
        std::fs::read_link(rootfs.join("bin/sh")).unwrap(),
        Path::new("busybox")
    );
    assert!(!rootfs.join("etc/gone").exists(), "whiteout not applied");
    assert!(
        !rootfs.join("var/cache/old").exists(),
        "opaque whiteout not applied"
    );
    assert!(rootfs.join("var/cache").is_dir());
    assert_eq!(mode("usr/bin/suid"), 0o4755);
    assert_eq!(mode("data"), 0o2750);
    // Rootless unpacking cannot chown; umoci records each non-root owner in a
    // `user.rootlesscontainers` xattr (a protobuf of uid and gid).
    assert_eq!(rootless_owner(&rootfs.join("etc/hello")), Some((1000, 1000)));
    assert_eq!(rootless_owner(&rootfs.join("data")), Some((1234, 5678)));
    assert_eq!(rootless_owner(&rootfs.join("app/run.sh")), None);
}

/// Reads umoci's `user.rootlesscontainers` xattr: protobuf field 1 = uid, field 2 = gid (varints).
fn rootless_owner(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    let name = c"user.rootlesscontainers";
    let mut buf = [0u8; 64];
    // SAFETY: both strings are NUL-terminated and `buf` is valid for `buf.len()` bytes.
    let n = unsafe { libc::lgetxattr(c_path.as_ptr(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return None;
    }
    let bytes = &buf[..n as usize];
    let (mut uid, mut gid, mut i) = (0u64, 0u64, 0usize);
    while i < bytes.len() {
        let field = bytes[i] >> 3;
        i += 1;
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let b = bytes[i];
            i += 1;
            value |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        match field {
            1 => uid = value,
            2 => gid = value,
            _ => {}
        }
    }
    Some((uid, gid))
}

#[test]
fn reproducible_builds_give_identical_images_and_tarballs() {
    let a = Fixture::new();
    let b = Fixture::new();
    let Some(busybox) = busybox(&a.work) else { return };
    let options = LayerOptions::default().reproducible(0);
    let first = a.build(&busybox, ManifestFormat::Oci, options);
    let second = b.build(&busybox, ManifestFormat::Oci, options);
    assert_eq!(first.manifest_bytes, second.manifest_bytes);
    assert_eq!(first.config_bytes, second.config_bytes);
    let tags = [kaniko::registry::Reference::parse("repro:1").unwrap()];
    write_tarball(
        &a.work.join("a.tar"),
        &[TarballImage {
            image: &first,
            tags: &tags,
        }],
        &a.fetcher(),
    )
    .unwrap();
    write_tarball(
        &b.work.join("b.tar"),
        &[TarballImage {
            image: &second,
            tags: &tags,
        }],
        &b.fetcher(),
    )
    .unwrap();
    assert_eq!(
        std::fs::read(a.work.join("a.tar")).unwrap(),
        std::fs::read(b.work.join("b.tar")).unwrap()
    );
}

#[test]
fn failed_output_leaves_nothing_behind() {
    let fx = Fixture::new();
    let Some(busybox) = busybox(&fx.work) else { return };
    let image = fx.build(&busybox, ManifestFormat::Oci, LayerOptions::default());
    let tar_path = fx.work.join("out/never.tar");
    let err = write_tarball(
        &tar_path,
        &[TarballImage {
            image: &image,
            tags: &[],
        }],
        &NoRemoteBlobs,
    )
    .unwrap_err();
    assert!(matches!(err, OutputError::Fetch(_)), "{err}");
    assert!(!tar_path.exists());
    assert_eq!(
        std::fs::read_dir(fx.work.join("out")).unwrap().count(),
        0,
        "temporary file left behind"
    );

    // A corrupted remote blob is caught by digest verification.
    let remote_blob = fx.remote.join(image.layers[0].descriptor.digest.hex());
    let mut bytes = std::fs::read(&remote_blob).unwrap();
    bytes[20] ^= 0xff;
    std::fs::write(&remote_blob, bytes).unwrap();
    let layout = fx.work.join("layout");
    let err = write_layout(&layout, &image, &LayoutWrite::default(), &fx.fetcher()).unwrap_err();
    assert!(matches!(err, OutputError::BlobMismatch { .. }), "{err}");
    assert!(!layout.join("index.json").exists());

    let dests = [kaniko::registry::Reference::parse("x").unwrap()];
    write_digest_file(&fx.work.join("d"), image.digest()).unwrap();
    write_image_name_tag_with_digest_file(&fx.work.join("t"), &dests, image.digest()).unwrap();
    assert_eq!(
        std::fs::read_to_string(fx.work.join("d")).unwrap(),
        image.digest().to_string()
    );
    assert_eq!(
        std::fs::read_to_string(fx.work.join("t")).unwrap(),
        format!("index.docker.io/library/x:latest@{}\n", image.digest())
    );
}
