//! Reading one X.509 certificate the way OpenSSL does, for the fingerprint.
//!
//! Postfix hashes `i2d_X509` of the certificate OpenSSL decoded. OpenSSL
//! keeps the TBSCertificate exactly as received (it caches its encoding,
//! BER quirks included) but re-encodes the outer SEQUENCE, the outer
//! signatureAlgorithm and the signature BIT STRING as DER. So a certificate
//! with a non-minimal length in those three places has a fingerprint over
//! bytes that are not in the file. [`parse`] walks the structure with the
//! lenient reader in [`super::der`] and builds exactly those bytes.
//!
//! Inside the TBSCertificate ccert reads only what it shows: the serial
//! number, the names, the validity and the SubjectPublicKeyInfo. Like
//! OpenSSL, it does not insist on well-formed validity dates: a certificate
//! whose dates cannot be read is still fingerprinted, its dates unknown.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::X509Name;

use super::der::{self, DerError, Element};
use super::{CertWarning, Certificate, name};

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const VERSION: u8 = 0xa0;
const ATTRIBUTES: u8 = 0xa0;

/// The reason for a SEQUENCE that is not shaped like a certificate at all.
pub const NOT_THREE_PARTS: &str = "a certificate has three parts: data, algorithm, signature";

/// Why a well-framed element is not a certificate OpenSSL would read.
fn bad(what: &str) -> String {
    what.to_string()
}

fn der_reason(e: DerError) -> String {
    format!("bad encoding: {e}")
}

/// Parses one certificate; `raw` is the whole element (as [`der::read`]
/// delimited it). The error is a short reason for the user.
pub fn parse(raw: &[u8]) -> Result<Certificate, String> {
    let outer = der::read(raw, 0).map_err(der_reason)?;
    if outer.tag != SEQUENCE {
        return Err(bad("not a SEQUENCE"));
    }
    let parts = elements(outer.content)?;
    let [tbs, sig_alg, signature] = parts.as_slice() else {
        return Err(bad(NOT_THREE_PARTS));
    };
    if tbs.tag != SEQUENCE || sig_alg.tag != SEQUENCE || signature.tag != BIT_STRING {
        return Err(bad(NOT_THREE_PARTS));
    }
    check_algorithm(sig_alg)?;
    let mut body = tbs.raw.to_vec();
    algorithm_der(sig_alg, &mut body)?;
    bit_string_der(signature, &mut body)?;
    let mut canonical = Vec::with_capacity(body.len() + 6);
    der::encode(SEQUENCE, &body, &mut canonical);

    let fields = elements(tbs.content)?;
    if let Some(kind) = other_kind(&fields) {
        return Err(kind.to_string());
    }
    check_tbs(&fields)?;
    let mut fields = fields.as_slice();
    if let [first, rest @ ..] = fields
        && first.tag == VERSION
    {
        fields = rest;
    }
    let [serial, tbs_alg, issuer, validity, subject, spki, ..] = fields else {
        return Err(bad("the certificate data is incomplete"));
    };
    if serial.tag != INTEGER {
        return Err(bad("the serial number is not an INTEGER"));
    }
    // The shapes OpenSSL's decoder insists on (the contents of the dates it does not check).
    let times_ok = validity.tag == SEQUENCE
        && matches!(
            elements(validity.content)?.as_slice(),
            [a, b] if [a.tag, b.tag].iter().all(|t| *t == UTC_TIME || *t == GENERALIZED_TIME)
        );
    if !times_ok {
        return Err(bad("the validity is not two dates"));
    }
    if [tbs_alg.tag, issuer.tag, subject.tag] != [SEQUENCE; 3] {
        return Err(bad("the certificate data is malformed"));
    }
    if spki.tag != SEQUENCE {
        return Err(bad("the public key is not a SEQUENCE"));
    }
    let mut warnings = Vec::new();
    let (not_before, not_after) = validity_dates(validity);
    if not_before.is_none() || not_after.is_none() {
        warnings.push(CertWarning::MalformedDates);
    }
    let (subject_text, common_name, cn_utf8) = read_name(subject)?;
    if !cn_utf8 {
        warnings.push(CertWarning::CommonNameNotUtf8);
    }
    let (issuer_text, _, _) = read_name(issuer)?;
    Ok(Certificate {
        der: canonical,
        spki_der: spki_der(spki)?,
        subject: subject_text,
        issuer: issuer_text,
        common_name,
        not_before,
        not_after,
        serial: serial.content.to_vec(),
        warnings,
    })
}

/// The reason given for a DER certificate revocation list.
pub const IS_CRL: &str = "this is a certificate revocation list (CRL), not a certificate";
/// The reason given for a DER certificate request.
pub const IS_CSR: &str = "this is a certificate request (CSR), not a certificate";

/// What a well-framed SEQUENCE of three parts is when it is not a
/// certificate: a CRL (`TBSCertList`: [version], algorithm, issuer,
/// thisUpdate …) or a CSR (`CertificationRequestInfo`: version, subject,
/// public key, [0] attributes).
fn other_kind(fields: &[Element<'_>]) -> Option<&'static str> {
    let tags: Vec<u8> = fields.iter().map(|f| f.tag).collect();
    let after_version = match tags.as_slice() {
        [INTEGER, rest @ ..] => rest,
        rest => rest,
    };
    if let [SEQUENCE, SEQUENCE, UTC_TIME | GENERALIZED_TIME, ..] = after_version {
        return Some(IS_CRL);
    }
    if let [INTEGER, SEQUENCE, SEQUENCE, ATTRIBUTES] = tags.as_slice() {
        return Some(IS_CSR);
    }
    None
}

/// Checks the TBSCertificate the way OpenSSL's template decoder does
/// (`d2i_X509`), so that ccert refuses exactly what `openssl x509` (and
/// so Postfix) refuses: every field's type and order, nothing after the
/// extensions, and the contents of the values it decodes — INTEGERs
/// without padding, object identifiers well formed, algorithm parameters
/// valid for their type, name values of a string type X509_NAME takes,
/// extensions shaped as `{OID, [BOOLEAN], OCTET STRING}`. OpenSSL does not
/// check the version's value nor compare the inner signature algorithm
/// with the outer one (checked against 3.0.22), so neither does ccert.
fn check_tbs(fields: &[Element<'_>]) -> Result<(), String> {
    let mut rest = fields;
    if let [version, tail @ ..] = rest
        && version.tag == VERSION
    {
        match elements(version.content)?.as_slice() {
            [v] if v.tag == INTEGER && integer_ok(v.content) => {}
            _ => return Err(bad("the version is not an INTEGER")),
        }
        rest = tail;
    }
    let [serial, alg, issuer, _validity, subject, spki, tail @ ..] = rest else {
        return Err(bad("the certificate data is incomplete"));
    };
    if serial.tag != INTEGER || !integer_ok(serial.content) {
        return Err(bad("the serial number is not a well-formed INTEGER"));
    }
    check_algorithm(alg)?;
    check_name(issuer)?;
    check_name(subject)?;
    match elements(spki.content)?.as_slice() {
        [alg, key] if alg.tag == SEQUENCE && key.tag == BIT_STRING => {
            check_algorithm(alg)?;
            if !bit_string_ok(key.content) {
                return Err(bad("malformed public key"));
            }
        }
        _ => return Err(bad("malformed public key")),
    }
    // [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions, each at most once, in order.
    let mut next = 0;
    for field in tail {
        let (order, ok) = match field.tag {
            0x81 => (1, bit_string_ok(field.content)),
            0x82 => (2, bit_string_ok(field.content)),
            0xa3 => (3, extensions_ok(field)?),
            _ => (0, false),
        };
        if order <= next || !ok {
            return Err(bad(
                "unexpected or malformed data after the public key (unique IDs or extensions)",
            ));
        }
        next = order;
    }
    Ok(())
}

/// `[3] EXPLICIT SEQUENCE OF Extension`, each `{OID, BOOLEAN DEFAULT FALSE,
/// OCTET STRING}`.
fn extensions_ok(field: &Element<'_>) -> Result<bool, String> {
    let lists = elements(field.content)?;
    let [list] = lists.as_slice() else {
        return Ok(false);
    };
    if list.tag != SEQUENCE {
        return Ok(false);
    }
    for ext in elements(list.content)? {
        if ext.tag != SEQUENCE {
            return Ok(false);
        }
        let parts = elements(ext.content)?;
        let ok = match parts.as_slice() {
            [oid, value] => oid_ok(oid) && octet_string_ok(value),
            [oid, critical, value] => {
                oid_ok(oid)
                    && critical.tag == 0x01
                    && critical.content.len() == 1
                    && octet_string_ok(value)
            }
            _ => false,
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// An OCTET STRING, primitive or (BER) constructed of OCTET STRINGs.
fn octet_string_ok(value: &Element<'_>) -> bool {
    match value.tag {
        0x04 => true,
        0x24 => der::children(value.content).all(|c| c.is_ok_and(|c| octet_string_ok(&c))),
        _ => false,
    }
}

/// An AlgorithmIdentifier: `SEQUENCE { OID, ANY OPTIONAL }`, the parameter
/// valid for its type.
fn check_algorithm(alg: &Element<'_>) -> Result<(), String> {
    let ok = alg.tag == SEQUENCE
        && match elements(alg.content)?.as_slice() {
            [oid] => oid_ok(oid),
            [oid, param] => oid_ok(oid) && any_ok(param),
            _ => false,
        };
    if ok {
        Ok(())
    } else {
        Err(bad("malformed algorithm identifier"))
    }
}

/// A Name: `SEQUENCE OF SET OF SEQUENCE { OID, value }`, each value of a
/// type X509_NAME takes (its `ASN1_PRINTABLE` string types, or a SEQUENCE).
fn check_name(name: &Element<'_>) -> Result<(), String> {
    let malformed = || bad("a name is malformed, so OpenSSL (and Postfix) rejects it");
    if name.tag != SEQUENCE {
        return Err(malformed());
    }
    for rdn in elements(name.content)? {
        if rdn.tag != 0x31 {
            return Err(malformed());
        }
        for attribute in elements(rdn.content)? {
            let parts = elements(attribute.content)?;
            let [oid, value] = parts.as_slice() else {
                return Err(malformed());
            };
            let value_ok = match value.tag {
                0x03 => bit_string_ok(value.content),
                0x07..=0x09 | 0x0b..=0x0f | 0x12..=0x14 | 0x16 | 0x1d | 0x30 => true,
                0x1c => value.content.len() % 4 == 0,
                0x1e => value.content.len() % 2 == 0,
                _ => false,
            };
            if attribute.tag != SEQUENCE || !oid_ok(oid) || !value_ok {
                return Err(malformed());
            }
        }
    }
    Ok(())
}

/// An `ASN1_ANY` as OpenSSL decodes it: any class and tag, but a universal
/// type's contents must be valid for that type.
fn any_ok(value: &Element<'_>) -> bool {
    if value.tag & 0xc0 != 0 {
        return true;
    }
    let content = value.content;
    match value.tag {
        0x01 => content.len() == 1,
        0x02 | 0x0a => integer_ok(content),
        0x03 => bit_string_ok(content),
        0x05 => content.is_empty(),
        0x06 => oid_content_ok(content),
        0x1c => content.len().is_multiple_of(4),
        0x1e => content.len().is_multiple_of(2),
        // `00 00` reads as end-of-contents (a tag 0 with contents passes).
        0x00 => !content.is_empty(),
        // SEQUENCE or SET not constructed.
        0x10 | 0x11 => false,
        // Constructed forms of types that have none.
        0x21 | 0x22 | 0x25 | 0x26 | 0x2a => false,
        // A constructed BIT STRING of nothing has no unused-bits byte.
        0x23 => !content.is_empty(),
        _ => true,
    }
}

fn oid_ok(oid: &Element<'_>) -> bool {
    oid.tag == 0x06 && oid_content_ok(oid.content)
}

/// OpenSSL's rule for an OBJECT IDENTIFIER: not empty, the last byte ends
/// a subidentifier, and no subidentifier starts with a 0x80 padding byte.
fn oid_content_ok(content: &[u8]) -> bool {
    let Some(last) = content.last() else {
        return false;
    };
    if last & 0x80 != 0 {
        return false;
    }
    let mut starts = true;
    for &b in content {
        if starts && b == 0x80 {
            return false;
        }
        starts = b & 0x80 == 0;
    }
    true
}

/// OpenSSL's rule for an INTEGER (`c2i_ibuf`): not empty, and no padding
/// byte the next byte makes redundant (`00 0x` with x < 8, `FF 8x`; a
/// lone `FF` followed by zeros is the minimal form of −2^n).
fn integer_ok(content: &[u8]) -> bool {
    match content {
        [] => false,
        [_] => true,
        [0x00, second, ..] => second & 0x80 != 0,
        [0xff, second, rest @ ..] => {
            let pads = *second != 0 || rest.iter().any(|b| *b != 0);
            !(pads && second & 0x80 != 0)
        }
        _ => true,
    }
}

/// A BIT STRING's contents: the unused-bits byte (at most 7) first.
fn bit_string_ok(content: &[u8]) -> bool {
    matches!(content.first(), Some(unused) if *unused <= 7)
}

/// The children of a constructed element's contents.
fn elements(content: &[u8]) -> Result<Vec<Element<'_>>, String> {
    der::children(content)
        .collect::<Result<Vec<_>, _>>()
        .map_err(der_reason)
}

/// Appends an AlgorithmIdentifier as OpenSSL's `X509_ALGOR` re-encodes it:
/// DER headers for the SEQUENCE, the OID and a primitive parameter; a
/// constructed parameter (RSA-PSS) is an `ASN1_ANY` kept as received.
fn algorithm_der(alg: &Element<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    let parts = elements(alg.content)?;
    let mut inner = Vec::with_capacity(alg.content.len());
    match parts.as_slice() {
        [oid] | [oid, _] if oid.tag == 0x06 => {
            der::encode(oid.tag, oid.content, &mut inner);
            if let [_, param] = parts.as_slice() {
                if param.constructed() {
                    inner.extend_from_slice(param.raw);
                } else {
                    der::encode(param.tag, param.content, &mut inner);
                }
            }
        }
        _ => return Err(bad("malformed algorithm identifier")),
    }
    der::encode(SEQUENCE, &inner, out);
    Ok(())
}

/// Appends a BIT STRING as OpenSSL re-encodes it: DER header, the
/// unused-bits count kept, the unused bits of the last byte cleared.
fn bit_string_der(bits: &Element<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    if bits.constructed() {
        return Err(bad("constructed BIT STRING (not supported)"));
    }
    let mut content = bits.content.to_vec();
    match content.as_mut_slice() {
        [] => return Err(bad("empty BIT STRING")),
        [unused, .., last] if *unused <= 7 => *last &= 0xffu8 << *unused,
        [unused] if *unused == 0 => {}
        _ => return Err(bad("malformed BIT STRING")),
    }
    der::encode(BIT_STRING, &content, out);
    Ok(())
}

/// The SubjectPublicKeyInfo as `i2d_X509_PUBKEY` writes it (it re-encodes
/// the algorithm and the key BIT STRING).
fn spki_der(spki: &Element<'_>) -> Result<Vec<u8>, String> {
    let parts = elements(spki.content)?;
    let [alg, key] = parts.as_slice() else {
        return Err(bad("malformed public key"));
    };
    if alg.tag != SEQUENCE || key.tag != BIT_STRING {
        return Err(bad("malformed public key"));
    }
    let mut inner = Vec::with_capacity(spki.content.len());
    algorithm_der(alg, &mut inner)?;
    bit_string_der(key, &mut inner)?;
    let mut out = Vec::with_capacity(inner.len() + 4);
    der::encode(SEQUENCE, &inner, &mut out);
    Ok(out)
}

/// A name as one line, its first CN, and whether that CN was valid UTF-8.
fn read_name(element: &Element<'_>) -> Result<(String, Option<String>, bool), String> {
    check_name_strings(element)?;
    let normalized = der::normalize(element).map_err(der_reason)?;
    match X509Name::from_der(&normalized) {
        Ok((_, parsed)) => {
            let (cn, utf8) = match name::common_name(&parsed) {
                Some((cn, utf8)) => (Some(cn), utf8),
                None => (None, true),
            };
            Ok((name::format_name(&parsed), cn, utf8))
        }
        // OpenSSL reads names it cannot print too; the fingerprint matters more.
        Err(_) => Ok(("(unreadable name)".to_string(), None, true)),
    }
}

/// Refuses the name strings OpenSSL's decoder refuses (so Postfix never
/// sees such a certificate): a UTF8String that is not UTF-8, a BMPString of
/// odd length, a UniversalString whose length is not a multiple of 4.
fn check_name_strings(name: &Element<'_>) -> Result<(), String> {
    for rdn in elements(name.content)? {
        for attribute in elements(rdn.content)? {
            let Some(value) = elements(attribute.content)?.get(1).copied() else {
                continue;
            };
            let malformed = match value.tag {
                0x0c => std::str::from_utf8(value.content).is_err(),
                0x1e => value.content.len() % 2 != 0,
                0x1c => value.content.len() % 4 != 0,
                _ => false,
            };
            if malformed {
                return Err(bad(
                    "a name holds a malformed string, so OpenSSL (and Postfix) rejects it",
                ));
            }
        }
    }
    Ok(())
}

/// notBefore and notAfter, each `None` when malformed.
fn validity_dates(validity: &Element<'_>) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
    let Ok(times) = elements(validity.content) else {
        return (None, None);
    };
    match times.as_slice() {
        [a, b] if validity.tag == SEQUENCE => (parse_time(a), parse_time(b)),
        _ => (None, None),
    }
}

/// UTCTime `YYMMDDHHMM[SS](Z|±HHMM)` or GeneralizedTime
/// `YYYYMMDDHHMM[SS[.f…]](Z|±HHMM)`, the forms OpenSSL's `ASN1_TIME_to_tm` takes.
fn parse_time(element: &Element<'_>) -> Option<OffsetDateTime> {
    let text = std::str::from_utf8(element.content).ok()?;
    let (year, rest) = match element.tag {
        UTC_TIME => {
            let yy: i32 = digits(text.get(..2)?)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &text[2..])
        }
        GENERALIZED_TIME => (digits(text.get(..4)?)?, &text[4..]),
        _ => return None,
    };
    let month = Month::try_from(digits::<u8>(rest.get(..2)?)?).ok()?;
    let day: u8 = digits(rest.get(2..4)?)?;
    let hour: u8 = digits(rest.get(4..6)?)?;
    let minute: u8 = digits(rest.get(6..8)?)?;
    let mut rest = &rest[8..];
    let mut second = 0u8;
    if let Some(s) = rest.get(..2).and_then(digits::<u8>) {
        second = s;
        rest = &rest[2..];
        if element.tag == GENERALIZED_TIME
            && let Some(frac) = rest.strip_prefix('.')
        {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return None;
            }
            rest = &frac[n..];
        }
    }
    let offset = match rest.as_bytes() {
        [b'Z'] => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), ..] if rest.len() == 5 => {
            let h: i8 = digits(&rest[1..3])?;
            let m: i8 = digits(&rest[3..5])?;
            let s = if *sign == b'-' { -1 } else { 1 };
            UtcOffset::from_hms(s * h, s * m, 0).ok()?
        }
        _ => return None,
    };
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .to_offset(UtcOffset::UTC),
    )
}

fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(tag: u8, text: &str) -> Option<OffsetDateTime> {
        let mut raw = Vec::new();
        der::encode(tag, text.as_bytes(), &mut raw);
        parse_time(&der::read(&raw, 0).unwrap())
    }

    #[test]
    fn times_openssl_reads() {
        use time::macros::datetime;
        assert_eq!(
            time(UTC_TIME, "491231235959Z"),
            Some(datetime!(2049-12-31 23:59:59 UTC))
        );
        assert_eq!(
            time(UTC_TIME, "500101000000Z"),
            Some(datetime!(1950-01-01 0:00 UTC))
        );
        assert_eq!(
            time(UTC_TIME, "2001010000Z"),
            Some(datetime!(2020-01-01 0:00 UTC))
        );
        assert_eq!(
            time(UTC_TIME, "200101010000+0100"),
            Some(datetime!(2020-01-01 0:00 UTC))
        );
        assert_eq!(
            time(GENERALIZED_TIME, "20500101000000.5Z"),
            Some(datetime!(2050-01-01 0:00 UTC))
        );
        for bad in [
            "",
            "20013200000Z",
            "201301000000Z",
            "200101000000",
            "2001010000000Z",
            "20010100000xZ",
            "200230000000Z",
        ] {
            assert_eq!(time(UTC_TIME, bad), None, "{bad}");
        }
        assert_eq!(time(0x04, "200101000000Z"), None);
    }

    /// The value rules OpenSSL 3.0's decoder applies (found with the
    /// differential test in tests/hostile.rs, which needs openssl; these
    /// hold without it).
    #[test]
    fn value_rules_follow_openssl() {
        assert!(integer_ok(&[0x00]) && integer_ok(&[0xff]) && integer_ok(&[0x00, 0x80]));
        assert!(
            integer_ok(&[0xff, 0x7f]) && integer_ok(&[0xff, 0x00]) && integer_ok(&[0x01, 0x00])
        );
        assert!(!integer_ok(&[]) && !integer_ok(&[0x00, 0x7f]) && !integer_ok(&[0xff, 0x80]));
        assert!(oid_content_ok(&[0x55, 0x04, 0x03]) && oid_content_ok(&[0x2a, 0x86, 0x48]));
        assert!(!oid_content_ok(&[]) && !oid_content_ok(&[0x55, 0x84]));
        assert!(!oid_content_ok(&[0x80, 0x01]) && !oid_content_ok(&[0x2a, 0x80, 0x01]));
        assert!(bit_string_ok(&[0]) && bit_string_ok(&[7, 0x80]) && !bit_string_ok(&[8, 0]));
        assert!(!bit_string_ok(&[]));
        let any = |raw: &[u8]| any_ok(&der::read(raw, 0).unwrap());
        assert!(any(&[0x05, 0x00]) && any(&[0x80, 0x00]) && any(&[0x24, 0x00]));
        assert!(any(&[0x00, 0x01, 0x00]));
        assert!(!any(&[0x05, 0x01, 0x00]) && !any(&[0x00, 0x00]) && !any(&[0x01, 0x00]));
        assert!(!any(&[0x02, 0x00]) && !any(&[0x10, 0x00]) && !any(&[0x25, 0x00]));
    }

    /// Damage OpenSSL refuses is refused: an attribute value of a type
    /// X509_NAME does not take, an unterminated OID in the inner algorithm,
    /// a serial with a padding byte, data after the extensions.
    #[test]
    fn damaged_fixture_certificates_are_refused() {
        let good = include_bytes!("../../fixtures/rsa.der");
        let at = |offset: usize, byte: u8| {
            let mut v = good.to_vec();
            v[offset] = byte;
            v
        };
        // (rsa.der: serial at 8, inner algorithm OID 32..43, issuer O value tag at 56.)
        assert!(parse(good).is_ok());
        assert!(parse(&at(10, 0xff)).is_err(), "serial FF AE…");
        assert!(parse(&at(42, 0x8b)).is_err(), "unterminated OID");
        assert!(
            parse(&at(42, 0x0c)).is_ok(),
            "another algorithm: OpenSSL takes it"
        );
        assert!(
            parse(&at(56, 0x04)).is_err(),
            "OCTET STRING as a name value"
        );
        assert!(parse(&at(56, 0x13)).is_ok(), "PrintableString");
    }

    #[test]
    fn outer_fields_are_reencoded_as_der() {
        let der = include_bytes!("../../fixtures/rsa.der");
        let cert = parse(der).unwrap();
        assert_eq!(cert.der, der);
        // Re-frame every outer header with a non-minimal 4-byte length.
        let outer = der::read(der, 0).unwrap();
        let parts = elements(outer.content).unwrap();
        let mut body = parts[0].raw.to_vec();
        for part in &parts[1..] {
            let len = (part.content.len() as u32).to_be_bytes();
            body.push(part.tag);
            body.push(0x84);
            body.extend_from_slice(&len);
            body.extend_from_slice(part.content);
        }
        let mut ber = vec![0x30, 0x84];
        ber.extend_from_slice(&(body.len() as u32).to_be_bytes());
        ber.extend_from_slice(&body);
        assert_eq!(parse(&ber).unwrap().der, der);
    }
}
