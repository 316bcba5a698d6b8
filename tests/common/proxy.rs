// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A scripted HTTP/1.1 proxy on a loopback port: it answers requests with canned responses (503, 429,
//! 401, …) and, once the script is spent, forwards connections to an upstream registry. It counts every
//! request it sees, so tests can assert how often the client tried. Needs a tokio runtime.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does once its canned responses are used up.
#[derive(Clone)]
pub enum Then {
    /// Forward to this upstream.
    Forward(SocketAddr),
    /// Keep answering with this response.
    Always(String),
}

pub struct Proxy {
    pub addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

/// A complete response with an empty body.
pub fn response(status: &str, extra_headers: &[&str]) -> String {
    let mut r = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n");
    for h in extra_headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    r.push_str("\r\n");
    r
}

impl Proxy {
    pub async fn start(canned: Vec<String>, then: Then) -> Proxy {
        Self::start_on(std::net::Ipv4Addr::LOCALHOST.into(), canned, then).await
    }

    /// Like [`Proxy::start`], listening on `ip` (for a registry that is not on loopback, where the
    /// client allows plain HTTP only when told to).
    pub async fn start_on(ip: std::net::IpAddr, canned: Vec<String>, then: Then) -> Proxy {
        let listener = TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(Mutex::new(VecDeque::from(canned)));
        let counter = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, script.clone(), then.clone(), counter.clone()));
            }
        });
        Proxy { addr, requests, task }
    }

    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Requests seen so far (canned and forwarded-first-on-connection).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut conn: TcpStream,
    script: Arc<Mutex<VecDeque<String>>>,
    then: Then,
    counter: Arc<AtomicUsize>,
) {
    let mut buf = Vec::new();
    loop {
        // Read one request head.
        let Some(head_end) = read_head(&mut conn, &mut buf).await else {
            return;
        };
        counter.fetch_add(1, Ordering::SeqCst);
        let canned = script.lock().unwrap().pop_front();
        let answer = match (canned, &then) {
            (Some(r), _) => r,
            (None, Then::Always(r)) => r.clone(),
            (None, Then::Forward(upstream)) => {
                let Ok(mut up) = TcpStream::connect(upstream).await else {
                    return;
                };
                if up.write_all(&buf).await.is_err() {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut conn, &mut up).await;
                return;
            }
        };
        // Discard the request body, if any, so the connection stays usable.
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let body_len: usize = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap_or(0))
            })
            .unwrap_or(0);
        while buf.len() < head_end + body_len {
            let mut chunk = [0u8; 4096];
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..head_end + body_len);
        if conn.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// A registry stand-in that refuses every manifest PUT by tag with `refusal` (a whole response) and
/// forwards everything else to `upstream`, one request per connection (`Connection: close` is added to
/// each forwarded request, so the client cannot send a second one past the check). How a registry
/// with immutable tags answers a push that would move one. Returns the listening address.
pub async fn refusing_tag_pushes(
    upstream: SocketAddr,
    refusal: String,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            tokio::spawn(refuse_or_forward(conn, upstream, refusal.clone()));
        }
    });
    (addr, task)
}

async fn refuse_or_forward(mut conn: TcpStream, upstream: SocketAddr, refusal: String) {
    let mut buf = Vec::new();
    let Some(head_end) = read_head(&mut conn, &mut buf).await else {
        return;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let by_tag = target
        .rsplit_once("/manifests/")
        .is_some_and(|(_, reference)| !reference.starts_with("sha256:"));
    if method == "PUT" && by_tag {
        let body_len: usize = head
            .to_ascii_lowercase()
            .lines()
            .find_map(|l| {
                l.strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap_or(0))
            })
            .unwrap_or(0);
        while buf.len() < head_end + body_len {
            let mut chunk = [0u8; 4096];
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let _ = conn.write_all(refusal.as_bytes()).await;
        return;
    }
    let Ok(mut up) = TcpStream::connect(upstream).await else {
        return;
    };
    let mut forwarded: String = head[..head.len() - 2]
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    forwarded.push_str("Connection: close\r\n\r\n");
    if up.write_all(forwarded.as_bytes()).await.is_err() || up.write_all(&buf[head_end..]).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut conn, &mut up).await;
}

/// An IPv4 address of this machine that is not on loopback: the source address the kernel picks for
/// a route out (a UDP "connection" sends nothing). Panics on a machine without any network route.
pub fn non_loopback_ip() -> std::net::IpAddr {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    // TEST-NET-1 (RFC 5737): never answers, and nothing is sent to it anyway.
    socket
        .connect("192.0.2.1:9")
        .expect("a route out of this machine, for a non-loopback address");
    let ip = socket.local_addr().unwrap().ip();
    assert!(!ip.is_loopback() && !ip.is_unspecified(), "{ip}");
    ip
}

/// Reads into `buf` until it holds a whole request head; returns where the head ends, or `None`
/// when the connection closes first or opens with a TLS handshake (0x16): the client tries HTTPS
/// first on loopback hosts, and this refuses it like a plain-HTTP server, without counting it.
async fn read_head(conn: &mut TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
    loop {
        if buf.first() == Some(&0x16) {
            return None;
        }
        if let Some(i) = find(buf, b"\r\n\r\n") {
            return Some(i + 4);
        }
        let mut chunk = [0u8; 4096];
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
