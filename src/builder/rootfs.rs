// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A stage's real filesystem, for stages that RUN commands: the stage's layers unpacked into a
//! directory under the workspace (chroot, rootless) or over `/` (container mode), and the snapshotter
//! that turns what a command changed into the next layer.
//!
//! Stages without RUN never get one: they work from tar headers alone ([`super::fsview`]).

use std::path::{Path, PathBuf};

use super::images::StageImage;
use super::{BuildError, Shared};
use crate::observe::measure::{self, Transfer};
use crate::sandbox::mounts::{
    prepare_targets, standard_mounts, Mount, MountError, RESOLVER_FILES, SANDBOX_PATHS,
};
use crate::sandbox::Isolation;
use crate::snapshot::{
    clear_root, unpack_layer, ExcludeSet, LayerBlob, Ownership, Snapshotter, UnpackError, UnpackOptions,
};

/// Why the stage filesystem could not be prepared (the [`BuildError`] names its root).
#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    #[error("clearing the filesystem: {0}")]
    Clear(#[source] UnpackError),
    #[error("unpacking {layer}: {source}")]
    Unpack { layer: PathBuf, source: UnpackError },
    #[error(transparent)]
    Mounts(#[from] MountError),
}

fn rootfs_error(root: &Path, source: RootfsError) -> BuildError {
    BuildError::Rootfs {
        root: root.to_path_buf(),
        source,
    }
}

/// The unpacked filesystem of the stage being built.
pub struct StageFs {
    root: PathBuf,
    isolation: Isolation,
    unpack: UnpackOptions,
    snapshotter: Snapshotter,
    mounts: Vec<Mount>,
}

/// Paths that are not the image's, relative to the filesystem root, for `isolation`.
fn excluded_paths(shared: &Shared<'_>, isolation: Isolation) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = SANDBOX_PATHS.iter().map(PathBuf::from).collect();
    paths.extend(shared.request.snapshot.ignore_paths.iter().cloned());
    if isolation == Isolation::Container {
        // Everything of the build container that is not the image: our own directory, and every
        // mount the runtime made (the context volume, secrets, service-account tokens, …).
        paths.push(shared.request.kaniko_dir.clone());
        paths.push(shared.workspace.path().to_path_buf());
        // The context is read while the filesystem is replaced (COPY after RUN), as kaniko keeps it.
        paths.push(shared.context.root().to_path_buf());
        // kaniko's debug image keeps its shell there, and CI scripts run that shell between steps.
        paths.push(PathBuf::from("/busybox"));
        // RUN cache mounts persist there (linked to from their targets while a step runs).
        paths.push(shared.request.cache.run_cache_root());
        if let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") {
            paths.extend(mount_points(&info).into_iter().filter(|p| p != Path::new("/")));
        }
    }
    paths
}

/// What snapshots leave out: what unpacking does, plus `/var/run` with `--ignore-var-run` (kaniko's
/// default). It is still unpacked, so RUN sees the base's `/var/run`; only changes there are dropped.
fn snapshot_exclusions(shared: &Shared<'_>, unpacked: &ExcludeSet) -> ExcludeSet {
    if !shared.request.snapshot.ignore_var_run {
        return unpacked.clone();
    }
    let paths = unpacked.iter().map(Path::to_path_buf);
    ExcludeSet::new(paths.chain([PathBuf::from("/var/run")]))
}

/// Mount points listed in a mountinfo table (octal escapes decoded).
fn mount_points(mountinfo: &str) -> Vec<PathBuf> {
    mountinfo
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(unescape_octal(p)))
        .collect()
}

fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() + 1 {
            if let Some(v) = s.get(i + 1..i + 4).and_then(|o| u8::from_str_radix(o, 8).ok()) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Waits before retry number `retry` (1-based) of preparing a filesystem: kaniko's backoff for
/// `--image-fs-extract-retry`, one second doubling, capped at a minute.
fn extract_backoff(retry: u32) -> std::time::Duration {
    std::time::Duration::from_secs((1u64 << retry.saturating_sub(1).min(6)).min(60))
}

impl StageFs {
    /// Unpacks every layer `image` has so far into the stage's root and records the baseline,
    /// trying again up to `--image-fs-extract-retry` times when downloading or extracting fails
    /// (each attempt starts from a cleared root).
    pub async fn materialize(
        shared: &Shared<'_>,
        isolation: Isolation,
        image: &StageImage,
        stage_index: usize,
    ) -> Result<Self, BuildError> {
        let retries = shared.request.snapshot.extract_retry;
        let mut retry = 0;
        loop {
            match Self::materialize_once(shared, isolation, image, stage_index).await {
                Ok(fs) => return Ok(fs),
                Err(error @ BuildError::Interrupted(_)) => return Err(error),
                Err(error) if retry < retries => {
                    retry += 1;
                    let wait = extract_backoff(retry);
                    tracing::warn!(stage = stage_index, retry, of = retries, wait_ms = wait.as_millis() as u64, %error, "preparing the stage filesystem failed; retrying (--image-fs-extract-retry)");
                    tokio::time::sleep(wait).await;
                }
                Err(error) => {
                    if retry > 0 {
                        tracing::error!(stage = stage_index, retries = retry, "preparing the stage filesystem failed after every retry of --image-fs-extract-retry");
                    }
                    return Err(error);
                }
            }
        }
    }

    async fn materialize_once(
        shared: &Shared<'_>,
        isolation: Isolation,
        image: &StageImage,
        stage_index: usize,
    ) -> Result<Self, BuildError> {
        let root = match isolation {
            Isolation::Container => PathBuf::from("/"),
            Isolation::Chroot | Isolation::Rootless => {
                shared.workspace.path().join(format!("rootfs-{stage_index}"))
            }
        };
        let ownership = if crate::sandbox::userns::inside() && crate::sandbox::userns::mapped_uid_count() <= 1
        {
            Ownership::BestEffort
        } else {
            Ownership::Exact
        };
        let exclude = ExcludeSet::new(excluded_paths(shared, isolation));
        let unpack = UnpackOptions {
            exclude: exclude.clone(),
            ownership,
        };
        let layers = shared.local_layers(image.assembler.layers()).await?;
        let mounts = if isolation.uses_own_root() {
            let resolver: Vec<&str> = RESOLVER_FILES
                .iter()
                .copied()
                .filter(|f| Path::new("/").join(f).is_file())
                .collect();
            standard_mounts(&resolver)
        } else {
            Vec::new()
        };
        let started = std::time::Instant::now();
        let snapshotter = tokio::task::block_in_place(|| -> Result<Snapshotter, BuildError> {
            if isolation == Isolation::Container {
                clear_root(&root, &exclude).map_err(|e| rootfs_error(&root, RootfsError::Clear(e)))?;
            } else {
                fs_err::create_dir_all(&root).map_err(|e| BuildError::io(&root, e))?;
            }
            for (path, media_type) in &layers {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let size = fs_err::metadata(path).map(|m| m.len()).ok();
                let mut progress = Transfer::start("extract", &format!("sha256:{name}"), size, "bytes");
                let stats = unpack_layer(path, media_type, &root, &unpack).map_err(|source| {
                    rootfs_error(
                        &root,
                        RootfsError::Unpack {
                            layer: path.clone(),
                            source,
                        },
                    )
                })?;
                progress.advance(size.unwrap_or(0));
                tracing::debug!(layer = %path.display(), "layer extracted");
                if stats.ownership_skipped > 0 {
                    tracing::warn!(
                        entries = stats.ownership_skipped,
                        "ownership could not be applied (only one id is mapped in this user namespace)"
                    );
                }
            }
            prepare_targets(&root, &mounts).map_err(|e| rootfs_error(&root, e.into()))?;
            Ok(Snapshotter::new(
                root.clone(),
                snapshot_exclusions(shared, &exclude),
                shared.request.snapshot.mode,
            )?)
        })?;
        tracing::info!(
            stage = stage_index,
            root = %root.display(),
            %isolation,
            layers = layers.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "unpacked the stage filesystem"
        );
        measure::phase("extraction", started.elapsed());
        Ok(Self {
            root,
            isolation,
            unpack,
            snapshotter,
            mounts,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// The sandbox mounts of a command, after re-checking their targets (a previous command may
    /// have replaced one with a symlink).
    pub fn mounts(&self) -> Result<Vec<Mount>, BuildError> {
        tokio::task::block_in_place(|| prepare_targets(&self.root, &self.mounts))
            .map_err(|e| rootfs_error(&self.root, e.into()))?;
        Ok(self.mounts.clone())
    }

    /// Applies a layer the build wrote itself (COPY, ADD, WORKDIR) to the filesystem. With
    /// `rebaseline`, the change is not reported again by the next snapshot.
    pub fn apply(&mut self, blob: &LayerBlob, rebaseline: bool) -> Result<(), BuildError> {
        tokio::task::block_in_place(|| {
            unpack_layer(&blob.path, &blob.descriptor.media_type, &self.root, &self.unpack).map_err(
                |source| {
                    rootfs_error(
                        &self.root,
                        RootfsError::Unpack {
                            layer: blob.path.clone(),
                            source,
                        },
                    )
                },
            )?;
            if rebaseline {
                self.snapshotter.rebaseline()?;
            }
            Ok(())
        })
    }

    /// Writes what changed since the last snapshot as a layer; `None` when nothing did.
    pub fn snapshot(&mut self, shared: &Shared<'_>) -> Result<Option<LayerBlob>, BuildError> {
        let started = std::time::Instant::now();
        let blob = tokio::task::block_in_place(|| {
            self.snapshotter
                .take(&shared.workspace.layers(), shared.layer_options)
                .map_err(BuildError::from)
        })?;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            layer = blob.as_ref().map(|b| b.descriptor.digest.to_string()),
            "snapshot"
        );
        Ok(blob)
    }

    /// See [`crate::snapshot::Snapshotter::accept_ctime`]: directories a mount point came and went in.
    pub fn accept_ctime(&mut self, dirs: &[PathBuf]) {
        self.snapshotter.accept_ctime(dirs);
    }

    /// Releases the filesystem when the stage is done (its layers hold everything).
    pub fn release(self) {
        if self.isolation.uses_own_root() {
            let root = self.root;
            tokio::task::block_in_place(|| {
                if let Err(e) = fs_err::remove_dir_all(&root) {
                    tracing::warn!("removing the stage filesystem: {e}");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extract_retries_back_off_like_kaniko() {
        let secs: Vec<u64> = (1..=9).map(|n| extract_backoff(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn mount_points_are_decoded() {
        let info = "36 35 98:0 /mnt1 /mnt\\040with\\040space rw - ext3 /dev/root rw\n\
                    37 35 0:5 / / rw - overlay overlay rw\n";
        assert_eq!(
            mount_points(info),
            [PathBuf::from("/mnt with space"), PathBuf::from("/")]
        );
    }
}
