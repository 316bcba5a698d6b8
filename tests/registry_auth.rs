// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Authentication and TLS against the real docker-registry: HTTPS with a CA-signed or a self-signed
//! (pinned) certificate trusted through `--registry-certificate`, htpasswd (bcrypt) Basic auth with
//! credentials from a docker config.json or a credential helper, and the errors for a wrong password
//! or an untrusted certificate.

mod common;

use std::path::Path;

use base64::Engine as _;
use common::registry::Registry;
use common::registry_client::{fast_options, test_image};
use kaniko::image::media_type;
use kaniko::registry::{
    BlobSource, Keychain, Reference, RegistryCertificate, RegistryClient, RegistryError, RegistryOptions,
};

const USER: &str = "builder";
const PASSWORD: &str = "s3cret-Pa55";

/// HTTPS with a certificate signed by a throw-away CA, htpasswd Basic auth.
fn secure_registry() -> Registry {
    Registry::start_tls_basic_auth(USER, PASSWORD)
}

fn trusting(reg: &Registry) -> RegistryOptions {
    let cert = reg.ca_cert_path().to_path_buf();
    RegistryOptions {
        registry_certificates: vec![RegistryCertificate {
            registry: reg.host(),
            path: cert,
        }],
        ..fast_options()
    }
}

fn write_config(dir: &Path, json: serde_json::Value) -> Keychain {
    let path = dir.join("config.json");
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    // The first path does not exist: the search moves on to the next, as with $DOCKER_CONFIG unset.
    Keychain::with_config_paths(vec![dir.join("missing/config.json"), path])
}

fn auths(host: &str, user: &str, password: &str) -> serde_json::Value {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    serde_json::json!({"auths": {format!("https://{host}"): {"auth": auth}}})
}

async fn push_and_pull(c: &RegistryClient, reg: &Registry, work: &Path) {
    let img = test_image(work, "linux", "amd64", 7, 50_000);
    let r = Reference::parse(&format!("{}/secure/app:v1", reg.host())).unwrap();
    c.push_blob(&r, &img.layer_digest, BlobSource::File(&img.layer_path), None)
        .await
        .unwrap();
    c.push_blob(&r, &img.config_digest, BlobSource::Bytes(&img.config), None)
        .await
        .unwrap();
    let d = c
        .put_manifest(&r, &img.manifest, media_type::OCI_MANIFEST)
        .await
        .unwrap();
    let m = c.get_manifest(&r.with_digest(d)).await.unwrap();
    assert_eq!(m.bytes, img.manifest);
    let mut buf = Vec::new();
    c.get_blob(&r, &img.layer_digest, &mut buf).await.unwrap();
    assert_eq!(buf, std::fs::read(&img.layer_path).unwrap());
}

#[tokio::test]
async fn tls_and_basic_auth_with_the_right_password() {
    let reg = secure_registry();
    let work = tempfile::tempdir().unwrap();
    let keychain = write_config(work.path(), auths(&reg.host(), USER, PASSWORD));
    let c = RegistryClient::new(&trusting(&reg), keychain).unwrap();
    push_and_pull(&c, &reg, work.path()).await;
}

/// A self-signed server certificate (a CA certificate, which webpki refuses as a server's) given to
/// `--registry-certificate` is accepted as pinned.
#[tokio::test]
async fn self_signed_certificate_is_pinned() {
    let reg = Registry::start_tls_self_signed_basic_auth(USER, PASSWORD);
    let work = tempfile::tempdir().unwrap();
    let keychain = write_config(work.path(), auths(&reg.host(), USER, PASSWORD));
    let c = RegistryClient::new(&trusting(&reg), keychain).unwrap();
    push_and_pull(&c, &reg, work.path()).await;
}

#[tokio::test]
async fn wrong_password_is_a_clear_401_that_is_not_retried() {
    let reg = secure_registry();
    let work = tempfile::tempdir().unwrap();
    let keychain = write_config(work.path(), auths(&reg.host(), USER, "wrong-password-xyz"));
    let c = RegistryClient::new(&trusting(&reg), keychain).unwrap();
    let img = test_image(work.path(), "linux", "amd64", 8, 100);
    let r = Reference::parse(&format!("{}/secure/app:v1", reg.host())).unwrap();
    let e = c
        .push_blob(&r, &img.layer_digest, BlobSource::File(&img.layer_path), None)
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401), "{msg}");
    assert_eq!(e.retries(), 0, "{msg}");
    assert!(msg.contains(&format!("{}/secure/app", reg.host())), "{msg}");
    assert!(
        msg.contains("401 Unauthorized") && msg.contains("UNAUTHORIZED"),
        "{msg}"
    );
    eprintln!("wrong password: {msg}");
    assert!(
        !msg.contains("wrong-password-xyz") && !format!("{e:?}").contains("wrong-password-xyz"),
        "{msg}"
    );

    // Without any credentials the registry's refusal is just as clear.
    let anon = RegistryClient::new(&trusting(&reg), Keychain::anonymous()).unwrap();
    let e = anon.get_manifest(&r).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401), "{e}");
}

#[tokio::test]
async fn untrusted_certificate_is_refused_unless_verification_is_skipped() {
    let reg = secure_registry();
    let work = tempfile::tempdir().unwrap();
    let r = Reference::parse(&format!("{}/secure/app:v1", reg.host())).unwrap();

    let c = RegistryClient::new(&fast_options(), Keychain::anonymous()).unwrap();
    let e = c.get_manifest(&r).await.unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, RegistryError::Unreachable { .. }), "{msg}");
    assert!(
        msg.contains(&format!("cannot reach registry {}", reg.host())),
        "{msg}"
    );
    assert!(msg.contains(&format!("https://{}/v2/", reg.host())), "{msg}");
    assert!(msg.to_lowercase().contains("certificate"), "{msg}");
    eprintln!("untrusted certificate: {msg}");

    let keychain = write_config(work.path(), auths(&reg.host(), USER, PASSWORD));
    let skip = RegistryOptions {
        skip_tls_verify_registries: vec![reg.host()],
        ..fast_options()
    };
    let c = RegistryClient::new(&skip, keychain).unwrap();
    push_and_pull(&c, &reg, work.path()).await;
}

#[tokio::test]
async fn credential_helper_supplies_the_password() {
    let reg = secure_registry();
    let work = tempfile::tempdir().unwrap();
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let seen = work.path().join("helper-stdin");
    let helper = bin.join("docker-credential-fake");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 2\ncat > '{}'\nprintf '{{\"ServerURL\":\"x\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}'\n",
            seen.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&helper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&helper, perms).unwrap();

    let config = serde_json::json!({"credHelpers": {reg.host(): "fake"}});
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let keychain = write_config(work.path(), config).with_helper_path(path);
    let c = RegistryClient::new(&trusting(&reg), keychain).unwrap();
    push_and_pull(&c, &reg, work.path()).await;
    assert_eq!(
        std::fs::read_to_string(&seen).unwrap(),
        reg.host(),
        "the helper gets the server URL on stdin"
    );
}

#[tokio::test]
async fn creds_store_without_an_entry_falls_back_to_auths() {
    let reg = secure_registry();
    let work = tempfile::tempdir().unwrap();
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let helper = bin.join("docker-credential-empty");
    std::fs::write(
        &helper,
        "#!/bin/sh\ncat >/dev/null\necho 'credentials not found in native keychain'\nexit 1\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&helper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&helper, perms).unwrap();

    let mut config = auths(&reg.host(), USER, PASSWORD);
    config["credsStore"] = "empty".into();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let keychain = write_config(work.path(), config).with_helper_path(path);
    let c = RegistryClient::new(&trusting(&reg), keychain).unwrap();
    push_and_pull(&c, &reg, work.path()).await;

    // A helper that is not installed is an error naming it and the registry.
    let keychain = write_config(work.path(), serde_json::json!({"credsStore": "absent-helper"}))
        .with_helper_path(bin.display().to_string());
    let c = RegistryClient::new(&trusting(&reg), keychain).unwrap();
    let e = c
        .get_manifest(&Reference::parse(&format!("{}/x:y", reg.host())).unwrap())
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("docker-credential-absent-helper") && msg.contains(&reg.host()),
        "{msg}"
    );
}

/// Regression: a destination that could not be pushed to failed only after the whole build, naming
/// a blob. The push access of every destination is now checked first (an upload started with the
/// push credentials and cancelled, as kaniko does), so the build fails in seconds, naming the
/// destination, before its RUN step; `--skip-push-permission-check` skips the check.
#[test]
fn unpushable_destination_fails_before_the_build_unless_the_check_is_skipped() {
    use common::kaniko::{build_args, Context};
    use std::process::Command;
    use std::time::{Duration, Instant};

    let reg = secure_registry();
    let ctx = Context::new("FROM {{BASE}}\nARG SLEEP=30\nRUN sleep $SLEEP\n");
    let docker = tempfile::tempdir().unwrap();
    let config = auths(&reg.host(), USER, "not-the-password");
    std::fs::write(docker.path().join("config.json"), config.to_string()).unwrap();
    let destination = format!("{}/secure/app:v1", reg.host());
    let certificate = format!("{}={}", reg.host(), reg.ca_cert_path().display());
    let build = |extra: &[&str]| {
        let kaniko_dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_kaniko"))
            .args(build_args(&ctx, kaniko_dir.path()))
            .args([
                "--destination",
                &destination,
                "--registry-certificate",
                &certificate,
            ])
            .args(["--progress=quiet"])
            .args(extra)
            .env("DOCKER_CONFIG", docker.path())
            .env_remove("KANIKO_DIR")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "the push cannot succeed:\n{stderr}");
        (started.elapsed(), stderr)
    };

    let (took, stderr) = build(&[]);
    assert!(took < Duration::from_secs(15), "took {took:?}:\n{stderr}");
    assert!(
        stderr.contains(&format!("checking push access to {}/secure/app", reg.host())),
        "the error names the destination:\n{stderr}"
    );
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("RUN sleep"), "the RUN step ran:\n{stderr}");

    let (_, stderr) = build(&["--skip-push-permission-check", "--build-arg", "SLEEP=1"]);
    assert!(
        stderr.contains("RUN sleep $SLEEP"),
        "the build did not run:\n{stderr}"
    );
    assert!(!stderr.contains("checking push access"), "{stderr}");
    assert!(
        stderr.contains("blob sha256:"),
        "it fails at the push, on a blob:\n{stderr}"
    );
}
