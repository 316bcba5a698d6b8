// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--cache-dir`: base images and layer blobs kept on this machine, as an OCI image layout
//! (`oci-layout`, `index.json`, `blobs/sha256/<hex>`) so that skopeo, umoci or crane can read what
//! `kaniko warmer` put there.
//!
//! Each warmed image is one `index.json` entry for one platform, annotated with the reference it
//! was warmed as ([`REF_NAME_ANNOTATION`], e.g. `registry.example/base:1`), the platform
//! ([`PLATFORM_ANNOTATION`]), when it was warmed ([`CREATED_ANNOTATION`], unix seconds) and the
//! digest of the manifest as the registry served it ([`MANIFEST_ANNOTATION`]). The entry itself
//! always points at an OCI manifest, since OCI-layout readers skip Docker manifests: for a Docker
//! base it is a translation over the same config and layer blobs, and the registry's own bytes are
//! kept as a blob beside it, because the build keys its layer cache on that digest.
//!
//! Blobs are written under a temporary name and renamed, and `index.json` is replaced last under
//! an exclusive lock (`index.json.lock`, shared with `kaniko cache prune`), so a reader never sees
//! an entry whose blobs are missing and two warmers do not lose each other's entries. Layer blobs the build downloads with `--cache`
//! land in the same `blobs/sha256/` (content-addressed, never expiring).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::entry::CREATED_ANNOTATION;
use crate::image::media_type::{self, DOCKER_MANIFEST};
use crate::image::{Descriptor, Digest, ImageIndex, ImageManifest, ManifestFormat};
use crate::output::atomic_file::AtomicFile;
use crate::output::tarball::{OCI_LAYOUT_FILE, REF_NAME_ANNOTATION};
use crate::output::OutputError;
use crate::platform::Platform;
use crate::registry::{Manifest, Reference};

/// The platform an entry was warmed for (`linux/amd64`).
pub const PLATFORM_ANNOTATION: &str = "dev.kaniko-rs.cache.platform";
/// The digest of the image manifest as the registry served it (the entry's own digest differs
/// for a Docker manifest, which the layout lists as an OCI translation).
pub const MANIFEST_ANNOTATION: &str = "dev.kaniko-rs.cache.manifest-digest";
/// The digest of the index the manifest was chosen from, when the reference named one: a build
/// pinned to that digest uses the entry too.
pub const INDEX_ANNOTATION: &str = "dev.kaniko-rs.cache.index-digest";

/// Manifests and configs are small; this bounds what a damaged cache can make us read.
const MAX_SMALL_BLOB: u64 = 16 << 20;

/// Why the cache directory could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CacheDirError {
    #[error("cache directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cache directory {dir}: {reason}")]
    Invalid { dir: PathBuf, reason: String },
    #[error("cache directory: {0}")]
    Output(#[from] OutputError),
}

/// A base image found in the cache directory: the manifest as the registry served it, its config
/// and where each layer's blob is.
#[derive(Debug, Clone)]
pub struct CachedImage {
    pub manifest: Manifest,
    pub config: Vec<u8>,
    /// Blob files of the manifest's layers, in order.
    pub layers: Vec<PathBuf>,
    /// When it was warmed (unix seconds).
    pub created: u64,
}

/// What the warmer pulled for one reference and platform, to record in `index.json`. Its blobs
/// must already be in the directory.
#[derive(Debug, Clone)]
pub struct WarmedImage<'a> {
    /// The reference as the user wrote it.
    pub reference: &'a str,
    pub platform: &'a Platform,
    pub manifest: &'a Manifest,
    pub index_digest: Option<&'a Digest>,
    pub created: u64,
}

/// The cache directory (`--cache-dir`).
#[derive(Debug, Clone)]
pub struct CacheDir {
    root: PathBuf,
}

impl CacheDir {
    /// The directory at `root` if it exists: a build never creates one just to look into it.
    pub fn open(root: &Path) -> Option<Self> {
        root.is_dir().then(|| Self {
            root: root.to_path_buf(),
        })
    }

    /// The directory at `root`, made into an (empty) OCI layout if it is not one yet.
    pub fn create(root: &Path) -> Result<Self, CacheDirError> {
        let blobs = root.join("blobs/sha256");
        fs_err::create_dir_all(&blobs).map_err(|source| CacheDirError::Io { path: blobs, source })?;
        let marker = root.join("oci-layout");
        if !marker.exists() {
            AtomicFile::write_all_to(&marker, OCI_LAYOUT_FILE)?;
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob `digest` is (or goes).
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm())
            .join(digest.hex())
    }

    /// Whether the blob is present with the expected size. Names are digests and blobs only
    /// appear under them after a complete, verified write, so the size is all there is to check.
    pub fn has_blob(&self, digest: &Digest, size: u64) -> bool {
        // Readable by us, not only present: another user's build may have left it.
        std::fs::File::open(self.blob_path(digest))
            .and_then(|f| f.metadata())
            .is_ok_and(|m| m.len() == size)
    }

    /// Whether this process can add blobs (a directory another user made may be read-only to us).
    pub fn writable(&self) -> bool {
        use std::os::unix::ffi::OsStrExt as _;
        let Ok(path) = std::ffi::CString::new(self.root.join("blobs/sha256").as_os_str().as_bytes()) else {
            return false;
        };
        // SAFETY: access() reads a NUL-terminated path and touches nothing else.
        unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
    }

    /// Stores a small blob (manifest, config) under its digest.
    pub fn write_blob(&self, bytes: &[u8]) -> Result<Digest, CacheDirError> {
        let digest = Digest::of(bytes);
        if !self.has_blob(&digest, bytes.len() as u64) {
            AtomicFile::write_all_to(&self.blob_path(&digest), bytes)?;
        }
        Ok(digest)
    }

    /// The warmed image for `reference` and `platform`, if there is one younger than `ttl_secs`
    /// (at `now`, unix seconds) whose blobs are all present. A reference pinned by digest matches
    /// any entry with that manifest or index digest; a tag matches the entry warmed under the same
    /// (normalised) name. Anything missing or unreadable is a miss, logged, never an error: the
    /// image is then pulled as if the directory were empty.
    pub fn lookup(
        &self,
        reference: &str,
        platform: &Platform,
        ttl_secs: u64,
        now: u64,
    ) -> Option<CachedImage> {
        let wanted = Reference::parse(reference).ok()?;
        let index = match self.read_index() {
            Ok(i) => i?,
            Err(e) => {
                tracing::warn!("ignoring the cache directory: {e}");
                return None;
            }
        };
        let entry = index
            .manifests
            .iter()
            .filter(|d| entry_platform(d).is_some_and(|p| platform.matches(&p)))
            .filter(|d| matches_reference(d, &wanted))
            .max_by_key(|d| created_of(d))?;
        let created = created_of(entry);
        let age = now.saturating_sub(created);
        if age > ttl_secs {
            tracing::debug!(
                image = reference,
                %platform,
                age_secs = age,
                ttl_secs,
                "warmed image in the cache directory is older than --cache-ttl: not used"
            );
            return None;
        }
        match self.load(entry, created) {
            Ok(found) => Some(found),
            Err(e) => {
                tracing::warn!(image = reference, %platform, "warmed image in the cache directory not used: {e}");
                None
            }
        }
    }

    fn load(&self, entry: &Descriptor, created: u64) -> Result<CachedImage, CacheDirError> {
        let manifest_digest = match entry.annotations.get(MANIFEST_ANNOTATION) {
            Some(d) => d
                .parse()
                .map_err(|e| self.invalid(format!("{MANIFEST_ANNOTATION}: {e}")))?,
            None => entry.digest.clone(),
        };
        let bytes = self.read_small_blob(&manifest_digest)?;
        let parsed = ImageManifest::parse(&bytes)
            .map_err(|e| self.invalid(format!("manifest {manifest_digest}: {e}")))?;
        let config = self.read_small_blob(&parsed.config.digest)?;
        let mut layers = Vec::with_capacity(parsed.layers.len());
        for layer in &parsed.layers {
            if !self.has_blob(&layer.digest, layer.size) {
                return Err(self.invalid(format!("layer blob {} is missing", layer.digest)));
            }
            layers.push(self.blob_path(&layer.digest));
        }
        Ok(CachedImage {
            manifest: Manifest {
                media_type: parsed.effective_media_type().to_string(),
                bytes,
                digest: manifest_digest,
            },
            config,
            layers,
            created,
        })
    }

    /// Reads a blob and checks it against its digest (manifests and configs are what the build's
    /// cache keys and the image it produces rest on).
    fn read_small_blob(&self, digest: &Digest) -> Result<Vec<u8>, CacheDirError> {
        let path = self.blob_path(digest);
        let io_err = |source| CacheDirError::Io {
            path: path.clone(),
            source,
        };
        let len = fs_err::metadata(&path).map_err(io_err)?.len();
        if len > MAX_SMALL_BLOB {
            return Err(self.invalid(format!(
                "blob {digest} is {len} bytes, too large for a manifest or config"
            )));
        }
        let bytes = fs_err::read(&path).map_err(io_err)?;
        if Digest::of(&bytes) != *digest {
            return Err(self.invalid(format!("blob {digest} does not match its digest")));
        }
        Ok(bytes)
    }

    /// Records a warmed image in `index.json`, replacing any entry for the same reference and
    /// platform. Its config and layer blobs must already be here; the manifest is stored now.
    pub fn record(&self, image: &WarmedImage<'_>) -> Result<Descriptor, CacheDirError> {
        self.write_blob(&image.manifest.bytes)?;
        let mut descriptor = self.listed_manifest(image.manifest)?;
        descriptor.platform = Some(image.platform.clone());
        descriptor.annotations = BTreeMap::from([
            (REF_NAME_ANNOTATION.to_string(), image.reference.to_string()),
            (PLATFORM_ANNOTATION.to_string(), image.platform.to_string()),
            (CREATED_ANNOTATION.to_string(), image.created.to_string()),
            (MANIFEST_ANNOTATION.to_string(), image.manifest.digest.to_string()),
        ]);
        if let Some(index) = image.index_digest {
            descriptor
                .annotations
                .insert(INDEX_ANNOTATION.to_string(), index.to_string());
        }
        let _lock = self.lock()?;
        let mut index = self
            .read_index()?
            .unwrap_or_else(|| ImageIndex::new(ManifestFormat::Oci));
        index.manifests.retain(|d| {
            !(d.annotations.get(REF_NAME_ANNOTATION).map(String::as_str) == Some(image.reference)
                && entry_platform(d).is_some_and(|p| image.platform.matches(&p)))
        });
        index.manifests.push(descriptor.clone());
        let bytes = index.to_bytes().map_err(|e| self.invalid(e.to_string()))?;
        AtomicFile::write_all_to(&self.root.join("index.json"), &bytes)?;
        Ok(descriptor)
    }

    /// The manifest `index.json` lists for `manifest`: itself when it is OCI, else an OCI
    /// translation over the same blobs (stored here), which layout readers accept.
    fn listed_manifest(&self, manifest: &Manifest) -> Result<Descriptor, CacheDirError> {
        if manifest.media_type != DOCKER_MANIFEST {
            return Ok(manifest.descriptor());
        }
        let parsed = ImageManifest::parse(&manifest.bytes)
            .map_err(|e| self.invalid(format!("manifest {}: {e}", manifest.digest)))?;
        let oci = ManifestFormat::Oci;
        let config = Descriptor {
            media_type: oci.config_media_type().to_string(),
            ..parsed.config.clone()
        };
        let layers = parsed
            .layers
            .iter()
            .map(|l| Descriptor {
                media_type: oci
                    .translate_layer_media_type(&l.media_type)
                    .unwrap_or(media_type::OCI_LAYER_GZIP)
                    .to_string(),
                ..l.clone()
            })
            .collect();
        let bytes = ImageManifest::new(oci, config, layers)
            .to_bytes()
            .map_err(|e| self.invalid(e.to_string()))?;
        let digest = self.write_blob(&bytes)?;
        Ok(Descriptor::new(
            oci.manifest_media_type(),
            digest,
            bytes.len() as u64,
        ))
    }

    /// `index.json`, or `None` when the directory has none yet.
    fn read_index(&self) -> Result<Option<ImageIndex>, CacheDirError> {
        let path = self.root.join("index.json");
        let bytes = match fs_err::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CacheDirError::Io { path, source }),
        };
        ImageIndex::parse(&bytes)
            .map(Some)
            .map_err(|e| self.invalid(format!("index.json: {e}")))
    }

    /// An exclusive lock, held while `index.json` is read, changed and replaced: the same lock file
    /// layer-cache layouts and `kaniko cache prune` take, so a prune never runs in the middle.
    fn lock(&self) -> Result<std::fs::File, CacheDirError> {
        super::store::lock_layout(&self.root)
            .map(fs_err::File::into_parts)
            .map(|(file, _)| file)
            .map_err(|source| CacheDirError::Io {
                path: self.root.join(super::store::LAYOUT_LOCK),
                source,
            })
    }

    fn invalid(&self, reason: String) -> CacheDirError {
        CacheDirError::Invalid {
            dir: self.root.clone(),
            reason,
        }
    }
}

fn entry_platform(d: &Descriptor) -> Option<Platform> {
    match d.annotations.get(PLATFORM_ANNOTATION) {
        Some(p) => p.parse().ok(),
        None => d.platform.clone(),
    }
}

fn created_of(d: &Descriptor) -> u64 {
    d.annotations
        .get(CREATED_ANNOTATION)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn matches_reference(d: &Descriptor, wanted: &Reference) -> bool {
    if let Some(digest) = wanted.digest() {
        let digest = digest.to_string();
        return [MANIFEST_ANNOTATION, INDEX_ANNOTATION]
            .iter()
            .any(|k| d.annotations.get(*k) == Some(&digest))
            || d.digest.to_string() == digest;
    }
    d.annotations
        .get(REF_NAME_ANNOTATION)
        .and_then(|name| Reference::parse(name).ok())
        .is_some_and(|r| r.digest().is_none() && r == *wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::media_type::{
        DOCKER_CONFIG, DOCKER_LAYER_GZIP, OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST,
    };

    const DAY: u64 = 86_400;

    /// Stores a config and one layer, returns the manifest (not yet recorded).
    fn image(dir: &CacheDir, format: ManifestFormat, content: &[u8]) -> Manifest {
        let (config_type, layer_type) = match format {
            ManifestFormat::Oci => (OCI_CONFIG, OCI_LAYER_GZIP),
            ManifestFormat::Docker => (DOCKER_CONFIG, DOCKER_LAYER_GZIP),
        };
        let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let config = Descriptor::new(config_type, dir.write_blob(config).unwrap(), config.len() as u64);
        let layer = Descriptor::new(layer_type, dir.write_blob(content).unwrap(), content.len() as u64);
        let bytes = ImageManifest::new(format, config, vec![layer])
            .to_bytes()
            .unwrap();
        Manifest {
            media_type: format.manifest_media_type().to_string(),
            digest: Digest::of(&bytes),
            bytes,
        }
    }

    fn record(dir: &CacheDir, reference: &str, platform: &str, manifest: &Manifest, created: u64) {
        dir.record(&WarmedImage {
            reference,
            platform: &platform.parse().unwrap(),
            manifest,
            index_digest: None,
            created,
        })
        .unwrap();
    }

    #[test]
    fn lookup_matches_reference_platform_and_ttl() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = CacheDir::create(tmp.path()).unwrap();
        let amd64: Platform = "linux/amd64".parse().unwrap();
        let manifest = image(&dir, ManifestFormat::Oci, b"layer");
        record(&dir, "r.example/base:1", "linux/amd64", &manifest, 10 * DAY);

        let found = dir.lookup("r.example/base:1", &amd64, DAY, 10 * DAY + 5).unwrap();
        assert_eq!(found.manifest, manifest);
        assert_eq!(found.layers, vec![dir.blob_path(&Digest::of(b"layer"))]);
        assert!(dir.lookup("r.example/base:2", &amd64, DAY, 10 * DAY).is_none());
        assert!(dir
            .lookup("r.example/base:1", &"linux/arm64".parse().unwrap(), DAY, 10 * DAY)
            .is_none());
        // Older than the TTL: a miss.
        assert!(dir
            .lookup("r.example/base:1", &amd64, DAY, 11 * DAY + 1)
            .is_none());
        // Pinned by digest: any entry with that manifest.
        let pinned = format!("r.example/elsewhere@{}", manifest.digest);
        assert!(dir.lookup(&pinned, &amd64, DAY, 10 * DAY).is_some());
        // Docker Hub names are normalised before comparing.
        record(&dir, "busybox", "linux/amd64", &manifest, 10 * DAY);
        assert!(dir
            .lookup("docker.io/library/busybox:latest", &amd64, DAY, 10 * DAY)
            .is_some());
    }

    #[test]
    fn recording_again_replaces_the_entry_and_a_missing_blob_is_a_miss() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = CacheDir::create(tmp.path()).unwrap();
        let amd64: Platform = "linux/amd64".parse().unwrap();
        let old = image(&dir, ManifestFormat::Oci, b"old");
        let new = image(&dir, ManifestFormat::Oci, b"new");
        record(&dir, "r.example/base:1", "linux/amd64", &old, 1);
        record(&dir, "r.example/base:1", "linux/arm64", &old, 1);
        record(&dir, "r.example/base:1", "linux/amd64", &new, 2);
        let index = dir.read_index().unwrap().unwrap();
        assert_eq!(index.manifests.len(), 2, "{index:?}");
        assert_eq!(
            dir.lookup("r.example/base:1", &amd64, 10, 2).unwrap().manifest,
            new
        );

        fs_err::remove_file(dir.blob_path(&Digest::of(b"new"))).unwrap();
        assert!(dir.lookup("r.example/base:1", &amd64, 10, 2).is_none());
    }

    #[test]
    fn a_docker_manifest_is_listed_as_oci_and_read_back_as_served() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = CacheDir::create(tmp.path()).unwrap();
        let docker = image(&dir, ManifestFormat::Docker, b"layer");
        record(&dir, "r.example/base:1", "linux/amd64", &docker, 1);
        let index = dir.read_index().unwrap().unwrap();
        let listed = &index.manifests[0];
        assert_eq!(listed.media_type, OCI_MANIFEST);
        assert_ne!(listed.digest, docker.digest);
        assert_eq!(listed.annotations[MANIFEST_ANNOTATION], docker.digest.to_string());
        let oci = ImageManifest::parse(&fs_err::read(dir.blob_path(&listed.digest)).unwrap()).unwrap();
        assert_eq!(oci.layers[0].media_type, OCI_LAYER_GZIP);
        assert_eq!(oci.config.media_type, OCI_CONFIG);

        let found = dir
            .lookup("r.example/base:1", &"linux/amd64".parse().unwrap(), 10, 1)
            .unwrap();
        assert_eq!(found.manifest, docker);
        let pinned = format!("r.example/base@{}", docker.digest);
        assert!(dir
            .lookup(&pinned, &"linux/amd64".parse().unwrap(), 10, 1)
            .is_some());
    }
}
