// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `--github-artifacts PATTERN`: the per-platform records of the current GitHub Actions workflow run,
//! fetched through the REST API (octocrab) instead of an `actions/download-artifact` step.
//!
//! The run is the one the environment names (`GITHUB_REPOSITORY`, `GITHUB_RUN_ID`, `GITHUB_API_URL`,
//! `GITHUB_TOKEN`). Every artifact whose name matches the glob is downloaded as a zip and unpacked
//! into its own directory, which then reads like any `--digests-from` directory. An artifact that has
//! expired, or a pattern that matches none, is an error listing what the run does have.

use std::io::Read;
use std::path::{Path, PathBuf};

use octocrab::models::workflows::WorkflowListArtifact;
use octocrab::params::actions::ArchiveFormat;
use octocrab::{Octocrab, Page};

/// Artifacts per listing page: the API's maximum.
const PAGE_SIZE: u8 = 100;
/// A digest artifact holds a few small records; anything bigger is not one (or is a zip bomb).
const MAX_UNPACKED_BYTES: u64 = 64 << 20;

/// The workflow run whose artifacts are read.
#[derive(Clone, PartialEq, Eq)]
pub struct GithubRun {
    pub api_url: String,
    pub owner: String,
    pub repo: String,
    pub run_id: u64,
    token: String,
}

// The token stays out of logs and error messages.
impl std::fmt::Debug for GithubRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubRun")
            .field("api_url", &self.api_url)
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

impl GithubRun {
    /// The run described by the process environment.
    pub fn from_env() -> Result<Self, GithubError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The run described by `lookup` (an environment), checked.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, GithubError> {
        let get = |name: &str, why: &str| -> Result<String, GithubError> {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| GithubError::Run(format!("{name} is not set: {why}")))
        };
        let token = get(
            "GITHUB_TOKEN",
            "give the step `env: GITHUB_TOKEN: ${{ github.token }}` (the job needs `permissions: actions: read`)",
        )?;
        let repository = get(
            "GITHUB_REPOSITORY",
            "expected owner/repository, as GitHub Actions sets it",
        )?;
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| {
                GithubError::Run(format!(
                    "GITHUB_REPOSITORY={repository:?} is not owner/repository"
                ))
            })?;
        let run_id = get(
            "GITHUB_RUN_ID",
            "expected the numeric id of the workflow run, as GitHub Actions sets it",
        )?;
        let run_id = run_id
            .trim()
            .parse::<u64>()
            .map_err(|_| GithubError::Run(format!("GITHUB_RUN_ID={run_id:?} is not a number")))?;
        let api_url = lookup("GITHUB_API_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "https://api.github.com".to_string());
        Ok(Self {
            api_url: api_url.trim_end_matches('/').to_string(),
            owner: owner.to_string(),
            repo: repo.to_string(),
            run_id,
            token,
        })
    }

    fn describe(&self) -> String {
        format!(
            "run {} of {}/{} ({})",
            self.run_id, self.owner, self.repo, self.api_url
        )
    }
}

/// Downloads every artifact of `run` whose name matches `pattern` and unpacks each into
/// `dest/<artifact name>/`; returns those directories, sorted by artifact name.
pub async fn download_artifacts(
    run: &GithubRun,
    pattern: &str,
    dest: &Path,
) -> Result<Vec<PathBuf>, GithubError> {
    let glob = glob::Pattern::new(pattern).map_err(|source| GithubError::Pattern {
        pattern: pattern.to_string(),
        source,
    })?;
    let crab = Octocrab::builder()
        .base_uri(run.api_url.as_str())
        .map_err(|source| GithubError::ApiUrl {
            url: run.api_url.clone(),
            source,
        })?
        .personal_token(run.token.clone())
        .build()
        .map_err(|source| GithubError::Client {
            url: run.api_url.clone(),
            source,
        })?;

    let artifacts = list_artifacts(&crab, run).await?;
    let mut chosen: Vec<&WorkflowListArtifact> = artifacts.iter().filter(|a| glob.matches(&a.name)).collect();
    if chosen.is_empty() {
        let mut names: Vec<&str> = artifacts.iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        return Err(GithubError::NoMatch {
            pattern: pattern.to_string(),
            run: run.describe(),
            names: if names.is_empty() {
                "none (did the build jobs upload theirs, and does this job `needs` them?)".to_string()
            } else {
                names.join(", ")
            },
        });
    }
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    // Checked for all before any download, so a bad artifact costs no transfer.
    if let Some(bad) = chosen.iter().find(|a| !is_safe_name(&a.name)) {
        return Err(GithubError::BadName(bad.name.clone()));
    }
    if let Some(expired) = chosen.iter().find(|a| a.expired) {
        return Err(GithubError::Expired {
            name: expired.name.clone(),
            run: run.describe(),
        });
    }

    let mut dirs = Vec::new();
    for artifact in chosen {
        tracing::info!(artifact = %artifact.name, id = %artifact.id, size = artifact.size_in_bytes, "downloading GitHub artifact");
        let which = || {
            Box::new(Artifact {
                name: artifact.name.clone(),
                id: artifact.id.to_string(),
                run: run.describe(),
            })
        };
        let zip = crab
            .actions()
            .download_artifact(&run.owner, &run.repo, artifact.id, ArchiveFormat::Zip)
            .await
            .map_err(|source| GithubError::Download {
                artifact: which(),
                source,
            })?;
        let dir = dest.join(&artifact.name);
        unpack_zip(&zip, &dir).map_err(|source| GithubError::Unpack {
            artifact: which(),
            source,
        })?;
        dirs.push(dir);
    }
    Ok(dirs)
}

/// Every artifact of the run. Pages are requested by number rather than by following the `Link`
/// header: octocrab only authenticates absolute URLs on api.github.com, and GitHub Enterprise
/// Server's links point elsewhere. The generic `get` is used because octocrab's
/// `list_workflow_run_artifacts` builder drops its `per_page` and `page` parameters (0.54), which
/// would return the first page forever.
async fn list_artifacts(crab: &Octocrab, run: &GithubRun) -> Result<Vec<WorkflowListArtifact>, GithubError> {
    #[derive(serde::Serialize)]
    struct Query {
        per_page: u8,
        page: u32,
    }
    let route = format!(
        "/repos/{}/{}/actions/runs/{}/artifacts",
        run.owner, run.repo, run.run_id
    );
    let mut all: Vec<WorkflowListArtifact> = Vec::new();
    for page in 1u32.. {
        let listed: Page<WorkflowListArtifact> = crab
            .get(
                &route,
                Some(&Query {
                    per_page: PAGE_SIZE,
                    page,
                }),
            )
            .await
            .map_err(|source| GithubError::List {
                run: run.describe(),
                source,
            })?;
        let count = listed.items.len();
        let total = listed.total_count;
        for item in listed.items {
            // An artifact uploaded while we page can shift the pages: count each once.
            if !all.iter().any(|a| a.id == item.id) {
                all.push(item);
            }
        }
        let done = match total {
            Some(total) => all.len() as u64 >= total,
            None => count < usize::from(PAGE_SIZE),
        };
        if done || count == 0 {
            break;
        }
    }
    Ok(all)
}

/// Unpacks a zip archive into `dir` (created). Entries must stay inside `dir`; directories and
/// regular files only; at most [`MAX_UNPACKED_BYTES`] in all.
pub fn unpack_zip(bytes: &[u8], dir: &Path) -> Result<(), UnzipError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(UnzipError::NotZip)?;
    let create = |path: &Path| {
        std::fs::create_dir_all(path).map_err(|source| UnzipError::Create {
            path: path.to_path_buf(),
            source,
        })
    };
    create(dir)?;
    let mut budget = MAX_UNPACKED_BYTES;
    for i in 0..archive.len() {
        let mut file = archive
            .by_index(i)
            .map_err(|source| UnzipError::Entry { index: i, source })?;
        let name = file
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("entry {i}"));
        let relative = file
            .enclosed_name()
            .ok_or_else(|| UnzipError::Outside(name.clone()))?;
        let target = dir.join(relative);
        if file.is_dir() {
            create(&target)?;
            continue;
        }
        if file.is_symlink() {
            return Err(UnzipError::Symlink(name));
        }
        if let Some(parent) = target.parent() {
            create(parent)?;
        }
        let mut contents = Vec::new();
        let read = (&mut file)
            .take(budget + 1)
            .read_to_end(&mut contents)
            .map_err(|source| UnzipError::Read {
                name: name.clone(),
                source,
            })? as u64;
        if read > budget {
            return Err(UnzipError::TooLarge(MAX_UNPACKED_BYTES >> 20));
        }
        budget -= read;
        std::fs::write(&target, &contents).map_err(|source| UnzipError::Write { path: target, source })?;
    }
    Ok(())
}

fn is_safe_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

/// An artifact, for messages.
#[derive(Debug)]
pub struct Artifact {
    pub name: String,
    pub id: String,
    /// The run, described.
    pub run: String,
}

impl std::fmt::Display for Artifact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "artifact {:?} (id {}) of {}", self.name, self.id, self.run)
    }
}

/// Why the artifacts of a run could not be had.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// The workflow run's environment is incomplete or malformed.
    #[error("{0}")]
    Run(String),
    #[error("--github-artifacts {pattern:?} is not a valid glob: {source}")]
    Pattern {
        pattern: String,
        #[source]
        source: glob::PatternError,
    },
    #[error("GITHUB_API_URL={url:?}: {source}")]
    ApiUrl {
        url: String,
        #[source]
        source: octocrab::Error,
    },
    #[error("GitHub client for {url}: {source}")]
    Client {
        url: String,
        #[source]
        source: octocrab::Error,
    },
    #[error("listing the artifacts of {run}: {source}")]
    List {
        run: String,
        #[source]
        source: octocrab::Error,
    },
    #[error("--github-artifacts {pattern:?} matches no artifact of {run}; it has {names}")]
    NoMatch {
        pattern: String,
        run: String,
        names: String,
    },
    #[error("artifact name {0:?} cannot be a directory name")]
    BadName(String),
    #[error("artifact {name:?} of {run} has expired; rerun the build jobs")]
    Expired { name: String, run: String },
    #[error("downloading {artifact}: {source}")]
    Download {
        artifact: Box<Artifact>,
        #[source]
        source: octocrab::Error,
    },
    #[error("creating a directory for the artifacts: {0}")]
    Scratch(#[source] std::io::Error),
    #[error("{artifact}: {source}")]
    Unpack {
        artifact: Box<Artifact>,
        #[source]
        source: UnzipError,
    },
}

/// Why a downloaded artifact could not be unpacked.
#[derive(Debug, thiserror::Error)]
pub enum UnzipError {
    #[error("not a zip archive: {0}")]
    NotZip(#[source] zip::result::ZipError),
    #[error("creating {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("entry {index}: {source}")]
    Entry {
        index: usize,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("entry {0:?} would be written outside the artifact's directory")]
    Outside(String),
    #[error("entry {0:?} is a symbolic link; digest artifacts hold plain files")]
    Symlink(String),
    #[error("entry {name:?}: {source}")]
    Read {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("more than {0} MiB unpacked: not a digest artifact")]
    TooLarge(u64),
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn run_from_the_environment() {
        let run = GithubRun::from_lookup(env(&[
            ("GITHUB_TOKEN", "ghs_secret"),
            ("GITHUB_REPOSITORY", "octo/app"),
            ("GITHUB_RUN_ID", "42"),
        ]))
        .unwrap();
        assert_eq!(run.api_url, "https://api.github.com");
        assert_eq!(
            (run.owner.as_str(), run.repo.as_str(), run.run_id),
            ("octo", "app", 42)
        );
        assert!(!format!("{run:?}").contains("ghs_secret"));

        let ghes = GithubRun::from_lookup(env(&[
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_REPOSITORY", "octo/app"),
            ("GITHUB_RUN_ID", "7"),
            ("GITHUB_API_URL", "https://ghes.example.com/api/v3/"),
        ]))
        .unwrap();
        assert_eq!(ghes.api_url, "https://ghes.example.com/api/v3");
    }

    #[test]
    fn missing_or_malformed_environment_is_named() {
        let e = GithubRun::from_lookup(env(&[("GITHUB_REPOSITORY", "o/r"), ("GITHUB_RUN_ID", "1")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("GITHUB_TOKEN is not set"), "{e}");
        let e = GithubRun::from_lookup(env(&[
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_REPOSITORY", "just-a-name"),
            ("GITHUB_RUN_ID", "1"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("not owner/repository"), "{e}");
        let e = GithubRun::from_lookup(env(&[
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_RUN_ID", "abc"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("GITHUB_RUN_ID=\"abc\" is not a number"), "{e}");
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            let opts =
                zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in entries {
                w.start_file(*name, opts).unwrap();
                w.write_all(data).unwrap();
            }
            w.finish().unwrap();
        }
        out.into_inner()
    }

    #[test]
    fn unpacks_files_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let zip = zip_of(&[("linux-amd64.json", b"{}"), ("sub/abc", b"")]);
        unpack_zip(&zip, &dir.path().join("a")).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("a/linux-amd64.json")).unwrap(),
            b"{}"
        );
        assert!(dir.path().join("a/sub/abc").is_file());

        let evil = zip_of(&[("../escape", b"x")]);
        let e = unpack_zip(&evil, &dir.path().join("b")).unwrap_err().to_string();
        assert!(e.contains("outside"), "{e}");
        assert!(!dir.path().join("escape").exists());

        let e = unpack_zip(b"{\"message\": \"Not Found\"}", &dir.path().join("c"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a zip archive"), "{e}");
    }

    #[test]
    fn refuses_oversized_archives() {
        let big = vec![b'0'; (MAX_UNPACKED_BYTES + 1) as usize];
        let zip = zip_of(&[("big", &big)]);
        let dir = tempfile::tempdir().unwrap();
        let e = unpack_zip(&zip, dir.path()).unwrap_err().to_string();
        assert!(e.contains("MiB unpacked"), "{e}");
    }
}
