//! Distinguished names as one readable line.
//!
//! The form is RFC 4514's, as `openssl x509 -subject -nameopt
//! RFC2253,-esc_msb,sep_comma_plus_space,sname` prints it: last RDN first, so
//! usually the commonName leads — `CN=host.example, O=Example, C=DE`. Attribute types get their usual short
//! names; unknown ones their dotted OID. Special characters are escaped with
//! `\`, control characters as `\XX`, so a name is always one line.

use x509_parser::asn1_rs::Any;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// Short names of the attribute types seen in certificate names.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.4", "SN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "street"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.12", "title"),
    ("2.5.4.15", "businessCategory"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.41", "name"),
    ("2.5.4.42", "GN"),
    ("2.5.4.43", "initials"),
    ("2.5.4.46", "dnQualifier"),
    ("2.5.4.65", "pseudonym"),
    ("2.5.4.97", "organizationIdentifier"),
    ("1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"),
    ("1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"),
    ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
];

/// The OID of commonName.
const CN_OID: &str = "2.5.4.3";

/// Formats a name on one line, most specific attribute first.
pub fn format_name(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(format_attribute)
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    let mut rdns = rdns;
    rdns.reverse();
    rdns.join(", ")
}

/// The first commonName of a name (in encoding order), as text, and
/// whether it was well-formed (UTF-8 where the string type says so);
/// malformed bytes become U+FFFD.
pub fn common_name(name: &X509Name<'_>) -> Option<(String, bool)> {
    name.iter_attributes()
        .find(|a| a.attr_type().to_id_string() == CN_OID)
        .map(|a| {
            let value = a.attr_value();
            let utf8 = !matches!(value.header.tag().0, 12 | 18 | 19 | 22 | 26)
                || std::str::from_utf8(value.data).is_ok();
            let text = decode_string(value).unwrap_or_else(|| hex(value.data));
            (text, utf8)
        })
}

/// The one terminal-safe text function lives in [`crate::text`]; these
/// names stay for the callers that import them from here.
pub use crate::text::{is_unsafe_char, terminal_safe};

fn format_attribute(attr: &AttributeTypeAndValue<'_>) -> String {
    let oid = attr.attr_type().to_id_string();
    let key = SHORT_NAMES
        .iter()
        .find(|(o, _)| *o == oid)
        .map_or(oid.as_str(), |(_, short)| short);
    let value = match decode_string(attr.attr_value()) {
        Some(text) => escape(&text),
        // Not a string type: RFC 4514's `#` + hex form (of the content octets).
        None => format!("#{}", hex(attr.attr_value().data)),
    };
    format!("{key}={value}")
}

/// Decodes the ASN.1 string types used in names; `None` for other types.
fn decode_string(value: &Any<'_>) -> Option<String> {
    if value.header.class() != x509_parser::asn1_rs::Class::Universal {
        return None;
    }
    let data = value.data;
    match value.header.tag().0 {
        // UTF8String, NumericString, PrintableString, IA5String, VisibleString
        12 | 18 | 19 | 22 | 26 => Some(String::from_utf8_lossy(data).into_owned()),
        // TeletexString: in practice Latin-1.
        20 => Some(data.iter().map(|b| char::from(*b)).collect()),
        // BMPString: UTF-16BE
        30 => {
            let units: Vec<u16> = data
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        // UniversalString: UTF-32BE
        28 => Some(
            data.chunks(4)
                .map(|c| {
                    let mut b = [0u8; 4];
                    b[..c.len()].copy_from_slice(c);
                    char::from_u32(u32::from_be_bytes(b)).unwrap_or('\u{fffd}')
                })
                .collect(),
        ),
        _ => None,
    }
}

/// RFC 4514 escaping, plus `\XX` for control characters so the name stays on one line.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let last = text.chars().count().saturating_sub(1);
    for (i, c) in text.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            c if is_unsafe_char(c) => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_specials_and_controls() {
        assert_eq!(escape("a,b+c"), "a\\,b\\+c");
        assert_eq!(escape("#x "), "\\#x\\ ");
        assert_eq!(escape(" x"), "\\ x");
        assert_eq!(escape("line\nbreak"), "line\\0Abreak");
        assert_eq!(escape("Zürich"), "Zürich");
        assert_eq!(escape(""), "");
        assert_eq!(escape("a\u{202E}b"), "a\\E2\\80\\AEb");
    }
}
