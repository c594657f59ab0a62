//! Whether the certificates of a bundle after the first are its issuer
//! chain (`fullchain.pem`, a PKCS#12 file with its CA), or unrelated
//! certificates that happen to share a file.
//!
//! Each certificate must be issued by the next one: its issuer name is the
//! next one's subject (compared as ccert prints names, RFC 4514 order), and
//! the next one's public key verifies its signature where ring has the
//! algorithm (RSA PKCS#1 and PSS, ECDSA P-256/P-384, Ed25519). Where it has
//! not, the names decide.

use super::Certificate;

/// How the certificates after the first relate to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bundle {
    /// One certificate only.
    Single,
    /// Each certificate is issued by the next: the first one's chain.
    Chain,
    /// Certificate `at` (0-based) is not issued by the one after it.
    Unrelated {
        /// The certificate whose issuer does not follow it.
        at: usize,
    },
}

/// How `certs` (in file order) relate; see the module documentation.
pub fn bundle(certs: &[Certificate]) -> Bundle {
    if certs.len() < 2 {
        return Bundle::Single;
    }
    for (at, pair) in certs.windows(2).enumerate() {
        if !issued_by(&pair[0], &pair[1]) {
            return Bundle::Unrelated { at };
        }
    }
    Bundle::Chain
}

/// Whether `issuer` issued `cert`: names, then the signature where it can be checked.
fn issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if cert.issuer != issuer.subject {
        return false;
    }
    let (Ok((_, cert)), Ok((_, issuer))) = (
        x509_parser::parse_x509_certificate(&cert.der),
        x509_parser::parse_x509_certificate(&issuer.der),
    ) else {
        // ccert read them with its own parser; x509-parser is stricter.
        // The names matched: that is all that can be said.
        return true;
    };
    match cert.verify_signature(Some(issuer.public_key())) {
        Ok(()) => true,
        Err(x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => true,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn read(names: &[&str]) -> Vec<Certificate> {
        names
            .iter()
            .flat_map(|n| {
                let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("fixtures")
                    .join(n);
                crate::cert::read_certificates(&path, &crate::cert::NoPassword).unwrap()
            })
            .collect()
    }

    #[test]
    fn a_certificate_and_its_ca_are_a_chain() {
        assert_eq!(bundle(&read(&["rsa.pem", "ca.pem"])), Bundle::Chain);
        assert_eq!(bundle(&read(&["ecdsa.pem", "ca.pem"])), Bundle::Chain);
        assert_eq!(bundle(&read(&["rsa.pem"])), Bundle::Single);
    }

    #[test]
    fn siblings_and_reversed_chains_are_not() {
        // bundle.pem: rsa, ecdsa (both issued by the CA), the CA.
        assert_eq!(bundle(&read(&["bundle.pem"])), Bundle::Unrelated { at: 0 });
        assert_eq!(
            bundle(&read(&["ca.pem", "rsa.pem"])),
            Bundle::Unrelated { at: 0 }
        );
    }
}
