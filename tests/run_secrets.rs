// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Build secrets (`--secret`, `RUN --mount=type=secret`) with the real binary, in every isolation
//! mode this machine can run (chroot, rootless, the executor image in docker): the step sees each
//! value (as a file with the mount's mode and owner, or as an environment variable), and the value
//! is then searched for everywhere the build leaves something: every layer blob (compressed and
//! not), the manifest, the config and its history, the console log, the debug files, the metrics
//! and the report. A value the step prints is masked. A required secret that was not given fails
//! naming the id; one that is not required leaves the mount out, as in BuildKit.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use common::isolation::{Extras, Isolation};
use common::kaniko::{bases, build_err, unique_repo, Built, Context};
use sha2::{Digest as _, Sha256};

const FILE_SECRET: &str = "file-secret-5f3c9a1e-0d47-4b9b-a0c4-2e8f61d3b7aa";
const ENV_SECRET: &str = "env-secret-b7d2e04c-93f1-41aa-8e57-c6a9d01f2b35";
const MOUNT_ENV_SECRET: &str = "mount-env-secret-71c0e3d9-6a2b-4f85";

const DOCKERFILE: &str = "FROM {{BASE}}\n\
RUN --mount=type=secret,id=filesec --mount=type=secret,id=envsec,env=FROM_SECRET,required \\\n\
    sha256sum /run/secrets/filesec | cut -c1-64 > /file.sum && \\\n\
    stat -c '%a %u %g' /run/secrets/filesec > /file.stat && \\\n\
    printf %s \"$FROM_SECRET\" | sha256sum | cut -c1-64 > /env.sum && \\\n\
    echo \"printed: $(cat /run/secrets/filesec) and $FROM_SECRET\"\n\
RUN --mount=type=secret,id=filesec,target=/etc/app.key,mode=0440,uid=1000,gid=1000 \\\n\
    stat -c '%a %u %g' /etc/app.key > /key.stat\n\
RUN --mount=type=secret,id=not-given ls /run/secrets > /absent.txt 2>&1 || echo absent > /absent.txt\n\
RUN --mount=type=secret,id=fromenv,env=TOKEN printf %s \"$TOKEN\" | sha256sum | cut -c1-64 > /token.sum\n";

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn assert_absent(haystack: &[u8], what: &str) {
    for secret in [FILE_SECRET, ENV_SECRET, MOUNT_ENV_SECRET] {
        let found = haystack.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "secret value found in {what}");
    }
}

/// A directory the rootless test user can read, holding the file secrets.
fn secret_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for (name, value) in [("filesec", FILE_SECRET), ("envsec", MOUNT_ENV_SECRET)] {
        let path = dir.path().join(name);
        std::fs::write(&path, value).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    dir
}

#[test]
fn secrets_reach_the_step_and_nowhere_else() {
    for mode in Isolation::runnable_modes() {
        let ctx = Context::new(DOCKERFILE);
        let secrets = secret_files();
        let work = tempfile::tempdir().unwrap();
        std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let kaniko_dir = work.path().join("kaniko");
        let layout = work.path().join("layout");
        let (metrics, report) = (work.path().join("metrics.prom"), work.path().join("report.json"));
        let reference = format!("{}/{}:latest", bases().registry.host(), unique_repo("secrets"));
        let path = |p: &Path| p.to_str().unwrap().to_owned();
        let args = [
            "--destination".to_owned(),
            reference.clone(),
            "--oci-layout-path".to_owned(),
            path(&layout),
            format!(
                "--secret=id=filesec,src={}",
                secrets.path().join("filesec").display()
            ),
            format!(
                "--secret=id=envsec,src={}",
                secrets.path().join("envsec").display()
            ),
            "--secret=id=fromenv,env=KANIKO_TEST_TOKEN".to_owned(),
            "--debug-full".to_owned(),
            "--metrics-file".to_owned(),
            path(&metrics),
            "--report-file".to_owned(),
            path(&report),
            "--cache-dir".to_owned(),
            path(&work.path().join("cache")),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // Container mode reaches the secret files and the outputs by the same paths.
        let extras = Extras {
            shared: &[secrets.path(), work.path()],
            kaniko_dir: Some(&kaniko_dir),
            env: &[("KANIKO_TEST_TOKEN", ENV_SECRET)],
            docker_args: &[],
        };
        let mode_name = mode.flag_value();
        let out = mode.kaniko_with(&ctx, &args, &extras);
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mode = mode_name;
        assert!(out.status.success(), "{mode}: {log}");

        // The step saw every value, as the mounts asked.
        let b = Built::read(&reference);
        assert_eq!(b.text("/file.sum").trim(), sha256_hex(FILE_SECRET), "{mode}");
        assert_eq!(b.text("/env.sum").trim(), sha256_hex(MOUNT_ENV_SECRET), "{mode}");
        assert_eq!(b.text("/token.sum").trim(), sha256_hex(ENV_SECRET), "{mode}");
        assert_eq!(b.text("/file.stat"), "400 0 0\n", "{mode}");
        assert_eq!(b.text("/key.stat"), "440 1000 1000\n", "{mode}");
        assert_eq!(
            b.text("/absent.txt"),
            "absent\n",
            "{mode}: a secret not given is no mount"
        );
        for path in ["/run/secrets", "/run/secrets/filesec", "/etc/app.key"] {
            assert!(
                !b.snapshot.entries.contains_key(path),
                "{mode}: {path} is in the image"
            );
        }

        // The value the step printed is masked; no value appears anywhere we wrote.
        assert!(log.contains("printed: **** and ****"), "{mode}: {log}");
        assert_absent(log.as_bytes(), &format!("{mode}: the build log"));
        assert_absent(&b.manifest_bytes, &format!("{mode}: the manifest"));
        assert_absent(b.config.to_string().as_bytes(), &format!("{mode}: the config"));
        let history = b.config["history"].to_string();
        assert!(history.contains("id=filesec"), "{mode}: {history}");
        let mut searched = 0;
        for dir in [layout.clone(), kaniko_dir.clone()] {
            for file in common::tools::files_under(&dir) {
                for bytes in common::tools::raw_and_decompressed(&file) {
                    assert_absent(&bytes, &format!("{mode}: {}", file.display()));
                }
                searched += 1;
            }
        }
        assert!(
            common::tools::files_under(&layout.join("blobs")).len() >= 6,
            "{mode}: layers, config and manifest"
        );
        assert!(
            common::tools::files_under(&kaniko_dir)
                .iter()
                .any(|f| f.to_string_lossy().contains("debug")),
            "{mode}: --debug-full wrote no debug files ({searched} files searched)"
        );
        for file in [&metrics, &report] {
            let text = std::fs::read(file).unwrap_or_else(|e| panic!("{mode}: {}: {e}", file.display()));
            assert_absent(&text, &format!("{mode}: {}", file.display()));
        }
    }
}

#[test]
fn a_required_secret_that_was_not_given_fails_naming_it() {
    let ctx = Context::new(
        "FROM {{BASE}}\nRUN --mount=type=secret,id=npmrc,required=true cat /run/secrets/npmrc\n",
    );
    let err = build_err(&ctx, &["--isolation=chroot"]);
    assert!(
        err.contains("Dockerfile:2") && err.contains("secret npmrc is required but was not given"),
        "{err}"
    );
}

#[test]
fn secret_flags_are_checked_before_any_work() {
    let ctx = Context::new("FROM {{BASE}}\nRUN true\n");
    let err = build_err(&ctx, &["--secret", "id=gone,src=/nonexistent/kaniko-secret"]);
    assert!(
        err.contains("secret gone: reading /nonexistent/kaniko-secret"),
        "{err}"
    );
    let err = build_err(&ctx, &["--secret", "id=tok,env=KANIKO_TEST_SURELY_UNSET"]);
    assert!(
        err.contains("secret tok: the environment variable KANIKO_TEST_SURELY_UNSET is not set"),
        "{err}"
    );
    let err = build_err(&ctx, &["--secret", "id=a,mode=0400"]);
    assert!(err.contains("invalid --secret \"id=a,mode=0400\""), "{err}");
}
