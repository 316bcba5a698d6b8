// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Checking a CI matrix's entries against the registry before anything is published: each manifest
//! must be in every destination repository, be an image manifest, and describe (in its config) the
//! platform its record declares. The index takes the platform from the config, so a digest-only entry
//! (Docker's recipe) gets the right one too.

use super::entries::Entry;
use super::{IndexError, PlatformImage};
use crate::image::{media_type, ImageConfig, ImageManifest};
use crate::platform::Platform;
use crate::registry::{Reference, RegistryClient};

/// An image config is small; refuse anything that is not.
const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// Resolves every entry to the image it names, checked in each destination repository.
pub async fn verify_entries(
    registry: &RegistryClient,
    destinations: &[Reference],
    entries: &[Entry],
) -> Result<Vec<PlatformImage>, IndexError> {
    let mut images = Vec::with_capacity(entries.len());
    for entry in entries {
        let mut found: Option<PlatformImage> = None;
        for dest in destinations {
            let image = check_in(registry, dest, entry).await?;
            if let Some(first) = &found {
                if first.manifest != image.manifest || first.platform != image.platform {
                    return Err(IndexError::Mismatch {
                        entry: entry.source.to_string(),
                        reason: format!("{} differs between destination repositories", entry.digest),
                    });
                }
            } else {
                found = Some(image);
            }
        }
        images.extend(found);
    }
    Ok(images)
}

async fn check_in(
    registry: &RegistryClient,
    dest: &Reference,
    entry: &Entry,
) -> Result<PlatformImage, IndexError> {
    let repo = format!("{}/{}", dest.registry(), dest.repository());
    let mismatch = |reason: String| IndexError::Mismatch {
        entry: entry.source.to_string(),
        reason,
    };
    let pinned = dest.with_digest(entry.digest.clone());
    // Reads of a destination go with the push options (`--insecure`, `--skip-tls-verify`), as the
    // publishing that follows does.
    let manifest = registry.get_destination_manifest(&pinned).await.map_err(|e| {
        mismatch(format!(
            "manifest {} is not readable in {repo} (push every platform to each --destination repository first): {e}",
            entry.digest
        ))
    })?;
    if !media_type::is_image_manifest(&manifest.media_type) {
        return Err(mismatch(format!(
            "{} in {repo} is a {}, not an image manifest",
            entry.digest, manifest.media_type
        )));
    }
    let parsed = ImageManifest::parse(&manifest.bytes)
        .map_err(|e| mismatch(format!("manifest {} in {repo}: {e}", entry.digest)))?;
    let config_bytes = registry
        .get_destination_blob_bytes(&pinned, &parsed.config.digest, MAX_CONFIG_BYTES)
        .await
        .map_err(|e| mismatch(format!("config of {} in {repo}: {e}", entry.digest)))?;
    let config = ImageConfig::parse(&config_bytes)
        .map_err(|e| mismatch(format!("config of {} in {repo}: {e}", entry.digest)))?;
    if config.os.is_empty() || config.architecture.is_empty() {
        return Err(mismatch(format!(
            "the config of {} in {repo} names no os/architecture",
            entry.digest
        )));
    }
    let actual: Platform = config.platform().normalized();
    if let Some(declared) = &entry.platform {
        if !declared.matches(&actual) {
            return Err(mismatch(format!(
                "the record declares {declared} but the image config of {} says {actual}",
                entry.digest
            )));
        }
    }
    Ok(PlatformImage {
        platform: actual,
        manifest: manifest.descriptor(),
        origin: entry.source.to_string(),
    })
}
