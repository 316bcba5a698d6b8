// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Push and pull against the real docker-registry: blobs and manifests, pull by tag and by digest, HEAD,
//! cross-repository mount, platform resolution from a pushed index, and registry mirrors.

mod common;

use common::registry::{free_port, Registry};
use common::registry_client::{fast_options, test_image, TestImage};
use kaniko::image::media_type;
use kaniko::image::Digest;
use kaniko::platform::Platform;
use kaniko::registry::{
    BlobPush, BlobSource, Keychain, Reference, RegistryClient, RegistryError, RegistryOptions,
};

fn client(options: &RegistryOptions) -> RegistryClient {
    RegistryClient::new(options, Keychain::anonymous()).unwrap()
}

async fn push_image(c: &RegistryClient, r: &Reference, img: &TestImage) -> Digest {
    let pushed = c
        .push_blob(r, &img.layer_digest, BlobSource::File(&img.layer_path), None)
        .await
        .unwrap();
    assert_eq!(pushed, BlobPush::Uploaded);
    c.push_blob(r, &img.config_digest, BlobSource::Bytes(&img.config), None)
        .await
        .unwrap();
    c.put_manifest(r, &img.manifest, media_type::OCI_MANIFEST)
        .await
        .unwrap()
}

#[tokio::test]
async fn push_then_pull_by_tag_and_digest() {
    let reg = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let img = test_image(work.path(), "linux", "amd64", 1, 3 * 1024 * 1024 + 17);
    let c = client(&fast_options());
    let r = Reference::parse(&format!("{}/app:v1", reg.host())).unwrap();

    let digest = push_image(&c, &r, &img).await;
    assert_eq!(digest, Digest::of(&img.manifest));

    // Pushing again finds the blob in place.
    let again = c
        .push_blob(&r, &img.layer_digest, BlobSource::File(&img.layer_path), None)
        .await
        .unwrap();
    assert_eq!(again, BlobPush::Existed);

    let by_tag = c.get_manifest(&r).await.unwrap();
    assert_eq!(by_tag.bytes, img.manifest);
    assert_eq!(by_tag.digest, digest);
    assert_eq!(by_tag.media_type, media_type::OCI_MANIFEST);
    let by_digest = c.get_manifest(&r.with_digest(digest.clone())).await.unwrap();
    assert_eq!(by_digest, by_tag);

    let head = c.head_manifest(&r).await.unwrap().expect("manifest exists");
    assert_eq!(head.digest, digest);
    assert_eq!(head.size, img.manifest.len() as u64);
    assert_eq!(c.head_manifest(&r.with_tag("nope").unwrap()).await.unwrap(), None);

    assert_eq!(
        c.blob_exists(&r, &img.layer_digest).await.unwrap(),
        Some(img.layer_size)
    );
    assert_eq!(c.blob_exists(&r, &Digest::of(b"absent")).await.unwrap(), None);

    // Streaming into a writer and into a file both verify and reproduce the layer exactly.
    let mut buf = Vec::new();
    let n = c.get_blob(&r, &img.layer_digest, &mut buf).await.unwrap();
    assert_eq!(n, img.layer_size);
    assert_eq!(Digest::of(&buf), img.layer_digest);
    let out = work.path().join("pulled.bin");
    c.get_blob_to_file(&r, &img.layer_digest, &out).await.unwrap();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&img.layer_path).unwrap()
    );
    assert_eq!(
        c.get_blob_bytes(&r, &img.config_digest, 1 << 20).await.unwrap(),
        img.config
    );

    // skopeo, an independent client, sees a valid image.
    let out = std::process::Command::new("skopeo")
        .args([
            "inspect",
            "--tls-verify=false",
            "--raw",
            &format!("docker://{}/app:v1", reg.host()),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, img.manifest);
}

#[tokio::test]
async fn missing_things_give_errors_naming_registry_repository_and_status() {
    let reg = Registry::start();
    let c = client(&fast_options());
    let r = Reference::parse(&format!("{}/nothing/here:v9", reg.host())).unwrap();
    let e = c.get_manifest(&r).await.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(&format!("{}/nothing/here", reg.host())), "{msg}");
    assert!(msg.contains("pulling manifest v9"), "{msg}");
    assert!(
        msg.contains("404 Not Found") && msg.contains("MANIFEST_UNKNOWN"),
        "{msg}"
    );
    assert_eq!(e.retries(), 0, "404 is final");

    let d = Digest::of(b"missing");
    let mut sink = Vec::new();
    let e = c.get_blob(&r, &d, &mut sink).await.unwrap_err();
    assert!(e.to_string().contains(&format!("pulling blob {d} from")), "{e}");
    assert!(e.to_string().contains("404"), "{e}");
}

#[tokio::test]
async fn pull_by_digest_rejects_a_manifest_whose_bytes_do_not_match() {
    let reg = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let img = test_image(work.path(), "linux", "amd64", 2, 1000);
    let c = client(&fast_options());
    let r = Reference::parse(&format!("{}/app:v1", reg.host())).unwrap();
    push_image(&c, &r, &img).await;
    // Asking to push under a digest that is not the bytes' digest is refused before sending.
    let wrong = r.with_digest(Digest::of(b"other"));
    let e = c
        .put_manifest(&wrong, &img.manifest, media_type::OCI_MANIFEST)
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::DigestMismatch { .. }), "{e}");
}

#[tokio::test]
async fn cross_repository_mount() {
    let reg = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let img = test_image(work.path(), "linux", "amd64", 3, 200_000);
    let c = client(&fast_options());
    let src = Reference::parse(&format!("{}/base:v1", reg.host())).unwrap();
    let dst = Reference::parse(&format!("{}/derived:v1", reg.host())).unwrap();
    push_image(&c, &src, &img).await;

    let mounted = c
        .push_blob(
            &dst,
            &img.layer_digest,
            BlobSource::File(&img.layer_path),
            Some(&src),
        )
        .await
        .unwrap();
    assert_eq!(mounted, BlobPush::Mounted);
    assert_eq!(
        c.blob_exists(&dst, &img.layer_digest).await.unwrap(),
        Some(img.layer_size)
    );

    // A mount from a repository that lacks the blob gets 202 and falls back to uploading.
    let other = test_image(work.path(), "linux", "amd64", 4, 5000);
    let pushed = c
        .push_blob(
            &dst,
            &other.layer_digest,
            BlobSource::File(&other.layer_path),
            Some(&src),
        )
        .await
        .unwrap();
    assert_eq!(pushed, BlobPush::Uploaded);
    let mut buf = Vec::new();
    c.get_blob(&dst, &other.layer_digest, &mut buf).await.unwrap();
    assert_eq!(buf, std::fs::read(&other.layer_path).unwrap());
}

#[tokio::test]
async fn platform_resolution_from_a_pushed_index() {
    let reg = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let c = client(&fast_options());
    let r = Reference::parse(&format!("{}/multi:latest", reg.host())).unwrap();
    let amd = test_image(work.path(), "linux", "amd64", 10, 1000);
    let arm = test_image(work.path(), "linux", "arm64", 11, 1000);
    let amd_digest = push_image(&c, &r.with_tag("amd64").unwrap(), &amd).await;
    let arm_digest = push_image(&c, &r.with_tag("arm64").unwrap(), &arm).await;
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_INDEX,
        "manifests": [
            {"mediaType": media_type::OCI_MANIFEST, "digest": amd_digest.to_string(), "size": amd.manifest.len(),
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": media_type::OCI_MANIFEST, "digest": arm_digest.to_string(), "size": arm.manifest.len(),
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}
        ]
    }))
    .unwrap();
    let index_digest = c.put_manifest(&r, &index, media_type::OCI_INDEX).await.unwrap();

    let want: Platform = "linux/arm64".parse().unwrap();
    let resolved = c.resolve_platform_manifest(&r, &want).await.unwrap();
    assert_eq!(resolved.manifest.digest, arm_digest);
    assert_eq!(resolved.manifest.bytes, arm.manifest);
    assert_eq!(resolved.reference.digest(), Some(&arm_digest));
    assert_eq!(resolved.index.as_ref().map(|i| &i.digest), Some(&index_digest));
    assert_eq!(
        resolved.platform.as_ref().map(|p| p.to_string()).as_deref(),
        Some("linux/arm64")
    );

    let e = c
        .resolve_platform_manifest(&r, &"linux/s390x".parse().unwrap())
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("linux/s390x") && msg.contains("linux/amd64, linux/arm64"),
        "{msg}"
    );

    // A single-platform image is taken as is, even for another platform (with a warning).
    let single = c
        .resolve_platform_manifest(&r.with_tag("amd64").unwrap(), &want)
        .await
        .unwrap();
    assert_eq!(single.manifest.digest, amd_digest);
    assert!(single.index.is_none());
    assert_eq!(
        single.platform.map(|p| p.to_string()).as_deref(),
        Some("linux/amd64")
    );
}

#[tokio::test]
async fn docker_hub_pulls_go_to_mirrors_in_order() {
    // The first mirror is not listening; the second has the image under the Docker Hub repository name.
    let reg = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let img = test_image(work.path(), "linux", "amd64", 20, 4000);
    let seed = client(&fast_options());
    push_image(
        &seed,
        &Reference::parse(&format!("{}/library/busybox:1.36", reg.host())).unwrap(),
        &img,
    )
    .await;

    let dead = format!("127.0.0.1:{}", free_port());
    let options = RegistryOptions {
        registry_mirrors: vec![dead, reg.host()],
        ..fast_options()
    };
    let c = client(&options);
    let hub = Reference::parse("busybox:1.36").unwrap();
    let m = c.get_manifest(&hub).await.unwrap();
    assert_eq!(m.bytes, img.manifest);
    let mut buf = Vec::new();
    c.get_blob(&hub, &img.layer_digest, &mut buf).await.unwrap();
    assert_eq!(Digest::of(&buf), img.layer_digest);
}

/// Regression: `--insecure-pull` alone made the push path's blob existence check (and only it) fall
/// back to plain HTTP, since `blob_exists` used the pull direction's transport. Pull options apply to
/// pulls and push options to pushes, as in kaniko. The registry here is a plain-HTTP stand-in on a
/// non-loopback address (loopback registries may always use plain HTTP) that answers 404 to
/// everything and drops TLS handshakes uncounted.
#[tokio::test]
async fn insecure_pull_alone_keeps_push_blob_checks_on_https() {
    use common::proxy::{non_loopback_ip, response, Proxy, Then};
    let not_found = response(
        "404 Not Found",
        &["Docker-Distribution-Api-Version: registry/2.0"],
    );
    let proxy = Proxy::start_on(non_loopback_ip(), vec![], Then::Always(not_found)).await;
    let r = Reference::parse(&format!("{}/app:v1", proxy.host())).unwrap();
    let digest = Digest::of(b"layer");

    let pull_only = client(&RegistryOptions {
        insecure_pull: true,
        ..fast_options()
    });
    let e = pull_only.blob_exists(&r, &digest).await.unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, RegistryError::Unreachable { .. }),
        "the push-side check must fail over HTTPS: {msg}"
    );
    assert!(msg.contains(&format!("https://{}/v2/", proxy.host())), "{msg}");
    assert_eq!(proxy.requests(), 0, "no plain-HTTP request was sent: {msg}");

    // The pull side of the same client does use plain HTTP (the registry's 404 comes back).
    let e = pull_only.get_manifest(&r).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(404), "{e}");
    assert!(proxy.requests() > 0);

    // --insecure, the push option, lets the check through.
    let push = client(&RegistryOptions {
        insecure: true,
        ..fast_options()
    });
    assert_eq!(push.blob_exists(&r, &digest).await.unwrap(), None);
    // And it no longer relaxes pulls, as in kaniko.
    let e = push.get_manifest(&r).await.unwrap_err();
    assert!(matches!(e, RegistryError::Unreachable { .. }), "{e}");
}
