//! `ccert add`.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use anyhow::{Context as _, bail};
use time::OffsetDateTime;

use crate::cert::name::terminal_safe;
use crate::cert::{CertWarning, Certificate, DigestAlgorithm, Fingerprint};
use crate::certstore::CertStore;
use crate::cli::AddArgs;
use crate::source::annotation::Annotation;
use crate::source::locked::LockedSource;
use crate::source::{Item, check_value};

use super::{Context, Outcome, rebuild_then_unlock};

/// One entry to add.
struct Planned {
    cert_path: String,
    cert: Certificate,
    fingerprint: Fingerprint,
    name: String,
    annotation: Annotation,
}

/// Runs `ccert add`.
pub fn run(args: &AddArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let digest: DigestAlgorithm = match args.digest {
        Some(d) => d,
        None => ctx.default_digest()?,
    };
    let pubkey = args.pubkey || ctx.default_pubkey()?;
    check_server_digest(digest, ctx, args.strict)?;
    if let Some(name) = &args.name {
        check_value(name.as_bytes()).context("--name: choose another name")?;
    }
    if let Some(fp) = &args.fingerprint {
        return add_fingerprint(args, fp, digest, ctx);
    }
    // Everything that can be wrong with the input is checked before the
    // source file is even opened, so bad input never touches it.
    let now = OffsetDateTime::now_utc();
    let mut planned = Vec::new();
    for cert_path in &args.certs {
        planned.push(plan(cert_path, args, digest, pubkey, now)?);
    }
    if let Some(map) = ctx.store_map()? {
        let entries = planned.into_iter().map(|p| {
            super::store_edge::Addition::new(
                p.cert_path,
                p.fingerprint,
                p.name,
                pubkey,
                Some(p.cert),
            )
        });
        return super::store_edge::add(&map, entries.collect(), args.replace);
    }
    let path = ctx.source_path()?;

    let mut locked = LockedSource::open(&path, true)
        .with_context(|| format!("opening the clientcerts source {}", path.display()))?;
    let edit = plan_edit(&locked, &planned, args.replace, &path)?;
    // Keep each certificate so `ccert rehash` can re-fingerprint it later,
    // before the source names it: a run killed in between leaves an unused
    // copy (pruned later), never an entry without its certificate.
    let store = CertStore::for_source(&path);
    for p in &planned {
        store.save(&p.cert).with_context(|| {
            format!(
                "{}: keeping a copy of {} for rehash",
                store.dir().display(),
                p.cert_path
            )
        })?;
    }
    let changed = edit.apply(&mut locked, &path)?;
    // Only now is it true.
    for line in edit.done {
        say!("{line}");
    }
    // A table that is missing or older than the source is built even when
    // the source did not change (an entry added by hand, an interrupted add).
    let rebuild = !args.no_compile && (changed || super::tables_behind(&path, ctx)?);
    rebuild_then_unlock(locked, rebuild, &path, ctx)?;
    Ok(Outcome::Success)
}

/// `ccert add --fingerprint FP --name NAME`: an entry without a certificate.
fn add_fingerprint(
    args: &AddArgs,
    text: &str,
    digest: DigestAlgorithm,
    ctx: &Context,
) -> anyhow::Result<Outcome> {
    use crate::source::upsert::{Upserted, upsert};
    let name = args.name.as_deref().context("--fingerprint needs --name")?;
    let Some(fp) = Fingerprint::parse(text) else {
        bail!(
            "--fingerprint {text:?}: not a fingerprint; give hex pairs (AB:CD:… or abcd…) as \
             `ccert log` or `ccert fingerprint` print them"
        );
    };
    if fp.algorithm != digest {
        bail!(
            "--fingerprint: {} bytes is a {} fingerprint, but the digest is {digest}; nothing \
             changed (take the fingerprint in {digest}, or pass --digest {} if the server uses it)",
            fp.bytes.len(),
            fp.algorithm,
            fp.algorithm
        );
    }
    if let Some(map) = ctx.store_map()? {
        let addition = super::store_edge::Addition::new(
            "--fingerprint".to_string(),
            fp,
            name.to_string(),
            args.pubkey,
            None,
        );
        return super::store_edge::add(&map, vec![addition], args.replace);
    }
    let path = &ctx.source_path()?;
    let today = OffsetDateTime::now_utc().date();
    let note = Annotation::for_fingerprint(&fp, args.pubkey, None, today);
    let mut locked = LockedSource::open(path, true)
        .with_context(|| format!("opening the clientcerts source {}", path.display()))?;
    let mut source = locked
        .source()
        .with_context(|| format!("reading {}", path.display()))?;
    let changed = match upsert(&mut source, &fp, name, &note, args.replace) {
        Ok(Upserted::Added) => {
            say!("added {fp} {name} to {}", path.display());
            true
        }
        Ok(Upserted::Unchanged { line }) => {
            tell!(
                "ccert: notice: {fp} is already in {} (line {line}) as {name:?}; nothing to do",
                path.display()
            );
            false
        }
        Ok(Upserted::Renamed { line, old }) => {
            say!(
                "renamed {fp} from {old:?} to {name:?} in {} (line {line})",
                path.display()
            );
            true
        }
        Err(e) => bail!(
            "{}:{e}; nothing changed (use --replace to rename it)",
            path.display()
        ),
    };
    locked
        .commit(&source)
        .with_context(|| format!("writing {}", path.display()))?;
    let rebuild = !args.no_compile && (changed || super::tables_behind(path, ctx)?);
    rebuild_then_unlock(locked, rebuild, path, ctx)?;
    Ok(Outcome::Success)
}

/// Reads a certificate file and decides the entry for it.
fn plan(
    cert_path: &Path,
    args: &AddArgs,
    digest: DigestAlgorithm,
    pubkey: bool,
    now: OffsetDateTime,
) -> anyhow::Result<Planned> {
    let shown = cert_path.display().to_string();
    // The error names the file and says what is wrong.
    let certs = crate::cert::read_certificates(cert_path)?;
    let Some(cert) = certs.first() else {
        bail!("{shown}: no certificate found; give a PEM or DER certificate file");
    };
    if certs.len() > 1 {
        tell!(
            "ccert: notice: {shown}: using the first of {} certificates (the others look like its chain)",
            certs.len()
        );
    }
    let name = match (&args.name, &cert.common_name) {
        (Some(name), _) => name.clone(),
        (None, Some(_)) if cert.warnings.contains(&CertWarning::CommonNameNotUtf8) => {
            bail!("{shown}: the subject CN is not valid UTF-8; give the entry a name with --name")
        }
        (None, Some(cn)) => {
            check_value(cn.as_bytes()).with_context(|| {
                format!("{shown}: the subject CN cannot be the entry's name; give one with --name")
            })?;
            cn.clone()
        }
        (None, None) => {
            bail!("{shown}: the certificate has no subject CN; give a name with --name")
        }
    };
    warn_validity(cert, &shown, now);
    let fingerprint = cert.fingerprint(digest, pubkey);
    let annotation = Annotation::new(
        &fingerprint,
        pubkey,
        cert.not_after,
        &cert.subject,
        now.date(),
    );
    Ok(Planned {
        cert: cert.clone(),
        cert_path: shown,
        fingerprint,
        name,
        annotation,
    })
}

fn warn_validity(cert: &Certificate, shown: &str, now: OffsetDateTime) {
    let fmt = &time::format_description::well_known::Rfc3339;
    for warning in cert
        .warnings
        .iter()
        .filter(|w| **w == CertWarning::MalformedDates)
    {
        tell!("ccert: warning: {shown}: {warning}");
    }
    if let Some(not_after) = cert.not_after.filter(|t| *t < now) {
        tell!(
            "ccert: warning: {shown}: the certificate expired on {}; adding it anyway",
            not_after.format(fmt).unwrap_or_default()
        );
    } else if let Some(not_before) = cert.not_before.filter(|t| *t > now) {
        tell!(
            "ccert: warning: {shown}: the certificate is not valid before {}; adding it anyway",
            not_before.format(fmt).unwrap_or_default()
        );
    }
}

/// An entry of another digest than the server's can never match: a
/// warning, or with `--strict` an error.
fn check_server_digest(digest: DigestAlgorithm, ctx: &Context, strict: bool) -> anyhow::Result<()> {
    let Some(server) = ctx.postfix()?.fingerprint_digest()? else {
        return Ok(());
    };
    if server == digest {
        return Ok(());
    }
    let what = format!(
        "the server compares {server} fingerprints (smtpd_tls_fingerprint_digest), \
         so a {digest} entry can never match"
    );
    if strict {
        bail!("{what}; use --digest {server}");
    }
    tell!("ccert: warning: {what}; adding it anyway (--strict refuses)");
    Ok(())
}

/// An entry already in the source (or added earlier in this run) for a
/// planned key: postmap keeps the first of duplicate (folded) keys, so that
/// one decides.
struct Existing {
    line: usize,
    value: Vec<u8>,
    /// The record's physical lines in the source, or the index of the new
    /// entry in this run's appended lines.
    place: Place,
}

enum Place {
    Source(std::ops::Range<usize>),
    Appended(usize),
}

/// The change `add` makes to the source, decided before anything is written.
struct Edit {
    /// New entries: ccert's comment, key, name.
    appended: Vec<(String, String, String)>,
    /// Entries renamed in place: their lines and new name.
    renames: Vec<(std::ops::Range<usize>, String)>,
    /// What was done, said once the source is written.
    done: Vec<String>,
}

/// Decides how the planned entries change the locked source.
///
/// One streamed pass over the source finds the entries already there for
/// the planned keys, so memory stays small and adding many certificates
/// costs one read of the source. New entries are appended, and renames
/// (`--replace`) made, while the old content is copied.
fn plan_edit(
    locked: &LockedSource,
    planned: &[Planned],
    replace: bool,
    path: &Path,
) -> anyhow::Result<Edit> {
    let reading = || format!("reading {}", path.display());
    let mut found: HashMap<Vec<u8>, Option<Existing>> = planned
        .iter()
        .map(|p| {
            (
                p.fingerprint.to_string().to_ascii_lowercase().into_bytes(),
                None,
            )
        })
        .collect();
    // A key whose text appears nowhere in the source, in any case, is in no
    // record: a byte search settles that for a few keys at a fraction of
    // the cost of parsing.
    let keys: Vec<&Vec<u8>> = found.keys().collect();
    let absent = keys.len() <= RAW_SCAN_KEYS
        && !mentions_any(locked.bytes().with_context(reading)?, &keys).with_context(reading)?;
    // Most records are none of the planned keys: the first 8 folded bytes,
    // compared without allocating, rule them out before the hash lookup.
    let mut prefixes: Vec<u64> = found.keys().map(|k| folded_prefix(k)).collect();
    prefixes.sort_unstable();
    let mut folded = Vec::new();
    let records = if absent {
        None
    } else {
        Some(locked.records().with_context(reading)?)
    };
    for item in records.into_iter().flatten() {
        let Item::Record(record) = item.with_context(reading)? else {
            continue;
        };
        if prefixes.binary_search(&folded_prefix(&record.key)).is_err() {
            continue;
        }
        folded.clear();
        folded.extend(record.key.iter().map(u8::to_ascii_lowercase));
        if let Some(slot @ None) = found.get_mut(folded.as_slice()) {
            *slot = Some(Existing {
                line: record.line,
                value: record.value,
                place: Place::Source(record.lines),
            });
        }
    }

    let mut appended: Vec<(String, String, String)> = Vec::new();
    let mut renames: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut done = Vec::new();
    for p in planned {
        let text = p.fingerprint.to_string();
        let slot = found
            .get_mut(text.to_ascii_lowercase().as_bytes())
            .expect("every planned key is in the map");
        let Some(existing) = slot else {
            done.push(format!(
                "added {text} {} to {}",
                terminal_safe(&p.name),
                path.display()
            ));
            *slot = Some(Existing {
                line: 0,
                value: p.name.clone().into_bytes(),
                place: Place::Appended(appended.len()),
            });
            appended.push((p.annotation.to_line(), text, p.name.clone()));
            continue;
        };
        if existing.value == p.name.as_bytes() {
            tell!(
                "ccert: notice: {}: {} is already in {}{} as {:?}; nothing to do",
                p.cert_path,
                text,
                path.display(),
                if existing.line > 0 {
                    format!(" (line {})", existing.line)
                } else {
                    String::new()
                },
                p.name
            );
            continue;
        }
        let old = String::from_utf8_lossy(&existing.value).into_owned();
        if !replace {
            let at = if existing.line > 0 {
                format!(":{}", existing.line)
            } else {
                String::new()
            };
            bail!(
                "{}{at}: {} is already present with the name {:?}, not {:?}; nothing changed \
                 (use --replace to rename it)",
                path.display(),
                text,
                old,
                p.name
            );
        }
        match &existing.place {
            Place::Source(lines) => renames.push((lines.clone(), p.name.clone())),
            Place::Appended(i) => appended[*i].2 = p.name.clone(),
        }
        existing.value = p.name.clone().into_bytes();
        done.push(format!(
            "renamed {} from {:?} to {:?} in {}{}",
            text,
            old,
            p.name,
            path.display(),
            if existing.line > 0 {
                format!(" (line {})", existing.line)
            } else {
                String::new()
            }
        ));
    }
    Ok(Edit {
        appended,
        renames,
        done,
    })
}

/// Planned keys up to which [`mentions_any`] is tried before parsing.
const RAW_SCAN_KEYS: usize = 8;

/// Whether the bytes of `input` contain any of `keys` (ASCII lower case),
/// compared without regard to ASCII case.
fn mentions_any(mut input: impl Read, keys: &[&Vec<u8>]) -> std::io::Result<bool> {
    let finders: Vec<memchr::memmem::Finder<'_>> = keys
        .iter()
        .map(|k| memchr::memmem::Finder::new(k.as_slice()))
        .collect();
    // Each chunk starts with the previous one's last `overlap` bytes, so a
    // key split between two reads is still found.
    let overlap = keys
        .iter()
        .map(|k| k.len())
        .max()
        .unwrap_or(0)
        .saturating_sub(1);
    let mut buf = vec![0u8; (1 << 20) + overlap];
    let mut kept = 0;
    loop {
        let n = match input.read(&mut buf[kept..]) {
            Ok(0) => return Ok(false),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let filled = kept + n;
        buf[kept..filled].make_ascii_lowercase();
        if finders.iter().any(|f| f.find(&buf[..filled]).is_some()) {
            return Ok(true);
        }
        kept = overlap.min(filled);
        buf.copy_within(filled - kept..filled, 0);
    }
}

/// The first 8 bytes of `key`, ASCII-folded, as a number (zero-padded).
fn folded_prefix(key: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    for (b, k) in buf.iter_mut().zip(key) {
        *b = k.to_ascii_lowercase();
    }
    u64::from_be_bytes(buf)
}

impl Edit {
    /// Writes the change to the locked source; whether it changed anything.
    /// New entries are appended and renames made while the source is
    /// copied into its replacement.
    fn apply(&self, locked: &mut LockedSource, path: &Path) -> anyhow::Result<bool> {
        let mut renames = self.renames.clone();
        let lines = self
            .appended
            .iter()
            .flat_map(|(note, key, name)| [note.clone(), format!("{key} {name}")]);
        let writing = || format!("writing {}", path.display());
        if renames.is_empty() {
            locked.commit_append(lines).with_context(writing)?;
            return Ok(!self.appended.is_empty());
        }
        // The last rename of a record wins: put it first for `dedup`.
        renames.reverse();
        renames.sort_by_key(|(lines, _)| lines.start);
        renames.dedup_by_key(|(lines, _)| lines.start);
        let renames: Vec<(std::ops::Range<usize>, Vec<u8>)> = renames
            .into_iter()
            .map(|(lines, name)| {
                check_value(name.as_bytes())
                    .with_context(|| format!("{}: renaming the entry", path.display()))?;
                Ok((lines, name.into_bytes()))
            })
            .collect::<anyhow::Result<_>>()?;
        locked
            .commit_renamed(&renames, lines)
            .with_context(writing)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_any_finds_keys_in_any_case_across_reads() {
        let key = b"ab:cd:ef".to_vec();
        let other = b"01:02".to_vec();
        let keys = [&key, &other];
        assert!(mentions_any(&b"x AB:Cd:EF y\n"[..], &keys).unwrap());
        assert!(!mentions_any(&b"ab:cd:e f 01:03\n"[..], &keys).unwrap());
        // Split between two reads: a reader that returns 5 bytes at a time.
        struct Slow<'a>(&'a [u8]);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(5).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        assert!(mentions_any(Slow(b"0123456789 xx Ab:cD:eF"), &keys).unwrap());
        assert!(!mentions_any(Slow(b"0123456789 xx Ab:cD:e"), &keys).unwrap());
        assert!(!mentions_any(&b""[..], &keys).unwrap());
    }

    #[test]
    fn folded_prefixes_agree_for_keys_equal_but_for_case() {
        assert_eq!(
            folded_prefix(b"AB:CD:EF:01"),
            folded_prefix(b"ab:cd:ef:01:23")
        );
        assert_ne!(folded_prefix(b"ab:cd:e0:01"), folded_prefix(b"ab:cd:e1:01"));
        assert_eq!(folded_prefix(b"Ab"), folded_prefix(b"aB"));
    }
}
