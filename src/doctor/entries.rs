//! The source entries: fingerprint length against the digest in use,
//! duplicates, lines postmap skips, and certificates close to expiry.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::Path;

use time::OffsetDateTime;

use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::maps::prepare::fold_key;
use crate::postfix::PostfixConfig;
use crate::source::annotation::Annotation;
use crate::source::repeated::RepeatedKeys;
use crate::source::{CommentsAbove, Item, RecordReader};

use super::{DigestUse, Doctor, Finding, Origin, Severity};

/// How many line numbers a finding about many entries names.
const SHOWN_LINES: usize = 10;

/// Entries a finding is about: how many, and the first few lines.
#[derive(Debug, Default)]
struct Lines {
    count: usize,
    first: Vec<usize>,
}

impl Lines {
    fn push(&mut self, line: usize) {
        self.count += 1;
        if self.first.len() < SHOWN_LINES {
            self.first.push(line);
        }
    }

    /// `12, 40, 41, …`
    fn shown(&self) -> String {
        let shown: Vec<String> = self.first.iter().map(|l| l.to_string()).collect();
        let more = if self.count > SHOWN_LINES {
            ", …"
        } else {
            ""
        };
        format!("{}{more}", shown.join(", "))
    }
}

impl Doctor {
    /// Audits the entries of one source. The source is streamed twice (the
    /// first pass finds the keys that repeat, see [`RepeatedKeys`]), so a
    /// million-entry source costs a few megabytes.
    pub(super) fn check_source(
        &mut self,
        cfg: &PostfixConfig,
        path: &Path,
        algorithms: &[(DigestAlgorithm, &DigestUse)],
    ) {
        let cannot_read = |e: std::io::Error| {
            Finding::error(format!(
                "cannot read the clientcerts source: {}",
                crate::report::describe_io(&e)
            ))
            .file(path)
            .fix(format!("check the permissions of {}", path.display()))
        };
        let open = || {
            crate::fsutil::open_regular(path)
                .map(|f| RecordReader::new(BufReader::with_capacity(1 << 16, f)).with_comments())
        };
        let mut records = 0usize;
        let mut first_pass = match open() {
            Ok(reader) => reader,
            Err(e) => return self.add(cannot_read(e)),
        };
        let mut read_error = None;
        let mut repeated = RepeatedKeys::from_keys(
            first_pass
                .by_ref()
                .map_while(|item| item.map_err(|e| read_error = Some(e)).ok())
                .filter_map(|item| match item {
                    Item::Record(r) => Some(fold_key(&r.key)),
                    _ => None,
                })
                .inspect(|_| records += 1),
        );
        if let Some(e) = read_error {
            return self.add(cannot_read(e));
        }
        let entries = match open() {
            Ok(reader) => reader,
            Err(e) => return self.add(cannot_read(e)),
        };
        // Findings keep the order of the whole-file audit: skipped lines,
        // then an empty source, then each entry's, then the summaries.
        let mut problems = Vec::new();
        let mut per_entry = Vec::new();
        let mut comments = CommentsAbove::default();
        // (index of the digest in use, fingerprint algorithm) → entries
        // that digest can never match.
        let mut mismatched: BTreeMap<(usize, DigestAlgorithm), Lines> = BTreeMap::new();
        let now = OffsetDateTime::now_utc();
        let rpk = cfg.rpk_enabled();
        // Entries without a ccert comment: under RPK, their kind is unknown.
        let mut unannotated = Lines::default();
        for item in entries {
            let r = match item {
                Ok(Item::Record(r)) => r,
                Ok(Item::Comment(index, text)) => {
                    comments.note(index, text);
                    continue;
                }
                Ok(Item::Problem(p)) => {
                    let skips = p.skips_line();
                    problems.push(Finding::new(if skips {
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
                    continue;
                }
                Err(e) => return self.add(cannot_read(e)),
            };
            let key = String::from_utf8_lossy(&r.key).to_ascii_lowercase();
            let first = repeated.first_line(&fold_key(&r.key), r.line);
            let above = comments.above(r.lines.start);
            if first != r.line {
                per_entry.push(Finding::warning(format!(
                        "duplicate key {key} (first at line {first}): postmap keeps the first value and warns"
                    )).file(path).at(r.line).fix(format!("delete line {} or line {first}", r.line)));
                continue;
            }
            let Some(fp) = Fingerprint::parse(&key) else {
                per_entry.push(Finding::error(format!(
                        "key {key:?} is not a fingerprint (hex byte pairs joined by ':'): smtpd never looks it up"
                    )).file(path).at(r.line).fix("replace it with the output of: ccert fingerprint --format map HOST.pem".to_string()));
                continue;
            };
            self.entry_digests.insert(fp.algorithm);
            for (i, (a, _)) in algorithms.iter().enumerate() {
                if *a != fp.algorithm {
                    mismatched
                        .entry((i, fp.algorithm))
                        .or_default()
                        .push(r.line);
                }
            }
            if let Some(a) = above
                .and_then(|text| Annotation::parse(&text))
                .filter(|a| a.describes(&r.key))
            {
                // A deny entry (`REJECT …`, written by `ccert revoke`)
                // refuses its certificate: its expiry changes nothing.
                let refuses = super::relay::action(&String::from_utf8_lossy(&r.value))
                    == super::relay::Action::Refuse;
                // The client's name: the value, or for an access action the
                // name ccert's comment keeps.
                let name = a
                    .name
                    .clone()
                    .unwrap_or_else(|| String::from_utf8_lossy(&r.value).into_owned());
                if let Some(finding) =
                    expiry(path, r.line, &key, &name, &a, now).filter(|_| !refuses)
                {
                    per_entry.push(finding);
                }
                if rpk && a.pubkey == Some(false) {
                    per_entry.push(
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
        for finding in problems {
            self.add(finding);
        }
        // An empty deny table is the normal state: nothing revoked yet.
        let deny = path
            .file_name()
            .is_some_and(|n| n == crate::revocation::DENY_TABLE);
        if records == 0 && !deny {
            self.add(
                Finding::warning("the clientcerts source has no entries yet (a fresh setup): add the first client")
                    .file(path)
                    .fix("ccert add HOST.pem --name HOST"),
            );
        }
        for finding in per_entry {
            self.add(finding);
        }
        if rpk && unannotated.count > 0 {
            self.add(
                Finding::note(format!(
                    "smtpd_tls_enable_rpk = yes: {} entr(ies) without a ccert comment (line {}) may be certificate fingerprints, which raw-public-key clients never match",
                    unannotated.count,
                    unannotated.shown(),
                ))
                .file(path)
                .at(unannotated.first[0])
                .fix("compare with `ccert fingerprint --pubkey CLIENT.pem`; `ccert rehash --pubkey` rewrites entries ccert added"),
            );
        }
        for ((i, alg), lines) in mismatched {
            let (want, usage) = algorithms[i];
            let mut message = format!(
                "{} {} fingerprint(s) ({} bytes; line {}) but smtpd_tls_fingerprint_digest is {} for {}: these entries never match",
                lines.count,
                alg,
                alg.len(),
                lines.shown(),
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
            let rehash = format!(
                "ccert --map {} rehash --digest {want}   (re-fingerprints the entries; needs the certificates ccert keeps)",
                path.display()
            );
            let keep = digest_fix(cfg, usage, alg);
            // Rehashing would break the services that match these entries
            // today: then the digest moves, not the entries.
            let other_uses_alg = algorithms
                .iter()
                .any(|(a, u)| *a == alg && !std::ptr::eq(*u, usage));
            let fix = if other_uses_alg {
                format!("{keep}\nor {rehash}")
            } else {
                format!("{rehash}\nor keep the entries: {keep}")
            };
            self.add(
                Finding::error(message)
                    .file(path)
                    .line(lines.first.first().copied())
                    .fix(fix),
            );
        }
    }
}

/// The settings that make the services of `usage` use `alg`, each where
/// their digest is decided: a per-service `-o` override wins over main.cf,
/// so a main.cf line alone would not do.
fn digest_fix(cfg: &PostfixConfig, usage: &DigestUse, alg: DigestAlgorithm) -> String {
    let mut lines: Vec<String> = Vec::new();
    for (service, origin, _) in &usage.origins {
        let line = match (origin, service) {
            (Origin::Override { service, .. }, _) => format!(
                "add to service {service} in master.cf: -o smtpd_tls_fingerprint_digest={alg}"
            ),
            (Origin::Main { name, .. }, _) if name == "smtpd_tls_fingerprint_digest" => {
                format!("change that main.cf line to: smtpd_tls_fingerprint_digest = {alg}")
            }
            (Origin::Main { .. }, Some(service)) => format!(
                "add to service {service} in master.cf: -o smtpd_tls_fingerprint_digest={alg}"
            ),
            _ => format!("add to main.cf: smtpd_tls_fingerprint_digest = {alg}"),
        };
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    let _ = cfg;
    lines.join("\n")
}

/// A finding for an entry whose certificate expired or expires within 30 days.
fn expiry(
    path: &Path,
    line: usize,
    key: &str,
    name: &str,
    a: &Annotation,
    now: OffsetDateTime,
) -> Option<Finding> {
    let not_after = a.not_after?;
    let who = a.subject.clone().unwrap_or_else(|| key.to_string());
    let date = not_after.date();
    // A renewal goes through a rotation, so that the client relays with the
    // old certificate until it uses the new one.
    let name = crate::text::terminal_safe(name);
    let fix = format!(
        "issue or obtain a new certificate, then `ccert rotate {name} NEW.pem` (both relay until `ccert prune` retires this one)"
    );
    if not_after <= now {
        // Postfix's fingerprint match never looks at the dates: the client
        // keeps relaying until the entry goes.
        Some(
            Finding::error(format!(
                "the certificate of this entry ({who}) expired on {date} and still relays: fingerprint matching ignores expiry"
            ))
            .file(path)
            .at(line)
            .fix(format!(
                "ccert prune --expired (removes every expired entry), or ccert remove --fingerprint {key}; give the client a new certificate and add it"
            )),
        )
    } else if not_after - now <= time::Duration::days(30) {
        let days = (not_after - now).whole_days();
        Some(
            Finding::warning(format!(
                "the certificate of this entry ({who}) expires on {date}, in {days} day(s)"
            ))
            .file(path)
            .at(line)
            .fix(fix),
        )
    } else {
        None
    }
}
