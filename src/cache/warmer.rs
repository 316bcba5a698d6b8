// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `kaniko warmer`: pulls base images (named, or read from the FROM lines of a Dockerfile) into
//! the cache directory ([`super::dir`]), so that builds on this machine start from them without a
//! registry round trip. An image warmed less than the TTL ago is not pulled again unless forced.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::dir::{CacheDir, CacheDirError, WarmedImage};
use crate::dockerfile::{
    global_scope, parse, plan_build, predefined_args, DockerfileError, PlanOptions, StageRef,
};
use crate::image::{Digest, ImageManifest};
use crate::platform::{Platform, PlatformError};
use crate::registry::{Reference, RegistryClient, RegistryError};

/// Image configs are small JSON; a larger one is refused.
const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// What to warm, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarmRequest {
    /// `--cache-dir`, created if missing.
    pub cache_dir: PathBuf,
    /// `--image`: references as the build's FROM lines will name them.
    pub images: Vec<String>,
    /// `--dockerfile`: every FROM that names an image (after expanding the global ARGs) is warmed
    /// too, for its `--platform` when it has one.
    pub dockerfile: Option<PathBuf>,
    /// `--build-arg` values for the Dockerfile's global ARGs.
    pub build_args: BTreeMap<String, String>,
    /// `--custom-platform`, else the host's.
    pub platform: Platform,
    /// `--cache-ttl` in seconds: younger warmed images are kept as they are.
    pub ttl_secs: u64,
    /// `--force`: pull even images warmed less than the TTL ago.
    pub force: bool,
}

/// One image the warmer dealt with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warmed {
    pub image: String,
    pub platform: Platform,
    /// The image manifest's digest (as the registry serves it).
    pub digest: Digest,
    /// `false` when a warmed copy younger than the TTL was already there.
    pub pulled: bool,
}

/// Why warming failed.
#[derive(Debug, thiserror::Error)]
pub enum WarmError {
    #[error("nothing to warm: give --image IMAGE or --dockerfile PATH")]
    NothingToWarm,
    #[error("reading Dockerfile {path}: {source}")]
    ReadDockerfile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Dockerfile(#[from] DockerfileError),
    #[error("FROM --platform of base image {image}: {source}")]
    StagePlatform {
        image: String,
        #[source]
        source: PlatformError,
    },
    #[error("warming {image} ({platform}) from registry {registry}: {source}")]
    Pull {
        image: String,
        platform: String,
        registry: String,
        #[source]
        source: Box<RegistryError>,
    },
    #[error("warming {image} ({platform}): {reason}")]
    Image {
        image: String,
        platform: String,
        reason: String,
    },
    #[error("warming {image}: {source}")]
    Reference {
        image: String,
        #[source]
        source: Box<RegistryError>,
    },
    #[error(transparent)]
    CacheDir(#[from] CacheDirError),
}

/// Warms every image of `request` into its cache directory, one after the other; stops at the
/// first failure (what was warmed before it stays).
pub async fn warm(request: &WarmRequest, registry: &RegistryClient) -> Result<Vec<Warmed>, WarmError> {
    let mut wanted: Vec<(String, Platform)> = request
        .images
        .iter()
        .map(|i| (i.clone(), request.platform.clone()))
        .collect();
    if let Some(path) = &request.dockerfile {
        let text = fs_err::read_to_string(path).map_err(|source| WarmError::ReadDockerfile {
            path: path.clone(),
            source,
        })?;
        let file_name = path.display().to_string();
        wanted.extend(dockerfile_bases(
            &text,
            &file_name,
            &request.build_args,
            &request.platform,
        )?);
    }
    let mut seen = std::collections::BTreeSet::new();
    wanted.retain(|(image, platform)| seen.insert((image.clone(), platform.to_string())));
    if wanted.is_empty() {
        return Err(WarmError::NothingToWarm);
    }
    let dir = CacheDir::create(&request.cache_dir)?;
    let mut out = Vec::with_capacity(wanted.len());
    for (image, platform) in wanted {
        out.push(warm_one(&dir, registry, &image, &platform, request).await?);
    }
    Ok(out)
}

/// The images the FROM lines of a Dockerfile name, with the platform each stage is built for:
/// `scratch` and earlier stages are not images, and global ARGs are expanded as a build would.
pub fn dockerfile_bases(
    text: &str,
    file_name: &str,
    build_args: &BTreeMap<String, String>,
    platform: &Platform,
) -> Result<Vec<(String, Platform)>, WarmError> {
    let dockerfile = parse(text, file_name)?;
    let predefined = predefined_args(platform, &Platform::host());
    let global = global_scope(&dockerfile, build_args, &predefined)?;
    let plan = plan_build(&dockerfile, &global, build_args, &PlanOptions::default())?;
    let mut out = Vec::new();
    for deps in &plan.stages {
        let StageRef::Image(image) = &deps.base else {
            continue;
        };
        let stage_platform = match &deps.platform {
            Some(p) => p.parse().map_err(|source| WarmError::StagePlatform {
                image: image.clone(),
                source,
            })?,
            None => platform.clone(),
        };
        out.push((image.clone(), stage_platform));
    }
    Ok(out)
}

async fn warm_one(
    dir: &CacheDir,
    registry: &RegistryClient,
    image: &str,
    platform: &Platform,
    request: &WarmRequest,
) -> Result<Warmed, WarmError> {
    let now = unix_now();
    if !request.force {
        if let Some(found) = dir.lookup(image, platform, request.ttl_secs, now) {
            tracing::info!(
                image,
                %platform,
                digest = %found.manifest.digest,
                age_secs = now.saturating_sub(found.created),
                "already warmed less than --cache-ttl ago: not pulled again (--force pulls anyway)"
            );
            return Ok(Warmed {
                image: image.to_string(),
                platform: platform.clone(),
                digest: found.manifest.digest,
                pulled: false,
            });
        }
    }
    tracing::info!(image, %platform, cache_dir = %dir.root().display(), "pulling base image into the cache directory");
    let reference = Reference::parse(image).map_err(|source| WarmError::Reference {
        image: image.to_string(),
        source: Box::new(source),
    })?;
    let pull_err = |source: RegistryError| WarmError::Pull {
        image: image.to_string(),
        platform: platform.to_string(),
        registry: reference.registry().to_string(),
        source: Box::new(source),
    };
    let resolved = registry
        .resolve_platform_manifest(&reference, platform)
        .await
        .map_err(&pull_err)?;
    let bad = |reason: String| WarmError::Image {
        image: image.to_string(),
        platform: platform.to_string(),
        reason,
    };
    let manifest = ImageManifest::parse(&resolved.manifest.bytes)
        .map_err(|e| bad(format!("manifest {}: {e}", resolved.manifest.digest)))?;
    let config = match resolved.config {
        Some(bytes) => bytes,
        None => registry
            .get_blob_bytes(&resolved.reference, &manifest.config.digest, MAX_CONFIG_BYTES)
            .await
            .map_err(&pull_err)?,
    };
    if dir.write_blob(&config)? != manifest.config.digest {
        return Err(bad(format!(
            "the config does not match the manifest's digest {}",
            manifest.config.digest
        )));
    }
    let (mut pulled, mut present) = (0, 0);
    for layer in &manifest.layers {
        if dir.has_blob(&layer.digest, layer.size) {
            present += 1;
            continue;
        }
        // Written beside its final name and renamed once its digest is verified.
        registry
            .get_blob_to_file(
                &resolved.reference.with_digest(layer.digest.clone()),
                &layer.digest,
                &dir.blob_path(&layer.digest),
            )
            .await
            .map_err(&pull_err)?;
        pulled += 1;
    }
    dir.record(&WarmedImage {
        reference: image,
        platform,
        manifest: &resolved.manifest,
        index_digest: resolved.index.as_ref().map(|i| &i.digest),
        created: now,
    })?;
    tracing::info!(
        image,
        %platform,
        digest = %resolved.manifest.digest,
        layers_pulled = pulled,
        layers_present = present,
        "warmed base image"
    );
    Ok(Warmed {
        image: image.to_string(),
        platform: platform.clone(),
        digest: resolved.manifest.digest,
        pulled: true,
    })
}

/// Seconds since the epoch (a clock before 1970 counts as the epoch).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_bases_expand_global_args_and_skip_stages_and_scratch() {
        let text = "ARG BASE=r.example/base\nARG TAG\nFROM ${BASE}:${TAG} AS build\nRUN true\n\
                    FROM build AS again\nFROM scratch\nCOPY --from=build /x /x\n\
                    FROM --platform=linux/arm64 r.example/other:1\n";
        let args = BTreeMap::from([("TAG".to_string(), "7".to_string())]);
        let amd64: Platform = "linux/amd64".parse().unwrap();
        let bases = dockerfile_bases(text, "Dockerfile", &args, &amd64).unwrap();
        assert_eq!(
            bases,
            vec![
                ("r.example/base:7".to_string(), amd64.clone()),
                ("r.example/other:1".to_string(), "linux/arm64".parse().unwrap()),
            ]
        );
    }
}
