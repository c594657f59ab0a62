//! Folding parsed lines into one record per client and credential, with the
//! relay refusals of the same smtpd process and client attached.

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::parse::{Event, Line, Peer};

/// One client presenting one certificate (or raw key), over all its connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sighting {
    /// `name[addr]` (without the port: one row for every connection).
    pub client: String,
    /// Subject CN (empty for a raw public key).
    pub subject_cn: String,
    /// Issuer CN (empty for a raw public key).
    pub issuer_cn: String,
    /// Certificate fingerprint as logged; `None` for a raw key.
    pub cert_fingerprint: Option<String>,
    /// Public-key fingerprint as logged.
    pub pkey_fingerprint: Option<String>,
    /// Whether the client sent a raw public key (RFC 7250) instead of a certificate.
    pub raw_public_key: bool,
    /// The `syslog_name` of the smtpd that logged it (`postfix/submission`).
    pub syslog_name: String,
    /// First connection.
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_seen: Option<OffsetDateTime>,
    /// Last connection.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
    /// TLS handshakes that showed this credential.
    pub connections: u64,
    /// Refused recipients (`reject: RCPT from`) of this client in those sessions.
    pub rcpt_rejected: u64,
}

/// What makes two sightings the same row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RowKey {
    client: String,
    syslog_name: String,
    cert_fp: Option<String>,
    pkey_fp: Option<String>,
}

/// The most rows (distinct client and credential pairs) kept. Client
/// certificates are for a site's own workstations: hundreds, not tens of
/// thousands. A log made to hold more (each row up to a whole line) would
/// otherwise grow without bound; the rest are counted in
/// [`Collector::dropped`].
pub const MAX_ROWS: usize = 10_000;

/// The most open sessions remembered for attributing refusals. A session
/// ends with its `disconnect` line; a log without them (cut, or made up)
/// would grow the map for ever, so a full map is emptied, and refusals of
/// the sessions forgotten then are not counted.
pub const MAX_SESSIONS: usize = 10_000;

/// Collects lines in log order.
#[derive(Debug, Default)]
pub struct Collector {
    /// Sightings not kept because [`MAX_ROWS`] were already kept.
    dropped: u64,
    rows: Vec<Sighting>,
    index: HashMap<RowKey, usize>,
    /// The row of the last credential seen per (syslog name, pid, client
    /// with port): a refusal belongs to the session that showed it.
    sessions: HashMap<(String, u32, String), usize>,
}

fn client_of(peer: &Peer<'_>) -> String {
    format!("{}[{}]", peer.name, peer.addr)
}

fn session_of(peer: &Peer<'_>) -> String {
    match peer.port {
        Some(p) => format!("{}[{}]:{p}", peer.name, peer.addr),
        None => client_of(peer),
    }
}

impl Collector {
    /// Takes one parsed line with its resolved time (`None` when unknown).
    /// Lines of other programs than smtpd are ignored.
    pub fn push(&mut self, line: &Line<'_>, at: Option<OffsetDateTime>) {
        let env = &line.envelope;
        if env.program != "smtpd" {
            return;
        }
        let (peer, subject_cn, issuer_cn, cert_fp, pkey_fp, raw) = match &line.event {
            Event::Certificate {
                peer,
                subject_cn,
                issuer_cn,
                cert_fp,
                pkey_fp,
            } => (peer, *subject_cn, *issuer_cn, *cert_fp, *pkey_fp, false),
            Event::RawKey { peer, pkey_fp } => (peer, "", "", None, Some(*pkey_fp), true),
            Event::Disconnect { peer } => {
                // The pid serves other clients next: forget this session.
                self.sessions
                    .remove(&(env.syslog_name.to_string(), env.pid, session_of(peer)));
                return;
            }
            Event::RcptRejected { peer, .. } => {
                let key = (env.syslog_name.to_string(), env.pid, session_of(peer));
                if let Some(&row) = self.sessions.get(&key) {
                    self.rows[row].rcpt_rejected += 1;
                }
                return;
            }
        };
        let key = RowKey {
            client: client_of(peer),
            syslog_name: env.syslog_name.to_string(),
            cert_fp: cert_fp.map(str::to_string),
            pkey_fp: pkey_fp.map(str::to_string),
        };
        if !self.index.contains_key(&key) && self.rows.len() >= MAX_ROWS {
            self.dropped += 1;
            return;
        }
        let row = *self.index.entry(key).or_insert_with(|| {
            self.rows.push(Sighting {
                client: client_of(peer),
                subject_cn: subject_cn.to_string(),
                issuer_cn: issuer_cn.to_string(),
                cert_fingerprint: cert_fp.map(str::to_string),
                pkey_fingerprint: pkey_fp.map(str::to_string),
                raw_public_key: raw,
                syslog_name: env.syslog_name.to_string(),
                first_seen: None,
                last_seen: None,
                connections: 0,
                rcpt_rejected: 0,
            });
            self.rows.len() - 1
        });
        let s = &mut self.rows[row];
        s.connections += 1;
        if let Some(t) = at {
            s.first_seen = Some(s.first_seen.map_or(t, |f| f.min(t)));
            s.last_seen = Some(s.last_seen.map_or(t, |l| l.max(t)));
        }
        if self.sessions.len() >= MAX_SESSIONS {
            self.sessions.clear();
        }
        self.sessions.insert(
            (env.syslog_name.to_string(), env.pid, session_of(peer)),
            row,
        );
    }

    /// Connections not counted because [`MAX_ROWS`] distinct rows were
    /// already kept.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The rows, in order of first appearance.
    pub fn finish(self) -> Vec<Sighting> {
        self.rows
    }
}
