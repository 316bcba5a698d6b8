// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Fixtures for the CI integration tests (`tests/github_action.rs`, `tests/gitlab_templates.rs`):
//! a registry that wants TLS and credentials, as a CI registry does (so a template or script that
//! forgets the credentials fails), with the busybox base images in it; the build context those tests
//! build; the CI definitions read as YAML, the way GitHub and GitLab read them; and the checks of what
//! the pipeline published, made with skopeo.
//!
//! The registry's CA certificate is copied next to the context, readable by everyone, and handed to
//! the binary as `SSL_CERT_FILE` (which rustls-native-certs honours), because the scripts run kaniko
//! without extra flags and, in the GitHub test, as an unprivileged user.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use super::images::{push_base_images, sha256_digest, BaseImages, MEDIA_OCI_INDEX};
use super::registry::Registry;
use super::tools;

pub const MEDIA_DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const MEDIA_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

pub const USER: &str = "ci-user";
pub const PASSWORD: &str = "ci-password";

/// A TLS + basic-auth registry holding the base images, with its CA where anyone can read it.
pub struct CiRegistry {
    pub registry: Registry,
    pub base: BaseImages,
    /// World-readable copy of the CA certificate (for `SSL_CERT_FILE`).
    pub ca_cert: PathBuf,
    _dir: TempDir,
}

impl CiRegistry {
    pub fn start() -> CiRegistry {
        let registry = Registry::start_tls_basic_auth(USER, PASSWORD);
        let base = push_base_images(&registry);
        let dir = world_readable_tempdir("kaniko-ci-ca-");
        let ca_cert = dir.path().join("ca.crt");
        fs_err::copy(registry.ca_cert_path(), &ca_cert).expect("copy the registry's CA");
        fs_err::set_permissions(&ca_cert, std::fs::Permissions::from_mode(0o644)).expect("chmod ca.crt");
        CiRegistry {
            registry,
            base,
            ca_cert,
            _dir: dir,
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.registry.host()
    }

    /// A fresh repository name in this registry, `HOST/PREFIX-RANDOM`.
    pub fn unique_repo(&self, prefix: &str) -> String {
        format!("{}/{prefix}-{:08x}", self.host(), fastrand::u32(..))
    }

    /// A `DOCKER_CONFIG` directory holding this registry's credentials, for a command run outside
    /// the CI scripts (a verifier).
    pub fn docker_config(&self) -> TempDir {
        use base64::Engine as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
        fs_err::write(
            dir.path().join("config.json"),
            format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, self.host()),
        )
        .expect("write docker config");
        dir
    }

    /// The manifest or index bytes stored under `reference` (`HOST/REPO:TAG` or `HOST/REPO@DIGEST`).
    pub fn raw(&self, reference: &str) -> Vec<u8> {
        tools::skopeo_inspect_raw_with(reference, &self.registry.skopeo_args(""))
    }

    /// The image config of a single-platform `reference`, as stored.
    pub fn config(&self, reference: &str) -> Value {
        let mut cmd = Command::new("skopeo");
        cmd.args(["inspect", "--config", "--raw"])
            .args(self.registry.skopeo_args(""))
            .arg(format!("docker://{reference}"));
        serde_json::from_slice(&tools::run_ok(&mut cmd)).expect("config JSON")
    }

    /// Whether `reference` resolves at all (a tag that was never pushed does not).
    pub fn exists(&self, reference: &str) -> bool {
        let mut cmd = Command::new("skopeo");
        cmd.args(["inspect", "--raw"])
            .args(self.registry.skopeo_args(""))
            .arg(format!("docker://{reference}"));
        tools::run(&mut cmd).status.success()
    }

    /// The write requests (`PUT`, `POST`, `PATCH`, `DELETE` on `/v2/`) the registry has served so far,
    /// one access-log line each: a job that must push nothing must add none.
    pub fn write_requests(&self) -> Vec<String> {
        self.registry
            .logs()
            .lines()
            .filter(|l| {
                ["PUT", "POST", "PATCH", "DELETE"]
                    .iter()
                    .any(|m| l.contains(&format!("\"{m} /v2/")))
            })
            .map(str::to_owned)
            .collect()
    }

    /// The repositories the registry holds (its catalog), `REPO` without the host.
    pub fn repositories(&self) -> Vec<String> {
        let (status, body) = self
            .registry
            .get("/v2/_catalog?n=1000")
            .expect("GET /v2/_catalog");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let catalog: Value = serde_json::from_slice(&body).expect("catalog JSON");
        catalog["repositories"]
            .as_array()
            .expect("repositories")
            .iter()
            .map(|r| r.as_str().expect("a repository name").to_owned())
            .collect()
    }

    /// Panics unless `reference` is an OCI image index of exactly `expected` (architecture, manifest
    /// digest) pairs, each an existing manifest of that architecture; returns the index's digest
    /// (of the bytes as stored) and the index.
    pub fn assert_index(&self, reference: &str, expected: &[(&str, &str)]) -> (String, Value) {
        self.assert_index_of(MEDIA_OCI_INDEX, reference, expected)
    }

    /// [`CiRegistry::assert_index`] for an index of the media type `media_type`.
    pub fn assert_index_of(
        &self,
        media_type: &str,
        reference: &str,
        expected: &[(&str, &str)],
    ) -> (String, Value) {
        let bytes = self.raw(reference);
        let index: Value = serde_json::from_slice(&bytes).expect("index JSON");
        assert_eq!(index["mediaType"], media_type, "{reference}: {index:#}");
        let manifests = index["manifests"].as_array().expect("manifests array");
        let mut found: Vec<(String, String)> = manifests
            .iter()
            .map(|m| {
                let arch = m["platform"]["architecture"].as_str().unwrap_or("?").to_owned();
                assert_eq!(m["platform"]["os"], "linux", "{m:#}");
                (arch, m["digest"].as_str().unwrap_or("?").to_owned())
            })
            .collect();
        found.sort();
        let mut wanted: Vec<(String, String)> = expected
            .iter()
            .map(|(a, d)| ((*a).to_owned(), (*d).to_owned()))
            .collect();
        wanted.sort();
        assert_eq!(found, wanted, "{reference}: {index:#}");
        let repo = reference
            .rsplit_once(':')
            .map(|(r, _)| r)
            .expect("reference with a tag");
        for (arch, digest) in &wanted {
            let config = self.config(&format!("{repo}@{digest}"));
            assert_eq!(config["architecture"], arch.as_str(), "{repo}@{digest}");
        }
        (sha256_digest(&bytes), index)
    }
}

/// A temporary directory other users can enter (tempfile makes them 0700).
pub fn world_readable_tempdir(prefix: &str) -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("tempdir");
    fs_err::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod tempdir");
    dir
}

/// The context the CI tests build, in `dir`: no RUN, so no platform needs emulation; a build
/// argument and a label, so the tests can see inputs reach the build.
pub fn write_context(dir: &Path, base_index: &str) {
    fs_err::create_dir_all(dir).expect("create context dir");
    fs_err::write(
        dir.join("Dockerfile"),
        format!("FROM {base_index}\nARG VERSION=dev\nCOPY hello.txt /hello.txt\nLABEL version=$VERSION\n"),
    )
    .expect("write Dockerfile");
    fs_err::write(dir.join("hello.txt"), "hello from CI\n").expect("write hello.txt");
    for f in ["Dockerfile", "hello.txt"] {
        fs_err::set_permissions(dir.join(f), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
}

/// A CI definition read as its CI system reads it: YAML, into JSON values (map order kept).
pub fn load_yaml(path: &Path) -> Value {
    let text = fs_err::read_to_string(path).expect("read YAML file");
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", path.display()))
}

/// A file of the repository.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The version in `.release-version`.
pub fn release_version() -> String {
    fs_err::read_to_string(repo_path(".release-version"))
        .expect("read .release-version")
        .trim()
        .to_owned()
}

/// A metadata file as `kaniko build --metadata-file` writes it.
pub fn read_json(path: &Path) -> Value {
    let text = fs_err::read_to_string(path).expect("read JSON file");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON ({e}): {text}", path.display()))
}

/// A stand-in for kaniko for the CI scripts' secret handling, until the scripts can be checked
/// against what the real binary does with `--secret`: a POSIX shell script (it runs under busybox
/// alone too) that records, per call, its arguments and, for each `--secret`, what the build would
/// get: the `src` file's content, mode and path as they are while it runs, or the `env` variable's
/// value. It writes the `--digest-file` and `--metadata-file` a build is asked for, and while the
/// file `hold` exists in its directory it waits (marking the call `running`), so that a test can
/// cancel the step around it.
pub struct FakeKaniko {
    /// The executable.
    pub path: PathBuf,
    dir: PathBuf,
}

/// What one call of the [`FakeKaniko`] saw.
pub struct FakeCall {
    dir: PathBuf,
}

pub const FAKE_DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

impl FakeKaniko {
    /// The stand-in, in `dir`; everyone may run it and record into `dir` (the CI scripts run as
    /// another user).
    pub fn new(dir: &Path) -> FakeKaniko {
        fs_err::create_dir_all(dir).expect("create fake kaniko dir");
        fs_err::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).expect("chmod fake kaniko dir");
        let path = dir.join("kaniko");
        let script = format!(
            r#"#!/bin/sh
set -e
rec='{dir}'
n=1
while [ -e "$rec/call-$n" ]; do n=$((n + 1)); done
call=$rec/call-$n
mkdir "$call"
for a in "$@"; do printf '%s\n' "$a"; done >"$call/argv"
[ -z "${{INPUT_SECRETS+set}}" ] || : >"$call/input-secrets-in-env"
prev=
for a in "$@"; do
  spec=
  [ "$prev" != --secret ] || spec=$a
  case "$a" in --secret=*) spec=${{a#--secret=}} ;; esac
  prev=$a
  [ -n "$spec" ] || continue
  id= src= var=
  set -f
  old_ifs=$IFS
  IFS=,
  for kv in $spec; do
    case "$kv" in
      id=*) id=${{kv#id=}} ;;
      src=* | source=*) src=${{kv#*=}} ;;
      env=*) var=${{kv#env=}} ;;
    esac
  done
  IFS=$old_ifs
  set +f
  if [ -n "$src" ]; then
    cat "$src" >"$call/secret-$id"
    stat -c %a "$src" >"$call/secret-$id.mode"
    printf '%s' "$src" >"$call/secret-$id.src"
  else
    eval "printf '%s' \"\${{$var}}\"" >"$call/secret-$id"
  fi
done
prev=
for a in "$@"; do
  case "$prev" in
    --digest-file) printf '%s\n' '{digest}' >"$a" ;;
    --metadata-file) printf '{{"digest": "%s"}}\n' '{digest}' >"$a" ;;
  esac
  prev=$a
done
if [ -e "$rec/hold" ]; then
  : >"$call/running"
  while [ -e "$rec/hold" ]; do sleep 0.1; done
fi
"#,
            dir = dir.display(),
            digest = FAKE_DIGEST,
        );
        fs_err::write(&path, script).expect("write fake kaniko");
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod fake kaniko");
        FakeKaniko {
            path,
            dir: dir.to_owned(),
        }
    }

    /// The calls so far, in order.
    pub fn calls(&self) -> Vec<FakeCall> {
        (1..)
            .map(|n| self.dir.join(format!("call-{n}")))
            .take_while(|d| d.is_dir())
            .map(|dir| FakeCall { dir })
            .collect()
    }

    /// Makes the next calls wait until [`FakeKaniko::release`].
    pub fn hold(&self) {
        fs_err::write(self.dir.join("hold"), "").expect("create hold file");
    }

    pub fn release(&self) {
        let _ = std::fs::remove_file(self.dir.join("hold"));
    }
}

impl FakeCall {
    /// The arguments, one per line as given.
    pub fn argv(&self) -> String {
        fs_err::read_to_string(self.dir.join("argv")).expect("read argv")
    }

    /// What the build got as the secret `id`: the file's content or the variable's value.
    pub fn secret(&self, id: &str) -> String {
        fs_err::read_to_string(self.dir.join(format!("secret-{id}")))
            .unwrap_or_else(|e| panic!("no secret {id} reached kaniko ({e}); arguments:\n{}", self.argv()))
    }

    /// The mode (octal, as `stat -c %a` prints it) and path of the file given as secret `id`.
    pub fn secret_file(&self, id: &str) -> (String, PathBuf) {
        let read = |suffix: &str| {
            fs_err::read_to_string(self.dir.join(format!("secret-{id}.{suffix}")))
                .unwrap_or_else(|e| panic!("secret {id} was not a file ({e}); arguments:\n{}", self.argv()))
        };
        (read("mode").trim().to_owned(), PathBuf::from(read("src")))
    }

    /// Whether the `secrets` input itself was in kaniko's environment.
    pub fn saw_secrets_input(&self) -> bool {
        self.dir.join("input-secrets-in-env").exists()
    }

    /// Whether the call is waiting for [`FakeKaniko::release`].
    pub fn running(&self) -> bool {
        self.dir.join("running").exists()
    }
}

/// `kaniko generate-key-pair` into `dir` with `password`: the paths of cosign.key and cosign.pub.
pub fn cosign_keys(dir: &Path, password: &str) -> (PathBuf, PathBuf) {
    let out = tools::run(
        Command::new(env!("CARGO_BIN_EXE_kaniko"))
            .args(["generate-key-pair", "--output-key-prefix"])
            .arg(dir.join("cosign"))
            .env("COSIGN_PASSWORD", password),
    );
    assert!(out.status.success(), "{}", tools::output_text(&out));
    (dir.join("cosign.key"), dir.join("cosign.pub"))
}
