// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Every example under `examples/` is published for linux/amd64 and linux/arm64 from this amd64
//! machine, with no emulation, twice: by `kaniko local` as an annotated OCI index, and by a simulated
//! CI matrix (one `kaniko build --custom-platform … --metadata-file` per platform, then
//! `kaniko aggregate --legacy-manifest-list`) as a Docker manifest list. Both are read back with
//! skopeo; the OCI index is validated against the image-spec schema; where Docker runs, the index is
//! pulled for each platform and the amd64 image is run.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::kaniko::{bases, unique_repo, Built};
use common::oci_schema::Schemas;
use common::tools;
use serde_json::Value;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const PLATFORMS: [&str; 2] = ["linux/amd64", "linux/arm64"];

/// One example's context and the build arguments that point its bases at the test registry.
struct Example {
    name: &'static str,
    dir: PathBuf,
    base_args: &'static [&'static str],
    /// Holds a prepared copy of the context, when the example needs files made first.
    _prepared: Option<tempfile::TempDir>,
}

impl Example {
    fn checked_in(name: &'static str, base_args: &'static [&'static str]) -> Example {
        Example {
            name,
            dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name),
            base_args,
            _prepared: None,
        }
    }

    /// examples/hello copies a prebuilt static program per architecture (`hello-$TARGETARCH`):
    /// compiled here, into a copy of the context, with the host's gcc and Debian's aarch64 cross
    /// compiler (both installed by hack/setup.sh), as a release pipeline would before the build.
    fn hello() -> Example {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello");
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("hello");
        tools::run_ok(Command::new("cp").arg("-a").arg(&src).arg(&dir));
        for (compiler, arch) in [("gcc", "amd64"), ("aarch64-linux-gnu-gcc", "arm64")] {
            tools::run_ok(
                Command::new(compiler)
                    .args(["-static", "-Os", "-o"])
                    .arg(dir.join(format!("hello-{arch}")))
                    .arg(dir.join("hello.c")),
            );
        }
        Example {
            name: "hello",
            dir,
            base_args: &[],
            _prepared: Some(tmp),
        }
    }

    fn command(&self, subcommand: &str, kaniko_dir: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
        cmd.arg(subcommand)
            .arg("--context")
            .arg(&self.dir)
            .args(["--insecure-registry", &bases().registry.host()])
            .arg("--kaniko-dir")
            .arg(kaniko_dir)
            .args(["--log-format", "text"])
            .env_remove("KANIKO_DIR");
        for arg in self.base_args {
            cmd.args(["--build-arg", &format!("{arg}={}", bases().images.index)]);
        }
        cmd
    }

    /// `kaniko local` for both platforms, with index annotations; returns the repository.
    fn publish_local(&self) -> String {
        let repo = format!("{}/{}", bases().registry.host(), unique_repo(self.name));
        let kaniko_dir = tempfile::tempdir().unwrap();
        let mut cmd = self.command("local", kaniko_dir.path());
        cmd.args(["--multi-platform", &PLATFORMS.join(",")])
            .args(["--destination", &format!("{repo}:1.0")])
            .args([
                "--index-annotations",
                &format!(
                    "org.opencontainers.image.version=1.0,org.opencontainers.image.title={}",
                    self.name
                ),
            ]);
        ok(&mut cmd, &format!("{}: kaniko local", self.name));
        repo
    }

    /// A CI matrix in Docker media types: one build per platform, pushed by digest with a metadata
    /// record, then `kaniko aggregate --legacy-manifest-list`; returns the repository.
    fn publish_matrix(&self) -> String {
        let repo = format!(
            "{}/{}",
            bases().registry.host(),
            unique_repo(&format!("{}-matrix", self.name))
        );
        let records = tempfile::tempdir().unwrap();
        for platform in PLATFORMS {
            let kaniko_dir = tempfile::tempdir().unwrap();
            let record = records
                .path()
                .join(format!("{}.json", platform.replace('/', "-")));
            let mut cmd = self.command("build", kaniko_dir.path());
            cmd.args(["--custom-platform", platform])
                .args(["--destination", &repo])
                .args(["--push-by-digest", "--oci-mode", "docker", "--metadata-file"])
                .arg(&record);
            ok(&mut cmd, &format!("{}: build {platform}", self.name));
        }
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
        cmd.arg("aggregate")
            .arg("--digests-from")
            .arg(records.path())
            .args(["--destination", &format!("{repo}:1.0")])
            .args([
                "--legacy-manifest-list",
                "--insecure-registry",
                &bases().registry.host(),
            ])
            .args(["--log-format", "text"]);
        ok(&mut cmd, &format!("{}: aggregate", self.name));
        repo
    }
}

fn ok(cmd: &mut Command, what: &str) {
    let out = tools::run(cmd);
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The index at `repo:1.0`, checked to list exactly linux/amd64 and linux/arm64 (no variant, as
/// containerd normalises arm64/v8) with the given media type, every image copyable by skopeo.
fn read_index(repo: &str, media_type: &str) -> Value {
    let reference = format!("{repo}:1.0");
    let index = tools::skopeo_inspect_raw_json(&reference);
    assert_eq!(index["mediaType"], media_type, "{index}");
    let platforms: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let p = &m["platform"];
            assert!(p.get("variant").is_none(), "{index}");
            format!(
                "{}/{}",
                p["os"].as_str().unwrap(),
                p["architecture"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(platforms, PLATFORMS, "{index}");
    let layout = tempfile::tempdir().unwrap();
    tools::skopeo_copy_all_to_oci(&reference, layout.path(), "all");
    index
}

fn image_for(repo: &str, index: &Value, arch: &str) -> Built {
    let digest = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == arch)
        .and_then(|m| m["digest"].as_str())
        .unwrap_or_else(|| panic!("no {arch} in {index}"));
    let image = Built::read(&format!("{repo}@{digest}"));
    assert_eq!(image.config["os"], "linux");
    assert_eq!(image.config["architecture"], arch);
    image
}

/// Publishes `example` both ways and checks each platform's image with `check(image, arch)`; where
/// Docker runs, pulls both platforms of the OCI index and runs the amd64 one, expecting `greeting`.
fn publish_both_ways(example: &Example, check: impl Fn(&Built, &str), greeting: &str) {
    let schemas = Schemas::load();
    let repo = example.publish_local();
    let index = read_index(&repo, OCI_INDEX);
    schemas.assert_valid("image-index-schema.json", &index, example.name);
    assert_eq!(index["annotations"]["org.opencontainers.image.version"], "1.0");
    assert_eq!(
        index["annotations"]["org.opencontainers.image.title"],
        example.name
    );
    for arch in ["amd64", "arm64"] {
        check(&image_for(&repo, &index, arch), arch);
    }

    let list_repo = example.publish_matrix();
    let list = read_index(&list_repo, DOCKER_LIST);
    assert!(list.get("annotations").is_none(), "{list}");
    for arch in ["amd64", "arm64"] {
        let image = image_for(&list_repo, &list, arch);
        assert_eq!(
            image.manifest["mediaType"],
            "application/vnd.docker.distribution.manifest.v2+json"
        );
        check(&image, arch);
    }

    if tools::docker_available() {
        let reference = format!("{repo}:1.0");
        for arch in ["arm64", "amd64"] {
            tools::docker_ok(&["pull", "--platform", &format!("linux/{arch}"), &reference]);
            let pulled = tools::docker_ok(&[
                "image",
                "inspect",
                "--format",
                "{{.Os}}/{{.Architecture}}",
                &reference,
            ]);
            assert_eq!(pulled.trim(), format!("linux/{arch}"));
        }
        let out = tools::docker_run_ok(&reference, &[]);
        assert!(out.contains(greeting), "{}: {out}", example.name);
        tools::docker_rmi(&[&reference]);
    }
}

#[test]
fn hello_example_publishes_both_platforms() {
    let example = Example::hello();
    let binaries = |arch: &str| fs_err::read(example.dir.join(format!("hello-{arch}"))).unwrap();
    let check = |image: &Built, arch: &str| {
        assert_eq!(image.file("/hello"), binaries(arch), "{arch}");
        assert!(
            image.meta("/hello").contains(" 0755 "),
            "{arch}: {}",
            image.meta("/hello")
        );
        assert_eq!(image.container()["User"], "65534:65534");
        assert_eq!(image.container()["Entrypoint"], serde_json::json!(["/hello"]));
    };
    publish_both_ways(&example, check, "hello from kaniko-rs on x86_64");
}

#[test]
fn cross_compile_example_publishes_both_platforms() {
    let example = Example::checked_in("cross-compile", &["BUILDER_IMAGE", "RUNTIME_IMAGE"]);
    let check = |image: &Built, arch: &str| {
        let app = image.text("/usr/local/bin/app");
        assert!(
            app.contains(&format!("hello from linux/{arch} (built on linux/amd64)")),
            "{arch}: {app}"
        );
        assert!(image.meta("/usr/local/bin/app").contains(" 0755 "), "{arch}");
    };
    publish_both_ways(&example, check, "hello from linux/amd64");
}

#[test]
fn multi_stage_example_publishes_both_platforms() {
    let example = Example::checked_in("multi-stage", &["BASE"]);
    let check = |image: &Built, arch: &str| {
        assert_eq!(
            image.text("/srv/message.txt"),
            format!(
                "Hello from a multi-stage, multi-platform image.\nusing greeting-lib 1.2 for linux/{arch}\n"
            )
        );
        assert_eq!(image.container()["User"], "nobody");
    };
    publish_both_ways(&example, check, "Hello from a multi-stage, multi-platform image.");
}
