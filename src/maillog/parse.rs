//! One mail-log line → the event ccert cares about, if any.
//!
//! A syslog line is `TIMESTAMP HOST TAG[PID]: MESSAGE`, with TIMESTAMP either
//! the traditional `Nov 25 19:04:05` or RFC 3339 (`2026-11-25T19:04:05.123456+00:00`,
//! written by rsyslog on Debian 12 and by Postfix's own `maillog_file` with
//! `maillog_file_rfc3339 = yes`). The messages are the ones smtpd writes
//! (docs/maillog.md has each format and where it comes from):
//!
//! * `NAMADDR: subject_CN=CN, issuer=ISSUER, fingerprint=FP, pkey_fingerprint=PKFP` (≤ 3.8)
//! * `NAMADDR: subject_CN=CN, issuer=ISSUER[, cert fingerprint=FP][, pkey fingerprint=PKFP]` (3.9+)
//! * `NAMADDR: raw public key fingerprint=PKFP` (3.9+, RFC 7250 clients)
//! * `QUEUEID: reject: RCPT from NAMADDR: 554 5.7.1 <…>: Relay access denied; …`
//!   (`reject_unauth_destination`), or `…: Recipient address rejected: Access denied; …`
//!   (a plain `reject` after `permit_tls_clientcerts`, as Postfix 3.7 logs it):
//!   every RCPT refusal counts, whatever restriction made it.
//!
//! NAMADDR is `name[addr]`, or `name[addr]:port` with `smtpd_client_port_logging = yes`.
//! Nothing here allocates for lines that are not one of these.

use time::{Month, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// When a line was logged. Traditional syslog stamps carry no year: it is
/// filled in by the reader ([`Stamp::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// An RFC 3339 stamp: a full instant.
    Full(OffsetDateTime),
    /// `Mon dd hh:mm:ss`, local time of an unknown year.
    Yearless {
        /// Month.
        month: Month,
        /// Day of the month.
        day: u8,
        /// Seconds since midnight.
        seconds: u32,
    },
}

impl Stamp {
    /// The instant, taking a yearless stamp to be the latest one not after
    /// `now` (logs are read after they are written), in the local `offset`.
    pub fn resolve(self, now: OffsetDateTime, offset: UtcOffset) -> Option<OffsetDateTime> {
        match self {
            Self::Full(t) => Some(t),
            Self::Yearless {
                month,
                day,
                seconds,
            } => {
                let at = |year: i32| {
                    let date = time::Date::from_calendar_date(year, month, day).ok()?;
                    let time = time::Time::from_hms(
                        (seconds / 3600) as u8,
                        (seconds / 60 % 60) as u8,
                        (seconds % 60) as u8,
                    )
                    .ok()?;
                    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
                };
                let year = now.to_offset(offset).year();
                // A day after now means last year's log (Dec 31 read on Jan 1).
                match at(year) {
                    Some(t) if t <= now + time::Duration::DAY => Some(t),
                    _ => at(year - 1),
                }
            }
        }
    }
}

/// The syslog envelope of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// When.
    pub stamp: Stamp,
    /// The `syslog_name` part of the tag (`postfix/submission` of
    /// `postfix/submission/smtpd[42]`).
    pub syslog_name: &'a str,
    /// The program (`smtpd`).
    pub program: &'a str,
    /// The process id.
    pub pid: u32,
}

/// A client as smtpd names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Peer<'a> {
    /// The verified host name, or `unknown`.
    pub name: &'a str,
    /// The address (IPv4 or IPv6, without brackets).
    pub addr: &'a str,
    /// The port, with `smtpd_client_port_logging = yes`.
    pub port: Option<u16>,
}

/// What smtpd said about a client's credentials or a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A certificate (≤ 3.8 or 3.9+ form; fingerprints empty when 3.9+ left them out).
    Certificate {
        /// The client.
        peer: Peer<'a>,
        /// Subject CN (may be empty).
        subject_cn: &'a str,
        /// Issuer CN (may be empty).
        issuer_cn: &'a str,
        /// Certificate fingerprint, as logged (upper-case hex with colons).
        cert_fp: Option<&'a str>,
        /// Public-key fingerprint, as logged.
        pkey_fp: Option<&'a str>,
    },
    /// A raw public key (RFC 7250; 3.9+).
    RawKey {
        /// The client.
        peer: Peer<'a>,
        /// Public-key fingerprint, as logged.
        pkey_fp: &'a str,
    },
    /// `disconnect from NAMADDR …`: the end of a session.
    Disconnect {
        /// The client.
        peer: Peer<'a>,
    },
    /// `reject: RCPT from …` (relay access denied, or any other refusal of a recipient).
    RcptRejected {
        /// The client.
        peer: Peer<'a>,
        /// The SMTP reply code (554, 454, 451, …).
        code: u16,
    },
}

/// A parsed line: envelope and event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// Timestamp, tag and pid.
    pub envelope: Envelope<'a>,
    /// The event.
    pub event: Event<'a>,
}

/// Parses one line; `None` for every line that is not an smtpd event above.
pub fn parse_line(line: &str) -> Option<Line<'_>> {
    let line = line.trim_end_matches(['\n', '\r']);
    let (stamp, rest) = parse_stamp(line)?;
    // HOST
    let (_host, rest) = rest.trim_start().split_once(' ')?;
    // TAG[PID]:
    let (tag, message) = rest.split_once("]: ")?;
    let (path, pid) = tag.rsplit_once('[')?;
    let pid = pid.parse().ok()?;
    let (syslog_name, program) = path.rsplit_once('/')?;
    let envelope = Envelope {
        stamp,
        syslog_name,
        program,
        pid,
    };
    let event = parse_message(message)?;
    Some(Line { envelope, event })
}

/// Parses the message part (after `tag[pid]: `).
pub fn parse_message(message: &str) -> Option<Event<'_>> {
    if let Some(at) = message.find(": reject: RCPT from ") {
        let rest = &message[at + ": reject: RCPT from ".len()..];
        let (peer, reply) = parse_peer(rest)?;
        let code = reply
            .get(..3)?
            .parse()
            .ok()
            .filter(|c| (400..600).contains(c))?;
        return Some(Event::RcptRejected { peer, code });
    }
    if let Some(rest) = message.strip_prefix("disconnect from ") {
        let (peer, rest) = parse_namaddr(rest)?;
        return (rest.is_empty() || rest.starts_with(' ')).then_some(Event::Disconnect { peer });
    }
    let (peer, rest) = parse_peer(message)?;
    if let Some(fp) = rest.strip_prefix("raw public key fingerprint=") {
        return is_fingerprint(fp).then_some(Event::RawKey { peer, pkey_fp: fp });
    }
    let rest = rest.strip_prefix("subject_CN=")?;
    // Fingerprints are taken from the end: a CN may contain anything printable.
    let (rest, cert_fp, pkey_fp) = if let Some((head, pk)) = rest.rsplit_once(", pkey_fingerprint=")
    {
        // ≤ 3.8: both always present (possibly empty).
        let (head, fp) = head.rsplit_once(", fingerprint=")?;
        (head, non_empty(fp), non_empty(pk))
    } else {
        let (head, pk) = match rest.rsplit_once(", pkey fingerprint=") {
            Some((h, pk)) if is_fingerprint(pk) => (h, Some(pk)),
            _ => (rest, None),
        };
        let (head, fp) = match head.rsplit_once(", cert fingerprint=") {
            Some((h, fp)) if is_fingerprint(fp) => (h, Some(fp)),
            _ => (head, None),
        };
        (head, fp, pk)
    };
    if cert_fp.is_some_and(|f| !is_fingerprint(f)) || pkey_fp.is_some_and(|f| !is_fingerprint(f)) {
        return None;
    }
    let (subject_cn, issuer_cn) = rest.split_once(", issuer=")?;
    Some(Event::Certificate {
        peer,
        subject_cn,
        issuer_cn,
        cert_fp,
        pkey_fp,
    })
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// Upper- or lower-case hex pairs joined by `:` (what Postfix logs).
fn is_fingerprint(s: &str) -> bool {
    !s.is_empty()
        && s.split(':')
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `name[addr]` or `name[addr]:port`, followed by `: `; returns the rest.
fn parse_peer(text: &str) -> Option<(Peer<'_>, &str)> {
    let (peer, rest) = parse_namaddr(text)?;
    Some((peer, rest.strip_prefix(": ")?))
}

/// `name[addr]` or `name[addr]:port`; returns the rest after it.
fn parse_namaddr(text: &str) -> Option<(Peer<'_>, &str)> {
    let open = text.find('[')?;
    let name = &text[..open];
    if name.is_empty() || name.contains([' ', ':', ']']) {
        return None;
    }
    let close = open + text[open..].find(']')?;
    let addr = &text[open + 1..close];
    if addr.is_empty()
        || !addr
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":.%".contains(&b))
    {
        return None;
    }
    let after = &text[close + 1..];
    let digits = after
        .strip_prefix(':')
        .map(|p| p.bytes().take_while(u8::is_ascii_digit).count())
        .unwrap_or(0);
    if digits == 0 {
        return Some((
            Peer {
                name,
                addr,
                port: None,
            },
            after,
        ));
    }
    let port = after[1..=digits].parse().ok()?;
    Some((
        Peer {
            name,
            addr,
            port: Some(port),
        },
        &after[1 + digits..],
    ))
}

fn month(abbrev: &str) -> Option<Month> {
    Some(match abbrev {
        "Jan" => Month::January,
        "Feb" => Month::February,
        "Mar" => Month::March,
        "Apr" => Month::April,
        "May" => Month::May,
        "Jun" => Month::June,
        "Jul" => Month::July,
        "Aug" => Month::August,
        "Sep" => Month::September,
        "Oct" => Month::October,
        "Nov" => Month::November,
        "Dec" => Month::December,
        _ => return None,
    })
}

/// The timestamp at the start of a line, and the rest.
fn parse_stamp(line: &str) -> Option<(Stamp, &str)> {
    let first = line.split(' ').next()?;
    if first.len() >= 19 && first.as_bytes()[4] == b'-' {
        let t =
            OffsetDateTime::parse(first, &time::format_description::well_known::Rfc3339).ok()?;
        return Some((Stamp::Full(t), &line[first.len()..]));
    }
    // "Nov 25 19:04:05" or "Nov  5 19:04:05"
    let month = month(line.get(..3)?)?;
    let rest = line.get(3..)?.trim_start_matches(' ');
    let (day, rest) = rest.split_once(' ')?;
    let day: u8 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let (clock, rest) = rest.split_once(' ')?;
    let mut parts = clock.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let seconds = h * 3600 + m * 60 + s.min(59);
    Some((
        Stamp::Yearless {
            month,
            day,
            seconds,
        },
        rest,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real lines of Postfix 3.7.11 (Debian 12), maillog_file, captured by the
    // live test `learn::log_then_add_by_fingerprint`.
    const V37_CERT: &str = "Nov 25 19:05:58 ccert-live postfix/lvl2/smtpd[8240]: localhost[127.0.0.1]: subject_CN=stranger.example, issuer=stranger.example, fingerprint=B3:6D:99:77:D7:EB:F0:7E:3C:25:19:B9:88:2C:0F:6D:5D:81:60:CD:FF:5E:4A:A7:66:92:05:B6:FE:22:1E:FB, pkey_fingerprint=9A:EA:D9:91:62:0C:D0:C4:FF:61:8A:DF:0B:ED:59:02:5B:C6:89:47:30:0C:E0:C9:C4:2C:95:DA:12:EB:73:C7";
    const V37_PORT: &str = "Nov 25 19:05:58 ccert-live postfix/peercert/smtpd[8241]: localhost[127.0.0.1]:56304: subject_CN=other.example, issuer=other.example, fingerprint=E3:29:D0:9A:A8:7F:B4:61:87:41:CB:CC:3F:4F:5E:28:5D:B2:83:66:41:00:F3:45:FB:3D:53:10:15:76:04:60, pkey_fingerprint=DA:43:E7:7E:8A:56:53:76:2B:47:EF:0F:AB:5E:39:2C:98:10:13:91:8C:E1:D9:7D:98:37:E0:D0:0A:3E:A3:26";
    const V37_REJECT: &str = "Nov 25 19:05:58 ccert-live postfix/peercert/smtpd[8241]: NOQUEUE: reject: RCPT from localhost[127.0.0.1]:56304: 554 5.7.1 <user@remote.example>: Recipient address rejected: Access denied; from=<sender@client.example> to=<user@remote.example> proto=ESMTP helo=<client.example>";
    const V37_SUMMARY: &str = "Nov 25 19:05:58 ccert-live postfix/lvl1/smtpd[8242]: Untrusted TLS connection established from localhost[127.0.0.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (prime256v1) server-digest SHA256 client-signature ECDSA (prime256v1) client-digest SHA256";
    // Postfix 3.9+/3.10 lines, built from the format strings of
    // src/tls/tls_server.c (v3.9.0, v3.10.0: "%s: subject_CN=%s, issuer=%s%s%s%s%s"
    // with ", cert fingerprint=" and ", pkey fingerprint=" parts, and
    // "%s: raw public key fingerprint=%s"); no 3.9+ instance runs here.
    // Time stamps in rsyslog's RFC 3339 form (Debian 12's default).
    const V310_CERT: &str = "2026-11-25T19:05:58.123456+01:00 mx postfix/submission/smtpd[77]: mail.example[2001:db8::25]: subject_CN=laptop, issuer=Example CA, cert fingerprint=AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99, pkey fingerprint=11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF";
    const V310_RPK: &str = "Nov  5 01:02:03 mx postfix/smtpd[78]: unknown[192.0.2.7]:4711: raw public key fingerprint=11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF";
    const RELAY_DENIED: &str = "Nov  5 01:02:04 mx postfix/smtpd[78]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]:4711: 554 5.7.1 <a@b.example>: Relay access denied; from=<x@y> to=<a@b.example> proto=ESMTP helo=<h>";

    #[test]
    fn postfix_37_certificate_line() {
        let line = parse_line(V37_CERT).unwrap();
        assert_eq!(line.envelope.syslog_name, "postfix/lvl2");
        assert_eq!(line.envelope.program, "smtpd");
        assert_eq!(line.envelope.pid, 8240);
        assert_eq!(
            line.envelope.stamp,
            Stamp::Yearless {
                month: Month::November,
                day: 25,
                seconds: 19 * 3600 + 5 * 60 + 58
            }
        );
        let Event::Certificate {
            peer,
            subject_cn,
            issuer_cn,
            cert_fp,
            pkey_fp,
        } = line.event
        else {
            panic!("{:?}", line.event)
        };
        assert_eq!(
            peer,
            Peer {
                name: "localhost",
                addr: "127.0.0.1",
                port: None
            }
        );
        assert_eq!(
            (subject_cn, issuer_cn),
            ("stranger.example", "stranger.example")
        );
        assert!(cert_fp.unwrap().starts_with("B3:6D:99"));
        assert!(pkey_fp.unwrap().ends_with("73:C7"));
    }

    #[test]
    fn postfix_37_port_logging_and_reject() {
        let Event::Certificate { peer, .. } = parse_line(V37_PORT).unwrap().event else {
            panic!()
        };
        assert_eq!(peer.port, Some(56304));
        let Event::RcptRejected { peer, code } = parse_line(V37_REJECT).unwrap().event else {
            panic!()
        };
        assert_eq!(
            (peer.addr, peer.port, code),
            ("127.0.0.1", Some(56304), 554)
        );
        assert_eq!(parse_line(V37_SUMMARY), None);
        let bye = "Nov 25 19:05:58 ccert-live postfix/peercert/smtpd[8241]: disconnect from localhost[127.0.0.1]:56304 ehlo=2 starttls=1 mail=1 rcpt=0/1 quit=1 commands=5/6";
        let Event::Disconnect { peer } = parse_line(bye).unwrap().event else {
            panic!()
        };
        assert_eq!(peer.port, Some(56304));
    }

    #[test]
    fn postfix_39_lines() {
        let line = parse_line(V310_CERT).unwrap();
        assert!(matches!(line.envelope.stamp, Stamp::Full(_)));
        assert_eq!(line.envelope.syslog_name, "postfix/submission");
        let Event::Certificate {
            peer,
            subject_cn,
            issuer_cn,
            cert_fp,
            pkey_fp,
        } = line.event
        else {
            panic!()
        };
        assert_eq!(peer.addr, "2001:db8::25");
        assert_eq!((subject_cn, issuer_cn), ("laptop", "Example CA"));
        assert!(cert_fp.unwrap().starts_with("AA:BB"));
        assert!(pkey_fp.unwrap().starts_with("11:22"));
        // Each part only when non-empty.
        let no_cert = V310_CERT.replace(
            ", cert fingerprint=AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
            "",
        );
        let Event::Certificate {
            cert_fp, pkey_fp, ..
        } = parse_line(&no_cert).unwrap().event
        else {
            panic!()
        };
        assert_eq!(cert_fp, None);
        assert!(pkey_fp.is_some());
        let line = parse_line(V310_RPK).unwrap();
        assert_eq!(line.envelope.syslog_name, "postfix");
        let Event::RawKey { peer, pkey_fp } = line.event else {
            panic!()
        };
        assert_eq!((peer.name, peer.port), ("unknown", Some(4711)));
        assert!(pkey_fp.starts_with("11:22"));
        assert!(matches!(
            parse_line(RELAY_DENIED).unwrap().event,
            Event::RcptRejected { code: 554, .. }
        ));
    }

    #[test]
    fn odd_subjects_and_junk() {
        // A CN holding the separators: fingerprints are taken from the end.
        let odd = V37_CERT.replace(
            "subject_CN=stranger.example",
            "subject_CN=a, fingerprint=x, issuer=y",
        );
        let Event::Certificate {
            subject_cn,
            issuer_cn,
            cert_fp,
            ..
        } = parse_line(&odd).unwrap().event
        else {
            panic!()
        };
        assert_eq!(subject_cn, "a, fingerprint=x");
        assert_eq!(issuer_cn, "y, issuer=stranger.example");
        assert!(cert_fp.unwrap().starts_with("B3:"));
        for junk in [
            "",
            "Nov",
            "Nov 25 19:05:58",
            "Nov 32 19:05:58 h p[1]: x[1.2.3.4]: subject_CN=",
            "x y z",
        ] {
            assert_eq!(parse_line(junk), None, "{junk:?}");
        }
        let bad_fp = V37_CERT.replace("pkey_fingerprint=9A", "pkey_fingerprint=ZZ");
        assert_eq!(parse_line(&bad_fp), None);
    }

    #[test]
    fn yearless_stamps_resolve_to_the_past() {
        let now = time::macros::datetime!(2027-01-01 00:10 UTC);
        let dec31 = Stamp::Yearless {
            month: Month::December,
            day: 31,
            seconds: 3600,
        };
        assert_eq!(dec31.resolve(now, UtcOffset::UTC).unwrap().year(), 2026);
        let jan1 = Stamp::Yearless {
            month: Month::January,
            day: 1,
            seconds: 60,
        };
        assert_eq!(jan1.resolve(now, UtcOffset::UTC).unwrap().year(), 2027);
    }
}
