// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! RUN: the command docker build would run (SHELL, exec form, heredocs as BuildKit treats them), its
//! environment (ENV, the stage's ARGs, proxy build args, a default PATH and HOME), its user (USER by
//! name or id, with supplementary groups from /etc/group) and working directory, executed through
//! the sandbox in the stage filesystem.

use std::path::{Path, PathBuf};

use super::stage::StageRun;
use super::BuildError;
use crate::dockerfile::{proxy_env, CommandLine, Heredoc, Instruction, Run};
use crate::sandbox::mounts::{Mount, MountKind};
use crate::sandbox::mounts_in_place::InPlace;
use crate::sandbox::ProcessSpec;

/// How the mounts of a RUN reach the command, and how they are taken away before the snapshot.
enum Placement {
    /// Mounted in the command's own mount namespace; only the mount points stay behind.
    Namespace(super::run_mounts::MountStubs),
    /// Container mode: put in place as files over `/` (undone on drop).
    InPlace(InPlace),
}

/// How many lines of a failed command's output the error repeats.
const TAIL_LINES: usize = 20;

/// The user a command runs as, resolved against the stage's /etc/passwd and /etc/group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecUser {
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub groups: Vec<u32>,
}

/// Resolves USER (`name`, `uid`, `name:group`, `uid:gid`, empty for root) like runc does for
/// docker: a name must exist; an unknown numeric uid runs with gid 0 and home `/`; without an
/// explicit group the user's supplementary groups come from /etc/group.
pub fn exec_user(spec: &str, passwd: &str, group: &str) -> Result<ExecUser, String> {
    let (user, grp) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let user = if user.is_empty() { "0" } else { user };
    let entries: Vec<Vec<&str>> = passwd.lines().map(|l| l.split(':').collect()).collect();
    fn field<'a>(e: &[&'a str], i: usize) -> &'a str {
        e.get(i).copied().unwrap_or("")
    }
    let found = match user.parse::<u32>() {
        Ok(uid) => entries
            .iter()
            .find(|e| field(e, 2).parse::<u32>().ok() == Some(uid)),
        Err(_) => entries.iter().find(|e| field(e, 0) == user),
    };
    let (name, uid, mut gid, home) = match (found, user.parse::<u32>()) {
        (Some(e), _) => (
            Some(field(e, 0).to_string()),
            field(e, 2).parse().unwrap_or(0),
            field(e, 3).parse().unwrap_or(0),
            field(e, 5).to_string(),
        ),
        (None, Ok(uid)) => (None, uid, 0, "/".to_string()),
        (None, Err(_)) => {
            return Err(format!(
                "unable to find user {user}: no matching entries in passwd file"
            ))
        }
    };
    let groups: Vec<Vec<&str>> = group.lines().map(|l| l.split(':').collect()).collect();
    let mut supplementary = Vec::new();
    match grp {
        Some(g) => {
            gid = match g.parse::<u32>() {
                Ok(n) => n,
                Err(_) => groups
                    .iter()
                    .find(|e| field(e, 0) == g)
                    .and_then(|e| field(e, 2).parse().ok())
                    .ok_or_else(|| format!("unable to find group {g}: no matching entries in group file"))?,
            };
        }
        None => {
            if let Some(name) = &name {
                for e in &groups {
                    if field(e, 3).split(',').any(|m| m == name) {
                        if let Ok(g) = field(e, 2).parse::<u32>() {
                            if !supplementary.contains(&g) {
                                supplementary.push(g);
                            }
                        }
                    }
                }
            }
        }
    }
    // Like runc: the primary group leads the list (`id` then shows it among the groups), and an
    // explicit group is the only one.
    supplementary.retain(|g| *g != gid);
    supplementary.insert(0, gid);
    Ok(ExecUser {
        uid,
        gid,
        home: if home.is_empty() { "/".into() } else { home },
        groups: supplementary,
    })
}

/// Whether a shell-form command is nothing but one heredoc (`<<EOF`, `<<-"EOF"`…).
fn is_lone_heredoc(command: &str, heredoc: &Heredoc) -> bool {
    let rest = command.trim().strip_prefix("<<").unwrap_or("");
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let unquoted = rest.trim_matches(|c| c == '"' || c == '\'');
    !command.trim().is_empty() && unquoted == heredoc.name
}

/// What a shell-form RUN hands to the shell, per BuildKit: a lone heredoc's body (or, when it starts
/// with `#!`, a script file to execute); otherwise the command line with the heredocs re-attached so
/// the shell reads them itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellScript {
    Inline(String),
    File { name: String, content: String },
}

pub fn shell_script(command: &str, heredocs: &[Heredoc]) -> ShellScript {
    match heredocs {
        [] => ShellScript::Inline(command.to_string()),
        [one] if is_lone_heredoc(command, one) => {
            let body = one.body().into_owned();
            if body.starts_with("#!") {
                ShellScript::File {
                    name: one.name.clone(),
                    content: body,
                }
            } else {
                ShellScript::Inline(body)
            }
        }
        many => {
            let mut full = command.to_string();
            for h in many {
                full.push('\n');
                full.push_str(&h.content);
                full.push_str(&h.name);
            }
            ShellScript::Inline(full)
        }
    }
}

/// Runs the command of a RUN instruction in the stage filesystem. The caller snapshots afterwards.
pub async fn execute(
    stage: &mut StageRun<'_>,
    instruction: &Instruction,
    run: &Run,
) -> Result<(), BuildError> {
    let shared = stage.shared;
    let at = stage.location(instruction);
    let run_mounts = super::run_mounts::parse_all(stage, instruction, run)?;
    if run.security.as_deref().is_some_and(|s| s != "sandbox") {
        return Err(BuildError::Unsupported {
            at,
            message: "RUN --security=insecure is not supported: commands never get extra privileges".into(),
        });
    }
    let isolation = shared
        .isolation
        .clone()
        .map_err(|source| BuildError::NoIsolation {
            at: at.clone(),
            source,
        })?;
    let new_network = match run.network.as_deref() {
        None | Some("default") | Some("host") => false,
        Some("none") => true,
        Some(other) => {
            return Err(BuildError::Unsupported {
                at,
                message: format!("RUN --network={other} is not supported (expected default, host or none)"),
            })
        }
    };
    if new_network {
        // Asked here rather than learnt from a failed start, to say why and what to do instead.
        crate::sandbox::process::private_network_available().map_err(|e| BuildError::Unsupported {
            at: at.clone(),
            message: format!(
                "RUN --network=none needs a network namespace of its own, and this process cannot \
                 create one ({e}): in --isolation=container give the build container CAP_SYS_ADMIN \
                 (docker run --cap-add SYS_ADMIN), or use --isolation=chroot or rootless"
            ),
        })?;
    }
    let fs = stage.ensure_fs(isolation).await?;
    let root = fs.root().to_path_buf();
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_default();
    let user = exec_user(&stage.user(), &read("etc/passwd"), &read("etc/group"))
        .map_err(|m| stage.error(instruction, m))?;
    let mut mounts = stage.fs_mounts()?;
    // Held until the command is done: scratch copies and cache locks.
    let requested = super::run_mounts::prepare(stage, instruction, &run_mounts).await?;
    let placement = if isolation.uses_own_root() {
        let stubs = super::run_mounts::MountStubs::find(&root, &requested.mounts);
        let prepared =
            tokio::task::block_in_place(|| crate::sandbox::mounts::prepare_targets(&root, &requested.mounts));
        if let Err(e) = prepared {
            stubs.remove();
            return Err(stage.error(instruction, format!("RUN --mount: {e}")));
        }
        mounts.extend(requested.mounts.iter().cloned());
        Placement::Namespace(stubs)
    } else {
        let owned = |p: &Path| requested.owns(p);
        let placed = tokio::task::block_in_place(|| InPlace::place(&root, &requested.mounts, &owned))
            .map_err(|e| stage.error(instruction, format!("RUN --mount: {e}")))?;
        Placement::InPlace(placed)
    };

    let argv = match &run.command {
        CommandLine::Exec(v) => v.clone(),
        CommandLine::Shell(cmd) => {
            let mut argv = stage.shell();
            match shell_script(cmd, &run.heredocs) {
                ShellScript::Inline(s) => argv.push(s),
                ShellScript::File { name, content } => {
                    let path = write_script(stage, &name, &content)?;
                    let inside = if isolation.uses_own_root() {
                        mounts.push(Mount {
                            target: PathBuf::from("dev/pipes"),
                            kind: MountKind::Tmpfs {
                                data: "mode=755,size=1024k".into(),
                            },
                            file: false,
                        });
                        mounts.push(Mount {
                            target: PathBuf::from("dev/pipes").join(&name),
                            kind: MountKind::Bind {
                                source: path,
                                readonly: true,
                            },
                            file: true,
                        });
                        format!("/dev/pipes/{name}")
                    } else {
                        path.display().to_string()
                    };
                    argv.push(inside);
                }
            }
            argv
        }
    };
    let cwd = stage.workdir();
    ensure_workdir(&root, &cwd, &user);
    let spec = ProcessSpec {
        argv,
        env: with_mount_env(
            with_ssh_auth_sock(environment(stage, &user), requested.ssh_auth_sock.as_deref()),
            &requested.env,
        ),
        root,
        chroot: isolation.uses_own_root(),
        new_network,
        mounts,
        cwd,
        uid: user.uid,
        gid: user.gid,
        groups: user.groups.clone(),
        label: format!("[{} line {}]", stage.stage_name(), instruction.location.line),
        tail_lines: TAIL_LINES,
        redact: shared.redactor.clone(),
    };
    let report = crate::sandbox::process::run(&spec).await;
    let restored = tokio::task::block_in_place(|| match placement {
        Placement::Namespace(stubs) => Ok(stubs.remove()),
        Placement::InPlace(placed) => placed.undo(),
    })
    .map_err(|e| stage.error(instruction, format!("RUN --mount: {e}")))?;
    stage.ensure_fs(isolation).await?.accept_ctime(&restored);
    drop(requested);
    let report = report.map_err(|source| BuildError::RunStart {
        at: at.clone(),
        stage: stage.stage_name(),
        source,
    })?;
    if report.success() {
        return Ok(());
    }
    let tail = if report.tail.is_empty() {
        String::new()
    } else {
        format!("; last output:\n  {}", report.tail.join("\n  "))
    };
    let command = instruction
        .original
        .trim()
        .strip_prefix("RUN")
        .unwrap_or(&instruction.original)
        .trim()
        .to_string();
    let volumes = stage
        .image
        .assembler
        .config()
        .config
        .as_ref()
        .map(|c| c.volumes.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    let hint = missing_volume_hint(&volumes, &command, &report.tail, |v| {
        super::run_mounts::resolve_in_root(&spec.root, v).is_ok()
    });
    Err(BuildError::RunFailed {
        at,
        stage: stage.stage_name(),
        command,
        status: report.describe(),
        exit_status: report.shell_status(),
        detail: hint + &tail,
    })
}

/// Why a failed command may have failed, for a user coming from kaniko or the legacy builder:
/// there VOLUME creates its directory, here (as in BuildKit) it is metadata only. Said when a
/// declared volume does not exist in the stage and the command or its output names it.
fn missing_volume_hint(
    volumes: &[String],
    command: &str,
    tail: &[String],
    exists: impl Fn(&str) -> bool,
) -> String {
    let named = |v: &str| command.contains(v) || tail.iter().any(|line| line.contains(v));
    let missing: Vec<&str> = volumes
        .iter()
        .map(|v| v.trim_end_matches('/'))
        .filter(|v| !v.is_empty() && named(v) && !exists(v))
        .collect();
    if missing.is_empty() {
        return String::new();
    }
    format!(
        "; VOLUME {list} declares {what} that no step created: VOLUME only records metadata (as in \
         BuildKit; kaniko and docker's legacy builder create the directory), so add `RUN mkdir -p \
         {list}` before this step",
        list = missing.join(" "),
        what = if missing.len() == 1 {
            "a directory"
        } else {
            "directories"
        },
    )
}

/// The command's environment: the image's ENV, then the stage's ARGs and proxy build args that ENV
/// does not set, then PATH and HOME defaults, as docker build provides them.
fn environment(stage: &StageRun<'_>, user: &ExecUser) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = stage
        .image
        .assembler
        .config()
        .config
        .as_ref()
        .map(|c| {
            c.env_pairs()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let has = |env: &Vec<(String, String)>, k: &str| env.iter().any(|(key, _)| key == k);
    for (k, v) in stage
        .args
        .iter()
        .chain(proxy_env(&stage.shared.request.build_args).iter())
    {
        if !has(&env, k) {
            env.push((k.clone(), v.clone()));
        }
    }
    if !has(&env, "PATH") {
        env.push(("PATH".into(), super::SCRATCH_PATH.into()));
    }
    if !has(&env, "HOME") {
        env.push(("HOME".into(), user.home.clone()));
    }
    env
}

/// The command's environment with the variables its mounts add (secrets as `env=`), which win.
fn with_mount_env(mut env: Vec<(String, String)>, added: &[(String, String)]) -> Vec<(String, String)> {
    env.retain(|(k, _)| !added.iter().any(|(a, _)| a == k));
    env.extend(added.iter().cloned());
    env
}

/// `SSH_AUTH_SOCK` pointing at the RUN's first ssh mount, unless ENV or an ARG already sets it
/// (BuildKit keeps the image's value then).
fn with_ssh_auth_sock(mut env: Vec<(String, String)>, socket: Option<&str>) -> Vec<(String, String)> {
    if let Some(socket) = socket {
        if !env.iter().any(|(k, _)| k == "SSH_AUTH_SOCK") {
            env.push(("SSH_AUTH_SOCK".into(), socket.into()));
        }
    }
    env
}

/// BuildKit creates a missing working directory for RUN; it then belongs to the image like any
/// other change.
fn ensure_workdir(root: &Path, cwd: &str, user: &ExecUser) {
    let dir = root.join(cwd.trim_start_matches('/'));
    if dir.is_dir() {
        return;
    }
    if std::fs::create_dir_all(&dir).is_ok() && user.uid != 0 {
        let _ = std::os::unix::fs::chown(&dir, Some(user.uid), Some(user.gid));
    }
}

fn write_script(stage: &StageRun<'_>, name: &str, content: &str) -> Result<PathBuf, BuildError> {
    use std::os::unix::fs::PermissionsExt;
    let dir = stage.shared.workspace.path().join("pipes");
    fs_err::create_dir_all(&dir).map_err(|e| BuildError::io(&dir, e))?;
    let path = dir.join(name.replace('/', "_"));
    fs_err::write(&path, content).map_err(|e| BuildError::io(&path, e))?;
    fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| BuildError::io(&path, e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str =
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nsvc:x:1001:1001::/srv:/bin/sh\n";
    const GROUP: &str = "root:x:0:\napp:x:1000:\nwheel:x:10:app,svc\naudio:x:29:app\n";

    #[test]
    fn users_resolve_like_runc() {
        assert_eq!(
            exec_user("", PASSWD, GROUP).unwrap(),
            ExecUser {
                uid: 0,
                gid: 0,
                home: "/root".into(),
                groups: vec![0]
            }
        );
        let app = exec_user("app", PASSWD, GROUP).unwrap();
        assert_eq!((app.uid, app.gid, app.home.as_str()), (1000, 1000, "/home/app"));
        assert_eq!(app.groups, [1000, 10, 29]);
        let by_id = exec_user("1001", PASSWD, GROUP).unwrap();
        assert_eq!(
            (by_id.uid, by_id.gid, by_id.groups.clone()),
            (1001, 1001, vec![1001, 10])
        );
        let unknown = exec_user("4242", PASSWD, GROUP).unwrap();
        assert_eq!((unknown.uid, unknown.gid, unknown.home.as_str()), (4242, 0, "/"));
        let explicit = exec_user("app:wheel", PASSWD, GROUP).unwrap();
        assert_eq!((explicit.gid, explicit.groups.clone()), (10, vec![10]));
        assert!(exec_user("nobody", PASSWD, GROUP)
            .unwrap_err()
            .contains("unable to find user nobody"));
        assert!(exec_user("app:nogroup", PASSWD, GROUP)
            .unwrap_err()
            .contains("unable to find group"));
    }

    fn heredoc(name: &str, content: &str) -> Heredoc {
        Heredoc {
            name: name.into(),
            content: content.into(),
            expand: true,
            chomp: false,
            file_descriptor: 0,
        }
    }

    #[test]
    fn heredocs_follow_buildkit() {
        assert_eq!(
            shell_script("echo hi", &[]),
            ShellScript::Inline("echo hi".into())
        );
        assert_eq!(
            shell_script("<<EOF", &[heredoc("EOF", "echo a\necho b\n")]),
            ShellScript::Inline("echo a\necho b\n".into())
        );
        assert_eq!(
            shell_script("<<'EOF'", &[heredoc("EOF", "#!/bin/sh\necho a\n")]),
            ShellScript::File {
                name: "EOF".into(),
                content: "#!/bin/sh\necho a\n".into()
            }
        );
        assert_eq!(
            shell_script("cat <<EOF > /x", &[heredoc("EOF", "hello\n")]),
            ShellScript::Inline("cat <<EOF > /x\nhello\nEOF".into())
        );
    }

    #[test]
    fn a_missing_volume_named_by_the_failed_command_gets_the_fix() {
        let volumes = vec!["/data".to_string(), "/logs/".to_string(), "/made".to_string()];
        let exists = |v: &str| v == "/made";
        let hint = missing_volume_hint(&volumes, "echo x > /data/f", &[], exists);
        assert!(
            hint.contains("VOLUME /data declares a directory that no step created"),
            "{hint}"
        );
        assert!(hint.contains("`RUN mkdir -p /data`"), "{hint}");
        // Named by the output only; a trailing slash is not part of the path.
        let tail = ["cannot create /logs/a: nonexistent directory".to_string()];
        let hint = missing_volume_hint(&volumes, "./run.sh", &tail, exists);
        assert!(hint.contains("`RUN mkdir -p /logs`"), "{hint}");
        // A volume that exists, or that nothing names, is not the cause.
        assert_eq!(
            missing_volume_hint(&volumes, "ls /made && false", &[], exists),
            ""
        );
        assert_eq!(missing_volume_hint(&volumes, "false", &[], exists), "");
    }
}
