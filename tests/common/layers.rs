// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Images compared layer by layer, for features the legacy `docker build` lacks (RUN --mount,
//! RUN --network): each layer as a sorted listing of what it holds (path, mode, owner, type, and a
//! small file's text or a large one's hash; no times), from our pushed image and, where the engine
//! has BuildKit (`docker buildx version` works), from BuildKit's build of the same context. Where
//! it has not, the tests compare with listings written out from BuildKit's documented behaviour.

use std::io::Read as _;
use std::process::Command;

use sha2::{Digest as _, Sha256};

use super::kaniko::{bases, Built, Context};
use super::tools;

/// One layer: `path mode uid:gid kind[ = "text" | sha256=… | -> target]` per entry, sorted.
pub type Listing = Vec<String>;

/// The listing of one layer tar (gzip, zstd or plain). The root directory itself is left out:
/// builders differ in whether they record it, and no image content depends on it.
pub fn listing(blob: &[u8]) -> Listing {
    let plain = if blob.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(blob)
            .read_to_end(&mut out)
            .expect("gunzip layer");
        out
    } else if blob.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        zstd::decode_all(blob).expect("unzstd layer")
    } else {
        blob.to_vec()
    };
    let mut archive = tar::Archive::new(plain.as_slice());
    let mut lines: Listing = Vec::new();
    for entry in archive.entries().expect("layer tar") {
        let mut entry = entry.expect("layer entry");
        let path = entry.path().expect("entry path").to_string_lossy().into_owned();
        let path = path.trim_start_matches("./").trim_matches('/').to_owned();
        if path.is_empty() || path == "." {
            continue;
        }
        let header = entry.header().clone();
        let mode = header.mode().expect("mode") & 0o7777;
        let owner = format!("{}:{}", header.uid().expect("uid"), header.gid().expect("gid"));
        let what = match header.entry_type() {
            tar::EntryType::Directory => "dir".to_owned(),
            tar::EntryType::Symlink => format!(
                "symlink -> {}",
                entry.link_name().ok().flatten().unwrap_or_default().display()
            ),
            tar::EntryType::Link => format!(
                "hardlink -> {}",
                entry.link_name().ok().flatten().unwrap_or_default().display()
            ),
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut data = Vec::new();
                entry.read_to_end(&mut data).expect("layer file");
                match std::str::from_utf8(&data) {
                    Ok(text) if data.len() <= 200 => format!("file = {text:?}"),
                    _ => format!("file sha256={}", &hex::encode(Sha256::digest(&data))[..16]),
                }
            }
            other => format!("{other:?}"),
        };
        lines.push(format!("{path} {mode:04o} {owner} {what}"));
    }
    lines.sort();
    lines
}

/// The blob of layer `index` of a pushed image, fetched from the registry.
pub fn pushed_blob(built: &Built, index: usize) -> Vec<u8> {
    let digest = built.manifest["layers"][index]["digest"]
        .as_str()
        .expect("layer digest");
    let repo = built
        .reference
        .split_once('/')
        .and_then(|(_, rest)| rest.rsplit_once(':'))
        .expect("HOST/REPO:TAG")
        .0;
    let (status, blob) = bases()
        .registry
        .get(&format!("/v2/{repo}/blobs/{digest}"))
        .expect("GET layer blob");
    assert_eq!(status, 200, "GET {digest}");
    blob
}

/// The listings of every layer of a pushed image, base layers included.
pub fn pushed(built: &Built) -> Vec<Listing> {
    let count = built.manifest["layers"].as_array().map_or(0, Vec::len);
    (0..count).map(|i| listing(&pushed_blob(built, i))).collect()
}

/// `Ok` when `docker buildx version` works, else why not.
pub fn buildkit_available() -> Result<(), String> {
    match Command::new("docker").args(["buildx", "version"]).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "docker buildx version failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!("cannot run docker: {e}")),
    }
}

/// BuildKit's build of `ctx` (its Dockerfile, bases from the shared registry) with `build_args`,
/// as the listings of every layer; the image is removed from the daemon afterwards. Panics with
/// BuildKit's output when the build fails.
pub fn buildkit_layers(ctx: &Context, build_args: &[(&str, &str)]) -> Vec<Listing> {
    let tag = format!("kaniko-parity/buildkit:{:08x}", fastrand::u32(..));
    let mut cmd = Command::new("docker");
    cmd.args(["buildx", "build", "--load", "--tag", &tag, "--file"])
        .arg(ctx.dockerfile_path());
    for (k, v) in build_args {
        cmd.arg("--build-arg").arg(format!("{k}={v}"));
    }
    cmd.arg(ctx.dir());
    let out = tools::run(&mut cmd);
    assert!(
        out.status.success(),
        "docker buildx build failed:\n{}",
        tools::output_text(&out)
    );
    let work = tempfile::tempdir().expect("tempdir");
    let tarball = work.path().join("image.tar");
    let saved = tools::run(
        tools::docker_cmd()
            .args(["save", "--output"])
            .arg(&tarball)
            .arg(&tag),
    );
    tools::docker_rmi(&[&tag]);
    assert!(saved.status.success(), "{}", tools::output_text(&saved));
    saved_layers(&fs_err::read(&tarball).expect("read docker save tarball"))
}

/// The layers of a `docker save` tarball, in order, as listings.
fn saved_layers(tarball: &[u8]) -> Vec<Listing> {
    let mut files = std::collections::HashMap::new();
    let mut archive = tar::Archive::new(tarball);
    for entry in archive.entries().expect("docker save tar") {
        let mut entry = entry.expect("docker save entry");
        let path = entry.path().expect("path").to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("docker save file");
        files.insert(path, data);
    }
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).expect("manifest.json");
    manifest[0]["Layers"]
        .as_array()
        .expect("Layers")
        .iter()
        .map(|l| listing(&files[l.as_str().expect("layer path")]))
        .collect()
}
