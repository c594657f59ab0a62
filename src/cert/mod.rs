//! Reading certificates (PEM or DER) and computing Postfix fingerprints.
//!
//! * [`digest`]: the digest algorithms Postfix accepts and the fingerprint
//!   text format (`AB:CD:…`, uppercase hex pairs joined by `:`).
//! * [`pem`]: a tolerant PEM scanner (text around blocks, CRLF, trusted certificates).
//! * [`der`]: the BER OpenSSL accepts (element extent, children, DER re-encoding).
//! * [`x509`]: one certificate read as OpenSSL reads it, with the bytes Postfix hashes.
//! * [`pkcs7`], [`pkcs12`]: bundles and PFX files as containers of certificates.
//! * [`name`]: distinguished names as one readable line.
//! * [`Certificate`]: one parsed certificate with the DER bytes Postfix hashes.

pub mod chain;
pub mod der;
pub mod digest;
pub mod name;
pub mod pem;
pub mod pkcs12;
pub mod pkcs7;
pub mod x509;

pub use digest::{DigestAlgorithm, Fingerprint};

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest input ccert reads (a certificate bundle is a few hundred kilobytes).
pub const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// The advice every "no certificate here" error ends with.
const EXPECTED: &str = "expected a PEM or DER certificate, a PKCS#7 bundle or a PKCS#12 file";

/// Errors reading certificates. Every message names the file (`standard
/// input` for `-`) and says what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// The file could not be read.
    #[error("{}: cannot read", shown(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_INPUT`].
    #[error("{}: larger than {} MiB; this is not a certificate file", shown(path), MAX_INPUT >> 20)]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file is empty (or only whitespace).
    #[error("{}: the file is empty; {EXPECTED}", shown(path))]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Neither a PEM certificate block nor DER: random data, or only keys or requests.
    #[error(
        "{}: no certificate found; {EXPECTED}{}",
        shown(path),
        found_hint(found)
    )]
    NoCertificate {
        /// The file.
        path: PathBuf,
        /// Labels of the PEM blocks that were found instead (`PRIVATE KEY`, …).
        found: Vec<String>,
    },
    /// Broken PEM structure or base64.
    #[error("{}:{}", shown(path), source.line())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: pem::PemError,
    },
    /// A DER certificate (in a DER file, or decoded from a PEM block) whose header is broken.
    #[error("{}{}: the file is damaged or cut short", shown(path), at_line(*line))]
    Der {
        /// The file.
        path: PathBuf,
        /// The BEGIN line of the PEM block, for PEM input.
        line: Option<usize>,
        /// What is wrong.
        source: der::DerError,
    },
    /// Bytes after the certificate that are not another certificate.
    #[error(
        "{}{}: {len} bytes of trailing garbage after the certificate ending at offset {offset}; \
         the file is damaged or not a certificate",
        shown(path), at_line(*line)
    )]
    TrailingData {
        /// The file.
        path: PathBuf,
        /// The BEGIN line of the PEM block, for PEM input.
        line: Option<usize>,
        /// Where the garbage starts.
        offset: usize,
        /// How many bytes follow.
        len: usize,
    },
    /// A PKCS#12 or PKCS#7 file that cannot be read.
    #[error(transparent)]
    Container(#[from] ContainerError),
    /// A well-framed DER object that is not a valid X.509 certificate.
    #[error(
        "{}{}: {}{reason}{}",
        shown(path), at_line(*line),
        if [x509::IS_CRL, x509::IS_CSR].contains(&reason.as_str()) {
            ""
        } else {
            "not a valid X.509 certificate: "
        },
        if line.is_none() && reason.starts_with(x509::NOT_THREE_PARTS) {
            "; is this DER file a key or a request?"
        } else {
            ""
        }
    )]
    NotX509 {
        /// The file.
        path: PathBuf,
        /// The BEGIN line of the PEM block, for PEM input.
        line: Option<usize>,
        /// The parser's complaint.
        reason: String,
    },
}

/// What is wrong with a PKCS#12 or PKCS#7 file.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    /// A PKCS#12 file that needs a password none was given for.
    #[error(
        "{}: the PKCS#12 file is protected by a password; give it with --pkcs12-password-file FILE \
         or the CCERT_PASSWORD environment variable",
        shown(path)
    )]
    NeedsPassword {
        /// The file.
        path: PathBuf,
    },
    /// The password given does not open the file.
    #[error("{}: wrong password for the PKCS#12 file", shown(path))]
    WrongPassword {
        /// The file.
        path: PathBuf,
    },
    /// A damaged container, or one using what ccert does not read.
    #[error("{}{}: not a readable {kind} file ({reason})", shown(path), at_line(*line))]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The BEGIN line of the PEM block, for PEM input.
        line: Option<usize>,
        /// `PKCS#12` or `PKCS#7`.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Something to note about a certificate that was read all the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertWarning {
    /// A validity date is malformed (OpenSSL fingerprints such certificates too); the dates are unknown.
    MalformedDates,
    /// The subject CN is not valid UTF-8 (an IA5String or PrintableString with
    /// other bytes, which OpenSSL accepts); it is shown with U+FFFD for the bad bytes.
    CommonNameNotUtf8,
}

impl std::fmt::Display for CertWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::MalformedDates => {
                "its validity dates are malformed, so ccert cannot tell whether it has expired \
                 (OpenSSL and Postfix fingerprint it all the same)"
            }
            Self::CommonNameNotUtf8 => {
                "its subject CN is not valid UTF-8 (the bad bytes are shown as U+FFFD)"
            }
        })
    }
}

/// Where the password of a PKCS#12 file comes from (the command line,
/// the environment, a prompt). The caller passes it to
/// [`read_certificates`] and [`parse_certificates`]; it is asked only when
/// a PKCS#12 file needs a password.
pub trait PasswordSource {
    /// The password for `path`, or `None` when there is none to give.
    fn password(&self, path: &Path) -> Option<String>;
}

/// No password: a PKCS#12 file that needs one is an error. For readers of
/// files that are never PKCS#12 (stored PEM copies, a server's chain).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPassword;

impl PasswordSource for NoPassword {
    fn password(&self, _path: &Path) -> Option<String> {
        None
    }
}

/// How a path appears in messages: `-` is standard input.
fn shown(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    }
}

fn at_line(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

fn found_hint(found: &[String]) -> String {
    if found.is_empty() {
        return String::new();
    }
    let kinds = found.join(", ");
    let what = if found.iter().any(|l| l.contains("KEY")) {
        "; a key is not a certificate: give the certificate file"
    } else if found.iter().any(|l| l.contains("REQUEST")) {
        "; a certificate request is not a certificate: give the certificate issued for it"
    } else {
        ""
    };
    format!(" (the file holds only: {kinds}){what}")
}

/// One certificate, with the DER encodings Postfix hashes.
#[derive(Debug, Clone)]
pub struct Certificate {
    /// DER of the whole certificate (what `i2d_X509` yields): the certificate fingerprint input.
    pub der: Vec<u8>,
    /// DER of the SubjectPublicKeyInfo (what `i2d_X509_PUBKEY` yields): the public-key fingerprint input.
    pub spki_der: Vec<u8>,
    /// Subject on one line, RFC 4514 order (`CN=host, O=Example`; see [`name`]).
    pub subject: String,
    /// Issuer in the same form.
    pub issuer: String,
    /// The subject's first commonName, if any.
    pub common_name: Option<String>,
    /// Start of validity (`None` when the date is malformed).
    pub not_before: Option<time::OffsetDateTime>,
    /// End of validity (`None` when the date is malformed).
    pub not_after: Option<time::OffsetDateTime>,
    /// The serial number's INTEGER contents.
    pub serial: Vec<u8>,
    /// What to tell the user about this certificate.
    pub warnings: Vec<CertWarning>,
}

impl Certificate {
    /// The certificate (or, with `pubkey`, public-key) fingerprint.
    pub fn fingerprint(&self, algorithm: DigestAlgorithm, pubkey: bool) -> Fingerprint {
        let input = if pubkey { &self.spki_der } else { &self.der };
        Fingerprint::compute(algorithm, input)
    }

    /// The serial number as `openssl x509 -serial` prints it (upper-case hex,
    /// no separators, without DER's sign-padding zero byte).
    pub fn serial(&self) -> Option<String> {
        let raw = match self.serial.as_slice() {
            [0, rest @ ..] if !rest.is_empty() => rest,
            raw => raw,
        };
        Some(raw.iter().map(|b| format!("{b:02X}")).collect())
    }

    /// Whether the certificate has expired at `now` (`false` when its end date is unknown).
    pub fn is_expired_at(&self, now: time::OffsetDateTime) -> bool {
        self.not_after.is_some_and(|t| now > t)
    }
}

/// Reads every certificate in `bytes` (PEM with any text around blocks,
/// DER, a PKCS#7 bundle or a PKCS#12 file), in order. `path` is only used
/// in error messages and to ask `passwords` for a PKCS#12 password.
///
/// PEM blocks `CERTIFICATE`, `X509 CERTIFICATE` and `TRUSTED CERTIFICATE`
/// (whose trust data after the certificate is not hashed) and `PKCS7`
/// bundles are read; other blocks (keys, requests, CRLs, parameters) are
/// skipped. A DER file may hold several certificates back to back, and
/// trailing newlines or zero bytes (which OpenSSL ignores too).
pub fn parse_certificates(
    bytes: &[u8],
    path: &Path,
    passwords: &dyn PasswordSource,
) -> Result<Vec<Certificate>, CertError> {
    if bytes.trim_ascii().is_empty() {
        return Err(CertError::Empty {
            path: path.to_path_buf(),
        });
    }
    if der::looks_like_der(bytes) {
        if pkcs12::looks_like_pkcs12(bytes) {
            return parse_pkcs12(bytes, path, passwords);
        }
        if pkcs7::looks_like_pkcs7(bytes) {
            return parse_pkcs7(bytes, path, None);
        }
        return parse_der_file(bytes, path);
    }
    if pem::looks_like_pem(bytes) {
        return parse_pem_file(bytes, path);
    }
    Err(CertError::NoCertificate {
        path: path.to_path_buf(),
        found: Vec::new(),
    })
}

/// Reads every certificate in a file; `-` reads standard input. A PKCS#12
/// file's password comes from `passwords`.
pub fn read_certificates(
    path: &Path,
    passwords: &dyn PasswordSource,
) -> Result<Vec<Certificate>, CertError> {
    let io = |source| CertError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    } else {
        crate::fsutil::open_regular(path)
            .map_err(io)?
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    }
    if bytes.len() as u64 > MAX_INPUT {
        return Err(CertError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    parse_certificates(&bytes, path, passwords)
}

fn parse_pkcs12(
    bytes: &[u8],
    path: &Path,
    passwords: &dyn PasswordSource,
) -> Result<Vec<Certificate>, CertError> {
    let owned = || path.to_path_buf();
    let found =
        pkcs12::certificates(bytes, &mut || passwords.password(path)).map_err(|e| match e {
            pkcs12::Pkcs12Error::NeedsPassword => ContainerError::NeedsPassword { path: owned() },
            pkcs12::Pkcs12Error::WrongPassword => ContainerError::WrongPassword { path: owned() },
            pkcs12::Pkcs12Error::Malformed(reason) => ContainerError::Malformed {
                path: owned(),
                line: None,
                kind: "PKCS#12",
                reason,
            },
        })?;
    let certs = found
        .iter()
        .map(|der| from_der(der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|reason| ContainerError::Malformed {
            path: owned(),
            line: None,
            kind: "PKCS#12",
            reason: format!("a certificate in it is invalid: {reason}"),
        })?;
    if certs.is_empty() {
        return Err(CertError::NoCertificate {
            path: owned(),
            found: vec!["PKCS#12 without certificates".into()],
        });
    }
    Ok(certs)
}

fn parse_pkcs7(
    bytes: &[u8],
    path: &Path,
    line: Option<usize>,
) -> Result<Vec<Certificate>, CertError> {
    let malformed = |reason| ContainerError::Malformed {
        path: path.to_path_buf(),
        line,
        kind: "PKCS#7",
        reason,
    };
    let found = pkcs7::certificates(bytes).map_err(malformed)?;
    let certs = found
        .iter()
        .map(|der| from_der(der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|reason| malformed(format!("a certificate in it is invalid: {reason}")))?;
    if certs.is_empty() {
        return Err(CertError::NoCertificate {
            path: path.to_path_buf(),
            found: vec!["PKCS#7 bundle without certificates".into()],
        });
    }
    Ok(certs)
}

fn parse_der_file(bytes: &[u8], path: &Path) -> Result<Vec<Certificate>, CertError> {
    let mut certs = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        // OpenSSL reads one certificate and ignores what follows; trailing line
        // ends and zero padding (common after transfers) are ignored here too.
        if offset > 0 && rest.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
            break;
        }
        // After the first certificate, only more certificates may follow.
        if offset > 0 && !der::looks_like_der(rest) {
            return Err(CertError::TrailingData {
                path: path.to_path_buf(),
                line: None,
                offset,
                len: rest.len(),
            });
        }
        let len = der::sequence_len(rest, offset).map_err(|source| CertError::Der {
            path: path.to_path_buf(),
            line: None,
            source,
        })?;
        let cert = from_der(&rest[..len]).map_err(|reason| {
            if offset > 0 {
                CertError::TrailingData {
                    path: path.to_path_buf(),
                    line: None,
                    offset,
                    len: rest.len(),
                }
            } else {
                CertError::NotX509 {
                    path: path.to_path_buf(),
                    line: None,
                    reason,
                }
            }
        })?;
        certs.push(cert);
        offset += len;
    }
    Ok(certs)
}

fn parse_pem_file(bytes: &[u8], path: &Path) -> Result<Vec<Certificate>, CertError> {
    let pem_err = |source| CertError::Pem {
        path: path.to_path_buf(),
        source,
    };
    let mut certs = Vec::new();
    let mut skipped = Vec::new();
    for block in pem::scan(bytes).map_err(pem_err)? {
        let trusted = match block.label.as_str() {
            "CERTIFICATE" | "X509 CERTIFICATE" => false,
            "TRUSTED CERTIFICATE" => true,
            "PKCS7" | "PKCS #7 SIGNED DATA" | "CMS" => {
                let der = block.decode().map_err(pem_err)?;
                certs.extend(parse_pkcs7(&der, path, Some(block.begin_line))?);
                continue;
            }
            _ => {
                skipped.push(block.label.clone());
                continue;
            }
        };
        let line = Some(block.begin_line);
        let der = block.decode().map_err(pem_err)?;
        let len = der::sequence_len(&der, 0).map_err(|source| CertError::Der {
            path: path.to_path_buf(),
            line,
            source,
        })?;
        // A trusted certificate is followed by OpenSSL's trust data; a plain one by nothing.
        if !trusted && len < der.len() {
            return Err(CertError::TrailingData {
                path: path.to_path_buf(),
                line,
                offset: len,
                len: der.len() - len,
            });
        }
        let cert = from_der(&der[..len]).map_err(|reason| CertError::NotX509 {
            path: path.to_path_buf(),
            line,
            reason,
        })?;
        certs.push(cert);
    }
    if certs.is_empty() {
        skipped.dedup();
        return Err(CertError::NoCertificate {
            path: path.to_path_buf(),
            found: skipped,
        });
    }
    Ok(certs)
}

/// Parses exactly one certificate (the whole of `der`).
fn from_der(der: &[u8]) -> Result<Certificate, String> {
    x509::parse(der)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Vec<Certificate>, CertError> {
        parse_certificates(bytes, Path::new("f.pem"), &NoPassword)
    }

    #[test]
    fn fixtures_in_every_wrapping_give_the_same_der() {
        let der = include_bytes!("../../fixtures/rsa.der");
        for pem in [
            &include_bytes!("../../fixtures/rsa.pem")[..],
            include_bytes!("../../fixtures/text.pem"),
        ] {
            let certs = parse(pem).unwrap();
            assert_eq!(certs.len(), 1);
            assert_eq!(certs[0].der, der);
        }
        let plain = parse(include_bytes!("../../fixtures/ed25519.pem")).unwrap();
        let trusted = parse(include_bytes!("../../fixtures/trusted.pem")).unwrap();
        assert_eq!(plain[0].der, trusted[0].der);
        let ecdsa = parse(include_bytes!("../../fixtures/ecdsa.pem")).unwrap();
        let crlf = parse(include_bytes!("../../fixtures/crlf.pem")).unwrap();
        let keyed = parse(include_bytes!("../../fixtures/key-and-cert.pem")).unwrap();
        assert_eq!(ecdsa[0].der, crlf[0].der);
        assert_eq!(ecdsa[0].der, keyed[0].der);
        // The SPKI is a slice of the certificate.
        let c = &ecdsa[0];
        assert!(c.der.windows(c.spki_der.len()).any(|w| w == c.spki_der));
        assert_eq!(c.common_name.as_deref(), Some("ecdsa.example"));
    }

    #[test]
    fn names_and_dates() {
        let c = &parse(include_bytes!("../../fixtures/expired.pem")).unwrap()[0];
        assert_eq!(c.subject, "O=ccert tests, CN=expired.example");
        assert_eq!(c.issuer, c.subject);
        assert_eq!(
            c.not_before,
            Some(time::macros::datetime!(2020-01-01 0:00 UTC))
        );
        assert_eq!(
            c.not_after,
            Some(time::macros::datetime!(2021-01-01 0:00 UTC))
        );
        assert!(c.is_expired_at(time::macros::datetime!(2021-01-01 0:00:01 UTC)));
        assert!(!c.is_expired_at(c.not_after.unwrap()));
        assert_eq!(c.serial().as_deref(), Some("01"));
        let u = &parse(include_bytes!("../../fixtures/utf8.pem")).unwrap()[0];
        assert_eq!(u.common_name.as_deref(), Some("Mailhost Zürich"));
        let n = &parse(include_bytes!("../../fixtures/nocn.pem")).unwrap()[0];
        assert_eq!(n.common_name, None);
    }

    #[test]
    fn typed_errors() {
        assert!(matches!(parse(b""), Err(CertError::Empty { .. })));
        assert!(matches!(parse(b" \n\r\n"), Err(CertError::Empty { .. })));
        assert!(matches!(
            parse(b"hello"),
            Err(CertError::NoCertificate { found, .. }) if found.is_empty()
        ));
        assert!(matches!(
            parse(include_bytes!("../../fixtures/key.pem")),
            Err(CertError::NoCertificate { found, .. }) if found == ["PRIVATE KEY"]
        ));
        assert!(matches!(
            parse(include_bytes!("../../fixtures/truncated.pem")),
            Err(CertError::Pem {
                source: pem::PemError::Unterminated { line: 1, .. },
                ..
            })
        ));
        assert!(matches!(
            parse(include_bytes!("../../fixtures/badbase64.pem")),
            Err(CertError::Pem {
                source: pem::PemError::Base64 { line: 3, .. },
                ..
            })
        ));
        assert!(matches!(
            parse(include_bytes!("../../fixtures/truncated.der")),
            Err(CertError::Der {
                line: None,
                source: der::DerError::Truncated { .. },
                ..
            })
        ));
        // A well-framed SEQUENCE that is not a certificate.
        let mut junk = vec![0x30, 0x81, 0x80];
        junk.extend([0u8; 0x80]);
        assert!(matches!(
            parse(&junk),
            Err(CertError::NotX509 { line: None, .. })
        ));
        // An empty CERTIFICATE block.
        let empty = b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            parse(empty),
            Err(CertError::Der { line: Some(1), .. })
        ));
    }

    #[test]
    fn x509_certificate_label_and_skipped_blocks() {
        let rsa = std::str::from_utf8(include_bytes!("../../fixtures/rsa.pem")).unwrap();
        let old = rsa.replace("CERTIFICATE-----", "X509 CERTIFICATE-----");
        let crl = "-----BEGIN X509 CRL-----\n!!not base64!!\n-----END X509 CRL-----\n";
        let text = format!("{crl}{old}{crl}");
        let certs = parse(text.as_bytes()).unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].der, include_bytes!("../../fixtures/rsa.der"));
    }

    #[test]
    fn stdin_is_named_in_messages() {
        let err = parse_certificates(b"x", Path::new("-"), &NoPassword).unwrap_err();
        assert!(err.to_string().starts_with("standard input: "), "{err}");
    }
}
