// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The bearer-token flow against the real docker-registry configured for token auth, with a small token
//! server in the test: RS256 JWTs signed by the openssl CLI with a key whose self-signed certificate is
//! the registry's `rootcertbundle`. Checks the scopes asked for (pull, pull+push, and both repositories
//! for a cross-repository mount), Basic credentials at the token server, and token caching.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use common::registry::{free_port, REGISTRY_BIN};
use common::registry_client::{fast_options, test_image};
use kaniko::image::media_type;
use kaniko::registry::{BlobPush, BlobSource, Keychain, Reference, RegistryClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVICE: &str = "test-registry";
const ISSUER: &str = "test-issuer";

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token request the server saw: its scopes and whether Basic credentials came with it.
#[derive(Debug, Clone)]
struct Seen {
    scopes: Vec<String>,
    basic_user: Option<String>,
    /// The token handed out.
    token: String,
}

struct TokenServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn sign_jwt(key: &Path, cert_der: &[u8], scopes: &[String]) -> String {
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [base64::engine::general_purpose::STANDARD.encode(cert_der)]});
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let access: Vec<serde_json::Value> = scopes
        .iter()
        .filter_map(|s| {
            let mut parts = s.splitn(3, ':');
            let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            Some(serde_json::json!({"type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}))
        })
        .collect();
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": "builder", "aud": SERVICE, "exp": now + 300, "nbf": now - 10, "iat": now,
        "jti": format!("{now}-{}", fastrand::u64(..)), "access": access
    });
    let input = format!(
        "{}.{}",
        b64url(&serde_json::to_vec(&header).unwrap()),
        b64url(&serde_json::to_vec(&claims).unwrap())
    );
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    format!("{input}.{}", b64url(&out.stdout))
}

async fn start_token_server(key: PathBuf, cert_der: Vec<u8>) -> TokenServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let (key, cert_der, log) = (key.clone(), cert_der.clone(), log.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let url = url::Url::parse(&format!("http://x{target}")).unwrap();
                let scopes: Vec<String> = url
                    .query_pairs()
                    .filter(|(k, _)| k == "scope")
                    .map(|(_, v)| v.to_string())
                    .collect();
                let basic_user = head.lines().find_map(|l| {
                    let v = l
                        .strip_prefix("authorization: Basic ")
                        .or_else(|| l.strip_prefix("Authorization: Basic "))?;
                    let decoded = base64::engine::general_purpose::STANDARD.decode(v.trim()).ok()?;
                    Some(String::from_utf8(decoded).ok()?.split(':').next()?.to_string())
                });
                let asked = scopes.clone();
                let jwt = tokio::task::spawn_blocking(move || sign_jwt(&key, &cert_der, &asked))
                    .await
                    .unwrap();
                log.lock().unwrap().push(Seen {
                    scopes,
                    basic_user,
                    token: jwt.clone(),
                });
                let body = serde_json::json!({"token": jwt, "expires_in": 300}).to_string();
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(resp.as_bytes()).await;
            });
        }
    });
    TokenServer { addr, seen, task }
}

struct TokenRegistry {
    host: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for TokenRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_token_registry(dir: tempfile::TempDir, realm: &str, bundle: &Path) -> TokenRegistry {
    let port = free_port();
    let yaml = format!(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
         http:\n  addr: 127.0.0.1:{port}\nauth:\n  token:\n    realm: {realm}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    \
         rootcertbundle: {}\n",
        dir.path().join("data").display(),
        bundle.display()
    );
    let config = dir.path().join("config.yml");
    std::fs::write(&config, yaml).unwrap();
    let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
    let child = Command::new(REGISTRY_BIN)
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "token registry did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    TokenRegistry {
        host: format!("127.0.0.1:{port}"),
        child,
        _dir: dir,
    }
}

/// A token server and a registry that trusts its tokens.
async fn start_token_auth() -> (TokenServer, TokenRegistry) {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed_cert(dir.path());
    let pem = std::fs::read_to_string(&cert).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let cert_der = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let tokens = start_token_server(key, cert_der).await;
    let realm = format!("http://{}/token", tokens.addr);
    let reg = start_token_registry(dir, &realm, &cert);
    (tokens, reg)
}

#[tokio::test]
async fn bearer_tokens_with_the_right_scopes() {
    let (tokens, reg) = start_token_auth().await;
    let work = tempfile::tempdir().unwrap();

    // Credentials for the registry go to the token server as Basic auth.
    let config = work.path().join("config.json");
    let auth = base64::engine::general_purpose::STANDARD.encode("builder:pw");
    std::fs::write(
        &config,
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host),
    )
    .unwrap();
    let c = RegistryClient::new(&fast_options(), Keychain::with_config_paths(vec![config])).unwrap();

    let img = test_image(work.path(), "linux", "amd64", 40, 20_000);
    let base = Reference::parse(&format!("{}/team/base:v1", reg.host)).unwrap();
    let app = Reference::parse(&format!("{}/team/app:v1", reg.host)).unwrap();
    c.push_blob(&base, &img.layer_digest, BlobSource::File(&img.layer_path), None)
        .await
        .unwrap();
    c.push_blob(&base, &img.config_digest, BlobSource::Bytes(&img.config), None)
        .await
        .unwrap();
    let digest = c
        .put_manifest(&base, &img.manifest, media_type::OCI_MANIFEST)
        .await
        .unwrap();
    let pushes = tokens.seen.lock().unwrap().len();
    assert_eq!(
        pushes,
        1,
        "one token for all pushes to the repository: {:?}",
        tokens.seen.lock().unwrap()
    );

    let mounted = c
        .push_blob(
            &app,
            &img.layer_digest,
            BlobSource::File(&img.layer_path),
            Some(&base),
        )
        .await
        .unwrap();
    assert_eq!(mounted, BlobPush::Mounted);
    let m = c.get_manifest(&base.with_digest(digest)).await.unwrap();
    assert_eq!(m.bytes, img.manifest);

    let seen = tokens.seen.lock().unwrap().clone();
    let has = |scopes: &[&str]| {
        seen.iter()
            .any(|s| scopes.iter().all(|x| s.scopes.iter().any(|y| y == x)) && s.scopes.len() == scopes.len())
    };
    assert!(has(&["repository:team/base:pull,push"]), "{seen:?}");
    assert!(
        has(&["repository:team/app:pull,push", "repository:team/base:pull"]),
        "mount asks for both: {seen:?}"
    );
    assert!(has(&["repository:team/base:pull"]), "{seen:?}");
    assert!(
        seen.iter().all(|s| s.basic_user.as_deref() == Some("builder")),
        "{seen:?}"
    );

    // Anonymous clients get tokens too (the test server grants anything) without a Basic header; the
    // answer is the registry's 404 for a manifest never pushed to team/app, not a 401.
    let anon = RegistryClient::new(&fast_options(), Keychain::anonymous()).unwrap();
    let e = anon
        .get_manifest(&app.with_digest(m.digest.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(404), "{e}");
    assert!(
        anon.blob_exists(&app, &img.layer_digest).await.unwrap().is_some(),
        "the mounted blob is in team/app"
    );
    let last = tokens.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.basic_user, None);
}
/// The token issuer's RSA key and self-signed certificate (the registry's `rootcertbundle`).
pub fn self_signed_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl req failed");
    (cert, key)
}

/// The binary against the token registry with every debug output on (console at trace, the debug
/// tree): neither the password sent to the token server, nor its Basic credentials, nor any
/// token the server issued appears anywhere; the auth log shows that tokens were obtained.
#[tokio::test]
async fn debug_output_never_shows_the_password_or_the_tokens() {
    const PASSWORD: &str = "t0ken-Flow-Pa55";
    let (tokens, reg) = start_token_auth().await;
    let work = tempfile::tempdir().unwrap();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("builder:{PASSWORD}"));
    let docker = work.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{basic}"}}}}}}"#, reg.host),
    )
    .unwrap();
    let ctx = work.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Dockerfile"), "FROM scratch\nCOPY a.txt /\n").unwrap();
    std::fs::write(ctx.join("a.txt"), "a\n").unwrap();
    let kaniko_dir = work.path().join("kaniko");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaniko"));
    cmd.arg("build")
        .arg("--context")
        .arg(&ctx)
        .arg("--kaniko-dir")
        .arg(&kaniko_dir)
        .args(["--destination", &format!("{}/team/app:debug", reg.host)])
        .args([
            "--insecure-registry",
            &reg.host,
            "--debug-full",
            "--debug-level",
            "trace",
            "-v",
            "trace",
        ])
        .args(["--log-format", "json"])
        .env("DOCKER_CONFIG", &docker)
        .env_remove("KANIKO_DIR")
        .env_remove("KANIKO_DEBUG");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let console = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.status.success(), "{console}");
    let issued: Vec<String> = tokens
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.token.clone())
        .collect();
    assert!(!issued.is_empty(), "the build asked for no token");
    let mut texts = vec![("console".to_string(), console)];
    let mut stack = vec![kaniko_dir.join("debug")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                texts.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    assert!(
        texts.len() > 5,
        "few debug files: {:?}",
        texts.iter().map(|t| &t.0).collect::<Vec<_>>()
    );
    let auth_log = texts
        .iter()
        .find(|(n, _)| n.ends_with("registry/auth.log"))
        .expect("registry/auth.log");
    assert!(auth_log.1.contains("registry token obtained"), "{}", auth_log.1);
    for (name, text) in &texts {
        assert!(!text.contains(PASSWORD), "the password is in {name}");
        assert!(!text.contains(&basic), "the Basic credentials are in {name}");
        for token in &issued {
            // A JWT's signature is its most secret-looking part; any part of it would be a leak.
            let signature = token.rsplit('.').next().unwrap();
            assert!(!text.contains(signature), "a token is in {name}");
        }
    }
}
