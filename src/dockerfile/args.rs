// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! ARG scoping as BuildKit does it: the global scope (ARGs before the first FROM, plus the predefined
//! platform ARGs) is what FROM lines see; inside a stage an ARG is visible only after an `ARG NAME`
//! line, which takes its value from `--build-arg`, else its own default, else the global scope. The
//! proxy ARGs may be passed without being declared: they reach RUN but never the image.

use std::collections::{BTreeMap, BTreeSet};

use crate::platform::Platform;

use super::error::DockerfileError;
use super::expand::{expand_word, ExpandError, Lookup};
use super::instruction::{ArgDecl, InstructionKind};
use super::Dockerfile;

/// Build args usable in RUN without an `ARG` line, excluded from image history and from the
/// "unused build-arg" warning.
pub const PROXY_ARGS: [&str; 10] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Whether `name` is one of [`PROXY_ARGS`] (case-sensitive, as Docker lists them).
pub fn is_proxy_arg(name: &str) -> bool {
    PROXY_ARGS.contains(&name)
}

/// The proxy build args to put in RUN's environment.
pub fn proxy_env(build_args: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    build_args
        .iter()
        .filter(|(k, _)| is_proxy_arg(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT and their BUILD* counterparts. The variant is
/// the empty string when the platform has none.
pub fn predefined_args(target: &Platform, build: &Platform) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (prefix, p) in [("TARGET", target), ("BUILD", build)] {
        out.insert(format!("{prefix}PLATFORM"), p.to_string());
        out.insert(format!("{prefix}OS"), p.os.clone());
        out.insert(format!("{prefix}ARCH"), p.architecture.clone());
        out.insert(format!("{prefix}VARIANT"), p.variant.clone().unwrap_or_default());
    }
    out
}

/// The global scope: `predefined` values, then each ARG before the first FROM in order, valued by
/// `--build-arg`, else its default expanded in the scope so far. An ARG without a value that names
/// a predefined ARG keeps the predefined value; other valueless ARGs stay unset.
pub fn global_scope(
    dockerfile: &Dockerfile,
    build_args: &BTreeMap<String, String>,
    predefined: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, DockerfileError> {
    let mut scope = predefined.clone();
    for instruction in &dockerfile.global_args {
        let InstructionKind::Arg(decls) = &instruction.kind else {
            continue;
        };
        for decl in decls {
            let value = match (build_args.get(&decl.name), &decl.default) {
                (Some(v), _) => Some(v.clone()),
                (None, Some(default)) => {
                    let lookup = |k: &str| scope.get(k).cloned();
                    Some(
                        expand_word(default, dockerfile.escape(), &lookup)
                            .map_err(|e| e.at(&dockerfile.file_name, instruction.location))?,
                    )
                }
                (None, None) => None,
            };
            match value {
                Some(v) => {
                    scope.insert(decl.name.clone(), v);
                }
                None if predefined.contains_key(&decl.name) => {}
                None => {
                    scope.remove(&decl.name);
                }
            }
        }
    }
    Ok(scope)
}

/// The value an `ARG` line inside a stage gives its name: `--build-arg`, else the default expanded
/// with the stage's environment so far (`lookup`), else the global scope, else unset (`None`).
pub fn resolve_arg(
    decl: &ArgDecl,
    escape: char,
    build_args: &BTreeMap<String, String>,
    global: &BTreeMap<String, String>,
    lookup: Lookup<'_>,
) -> Result<Option<String>, ExpandError> {
    if let Some(v) = build_args.get(&decl.name) {
        return Ok(Some(v.clone()));
    }
    match &decl.default {
        Some(default) => expand_word(default, escape, lookup).map(Some),
        None => Ok(global.get(&decl.name).cloned()),
    }
}

/// Build args that no ARG line declares (Docker warns about them), proxy args excepted, sorted.
pub fn unused_build_args(dockerfile: &Dockerfile, build_args: &BTreeMap<String, String>) -> Vec<String> {
    let declared: BTreeSet<&str> = dockerfile
        .global_args
        .iter()
        .chain(dockerfile.stages.iter().flat_map(|s| s.instructions.iter()))
        .filter_map(|i| match &i.kind {
            InstructionKind::Arg(decls) => Some(decls.iter().map(|d| d.name.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    build_args
        .keys()
        .filter(|k| !declared.contains(k.as_str()) && !is_proxy_arg(k))
        .cloned()
        .collect()
}
