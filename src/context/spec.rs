// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The `--context` flag: which of kaniko's context forms a string names.

use std::path::PathBuf;

use super::error::ContextError;

/// A parsed `--context` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextSpec {
    /// `dir://PATH` or a plain path.
    Dir(PathBuf),
    /// `tar://PATH`: a tarball, plain or compressed.
    Tarball(PathBuf),
    /// `tar://stdin`: a tarball read from standard input.
    Stdin,
}

impl ContextSpec {
    /// Parses a `--context` value. Forms kaniko supports but kaniko-rs does not (cloud buckets,
    /// git) are an `Unsupported` error naming the scheme.
    pub fn parse(spec: &str) -> Result<Self, ContextError> {
        if spec == "tar://stdin" {
            return Ok(Self::Stdin);
        }
        if let Some(path) = spec.strip_prefix("tar://") {
            return Ok(Self::Tarball(PathBuf::from(path)));
        }
        if let Some(path) = spec.strip_prefix("dir://") {
            return Ok(Self::Dir(PathBuf::from(path)));
        }
        let Some((scheme, _)) = spec.split_once("://") else {
            return Ok(Self::Dir(PathBuf::from(spec)));
        };
        if scheme == "docker-image" {
            // `kaniko build` downloads these before the context is opened (builder::context_image).
            return Err(ContextError::NotImplemented {
                what: format!("build context {spec:?} outside a single-platform `kaniko build`"),
            });
        }
        let what = match scheme {
            "gs" => "Google Cloud Storage (gs://)".to_string(),
            "s3" => "Amazon S3 (s3://)".to_string(),
            "git" => "git (git://)".to_string(),
            "http" | "https" if spec.contains(".blob.core.windows.net") => {
                "Azure Blob Storage (https://<account>.blob.core.windows.net)".to_string()
            }
            "http" | "https" => format!("remote URL ({scheme}://)"),
            other => format!("unknown scheme {other}://"),
        };
        Err(ContextError::Unsupported {
            spec: spec.to_string(),
            what,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kaniko_forms() {
        let parse = |s: &str| ContextSpec::parse(s).ok();
        assert_eq!(
            parse("dir:///workspace"),
            Some(ContextSpec::Dir("/workspace".into()))
        );
        assert_eq!(parse("./ctx"), Some(ContextSpec::Dir("./ctx".into())));
        assert_eq!(
            parse("tar:///tmp/c.tar.gz"),
            Some(ContextSpec::Tarball("/tmp/c.tar.gz".into()))
        );
        assert_eq!(parse("tar://stdin"), Some(ContextSpec::Stdin));
    }

    #[test]
    fn cloud_and_git_contexts_are_unsupported_by_name() {
        for (spec, needle) in [
            ("gs://bucket/ctx.tar.gz", "gs://"),
            ("s3://bucket/ctx.tar.gz", "s3://"),
            ("git://github.com/org/repo.git#refs/heads/main", "git://"),
            ("https://acct.blob.core.windows.net/c/ctx.tar.gz", "Azure"),
            ("ftp://host/x", "ftp://"),
        ] {
            match ContextSpec::parse(spec) {
                Err(e @ ContextError::Unsupported { .. }) => {
                    assert!(e.to_string().contains(needle), "{e} should mention {needle}")
                }
                other => panic!("{spec}: expected Unsupported, got {other:?}"),
            }
        }
    }
}
