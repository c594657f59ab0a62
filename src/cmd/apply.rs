//! `ccert apply FILE`: make the list match a desired-state file
//! ([`crate::desired`]), for configuration management.
//!
//! Built on the edit engine ([`crate::source::edit`]): one streamed read
//! plans every add, rename and removal, one streamed copy writes them, and
//! the tables are rebuilt once, not at all when nothing changed. ccert owns
//! only the entries it wrote (ccert's comment describes them): hand-written
//! lines are never touched, and a client whose fingerprint only a
//! hand-written line holds under another name is an error, not a rename.
//! A `pgsql:` list is entirely ccert's and is changed in one transaction.
//!
//! Exit codes are the detailed ones of `terraform plan -detailed-exitcode`:
//! 0 nothing changed, 2 changed (with `--check`: would change), 1 error
//! (nothing changed).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::io::Write as _;

use anyhow::{Context as _, bail};
use serde::Serialize;
use time::OffsetDateTime;

use crate::cert::name::terminal_safe;
use crate::certstore::CertStore;
use crate::cli::{ApplyArgs, ApplyFormat};
use crate::desired::{self, Client, Rules};
use crate::fleet::NewEntry;
use crate::source::Record;
use crate::source::annotation::Annotation;
use crate::source::edit::{self, Message, Outcome as EditOutcome, Put};
use crate::source::locked::LockedSource;

use super::{
    Context, Outcome, access_table, as_access_entry, finish_output, rebuild_then_unlock,
    tables_behind,
};

/// What apply changed (or would change), for the output.
#[derive(Debug, Default, Serialize)]
struct Report {
    changed: bool,
    added: Vec<Named>,
    removed: Vec<Named>,
    renamed: Vec<Renamed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
    /// Done messages (text output), in order.
    #[serde(skip)]
    said: Vec<String>,
}

/// An entry added or removed.
#[derive(Debug, Serialize)]
struct Named {
    name: String,
    fingerprint: String,
}

/// An entry renamed.
#[derive(Debug, Serialize)]
struct Renamed {
    fingerprint: String,
    from: String,
    to: String,
}

/// Runs `ccert apply`.
pub fn run(args: &ApplyArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    // Everything that can be wrong with the file is found before the list
    // is opened: bad input changes nothing.
    let rules = Rules {
        digest: ctx.default_digest()?,
        pubkey: ctx.default_pubkey()?,
        today: OffsetDateTime::now_utc().date(),
    };
    let clients = desired::read(&args.file, rules, &ctx.passwords)?;
    let report = match ctx.store_map()? {
        Some(map) => apply_store(args, &map, &clients)?,
        None => apply_file(args, ctx, &clients)?,
    };
    let changed = report.changed;
    print(args, report)?;
    Ok(if changed {
        Outcome::Exit(2)
    } else {
        Outcome::Success
    })
}

/// `apply` on a source file.
fn apply_file(args: &ApplyArgs, ctx: &Context, clients: &[Client]) -> anyhow::Result<Report> {
    let path = ctx.source_path()?;
    let list = path.display().to_string();
    // A check_ccert_access table holds actions: each entry's value is the
    // action and the client's name goes into ccert's comment, as `add` does.
    let access = access_table(ctx, &path)?;
    let puts: Vec<Put> = clients
        .iter()
        .map(|c| {
            let mut put = Put {
                fingerprint: c.fingerprint.clone(),
                name: c.name.clone(),
                annotation: c.annotation.clone(),
            };
            if access {
                as_access_entry(&mut put);
            }
            put
        })
        .collect();
    let keys: HashSet<Vec<u8>> = clients
        .iter()
        .map(|c| c.fingerprint.to_map_key().into_bytes())
        .collect();
    // --check never creates the source; a missing one is planned as empty.
    let mut locked = if args.check && std::fs::symlink_metadata(&path).is_err() {
        None
    } else {
        Some(LockedSource::open(&path, true)?)
    };
    // The first record of each wanted key (the one Postfix finds) and
    // whether ccert wrote it: a hand-written one is never renamed.
    let mut first: HashMap<Vec<u8>, bool> = HashMap::new();
    let plan = match &locked {
        None => edit::plan_empty(&puts, true),
        Some(locked) => {
            // A rotation (`ccert rotate`) to a wanted certificate keeps its
            // old entry until it is finished: `prune` retires it, or apply
            // once the overlap has ended.
            let today = time::OffsetDateTime::now_utc().date();
            let rotating: HashSet<crate::cert::Fingerprint> = crate::lifecycle::rotations(locked)?
                .into_iter()
                .filter(|r| {
                    !r.overlap_over(today) && keys.contains(r.successor.to_map_key().as_bytes())
                })
                .map(|r| r.predecessor)
                .collect();
            let rotating_out = |r: &Record| {
                !rotating.is_empty()
                    && std::str::from_utf8(&r.key)
                        .ok()
                        .and_then(crate::cert::Fingerprint::parse)
                        .is_some_and(|fp| rotating.contains(&fp))
            };
            let mut select = |r: &Record, above: Option<&Annotation>| {
                let owned = above.is_some();
                match first.entry(r.key.to_ascii_lowercase()) {
                    // A later copy of a wanted key: ccert's goes.
                    Entry::Occupied(_) => owned,
                    Entry::Vacant(v) if keys.contains(v.key()) => {
                        v.insert(owned);
                        false
                    }
                    // Not wanted: ccert's goes (unless a wanted one is
                    // rotating in for it), a hand-written one stays.
                    Entry::Vacant(_) => owned && !rotating_out(r),
                }
            };
            edit::plan(locked, &puts, true, Some(&mut select))?
        }
    };
    for (c, outcome) in clients.iter().zip(&plan.outcomes) {
        let key = c.fingerprint.to_map_key().into_bytes();
        if let EditOutcome::Renamed { line, old } = outcome
            && first.get(&key) == Some(&false)
        {
            bail!(
                "{list}{}: {} is in a line ccert did not write, under the name {old:?}; apply \
                 leaves hand-written lines alone: remove or change that line, or name the client \
                 {old:?} ({}: [[client]] {} ({:?})); nothing changed",
                line.map(|n| format!(":{n}")).unwrap_or_default(),
                c.fingerprint,
                args.file.display(),
                c.index,
                c.name
            );
        }
    }
    let mut report = Report::default();
    for (c, outcome) in clients.iter().zip(&plan.outcomes) {
        note(&mut report, c, outcome, &list, args.check);
    }
    for r in &plan.removed {
        let (fingerprint, name) = (
            String::from_utf8_lossy(&r.key).into_owned(),
            String::from_utf8_lossy(&r.value).into_owned(),
        );
        report
            .said
            .push(removed_line(&fingerprint, &name, &list, args.check));
        report.removed.push(Named { name, fingerprint });
    }
    if args.diff {
        report.diff = Some(plan.diff(locked.as_ref())?);
    }
    // A table that is missing or older than the source (an interrupted
    // edit) is built (and counts as a change), as `add` builds it.
    let source_exists = locked.as_ref().is_some_and(|l| !l.created()) || plan.changes();
    let missing = !args.no_compile && source_exists && tables_behind(&path, ctx)?;
    report.changed = plan.changes() || missing;
    if missing && !plan.changes() {
        report.said.push(format!(
            "{} the missing or out-of-date tables of {list}",
            if args.check { "would build" } else { "built" }
        ));
    }
    let Some(mut locked) = locked.take().filter(|_| !args.check) else {
        return Ok(report);
    };
    if plan.changes() {
        // Certificate copies first (for rehash), as `add` keeps them.
        let store = CertStore::for_source(&path);
        for (c, outcome) in clients.iter().zip(&plan.outcomes) {
            if let (true, Some(cert)) = (outcome.changes(), &c.certificate) {
                store.save(cert).with_context(|| {
                    format!(
                        "{}: keeping a copy of the certificate of [[client]] {} for rehash",
                        store.dir().display(),
                        c.index
                    )
                })?;
            }
        }
        plan.commit(&mut locked)?;
        if !plan.removed.is_empty() {
            // As `remove`: the copies of certificates no entry names any more go.
            super::prune_store_copies(&locked, &path)?;
        }
    }
    rebuild_then_unlock(locked, report.changed && !args.no_compile, &path, ctx)?;
    Ok(report)
}

/// Records one wanted entry's outcome in the report.
fn note(report: &mut Report, c: &Client, outcome: &EditOutcome, list: &str, check: bool) {
    let fingerprint = c.fingerprint.to_string();
    match outcome {
        EditOutcome::Added => report.added.push(Named {
            name: c.name.clone(),
            fingerprint,
        }),
        EditOutcome::Renamed { old, .. } => report.renamed.push(Renamed {
            fingerprint,
            from: old.clone(),
            to: c.name.clone(),
        }),
        EditOutcome::Unchanged { .. } | EditOutcome::OtherName { .. } => return,
    }
    if let Message::Done(text) = outcome.message(&c.fingerprint, &c.name, list, None, false) {
        report.said.push(if check {
            format!("would have {text}")
        } else {
            text
        });
    }
}

/// What apply says of an entry it removed (or, with --check, would remove).
fn removed_line(fingerprint: &str, name: &str, list: &str, check: bool) -> String {
    format!(
        "{} {} {} from {list}",
        if check { "would remove" } else { "removed" },
        terminal_safe(fingerprint),
        terminal_safe(name)
    )
}

/// `apply` on a database list: one transaction (rolled back with --check).
fn apply_store(args: &ApplyArgs, map: &str, clients: &[Client]) -> anyhow::Result<Report> {
    let entries: Vec<NewEntry> = clients
        .iter()
        .map(|c| {
            NewEntry::new(
                c.fingerprint.clone(),
                c.name.clone(),
                c.pubkey,
                c.certificate.clone(),
            )
        })
        .collect();
    let mut store = super::store_edge::open(map)?;
    let list = store.postfix_name();
    let done = store.apply(&entries, args.check)?;
    let mut report = Report::default();
    let mut diff = String::new();
    for (c, outcome) in clients.iter().zip(&done.outcomes) {
        note(&mut report, c, outcome, &list, args.check);
        match outcome {
            EditOutcome::Added => diff.push_str(&format!(
                "+{} {}\n",
                c.fingerprint.to_map_key(),
                terminal_safe(&c.name)
            )),
            EditOutcome::Renamed { old, .. } => diff.push_str(&format!(
                "-{key} {}\n+{key} {}\n",
                terminal_safe(old),
                terminal_safe(&c.name),
                key = c.fingerprint.to_map_key()
            )),
            _ => {}
        }
    }
    for e in &done.removed {
        report
            .said
            .push(removed_line(&e.fingerprint, &e.name, &list, args.check));
        diff.push_str(&format!(
            "-{} {}\n",
            terminal_safe(&e.fingerprint),
            terminal_safe(&e.name)
        ));
        report.removed.push(Named {
            name: e.name.clone(),
            fingerprint: e.fingerprint.clone(),
        });
    }
    report.changed =
        !report.added.is_empty() || !report.renamed.is_empty() || !report.removed.is_empty();
    if args.diff {
        report.diff = Some(diff);
    }
    Ok(report)
}

/// Prints the report: text lines, or one JSON object.
fn print(args: &ApplyArgs, report: Report) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match args.format {
        ApplyFormat::Json => serde_json::to_writer_pretty(&mut out, &report)
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out)),
        ApplyFormat::Text => (|| {
            if let Some(diff) = &report.diff {
                write!(out, "{diff}")?;
            }
            for line in &report.said {
                writeln!(out, "{line}")?;
            }
            Ok(())
        })(),
    };
    finish_output(written.and_then(|()| out.flush()))?;
    if args.format == ApplyFormat::Text && !report.changed {
        tell!(
            "ccert: notice: the list already matches {}; nothing to do",
            args.file.display()
        );
    }
    Ok(())
}
