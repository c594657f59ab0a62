//! `ccert list`.

use std::io::{BufReader, Write as _};

use anyhow::Context as _;
use serde::{Serialize, Serializer as _};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cert::Fingerprint;
use crate::cli::{ListArgs, ListFormat};
use crate::source::annotation::Annotation;
use crate::source::repeated::RepeatedKeys;
use crate::source::{CommentsAbove, Item, RecordReader};

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
///
/// The source is streamed, and plain and JSON output are written while it
/// is read, so memory stays small on a million-entry source (duplicates are
/// marked exactly with a first pass, see [`RepeatedKeys`]).
pub fn run(args: &ListArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if let Some(map) = ctx.store_map()? {
        return super::fleet::list(args, &map);
    }
    let path = ctx.source_path()?;
    // Refuses a FIFO or device; sweeps killed edits' temp files.
    crate::source::locked::before_reading(&path)?;
    let open = || {
        std::fs::File::open(&path)
            .map(|f| RecordReader::new(BufReader::with_capacity(1 << 16, f)).with_comments())
            .with_context(|| {
                format!(
                    "reading the clientcerts source {} (name another file with --map)",
                    path.display()
                )
            })
    };
    let reading = || format!("reading the clientcerts source {}", path.display());
    // Plain output shows no duplicate marks: one pass is enough.
    let mut read_error = None;
    let mut repeated = if args.format == ListFormat::Plain {
        RepeatedKeys::default()
    } else {
        RepeatedKeys::from_keys(
            open()?
                .map_while(|item| item.map_err(|e| read_error = Some(e)).ok())
                .filter_map(|item| match item {
                    Item::Record(r) => Some(fold(&r.key)),
                    _ => None,
                }),
        )
    };
    if let Some(e) = read_error {
        return Err(e).with_context(reading);
    }

    let cutoff = args
        .expiring
        .map(|days| OffsetDateTime::now_utc() + time::Duration::days(i64::from(days)));
    let mut comments = CommentsAbove::default();
    let mut failed: Option<anyhow::Error> = None;
    let mut entries = open()?.filter_map(|item| {
        let item = match item {
            Ok(item) => item,
            Err(e) => {
                failed = Some(anyhow::Error::new(e).context(reading()));
                return None;
            }
        };
        let r = match item {
            Item::Record(r) => r,
            Item::Problem(p) => {
                tell!(
                    "ccert: warning: {}:{}: {}",
                    path.display(),
                    p.line,
                    p.message
                );
                return None;
            }
            Item::Comment(index, text) => {
                comments.note(index, text);
                return None;
            }
        };
        let earlier = repeated.first_line(&fold(&r.key), r.line);
        let annotation = comments
            .above(r.lines.start)
            .and_then(|text| Annotation::parse(&text))
            .filter(|a| a.describes(&r.key))
            .unwrap_or_default();
        let digest = std::str::from_utf8(&r.key)
            .ok()
            .and_then(Fingerprint::parse)
            .map(|f| f.algorithm.name());
        let entry = Entry {
            key: r.key,
            value: r.value,
            digest,
            pubkey: annotation.pubkey,
            not_after: annotation.not_after,
            subject: annotation.subject,
            line: r.line,
            duplicate: earlier != r.line,
            duplicate_of: (earlier != r.line).then_some(earlier),
        };
        match cutoff {
            Some(cutoff) if entry.not_after.is_none_or(|t| t > cutoff) => None,
            _ => Some(entry),
        }
    });
    let shown = print(&mut entries, args.format)?;
    drop(entries);
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(if args.expiring.is_some() && shown > 0 {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

/// Prints the entries as they come; returns how many were printed.
fn print(entries: &mut dyn Iterator<Item = Entry>, format: ListFormat) -> anyhow::Result<usize> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut count = 0;
    match format {
        ListFormat::Plain => {
            for e in entries {
                count += 1;
                out.write_all(&e.key)?;
                out.write_all(b" ")?;
                out.write_all(&e.value)?;
                out.write_all(b"\n")?;
            }
        }
        ListFormat::Json => {
            let mut serializer = serde_json::Serializer::pretty(&mut out);
            serializer.collect_seq(entries.inspect(|_| count += 1))?;
            out.write_all(b"\n")?;
        }
        ListFormat::Table => {
            let mut table = comfy_table::Table::new();
            table
                .load_preset(comfy_table::presets::UTF8_HORIZONTAL_ONLY)
                .set_header(["FINGERPRINT", "NAME", "DIGEST", "NOT AFTER", "LINE", "NOTE"]);
            for e in entries {
                count += 1;
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
    Ok(count)
}

/// Text for a table cell: control characters (a CR kept inside a joined
/// value, a TAB in a quoted key) shown as `?` so they cannot garble the table.
fn visible(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Folds a key as postmap does before storing: ASCII lower case (for
/// non-ASCII UTF-8 postmap uses full Unicode case folding, approximated
/// here with Unicode lower case).
fn fold(key: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(key) {
        Ok(s) if !s.is_ascii() => s.to_lowercase().into_bytes(),
        _ => key.to_ascii_lowercase(),
    }
}
