//! The comment line `ccert add` writes before each entry, and its parser.
//!
//! ```text
//! # ccert: added=2026-11-23 digest=sha256 type=cert fp=AB:CD:EF:01 notAfter=2031-01-01T00:00:00Z subject=CN=host.example, O=Example
//! AB:CD:EF:01:… host
//! ```
//!
//! The comment is an ordinary postmap comment. It belongs to the entry on the
//! very next line, and only when its `fp=` prefix matches that entry's key, so
//! an admin editing around it (inserting, deleting or moving lines) can never
//! make ccert attribute it to another entry. Unknown `name=value` fields are
//! ignored; `subject=` is last and takes the rest of the line.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::cert::{DigestAlgorithm, Fingerprint};

/// The marker that starts a ccert comment (after `#` and blanks).
pub const MARKER: &str = "ccert:";

/// The most characters of a subject the comment records (a real subject
/// is a few hundred; a hostile one can be megabytes, and the comment must
/// stay a line ccert reads back).
pub const MAX_SUBJECT_CHARS: usize = 1024;

/// What ends a subject cut at [`MAX_SUBJECT_CHARS`].
pub const SUBJECT_CUT: &str = "…(cut)";

/// How many fingerprint bytes the `fp=` field records.
const FP_PREFIX_BYTES: usize = 4;

/// `name` as one `name=` field: `%`, spaces and control characters as
/// `%XX`, so the field ends at the next space and the comment stays one line.
fn encode_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c == '%' || c == ' ' || c.is_control() {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The name [`encode_name`] wrote; `None` when it is not valid.
fn decode_name(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// `2026-11-23`.
fn day(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// What ccert recorded about an entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Annotation {
    /// The day the entry was added (UTC).
    pub added: Option<Date>,
    /// The digest of the fingerprint.
    pub digest: Option<DigestAlgorithm>,
    /// Whether it is a public-key fingerprint.
    pub pubkey: Option<bool>,
    /// The first bytes of the fingerprint (`AB:CD:EF:01`), tying the comment to its entry.
    pub fp_prefix: Option<String>,
    /// The certificate's notAfter.
    pub not_after: Option<OffsetDateTime>,
    /// The certificate's subject.
    pub subject: Option<String>,
    /// Added from a fingerprint alone (`ccert add --fingerprint`, `ccert log
    /// --approve`): no certificate was seen, so the entry cannot be re-fingerprinted.
    pub by_fingerprint: bool,
    /// The client's name, recorded when the entry's value is an access(5)
    /// action instead (a check_ccert_access table says `OK`, not who).
    pub name: Option<String>,
    /// The entry this one succeeds in a rotation (`ccert rotate`): the
    /// predecessor's whole fingerprint (`replaces=`). The predecessor's own
    /// lines are never touched, so a hand-written entry can be rotated and
    /// an older ccert still reads both entries as ordinary ones.
    pub replaces: Option<Fingerprint>,
    /// The last day (UTC) of the rotation's overlap (`until=`): from the
    /// day after, `ccert prune` retires the predecessor even when the mail
    /// log never showed this entry in use.
    pub until: Option<Date>,
}

impl Annotation {
    /// The annotation for a new entry.
    pub fn new(
        fingerprint: &Fingerprint,
        pubkey: bool,
        not_after: Option<OffsetDateTime>,
        subject: &str,
        added: Date,
    ) -> Self {
        let text = fingerprint.to_string();
        let prefix: String = text.chars().take(FP_PREFIX_BYTES * 3 - 1).collect();
        Self {
            added: Some(added),
            digest: Some(fingerprint.algorithm),
            pubkey: Some(pubkey),
            fp_prefix: Some(prefix),
            not_after,
            subject: Some(subject.to_string()),
            by_fingerprint: false,
            name: None,
            replaces: None,
            until: None,
        }
    }

    /// The annotation for a new entry of `cert` (its notAfter and subject).
    pub fn for_certificate(
        cert: &crate::cert::Certificate,
        fingerprint: &Fingerprint,
        pubkey: bool,
        added: Date,
    ) -> Self {
        Self::new(fingerprint, pubkey, cert.not_after, &cert.subject, added)
    }

    /// The annotation for an entry added from a fingerprint alone: no
    /// certificate dates; `subject` when known (from the mail log).
    pub fn for_fingerprint(
        fingerprint: &Fingerprint,
        pubkey: bool,
        subject: Option<&str>,
        added: Date,
    ) -> Self {
        let text = fingerprint.to_string();
        Self {
            added: Some(added),
            digest: Some(fingerprint.algorithm),
            pubkey: Some(pubkey),
            fp_prefix: Some(text.chars().take(FP_PREFIX_BYTES * 3 - 1).collect()),
            not_after: None,
            subject: subject.map(str::to_string),
            by_fingerprint: true,
            name: None,
            replaces: None,
            until: None,
        }
    }

    /// The comment line (without line ending).
    pub fn to_line(&self) -> String {
        let mut out = format!("# {MARKER}");
        if let Some(d) = self.added {
            out.push_str(&format!(" added={}", day(d)));
        }
        if let Some(d) = self.digest {
            out.push_str(&format!(" digest={d}"));
        }
        if let Some(p) = self.pubkey {
            out.push_str(if p { " type=pubkey" } else { " type=cert" });
        }
        if let Some(fp) = &self.fp_prefix {
            out.push_str(&format!(" fp={fp}"));
        }
        if self.by_fingerprint {
            out.push_str(" from=fingerprint");
        }
        if let Some(name) = &self.name {
            out.push_str(&format!(" name={}", encode_name(name)));
        }
        if let Some(fp) = &self.replaces {
            out.push_str(&format!(" replaces={fp}"));
        }
        if let Some(d) = self.until {
            out.push_str(&format!(" until={}", day(d)));
        }
        if let Some(t) = self.not_after
            && let Ok(s) = t.to_offset(time::UtcOffset::UTC).format(&Rfc3339)
        {
            out.push_str(&format!(" notAfter={s}"));
        }
        if let Some(s) = &self.subject {
            // One line, printable: control characters would end the comment.
            // A subject can be megabytes long; the comment keeps its start.
            let mut clean: String = s
                .chars()
                .take(MAX_SUBJECT_CHARS)
                .map(|c| if c.is_control() { '?' } else { c })
                .collect();
            if s.chars().nth(MAX_SUBJECT_CHARS).is_some() {
                clean.push_str(SUBJECT_CUT);
            }
            out.push_str(&format!(" subject={clean}"));
        }
        out
    }

    /// Parses a physical line; `None` unless it is a ccert comment.
    pub fn parse(line: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(line).ok()?;
        let rest = text.trim_start().strip_prefix('#')?.trim_start();
        let mut rest = rest.strip_prefix(MARKER)?.trim_end();
        let mut out = Self::default();
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            if let Some(subject) = rest.strip_prefix("subject=") {
                out.subject = Some(subject.to_string());
                break;
            }
            let (field, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            rest = tail;
            let Some((name, value)) = field.split_once('=') else {
                continue;
            };
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            match name {
                "added" => out.added = Date::parse(value, &fmt).ok(),
                "replaces" => out.replaces = Fingerprint::parse(value),
                "until" => out.until = Date::parse(value, &fmt).ok(),
                "digest" => out.digest = value.parse().ok(),
                "type" => out.pubkey = Some(value == "pubkey"),
                "fp" => out.fp_prefix = Some(value.to_string()),
                "from" => out.by_fingerprint = value == "fingerprint",
                "notAfter" => out.not_after = OffsetDateTime::parse(value, &Rfc3339).ok(),
                "name" => out.name = decode_name(value),
                _ => {}
            }
        }
        Some(out)
    }

    /// Whether this annotation can describe the entry with `key`: its `fp=`
    /// prefix (when recorded) starts the key, ignoring case, and its digest
    /// (when recorded) matches the key's fingerprint length.
    pub fn describes(&self, key: &[u8]) -> bool {
        let key = String::from_utf8_lossy(key).to_ascii_lowercase();
        let prefix_ok = self
            .fp_prefix
            .as_ref()
            .is_none_or(|p| key.starts_with(&p.to_ascii_lowercase()));
        let digest_ok = self
            .digest
            .is_none_or(|d| Fingerprint::parse(&key).map(|f| f.algorithm) == Some(d));
        prefix_ok && digest_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_spaces_and_percent_round_trips() {
        let a = Annotation {
            name: Some("Jo's laptop 100%".into()),
            subject: Some("CN=x".into()),
            ..Default::default()
        };
        let line = a.to_line();
        assert!(
            line.contains(" name=Jo's%20laptop%20100%25 subject=CN=x"),
            "{line}"
        );
        assert_eq!(Annotation::parse(line.as_bytes()).unwrap().name, a.name);
    }

    /// A successor's fields round-trip, and an older comment (without
    /// them) still reads as before: the fields are only ever added.
    #[test]
    fn a_rotation_round_trips_and_older_comments_still_read() {
        let old = Fingerprint::compute(DigestAlgorithm::Sha256, b"old");
        let new = Fingerprint::compute(DigestAlgorithm::Sha256, b"new");
        let mut a = Annotation::new(
            &new,
            false,
            None,
            "CN=ws",
            time::macros::date!(2026 - 12 - 07),
        );
        a.replaces = Some(old.clone());
        a.until = Some(time::macros::date!(2027 - 01 - 06));
        let line = a.to_line();
        assert!(
            line.contains(&format!(" replaces={old} until=2027-01-06 subject=CN=ws")),
            "{line}"
        );
        assert_eq!(Annotation::parse(line.as_bytes()), Some(a));
        let older = Annotation::parse(
            b"# ccert: added=2026-11-23 digest=sha256 type=cert fp=AB:CD:EF:01 subject=CN=x",
        )
        .unwrap();
        assert_eq!((older.replaces, older.until), (None, None));
    }

    #[test]
    fn round_trips() {
        let fp = Fingerprint::compute(DigestAlgorithm::Sha256, b"x");
        let a = Annotation::new(
            &fp,
            false,
            Some(time::macros::datetime!(2031-01-01 00:00 UTC)),
            "CN=host.example, O=Example Inc",
            time::macros::date!(2026 - 11 - 23),
        );
        let line = a.to_line();
        assert!(line.starts_with("# ccert: added=2026-11-23 digest=sha256 type=cert fp="));
        assert!(
            line.contains(" notAfter=2031-01-01T00:00:00Z subject=CN=host.example, O=Example Inc")
        );
        assert_eq!(Annotation::parse(line.as_bytes()), Some(a.clone()));
        assert!(a.describes(fp.to_map_key().as_bytes()));
        assert!(a.describes(fp.to_string().as_bytes()));
        let other = Fingerprint::compute(DigestAlgorithm::Sha256, b"y");
        assert!(!a.describes(other.to_string().as_bytes()));
        assert_eq!(Annotation::parse(b"# plain comment"), None);
        assert!(Annotation::parse(b"  #ccert: junk x=1 notAfter=bad\r").is_some());

        let by_fp = Annotation::for_fingerprint(&fp, true, Some("CN=laptop"), a.added.unwrap());
        let line = by_fp.to_line();
        assert!(line.contains(" type=pubkey fp="), "{line}");
        assert!(
            line.contains(" from=fingerprint subject=CN=laptop"),
            "{line}"
        );
        assert_eq!(Annotation::parse(line.as_bytes()), Some(by_fp));
    }
}
