//! `ccert list`.

use std::collections::HashMap;
use std::io::Write as _;

use anyhow::Context as _;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cert::Fingerprint;
use crate::cli::{ListArgs, ListFormat};
use crate::maps::prepare::fold_key;
use crate::source::SourceFile;
use crate::source::annotation::Annotation;

use super::{Context, Outcome};

/// One entry as `list` shows it (and as `--format json` writes it).
#[derive(Debug, Serialize)]
struct Entry {
    /// The key as written (postmap folds it to lower case when compiling).
    #[serde(rename = "fingerprint", serialize_with = "lossy")]
    key: Vec<u8>,
    /// The value.
    #[serde(rename = "name", serialize_with = "lossy")]
    value: Vec<u8>,
    /// The digest the key's length implies, when the key is a fingerprint.
    digest: Option<&'static str>,
    /// Whether ccert recorded it as a public-key fingerprint.
    pubkey: Option<bool>,
    /// The certificate's notAfter, when ccert recorded it.
    #[serde(serialize_with = "rfc3339")]
    not_after: Option<OffsetDateTime>,
    /// The certificate's subject, when ccert recorded it.
    subject: Option<String>,
    /// 1-based first line.
    line: usize,
    /// An earlier entry has the same (folded) key, so postmap ignores this one.
    duplicate: bool,
    /// The line of that earlier entry.
    duplicate_of: Option<usize>,
}

fn lossy<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(bytes))
}

fn rfc3339<S: serde::Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t.and_then(|t| t.format(&Rfc3339).ok()) {
        Some(text) => s.serialize_str(&text),
        None => s.serialize_none(),
    }
}

/// Runs `ccert list`.
pub fn run(args: &ListArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if let Some(map) = ctx.store_map()? {
        return super::fleet::list(args, &map);
    }
    let path = ctx.source_path()?;
    // Refuses a FIFO or device; sweeps killed edits' temp files.
    crate::source::locked::before_reading(&path)?;
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "reading the clientcerts source {} (name another file with --map)",
            path.display()
        )
    })?;
    let source = SourceFile::parse(&bytes);
    let (records, problems) = source.records();
    for p in &problems {
        eprintln!(
            "ccert: warning: {}:{}: {}",
            path.display(),
            p.line,
            p.message
        );
    }
    let mut first_line: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut entries = Vec::new();
    for r in records {
        let earlier = *first_line.entry(fold_key(&r.key)).or_insert(r.line);
        let annotation = (r.lines.start > 0)
            .then(|| Annotation::parse(source.line(r.lines.start - 1)))
            .flatten()
            .filter(|a| a.describes(&r.key));
        let annotation = annotation.unwrap_or_default();
        let digest = std::str::from_utf8(&r.key)
            .ok()
            .and_then(Fingerprint::parse)
            .map(|f| f.algorithm.name());
        entries.push(Entry {
            key: r.key,
            value: r.value,
            digest,
            pubkey: annotation.pubkey,
            not_after: annotation.not_after,
            subject: annotation.subject,
            line: r.line,
            duplicate: earlier != r.line,
            duplicate_of: (earlier != r.line).then_some(earlier),
        });
    }
    if let Some(days) = args.expiring {
        let cutoff = OffsetDateTime::now_utc() + time::Duration::days(i64::from(days));
        entries.retain(|e| e.not_after.is_some_and(|t| t <= cutoff));
    }
    print(&entries, args.format)?;
    Ok(if args.expiring.is_some() && !entries.is_empty() {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

fn print(entries: &[Entry], format: ListFormat) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        ListFormat::Plain => {
            for e in entries {
                out.write_all(&e.key)?;
                out.write_all(b" ")?;
                out.write_all(&e.value)?;
                out.write_all(b"\n")?;
            }
        }
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, entries)?;
            out.write_all(b"\n")?;
        }
        ListFormat::Table => {
            let mut table = comfy_table::Table::new();
            table
                .load_preset(comfy_table::presets::UTF8_HORIZONTAL_ONLY)
                .set_header(["FINGERPRINT", "NAME", "DIGEST", "NOT AFTER", "LINE", "NOTE"]);
            for e in entries {
                table.add_row([
                    visible(&e.key),
                    visible(&e.value),
                    match (&e.digest, e.pubkey) {
                        (Some(d), Some(true)) => format!("{d} (pubkey)"),
                        (Some(d), _) => d.to_string(),
                        (None, _) => "-".to_string(),
                    },
                    e.not_after
                        .and_then(|t| t.format(&Rfc3339).ok())
                        .unwrap_or_else(|| "-".to_string()),
                    e.line.to_string(),
                    e.duplicate_of
                        .map(|l| format!("duplicate of line {l}: ignored"))
                        .unwrap_or_default(),
                ]);
            }
            writeln!(out, "{table}")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Text for a table cell: control characters (a CR kept inside a joined
/// value, a TAB in a quoted key) shown as `?` so they cannot garble the table.
fn visible(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
