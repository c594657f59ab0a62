//! `ccert rehash`: rewrite every entry to another digest or to public-key
//! fingerprints, using the certificate copies `ccert add` keeps in `<source>.d/`.
//!
//! Used when Postfix's digest changes (the md5 → sha256 switch that comes with
//! `compatibility_level = 3.6`) or to move to public-key fingerprints, which
//! survive certificate renewal with the same key.

use anyhow::{Context as _, bail};
use time::OffsetDateTime;

use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::certstore::CertStore;
use crate::cli::RehashArgs;
use crate::source::annotation::Annotation;
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
    let mut locked = LockedSource::open(&path, false)
        .with_context(|| format!("opening the clientcerts source {}", path.display()))?;
    let mut source = locked
        .source()
        .with_context(|| format!("reading {}", path.display()))?;
    let stored = store.load(&mut |w| tell!("ccert: warning: {w}"));
    let (records, _) = source.records();

    let mut rewrites = Vec::new();
    let mut missing = Vec::new();
    for record in &records {
        let Some(old) = std::str::from_utf8(&record.key)
            .ok()
            .and_then(Fingerprint::parse)
        else {
            continue; // not a fingerprint: nothing to re-digest
        };
        match stored.iter().find(|s| s.matches(&old)) {
            Some(s) => {
                let new = s.cert.fingerprint(digest, args.pubkey);
                rewrites.push((record, old, new, &s.cert));
            }
            None => {
                // An entry added by fingerprint never had a certificate to keep.
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
    if !missing.is_empty() && args.skip_unknown {
        tell!(
            "ccert: warning: {}: left as they are, without a stored certificate (--skip-unknown); \
             replace them with `ccert add --fingerprint FP --name NAME --replace` or remove them:\n{}",
            path.display(),
            missing.join("\n")
        );
    } else if !missing.is_empty() {
        bail!(
            "{}: no stored certificate (in {}) for these entries, so they cannot be re-digested; \
             nothing changed. Add each certificate again with `ccert add CERT --replace`, or \
             remove the entry, then run rehash again (or pass --skip-unknown to leave them):\n{}",
            path.display(),
            store.dir().display(),
            missing.join("\n")
        );
    }

    let today = OffsetDateTime::now_utc().date();
    let mut changed = 0;
    for (record, old, new, cert) in &rewrites {
        let index = record.lines.start;
        let line = source.line(index).to_vec();
        let Some(rest) = line.strip_prefix(record.key.as_slice()) else {
            bail!(
                "{}:{}: the entry's key is not at the start of its line",
                path.display(),
                record.line
            );
        };
        if old == new && old.to_string().as_bytes() == record.key.as_slice() {
            continue;
        }
        let mut new_line = new.to_string().into_bytes();
        new_line.extend_from_slice(rest);
        source.replace_line(index, &new_line);
        // Keep ccert's comment in step with the entry (same line count, so indexes stay valid).
        if index > 0
            && let Some(note) = Annotation::parse(source.line(index - 1))
            && note.describes(&record.key)
        {
            let mut fresh = Annotation::new(new, args.pubkey, cert.not_after, &cert.subject, today);
            fresh.added = note.added.or(fresh.added);
            source.replace_line(index - 1, fresh.to_line().as_bytes());
        }
        changed += 1;
    }
    locked
        .commit(&source)
        .with_context(|| format!("writing {}", path.display()))?;
    let kind = if args.pubkey {
        "public-key"
    } else {
        "certificate"
    };
    say!(
        "rewrote {changed} of {} entries in {} to {digest} {kind} fingerprints",
        rewrites.len(),
        path.display()
    );
    rebuild_then_unlock(locked, changed > 0 && !args.no_compile, &path, ctx)?;

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
