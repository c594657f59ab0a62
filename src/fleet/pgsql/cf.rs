//! The pgsql_table(5) configuration file (`clientcerts.pgsql.cf`), read as
//! Postfix reads it, so ccert and Postfix share one configuration.
//!
//! Syntax (docs/fleet.md#pgsql_table5-files): `name = value`
//! lines as in main.cf, `#` comments, lines starting with white space
//! continue the previous one. `hosts` is a list separated by commas and
//! white space; each item is `postgresql://…` (a libpq URI), `unix:/dir`
//! or `/dir` (a socket directory), or `inet:host[:port]` / `host[:port]`.
//! An empty list means `localhost`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::uri::ConnUri;

/// Errors reading a `.cf` file; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum CfError {
    /// The file cannot be read.
    #[error("{path}: cannot read the pgsql_table(5) file")]
    Read {
        /// The `.cf` file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line or setting is wrong.
    #[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        /// The `.cf` file.
        path: PathBuf,
        /// 1-based line, when one line is at fault.
        line: Option<usize>,
        /// What is wrong and what to do.
        message: String,
    },
}

/// One item of `hosts`.
#[derive(Clone, PartialEq, Eq)]
pub enum HostSpec {
    /// A socket directory (`unix:/run/postgresql`); the port is libpq's default, 5432.
    Unix(PathBuf),
    /// A TCP host with an optional port.
    Inet {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// Port, when given.
        port: Option<u16>,
    },
    /// A connection URI; Postfix then ignores user, password and dbname.
    Uri(ConnUri),
}

impl std::fmt::Debug for HostSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

impl HostSpec {
    /// Parses one `hosts` item as Postfix's pgsql client does. The error
    /// never repeats the item: a password can end up in `hosts` (a URI split
    /// at a space or comma, an indented `password = …` line read as a
    /// continuation), so it says what is wrong and where, not what is there.
    pub fn parse(item: &str) -> Result<Self, String> {
        if is_uri(item) {
            return ConnUri::parse(item).map(Self::Uri);
        }
        if item.contains('=') {
            return Err(
                "it holds `=`: is a `name = value` line indented below `hosts`? A line \
                        that starts with white space continues the line before it \
                        (pgsql_table(5)); remove the indentation"
                    .into(),
            );
        }
        if item.contains(['@', '?', '&', '#']) || item.contains("://") {
            return Err(
                "it is neither a host, an address, a socket directory nor a URI (a \
                        postgresql:// URI with a space or comma in it? hosts is split at both: \
                        percent-encode them as %20 and %2C)"
                    .into(),
            );
        }
        let rest = item
            .strip_prefix("unix:")
            .or_else(|| item.strip_prefix("inet:"))
            .unwrap_or(item);
        if rest.starts_with('/') {
            return Ok(Self::Unix(PathBuf::from(rest)));
        }
        if rest.is_empty() {
            return Err("it names no host".into());
        }
        if rest.contains('/') || rest.chars().any(|c| c.is_control() || !c.is_ascii()) {
            return Err(
                "it is not a host name or address (a `/` belongs only at the start of a \
                        socket directory)"
                    .into(),
            );
        }
        // Postfix splits at the rightmost colon; brackets allow IPv6 with a port.
        let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
            match inner.split_once(']') {
                Some((h, "")) => (h, None),
                Some((h, p)) => match p.strip_prefix(':') {
                    Some(p) => (h, Some(p)),
                    None => return Err("text after `]` must be :PORT".into()),
                },
                None => return Err("a `[` without its `]`".into()),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        let port = match port {
            Some(p) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| "the port is not a number from 1 to 65535".to_string())?,
            ),
            None => None,
        };
        Ok(Self::Inet {
            host: host.to_string(),
            port,
        })
    }

    /// Whether this host is on this machine (a socket directory, a loopback
    /// address or `localhost`): the password does not cross a network.
    pub fn is_local(&self) -> bool {
        fn local(host: &str) -> bool {
            host.starts_with('/')
                || host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        match self {
            Self::Unix(_) => true,
            Self::Inet { host, .. } => local(host),
            Self::Uri(uri) => uri.hosts.iter().all(|(h, _)| h.is_empty() || local(h)),
        }
    }

    /// The item for messages, with any password in a URI replaced by `***`.
    pub fn shown(&self) -> String {
        match self {
            Self::Unix(dir) => format!(
                "unix:{}",
                crate::cert::name::terminal_safe(&dir.display().to_string())
            ),
            Self::Inet { host, port: None } => format!("inet:{host}"),
            Self::Inet {
                host,
                port: Some(p),
            } if host.contains(':') => format!("inet:[{host}]:{p}"),
            Self::Inet {
                host,
                port: Some(p),
            } => format!("inet:{host}:{p}"),
            Self::Uri(uri) => uri.redacted(),
        }
    }
}

/// Whether a `hosts` item is a URI (`scheme://`, as Postfix 3.10 tests;
/// 3.7 to 3.9 take only `postgresql:`).
fn is_uri(item: &str) -> bool {
    let Some((scheme, _)) = item.split_once("://") else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
}

/// A parsed pgsql_table(5) file.
#[derive(Clone)]
pub struct PgsqlCf {
    /// The file.
    pub path: PathBuf,
    /// Every `name = value` setting, last one wins (as in main.cf), with its line.
    pub settings: BTreeMap<String, (String, usize)>,
    /// `hosts`, parsed (`localhost` when empty, as Postfix).
    pub hosts: Vec<HostSpec>,
    /// `user`.
    pub user: Option<String>,
    /// `password` (never printed).
    pub password: Option<String>,
    /// `dbname`.
    pub dbname: Option<String>,
}

impl std::fmt::Debug for PgsqlCf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgsqlCf")
            .field("path", &self.path)
            .field("hosts", &self.hosts)
            .field("user", &self.user)
            .field("dbname", &self.dbname)
            .finish_non_exhaustive()
    }
}

impl PgsqlCf {
    /// Reads and checks `path`.
    pub fn read(path: &Path) -> Result<Self, CfError> {
        let text = crate::fsutil::read_to_string_bounded(path, crate::fsutil::limits::CONFIG_FILE)
            .map_err(|source| CfError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        Self::parse(path, &text)
    }

    /// Parses the text of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, CfError> {
        let invalid = |line: Option<usize>, message: String| CfError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        };
        // Logical lines: a line starting with white space continues the last.
        let mut logical: Vec<(usize, String)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if raw.starts_with([' ', '\t']) {
                match logical.last_mut() {
                    Some((_, l)) => {
                        l.push(' ');
                        l.push_str(trimmed);
                    }
                    None => {
                        return Err(invalid(
                            Some(i + 1),
                            "a continuation line without a setting before it".into(),
                        ));
                    }
                }
            } else {
                logical.push((i + 1, trimmed.to_string()));
            }
        }
        let mut settings = BTreeMap::new();
        for (line, l) in logical {
            let Some((name, value)) = l.split_once('=') else {
                return Err(invalid(
                    Some(line),
                    "expected `name = value` (see pgsql_table(5))".into(),
                ));
            };
            settings.insert(name.trim().to_string(), (value.trim().to_string(), line));
        }
        let get = |n: &str| {
            settings
                .get(n)
                .map(|(v, _)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let mut hosts = Vec::new();
        let host_line = settings.get("hosts").map(|(_, l)| *l);
        let items: Vec<String> = get("hosts")
            .unwrap_or_default()
            .split([',', ' ', '\t'])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let count = items.len();
        for (i, item) in items.iter().enumerate() {
            hosts.push(HostSpec::parse(item).map_err(|m| {
                invalid(
                    host_line,
                    format!("hosts item {} of {count}: {m}; see pgsql_table(5)", i + 1),
                )
            })?);
        }
        if hosts.is_empty() {
            hosts.push(HostSpec::Inet {
                host: "localhost".into(),
                port: None,
            });
        }
        let cf = Self {
            path: path.to_path_buf(),
            hosts,
            user: get("user"),
            password: get("password"),
            dbname: get("dbname"),
            settings,
        };
        if cf.dbname.is_none() && cf.hosts.iter().any(|h| !matches!(h, HostSpec::Uri(_))) {
            return Err(invalid(
                None,
                "no dbname: Postfix needs `dbname = …` (ccert reads a file whose every \
                 hosts item is a URI naming the database without it, but Postfix does not)"
                    .into(),
            ));
        }
        Ok(cf)
    }

    /// One sentence per `hosts` item that reaches a server over the network
    /// without a verified TLS certificate (`sslmode` below `verify-ca`; a
    /// plain host gets libpq's default, `prefer`, in Postfix, whose
    /// environment has no PGSSLMODE): the password (with password or md5
    /// authentication), and every row, go to whichever server answers on
    /// that address.
    pub fn transport_warnings(&self) -> Vec<String> {
        let count = self.hosts.len();
        let mut out = Vec::new();
        for (i, host) in self.hosts.iter().enumerate() {
            if host.is_local() {
                continue;
            }
            let mode = match host {
                HostSpec::Uri(uri) if uri.sslmode.verifies() => continue,
                HostSpec::Uri(uri) => uri.sslmode,
                _ => super::uri::SslMode::Prefer,
            };
            out.push(format!(
                "hosts item {} of {count} ({}) crosses the network with sslmode={}: {}",
                i + 1,
                host.shown(),
                mode.name(),
                match mode {
                    super::uri::SslMode::Disable => {
                        "the password and every row travel unencrypted"
                    }
                    super::uri::SslMode::Prefer => {
                        "the server's certificate is not checked, so the password goes to \
                         whichever server answers on that address (and prefer falls back to \
                         no TLS at all)"
                    }
                    _ => {
                        "the server's certificate is not checked, so the password goes to \
                         whichever server answers on that address"
                    }
                }
            ));
        }
        out
    }

    /// A setting's value, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.settings.get(name).map(|(v, _)| v.as_str())
    }

    /// The line a setting is on.
    pub fn line_of(&self, name: &str) -> Option<usize> {
        self.settings.get(name).map(|(_, l)| *l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> PgsqlCf {
        PgsqlCf::parse(Path::new("/x.cf"), text).unwrap()
    }

    #[test]
    fn reads_every_host_form() {
        let cf = parse(
            "# comment\nhosts = unix:/run/postgresql, inet:db1:5433 db2\n  [::1]:6543 /tmp\n\
             user = postfix\npassword = s3cret\ndbname = mail\n",
        );
        assert_eq!(
            cf.hosts,
            vec![
                HostSpec::Unix("/run/postgresql".into()),
                HostSpec::Inet {
                    host: "db1".into(),
                    port: Some(5433)
                },
                HostSpec::Inet {
                    host: "db2".into(),
                    port: None
                },
                HostSpec::Inet {
                    host: "::1".into(),
                    port: Some(6543)
                },
                HostSpec::Unix("/tmp".into()),
            ]
        );
        assert_eq!(cf.password.as_deref(), Some("s3cret"));
        assert!(!format!("{cf:?}").contains("s3cret"));
    }

    #[test]
    fn uri_hosts_need_no_dbname_and_hide_passwords() {
        let cf = parse("hosts = postgresql://u:pw@db/mail?sslmode=require\n");
        assert!(matches!(&cf.hosts[0], HostSpec::Uri(_)));
        assert!(!cf.hosts[0].shown().contains("pw"));
        assert!(PgsqlCf::parse(Path::new("/x.cf"), "hosts = db\n").is_err());
        assert_eq!(
            parse("dbname = d\n").hosts,
            vec![HostSpec::Inet {
                host: "localhost".into(),
                port: None
            }]
        );
    }

    #[test]
    fn rejects_bad_lines_with_their_number() {
        let err = PgsqlCf::parse(Path::new("/x.cf"), "dbname = d\nhosts = db:x\n").unwrap_err();
        assert!(
            err.to_string().starts_with("/x.cf:2: hosts item 1 of 1:"),
            "{err}"
        );
        let err = PgsqlCf::parse(Path::new("/x.cf"), "dbname d\n").unwrap_err();
        assert!(err.to_string().starts_with("/x.cf:1:"), "{err}");
    }
}
