// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Image references (`[registry[:port]/]repository[:tag][@sha256:…]`), parsed and normalised the way
//! docker/distribution's `reference` package does, so `busybox` and `index.docker.io/library/busybox:latest`
//! name the same image and credentials found for one apply to the other.

use std::fmt;
use std::str::FromStr;

use super::error::RegistryError;
use crate::image::Digest;

/// The name Docker Hub images carry in references and in docker's config.json.
pub const DOCKER_HUB_REGISTRY: &str = "index.docker.io";
/// The host Docker Hub serves the distribution API on.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";
/// The tag used when a reference names neither a tag nor a digest.
pub const DEFAULT_TAG: &str = "latest";

const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// A parsed, normalised image reference. At least one of tag and digest is always present; a digest, when
/// present, is what API calls use, and the tag is kept for display.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses a reference, applying docker's normalisation (`busybox` → `index.docker.io/library/busybox:latest`).
    pub fn parse(input: &str) -> Result<Self, RegistryError> {
        let err = |reason: &str| RegistryError::InvalidReference {
            input: input.to_string(),
            reason: reason.into(),
        };
        if input.is_empty() {
            return Err(err("empty reference"));
        }
        if input.contains("://") {
            return Err(err(
                "a reference has no URL scheme; write host[:port]/repository[:tag]",
            ));
        }
        let (name_tag, digest) = match input.split_once('@') {
            Some((n, d)) => {
                let digest = d
                    .parse::<Digest>()
                    .map_err(|e| err(&format!("bad digest: {}", e.reason)))?;
                (n, Some(digest))
            }
            None => (input, None),
        };
        // A ':' after the last '/' separates the tag; one before it belongs to a registry port.
        let last_slash = name_tag.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (&name_tag[..last_slash + i], Some(&name_tag[last_slash + i + 1..])),
            None => (name_tag, None),
        };
        if let Some(tag) = tag {
            validate_tag(tag).map_err(|r| err(&r))?;
        }
        let (registry, repository) = split_registry(name);
        validate_registry(&registry).map_err(|r| err(&r))?;
        let mut repository = repository.to_string();
        if registry == DOCKER_HUB_REGISTRY && !repository.contains('/') {
            repository = format!("library/{repository}");
        }
        validate_repository(&repository).map_err(|r| err(&r))?;
        if registry.len() + 1 + repository.len() > MAX_NAME_LEN {
            return Err(err("name longer than 255 characters"));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_TAG.to_string()),
        };
        Ok(Self {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The registry as named in references and docker's config.json (`index.docker.io` for Docker Hub).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host (and port) API calls go to: `registry-1.docker.io` for Docker Hub, the registry otherwise.
    pub fn api_host(&self) -> &str {
        api_host_of(&self.registry)
    }

    /// The repository path inside the registry, e.g. `library/busybox`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The tag, or `latest` for a reference that names only a digest: the tag outputs that need
    /// one (tarballs, OCI layouts, digest files) give the image, as kaniko does.
    pub fn tag_or_default(&self) -> &str {
        self.tag.as_deref().unwrap_or(DEFAULT_TAG)
    }

    /// `registry/repository:tag` ([`Reference::tag_or_default`]), no digest: the name `docker load`
    /// gives an image from a tarball's `RepoTags`.
    pub fn repo_tag(&self) -> String {
        format!("{}:{}", self.repository_url(), self.tag_or_default())
    }

    /// The fully qualified `repository:tag` containerd and Docker record in an archive's
    /// `io.containerd.image.name`: like [`Reference::repo_tag`], with Docker Hub as `docker.io`
    /// (containerd's spelling) instead of `index.docker.io`.
    pub fn containerd_name(&self) -> String {
        let registry = if self.is_docker_hub() {
            "docker.io"
        } else {
            &self.registry
        };
        format!("{registry}/{}:{}", self.repository, self.tag_or_default())
    }

    /// What goes after `/manifests/` in API paths: the digest when present, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => DEFAULT_TAG.to_string(),
        }
    }

    /// `registry/repository`, without tag or digest.
    pub fn repository_url(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// This reference pinned to `digest`. The tag is kept for display; API calls use the digest.
    pub fn with_digest(&self, digest: Digest) -> Self {
        Self {
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// This repository at `digest`, without a tag (`registry/repo@sha256:…`).
    pub fn pinned(&self, digest: Digest) -> Self {
        Self {
            tag: None,
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// This repository with `tag` and no digest.
    pub fn with_tag(&self, tag: &str) -> Result<Self, RegistryError> {
        validate_tag(tag).map_err(|reason| RegistryError::InvalidReference {
            input: format!("{}:{tag}", self.repository_url()),
            reason,
        })?;
        Ok(Self {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        })
    }

    /// The same tag/digest in another registry and repository (used for registry mirrors).
    pub(crate) fn rehomed(&self, registry: &str, repository: String) -> Self {
        Self {
            registry: registry.to_string(),
            repository,
            ..self.clone()
        }
    }

    /// Whether this is a Docker Hub image.
    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB_REGISTRY
    }

    /// Whether the registry is on this machine (`localhost`, `127.0.0.0/8`, `[::1]`), where plain HTTP is
    /// allowed without `--insecure`, as go-containerregistry does.
    pub fn is_localhost(&self) -> bool {
        is_loopback_registry(&self.registry)
    }
}

impl From<Reference> for String {
    fn from(reference: Reference) -> Self {
        reference.to_string()
    }
}

impl TryFrom<String> for Reference {
    type Error = RegistryError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl FromStr for Reference {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// The API host for a registry name (Docker Hub's API lives on another host than its name).
pub fn api_host_of(registry: &str) -> &str {
    if registry == DOCKER_HUB_REGISTRY {
        DOCKER_HUB_API_HOST
    } else {
        registry
    }
}

/// Normalises a registry name the way references do: `docker.io` and `registry-1.docker.io` become
/// `index.docker.io`, hosts are lowercased.
pub fn normalize_registry(registry: &str) -> String {
    let lower = registry.to_ascii_lowercase();
    match lower.as_str() {
        "docker.io" | "registry-1.docker.io" | "index.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB_REGISTRY.to_string()
        }
        _ => lower,
    }
}

/// Whether a registry host (with optional port) is a loopback address.
pub fn is_loopback_registry(registry: &str) -> bool {
    let host = host_without_port(registry);
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

fn host_without_port(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    registry.split(':').next().unwrap_or(registry)
}

/// Splits `name` into registry and repository following docker's rule: the first component is a registry
/// when it contains `.` or `:`, is `localhost`, or has uppercase letters.
fn split_registry(name: &str) -> (String, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':', '['])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (normalize_registry(first), rest)
        }
        _ => (DOCKER_HUB_REGISTRY.to_string(), name),
    }
}

/// `host[:port]` with DNS labels or an IPv4 address, or `[ipv6][:port]`.
pub(crate) fn validate_registry(registry: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return Err(format!("registry {registry:?}: unclosed '['"));
        };
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("registry {registry:?}: invalid IPv6 address"));
        }
        (None, after.strip_prefix(':'))
    } else {
        match registry.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(registry), None),
        }
    };
    if let Some(host) = host {
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if host.is_empty() || !host.split('.').all(label_ok) {
            return Err(format!("registry host {host:?} is not a valid host name"));
        }
    }
    if let Some(port) = port {
        if port.is_empty() || port.parse::<u16>().is_err() {
            return Err(format!(
                "registry port {port:?} is not a number between 0 and 65535"
            ));
        }
    }
    Ok(())
}

/// Repository path components: lowercase alphanumerics separated by `.`, `_`, `__` or runs of `-`.
fn validate_repository(repo: &str) -> Result<(), String> {
    if repo.is_empty() {
        return Err("empty repository name".into());
    }
    for component in repo.split('/') {
        if component.is_empty() {
            return Err("repository has an empty path component".into());
        }
        if component.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("repository name must be lowercase, got {component:?}"));
        }
        let bytes = component.as_bytes();
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
            return Err("repository has an empty path component".into());
        };
        if !alnum(first) || !alnum(last) {
            return Err(format!(
                "repository component {component:?} must start and end with a letter or digit"
            ));
        }
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if alnum(b) {
                i += 1;
                continue;
            }
            // A separator run: one '.', one or two '_', or any number of '-'.
            let start = i;
            while i < bytes.len() && !alnum(bytes[i]) {
                i += 1;
            }
            let sep = &component[start..i];
            let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
            if !ok {
                return Err(format!(
                    "repository component {component:?} has invalid characters {sep:?}"
                ));
            }
        }
    }
    Ok(())
}

/// Tags: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn validate_tag(tag: &str) -> Result<(), String> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut bytes = tag.bytes();
    let ok = match bytes.next() {
        Some(first) => word(first) && bytes.all(|b| word(b) || b == b'.' || b == b'-'),
        None => false,
    };
    if !ok || tag.len() > MAX_TAG_LEN {
        return Err(format!(
            "tag {tag:?} must be 1-128 characters of letters, digits, '_', '.' or '-', not starting with '.' or '-'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    #[test]
    fn output_names_repo_tag_and_containerd() {
        // (input, RepoTags name, containerd name)
        for (input, repo_tag, containerd) in [
            (
                "busybox",
                "index.docker.io/library/busybox:latest",
                "docker.io/library/busybox:latest",
            ),
            ("me/app:1", "index.docker.io/me/app:1", "docker.io/me/app:1"),
            (
                "registry-1.docker.io/alpine:3",
                "index.docker.io/library/alpine:3",
                "docker.io/library/alpine:3",
            ),
            ("localhost:5000/x:t", "localhost:5000/x:t", "localhost:5000/x:t"),
            ("localhost/x:t", "localhost/x:t", "localhost/x:t"),
            ("gcr.io/p/x:t", "gcr.io/p/x:t", "gcr.io/p/x:t"),
        ] {
            assert_eq!(r(input).repo_tag(), repo_tag, "repo_tag of {input:?}");
            assert_eq!(
                r(input).containerd_name(),
                containerd,
                "containerd_name of {input:?}"
            );
        }
        // A digest-only reference is named with the default tag; the digest is not part of it.
        let pinned = r(&format!("gcr.io/p/x@{D}"));
        assert_eq!(pinned.tag_or_default(), "latest");
        assert_eq!(pinned.repo_tag(), "gcr.io/p/x:latest");
        assert_eq!(
            r(&format!("gcr.io/p/x:v2@{D}")).containerd_name(),
            "gcr.io/p/x:v2"
        );
    }

    #[test]
    fn docker_hub_normalisation() {
        let b = r("busybox");
        assert_eq!(b.to_string(), "index.docker.io/library/busybox:latest");
        assert_eq!(b.api_host(), "registry-1.docker.io");
        assert_eq!(b.repository(), "library/busybox");
        assert_eq!(
            r("docker.io/library/busybox:1.36").to_string(),
            "index.docker.io/library/busybox:1.36"
        );
        assert_eq!(
            r("index.docker.io/foo/bar").to_string(),
            "index.docker.io/foo/bar:latest"
        );
        assert_eq!(r("foo/bar").registry(), "index.docker.io");
        assert!(r("busybox").is_docker_hub());
    }

    #[test]
    fn registries_with_ports_and_localhost() {
        let x = r("127.0.0.1:5000/app:v1");
        assert_eq!(
            (x.registry(), x.repository(), x.tag()),
            ("127.0.0.1:5000", "app", Some("v1"))
        );
        assert!(x.is_localhost());
        assert_eq!(x.api_host(), "127.0.0.1:5000");
        let l = r("localhost/app");
        assert_eq!((l.registry(), l.repository()), ("localhost", "app"));
        assert!(l.is_localhost());
        let l = r("localhost:5000/a/b/c");
        assert_eq!(l.repository(), "a/b/c");
        let g = r(&format!("gcr.io/project/image@{D}"));
        assert_eq!(g.tag(), None);
        assert_eq!(g.digest().map(|d| d.to_string()).as_deref(), Some(D));
        assert!(!g.is_localhost());
        let v6 = r("[::1]:5000/app");
        assert_eq!(v6.registry(), "[::1]:5000");
        assert!(v6.is_localhost());
        // An uppercase first component is a registry, as in docker.
        assert_eq!(r("MyHost/app").registry(), "myhost");
    }

    #[test]
    fn tag_and_digest_together() {
        let x = r(&format!("reg.example.com:443/a/b:1.0@{D}"));
        assert_eq!(x.tag(), Some("1.0"));
        assert_eq!(x.manifest_reference(), D);
        assert_eq!(x.to_string(), format!("reg.example.com:443/a/b:1.0@{D}"));
    }

    #[test]
    fn helpers() {
        let x = r("127.0.0.1:5000/app:v1");
        let d: Digest = D.parse().unwrap();
        let p = x.with_digest(d.clone());
        assert_eq!(p.manifest_reference(), D);
        assert_eq!(p.repository_url(), "127.0.0.1:5000/app");
        let t = p.with_tag("v2").unwrap();
        assert_eq!(t.to_string(), "127.0.0.1:5000/app:v2");
        assert!(t.with_tag("-bad").is_err());
    }

    #[test]
    fn rejects_bad_input_and_names_it() {
        for bad in [
            "",
            "Busybox",
            "app:",
            "app:-x",
            "a//b",
            "reg:port/app",
            "http://reg/app",
            "app@sha256:short",
            "app@md5:abc",
            "a__-b",
            "-a",
            "a-",
        ] {
            let e = Reference::parse(bad).unwrap_err();
            assert!(e.to_string().contains(&format!("{bad:?}")), "{bad}: {e}");
        }
        let long = "a".repeat(300);
        assert!(Reference::parse(&long).is_err());
    }

    #[test]
    fn accepts_separators() {
        for ok in ["a.b", "a_b", "a__b", "a---b", "a/b.c_d-e", "x:v1.0_rc-1"] {
            Reference::parse(ok).unwrap();
        }
    }
}
