// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Retry behaviour, with a scripted proxy in front of the real docker-registry: 503 and 429 +
//! Retry-After are retried (and the wait honoured), 401 never is, and an unreachable registry is
//! reported with its host, the URL tried and the retries spent.

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use common::proxy::{response, Proxy, Then};
use common::registry::{free_port, Registry};
use common::registry_client::{fast_options, test_image};
use kaniko::image::media_type;
use kaniko::registry::{
    BlobSource, Keychain, Reference, RegistryClient, RegistryError, RegistryOptions, DEFAULT_RETRIES,
};

/// Starts a registry holding one image at `app:v1`; returns it with the image's manifest bytes.
async fn registry_with_image(work: &std::path::Path) -> (Registry, Vec<u8>) {
    let reg = Registry::start();
    let img = test_image(work, "linux", "amd64", 30, 10_000);
    let c = RegistryClient::new(&fast_options(), Keychain::anonymous()).unwrap();
    let r = Reference::parse(&format!("{}/app:v1", reg.host())).unwrap();
    c.push_blob(&r, &img.layer_digest, BlobSource::File(&img.layer_path), None)
        .await
        .unwrap();
    c.push_blob(&r, &img.config_digest, BlobSource::Bytes(&img.config), None)
        .await
        .unwrap();
    c.put_manifest(&r, &img.manifest, media_type::OCI_MANIFEST)
        .await
        .unwrap();
    (reg, img.manifest)
}

#[tokio::test]
async fn retries_503_then_429_honouring_retry_after_then_succeeds() {
    let work = tempfile::tempdir().unwrap();
    let (reg, manifest) = registry_with_image(work.path()).await;
    let canned = vec![
        response("503 Service Unavailable", &[]),
        response("429 Too Many Requests", &["Retry-After: 1"]),
    ];
    let proxy = Proxy::start(canned, Then::Forward(reg.addr())).await;
    let c = RegistryClient::new(&fast_options(), Keychain::anonymous()).unwrap();
    let r = Reference::parse(&format!("{}/app:v1", proxy.host())).unwrap();

    let started = Instant::now();
    let m = c.get_manifest(&r).await.unwrap();
    assert_eq!(m.bytes, manifest);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured: {:?}",
        started.elapsed()
    );
    assert!(
        proxy.requests() >= 3,
        "503 and 429 were both answered: {}",
        proxy.requests()
    );
}

#[tokio::test]
async fn persistent_503_gives_up_and_says_how_many_retries_were_spent() {
    let proxy = Proxy::start(vec![], Then::Always(response("503 Service Unavailable", &[]))).await;
    let options = RegistryOptions {
        image_download_retry: 2,
        ..fast_options()
    };
    let c = RegistryClient::new(&options, Keychain::anonymous()).unwrap();
    let r = Reference::parse(&format!("{}/app:v1", proxy.host())).unwrap();
    let e = c.get_manifest(&r).await.unwrap_err();
    let msg = e.to_string();
    assert_eq!(e.retries(), 2, "{msg}");
    assert_eq!(proxy.requests(), 3, "{msg}");
    assert!(msg.contains("503 Service Unavailable"), "{msg}");
    assert!(msg.contains("gave up after 2 retries"), "{msg}");

    let options = RegistryOptions {
        image_download_retry: 5,
        ..fast_options()
    };
    let c = RegistryClient::new(&options, Keychain::anonymous()).unwrap();
    let before = proxy.requests();
    let e = c.get_manifest(&r).await.unwrap_err();
    assert_eq!(e.retries(), 5);
    assert_eq!(proxy.requests() - before, 6);
}

#[tokio::test]
async fn unauthorized_is_never_retried() {
    let work = tempfile::tempdir().unwrap();
    let (reg, _) = registry_with_image(work.path()).await;
    let unauthorized = response(
        "401 Unauthorized",
        &[
            "WWW-Authenticate: Basic realm=\"test\"",
            "Docker-Distribution-Api-Version: registry/2.0",
        ],
    );
    let proxy = Proxy::start(vec![], Then::Always(unauthorized)).await;
    let _ = reg.addr(); // the registry stays behind the proxy, never reached
    let options = RegistryOptions {
        image_download_retry: 5,
        push_retry: 5,
        ..fast_options()
    };

    // With credentials: the ping learns "Basic", the request carries them, the 401 is final.
    let config = work.path().join("config.json");
    let auth = base64::engine::general_purpose::STANDARD.encode("user:not-the-password");
    std::fs::write(
        &config,
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, proxy.host()),
    )
    .unwrap();
    let c = RegistryClient::new(&options, Keychain::with_config_paths(vec![config])).unwrap();
    let r = Reference::parse(&format!("{}/app:v1", proxy.host())).unwrap();
    let e = c.get_manifest(&r).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401), "{e}");
    assert_eq!(e.retries(), 0, "{e}");
    assert_eq!(proxy.requests(), 2, "one ping and one request, no retries: {e}");
    assert!(!e.to_string().contains("not-the-password"));

    // Anonymous: same story for a push.
    let before = proxy.requests();
    let c = RegistryClient::new(&options, Keychain::anonymous()).unwrap();
    let e = c
        .put_manifest(&r, b"{}", media_type::OCI_MANIFEST)
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401), "{e}");
    assert_eq!(proxy.requests() - before, 2, "{e}");
}

#[tokio::test]
async fn unreachable_registry_names_host_url_and_retries() {
    let port = free_port();
    let c = RegistryClient::new(&fast_options(), Keychain::anonymous()).unwrap();
    let r = Reference::parse(&format!("127.0.0.1:{port}/app:v1")).unwrap();
    let e = c.get_manifest(&r).await.unwrap_err();
    let msg = e.to_string();
    eprintln!("unreachable: {msg}");
    assert!(matches!(e, RegistryError::Unreachable { .. }), "{msg}");
    assert!(
        msg.contains(&format!("cannot reach registry 127.0.0.1:{port}")),
        "{msg}"
    );
    assert!(msg.contains(&format!("http://127.0.0.1:{port}/v2/")), "{msg}");
    assert_eq!(e.retries(), DEFAULT_RETRIES, "{msg}");
}

/// Runs `kaniko build` of `dockerfile` (an empty context) with `args`; returns its stderr, after
/// checking that the build failed.
async fn failing_build(dockerfile: &str, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let context = dir.path().join("context");
    std::fs::create_dir(&context).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.arg("build")
        .arg("--context")
        .arg(&context)
        .arg("--dockerfile")
        .arg(dir.path().join("Dockerfile"))
        .arg("--kaniko-dir")
        .arg(dir.path().join("kaniko"))
        .args(["--log-format=text", "--progress=quiet"])
        .args(args)
        .env_remove("KANIKO_DIR");
    let out = cmd.output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "the build should have failed:\n{stderr}");
    stderr
}

/// The default `--help` shows for a retry flag of `kaniko build`.
fn help_default(flag: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kaniko"))
        .args(["build", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let at = help
        .find(&format!("--{flag} "))
        .unwrap_or_else(|| panic!("no --{flag}:\n{help}"));
    let rest = &help[at..];
    let start = rest
        .find("[default: ")
        .unwrap_or_else(|| panic!("--{flag} shows no default:\n{rest}"));
    rest[start + "[default: ".len()..]
        .split(']')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Counts the requests a build of `dockerfile` with `args` sends to `proxy` (which answers 503 to
/// everything) for `--FLAG 0`, `--FLAG 2` and without the flag (the default `--help` shows).
async fn assert_retries_counted(proxy: &Proxy, flag: &str, dockerfile: &str, args: &[&str]) {
    let attempts = |extra: Vec<String>| async move {
        let before = proxy.requests();
        let all: Vec<&str> = args
            .iter()
            .copied()
            .chain(extra.iter().map(String::as_str))
            .collect();
        let stderr = failing_build(dockerfile, &all).await;
        assert!(stderr.contains("503"), "{stderr}");
        (proxy.requests() - before, stderr)
    };
    for (value, expected) in [("0", 1), ("2", 3)] {
        let (seen, stderr) = attempts(vec![format!("--{flag}"), value.to_string()]).await;
        assert_eq!(seen, expected, "--{flag} {value}:\n{stderr}");
    }
    let default = help_default(flag);
    let retries: usize = default.parse().unwrap();
    let (seen, stderr) = attempts(Vec::new()).await;
    assert_eq!(seen, 1 + retries, "--{flag} default {default}:\n{stderr}");
}

/// Regression: `--push-retry 0` still retried three times while `--help` said the default was 0. The
/// flag counts retries as in kaniko, 0 meaning none; the default `--help` shows is what runs.
#[tokio::test]
async fn push_retry_flag_is_the_number_of_retries_and_zero_means_none() {
    let proxy = Proxy::start(vec![], Then::Always(response("503 Service Unavailable", &[]))).await;
    let destination = format!("{}/app:v1", proxy.host());
    let dockerfile = "FROM scratch\nENV A=1\n";
    assert_retries_counted(&proxy, "push-retry", dockerfile, &["--destination", &destination]).await;
}

/// Regression: the same for `--image-download-retry`, on the pull of the base image.
#[tokio::test]
async fn image_download_retry_flag_is_the_number_of_retries_and_zero_means_none() {
    let proxy = Proxy::start(vec![], Then::Always(response("503 Service Unavailable", &[]))).await;
    let dockerfile = format!("FROM {}/base:v1\nENV A=1\n", proxy.host());
    assert_retries_counted(&proxy, "image-download-retry", &dockerfile, &["--no-push"]).await;
}
