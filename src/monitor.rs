//! The verdict behind `ccert check`: how close the listed certificates are
//! to expiry and whether the tables Postfix reads still say what their
//! source says, in the shapes monitoring systems read.
//!
//! Postfix's fingerprint match ignores expiry and trust: a listed
//! certificate that expired years ago still relays. So an expired entry is
//! CRITICAL (it should have been removed), not merely "old"; and a table
//! older than its source is CRITICAL too, because Postfix answers from the
//! table, not from the file the admin edited.
//!
//! Three output shapes, each following its ecosystem (docs/monitoring.md):
//! - the Nagios/Icinga plugin API: exit 0 OK, 1 WARNING, 2 CRITICAL,
//!   3 UNKNOWN, a first line `CCERT STATUS - summary | perfdata`;
//! - the Prometheus text exposition format (for node_exporter's textfile
//!   collector): `# HELP`/`# TYPE`, then one series per listed certificate;
//! - JSON for scripts.
//!
//! Entries are taken one at a time ([`Tally::offer`]), so a million-entry
//! list costs the same memory as ten: only the counts, the soonest expiry
//! and the first [`NAMED`] names of each kind are kept.

use std::fmt::Write as _;
use std::io::{self, Write};

use time::OffsetDateTime;

/// How many names of expired or expiring certificates the long output
/// names before it says "and N more": a plugin's output goes into a
/// notification, which must stay readable.
pub const NAMED: usize = 20;

/// Seconds in a day.
const DAY: f64 = 86_400.0;

/// A monitoring verdict; its number is the plugin exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// 0: nothing to do.
    Ok = 0,
    /// 1: a certificate expires within the warning days.
    Warning = 1,
    /// 2: an expired certificate is still listed, a table is stale or
    /// missing, or a certificate expires within the critical days.
    Critical = 2,
    /// 3: the list could not be read.
    Unknown = 3,
}

impl Status {
    /// The word of the plugin API's first line.
    pub fn word(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// Days before expiry at which a certificate turns WARNING and CRITICAL.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// WARNING when a certificate expires within this many days.
    pub warning_days: f64,
    /// CRITICAL when a certificate expires within this many days.
    pub critical_days: f64,
}

/// One listed entry, as the check needs it.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The value (the client's name).
    pub name: String,
    /// The key (the fingerprint, as written).
    pub fingerprint: String,
    /// The certificate's notAfter, when ccert recorded it.
    pub not_after: Option<OffsetDateTime>,
}

/// Whether a table Postfix reads says what its source says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Built after the source was last changed.
    Current,
    /// Older than its source: Postfix answers from the old entries.
    Stale,
    /// Not there: Postfix cannot open it (lookups fail, 451).
    Missing,
}

/// A table of the list and its state.
#[derive(Debug, Clone)]
pub struct TableState {
    /// `type:path`, as Postfix names it.
    pub table: String,
    /// Its state.
    pub freshness: Freshness,
    /// When it was built, if it exists.
    pub built: Option<OffsetDateTime>,
}

/// The running counts of a check (see the module doc).
#[derive(Debug)]
pub struct Tally {
    now: OffsetDateTime,
    limits: Thresholds,
    /// Entries seen.
    pub entries: u64,
    /// Entries without a recorded notAfter (added by fingerprint).
    pub without_expiry: u64,
    /// Entries whose certificate has expired.
    pub expired: u64,
    /// Entries (not expired) within the critical days.
    pub critical: u64,
    /// Entries within the warning days (not critical).
    pub warning: u64,
    /// The entry that expires first, with its days left.
    pub soonest: Option<(Listed, f64)>,
    /// The first [`NAMED`] expired entries.
    pub expired_names: Vec<String>,
    /// The first [`NAMED`] entries within the thresholds.
    pub expiring_names: Vec<(String, f64)>,
}

impl Tally {
    /// An empty tally at `now`.
    pub fn new(now: OffsetDateTime, limits: Thresholds) -> Self {
        Self {
            now,
            limits,
            entries: 0,
            without_expiry: 0,
            expired: 0,
            critical: 0,
            warning: 0,
            soonest: None,
            expired_names: Vec::new(),
            expiring_names: Vec::new(),
        }
    }

    /// Days from now until `t` (negative once past).
    pub fn days_left(&self, t: OffsetDateTime) -> f64 {
        (t - self.now).as_seconds_f64() / DAY
    }

    /// Counts one entry.
    pub fn offer(&mut self, entry: &Listed) {
        self.entries += 1;
        let Some(not_after) = entry.not_after else {
            self.without_expiry += 1;
            return;
        };
        let days = self.days_left(not_after);
        if days < 0.0 {
            self.expired += 1;
            if self.expired_names.len() < NAMED {
                self.expired_names.push(entry.name.clone());
            }
        } else if days <= self.limits.critical_days || days <= self.limits.warning_days {
            if days <= self.limits.critical_days {
                self.critical += 1;
            } else {
                self.warning += 1;
            }
            if self.expiring_names.len() < NAMED {
                self.expiring_names.push((entry.name.clone(), days));
            }
        }
        if self.soonest.as_ref().is_none_or(|(_, d)| days < *d) {
            self.soonest = Some((entry.clone(), days));
        }
    }

    /// The verdict over the entries and `tables`.
    pub fn status(&self, tables: &[TableState]) -> Status {
        if self.expired > 0
            || self.critical > 0
            || tables.iter().any(|t| t.freshness != Freshness::Current)
        {
            Status::Critical
        } else if self.warning > 0 {
            Status::Warning
        } else {
            Status::Ok
        }
    }

    /// The plugin output: the first line (status, summary, perfdata) and
    /// the long-output lines after it.
    pub fn plugin_output(&self, list: &str, tables: &[TableState]) -> String {
        let status = self.status(tables);
        let mut problems = Vec::new();
        if self.expired > 0 {
            problems.push(format!(
                "{} expired certificate{} still listed (fingerprint matching ignores expiry: {} still relay)",
                self.expired,
                plural(self.expired),
                if self.expired == 1 { "it would" } else { "they would" },
            ));
        }
        if self.critical + self.warning > 0 {
            problems.push(format!(
                "{} certificate{} expiring soon",
                self.critical + self.warning,
                plural(self.critical + self.warning)
            ));
        }
        for t in tables {
            match t.freshness {
                Freshness::Current => {}
                Freshness::Stale => problems.push(format!(
                    "table {} is older than its source (run ccert compile)",
                    t.table
                )),
                Freshness::Missing => {
                    problems.push(format!("table {} is missing (run ccert compile)", t.table))
                }
            }
        }
        let mut summary = if problems.is_empty() {
            let mut s = format!("{} entr{} in {list}", self.entries, ies(self.entries));
            match &self.soonest {
                Some((e, days)) => {
                    let _ = write!(s, ", soonest expiry {} in {:.0} days", e.name, days.floor());
                }
                None if self.entries > 0 => s.push_str(", none with a recorded expiry"),
                None => {}
            }
            s
        } else {
            problems.join("; ")
        };
        // The first line is one line whatever a name holds.
        summary = crate::cert::name::terminal_safe(&summary).replace('|', "/");
        let stale = tables
            .iter()
            .filter(|t| t.freshness != Freshness::Current)
            .count();
        let mut perf = format!(
            "entries={};;;0 expired={};;;0 expiring={};;;0 without_expiry={};;;0 stale_tables={stale};;;0",
            self.entries,
            self.expired,
            self.critical + self.warning,
            self.without_expiry,
        );
        if let Some((_, days)) = &self.soonest {
            let _ = write!(
                perf,
                " soonest_expiry_days={:.2};{};{};;",
                days, self.limits.warning_days, self.limits.critical_days
            );
        }
        let mut out = format!("CCERT {} - {summary} | {perf}\n", status.word());
        let more = |shown: usize, total: u64| {
            let rest = total.saturating_sub(shown as u64);
            if rest > 0 {
                format!(" and {rest} more")
            } else {
                String::new()
            }
        };
        if !self.expired_names.is_empty() {
            let names: Vec<String> = self
                .expired_names
                .iter()
                .map(|n| crate::cert::name::terminal_safe(n).into_owned())
                .collect();
            out.push_str(&format!(
                "expired: {}{}\n",
                names.join(", "),
                more(names.len(), self.expired)
            ));
        }
        if !self.expiring_names.is_empty() {
            let names: Vec<String> = self
                .expiring_names
                .iter()
                .map(|(n, d)| {
                    format!(
                        "{} ({:.0} days)",
                        crate::cert::name::terminal_safe(n),
                        d.floor()
                    )
                })
                .collect();
            out.push_str(&format!(
                "expiring: {}{}\n",
                names.join(", "),
                more(names.len(), self.critical + self.warning)
            ));
        }
        if self.without_expiry > 0 {
            out.push_str(&format!(
                "{} entr{} without a recorded expiry (added by fingerprint): not checked\n",
                self.without_expiry,
                ies(self.without_expiry)
            ));
        }
        out
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn ies(n: u64) -> &'static str {
    if n == 1 { "y" } else { "ies" }
}

/// A Prometheus label value: `\`, `"` and newline escaped, as the text
/// exposition format requires.
pub fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the Prometheus text exposition of a check, entry by entry: the
/// per-certificate family first (as entries stream in), the summary
/// families at the end.
pub struct Exposition<W: Write> {
    out: W,
    list: String,
    header_written: bool,
}

impl<W: Write> Exposition<W> {
    /// An exposition of list `list` into `out`.
    pub fn new(out: W, list: &str) -> Self {
        Self {
            out,
            list: label(list),
            header_written: false,
        }
    }

    /// One entry's series (entries without a recorded expiry have none).
    pub fn entry(&mut self, e: &Listed) -> io::Result<()> {
        let Some(not_after) = e.not_after else {
            return Ok(());
        };
        if !self.header_written {
            self.header_written = true;
            writeln!(
                self.out,
                "# HELP ccert_certificate_not_after_seconds When a listed client certificate expires (Unix time). Postfix still lets it relay after that: fingerprint matching ignores expiry.\n# TYPE ccert_certificate_not_after_seconds gauge"
            )?;
        }
        writeln!(
            self.out,
            "ccert_certificate_not_after_seconds{{list=\"{}\",name=\"{}\",fingerprint=\"{}\"}} {}",
            self.list,
            label(&e.name),
            label(&e.fingerprint),
            not_after.unix_timestamp()
        )
    }

    /// The summary families, then the writer back.
    pub fn finish(
        mut self,
        tally: &Tally,
        tables: &[TableState],
        source_modified: Option<OffsetDateTime>,
        checked_at: OffsetDateTime,
    ) -> io::Result<W> {
        let list = self.list.clone();
        let gauge = |out: &mut W, name: &str, help: &str| {
            writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge")
        };
        gauge(&mut self.out, "ccert_entries", "Entries in the list.")?;
        writeln!(
            self.out,
            "ccert_entries{{list=\"{list}\"}} {}",
            tally.entries
        )?;
        gauge(
            &mut self.out,
            "ccert_entries_without_expiry",
            "Entries without a recorded certificate expiry (added by fingerprint).",
        )?;
        writeln!(
            self.out,
            "ccert_entries_without_expiry{{list=\"{list}\"}} {}",
            tally.without_expiry
        )?;
        gauge(
            &mut self.out,
            "ccert_certificates_expired",
            "Listed certificates that have expired and still relay.",
        )?;
        writeln!(
            self.out,
            "ccert_certificates_expired{{list=\"{list}\"}} {}",
            tally.expired
        )?;
        if !tables.is_empty() {
            gauge(
                &mut self.out,
                "ccert_table_up_to_date",
                "1 when the table Postfix reads is at least as new as its source, 0 when stale or missing.",
            )?;
            for t in tables {
                writeln!(
                    self.out,
                    "ccert_table_up_to_date{{list=\"{list}\",table=\"{}\"}} {}",
                    label(&t.table),
                    u8::from(t.freshness == Freshness::Current)
                )?;
            }
            gauge(
                &mut self.out,
                "ccert_table_built_timestamp_seconds",
                "When the table was last built (Unix time).",
            )?;
            for t in tables {
                if let Some(built) = t.built {
                    writeln!(
                        self.out,
                        "ccert_table_built_timestamp_seconds{{list=\"{list}\",table=\"{}\"}} {}",
                        label(&t.table),
                        built.unix_timestamp()
                    )?;
                }
            }
        }
        if let Some(modified) = source_modified {
            gauge(
                &mut self.out,
                "ccert_source_modified_timestamp_seconds",
                "When the list's source file last changed (for a ccert sync copy: the last sync that changed it).",
            )?;
            writeln!(
                self.out,
                "ccert_source_modified_timestamp_seconds{{list=\"{list}\"}} {}",
                modified.unix_timestamp()
            )?;
        }
        gauge(
            &mut self.out,
            "ccert_check_status",
            "The check's plugin status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        )?;
        writeln!(
            self.out,
            "ccert_check_status{{list=\"{list}\"}} {}",
            tally.status(tables) as u8
        )?;
        gauge(
            &mut self.out,
            "ccert_check_timestamp_seconds",
            "When this check ran (Unix time).",
        )?;
        writeln!(
            self.out,
            "ccert_check_timestamp_seconds{{list=\"{list}\"}} {}",
            checked_at.unix_timestamp()
        )?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn at(days: i64) -> Option<OffsetDateTime> {
        Some(OffsetDateTime::UNIX_EPOCH + Duration::days(1000 + days))
    }

    fn entry(name: &str, days: Option<i64>) -> Listed {
        Listed {
            name: name.into(),
            fingerprint: format!("AA:{name}"),
            not_after: days.and_then(at),
        }
    }

    fn tally(entries: &[Listed]) -> Tally {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(1000);
        let mut t = Tally::new(
            now,
            Thresholds {
                warning_days: 30.0,
                critical_days: 7.0,
            },
        );
        entries.iter().for_each(|e| t.offer(e));
        t
    }

    #[test]
    fn the_worst_entry_decides() {
        assert_eq!(tally(&[entry("a", Some(100))]).status(&[]), Status::Ok);
        assert_eq!(tally(&[entry("a", Some(20))]).status(&[]), Status::Warning);
        assert_eq!(tally(&[entry("a", Some(3))]).status(&[]), Status::Critical);
        assert_eq!(tally(&[entry("a", Some(-3))]).status(&[]), Status::Critical);
        assert_eq!(tally(&[entry("a", None)]).status(&[]), Status::Ok);
        let stale = TableState {
            table: "cdb:/x".into(),
            freshness: Freshness::Stale,
            built: None,
        };
        assert_eq!(
            tally(&[entry("a", Some(100))]).status(&[stale]),
            Status::Critical
        );
    }

    #[test]
    fn plugin_output_has_one_status_line_with_perfdata() {
        let t = tally(&[
            entry("old", Some(-2)),
            entry("soon", Some(20)),
            entry("fp", None),
        ]);
        let out = t.plugin_output("/etc/postfix/clientcerts", &[]);
        let first = out.lines().next().unwrap();
        assert!(
            first.starts_with("CCERT CRITICAL - 1 expired certificate still listed"),
            "{first}"
        );
        assert!(first.contains(" | entries=3;;;0 expired=1;;;0 expiring=1;;;0 without_expiry=1;;;0 stale_tables=0;;;0 soonest_expiry_days=-2.00;30;7;;"), "{first}");
        assert!(out.contains("\nexpired: old\n"));
        assert!(out.contains("\nexpiring: soon (20 days)\n"));
        assert_eq!(first.matches('|').count(), 1);
    }

    #[test]
    fn names_are_capped_and_counted() {
        let many: Vec<Listed> = (0..50).map(|i| entry(&format!("h{i}"), Some(-1))).collect();
        let out = tally(&many).plugin_output("l", &[]);
        assert!(out.contains("h19 and 30 more\n"), "{out}");
    }

    #[test]
    fn hostile_names_stay_on_their_line() {
        let out = tally(&[entry("x\n| evil=1\u{1b}]0;t", Some(-1))]).plugin_output("l", &[]);
        assert_eq!(out.lines().next().unwrap().matches('|').count(), 1);
        assert!(!out.contains('\u{1b}'));
        assert!(!out.lines().any(|l| l.starts_with("| evil")));
    }

    #[test]
    fn labels_escape_as_the_exposition_format_says() {
        assert_eq!(label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    }
}
