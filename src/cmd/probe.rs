//! `ccert probe`: does this server let this certificate relay?

use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context as _, bail};
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject as _;

use crate::cert::DigestAlgorithm;
use crate::cli::{ProbeArgs, ProbeFormat};
use crate::probe::{self, Options, Report, Verdict};
use crate::text::terminal_safe as safe;

use super::{Context, Outcome};

/// Runs `ccert probe`.
pub fn run(args: &ProbeArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let (host, port) = split_server(&args.server)?;
    // Before anything is read or sent: a line break in an argument would
    // end the command and send the rest as commands of their own.
    for (option, value) in [
        ("--helo", &args.helo),
        ("--from", &args.from),
        ("--to", &args.to),
    ] {
        probe::smtp::one_line(value)
            .map_err(|e| anyhow::Error::new(e).context(format!("{option} \"{}\"", safe(value))))?;
    }
    let chain = crate::cert::read_certificates(&args.cert, &ctx.passwords)?;
    if chain.is_empty() {
        bail!(
            "{}: no certificate found; give a PEM certificate file",
            args.cert.display()
        );
    }
    let key_pem =
        crate::fsutil::read_bounded(&args.key, crate::fsutil::limits::KEY_FILE).map_err(|e| {
            anyhow::Error::new(e).context(format!("{}: cannot read the key", args.key.display()))
        })?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        anyhow::anyhow!(
            "{}: no usable private key ({e}); give the PEM key (PKCS#8, RSA or EC) of {}",
            args.key.display(),
            args.cert.display()
        )
    })?;
    let (digest, digest_from): (DigestAlgorithm, &str) = match args.digest {
        Some(d) => (d, "--digest"),
        None => match ctx.postfix()?.fingerprint_digest()? {
            Some(d) => (d, "the local smtpd_tls_fingerprint_digest"),
            None => (
                DigestAlgorithm::Sha256,
                "a guess: no local Postfix configuration; use --digest",
            ),
        },
    };
    let opts = Options {
        host: host.clone(),
        port,
        implicit_tls: args.tls || port == 465,
        chain,
        key,
        rpk: args.rpk,
        digest,
        helo: args.helo.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        timeout: Duration::from_secs(args.timeout.max(1)),
    };
    let report = probe::probe(opts).context("setting up TLS with this certificate and key")?;
    match args.format {
        ProbeFormat::Json => {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        ProbeFormat::Text => print_text(&report, digest_from),
    }
    Ok(if report.verdict == Verdict::Permitted {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`; the port defaults to 587 (submission).
fn split_server(text: &str) -> anyhow::Result<(String, u16)> {
    let bad = || anyhow::anyhow!("{text:?}: give the server as HOST, HOST:PORT or [IPv6]:PORT");
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (h, tail) = rest.split_once(']').ok_or_else(bad)?;
        (h, tail.strip_prefix(':'))
    } else if text.matches(':').count() == 1 {
        let (h, p) = text.split_once(':').ok_or_else(bad)?;
        (h, Some(p))
    } else {
        (text, None)
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port = match port {
        Some(p) => p.parse().map_err(|_| bad())?,
        None => 587,
    };
    Ok((host.to_string(), port))
}

/// Text from the server (replies, names, the diagnosis quoting them),
/// escaped line by line, its lines under each other in the value column.
fn shown(text: &str) -> String {
    text.split('\n')
        .map(|line| safe(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n               ")
}

fn print_text(r: &Report, digest_from: &str) {
    let mode = if r.implicit_tls {
        "implicit TLS"
    } else {
        "STARTTLS"
    };
    say!("server:        {} ({mode})", shown(&r.server));
    if let (Some(v), Some(c)) = (&r.tls_version, &r.cipher) {
        say!("TLS:           {v}, {c}");
    }
    if let Some(s) = &r.server_subject {
        say!("server cert:   {}", shown(s));
    }
    if let Some(f) = &r.server_fingerprint {
        say!("               {} {f}", r.digest);
    }
    if r.tls_version.is_some() {
        say!(
            "client cert:   {}",
            match (r.client_cert_requested, r.ca_names.is_empty()) {
                (false, _) => "not requested by the server".to_string(),
                (true, true) => "requested (no CA names sent)".to_string(),
                (true, false) => format!(
                    "requested; CA names: {}",
                    r.ca_names
                        .iter()
                        .map(|n| shown(n))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            }
        );
    }
    say!("lookup keys:   ({}, from {digest_from})", r.digest);
    if let Some(c) = &r.cert_fingerprint {
        say!("  certificate  {c}");
    }
    say!(
        "  public key   {}{}",
        r.pkey_fingerprint,
        if r.raw_public_key {
            " (offered as a raw public key)"
        } else {
            ""
        }
    );
    if let Some(m) = &r.mail_reply {
        say!("MAIL FROM:     {} {}", m.code, shown(&m.text));
    }
    if let Some(m) = &r.rcpt_reply {
        say!("RCPT TO:       {} {}", m.code, shown(&m.text));
    }
    if let Some(m) = &r.rcpt_without_certificate {
        say!("without cert:  {} {}", m.code, shown(&m.text));
    }
    let verdict = serde_json::to_value(r.verdict)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    say!("verdict:       {verdict}: {}", shown(&r.diagnosis));
}

#[cfg(test)]
mod tests {
    #[test]
    fn server_forms() {
        let s = |t| super::split_server(t).unwrap();
        assert_eq!(s("mx.example"), ("mx.example".into(), 587));
        assert_eq!(s("mx.example:465"), ("mx.example".into(), 465));
        assert_eq!(s("[2001:db8::1]:25"), ("2001:db8::1".into(), 25));
        assert_eq!(s("2001:db8::1"), ("2001:db8::1".into(), 587));
        assert!(super::split_server(":25").is_err());
        assert!(super::split_server("mx:port").is_err());
    }
}
