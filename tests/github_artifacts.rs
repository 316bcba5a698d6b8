// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko aggregate --github-artifacts PATTERN`: the records of a CI matrix come from the artifacts
//! of the current GitHub Actions run, listed and downloaded through the REST API (a stand-in that
//! speaks GitHub's wire protocol: paginated listing, 302 to pre-signed blob storage, JSON errors),
//! while the images live in the real test registry. Checks the index, that the token only ever goes
//! to the API host, that the downloads are cleaned up, and that every failure pushes nothing.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::github_api::{zip_of, Artifact, GithubApi};
use common::kaniko::{bases, kaniko_ok, unique_repo, Context};
use common::tools;
use serde_json::Value;

const TOKEN: &str = "ghs_kanikoTestToken0123456789";
const RUN_ID: u64 = 7_654_321;

/// One matrix leg: builds `platform` by digest and returns its metadata record.
fn leg(ctx: &Context, platform: &str, repo_ref: &str) -> Vec<u8> {
    let record = ctx.scratch().join(format!("{}.json", platform.replace('/', "-")));
    kaniko_ok(
        ctx,
        &[
            "--custom-platform",
            platform,
            "--destination",
            repo_ref,
            "--push-by-digest",
            "--metadata-file",
            record.to_str().unwrap(),
        ],
    );
    fs_err::read(record).unwrap()
}

fn aggregate(api: &GithubApi, token: &str, tmp: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.arg("aggregate")
        .args([
            "--insecure-registry",
            &bases().registry.host(),
            "--log-format",
            "text",
        ])
        .args(args)
        .env("GITHUB_TOKEN", token)
        .env("GITHUB_REPOSITORY", "octo-org/app")
        .env("GITHUB_RUN_ID", RUN_ID.to_string())
        .env("GITHUB_API_URL", api.url())
        .env("TMPDIR", tmp);
    tools::run(&mut cmd)
}

fn artifact(id: u64, name: &str, files: &[(&str, &[u8])]) -> Artifact {
    Artifact {
        id,
        name: name.to_owned(),
        zip: zip_of(files),
        expired: false,
    }
}

#[test]
fn aggregate_reads_the_records_from_the_runs_artifacts() {
    let ctx = Context::new("FROM {{INDEX}}\nCOPY app.txt /app.txt\n").file("app.txt", "app\n");
    let repo_ref = format!("{}/{}", bases().registry.host(), unique_repo("gh-artifacts"));
    let amd = leg(&ctx, "linux/amd64", &repo_ref);
    let arm = leg(&ctx, "linux/arm64", &repo_ref);

    // The two digest artifacts, among enough unrelated ones (test reports, logs) that the listing
    // takes two pages of 100.
    let mut artifacts = vec![
        artifact(9001, "digests-linux-amd64", &[("linux-amd64.json", &amd)]),
        artifact(9002, "digests-linux-arm64", &[("linux-arm64.json", &arm)]),
    ];
    for i in 0..110 {
        artifacts.push(artifact(
            100 + i,
            &format!("test-report-{i}"),
            &[("report.xml", b"<testsuite/>")],
        ));
    }
    artifacts.swap(1, 105); // one digest artifact on the second page
    let api = GithubApi::start("octo-org", "app", RUN_ID, TOKEN, artifacts);
    let tmp = tempfile::tempdir().unwrap();
    let digest_file = tmp.path().join("index.digest");
    let tmpdir = tmp.path().join("tmp");
    fs_err::create_dir(&tmpdir).unwrap();

    let out = aggregate(
        &api,
        TOKEN,
        &tmpdir,
        &[
            "--github-artifacts",
            "digests-*",
            "--destination",
            &format!("{repo_ref}:1.0"),
            "--digest-file",
            digest_file.to_str().unwrap(),
        ],
    );
    let log = tools::output_text(&out);
    assert!(out.status.success(), "{log}");
    assert!(!log.contains(TOKEN), "the token was logged:\n{log}");

    let index = tools::skopeo_inspect_raw_json(&format!("{repo_ref}:1.0"));
    let platforms: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}/{}",
                m["platform"]["os"].as_str().unwrap(),
                m["platform"]["architecture"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        platforms,
        ["linux/amd64", "linux/arm64"],
        "{:?}\n{log}",
        api.seen()
    );
    for (record, arch) in [(&amd, "amd64"), (&arm, "arm64")] {
        let record: Value = serde_json::from_slice(record).unwrap();
        let entry = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["platform"]["architecture"] == arch)
            .unwrap();
        assert_eq!(entry["digest"], record["containerimage.digest"], "{arch}");
    }
    assert!(fs_err::read_to_string(&digest_file)
        .unwrap()
        .starts_with("sha256:"));

    // Listed in two pages, downloaded the two matching artifacts only, the token never sent to the
    // blob store; the unpacked artifacts are gone.
    let seen = api.seen();
    let listings: Vec<&str> = seen
        .iter()
        .filter(|s| s.target.contains("/runs/"))
        .map(|s| s.target.as_str())
        .collect();
    assert_eq!(listings.len(), 2, "{listings:?}");
    assert!(
        listings.iter().all(|t| t.contains("per_page=100")),
        "{listings:?}"
    );
    let downloads: Vec<&str> = seen
        .iter()
        .filter(|s| s.target.ends_with("/zip"))
        .map(|s| s.target.as_str())
        .collect();
    assert_eq!(
        downloads,
        [
            "/repos/octo-org/app/actions/artifacts/9001/zip",
            "/repos/octo-org/app/actions/artifacts/9002/zip"
        ]
    );
    for s in &seen {
        match s.server {
            "api" => assert_eq!(
                s.authorization.as_deref(),
                Some(format!("Bearer {TOKEN}").as_str()),
                "{s:?}"
            ),
            _ => assert_eq!(s.authorization, None, "credentials sent to the blob store: {s:?}"),
        }
    }
    assert_eq!(seen.iter().filter(|s| s.server == "blob").count(), 2, "{seen:?}");
    let left: Vec<_> = fs_err::read_dir(&tmpdir).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn github_artifact_failures_push_nothing() {
    let ctx = Context::new("FROM {{INDEX}}\nENV LEG=1\n");
    let repo_ref = format!("{}/{}", bases().registry.host(), unique_repo("gh-artifacts-bad"));
    let amd = leg(&ctx, "linux/amd64", &repo_ref);
    let mut expired = artifact(3, "digests-linux-s390x", &[("x.json", &amd)]);
    expired.expired = true;
    let api = GithubApi::start(
        "octo-org",
        "app",
        RUN_ID,
        TOKEN,
        vec![
            artifact(1, "digests-linux-amd64", &[("linux-amd64.json", &amd)]),
            artifact(2, "coverage", &[("lcov.info", b"TN:")]),
            expired,
            artifact(4, "evil-linux-arm64", &[("../../escape.json", &amd)]),
            artifact(5, "notes", &[("README", b"see the wiki")]),
        ],
    );
    let tmp = tempfile::tempdir().unwrap();
    let dest = format!("{repo_ref}:must-not-exist");
    let cases: [(&str, &str, &str); 5] = [
        (
            TOKEN,
            "images-*",
            "matches no artifact of run 7654321 of octo-org/app",
        ),
        ("ghs_wrong", "digests-*", "Bad credentials"),
        (TOKEN, "digests-linux-s*", "has expired"),
        (TOKEN, "evil-*", "outside the artifact's directory"),
        (TOKEN, "notes", "README: expected a metadata JSON record"),
    ];
    for (token, pattern, expected) in cases {
        let out = aggregate(
            &api,
            token,
            tmp.path(),
            &["--github-artifacts", pattern, "--destination", &dest],
        );
        let log = tools::output_text(&out);
        assert!(!out.status.success(), "{pattern}: succeeded\n{log}");
        assert!(
            log.contains(expected),
            "{pattern}: expected {expected:?} in:\n{log}"
        );
        assert!(!log.contains(TOKEN), "{pattern}: the token was logged:\n{log}");
        assert!(
            !tools::skopeo_exists(&format!("{repo_ref}:must-not-exist")),
            "{pattern}: the tag was pushed"
        );
    }
    // The no-match error names what the run has, so a typo is easy to see.
    let out = aggregate(
        &api,
        TOKEN,
        tmp.path(),
        &["--github-artifacts", "images-*", "--destination", &dest],
    );
    assert!(
        tools::output_text(&out).contains("coverage, digests-linux-amd64"),
        "{}",
        tools::output_text(&out)
    );
    assert!(!tmp.path().join("escape.json").exists());

    // Without the environment a workflow provides, the error says what is missing.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.args([
        "aggregate",
        "--github-artifacts",
        "digests-*",
        "--destination",
        &dest,
    ])
    .env_remove("GITHUB_TOKEN")
    .env("GITHUB_REPOSITORY", "octo-org/app")
    .env("GITHUB_RUN_ID", "1");
    let out = tools::run(&mut cmd);
    assert!(!out.status.success());
    assert!(
        tools::output_text(&out).contains("GITHUB_TOKEN is not set"),
        "{}",
        tools::output_text(&out)
    );
}
