// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--debug-output-files`: the debug tree under `<kaniko-dir>/debug/`.
//!
//! ```text
//! debug/
//!   kaniko-debug-<timestamp>.log      every record of the run
//!   build-steps/step-N.log            one file per instruction, with the output of its command
//!   multi-platform/coordinator.log    the coordinator; one <driver>.log per driver (local, ci, k8s)
//!   oci-operations/                   index.log, manifests.log, pushes.log
//!   filesystem/                       context.log, extraction.log, snapshots.log, changes.log, layers.log
//!   registry/                         pulls.log, pushes.log, auth.log
//!   cache/images.log                  base images reused within the build
//! ```
//!
//! Files are created with their first record, so the tree shows what the run did. Every line is
//! redacted like the console's.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use serde_json::{Map, Value};
use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::component::{Component, RUN_OUTPUT_TARGET};
use super::json_log::{now_rfc3339, record};
use super::redact::redact;
use super::settings::DebugSettings;

/// The number `N` of a step span's `build-steps/step-N.log`.
struct StepFile(u64);

/// Writes the debug tree.
pub struct DebugFilesLayer {
    dir: PathBuf,
    main: PathBuf,
    debug: DebugSettings,
    log_level: tracing::Level,
    steps: AtomicU64,
    files: Mutex<HashMap<PathBuf, File>>,
}

impl DebugFilesLayer {
    /// Creates `dir` and the main log (named after the current time).
    pub fn create(dir: &Path, debug: DebugSettings, log_level: tracing::Level) -> std::io::Result<Self> {
        fs_err::create_dir_all(dir)?;
        let stamp: String = now_rfc3339()
            .chars()
            .map(|c| if c == ':' { '-' } else { c })
            .collect();
        let main = dir.join(format!("kaniko-debug-{stamp}.log"));
        let file = fs_err::File::create(&main)?.into_parts().0;
        let layer = Self {
            dir: dir.to_path_buf(),
            main: main.clone(),
            debug,
            log_level,
            steps: AtomicU64::new(0),
            files: Mutex::new(HashMap::from([(main, file)])),
        };
        Ok(layer)
    }

    /// The main log's path.
    pub fn main_log(&self) -> &Path {
        &self.main
    }

    fn append(&self, relative: &Path, line: &str) {
        let path = self.dir.join(relative);
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        if !files.contains_key(&path) {
            if let Some(parent) = path.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            match std::fs::OpenOptions::new().create(true).append(true).open(&path) {
                Ok(f) => {
                    files.insert(path.clone(), f);
                }
                Err(_) => return,
            }
        }
        if let Some(f) = files.get_mut(&path) {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// The file of the component tree an event belongs in (besides the main log and its step's file).
fn component_file(component: Component, target: &str, fields: &Map<String, Value>) -> Option<PathBuf> {
    let path = target.strip_prefix("kaniko::").unwrap_or(target);
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}::"));
    let text = |k: &str| {
        fields
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let file = match component {
        Component::BuildSteps | Component::Core | Component::Signing => return None,
        Component::MultiPlatform => "multi-platform/coordinator.log".to_string(),
        Component::Drivers => {
            let driver = path.split("::").nth(1).unwrap_or("driver");
            format!("multi-platform/{driver}.log")
        }
        Component::Oci if under("index") => "oci-operations/index.log".into(),
        Component::Oci if under("image") => "oci-operations/manifests.log".into(),
        Component::Oci => "oci-operations/pushes.log".into(),
        Component::Filesystem if under("context") => "filesystem/context.log".into(),
        Component::Filesystem if under("snapshot::unpack") || under("builder::rootfs") => {
            "filesystem/extraction.log".into()
        }
        Component::Filesystem if fields.contains_key("change") => "filesystem/changes.log".into(),
        Component::Filesystem if under("snapshot::snapshotter") || under("snapshot::scan") => {
            "filesystem/snapshots.log".into()
        }
        Component::Filesystem => "filesystem/layers.log".into(),
        Component::Cache => "cache/images.log".into(),
        Component::Registry => {
            let auth = [
                "registry::token",
                "registry::challenge",
                "registry::keychain",
                "registry::credential",
                "registry::docker_config",
            ];
            if auth.iter().any(|a| under(a) || path.starts_with(a)) {
                "registry/auth.log".into()
            } else {
                let op = text("operation");
                let method = text("method");
                let pushing = op.starts_with("push")
                    || op.starts_with("mount")
                    || matches!(method.as_str(), "put" | "post" | "patch" | "delete");
                if pushing {
                    "registry/pushes.log".into()
                } else {
                    "registry/pulls.log".into()
                }
            }
        }
    };
    Some(PathBuf::from(file))
}

/// `timestamp LEVEL component [span fields] message key=value…`
fn text_line(rec: &Map<String, Value>) -> String {
    let s = |k: &str| rec.get(k).and_then(Value::as_str).unwrap_or("");
    let mut line = format!("{} {:5} {}", s("timestamp"), s("level"), s("component"));
    let mut rest = Vec::new();
    for (k, v) in rec {
        if matches!(k.as_str(), "timestamp" | "level" | "component" | "message") {
            continue;
        }
        let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
        rest.push(format!("{k}={v}"));
    }
    line.push(' ');
    line.push_str(s("message"));
    for r in rest {
        line.push(' ');
        line.push_str(&r);
    }
    let mut line = line.replace('\n', "\\n");
    line.push('\n');
    redact(&line).into_owned()
}

impl<S> Layer<S> for DebugFilesLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() == "step" && attrs.metadata().target().starts_with("kaniko::builder") {
            let n = self.steps.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(span) = ctx.span(id) {
                span.extensions_mut().insert(StepFile(n));
            }
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let target = meta.target();
        let component = Component::of(target);
        let wanted = self.debug.wants(component, meta.level()) || meta.level() <= &self.log_level;
        if !wanted {
            return;
        }
        let rec = record(event, &ctx);
        let line = text_line(&rec);
        let step = ctx.event_scope(event).and_then(|scope| {
            scope
                .from_root()
                .find_map(|span| span.extensions().get::<StepFile>().map(|s| s.0))
        });
        if target != RUN_OUTPUT_TARGET {
            self.append(Path::new(self.main.file_name().unwrap_or_default()), &line);
        }
        if let (Some(n), true) = (step, self.debug.components.contains(&Component::BuildSteps)) {
            self.append(&Path::new("build-steps").join(format!("step-{n}.log")), &line);
        }
        if self.debug.components.contains(&component) {
            if let Some(file) = component_file(component, target, &rec) {
                self.append(&file, &line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn route(target: &str, fields: Value) -> Option<PathBuf> {
        let fields = fields.as_object().cloned().unwrap();
        component_file(Component::of(target), target, &fields)
    }

    #[test]
    fn events_land_in_their_component_files() {
        assert_eq!(
            route("kaniko::registry::token", json!({})),
            Some("registry/auth.log".into())
        );
        assert_eq!(
            route(
                "kaniko::registry::blob",
                json!({"operation": "pushing blob sha256:a to r/x"})
            ),
            Some("registry/pushes.log".into())
        );
        assert_eq!(
            route("kaniko::registry::client", json!({"method": "GET"})),
            Some("registry/pulls.log".into())
        );
        assert_eq!(
            route("kaniko::coordinator::k8s", json!({})),
            Some("multi-platform/k8s.log".into())
        );
        assert_eq!(
            route("kaniko::coordinator", json!({})),
            Some("multi-platform/coordinator.log".into())
        );
        assert_eq!(
            route("kaniko::index::publish", json!({})),
            Some("oci-operations/index.log".into())
        );
        assert_eq!(
            route("kaniko::snapshot::snapshotter", json!({"change": "upsert"})),
            Some("filesystem/changes.log".into())
        );
        assert_eq!(route("kaniko::builder::stage", json!({})), None);
    }

    #[test]
    fn text_lines_are_one_line_and_redacted() {
        let rec = json!({"timestamp": "t", "level": "DEBUG", "component": "registry", "message": "got\ntoken=abc", "size": 3});
        let line = text_line(rec.as_object().unwrap());
        assert_eq!(line, "t DEBUG registry got\\ntoken=[REDACTED] size=3\n");
    }
}
