//! Reading certificates (PEM or DER) and computing Postfix fingerprints.
//!
//! * [`digest`]: the digest algorithms Postfix accepts and the fingerprint
//!   text format (`AB:CD:…`, uppercase hex pairs joined by `:`).
//! * [`pem`]: a tolerant PEM scanner (text around blocks, CRLF, trusted certificates).
//! * [`Certificate`]: one parsed certificate with the DER bytes Postfix hashes.

pub mod digest;
pub mod pem;

pub use digest::{DigestAlgorithm, Fingerprint};

use std::path::{Path, PathBuf};

/// Errors reading certificates.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file holds no certificate, or a malformed one.
    #[error("{path}: {message}")]
    Invalid {
        /// The file (`-` for standard input).
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
}

/// One certificate, with the DER encodings Postfix hashes.
#[derive(Debug, Clone)]
pub struct Certificate {
    /// DER of the whole certificate (what `i2d_X509` yields): the certificate fingerprint input.
    pub der: Vec<u8>,
    /// DER of the SubjectPublicKeyInfo (what `i2d_X509_PUBKEY` yields): the public-key fingerprint input.
    pub spki_der: Vec<u8>,
    /// Subject in OpenSSL's one-line form (`CN=host, O=Example`).
    pub subject: String,
    /// Issuer in the same form.
    pub issuer: String,
    /// The subject's first commonName, if any.
    pub common_name: Option<String>,
    /// Start of validity.
    pub not_before: time::OffsetDateTime,
    /// End of validity.
    pub not_after: time::OffsetDateTime,
}

impl Certificate {
    /// The certificate (or, with `pubkey`, public-key) fingerprint.
    pub fn fingerprint(&self, algorithm: DigestAlgorithm, pubkey: bool) -> Fingerprint {
        let input = if pubkey { &self.spki_der } else { &self.der };
        Fingerprint::compute(algorithm, input)
    }
}

/// Reads every certificate in `bytes` (PEM with any text around blocks, or
/// DER), in order. `path` is only used in error messages.
pub fn parse_certificates(bytes: &[u8], path: &Path) -> Result<Vec<Certificate>, CertError> {
    let _ = (bytes, path);
    unimplemented!("cert helper")
}

/// Reads every certificate in a file; `-` reads standard input.
pub fn read_certificates(path: &Path) -> Result<Vec<Certificate>, CertError> {
    let _ = path;
    unimplemented!("cert helper")
}
