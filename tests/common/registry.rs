// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A real `docker-registry` (distribution 2.8, Debian's package) started on a free loopback port.
//!
//! Each [`Registry`] owns a temporary directory holding its config, storage, logs and, for the TLS
//! flavour, a freshly generated CA, server certificate and htpasswd file. Dropping it kills and
//! reaps the server. [`Registry::shared`] is the exception: one registry per test process that is
//! never dropped, so the kernel kills it when the process ends (`PR_SET_PDEATHSIG`) and an
//! `atexit` hook removes its directory. Tests must not silently pass when the server is missing, so a missing binary
//! panics with a pointer to `hack/setup.sh`.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";
/// How long a registry may take to answer `GET /v2/` before the fixture gives up.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Attempts on a new port when another process grabbed ours between probing and binding.
const PORT_ATTEMPTS: usize = 5;

/// TLS material and credentials of a registry started with [`Registry::start_tls_basic_auth`].
#[derive(Debug)]
struct Secured {
    /// Directory holding only `ca.crt`: the shape `skopeo --cert-dir` and docker's certs.d expect.
    cert_dir: PathBuf,
    ca_cert: PathBuf,
    user: String,
    password: String,
    /// The server certificate is its own CA (`openssl req -x509`), which webpki refuses as a server
    /// certificate: the crate pins it, but this fixture's own client cannot talk to it.
    self_signed: bool,
    /// Mutual TLS instead of basic auth: the client certificate and key (signed by the same CA)
    /// that the registry requires of every client (`http.tls.clientcas`).
    client: Option<(PathBuf, PathBuf)>,
}

/// A running `docker-registry`; killed and reaped on drop.
#[derive(Debug)]
pub struct Registry {
    child: Child,
    port: u16,
    secured: Option<Secured>,
    log_path: PathBuf,
    // Kept last so the server is gone before its directory is removed.
    dir: TempDir,
}

impl Registry {
    /// Plain-HTTP registry without authentication, deletes enabled.
    pub fn start() -> Registry {
        let dir = tempdir("kaniko-registry-");
        Self::launch(dir, None, false)
    }

    /// One plain-HTTP registry for the whole test process, started on first use. Tests sharing it
    /// must use their own repository names. It dies with the process however the process ends:
    /// it is spawned from a thread that never exits with `PR_SET_PDEATHSIG` (the signal follows
    /// the spawning *thread*), and an `atexit` hook kills it and removes its directory on a
    /// normal exit.
    pub fn shared() -> &'static Registry {
        static SHARED: OnceLock<Registry> = OnceLock::new();
        SHARED.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            std::thread::Builder::new()
                .name("shared-registry".into())
                .spawn(move || {
                    let registry = Self::launch(tempdir("kaniko-registry-shared-"), None, true);
                    let _ = tx.send(registry);
                    loop {
                        std::thread::park();
                    }
                })
                .expect("spawn the shared registry's thread");
            let registry = rx
                .recv()
                .expect("the shared registry failed to start (see above)");
            let _ = SHARED_CLEANUP.set((registry.child.id(), registry.dir().to_path_buf()));
            // SAFETY: registering a plain extern "C" function has no preconditions.
            unsafe { libc::atexit(cleanup_shared) };
            registry
        })
    }

    /// HTTPS registry (certificate signed by a throw-away CA, SAN IP:127.0.0.1 and DNS:localhost)
    /// that requires HTTP basic authentication with `user`/`password` (bcrypt htpasswd).
    pub fn start_tls_basic_auth(user: &str, password: &str) -> Registry {
        let dir = tempdir("kaniko-registry-tls-");
        let secured = generate_tls_and_htpasswd(dir.path(), user, password, false);
        Self::launch(dir, Some(secured), false)
    }

    /// Like [`Registry::start_tls_basic_auth`], but the server certificate is self-signed (a CA
    /// certificate, as `openssl req -x509` makes it) and [`Registry::ca_cert_path`] is that
    /// certificate itself: what users pass to `--registry-certificate` for such registries.
    /// [`Registry::get`] does not work on it (webpki refuses a CA certificate as a server's).
    pub fn start_tls_self_signed_basic_auth(user: &str, password: &str) -> Registry {
        let dir = tempdir("kaniko-registry-tls-self-");
        let secured = generate_tls_and_htpasswd(dir.path(), user, password, true);
        Self::launch(dir, Some(secured), false)
    }

    /// HTTPS registry that requires a client certificate signed by its CA (mutual TLS) and no
    /// password. [`Registry::client_cert_paths`] are the client's certificate and key;
    /// [`Registry::cert_dir`] holds them with the CA the way skopeo's `--cert-dir` reads them.
    pub fn start_mutual_tls() -> Registry {
        let dir = tempdir("kaniko-registry-mtls-");
        let mut secured = generate_tls_and_htpasswd(dir.path(), "unused", "unused", false);
        let tls = dir.path().join("tls");
        let openssl = |args: &[&str]| run_tool(Command::new("openssl").current_dir(&tls).args(args));
        openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "client.key",
            "-out",
            "client.csr",
            "-subj",
            "/CN=kaniko-rs test client",
        ]);
        fs_err::write(
            tls.join("client.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
        )
        .expect("write client.ext");
        let serial = format!("0x{:016x}", fastrand::u64(1..));
        openssl(&[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-set_serial",
            &serial,
            "-days",
            "2",
            "-out",
            "client.crt",
            "-extfile",
            "client.ext",
        ]);
        // skopeo's --cert-dir: `*.crt` are CAs, `NAME.cert` + `NAME.key` a client certificate.
        fs_err::copy(tls.join("client.crt"), secured.cert_dir.join("client.cert")).expect("copy client.crt");
        fs_err::copy(tls.join("client.key"), secured.cert_dir.join("client.key")).expect("copy client.key");
        secured.client = Some((tls.join("client.crt"), tls.join("client.key")));
        Self::launch(dir, Some(secured), false)
    }

    /// The client certificate and key a [`Registry::start_mutual_tls`] registry accepts.
    pub fn client_cert_paths(&self) -> (&Path, &Path) {
        let (cert, key) = self.secured().client.as_ref().expect("not a mutual-TLS registry");
        (cert, key)
    }

    /// Plain-HTTP registry without authentication that refuses deletes
    /// (`storage.delete.enabled: false`, docker-registry's own default).
    pub fn start_without_deletes() -> Registry {
        let dir = tempdir("kaniko-registry-nodelete-");
        Self::launch_with(dir, None, false, false)
    }

    fn launch(dir: TempDir, secured: Option<Secured>, die_with_parent: bool) -> Registry {
        Self::launch_with(dir, secured, die_with_parent, true)
    }

    fn launch_with(dir: TempDir, secured: Option<Secured>, die_with_parent: bool, deletes: bool) -> Registry {
        if !Path::new(REGISTRY_BIN).exists() {
            panic!("{REGISTRY_BIN} is missing: run hack/setup.sh");
        }
        let log_path = dir.path().join("registry.log");
        let config = dir.path().join("config.yml");
        for attempt in 1..=PORT_ATTEMPTS {
            let port = free_port();
            fs_err::write(&config, config_yaml(dir.path(), port, secured.as_ref(), deletes))
                .expect("write registry config");
            let log = fs_err::File::create(&log_path).expect("create registry log");
            let log_err = log.file().try_clone().expect("clone registry log handle");
            let mut command = Command::new(REGISTRY_BIN);
            if die_with_parent {
                // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
                unsafe {
                    command.pre_exec(|| {
                        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                        Ok(())
                    });
                }
            }
            let mut child = command
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::from(log.into_parts().0))
                .stderr(Stdio::from(log_err))
                .spawn()
                .unwrap_or_else(|e| panic!("spawn {REGISTRY_BIN}: {e} (run hack/setup.sh)"));
            match wait_ready(&mut child, port, secured.as_ref(), &log_path) {
                Ok(()) => {
                    return Registry {
                        child,
                        port,
                        secured,
                        log_path,
                        dir,
                    }
                }
                Err(reason) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = read_log(&log_path);
                    // Another process may take the port between probing and binding: retry then.
                    if log.contains("address already in use") && attempt < PORT_ATTEMPTS {
                        continue;
                    }
                    panic!(
                        "docker-registry did not start on port {port}: {reason}\n\
                         --- registry log {} ---\n{log}",
                        log_path.display()
                    );
                }
            }
        }
        unreachable!("the last attempt either returns or panics")
    }

    /// `127.0.0.1:PORT`, the registry part of image references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT` as a socket address (for proxies forwarding to the registry).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        let scheme = if self.secured.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.host())
    }

    /// Whether this registry serves TLS and requires basic auth.
    pub fn is_secured(&self) -> bool {
        self.secured.is_some()
    }

    /// PEM file of the CA that signed the server certificate. Panics for a plain-HTTP registry.
    pub fn ca_cert_path(&self) -> &Path {
        &self.secured().ca_cert
    }

    /// Directory containing only `ca.crt` (for `skopeo --cert-dir`, `--dest-cert-dir`, ...).
    /// Panics for a plain-HTTP registry.
    pub fn cert_dir(&self) -> &Path {
        &self.secured().cert_dir
    }

    /// `(user, password)` for a secured registry, `None` for a plain or mutual-TLS one.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.secured
            .as_ref()
            .filter(|s| s.client.is_none())
            .map(|s| (s.user.as_str(), s.password.as_str()))
    }

    /// The registry's temporary directory (config, storage under `storage/`, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the registry has logged so far.
    pub fn logs(&self) -> String {
        read_log(&self.log_path)
    }

    /// skopeo flags for reading from this registry (`inspect`, or the source side of `copy` with
    /// `prefix` = "src-"): TLS verification off for plain HTTP, else the CA and the credentials.
    /// Use `prefix` = "" for `skopeo inspect`, "src-" or "dest-" for `skopeo copy`.
    pub fn skopeo_args(&self, prefix: &str) -> Vec<String> {
        match &self.secured {
            None => vec![format!("--{prefix}tls-verify=false")],
            Some(s) if s.client.is_some() => vec![format!("--{prefix}cert-dir={}", s.cert_dir.display())],
            Some(s) => vec![
                format!("--{prefix}cert-dir={}", s.cert_dir.display()),
                format!("--{prefix}creds={}:{}", s.user, s.password),
            ],
        }
    }

    /// `GET path` on the registry with the configured credentials; returns (status, body).
    pub fn get(&self, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
        self.get_with_auth(path, self.credentials())
    }

    /// Like [`Registry::get`] with explicit (possibly wrong or absent) credentials.
    pub fn get_with_auth(&self, path: &str, auth: Option<(&str, &str)>) -> std::io::Result<(u16, Vec<u8>)> {
        http_get(self.port, self.secured.as_ref(), path, auth)
    }

    fn secured(&self) -> &Secured {
        self.secured
            .as_ref()
            .expect("this registry was started without TLS; use Registry::start_tls_basic_auth")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Process id and directory of [`Registry::shared`], for [`cleanup_shared`].
static SHARED_CLEANUP: OnceLock<(u32, PathBuf)> = OnceLock::new();

extern "C" fn cleanup_shared() {
    if let Some((pid, dir)) = SHARED_CLEANUP.get() {
        if let Ok(pid) = libc::pid_t::try_from(*pid) {
            // SAFETY: the pid is our own child, not yet reaped, so it cannot have been reused.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Ready when our process logged that it listens and the port answers `GET /v2/` with 200; the
/// log check keeps a registry of a parallel test that grabbed the same port from passing for ours.
fn wait_ready(
    child: &mut Child,
    port: u16,
    secured: Option<&Secured>,
    log_path: &Path,
) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    let auth = secured
        .filter(|s| s.client.is_none())
        .map(|s| (s.user.as_str(), s.password.as_str()));
    let mut last_error = String::from("no attempt made");
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("registry exited early with {status}"));
        }
        if secured.is_some_and(|s| s.self_signed) {
            // Our client cannot verify this server: its own answer is the readiness signal.
            if TcpStream::connect(("127.0.0.1", port)).is_ok() && read_log(log_path).contains("listening on")
            {
                return Ok(());
            }
            last_error = "not listening yet".into();
            std::thread::sleep(Duration::from_millis(25));
            continue;
        }
        match http_get(port, secured, "/v2/", auth) {
            Ok((200, _)) if read_log(log_path).contains("listening on") => return Ok(()),
            Ok((200, _)) => last_error = "port answers but our registry has not logged 'listening on'".into(),
            Ok((status, body)) => {
                last_error = format!("GET /v2/ -> {status}: {}", String::from_utf8_lossy(&body))
            }
            Err(e) => last_error = format!("GET /v2/: {e}"),
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Err(format!("not ready after {START_TIMEOUT:?}: {last_error}"))
}

fn read_log(path: &Path) -> String {
    fs_err::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("<cannot read registry log: {e}>"))
}

/// A deliberately small HTTP/1.1 GET so the fixture does not depend on the crate under test.
fn http_get(
    port: u16,
    secured: Option<&Secured>,
    path: &str,
    auth: Option<(&str, &str)>,
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nAccept: */*\r\n");
    if let Some((u, p)) = auth {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        let _ = write!(request, "Authorization: Basic {token}\r\n");
    }
    request.push_str("\r\n");
    let tcp = TcpStream::connect(("127.0.0.1", port))?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let raw = match secured {
        None => exchange(tcp, request.as_bytes())?,
        Some(s) => {
            let config = tls_client_config(&s.ca_cert, s.client.as_ref())?;
            let name = rustls_pki_types::ServerName::try_from("127.0.0.1").map_err(std::io::Error::other)?;
            let conn =
                rustls::ClientConnection::new(config, name.to_owned()).map_err(std::io::Error::other)?;
            exchange(rustls::StreamOwned::new(conn, tcp), request.as_bytes())?
        }
    };
    parse_response(&raw)
}

fn tempdir(prefix: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("create registry tempdir")
}

/// A port the kernel just handed out; released again so a server (or nobody) can bind it.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port");
    listener.local_addr().expect("local addr").port()
}

fn config_yaml(dir: &Path, port: u16, secured: Option<&Secured>, deletes: bool) -> String {
    let storage = dir.join("storage");
    let mut yaml = format!(
        "version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: {deletes}
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: kaniko-rs-test-{port}
",
        storage = storage.display()
    );
    if let Some(Secured { client: Some(_), .. }) = secured {
        let _ = write!(
            yaml,
            "  tls:
    certificate: {crt}
    key: {key}
    clientcas:
      - {ca}
",
            crt = dir.join("tls/server.crt").display(),
            key = dir.join("tls/server.key").display(),
            ca = dir.join("tls/ca.crt").display(),
        );
    } else if secured.is_some() {
        let _ = write!(
            yaml,
            "  tls:
    certificate: {crt}
    key: {key}
auth:
  htpasswd:
    realm: kaniko-rs-test
    path: {htpasswd}
",
            crt = dir.join("tls/server.crt").display(),
            key = dir.join("tls/server.key").display(),
            htpasswd = dir.join("htpasswd").display(),
        );
    }
    yaml
}

/// CA + server certificate (or one self-signed certificate) with the openssl CLI, and a bcrypt
/// htpasswd file with `htpasswd -Bbn`.
fn generate_tls_and_htpasswd(dir: &Path, user: &str, password: &str, self_signed: bool) -> Secured {
    let tls = dir.join("tls");
    let cert_dir = dir.join("certs");
    fs_err::create_dir_all(&tls).expect("create tls dir");
    fs_err::create_dir_all(&cert_dir).expect("create cert dir");
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    if self_signed {
        run_tool(
            Command::new("openssl")
                .current_dir(&tls)
                .args(["req", "-x509"])
                .args(ec)
                .args(["-keyout", "server.key", "-out", "server.crt", "-days", "2"])
                .args(["-subj", "/CN=127.0.0.1"])
                .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]),
        );
        return finish_secured(dir, &tls, &cert_dir, user, password, true);
    }
    run_tool(
        Command::new("openssl")
            .current_dir(&tls)
            .args(["req", "-x509"])
            .args(ec)
            .args(["-keyout", "ca.key", "-out", "ca.crt", "-days", "2"])
            .args(["-subj", "/CN=kaniko-rs test CA"]),
    );
    run_tool(
        Command::new("openssl")
            .current_dir(&tls)
            .arg("req")
            .args(ec)
            .args([
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ]),
    );
    fs_err::write(
        tls.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write server.ext");
    let serial = format!("0x{:016x}", fastrand::u64(1..));
    run_tool(
        Command::new("openssl")
            .current_dir(&tls)
            .args([
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
            ])
            .args(["-set_serial", &serial, "-days", "2", "-out", "server.crt"])
            .args(["-extfile", "server.ext"]),
    );
    fs_err::copy(tls.join("ca.crt"), tls.join("trusted.crt")).expect("copy ca.crt");
    finish_secured(dir, &tls, &cert_dir, user, password, false)
}

/// Puts the certificate clients should trust (`tls/trusted.crt`, or the self-signed server
/// certificate) into the cert dir and writes the htpasswd file.
fn finish_secured(
    dir: &Path,
    tls: &Path,
    cert_dir: &Path,
    user: &str,
    password: &str,
    self_signed: bool,
) -> Secured {
    let trusted = if self_signed { "server.crt" } else { "trusted.crt" };
    let ca_cert = cert_dir.join("ca.crt");
    fs_err::copy(tls.join(trusted), &ca_cert).expect("copy the trusted certificate");

    let htpasswd = run_tool(Command::new("htpasswd").args(["-Bbn", user, password]));
    fs_err::write(dir.join("htpasswd"), htpasswd).expect("write htpasswd");
    Secured {
        cert_dir: cert_dir.to_path_buf(),
        ca_cert,
        user: user.to_owned(),
        password: password.to_owned(),
        self_signed,
        client: None,
    }
}

/// Runs a setup tool, panicking with its stderr (and the setup hint when it is not installed).
fn run_tool(cmd: &mut Command) -> Vec<u8> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e} (run hack/setup.sh)"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed with {}:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.stdout
}

fn tls_client_config(
    ca_cert: &Path,
    client: Option<&(PathBuf, PathBuf)>,
) -> std::io::Result<Arc<rustls::ClientConfig>> {
    use rustls_pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    let ca = rustls_pki_types::CertificateDer::from_pem_file(ca_cert)
        .map_err(|e| std::io::Error::other(format!("{}: {e}", ca_cert.display())))?;
    roots.add(ca).map_err(std::io::Error::other)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_root_certificates(roots);
    let config = match client {
        None => config.with_no_client_auth(),
        Some((cert, key)) => {
            let pem_err = |p: &Path, e| std::io::Error::other(format!("{}: {e}", p.display()));
            let chain = rustls_pki_types::CertificateDer::pem_file_iter(cert)
                .map_err(|e| pem_err(cert, e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| pem_err(cert, e))?;
            let key = rustls_pki_types::PrivateKeyDer::from_pem_file(key).map_err(|e| pem_err(key, e))?;
            config
                .with_client_auth_cert(chain, key)
                .map_err(std::io::Error::other)?
        }
    };
    Ok(Arc::new(config))
}

fn exchange(mut stream: impl Read + Write, request: &[u8]) -> std::io::Result<Vec<u8>> {
    stream.write_all(request)?;
    stream.flush()?;
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) => Ok(raw),
        // Go's TLS server closes without close_notify; what arrived is complete.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => Ok(raw),
        Err(e) => Err(e),
    }
}

fn parse_response(raw: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let bad = || {
        std::io::Error::other(format!(
            "malformed HTTP response: {:?}",
            String::from_utf8_lossy(raw)
        ))
    };
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(bad)?;
    let head = std::str::from_utf8(&raw[..head_end]).map_err(|_| bad())?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(bad)?;
    let mut body = raw[head_end + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body).ok_or_else(bad)?;
    }
    Ok((status, body))
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
