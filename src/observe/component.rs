// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The parts of a build that logs, debug controls and debug files are organised by. A component is
//! derived from an event's target (its module path), so the library only emits ordinary `tracing`
//! events and never names a component itself.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// Target of the lines a RUN command prints: kept out of stderr (the command already wrote them
/// to stdout) and written to the step's debug file.
pub const RUN_OUTPUT_TARGET: &str = "kaniko::run_output";

/// One area of the builder, as `--debug-components` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// Dockerfile instructions and the commands RUN executes.
    BuildSteps,
    /// The multi-platform coordinator and the index it publishes.
    MultiPlatform,
    /// The local, CI and Kubernetes drivers.
    Drivers,
    /// Manifests, configs, image indexes and the outputs that write them.
    Oci,
    /// The build context, root filesystems, snapshots and layers.
    Filesystem,
    /// Reuse of already pulled images.
    Cache,
    /// Registry requests, pulls, pushes and authentication.
    Registry,
    /// Image signing.
    Signing,
    /// Everything else: settings, the binary's own messages.
    Core,
}

impl Component {
    pub const ALL: [Component; 9] = [
        Component::BuildSteps,
        Component::MultiPlatform,
        Component::Drivers,
        Component::Oci,
        Component::Filesystem,
        Component::Cache,
        Component::Registry,
        Component::Signing,
        Component::Core,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Component::BuildSteps => "build-steps",
            Component::MultiPlatform => "multi-platform",
            Component::Drivers => "drivers",
            Component::Oci => "oci",
            Component::Filesystem => "filesystem",
            Component::Cache => "cache",
            Component::Registry => "registry",
            Component::Signing => "signing",
            Component::Core => "core",
        }
    }

    /// The component of an event or span whose target (module path) is `target`.
    pub fn of(target: &str) -> Component {
        let path = target.strip_prefix("kaniko::").unwrap_or("");
        let first = path.split("::").next().unwrap_or("");
        let has = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}::"));
        if has("coordinator::local") || has("coordinator::ci") || has("coordinator::k8s") {
            return Component::Drivers;
        }
        if target == RUN_OUTPUT_TARGET {
            return Component::BuildSteps;
        }
        if has("builder::images")
            || has("builder::layer_cache")
            || has("builder::cache_keys")
            || first == "cache"
        {
            return Component::Cache;
        }
        if has("builder::rootfs")
            || has("builder::layers")
            || has("builder::copy")
            || has("builder::workspace")
        {
            return Component::Filesystem;
        }
        match first {
            "builder" | "sandbox" | "dockerfile" => Component::BuildSteps,
            "coordinator" => Component::MultiPlatform,
            "index" | "image" | "output" => Component::Oci,
            "snapshot" | "context" => Component::Filesystem,
            "registry" => Component::Registry,
            "sign" => Component::Signing,
            _ => Component::Core,
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Component {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Component::ALL
            .into_iter()
            .find(|c| c.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Component::ALL.iter().map(|c| c.name()).collect();
                format!(
                    "unknown debug component {s:?}: expected all or one of {}",
                    names.join(", ")
                )
            })
    }
}

/// Parses a comma-separated component list; `all` names every component.
pub fn parse_list(list: &str) -> Result<BTreeSet<Component>, String> {
    let mut out = BTreeSet::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if item.eq_ignore_ascii_case("all") {
            out.extend(Component::ALL);
        } else {
            out.insert(item.parse()?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_follow_the_module_layout() {
        assert_eq!(Component::of("kaniko::builder::stage"), Component::BuildSteps);
        assert_eq!(Component::of("kaniko::registry::token"), Component::Registry);
        assert_eq!(Component::of("kaniko::coordinator"), Component::MultiPlatform);
        assert_eq!(Component::of("kaniko::coordinator::k8s::job"), Component::Drivers);
        assert_eq!(Component::of("kaniko::snapshot::layer"), Component::Filesystem);
        assert_eq!(Component::of("kaniko::index::publish"), Component::Oci);
        assert_eq!(Component::of("kaniko::builder::images"), Component::Cache);
        assert_eq!(Component::of(RUN_OUTPUT_TARGET), Component::BuildSteps);
        assert_eq!(Component::of("kaniko"), Component::Core);
        assert_eq!(Component::of("hyper::client"), Component::Core);
    }

    #[test]
    fn lists_parse_with_all_and_reject_unknown_names() {
        assert_eq!(parse_list("registry, oci").unwrap().len(), 2);
        assert_eq!(parse_list("all").unwrap().len(), Component::ALL.len());
        assert!(parse_list("registry,network").unwrap_err().contains("network"));
        assert_eq!(
            parse_list("build_steps").unwrap().into_iter().next(),
            Some(Component::BuildSteps)
        );
    }
}
