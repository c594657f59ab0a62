//! The source entries: fingerprint length against the digest in use,
//! duplicates, lines postmap skips, and certificates close to expiry.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use time::OffsetDateTime;

use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::postfix::PostfixConfig;
use crate::source::SourceFile;
use crate::source::annotation::Annotation;

use super::{DigestUse, Doctor, Finding, Severity};

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
                self.add(
                    Finding::error(format!("cannot read the clientcerts source: {e}"))
                        .file(path)
                        .fix(format!("check the permissions of {}", path.display())),
                );
                return;
            }
        };
        let file = SourceFile::parse(&bytes);
        let (records, problems) = file.records();
        for p in problems {
            let skips = p.skips_line();
            self.add(Finding::new(if skips {
                    Severity::Error
                } else {
                    Severity::Warning
                }, if skips {
                    format!("postmap skips this line: {}", p.message)
                } else {
                    format!("postmap warns: {}", p.message)
                }).file(path).at(p.line).fix(
                    "write entries as `<fingerprint> <name>` on one line (a value is required), or delete the line"
                        .to_string(),
                ));
        }
        let mut first_seen: HashMap<String, usize> = HashMap::new();
        // (index of the digest in use, fingerprint algorithm) → lines of
        // entries that digest can never match.
        let mut mismatched: BTreeMap<(usize, DigestAlgorithm), Vec<usize>> = BTreeMap::new();
        let now = OffsetDateTime::now_utc();
        if records.is_empty() {
            self.add(
                Finding::warning("the clientcerts source has no entries: no client can relay with a certificate yet")
                    .file(path)
                    .fix("ccert add HOST.pem --name HOST"),
            );
        }
        let rpk = cfg.rpk_enabled();
        // Entries without a ccert comment: under RPK, their kind is unknown.
        let mut unannotated = Vec::new();
        for r in &records {
            let key = String::from_utf8_lossy(&r.key).to_ascii_lowercase();
            if let Some(first) = first_seen.get(&key) {
                self.add(Finding::warning(format!(
                        "duplicate key {key} (first at line {first}): postmap keeps the first value and warns"
                    )).file(path).at(r.line).fix(format!("delete line {} or line {first}", r.line)));
                continue;
            }
            first_seen.insert(key.clone(), r.line);
            let Some(fp) = Fingerprint::parse(&key) else {
                self.add(Finding::error(format!(
                        "key {key:?} is not a fingerprint (hex byte pairs joined by ':'): smtpd never looks it up"
                    )).file(path).at(r.line).fix("replace it with the output of: ccert fingerprint --format map HOST.pem".to_string()));
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
                if rpk && a.pubkey == Some(false) {
                    self.add(
                        Finding::error(
                            "smtpd_tls_enable_rpk = yes, but this entry is a certificate fingerprint: a client that sends a raw public key never matches it (Postfix logs \"Fragile access policy\" when one does)"
                        )
                        .file(path)
                        .at(r.line)
                        .fix("ccert rehash --pubkey"),
                    );
                }
                continue;
            }
            unannotated.push(r.line);
        }
        if rpk && !unannotated.is_empty() {
            let shown: Vec<String> = unannotated.iter().take(10).map(|l| l.to_string()).collect();
            self.add(
                Finding::note(format!(
                    "smtpd_tls_enable_rpk = yes: {} entr(ies) without a ccert comment (line {}{}) may be certificate fingerprints, which raw-public-key clients never match",
                    unannotated.len(),
                    shown.join(", "),
                    if unannotated.len() > 10 { ", …" } else { "" }
                ))
                .file(path)
                .at(unannotated[0])
                .fix("compare with `ccert fingerprint --pubkey CLIENT.pem`; `ccert rehash --pubkey` rewrites entries ccert added"),
            );
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
            if usage.default && cfg.release().digest_follows_level() {
                let level = cfg.get("compatibility_level").unwrap_or_default();
                message.push_str(&format!(
                    " (the digest is Postfix's default, which is md5 below compatibility_level 3.6 and sha256 from 3.6; here compatibility_level = {level})"
                ));
            } else if usage.default {
                message.push_str(&format!(
                    " (the digest is the default of Postfix {}, md5 whatever compatibility_level says)",
                    cfg.release()
                ));
            }
            self.add(Finding::error(message).file(path).line(lines.first().copied()).fix(format!(
                    "ccert rehash --digest {want}   (re-fingerprints the entries; needs the certificates ccert keeps)\nor keep the entries and add to main.cf: smtpd_tls_fingerprint_digest = {alg}"
                )));
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
            self.add(
                Finding::error(format!(
                    "the certificate of this entry ({who}) expired on {date}"
                ))
                .file(path)
                .at(line)
                .fix(fix),
            );
        } else if not_after - now <= time::Duration::days(30) {
            let days = (not_after - now).whole_days();
            self.add(
                Finding::warning(format!(
                    "the certificate of this entry ({who}) expires on {date}, in {days} day(s)"
                ))
                .file(path)
                .at(line)
                .fix(fix),
            );
        }
    }
}
