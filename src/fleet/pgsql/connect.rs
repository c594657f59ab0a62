//! Connecting to PostgreSQL as the `.cf` file says, trying its hosts in
//! order (Postfix picks them at random; any one serves the same data).
//!
//! TLS uses rustls with the ring provider (already in the tree through
//! rcgen), so the binary links no OpenSSL and stays portable across
//! distributions. libpq's `sslmode` semantics are kept: `prefer` and
//! `require` encrypt without verifying, `verify-ca` checks the chain,
//! `verify-full` also the host name, against `sslrootcert` (default
//! `~/.postgresql/root.crt`, as libpq).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use postgres::Client;
use postgres::config::SslMode as PgSslMode;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::cf::{HostSpec, PgsqlCf};
use super::uri::{ConnUri, SslMode};

/// How long one host may take to accept the connection and to finish the
/// startup (TLS, authentication, the first ReadyForQuery). Postfix relies
/// on libpq's default, which waits for the operating system's TCP timeout
/// for the connect and forever for a server that accepts and never
/// answers; ccert's whole attempt per host has this deadline.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an edit waits for the `ccert_state` row another session holds
/// (an edit from another host, or a psql session left in a transaction)
/// before it gives up with nothing changed. `PGOPTIONS='-c lock_timeout=…'`
/// sets another.
pub const LOCK_TIMEOUT: &str = "30s";

/// The longest any one ccert statement may run on the server (import's
/// statements over a million rows take tens of seconds; a hung statement
/// must not hold a sync timer forever). `PGOPTIONS` can set another.
pub const STATEMENT_TIMEOUT: &str = "5min";

/// TCP keepalives: a server that vanishes mid-statement (a partition, a
/// dead host) is noticed after about idle + interval × retries = 30 s.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(15);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(5);
const KEEPALIVE_RETRIES: u32 = 3;

/// One place to try, fully resolved.
struct Target {
    shown: String,
    config: postgres::Config,
    sslmode: SslMode,
    rootcert: Option<String>,
}

/// Connects to the first host of `cf` that answers. The error is one line
/// naming the host(s) and what to do, never the password.
pub fn connect(cf: &PgsqlCf) -> Result<Client, String> {
    let mut failures = Vec::new();
    for target in targets(cf)? {
        match open_with_deadline(&target) {
            Ok(mut client) => {
                session_settings(&mut client).map_err(|e| {
                    format!(
                        "{}: setting the session's timeouts: {}",
                        target.shown,
                        explain(&e)
                    )
                })?;
                return Ok(client);
            }
            Err(why) => failures.push(format!("{}: {why}", target.shown)),
        }
    }
    Err(format!(
        "cannot connect to the database ({})",
        failures.join("; ")
    ))
}

/// Runs [`open`] with the deadline [`CONNECT_TIMEOUT`] (or the URI's
/// `connect_timeout`) for the whole startup. The client library bounds
/// only the TCP connect, so the attempt runs on a thread that is left
/// behind (blocked on its socket) when the deadline passes; the process
/// ends soon after, which closes it.
fn open_with_deadline(target: &Target) -> Result<Client, String> {
    let deadline = target
        .config
        .get_connect_timeout()
        .copied()
        .unwrap_or(CONNECT_TIMEOUT);
    let (tx, rx) = std::sync::mpsc::channel();
    let config = target.config.clone();
    let sslmode = target.sslmode;
    let rootcert = target.rootcert.clone();
    std::thread::Builder::new()
        .name("pg-connect".into())
        .spawn(move || {
            let _ = tx.send(open(config, sslmode, rootcert.as_deref()));
        })
        .map_err(|e| format!("cannot start the connection: {e}"))?;
    match rx.recv_timeout(deadline) {
        Ok(result) => result,
        Err(_) => Err(format!(
            "no answer within {} s (the server accepted the connection but did not finish \
             the startup and authentication); is it a PostgreSQL server, and is it overloaded?",
            deadline.as_secs()
        )),
    }
}

/// `lock_timeout` and `statement_timeout` for every ccert statement, unless
/// `PGOPTIONS` sets them (libpq's convention, kept so an admin can lengthen
/// them for one big import).
fn session_settings(client: &mut Client) -> Result<(), postgres::Error> {
    let options = std::env::var("PGOPTIONS").unwrap_or_default();
    let mut sql = String::new();
    for (name, value) in [
        ("lock_timeout", LOCK_TIMEOUT),
        ("statement_timeout", STATEMENT_TIMEOUT),
    ] {
        if !options.contains(name) {
            sql.push_str(&format!("SET {name} = '{value}';"));
        }
    }
    if sql.is_empty() {
        return Ok(());
    }
    client.batch_execute(&sql)
}

fn default_user() -> String {
    std::env::var("PGUSER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "postgres".to_string())
}

/// `PGPASSWORD`, as libpq takes it when the `.cf` (or URI) has no password.
fn env_password() -> Option<String> {
    std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty())
}

fn env_port() -> u16 {
    std::env::var("PGPORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432)
}

fn targets(cf: &PgsqlCf) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    for spec in &cf.hosts {
        match spec {
            HostSpec::Unix(dir) => out.push(unix_target(
                dir,
                env_port(),
                cf.user.clone(),
                cf.password.clone().or_else(env_password),
                cf.dbname.clone(),
                spec.shown(),
            )),
            HostSpec::Inet { host, port } => {
                let mut config = base_config(
                    cf.user.clone(),
                    cf.password.clone().or_else(env_password),
                    cf.dbname.clone(),
                    None,
                );
                config.host(host).port(port.unwrap_or_else(env_port));
                out.push(Target {
                    shown: spec.shown(),
                    config,
                    sslmode: env_sslmode()?,
                    rootcert: std::env::var("PGSSLROOTCERT").ok(),
                });
            }
            HostSpec::Uri(uri) => {
                let hosts = if uri.hosts.is_empty() {
                    vec![("/var/run/postgresql".to_string(), None)]
                } else {
                    uri.hosts.clone()
                };
                for (host, port) in hosts {
                    let shown = spec.shown();
                    if host.starts_with('/') {
                        let port = port.unwrap_or_else(env_port);
                        let password = match uri.password.clone().or_else(env_password) {
                            Some(pw) => Some(pw),
                            None => from_passfile(uri, "localhost", port)?,
                        };
                        out.push(unix_target(
                            Path::new(&host),
                            port,
                            uri.user.clone(),
                            password,
                            uri.dbname.clone(),
                            shown,
                        ));
                        continue;
                    }
                    let password = match uri.password.clone().or_else(env_password) {
                        Some(pw) => Some(pw),
                        None => from_passfile(uri, &host, port.unwrap_or_else(env_port))?,
                    };
                    let mut config = base_config(
                        uri.user.clone(),
                        password,
                        uri.dbname.clone(),
                        uri.connect_timeout,
                    );
                    config.host(&host).port(port.unwrap_or_else(env_port));
                    if let Some(name) = &uri.application_name {
                        config.application_name(name);
                    }
                    out.push(Target {
                        shown,
                        config,
                        sslmode: uri.sslmode,
                        rootcert: uri.sslrootcert.clone(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The password for `host`:`port` from the URI's `passfile=`, as libpq
/// looks it up there (PGPASSWORD and a password in the URI come first).
/// A socket directory is looked up as `localhost`, libpq's name for the
/// default one.
fn from_passfile(uri: &ConnUri, host: &str, port: u16) -> Result<Option<String>, String> {
    let Some(file) = &uri.passfile else {
        return Ok(None);
    };
    let user = uri.user.clone().unwrap_or_else(default_user);
    let database = uri.dbname.clone().unwrap_or_else(|| user.clone());
    super::passfile::lookup(Path::new(file), host, port, &database, &user)
}

fn env_sslmode() -> Result<SslMode, String> {
    match std::env::var("PGSSLMODE") {
        Ok(v) => SslMode::parse(&v).ok_or_else(|| {
            "PGSSLMODE is not one of disable, allow, prefer, require, verify-ca, verify-full"
                .to_string()
        }),
        Err(_) => Ok(SslMode::Prefer),
    }
}

fn base_config(
    user: Option<String>,
    password: Option<String>,
    dbname: Option<String>,
    timeout: Option<u64>,
) -> postgres::Config {
    let mut config = postgres::Config::new();
    let user = user.unwrap_or_else(default_user);
    config.user(&user);
    config.dbname(dbname.as_deref().unwrap_or(&user));
    if let Some(pw) = password {
        config.password(pw);
    }
    config.connect_timeout(timeout.map_or(CONNECT_TIMEOUT, Duration::from_secs));
    config
        .keepalives(true)
        .keepalives_idle(KEEPALIVE_IDLE)
        .keepalives_interval(KEEPALIVE_INTERVAL)
        .keepalives_retries(KEEPALIVE_RETRIES);
    if let Ok(options) = std::env::var("PGOPTIONS")
        && !options.is_empty()
    {
        config.options(&options);
    }
    config.application_name("ccert");
    config
}

fn unix_target(
    dir: &Path,
    port: u16,
    user: Option<String>,
    password: Option<String>,
    dbname: Option<String>,
    shown: String,
) -> Target {
    let mut config = base_config(user, password, dbname, None);
    config.host_path(dir).port(port);
    Target {
        shown,
        config,
        sslmode: SslMode::Disable,
        rootcert: None,
    }
}

fn open(
    mut config: postgres::Config,
    sslmode: SslMode,
    rootcert: Option<&str>,
) -> Result<Client, String> {
    let result = match sslmode {
        SslMode::Disable => {
            config.ssl_mode(PgSslMode::Disable);
            config.connect(postgres::NoTls)
        }
        mode => {
            config.ssl_mode(if mode == SslMode::Prefer {
                PgSslMode::Prefer
            } else {
                PgSslMode::Require
            });
            let tls = tls_config(mode, rootcert)?;
            config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        }
    };
    result.map_err(|e| explain(&e))
}

/// Turns a client error into what happened and what to do.
pub fn explain(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        use postgres::error::SqlState;
        let code = db.code();
        let hint = if *code == SqlState::INVALID_PASSWORD {
            "; check user and password in the .cf file"
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            "; check dbname in the .cf file, or create the database (createdb)"
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            "; allow this user in pg_hba.conf or fix user in the .cf file"
        } else if *code == SqlState::UNDEFINED_TABLE {
            "; create the schema with `ccert db init`"
        } else if *code == SqlState::LOCK_NOT_AVAILABLE {
            return format!(
                "another session held the list (the ccert_state row) for longer than \
                 lock_timeout ({LOCK_TIMEOUT} unless PGOPTIONS sets it): another ccert edit, or \
                 a psql session left inside a transaction; nothing changed. Try again, or find \
                 it with: SELECT pid, usename, client_addr, state, xact_start FROM \
                 pg_stat_activity WHERE state LIKE 'idle in transaction%'"
            );
        } else if *code == SqlState::QUERY_CANCELED {
            return format!(
                "{}; the statement ran longer than statement_timeout (ccert sets \
                 {STATEMENT_TIMEOUT} unless PGOPTIONS='-c statement_timeout=…' sets another), \
                 or was cancelled",
                db.message()
            );
        } else if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
            return format!(
                "{}: the database is read-only (a hot standby in recovery, or                  default_transaction_read_only); nothing changed. Edit on the primary, through a                  .cf whose hosts name it (reads, sync and Postfix's lookups work on a standby)",
                db.message()
            );
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            "; grant the .cf file's user that privilege (db init needs CREATE on schema \
             public, which PostgreSQL 15 gives only to the database owner), or, when this is \
             Postfix's read-only lookup .cf, edit with --map pgsql:<the .cf db init wrote \
             first>"
        } else {
            ""
        };
        return format!("{}{hint}", db.message());
    }
    // Walk to the innermost cause: the operating system's or TLS's own words.
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let mut last = None;
    while let Some(s) = source {
        last = Some(s.to_string());
        source = s.source();
    }
    let mut why = last.unwrap_or_else(|| e.to_string());
    // The OS error number helps no administrator (and the message goes on after it).
    if let Some(start) = why.find(" (os error ")
        && let Some(len) = why[start..].find(')')
    {
        why.replace_range(start..start + len + 1, "");
    }
    if why.contains("Connection refused") || why.contains("No such file") {
        format!("{why}; is the PostgreSQL server running and listening there?")
    } else {
        why
    }
}

fn tls_config(mode: SslMode, rootcert: Option<&str>) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let config = match mode {
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = load_roots(rootcert)?;
            let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| format!("TLS setup: {e}"))?;
            if mode == SslMode::VerifyFull {
                builder.with_webpki_verifier(webpki).with_no_client_auth()
            } else {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
                    .with_no_client_auth()
            }
        }
        _ => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(crate::tls::AnyServerCertificate::new(
                provider,
            )))
            .with_no_client_auth(),
    };
    Ok(config)
}

fn load_roots(rootcert: Option<&str>) -> Result<rustls::RootCertStore, String> {
    let path = match rootcert {
        Some(p) => PathBuf::from(p),
        None => {
            let home = std::env::var_os("HOME").unwrap_or_default();
            Path::new(&home).join(".postgresql/root.crt")
        }
    };
    let bytes =
        crate::fsutil::read_bounded(&path, crate::fsutil::limits::CA_BUNDLE).map_err(|e| {
            format!(
                "sslmode verify-ca/verify-full needs the CA certificate: cannot read {} ({}); \
             name it with sslrootcert= in the URI",
                path.display(),
                crate::report::describe_io(&e)
            )
        })?;
    let certs = crate::cert::parse_certificates(&bytes, &path, &crate::cert::NoPassword)
        .map_err(|e| format!("sslrootcert: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in certs {
        roots
            .add(CertificateDer::from(c.der))
            .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "sslrootcert {}: no certificate in it",
            path.display()
        ));
    }
    Ok(roots)
}

/// libpq's `verify-ca`: the chain must lead to a trusted root; the host name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
