//! `ccert probe`'s engine: an SMTP client that presents a client certificate,
//! asks to relay (MAIL FROM, RCPT TO an outside address), never sends DATA,
//! and says why the server answered as it did.
//!
//! * [`smtp`]: replies and commands.
//! * [`tls`]: the rustls client and what the server requested.

pub mod smtp;
pub mod tls;

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cert::{Certificate, DigestAlgorithm};
use smtp::{Deadline, Reply, SmtpError, command, read_reply};

/// What to probe and with which identity.
#[derive(Debug)]
pub struct Options {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS from the first byte (port 465) instead of STARTTLS.
    pub implicit_tls: bool,
    /// The client certificate and its chain (the first is the client's).
    pub chain: Vec<Certificate>,
    /// The private key (DER, PKCS#8, PKCS#1 or SEC1).
    pub key: rustls::pki_types::PrivateKeyDer<'static>,
    /// Offer a raw public key instead of the certificate.
    pub rpk: bool,
    /// The server's fingerprint digest.
    pub digest: DigestAlgorithm,
    /// EHLO name, envelope sender and outside recipient.
    pub helo: String,
    /// Envelope sender.
    pub from: String,
    /// Recipient outside the server's domains.
    pub to: String,
    /// How long the whole probe may take: resolving, connecting, the TLS
    /// handshake and every reply together, of both sessions when it retries
    /// without the certificate.
    pub timeout: Duration,
}

/// How the probe ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// RCPT TO got 2xx with the certificate, and a refusal without it: the
    /// server relays for this client because of its certificate.
    Permitted,
    /// RCPT TO got 2xx also without a certificate (permit_mynetworks, SASL,
    /// an open relay) or the server never asked for one: the probe cannot
    /// tell whether the certificate is listed.
    PermittedWithoutCertificate,
    /// RCPT TO got 5xx.
    Refused,
    /// RCPT TO (or MAIL FROM) got 4xx: the server could not decide, typically
    /// because its relay_clientcerts lookup failed.
    TemporaryFailure,
    /// The handshake completed without a CertificateRequest, and RCPT was refused.
    NoCertificateRequested,
    /// No TLS session: STARTTLS not offered or refused, or the handshake failed.
    TlsRefused,
    /// Something else stopped the dialogue (connection, MAIL FROM refused, …).
    Failed,
    /// The whole dialogue did not finish within the timeout (a slow or
    /// stalling server).
    TimedOut,
    /// A reply was longer than any SMTP server sends (a line, or a
    /// multi-line reply, over the limits in [`smtp`]).
    ReplyTooLong,
}

/// Everything the probe learnt.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `host:port`.
    pub server: String,
    /// Whether TLS was implicit.
    pub implicit_tls: bool,
    /// Negotiated TLS version (`TLSv1.3`).
    pub tls_version: Option<String>,
    /// Negotiated cipher suite.
    pub cipher: Option<String>,
    /// The server certificate's subject.
    pub server_subject: Option<String>,
    /// The server certificate's fingerprint, in [`Report::digest`].
    pub server_fingerprint: Option<String>,
    /// Whether the server sent a CertificateRequest.
    pub client_cert_requested: bool,
    /// The CA names the server sent with it (Postfix sends those of
    /// smtpd_tls_CAfile; none when it is unset).
    pub ca_names: Vec<String>,
    /// Whether a raw public key was offered.
    pub raw_public_key: bool,
    /// The digest of the fingerprints below.
    pub digest: String,
    /// The certificate fingerprint the server looks up (None with a raw key).
    pub cert_fingerprint: Option<String>,
    /// The public-key fingerprint the server looks up.
    pub pkey_fingerprint: String,
    /// The reply to MAIL FROM.
    pub mail_reply: Option<Reply>,
    /// The reply to RCPT TO.
    pub rcpt_reply: Option<Reply>,
    /// The reply to RCPT TO in a second session without a certificate,
    /// made when the first was permitted.
    pub rcpt_without_certificate: Option<Reply>,
    /// The verdict.
    pub verdict: Verdict,
    /// What it means and what to do.
    pub diagnosis: String,
}

/// Runs the probe. Connection problems become a [`Verdict::Failed`] or
/// [`Verdict::TlsRefused`] report, not an error; errors are only for bad options.
pub fn probe(opts: Options) -> Result<Report, rustls::Error> {
    let client = opts.chain.first().expect("a client certificate").clone();
    let chain: Vec<_> = opts
        .chain
        .iter()
        .map(|c| rustls::pki_types::CertificateDer::from(c.der.clone()))
        .collect();
    let (config, requested) = tls::client_config(
        chain,
        opts.key.clone_key(),
        client.spki_der.clone(),
        opts.rpk,
    )?;
    let mut report = Report {
        server: format!("{}:{}", opts.host, opts.port),
        implicit_tls: opts.implicit_tls,
        tls_version: None,
        cipher: None,
        server_subject: None,
        server_fingerprint: None,
        client_cert_requested: false,
        ca_names: Vec::new(),
        raw_public_key: opts.rpk,
        digest: opts.digest.to_string(),
        cert_fingerprint: (!opts.rpk).then(|| client.fingerprint(opts.digest, false).to_string()),
        pkey_fingerprint: client.fingerprint(opts.digest, true).to_string(),
        mail_reply: None,
        rcpt_reply: None,
        rcpt_without_certificate: None,
        verdict: Verdict::Failed,
        diagnosis: String::new(),
    };
    // One deadline for everything, both sessions included: a server that
    // answers each read just in time (one byte every few seconds) must not
    // stretch the probe beyond --timeout.
    let now = Instant::now();
    // A huge --timeout is "no hurry", not an overflow.
    let deadline = now
        .checked_add(opts.timeout)
        .unwrap_or_else(|| now + Duration::from_secs(u64::from(u32::MAX)));
    if let Err((verdict, why)) = dialogue(&opts, Arc::new(config), deadline, &mut report) {
        report.verdict = verdict;
        report.diagnosis = why;
    }
    let req = requested.lock().map(|r| r.clone()).unwrap_or_default();
    report.client_cert_requested = req.asked;
    report.ca_names = req.ca_names.iter().map(|n| name_text(n)).collect();
    if report.rcpt_reply.is_some() || report.mail_reply.is_some() {
        judge(&mut report);
    }
    if report.verdict == Verdict::Permitted && report.client_cert_requested {
        // Would the server relay without the certificate? A second session
        // presenting none, up to RCPT TO as before.
        let mut bare = report.clone();
        bare.mail_reply = None;
        bare.rcpt_reply = None;
        let anonymous = tls::anonymous_config()?;
        if dialogue(&opts, Arc::new(anonymous), deadline, &mut bare).is_ok() {
            report.rcpt_without_certificate = bare.rcpt_reply.or(bare.mail_reply);
        }
        matter(&mut report);
    }
    Ok(report)
}

/// Whether the certificate is what made the server relay, from the second
/// session's reply ([`Report::rcpt_without_certificate`]).
fn matter(r: &mut Report) {
    match &r.rcpt_without_certificate {
        Some(reply) if reply.is_positive() => {
            r.verdict = Verdict::PermittedWithoutCertificate;
            r.diagnosis = format!(
                "relaying permitted, but also without a certificate ({} {}): something before \
                 permit_tls_clientcerts lets this client relay (permit_mynetworks for its \
                 address, SASL, an open relay); probe from an address outside mynetworks to test \
                 the certificate",
                reply.code, reply.text
            );
        }
        Some(reply) => {
            r.diagnosis = format!(
                "relaying permitted because of the certificate (without it: {} {})",
                reply.code, reply.text
            );
        }
        None => {
            r.diagnosis = "relaying permitted (a second session without the certificate \
                           failed, so whether the certificate mattered is unknown)"
                .to_string();
        }
    }
}

/// The likely cause of a refusal, from the words Postfix puts in the reply
/// (smtpd's texts for each restriction, stable across releases).
fn cause(reply: &Reply, fps: &str, digest: &str) -> Option<String> {
    let text = reply.text.to_ascii_lowercase();
    let not_listed = format!(
        "the certificate is not listed (or listed under another digest) — add one of these \
         {digest} fingerprints: {fps}; or permit_tls_clientcerts is missing before it"
    );
    if text.contains("relay access denied") {
        return Some(format!(
            "reject_unauth_destination{} refused to relay: no restriction before it permitted \
             this client; {not_listed}",
            if (400..500).contains(&reply.code) {
                " (defer_unauth_destination, which answers 4xx)"
            } else {
                ""
            }
        ));
    }
    if text.contains("temporary lookup failure") {
        return Some(
            "a table lookup failed (relay_clientcerts or check_ccert_access: a missing or \
             unreadable table, a database down); see the server's mail log"
                .to_string(),
        );
    }
    if text.contains("server configuration error") {
        return Some(
            "the server's restrictions are misconfigured (e.g. a check_ccert_access value that \
             is not an access(5) action, or an unknown restriction); see the server's mail log"
                .to_string(),
        );
    }
    if text.contains("sender address rejected") {
        return Some("the envelope sender was refused; try another --from".to_string());
    }
    if text.contains("user unknown") || text.contains("recipient address rejected: user") {
        return Some(
            "the recipient is in one of the server's own domains; give an outside address with --to"
                .to_string(),
        );
    }
    if text.contains("authentication required") {
        return Some(
            "the service requires SASL authentication before this command \
             (smtpd_tls_auth_only, or a restriction that demands it)"
                .to_string(),
        );
    }
    if text.contains("blocked using") {
        return Some("the client's address is on a DNS blocklist the server uses".to_string());
    }
    if text.contains("access denied") {
        return Some(format!("a reject in the restriction list; {not_listed}"));
    }
    None
}

type Stop = (Verdict, String);

fn failed(what: &str) -> impl Fn(SmtpError) -> Stop + '_ {
    stopped(what, Verdict::Failed)
}

/// A dialogue error at `what` as the verdict it means: a timeout or an
/// over-long reply is that, whatever step it happened at; anything else is
/// `otherwise`.
fn stopped(what: &str, otherwise: Verdict) -> impl Fn(SmtpError) -> Stop + '_ {
    move |e| match e {
        SmtpError::TimedOut => (
            Verdict::TimedOut,
            format!("{what}: timed out: the server did not finish the dialogue within --timeout"),
        ),
        SmtpError::TooLong { .. } => (Verdict::ReplyTooLong, format!("{what}: {e}")),
        e => (otherwise, format!("{what}: {e}")),
    }
}

/// A greeting other than 220 (a busy or refusing server) ends the probe,
/// before or after TLS alike.
fn greeted(greeting: &Reply) -> Result<(), Stop> {
    if greeting.code == 220 {
        return Ok(());
    }
    Err((
        Verdict::Failed,
        format!(
            "the server greeted with {}: {}",
            greeting.code, greeting.text
        ),
    ))
}

/// The first address of `host`, resolved within the time left: the
/// resolver has no timeout of its own, so it runs in a thread that is
/// abandoned (and ends with the process) when the deadline passes first.
fn resolve(host: &str, port: u16, deadline: Instant) -> Result<SocketAddr, Stop> {
    let (tx, rx) = std::sync::mpsc::channel();
    let name = host.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(
            (name.as_str(), port)
                .to_socket_addrs()
                .map(|mut a| a.next()),
        );
    });
    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(Some(addr))) => Ok(addr),
        Ok(Ok(None)) => Err((Verdict::Failed, format!("{host} has no address"))),
        Ok(Err(e)) => Err((Verdict::Failed, format!("resolving {host}: {e}"))),
        Err(_) => Err((
            Verdict::TimedOut,
            format!("resolving {host}: timed out within --timeout"),
        )),
    }
}

/// The SMTP dialogue up to RCPT TO, then QUIT.
fn dialogue(
    opts: &Options,
    config: Arc<rustls::ClientConfig>,
    deadline: Instant,
    report: &mut Report,
) -> Result<(), Stop> {
    let addr = resolve(&opts.host, opts.port, deadline)?;
    let left = deadline.saturating_duration_since(Instant::now());
    let tcp =
        TcpStream::connect_timeout(&addr, left.max(Duration::from_millis(1))).map_err(|e| {
            if smtp::is_timeout(&e) {
                (
                    Verdict::TimedOut,
                    format!("connecting to {addr}: timed out within --timeout"),
                )
            } else {
                (Verdict::Failed, format!("connecting to {addr}: {e}"))
            }
        })?;
    let mut tcp = Deadline::new(tcp, deadline);
    let server_name = rustls::pki_types::ServerName::try_from(opts.host.clone())
        .map_err(|e| (Verdict::Failed, format!("{}: {e}", opts.host)))?;
    let tls_refused = |e: &dyn std::fmt::Display| {
        (
            Verdict::TlsRefused,
            format!("the TLS handshake failed: {e}"),
        )
    };
    if !opts.implicit_tls {
        let greeting = read_reply(&mut tcp).map_err(failed("reading the greeting"))?;
        greeted(&greeting)?;
        let ehlo = command(&mut tcp, &format!("EHLO {}", opts.helo)).map_err(failed("EHLO"))?;
        if !ehlo.is_positive() || !ehlo.has_extension("STARTTLS") {
            return Err((
                Verdict::TlsRefused,
                "the server does not offer STARTTLS (set smtpd_tls_security_level = may or \
                 encrypt on that service)"
                    .to_string(),
            ));
        }
        let go = command(&mut tcp, "STARTTLS").map_err(failed("STARTTLS"))?;
        if go.code != 220 {
            return Err((
                Verdict::TlsRefused,
                format!("STARTTLS was answered {} {}", go.code, go.text),
            ));
        }
    }
    let conn = rustls::ClientConnection::new(config, server_name).map_err(|e| tls_refused(&e))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).map_err(|e| {
            if smtp::is_timeout(&e) {
                return stopped("the TLS handshake", Verdict::TlsRefused)(SmtpError::TimedOut);
            }
            let (verdict, mut why) = tls_refused(&e);
            if opts.rpk {
                // A server that cannot take a raw key does not echo the
                // client_certificate_type extension, and rustls gives up.
                why.push_str(
                    "; the server did not accept a raw public key (that needs Postfix 3.9+ \
                     built with OpenSSL 3.2+ and smtpd_tls_enable_rpk = yes); probe without --rpk",
                );
            }
            (verdict, why)
        })?;
    }
    report.tls_version = tls.conn.protocol_version().map(|v| {
        v.as_str()
            .map_or_else(|| format!("{v:?}"), |s| s.replace("TLSv1_", "TLSv1."))
    });
    report.cipher = tls.conn.negotiated_cipher_suite().map(|c| {
        c.suite()
            .as_str()
            .map_or_else(|| format!("{:?}", c.suite()), str::to_string)
    });
    if let Some(server) = tls.conn.peer_certificates().and_then(|c| c.first())
        && let Ok(certs) = crate::cert::parse_certificates(
            server.as_ref(),
            std::path::Path::new("server"),
            &crate::cert::NoPassword,
        )
        && let Some(cert) = certs.first()
    {
        report.server_subject = Some(cert.subject.clone());
        report.server_fingerprint = Some(cert.fingerprint(opts.digest, false).to_string());
    }
    let mut stream = &mut tls;
    if opts.implicit_tls {
        let greeting = read_reply(&mut stream).map_err(|e| match e {
            SmtpError::Io(e) => tls_refused(&e),
            e => stopped("reading the greeting", Verdict::TlsRefused)(e),
        })?;
        greeted(&greeting)?;
    }
    let ehlo = command(&mut stream, &format!("EHLO {}", opts.helo)).map_err(|e| match e {
        // A TLS alert (the server refused the certificate) arrives here in TLS 1.3.
        SmtpError::Io(e) => tls_refused(&e),
        e => stopped("EHLO after TLS", Verdict::TlsRefused)(e),
    })?;
    if !ehlo.is_positive() {
        return Err((
            Verdict::Failed,
            format!("EHLO after TLS was answered {} {}", ehlo.code, ehlo.text),
        ));
    }
    let mail =
        command(&mut stream, &format!("MAIL FROM:<{}>", opts.from)).map_err(failed("MAIL FROM"))?;
    let go_on = mail.is_positive();
    report.mail_reply = Some(mail);
    if go_on {
        let rcpt =
            command(&mut stream, &format!("RCPT TO:<{}>", opts.to)).map_err(failed("RCPT TO"))?;
        report.rcpt_reply = Some(rcpt);
    }
    // QUIT before any DATA: nothing is ever sent.
    let _ = command(&mut stream, "QUIT");
    Ok(())
}

/// The verdict from the replies and the handshake; each refusal names its
/// likely cause from the reply text ([`cause`]).
fn judge(r: &mut Report) {
    let fps = match &r.cert_fingerprint {
        Some(c) => format!("{c} (certificate) or {} (public key)", r.pkey_fingerprint),
        None => format!("{} (public key)", r.pkey_fingerprint),
    };
    let (verdict, diagnosis) = match (&r.mail_reply, &r.rcpt_reply) {
        (_, Some(rcpt)) if rcpt.is_positive() => {
            if r.client_cert_requested {
                (Verdict::Permitted, "relaying permitted".to_string())
            } else {
                (
                    Verdict::PermittedWithoutCertificate,
                    "relaying permitted, but not because of the certificate: the server did not \
                     ask for one (permit_mynetworks, SASL or an open relay)"
                        .to_string(),
                )
            }
        }
        (_, Some(rcpt)) if !r.client_cert_requested && rcpt.code >= 500 => (
            Verdict::NoCertificateRequested,
            format!(
                "refused ({} {}), and the server never asked for a client certificate: set \
                 smtpd_tls_ask_ccert = yes on that service",
                rcpt.code, rcpt.text
            ),
        ),
        (_, Some(rcpt))
            if rcpt
                .text
                .to_ascii_lowercase()
                .contains("relay access denied") =>
        {
            (
                Verdict::Refused,
                format!(
                    "refused ({} {}): {}",
                    rcpt.code,
                    rcpt.text,
                    cause(rcpt, &fps, &r.digest).unwrap_or_default()
                ),
            )
        }
        (_, Some(rcpt)) | (Some(rcpt), None) if (400..500).contains(&rcpt.code) => (
            Verdict::TemporaryFailure,
            format!(
                "temporary failure ({} {}): {}",
                rcpt.code,
                rcpt.text,
                cause(rcpt, &fps, &r.digest).unwrap_or_else(|| {
                    "the server could not decide now; see its mail log for why".to_string()
                })
            ),
        ),
        (_, Some(rcpt)) => (
            Verdict::Refused,
            format!(
                "refused ({} {}): {}",
                rcpt.code,
                rcpt.text,
                cause(rcpt, &fps, &r.digest).unwrap_or_else(|| format!(
                    "the certificate is not listed, or listed under another digest — add one \
                     of these {} fingerprints: {fps}",
                    r.digest
                ))
            ),
        ),
        (Some(mail), None) => (
            Verdict::Failed,
            format!(
                "MAIL FROM was refused ({} {}): {}",
                mail.code,
                mail.text,
                cause(mail, &fps, &r.digest).unwrap_or_else(|| "try another --from".to_string())
            ),
        ),
        (None, None) => return,
    };
    r.verdict = verdict;
    r.diagnosis = diagnosis;
}

/// A DER X.501 name as text (`CN=Example CA, O=Example`, control and bidi
/// characters escaped as in every certificate name), or hex when it does
/// not parse.
fn name_text(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer as _;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, name)) => crate::cert::name::format_name(&name),
        Err(_) => der.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

#[cfg(test)]
mod tests {
    /// A CA name a server sends (any bytes it likes) is shown with its
    /// control characters escaped, as every certificate name is.
    #[test]
    fn ca_names_are_escaped() {
        let value = b"ev\x1b]0;x\x07il";
        let mut atv = vec![0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, value.len() as u8];
        atv.extend_from_slice(value);
        let mut der = vec![0x30, 2 + 2 + atv.len() as u8, 0x31, 2 + atv.len() as u8];
        der.extend_from_slice(&[0x30, atv.len() as u8]);
        der.extend_from_slice(&atv);
        let text = super::name_text(&der);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(text.starts_with("CN=ev"), "{text:?}");
    }
}
