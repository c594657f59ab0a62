//! `ccert revoke`: removes entries from the allow list and denies their
//! certificates in the deny table (see [`crate::revocation`]).
//!
//! The order of the writes is the safe one: the deny table first, then the
//! allow list. A run stopped in between leaves a certificate denied and
//! still listed (it cannot relay; running revoke again removes it), never
//! removed and not denied.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use time::OffsetDateTime;

use crate::cert::{Certificate, DigestAlgorithm, Fingerprint};
use crate::certstore::CertStore;
use crate::cli::RevokeArgs;
use crate::revocation::{self, Crl, Target};
use crate::source::Record;
use crate::source::annotation::Annotation;
use crate::source::edit::{self, Put};
use crate::source::locked::LockedSource;
use crate::text::terminal_safe_bytes;

use super::deny::deny_tables;
use super::{Context, Outcome, rebuild_then_unlock};

/// What to revoke.
enum Selection {
    /// Entries whose name (value, or the name in ccert's comment of an
    /// access-table entry) is this.
    Name(String),
    /// A fingerprint given on the command line.
    Fingerprint(Fingerprint),
    /// Certificates read from files.
    Certs(Vec<Certificate>),
    /// Entries whose stored certificate the CRL names.
    Crl(Box<Crl>, PathBuf),
}

/// One certificate (or fingerprint) to deny.
struct Revoked {
    /// The name for ccert's comment.
    name: String,
    /// The allow-list entry's key, or the fingerprint given.
    key: Fingerprint,
    /// The certificate, when known: then both its fingerprints are denied.
    cert: Option<Certificate>,
}

/// Runs `ccert revoke`.
pub fn run(args: &RevokeArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let value = revocation::reject_value(args.reason.as_deref()).context("--reason")?;
    let selection = selection(args, ctx)?;
    if let Some(map) = ctx.store_map()? {
        return run_store(&map, args, &selection, &value);
    }
    let path = ctx.source_path()?;
    let cfg = ctx.postfix()?;
    let targets = revocation::targets(cfg, &path);
    let (tables, missing) = deny_tables(&targets, ctx)?;

    let store = CertStore::for_source(&path);
    let mut index = store.index(&mut |w| tell!("ccert: warning: {w}"));
    // A certificate or fingerprint is denied even where there is no list.
    let given = matches!(selection, Selection::Fingerprint(_) | Selection::Certs(_));
    let mut locked = if given && !path.exists() {
        None
    } else {
        Some(LockedSource::open(&path, false)?)
    };

    // One streamed pass selects the entries and notes each one's
    // certificate (given, else the stored copy) and name.
    let mut found: HashMap<usize, (String, Option<Certificate>)> = HashMap::new();
    let mut unchecked: Vec<(usize, String)> = Vec::new();
    let mut failed: Option<std::io::Error> = None;
    let plan = match &locked {
        None => None,
        Some(l) => {
            let mut select = |record: &Record, above: Option<&Annotation>| {
                let name = above
                    .and_then(|a| a.name.clone())
                    .unwrap_or_else(|| String::from_utf8_lossy(&record.value).into_owned());
                let Some(fp) = std::str::from_utf8(&record.key)
                    .ok()
                    .and_then(Fingerprint::parse)
                else {
                    return false;
                };
                let stored = |index: &mut crate::certstore::lookup::StoreIndex,
                              failed: &mut Option<std::io::Error>| {
                    match index.find(&fp) {
                        Ok(c) => c.map(|c| c.into_owned()),
                        Err(e) => {
                            failed.get_or_insert(e);
                            None
                        }
                    }
                };
                let (hit, cert) = match &selection {
                    Selection::Name(n) => {
                        let hit = *n == name || record.value == n.as_bytes();
                        (hit, hit.then(|| stored(&mut index, &mut failed)).flatten())
                    }
                    Selection::Fingerprint(f) => {
                        let hit = *f == fp;
                        (hit, hit.then(|| stored(&mut index, &mut failed)).flatten())
                    }
                    Selection::Certs(certs) => {
                        let cert = certs.iter().find(|c| {
                            [false, true]
                                .into_iter()
                                .any(|pk| c.fingerprint(fp.algorithm, pk) == fp)
                        });
                        (cert.is_some(), cert.cloned())
                    }
                    Selection::Crl(crl, _) => match stored(&mut index, &mut failed) {
                        Some(cert) => (crl.names(&cert), Some(cert)),
                        None => {
                            unchecked.push((record.line, fp.to_string()));
                            (false, None)
                        }
                    },
                };
                if hit {
                    found.insert(record.line, (name, cert));
                }
                hit
            };
            Some(edit::plan(l, &[], false, Some(&mut select))?)
        }
    };
    if let Some(e) = failed {
        return Err(e).with_context(|| format!("reading {}", store.dir().display()));
    }
    let removed: Vec<Record> = plan.as_ref().map(|p| p.removed.clone()).unwrap_or_default();
    let mut revoked: Vec<Revoked> = removed
        .iter()
        .filter_map(|r| {
            let key = std::str::from_utf8(&r.key)
                .ok()
                .and_then(Fingerprint::parse)?;
            let (name, cert) = found.remove(&r.line)?;
            Some(Revoked { name, key, cert })
        })
        .collect();
    // A certificate or fingerprint given is denied even when no entry
    // (or not every one of its fingerprints) is in the list any more.
    match &selection {
        Selection::Fingerprint(fp) if revoked.is_empty() => {
            tell!(
                "ccert: notice: {} has no entry {fp}; denying it anyway",
                path.display()
            );
            let cert = index.find(fp).ok().flatten().map(|c| c.into_owned());
            revoked.push(Revoked {
                name: cert
                    .as_ref()
                    .and_then(|c| c.common_name.clone())
                    .unwrap_or_else(|| "revoked".into()),
                key: fp.clone(),
                cert,
            });
        }
        Selection::Certs(certs) => {
            for cert in certs {
                if revoked
                    .iter()
                    .any(|r| r.cert.as_ref().is_some_and(|c| c.der == cert.der))
                {
                    continue;
                }
                tell!(
                    "ccert: notice: {} has no entry for \"{}\"; denying it anyway",
                    path.display(),
                    crate::cert::name::terminal_safe(&cert.subject)
                );
                revoked.push(Revoked {
                    name: cert.common_name.clone().unwrap_or_else(|| "revoked".into()),
                    key: cert.fingerprint(DigestAlgorithm::Sha256, false),
                    cert: Some(cert.clone()),
                });
            }
        }
        _ => {}
    }
    if let Selection::Crl(crl, crl_path) = &selection {
        tell!(
            "ccert: {}: {} revoked serial number{} of \"{}\"",
            crl_path.display(),
            crl.len(),
            if crl.len() == 1 { "" } else { "s" },
            crate::cert::name::terminal_safe(&crl.issuer)
        );
        if !unchecked.is_empty() {
            tell!(
                "ccert: warning: {} entr{} of {} ha{} no stored certificate (added by fingerprint): the CRL cannot say whether {} revoked; check {} by hand (`ccert revoke --fingerprint FP`):",
                unchecked.len(),
                if unchecked.len() == 1 { "y" } else { "ies" },
                path.display(),
                if unchecked.len() == 1 { "s" } else { "ve" },
                if unchecked.len() == 1 {
                    "it is"
                } else {
                    "they are"
                },
                if unchecked.len() == 1 { "it" } else { "them" },
            );
            for (line, fp) in unchecked.iter().take(20) {
                tell!("  line {line}: {fp}");
            }
            if unchecked.len() > 20 {
                tell!("  … and {} more", unchecked.len() - 20);
            }
        }
    }
    if revoked.is_empty() {
        let what = match &selection {
            Selection::Name(n) => format!("the name {n:?}"),
            Selection::Crl(_, p) => format!("a certificate {} revokes", p.display()),
            _ => "it".into(),
        };
        if let Selection::Crl(..) = selection {
            say!(
                "{}: no entry matches {what}; nothing revoked",
                path.display()
            );
            return Ok(Outcome::Success);
        }
        bail!(
            "{}: no entry matches {what}; nothing revoked (see `ccert list`)",
            path.display()
        );
    }

    // What each deny table gets.
    let today = OffsetDateTime::now_utc().date();
    let puts: Vec<Vec<Put>> = tables
        .iter()
        .map(|t| deny_puts(&revoked, &t.digests, &value, today))
        .collect();

    // Say it all before anything is written.
    if !removed.is_empty() {
        tell!(
            "ccert: {} entr{} of {} to remove:",
            removed.len(),
            if removed.len() == 1 { "y" } else { "ies" },
            path.display()
        );
        for r in &removed {
            tell!(
                "  line {}: {} {}",
                r.line,
                terminal_safe_bytes(&r.key),
                terminal_safe_bytes(&r.value)
            );
        }
    }
    for (t, puts) in tables.iter().zip(&puts) {
        tell!(
            "ccert: {} entr{} to deny in {} (check_ccert_access of {}):",
            puts.len(),
            if puts.len() == 1 { "y" } else { "ies" },
            t.spec,
            t.services.join(", ")
        );
        for p in puts {
            tell!("  {} {}", p.fingerprint, p.name);
        }
    }
    if args.dry_run {
        say!("dry run: nothing changed");
        say_missing(&missing, cfg, &revoked, false);
        return Ok(Outcome::Success);
    }
    if !args.yes {
        let Some(answer) = super::ask_revocation(revoked.len()) else {
            bail!(
                "{}: refusing to revoke without confirmation: standard input is not a terminal; \
                 pass --yes to revoke these entries",
                path.display()
            );
        };
        if !answer.context("asking for confirmation")? {
            tell!("ccert: nothing revoked");
            return Ok(Outcome::Failure);
        }
    }

    // The deny tables first (see the module comment).
    for (t, puts) in tables.iter().zip(&puts) {
        let mut deny = LockedSource::open(&t.source, true)?;
        let plan = edit::plan(&deny, puts, true, None)?;
        let changed = plan.commit(&mut deny)?;
        let added = plan.outcomes.iter().filter(|o| o.changes()).count();
        if added == 0 {
            say!("already denied in {}", t.source.display());
        } else {
            say!(
                "denied {} fingerprint{} in {}",
                added,
                if added == 1 { "" } else { "s" },
                t.source.display()
            );
        }
        let rebuild = !args.no_compile && (changed || super::tables_behind(&t.source, ctx)?);
        rebuild_then_unlock(deny, rebuild, &t.source, ctx)?;
    }
    if let (Some(mut locked), Some(plan)) = (locked.take(), plan)
        && !plan.removed.is_empty()
    {
        plan.commit(&mut locked)?;
        super::prune_store_copies(&locked, &path)?;
        say!(
            "removed {} entr{} from {}",
            plan.removed.len(),
            if plan.removed.len() == 1 { "y" } else { "ies" },
            path.display()
        );
        rebuild_then_unlock(locked, !args.no_compile, &path, ctx)?;
    }
    say_missing(&missing, cfg, &revoked, true);
    Ok(Outcome::Success)
}

/// Reads the selection (certificates, fingerprint, CRL) before any file is
/// opened, so bad input changes nothing.
fn selection(args: &RevokeArgs, ctx: &Context) -> anyhow::Result<Selection> {
    if let Some(name) = &args.name {
        return Ok(Selection::Name(name.clone()));
    }
    if let Some(text) = &args.fingerprint {
        let Some(fp) = Fingerprint::parse(text) else {
            bail!(
                "--fingerprint {:?} is not a fingerprint: give the hex digest of an md5, sha1, \
                 sha224, sha256, sha384 or sha512 fingerprint (any case, colons optional)",
                crate::text::terminal_safe(text)
            );
        };
        return Ok(Selection::Fingerprint(fp));
    }
    if let Some(path) = &args.crl {
        return Ok(Selection::Crl(Box::new(Crl::read(path)?), path.clone()));
    }
    let mut certs = Vec::new();
    for cert_path in &args.certs {
        let read = crate::cert::read_certificates(cert_path, &ctx.passwords)?;
        let Some(first) = read.into_iter().next() else {
            bail!(
                "{}: no certificate found; give a PEM or DER certificate file",
                cert_path.display()
            );
        };
        certs.push(first);
    }
    Ok(Selection::Certs(certs))
}

/// The deny entries for `revoked`: the certificate and public-key
/// fingerprint in each digest when the certificate is known, else the one
/// fingerprint known.
fn deny_puts(
    revoked: &[Revoked],
    digests: &[DigestAlgorithm],
    value: &str,
    today: time::Date,
) -> Vec<Put> {
    let mut out: Vec<Put> = Vec::new();
    let mut push = |fingerprint: Fingerprint, mut annotation: Annotation, name: &str| {
        if out.iter().any(|p| p.fingerprint == fingerprint) {
            return;
        }
        annotation.name = Some(name.to_string());
        out.push(Put {
            fingerprint,
            name: value.to_string(),
            annotation,
        });
    };
    for r in revoked {
        match &r.cert {
            Some(cert) => {
                for &digest in digests {
                    for pubkey in [false, true] {
                        let fp = cert.fingerprint(digest, pubkey);
                        let note = Annotation::for_certificate(cert, &fp, pubkey, today);
                        push(fp, note, &r.name);
                    }
                }
            }
            None => {
                let note = Annotation::for_fingerprint(&r.key, false, None, today);
                push(r.key.clone(), note, &r.name);
            }
        }
    }
    out
}

/// Says what to add where no deny table precedes the permit: the
/// revocation does not stick there.
fn say_missing(
    missing: &[&Target],
    cfg: &crate::postfix::PostfixConfig,
    revoked: &[Revoked],
    done: bool,
) {
    if missing.is_empty() {
        return;
    }
    let proposed = revocation::proposed(cfg);
    let source = proposed.split_once(':').map_or(&*proposed, |(_, p)| p);
    tell!(
        "ccert: warning: {} no check_ccert_access deny table before {}: the {} does not stick \
         there: a stale copy of the list (a sync server not yet updated, a second table, a \
         restored backup) still lets the certificate relay. Add the deny table:",
        missing
            .iter()
            .map(|t| t.service.as_deref().unwrap_or("main.cf"))
            .collect::<Vec<_>>()
            .join(", ")
            + if missing.len() == 1 { " has" } else { " have" },
        crate::postfix::restrictions::PERMIT_CERTS,
        if done { "removal" } else { "revocation" }
    );
    let mut said: Vec<String> = Vec::new();
    for t in missing {
        let fix = t.fix(&proposed);
        if !said.contains(&fix) {
            tell!("  {fix}");
            said.push(fix);
        }
    }
    tell!("  then: touch {source} && ccert compile {proposed} && postfix reload");
    let mut digests: Vec<DigestAlgorithm> = Vec::new();
    for t in missing {
        if !digests.contains(&t.digest) {
            digests.push(t.digest);
        }
    }
    let today = OffsetDateTime::now_utc().date();
    let puts = deny_puts(revoked, &digests, revocation::REJECT, today);
    tell!("  and deny what was revoked (the list no longer has it):");
    for p in &puts {
        tell!("    ccert revoke --fingerprint {} --yes", p.fingerprint);
    }
}

/// `ccert revoke` on a database list: the entries removed and the
/// revocation rows inserted in one transaction (see
/// [`crate::fleet::ListStore::revoke`]). Postfix servers querying the
/// database deny through the revocations `.cf` `db init` writes; sync
/// servers copy the rows into their local deny table.
fn run_store(
    map: &str,
    args: &RevokeArgs,
    selection: &Selection,
    value: &str,
) -> anyhow::Result<Outcome> {
    use crate::fleet::{Revocation, StoredEntry};
    let mut store = super::store_edge::open(map)?;
    let shown = store.postfix_name();
    let reason = value
        .strip_prefix(revocation::REJECT)
        .and_then(|r| r.strip_prefix(": "))
        .map(str::to_string);
    let stored_cert = |e: &StoredEntry| -> Option<Certificate> {
        e.certificate
            .as_deref()
            .and_then(|der| crate::cert::x509::parse(der).ok())
    };
    let mut unchecked: Vec<String> = Vec::new();
    let mut select = |e: &StoredEntry| -> bool {
        let Some(fp) = Fingerprint::parse(&e.fingerprint) else {
            return false;
        };
        match selection {
            Selection::Name(n) => e.name == *n,
            Selection::Fingerprint(f) => *f == fp,
            Selection::Certs(certs) => certs.iter().any(|c| {
                [false, true]
                    .into_iter()
                    .any(|pk| c.fingerprint(fp.algorithm, pk) == fp)
            }),
            Selection::Crl(crl, _) => match stored_cert(e) {
                Some(cert) => crl.names(&cert),
                None => {
                    unchecked.push(e.fingerprint.clone());
                    false
                }
            },
        }
    };
    let mut deny = |matching: &[StoredEntry]| -> Vec<Revocation> {
        let mut out: Vec<Revocation> = Vec::new();
        let mut push = |fp: Fingerprint, name: &str| {
            let fingerprint = fp.to_map_key();
            if !out.iter().any(|r| r.fingerprint == fingerprint) {
                out.push(Revocation {
                    fingerprint,
                    name: name.to_string(),
                    reason: reason.clone(),
                });
            }
        };
        let mut digests: Vec<DigestAlgorithm> = Vec::new();
        for e in matching {
            let Some(fp) = Fingerprint::parse(&e.fingerprint) else {
                continue;
            };
            if !digests.contains(&fp.algorithm) {
                digests.push(fp.algorithm);
            }
            // The certificate's and its public key's fingerprint: a stale
            // copy may list either.
            match stored_cert(e) {
                Some(cert) => {
                    for pk in [false, true] {
                        push(cert.fingerprint(fp.algorithm, pk), &e.name);
                    }
                }
                None => push(fp, &e.name),
            }
        }
        // A fingerprint or certificate given is denied even when the list
        // no longer has it.
        match selection {
            Selection::Fingerprint(f) => push(f.clone(), "revoked"),
            Selection::Certs(certs) => {
                if digests.is_empty() {
                    digests.push(DigestAlgorithm::Sha256);
                }
                for c in certs {
                    let name = c.common_name.clone().unwrap_or_else(|| "revoked".into());
                    for &d in &digests {
                        for pk in [false, true] {
                            push(c.fingerprint(d, pk), &name);
                        }
                    }
                }
            }
            _ => {}
        }
        out
    };
    let mut not_confirmed = false;
    let mut declined = false;
    let mut confirm = |matching: &[StoredEntry], revocations: &[Revocation]| -> bool {
        if !matching.is_empty() {
            tell!(
                "ccert: {} entr{} of {shown} to remove:",
                matching.len(),
                if matching.len() == 1 { "y" } else { "ies" },
            );
            for e in matching {
                tell!(
                    "  {} {}",
                    crate::text::terminal_safe(&e.fingerprint),
                    crate::text::terminal_safe(&e.name)
                );
            }
        }
        tell!(
            "ccert: {} fingerprint{} to deny in {shown} (revocation rows):",
            revocations.len(),
            if revocations.len() == 1 { "" } else { "s" },
        );
        for r in revocations {
            tell!(
                "  {} {}",
                crate::text::terminal_safe(&r.fingerprint),
                crate::text::terminal_safe(&r.action())
            );
        }
        if args.dry_run {
            return false;
        }
        if args.yes {
            return true;
        }
        let Some(answer) = super::ask_revocation(matching.len().max(1)) else {
            not_confirmed = true;
            return false;
        };
        let confirmed = answer.unwrap_or(false);
        declined = !confirmed;
        confirmed
    };
    let done = store.revoke(&mut select, &mut deny, &mut confirm)?;
    if let Selection::Crl(crl, crl_path) = selection {
        tell!(
            "ccert: {}: {} revoked serial number{} of \"{}\"",
            crl_path.display(),
            crl.len(),
            if crl.len() == 1 { "" } else { "s" },
            crate::cert::name::terminal_safe(&crl.issuer)
        );
        if !unchecked.is_empty() {
            tell!(
                "ccert: warning: {} entr{} of {shown} ha{} no stored certificate (added by \
                 fingerprint): the CRL cannot say whether {} revoked; check by hand (`ccert \
                 revoke --fingerprint FP`):",
                unchecked.len(),
                if unchecked.len() == 1 { "y" } else { "ies" },
                if unchecked.len() == 1 { "s" } else { "ve" },
                if unchecked.len() == 1 {
                    "it is"
                } else {
                    "they are"
                },
            );
            for fp in unchecked.iter().take(20) {
                tell!("  {}", crate::text::terminal_safe(fp));
            }
            if unchecked.len() > 20 {
                tell!("  … and {} more", unchecked.len() - 20);
            }
        }
    }
    if args.dry_run {
        say!("dry run: nothing changed");
        return Ok(Outcome::Success);
    }
    if not_confirmed {
        bail!(
            "{shown}: refusing to revoke without confirmation: standard input is not a \
             terminal; pass --yes to revoke these entries"
        );
    }
    if declined {
        tell!("ccert: nothing revoked");
        return Ok(Outcome::Failure);
    }
    let Some((removed, revocations)) = done else {
        if let Selection::Crl(..) = selection {
            say!("{shown}: no entry matches a certificate the CRL revokes; nothing revoked");
            return Ok(Outcome::Success);
        }
        bail!("{shown}: no entry matches; nothing revoked (see `ccert list`)");
    };
    say!(
        "removed {} entr{} from {shown} and denied {} fingerprint{} there (servers querying the \
         database deny them through the revocations .cf; `ccert sync` copies them into each \
         server's deny table)",
        removed.len(),
        if removed.len() == 1 { "y" } else { "ies" },
        revocations.len(),
        if revocations.len() == 1 { "" } else { "s" },
    );
    Ok(Outcome::Success)
}
