// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `skopeo` wrappers: inspect what a registry (or a layout, or an archive) holds, and copy images.
//!
//! References without a transport prefix are taken as `docker://` references. The plain variants
//! turn TLS verification off, which is what the plain-HTTP [`Registry`](super::super::registry::Registry)
//! needs; the `_with` variants take extra flags such as `registry.skopeo_args("")`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::command::run_ok;

const TRANSPORTS: &[&str] = &[
    "docker://",
    "oci:",
    "oci-archive:",
    "docker-archive:",
    "dir:",
    "docker-daemon:",
    "containers-storage:",
];

/// `HOST/REPO:TAG` → `docker://HOST/REPO:TAG`; references with a transport are kept.
pub fn skopeo_ref(reference: &str) -> String {
    if TRANSPORTS.iter().any(|t| reference.starts_with(t)) {
        reference.to_owned()
    } else {
        format!("docker://{reference}")
    }
}

fn is_docker(reference: &str) -> bool {
    skopeo_ref(reference).starts_with("docker://")
}

fn inspect(reference: &str, mode: Option<&str>, extra: &[String]) -> Vec<u8> {
    let mut cmd = Command::new("skopeo");
    cmd.arg("inspect");
    if let Some(mode) = mode {
        cmd.arg(mode);
    }
    if extra.is_empty() && is_docker(reference) {
        cmd.arg("--tls-verify=false");
    }
    cmd.args(extra).arg(skopeo_ref(reference));
    run_ok(&mut cmd)
}

fn parse(reference: &str, bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "skopeo inspect {reference}: not JSON ({e}): {}",
            String::from_utf8_lossy(bytes)
        )
    })
}

/// The image config (`skopeo inspect --config`), for a single-platform image or the host's
/// platform of an index.
pub fn skopeo_inspect_config(reference: &str) -> Value {
    skopeo_inspect_config_with(reference, &[])
}

pub fn skopeo_inspect_config_with(reference: &str, extra: &[String]) -> Value {
    parse(reference, &inspect(reference, Some("--config"), extra))
}

/// The manifest or index exactly as stored (`skopeo inspect --raw`): hash these bytes for digests.
pub fn skopeo_inspect_raw(reference: &str) -> Vec<u8> {
    skopeo_inspect_raw_with(reference, &[])
}

pub fn skopeo_inspect_raw_with(reference: &str, extra: &[String]) -> Vec<u8> {
    inspect(reference, Some("--raw"), extra)
}

/// [`skopeo_inspect_raw`] parsed as JSON.
pub fn skopeo_inspect_raw_json(reference: &str) -> Value {
    parse(reference, &skopeo_inspect_raw(reference))
}

/// skopeo's summary (`Digest`, `Architecture`, `Os`, `Layers`, `Env`, ...).
pub fn skopeo_inspect(reference: &str) -> Value {
    parse(reference, &inspect(reference, None, &[]))
}

/// `skopeo copy [extra] SRC DST`; TLS verification is turned off on docker:// sides unless
/// `extra` says otherwise.
pub fn skopeo_copy(src: &str, dst: &str, extra: &[String]) {
    let mut cmd = Command::new("skopeo");
    cmd.args(["copy", "--quiet"]);
    let mentions = |flag: &str| extra.iter().any(|a| a.starts_with(flag));
    if is_docker(src) && !mentions("--src-") {
        cmd.arg("--src-tls-verify=false");
    }
    if is_docker(dst) && !mentions("--dest-") {
        cmd.arg("--dest-tls-verify=false");
    }
    cmd.args(extra).arg(skopeo_ref(src)).arg(skopeo_ref(dst));
    run_ok(&mut cmd);
}

/// Copies one image (for an index: the host platform's) into the OCI layout `layout_dir` as `tag`,
/// ready for [`umoci_unpack`](super::umoci_unpack).
pub fn skopeo_copy_to_oci(src: &str, layout_dir: &Path, tag: &str) {
    skopeo_copy(src, &format!("oci:{}:{tag}", layout_dir.display()), &[]);
}

/// Like [`skopeo_copy_to_oci`] but keeps a whole index (`--all`).
pub fn skopeo_copy_all_to_oci(src: &str, layout_dir: &Path, tag: &str) {
    skopeo_copy(
        src,
        &format!("oci:{}:{tag}", layout_dir.display()),
        &["--all".to_owned()],
    );
}

/// Writes `src` as a `docker load`-able tarball tagged `name`.
pub fn skopeo_copy_to_docker_archive(src: &str, tarball: &Path, name: &str) {
    skopeo_copy(src, &format!("docker-archive:{}:{name}", tarball.display()), &[]);
}

/// Whether `reference` (`host/repo:tag`) resolves in its (plain-HTTP) registry.
pub fn skopeo_exists(reference: &str) -> bool {
    std::process::Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{reference}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
