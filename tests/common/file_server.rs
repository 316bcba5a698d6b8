// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A tiny HTTP/1.1 file server on a loopback port, for `ADD <url>`: serves fixed bytes per path
//! (404 otherwise) and counts requests. It runs on detached threads for the rest of the process.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A running server; its threads outlive this handle.
#[derive(Debug, Clone)]
pub struct FileServer {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl FileServer {
    /// Serves `files` (`/path` → body) with `Last-Modified` set to a fixed date.
    pub fn start(files: BTreeMap<String, Vec<u8>>) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the file server");
        let port = listener.local_addr().expect("file server address").port();
        let hits = Arc::new(AtomicUsize::new(0));
        let files = Arc::new(files);
        let counter = Arc::clone(&hits);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let files = Arc::clone(&files);
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || serve(stream, &files, &counter));
            }
        });
        FileServer { port, hits }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests answered so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, files: &BTreeMap<String, Vec<u8>>, hits: &AtomicUsize) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers; the body of a GET is empty.
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("");
    let mut out = &stream;
    let body = files.get(path);
    let head = match body {
        Some(b) => format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\
             Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\nConnection: close\r\n\r\n",
            b.len()
        ),
        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
    };
    let _ = out.write_all(head.as_bytes());
    if let (Some(b), "GET") = (body, method) {
        let _ = out.write_all(b);
    }
    let _ = out.flush();
}
