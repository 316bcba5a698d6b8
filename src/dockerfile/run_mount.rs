// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The value of `RUN --mount=…`: a comma-separated `key=value` list, typed per mount type with the
//! Dockerfile reference's defaults (`type` defaults to `bind`; a bind reads the build context
//! read-only; a cache is `shared`, mode 0755, owned by 0:0, its id defaults to the target).
//!
//! Keys and aliases follow BuildKit: `target`/`dst`/`destination`, `source`/`src`,
//! `rw`/`readwrite`, `ro`/`readonly`; a boolean key alone means true. A secret's id defaults to
//! the target's base name and its target to `/run/secrets/<id>` (none when only `env` is asked
//! for); an ssh mount's id defaults to `default` and its target to `/run/buildkit/ssh_agent.<N>`,
//! N counting the RUN's ssh mounts, which the caller fills in.

use std::fmt;

/// How concurrent builds share a cache mount with the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheSharing {
    /// Every user sees the same directory at the same time (the default).
    Shared,
    /// A user that finds the id in use gets a fresh directory of its own.
    Private,
    /// Users take turns: one waits until the other is done.
    Locked,
}

/// `type=bind`: a directory or file of the build context, or of a stage or image (`from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMount {
    pub target: String,
    /// Path in the source, `/` (the whole context or filesystem) by default.
    pub source: String,
    pub from: Option<String>,
    /// Writable; the writes are discarded after the step.
    pub readwrite: bool,
}

/// `type=cache`: a directory that outlives the build, never part of an image or cache key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheMount {
    /// The cache's identity; the target when not given.
    pub id: String,
    pub target: String,
    pub readonly: bool,
    pub sharing: CacheSharing,
    /// Seed the cache from this stage or image (at `source`) on first use.
    pub from: Option<String>,
    pub source: String,
    /// Mode, owner and group of the cache directory when it is created.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// `type=tmpfs`: an empty tmpfs for the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmpfsMount {
    pub target: String,
    /// Size limit in bytes (no limit beyond the kernel's default when `None`).
    pub size: Option<u64>,
}

/// `type=secret`: a build secret as a file and/or an environment variable, never in a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMount {
    pub id: String,
    /// The file; `None` when only `env` was asked for.
    pub target: Option<String>,
    /// The environment variable that also (or instead) carries the value.
    pub env: Option<String>,
    /// A missing secret fails the step instead of leaving the mount out.
    pub required: bool,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// `type=ssh`: an SSH agent socket forwarding the keys or agent given with `--ssh`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshMount {
    pub id: String,
    /// `None` for the default `/run/buildkit/ssh_agent.<N>`.
    pub target: Option<String>,
    pub required: bool,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// One `--mount` of a RUN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunMount {
    Bind(BindMount),
    Cache(CacheMount),
    Tmpfs(TmpfsMount),
    Secret(SecretMount),
    Ssh(SshMount),
}

impl RunMount {
    /// Where the mount appears in the command's filesystem, when it is known from the value alone
    /// (an env-only secret has none; an ssh mount's default depends on its position).
    pub fn target(&self) -> Option<&str> {
        match self {
            RunMount::Bind(b) => Some(&b.target),
            RunMount::Cache(c) => Some(&c.target),
            RunMount::Tmpfs(t) => Some(&t.target),
            RunMount::Secret(s) => s.target.as_deref(),
            RunMount::Ssh(s) => s.target.as_deref(),
        }
    }
}

/// Why a `--mount` value is invalid: the message and the offending text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountSpecError {
    pub message: String,
    pub text: String,
}

impl fmt::Display for MountSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.message, self.text)
    }
}

fn err(message: impl Into<String>, text: impl Into<String>) -> MountSpecError {
    MountSpecError {
        message: message.into(),
        text: text.into(),
    }
}

fn boolean(key: &str, value: Option<&str>) -> Result<bool, MountSpecError> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("true") | Some("1") => Ok(true),
        Some("false") | Some("0") => Ok(false),
        Some(other) => Err(err(format!("invalid boolean for --mount key {key}"), other)),
    }
}

fn number(key: &str, value: Option<&str>, radix: u32) -> Result<u32, MountSpecError> {
    let v = value.ok_or_else(|| err(format!("--mount key {key} needs a value"), key))?;
    u32::from_str_radix(v, radix).map_err(|_| err(format!("invalid value for --mount key {key}"), v))
}

/// A tmpfs size: bytes, or a number with a `k`, `m` or `g` suffix (binary units, as docker's
/// `RAMInBytes`), optionally followed by `b`/`ib`.
fn size(value: &str) -> Result<u64, MountSpecError> {
    let lower = value.trim().to_ascii_lowercase();
    let trimmed = lower.trim_end_matches("ib").trim_end_matches('b');
    let (digits, unit) = match trimmed.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => trimmed.split_at(i),
        None => (trimmed, ""),
    };
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        _ => return Err(err("invalid --mount size", value)),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(|| err("invalid --mount size", value))
}

/// Parses one `--mount` value (already expanded).
pub fn parse_run_mount(value: &str) -> Result<RunMount, MountSpecError> {
    let mut fields: Vec<(String, Option<String>)> = Vec::new();
    for field in value.split(',') {
        let field = field.trim();
        if field.is_empty() {
            continue;
        }
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim().to_string())),
            None => (field.to_ascii_lowercase(), None),
        };
        fields.push((key, val));
    }
    let kind = fields
        .iter()
        .find(|(k, _)| k == "type")
        .map(|(_, v)| v.clone().unwrap_or_default().to_ascii_lowercase())
        .unwrap_or_else(|| "bind".into());
    if !matches!(kind.as_str(), "bind" | "cache" | "tmpfs" | "secret" | "ssh") {
        return Err(err(
            "unknown --mount type (expected bind, cache, tmpfs, secret or ssh)",
            kind,
        ));
    }
    let mut target = None;
    let mut source = None;
    let mut from = None;
    let mut readwrite = false;
    let mut readonly = false;
    let mut id = None;
    let mut env = None;
    let mut required = false;
    let mut sharing = CacheSharing::Shared;
    let mut mode = match kind.as_str() {
        "secret" => 0o400,
        "ssh" => 0o600,
        _ => 0o755,
    };
    let mut uid = 0;
    let mut gid = 0;
    let mut size_limit = None;
    for (key, val) in &fields {
        let v = val.as_deref();
        let need = || {
            v.filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| err(format!("--mount key {key} needs a value"), key.clone()))
        };
        if !key_allowed(&kind, key) {
            return Err(err(
                format!("unknown key for a --mount of type {kind}"),
                key.clone(),
            ));
        }
        match key.as_str() {
            "type" => {}
            "target" | "dst" | "destination" => target = Some(need()?),
            "source" | "src" => source = Some(need()?),
            "from" => from = Some(need()?),
            "id" => id = Some(need()?),
            "env" => env = Some(need()?),
            "required" => required = boolean(key, v)?,
            "rw" | "readwrite" => readwrite = boolean(key, v)?,
            "ro" | "readonly" => readonly = boolean(key, v)?,
            "sharing" => {
                sharing = match need()?.to_ascii_lowercase().as_str() {
                    "shared" => CacheSharing::Shared,
                    "private" => CacheSharing::Private,
                    "locked" => CacheSharing::Locked,
                    other => {
                        return Err(err(
                            "invalid --mount sharing (expected shared, private or locked)",
                            other,
                        ))
                    }
                }
            }
            "mode" => {
                mode = number(key, v, 8)?;
                if mode > 0o7777 {
                    return Err(err("invalid value for --mount key mode", need()?));
                }
            }
            "uid" => uid = number(key, v, 10)?,
            "gid" => gid = number(key, v, 10)?,
            _ => size_limit = Some(size(&need()?)?),
        }
    }
    match kind.as_str() {
        "secret" => return secret(id, target, env, required, (mode, uid, gid), value),
        "ssh" => {
            return Ok(RunMount::Ssh(SshMount {
                id: id.unwrap_or_else(|| "default".into()),
                target,
                required,
                mode,
                uid,
                gid,
            }))
        }
        _ => {}
    }
    let target = target.ok_or_else(|| err("--mount needs a target", value))?;
    if kind == "bind" && readonly && readwrite {
        return Err(err("--mount cannot be both ro and rw", value));
    }
    Ok(match kind.as_str() {
        "bind" => RunMount::Bind(BindMount {
            target,
            source: source.unwrap_or_else(|| "/".into()),
            from,
            readwrite,
        }),
        "cache" => RunMount::Cache(CacheMount {
            id: id.unwrap_or_else(|| target.clone()),
            target,
            readonly,
            sharing,
            from,
            source: source.unwrap_or_else(|| "/".into()),
            mode,
            uid,
            gid,
        }),
        _ => RunMount::Tmpfs(TmpfsMount {
            target,
            size: size_limit,
        }),
    })
}

/// A secret mount: the id defaults to the target's base name, the target to `/run/secrets/<id>`
/// unless the secret only goes to `env`.
fn secret(
    id: Option<String>,
    target: Option<String>,
    env: Option<String>,
    required: bool,
    (mode, uid, gid): (u32, u32, u32),
    value: &str,
) -> Result<RunMount, MountSpecError> {
    let id = match (id, &target) {
        (Some(id), _) => id,
        (None, Some(t)) => t
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .ok_or_else(|| err("--mount=type=secret needs an id", value))?,
        (None, None) => return Err(err("--mount=type=secret needs an id or a target", value)),
    };
    if let Some(name) = &env {
        if name.contains('=') || name.contains('\0') {
            return Err(err(
                "invalid environment variable name for --mount key env",
                name.clone(),
            ));
        }
    }
    let target = match (target, &env) {
        (Some(t), _) => Some(t),
        (None, Some(_)) => None,
        (None, None) => Some(format!("/run/secrets/{id}")),
    };
    Ok(RunMount::Secret(SecretMount {
        id,
        target,
        env,
        required,
        mode,
        uid,
        gid,
    }))
}

/// Whether a `--mount` of type `kind` takes `key`: every type has a target, bind and cache
/// mounts a source, then each its own options (BuildKit's keys and aliases).
fn key_allowed(kind: &str, key: &str) -> bool {
    const TARGET: &[&str] = &["type", "target", "dst", "destination"];
    const SOURCE: &[&str] = &["source", "src", "from", "ro", "readonly"];
    let own: &[&str] = match kind {
        "bind" => &["rw", "readwrite"],
        "cache" => &["id", "sharing", "mode", "uid", "gid"],
        "secret" => &["id", "env", "required", "mode", "uid", "gid"],
        "ssh" => &["id", "required", "mode", "uid", "gid"],
        _ => &["size", "tmpfs-size"],
    };
    TARGET.contains(&key) || own.contains(&key) || (matches!(kind, "bind" | "cache") && SOURCE.contains(&key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_reference() {
        assert_eq!(
            parse_run_mount("target=/src").unwrap(),
            RunMount::Bind(BindMount {
                target: "/src".into(),
                source: "/".into(),
                from: None,
                readwrite: false
            })
        );
        let RunMount::Cache(c) = parse_run_mount("type=cache,target=/root/.cache").unwrap() else {
            panic!("not a cache")
        };
        assert_eq!(c.id, "/root/.cache");
        assert_eq!(
            (c.sharing, c.mode, c.uid, c.gid, c.readonly),
            (CacheSharing::Shared, 0o755, 0, 0, false)
        );
        assert_eq!(
            parse_run_mount("type=tmpfs,dst=/t").unwrap(),
            RunMount::Tmpfs(TmpfsMount {
                target: "/t".into(),
                size: None
            })
        );
    }

    #[test]
    fn keys_aliases_and_values() {
        let RunMount::Bind(b) = parse_run_mount("type=bind,src=a/b,destination=/x,from=build,rw").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (
                b.source.as_str(),
                b.target.as_str(),
                b.from.as_deref(),
                b.readwrite
            ),
            ("a/b", "/x", Some("build"), true)
        );
        let RunMount::Cache(c) =
            parse_run_mount("type=cache,id=go,target=/go,sharing=locked,mode=0700,uid=1000,gid=100,ro=true")
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (c.id.as_str(), c.sharing, c.mode, c.uid, c.gid, c.readonly),
            ("go", CacheSharing::Locked, 0o700, 1000, 100, true)
        );
        let RunMount::Tmpfs(t) = parse_run_mount("type=tmpfs,target=/t,size=64m").unwrap() else {
            panic!()
        };
        assert_eq!(t.size, Some(64 << 20));
    }

    #[test]
    fn secrets_and_ssh_follow_buildkit_defaults() {
        let secret = |v: &str| match parse_run_mount(v).unwrap() {
            RunMount::Secret(s) => s,
            other => panic!("{other:?}"),
        };
        let s = secret("type=secret,id=npmrc");
        assert_eq!(
            (s.target.as_deref(), s.env, s.required, s.mode, s.uid, s.gid),
            (Some("/run/secrets/npmrc"), None, false, 0o400, 0, 0)
        );
        let s = secret("type=secret,target=/root/.npmrc,required,mode=0440,uid=1000,gid=1000");
        assert_eq!(
            (s.id.as_str(), s.target.as_deref(), s.required, s.mode, s.uid),
            (".npmrc", Some("/root/.npmrc"), true, 0o440, 1000)
        );
        let s = secret("type=secret,id=token,env=API_TOKEN");
        assert_eq!((s.target, s.env.as_deref()), (None, Some("API_TOKEN")));
        let s = secret("type=secret,id=token,env=API_TOKEN,target=/t");
        assert_eq!(s.target.as_deref(), Some("/t"));
        let RunMount::Ssh(ssh) = parse_run_mount("type=ssh").unwrap() else {
            panic!()
        };
        assert_eq!(
            (ssh.id.as_str(), ssh.target, ssh.required, ssh.mode),
            ("default", None, false, 0o600)
        );
        let RunMount::Ssh(ssh) = parse_run_mount("type=ssh,id=github,target=/agent,required=true").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (ssh.id.as_str(), ssh.target.as_deref(), ssh.required),
            ("github", Some("/agent"), true)
        );
    }

    #[test]
    fn bad_values_are_errors() {
        for (value, text) in [
            ("type=cache", "type=cache"),
            ("type=tmpfs,target=/t,source=x", "source"),
            ("type=bind,target=/t,sharing=locked", "sharing"),
            ("type=cache,target=/t,sharing=sometimes", "sometimes"),
            ("type=cache,target=/t,mode=9", "9"),
            ("type=cache,target=/t,uid=-1", "-1"),
            ("type=tmpfs,target=/t,size=lots", "lots"),
            ("type=volume,target=/t", "volume"),
            ("type=bind,target=/t,rw=maybe", "maybe"),
            ("type=bind,target=", "target"),
            ("type=secret", "type=secret"),
            ("type=secret,id=x,sharing=locked", "sharing"),
            ("type=secret,id=x,env=A=B", "A=B"),
            ("type=ssh,env=X", "env"),
            ("type=cache,target=/c,required", "required"),
        ] {
            let e = parse_run_mount(value).unwrap_err();
            assert_eq!(e.text, text, "{value}: {e}");
        }
    }
}
