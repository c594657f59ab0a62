//! `ccert check`: a monitoring plugin (Nagios/Icinga plugin API) and a
//! Prometheus textfile writer over the list Postfix reads.
//!
//! What is checked is what Postfix answers from: the source file
//! `relay_clientcerts` names (or `--map`; a `ccert sync` copy is checked as
//! the copy, since that is what the server reads) and each table built from
//! it, or a `pgsql:` list in the database. Any failure to read it is
//! UNKNOWN (exit 3), never an error exit 1, because a monitoring system
//! reads exit 1 as WARNING.

use std::io::{BufReader, Write as _};
use std::path::Path;

use anyhow::Context as _;
use time::OffsetDateTime;

use crate::cli::{CheckArgs, CheckFormat};
use crate::monitor::{Exposition, Freshness, Listed, Tally, Thresholds};
use crate::source::annotation::Annotation;
use crate::source::{CommentsAbove, Item, RecordReader};

use super::{Context, Outcome};

/// Runs `ccert check`.
pub fn run(args: &CheckArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if args.critical > args.warning {
        return unknown(
            args,
            &format!(
                "--critical {} is more days than --warning {}: the critical threshold must be the nearer one",
                args.critical, args.warning
            ),
        );
    }
    let limits = Thresholds {
        warning_days: args.warning,
        critical_days: args.critical,
    };
    let now = OffsetDateTime::now_utc();
    match check(args, ctx, limits, now) {
        Ok(status) => Ok(Outcome::Exit(status as u8)),
        Err(e) => unknown(args, &crate::report::one_line(&e)),
    }
}

/// Reports UNKNOWN (exit 3) in the chosen format.
fn unknown(args: &CheckArgs, why: &str) -> anyhow::Result<Outcome> {
    let why = crate::cert::name::terminal_safe(why).replace('|', "/");
    match args.format {
        CheckFormat::Nagios => say!("CCERT UNKNOWN - {why}"),
        CheckFormat::Json => say!(
            "{}",
            serde_json::json!({"status": "UNKNOWN", "exit": 3, "summary": why})
        ),
        // A scrape must still parse: the status series says UNKNOWN.
        CheckFormat::Prometheus => {
            let text = "# HELP ccert_check_status The check's plugin status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n# TYPE ccert_check_status gauge\nccert_check_status 3\n";
            match &args.textfile {
                Some(dir) => {
                    if let Err(e) = write_textfile(dir, text.as_bytes()) {
                        tell!("ccert: error: {}", crate::report::one_line(&e));
                    }
                }
                None => say!("{}", text.trim_end()),
            }
            tell!("ccert: error: {why}");
        }
    }
    Ok(Outcome::Exit(3))
}

fn check(
    args: &CheckArgs,
    ctx: &Context,
    limits: Thresholds,
    now: OffsetDateTime,
) -> anyhow::Result<crate::monitor::Status> {
    // What Postfix reads: the database list, or the source file and its
    // tables. Known before the first entry, so each output is one pass.
    let database = ctx.database_list()?;
    let source = match &database {
        Some(_) => None,
        None => Some(ctx.source_path()?),
    };
    let list = match (&database, &source) {
        (Some(map), _) => map.clone(),
        (None, Some(path)) => path.display().to_string(),
        (None, None) => unreachable!("one of the two is set"),
    };
    let mut tally = Tally::new(now, limits);
    let mut prometheus =
        (args.format == CheckFormat::Prometheus).then(|| Exposition::new(Vec::new(), &list));
    let mut json_entries = Vec::new();
    let mut offer = |e: Listed| -> anyhow::Result<()> {
        tally.offer(&e);
        if let Some(p) = prometheus.as_mut() {
            p.entry(&e)?;
        }
        if args.format == CheckFormat::Json {
            json_entries.push(serde_json::json!({
                "name": e.name,
                "fingerprint": e.fingerprint,
                "not_after": e.not_after.map(|t| t.unix_timestamp()),
                "days_left": e.not_after.map(|t| (tally.days_left(t) * 100.0).round() / 100.0),
            }));
        }
        Ok(())
    };
    let (tables, source_modified) = match (&database, &source) {
        (Some(map), _) => {
            let mut store =
                crate::fleet::open(map).expect("a pgsql: map opens as a database list")?;
            for e in store.entries()? {
                offer(Listed {
                    name: e.name,
                    fingerprint: e.fingerprint,
                    not_after: e.not_after,
                })?;
            }
            (Vec::new(), None)
        }
        (None, Some(source)) => {
            read_source(source, &mut offer)?;
            let modified = modified(source)
                .with_context(|| format!("reading the clientcerts source {}", source.display()))?;
            (super::table_states(source, modified, ctx)?, Some(modified))
        }
        (None, None) => unreachable!("one of the two is set"),
    };
    let status = tally.status(&tables);
    match args.format {
        CheckFormat::Nagios => {
            say!("{}", tally.plugin_output(&list, &tables).trim_end());
        }
        CheckFormat::Json => {
            let tables: Vec<_> = tables
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "table": t.table,
                        "state": match t.freshness {
                            Freshness::Current => "current",
                            Freshness::Stale => "stale",
                            Freshness::Missing => "missing",
                        },
                        "built": t.built.map(|b| b.unix_timestamp()),
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "status": status.word(),
                "exit": status as u8,
                "list": list,
                "entries": tally.entries,
                "expired": tally.expired,
                "expiring": tally.critical + tally.warning,
                "without_expiry": tally.without_expiry,
                "soonest": tally.soonest.as_ref().map(|(e, d)| serde_json::json!({
                    "name": e.name, "fingerprint": e.fingerprint,
                    "days_left": (d * 100.0).round() / 100.0,
                })),
                "tables": tables,
                "certificates": json_entries,
            });
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &doc)?;
            let _ = writeln!(out);
        }
        CheckFormat::Prometheus => {
            let p = prometheus.take().expect("made for this format");
            let bytes = p.finish(&tally, &tables, source_modified, now)?;
            match &args.textfile {
                Some(dir) => write_textfile(dir, &bytes)?,
                None => std::io::stdout().lock().write_all(&bytes)?,
            }
        }
    }
    Ok(status)
}

/// Streams the entries of a source file, with what ccert's comment above
/// each records.
fn read_source(
    path: &Path,
    mut each: impl FnMut(Listed) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    crate::source::locked::before_reading(path)?;
    let reading = || format!("reading the clientcerts source {}", path.display());
    let file = crate::fsutil::open_regular(path).with_context(reading)?;
    let mut comments = CommentsAbove::default();
    for item in RecordReader::new(BufReader::with_capacity(1 << 16, file)).with_comments() {
        match item.with_context(reading)? {
            Item::Record(r) => {
                let annotation = comments
                    .above(r.lines.start)
                    .and_then(|text| Annotation::parse(&text))
                    .filter(|a| a.describes(&r.key))
                    .unwrap_or_default();
                each(Listed {
                    name: String::from_utf8_lossy(&r.value).into_owned(),
                    fingerprint: String::from_utf8_lossy(&r.key).into_owned(),
                    not_after: annotation.not_after,
                })?;
            }
            Item::Comment(index, text) => comments.note(index, text),
            Item::Problem(_) => {}
        }
    }
    Ok(())
}

fn modified(path: &Path) -> std::io::Result<OffsetDateTime> {
    Ok(path.metadata()?.modified()?.into())
}

/// Replaces `DIR/ccert.prom` atomically, as node_exporter's textfile
/// collector requires (it may read at any moment).
fn write_textfile(dir: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let target = dir.join("ccert.prom");
    // World-readable: node_exporter runs as its own user.
    let perms = crate::fsutil::Permissions {
        mode: 0o644,
        owner: None,
    };
    crate::fsutil::write_atomic(&target, bytes, &perms)
        .with_context(|| format!("writing {}", target.display()))
}
