// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Target platforms (`os/arch[/variant]`): parsing, containerd-style normalisation, the host's
//! platform, and matching against the platforms listed in an image index.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An OCI platform. Always held in normalised form (see [`Platform::normalized`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// The platform forms we accept, for error messages.
pub const ACCEPTED_FORMS: &str =
    "linux/amd64, linux/arm64 (= linux/arm64/v8), linux/arm/v7 (= linux/arm), linux/arm/v6, \
linux/386, linux/ppc64le, linux/s390x, linux/riscv64";

const KNOWN_OS: &[&str] = &["linux", "windows", "darwin", "freebsd"];
const KNOWN_ARCH: &[&str] = &[
    "amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le", "loong64",
];

/// Why a platform string was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid platform {value:?}: {reason}; accepted forms: {ACCEPTED_FORMS}")]
pub struct PlatformError {
    pub value: String,
    pub reason: String,
}

impl Platform {
    /// Builds a normalised platform from its parts.
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Self {
        Self {
            architecture: architecture.to_string(),
            os: os.to_string(),
            os_version: None,
            os_features: Vec::new(),
            variant: variant.map(str::to_string),
        }
        .normalized()
    }

    /// Normalises aliases the way containerd does: x86_64 → amd64, aarch64 → arm64 (variant v8
    /// dropped), armhf → arm/v7, armel → arm/v6, arm → arm/v7, i386 → 386.
    pub fn normalized(mut self) -> Self {
        self.os = self.os.to_ascii_lowercase();
        let arch = self.architecture.to_ascii_lowercase();
        let variant = self
            .variant
            .take()
            .map(|v| v.to_ascii_lowercase())
            .filter(|v| !v.is_empty());
        let (arch, variant) = match arch.as_str() {
            "x86_64" | "x86-64" | "amd64" => ("amd64".to_string(), variant.filter(|v| v != "v1")),
            "aarch64" | "arm64" => (
                "arm64".to_string(),
                match variant.as_deref() {
                    None | Some("8") | Some("v8") | Some("v8.0") => None,
                    Some(v) if !v.starts_with('v') => Some(format!("v{v}")),
                    _ => variant,
                },
            ),
            "armhf" => ("arm".to_string(), Some("v7".to_string())),
            "armel" => ("arm".to_string(), Some("v6".to_string())),
            "arm" => (
                "arm".to_string(),
                match variant.as_deref() {
                    None | Some("7") => Some("v7".to_string()),
                    Some("5") | Some("6") | Some("8") => Some(format!("v{}", variant.unwrap_or_default())),
                    _ => variant,
                },
            ),
            "i386" | "i686" | "386" => ("386".to_string(), variant),
            _ => (arch, variant),
        };
        self.architecture = arch;
        self.variant = variant;
        self
    }

    /// The platform of the machine running this binary.
    pub fn host() -> Self {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "arm" => "arm",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            other => other,
        };
        Self::new(std::env::consts::OS, arch, None)
    }

    /// Whether an index entry's platform satisfies this (requested) platform. Variants compare after
    /// normalisation, so `arm64` matches `arm64/v8`.
    pub fn matches(&self, candidate: &Platform) -> bool {
        let c = candidate.clone().normalized();
        self.os == c.os && self.architecture == c.architecture && self.variant == c.variant
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = PlatformError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| PlatformError {
            value: s.to_string(),
            reason: reason.to_string(),
        };
        let parts: Vec<&str> = s.trim().split('/').collect();
        if parts.iter().any(|p| p.is_empty()) || !(2..=3).contains(&parts.len()) {
            return Err(err("expected os/arch or os/arch/variant"));
        }
        let p = Platform::new(parts[0], parts[1], parts.get(2).copied());
        if !KNOWN_OS.contains(&p.os.as_str()) {
            return Err(err(&format!("unknown operating system {:?}", parts[0])));
        }
        if !KNOWN_ARCH.contains(&p.architecture.as_str()) {
            return Err(err(&format!("unknown architecture {:?}", parts[1])));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_aliases() {
        assert_eq!(
            "linux/x86_64".parse::<Platform>().unwrap().to_string(),
            "linux/amd64"
        );
        assert_eq!(
            "linux/arm64/v8".parse::<Platform>().unwrap().to_string(),
            "linux/arm64"
        );
        assert_eq!(
            "linux/aarch64".parse::<Platform>().unwrap().to_string(),
            "linux/arm64"
        );
        assert_eq!(
            "linux/arm".parse::<Platform>().unwrap().to_string(),
            "linux/arm/v7"
        );
        assert_eq!(
            "linux/armhf".parse::<Platform>().unwrap().to_string(),
            "linux/arm/v7"
        );
        assert_eq!("linux/i386".parse::<Platform>().unwrap().to_string(), "linux/386");
    }

    #[test]
    fn rejects_malformed_and_unknown() {
        for bad in [
            "linux",
            "linux/",
            "/amd64",
            "linux/amd64/v1/x",
            "linux/sparc",
            "plan9/amd64",
            "",
        ] {
            let e = bad.parse::<Platform>().unwrap_err();
            assert!(e.to_string().contains("accepted forms"), "{bad}: {e}");
        }
    }

    #[test]
    fn arm64_matches_v8_variant() {
        let want: Platform = "linux/arm64".parse().unwrap();
        let entry = Platform {
            architecture: "arm64".into(),
            os: "linux".into(),
            os_version: None,
            os_features: vec![],
            variant: Some("v8".into()),
        };
        assert!(want.matches(&entry));
        assert!(!want.matches(&Platform::new("linux", "amd64", None)));
    }
}
