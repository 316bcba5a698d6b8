// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Signing with the real binary against the shared registry: `generate-key-pair`, `build
//! --sign-images` (one platform, the local driver's index, a CI matrix and `aggregate`), `kaniko
//! verify` and its refusals (a missing signature, another key, a tampered payload, a signature
//! copied from another image), and the password and private key kept out of every output (console,
//! debug files, metrics, report and metadata files, the image and its signature image).
//!
//! Every signature is also checked by an implementation we did not write: the sigstore crate's
//! cosign client, reading the signature image from the registry with its own registry client.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::kaniko::{bases, build_args, kaniko_ok, unique_repo, Context};
use common::tools;
use serde_json::Value;

const PASSWORD: &str = "correct horse battery staple";

/// A key pair written by `kaniko generate-key-pair` into its own directory, with a file holding
/// its password.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn generate(password: &str) -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let out = command(&["generate-key-pair", "--output-key-prefix"])
            .arg(dir.path().join("cosign"))
            .env("COSIGN_PASSWORD", password)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", tools::output_text(&out));
        fs_err::write(dir.path().join("password"), format!("{password}\n")).unwrap();
        Keys { dir }
    }
    fn password_file(&self) -> PathBuf {
        self.dir.path().join("password")
    }
    fn private(&self) -> PathBuf {
        self.dir.path().join("cosign.key")
    }
    fn public(&self) -> PathBuf {
        self.dir.path().join("cosign.pub")
    }
}

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.args(args)
        .env_remove("COSIGN_PASSWORD")
        .env_remove("KANIKO_DIR");
    cmd
}

fn host() -> String {
    bases().registry.host()
}

/// `kaniko verify --key KEY IMAGE`.
fn verify(key: &Path, image: &str) -> Output {
    tools::run(
        command(&["verify", "--insecure-registry", &host(), "--key"])
            .arg(key)
            .arg(image),
    )
}

fn verify_ok(key: &Path, image: &str) -> String {
    let out = verify(key, image);
    assert!(
        out.status.success(),
        "verify {image}: {}",
        tools::output_text(&out)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn verify_err(key: &Path, image: &str) -> String {
    let out = verify(key, image);
    assert!(
        !out.status.success(),
        "verify {image} succeeded: {}",
        tools::output_text(&out)
    );
    tools::output_text(&out)
}

/// The flags that sign with `keys`, the password read from its file.
fn signing_args(keys: &Keys) -> Vec<String> {
    vec![
        "--sign-images".into(),
        "--cosign-key-path".into(),
        keys.private().display().to_string(),
        "--cosign-key-password-file".into(),
        keys.password_file().display().to_string(),
    ]
}

/// Both `kaniko verify` (saying `expected`) and sigstore refuse the signatures of `image`.
fn assert_refused(key: &Path, image: &str, expected: &str) {
    let err = verify_err(key, image);
    assert!(err.contains(expected), "expected {expected:?} in: {err}");
    assert!(
        sigstore_verifies(image, key).is_err(),
        "sigstore accepted {image}"
    );
}

/// A signed build of `ctx` with `args`.
fn signed_build(ctx: &Context, keys: &Keys, args: &[&str]) -> Output {
    let signing = signing_args(keys);
    let mut all: Vec<&str> = signing.iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    kaniko_ok(ctx, &all)
}

/// The manifest digest `reference` resolves to, read with skopeo.
fn digest_of(reference: &str) -> String {
    let bytes = tools::skopeo_inspect_raw(reference);
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(&bytes)))
}

fn sig_tag(digest: &str) -> String {
    format!("{}.sig", digest.replace(':', "-"))
}

/// sigstore's cosign client verifies `image` (tag or digest) with `public_key`: it finds the
/// signature image, checks every layer's payload names the digest, and the key's signature.
fn sigstore_verifies(image: &str, public_key: &Path) -> Result<usize, String> {
    use sigstore::cosign::verification_constraint::{PublicKeyVerifier, VerificationConstraintVec};
    use sigstore::cosign::{ClientBuilder, CosignCapabilities};
    use sigstore::registry::{Auth, ClientConfig, ClientProtocol, OciReference};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut client = ClientBuilder::default()
            .with_oci_client_config(ClientConfig {
                protocol: ClientProtocol::Http,
                ..ClientConfig::default()
            })
            .build()
            .map_err(|e| e.to_string())?;
        let image: OciReference = image.parse().map_err(|e| format!("{e:?}"))?;
        let (signature_image, digest) = client
            .triangulate(&image, &Auth::Anonymous)
            .await
            .map_err(|e| e.to_string())?;
        let layers = client
            .trusted_signature_layers(&Auth::Anonymous, &digest, &signature_image)
            .await
            .map_err(|e| e.to_string())?;
        let pem = fs_err::read(public_key).unwrap();
        let verifier = PublicKeyVerifier::new(&pem, &sigstore::crypto::SigningScheme::default())
            .map_err(|e| e.to_string())?;
        let constraints: VerificationConstraintVec = vec![Box::new(verifier)];
        sigstore::cosign::verify_constraints(&layers, constraints.iter())
            .map_err(|e| format!("{:?}", e.unsatisfied_constraints.len()))?;
        Ok(layers.len())
    })
}

/// The signature image of `digest` in `repo_ref`, as its manifest JSON.
fn signature_manifest(repo_ref: &str, digest: &str) -> Value {
    serde_json::from_slice(&tools::skopeo_inspect_raw(&format!(
        "{repo_ref}:{}",
        sig_tag(digest)
    )))
    .unwrap()
}

#[test]
fn generate_key_pair_writes_keys_that_sigstore_reads() {
    let keys = Keys::generate(PASSWORD);
    let private = fs_err::read(keys.private()).unwrap();
    assert!(String::from_utf8_lossy(&private).starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        fs_err::metadata(keys.private()).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let pair =
        sigstore::crypto::signing_key::SigStoreKeyPair::from_encrypted_pem(&private, PASSWORD.as_bytes())
            .expect("sigstore decrypts the key with the password");
    assert!(
        sigstore::crypto::signing_key::SigStoreKeyPair::from_encrypted_pem(&private, b"wrong").is_err(),
        "another password must not open the key"
    );
    let public = fs_err::read_to_string(keys.public()).unwrap();
    assert_eq!(
        public,
        pair.public_key_to_pem().unwrap(),
        "the .pub is the key's public half"
    );
    sigstore::crypto::CosignVerificationKey::try_from_pem(public.as_bytes()).unwrap();

    // Never overwritten; and no password source is an error, not a prompt.
    generate_key_pair_err(&keys.dir.path().join("cosign"), Some("x"), "is never overwritten");
    assert_eq!(fs_err::read(keys.private()).unwrap(), private);
    let dir = tempfile::tempdir().unwrap();
    generate_key_pair_err(&dir.path().join("k"), None, "COSIGN_PASSWORD is not set");
}

/// `generate-key-pair --output-key-prefix PREFIX` fails saying `expected`.
fn generate_key_pair_err(prefix: &Path, password: Option<&str>, expected: &str) {
    let mut cmd = command(&["generate-key-pair", "--output-key-prefix"]);
    cmd.arg(prefix);
    if let Some(p) = password {
        cmd.env("COSIGN_PASSWORD", p);
    }
    let out = tools::run(&mut cmd);
    let text = tools::output_text(&out);
    assert!(
        !out.status.success() && text.contains(expected),
        "expected {expected:?}: {text}"
    );
}

#[test]
fn a_signed_image_verifies_and_every_forgery_is_refused() {
    let keys = Keys::generate(PASSWORD);
    let other = Keys::generate("another password");
    let repo_ref = format!("{}/{}", host(), unique_repo("signed"));
    let reference = format!("{repo_ref}:v1");
    let ctx = Context::new("FROM {{BASE}}\nCOPY a.txt /a.txt\n").file("a.txt", "signed\n");
    signed_build(&ctx, &keys, &["--destination", &reference, "--reproducible"]);
    let digest = digest_of(&reference);

    let out = verify_ok(&keys.public(), &reference);
    assert!(out.contains(&format!("verified image {digest}")), "{out}");
    assert!(out.contains(&format!("(signed for {repo_ref})")), "{out}");
    verify_ok(&keys.public(), &format!("{repo_ref}@{digest}"));
    assert_eq!(sigstore_verifies(&reference, &keys.public()), Ok(1));

    // The layout cosign reads: one simple-signing layer, the signature in its annotation.
    let manifest = signature_manifest(&repo_ref, &digest);
    let layer = &manifest["layers"][0];
    assert_eq!(
        layer["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    assert!(layer["annotations"]["dev.cosignproject.cosign/signature"].is_string());

    // Another key: refused by both implementations.
    assert_refused(
        &other.public(),
        &reference,
        &format!("{digest}: none of its 1 signature(s) verifies with this key"),
    );

    // A second signer appends (a build of the same context pushes the same bytes and signs
    // them); the first signature stays and both keys now verify.
    signed_build(&ctx, &other, &["--destination", &reference, "--reproducible"]);
    assert_eq!(digest_of(&reference), digest, "the rebuild is byte-identical");
    let manifest = signature_manifest(&repo_ref, &digest);
    assert_eq!(manifest["layers"].as_array().unwrap().len(), 2, "{manifest}");
    // Signing again with the first key finds its (deterministic) signature there: nothing added.
    signed_build(&ctx, &keys, &["--destination", &reference, "--reproducible"]);
    assert_eq!(signature_manifest(&repo_ref, &digest), manifest);
    verify_ok(&keys.public(), &reference);
    verify_ok(&other.public(), &reference);
    assert_eq!(sigstore_verifies(&reference, &keys.public()), Ok(2));

    // An unsigned image: no signature image at all.
    let unsigned = format!("{}/{}:v1", host(), unique_repo("unsigned"));
    kaniko_ok(&ctx, &["--destination", &unsigned]);
    let unsigned_digest = digest_of(&unsigned);
    assert_refused(
        &keys.public(),
        &unsigned,
        &format!("{unsigned_digest} has no signature"),
    );

    // A signature copied from another image: valid, but of the wrong digest.
    let copied = format!("{}/{}", host(), unique_repo("copied"));
    kaniko_ok(
        &Context::new("FROM {{BASE}}\nCOPY b.txt /b.txt\n").file("b.txt", "other\n"),
        &["--destination", &format!("{copied}:v1")],
    );
    let copied_digest = digest_of(&format!("{copied}:v1"));
    copy_image(
        &format!("{repo_ref}:{}", sig_tag(&digest)),
        &format!("{copied}:{}", sig_tag(&copied_digest)),
    );
    assert_refused(
        &keys.public(),
        &format!("{copied}:v1"),
        &format!("{copied_digest}: the signature verifies but is of another manifest, {digest}"),
    );

    // A tampered payload: the first key's payload still names the right digest but is not what
    // the key signed (the second key's signature is untouched, and is not this key's).
    let tampered = tamper_payload(&repo_ref, &digest);
    assert!(tampered.contains(&digest));
    assert_refused(
        &keys.public(),
        &reference,
        &format!("{digest}: none of its 2 signature(s) verifies with this key"),
    );
}

fn copy_image(from: &str, to: &str) {
    let mut cmd = Command::new("skopeo");
    cmd.args([
        "copy",
        "--preserve-digests",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
    ])
    .arg(format!("docker://{from}"))
    .arg(format!("docker://{to}"));
    tools::run_ok(&mut cmd);
}

/// Replaces the signature image of `digest` with one whose payload has one extra space (still
/// naming `digest`) under the original signature. Returns the tampered payload.
fn tamper_payload(repo_ref: &str, digest: &str) -> String {
    use kaniko::image::Digest;
    use kaniko::registry::{BlobSource, Keychain, Reference, RegistryClient};
    let sig_ref = Reference::parse(&format!("{repo_ref}:{}", sig_tag(digest))).unwrap();
    let client = RegistryClient::new(&common::registry_client::fast_options(), Keychain::from_env()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let manifest = client.get_manifest(&sig_ref).await.unwrap();
        let mut doc: Value = serde_json::from_slice(&manifest.bytes).unwrap();
        let layer = doc["layers"][0].clone();
        let original: Digest = layer["digest"].as_str().unwrap().parse().unwrap();
        let payload = client.get_blob_bytes(&sig_ref, &original, 1 << 20).await.unwrap();
        let tampered = String::from_utf8(payload).unwrap().replacen(':', ": ", 1);
        let new_digest = Digest::of(tampered.as_bytes());
        client
            .push_blob(
                &sig_ref,
                &new_digest,
                BlobSource::Bytes(tampered.as_bytes()),
                None,
            )
            .await
            .unwrap();
        doc["layers"][0]["digest"] = Value::String(new_digest.to_string());
        doc["layers"][0]["size"] = Value::from(tampered.len());
        let bytes = serde_json::to_vec(&doc).unwrap();
        client
            .put_manifest(&sig_ref, &bytes, "application/vnd.oci.image.manifest.v1+json")
            .await
            .unwrap();
        tampered
    })
}

/// `kaniko aggregate ARGS` against the shared registry.
fn aggregate(args: &[&str]) -> Output {
    tools::run(
        command(&[
            "aggregate",
            "--insecure-registry",
            &host(),
            "--log-format",
            "text",
        ])
        .args(args),
    )
}

/// `verify` of the index at `reference` checks the index and both platforms, and sigstore verifies
/// each of them; returns the platform manifests' digests.
fn assert_index_signed(repo_ref: &str, reference: &str, keys: &Keys) -> Vec<String> {
    let index: Value = serde_json::from_slice(&tools::skopeo_inspect_raw(reference)).unwrap();
    let index_digest = digest_of(reference);
    let out = verify_ok(&keys.public(), reference);
    assert!(out.contains(&format!("verified index {index_digest}")), "{out}");
    assert_eq!(sigstore_verifies(reference, &keys.public()), Ok(1), "the index");
    let mut children = Vec::new();
    for entry in index["manifests"].as_array().unwrap() {
        let digest = entry["digest"].as_str().unwrap().to_string();
        let platform = format!(
            "{}/{}",
            entry["platform"]["os"].as_str().unwrap(),
            entry["platform"]["architecture"].as_str().unwrap()
        );
        assert!(
            out.contains(&format!("verified {platform} {digest}")),
            "{platform}: {out}"
        );
        assert_eq!(
            sigstore_verifies(&format!("{repo_ref}@{digest}"), &keys.public()),
            Ok(1),
            "{platform}"
        );
        children.push(digest);
    }
    assert_eq!(children.len(), 2, "{index}");
    children
}

/// `verify --provenance` passes for the index at `reference`, and each platform manifest has
/// exactly one attestation: signed (checked with sigstore's verifier), naming that manifest and
/// recording that platform and its own base image.
fn assert_platforms_attested(repo_ref: &str, reference: &str, keys: &Keys) {
    let out = tools::run(
        command(&["verify", "--provenance", "--insecure-registry", &host(), "--key"])
            .arg(keys.public())
            .arg(reference),
    );
    assert!(out.status.success(), "{}", tools::output_text(&out));
    let index: Value = serde_json::from_slice(&tools::skopeo_inspect_raw(reference)).unwrap();
    let key =
        sigstore::crypto::CosignVerificationKey::try_from_pem(&fs_err::read(keys.public()).unwrap()).unwrap();
    let repo = repo_ref.split_once('/').unwrap().1;
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for entry in index["manifests"].as_array().unwrap() {
        let digest = entry["digest"].as_str().unwrap();
        let platform = format!(
            "{}/{}",
            entry["platform"]["os"].as_str().unwrap(),
            entry["platform"]["architecture"].as_str().unwrap()
        );
        let att: Value = serde_json::from_slice(&tools::skopeo_inspect_raw(&format!(
            "{repo_ref}:{}.att",
            digest.replace(':', "-")
        )))
        .unwrap();
        let layers = att["layers"].as_array().unwrap();
        assert_eq!(
            layers.len(),
            1,
            "{platform}: one attestation, the signed one: {att}"
        );
        let (status, blob) = bases()
            .registry
            .get(&format!(
                "/v2/{repo}/blobs/{}",
                layers[0]["digest"].as_str().unwrap()
            ))
            .unwrap();
        assert_eq!(status, 200);
        let envelope: Value = serde_json::from_slice(&blob).unwrap();
        let statement = b64.decode(envelope["payload"].as_str().unwrap()).unwrap();
        let mut pae = format!("DSSEv1 28 application/vnd.in-toto+json {} ", statement.len()).into_bytes();
        pae.extend_from_slice(&statement);
        let sigs = envelope["signatures"].as_array().unwrap();
        assert_eq!(sigs.len(), 1, "{platform}: {envelope}");
        key.verify_signature(
            sigstore::crypto::Signature::Base64Encoded(sigs[0]["sig"].as_str().unwrap().as_bytes()),
            &pae,
        )
        .unwrap_or_else(|e| panic!("{platform}: the coordinator's signature: {e}"));
        let s: Value = serde_json::from_slice(&statement).unwrap();
        assert_eq!(
            format!("sha256:{}", s["subject"][0]["digest"]["sha256"].as_str().unwrap()),
            digest
        );
        let definition = &s["predicate"]["buildDefinition"];
        assert_eq!(definition["externalParameters"]["platform"], platform.as_str());
        let base = &definition["resolvedDependencies"][0];
        let arch = platform.rsplit('/').next().unwrap();
        let base_digest = format!("sha256:{}", base["digest"]["sha256"].as_str().unwrap());
        let expected = match arch {
            "amd64" => digest_of(&bases().images.amd64),
            _ => digest_of(&bases().images.arm64),
        };
        assert_eq!(base_digest, expected, "{platform}: the platform's own base");
    }
}

#[test]
fn the_local_driver_signs_the_index_and_each_platform() {
    let keys = Keys::generate(PASSWORD);
    let ctx = Context::new("FROM {{INDEX}}\nCOPY app.txt /app.txt\n").file("app.txt", "local\n");
    let repo_ref = format!("{}/{}", host(), unique_repo("signed-local"));
    let reference = format!("{repo_ref}:v1");
    signed_build(
        &ctx,
        &keys,
        &[
            "--multi-platform=linux/arm64,linux/amd64",
            "--provenance",
            "--destination",
            &reference,
        ],
    );
    assert_index_signed(&repo_ref, &reference, &keys);
    assert_platforms_attested(&repo_ref, &reference, &keys);
}

/// One leg of a CI matrix: `platform` pushed by digest, its record left in `records`.
fn matrix_leg(ctx: &Context, keys: Option<&Keys>, platform: &str, repo_ref: &str, records: &Path) {
    let arch = platform.rsplit('/').next().unwrap();
    let record = records.join(format!("{arch}.json"));
    let destination = format!("{repo_ref}:ignored");
    let args = [
        "--custom-platform",
        platform,
        "--destination",
        &destination,
        "--push-by-digest",
        "--metadata-file",
        record.to_str().unwrap(),
    ];
    match keys {
        Some(keys) => {
            let mut args = args.to_vec();
            args.push("--provenance");
            signed_build(ctx, keys, &args)
        }
        None => kaniko_ok(ctx, &args),
    };
}

#[test]
fn a_matrix_signs_its_legs_and_aggregate_signs_the_index() {
    let keys = Keys::generate(PASSWORD);
    let signing = signing_args(&keys);
    let signing: Vec<&str> = signing.iter().map(String::as_str).collect();
    for (signed_legs, content) in [(true, "signed legs\n"), (false, "unsigned legs\n")] {
        let ctx = Context::new("FROM {{INDEX}}\nCOPY app.txt /app.txt\n").file("app.txt", content);
        let repo_ref = format!("{}/{}", host(), unique_repo("signed-matrix"));
        let records = tempfile::tempdir().unwrap();
        for platform in ["linux/amd64", "linux/arm64"] {
            matrix_leg(
                &ctx,
                signed_legs.then_some(&keys),
                platform,
                &repo_ref,
                records.path(),
            );
        }
        let reference = format!("{repo_ref}:v1");
        let mut args = vec![
            "--digests-from",
            records.path().to_str().unwrap(),
            "--destination",
            &reference,
        ];
        args.extend_from_slice(&signing);
        let out = aggregate(&args);
        assert!(out.status.success(), "{}", tools::output_text(&out));
        if signed_legs {
            assert_index_signed(&repo_ref, &reference, &keys);
            assert_platforms_attested(&repo_ref, &reference, &keys);
            continue;
        }
        // The index is signed, the legs are not: verify names both platform manifests.
        let index: Value = serde_json::from_slice(&tools::skopeo_inspect_raw(&reference)).unwrap();
        let err = verify_err(&keys.public(), &reference);
        for entry in index["manifests"].as_array().unwrap() {
            let digest = entry["digest"].as_str().unwrap();
            assert!(err.contains(&format!("{digest} has no signature")), "{err}");
        }
        assert!(
            !err.contains(&format!("{} has no signature", digest_of(&reference))),
            "{err}"
        );
    }
}

#[test]
fn a_wrong_password_fails_before_the_build_and_names_the_key() {
    let keys = Keys::generate(PASSWORD);
    let wrong = keys.dir.path().join("wrong");
    fs_err::write(&wrong, "not the password").unwrap();
    let reference = format!("{}/{}:v1", host(), unique_repo("wrong-password"));
    let ctx = Context::new("FROM {{BASE}}\nRUN echo should-not-run\n");
    let key = keys.private();
    let out = tools::run(
        signing_build(&ctx, tempfile::tempdir().unwrap().path(), &reference, &key)
            .arg("--cosign-key-password-file")
            .arg(&wrong),
    );
    let text = tools::output_text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "key {}: cannot decrypt it with this password",
            key.display()
        )),
        "{text}"
    );
    assert!(!text.contains("should-not-run"), "the build ran: {text}");
    assert!(!text.contains("not the password"), "{text}");
    let (status, _) = bases()
        .registry
        .get(&format!(
            "/v2/{}/manifests/v1",
            reference.split_once('/').unwrap().1.trim_end_matches(":v1")
        ))
        .unwrap();
    assert_eq!(status, 404, "nothing was pushed");
}

/// `kaniko build` of `ctx` to `reference`, signing with `key`; the password flags are the caller's.
fn signing_build(ctx: &Context, kaniko_dir: &Path, reference: &str, key: &Path) -> Command {
    let mut cmd = command(&[]);
    cmd.args(build_args(ctx, kaniko_dir))
        .args(["--destination", reference, "--sign-images", "--cosign-key-path"])
        .arg(key);
    cmd
}

/// Every file under `dir`, gzip layers decompressed, as bytes.
fn contents_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut all = Vec::new();
    for path in tools::files_under(dir) {
        let Ok(bytes) = fs_err::read(&path) else { continue };
        let mut plain = Vec::new();
        let unzipped = bytes.starts_with(&[0x1f, 0x8b])
            && std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain).is_ok();
        all.push((path, if unzipped { plain } else { bytes }));
    }
    all
}

#[test]
fn the_password_and_private_key_appear_in_no_output_debug_file_or_image() {
    let keys = Keys::generate(PASSWORD);
    let pem = fs_err::read_to_string(keys.private()).unwrap();
    // The encrypted key's body, and a line of it, stand for the key in what we search.
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let line = pem.lines().nth(1).unwrap().to_string();
    let secrets = [PASSWORD.to_string(), body, line];

    let kaniko_dir = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let metadata = scratch.path().join("metadata.json");
    let repo_ref = format!("{}/{}", host(), unique_repo("hygiene"));
    let reference = format!("{repo_ref}:v1");
    let ctx = Context::new("FROM {{BASE}}\nRUN env > /env.txt\nCOPY a.txt /a.txt\n").file("a.txt", "a\n");
    let key = keys.private();
    // The password as a flag value (the least careful way) and in the environment of the build.
    let out = tools::run(
        signing_build(&ctx, kaniko_dir.path(), &reference, &key)
            .args([
                "--cosign-key-password",
                PASSWORD,
                "--debug-full",
                "--debug-output-files",
                "--verbosity=trace",
            ])
            .args(["--metadata-file", metadata.to_str().unwrap()])
            .arg("--metrics-file")
            .arg(scratch.path().join("metrics.prom"))
            .arg("--report-file")
            .arg(scratch.path().join("report.json"))
            .env("COSIGN_PASSWORD", PASSWORD),
    );
    let text = tools::output_text(&out);
    assert!(out.status.success(), "{text}");
    verify_ok(&keys.public(), &reference);

    for written in ["metadata.json", "metrics.prom", "report.json"] {
        assert!(scratch.path().join(written).exists(), "{written} was not written");
    }
    let mut searched = vec![(PathBuf::from("output"), text.into_bytes())];
    searched.extend(contents_under(kaniko_dir.path()));
    searched.extend(contents_under(scratch.path()));
    let debug_files = searched
        .iter()
        .filter(|(p, _)| p.starts_with(kaniko_dir.path().join("debug")))
        .count();
    assert!(debug_files > 0, "--debug-output-files wrote nothing to search");
    // The image and its signature image, every blob.
    let digest = digest_of(&reference);
    for (name, image) in [
        ("image", reference.clone()),
        ("signature", format!("{repo_ref}:{}", sig_tag(&digest))),
    ] {
        let layout = scratch.path().join(name);
        tools::skopeo_copy(&image, &format!("oci:{}:x", layout.display()), &[]);
        searched.extend(contents_under(&layout));
    }
    assert!(searched.len() > 5, "{searched:?}");
    for (path, bytes) in &searched {
        let text = String::from_utf8_lossy(bytes);
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{} holds a secret ({} bytes)",
                path.display(),
                secret.len()
            );
        }
    }
}

#[test]
fn a_provenance_records_the_build_and_is_verified_with_the_signature() {
    let keys = Keys::generate(PASSWORD);
    let repo_ref = format!("{}/{}", host(), unique_repo("provenance"));
    let reference = format!("{repo_ref}:v1");
    let ctx = Context::new("FROM {{BASE}} AS app\nARG NOTE\nCOPY a.txt /a.txt\n").file("a.txt", "a\n");
    let kaniko_dir = tempfile::tempdir().unwrap();
    let token = "ghs_not_a_fact_4b1d";
    let out = tools::run(
        signing_build(&ctx, kaniko_dir.path(), &reference, &keys.private())
            .arg("--cosign-key-password-file")
            .arg(keys.password_file())
            .args(["--provenance", "--build-arg", "NOTE=hello", "--target", "app"])
            .envs([
                ("GITHUB_SERVER_URL", "https://github.example"),
                ("GITHUB_REPOSITORY", "team/app"),
                ("GITHUB_RUN_ID", "42"),
                ("GITHUB_SHA", "abc123"),
                ("GITHUB_TOKEN", token),
            ]),
    );
    assert!(out.status.success(), "{}", tools::output_text(&out));
    let digest = digest_of(&reference);
    let verified = verify(&keys.public(), &reference);
    assert!(verified.status.success(), "{}", tools::output_text(&verified));
    let with_provenance = tools::run(
        command(&["verify", "--provenance", "--insecure-registry", &host(), "--key"])
            .arg(keys.public())
            .arg(&reference),
    );
    assert!(
        with_provenance.status.success(),
        "{}",
        tools::output_text(&with_provenance)
    );

    // The attestation image, read without our code: one DSSE layer with cosign's annotation.
    let att: Value = serde_json::from_slice(&tools::skopeo_inspect_raw(&format!(
        "{repo_ref}:{}",
        digest.replace(':', "-") + ".att"
    )))
    .unwrap();
    let layer = &att["layers"][0];
    assert_eq!(layer["mediaType"], "application/vnd.dsse.envelope.v1+json");
    assert_eq!(
        layer["annotations"]["predicateType"],
        "https://slsa.dev/provenance/v1"
    );
    assert_eq!(layer["annotations"]["dev.cosignproject.cosign/signature"], "");
    let repo = repo_ref.split_once('/').unwrap().1;
    let (status, blob) = bases()
        .registry
        .get(&format!("/v2/{repo}/blobs/{}", layer["digest"].as_str().unwrap()))
        .unwrap();
    assert_eq!(status, 200);
    let envelope: Value = serde_json::from_slice(&blob).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let statement = b64.decode(envelope["payload"].as_str().unwrap()).unwrap();
    // DSSE: the key signed the pre-authentication encoding, checked with sigstore's verifier.
    let mut pae = format!("DSSEv1 28 application/vnd.in-toto+json {} ", statement.len()).into_bytes();
    pae.extend_from_slice(&statement);
    let key =
        sigstore::crypto::CosignVerificationKey::try_from_pem(&fs_err::read(keys.public()).unwrap()).unwrap();
    let sig = envelope["signatures"][0]["sig"].as_str().unwrap();
    key.verify_signature(sigstore::crypto::Signature::Base64Encoded(sig.as_bytes()), &pae)
        .expect("the envelope is signed with the build's key");

    let text = String::from_utf8(statement).unwrap();
    assert!(!text.contains(token), "a CI token is in the provenance: {text}");
    let s: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(s["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(s["subject"][0]["name"], repo_ref.as_str());
    assert_eq!(
        format!("sha256:{}", s["subject"][0]["digest"]["sha256"].as_str().unwrap()),
        digest
    );
    let definition = &s["predicate"]["buildDefinition"];
    let parameters = &definition["externalParameters"];
    use sha2::Digest as _;
    let dockerfile = fs_err::read(ctx.dockerfile_path()).unwrap();
    assert_eq!(
        parameters["dockerfile"]["digest"]["sha256"],
        hex::encode(sha2::Sha256::digest(&dockerfile))
    );
    assert_eq!(parameters["buildArgs"]["NOTE"], "hello");
    assert_eq!(parameters["target"], "app");
    assert_eq!(parameters["platform"], "linux/amd64");
    let base = &definition["resolvedDependencies"][0];
    assert_eq!(base["uri"], format!("docker://{}", bases().images.amd64));
    assert_eq!(
        format!("sha256:{}", base["digest"]["sha256"].as_str().unwrap()),
        digest_of(&bases().images.amd64)
    );
    assert_eq!(definition["internalParameters"]["ci"]["GITHUB_SHA"], "abc123");
    let run = &s["predicate"]["runDetails"];
    assert_eq!(
        run["metadata"]["invocationId"],
        "https://github.example/team/app/actions/runs/42"
    );
    assert!(run["builder"]["version"]["kaniko-rs"].is_string());

    // An image signed without a provenance passes `verify` but not `verify --provenance`.
    let plain = format!("{}/{}:v1", host(), unique_repo("no-provenance"));
    signed_build(&ctx, &keys, &["--destination", &plain]);
    verify_ok(&keys.public(), &plain);
    let missing = tools::run(
        command(&["verify", "--provenance", "--insecure-registry", &host(), "--key"])
            .arg(keys.public())
            .arg(&plain),
    );
    let text = tools::output_text(&missing);
    assert!(
        !missing.status.success() && text.contains("has no provenance attestation"),
        "{text}"
    );
}
