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

/// Reads every line of `input` into `collector`, skipping lines before
/// `since`. Lines that are not valid UTF-8 are read lossily (a CN may hold anything).
pub fn read_into(
    input: &mut dyn BufRead,
    collector: &mut Collector,
    since: Option<OffsetDateTime>,
    now: OffsetDateTime,
    offset: UtcOffset,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&buf);
        let Some(line) = parse::parse_line(&text) else {
            continue;
        };
        let at = line.envelope.stamp.resolve(now, offset);
        if let (Some(since), Some(at)) = (since, at)
            && at < since
        {
            continue;
        }
        collector.push(&line, at);
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
