// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko cache prune` with the real binary: against a real docker-registry (dry run, then
//! `--yes`; a registry with deletes disabled) and on an OCI layout, checked with skopeo, umoci, the
//! registry's tag list and the blob files.
//!
//! Cache entries are made with the crate's own entry format (`kaniko::cache::entry`) and pushed
//! with its registry client, or written into a layout by hand: they only feed the command under
//! test, whose results are read back independently.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::proxy::{response, Proxy, Then};
use common::registry::Registry;
use common::registry_client::{fast_options, test_image, TestImage};
use common::tools::{output_text, run_ok, skopeo_exists};
use kaniko::cache::entry::{self, EntryConfig, EntryLayer, CONFIG_MEDIA_TYPE};
use kaniko::cache::key::{KeyParts, SCHEMA};
use kaniko::cache::CacheKey;
use kaniko::image::media_type::{OCI_LAYER_GZIP, OCI_MANIFEST};
use kaniko::image::{Descriptor, Digest};
use kaniko::registry::{BlobSource, Keychain, Reference, RegistryClient};

const DAY: u64 = 86_400;

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A cache entry as a build would store it: its key, tag, config and manifest bytes, and layer.
struct TestEntry {
    key: CacheKey,
    config: Vec<u8>,
    layer: Option<Vec<u8>>,
    manifest: Vec<u8>,
}

impl TestEntry {
    /// The entry of `RUN <command>` created at `created`, with `layer` as its layer blob.
    fn new(command: &str, created: u64, layer: Option<&[u8]>) -> TestEntry {
        let parts = KeyParts::new("RUN").part("command", command);
        let key = parts.finish(None);
        let cfg = EntryConfig {
            schema: SCHEMA,
            key: key.clone(),
            parent: None,
            parts: parts.digests(None),
            created,
            created_by: format!("RUN {command}"),
        };
        let config = entry::config_bytes(&cfg);
        let config_blob = Descriptor::new(CONFIG_MEDIA_TYPE, Digest::of(&config), config.len() as u64);
        let layer_desc = layer.map(|l| EntryLayer {
            descriptor: Descriptor::new(OCI_LAYER_GZIP, Digest::of(l), l.len() as u64),
            diff_id: Digest::of(command.as_bytes()),
        });
        let manifest = entry::manifest_bytes(&cfg, &config_blob, layer_desc.as_ref());
        TestEntry {
            key,
            config,
            layer: layer.map(<[u8]>::to_vec),
            manifest,
        }
    }

    fn tag(&self) -> String {
        entry::tag(&self.key)
    }

    fn digest(&self) -> Digest {
        Digest::of(&self.manifest)
    }

    fn config_digest(&self) -> Digest {
        Digest::of(&self.config)
    }

    fn layer_digest(&self) -> Digest {
        Digest::of(self.layer.as_deref().expect("entry has a layer"))
    }

    /// Pushes the blobs and the manifest under each of `tags`.
    async fn push(&self, client: &RegistryClient, repo: &str, tags: &[String]) {
        let r = Reference::parse(&format!("{repo}:{}", tags[0])).unwrap();
        if let Some(l) = &self.layer {
            client
                .push_blob(&r, &Digest::of(l), BlobSource::Bytes(l), None)
                .await
                .unwrap();
        }
        client
            .push_blob(&r, &self.config_digest(), BlobSource::Bytes(&self.config), None)
            .await
            .unwrap();
        for tag in tags {
            client
                .put_manifest(&r.with_tag(tag).unwrap(), &self.manifest, OCI_MANIFEST)
                .await
                .unwrap();
        }
    }
}

async fn push_image(client: &RegistryClient, repo: &str, tag: &str, img: &TestImage) {
    let r = Reference::parse(&format!("{repo}:{tag}")).unwrap();
    client
        .push_blob(&r, &img.layer_digest, BlobSource::File(&img.layer_path), None)
        .await
        .unwrap();
    client
        .push_blob(&r, &img.config_digest, BlobSource::Bytes(&img.config), None)
        .await
        .unwrap();
    client
        .put_manifest(&r, &img.manifest, OCI_MANIFEST)
        .await
        .unwrap();
}

fn client() -> RegistryClient {
    RegistryClient::new(&fast_options(), Keychain::anonymous()).unwrap()
}

/// `kaniko cache prune --cache-repo REPO ARGS…`, whatever the outcome.
fn prune(repo: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.args(["cache", "prune", "--cache-repo", repo, "--log-format", "text"])
        .args(args)
        .env_remove("KANIKO_DIR");
    common::tools::run(&mut cmd)
}

fn prune_ok(repo: &str, args: &[&str]) -> String {
    let out = prune(repo, args);
    assert!(
        out.status.success(),
        "kaniko cache prune failed with {}:\n{}",
        out.status,
        output_text(&out)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The repository's tags as the registry lists them, sorted.
fn registry_tags(reg: &Registry, repository: &str) -> Vec<String> {
    let (status, body) = reg.get(&format!("/v2/{repository}/tags/list")).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut tags: Vec<String> = doc["tags"]
        .as_array()
        .map(|a| a.iter().map(|t| t.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    tags.sort();
    tags
}

/// Fails naming the first of `needles` that `text` lacks.
fn assert_mentions(text: &str, needles: &[String]) {
    for needle in needles {
        assert!(
            text.contains(needle.as_str()),
            "{needle:?} not in the output:\n{text}"
        );
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// What a repository holds for the registry tests: two expired entries (one also under an
/// `after-` tag), a recent one (also under an `after-` tag), a manifest under our prefix with no
/// creation time, a user's image and a kaniko (bare-hex) tag.
struct Seeded {
    old: TestEntry,
    old_after: String,
    older: TestEntry,
    recent: TestEntry,
    recent_after: String,
    undated_tag: String,
    untouched: Vec<String>,
}

async fn seed_registry(repo: &str, work: &Path) -> Seeded {
    let c = client();
    let now = now();
    let old = TestEntry::new("old", now - 20 * DAY, Some(b"old layer"));
    let older = TestEntry::new("older", now - 40 * DAY, None);
    let recent = TestEntry::new("recent", now - 3600, Some(b"recent layer"));
    let old_after = entry::after_tag(&older.key);
    let recent_after = entry::after_tag(&old.key);
    old.push(&c, repo, &[old.tag(), old_after.clone()]).await;
    older.push(&c, repo, &[older.tag()]).await;
    recent.push(&c, repo, &[recent.tag(), recent_after.clone()]).await;
    // An image manifest under our prefix without the creation annotation: its age is unknown.
    let undated_tag = format!("{}{}", entry::TAG_PREFIX, "f".repeat(64));
    push_image(&c, repo, &undated_tag, &test_image(work, "linux", "amd64", 1, 64)).await;
    let kaniko_tag = "a".repeat(64);
    push_image(&c, repo, "v1", &test_image(work, "linux", "amd64", 2, 64)).await;
    push_image(&c, repo, &kaniko_tag, &test_image(work, "linux", "amd64", 3, 64)).await;
    Seeded {
        untouched: sorted(vec![
            recent.tag(),
            recent_after.clone(),
            undated_tag.clone(),
            "v1".into(),
            kaniko_tag,
        ]),
        old,
        old_after,
        older,
        recent,
        recent_after,
        undated_tag,
    }
}

#[tokio::test]
async fn registry_dry_run_lists_and_yes_deletes_exactly_the_expired_entries() {
    let reg = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let repository = "team/app/cache";
    let repo = format!("{}/{repository}", reg.host());
    let s = seed_registry(&repo, work.path()).await;
    let expired_tags = sorted(vec![s.old.tag(), s.old_after.clone(), s.older.tag()]);
    let everything = sorted([expired_tags.clone(), s.untouched.clone()].concat());
    assert_eq!(registry_tags(&reg, repository), everything);

    let dry = prune_ok(&repo, &[]);
    assert_eq!(
        registry_tags(&reg, repository),
        everything,
        "a dry run deleted something:\n{dry}"
    );
    for tag in &everything {
        assert!(
            skopeo_exists(&format!("{repo}:{tag}")),
            "{tag} gone after a dry run"
        );
    }
    assert_mentions(
        &dry,
        &[
            "would delete".to_string(),
            s.old.digest().to_string(),
            s.older.digest().to_string(),
            s.old_after.clone(),
            format!("skipped       {}", s.undated_tag),
            "Would delete 2 entries (3 tags".into(),
            "1 younger kept; 1 skipped".into(),
            "2 other tags left alone".into(),
            "--yes".into(),
        ],
    );
    assert!(!dry.contains(&s.recent.digest().to_string()), "{dry}");

    let done = prune_ok(&repo, &["--cache-ttl", "336h", "--yes"]);
    assert!(done.contains("Deleted 2 entries"), "{done}");
    assert!(done.contains("garbage-collect"), "{done}");
    assert_eq!(registry_tags(&reg, repository), s.untouched, "{done}");
    for tag in &expired_tags {
        assert!(!skopeo_exists(&format!("{repo}:{tag}")), "{tag} still resolves");
    }
    for digest in [s.old.digest(), s.older.digest()] {
        assert!(
            !skopeo_exists(&format!("{repo}@{digest}")),
            "{digest} still resolves"
        );
    }
    for tag in &s.untouched {
        assert!(skopeo_exists(&format!("{repo}:{tag}")), "{tag} was deleted");
    }
    assert!(skopeo_exists(&format!("{repo}:{}", s.recent_after)));

    // Nothing left to delete: a second run succeeds and changes nothing.
    let again = prune_ok(&repo, &["--yes"]);
    assert!(again.contains("Deleted 0 entries"), "{again}");
    assert_eq!(registry_tags(&reg, repository), s.untouched);

    // A shorter TTL reaches the recent entry too.
    let short = prune_ok(&repo, &["--cache-ttl", "30m", "--yes"]);
    assert!(short.contains(&s.recent.digest().to_string()), "{short}");
    assert_eq!(
        registry_tags(&reg, repository),
        sorted(vec![s.undated_tag.clone(), "v1".into(), "a".repeat(64)])
    );
}

/// A `200 OK` tag-list page, with a `Link` to the next one when there is one.
fn tag_page(tags: &[&str], next: Option<&str>) -> String {
    let body = serde_json::json!({"name": "paged", "tags": tags}).to_string();
    let link = next
        .map(|n| format!("Link: <{n}>; rel=\"next\"\r\n"))
        .unwrap_or_default();
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{link}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// docker-registry 2.8 sends every tag at once, so the pages come from a scripted stand-in: the
/// client must follow the `Link`s until a page has none (and ask for nothing more).
#[tokio::test]
async fn tag_listing_follows_link_pages() {
    let canned = vec![
        response("200 OK", &[]), // the client's `GET /v2/`
        tag_page(&["a", "b"], Some("/v2/paged/tags/list?last=b&n=2")),
        tag_page(&["c", "d"], Some("/v2/paged/tags/list?last=d&n=2")),
        tag_page(&["e"], None),
    ];
    let proxy = Proxy::start(canned, Then::Always(response("500 Internal Server Error", &[]))).await;
    let c = client();
    let listed = c
        .list_tags(&Reference::parse(&format!("{}/paged", proxy.host())).unwrap(), 2)
        .await
        .unwrap();
    assert_eq!(listed, ["a", "b", "c", "d", "e"]);
    assert_eq!(proxy.requests(), 4);
}

#[tokio::test]
async fn an_unknown_repository_has_no_tags() {
    let reg = Registry::start();
    let none = client()
        .list_tags(&Reference::parse(&format!("{}/never", reg.host())).unwrap(), 2)
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_registry_refusing_deletes_fails_with_a_clear_message_and_deletes_nothing() {
    let reg = Registry::start_without_deletes();
    let repository = "app/cache";
    let repo = format!("{}/{repository}", reg.host());
    let old = TestEntry::new("old", now() - 30 * DAY, Some(b"layer"));
    old.push(&client(), &repo, &[old.tag()]).await;

    let dry = prune_ok(&repo, &[]);
    assert!(dry.contains(&old.digest().to_string()), "{dry}");

    let out = prune(&repo, &["--yes"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("deletes are disabled there"), "{text}");
    assert!(text.contains("nothing was deleted"), "{text}");
    assert!(text.contains(&reg.host()), "{text}");
    assert!(skopeo_exists(&format!("{repo}:{}", old.tag())));
    assert_eq!(registry_tags(&reg, repository), [old.tag()]);
}

/// An OCI layout written by hand the way the cache store writes one: blobs under
/// `blobs/sha256/`, `index.json` listing each tag with `org.opencontainers.image.ref.name`.
struct Layout {
    dir: PathBuf,
    index: Vec<serde_json::Value>,
}

impl Layout {
    fn new(dir: PathBuf) -> Layout {
        fs_err::create_dir_all(dir.join("blobs/sha256")).unwrap();
        fs_err::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        Layout {
            dir,
            index: Vec::new(),
        }
    }

    fn blob(&self, digest: &Digest) -> PathBuf {
        self.dir.join("blobs/sha256").join(digest.hex())
    }

    fn put_blob(&self, bytes: &[u8]) -> Digest {
        let digest = Digest::of(bytes);
        fs_err::write(self.blob(&digest), bytes).unwrap();
        digest
    }

    fn tag(&mut self, tag: &str, manifest: &[u8]) {
        let digest = self.put_blob(manifest);
        self.index.push(serde_json::json!({
            "mediaType": OCI_MANIFEST,
            "digest": digest.to_string(),
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }));
        let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": self.index});
        fs_err::write(self.dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    }

    fn put_entry(&mut self, e: &TestEntry, tags: &[String]) {
        if let Some(l) = &e.layer {
            self.put_blob(l);
        }
        self.put_blob(&e.config);
        for t in tags {
            self.tag(t, &e.manifest);
        }
    }

    fn put_image(&mut self, tag: &str, img: &TestImage) {
        self.put_blob(&fs_err::read(&img.layer_path).unwrap());
        self.put_blob(&img.config);
        self.tag(tag, &img.manifest);
    }

    /// The tags `umoci ls` reads from the layout, sorted.
    fn umoci_tags(&self) -> Vec<String> {
        let out = run_ok(Command::new("umoci").arg("ls").arg("--layout").arg(&self.dir));
        sorted(
            String::from_utf8(out)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect(),
        )
    }

    fn skopeo_ref(&self, tag: &str) -> String {
        format!("oci:{}:{tag}", self.dir.display())
    }
}

#[test]
fn layout_dry_run_lists_and_yes_drops_expired_entries_and_their_unshared_blobs() {
    let work = tempfile::tempdir().unwrap();
    let mut layout = Layout::new(work.path().join("cache"));
    let now = now();
    // `old` and `recent` share a layer blob: it must stay for `recent`.
    let shared: &[u8] = b"shared layer";
    let old = TestEntry::new("old", now - 20 * DAY, Some(b"old-only layer"));
    let old_shared = TestEntry::new("old shared", now - 30 * DAY, Some(shared));
    let recent = TestEntry::new("recent", now - 60, Some(shared));
    layout.put_entry(&old, &[old.tag(), entry::after_tag(&recent.key)]);
    layout.put_entry(&old_shared, &[old_shared.tag()]);
    layout.put_entry(&recent, &[recent.tag()]);
    let user = test_image(work.path(), "linux", "amd64", 4, 64);
    layout.put_image("app-1.0", &user);
    layout.put_image(&"b".repeat(64), &test_image(work.path(), "linux", "amd64", 5, 64));
    // Orphans: one from an interrupted write long ago, one a build may be about to list.
    let stale_orphan = layout.put_blob(b"stale orphan");
    fs_err::File::options()
        .write(true)
        .open(layout.blob(&stale_orphan))
        .unwrap()
        .file()
        .set_modified(SystemTime::now() - Duration::from_secs(2 * 3600))
        .unwrap();
    let fresh_orphan = layout.put_blob(b"fresh orphan");

    let repo = format!("oci:{}", layout.dir.display());
    let index_before = fs_err::read(layout.dir.join("index.json")).unwrap();
    let tags_before = layout.umoci_tags();
    assert_eq!(tags_before.len(), 6);

    let dry = prune_ok(&repo, &[]);
    assert_eq!(
        fs_err::read(layout.dir.join("index.json")).unwrap(),
        index_before,
        "{dry}"
    );
    assert_mentions(
        &dry,
        &[
            old.digest().to_string(),
            old_shared.digest().to_string(),
            "Would delete 2 entries (3 tags".into(),
            "Would remove 6 blobs".into(),
            "--yes".into(),
        ],
    );
    assert!(layout.blob(&old.digest()).exists());

    let done = prune_ok(&repo, &["--yes"]);
    assert!(done.contains("Deleted 2 entries"), "{done}");
    assert!(done.contains("Removed 6 blobs"), "{done}");
    assert_eq!(
        layout.umoci_tags(),
        sorted(vec![recent.tag(), "app-1.0".into(), "b".repeat(64)]),
        "{done}"
    );
    // Gone: the expired manifests, their configs, the layer only `old` used, the stale orphan.
    for gone in [
        old.digest(),
        old.config_digest(),
        old.layer_digest(),
        old_shared.digest(),
        old_shared.config_digest(),
        stale_orphan,
    ] {
        assert!(!layout.blob(&gone).exists(), "{gone} still in the layout\n{done}");
    }
    // Kept: the recent entry and its layer (shared with an expired one), the user's image, the
    // fresh orphan, and the layout's own files.
    for kept in [
        recent.digest(),
        recent.config_digest(),
        recent.layer_digest(),
        user.config_digest.clone(),
        user.layer_digest.clone(),
        fresh_orphan,
    ] {
        assert!(layout.blob(&kept).exists(), "{kept} was removed\n{done}");
    }
    assert!(layout.dir.join("oci-layout").exists() && layout.dir.join("index.json").exists());
    let raw = run_ok(Command::new("skopeo").args(["inspect", "--raw", &layout.skopeo_ref(&recent.tag())]));
    assert_eq!(raw, recent.manifest);
    let user_raw = run_ok(Command::new("skopeo").args(["inspect", "--raw", &layout.skopeo_ref("app-1.0")]));
    assert_eq!(user_raw, user.manifest);
    let gone =
        common::tools::run(Command::new("skopeo").args(["inspect", "--raw", &layout.skopeo_ref(&old.tag())]));
    assert!(!gone.status.success(), "{}", output_text(&gone));
}

#[test]
fn a_missing_layout_or_a_bad_flag_fails_with_a_clear_message() {
    let work = tempfile::tempdir().unwrap();
    let missing = format!("oci:{}", work.path().join("nope").display());
    let out = prune(&missing, &["--yes"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("is not an OCI image layout"), "{text}");

    let out = prune("127.0.0.1:5000/app:tag", &[]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("invalid --cache-repo"), "{text}");

    let out = prune(&missing, &["--cache-ttl", "a fortnight"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("invalid --cache-ttl"), "{text}");
}

/// Builds add their entries to a layout under `index.json.lock`: a prune waits for it before it
/// reads and rewrites the index.
#[test]
fn layout_prune_waits_for_the_lock_builds_hold() {
    let work = tempfile::tempdir().unwrap();
    let mut layout = Layout::new(work.path().join("cache"));
    let old = TestEntry::new("old", now() - 20 * DAY, Some(b"layer"));
    layout.put_entry(&old, &[old.tag()]);
    let index_path = layout.dir.join("index.json");
    let before = fs_err::read(&index_path).unwrap();

    let lock = std::fs::File::create(layout.dir.join("index.json.lock")).unwrap();
    lock.lock().unwrap();
    let repo = format!("oci:{}", layout.dir.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_kaniko"))
        .args([
            "cache",
            "prune",
            "--cache-repo",
            &repo,
            "--yes",
            "--log-format",
            "text",
        ])
        .env_remove("KANIKO_DIR")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "prune finished while a build held the lock"
    );
    assert_eq!(fs_err::read(&index_path).unwrap(), before);
    drop(lock);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(layout.umoci_tags().is_empty());
    assert!(!layout.blob(&old.digest()).exists());
}
