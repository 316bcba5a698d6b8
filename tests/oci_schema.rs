// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! What we push validates against the OCI image-spec's JSON schemas: image manifests and configs
//! (gzip and zstd layers), and the image indexes of multi-platform builds and `kaniko aggregate`.
//! The first test shows the validator rejects what the schemas forbid, so the others can fail.

mod common;

use common::kaniko::{bases, build_ok, kaniko_ok, unique_repo, Built, Context};
use common::oci_schema::Schemas;
use common::tools;
use serde_json::{json, Value};

const MANIFEST: &str = "image-manifest-schema.json";
const INDEX: &str = "image-index-schema.json";
const CONFIG: &str = "config-schema.json";

fn manifest_doc() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{}", "a".repeat(64)), "size": 7},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": format!("sha256:{}", "b".repeat(64)), "size": 9}],
        "annotations": {"org.opencontainers.image.version": "1"}
    })
}

#[test]
fn validator_rejects_what_the_schemas_forbid() {
    let schemas = Schemas::load();
    assert!(schemas.errors(MANIFEST, &manifest_doc()).is_empty());
    type Breaker = fn(&mut Value);
    let broken: [(&str, Breaker); 6] = [
        ("bad digest", |m| m["config"]["digest"] = json!("sha256 nope")),
        ("schemaVersion 3", |m| m["schemaVersion"] = json!(3)),
        ("no layers key", |m| {
            m.as_object_mut().unwrap().remove("layers");
        }),
        ("size as string", |m| m["layers"][0]["size"] = json!("9")),
        ("bad media type", |m| {
            m["layers"][0]["mediaType"] = json!("not a media type")
        }),
        ("annotation not a string", |m| m["annotations"]["x"] = json!(1)),
    ];
    for (what, breaks) in broken {
        let mut doc = manifest_doc();
        breaks(&mut doc);
        assert!(
            !schemas.errors(MANIFEST, &doc).is_empty(),
            "{what} passed validation"
        );
    }
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{}", "c".repeat(64)), "size": 1, "platform": {"os": "linux"}}]});
    assert!(
        !schemas.errors(INDEX, &index).is_empty(),
        "a platform without architecture passed"
    );
}

#[test]
fn built_manifests_and_configs_validate() {
    let schemas = Schemas::load();
    let ctx = Context::new("FROM {{BASE}}\nCOPY a.txt /a.txt\nENV A=1\nLABEL l=v\n").file("a.txt", "a\n");
    for (name, args) in [
        ("schema-gzip", vec!["--oci-mode=oci"]),
        ("schema-repro", vec!["--reproducible"]),
    ] {
        let b = build_ok(&ctx, name, &args);
        schemas.assert_valid(MANIFEST, &b.manifest, name);
        schemas.assert_valid(CONFIG, &b.config, name);
    }
    let reference = format!("{}/{}:zstd", bases().registry.host(), unique_repo("schema-zstd"));
    kaniko_ok(
        &ctx,
        &[
            "--destination",
            &reference,
            "--compression=zstd",
            "--force-compression",
        ],
    );
    schemas.assert_valid(
        MANIFEST,
        &tools::skopeo_inspect_raw_json(&reference),
        "zstd manifest",
    );
}

#[test]
fn multi_platform_indexes_validate() {
    let schemas = Schemas::load();
    let ctx = Context::new("FROM {{INDEX}}\nCOPY a.txt /a.txt\n").file("a.txt", "a\n");
    let repo = format!("{}/{}", bases().registry.host(), unique_repo("schema-index"));
    kaniko_ok(
        &ctx,
        &[
            "--multi-platform=linux/amd64,linux/arm64",
            "--destination",
            &format!("{repo}:1"),
            "--index-annotations=org.opencontainers.image.version=1,org.opencontainers.image.source=https://example.com/app",
        ],
    );
    let index = tools::skopeo_inspect_raw_json(&format!("{repo}:1"));
    schemas.assert_valid(INDEX, &index, "multi-platform index");
    for m in index["manifests"].as_array().unwrap() {
        let child = Built::read(&format!("{repo}@{}", m["digest"].as_str().unwrap()));
        schemas.assert_valid(MANIFEST, &child.manifest, "index child");
        schemas.assert_valid(CONFIG, &child.config, "index child config");
    }
}
