//! Self-signed TLS client certificates for workstations (`ccert issue`).
//!
//! The certificate carries the host name as subject CN and DNS subjectAltName,
//! `extendedKeyUsage = clientAuth` and `keyUsage = digitalSignature`, which is
//! what a Postfix smarthost client presents; the server identifies it by
//! fingerprint, so no CA is involved.

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair,
    KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

/// Key algorithms `ccert issue` can generate.
///
/// Also the values of `issue --key-type` (clap's
/// [`ValueEnum`](clap::ValueEnum); the variants' doc comments are their help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum KeyAlgorithm {
    /// ECDSA P-256
    ///
    /// Signed with SHA-256.
    #[default]
    #[value(name = "ec")]
    EcdsaP256,
    /// RSA 2048
    ///
    /// Signed with SHA-256.
    #[value(name = "rsa")]
    Rsa2048,
    /// Ed25519
    #[value(name = "ed25519")]
    Ed25519,
}

/// Errors generating a certificate.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The name cannot be a certificate CN / DNS name.
    #[error("invalid host name {0:?}: use letters, digits, '-', '_' and '.' only")]
    InvalidName(String),
    /// A name longer than a certificate's common name may be (X.520's
    /// upper bound for CN, RFC 5280 `ub-common-name`).
    #[error(
        "host name {name:?} has {len} characters: a certificate's common name (CN) holds at most 64; \
         use a shorter name (the host part, e.g. {short:?})"
    )]
    NameTooLong {
        /// The name.
        name: String,
        /// Its length.
        len: usize,
        /// Its first label, as a suggestion.
        short: String,
    },
    /// The key to renew with cannot be used.
    #[error(
        "the private key cannot be used; renew only keys `ccert issue` wrote (PKCS#8 EC P-256, RSA or Ed25519)"
    )]
    Key(#[source] rcgen::Error),
    /// Key or certificate generation failed.
    #[error("cannot generate the certificate")]
    Generate(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A generated certificate and its private key, both PEM.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The PKCS#8 private key, PEM.
    pub key_pem: String,
}

/// Generates a self-signed client certificate for `name`, valid from one
/// hour ago (tolerating clock skew) for `days` days.
pub fn issue(name: &str, algorithm: KeyAlgorithm, days: u32) -> Result<Issued, IssueError> {
    check_name(name)?;
    let key = match algorithm {
        KeyAlgorithm::EcdsaP256 => {
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err)?
        }
        KeyAlgorithm::Ed25519 => KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(gen_err)?,
        KeyAlgorithm::Rsa2048 => {
            use rsa::pkcs8::EncodePrivateKey;
            let rsa = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(gen_err)?;
            let pem = rsa
                .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(gen_err)?;
            KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).map_err(gen_err)?
        }
    };
    let cert_pem = sign(name, &key, days)?;
    let key_pem = match algorithm {
        KeyAlgorithm::Ed25519 => ed25519_pkcs8_v1_pem(&key.serialize_der())?,
        _ => key.serialize_pem(),
    };
    Ok(Issued { cert_pem, key_pem })
}

/// A new certificate for `name` signed by the private key `key_pem` (PEM
/// PKCS#8, as [`issue`] wrote it), valid from one hour ago for `days` days:
/// its public key, and so its public-key fingerprint, is the old one's.
pub fn renew(name: &str, key_pem: &str, days: u32) -> Result<String, IssueError> {
    check_name(name)?;
    let key = KeyPair::from_pem(key_pem).map_err(IssueError::Key)?;
    sign(name, &key, days)
}

/// Checks that `name` can be a certificate's CN and DNS name.
fn check_name(name: &str) -> Result<(), IssueError> {
    if name.len() > 64 {
        let short: String = name
            .split('.')
            .next()
            .unwrap_or(name)
            .chars()
            .take(64)
            .collect();
        return Err(IssueError::NameTooLong {
            name: name.to_string(),
            len: name.chars().count(),
            short,
        });
    }
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid_name {
        return Err(IssueError::InvalidName(name.to_string()));
    }
    Ok(())
}

/// The self-signed client certificate for `name` with `key`, PEM.
fn sign(name: &str, key: &KeyPair, days: u32) -> Result<String, IssueError> {
    let mut params = CertificateParams::new(vec![name.to_string()]).map_err(gen_err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.subject_alt_names = vec![SanType::DnsName(name.try_into().map_err(gen_err)?)];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(i64::from(days.max(1)));
    let cert = params.self_signed(key).map_err(gen_err)?;
    Ok(cert.pem())
}

/// A library's failure to make the key or certificate, kept as the cause.
fn gen_err(e: impl std::error::Error + Send + Sync + 'static) -> IssueError {
    IssueError::Generate(Box::new(e))
}

/// Re-encodes an Ed25519 key as PKCS#8 version 1 (RFC 8410 without the
/// optional public key). ring writes version 2 with the public key attached,
/// which OpenSSL 3.0 — and therefore Postfix's smtp_tls_key_file — refuses.
fn ed25519_pkcs8_v1_pem(v2_der: &[u8]) -> Result<String, IssueError> {
    // The private key is the 32-byte seed inside `OCTET STRING { OCTET STRING (32) }`.
    let seed = v2_der
        .windows(4)
        .position(|w| w == [0x04, 0x22, 0x04, 0x20])
        .and_then(|i| v2_der.get(i + 4..i + 36))
        .ok_or_else(|| IssueError::Generate("unexpected Ed25519 key encoding".into()))?;
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der);
    Ok(format!(
        "-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::{DigestAlgorithm, NoPassword, parse_certificates};

    /// Each key type `issue` writes renews into a new certificate with the
    /// same public key (so the same public-key fingerprint).
    #[test]
    fn renew_keeps_the_public_key_of_every_key_type() {
        for algorithm in [
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::Ed25519,
            KeyAlgorithm::Rsa2048,
        ] {
            let issued = issue("ws", algorithm, 30).unwrap();
            let renewed = renew("ws", &issued.key_pem, 60).unwrap();
            let read = |pem: &str| {
                parse_certificates(pem.as_bytes(), std::path::Path::new("x"), &NoPassword)
                    .unwrap()
                    .remove(0)
            };
            let (old, new) = (read(&issued.cert_pem), read(&renewed));
            let fp = |c: &crate::cert::Certificate, pubkey| {
                c.fingerprint(DigestAlgorithm::Sha256, pubkey)
            };
            assert_eq!(fp(&old, true), fp(&new, true), "{algorithm:?}");
            assert_ne!(fp(&old, false), fp(&new, false), "{algorithm:?}");
            assert!(new.not_after > old.not_after, "{algorithm:?}");
        }
        assert!(matches!(
            renew(
                "ws",
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                1
            ),
            Err(IssueError::Key(_))
        ));
    }
}
