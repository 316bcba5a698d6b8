// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Proves the shared fixtures in `tests/common` work: the registries start and enforce what they
//! claim, the base images land in them with the right platforms and digests, the rootfs tools see
//! the filesystem the images were built with, and docker can run and build on them.

mod common;

use std::process::Command;

use common::images::{self, push_base_images, sha256_digest};
use common::registry::Registry;
use common::tools::{self, DockerBuild, EntryKind, RootfsSnapshot};

#[test]
fn plain_registry_answers_v2() {
    let registry = Registry::start();
    let (status, body) = registry.get("/v2/").expect("GET /v2/");
    assert_eq!(status, 200, "body: {}", String::from_utf8_lossy(&body));
    assert!(registry.host().starts_with("127.0.0.1:"));
    assert_eq!(registry.url(), format!("http://{}", registry.host()));
    let (status, body) = registry.get("/v2/_catalog").expect("GET /v2/_catalog");
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8_lossy(&body).trim(), r#"{"repositories":[]}"#);
    assert!(
        registry.logs().contains("listening on"),
        "logs: {}",
        registry.logs()
    );
}

#[test]
fn parallel_registries_get_distinct_ports_and_dirs() {
    let a = Registry::start();
    let b = Registry::start();
    assert_ne!(a.host(), b.host());
    assert_ne!(a.dir(), b.dir());
}

#[test]
fn dropping_a_registry_stops_it() {
    let registry = Registry::start();
    let port = registry.port();
    drop(registry);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port {port} still answers"
    );
}

#[test]
fn tls_registry_requires_the_right_password() {
    let registry = Registry::start_tls_basic_auth("kaniko", "s3cret");
    assert!(registry.url().starts_with("https://"));
    assert!(registry.ca_cert_path().exists());
    assert_eq!(registry.get("/v2/").expect("GET with creds").0, 200);
    assert_eq!(
        registry.get_with_auth("/v2/", None).expect("GET anonymous").0,
        401
    );
    assert_eq!(
        registry
            .get_with_auth("/v2/", Some(("kaniko", "wrong")))
            .expect("GET wrong")
            .0,
        401
    );
}

#[test]
fn tls_registry_via_skopeo_rejects_a_wrong_password_and_accepts_the_right_one() {
    let registry = Registry::start_tls_basic_auth("kaniko", "s3cret");
    let images = push_base_images(&registry);
    let cert_dir = format!("--cert-dir={}", registry.cert_dir().display());

    let wrong = tools::run(
        Command::new("skopeo")
            .args(["inspect", "--raw", &cert_dir, "--creds=kaniko:wrong"])
            .arg(format!("docker://{}", images.amd64)),
    );
    assert!(!wrong.status.success(), "a wrong password was accepted");
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("401") || stderr.contains("unauthorized"),
        "stderr: {stderr}"
    );

    let no_ca = tools::run(
        Command::new("skopeo")
            .args(["inspect", "--raw", "--creds=kaniko:s3cret"])
            .arg(format!("docker://{}", images.amd64)),
    );
    assert!(
        !no_ca.status.success(),
        "the certificate was trusted without the CA"
    );

    let raw = tools::skopeo_inspect_raw_with(&images.amd64, &registry.skopeo_args(""));
    assert_eq!(sha256_digest(&raw), images.layout.amd64.manifest_digest);
}

#[test]
fn base_images_are_pushed_with_their_platforms() {
    let registry = Registry::start();
    let started = std::time::Instant::now();
    let images = push_base_images(&registry);
    assert!(
        started.elapsed().as_secs() < 10,
        "building and pushing took {:?}",
        started.elapsed()
    );
    let layout = &images.layout;

    let amd64 = tools::skopeo_inspect_config(&images.amd64);
    assert_eq!(
        (amd64["os"].as_str(), amd64["architecture"].as_str()),
        (Some("linux"), Some("amd64"))
    );
    assert!(amd64.get("variant").is_none());
    assert_eq!(amd64["config"]["Cmd"], serde_json::json!(["sh"]));
    assert_eq!(amd64["config"]["Env"], serde_json::json!([images::PATH_ENV]));
    assert_eq!(amd64["history"].as_array().map(Vec::len), Some(2));

    let arm64 = tools::skopeo_inspect_config(&images.arm64);
    assert_eq!(
        (
            arm64["os"].as_str(),
            arm64["architecture"].as_str(),
            arm64["variant"].as_str()
        ),
        (Some("linux"), Some("arm64"), Some("v8"))
    );
    assert_ne!(
        layout.amd64.diff_id, layout.arm64.diff_id,
        "both platforms got the same busybox"
    );

    let index_raw = tools::skopeo_inspect_raw(&images.index);
    assert_eq!(sha256_digest(&index_raw), layout.index_digest);
    let index: serde_json::Value = serde_json::from_slice(&index_raw).unwrap();
    assert_eq!(index["mediaType"], images::MEDIA_OCI_INDEX);
    let platforms: Vec<_> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["platform"]["architecture"].clone(), m["digest"].clone()))
        .collect();
    assert_eq!(
        platforms,
        vec![
            ("amd64".into(), layout.amd64.manifest_digest.clone().into()),
            ("arm64".into(), layout.arm64.manifest_digest.clone().into())
        ]
    );
    for (reference, image) in [(&images.amd64, &layout.amd64), (&images.arm64, &layout.arm64)] {
        assert_eq!(
            sha256_digest(&tools::skopeo_inspect_raw(reference)),
            image.manifest_digest
        );
    }

    let docker_v2 = tools::skopeo_inspect_raw_json(&images.docker_v2);
    assert_eq!(
        docker_v2["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(
        docker_v2["layers"][0]["digest"],
        layout.amd64.layer_digest.as_str()
    );
    let docker_v2_config = tools::skopeo_inspect_config(&images.docker_v2);
    assert_eq!(docker_v2_config["architecture"], "amd64");
}

#[test]
fn unpacked_base_image_has_the_documented_filesystem() {
    let registry = Registry::start();
    let images = push_base_images(&registry);
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    tools::skopeo_copy_to_oci(&images.amd64, &layout, "base");
    let rootfs = tools::umoci_unpack(&layout, "base", &work.path().join("bundle"));
    let snapshot = RootfsSnapshot::capture(&rootfs);

    let busybox = snapshot.entry("/bin/busybox");
    assert_eq!((busybox.kind, busybox.mode), (EntryKind::File, 0o755));
    assert!(busybox.size > 500_000, "busybox is {} bytes", busybox.size);
    for applet in images::APPLETS {
        let link = snapshot.entry(&format!("/bin/{applet}"));
        assert_eq!(link.kind, EntryKind::Symlink, "/bin/{applet}");
    }
    assert_eq!(snapshot.entry("/bin/sh").link.as_deref(), Some("busybox"));
    assert_eq!(snapshot.entry("/bin/ln").link.as_deref(), Some("/bin/busybox"));
    assert_eq!(snapshot.entry("/usr/bin/env").link.as_deref(), Some("/bin/env"));
    assert_eq!(snapshot.entry("/var/run").link.as_deref(), Some("/run"));
    assert_eq!(snapshot.entry("/tmp").mode, 0o1777);
    assert_eq!(snapshot.entry("/root").mode, 0o700);
    let home = snapshot.entry("/home/app");
    assert_eq!((home.kind, home.uid, home.gid), (EntryKind::Dir, 1000, 1000));
    let suid = snapshot.entry("/usr/local/bin/suid-check");
    assert_eq!((suid.mode, suid.uid, suid.gid), (0o4755, 0, 0));
    assert_eq!(
        std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap(),
        images::PASSWD
    );
    assert!(std::fs::read_to_string(rootfs.join("etc/group"))
        .unwrap()
        .contains("staff:x:50:app\n"));

    // The diff names what changed, and is empty for identical trees.
    assert!(snapshot.diff(&snapshot.clone()).is_empty());
    let changed = snapshot.clone().without(&["/etc"]);
    let diff = snapshot.diff(&changed);
    assert!(
        diff.contains(&format!("- /etc/passwd: {}", snapshot.entry("/etc/passwd"))),
        "{diff:?}"
    );
    assert!(diff.iter().all(|l| l.starts_with("- /etc")), "{diff:?}");
}

#[test]
fn snapshot_records_xattrs_and_hard_links() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("a"), "same\n").unwrap();
    std::fs::hard_link(root.join("a"), root.join("b")).unwrap();
    std::fs::write(root.join("c"), "same\n").unwrap();
    let path = std::ffi::CString::new(root.join("c").as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: valid C strings and a 2-byte value buffer.
    let rc = unsafe {
        libc::setxattr(
            path.as_ptr(),
            c"user.parity".as_ptr(),
            b"hi".as_ptr().cast(),
            2,
            0,
        )
    };
    assert_eq!(rc, 0, "setxattr: {}", std::io::Error::last_os_error());

    let snapshot = RootfsSnapshot::capture(root);
    assert_eq!(snapshot.entry("/a").hardlink_of, None);
    assert_eq!(snapshot.entry("/b").hardlink_of.as_deref(), Some("/a"));
    assert_eq!(snapshot.entry("/c").hardlink_of, None);
    assert_eq!(
        snapshot.entry("/c").xattrs.get("user.parity").map(String::as_str),
        Some("6869")
    );
    assert!(snapshot
        .entry("/c")
        .to_string()
        .contains("xattr:user.parity=6869"));
    // Same content and metadata, but a hard link where there was none: the diff says so.
    let mut separate = snapshot.clone();
    separate.entries.get_mut("/b").unwrap().hardlink_of = None;
    assert_eq!(
        snapshot.diff(&separate).len(),
        1,
        "{:?}",
        snapshot.diff(&separate)
    );
}

#[test]
fn docker_runs_and_builds_on_the_amd64_base() {
    if !tools::docker_available() {
        return;
    }
    let registry = Registry::start();
    let images = push_base_images(&registry);
    let tag = format!("kaniko-fixtures-selftest-base:{}", registry.port());
    let built = format!("kaniko-fixtures-selftest-built:{}", registry.port());
    tools::docker_import_base(&images.amd64, &tag, &[]);
    let result = std::panic::catch_unwind(|| {
        assert_eq!(
            tools::docker_run_ok(&tag, &["busybox", "echo", "ok"]).trim(),
            "ok"
        );
        assert_eq!(tools::docker_run_ok(&tag, &["id", "-u", "app"]).trim(), "1000");

        // The daemon's view of the base equals ours, so snapshots can compare builds.
        let work = tempfile::tempdir().unwrap();
        let ours_layout = work.path().join("ours");
        tools::skopeo_copy_to_oci(&images.amd64, &ours_layout, "base");
        let ours = RootfsSnapshot::capture(&tools::umoci_unpack(
            &ours_layout,
            "base",
            &work.path().join("ours-bundle"),
        ));
        let docker_dir = work.path().join("docker");
        std::fs::create_dir(&docker_dir).unwrap();
        let theirs = RootfsSnapshot::capture(&tools::docker_save_rootfs(&tag, &docker_dir));
        ours.assert_same(&theirs, "pushed base", "docker's copy");

        let context = work.path().join("context");
        std::fs::create_dir(&context).unwrap();
        std::fs::write(
            context.join("Dockerfile"),
            format!(
                "FROM {tag}\nARG GREETING=unset\nRUN echo \"$GREETING\" > /greeting && chown app /greeting\n"
            ),
        )
        .unwrap();
        tools::docker_build_ok(&DockerBuild {
            build_args: &[("GREETING", "hello")],
            platform: Some("linux/amd64"),
            ..DockerBuild::new(&context, &built)
        });
        assert_eq!(tools::docker_run_ok(&built, &["cat", "/greeting"]), "hello\n");
        let built_dir = work.path().join("built");
        std::fs::create_dir(&built_dir).unwrap();
        let after = RootfsSnapshot::capture(&tools::docker_save_rootfs(&built, &built_dir));
        let diff = ours.diff(&after);
        assert_eq!(diff.len(), 1, "{diff:#?}");
        assert!(
            diff[0].starts_with("+ /greeting: File 0644 1000:0 size=6"),
            "{diff:#?}"
        );
    });
    tools::docker_rmi(&[&tag, &built]);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn docker_import_base_loads_from_a_tls_registry_through_an_archive() {
    if !tools::docker_available() {
        return;
    }
    let registry = Registry::start_tls_basic_auth("kaniko", "s3cret");
    let images = push_base_images(&registry);
    let tag = format!("kaniko-fixtures-selftest-tls:{}", registry.port());
    tools::docker_import_base(&images.amd64, &tag, &registry.skopeo_args("src-"));
    let out = tools::docker_run(&tag, &["sh", "-c", "echo ok; whoami"]);
    tools::docker_rmi(&[&tag]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\nroot\n");
}
