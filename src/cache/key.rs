// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Cache keys: a chain of SHA-256 digests. A stage's chain starts at its base (the platform's base
//! manifest digest, the parent stage's final key, or scratch and the platform); each step that can
//! write a layer extends it with named parts (the expanded instruction, and what else decides the
//! layer's bytes). A key depends only on inputs known before the step runs, never on its output,
//! so a whole stage's keys are computed before any step runs.
//!
//! The parts are kept with each stored entry as digests of their values (never the values: a
//! build argument can be a token), so a miss can say which part differed from the last entry
//! stored after the same parent.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The version of the key schema. Any change to what goes into a key, or how, bumps it; entries
/// of another schema are never read (their tags differ).
pub const SCHEMA: u32 = 1;

/// A cache key: SHA-256 of its parent and its parts.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CacheKey(String);

impl CacheKey {
    /// The root of a stage built on a pulled image: its manifest digest for this platform.
    pub fn from_base_manifest(digest: &str) -> Self {
        KeyParts::new("base image").part("manifest", digest).finish(None)
    }

    /// The root of a `FROM scratch` stage: only the platform.
    pub fn scratch(platform: &str) -> Self {
        KeyParts::new("scratch").part("platform", platform).finish(None)
    }

    /// Parses a key from its 64 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        (hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Self(hex.to_string()))
    }

    pub fn hex(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({})", &self.0[..12.min(self.0.len())])
    }
}

/// One named part of a key, as stored with an entry: its name and the digest of its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartDigest {
    pub name: String,
    pub digest: String,
}

/// The parts of one step's key, in order.
#[derive(Debug, Clone)]
pub struct KeyParts {
    kind: &'static str,
    parts: Vec<(String, Vec<u8>)>,
}

impl KeyParts {
    /// Starts a key of `kind` (`RUN`, `COPY`, `WORKDIR`, …).
    pub fn new(kind: &'static str) -> Self {
        Self {
            kind,
            parts: Vec::new(),
        }
    }

    /// Adds a part. Names are fixed strings of the schema; values are anything.
    pub fn part(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.push(name, value);
        self
    }

    pub fn push(&mut self, name: &str, value: impl AsRef<[u8]>) {
        self.parts.push((name.to_string(), value.as_ref().to_vec()));
    }

    /// The parts as stored with an entry.
    pub fn digests(&self, parent: Option<&CacheKey>) -> Vec<PartDigest> {
        let mut out = vec![PartDigest {
            name: "schema and kind".into(),
            digest: hex::encode(Sha256::digest(format!("{SCHEMA} {}", self.kind))),
        }];
        if let Some(p) = parent {
            out.push(PartDigest {
                name: "parent".into(),
                digest: p.hex().to_string(),
            });
        }
        out.extend(self.parts.iter().map(|(name, value)| PartDigest {
            name: name.clone(),
            digest: hex::encode(Sha256::digest(value)),
        }));
        out
    }

    /// The key: every length is written before its bytes, so no two part lists hash alike.
    pub fn finish(&self, parent: Option<&CacheKey>) -> CacheKey {
        let mut h = Sha256::new();
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        field(b"kaniko-rs cache key");
        field(&SCHEMA.to_be_bytes());
        field(self.kind.as_bytes());
        field(parent.map_or(&[][..], |p| p.hex().as_bytes()));
        for (name, value) in &self.parts {
            field(name.as_bytes());
            field(value);
        }
        CacheKey(hex::encode(h.finalize()))
    }
}

/// The names of the parts that differ between two stored part lists (a part missing from one side
/// counts as differing).
pub fn differing_parts(ours: &[PartDigest], theirs: &[PartDigest]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in ours {
        if !theirs.iter().any(|t| t.name == p.name && t.digest == p.digest) && !names.contains(&p.name) {
            names.push(p.name.clone());
        }
    }
    for t in theirs {
        if !ours.iter().any(|p| p.name == t.name) && !names.contains(&t.name) {
            names.push(t.name.clone());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_every_part_parent_and_boundaries() {
        let root = CacheKey::scratch("linux/amd64");
        let a = KeyParts::new("RUN").part("command", "ab").part("env", "c");
        let b = KeyParts::new("RUN").part("command", "a").part("env", "bc");
        assert_ne!(a.finish(Some(&root)), b.finish(Some(&root)));
        assert_ne!(a.finish(Some(&root)), a.finish(None));
        assert_ne!(
            a.finish(Some(&root)),
            a.finish(Some(&CacheKey::scratch("linux/arm64")))
        );
        assert_eq!(a.finish(Some(&root)), a.clone().finish(Some(&root)));
        let copy = KeyParts::new("COPY").part("command", "ab").part("env", "c");
        assert_ne!(a.finish(None), copy.finish(None));
        assert_eq!(CacheKey::from_hex(a.finish(None).hex()), Some(a.finish(None)));
        assert_eq!(CacheKey::from_hex("zz"), None);
    }

    #[test]
    fn differing_parts_names_what_changed() {
        let a = KeyParts::new("RUN").part("command", "x").part("env", "1");
        let b = KeyParts::new("RUN").part("command", "x").part("env", "2");
        let root = CacheKey::scratch("linux/amd64");
        assert_eq!(
            differing_parts(&a.digests(Some(&root)), &b.digests(Some(&root))),
            ["env"]
        );
        let c = KeyParts::new("RUN").part("command", "x");
        assert_eq!(differing_parts(&a.digests(None), &c.digests(None)), ["env"]);
    }
}
