//! The probe's TLS client (rustls with ring): it presents the client
//! certificate (or raw public key) and records what the server asked for.
//!
//! The server certificate is not verified: the probe diagnoses relaying, and
//! reports the server certificate's subject and fingerprint for the admin to
//! judge. Client authentication in rustls happens through
//! [`ResolvesClientCert`], which rustls calls only when the server sends a
//! CertificateRequest, with the CA names the server sent: exactly the two
//! facts the probe reports.

use std::sync::{Arc, Mutex};

use rustls::SignatureScheme;
use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

/// What the server asked for during the handshake.
#[derive(Debug, Default, Clone)]
pub struct Requested {
    /// Whether the server sent a CertificateRequest.
    pub asked: bool,
    /// The CA names it sent (DER-encoded X.501 names).
    pub ca_names: Vec<Vec<u8>>,
}

/// Records that the server asked for a certificate, and the CA names it
/// sent; both resolvers do, whatever they present.
fn note_request(requested: &Mutex<Requested>, root_hint_subjects: &[&[u8]]) {
    if let Ok(mut r) = requested.lock() {
        r.asked = true;
        r.ca_names = root_hint_subjects.iter().map(|s| s.to_vec()).collect();
    }
}

/// Presents one identity and remembers whether the server asked for it.
#[derive(Debug)]
struct Presenter {
    key: Arc<CertifiedKey>,
    rpk: bool,
    requested: Arc<Mutex<Requested>>,
}

impl ResolvesClientCert for Presenter {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        note_request(&self.requested, root_hint_subjects);
        Some(self.key.clone())
    }

    fn only_raw_public_keys(&self) -> bool {
        self.rpk
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A client configuration presenting `chain` and `key` (with `rpk`: the
/// certificate's SubjectPublicKeyInfo as a raw public key), and the record of
/// what the server requests.
pub fn client_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    spki: Vec<u8>,
    rpk: bool,
) -> Result<(rustls::ClientConfig, Arc<Mutex<Requested>>), rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let signer = provider.key_provider.load_private_key(key)?;
    let presented = if rpk {
        vec![CertificateDer::from(spki)]
    } else {
        chain
    };
    let requested = Arc::new(Mutex::new(Requested::default()));
    let presenter = Presenter {
        key: Arc::new(CertifiedKey::new(presented, signer)),
        rpk,
        requested: requested.clone(),
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone());
    // RFC 7250 raw keys exist only in TLS 1.3 in rustls.
    let builder = if rpk {
        builder.with_protocol_versions(&[&rustls::version::TLS13])?
    } else {
        builder.with_safe_default_protocol_versions()?
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(crate::tls::AnyServerCertificate::new(provider)))
        .with_client_cert_resolver(Arc::new(presenter));
    Ok((config, requested))
}

/// Presents no certificate (an empty Certificate message when asked), and
/// remembers whether the server asked: the probe's second try, which tells
/// whether the certificate is what made the server relay.
#[derive(Debug)]
struct Absent {
    requested: Arc<Mutex<Requested>>,
}

impl ResolvesClientCert for Absent {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        note_request(&self.requested, root_hint_subjects);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// A client configuration that presents no certificate.
pub fn anonymous_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let absent = Absent {
        requested: Arc::new(Mutex::new(Requested::default())),
    };
    Ok(
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(crate::tls::AnyServerCertificate::new(
                provider,
            )))
            .with_client_cert_resolver(Arc::new(absent)),
    )
}
