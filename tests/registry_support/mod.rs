// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A minimal starter for the real Debian `docker-registry` (distribution 2.8) on a loopback port, with
//! optional TLS and htpasswd auth, plus small image builders. Used by the tests/registry_*.rs suites until
//! the shared fixtures in tests/common/ replace it.

#![allow(dead_code)]

pub mod proxy;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kaniko::image::Digest;
use kaniko::registry::{RegistryOptions, RetryTiming};

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// Options for [`Registry::start`].
#[derive(Default)]
pub struct RegistryConfig {
    /// Serve HTTPS with a self-signed certificate for 127.0.0.1 (made with the openssl CLI).
    pub tls: bool,
    /// htpasswd users (bcrypt hashed with `htpasswd -Bbn`).
    pub users: Vec<(String, String)>,
}

/// A running registry, killed on drop.
pub struct Registry {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    /// The self-signed certificate, when TLS is on.
    pub cert: Option<PathBuf>,
    child: Child,
}

impl Registry {
    pub fn start(config: RegistryConfig) -> Registry {
        assert!(
            Path::new(REGISTRY_BIN).exists(),
            "{REGISTRY_BIN} missing: run hack/setup.sh"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut yaml = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    \
             rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        let mut cert = None;
        if config.tls {
            let (c, k) = self_signed_cert(dir.path());
            yaml.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                c.display(),
                k.display()
            ));
            cert = Some(c);
        }
        if !config.users.is_empty() {
            let mut htpasswd = String::new();
            for (u, p) in &config.users {
                let out = Command::new("htpasswd")
                    .args(["-Bbn", u, p])
                    .output()
                    .expect("htpasswd (apache2-utils)");
                assert!(out.status.success(), "htpasswd failed");
                htpasswd.push_str(String::from_utf8(out.stdout).unwrap().trim());
                htpasswd.push('\n');
            }
            let path = dir.path().join("htpasswd");
            std::fs::write(&path, htpasswd).unwrap();
            yaml.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: kaniko-test\n    path: {}\n",
                path.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, yaml).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start docker-registry");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "registry did not listen on {addr}: {}",
                Self::log_of(dir.path())
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry {
            addr,
            dir,
            cert,
            child,
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    fn log_of(dir: &Path) -> String {
        std::fs::read_to_string(dir.join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A self-signed certificate for 127.0.0.1 and localhost.
pub fn self_signed_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl req failed");
    (cert, key)
}

/// Registry options with quick retries so tests that exercise them stay fast.
pub fn fast_options() -> RegistryOptions {
    RegistryOptions {
        retry_timing: RetryTiming {
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        },
        ..Default::default()
    }
}

/// A tiny image: its config bytes, one layer file on disk, and the manifest bytes referencing them.
pub struct TestImage {
    pub config: Vec<u8>,
    pub config_digest: Digest,
    pub layer_path: PathBuf,
    pub layer_digest: Digest,
    pub layer_size: u64,
    pub manifest: Vec<u8>,
}

/// Builds an OCI image for `os/arch` with a layer of `layer_len` pseudo-random bytes (seeded, so the
/// same seed gives the same blobs).
pub fn test_image(dir: &Path, os: &str, arch: &str, seed: u64, layer_len: usize) -> TestImage {
    let mut rng = fastrand::Rng::with_seed(seed);
    let layer: Vec<u8> = (0..layer_len).map(|_| rng.u8(..)).collect();
    let layer_path = dir.join(format!("layer-{seed}.bin"));
    std::fs::write(&layer_path, &layer).unwrap();
    let layer_digest = Digest::of(&layer);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": arch,
        "os": os,
        "rootfs": {"type": "layers", "diff_ids": [layer_digest.to_string()]},
        "config": {}
    }))
    .unwrap();
    let config_digest = Digest::of(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest.to_string(), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest.to_string(), "size": layer.len()}]
    }))
    .unwrap();
    TestImage {
        config,
        config_digest,
        layer_path,
        layer_digest,
        layer_size: layer.len() as u64,
        manifest,
    }
}
