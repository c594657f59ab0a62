//! The source entries: fingerprint length against the digest in use,
//! duplicates, lines postmap skips, and certificates close to expiry.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::Path;

use time::OffsetDateTime;

use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::postfix::PostfixConfig;
use crate::source::annotation::Annotation;
use crate::source::repeated::RepeatedKeys;
use crate::source::{CommentsAbove, Item, Record, RecordReader};

use super::{DigestUse, Doctor, Severity};

impl Doctor {
    pub(super) fn check_source(
        &mut self,
        cfg: &PostfixConfig,
        path: &Path,
        algorithms: &[(DigestAlgorithm, &DigestUse)],
    ) {
        // Streamed twice (duplicate keys, then the checks) so memory stays
        // small on a million-entry source.
        let cannot_read = |doctor: &mut Self, e: std::io::Error| {
            doctor.push(
                Severity::Error,
                Some(path),
                None,
                None,
                format!("cannot read the clientcerts source: {e}"),
                Some(format!("check the permissions of {}", path.display())),
            );
        };
        let open = || {
            std::fs::File::open(path)
                .map(|f| RecordReader::new(BufReader::with_capacity(1 << 16, f)).with_comments())
        };
        let mut read_error = None;
        let repeated = open().map(|reader| {
            RepeatedKeys::from_keys(
                reader
                    .map_while(|item| item.map_err(|e| read_error = Some(e)).ok())
                    .filter_map(|item| match item {
                        // As the check below compares keys.
                        Item::Record(r) => Some(
                            String::from_utf8_lossy(&r.key)
                                .to_ascii_lowercase()
                                .into_bytes(),
                        ),
                        _ => None,
                    }),
            )
        });
        let (mut repeated, reader) = match (repeated, read_error, open()) {
            (Ok(repeated), None, Ok(reader)) => (repeated, reader),
            (Err(e), ..) | (_, Some(e), _) | (_, _, Err(e)) => return cannot_read(self, e),
        };
        // Findings on skipped lines come before those on entries.
        let first_finding = self.findings.len();
        let mut problems = Vec::new();
        let mut mismatched: BTreeMap<(usize, DigestAlgorithm), Vec<usize>> = BTreeMap::new();
        let now = OffsetDateTime::now_utc();
        let mut comments = CommentsAbove::default();
        for item in reader {
            let r = match item {
                Err(e) => return cannot_read(self, e),
                Ok(Item::Problem(p)) => {
                    problems.push(p);
                    continue;
                }
                Ok(Item::Comment(index, text)) => {
                    comments.note(index, text);
                    continue;
                }
                Ok(Item::Record(r)) => r,
            };
            let above = comments.above(r.lines.start);
            self.check_entry(
                path,
                &r,
                above.as_deref(),
                &mut repeated,
                algorithms,
                &mut mismatched,
                now,
            );
        }
        let entry_findings = self.findings.len() - first_finding;
        for p in problems {
            let skips = p.skips_line();
            self.push(
                if skips {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                Some(path),
                Some(p.line),
                None,
                if skips {
                    format!("postmap skips this line: {}", p.message)
                } else {
                    format!("postmap warns: {}", p.message)
                },
                Some(
                    "write entries as `<fingerprint> <name>` on one line (a value is required), or delete the line"
                        .to_string(),
                ),
            );
        }
        self.findings[first_finding..].rotate_left(entry_findings);
        for ((i, alg), lines) in mismatched {
            let (want, usage) = algorithms[i];
            let shown: Vec<String> = lines.iter().take(10).map(|l| l.to_string()).collect();
            let more = if lines.len() > 10 { ", …" } else { "" };
            let mut message = format!(
                "{} {} fingerprint(s) ({} bytes; line {}{more}) but smtpd_tls_fingerprint_digest is {} for {}: these entries never match",
                lines.len(),
                alg,
                alg.len(),
                shown.join(", "),
                want,
                usage.services.join(", ")
            );
            if usage.default {
                let level = cfg.get("compatibility_level").unwrap_or_default();
                message.push_str(&format!(
                    " (the digest is Postfix's default, which is md5 below compatibility_level 3.6 and sha256 from 3.6; here compatibility_level = {level})"
                ));
            }
            self.push(
                Severity::Error,
                Some(path),
                lines.first().copied(),
                None,
                message,
                Some(format!(
                    "ccert rehash --digest {want}   (re-fingerprints the entries; needs the certificates ccert keeps)\nor keep the entries and add to main.cf: smtpd_tls_fingerprint_digest = {alg}"
                )),
            );
        }
    }

    /// Checks one entry of the source: duplicate, fingerprint form, digest
    /// against the one in use, and the expiry ccert's comment `above` it
    /// records.
    #[allow(clippy::too_many_arguments)]
    fn check_entry(
        &mut self,
        path: &Path,
        r: &Record,
        above: Option<&[u8]>,
        repeated: &mut RepeatedKeys,
        algorithms: &[(DigestAlgorithm, &DigestUse)],
        mismatched: &mut BTreeMap<(usize, DigestAlgorithm), Vec<usize>>,
        now: OffsetDateTime,
    ) {
        let key = String::from_utf8_lossy(&r.key).to_ascii_lowercase();
        let first = repeated.first_line(key.as_bytes(), r.line);
        if first != r.line {
            self.push(
                Severity::Warning,
                Some(path),
                Some(r.line),
                None,
                format!(
                    "duplicate key {key} (first at line {first}): postmap keeps the first value and warns"
                ),
                Some(format!("delete line {} or line {first}", r.line)),
            );
            return;
        }
        let Some(fp) = Fingerprint::parse(&key) else {
            self.push(
                Severity::Error,
                Some(path),
                Some(r.line),
                None,
                format!(
                    "key {key:?} is not a fingerprint (hex byte pairs joined by ':'): smtpd never looks it up"
                ),
                Some("replace it with the output of: ccert fingerprint --format map HOST.pem".to_string()),
            );
            return;
        };
        for (i, (a, _)) in algorithms.iter().enumerate() {
            if *a != fp.algorithm {
                mismatched
                    .entry((i, fp.algorithm))
                    .or_default()
                    .push(r.line);
            }
        }
        if let Some(a) = above.and_then(Annotation::parse)
            && a.describes(&r.key)
        {
            self.check_expiry(path, r.line, &key, &a, now);
        }
    }

    pub(super) fn check_expiry(
        &mut self,
        path: &Path,
        line: usize,
        key: &str,
        a: &Annotation,
        now: OffsetDateTime,
    ) {
        let Some(not_after) = a.not_after else {
            return;
        };
        let who = a.subject.clone().unwrap_or_else(|| key.to_string());
        let date = not_after.date();
        let fix = format!(
            "issue or obtain a new certificate, `ccert add NEW.pem`, then `ccert remove --fingerprint {key}`"
        );
        if not_after <= now {
            self.push(
                Severity::Error,
                Some(path),
                Some(line),
                None,
                format!("the certificate of this entry ({who}) expired on {date}"),
                Some(fix),
            );
        } else if not_after - now <= time::Duration::days(30) {
            let days = (not_after - now).whole_days();
            self.push(
                Severity::Warning,
                Some(path),
                Some(line),
                None,
                format!(
                    "the certificate of this entry ({who}) expires on {date}, in {days} day(s)"
                ),
                Some(fix),
            );
        }
    }
}
