// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `repository:tag` names as the outputs write them: split into repository and tag, and the fully
//! qualified form containerd and Docker put in an archive's `io.containerd.image.name`.
//!
//! Deliberately small: parsing and validating user-given references is the registry module's job;
//! this only takes apart names that were already accepted.

/// Splits `name` into repository and tag at the last `:` after the last `/` (a `:` before that is
/// a registry port). `None` when there is no tag, or the name carries a digest.
pub fn split_tag(name: &str) -> Option<(&str, &str)> {
    if name.contains('@') || name.contains(char::is_whitespace) {
        return None;
    }
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let colon = name.get(last_slash..)?.rfind(':')? + last_slash;
    let (repo, tag) = (name.get(..colon)?, name.get(colon + 1..)?);
    if repo.is_empty() || tag.is_empty() {
        return None;
    }
    Some((repo, tag))
}

/// Docker Hub's normalisation: `busybox` → `docker.io/library/busybox`, `me/app` →
/// `docker.io/me/app`, `index.docker.io/…` → `docker.io/…`; names with a registry host (a first
/// component containing `.` or `:`, or `localhost`) are kept. Returns `<repository>:<tag>`.
pub fn containerd_image_name(repository: &str, tag: &str) -> String {
    let (first, rest) = repository.split_once('/').unwrap_or(("", repository));
    let has_host = first.contains('.') || first.contains(':') || first == "localhost";
    let full = if first.is_empty() {
        format!("docker.io/library/{rest}")
    } else if !has_host {
        format!("docker.io/{repository}")
    } else if first == "index.docker.io" || first == "registry-1.docker.io" {
        if rest.contains('/') {
            format!("docker.io/{rest}")
        } else {
            format!("docker.io/library/{rest}")
        }
    } else {
        repository.to_string()
    };
    format!("{full}:{tag}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_tags_but_not_ports() {
        assert_eq!(split_tag("busybox:1.36"), Some(("busybox", "1.36")));
        assert_eq!(
            split_tag("localhost:5000/a/b:v1"),
            Some(("localhost:5000/a/b", "v1"))
        );
        assert_eq!(split_tag("localhost:5000/a/b"), None);
        assert_eq!(split_tag("a/b@sha256:00"), None);
        assert_eq!(split_tag("a:"), None);
    }

    #[test]
    fn normalises_docker_hub_names() {
        assert_eq!(
            containerd_image_name("busybox", "latest"),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(containerd_image_name("me/app", "1"), "docker.io/me/app:1");
        assert_eq!(
            containerd_image_name("index.docker.io/me/app", "1"),
            "docker.io/me/app:1"
        );
        assert_eq!(
            containerd_image_name("index.docker.io/alpine", "3"),
            "docker.io/library/alpine:3"
        );
        assert_eq!(
            containerd_image_name("localhost:5000/x", "t"),
            "localhost:5000/x:t"
        );
        assert_eq!(containerd_image_name("gcr.io/p/x", "t"), "gcr.io/p/x:t");
        assert_eq!(containerd_image_name("localhost/x", "t"), "localhost/x:t");
    }
}
