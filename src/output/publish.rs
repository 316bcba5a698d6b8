// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The records every command writes about what it published, image or index alike: kaniko's digest
//! files and the metadata record, with the destinations named one way, by [`Reference`]
//! (`registry/repository:tag`, or `registry/repository@digest` for a push by digest).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::digest_file;
use super::record::BuildRecord;
use super::OutputError;
use crate::image::{Descriptor, Digest};
use crate::platform::Platform;
use crate::registry::Reference;

/// Files describing what was published (`--digest-file`, `--image-name-with-digest-file`,
/// `--image-name-tag-with-digest-file`, `--metadata-file`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFiles {
    pub digest_file: Option<PathBuf>,
    pub image_name_with_digest_file: Option<PathBuf>,
    pub image_name_tag_with_digest_file: Option<PathBuf>,
    pub metadata_file: Option<PathBuf>,
}

impl RecordFiles {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// What the records describe.
#[derive(Debug, Clone)]
pub enum Subject {
    /// One platform's image.
    Image {
        platform: Platform,
        config: Digest,
        /// Manifest, config and every layer, compressed.
        size: u64,
    },
    /// An image index of these platforms.
    Index { platforms: Vec<Platform> },
}

/// A published image or index.
#[derive(Debug, Clone)]
pub struct Publication<'a> {
    /// The manifest's or index's descriptor.
    pub descriptor: &'a Descriptor,
    pub destinations: &'a [Reference],
    /// Pushed by digest: no tag was created or moved.
    pub by_digest: bool,
    /// Whether the destinations now hold it (an index that was only printed names none).
    pub in_destinations: bool,
    pub subject: Subject,
}

/// Writes every record file that was asked for.
pub fn write_records(files: &RecordFiles, published: &Publication<'_>) -> Result<(), OutputError> {
    let digest = &published.descriptor.digest;
    if let Some(p) = &files.digest_file {
        digest_file::write_digest_file(p, digest)?;
    }
    if let Some(p) = &files.image_name_with_digest_file {
        digest_file::write_image_name_with_digest_file(p, published.destinations, digest)?;
    }
    if let Some(p) = &files.image_name_tag_with_digest_file {
        digest_file::write_image_name_tag_with_digest_file(p, published.destinations, digest)?;
    }
    if let Some(p) = &files.metadata_file {
        metadata_record(published).write(p)?;
    }
    Ok(())
}

fn metadata_record(published: &Publication<'_>) -> BuildRecord {
    let digest = &published.descriptor.digest;
    let destinations = published.destinations;
    let names = match published.in_destinations {
        false => Vec::new(),
        true => destinations
            .iter()
            .map(|d| match published.by_digest {
                true => format!("{}@{digest}", d.repository_url()),
                false => d.repo_tag(),
            })
            .collect(),
    };
    let mut record = BuildRecord::new(
        destinations
            .first()
            .map(Reference::repository_url)
            .unwrap_or_default(),
        digest.clone(),
        published.descriptor.size,
        published.descriptor.media_type.clone(),
        names,
    );
    match &published.subject {
        Subject::Image {
            platform,
            config,
            size,
        } => {
            record.platform = Some(platform.clone().normalized());
            record.config_digest = Some(config.clone());
            record.image_size = Some(*size);
        }
        Subject::Index { platforms } => record.platforms = platforms.clone(),
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor() -> Descriptor {
        Descriptor::new("application/vnd.oci.image.manifest.v1+json", Digest::of(b"m"), 7)
    }

    #[test]
    fn one_record_shape_for_images_and_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let files = RecordFiles {
            digest_file: Some(dir.path().join("digest")),
            image_name_with_digest_file: Some(dir.path().join("names")),
            image_name_tag_with_digest_file: Some(dir.path().join("tags")),
            metadata_file: Some(dir.path().join("meta.json")),
        };
        let descriptor = descriptor();
        let destinations = [Reference::parse("127.0.0.1:5000/app:v1").unwrap()];
        let image = Publication {
            descriptor: &descriptor,
            destinations: &destinations,
            by_digest: true,
            in_destinations: true,
            subject: Subject::Image {
                platform: "linux/arm64".parse().unwrap(),
                config: Digest::of(b"c"),
                size: 99,
            },
        };
        write_records(&files, &image).unwrap();
        let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
        assert_eq!(read("digest"), descriptor.digest.to_string());
        assert_eq!(
            read("names"),
            format!("127.0.0.1:5000/app@{}\n", descriptor.digest)
        );
        assert_eq!(
            read("tags"),
            format!("127.0.0.1:5000/app:v1@{}\n", descriptor.digest)
        );
        let record = BuildRecord::parse(read("meta.json").as_bytes()).unwrap();
        assert_eq!(
            record.destinations,
            [format!("127.0.0.1:5000/app@{}", descriptor.digest)]
        );
        assert_eq!(record.image_size, Some(99));

        let index = Publication {
            by_digest: false,
            in_destinations: false,
            subject: Subject::Index {
                platforms: vec!["linux/amd64".parse().unwrap()],
            },
            ..image
        };
        write_records(&files, &index).unwrap();
        let record = BuildRecord::parse(read("meta.json").as_bytes()).unwrap();
        assert!(
            record.destinations.is_empty(),
            "an index that was only printed is in no destination"
        );
        assert_eq!(record.image, "127.0.0.1:5000/app");
        assert_eq!(record.platforms.len(), 1);
        assert_eq!(record.platform, None);
    }
}
