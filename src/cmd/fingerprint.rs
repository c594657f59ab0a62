//! `ccert fingerprint`: certificate or public-key fingerprints, as Postfix
//! computes them, in four output forms.
//!
//! Each file is read on its own: a file that cannot be read or holds no valid
//! certificate is reported (`ccert: error: FILE: …`) and the others are still
//! processed; the exit status is then 1.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use crate::cert::{self, CertWarning, Certificate, DigestAlgorithm};
use crate::cli::{FingerprintArgs, FingerprintFormat};

use super::{Context, Outcome};

/// One line of `--format json`.
#[derive(Debug, Serialize)]
struct JsonEntry {
    file: String,
    /// Position of the certificate in its file, from 1.
    index: usize,
    digest: &'static str,
    pubkey: bool,
    fingerprint: String,
    subject: String,
    issuer: String,
    common_name: Option<String>,
    not_before: Option<String>,
    not_after: Option<String>,
    expired: bool,
    serial: Option<String>,
}

/// Runs `ccert fingerprint`. A closed standard output (`… | head`) ends it
/// by SIGPIPE, as for any filter (see `main`).
pub fn run(args: &FingerprintArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let digest: DigestAlgorithm = match args.digest {
        Some(d) => d,
        None => ctx.default_digest()?,
    };
    let now = time::OffsetDateTime::now_utc();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = false;
    let mut json = Vec::new();
    // Errors go to stderr as they happen; flush stdout first so the two stay in order.
    let mut report = |out: &mut std::io::BufWriter<_>, msg: String| -> anyhow::Result<()> {
        out.flush().context("writing to standard output")?;
        eprintln!("ccert: error: {msg}");
        failed = true;
        Ok(())
    };
    for file in &args.files {
        let certs = match cert::read_certificates(file, &ctx.passwords) {
            Ok(certs) => certs,
            Err(err) => {
                report(&mut out, crate::report::chain_line(&err))?;
                continue;
            }
        };
        let several = certs.len() > 1;
        for (i, cert) in certs.iter().enumerate() {
            let index = i + 1;
            let source = source_name(file, index, several);
            let fp = cert.fingerprint(digest, args.pubkey);
            if args.format == FingerprintFormat::Text && !cert.warnings.is_empty() {
                // Warnings go to stderr in order with the lines before them.
                out.flush().context("writing to standard output")?;
                for warning in &cert.warnings {
                    eprintln!("ccert: warning: {source}: {warning}");
                }
            }
            match args.format {
                FingerprintFormat::Text => {
                    let kind = if args.pubkey { "-pubkey" } else { "" };
                    let subject = if cert.subject.is_empty() {
                        "(empty subject)"
                    } else {
                        &cert.subject
                    };
                    let expired = if cert.is_expired_at(now) {
                        format!(
                            " [expired {}]",
                            cert.not_after
                                .map(|t| t.date().to_string())
                                .unwrap_or_default()
                        )
                    } else {
                        String::new()
                    };
                    writeln!(out, "{digest}{kind} {fp} {source} {subject}{expired}")
                }
                FingerprintFormat::Openssl => {
                    writeln!(out, "{} Fingerprint={fp}", digest.openssl_label())
                }
                FingerprintFormat::Map => match map_value(cert) {
                    Ok(name) => writeln!(out, "{fp} {name}"),
                    Err(why) => {
                        report(
                            &mut out,
                            format!(
                                "{source}: {why}; give the name yourself: {}",
                                super::add_command(file, None)
                            ),
                        )?;
                        Ok(())
                    }
                },
                FingerprintFormat::Json => {
                    json.push(json_entry(file, index, cert, digest, args.pubkey, now)?);
                    Ok(())
                }
            }
            .context("writing to standard output")?;
        }
    }
    if args.format == FingerprintFormat::Json {
        serde_json::to_writer_pretty(&mut out, &json).context("writing to standard output")?;
        writeln!(out).context("writing to standard output")?;
    }
    out.flush().context("writing to standard output")?;
    Ok(if failed {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

/// `host.pem`, or `bundle.pem[2]` for the second certificate of a file with several.
fn source_name(file: &Path, index: usize, several: bool) -> String {
    if several {
        format!("{}[{index}]", file.display())
    } else {
        file.display().to_string()
    }
}

/// The value of a map line: the subject CN, if it can stand on a postmap source line.
fn map_value(cert: &Certificate) -> Result<String, &'static str> {
    let cn = cert
        .common_name
        .as_deref()
        .ok_or("the certificate has no subject commonName (CN) to use as the map value")?;
    if cert.warnings.contains(&CertWarning::CommonNameNotUtf8) {
        return Err("the subject commonName (CN) is not valid UTF-8");
    }
    if cn.chars().any(char::is_control) {
        return Err("the subject commonName (CN) contains control characters");
    }
    if cn.chars().any(crate::text::is_unsafe_char) {
        return Err("the subject commonName (CN) contains bidirectional-text controls");
    }
    // postmap strips whitespace around the value, and an empty value is a Postfix error.
    let cn = cn.trim();
    if cn.is_empty() {
        return Err("the subject commonName (CN) is empty");
    }
    Ok(cn.to_string())
}

fn json_entry(
    file: &Path,
    index: usize,
    cert: &Certificate,
    digest: DigestAlgorithm,
    pubkey: bool,
    now: time::OffsetDateTime,
) -> anyhow::Result<JsonEntry> {
    let rfc3339 = |t: time::OffsetDateTime| {
        t.format(&Rfc3339)
            .with_context(|| format!("{}: formatting the date {t}", file.display()))
    };
    Ok(JsonEntry {
        file: file.display().to_string(),
        index,
        digest: digest.name(),
        pubkey,
        fingerprint: cert.fingerprint(digest, pubkey).to_string(),
        subject: cert.subject.clone(),
        issuer: cert.issuer.clone(),
        common_name: cert.common_name.clone(),
        not_before: cert.not_before.map(rfc3339).transpose()?,
        not_after: cert.not_after.map(rfc3339).transpose()?,
        expired: cert.is_expired_at(now),
        serial: cert.serial(),
    })
}
