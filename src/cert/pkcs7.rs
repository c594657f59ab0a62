//! PKCS#7 / CMS certificate bundles (`.p7b`, `.p7c`; `openssl crl2pkcs7`,
//! Windows certificate export) as containers of certificates.
//!
//! A bundle is a ContentInfo `{ signedData, [0] SignedData }` whose
//! SignedData has the certificates in an `[0] IMPLICIT SET`; there are
//! usually no signers. Windows writes such files with BER indefinite
//! lengths, so the walk uses the BER reader of [`super::der`].

use super::der::{self, Element};

/// `1.2.840.113549.1.7.2` (signedData), as OID contents.
const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];

/// Whether `data` starts like a PKCS#7 SignedData ContentInfo.
pub fn looks_like_pkcs7(data: &[u8]) -> bool {
    let Ok(info) = der::read(data, 0) else {
        return false;
    };
    matches!(
        der::children(info.content).next(),
        Some(Ok(oid)) if info.tag == 0x30 && oid.tag == 0x06 && oid.content == OID_SIGNED_DATA
    )
}

/// The certificates of the bundle in `data` (each the element as found,
/// to be parsed by the caller), in order. A bundle with none is valid.
pub fn certificates(data: &[u8]) -> Result<Vec<&[u8]>, String> {
    let info = der::read(data, 0).map_err(|e| e.to_string())?;
    let parts = kids(&info)?;
    let [oid, wrapped] = parts.as_slice() else {
        return Err("a PKCS#7 bundle has a type and contents".into());
    };
    if oid.content != OID_SIGNED_DATA || wrapped.tag != 0xa0 {
        return Err("not a signed-data (certificate) bundle".into());
    }
    let [signed] = kids(wrapped)?[..] else {
        return Err("the contents are not one SignedData".into());
    };
    let fields = kids(&signed)?;
    // version, digestAlgorithms, encapContentInfo, then the tagged optional parts.
    let mut certs = Vec::new();
    for field in fields.iter().skip(3) {
        if field.tag == 0xa0 {
            for cert in kids(field)? {
                // Other CertificateChoices (attribute certificates) are tagged; skip them.
                if cert.tag == 0x30 {
                    certs.push(cert.raw);
                }
            }
        }
    }
    Ok(certs)
}

fn kids<'a>(element: &Element<'a>) -> Result<Vec<Element<'a>>, String> {
    der::children(element.content)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}
