// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Acceptance cases for COPY and ADD (issue #2, point 8): each Dockerfile is built by the real
//! binary, pushed to a real registry, read back with `skopeo` and unpacked with `umoci`, and checked
//! against expectations written here. Where docker is available the same context is built with
//! `docker build` (legacy builder) from the same base and compared; where BuildKit and the legacy
//! builder disagree, BuildKit is the reference and the comparison leaves that path out, saying why.

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;

use common::file_server::FileServer;
use common::kaniko::{build_err, build_ok, compare_with_docker, Context, DockerOptions};

#[test]
fn copy_directory_and_trailing_slash_rules_from_scratch() {
    let ctx = Context::new(
        "FROM scratch\n\
         COPY hello.txt /\n\
         COPY hello.txt /renamed.txt\n\
         COPY hello.txt /into/\n\
         COPY tree /tree-contents\n\
         COPY tree/ /tree-slash/\n\
         COPY exec.sh /usr/bin/\n\
         COPY hello.txt exec.sh /multi/\n\
         WORKDIR /work\n\
         COPY hello.txt relative.txt\n\
         COPY hello.txt ./sub/\n",
    )
    .file("hello.txt", "hello\n")
    .file_mode("exec.sh", "#!/bin/sh\necho hi\n", 0o755)
    .file("tree/top.txt", "top\n")
    .dir_mode("tree/private", 0o700)
    .file_mode("tree/private/secret", "s\n", 0o600)
    .symlink("tree/link", "top.txt");
    let built = build_ok(&ctx, "copy-rules", &[]);

    assert_eq!(built.text("/hello.txt"), "hello\n");
    assert_eq!(built.meta("/hello.txt"), "File 0644 0:0");
    assert_eq!(built.text("/renamed.txt"), "hello\n");
    assert_eq!(built.meta("/into"), "Dir 0755 0:0");
    assert_eq!(built.text("/into/hello.txt"), "hello\n");
    // A directory source copies its contents, with or without a trailing slash.
    for dest in ["/tree-contents", "/tree-slash"] {
        assert_eq!(built.text(&format!("{dest}/top.txt")), "top\n");
        assert_eq!(built.meta(&format!("{dest}/private")), "Dir 0700 0:0");
        assert_eq!(built.meta(&format!("{dest}/private/secret")), "File 0600 0:0");
        assert_eq!(built.meta(&format!("{dest}/link")), "Symlink 0777 0:0 -> top.txt");
        assert!(built.snapshot.get(&format!("{dest}/tree")).is_none());
    }
    assert_eq!(built.meta("/usr/bin/exec.sh"), "File 0755 0:0");
    assert_eq!(built.text("/multi/hello.txt"), "hello\n");
    assert_eq!(built.meta("/multi/exec.sh"), "File 0755 0:0");
    assert_eq!(built.text("/work/relative.txt"), "hello\n");
    assert_eq!(built.text("/work/sub/hello.txt"), "hello\n");
    assert_eq!(built.container()["WorkingDir"], "/work");
    // Regression: a scratch stage starts with docker's default PATH in its config.
    assert_eq!(
        built.container()["Env"],
        serde_json::json!(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
    );
    assert_eq!(
        built.config["rootfs"]["diff_ids"].as_array().map(Vec::len),
        Some(10)
    );
    compare_with_docker(&ctx, &built, &DockerOptions::default());
}

#[test]
fn copy_of_several_sources_needs_a_directory_destination() {
    let ctx = Context::new("FROM scratch\nCOPY a.txt b.txt /not-a-dir\n")
        .file("a.txt", "a")
        .file("b.txt", "b");
    let err = build_err(&ctx, &[]);
    assert!(
        err.contains("/not-a-dir") && err.contains("Dockerfile:2"),
        "{err}"
    );
}

#[test]
fn copy_wildcards_match_like_docker() {
    let ctx = Context::new(
        "FROM scratch\n\
         COPY *.txt /txt/\n\
         COPY ?.md /md/\n\
         COPY [ab].txt /ab/\n\
         COPY d* /dirs/\n\
         COPY d*/*.conf /confs/\n",
    )
    .file("a.txt", "a")
    .file("b.txt", "b")
    .file("c.txt", "c")
    .file("x.md", "x")
    .file("long.md", "long")
    .file("d1/one.conf", "1")
    .file("d2/two.conf", "2")
    .file("d2/nested/deep.conf", "deep");
    let built = build_ok(&ctx, "copy-wildcards", &[]);
    let under = |dir: &str| built.paths_under(dir);
    assert_eq!(under("/txt"), ["a.txt", "b.txt", "c.txt"]);
    assert_eq!(under("/md"), ["x.md"]);
    assert_eq!(under("/ab"), ["a.txt", "b.txt"]);
    // Each matched directory contributes its contents, merged.
    assert_eq!(
        under("/dirs"),
        ["nested", "nested/deep.conf", "one.conf", "two.conf"]
    );
    // `*` does not cross a slash.
    assert_eq!(under("/confs"), ["one.conf", "two.conf"]);
    compare_with_docker(&ctx, &built, &DockerOptions::default());
}

#[test]
fn copy_wildcard_without_match_is_an_error() {
    let ctx = Context::new("FROM scratch\nCOPY nothing-*.txt /dst/\n").file("a.txt", "a");
    let err = build_err(&ctx, &[]);
    assert!(err.contains("nothing-*.txt"), "{err}");
}

#[test]
fn copy_chown_resolves_names_and_ids_against_the_stage() {
    let ctx = Context::new(
        "FROM {{BASE}}\n\
         COPY --chown=app f.txt /o/by-user\n\
         COPY --chown=app:staff f.txt /o/by-user-group\n\
         COPY --chown=1000:50 f.txt /o/by-ids\n\
         COPY --chown=4242 f.txt /o/unknown-id\n\
         COPY --chown=root:app f.txt /o/root-app\n\
         COPY --chown=app:staff tree /o/tree/\n",
    )
    .file("f.txt", "f\n")
    .file("tree/a", "a")
    .file("tree/sub/b", "b");
    let built = build_ok(&ctx, "copy-chown", &[]);
    assert_eq!(built.meta("/o/by-user"), "File 0644 1000:1000");
    assert_eq!(built.meta("/o/by-user-group"), "File 0644 1000:50");
    assert_eq!(built.meta("/o/by-ids"), "File 0644 1000:50");
    assert_eq!(built.meta("/o/unknown-id"), "File 0644 4242:4242");
    assert_eq!(built.meta("/o/root-app"), "File 0644 0:1000");
    assert_eq!(built.meta("/o/tree/a"), "File 0644 1000:50");
    assert_eq!(built.meta("/o/tree/sub"), "Dir 0755 1000:50");
    assert_eq!(built.meta("/o/tree/sub/b"), "File 0644 1000:50");
    compare_with_docker(&ctx, &built, &DockerOptions::default());
}

#[test]
fn copy_chown_to_an_unknown_name_fails_naming_it() {
    let ctx = Context::new("FROM {{BASE}}\nCOPY --chown=nosuchuser f.txt /f\n").file("f.txt", "f");
    let err = build_err(&ctx, &[]);
    assert!(err.contains("nosuchuser") && err.contains("/etc/passwd"), "{err}");
    let ctx = Context::new("FROM {{BASE}}\nCOPY --chown=app:nosuchgroup f.txt /f\n").file("f.txt", "f");
    let err = build_err(&ctx, &[]);
    assert!(err.contains("nosuchgroup") && err.contains("/etc/group"), "{err}");
}

/// `--chmod`, `--link` and `--exclude` are BuildKit-only: the legacy builder rejects them, so there
/// is no docker comparison; the expectations follow the Dockerfile reference.
#[test]
fn copy_chmod_link_and_exclude() {
    let ctx = Context::new(
        "FROM {{BASE}}\n\
         COPY --chmod=0750 run.sh /opt/bin/\n\
         COPY --chmod=600 tree /opt/tree/\n\
         COPY --link hello.txt /opt/linked/\n\
         COPY --link --chown=app tree /opt/linked-tree/\n\
         COPY --exclude=*.log --exclude=cache logs/ /opt/logs/\n",
    )
    .file_mode("run.sh", "#!/bin/sh\n", 0o644)
    .file("hello.txt", "hello\n")
    .file("tree/a.txt", "a")
    .file("tree/sub/b.txt", "b")
    .file("logs/keep.txt", "keep")
    .file("logs/drop.log", "drop")
    .file("logs/sub/drop.log", "drop")
    .file("logs/sub/keep.txt", "keep")
    .file("logs/cache/x", "x");
    let built = build_ok(&ctx, "copy-chmod-link-exclude", &[]);
    assert_eq!(built.meta("/opt/bin/run.sh"), "File 0750 0:0");
    assert_eq!(built.meta("/opt/tree/a.txt"), "File 0600 0:0");
    assert_eq!(built.meta("/opt/tree/sub/b.txt"), "File 0600 0:0");
    assert_eq!(built.text("/opt/linked/hello.txt"), "hello\n");
    assert_eq!(built.meta("/opt/linked-tree/sub/b.txt"), "File 0644 1000:1000");
    let logs: Vec<_> = built
        .snapshot
        .entries
        .keys()
        .filter_map(|p| p.strip_prefix("/opt/logs/"))
        .collect();
    // `*.log` matches at any depth only through `**`; docker's --exclude uses .dockerignore
    // patterns relative to the source, so `*.log` drops the top-level one alone.
    assert_eq!(logs, ["keep.txt", "sub", "sub/drop.log", "sub/keep.txt"]);
    let layers = built.manifest["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 6);
    // A --link layer holds what it copies and the parents it needs, independent of the base.
    assert_eq!(
        layer_entries(&built, 3),
        ["opt/", "opt/linked/", "opt/linked/hello.txt"]
    );
}

/// Paths in layer `index` of a pushed image, fetched from the registry.
fn layer_entries(built: &common::kaniko::Built, index: usize) -> Vec<String> {
    let blob = common::layers::pushed_blob(built, index);
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(blob.as_slice()));
    archive
        .entries()
        .expect("layer tar")
        .map(|e| {
            e.expect("layer entry")
                .path()
                .expect("path")
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn copy_destinations_resolve_symlinks_of_the_base_filesystem() {
    let ctx = Context::new(
        "FROM {{BASE}}\n\
         COPY f.txt /var/run/in-run.txt\n\
         COPY f.txt /var/run/sub/\n\
         COPY link.txt /followed.txt\n\
         COPY tree /kept/\n\
         WORKDIR /home/app\n\
         COPY f.txt relative.txt\n",
    )
    .file("f.txt", "f\n")
    .symlink("link.txt", "f.txt")
    .file("tree/target", "t")
    .symlink("tree/link", "target")
    .symlink("tree/abs", "/etc/passwd");
    let built = build_ok(&ctx, "copy-symlink-dest", &[]);
    assert_eq!(built.meta("/var/run"), "Symlink 0777 0:0 -> /run");
    assert_eq!(built.text("/run/in-run.txt"), "f\n");
    assert_eq!(built.text("/run/sub/f.txt"), "f\n");
    // A named source that is a symlink is followed; links inside a copied directory are kept.
    assert_eq!(built.meta("/followed.txt"), "File 0644 0:0");
    assert_eq!(built.meta("/kept/link"), "Symlink 0777 0:0 -> target");
    assert_eq!(built.meta("/kept/abs"), "Symlink 0777 0:0 -> /etc/passwd");
    assert_eq!(built.text("/home/app/relative.txt"), "f\n");
    compare_with_docker(&ctx, &built, &DockerOptions::default());
}

#[test]
fn copy_from_stages_and_images() {
    let ctx = Context::new(
        "FROM {{BASE}} AS builder\n\
         COPY --chown=app:staff hello.txt /out/hello.txt\n\
         FROM scratch AS other\n\
         COPY world.txt /w.txt\n\
         FROM scratch\n\
         COPY --from=builder /out/ /from-builder/\n\
         COPY --from=1 /w.txt /from-index.txt\n\
         COPY --from={{BASE}} /etc/passwd /from-image/passwd\n\
         COPY --from=builder /bin/sh /sh\n\
         COPY --from=builder --chown=4:5 /out/hello.txt /rechowned.txt\n",
    )
    .file("hello.txt", "hello\n")
    .file("world.txt", "world\n");
    let built = build_ok(&ctx, "copy-from", &[]);
    // BuildKit keeps the source's ownership for COPY --from.
    assert_eq!(built.meta("/from-builder/hello.txt"), "File 0644 1000:50");
    assert_eq!(built.text("/from-index.txt"), "world\n");
    assert_eq!(built.text("/from-image/passwd"), common::images::PASSWD);
    // /bin/sh is a symlink to busybox in the source: the named source is followed.
    let sh = built.snapshot.entry("/sh");
    assert_eq!((sh.kind, sh.mode), (common::tools::EntryKind::File, 0o755));
    assert!(sh.size > 500_000, "{sh}");
    assert_eq!(built.meta("/rechowned.txt"), "File 0644 4:5");
    assert_eq!(
        built.config["rootfs"]["diff_ids"].as_array().map(Vec::len),
        Some(5)
    );
    compare_with_docker(
        &ctx,
        &built,
        &DockerOptions {
            // The legacy builder resets COPY --from files to root:root; BuildKit (our reference)
            // keeps the source stage's owner.
            ignore_paths: &["/from-builder"],
            ..DockerOptions::default()
        },
    );
}

/// An archive with a directory, an executable owned by 1234:5678, a symlink and a private file.
fn sample_tar() -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str, kind: tar::EntryType, mode: u32, data: &[u8], link: Option<&str>| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_uid(1234);
        h.set_gid(5678);
        h.set_mtime(1_600_000_000);
        h.set_size(data.len() as u64);
        match link {
            Some(target) => builder.append_link(&mut h, path, target),
            None => builder.append_data(&mut h, path, data),
        }
        .expect("append to sample tar");
    };
    add("pkg/", tar::EntryType::Directory, 0o755, b"", None);
    add("pkg/tool", tar::EntryType::Regular, 0o755, b"#!/bin/sh\n", None);
    add(
        "pkg/private.txt",
        tar::EntryType::Regular,
        0o640,
        b"private\n",
        None,
    );
    add("pkg/link", tar::EntryType::Symlink, 0o777, b"", Some("tool"));
    builder.into_inner().expect("finish sample tar")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn check_extracted(built: &common::kaniko::Built, dir: &str) {
    assert_eq!(built.meta(&format!("{dir}/pkg")), "Dir 0755 1234:5678");
    assert_eq!(built.meta(&format!("{dir}/pkg/tool")), "File 0755 1234:5678");
    assert_eq!(built.text(&format!("{dir}/pkg/tool")), "#!/bin/sh\n");
    assert_eq!(
        built.meta(&format!("{dir}/pkg/private.txt")),
        "File 0640 1234:5678"
    );
    assert_eq!(
        built.meta(&format!("{dir}/pkg/link")),
        "Symlink 0777 1234:5678 -> tool"
    );
}

#[test]
fn add_extracts_local_gzip_bzip2_xz_and_plain_tars() {
    let tar = sample_tar();
    let ctx = Context::new(
        "FROM scratch\n\
         ADD a.tar.gz /gz/\n\
         ADD a.tar.bz2 /bz2/\n\
         ADD a.tar.xz /xz/\n\
         ADD a.tar /plain/\n\
         ADD a.tgz-renamed /by-content/\n\
         COPY a.tar.gz /copied/\n\
         ADD not-a-tar.gz /gzip-file/\n",
    )
    .file("a.tar.gz", gzip(&tar))
    .file("a.tar.bz2", bzip2(&tar))
    .file("a.tar.xz", xz(&tar))
    .file("a.tar", &tar)
    .file("a.tgz-renamed", gzip(&tar))
    .file("not-a-tar.gz", gzip(b"just text\n"));
    let built = build_ok(&ctx, "add-archives", &[]);
    for dir in ["/gz", "/bz2", "/xz", "/plain", "/by-content"] {
        check_extracted(&built, dir);
    }
    // COPY never extracts; ADD of a compressed non-tar copies it as it is.
    assert_eq!(built.file("/copied/a.tar.gz"), gzip(&tar));
    assert_eq!(built.file("/gzip-file/not-a-tar.gz"), gzip(b"just text\n"));
    compare_with_docker(&ctx, &built, &DockerOptions::default());
}

/// zstd archives are extracted by BuildKit's ADD; the 20.10 legacy builder copies them as files,
/// so there is no docker comparison.
#[test]
fn add_extracts_a_zstd_tar() {
    let tar = sample_tar();
    let zst = zstd::encode_all(tar.as_slice(), 3).unwrap();
    let ctx = Context::new("FROM scratch\nADD a.tar.zst /zst/\nADD --unpack=false a.tar.zst /kept/\n")
        .file("a.tar.zst", &zst);
    let built = build_ok(&ctx, "add-zstd", &[]);
    check_extracted(&built, "/zst");
    assert_eq!(built.file("/kept/a.tar.zst"), zst);
}

#[test]
fn add_url_with_checksum_downloads_with_mode_0600() {
    use sha2::Digest as _;
    let data = b"downloaded payload\n".to_vec();
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&data)));
    let server = FileServer::start(BTreeMap::from([
        ("/files/data.bin".to_owned(), data.clone()),
        ("/files/archive.tar.gz".to_owned(), gzip(&sample_tar())),
    ]));
    let url = server.url();
    let body = |checksum: &str| {
        format!(
            "FROM scratch\n\
             ADD {checksum}{url}/files/data.bin /downloads/\n\
             ADD {url}/files/data.bin /downloads/renamed.bin\n\
             ADD {url}/files/archive.tar.gz /downloads/\n"
        )
    };
    let ctx = Context::new(&body(&format!("--checksum={digest} ")));
    let built = build_ok(&ctx, "add-url", &[]);
    assert_eq!(built.file("/downloads/data.bin"), data);
    assert_eq!(built.meta("/downloads/data.bin"), "File 0600 0:0");
    assert_eq!(built.file("/downloads/renamed.bin"), data);
    // Remote archives are not extracted.
    assert_eq!(built.meta("/downloads/archive.tar.gz"), "File 0600 0:0");
    assert!(server.hits() >= 3, "{} requests", server.hits());

    // The legacy builder has no --checksum: compare the same download without it.
    let plain = Context::new(&body(""));
    let built = build_ok(&plain, "add-url-plain", &[]);
    compare_with_docker(&plain, &built, &DockerOptions::default());

    let wrong = Context::new(&format!(
        "FROM scratch\nADD --checksum=sha256:{} {url}/files/data.bin /d\n",
        "0".repeat(64)
    ));
    let err = build_err(&wrong, &[]);
    assert!(err.contains(&digest[7..]) || err.contains("checksum"), "{err}");
}

#[test]
fn dockerignore_excludes_and_reincludes() {
    let ctx = Context::new("FROM scratch\nCOPY . /app/\n")
        .file(".dockerignore", "*.log\n!keep.log\nsecret/\n**/*.tmp\n")
        .file("main.txt", "main")
        .file("debug.log", "x")
        .file("keep.log", "keep")
        .file("secret/key", "k")
        .file("a/b/c.tmp", "t")
        .file("a/b/c.txt", "c");
    let built = build_ok(&ctx, "dockerignore", &[]);
    let app: Vec<_> = built
        .snapshot
        .entries
        .keys()
        .filter_map(|p| p.strip_prefix("/app/"))
        .collect();
    assert_eq!(
        app,
        [".dockerignore", "a", "a/b", "a/b/c.txt", "keep.log", "main.txt"]
    );
    let err = build_err(
        &Context::new("FROM scratch\nCOPY secret/key /k\n")
            .file(".dockerignore", "secret\n")
            .file("secret/key", "k"),
        &[],
    );
    assert!(err.contains("secret/key"), "{err}");
    compare_with_docker(
        &ctx,
        &built,
        &DockerOptions {
            // With a Dockerfile outside the context the docker CLI appends the Dockerfile's
            // temporary name to the .dockerignore it sends, so that one file's content differs.
            ignore_paths: &["/app/.dockerignore"],
            ..DockerOptions::default()
        },
    );
}

/// Regression: `COPY --from=<name>` naming a later stage was taken as an image reference; BuildKit
/// resolves any stage name (the plan builds it first).
#[test]
fn copy_from_a_later_stage_by_name() {
    let ctx = Context::new(
        "FROM scratch AS final\n\
         COPY --from=producer /made.txt /made.txt\n\
         FROM scratch AS producer\n\
         COPY made.txt /made.txt\n",
    )
    .file("made.txt", "made later\n");
    let built = build_ok(&ctx, "copy-from-later", &["--target", "final"]);
    assert_eq!(built.text("/made.txt"), "made later\n");
}
