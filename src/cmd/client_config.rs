//! `ccert client-config`: the settings a workstation needs to relay through
//! this server with its client certificate.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{Context as _, bail};

use crate::cert::read_certificates;
use crate::cli::ClientConfigArgs;

use super::{Context, Outcome};

/// Runs `ccert client-config`.
pub fn run(args: &ClientConfigArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let relay = Relay::parse(&args.relay)?;
    let cert = read_certificates(&args.cert, &ctx.passwords)?
        .into_iter()
        .next()
        .with_context(|| format!("{}: no certificate found", args.cert.display()))?;
    check_key(&args.key)?;
    let cert_file = absolute(&args.cert)?;
    let key_file = absolute(&args.key)?;
    let digest = ctx.default_digest()?;
    let mut out = String::new();
    if args.ssmtp {
        // ssmtp speaks implicit TLS on 465 and STARTTLS elsewhere.
        let tls = if relay.port == 465 {
            "UseTLS=YES"
        } else {
            "UseSTARTTLS=YES"
        };
        writeln!(out, "# /etc/ssmtp/ssmtp.conf on the client")?;
        writeln!(out, "mailhub={}:{}", relay.host, relay.port)?;
        writeln!(out, "{tls}")?;
        writeln!(out, "UseTLSCert=YES")?;
        writeln!(out, "TLSCert={cert_file}")?;
        writeln!(out, "TLSKey={key_file}")?;
    } else {
        writeln!(
            out,
            "# main.cf on the client (apply with postconf -e, then: postfix reload)"
        )?;
        writeln!(out, "relayhost = [{}]:{}", relay.host, relay.port)?;
        writeln!(out, "smtp_tls_security_level = encrypt")?;
        writeln!(out, "smtp_tls_cert_file = {cert_file}")?;
        writeln!(out, "smtp_tls_key_file = {key_file}")?;
        writeln!(out, "smtp_tls_loglevel = 1")?;
    }
    let name = cert.common_name.as_deref().unwrap_or("<name>");
    writeln!(
        out,
        "# on the server {}: ccert add {} --name {name}   ({digest} {})",
        relay.host,
        args.cert.display(),
        cert.fingerprint(digest, false)
    )?;
    print!("{out}");
    Ok(Outcome::Success)
}

/// A relay host as given on the command line.
#[derive(Debug, PartialEq, Eq)]
struct Relay {
    host: String,
    port: u16,
}

impl Relay {
    /// Parses `HOST`, `HOST:PORT`, `[HOST]:PORT` or `[v6addr]:PORT`; the port defaults to 587.
    fn parse(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .with_context(|| format!("--relay {text:?}: missing ']'"))?;
            (host, after.strip_prefix(':'))
        } else {
            match text.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h, Some(p)),
                _ => (text, None),
            }
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/') {
            bail!("--relay {text:?}: expected HOST or HOST:PORT, e.g. mail.example.com:587");
        }
        let port = match port {
            None => 587,
            Some(p) => p
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .with_context(|| format!("--relay {text:?}: bad port {p:?}"))?,
        };
        Ok(Self {
            host: host.to_string(),
            port,
        })
    }
}

/// The key must be a readable PEM private key that others cannot read.
fn check_key(path: &Path) -> anyhow::Result<()> {
    let text = crate::fsutil::read_to_string_bounded(path, crate::fsutil::limits::KEY_FILE)
        .map_err(|e| {
            anyhow::Error::new(e).context(format!("{}: cannot read the key", path.display()))
        })?;
    if !text.contains("PRIVATE KEY-----") {
        bail!(
            "{}: not a PEM private key (expected a -----BEGIN ... PRIVATE KEY----- block)",
            path.display()
        );
    }
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        eprintln!(
            "ccert: warning: {}: mode {:o} lets others read the private key; run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}

fn absolute(path: &Path) -> anyhow::Result<String> {
    let abs =
        std::path::absolute(path).with_context(|| format!("{}: cannot resolve", path.display()))?;
    Ok(abs.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::Relay;

    #[test]
    fn parses_relays() {
        assert_eq!(
            Relay::parse("mx.example.com").unwrap(),
            Relay {
                host: "mx.example.com".into(),
                port: 587
            }
        );
        assert_eq!(Relay::parse("mx.example.com:465").unwrap().port, 465);
        assert_eq!(
            Relay::parse("[2001:db8::1]:25").unwrap(),
            Relay {
                host: "2001:db8::1".into(),
                port: 25
            }
        );
        assert!(Relay::parse("mx:0").is_err());
        assert!(Relay::parse("").is_err());
    }
}
