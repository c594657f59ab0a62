//! The deny tables of this server: the `check_ccert_access` tables that
//! precede `permit_tls_clientcerts` in each smtpd service's relay
//! restrictions ([`crate::revocation`]). `ccert revoke` writes revocations
//! there; `ccert sync` copies a database list's revocations there.

use std::path::PathBuf;

use anyhow::{Context as _, bail};

use crate::cert::DigestAlgorithm;
use crate::revocation::{self, Target};

use super::Context;

/// One deny table and what goes into it.
pub(crate) struct DenyTable {
    /// As main.cf or master.cf names it.
    pub spec: String,
    /// Its source file.
    pub source: PathBuf,
    /// The digests of the services that consult it.
    pub digests: Vec<DigestAlgorithm>,
    /// Those services (`main.cf` for main.cf's restrictions).
    pub services: Vec<String>,
}

/// The deny tables of the services (each once, with the digests of the
/// services that consult it), and the services that have none.
pub(crate) fn deny_tables<'a>(
    targets: &'a [Target],
    ctx: &Context,
) -> anyhow::Result<(Vec<DenyTable>, Vec<&'a Target>)> {
    let mut tables: Vec<DenyTable> = Vec::new();
    let mut missing = Vec::new();
    for t in targets {
        let Some(spec) = t.walk.deny_table() else {
            missing.push(t);
            continue;
        };
        let what = || {
            format!(
                "the deny table {spec} (check_ccert_access of {})",
                t.service.as_deref().unwrap_or("main.cf")
            )
        };
        let reference = crate::postfix::TableRef::parse(spec);
        let source = match &reference.table_type {
            // smtpd reads a texthash table's source itself: nothing to build.
            Some(crate::postfix::TableType::Other(kind)) if kind == "texthash" => {
                ctx.notice(&format!(
                    "{spec}: smtpd reads a texthash: table when it starts; run `postfix reload` after revoking"
                ));
                PathBuf::from(&reference.name)
            }
            Some(kind) if kind.is_built_from_source() => {
                // Its errors name the table (TYPE:FILE): the context says its role.
                ctx.table(&reference, None)
                    .with_context(|| {
                        format!(
                            "the deny table (check_ccert_access of {})",
                            t.service.as_deref().unwrap_or("main.cf")
                        )
                    })?
                    .source
            }
            _ => bail!(
                "{}: ccert does not write this type of table; nothing changed (add the \
                 `FINGERPRINT {}` entries there by hand, or make the deny table a hash:, lmdb:, \
                 cdb: or texthash: file)",
                what(),
                revocation::REJECT
            ),
        };
        // Postfix opens tables from its queue directory (or a chroot): a
        // relative name, or a `$name` left unexpanded, is no file to write.
        if !source.is_absolute() {
            bail!(
                "{}: not an absolute path; nothing changed (name the table by its full path)",
                what()
            );
        }
        let service = t.service.clone().unwrap_or_else(|| "main.cf".into());
        match tables
            .iter_mut()
            .find(|d| crate::maps::same_file(&d.source, &source) || d.source == source)
        {
            Some(d) => {
                if !d.digests.contains(&t.digest) {
                    d.digests.push(t.digest);
                }
                d.services.push(service);
            }
            None => tables.push(DenyTable {
                spec: spec.to_string(),
                source,
                digests: vec![t.digest],
                services: vec![service],
            }),
        }
    }
    Ok((tables, missing))
}

/// Copies a database list's revocations into this server's deny tables
/// (`ccert sync`; `allow` is the sync copy Postfix reads as its allow
/// list). Entries are only ever added or set to the database's action,
/// never removed: a database that lost rows (a restore, a re-created
/// list, row-level security) cannot take a revocation back
/// (docs/fleet.md, "Revocations"). Without a deny table, one warning says
/// what to add.
pub(crate) fn copy_revocations(
    revocations: &[crate::fleet::Revocation],
    allow: &std::path::Path,
    ctx: &Context,
) -> anyhow::Result<()> {
    use crate::cert::Fingerprint;
    use crate::source::annotation::Annotation;
    use crate::source::edit::{self, Put};
    use crate::source::locked::LockedSource;

    if revocations.is_empty() {
        return Ok(());
    }
    let cfg = ctx.postfix()?;
    let targets = revocation::targets(cfg, allow);
    let (tables, missing) = deny_tables(&targets, ctx)?;
    if !missing.is_empty() {
        let proposed = revocation::proposed(cfg);
        tell!(
            "ccert: warning: the list has {} revoked fingerprint{} but {} no check_ccert_access \
             deny table before {}: a revoked certificate still relays here from a stale copy. \
             Add one ({}; then `touch` its source, `ccert compile` it and `postfix reload`); \
             the next sync fills it",
            revocations.len(),
            if revocations.len() == 1 { "" } else { "s" },
            missing
                .iter()
                .map(|t| t.service.as_deref().unwrap_or("main.cf"))
                .collect::<Vec<_>>()
                .join(", ")
                + if missing.len() == 1 { " has" } else { " have" },
            crate::postfix::restrictions::PERMIT_CERTS,
            missing
                .first()
                .map(|t| t.fix(&proposed))
                .unwrap_or_default()
        );
    }
    let today = time::OffsetDateTime::now_utc().date();
    for t in &tables {
        let mut other_digest = 0usize;
        let mut bad_reason = 0usize;
        let puts: Vec<Put> = revocations
            .iter()
            .filter_map(|r| {
                let fp = Fingerprint::parse(&r.fingerprint)?;
                if !t.digests.contains(&fp.algorithm) {
                    other_digest += 1;
                    return None;
                }
                let mut annotation = Annotation::for_fingerprint(&fp, false, None, today);
                annotation.name = Some(r.name.clone());
                // A row edited by hand is text from outside: a reason that
                // is no part of an SMTP reply (a line break, a control
                // character, too long) still denies, with the plain action.
                let action = revocation::reject_value(r.reason.as_deref()).unwrap_or_else(|_| {
                    bad_reason += 1;
                    revocation::REJECT.to_string()
                });
                Some(Put {
                    fingerprint: fp,
                    name: action,
                    annotation,
                })
            })
            .collect();
        if other_digest > 0 {
            tell!(
                "ccert: warning: {}: {other_digest} revoked fingerprint{} of the list use{} \
                 another digest than {} of this server: not copied (revoke them again with \
                 --fingerprint in this digest)",
                t.spec,
                if other_digest == 1 { "" } else { "s" },
                if other_digest == 1 { "s" } else { "" },
                t.digests
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if bad_reason > 0 {
            tell!(
                "ccert: warning: {bad_reason} revocation reason{} in the database cannot go into \
                 an SMTP reply (control characters, or longer than {} bytes): denied with `{}` alone",
                if bad_reason == 1 { "" } else { "s" },
                revocation::MAX_REASON,
                revocation::REJECT
            );
        }
        if puts.is_empty() {
            continue;
        }
        let mut deny = LockedSource::open(&t.source, true)?;
        let plan = edit::plan(&deny, &puts, true, None)?;
        let changed = plan.commit(&mut deny)?;
        let added = plan.outcomes.iter().filter(|o| o.changes()).count();
        if added > 0 {
            say!(
                "denied {} revoked fingerprint{} in {}",
                added,
                if added == 1 { "" } else { "s" },
                t.source.display()
            );
        }
        let rebuild = changed || super::tables_behind(&t.source, ctx)?;
        super::rebuild_then_unlock(deny, rebuild, &t.source, ctx)?;
    }
    Ok(())
}
