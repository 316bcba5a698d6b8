// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `docker save`-format tarballs (`--tar-path`), laid out the way Docker 25+ writes them so that
//! `docker load`, `skopeo … docker-archive:` and `skopeo … oci-archive:` all read the same file:
//!
//! ```text
//! blobs/sha256/<hex>   config, layers (as pushed, compressed) and manifests, each once
//! index.json           OCI index: one manifest per tag, with ref-name annotations
//! manifest.json        docker's list of {Config, RepoTags, Layers} (paths into blobs/)
//! oci-layout           {"imageLayoutVersion":"1.0.0"}
//! repositories         legacy {repo: {tag: id}} map
//! ```
//!
//! The tarball is written to a temporary file and renamed into place when complete.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::atomic_file::AtomicFile;
use super::blob_fetcher::{copy_layer, BlobFetcher};
use super::OutputError;
use crate::image::{json, AssembledImage, Descriptor, Digest, ImageIndex, ManifestFormat};
use crate::registry::Reference;

/// Annotation the OCI layout uses for a manifest's tag.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";
/// Annotation containerd and Docker use for the full image name in an archive's index.
pub const CONTAINERD_NAME_ANNOTATION: &str = "io.containerd.image.name";

/// One image to put in a tarball, with the names it gets on load.
#[derive(Debug, Clone, Copy)]
pub struct TarballImage<'a> {
    pub image: &'a AssembledImage,
    /// Each becomes a `repository:tag` ([`Reference::repo_tag`]; a digest-only reference gets
    /// `latest`); may be empty (loaded untagged).
    pub tags: &'a [Reference],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    repo_tags: Vec<String>,
    layers: Vec<String>,
}

/// Writes `images` to a tarball at `path`, atomically. Remote base layers are fetched with
/// `fetcher`; every layer is verified against its digest as it is written.
pub fn write_tarball(
    path: &Path,
    images: &[TarballImage<'_>],
    fetcher: &dyn BlobFetcher,
) -> Result<(), OutputError> {
    let io_err = |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tar = tar::Builder::new(AtomicFile::create(path)?);
    let mut written: BTreeSet<Digest> = BTreeSet::new();
    let mut docker_manifest = Vec::new();
    let mut index = ImageIndex::new(ManifestFormat::Oci);
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();

    for entry in images {
        let image = entry.image;
        if written.insert(image.config_descriptor.digest.clone()) {
            append_bytes(
                &mut tar,
                &blob_path(&image.config_descriptor.digest),
                &image.config_bytes,
            )
            .map_err(io_err)?;
        }
        for layer in &image.layers {
            if written.insert(layer.descriptor.digest.clone()) {
                let name = blob_path(&layer.descriptor.digest);
                append_header(&mut tar, &name, layer.descriptor.size).map_err(io_err)?;
                copy_layer(layer, fetcher, tar.get_mut())?;
                pad(tar.get_mut(), layer.descriptor.size).map_err(io_err)?;
            }
        }
        // The OCI index lists an OCI manifest (converted for Docker-format images, as Docker 25+
        // does), because OCI-layout readers skip other media types.
        let (oci_manifest_bytes, oci_manifest) = image.oci_manifest().map_err(OutputError::Assemble)?;
        if written.insert(oci_manifest.digest.clone()) {
            append_bytes(&mut tar, &blob_path(&oci_manifest.digest), &oci_manifest_bytes).map_err(io_err)?;
        }

        docker_manifest.push(DockerManifestEntry {
            config: blob_path(&image.config_descriptor.digest),
            repo_tags: entry.tags.iter().map(Reference::repo_tag).collect(),
            layers: image
                .layers
                .iter()
                .map(|l| blob_path(&l.descriptor.digest))
                .collect(),
        });

        let top_layer = image.layers.last().map(|l| l.diff_id.hex().to_string());
        let index_descriptor = |annotations: BTreeMap<String, String>| Descriptor {
            annotations,
            ..oci_manifest.clone()
        };
        if entry.tags.is_empty() {
            index.manifests.push(index_descriptor(BTreeMap::new()));
        }
        for reference in entry.tags {
            let tag = reference.tag_or_default();
            let annotations = BTreeMap::from([
                (
                    CONTAINERD_NAME_ANNOTATION.to_string(),
                    reference.containerd_name(),
                ),
                (REF_NAME_ANNOTATION.to_string(), tag.to_string()),
            ]);
            index.manifests.push(index_descriptor(annotations));
            if let Some(top) = &top_layer {
                repositories
                    .entry(reference.repository_url())
                    .or_default()
                    .insert(tag.to_string(), top.clone());
            }
        }
    }

    append_bytes(
        &mut tar,
        "index.json",
        &index.to_bytes().map_err(OutputError::Manifest)?,
    )
    .map_err(io_err)?;
    append_bytes(
        &mut tar,
        "manifest.json",
        &json::to_vec(&docker_manifest).map_err(OutputError::Json)?,
    )
    .map_err(io_err)?;
    append_bytes(&mut tar, "oci-layout", OCI_LAYOUT_FILE).map_err(io_err)?;
    if !repositories.is_empty() {
        append_bytes(
            &mut tar,
            "repositories",
            &json::to_vec(&repositories).map_err(OutputError::Json)?,
        )
        .map_err(io_err)?;
    }
    let file = tar.into_inner().map_err(io_err)?;
    file.commit()?;
    tracing::info!(path = %path.display(), images = images.len(), "wrote image tarball");
    Ok(())
}

/// Contents of the `oci-layout` marker file.
pub const OCI_LAYOUT_FILE: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

/// `blobs/sha256/<hex>`.
pub fn blob_path(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm(), digest.hex())
}

fn header(name: &str, size: u64) -> std::io::Result<tar::Header> {
    let mut h = tar::Header::new_ustar();
    h.set_path(name)?;
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_size(size);
    h.set_mtime(0);
    h.set_cksum();
    Ok(h)
}

fn append_bytes<W: Write>(tar: &mut tar::Builder<W>, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    tar.append(&header(name, bytes.len() as u64)?, bytes)
}

fn append_header<W: Write>(tar: &mut tar::Builder<W>, name: &str, size: u64) -> std::io::Result<()> {
    tar.get_mut().write_all(header(name, size)?.as_bytes())
}

fn pad(out: &mut impl Write, size: u64) -> std::io::Result<()> {
    let rem = (size % 512) as usize;
    if rem != 0 {
        out.write_all(&[0u8; 512][rem..])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Read;

    use super::*;
    use crate::image::{History, ImageAssembler};
    use crate::output::DirBlobFetcher;
    use crate::platform::Platform;
    use crate::snapshot::{EntryMeta, LayerOptions, LayerWriter};

    fn image(dir: &Path, format: ManifestFormat, content: &[u8]) -> AssembledImage {
        let shared = LayerWriter::create(
            dir,
            LayerOptions {
                format,
                ..LayerOptions::default()
            },
        )
        .unwrap();
        let shared = shared.finish().unwrap();
        let mut own = LayerWriter::create(
            dir,
            LayerOptions {
                format,
                ..LayerOptions::default()
            },
        )
        .unwrap();
        own.append_file(
            Path::new("f"),
            content,
            content.len() as u64,
            &EntryMeta::with_mode(0o644),
        )
        .unwrap();
        let own = own.finish().unwrap();
        let mut a = ImageAssembler::scratch(format, &Platform::new("linux", "amd64", None));
        a.append_layer(shared, History::default());
        a.append_layer(own, History::default());
        a.assemble().unwrap()
    }

    fn read_tar(path: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut archive = tar::Archive::new(fs_err::File::open(path).unwrap());
        let mut out = BTreeMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            assert!(out.insert(name, bytes).is_none(), "duplicate entry");
        }
        out
    }

    #[test]
    fn several_images_and_tags_share_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let one = image(dir.path(), ManifestFormat::Oci, b"one");
        let two = image(dir.path(), ManifestFormat::Docker, b"two");
        let tags_one = ["app:1", "localhost:5000/team/app"].map(|t| Reference::parse(t).unwrap());
        let tar_path = dir.path().join("out.tar");
        let images = [
            TarballImage {
                image: &one,
                tags: &tags_one,
            },
            TarballImage {
                image: &two,
                tags: &[],
            },
        ];
        write_tarball(&tar_path, &images, &DirBlobFetcher::new(dir.path())).unwrap();
        let files = read_tar(&tar_path);

        // Empty shared layer once, one own layer each, one config each (identical configs would
        // dedupe too), one OCI manifest each.
        let blobs = files.keys().filter(|k| k.starts_with("blobs/sha256/")).count();
        assert_eq!(blobs, 1 + 2 + 2 + 2, "{:?}", files.keys());
        for (name, bytes) in files.iter().filter(|(k, _)| k.starts_with("blobs/")) {
            assert_eq!(name.rsplit('/').next().unwrap(), Digest::of(bytes).hex());
        }

        let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(manifest[0]["Config"], blob_path(&one.config_descriptor.digest));
        assert_eq!(
            manifest[0]["RepoTags"],
            serde_json::json!(["index.docker.io/library/app:1", "localhost:5000/team/app:latest"])
        );
        assert_eq!(
            manifest[0]["Layers"][1],
            blob_path(&one.layers[1].descriptor.digest)
        );
        assert_eq!(manifest[1]["RepoTags"], serde_json::json!([]));

        let index = ImageIndex::parse(&files["index.json"]).unwrap();
        assert_eq!(index.manifests.len(), 3);
        assert_eq!(index.manifests[0].digest, one.manifest_descriptor.digest);
        assert_eq!(
            index.manifests[0].annotations[CONTAINERD_NAME_ANNOTATION],
            "docker.io/library/app:1"
        );
        assert_eq!(index.manifests[1].annotations[REF_NAME_ANNOTATION], "latest");
        assert_eq!(
            index.manifests[1].annotations[CONTAINERD_NAME_ANNOTATION],
            "localhost:5000/team/app:latest"
        );
        // The Docker-format image is listed through its OCI view.
        let (_, two_oci) = two.oci_manifest().unwrap();
        assert_eq!(index.manifests[2].digest, two_oci.digest);
        assert_eq!(
            index.manifests[2].media_type,
            crate::image::media_type::OCI_MANIFEST
        );

        assert_eq!(files["oci-layout"], OCI_LAYOUT_FILE);
        let repos: serde_json::Value = serde_json::from_slice(&files["repositories"]).unwrap();
        assert_eq!(
            repos["index.docker.io/library/app"]["1"],
            one.layers[1].diff_id.hex()
        );
    }
}
