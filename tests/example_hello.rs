// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The README's main job, as a test: examples/hello builds into an OCI layout and a docker tarball
//! with no registry, umoci unpacks the layout, and (where docker runs) the tarball loads and the
//! static program prints its greeting.

mod common;

use std::path::Path;
use std::process::Command;

use common::tools::{docker_available, docker_load, docker_rmi, docker_run_ok, umoci_unpack, RootfsSnapshot};

#[test]
fn hello_example_builds_offline_and_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    // The example's payload is compiled here, as hack/example.sh does, so the repository holds no binaries.
    let context = work.path().join("hello");
    std::fs::create_dir(&context).unwrap();
    for f in ["Dockerfile", "README.txt", ".dockerignore", "hello.c"] {
        std::fs::copy(root.join("examples/hello").join(f), context.join(f)).unwrap();
    }
    // The Dockerfile copies hello-$TARGETARCH.
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let cc = Command::new("gcc")
        .args(["-static", "-Os", "-o"])
        .arg(context.join(format!("hello-{arch}")))
        .arg(context.join("hello.c"))
        .status()
        .expect("gcc is needed for the example (hack/setup.sh installs it)");
    assert!(cc.success());
    let layout = work.path().join("oci");
    let tarball = work.path().join("hello.tar");
    let digest_file = work.path().join("digest");
    let tag = format!("kaniko-example-test/hello:{}", std::process::id());
    let out = Command::new(env!("CARGO_BIN_EXE_kaniko"))
        .args(["build", "--no-push", "--context"])
        .arg(&context)
        .args(["--destination", &tag, "--kaniko-dir"])
        .arg(work.path().join("kaniko"))
        .arg("--oci-layout-path")
        .arg(&layout)
        .arg("--tar-path")
        .arg(&tarball)
        .arg("--digest-file")
        .arg(&digest_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let digest = std::fs::read_to_string(&digest_file).unwrap();
    assert!(digest.starts_with("sha256:") && digest.len() == 71, "{digest}");

    let rootfs = umoci_unpack(
        &layout,
        tag.rsplit(':').next().unwrap(),
        &work.path().join("unpacked"),
    );
    let snap = RootfsSnapshot::capture(&rootfs);
    let hello = snap.get("/hello").expect("/hello in the image");
    assert_eq!(hello.mode & 0o7777, 0o755, "COPY --chmod=0755");
    assert!(snap.get("/usr/share/doc/hello/README.txt").is_some());
    assert!(snap.get("/hello.c").is_none(), ".dockerignore keeps sources out");

    if !docker_available() {
        return;
    }
    docker_load(&tarball);
    let printed = docker_run_ok(&tag, &[]);
    docker_rmi(&[&tag]);
    assert!(printed.contains("hello from kaniko-rs on x86_64"), "{printed}");
}
