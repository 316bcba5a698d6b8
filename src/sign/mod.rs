// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Image signing in cosign's format: the keys ([`key`], through the sigstore crate's crypto), the
//! simple-signing [`payload`], the `sha256-<hex>.sig` signature image ([`attach`], pushed with our
//! own registry client), signing after a push ([`signature`]) and checking signatures ([`verify`]).
//!
//! The private key and its password never leave this module's types: they do not print, serialize
//! or appear in an error.

pub mod attach;
pub mod key;
pub mod password;
pub mod payload;
pub mod provenance;
pub mod signature;
pub mod verify;

use std::path::PathBuf;

use crate::image::Digest;
use crate::registry::RegistryError;

pub use key::{generate_key_pair, KeyPairFiles, SigningKey, SigningRequest, VerifyingKey};
pub use password::{Password, PasswordSource, PASSWORD_ENV};
pub use signature::sign_pushed;
pub use verify::{verify_image, Unverified, Verified};

/// Why signing, verifying or a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error(
        "no password for the signing key: {variable} is not set (set it, or pass \
         --cosign-key-password-file)"
    )]
    NoPassword { variable: String },
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("key {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("{path} exists; a key is never overwritten (move it away or choose another prefix)")]
    KeyExists { path: PathBuf },
    #[error("signing: {0}")]
    Signing(String),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("{digest} was pushed to {repository} but is not signed")]
    Unsigned {
        digest: Digest,
        repository: String,
        #[source]
        source: Box<SignError>,
    },
    #[error("{digest} was pushed to {repository} but has no provenance")]
    NoProvenance {
        digest: Digest,
        repository: String,
        #[source]
        source: Box<SignError>,
    },
    #[error("invalid signature manifest {reference}: {reason}")]
    BadManifest { reference: String, reason: String },
    #[error("verification failed: {}", .0.join("; "))]
    Unverified(Vec<String>),
}
