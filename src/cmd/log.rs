//! `ccert log`: the client certificates smtpd logged, which of them the
//! clientcerts source lists, and (with `--approve`) adding the others.

use std::collections::HashMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

use anyhow::{Context as _, bail};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::cli::{LogArgs, LogFormat};
use crate::maillog::{self, Collector, DigestSource, Sighting};
use crate::source::annotation::Annotation;
use crate::source::edit::{self, Put};
use crate::source::locked::LockedSource;
use crate::text::terminal_safe as safe;

use super::{Context, Outcome, Shown, rebuild_then_unlock};

/// A sighting with what ccert knows about it.
#[derive(Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    sighting: Sighting,
    /// The digest the fingerprints are taken to be in.
    #[serde(serialize_with = "digest_name")]
    digest: DigestAlgorithm,
    /// Where that digest comes from: `service` (master.cf), `main.cf`, or
    /// `default` (no Postfix configuration in -c DIR: sha256).
    digest_from: &'static str,
    /// Why the fingerprints cannot be used (their length does not fit the digest).
    unusable: Option<String>,
    /// The name the source lists it under, and whether by its public key.
    listed_as: Option<String>,
    /// Whether the listed entry is the public-key fingerprint.
    listed_by_pubkey: Option<bool>,
}

fn digest_name<S: serde::Serializer>(d: &DigestAlgorithm, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.name())
}

/// Runs `ccert log`.
pub fn run(args: &LogArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let cfg = ctx.postfix()?;
    // An unknown digest in main.cf is refused before any log is read.
    let fallback = ctx.default_digest()?;
    let now = OffsetDateTime::now_utc();
    let offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, now, offset))
        .transpose()?;
    if args.approve && !std::io::stdin().is_terminal() {
        bail!(
            "refusing to --approve: standard input is not a terminal; add clients with \
             `ccert add --fingerprint FP --name NAME`"
        );
    }

    let maillog = cfg.present.then(|| cfg.get("maillog_file")).flatten();
    let inputs = maillog::inputs(&args.files, maillog.as_deref())?;
    let mut collector = Collector::default();
    for input in &inputs {
        read_one(input, &mut collector, since, now, offset)?;
    }

    if collector.dropped() > 0 {
        tell!(
            "ccert: warning: more than {} distinct client certificates in the log: {} later \
             connection{} not shown; narrow the log with --since",
            maillog::collect::MAX_ROWS,
            collector.dropped(),
            if collector.dropped() == 1 { "" } else { "s" }
        );
    }
    let source_path = ctx.source_path()?;
    let listed = listed_keys(&source_path)?;
    let mut rows: Vec<Row> = collector
        .finish()
        .into_iter()
        .map(|s| classify(s, cfg, fallback, &listed))
        .collect::<Result<_, _>>()?;
    // Unusable fingerprints (another digest's length) are not listed either.
    let unknown = rows.iter().filter(|r| r.listed_as.is_none()).count();
    if !args.all {
        rows.retain(|r| r.listed_as.is_none());
    }
    if args.approve {
        return approve(&rows, &source_path, args.no_compile, ctx);
    }
    let hint = crate::doctor::logging_hint(cfg);
    print(&rows, args.format, args.all, offset, &hint)?;
    Ok(if unknown == 0 {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

fn read_one(
    input: &maillog::Input,
    collector: &mut Collector,
    since: Option<OffsetDateTime>,
    now: OffsetDateTime,
    offset: UtcOffset,
) -> anyhow::Result<()> {
    let stats = maillog::read_input(input, collector, since, now, offset)?;
    if stats.long_lines > 0 {
        tell!(
            "ccert: notice: {input}: skipped {} line{} longer than {} bytes (no smtpd line is that long)",
            stats.long_lines,
            if stats.long_lines == 1 { "" } else { "s" },
            maillog::MAX_LINE
        );
    }
    Ok(())
}

/// The source's keys (folded) and names; empty when the source does not exist yet.
fn listed_keys(path: &Path) -> anyhow::Result<HashMap<String, String>> {
    let bytes = match crate::fsutil::read_bounded(path, crate::fsutil::limits::SOURCE_FILE) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tell!(
                "ccert: notice: {} does not exist yet: every client is unknown",
                path.display()
            );
            return Ok(HashMap::new());
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("reading the clientcerts source {}", path.display()));
        }
    };
    let mut out = HashMap::new();
    let mut comments = crate::source::CommentsAbove::default();
    for item in crate::source::RecordReader::new(bytes.as_slice()).with_comments() {
        let r = match item.with_context(|| format!("reading {}", path.display()))? {
            crate::source::Item::Record(r) => r,
            crate::source::Item::Comment(index, text) => {
                comments.note(index, text);
                continue;
            }
            crate::source::Item::Problem(_) => continue,
        };
        // A check_ccert_access entry's value is an action: the client's
        // name is in ccert's comment.
        let name = crate::lifecycle::note_above(&mut comments, &r)
            .and_then(|a| a.name)
            .unwrap_or_else(|| String::from_utf8_lossy(&r.value).into_owned());
        // postmap keeps the first of duplicate keys.
        out.entry(String::from_utf8_lossy(&r.key).to_ascii_lowercase())
            .or_insert(name);
    }
    Ok(out)
}

fn classify(
    sighting: Sighting,
    cfg: &crate::postfix::PostfixConfig,
    fallback: DigestAlgorithm,
    listed: &HashMap<String, String>,
) -> Result<Row, crate::postfix::ConfigError> {
    let source = maillog::digest_for(cfg, &sighting.syslog_name, fallback)?;
    let digest = source.algorithm();
    let mut unusable = None;
    let mut listed_as = None;
    let mut listed_by_pubkey = None;
    for (fp, pubkey) in [
        (&sighting.cert_fingerprint, false),
        (&sighting.pkey_fingerprint, true),
    ] {
        let Some(fp) = fp else { continue };
        match maillog::fingerprint_in(fp, digest) {
            Err(why) => unusable = Some(why),
            Ok(fp) => {
                if listed_as.is_none()
                    && let Some(name) = listed.get(&fp.to_map_key())
                {
                    listed_as = Some(name.clone());
                    listed_by_pubkey = Some(pubkey);
                }
            }
        }
    }
    Ok(Row {
        sighting,
        digest,
        digest_from: match source {
            DigestSource::Service(_) => "service",
            DigestSource::Main(_) => "main.cf",
            DigestSource::Default(_) => "default",
        },
        unusable,
        listed_as,
        listed_by_pubkey,
    })
}

/// `--since`: a date, an RFC 3339 time, or an age (`90m`, `12h`, `7d`).
fn parse_since(
    text: &str,
    now: OffsetDateTime,
    offset: UtcOffset,
) -> anyhow::Result<OffsetDateTime> {
    let t = text.trim();
    if let Ok(at) = OffsetDateTime::parse(t, &Rfc3339) {
        return Ok(at);
    }
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = time::Date::parse(t, &day) {
        return Ok(date.midnight().assume_offset(offset));
    }
    let unit = t.chars().last().unwrap_or(' ');
    let seconds: i64 = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86400,
        _ => 0,
    };
    let number = &t[..t.len() - unit.len_utf8().min(t.len())];
    if seconds > 0 && number.starts_with('-') {
        bail!(
            "--since {text:?}: an age counts back from now and is never negative; give 7d, 12h or 90m"
        );
    }
    if seconds > 0 && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
        // Checked all the way: a huge age must not overflow (it panicked).
        let at = number
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(seconds))
            .and_then(|s| now.checked_sub(time::Duration::seconds(s)))
            .filter(|at| at.year() >= 1);
        return match at {
            Some(at) => Ok(at),
            None => bail!(
                "--since {text:?}: that age reaches back before the year 1; give a shorter one \
                 (or omit --since to read the whole log)"
            ),
        };
    }
    bail!("--since {text:?}: give a date (2026-11-25), an RFC 3339 time or an age (90m, 12h, 7d)")
}

/// A time in the local offset, to the second.
fn stamp(t: Option<OffsetDateTime>, offset: UtcOffset) -> String {
    t.and_then(|t| {
        t.to_offset(offset)
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .ok()
    })
    .unwrap_or_else(|| "-".to_string())
}

/// `hint` says which setting makes smtpd log fingerprints (for an empty log).
fn print(
    rows: &[Row],
    format: LogFormat,
    all: bool,
    offset: UtcOffset,
    hint: &str,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        LogFormat::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            writeln!(out)?;
        }
        LogFormat::Table => {
            if rows.is_empty() {
                if all {
                    tell!("ccert: no client certificates in the log ({hint})");
                } else {
                    tell!(
                        "ccert: no unknown client certificates in the log (--all shows the known ones)"
                    );
                }
                return Ok(());
            }
            // Fitted to the terminal as `list` is: full fingerprints only
            // where they leave room for the other columns.
            // Into a pipe or a file without COLUMNS, whole lines (for grep).
            let fit = std::io::stdout().is_terminal() || std::env::var_os("COLUMNS").is_some();
            let width = if fit {
                super::table_layout::width()
            } else {
                u16::MAX
            };
            let full = width >= super::table_layout::FULL_FINGERPRINTS_FROM;
            let shown = |f: &str| {
                if full {
                    f.to_string()
                } else {
                    super::table_layout::shorten(f)
                }
            };
            let mut table = comfy_table::Table::new();
            table
                .load_preset(comfy_table::presets::UTF8_HORIZONTAL_ONLY)
                .set_content_arrangement(if fit {
                    comfy_table::ContentArrangement::Dynamic
                } else {
                    comfy_table::ContentArrangement::Disabled
                })
                .set_width(width)
                .set_header([
                    "CLIENT",
                    "SUBJECT CN",
                    "ISSUER",
                    "FINGERPRINTS",
                    "FIRST / LAST SEEN",
                    "CONN",
                    "REFUSED",
                    "LISTED",
                ]);
            for r in rows {
                let s = &r.sighting;
                let mut fps = Vec::new();
                if let Some(f) = &s.cert_fingerprint {
                    fps.push(format!("cert {}", shown(&safe(f))));
                }
                if let Some(f) = &s.pkey_fingerprint {
                    let kind = if s.raw_public_key { "raw key" } else { "pkey" };
                    fps.push(format!("{kind} {}", shown(&safe(f))));
                }
                fps.push(match r.digest_from {
                    "service" => format!("({}, the service's digest)", r.digest),
                    "main.cf" => format!("({}, from main.cf)", r.digest),
                    _ => format!("({}, assumed: no main.cf)", r.digest),
                });
                let listed = match (&r.listed_as, r.listed_by_pubkey, &r.unusable) {
                    (_, _, Some(why)) => format!("unusable: {}", safe(why)),
                    (Some(name), Some(true), _) => format!("{} (pkey)", safe(name)),
                    (Some(name), _, _) => safe(name).into_owned(),
                    (None, _, _) => "no".to_string(),
                };
                table.add_row([
                    format!("{}\n{}", safe(&s.client), safe(&s.syslog_name)),
                    safe(&s.subject_cn).into_owned(),
                    safe(&s.issuer_cn).into_owned(),
                    fps.join("\n"),
                    format!(
                        "{}\n{}",
                        stamp(s.first_seen, offset),
                        stamp(s.last_seen, offset)
                    ),
                    s.connections.to_string(),
                    s.rcpt_rejected.to_string(),
                    listed,
                ]);
            }
            // A fingerprint is never wrapped (it is copied from here into
            // `ccert add --fingerprint`): the other columns give way.
            let widest = rows
                .iter()
                .flat_map(|r| [&r.sighting.cert_fingerprint, &r.sighting.pkey_fingerprint])
                .flatten()
                // comfy-table counts the padding of one space each side.
                .map(|f| shown(f).chars().count() + "raw key ".len() + 2)
                .max()
                .unwrap_or(0);
            if let Some(column) = table.column_mut(3) {
                column.set_constraint(comfy_table::ColumnConstraint::LowerBoundary(
                    comfy_table::Width::Fixed(u16::try_from(widest).unwrap_or(u16::MAX)),
                ));
            }
            writeln!(out, "{table}")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Asks per unknown client whether to add it, then adds the accepted ones in one edit.
fn approve(rows: &[Row], path: &Path, no_compile: bool, ctx: &Context) -> anyhow::Result<Outcome> {
    let candidates: Vec<&Row> = rows
        .iter()
        .filter(|r| r.listed_as.is_none() && r.unusable.is_none())
        .collect();
    for r in rows.iter().filter(|r| r.unusable.is_some()) {
        tell!(
            "ccert: warning: {} ({}): not offered: {}",
            safe(&r.sighting.client),
            safe(&r.sighting.subject_cn),
            safe(r.unusable.as_deref().unwrap_or_default())
        );
    }
    if candidates.is_empty() {
        tell!("ccert: no unknown client certificates to approve");
        return Ok(Outcome::Success);
    }
    let today = OffsetDateTime::now_utc().date();
    let mut chosen: Vec<(Fingerprint, String, Annotation)> = Vec::new();
    let theme = dialoguer::theme::SimpleTheme;
    for r in candidates {
        let s = &r.sighting;
        tell!(
            "\n{} via {}: subject CN \"{}\", issuer \"{}\", {} connection(s), {} refused recipient(s)",
            safe(&s.client),
            safe(&s.syslog_name),
            safe(&s.subject_cn),
            safe(&s.issuer_cn),
            s.connections,
            s.rcpt_rejected
        );
        let add = dialoguer::Confirm::with_theme(&theme)
            .with_prompt("Add this client?")
            .default(false)
            .interact()
            .context("asking whether to add the client")?;
        if !add {
            continue;
        }
        let mut input = dialoguer::Input::<String>::with_theme(&theme).with_prompt("Name");
        // The CN is offered as the default only when it shows as it is: the
        // prompt prints the default raw, and a CN from the log could set the
        // terminal's title or hide part of itself.
        if s.subject_cn == safe(&s.subject_cn) {
            input = input.default(s.subject_cn.clone());
        }
        let name: String = input
            .validate_with(|n: &String| {
                crate::source::check_value(n.as_bytes()).map_err(|e| e.to_string())
            })
            .interact_text()
            .context("asking for the name")?;
        let pubkey = match (&s.cert_fingerprint, &s.pkey_fingerprint) {
            (Some(_), Some(_)) => dialoguer::Confirm::with_theme(&theme)
                .with_prompt("As a public-key entry (survives renewal with the same key)?")
                .default(true)
                .interact()
                .context("asking for the entry type")?,
            (None, Some(_)) => true,
            _ => false,
        };
        let text = if pubkey {
            s.pkey_fingerprint.as_deref()
        } else {
            s.cert_fingerprint.as_deref()
        }
        .unwrap_or_default();
        let fp = maillog::fingerprint_in(text, r.digest).map_err(anyhow::Error::msg)?;
        let subject = (!s.subject_cn.is_empty()).then(|| format!("CN={}", s.subject_cn));
        let note = Annotation::for_fingerprint(&fp, pubkey, subject.as_deref(), today);
        chosen.push((fp, name, note));
    }
    if chosen.is_empty() {
        tell!("ccert: nothing added");
        return Ok(Outcome::Failure);
    }
    let puts: Vec<Put> = chosen
        .into_iter()
        .map(|(fingerprint, name, annotation)| Put {
            fingerprint,
            name,
            annotation,
        })
        .collect();
    let shown: Vec<Shown<'_>> = puts
        .iter()
        .map(|p| Shown {
            fingerprint: &p.fingerprint,
            name: &p.name,
            from: None,
        })
        .collect();
    let list = path.display().to_string();
    let mut locked = LockedSource::open(path, true)?;
    let plan = edit::plan(&locked, &puts, false, None)?;
    super::say_before_commit(&plan.outcomes, &shown, &list, false)?;
    let changed = plan.commit(&mut locked)?;
    super::say_after_commit(&plan.outcomes, &shown, &list);
    rebuild_then_unlock(locked, changed && !no_compile, path, ctx)?;
    Ok(Outcome::Success)
}
