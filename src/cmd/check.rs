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
    // The per-entry part of JSON and Prometheus output goes to a spool file
    // as entries stream in, so memory stays small whatever the list's size,
    // and nothing reaches standard output (or the textfile) before the list
    // was read whole: a failure half-way is one UNKNOWN, not half a document.
    let mut spool = match args.format {
        CheckFormat::Json => Some(Spool::new()?),
        _ => None,
    };
    let mut prometheus = match args.format {
        CheckFormat::Prometheus => Some(Exposition::new(Spool::new()?.out, &list)),
        _ => None,
    };
    let mut json_entries = 0u64;
    let mut offer = |e: Listed| -> anyhow::Result<()> {
        tally.offer(&e);
        if let Some(p) = prometheus.as_mut() {
            p.entry(&e)?;
        }
        if let Some(spool) = spool.as_mut() {
            let entry = serde_json::json!({
                "name": e.name,
                "fingerprint": e.fingerprint,
                "not_after": e.not_after.map(|t| t.unix_timestamp()),
                "days_left": e.not_after.map(|t| (tally.days_left(t) * 100.0).round() / 100.0),
            });
            spool.json_element(json_entries, &entry)?;
            json_entries += 1;
        }
        Ok(())
    };
    let (tables, source_modified) = match (&database, &source) {
        (Some(map), _) => {
            let mut store =
                crate::fleet::open(map).expect("a pgsql: map opens as a database list")?;
            // Streamed: one row at a time, in the order `list` shows.
            let mut failed = None;
            store.each_entry(crate::fleet::EntryOrder::Name, &mut |e| {
                let offered = offer(Listed {
                    name: e.name,
                    fingerprint: e.fingerprint,
                    not_after: e.not_after,
                });
                failed = offered.err();
                failed.is_none()
            })?;
            if let Some(e) = failed {
                return Err(e);
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
                "certificates": Spool::PLACEHOLDER,
            });
            let text = serde_json::to_string_pretty(&doc)?;
            let spool = spool.take().expect("made for this format");
            let mut out = std::io::stdout().lock();
            spool.json_into(&text, &mut out)?;
            let _ = writeln!(out);
        }
        CheckFormat::Prometheus => {
            let p = prometheus.take().expect("made for this format");
            let spool = Spool {
                out: p.finish(&tally, &tables, source_modified, now)?,
            };
            match &args.textfile {
                Some(dir) => write_textfile(dir, spool)?,
                None => spool.copy_to(&mut std::io::stdout().lock())?,
            }
        }
    }
    Ok(status)
}

/// An unnamed temp file (removed by the system when closed) holding the
/// per-entry part of an output until the list has been read whole.
struct Spool {
    out: std::io::BufWriter<std::fs::File>,
}

impl Spool {
    /// What the JSON document holds in place of the certificates until
    /// [`Spool::json_into`] puts the spooled array there.
    const PLACEHOLDER: &'static str = "ccert-spooled-certificates";

    fn new() -> anyhow::Result<Self> {
        let file = tempfile::tempfile()
            .context("creating a temporary file for the output (TMPDIR or /tmp)")?;
        Ok(Self {
            out: std::io::BufWriter::with_capacity(1 << 16, file),
        })
    }

    /// Spools element `index` of the certificates array, laid out as
    /// `to_string_pretty` lays out an array two levels down.
    fn json_element(&mut self, index: u64, value: &serde_json::Value) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        self.out
            .write_all(if index == 0 { b"\n" } else { b",\n" })?;
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                self.out.write_all(b"\n")?;
            }
            self.out.write_all(b"    ")?;
            self.out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    /// Writes `doc` (pretty JSON) with the spooled array in place of its
    /// `"certificates"` placeholder. The key is found as a key: a string
    /// value holding the same words has its quotes escaped.
    fn json_into(self, doc: &str, out: &mut impl std::io::Write) -> anyhow::Result<()> {
        let key = format!("\"certificates\": \"{}\"", Self::PLACEHOLDER);
        let (head, tail) = doc
            .split_once(&key)
            .context("the JSON document lost its certificates")?;
        let mut file = self.into_file()?;
        let spooled = file.metadata()?.len() > 0;
        out.write_all(head.as_bytes())?;
        out.write_all(b"\"certificates\": [")?;
        std::io::copy(&mut file, out)?;
        out.write_all(if spooled { b"\n  ]" } else { b"]" })?;
        out.write_all(tail.as_bytes())?;
        Ok(())
    }

    /// Copies what was spooled to `out`.
    fn copy_to(self, out: &mut impl std::io::Write) -> anyhow::Result<()> {
        std::io::copy(&mut self.into_file()?, out)?;
        out.flush()?;
        Ok(())
    }

    /// The spool, flushed and rewound for reading.
    fn into_file(self) -> anyhow::Result<std::fs::File> {
        use std::io::Seek as _;
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        Ok(file)
    }
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
fn write_textfile(dir: &Path, content: impl Textfile) -> anyhow::Result<()> {
    let target = dir.join("ccert.prom");
    // World-readable: node_exporter runs as its own user.
    let perms = crate::fsutil::Permissions {
        mode: 0o644,
        owner: None,
    };
    let write = || -> anyhow::Result<()> {
        let mut file = crate::fsutil::AtomicFile::new(&target)?;
        content.write_to(file.file())?;
        file.commit(&perms)?;
        Ok(())
    };
    write().with_context(|| format!("writing {}", target.display()))
}

/// What a textfile is written from: the spooled exposition, or the few
/// lines of an UNKNOWN.
trait Textfile {
    fn write_to(self, out: &mut std::fs::File) -> anyhow::Result<()>;
}

impl Textfile for Spool {
    fn write_to(self, out: &mut std::fs::File) -> anyhow::Result<()> {
        self.copy_to(out)
    }
}

impl Textfile for &[u8] {
    fn write_to(self, out: &mut std::fs::File) -> anyhow::Result<()> {
        out.write_all(self)?;
        Ok(())
    }
}
