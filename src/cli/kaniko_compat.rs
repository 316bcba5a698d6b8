// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! kaniko's spellings folded into our flags before validation: the deprecated camelCase flags
//! (`--customPlatform`, `--snapshotMode`, `--tarPath`, `--whitelist-var-run`), `--bucket`, and the
//! environment variables kaniko's executor reads (`KANIKO_NO_PUSH`, `KANIKO_REGISTRY_MIRROR`,
//! `KANIKO_REGISTRY_MAP`). What kaniko would have said about them is kept as notes for the binary to
//! log once logging is set up (settings never log).

use super::settings::SettingsError;
use super::BuildFlags;
use crate::context::parse_go_bool;

/// kaniko's default `--context`, which `--bucket` replaces.
const DEFAULT_CONTEXT: &str = "/workspace/";

/// Messages about the flags, logged by the binary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    /// Deprecated spellings (kaniko warns about them too).
    pub warnings: Vec<String>,
    /// Flags accepted for compatibility that change nothing here.
    pub debug: Vec<String>,
}

/// `flags` with kaniko's aliases and environment applied, and what to tell the user about them.
pub fn apply(
    flags: &BuildFlags,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(BuildFlags, Notes), SettingsError> {
    let mut f = flags.clone();
    let mut notes = Notes::default();
    let mut deprecated = |old: &str, new: &str| {
        notes
            .warnings
            .push(format!("flag --{old} is deprecated; use --{new}"));
    };
    if let Some(p) = f.custom_platform_deprecated.take() {
        deprecated("customPlatform", "custom-platform");
        f.custom_platform = Some(p);
    }
    if let Some(m) = f.snapshot_mode_deprecated.take() {
        deprecated("snapshotMode", "snapshot-mode");
        f.snapshot_mode = m;
    }
    if let Some(p) = f.tar_path_deprecated.take() {
        deprecated("tarPath", "tar-path");
        f.tar_path = Some(p);
    }
    if let Some(v) = f.whitelist_var_run.take() {
        deprecated("whitelist-var-run", "ignore-var-run");
        f.ignore_var_run = v;
    }
    if let Some(bucket) = f.bucket.take().filter(|b| !b.is_empty()) {
        if f.context != DEFAULT_CONTEXT && !f.context.is_empty() {
            return Err(SettingsError::Conflict(format!(
                "--bucket names the context (gs://{bucket}) and so does --context {:?}: give one of them",
                f.context
            )));
        }
        // kaniko's rule: a bucket without a scheme is a Google Cloud Storage bucket.
        f.context = if bucket.contains("://") {
            bucket
        } else {
            format!("gs://{bucket}")
        };
    }
    if f.use_new_run {
        notes.debug.push(
            "--use-new-run changes nothing here: RUN always finds its changes by comparing file \
             metadata with the previous snapshot, which is what kaniko's new run does"
                .into(),
        );
    }
    // kaniko lets the environment override --no-push and add mirrors and maps to the flags'.
    if let Some(v) = env("KANIKO_NO_PUSH") {
        f.no_push = parse_go_bool(&v).ok_or_else(|| {
            SettingsError::Conflict(format!("invalid KANIKO_NO_PUSH {v:?}: expected true or false"))
        })?;
    }
    if let Some(v) = env("KANIKO_REGISTRY_MIRROR").filter(|v| !v.is_empty()) {
        f.registry.registry_mirrors.push(v);
    }
    if let Some(v) = env("KANIKO_REGISTRY_MAP").filter(|v| !v.is_empty()) {
        f.registry.registry_maps.push(v);
    }
    Ok((f, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(args: &[&str]) -> BuildFlags {
        crate::cli::settings::tests::flags(args)
    }

    #[test]
    fn deprecated_spellings_set_the_new_flags_and_warn() {
        let given = flags(&[
            "--customPlatform=linux/arm64",
            "--snapshotMode",
            "redo",
            "--tarPath=/x.tar",
            "--whitelist-var-run=false",
        ]);
        let (f, notes) = apply(&given, &|_| None).unwrap();
        assert_eq!(f.custom_platform.as_deref(), Some("linux/arm64"));
        assert_eq!(f.snapshot_mode, "redo");
        assert_eq!(f.tar_path.as_deref(), Some(std::path::Path::new("/x.tar")));
        assert!(!f.ignore_var_run);
        assert_eq!(notes.warnings.len(), 4, "{notes:?}");
        assert!(notes.warnings[0].contains("--custom-platform"), "{notes:?}");
    }

    #[test]
    fn bucket_is_a_gs_context_unless_a_context_is_given() {
        let (f, _) = apply(&flags(&["-b", "my-bucket/ctx.tar.gz"]), &|_| None).unwrap();
        assert_eq!(f.context, "gs://my-bucket/ctx.tar.gz");
        let (f, _) = apply(&flags(&["--bucket=s3://b/c.tar.gz"]), &|_| None).unwrap();
        assert_eq!(f.context, "s3://b/c.tar.gz");
        let e = apply(&flags(&["--bucket=b", "--context=./app"]), &|_| None).unwrap_err();
        assert!(e.to_string().contains("give one of them"), "{e}");
    }

    #[test]
    fn kaniko_environment_variables_apply() {
        let env = |k: &str| match k {
            "KANIKO_NO_PUSH" => Some("true".to_string()),
            "KANIKO_REGISTRY_MIRROR" => Some("mirror.example".to_string()),
            "KANIKO_REGISTRY_MAP" => Some("quay.io=q.example".to_string()),
            _ => None,
        };
        let (f, notes) = apply(&flags(&["--registry-mirror=m0.example", "--use-new-run"]), &env).unwrap();
        assert!(f.no_push);
        assert_eq!(f.registry.registry_mirrors, ["m0.example", "mirror.example"]);
        assert_eq!(f.registry.registry_maps, ["quay.io=q.example"]);
        assert!(notes.debug[0].contains("--use-new-run"), "{notes:?}");
        let e = apply(&flags(&[]), &|k| (k == "KANIKO_NO_PUSH").then(|| "yes".into())).unwrap_err();
        assert!(e.to_string().contains("KANIKO_NO_PUSH"), "{e}");
    }
}
