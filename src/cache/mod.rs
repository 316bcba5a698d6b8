// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The layer cache: what a step's layer is keyed by ([`key`]), how an entry is stored
//! ([`entry`]) in a registry repository or an OCI layout ([`store`]), and the settings
//! ([`options`]), and pruning of expired entries ([`prune`]). The builder computes the keys of a stage before any step runs, probes them
//! together, and takes the longest run of hits; docs/caching.md has the whole design.
//! Base images and layer blobs kept on this machine are the cache directory ([`dir`]), which
//! `kaniko warmer` ([`warmer`]) fills.

pub mod dir;
pub mod entry;
pub mod key;
pub mod options;
pub mod prune;
mod prune_layout;
pub mod store;
pub mod warmer;

pub use key::{CacheKey, KeyParts};
pub use options::{CacheOptions, CacheRepo};
pub use prune::{prune, PruneError, PruneReport, PruneRequest};
pub use prune_layout::BlobSweep;
