// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The SSH wire encoding (RFC 4251 §5) that agent messages and OpenSSH key files are made of:
//! big-endian `uint32`s, length-prefixed strings and `mpint`s (two's-complement big integers,
//! positive ones with a leading zero byte when their top bit is set).

/// Reads fields off the front of a message; every read fails on a short input instead of panicking.
pub struct Reader<'a> {
    rest: &'a [u8],
}

/// A message or key ended early or held a field that cannot be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("truncated or malformed SSH encoding")]
pub struct Truncated;

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Truncated> {
        if self.rest.len() < n {
            return Err(Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub fn u8(&mut self) -> Result<u8, Truncated> {
        Ok(self.bytes(1)?[0])
    }

    pub fn u32(&mut self) -> Result<u32, Truncated> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn string(&mut self) -> Result<&'a [u8], Truncated> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }

    /// An `mpint` as an unsigned big-endian number without leading zeros; negative ones are refused
    /// (no key component is negative).
    pub fn mpint(&mut self) -> Result<&'a [u8], Truncated> {
        let raw = self.string()?;
        if raw.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(Truncated);
        }
        let zeros = raw.iter().take_while(|b| **b == 0).count();
        Ok(&raw[zeros..])
    }
}

/// Builds a message field by field.
#[derive(Default)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    pub fn u8(mut self, v: u8) -> Self {
        self.out.push(v);
        self
    }

    pub fn u32(mut self, v: u32) -> Self {
        self.out.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn string(self, s: &[u8]) -> Self {
        // Agent messages are capped far below 4 GiB, so every length fits.
        let mut w = self.u32(u32::try_from(s.len()).unwrap_or(u32::MAX));
        w.out.extend_from_slice(s);
        w
    }

    /// An unsigned big-endian number as an `mpint`.
    pub fn mpint(self, unsigned: &[u8]) -> Self {
        let zeros = unsigned.iter().take_while(|b| **b == 0).count();
        let digits = &unsigned[zeros..];
        if digits.first().is_some_and(|b| b & 0x80 != 0) {
            let mut padded = Vec::with_capacity(digits.len() + 1);
            padded.push(0);
            padded.extend_from_slice(digits);
            self.string(&padded)
        } else {
            self.string(digits)
        }
    }

    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        let bytes = Writer::default()
            .u8(13)
            .u32(7)
            .string(b"ssh-ed25519")
            .mpint(&[0x00, 0x80, 0x01])
            .mpint(&[0x7f])
            .mpint(&[])
            .finish();
        assert_eq!(&bytes[5..9], &[0, 0, 0, 11]);
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8(), Ok(13));
        assert_eq!(r.u32(), Ok(7));
        assert_eq!(r.string(), Ok(&b"ssh-ed25519"[..]));
        assert_eq!(r.mpint(), Ok(&[0x80, 0x01][..]));
        assert_eq!(r.mpint(), Ok(&[0x7f][..]));
        assert_eq!(r.mpint(), Ok(&[][..]));
        assert_eq!(r.u8(), Err(Truncated));
    }

    #[test]
    fn short_and_negative_inputs_are_errors() {
        assert_eq!(Reader::new(&[0, 0, 0, 9, 1]).string(), Err(Truncated));
        assert_eq!(Reader::new(&[0, 0, 0, 1, 0x80]).mpint(), Err(Truncated));
        assert_eq!(Reader::new(&[0, 0]).u32(), Err(Truncated));
    }
}
