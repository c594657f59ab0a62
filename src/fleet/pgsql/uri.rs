//! libpq connection URIs (`postgresql://user:pw@host:port,host2/db?sslmode=require`),
//! the modern form of a pgsql_table(5) `hosts` item.
//!
//! Parsed by ccert itself (not handed to the client library) because the
//! library knows neither `verify-ca`/`verify-full` nor `sslrootcert`, and
//! because every message must show the URI without its password.

/// What ccert does with TLS (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, unverified (libpq's default).
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
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "disable" | "allow" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return None,
        })
    }
}

/// A parsed connection URI.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnUri {
    raw: String,
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
    /// `sslrootcert`: PEM file of the certificates to trust.
    pub sslrootcert: Option<String>,
    /// `connect_timeout` in seconds.
    pub connect_timeout: Option<u64>,
    /// `application_name`.
    pub application_name: Option<String>,
}

impl std::fmt::Debug for ConnUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl ConnUri {
    /// Parses `postgresql://…` or `postgres://…`; the error says what is wrong
    /// (without the password).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let shown = redact(raw);
        let rest = raw
            .strip_prefix("postgresql://")
            .or_else(|| raw.strip_prefix("postgres://"))
            .ok_or_else(|| {
                format!("{shown:?}: a URI must start with postgresql:// or postgres://")
            })?;
        let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = before_query.split_once('/').unwrap_or((before_query, ""));
        let (userinfo, hostlist) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let mut uri = Self {
            raw: raw.to_string(),
            hosts: Vec::new(),
            user: None,
            password: None,
            dbname: None,
            sslmode: SslMode::default(),
            sslrootcert: None,
            connect_timeout: None,
            application_name: None,
        };
        if let Some(u) = userinfo {
            let (user, pw) = match u.split_once(':') {
                Some((user, pw)) => (user, Some(pw)),
                None => (u, None),
            };
            uri.user = non_empty(decode(user, &shown)?);
            uri.password = pw.map(|p| decode(p, &shown)).transpose()?;
        }
        let mut ports = Vec::new();
        for item in hostlist.split(',') {
            let (host, port) = split_host_port(item, &shown)?;
            ports.push(port);
            let host = decode(host, &shown)?;
            if !host.is_empty() || port.is_some() {
                uri.hosts.push((host, port));
            }
        }
        uri.dbname = non_empty(decode(path, &shown)?);
        let mut host_params = Vec::new();
        let mut port_param = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| format!("{shown:?}: URI parameter {pair:?} has no `=`"))?;
            let v = decode(v, &shown)?;
            match k {
                "sslmode" => {
                    uri.sslmode = SslMode::parse(&v).ok_or_else(|| {
                        format!(
                            "{shown:?}: sslmode={v} is not one of disable, allow, prefer, \
                             require, verify-ca, verify-full"
                        )
                    })?
                }
                "sslrootcert" => uri.sslrootcert = Some(v),
                "user" => uri.user = non_empty(v),
                "password" => uri.password = Some(v),
                "dbname" => uri.dbname = non_empty(v),
                "host" => host_params.extend(v.split(',').map(str::to_string)),
                "port" => {
                    port_param = Some(
                        v.parse::<u16>()
                            .map_err(|_| format!("{shown:?}: port={v} is not a port number"))?,
                    )
                }
                "connect_timeout" => {
                    uri.connect_timeout = Some(v.parse().map_err(|_| {
                        format!("{shown:?}: connect_timeout={v} is not a number of seconds")
                    })?)
                }
                "application_name" => uri.application_name = Some(v),
                other => {
                    return Err(format!(
                        "{shown:?}: ccert does not support the URI parameter {other:?} \
                         (supported: sslmode, sslrootcert, host, port, user, password, dbname, \
                         connect_timeout, application_name)"
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

    /// The URI with its password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact(&self.raw)
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn split_host_port<'a>(item: &'a str, shown: &str) -> Result<(&'a str, Option<u16>), String> {
    let (host, port) = if let Some(inner) = item.strip_prefix('[') {
        let (h, after) = inner
            .split_once(']')
            .ok_or_else(|| format!("{shown:?}: missing `]` in the host"))?;
        (h, after.strip_prefix(':'))
    } else {
        match item.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (item, None),
        }
    };
    let port = match port {
        Some("") | None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| format!("{shown:?}: {p:?} is not a port number"))?,
        ),
    };
    Ok((host, port))
}

/// Percent-decoding (RFC 3986).
fn decode(text: &str, shown: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("{shown:?}: bad percent-encoding"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{shown:?}: percent-encoding is not UTF-8"))
}

/// `raw` with the password of its user part and any `password=` parameter
/// replaced by `***`.
pub fn redact(raw: &str) -> String {
    let Some(scheme_end) = raw.find("://").map(|i| i + 3) else {
        return raw.to_string();
    };
    let (head, rest) = raw.split_at(scheme_end);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user, hosts)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{hosts}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| {
                    if p.starts_with("password=") {
                        "password=***".to_string()
                    } else {
                        p.to_string()
                    }
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{head}{authority}{tail}")
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
        assert!(!u.redacted().contains("s%40cret"));
        assert!(u.redacted().starts_with("postgresql://uri-user:***@db1"));

        let u = ConnUri::parse("postgresql://%2Frun%2Fpostgresql/mail").unwrap();
        assert_eq!(u.hosts, vec![("/run/postgresql".into(), None)]);
        let u = ConnUri::parse("postgres:///mail?host=/tmp&port=6000&password=x").unwrap();
        assert_eq!(u.hosts, vec![("/tmp".into(), Some(6000))]);
        assert!(!u.redacted().contains("password=x"));
        assert!(ConnUri::parse("postgresql://h/d?sslcert=/c").is_err());
        assert!(ConnUri::parse("postgresql://h/d?sslmode=maybe").is_err());
    }
}
