//! Digest algorithms and the Postfix fingerprint text format.
//!
//! Postfix (`tls_digest_encode`) and openssl print a fingerprint as the digest
//! bytes in uppercase hex pairs joined by `:`. Postfix folds the key to lower
//! case before it looks it up, so table keys are the lower-case form
//! ([`Fingerprint::to_map_key`]).

use std::fmt;
use std::str::FromStr;

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

/// The digests Postfix's `smtpd_tls_fingerprint_digest` takes.
///
/// Also the values of `--digest` (clap's [`ValueEnum`](clap::ValueEnum),
/// named as [`Self::name`]; the variants' doc comments are their help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum DigestAlgorithm {
    /// MD5 (Postfix default below compatibility_level 3.6)
    #[value(name = "md5")]
    Md5,
    /// SHA-1
    #[value(name = "sha1")]
    Sha1,
    /// SHA-224
    #[value(name = "sha224")]
    Sha224,
    /// SHA-256 (Postfix default from compatibility_level 3.6)
    #[value(name = "sha256")]
    Sha256,
    /// SHA-384
    #[value(name = "sha384")]
    Sha384,
    /// SHA-512
    #[value(name = "sha512")]
    Sha512,
}

impl DigestAlgorithm {
    /// Every supported algorithm, weakest first.
    pub const ALL: [DigestAlgorithm; 6] = [
        Self::Md5,
        Self::Sha1,
        Self::Sha224,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
    ];

    /// The name Postfix and openssl use (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// The label `openssl x509 -noout -fingerprint -<name>` prints before
    /// `Fingerprint=`. OpenSSL 3 echoes the digest option as typed, so for
    /// `-sha256` it prints `sha256 Fingerprint=…` (checked against OpenSSL
    /// 3.0 for all six digests; OpenSSL 1.1 printed the upper-case short
    /// name, `SHA256`). Only a bare `-fingerprint` without a digest option
    /// prints `SHA1`.
    pub fn openssl_label(self) -> &'static str {
        self.name()
    }

    /// Digest length in bytes.
    // A digest is never empty; an `is_empty` would only invite confusion.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The algorithm whose digests are `len` bytes long (lengths are unique).
    pub fn from_len(len: usize) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.len() == len)
    }

    /// Digests `input`.
    pub fn digest(self, input: &[u8]) -> Vec<u8> {
        match self {
            Self::Md5 => Md5::digest(input).to_vec(),
            Self::Sha1 => Sha1::digest(input).to_vec(),
            Self::Sha224 => Sha224::digest(input).to_vec(),
            Self::Sha256 => Sha256::digest(input).to_vec(),
            Self::Sha384 => Sha384::digest(input).to_vec(),
            Self::Sha512 => Sha512::digest(input).to_vec(),
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A digest name Postfix would accept but ccert does not know.
#[derive(Debug, thiserror::Error)]
#[error("unsupported digest {0:?}: use md5, sha1, sha224, sha256, sha384 or sha512")]
pub struct UnknownDigest(pub String);

impl FromStr for DigestAlgorithm {
    type Err = UnknownDigest;

    /// Parses a name as Postfix takes it (case-insensitive, `sha-256` allowed).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| *c != '-')
            .collect();
        Self::ALL
            .into_iter()
            .find(|a| a.name() == norm)
            .ok_or_else(|| UnknownDigest(s.to_string()))
    }
}

/// A digest value; displays as Postfix does (`AB:CD:…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The algorithm that produced it (or, for a parsed one, that its length implies).
    pub algorithm: DigestAlgorithm,
    /// The raw digest bytes.
    pub bytes: Vec<u8>,
}

impl Fingerprint {
    /// Digests `input` with `algorithm`.
    pub fn compute(algorithm: DigestAlgorithm, input: &[u8]) -> Self {
        Self {
            algorithm,
            bytes: algorithm.digest(input),
        }
    }

    /// Parses a fingerprint typed by a person or read from a map: hex in any
    /// case, with or without `:` between the pairs. The algorithm is implied
    /// by the length. Returns `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let hex: Vec<u8> = if text.contains(':') {
            let mut out = Vec::new();
            for pair in text.split(':') {
                if pair.len() != 2 {
                    return None;
                }
                out.extend_from_slice(pair.as_bytes());
            }
            out
        } else {
            text.as_bytes().to_vec()
        };
        if hex.is_empty() || !hex.len().is_multiple_of(2) {
            return None;
        }
        let bytes = hex
            .chunks(2)
            .map(|p| Some((hex_val(p[0])? << 4) | hex_val(p[1])?))
            .collect::<Option<Vec<u8>>>()?;
        let algorithm = DigestAlgorithm::from_len(bytes.len())?;
        Some(Self { algorithm, bytes })
    }

    /// The algorithm [`Fingerprint::parse`] finds in `text` (`None` when it
    /// is not a fingerprint), without building the fingerprint: for
    /// passes over every key of a big source.
    pub fn algorithm_of(text: &str) -> Option<DigestAlgorithm> {
        let text = text.trim();
        let hex = |s: &str| s.bytes().all(|c| c.is_ascii_hexdigit());
        let digits = if text.contains(':') {
            let mut digits = 0;
            for pair in text.split(':') {
                if pair.len() != 2 || !hex(pair) {
                    return None;
                }
                digits += 2;
            }
            digits
        } else if hex(text) {
            text.len()
        } else {
            return None;
        };
        if digits == 0 || !digits.is_multiple_of(2) {
            return None;
        }
        DigestAlgorithm::from_len(digits / 2)
    }

    /// The lower-case form Postfix looks up (smtpd folds the key before the lookup).
    pub fn to_map_key(&self) -> String {
        self.to_string().to_ascii_lowercase()
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for (i, b) in self.bytes.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(
                f,
                "{}{}",
                HEX[(b >> 4) as usize] as char,
                HEX[(b & 15) as usize] as char
            )?;
        }
        Ok(())
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_postfix() {
        let fp = Fingerprint {
            algorithm: DigestAlgorithm::Md5,
            bytes: (0..16).map(|i| i * 17).collect(),
        };
        assert_eq!(
            fp.to_string(),
            "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"
        );
        assert_eq!(
            fp.to_map_key(),
            "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"
        );
    }

    #[test]
    fn parses_with_and_without_colons() {
        let a = Fingerprint::parse("00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff").unwrap();
        let b = Fingerprint::parse("00112233445566778899AABBCCDDEEFF").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.algorithm, DigestAlgorithm::Md5);
        assert!(Fingerprint::parse("0:11").is_none());
        assert!(Fingerprint::parse("zz").is_none());
        assert!(Fingerprint::parse("0011").is_none());
    }

    #[test]
    fn digests_known_vectors() {
        assert_eq!(
            Fingerprint::compute(DigestAlgorithm::Sha1, b"abc").to_string(),
            "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D"
        );
        assert_eq!(DigestAlgorithm::Md5.digest(b"").len(), 16);
        assert_eq!(
            "SHA-256".parse::<DigestAlgorithm>().unwrap(),
            DigestAlgorithm::Sha256
        );
    }

    #[test]
    fn algorithm_of_agrees_with_parse() {
        let sha1 = "BB:8A:52:8F:C2:A0:B4:B6:C0:D9:B1:1D:AD:FE:6D:D5:19:F8:FC:8B";
        let texts = [
            sha1.to_string(),
            sha1.to_lowercase(),
            sha1.replace(':', ""),
            format!(" {sha1} "),
            format!("{sha1}:"),
            format!(":{sha1}"),
            sha1.replacen(':', "::", 1),
            sha1.replacen('B', "G", 1),
            sha1[..sha1.len() - 3].to_string(),
            sha1.replace(':', "")[1..].to_string(),
            "ab".to_string(),
            String::new(),
            ":".to_string(),
            "00".repeat(64),
            "00".repeat(65),
            "é".repeat(8),
        ];
        for text in texts {
            assert_eq!(
                Fingerprint::algorithm_of(&text),
                Fingerprint::parse(&text).map(|f| f.algorithm),
                "{text:?}"
            );
        }
    }
}
