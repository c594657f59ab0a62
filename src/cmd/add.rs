//! `ccert add`.

use std::path::Path;

use crate::cert::chain::Bundle;
use anyhow::{Context as _, bail};
use time::OffsetDateTime;

use crate::cert::{CertWarning, Certificate, DigestAlgorithm, Fingerprint};
use crate::certstore::CertStore;
use crate::cli::AddArgs;
use crate::source::annotation::Annotation;
use crate::source::check_value;
use crate::source::edit::{self, Put};
use crate::source::locked::LockedSource;

use super::{
    Context, Outcome, Shown, access_table, as_access_entry, check_server_digest,
    rebuild_then_unlock, say_after_commit, say_before_commit,
};

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
        planned.push(plan(cert_path, args, digest, pubkey, now, ctx)?);
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
    let access = access_table(ctx, &path)?;

    let mut locked = LockedSource::open(&path, true)?;
    let puts: Vec<Put> = planned
        .iter()
        .map(|p| {
            let mut put = Put {
                fingerprint: p.fingerprint.clone(),
                name: p.name.clone(),
                annotation: p.annotation.clone(),
            };
            if access {
                as_access_entry(&mut put);
            }
            put
        })
        .collect();
    let shown: Vec<Shown<'_>> = planned
        .iter()
        .map(|p| Shown {
            fingerprint: &p.fingerprint,
            name: &p.name,
            from: Some(&p.cert_path),
        })
        .collect();
    let list = path.display().to_string();
    let plan = edit::plan(&locked, &puts, args.replace, None)?;
    say_before_commit(&plan.outcomes, &shown, &list, true)?;
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
    let changed = plan.commit(&mut locked)?;
    // Only now is it true.
    say_after_commit(&plan.outcomes, &shown, &list);
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
    let mut put = Put {
        annotation: Annotation::for_fingerprint(&fp, args.pubkey, None, today),
        fingerprint: fp,
        name: name.to_string(),
    };
    if access_table(ctx, path)? {
        as_access_entry(&mut put);
    }
    let shown = [Shown {
        fingerprint: &put.fingerprint,
        name,
        from: None,
    }];
    let list = path.display().to_string();
    let mut locked = LockedSource::open(path, true)?;
    let plan = edit::plan(&locked, std::slice::from_ref(&put), args.replace, None)?;
    say_before_commit(&plan.outcomes, &shown, &list, true)?;
    let changed = plan.commit(&mut locked)?;
    say_after_commit(&plan.outcomes, &shown, &list);
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
    ctx: &Context,
) -> anyhow::Result<Planned> {
    let shown = cert_path.display().to_string();
    // The error names the file and says what is wrong.
    let certs = crate::cert::read_certificates(cert_path, &ctx.passwords)?;
    let Some(cert) = certs.first() else {
        bail!("{shown}: no certificate found; give a PEM or DER certificate file");
    };
    match crate::cert::chain::bundle(&certs) {
        Bundle::Single => {}
        Bundle::Chain => tell!(
            "ccert: notice: {shown}: using the first of {} certificates (the others are its issuer chain)",
            certs.len()
        ),
        Bundle::Unrelated { at } => bail!(
            "{shown}: holds {} certificates that are not one certificate and its issuer chain \
             (certificate {} \"{}\" is not issued by certificate {} \"{}\"); give each client \
             certificate in a file of its own",
            certs.len(),
            at + 1,
            crate::cert::name::terminal_safe(&certs[at].subject),
            at + 2,
            crate::cert::name::terminal_safe(&certs[at + 1].subject)
        ),
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
    let annotation = Annotation::for_certificate(cert, &fingerprint, pubkey, now.date());
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
