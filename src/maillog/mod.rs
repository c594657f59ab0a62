//! Reading Postfix mail logs for the client certificates smtpd saw.
//!
//! * [`parse`]: one line → a certificate, raw-key or relay-refusal event.
//! * [`collect`]: events → one [`Sighting`] per client and credential.
//! * [`sources`]: which files to read (rotated, compressed).
//!
//! The log never names the fingerprint digest; [`digest_for`] takes it from the
//! configuration of the service that logged the line.

pub mod collect;
pub mod parse;
pub mod sources;

use std::io::BufRead;

use time::{OffsetDateTime, UtcOffset};

use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::postfix::{ConfigError, PostfixConfig};

pub use collect::{Collector, Sighting};

/// The longest log line read, in bytes (without its line end). smtpd's
/// certificate and refusal lines are far shorter (Postfix's TLS code sizes
/// peer names by `CCERT_BUFSIZ`, 256 bytes; a fingerprint is 191 characters); rsyslog's default
/// message size is 8 KiB. Longer lines are skipped and counted, as Postfix's
/// `line_length_limit` bounds what it stores of a line, so a log of one
/// endless line (a gzip of zeros, /dev/zero on standard input) is read in
/// this much memory whatever its size.
pub const MAX_LINE: usize = 8 * 1024;

/// What reading skipped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReadStats {
    /// Lines longer than [`MAX_LINE`], skipped unread.
    pub long_lines: u64,
}

/// Reads every line of `input` into `collector`, skipping lines before
/// `since` and lines longer than [`MAX_LINE`] (counted in the result).
/// Lines that are not valid UTF-8 are read lossily (a CN may hold anything).
pub fn read_into(
    input: &mut dyn BufRead,
    collector: &mut Collector,
    since: Option<OffsetDateTime>,
    now: OffsetDateTime,
    offset: UtcOffset,
) -> std::io::Result<ReadStats> {
    let mut stats = ReadStats::default();
    let mut take = |line: &[u8]| {
        let text = String::from_utf8_lossy(line);
        let Some(line) = parse::parse_line(&text) else {
            return;
        };
        let at = line.envelope.stamp.resolve(now, offset);
        if let (Some(since), Some(at)) = (since, at)
            && at < since
        {
            return;
        }
        collector.push(&line, at);
    };
    let mut line: Vec<u8> = Vec::with_capacity(1024);
    // Past MAX_LINE the rest of the line is consumed without being kept.
    let mut skipping = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            // The last line may lack its line end.
            if skipping {
                stats.long_lines += 1;
            } else if !line.is_empty() {
                take(&line);
            }
            return Ok(stats);
        }
        let end = memchr::memchr(b'\n', chunk);
        let piece = &chunk[..end.unwrap_or(chunk.len())];
        if !skipping {
            if line.len() + piece.len() > MAX_LINE {
                skipping = true;
                line.clear();
            } else {
                line.extend_from_slice(piece);
            }
        }
        let used = end.map_or(chunk.len(), |i| i + 1);
        input.consume(used);
        if end.is_some() {
            if skipping {
                stats.long_lines += 1;
                skipping = false;
            } else {
                take(&line);
            }
            line.clear();
        }
    }
}

/// One place a log is read from: a file (plain, rotated or gzip), standard
/// input (`-`), or the systemd journal (the system's, or a journal file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A log file.
    File(std::path::PathBuf),
    /// Standard input.
    Stdin,
    /// The journal: the system's (`None`) or a journal file.
    Journal(Option<std::path::PathBuf>),
}

impl std::fmt::Display for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(p) => write!(f, "{}", p.display()),
            Self::Stdin => f.write_str("standard input"),
            Self::Journal(None) => f.write_str("the journal"),
            Self::Journal(Some(p)) => write!(f, "the journal file {}", p.display()),
        }
    }
}

/// Why a log could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// No log file exists and there is no journalctl.
    #[error(
        "no mail log found ({wanted}) and no journalctl to read the journal; name the log \
         file, or pipe it: journalctl _COMM=smtpd -o short | ccert log -"
    )]
    NoLog {
        /// The file looked for.
        wanted: String,
    },
    /// A journal was named, but journalctl is not on PATH.
    #[error("reading the journal needs journalctl, which is not on PATH")]
    NoJournalctl,
    /// journalctl could not be started.
    #[error("running {}", program.display())]
    Spawn {
        /// The program.
        program: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Reading failed.
    #[error("reading {input}")]
    Read {
        /// What was read.
        input: Input,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Where `ccert log` reads (and `ccert prune` looks for rotated
/// certificates in use): the `named` files (`-` is standard input; a
/// `*.journal` file, or `journal:`, the journal), else the default log
/// files ([`sources::default_files`] of `maillog_file`), else, where there
/// are none (Debian 12 logs to the journal only), the system journal.
pub fn inputs(
    named: &[std::path::PathBuf],
    maillog_file: Option<&str>,
) -> Result<Vec<Input>, LogError> {
    use std::path::Path;
    if named.is_empty() {
        let files = sources::default_files(maillog_file);
        if !files.is_empty() {
            return Ok(files.into_iter().map(Input::File).collect());
        }
        if sources::journalctl().is_none() {
            return Err(LogError::NoLog {
                wanted: maillog_file
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or("/var/log/mail.log")
                    .to_string(),
            });
        }
        return Ok(vec![Input::Journal(None)]);
    }
    Ok(named
        .iter()
        .map(|f| {
            if f == Path::new(JOURNAL) {
                Input::Journal(None)
            } else if sources::is_journal_file(f) {
                Input::Journal(Some(f.clone()))
            } else if f == Path::new("-") {
                Input::Stdin
            } else {
                Input::File(f.clone())
            }
        })
        .collect())
}

/// Names the system journal among the files to read.
pub const JOURNAL: &str = "journal:";

/// Reads one [`Input`] into `collector` (see [`read_into`]).
pub fn read_input(
    input: &Input,
    collector: &mut Collector,
    since: Option<OffsetDateTime>,
    now: OffsetDateTime,
    offset: UtcOffset,
) -> Result<ReadStats, LogError> {
    let read_err = |source| LogError::Read {
        input: input.clone(),
        source,
    };
    match input {
        Input::Journal(file) => {
            let program = sources::journalctl().ok_or(LogError::NoJournalctl)?;
            let mut journal = sources::Journal::open(&program, file.as_deref())
                .map_err(|source| LogError::Spawn { program, source })?;
            let stats = read_into(&mut journal, collector, since, now, offset).map_err(read_err)?;
            journal.finish().map_err(read_err)?;
            Ok(stats)
        }
        Input::Stdin => {
            let mut stdin = std::io::stdin().lock();
            read_into(&mut stdin, collector, since, now, offset).map_err(read_err)
        }
        Input::File(path) => {
            let mut file = sources::open(path).map_err(read_err)?;
            read_into(&mut file, collector, since, now, offset).map_err(read_err)
        }
    }
}

/// The digest a sighting's fingerprints are in, by the service that logged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestSource {
    /// The smtpd service with this `syslog_name` (all such services agree).
    Service(DigestAlgorithm),
    /// main.cf (no master.cf service has this `syslog_name`, or they disagree
    /// and main.cf's is used as the best guess).
    Main(DigestAlgorithm),
    /// No Postfix configuration: the caller's default.
    Default(DigestAlgorithm),
}

impl DigestSource {
    /// The algorithm.
    pub fn algorithm(self) -> DigestAlgorithm {
        match self {
            Self::Service(d) | Self::Main(d) | Self::Default(d) => d,
        }
    }
}

/// The effective `smtpd_tls_fingerprint_digest` of the smtpd services whose
/// `syslog_name` is `syslog_name`; main.cf's (else `fallback`) when none or
/// several disagreeing ones match; `fallback` without a configuration.
///
/// An unknown digest (in main.cf or a service's `-o` override) is an error
/// naming the file and line, as in every other command: guessing another
/// digest would misread every fingerprint in the log.
pub fn digest_for(
    cfg: &PostfixConfig,
    syslog_name: &str,
    fallback: DigestAlgorithm,
) -> Result<DigestSource, ConfigError> {
    if !cfg.present {
        return Ok(DigestSource::Default(fallback));
    }
    let digests = cfg
        .services()
        .iter()
        .filter(|s| s.is_smtpd())
        .filter(|s| cfg.effective_for_service(s, "syslog_name").as_deref() == Some(syslog_name))
        .map(
            |s| match cfg.effective_for_service(s, "smtpd_tls_fingerprint_digest") {
                Some(_) => cfg.service_digest(s).map(Some),
                None => Ok(None),
            },
        )
        .collect::<Result<Vec<Option<DigestAlgorithm>>, ConfigError>>()?;
    Ok(match digests.first() {
        Some(Some(d)) if digests.iter().all(|x| *x == Some(*d)) => DigestSource::Service(*d),
        _ => DigestSource::Main(cfg.fingerprint_digest()?.unwrap_or(fallback)),
    })
}

/// A logged fingerprint in `digest`, or why it cannot be one: its length
/// belongs to another digest (the configuration changed since, or the wrong
/// configuration directory was named).
pub fn fingerprint_in(text: &str, digest: DigestAlgorithm) -> Result<Fingerprint, String> {
    let fp = Fingerprint::parse(text).ok_or_else(|| format!("{text:?} is not a fingerprint"))?;
    if fp.algorithm != digest {
        return Err(format!(
            "{} bytes long, a {} length, but the service uses {digest}",
            fp.bytes.len(),
            fp.algorithm
        ));
    }
    Ok(fp)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = "Nov 25 19:05:58 mx postfix/smtpd[8240]: c[192.0.2.1]: subject_CN=ws, issuer=ws, fingerprint=B3:6D, pkey_fingerprint=9A:EA";

    fn read(input: &[u8]) -> (ReadStats, usize) {
        let mut collector = Collector::default();
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        // A small buffer: lines cross many reads.
        let mut reader = std::io::BufReader::with_capacity(7, input);
        let stats = read_into(&mut reader, &mut collector, None, now, UtcOffset::UTC).unwrap();
        (stats, collector.finish().len())
    }

    /// Lines over MAX_LINE are skipped and counted, whatever their length
    /// and wherever they end; the lines around them are read.
    #[test]
    fn long_lines_are_skipped_and_counted() {
        let mut input = Vec::new();
        input.extend(std::iter::repeat_n(0u8, 3 * MAX_LINE));
        input.push(b'\n');
        input.extend_from_slice(CERT.as_bytes());
        input.extend_from_slice(b"\r\n");
        input.extend(std::iter::repeat_n(b'x', MAX_LINE + 1));
        input.push(b'\n');
        // Exactly MAX_LINE: kept (and not a log line).
        input.extend(std::iter::repeat_n(b'y', MAX_LINE));
        input.push(b'\n');
        // The last line, without its line end, over the limit.
        input.extend(std::iter::repeat_n(0u8, MAX_LINE * 2));
        assert_eq!(read(&input), (ReadStats { long_lines: 3 }, 1));
        // A last line without its line end is read.
        assert_eq!(read(CERT.as_bytes()), (ReadStats::default(), 1));
        assert_eq!(read(b""), (ReadStats::default(), 0));
    }
}
