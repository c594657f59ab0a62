//! `ccert rehash`: rewrite every entry to another digest or to public-key
//! fingerprints, using the certificate copies `ccert add` keeps in `<source>.d/`.
//!
//! Used when Postfix's digest changes (the md5 → sha256 switch that comes with
//! `compatibility_level = 3.6`) or to move to public-key fingerprints, which
//! survive certificate renewal with the same key.
//!
//! The source is streamed twice, holding one line and the one above it: a
//! dry run finds the entries without a stored certificate (nothing is
//! written when there are any, unless `--skip-unknown`), then the copy
//! rewrites each entry's key and ccert's comment above it into the new file.
//! The store is looked up through an index ([`crate::certstore::lookup`]).

use std::io;

use anyhow::bail;
use time::{Date, OffsetDateTime};

use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::certstore::CertStore;
use crate::certstore::lookup::StoreIndex;
use crate::cli::RehashArgs;
use crate::source::Record;
use crate::source::annotation::Annotation;
use crate::source::copy::Rewrite;
use crate::source::locked::LockedSource;

use super::{Context, Outcome, rebuild_then_unlock};

/// Runs `ccert rehash`.
pub fn run(args: &RehashArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if let Some(map) = ctx.store_map()? {
        return super::store_edge::rehash(args, &map);
    }
    let path = ctx.source_path()?;
    let digest: DigestAlgorithm = match args.digest {
        Some(d) => d,
        None => ctx.default_digest()?,
    };
    let store = CertStore::for_source(&path);
    let mut locked = LockedSource::open(&path, false)?;
    let index = store.index(&mut |w| tell!("ccert: warning: {w}"));
    let today = OffsetDateTime::now_utc().date();
    let mut rehash = Rehash::new(index, digest, args.pubkey, today);

    // The dry run: entries without a stored certificate are listed as they
    // are found, under the error (or with --skip-unknown the warning) they make.
    let heading = if args.skip_unknown {
        format!(
            "ccert: warning: {}: left as they are, without a stored certificate (--skip-unknown); \
             replace them with `ccert add --fingerprint FP --name NAME --replace` or remove them:",
            path.display()
        )
    } else {
        format!(
            "ccert: error: {}: no stored certificate (in {}) for these entries, so they cannot be \
             re-digested; nothing changed. Add each certificate again with `ccert add CERT \
             --replace`, or remove the entry, then run rehash again (or pass --skip-unknown to \
             leave them):",
            path.display(),
            store.dir().display()
        )
    };
    let mut report = |line: String, first: bool| {
        if first {
            tell!("{heading}");
        }
        tell!("{line}");
    };
    locked.copy_rewriting(&mut io::sink(), |record, first, above| {
        rehash.rewrite(record, first, above, &mut report)
    })?;
    if rehash.missing > 0 && !args.skip_unknown {
        // The error is out already, entry by entry.
        return Ok(Outcome::Failure);
    }
    if let Some(line) = rehash.misplaced {
        bail!(
            "{}:{line}: the entry's key is not at the start of its line",
            path.display()
        );
    }
    let (found, changed) = (rehash.found, rehash.changed);
    if changed > 0 {
        rehash.reset();
        locked.commit_rewritten(|record, first, above| {
            rehash.rewrite(record, first, above, &mut |_, _| {})
        })?;
    }
    let kind = if args.pubkey {
        "public-key"
    } else {
        "certificate"
    };
    say!(
        "rewrote {changed} of {found} entries in {} to {digest} {kind} fingerprints",
        path.display()
    );
    let rebuild = !args.no_compile && (changed > 0 || super::tables_behind(&path, ctx)?);
    rebuild_then_unlock(locked, rebuild, &path, ctx)?;

    let effective = ctx.postfix()?.fingerprint_digest()?;
    if ctx.postfix()?.present && effective != Some(digest) {
        let shown = effective.map_or_else(|| "unset".to_string(), |d| d.to_string());
        say!(
            "note: Postfix in {} uses {shown}; make it match with: postconf -c {} -e \
             'smtpd_tls_fingerprint_digest = {digest}' && postfix reload",
            ctx.config_dir.display(),
            ctx.config_dir.display()
        );
    }
    Ok(Outcome::Success)
}

/// What rehashing does to each entry, the same in the dry run and in the copy.
struct Rehash {
    index: StoreIndex,
    digest: DigestAlgorithm,
    pubkey: bool,
    today: Date,
    /// Entries with a stored certificate.
    found: usize,
    /// Of those, the entries whose key changes.
    changed: usize,
    /// Entries without a stored certificate.
    missing: usize,
    /// The first entry (1-based line) with a certificate whose key is not
    /// at the start of its line (a quoted key).
    misplaced: Option<usize>,
}

impl Rehash {
    fn new(index: StoreIndex, digest: DigestAlgorithm, pubkey: bool, today: Date) -> Self {
        Self {
            index,
            digest,
            pubkey,
            today,
            found: 0,
            changed: 0,
            missing: 0,
            misplaced: None,
        }
    }

    /// Forgets the counts, for the second pass.
    fn reset(&mut self) {
        (self.found, self.changed, self.missing, self.misplaced) = (0, 0, 0, None);
    }

    /// The rewrite of `record` (first line `first`, the line above it
    /// `above`): its key in the new digest, and ccert's comment above it in
    /// step. An entry without a stored certificate goes to `missing` (its
    /// report line, and whether it is the first).
    fn rewrite(
        &mut self,
        record: &Record,
        first: &[u8],
        above: Option<&[u8]>,
        missing: &mut dyn FnMut(String, bool),
    ) -> io::Result<Rewrite> {
        let key = record.key.as_slice();
        let Some(old) = std::str::from_utf8(key).ok().and_then(Fingerprint::parse) else {
            return Ok(Rewrite::default()); // not a fingerprint: nothing to re-digest
        };
        let Some(cert) = self.index.find(&old)? else {
            // An entry added by fingerprint never had a certificate to keep.
            let by_fingerprint = above
                .and_then(Annotation::parse)
                .is_some_and(|a| a.describes(key) && a.by_fingerprint);
            self.missing += 1;
            missing(
                format!(
                    "  line {}: {} {}{}",
                    record.line,
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(&record.value),
                    if by_fingerprint {
                        " (added by fingerprint: there is no certificate to re-fingerprint)"
                    } else {
                        ""
                    }
                ),
                self.missing == 1,
            );
            return Ok(Rewrite::default());
        };
        self.found += 1;
        let new = cert.fingerprint(self.digest, self.pubkey);
        let Some(rest) = first.strip_prefix(key) else {
            self.misplaced.get_or_insert(record.line);
            return Ok(Rewrite::default());
        };
        if old == new && old.to_string().as_bytes() == key {
            return Ok(Rewrite::default());
        }
        // The CR of a CRLF line stays where it is (the copy keeps line endings).
        let rest = rest.strip_suffix(b"\r").unwrap_or(rest);
        let mut line = new.to_string().into_bytes();
        line.extend_from_slice(rest);
        // Keep ccert's comment in step with the entry.
        let comment = above
            .and_then(Annotation::parse)
            .filter(|note| note.describes(key))
            .map(|note| {
                let mut fresh =
                    Annotation::new(&new, self.pubkey, cert.not_after, &cert.subject, self.today);
                fresh.added = note.added.or(fresh.added);
                fresh.to_line().into_bytes()
            });
        self.changed += 1;
        Ok(Rewrite {
            first: Some(line),
            above: comment,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::cert::Certificate;
    use crate::certstore::Stored;
    use crate::source::{Item, RecordReader, SourceFile};

    /// What a rehash ends in: the new bytes with the entries found and
    /// changed, or the entries without a certificate, or the line of a
    /// misplaced key.
    #[derive(Debug, PartialEq, Eq)]
    enum Ending {
        Written(Vec<u8>, usize, usize),
        Missing(Vec<String>),
        Misplaced(usize),
    }

    /// The in-memory rehash this command had before it streamed (whole
    /// source and store loaded, `replace_line`), kept as the oracle. One
    /// change: a CRLF entry line keeps one CR (it used to get a second).
    fn in_memory(
        bytes: &[u8],
        stored: &[Stored],
        digest: DigestAlgorithm,
        pubkey: bool,
        skip_unknown: bool,
        today: Date,
    ) -> Ending {
        let mut source = SourceFile::parse(bytes);
        let (records, _) = source.records();
        let mut rewrites = Vec::new();
        let mut missing = Vec::new();
        for record in &records {
            let Some(old) = std::str::from_utf8(&record.key)
                .ok()
                .and_then(Fingerprint::parse)
            else {
                continue;
            };
            match stored.iter().find(|s| s.matches(&old)) {
                Some(s) => {
                    let new = s.cert.fingerprint(digest, pubkey);
                    rewrites.push((record, old, new, &s.cert));
                }
                None => {
                    let by_fingerprint = record.lines.start > 0
                        && Annotation::parse(source.line(record.lines.start - 1))
                            .is_some_and(|a| a.describes(&record.key) && a.by_fingerprint);
                    missing.push(format!(
                        "  line {}: {} {}{}",
                        record.line,
                        String::from_utf8_lossy(&record.key),
                        String::from_utf8_lossy(&record.value),
                        if by_fingerprint {
                            " (added by fingerprint: there is no certificate to re-fingerprint)"
                        } else {
                            ""
                        }
                    ))
                }
            }
        }
        if !missing.is_empty() && !skip_unknown {
            return Ending::Missing(missing);
        }
        let mut changed = 0;
        for (record, old, new, cert) in &rewrites {
            let index = record.lines.start;
            let line = source.line(index).to_vec();
            let Some(rest) = line.strip_prefix(record.key.as_slice()) else {
                return Ending::Misplaced(record.line);
            };
            if old == new && old.to_string().as_bytes() == record.key.as_slice() {
                continue;
            }
            let rest = rest.strip_suffix(b"\r").unwrap_or(rest); // the one change
            let mut new_line = new.to_string().into_bytes();
            new_line.extend_from_slice(rest);
            source.replace_line(index, &new_line);
            if index > 0
                && let Some(note) = Annotation::parse(source.line(index - 1))
                && note.describes(&record.key)
            {
                let mut fresh = Annotation::new(new, pubkey, cert.not_after, &cert.subject, today);
                fresh.added = note.added.or(fresh.added);
                source.replace_line(index - 1, fresh.to_line().as_bytes());
            }
            changed += 1;
        }
        Ending::Written(source.to_bytes(), rewrites.len(), changed)
    }

    /// The streamed rehash as `run` does it: a dry run, then the copy.
    fn streamed(bytes: &[u8], rehash: &mut Rehash, skip_unknown: bool) -> Ending {
        let records = || {
            RecordReader::new(bytes).filter_map(|item| match item {
                Ok(Item::Record(r)) => Some(Ok(r)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
        };
        rehash.reset();
        let mut missing = Vec::new();
        crate::source::copy::copy_rewriting(
            &mut &bytes[..],
            records(),
            &mut io::sink(),
            |record, first, above| {
                rehash.rewrite(record, first, above, &mut |line, _| missing.push(line))
            },
        )
        .unwrap();
        if !missing.is_empty() && !skip_unknown {
            return Ending::Missing(missing);
        }
        if let Some(line) = rehash.misplaced {
            return Ending::Misplaced(line);
        }
        let (found, changed) = (rehash.found, rehash.changed);
        let mut out = Vec::new();
        if changed > 0 {
            rehash.reset();
            crate::source::copy::copy_rewriting(
                &mut &bytes[..],
                records(),
                &mut out,
                |record, first, above| rehash.rewrite(record, first, above, &mut |_, _| {}),
            )
            .unwrap();
            assert_eq!((rehash.found, rehash.changed), (found, changed));
        } else {
            out = bytes.to_vec();
        }
        Ending::Written(out, found, changed)
    }

    fn fixture(name: &str) -> Certificate {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        crate::cert::read_certificates(&path, &crate::cert::NoPassword)
            .unwrap()
            .remove(0)
    }

    /// Sources with continuation lines, CRLF, no final newline, ccert's
    /// and other comments, duplicates, keys in other spellings, quoted
    /// keys, entries without a stored certificate: the streamed rehash
    /// ends as the in-memory one did, for every digest, with and without
    /// --pubkey and --skip-unknown.
    #[test]
    fn streams_what_the_in_memory_rehash_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let store = CertStore::for_source(&dir.path().join("clientcerts"));
        let rsa = fixture("rsa.pem");
        let ec = fixture("ecdsa.pem");
        let ed = fixture("ed25519.pem");
        for cert in [&rsa, &ec, &ed] {
            store.save(cert).unwrap();
        }
        let today = time::macros::date!(2026 - 11 - 25);
        let added = time::macros::date!(2025 - 01 - 02);
        let note = |fp: &Fingerprint, pubkey: bool, cert: &Certificate| {
            Annotation::new(fp, pubkey, cert.not_after, &cert.subject, added).to_line()
        };
        let rsa1 = rsa.fingerprint(DigestAlgorithm::Sha1, false);
        let ec5 = ec.fingerprint(DigestAlgorithm::Md5, false);
        let ed256p = ed.fingerprint(DigestAlgorithm::Sha256, true);
        let rsa256 = rsa.fingerprint(DigestAlgorithm::Sha256, false);
        let unknown = Fingerprint::compute(DigestAlgorithm::Sha256, b"no certificate");
        let by_fp = Annotation::for_fingerprint(&unknown, false, Some("CN=laptop"), added);
        let lower = rsa256.to_map_key().to_ascii_lowercase();
        let bare = ec5.to_string().replace(':', "");
        let plain = [
            format!(
                "# the admin's comment\n{}\n{rsa1} rsa-host",
                note(&rsa1, false, &rsa)
            ),
            format!(
                "{}\n{ec5}\n  continued value\n# between\n\tmore",
                note(&ec5, false, &ec)
            ),
            format!("{}\n{ed256p} ed-host\t ", note(&ed256p, true, &ed)),
            format!("{rsa1} duplicate\nnot.a.fingerprint value\n\n{lower} lower"),
            format!("# ccert: added=2020-01-01 digest=sha1 fp=00:00:00:00\n{bare} bare"),
            format!("{}\n{unknown} laptop", by_fp.to_line()),
            format!("{}\n{rsa256} already", note(&rsa256, false, &rsa)),
            format!("\"{ed256p}\" quoted"),
        ];
        let digests = [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha512,
            DigestAlgorithm::Md5,
        ];
        let stored = store.load(&mut |w| panic!("{w}"));
        let held = Rehash::new(
            store.index(&mut |w| panic!("{w}")),
            DigestAlgorithm::Sha256,
            false,
            today,
        );
        // A big store's index, which reads each hit from its file.
        let unheld = Rehash::new(
            store.index(&mut |w| panic!("{w}")).unheld(),
            DigestAlgorithm::Sha256,
            false,
            today,
        );
        let mut written = 0;
        for mut rehash in [held, unheld] {
            // Every run of consecutive parts, each with LF, CRLF and no final newline.
            for from in 0..plain.len() {
                for to in from + 1..=plain.len() {
                    let text = plain[from..to].join("\n");
                    for eol in ["\n", "\r\n"] {
                        for last in ["", eol] {
                            let bytes = format!("{}{last}", text.replace('\n', eol)).into_bytes();
                            for digest in digests {
                                for pubkey in [false, true] {
                                    for skip_unknown in [false, true] {
                                        (rehash.digest, rehash.pubkey) = (digest, pubkey);
                                        let want = in_memory(
                                            &bytes,
                                            &stored,
                                            digest,
                                            pubkey,
                                            skip_unknown,
                                            today,
                                        );
                                        let got = streamed(&bytes, &mut rehash, skip_unknown);
                                        if matches!(&want, Ending::Written(out, _, n) if *n > 0 && *out != bytes)
                                        {
                                            written += 1;
                                        }
                                        assert_eq!(
                                            got,
                                            want,
                                            "{:?} to {digest} pubkey={pubkey} skip={skip_unknown}",
                                            String::from_utf8_lossy(&bytes)
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // The cases rewrite files, not only refuse.
        assert!(written > 200, "{written}");
    }

    /// A CRLF entry keeps one CR after its new key (it used to get two).
    #[test]
    fn crlf_entries_keep_one_cr() {
        let dir = tempfile::tempdir().unwrap();
        let store = CertStore::for_source(&dir.path().join("clientcerts"));
        let rsa = fixture("rsa.pem");
        store.save(&rsa).unwrap();
        let old = rsa.fingerprint(DigestAlgorithm::Sha1, false);
        let new = rsa.fingerprint(DigestAlgorithm::Sha256, false);
        let mut rehash = Rehash::new(
            store.index(&mut |w| panic!("{w}")),
            DigestAlgorithm::Sha256,
            false,
            time::macros::date!(2026 - 11 - 25),
        );
        let bytes = format!("{old} host\r\nother value\r\n").into_bytes();
        assert_eq!(
            streamed(&bytes, &mut rehash, false),
            Ending::Written(format!("{new} host\r\nother value\r\n").into_bytes(), 1, 1)
        );
    }
}
