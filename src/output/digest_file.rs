// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! kaniko's digest files, byte for byte:
//!
//! - `--digest-file`: `sha256:<hex>` with no trailing newline;
//! - `--image-name-with-digest-file`: one `<repository>@sha256:<hex>\n` line per destination;
//! - `--image-name-tag-with-digest-file`: one `<repository>:<tag>@sha256:<hex>\n` line per
//!   destination.
//!
//! Repositories are written fully qualified, as go-containerregistry's `Repository.Name()` gives
//! them (`index.docker.io/library/busybox`, `gcr.io/p/app`); turning a destination flag into that
//! form (and defaulting the tag to `latest`) is the reference parser's job, not this module's.

use std::path::Path;

use super::atomic_file::AtomicFile;
use super::OutputError;
use crate::image::Digest;
use crate::registry::Reference;

/// `--digest-file`: the image digest alone, no newline.
pub fn write_digest_file(path: &Path, digest: &Digest) -> Result<(), OutputError> {
    AtomicFile::write_all_to(path, digest.to_string().as_bytes())
}

/// `--image-name-with-digest-file`: `<repository>@<digest>` per destination, each line ended by `\n`.
pub fn write_image_name_with_digest_file(
    path: &Path,
    destinations: &[Reference],
    digest: &Digest,
) -> Result<(), OutputError> {
    let text: String = destinations
        .iter()
        .map(|d| format!("{}@{digest}\n", d.repository_url()))
        .collect();
    AtomicFile::write_all_to(path, text.as_bytes())
}

/// `--image-name-tag-with-digest-file`: `<repository>:<tag>@<digest>` per destination, each line
/// ended by `\n`.
pub fn write_image_name_tag_with_digest_file(
    path: &Path,
    destinations: &[Reference],
    digest: &Digest,
) -> Result<(), OutputError> {
    let text: String = destinations
        .iter()
        .map(|d| format!("{}@{digest}\n", d.repo_tag()))
        .collect();
    AtomicFile::write_all_to(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_kaniko() {
        let dir = tempfile::tempdir().unwrap();
        let digest = Digest::of(b"manifest");
        let dests = [
            Reference::parse("gcr.io/foo/bar:123").unwrap(),
            Reference::parse("bob/image").unwrap(),
        ];
        let p = dir.path().join("nested/digest");
        write_digest_file(&p, &digest).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), digest.to_string());

        let p = dir.path().join("name");
        write_image_name_with_digest_file(&p, &dests, &digest).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            format!("gcr.io/foo/bar@{digest}\nindex.docker.io/bob/image@{digest}\n")
        );

        let p = dir.path().join("tag");
        write_image_name_tag_with_digest_file(&p, &dests, &digest).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            format!("gcr.io/foo/bar:123@{digest}\nindex.docker.io/bob/image:latest@{digest}\n")
        );
    }
}
