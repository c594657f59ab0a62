//! libpq connection URIs (`postgresql://user:pw@host:port,host2/db?sslmode=require`),
//! the modern form of a pgsql_table(5) `hosts` item.
//!
//! Parsed by ccert itself (not handed to the client library) because the
//! library knows neither `verify-ca`/`verify-full` nor `sslrootcert`, and
//! because no message may show the password. A URI is never echoed as
//! written: messages show [`ConnUri::redacted`], rebuilt from the parsed
//! parts without the password and the query, and parse errors name the part
//! that is wrong, never its text (a password written with a raw `/`, `?` or
//! `&` would otherwise land in the "bad port" or "unknown parameter" text).

use std::path::Path;

use crate::cert::name::terminal_safe;

/// What ccert does with TLS (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, unverified (libpq's default). The
    /// password goes to whichever server answers: no better than `disable`
    /// against an active attacker.
    #[default]
    Prefer,
    /// TLS, certificate not verified (as libpq without a root certificate).
    Require,
    /// TLS, certificate chain verified against the root certificates.
    VerifyCa,
    /// TLS, chain and host name verified.
    VerifyFull,
}

impl SslMode {
    /// libpq's name for `text` (`allow` is taken as `disable`: ccert never
    /// retries with TLS after a refusal).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "disable" | "allow" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return None,
        })
    }

    /// libpq's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }

    /// Whether the server's certificate is checked (only then does TLS keep
    /// the password from a server that merely answers on the address).
    pub fn verifies(self) -> bool {
        matches!(self, Self::VerifyCa | Self::VerifyFull)
    }
}

/// The parameters ccert takes from a URI.
const SUPPORTED: [&str; 10] = [
    "sslmode",
    "passfile",
    "sslrootcert",
    "host",
    "port",
    "user",
    "password",
    "dbname",
    "connect_timeout",
    "application_name",
];

/// libpq's other connection parameters: refused by name (their values are
/// never shown). Any other name is not shown at all: it may be a piece of a
/// password written with a raw `&`.
const LIBPQ_OTHER: [&str; 35] = [
    "hostaddr",
    "channel_binding",
    "client_encoding",
    "options",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "requiressl",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
    "require_auth",
    "sslnegotiation",
    "sslkeylogfile",
    "min_protocol_version",
    "max_protocol_version",
];

/// A parsed connection URI.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnUri {
    scheme: &'static str,
    /// Hosts with optional ports; a host starting with `/` is a socket directory.
    pub hosts: Vec<(String, Option<u16>)>,
    /// User name.
    pub user: Option<String>,
    /// Password (never printed).
    pub password: Option<String>,
    /// Database name.
    pub dbname: Option<String>,
    /// `sslmode`.
    pub sslmode: SslMode,
    /// Whether `sslmode` was given (else libpq's default, `prefer`).
    pub sslmode_given: bool,
    /// `sslrootcert`: PEM file of the certificates to trust.
    pub sslrootcert: Option<String>,
    /// `connect_timeout` in seconds.
    pub connect_timeout: Option<u64>,
    /// `application_name`.
    pub application_name: Option<String>,
    /// `passfile`: libpq's password file, read when there is no password
    /// (see [`super::passfile`]).
    pub passfile: Option<String>,
}

impl std::fmt::Debug for ConnUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Whether `item` starts with a scheme ccert reads as a libpq URI.
pub fn scheme_of(item: &str) -> Option<&'static str> {
    if item.starts_with("postgresql://") {
        Some("postgresql")
    } else if item.starts_with("postgres://") {
        Some("postgres")
    } else {
        None
    }
}

/// Characters that libpq (which Postfix hands the URI to) ends the user
/// name or password at, or that pgsql_table(5) splits `hosts` at: written
/// raw, Postfix would read another URI than ccert does.
fn needs_encoding(c: char) -> bool {
    matches!(c, '@' | '/' | '?' | '#' | '[' | ']' | ',' | '&' | '=') || c.is_whitespace()
}

/// Whether `text` holds `?NAME=` or `&NAME=` for a libpq parameter: the
/// query has begun before that point.
fn has_query_param(text: &str) -> bool {
    text.match_indices(['?', '&']).any(|(i, _)| {
        let after = &text[i + 1..];
        SUPPORTED
            .iter()
            .chain(LIBPQ_OTHER.iter())
            .any(|k| after.strip_prefix(k).is_some_and(|r| r.starts_with('=')))
    })
}

/// Where the user information of `rest` (the URI after `scheme://`) ends:
/// the last `@` that is not inside the query.
fn userinfo_end(rest: &str) -> Option<usize> {
    rest.rmatch_indices('@')
        .map(|(i, _)| i)
        .find(|&i| !has_query_param(&rest[..i]))
}

impl ConnUri {
    /// Parses `postgresql://…` or `postgres://…`. The error says which part
    /// is wrong and what to do, never the text of the URI.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let scheme = scheme_of(raw)
            .ok_or_else(|| "a URI must start with postgresql:// or postgres://".to_string())?;
        let rest = &raw[scheme.len() + 3..];
        // The user information ends at the last `@` before the host list,
        // so a raw `@`, `/` or `?` in a password is still the password (and
        // then refused below, never shown); an `@` inside the query
        // (`application_name=a@b`) is not a candidate.
        let at = userinfo_end(rest);
        let (userinfo, after) = match at {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        let (before_query, query) = after.split_once('?').unwrap_or((after, ""));
        let (hostlist, path) = before_query.split_once('/').unwrap_or((before_query, ""));
        let mut uri = Self {
            scheme,
            hosts: Vec::new(),
            user: None,
            password: None,
            dbname: None,
            sslmode: SslMode::default(),
            sslmode_given: false,
            sslrootcert: None,
            connect_timeout: None,
            application_name: None,
            passfile: None,
        };
        if let Some(u) = userinfo {
            let (user, pw) = match u.split_once(':') {
                Some((user, pw)) => (user, Some(pw)),
                None => (u, None),
            };
            if user.contains(needs_encoding) || pw.is_some_and(|p| p.contains(needs_encoding)) {
                return Err("the user name or password holds a character that must be \
                            percent-encoded (@ / ? # [ ] , & = or white space): libpq, which \
                            Postfix hands the URI to, would read another user, password or \
                            host; write %40 %2F %3F %23 %5B %5D %2C %26 %3D %20 instead"
                    .into());
            }
            uri.user = non_empty(decode(user, "the user name")?);
            uri.password = pw.map(|p| decode(p, "the password")).transpose()?;
        }
        for item in hostlist.split(',') {
            let (host, port) = split_host_port(item)?;
            let host = decode(host, "a host")?;
            if !host.is_empty() || port.is_some() {
                uri.hosts.push((host, port));
            }
        }
        uri.dbname = non_empty(decode(path, "the database name")?);
        let mut host_params = Vec::new();
        let mut port_param = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let Some((k, v)) = pair.split_once('=') else {
                return Err("a URI parameter has no `=` (write NAME=VALUE&NAME=VALUE)".into());
            };
            let k = decode(k, "a parameter name")?;
            let v = decode(v, &format!("the value of {k}"))?;
            match k.as_str() {
                "sslmode" => {
                    uri.sslmode = SslMode::parse(&v).ok_or_else(|| {
                        "sslmode is not one of disable, allow, prefer, require, verify-ca, \
                         verify-full"
                            .to_string()
                    })?;
                    uri.sslmode_given = true;
                }
                "sslrootcert" => uri.sslrootcert = Some(v),
                "user" => uri.user = non_empty(v),
                "password" => uri.password = Some(v),
                "dbname" => uri.dbname = non_empty(v),
                "host" => host_params.extend(v.split(',').map(str::to_string)),
                "port" => {
                    port_param = Some(
                        v.parse::<u16>()
                            .map_err(|_| "the port parameter is not a port number".to_string())?,
                    )
                }
                "connect_timeout" => {
                    uri.connect_timeout =
                        Some(v.parse().map_err(|_| {
                            "connect_timeout is not a number of seconds".to_string()
                        })?)
                }
                "application_name" => uri.application_name = Some(v),
                "passfile" => uri.passfile = non_empty(v),
                other if LIBPQ_OTHER.contains(&other) => {
                    return Err(format!(
                        "ccert does not support the URI parameter {other} (supported: {})",
                        SUPPORTED.join(", ")
                    ));
                }
                _ => {
                    return Err(format!(
                        "a URI parameter is not one of libpq's (supported: {}); a raw & in a \
                         password must be written %26",
                        SUPPORTED.join(", ")
                    ));
                }
            }
        }
        if !host_params.is_empty() {
            uri.hosts = host_params.into_iter().map(|h| (h, port_param)).collect();
        } else if let Some(p) = port_param {
            for h in &mut uri.hosts {
                h.1 = h.1.or(Some(p));
            }
        }
        Ok(uri)
    }

    /// The scheme as written (`postgresql` or `postgres`).
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// The URI for messages, rebuilt from its parts: user (password as
    /// `***`), hosts, database and sslmode; never the rest of the query.
    pub fn redacted(&self) -> String {
        let mut out = format!("{}://", self.scheme);
        if let Some(u) = &self.user {
            out.push_str(&terminal_safe(u));
            if self.password.is_some() {
                out.push_str(":***");
            }
            out.push('@');
        } else if self.password.is_some() {
            out.push_str(":***@");
        }
        let hosts: Vec<String> = self
            .hosts
            .iter()
            .map(|(h, p)| {
                let h = if h.contains(':') {
                    format!("[{h}]")
                } else {
                    h.clone()
                };
                let h = terminal_safe(&h).into_owned();
                match p {
                    Some(p) => format!("{h}:{p}"),
                    None => h,
                }
            })
            .collect();
        out.push_str(&hosts.join(","));
        if let Some(d) = &self.dbname {
            out.push('/');
            out.push_str(&terminal_safe(d));
        }
        if self.sslmode_given {
            out.push_str("?sslmode=");
            out.push_str(self.sslmode.name());
        }
        out
    }
}

/// `raw` (a URI that parsed) with `user`, `password` and `dbname` filled in
/// where it has none, percent-encoded: Postfix hands a URI to libpq as it
/// is and ignores the `.cf`'s user, password and dbname for it, so
/// `db init --user … --password-file …` must put them into the URI.
pub fn with_credentials(
    raw: &str,
    user: Option<&str>,
    password: Option<&str>,
    dbname: Option<&str>,
) -> Result<String, String> {
    let parsed = ConnUri::parse(raw)?;
    let scheme = parsed.scheme;
    let rest = &raw[scheme.len() + 3..];
    let at = userinfo_end(rest);
    let (userinfo, after) = match at {
        Some(i) => (rest[..i].to_string(), &rest[i + 1..]),
        None => (String::new(), rest),
    };
    let (mut u, mut p) = match userinfo.split_once(':') {
        Some((u, p)) => (u.to_string(), Some(p.to_string())),
        None => (userinfo.clone(), None),
    };
    if parsed.user.is_none()
        && let Some(user) = user
    {
        u = encode(user);
    }
    if parsed.password.is_none()
        && let Some(pw) = password
    {
        p = Some(encode(pw));
    }
    let mut out = format!("{scheme}://");
    if !u.is_empty() || p.is_some() {
        out.push_str(&u);
        if let Some(p) = p {
            out.push(':');
            out.push_str(&p);
        }
        out.push('@');
    }
    let (before_query, query) = match after.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (after, None),
    };
    out.push_str(before_query);
    if parsed.dbname.is_none()
        && let Some(d) = dbname
    {
        if !before_query.contains('/') {
            out.push('/');
        }
        out.push_str(&encode(d));
    }
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}

/// `raw` (a URI that parsed) with `passfile=PATH` added: the password
/// then lives in that file, never in the URI, which Postfix writes into the
/// mail log when a connection fails (see [`super::passfile`]).
pub fn with_passfile(raw: &str, path: &Path) -> String {
    let mut out = raw.to_string();
    out.push(if raw.contains('?') { '&' } else { '?' });
    out.push_str("passfile=");
    // Slashes may stay as they are in a query value; the rest is encoded.
    let path = path.to_string_lossy();
    let encoded: Vec<String> = path.split('/').map(encode).collect();
    out.push_str(&encoded.join("/"));
    out
}

/// `raw` (a URI that parsed) with its user replaced by `user` and its
/// password (in the URI or a `passfile=`) by the password file `passfile`
/// (the lookup `.cf` of `db init --lookup-user`).
pub fn with_other_credentials(raw: &str, user: &str, passfile: &Path) -> Result<String, String> {
    let parsed = ConnUri::parse(raw)?;
    let scheme = parsed.scheme;
    let rest = &raw[scheme.len() + 3..];
    let at = userinfo_end(rest);
    let after = at.map_or(rest, |i| &rest[i + 1..]);
    // Parameters naming a user or password would win over the userinfo.
    let (before_query, query) = after.split_once('?').unwrap_or((after, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| {
            !p.is_empty()
                && !p.starts_with("user=")
                && !p.starts_with("password=")
                && !p.starts_with("passfile=")
        })
        .collect();
    let mut out = format!("{scheme}://{}@{before_query}", encode(user));
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    Ok(with_passfile(&out, passfile))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn split_host_port(item: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if let Some(inner) = item.strip_prefix('[') {
        let (h, after) = inner
            .split_once(']')
            .ok_or_else(|| "a host in the URI is missing its `]`".to_string())?;
        (h, after.strip_prefix(':'))
    } else {
        match item.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (item, None),
        }
    };
    let port = match port {
        Some("") | None => None,
        Some(p) => Some(p.parse::<u16>().map_err(|_| {
            "a host in the URI has a port that is not a number (a raw `/`, `@` or `?` in the \
             password? percent-encode it)"
                .to_string()
        })?),
    };
    Ok((host, port))
}

/// Percent-decoding (RFC 3986); `what` names the part for the error.
fn decode(text: &str, what: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-encoding in {what} of the URI"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{what} of the URI is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_libpq_forms() {
        let u = ConnUri::parse("postgresql://uri-user:s%40cret@db1:5433,[::1]/mail?sslmode=verify-full&sslrootcert=/r.pem").unwrap();
        assert_eq!(u.user.as_deref(), Some("uri-user"));
        assert_eq!(u.password.as_deref(), Some("s@cret"));
        assert_eq!(
            u.hosts,
            vec![("db1".into(), Some(5433)), ("::1".into(), None)]
        );
        assert_eq!(u.dbname.as_deref(), Some("mail"));
        assert_eq!(u.sslmode, SslMode::VerifyFull);
        assert_eq!(u.sslrootcert.as_deref(), Some("/r.pem"));
        assert!(!u.redacted().contains("cret"));
        assert_eq!(
            u.redacted(),
            "postgresql://uri-user:***@db1:5433,[::1]/mail?sslmode=verify-full"
        );

        let u = ConnUri::parse("postgresql://%2Frun%2Fpostgresql/mail").unwrap();
        assert_eq!(u.hosts, vec![("/run/postgresql".into(), None)]);
        let u = ConnUri::parse("postgres:///mail?host=/tmp&port=6000&password=x").unwrap();
        assert_eq!(u.hosts, vec![("/tmp".into(), Some(6000))]);
        assert!(!u.redacted().contains("=x"));
        assert!(ConnUri::parse("postgresql://h/d?sslcert=/c").is_err());
        assert!(ConnUri::parse("postgresql://h/d?sslmode=maybe").is_err());
        let u = ConnUri::parse("postgresql://u@h/d?application_name=a@b").unwrap();
        assert_eq!(u.user.as_deref(), Some("u"));
        assert_eq!(u.application_name.as_deref(), Some("a@b"));
    }

    #[test]
    fn errors_never_show_the_password() {
        let secret = "Zq7Wv";
        for raw in [
            format!("postgresql://u:a/{secret}@h/d"),
            format!("postgresql://u:a?{secret}@h/d"),
            format!("postgresql://u:a@{secret}@h/d"),
            format!("postgresql://u:a&{secret}@h/d"),
            format!("postgresql://u:a%{secret}@h/d"),
            format!("postgresql://u:{secret}x@h:{secret}/d"),
            format!("postgresql://u@h/d?{secret}=1"),
            format!("postgresql://u@h/d?password=a&{secret}"),
            format!("postgresql://u@h/d?password=a&{secret}=b"),
            format!("postgresql://u@h/d?sslmode={secret}"),
            format!("postgresql://u@h/d?port={secret}"),
            format!("postgresql://u@h/d?sslcert={secret}"),
            format!("postgresql://u:{secret}"),
        ] {
            let err = ConnUri::parse(&raw).unwrap_err();
            assert!(!err.contains(secret), "{raw}: {err}");
        }
    }

    #[test]
    fn credentials_go_into_the_uri_percent_encoded() {
        let raw = with_credentials(
            "postgresql://db.example.com/mail?sslmode=verify-full",
            Some("postfix"),
            Some("p/w?x,y z@"),
            Some("other"),
        )
        .unwrap();
        assert_eq!(
            raw,
            "postgresql://postfix:p%2Fw%3Fx%2Cy%20z%40@db.example.com/mail?sslmode=verify-full"
        );
        let u = ConnUri::parse(&raw).unwrap();
        assert_eq!(u.password.as_deref(), Some("p/w?x,y z@"));
        assert_eq!(u.dbname.as_deref(), Some("mail"));
        let raw = with_credentials("postgresql://u@h", None, Some("pw"), Some("mail")).unwrap();
        assert_eq!(raw, "postgresql://u:pw@h/mail");
    }
}
