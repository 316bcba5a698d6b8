// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Recognising compressed streams and tar archives by their bytes, never by file name.
//!
//! Shared by `tar://` build contexts and by ADD, which (like docker) extracts a local file if it is
//! a tar archive, plain or compressed with gzip, bzip2, xz or (our addition) zstd, and copies
//! anything else as it is.

use std::io::{self, Cursor, Read};
use std::path::Path;

/// A compression format recognised by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

/// The longest magic number we look at (xz's six bytes).
pub const MAGIC_LEN: usize = 6;

/// Recognises a compression format from the first bytes of a stream (at least [`MAGIC_LEN`]
/// bytes when available; shorter input is judged on what is there).
pub fn detect(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(b"BZh") {
        Compression::Bzip2
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Compression::Xz
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Peeks at the start of `reader` and returns a reader of the decompressed bytes (or the bytes
/// as they are when no compression is recognised), together with the format found.
pub fn decompress_detected<R: Read + Send + 'static>(
    mut reader: R,
) -> io::Result<(Compression, Box<dyn Read + Send>)> {
    let mut head = Vec::with_capacity(MAGIC_LEN);
    (&mut reader).take(MAGIC_LEN as u64).read_to_end(&mut head)?;
    let compression = detect(&head);
    let whole = Cursor::new(head).chain(reader);
    let decoded: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(whole),
        // Multi-member readers: concatenated gzip/bzip2/xz streams are valid and tools emit them.
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(whole)),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(whole)),
        Compression::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(whole)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(whole)?),
    };
    Ok((compression, decoded))
}

/// Like [`decompress_detected`] without reporting the format.
pub fn decompress<R: Read + Send + 'static>(reader: R) -> io::Result<Box<dyn Read + Send>> {
    decompress_detected(reader).map(|(_, decoded)| decoded)
}

/// Whether `block` (the first 512 bytes of an uncompressed stream) is a tar header: its checksum
/// must be valid, as Go's `tar.Reader.Next` requires. An all-zero block is an empty archive, which
/// docker's `IsArchive` does not count as an archive.
pub fn is_tar_archive(block: &[u8]) -> bool {
    let Some(header) = block.get(..512) else {
        return false;
    };
    if header.iter().all(|b| *b == 0) {
        return false;
    }
    let Some(recorded) = header.get(148..156).and_then(parse_octal) else {
        return false;
    };
    // The checksum is computed with its own field read as spaces; old tars summed signed bytes.
    let (mut unsigned, mut signed) = (0i64, 0i64);
    for (i, b) in header.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { *b };
        unsigned += i64::from(b);
        signed += i64::from(b as i8);
    }
    recorded == unsigned || recorded == signed
}

fn parse_octal(field: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c: char| c == ' ' || c == '\0');
    if digits.is_empty() {
        return None;
    }
    i64::from_str_radix(digits, 8).ok()
}

/// Whether the file at `path` is a tar archive, possibly compressed: docker's rule for whether
/// ADD extracts a local source. Unreadable or corrupt compressed data counts as "not an archive"
/// (the file is then copied as is); only failing to open the file is an error.
pub fn is_archive_file(path: &Path) -> io::Result<bool> {
    let file = fs_err::File::open(path)?;
    let Ok(mut decoded) = decompress(file) else {
        return Ok(false);
    };
    let mut block = Vec::with_capacity(512);
    if decoded.by_ref().take(512).read_to_end(&mut block).is_err() {
        return Ok(false);
    }
    Ok(is_tar_archive(&block))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tar_bytes() -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(5);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, "hello.txt", &b"hello"[..])
            .unwrap_or_default();
        builder.into_inner().unwrap_or_default()
    }

    fn roundtrip(compressed: Vec<u8>, want: Compression) {
        assert_eq!(detect(&compressed), want);
        let (found, mut reader) = match decompress_detected(Cursor::new(compressed)) {
            Ok(pair) => pair,
            Err(e) => panic!("decompress failed: {e}"),
        };
        assert_eq!(found, want);
        let mut out = Vec::new();
        assert!(reader.read_to_end(&mut out).is_ok());
        assert_eq!(out, tar_bytes());
        assert!(is_tar_archive(&out));
    }

    #[test]
    fn detects_and_decompresses_every_format() {
        let raw = tar_bytes();
        roundtrip(raw.clone(), Compression::None);

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        assert!(gz.write_all(&raw).is_ok());
        roundtrip(gz.finish().unwrap_or_default(), Compression::Gzip);

        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        assert!(bz.write_all(&raw).is_ok());
        roundtrip(bz.finish().unwrap_or_default(), Compression::Bzip2);

        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
        assert!(xz.write_all(&raw).is_ok());
        roundtrip(xz.finish().unwrap_or_default(), Compression::Xz);

        roundtrip(
            zstd::encode_all(Cursor::new(raw), 3).unwrap_or_default(),
            Compression::Zstd,
        );
    }

    #[test]
    fn non_tar_is_not_an_archive() {
        assert!(!is_tar_archive(&[0u8; 512]));
        assert!(!is_tar_archive(b"short"));
        let mut text = b"#!/bin/sh\necho hello\n".to_vec();
        text.resize(512, b'x');
        assert!(!is_tar_archive(&text));
        let mut header = tar_bytes();
        header.truncate(512);
        if let Some(b) = header.get_mut(0) {
            *b ^= 1;
        }
        assert!(
            !is_tar_archive(&header),
            "a corrupted checksum is not a tar header"
        );
    }

    #[test]
    fn short_input_is_passed_through() {
        let mut reader = match decompress(Cursor::new(b"hi".to_vec())) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        let mut out = String::new();
        assert!(reader.read_to_string(&mut out).is_ok());
        assert_eq!(out, "hi");
    }

    #[test]
    fn archive_files_are_told_from_other_files_by_content() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar_bytes())?;
        let tgz = gz.finish()?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&[b'x'; 2048])?;
        let gz_text = gz.finish()?;
        for (name, bytes, want) in [
            ("layer.bin", tgz, true),
            ("plain.tar.gz", b"not an archive".to_vec(), false),
            ("text.gz", gz_text, false),
            ("truncated.tar.gz", vec![0x1f, 0x8b, 0x08], false),
            ("raw.dat", tar_bytes(), true),
        ] {
            let path = dir.path().join(name);
            fs_err::write(&path, bytes)?;
            assert_eq!(is_archive_file(&path)?, want, "{name}");
        }
        assert!(is_archive_file(&dir.path().join("missing")).is_err());
        Ok(())
    }
}
