// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! What the host allows: whether we are root, whether we run inside a container, whether user
//! namespaces can be created. Read once before the build so the choice of isolation is explained.

/// Facts about the host that decide the isolation mode.
#[derive(Debug, Clone)]
pub struct HostFacts {
    pub is_root: bool,
    pub in_container: bool,
    /// What was found (or missed) when looking for a container, for messages.
    pub container_evidence: String,
    /// `Err(reason)` when an unprivileged user namespace cannot be created.
    pub userns: Result<(), String>,
}

/// A source of [`HostFacts`]: the real host, or a fixed value in tests.
pub trait HostProbe {
    fn facts(&self) -> HostFacts;
}

/// Reads the facts from this process and `/proc`.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealHost;

/// Root filesystem types a container runtime gives its containers. A plain disk filesystem at `/`
/// means a host or a VM, even when a marker file says otherwise (VM images made from container
/// images keep `/.dockerenv`).
const CONTAINER_ROOT_FS: &[&str] = &[
    "overlay",
    "aufs",
    "fuse.fuse-overlayfs",
    "fuse-overlayfs",
    "btrfs",
    "zfs",
    "tmpfs",
    "virtiofs",
    "9p",
];

impl HostProbe for RealHost {
    fn facts(&self) -> HostFacts {
        // SAFETY: geteuid has no preconditions.
        let is_root = unsafe { libc::geteuid() } == 0;
        let markers = container_markers(&|p| std::path::Path::new(p).exists(), &|k| std::env::var(k).ok());
        let root_fs = std::fs::read_to_string("/proc/self/mountinfo")
            .ok()
            .and_then(|m| root_fs_type(&m));
        let (in_container, container_evidence) = judge_container(&markers, root_fs.as_deref());
        HostFacts {
            is_root,
            in_container,
            container_evidence,
            userns: probe_user_namespace(),
        }
    }
}

/// Signs of a container runtime: marker files and environment variables runtimes set.
fn container_markers(exists: &dyn Fn(&str) -> bool, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut found = Vec::new();
    for f in ["/.dockerenv", "/run/.containerenv"] {
        if exists(f) {
            found.push(f.to_string());
        }
    }
    for v in ["container", "KUBERNETES_SERVICE_HOST"] {
        if env(v).is_some_and(|s| !s.is_empty()) {
            found.push(format!("${v}"));
        }
    }
    found
}

/// The filesystem type mounted at `/` according to a mountinfo table (the last mount wins).
fn root_fs_type(mountinfo: &str) -> Option<String> {
    mountinfo
        .lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mount_point = left.split(' ').nth(4)?;
            let fstype = right.split(' ').next()?;
            (mount_point == "/").then(|| fstype.to_string())
        })
        .next_back()
}

fn judge_container(markers: &[String], root_fs: Option<&str>) -> (bool, String) {
    let fs = root_fs.unwrap_or("unknown");
    let container_fs = root_fs.is_some_and(|f| CONTAINER_ROOT_FS.contains(&f));
    let markers_text = if markers.is_empty() {
        "no container marker (/.dockerenv, /run/.containerenv, $container, $KUBERNETES_SERVICE_HOST)"
            .to_string()
    } else {
        format!("markers {}", markers.join(", "))
    };
    let evidence = format!("{markers_text}; root filesystem {fs}");
    (!markers.is_empty() && container_fs, evidence)
}

/// Tries to create a user namespace in a short-lived child process.
fn probe_user_namespace() -> Result<(), String> {
    // SAFETY: the child only calls async-signal-safe functions (unshare, _exit) before exiting, so
    // forking from a multi-threaded process is sound.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: see above.
        unsafe {
            let rc = libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS);
            let errno = if rc == 0 { 0 } else { *libc::__errno_location() };
            libc::_exit(errno.clamp(0, 255));
        }
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    if waited != pid || !libc::WIFEXITED(status) {
        return Err("the probe process did not exit normally".into());
    }
    match libc::WEXITSTATUS(status) {
        0 => Ok(()),
        errno => Err(format!(
            "unshare(CLONE_NEWUSER): {}",
            std::io::Error::from_raw_os_error(errno)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_fs_is_the_last_mount_at_root() {
        let info = "22 27 0:21 / /proc rw - proc proc rw\n\
                    27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n\
                    900 27 0:50 / / rw - overlay overlay rw,lowerdir=/a\n";
        assert_eq!(root_fs_type(info).as_deref(), Some("overlay"));
        assert_eq!(root_fs_type("garbage\n"), None);
    }

    #[test]
    fn a_vm_with_a_marker_file_is_not_a_container() {
        let markers = container_markers(&|p| p == "/.dockerenv", &|_| None);
        let (yes, why) = judge_container(&markers, Some("ext4"));
        assert!(!yes);
        assert!(why.contains("/.dockerenv") && why.contains("ext4"), "{why}");
        let (yes, _) = judge_container(&markers, Some("overlay"));
        assert!(yes);
        let (yes, why) = judge_container(&[], Some("overlay"));
        assert!(!yes);
        assert!(why.contains("no container marker"), "{why}");
    }

    #[test]
    fn kubernetes_env_is_a_marker() {
        let markers = container_markers(&|_| false, &|k| {
            (k == "KUBERNETES_SERVICE_HOST").then(|| "10.0.0.1".into())
        });
        assert_eq!(markers, ["$KUBERNETES_SERVICE_HOST"]);
    }
}
