//! The little DER ccert needs itself: the extent of the outer `SEQUENCE` of a
//! certificate, so it hashes exactly the certificate's bytes (a `TRUSTED
//! CERTIFICATE` carries OpenSSL trust data after them) and can tell a
//! truncated file from one with garbage at the end.

/// What is wrong with a DER header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DerError {
    /// The data does not start with a SEQUENCE tag.
    #[error("expected a DER SEQUENCE (byte 0x30) at offset {offset}, found 0x{found:02x}")]
    NotSequence {
        /// Offset of the tag byte.
        offset: usize,
        /// The byte found.
        found: u8,
    },
    /// The length field is malformed (indefinite, longer than 4 bytes, or non-minimal).
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
        /// Offset of the SEQUENCE.
        offset: usize,
        /// Bytes the header announces (header included).
        needed: usize,
        /// Bytes available from `offset`.
        available: usize,
    },
}

/// The total length (header included) of the SEQUENCE TLV at the start of
/// `data`, checked against the available bytes. `offset` is only reported.
pub fn sequence_len(data: &[u8], offset: usize) -> Result<usize, DerError> {
    let truncated = |needed| DerError::Truncated {
        offset,
        needed,
        available: data.len(),
    };
    let &tag = data.first().ok_or(truncated(2))?;
    if tag != 0x30 {
        return Err(DerError::NotSequence { offset, found: tag });
    }
    let &first = data.get(1).ok_or(truncated(2))?;
    let (header, content) = if first < 0x80 {
        (2, usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        // 0x80 is BER's indefinite length; more than 4 bytes is absurd for a certificate.
        if n == 0 || n > 4 {
            return Err(DerError::BadLength { offset: offset + 1 });
        }
        let bytes = data.get(2..2 + n).ok_or(truncated(2 + n))?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        // DER: the shortest form (no leading zero byte, long form only from 128).
        if bytes[0] == 0 || len < 0x80 {
            return Err(DerError::BadLength { offset: offset + 1 });
        }
        (2 + n, len)
    };
    let total = header.saturating_add(content);
    if total > data.len() {
        return Err(truncated(total));
    }
    Ok(total)
}

/// Whether `data` starts like a DER certificate: a SEQUENCE with a long-form
/// length (every certificate is longer than 127 bytes). Such a start cannot
/// be text, so it tells DER from PEM.
pub fn looks_like_der(data: &[u8]) -> bool {
    matches!(data, [0x30, 0x81..=0x84, ..])
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
        assert!(matches!(
            sequence_len(&[0x30, 0x80, 0, 0], 0),
            Err(DerError::BadLength { .. })
        ));
        assert!(matches!(
            sequence_len(&[0x30, 0x85, 1, 1, 1, 1, 1], 0),
            Err(DerError::BadLength { .. })
        ));
        assert!(matches!(
            sequence_len(&[0x30, 0x81, 0x05, 0, 0, 0, 0, 0], 0),
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
        // A 4-byte length near usize::MAX on 32-bit must not overflow.
        assert!(sequence_len(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], 0).is_err());
    }

    #[test]
    fn der_detection() {
        assert!(looks_like_der(&[0x30, 0x82, 3, 0]));
        assert!(!looks_like_der(b"0123"));
        assert!(!looks_like_der(b"-----BEGIN"));
        assert!(!looks_like_der(&[0x30]));
    }
}
