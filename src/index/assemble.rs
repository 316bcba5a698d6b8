// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Building the index document. Deterministic: the same images and settings give the same bytes,
//! whatever order the matrix finished in, because entries are sorted by platform.

use super::{IndexError, IndexSettings, PlatformImage};
use crate::image::{media_type, Descriptor, Digest, ImageIndex, ManifestFormat};

/// An index ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltIndex {
    pub index: ImageIndex,
    pub bytes: Vec<u8>,
    pub descriptor: Descriptor,
}

impl BuiltIndex {
    pub fn digest(&self) -> &Digest {
        &self.descriptor.digest
    }
}

/// Assembles the index for `images`, rejecting duplicate platforms and media-type mixes the chosen
/// format cannot express: a Docker manifest list can only list Docker manifests, and an OCI index
/// we write lists one family, not both (clients disagree on mixed indexes).
pub fn assemble_index(images: &[PlatformImage], settings: &IndexSettings) -> Result<BuiltIndex, IndexError> {
    if images.is_empty() {
        return Err(IndexError::Empty);
    }
    let mut sorted: Vec<&PlatformImage> = images.iter().collect();
    sorted.sort_by(|a, b| {
        platform_key(a)
            .cmp(&platform_key(b))
            .then_with(|| a.manifest.digest.to_string().cmp(&b.manifest.digest.to_string()))
    });
    for pair in sorted.windows(2) {
        if pair[0].platform == pair[1].platform {
            return Err(IndexError::DuplicatePlatform {
                platform: pair[0].platform.to_string(),
                first: pair[0].origin.clone(),
                second: pair[1].origin.clone(),
            });
        }
    }
    check_media_types(&sorted, settings.format)?;
    let mut index = ImageIndex::new(settings.format);
    index.annotations = settings.annotations.clone();
    index.manifests = sorted
        .iter()
        .map(|i| {
            let mut d = Descriptor::new(
                i.manifest.media_type.clone(),
                i.manifest.digest.clone(),
                i.manifest.size,
            );
            d.platform = Some(i.platform.clone());
            d.annotations = settings.descriptor_annotations.clone();
            d
        })
        .collect();
    let bytes = index.to_bytes().map_err(IndexError::Serialize)?;
    let descriptor = Descriptor::new(
        settings.format.index_media_type(),
        Digest::of(&bytes),
        bytes.len() as u64,
    );
    Ok(BuiltIndex {
        index,
        bytes,
        descriptor,
    })
}

/// Sort key: os, architecture, variant, then the rest of the platform, as text.
fn platform_key(image: &PlatformImage) -> (String, String, String, String) {
    let p = &image.platform;
    (
        p.os.clone(),
        p.architecture.clone(),
        p.variant.clone().unwrap_or_default(),
        format!("{:?}{:?}", p.os_version, p.os_features),
    )
}

fn check_media_types(images: &[&PlatformImage], format: ManifestFormat) -> Result<(), IndexError> {
    let list = |pred: fn(&str) -> bool| -> Vec<String> {
        images
            .iter()
            .filter(|i| pred(&i.manifest.media_type))
            .map(|i| format!("{} ({}, {})", i.platform, i.manifest.media_type, i.origin))
            .collect()
    };
    let not_manifest = list(|m| !media_type::is_image_manifest(m));
    if !not_manifest.is_empty() {
        return Err(IndexError::MediaTypeMix {
            kind: kind_name(format),
            detail: format!("not image manifests: {}", not_manifest.join(", ")),
        });
    }
    let oci = list(|m| m == media_type::OCI_MANIFEST);
    let docker = list(|m| m == media_type::DOCKER_MANIFEST);
    match format {
        ManifestFormat::Docker if !oci.is_empty() => Err(IndexError::MediaTypeMix {
            kind: kind_name(format),
            detail: format!(
                "a Docker manifest list cannot list OCI manifests: {}; build them with Docker media types or drop --legacy-manifest-list",
                oci.join(", ")
            ),
        }),
        ManifestFormat::Oci if !oci.is_empty() && !docker.is_empty() => Err(IndexError::MediaTypeMix {
            kind: kind_name(format),
            detail: format!(
                "OCI manifests ({}) and Docker manifests ({}); build every platform with the same media types",
                oci.join(", "),
                docker.join(", ")
            ),
        }),
        _ => Ok(()),
    }
}

fn kind_name(format: ManifestFormat) -> &'static str {
    match format {
        ManifestFormat::Oci => "OCI image index",
        ManifestFormat::Docker => "Docker manifest list",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;

    fn image(platform: &str, media: &str, seed: &[u8]) -> PlatformImage {
        PlatformImage {
            platform: platform.parse::<Platform>().unwrap(),
            manifest: Descriptor::new(media, Digest::of(seed), 100 + seed.len() as u64),
            origin: format!("record-{platform}"),
        }
    }

    fn oci() -> IndexSettings {
        IndexSettings {
            publish: true,
            annotations: [(
                "org.opencontainers.image.source".to_string(),
                "https://x".to_string(),
            )]
            .into(),
            descriptor_annotations: [("org.example.arch-note".to_string(), "native".to_string())].into(),
            format: ManifestFormat::Oci,
        }
    }

    #[test]
    fn order_does_not_change_the_digest() {
        let a = image("linux/arm64", media_type::OCI_MANIFEST, b"a");
        let b = image("linux/amd64", media_type::OCI_MANIFEST, b"b");
        let c = image("linux/arm/v7", media_type::OCI_MANIFEST, b"c");
        let one = assemble_index(&[a.clone(), b.clone(), c.clone()], &oci()).unwrap();
        let two = assemble_index(&[c, a, b], &oci()).unwrap();
        assert_eq!(one.bytes, two.bytes);
        let platforms: Vec<String> = one
            .index
            .manifests
            .iter()
            .map(|d| d.platform.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(platforms, ["linux/amd64", "linux/arm/v7", "linux/arm64"]);
        let json: serde_json::Value = serde_json::from_slice(&one.bytes).unwrap();
        assert_eq!(json["mediaType"], media_type::OCI_INDEX);
        assert_eq!(
            json["annotations"]["org.opencontainers.image.source"],
            "https://x"
        );
        assert_eq!(json["manifests"][2]["platform"]["architecture"], "arm64");
        for m in json["manifests"].as_array().unwrap() {
            assert_eq!(m["annotations"]["org.example.arch-note"], "native", "{m}");
        }
        assert_eq!(one.descriptor.digest, Digest::of(&one.bytes));
    }

    #[test]
    fn rejects_duplicates_and_mixes() {
        let e = assemble_index(
            &[
                image("linux/arm64", media_type::OCI_MANIFEST, b"a"),
                image("linux/arm64/v8", media_type::OCI_MANIFEST, b"b"),
            ],
            &oci(),
        )
        .unwrap_err();
        assert!(matches!(e, IndexError::DuplicatePlatform { .. }), "{e}");

        let mixed = [
            image("linux/amd64", media_type::OCI_MANIFEST, b"a"),
            image("linux/arm64", media_type::DOCKER_MANIFEST, b"b"),
        ];
        let e = assemble_index(&mixed, &oci()).unwrap_err().to_string();
        assert!(
            e.contains("OCI manifests") && e.contains("Docker manifests"),
            "{e}"
        );
        let legacy = IndexSettings {
            format: ManifestFormat::Docker,
            annotations: Default::default(),
            descriptor_annotations: Default::default(),
            publish: true,
        };
        let e = assemble_index(&mixed, &legacy).unwrap_err().to_string();
        assert!(e.contains("cannot list OCI manifests"), "{e}");

        let docker = [
            image("linux/amd64", media_type::DOCKER_MANIFEST, b"a"),
            image("linux/arm64", media_type::DOCKER_MANIFEST, b"b"),
        ];
        let list = assemble_index(&docker, &legacy).unwrap();
        assert_eq!(list.descriptor.media_type, media_type::DOCKER_MANIFEST_LIST);
        assert!(assemble_index(&[], &oci()).is_err());
    }
}
