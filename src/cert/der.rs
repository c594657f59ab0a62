//! The little BER/DER ccert reads itself.
//!
//! OpenSSL's decoder accepts BER where DER is required: long-form lengths
//! with leading zeros or below 128, and indefinite lengths (`0x80` … `00 00`)
//! on constructed values. Postfix fingerprints what OpenSSL re-encodes
//! (`i2d_X509`), so ccert must read what OpenSSL reads and know which parts
//! it re-encodes (see [`super::x509`]). This module reads one element at a
//! time ([`read`]), walks the children of a constructed one ([`children`])
//! and writes DER headers ([`encode`]). Only single-byte tags occur in
//! certificates and the containers ccert reads; longer tags are refused.

/// How deep indefinite-length values may nest before ccert gives up
/// (real files nest a handful of levels; the limit keeps hostile input cheap).
const MAX_INDEFINITE_DEPTH: usize = 32;

/// What is wrong with a BER header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DerError {
    /// The data does not start with the expected tag.
    #[error("expected a DER SEQUENCE (byte 0x30) at offset {offset}, found 0x{found:02x}")]
    NotSequence {
        /// Offset of the tag byte.
        offset: usize,
        /// The byte found.
        found: u8,
    },
    /// The length field is malformed (too long, indefinite on a primitive
    /// value, or nested indefinite lengths too deep), or the tag is a
    /// multi-byte tag.
    #[error("malformed DER length at offset {offset}")]
    BadLength {
        /// Offset of the length field.
        offset: usize,
    },
    /// The header announces more bytes than there are.
    #[error(
        "truncated DER: the certificate at offset {offset} needs {needed} bytes, \
         only {available} are there"
    )]
    Truncated {
        /// Offset of the element.
        offset: usize,
        /// Bytes the header announces (header included).
        needed: usize,
        /// Bytes available from `offset`.
        available: usize,
    },
}

/// One BER element as found in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element<'a> {
    /// The (single-byte) tag, class and constructed bit included (`0x30` for SEQUENCE).
    pub tag: u8,
    /// The contents: for an indefinite length, the children without the end-of-contents marker.
    pub content: &'a [u8],
    /// The whole encoding as found, header (and end-of-contents marker) included.
    pub raw: &'a [u8],
}

impl Element<'_> {
    /// Whether the constructed bit is set.
    pub fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }
}

/// Reads the element at the start of `data`. `offset` (where `data` starts
/// in the file) is only reported in errors.
pub fn read(data: &[u8], offset: usize) -> Result<Element<'_>, DerError> {
    read_nested(data, offset, 0)
}

fn read_nested(data: &[u8], offset: usize, depth: usize) -> Result<Element<'_>, DerError> {
    let truncated = |needed| DerError::Truncated {
        offset,
        needed,
        available: data.len(),
    };
    let &tag = data.first().ok_or(truncated(2))?;
    if tag & 0x1f == 0x1f {
        return Err(DerError::BadLength { offset });
    }
    let &first = data.get(1).ok_or(truncated(2))?;
    if first == 0x80 {
        // Indefinite: only constructed values, ended by 00 00 after the children.
        if tag & 0x20 == 0 || depth >= MAX_INDEFINITE_DEPTH {
            return Err(DerError::BadLength { offset: offset + 1 });
        }
        let mut at = 2;
        loop {
            let rest = &data[at..];
            if rest.starts_with(&[0, 0]) {
                return Ok(Element {
                    tag,
                    content: &data[2..at],
                    raw: &data[..at + 2],
                });
            }
            if rest.is_empty() {
                return Err(truncated(at + 2));
            }
            let child = read_nested(rest, offset + at, depth + 1)?;
            at += child.raw.len();
        }
    }
    let (header, len) = if first < 0x80 {
        (2, usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        // BER allows leading zero bytes; the value must still fit.
        if n > 8 {
            return Err(DerError::BadLength { offset: offset + 1 });
        }
        let bytes = data.get(2..2 + n).ok_or(truncated(2 + n))?;
        let mut len: usize = 0;
        for &b in bytes {
            len = len
                .checked_mul(256)
                .map(|l| l | usize::from(b))
                .ok_or(DerError::BadLength { offset: offset + 1 })?;
        }
        (2 + n, len)
    };
    let total = header
        .checked_add(len)
        .ok_or(DerError::BadLength { offset: offset + 1 })?;
    if total > data.len() {
        return Err(truncated(total));
    }
    Ok(Element {
        tag,
        content: &data[header..total],
        raw: &data[..total],
    })
}

/// The children of a constructed element's contents, in order.
pub fn children(content: &[u8]) -> Children<'_> {
    Children {
        rest: content,
        at: 0,
    }
}

/// Iterator over the elements in a contents octet string (see [`children`]).
pub struct Children<'a> {
    rest: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<Element<'a>, DerError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match read(self.rest, self.at) {
            Ok(element) => {
                self.rest = &self.rest[element.raw.len()..];
                self.at += element.raw.len();
                Some(Ok(element))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Appends the DER encoding of a `tag` element holding `content`.
pub fn encode(tag: u8, content: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

/// The element re-encoded with DER lengths throughout (contents of
/// primitive values unchanged; constructed strings are not joined).
pub fn normalize(element: &Element<'_>) -> Result<Vec<u8>, DerError> {
    let mut out = Vec::with_capacity(element.raw.len());
    normalize_into(element, &mut out, 0)?;
    Ok(out)
}

fn normalize_into(element: &Element<'_>, out: &mut Vec<u8>, depth: usize) -> Result<(), DerError> {
    if !element.constructed() {
        encode(element.tag, element.content, out);
        return Ok(());
    }
    if depth >= MAX_INDEFINITE_DEPTH {
        return Err(DerError::BadLength { offset: 0 });
    }
    let mut inner = Vec::with_capacity(element.content.len());
    for child in children(element.content) {
        normalize_into(&child?, &mut inner, depth + 1)?;
    }
    encode(element.tag, &inner, out);
    Ok(())
}

/// The total length (header included) of the SEQUENCE at the start of
/// `data`, checked against the available bytes. `offset` is only reported.
pub fn sequence_len(data: &[u8], offset: usize) -> Result<usize, DerError> {
    match data.first() {
        Some(&found) if found != 0x30 => Err(DerError::NotSequence { offset, found }),
        _ => Ok(read(data, offset)?.raw.len()),
    }
}

/// Whether `data` starts like a certificate: a SEQUENCE with a long-form or
/// indefinite length (every certificate is longer than 127 bytes). Such a
/// start cannot be text, so it tells DER from PEM.
pub fn looks_like_der(data: &[u8]) -> bool {
    matches!(data, [0x30, 0x80..=0x88, ..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(sequence_len(&[0x30, 0x00], 0), Ok(2));
        assert_eq!(sequence_len(&[0x30, 0x01, 0xff, 0xee], 0), Ok(3));
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend([0; 0x80]);
        assert_eq!(sequence_len(&long, 0), Ok(0x83));
        let mut two = vec![0x30, 0x82, 0x01, 0x00];
        two.extend([0; 0x100]);
        assert_eq!(sequence_len(&two, 0), Ok(0x104));
        // BER: non-minimal long forms, as OpenSSL accepts them.
        assert_eq!(sequence_len(&[0x30, 0x81, 0x01, 0xaa], 0), Ok(4));
        assert_eq!(sequence_len(&[0x30, 0x83, 0, 0, 0x01, 0xaa], 0), Ok(6));
        // Indefinite, with a nested indefinite child.
        let ber = [
            0x30, 0x80, 0x30, 0x80, 0x05, 0x00, 0, 0, 0x02, 0x01, 0x07, 0, 0,
        ];
        assert_eq!(sequence_len(&ber, 0), Ok(ber.len()));
        let outer = read(&ber, 0).unwrap();
        let kids: Vec<_> = children(outer.content).map(Result::unwrap).collect();
        assert_eq!(kids.len(), 2);
        assert_eq!(kids[1].content, [0x07]);
        assert_eq!(
            normalize(&outer).unwrap(),
            [0x30, 0x07, 0x30, 0x02, 0x05, 0x00, 0x02, 0x01, 0x07]
        );
    }

    #[test]
    fn errors() {
        assert!(matches!(
            sequence_len(&[], 7),
            Err(DerError::Truncated { offset: 7, .. })
        ));
        assert!(matches!(
            sequence_len(&[0x31, 0], 0),
            Err(DerError::NotSequence { found: 0x31, .. })
        ));
        // Indefinite on a primitive, never terminated, or nested too deep.
        assert!(matches!(
            read(&[0x04, 0x80, 0, 0], 0),
            Err(DerError::BadLength { .. })
        ));
        assert!(matches!(
            sequence_len(&[0x30, 0x80, 0x05, 0x00], 0),
            Err(DerError::Truncated { .. })
        ));
        let deep: Vec<u8> = std::iter::repeat_n([0x30, 0x80], 40).flatten().collect();
        assert!(matches!(
            sequence_len(&deep, 0),
            Err(DerError::BadLength { .. })
        ));
        assert!(matches!(
            sequence_len(&[0x30, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0),
            Err(DerError::BadLength { .. })
        ));
        assert!(matches!(
            sequence_len(&[0x30, 0x82, 0x01], 0),
            Err(DerError::Truncated { needed: 4, .. })
        ));
        assert_eq!(
            sequence_len(&[0x30, 0x82, 0x01, 0x00, 0], 0),
            Err(DerError::Truncated {
                offset: 0,
                needed: 0x104,
                available: 5
            })
        );
        // A length near usize::MAX must not overflow.
        assert!(
            sequence_len(
                &[0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                0
            )
            .is_err()
        );
        // Multi-byte tags do not occur in certificates.
        assert!(read(&[0x1f, 0x81, 0x01, 0x00], 0).is_err());
    }

    #[test]
    fn der_detection() {
        assert!(looks_like_der(&[0x30, 0x82, 3, 0]));
        assert!(looks_like_der(&[0x30, 0x80, 0x30]));
        assert!(!looks_like_der(b"0123"));
        assert!(!looks_like_der(b"-----BEGIN"));
        assert!(!looks_like_der(&[0x30]));
    }

    #[test]
    fn encodes_minimal_headers() {
        let mut out = Vec::new();
        encode(0x04, &[1; 3], &mut out);
        assert_eq!(out, [0x04, 3, 1, 1, 1]);
        let mut out = Vec::new();
        encode(0x04, &[0; 0x100], &mut out);
        assert_eq!(&out[..4], [0x04, 0x82, 0x01, 0x00]);
    }
}
