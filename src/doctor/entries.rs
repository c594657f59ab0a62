//! The source entries: fingerprint length against the digest in use,
//! duplicates, lines postmap skips, and certificates close to expiry.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use time::OffsetDateTime;

use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::postfix::PostfixConfig;
use crate::source::SourceFile;
use crate::source::annotation::Annotation;

use super::{DigestUse, Doctor, Severity};

impl Doctor {
    pub(super) fn check_source(
        &mut self,
        cfg: &PostfixConfig,
        path: &Path,
        algorithms: &[(DigestAlgorithm, &DigestUse)],
    ) {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                self.push(
                    Severity::Error,
                    Some(path),
                    None,
                    None,
                    format!("cannot read the clientcerts source: {e}"),
                    Some(format!("check the permissions of {}", path.display())),
                );
                return;
            }
        };
        let file = SourceFile::parse(&bytes);
        let (records, problems) = file.records();
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
        let mut first_seen: HashMap<String, usize> = HashMap::new();
        // (index of the digest in use, fingerprint algorithm) → lines of
        // entries that digest can never match.
        let mut mismatched: BTreeMap<(usize, DigestAlgorithm), Vec<usize>> = BTreeMap::new();
        let now = OffsetDateTime::now_utc();
        for r in &records {
            let key = String::from_utf8_lossy(&r.key).to_ascii_lowercase();
            if let Some(first) = first_seen.get(&key) {
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
                continue;
            }
            first_seen.insert(key.clone(), r.line);
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
                continue;
            };
            for (i, (a, _)) in algorithms.iter().enumerate() {
                if *a != fp.algorithm {
                    mismatched
                        .entry((i, fp.algorithm))
                        .or_default()
                        .push(r.line);
                }
            }
            if r.lines.start > 0
                && let Some(a) = Annotation::parse(file.line(r.lines.start - 1))
                && a.describes(&r.key)
            {
                self.check_expiry(path, r.line, &key, &a, now);
            }
        }
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
