// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The multi-platform examples under `examples/` build for linux/amd64 and linux/arm64 on this
//! machine (no emulation), with their base images pointed at the test registry's busybox index.

mod common;

use std::process::Command;

use common::kaniko::{bases, unique_repo, Built};
use common::tools;
use serde_json::Value;

fn build_example(name: &str, base_args: &[&str]) -> (String, Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    let repo = format!("{}/{}", bases().registry.host(), unique_repo(name));
    let kaniko_dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.args(["build", "--context"])
        .arg(&dir)
        .args(["--multi-platform", "linux/amd64,linux/arm64"])
        .args(["--destination", &format!("{repo}:1.0")])
        .args(["--insecure-registry", &bases().registry.host()])
        .arg("--kaniko-dir")
        .arg(kaniko_dir.path())
        .args(["--log-format", "text"])
        .env_remove("KANIKO_DIR");
    for arg in base_args {
        cmd.args(["--build-arg", &format!("{arg}={}", bases().images.index)]);
    }
    let out = tools::run(&mut cmd);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = tools::skopeo_inspect_raw_json(&format!("{repo}:1.0"));
    (repo, index)
}

fn image_for(repo: &str, index: &Value, arch: &str) -> Built {
    let digest = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == arch)
        .and_then(|m| m["digest"].as_str())
        .unwrap_or_else(|| panic!("no {arch} in {index}"));
    Built::read(&format!("{repo}@{digest}"))
}

#[test]
fn cross_compile_example_builds_both_platforms() {
    let (repo, index) = build_example("cross-compile", &["BUILDER_IMAGE", "RUNTIME_IMAGE"]);
    for arch in ["amd64", "arm64"] {
        let image = image_for(&repo, &index, arch);
        assert_eq!(image.config["architecture"], arch);
        let app = image.text("/usr/local/bin/app");
        assert!(
            app.contains(&format!("hello from linux/{arch} (built on linux/amd64)")),
            "{arch}: {app}"
        );
        let meta = image.meta("/usr/local/bin/app");
        assert!(meta.contains(" 0755 "), "{arch}: {meta}");
    }
    if tools::docker_available() {
        let amd = image_for(&repo, &index, "amd64");
        let out = tools::docker_run_ok(&amd.reference, &[]);
        assert!(out.contains("hello from linux/amd64"), "{out}");
    }
}

#[test]
fn multi_stage_example_builds_both_platforms() {
    let (repo, index) = build_example("multi-stage", &["BASE"]);
    for (arch, platform) in [("amd64", "linux/amd64"), ("arm64", "linux/arm64")] {
        let image = image_for(&repo, &index, arch);
        assert_eq!(
            image.text("/srv/message.txt"),
            format!(
                "Hello from a multi-stage, multi-platform image.\nusing greeting-lib 1.2 for {platform}\n"
            )
        );
        assert_eq!(image.container()["User"], "nobody");
    }
}
