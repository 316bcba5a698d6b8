// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Proves the shared fixtures in `tests/common` work: the registries start and enforce what they
//! claim, the base images land in them with the right platforms, and docker can run them.

mod common;

use common::images::push_base_images;
use common::registry::Registry;

#[test]
fn plain_registry_answers_v2() {
    let registry = Registry::start();
    let (status, body) = registry.get("/v2/").expect("GET /v2/");
    assert_eq!(status, 200, "body: {}", String::from_utf8_lossy(&body));
    assert!(registry.host().starts_with("127.0.0.1:"));
    let (status, _) = registry.get("/v2/_catalog").expect("GET /v2/_catalog");
    assert_eq!(status, 200);
    assert!(
        registry.logs().contains("listening on"),
        "logs: {}",
        registry.logs()
    );
}

#[test]
fn parallel_registries_get_distinct_ports() {
    let a = Registry::start();
    let b = Registry::start();
    assert_ne!(a.host(), b.host());
}

#[test]
fn tls_registry_requires_the_right_password() {
    let registry = Registry::start_tls_basic_auth("kaniko", "s3cret");
    assert!(registry.url().starts_with("https://"));
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
fn base_images_are_pushed_with_their_platforms() {
    let registry = Registry::start();
    let started = std::time::Instant::now();
    let images = push_base_images(&registry);
    eprintln!("built and pushed in {:?}", started.elapsed());
    let out = std::process::Command::new("skopeo")
        .args(["inspect", "--config", "--tls-verify=false"])
        .arg(format!("docker://{}", images.arm64))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("{}", String::from_utf8_lossy(&out.stdout));
}
