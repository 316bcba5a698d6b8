// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! kaniko v1.24's executor flags, every one, given to the real binary the way kaniko's users write
//! them: none may fail to parse, each must get through validation (the run then stops at a context
//! that does not exist, before any build), and the few we refuse by choice must say why. The list
//! of refused flags in docs/advanced-configuration.md ("Not supported yet") is checked against what
//! the binary does.

use std::path::{Path, PathBuf};
use std::process::Command;

/// kaniko v1.24.0's executor flags (`cmd/executor/cmd/root.go`), deprecated spellings included,
/// copied as data so that a flag we drop fails here.
const KANIKO_FLAGS: &[&str] = &[
    "bucket",
    "build-arg",
    "cache",
    "cache-copy-layers",
    "cache-dir",
    "cache-repo",
    "cache-run-layers",
    "cache-ttl",
    "cleanup",
    "compressed-caching",
    "compression",
    "compression-level",
    "context",
    "context-sub-path",
    "custom-platform",
    "customPlatform",
    "destination",
    "digest-file",
    "dockerfile",
    "force",
    "force-build-metadata",
    "git",
    "ignore-path",
    "ignore-var-run",
    "image-download-retry",
    "image-fs-extract-retry",
    "image-name-tag-with-digest-file",
    "image-name-with-digest-file",
    "insecure",
    "insecure-pull",
    "insecure-registry",
    "kaniko-dir",
    "label",
    "log-format",
    "log-timestamp",
    "no-push",
    "no-push-cache",
    "oci-layout-path",
    "push-ignore-immutable-tag-errors",
    "push-retry",
    "registry-certificate",
    "registry-client-cert",
    "registry-map",
    "registry-mirror",
    "reproducible",
    "single-snapshot",
    "skip-default-registry-fallback",
    "skip-push-permission-check",
    "skip-tls-verify",
    "skip-tls-verify-pull",
    "skip-tls-verify-registry",
    "skip-unused-stages",
    "snapshot-mode",
    "snapshotMode",
    "tar-path",
    "tarPath",
    "target",
    "use-new-run",
    "verbosity",
    "whitelist-var-run",
];

/// What a run that got through validation ends with: the missing context.
const MISSING_CONTEXT: &str = "build context directory";

/// One kaniko invocation: its flags, and what it must end with when it is not the missing context.
struct Invocation {
    args: Vec<String>,
    /// Replaces `--context` (for `--bucket`, which names the context itself).
    own_context: bool,
    refusal: Option<&'static str>,
}

fn inv(args: &[&str]) -> Invocation {
    Invocation {
        args: args.iter().map(|a| a.to_string()).collect(),
        own_context: false,
        refusal: None,
    }
}

/// A self-signed certificate and its key, made with openssl (PEM files the registry options read).
fn pem_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("client.crt"), dir.join("client.key"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=kaniko flags test"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl (hack/setup.sh installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (cert, key)
}

/// kaniko's own invocations: every flag at least once, with kaniko's value syntax.
fn invocations(dir: &Path) -> Vec<Invocation> {
    let (cert, key) = pem_pair(dir);
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let kaniko_dir = dir.join("kaniko").display().to_string();
    vec![
        inv(&["--build-arg=VERSION=1.2", "--build-arg", "FROM_ENV"]),
        inv(&["--cache=true", "--cache-repo=oci:/tmp/kaniko-flags-cache"]),
        inv(&[
            "--cache",
            "--cache-repo=registry.example/team/cache",
            "--cache-copy-layers",
        ]),
        inv(&["--cache-dir=/tmp/kaniko-flags-cache-dir", "--cache-ttl=6h"]),
        inv(&[
            "--cache-run-layers=false",
            "--compressed-caching=false",
            "--no-push-cache",
        ]),
        inv(&["--cleanup"]),
        inv(&["--compression=zstd", "--compression-level=3"]),
        inv(&["--context-sub-path=services/api"]),
        inv(&["--custom-platform=linux/arm64"]),
        inv(&["--customPlatform=linux/arm64"]),
        inv(&["--customPlatform", "linux/amd64"]),
        inv(&[
            "-d",
            "registry.example/team/app:1",
            "--destination=registry.example/team/app:2",
        ]),
        inv(&["--digest-file=/dev/termination-log"]),
        inv(&["-f", "Dockerfile", "--dockerfile=docker/Dockerfile"]),
        inv(&["--force"]),
        inv(&["--force-build-metadata"]),
        Invocation {
            refusal: Some("--git says how to clone a git:// context"),
            ..inv(&[
                "--git=branch=main",
                "--git",
                "single-branch=true",
                "--git=recurse-submodules=true",
            ])
        },
        Invocation {
            args: vec![
                "--context=git://github.com/GoogleContainerTools/kaniko.git#refs/heads/main".into(),
                "--git=branch=main".into(),
            ],
            own_context: true,
            refusal: Some("git (git://) contexts are not supported"),
        },
        inv(&["--ignore-path=/var/cache", "--ignore-path", "/tmp"]),
        inv(&["--ignore-var-run=false"]),
        inv(&["--ignore-var-run"]),
        inv(&[
            "--image-download-retry=3",
            "--image-fs-extract-retry=2",
            "--push-retry=3",
        ]),
        inv(&[
            "--image-name-tag-with-digest-file=/tmp/tags",
            "-d",
            "registry.example/a:1",
        ]),
        inv(&[
            "--image-name-with-digest-file=/tmp/names",
            "-d",
            "registry.example/a:1",
        ]),
        inv(&[
            "--insecure",
            "--insecure-pull",
            "--insecure-registry=registry.example:5000",
        ]),
        inv(&["--kaniko-dir", kaniko_dir.as_str()]),
        inv(&[
            "--label=org.opencontainers.image.source=https://example.com",
            "--label",
            "team=a",
        ]),
        inv(&["--log-format=json", "--log-timestamp"]),
        inv(&["--log-format", "text", "--log-timestamp=false"]),
        inv(&["--no-push=true"]),
        inv(&["--oci-layout-path=/tmp/layout"]),
        inv(&["--push-ignore-immutable-tag-errors", "-d", "registry.example/a:1"]),
        inv(&["--registry-certificate", &format!("registry.example={cert}")]),
        inv(&[
            "--registry-client-cert",
            &format!("registry.example:5000={cert},{key}"),
        ]),
        inv(&["--registry-map=index.docker.io=mirror.gcr.io"]),
        inv(&["--registry-map=index.docker.io=a.example;index.docker.io=b.example/hub;gcr.io=127.0.0.1"]),
        inv(&[
            "--registry-mirror=mirror.gcr.io",
            "--registry-mirror",
            "mirror.example/dockerhub",
        ]),
        inv(&[
            "--registry-mirror=mirror.gcr.io",
            "--skip-default-registry-fallback",
        ]),
        inv(&["--reproducible"]),
        inv(&["--single-snapshot"]),
        inv(&["--skip-push-permission-check"]),
        inv(&[
            "--skip-tls-verify",
            "--skip-tls-verify-pull",
            "--skip-tls-verify-registry=r.example",
        ]),
        inv(&["--skip-unused-stages", "--target=final"]),
        inv(&["--snapshot-mode=redo"]),
        inv(&["--snapshotMode=time"]),
        inv(&["--tar-path=/x.tar"]),
        inv(&["--tarPath=/x.tar"]),
        inv(&["--use-new-run"]),
        inv(&["-v", "debug"]),
        inv(&["--verbosity=panic"]),
        inv(&["--whitelist-var-run=false"]),
        Invocation {
            args: vec!["--bucket=my-build-contexts".into()],
            own_context: true,
            refusal: Some("Google Cloud Storage (gs://) contexts are not supported"),
        },
        Invocation {
            args: vec!["-b".into(), "gs://my-build-contexts/app.tar.gz".into()],
            own_context: true,
            refusal: Some("Google Cloud Storage (gs://) contexts are not supported"),
        },
    ]
}

/// The long flags of kaniko's list an invocation uses.
fn flags_of(args: &[String]) -> Vec<&'static str> {
    let short = |s: &str| match s {
        "-b" => Some("bucket"),
        "-c" => Some("context"),
        "-d" => Some("destination"),
        "-f" => Some("dockerfile"),
        "-v" => Some("verbosity"),
        _ => None,
    };
    (args.iter())
        .filter_map(|a| {
            let name = a.strip_prefix("--").map(|f| f.split('=').next().unwrap_or(f));
            let name = name.or_else(|| short(a))?;
            KANIKO_FLAGS.iter().copied().find(|f| *f == name)
        })
        .collect()
}

/// Runs one invocation with kaniko's executor spelling (`build` or no subcommand at all).
fn run(invocation: &Invocation, subcommand: bool, context: &Path) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    if subcommand {
        cmd.arg("build");
    }
    cmd.args(&invocation.args).arg("--no-push");
    if !invocation.own_context {
        cmd.arg(format!("--context={}", context.display()));
    }
    // The run stops before any work; a kaniko directory of its own keeps it off /kaniko.
    if !invocation.args.iter().any(|a| a.starts_with("--kaniko-dir")) {
        cmd.arg(format!(
            "--kaniko-dir={}",
            context.with_extension("kaniko").display()
        ));
    }
    cmd.env_remove("KANIKO_DIR")
        .env_remove("KANIKO_NO_PUSH")
        .env_remove("KANIKO_REGISTRY_MAP")
        .env_remove("KANIKO_REGISTRY_MIRROR");
    let out = cmd.output().expect("run kaniko");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    (out.status.code(), text)
}

#[test]
fn every_kaniko_executor_flag_parses_and_passes_validation() {
    let dir = tempfile::tempdir().unwrap();
    let context = dir.path().join("no-such-context");
    let all = invocations(dir.path());
    let mut failures = Vec::new();
    for invocation in &all {
        for subcommand in [true, false] {
            let (code, text) = run(invocation, subcommand, &context);
            let shown = format!(
                "{}{:?}",
                if subcommand { "kaniko build " } else { "kaniko " },
                invocation.args
            );
            if code == Some(2) || text.contains("unexpected argument") {
                failures.push(format!("{shown}: a parse error (exit {code:?}):\n{text}"));
                continue;
            }
            let expected = invocation.refusal.unwrap_or(MISSING_CONTEXT);
            if code == Some(0) || !text.contains(expected) {
                failures.push(format!("{shown}: expected {expected:?}, exit {code:?}:\n{text}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let used: std::collections::BTreeSet<&str> = all.iter().flat_map(|i| flags_of(&i.args)).collect();
    // --context and --no-push are given by `run` itself.
    let unused: Vec<&&str> = (KANIKO_FLAGS.iter())
        .filter(|f| !used.contains(**f) && !["context", "no-push"].contains(f))
        .collect();
    assert!(unused.is_empty(), "kaniko flags no invocation uses: {unused:?}");
}

#[test]
fn the_not_supported_list_matches_the_flags_the_binary_refuses() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/advanced-configuration.md"))
            .unwrap();
    let section = doc
        .split("\n## Not supported yet\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/advanced-configuration.md has a \"Not supported yet\" section");
    // The section lists each refused kaniko flag as a bullet: "- `--flag` ...".
    let listed: std::collections::BTreeSet<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("- `--"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let refused: std::collections::BTreeSet<&str> = invocations(dir.path())
        .iter()
        .filter(|i| i.refusal.is_some())
        .flat_map(|i| flags_of(&i.args))
        .filter(|f| *f != "context")
        .collect();
    assert_eq!(
        listed, refused,
        "docs/advanced-configuration.md, \"Not supported yet\""
    );
    for flag in &listed {
        assert!(
            KANIKO_FLAGS.contains(flag),
            "--{flag} is not one of kaniko's flags"
        );
    }
}

#[test]
fn kaniko_environment_variables_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let context = dir.path().join("no-such-context");
    let kaniko = |env: &[(&str, &str)], args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
        cmd.arg("build")
            .arg(format!("--context={}", context.display()))
            .arg(format!("--kaniko-dir={}", dir.path().join("k").display()))
            .args(args)
            .env_remove("KANIKO_NO_PUSH")
            .env_remove("KANIKO_REGISTRY_MAP")
            .env_remove("KANIKO_REGISTRY_MIRROR")
            .envs(env.iter().copied());
        let out = cmd.output().unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // Without a destination, only KANIKO_NO_PUSH lets the run get as far as the context.
    assert!(kaniko(&[], &[]).contains("--destination, or use --no-push"));
    assert!(kaniko(&[("KANIKO_NO_PUSH", "true")], &[]).contains(MISSING_CONTEXT));
    let e = kaniko(&[("KANIKO_NO_PUSH", "maybe")], &[]);
    assert!(e.contains("invalid KANIKO_NO_PUSH \"maybe\""), "{e}");
    // The maps and mirrors of the environment are validated like the flags' values.
    let e = kaniko(&[("KANIKO_REGISTRY_MAP", "no-equals-sign")], &["--no-push"]);
    assert!(e.contains("--registry-map \"no-equals-sign\""), "{e}");
    let e = kaniko(&[("KANIKO_REGISTRY_MIRROR", "https://m.example")], &["--no-push"]);
    assert!(e.contains("--registry-mirror \"https://m.example\""), "{e}");
}

#[test]
fn the_migration_guide_covers_every_kaniko_flag() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/migrating-from-kaniko.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let missing: Vec<&&str> = (KANIKO_FLAGS.iter())
        .filter(|f| !doc.contains(&format!("`--{f}`")))
        .collect();
    assert!(missing.is_empty(), "missing from {}: {missing:?}", path.display());
}

/// Regression: a flag given twice (`--no-push --no-push=true`, `-f a --dockerfile=b`) was a parse
/// error; kaniko's pflag takes the last value, and CI templates rely on it.
#[test]
fn a_repeated_flag_takes_its_last_value() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kaniko"))
        .args(["--no-push=false", "--no-push", "--context=/nonexistent-a"])
        .arg(format!(
            "--context={}",
            dir.path().join("no-such-context").display()
        ))
        .arg(format!("--kaniko-dir={}", dir.path().join("k").display()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains(MISSING_CONTEXT) && text.contains("no-such-context"),
        "{text}"
    );
}
