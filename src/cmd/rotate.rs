//! `ccert rotate`: lists a client's new certificate beside its old one
//! (see [`crate::lifecycle`]).

use anyhow::{Context as _, bail};
use time::OffsetDateTime;

use crate::cert::chain::Bundle;
use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::certstore::CertStore;
use crate::cli::RotateArgs;
use crate::lifecycle;
use crate::source::annotation::Annotation;
use crate::source::edit::{self, Put};
use crate::source::locked::LockedSource;
use crate::text::terminal_safe;

use super::{
    Context, Outcome, Shown, access_table, as_access_entry, rebuild_then_unlock, say_after_commit,
    say_before_commit,
};

/// Runs `ccert rotate`.
pub fn run(args: &RotateArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let digest: DigestAlgorithm = match args.digest {
        Some(d) => d,
        None => ctx.default_digest()?,
    };
    // A rotation to an entry that can never match would end in an outage.
    super::check_server_digest(digest, ctx, true)?;
    // Everything about the new certificate is checked before the source is opened.
    let shown = args.cert.display().to_string();
    let certs = crate::cert::read_certificates(&args.cert, &ctx.passwords)?;
    let Some(cert) = certs.first() else {
        bail!("{shown}: no certificate found; give a PEM or DER certificate file");
    };
    if let Bundle::Unrelated { .. } = crate::cert::chain::bundle(&certs) {
        bail!(
            "{shown}: holds {} certificates that are not one certificate and its issuer chain; \
             give the client's new certificate in a file of its own",
            certs.len()
        );
    }
    let now = OffsetDateTime::now_utc();
    if let Some(t) = cert.not_after.filter(|t| *t < now) {
        bail!(
            "{shown}: the new certificate expired on {}; nothing changed (rotate to a valid one)",
            t.date()
        );
    }
    if ctx.store_map()?.is_some() {
        bail!(
            "rotate works on a clientcerts source file; a pgsql: list is not supported yet \
             (add the new certificate with `ccert add`, remove the old one later)"
        );
    }
    let path = ctx.source_path()?;
    let list = path.display().to_string();
    let access = access_table(ctx, &path)?;
    let mut locked = LockedSource::open(&path, false)?;
    let named = lifecycle::named(&locked, &args.name)?;
    let name = terminal_safe(&args.name);
    let (old, old_note) = match named.as_slice() {
        [] => bail!(
            "{list}: no entry is named {name:?}; add the certificate with `ccert add` (see `ccert list`)"
        ),
        [one] => one.clone(),
        several => {
            let running = lifecycle::rotations(&locked)?;
            let lines: Vec<String> = several.iter().map(|(r, _)| r.line.to_string()).collect();
            if let Some(r) = running
                .iter()
                .find(|r| several.iter().any(|(s, _)| s.line == r.successor_line))
            {
                bail!(
                    "{list}: {name:?} is already rotating (line {} succeeds {}); run `ccert prune` \
                     once the new certificate is in use, or remove one entry first",
                    r.successor_line,
                    r.predecessor
                );
            }
            bail!(
                "{list}: {} entries are named {name:?} (lines {}); remove all but the one to \
                 rotate first",
                several.len(),
                lines.join(", ")
            );
        }
    };
    let Some(old_fp) = std::str::from_utf8(&old.key)
        .ok()
        .and_then(Fingerprint::parse)
    else {
        bail!(
            "{list}, line {}: the entry named {name:?} has no fingerprint as its key; fix it by hand",
            old.line
        );
    };
    let pubkey = args.pubkey
        || old_note.as_ref().and_then(|n| n.pubkey) == Some(true)
        || ctx.default_pubkey()?;
    let fingerprint = cert.fingerprint(digest, pubkey);
    let kind = if pubkey { "public-key " } else { "" };
    if fingerprint == old_fp {
        say!(
            "{list}, line {}: {name:?} already lists the {kind}fingerprint {fingerprint} of {shown} \
             (the same key); nothing to rotate",
            old.line
        );
        return Ok(Outcome::Success);
    }
    let until = now.date() + time::Duration::days(i64::from(args.overlap));
    let mut annotation = Annotation::for_certificate(cert, &fingerprint, pubkey, now.date());
    annotation.replaces = Some(old_fp.clone());
    annotation.until = Some(until);
    let mut put = Put {
        fingerprint,
        name: args.name.clone(),
        annotation,
    };
    if access {
        as_access_entry(&mut put);
    }
    let shown_entry = [Shown {
        fingerprint: &put.fingerprint,
        name: &args.name,
        from: Some(&shown),
    }];
    let plan = edit::plan(&locked, std::slice::from_ref(&put), false, None)?;
    say_before_commit(&plan.outcomes, &shown_entry, &list, false)?;
    if !plan.changes() {
        // The new fingerprint is listed already under this name.
        return Ok(Outcome::Success);
    }
    // The copy first (as `add`): a killed run leaves an unused copy, never
    // an entry without its certificate.
    let store = CertStore::for_source(&path);
    store.save(cert).with_context(|| {
        format!(
            "{}: keeping a copy of {shown} for rehash and prune",
            store.dir().display()
        )
    })?;
    plan.commit(&mut locked)?;
    say_after_commit(&plan.outcomes, &shown_entry, &list);
    say!(
        "rotating {name:?}: the old {old_fp} (line {}) relays until `ccert prune` sees the new \
         one in the mail log, at the latest through {until}",
        old.line
    );
    rebuild_then_unlock(locked, !args.no_compile, &path, ctx)?;
    Ok(Outcome::Success)
}
