// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! SSH agent forwarding (`--ssh`, `RUN --mount=type=ssh`) with the real binary, in chroot and
//! rootless isolation. Inside the step a small static agent client (tests/fixtures/ssh/
//! agent-client.c, compiled here with `gcc -static` since busybox has no ssh) lists the agent's
//! identities and gets a signature from each; here the listed keys are compared with the `.pub`
//! files `ssh-keygen` wrote and every signature is verified. Key files are served by kaniko's own
//! agent; a real `ssh-agent` is forwarded read-only. The private keys are then searched for in
//! every layer, the config and history, the build log and the debug files.

mod common;

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::OnceLock;

use base64::Engine as _;
use common::kaniko::{bases, build_args, build_err, unique_repo, Built, Context};
use ring::signature;

/// What the step asks the agent to sign.
const DATA: &str = "kaniko-ssh-signed-data";

/// The agent client, compiled once per test process.
fn agent_client() -> &'static [u8] {
    static CLIENT: OnceLock<Vec<u8>> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("agent-client");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ssh/agent-client.c");
        common::tools::run_ok(
            Command::new("gcc")
                .args(["-static", "-Os", "-o"])
                .arg(&out)
                .arg(source),
        );
        std::fs::read(out).unwrap()
    })
}

/// The modes this machine can test: rootless always, chroot as root.
fn modes() -> Vec<&'static str> {
    if common::isolation::is_root() {
        vec!["chroot", "rootless"]
    } else {
        vec!["rootless"]
    }
}

/// The key types tested, with `ssh-keygen -b`.
const KINDS: [(&str, &str); 3] = [("ed25519", "256"), ("rsa", "2048"), ("ecdsa", "384")];

/// Key pairs made by `ssh-keygen`, in a directory the rootless test user can read.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    /// An unencrypted key of each of [`KINDS`]; `readable` opens the private keys to the rootless user
    /// (ssh-add refuses such keys, so a forwarding test keeps them 0600).
    fn new(readable: bool) -> Keys {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        for (kind, bits) in KINDS {
            let path = dir.path().join(kind);
            common::tools::run_ok(
                Command::new("ssh-keygen")
                    .args([
                        "-q",
                        "-t",
                        kind,
                        "-b",
                        bits,
                        "-N",
                        "",
                        "-C",
                        &format!("test-{kind}"),
                        "-f",
                    ])
                    .arg(&path),
            );
            if readable {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
        Keys { dir }
    }

    fn private(&self, kind: &str) -> PathBuf {
        self.dir.path().join(kind)
    }

    /// The public key blob of the `.pub` file.
    fn public_blob(&self, kind: &str) -> Vec<u8> {
        let text = std::fs::read_to_string(self.dir.path().join(format!("{kind}.pub"))).unwrap();
        let b64 = text.split_whitespace().nth(1).unwrap();
        base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
    }

    /// What must never leave kaniko: each base64 line of the private key files and the private
    /// numbers inside them (the ed25519 seed, the RSA private exponent, the ECDSA scalar).
    fn secret_material(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (kind, _) in KINDS {
            let text = std::fs::read_to_string(self.private(kind)).unwrap();
            let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
            out.extend(
                text.lines()
                    .filter(|l| !l.starts_with("-----") && l.len() > 40)
                    .map(|l| l.as_bytes().to_vec()),
            );
            let der = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
            out.push(private_number(&der));
        }
        out
    }
}

/// Reads an SSH wire string off the front of `r`.
fn string<'a>(r: &mut &'a [u8]) -> &'a [u8] {
    let n = u32::from_be_bytes(r[..4].try_into().unwrap()) as usize;
    let s = &r[4..4 + n];
    *r = &r[4 + n..];
    s
}

/// The private number of an unencrypted OpenSSH key file's body.
fn private_number(der: &[u8]) -> Vec<u8> {
    let mut r = der.strip_prefix(b"openssh-key-v1\0").unwrap();
    for _ in 0..3 {
        string(&mut r); // cipher, kdf, kdf options
    }
    r = &r[4..]; // number of keys
    string(&mut r); // public key
    let mut p = string(&mut r);
    p = &p[8..]; // check words
    match string(&mut p) {
        b"ssh-ed25519" => {
            string(&mut p);
            string(&mut p)[..32].to_vec()
        }
        b"ssh-rsa" => {
            string(&mut p); // n
            string(&mut p); // e
            string(&mut p).to_vec()
        }
        b"ecdsa-sha2-nistp384" => {
            string(&mut p); // curve
            string(&mut p); // public point
            string(&mut p).to_vec()
        }
        other => panic!("unexpected key type {other:?}"),
    }
}

/// An mpint's digits: a leading zero keeps a positive number's top bit clear; ring wants none.
fn unsigned(b: &[u8]) -> &[u8] {
    &b[b.iter().take_while(|x| **x == 0).count()..]
}

/// Checks that `sig` is a valid signature of [`DATA`] by the key `blob`.
fn verify(blob: &[u8], sig: &[u8]) {
    let mut key = blob;
    let mut s = sig;
    let format = string(&mut s);
    let raw = string(&mut s);
    match string(&mut key) {
        b"ssh-ed25519" => {
            assert_eq!(format, b"ssh-ed25519");
            signature::UnparsedPublicKey::new(&signature::ED25519, string(&mut key))
                .verify(DATA.as_bytes(), raw)
                .expect("a valid ed25519 signature");
        }
        b"ssh-rsa" => {
            assert_eq!(format, b"rsa-sha2-256", "the client asked for SHA-256");
            let e = unsigned(string(&mut key));
            let n = unsigned(string(&mut key));
            signature::RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, DATA.as_bytes(), raw)
                .expect("a valid RSA signature");
        }
        b"ecdsa-sha2-nistp384" => {
            assert_eq!(format, b"ecdsa-sha2-nistp384");
            string(&mut key); // curve
            let point = string(&mut key);
            // mpint r, mpint s → r‖s, each 48 bytes.
            let mut rs = raw;
            let mut fixed = Vec::new();
            for _ in 0..2 {
                let n = unsigned(string(&mut rs));
                fixed.extend(std::iter::repeat_n(0, 48 - n.len()));
                fixed.extend(n);
            }
            signature::UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                .verify(DATA.as_bytes(), &fixed)
                .expect("a valid ECDSA signature");
        }
        other => panic!("unexpected key type {other:?}"),
    }
}

/// The keys the agent client listed in the step, each signature verified.
fn listed_and_verified(output: &str) -> Vec<Vec<u8>> {
    output
        .lines()
        .filter(|l| !l.starts_with("remove-all"))
        .map(|line| {
            let (blob, sig) = line.split_once(' ').unwrap();
            let (blob, sig) = (hex::decode(blob).unwrap(), hex::decode(sig).expect(line));
            verify(&blob, &sig);
            blob
        })
        .collect()
}

/// A build in `mode` pushed to the shared registry, with an OCI layout, debug files and its own
/// cache directory under `work`. Returns the outcome and the combined log.
fn build(
    mode: &str,
    ctx: &Context,
    work: &Path,
    args: &[OsString],
    envs: &[(&str, &Path)],
) -> (Output, String, String) {
    let reference = format!("{}/{}:latest", bases().registry.host(), unique_repo("ssh"));
    let mut cmd = common::isolation::kaniko_in_mode(ctx, mode, work);
    cmd.args(build_args(ctx, &work.join("kaniko")))
        .arg(format!("--isolation={mode}"))
        .args(["--destination", &reference])
        .arg("--oci-layout-path")
        .arg(work.join("layout"))
        .arg("--debug-full")
        .arg("--cache-dir")
        .arg(work.join("cache"))
        .args(args)
        .env_remove("SSH_AUTH_SOCK");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, log, reference)
}

/// Fails when any of `needles` appears in `haystack`.
fn assert_absent(haystack: &[u8], needles: &[Vec<u8>], what: &str) {
    for n in needles {
        assert!(
            !haystack.windows(n.len()).any(|w| w == &n[..]),
            "private key material found in {what}"
        );
    }
}

const KEY_FILES_DOCKERFILE: &str = "FROM {{BASE}}\n\
RUN --mount=type=bind,source=agent-client,target=/usr/local/bin/agent-client --mount=type=ssh \\\n\
    agent-client \"$SSH_AUTH_SOCK\" kaniko-ssh-signed-data > /default.out && \\\n\
    echo \"$SSH_AUTH_SOCK\" > /sock.env && stat -c '%a %u %g %F' /run/buildkit/ssh_agent.0 > /default.stat\n\
RUN --mount=type=bind,source=agent-client,target=/usr/local/bin/agent-client \\\n\
    --mount=type=ssh,id=deploy,target=/tmp/deploy.sock,mode=0660,uid=1000,gid=1000 --mount=type=ssh \\\n\
    agent-client /tmp/deploy.sock kaniko-ssh-signed-data > /deploy.out && \\\n\
    stat -c '%a %u %g' /tmp/deploy.sock > /deploy.stat && echo \"$SSH_AUTH_SOCK\" > /sock2.env && \\\n\
    ls /run/buildkit > /second.ls\n\
RUN --mount=type=ssh,id=not-given (test -e /run/buildkit && echo present || echo absent) > /absent.txt\n";

#[test]
fn key_files_sign_in_the_step_and_never_reach_the_image() {
    for mode in modes() {
        let keys = Keys::new(true);
        let ctx = Context::new(KEY_FILES_DOCKERFILE).file_mode("agent-client", agent_client(), 0o755);
        let work = tempfile::tempdir().unwrap();
        let args: Vec<OsString> = vec![
            format!(
                "--ssh=default={},{},{}",
                keys.private("ed25519").display(),
                keys.private("rsa").display(),
                keys.private("ecdsa").display()
            )
            .into(),
            format!("--ssh=deploy={}", keys.private("rsa").display()).into(),
        ];
        let (out, log, reference) = build(mode, &ctx, work.path(), &args, &[]);
        assert!(out.status.success(), "{mode}: {log}");

        let b = Built::read(&reference);
        let (ed25519, rsa, ecdsa) = (
            keys.public_blob("ed25519"),
            keys.public_blob("rsa"),
            keys.public_blob("ecdsa"),
        );
        assert_eq!(
            listed_and_verified(&b.text("/default.out")),
            [ed25519, rsa.clone(), ecdsa],
            "{mode}"
        );
        assert_eq!(listed_and_verified(&b.text("/deploy.out")), [rsa], "{mode}");
        assert_eq!(b.text("/default.stat"), "600 0 0 socket\n", "{mode}");
        assert_eq!(b.text("/deploy.stat"), "660 1000 1000\n", "{mode}");
        assert_eq!(b.text("/sock.env"), "/run/buildkit/ssh_agent.0\n", "{mode}");
        assert_eq!(
            b.text("/sock2.env"),
            "/tmp/deploy.sock\n",
            "{mode}: SSH_AUTH_SOCK names the first ssh mount"
        );
        assert_eq!(
            b.text("/second.ls"),
            "ssh_agent.1\n",
            "{mode}: numbered by position"
        );
        assert_eq!(
            b.text("/absent.txt"),
            "absent\n",
            "{mode}: an id not given is no mount"
        );
        for path in ["/run/buildkit", "/tmp/deploy.sock", "/usr/local/bin/agent-client"] {
            assert!(
                !b.snapshot.entries.contains_key(path),
                "{mode}: {path} is in the image"
            );
        }

        let secret = keys.secret_material();
        assert_absent(log.as_bytes(), &secret, &format!("{mode}: the build log"));
        assert_absent(&b.manifest_bytes, &secret, &format!("{mode}: the manifest"));
        assert_absent(
            b.config.to_string().as_bytes(),
            &secret,
            &format!("{mode}: the config and history"),
        );
        let (layout, kaniko_dir) = (work.path().join("layout"), work.path().join("kaniko"));
        assert!(
            common::tools::files_under(&layout.join("blobs")).len() >= 5,
            "{mode}: layers, config and manifest"
        );
        assert!(
            common::tools::files_under(&kaniko_dir)
                .iter()
                .any(|f| f.to_string_lossy().contains("debug")),
            "{mode}: --debug-full wrote no debug files"
        );
        for dir in [&layout, &kaniko_dir, &work.path().join("cache")] {
            for file in common::tools::files_under(dir) {
                for bytes in common::tools::raw_and_decompressed(&file) {
                    assert_absent(&bytes, &secret, &format!("{mode}: {}", file.display()));
                }
            }
        }
    }
}

/// A real `ssh-agent` holding one key, stopped on drop.
struct SshAgent {
    child: Child,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl SshAgent {
    /// Started as the rootless test user when `as_test_user` (its agent refuses other users
    /// but root), else as ourselves.
    fn start(key: &Path, as_test_user: bool) -> SshAgent {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let socket = dir.path().join("agent.sock");
        let mut cmd = if as_test_user {
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid",
                common::isolation::ROOTLESS_USER,
                "--regid",
                common::isolation::ROOTLESS_USER,
                "--init-groups",
                "--",
                "ssh-agent",
            ]);
            c
        } else {
            Command::new("ssh-agent")
        };
        let child = cmd
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("ssh-agent (hack/setup.sh installs openssh-client)");
        let agent = SshAgent {
            child,
            socket,
            _dir: dir,
        };
        for _ in 0..100 {
            if agent.socket.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        common::tools::run_ok(
            Command::new("ssh-add")
                .arg("-q")
                .arg(key)
                .env("SSH_AUTH_SOCK", &agent.socket),
        );
        agent
    }

    /// `ssh-add -l` against the agent.
    fn list(&self) -> String {
        String::from_utf8(common::tools::run_ok(
            Command::new("ssh-add")
                .arg("-l")
                .env("SSH_AUTH_SOCK", &self.socket),
        ))
        .unwrap()
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_forwarded_agent_serves_the_step_read_only() {
    let dockerfile = "FROM {{BASE}}\n\
RUN --mount=type=bind,source=agent-client,target=/usr/local/bin/agent-client --mount=type=ssh,required=true \\\n\
    agent-client \"$SSH_AUTH_SOCK\" kaniko-ssh-signed-data remove-all > /forwarded.out\n";
    for mode in modes() {
        let keys = Keys::new(false);
        let agent = SshAgent::start(
            &keys.private("ed25519"),
            mode == "rootless" && common::isolation::is_root(),
        );
        // `--ssh default=SOCKET`, and `--ssh default` reading SSH_AUTH_SOCK.
        let given = [
            format!("--ssh=default={}", agent.socket.display()),
            "--ssh=default".into(),
        ];
        for flag in given {
            let args = [OsString::from(&flag)];
            let envs: Vec<(&str, &Path)> = if flag == "--ssh=default" {
                vec![("SSH_AUTH_SOCK", agent.socket.as_path())]
            } else {
                Vec::new()
            };
            let ctx = Context::new(dockerfile).file_mode("agent-client", agent_client(), 0o755);
            let work = tempfile::tempdir().unwrap();
            let (out, log, reference) = build(mode, &ctx, work.path(), &args, &envs);
            assert!(out.status.success(), "{mode} {args:?}: {log}");
            let output = Built::read(&reference).text("/forwarded.out");
            assert_eq!(
                listed_and_verified(&output),
                [keys.public_blob("ed25519")],
                "{mode} {args:?}"
            );
            assert!(
                output.ends_with("remove-all 5\n"),
                "{mode} {args:?}: removing keys must be refused with SSH_AGENT_FAILURE: {output}"
            );
            assert!(
                agent.list().contains("test-ed25519"),
                "{mode} {args:?}: the user's agent still holds its key"
            );
            assert_absent(
                log.as_bytes(),
                &keys.secret_material(),
                &format!("{mode}: the build log"),
            );
        }
    }
}

#[test]
fn a_required_ssh_id_that_was_not_given_fails_naming_it() {
    let ctx = Context::new("FROM {{BASE}}\nRUN --mount=type=ssh,id=github,required=true true\n");
    let err = build_err(&ctx, &[]);
    assert!(
        err.contains("Dockerfile:2") && err.contains("ssh github is required but was not given"),
        "{err}"
    );
}

#[test]
fn ssh_sources_are_checked_before_any_work() {
    let ctx = Context::new("FROM {{BASE}}\nRUN true\n");
    let err = build_err(&ctx, &["--ssh", "default=/nonexistent/agent.sock"]);
    assert!(
        err.contains("ssh default: /nonexistent/agent.sock: No such file"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("locked");
    common::tools::run_ok(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "a passphrase", "-f"])
            .arg(&key),
    );
    let err = build_err(&ctx, &["--ssh", &format!("deploy={}", key.display())]);
    assert!(
        err.contains(&format!(
            "ssh deploy: {}: the key is passphrase-protected",
            key.display()
        )),
        "{err}"
    );
    let kaniko_dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kaniko"))
        .args(build_args(&ctx, kaniko_dir.path()))
        .args(["--no-push", "--ssh", "default"])
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .unwrap();
    let err = common::tools::output_text(&out);
    assert!(
        !out.status.success() && err.contains("SSH_AUTH_SOCK is not set"),
        "{err}"
    );
}
