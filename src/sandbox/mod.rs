// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! How RUN executes without a daemon: the isolation modes, choosing one for the host, and starting a
//! command inside the stage's filesystem.
//!
//! - `container`: kaniko's model. The stage's filesystem is unpacked over `/` of the (throw-away)
//!   container we run in and commands run directly.
//! - `chroot`: the filesystem lives under the kaniko directory; each command runs chrooted there in a
//!   private mount namespace that holds `/proc`, `/dev` and the resolver files and vanishes with it.
//! - `rootless`: the whole build re-executes itself in an unprivileged user namespace (the invoking
//!   uid mapped to 0, subordinate ids added through newuidmap/newgidmap), then works as `chroot`.

pub mod host;
pub mod mounts;
pub mod mounts_in_place;
pub mod process;
pub mod userns;

use std::fmt;
use std::str::FromStr;

pub use host::{HostFacts, HostProbe, RealHost};
pub use process::{ExitReport, ProcessError, ProcessSpec};

/// How RUN commands are isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    Container,
    Chroot,
    Rootless,
}

impl Isolation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Container => "container",
            Self::Chroot => "chroot",
            Self::Rootless => "rootless",
        }
    }

    /// Whether the stage filesystem is a directory of its own (and commands are chrooted into it).
    pub fn uses_own_root(self) -> bool {
        !matches!(self, Self::Container)
    }
}

impl fmt::Display for Isolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `--isolation`: a fixed mode, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationChoice {
    #[default]
    Auto,
    Fixed(Isolation),
}

/// The values `--isolation` accepts.
pub const ISOLATION_VALUES: &str = "auto, container, chroot, rootless";

impl FromStr for IsolationChoice {
    type Err = SandboxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Self::Auto,
            "container" => Self::Fixed(Isolation::Container),
            "chroot" => Self::Fixed(Isolation::Chroot),
            "rootless" => Self::Fixed(Isolation::Rootless),
            _ => return Err(SandboxError::UnknownIsolation(s.to_string())),
        })
    }
}

/// Why RUN cannot be isolated as asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SandboxError {
    #[error("invalid --isolation {0:?}: expected one of {ISOLATION_VALUES}")]
    UnknownIsolation(String),
    #[error(
        "--isolation=container unpacks the base image over / and runs commands directly, so it only runs \
         inside a throw-away container, and this does not look like one ({evidence}); use \
         --isolation=chroot or rootless here, or pass --force if this really is a disposable container"
    )]
    NotInContainer { evidence: String },
    #[error("--isolation=chroot needs root (or CAP_SYS_CHROOT and CAP_SYS_ADMIN); run as root, or use --isolation=rootless")]
    ChrootNeedsRoot,
    #[error(
        "no isolation mode works here: not root inside a container (container), user namespaces are \
         unavailable ({userns}) (rootless), and not root (chroot); run the build inside a container, \
         enable unprivileged user namespaces, or run as root"
    )]
    NothingWorks { userns: String },
    /// What the host probe found (see [`host::HostFacts`]).
    #[error("--isolation=rootless: cannot create a user namespace: {0}")]
    UserNamespace(String),
}

/// Picks the isolation mode for this host. `force` lets `container` run where no container is
/// detected (kaniko's `--force`).
pub fn resolve(choice: IsolationChoice, force: bool, facts: &HostFacts) -> Result<Isolation, SandboxError> {
    match choice {
        IsolationChoice::Fixed(Isolation::Container) => {
            if facts.in_container || force {
                Ok(Isolation::Container)
            } else {
                Err(SandboxError::NotInContainer {
                    evidence: facts.container_evidence.clone(),
                })
            }
        }
        IsolationChoice::Fixed(Isolation::Chroot) => {
            if facts.is_root {
                Ok(Isolation::Chroot)
            } else {
                Err(SandboxError::ChrootNeedsRoot)
            }
        }
        IsolationChoice::Fixed(Isolation::Rootless) => match &facts.userns {
            Ok(()) => Ok(Isolation::Rootless),
            Err(why) => Err(SandboxError::UserNamespace(why.clone())),
        },
        IsolationChoice::Auto => {
            if facts.is_root && facts.in_container {
                Ok(Isolation::Container)
            } else if facts.userns.is_ok() {
                Ok(Isolation::Rootless)
            } else if facts.is_root {
                Ok(Isolation::Chroot)
            } else {
                Err(SandboxError::NothingWorks {
                    userns: facts.userns.clone().err().unwrap_or_default(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(is_root: bool, in_container: bool, userns: bool) -> HostFacts {
        HostFacts {
            is_root,
            in_container,
            container_evidence: "test".into(),
            userns: if userns { Ok(()) } else { Err("EPERM".into()) },
        }
    }

    #[test]
    fn auto_prefers_container_then_rootless_then_chroot() {
        let auto = IsolationChoice::Auto;
        assert_eq!(
            resolve(auto, false, &facts(true, true, true)).unwrap(),
            Isolation::Container
        );
        assert_eq!(
            resolve(auto, false, &facts(false, true, true)).unwrap(),
            Isolation::Rootless
        );
        assert_eq!(
            resolve(auto, false, &facts(true, false, true)).unwrap(),
            Isolation::Rootless
        );
        assert_eq!(
            resolve(auto, false, &facts(true, false, false)).unwrap(),
            Isolation::Chroot
        );
        let err = resolve(auto, false, &facts(false, false, false))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no isolation mode works"), "{err}");
        assert!(err.contains("EPERM"), "{err}");
    }

    #[test]
    fn container_refuses_outside_a_container_unless_forced() {
        let c = IsolationChoice::Fixed(Isolation::Container);
        let err = resolve(c, false, &facts(true, false, true))
            .unwrap_err()
            .to_string();
        assert!(err.contains("--force"), "{err}");
        assert_eq!(
            resolve(c, true, &facts(true, false, true)).unwrap(),
            Isolation::Container
        );
    }

    #[test]
    fn fixed_modes_check_their_needs() {
        let chroot = IsolationChoice::Fixed(Isolation::Chroot);
        assert!(matches!(
            resolve(chroot, false, &facts(false, false, true)),
            Err(SandboxError::ChrootNeedsRoot)
        ));
        let rootless = IsolationChoice::Fixed(Isolation::Rootless);
        assert!(matches!(
            resolve(rootless, false, &facts(false, false, false)),
            Err(SandboxError::UserNamespace(_))
        ));
    }

    #[test]
    fn isolation_values_parse() {
        assert_eq!("AUTO".parse::<IsolationChoice>().unwrap(), IsolationChoice::Auto);
        assert_eq!(
            "rootless".parse::<IsolationChoice>().unwrap(),
            IsolationChoice::Fixed(Isolation::Rootless)
        );
        let err = "vm".parse::<IsolationChoice>().unwrap_err().to_string();
        assert!(err.contains("auto, container, chroot, rootless"), "{err}");
    }
}
