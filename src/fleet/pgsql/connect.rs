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
use super::uri::SslMode;

/// How long one host may take to answer (Postfix relies on libpq's
/// default, which waits for the operating system's TCP timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
        match open(&target) {
            Ok(client) => return Ok(client),
            Err(why) => failures.push(format!("{}: {why}", target.shown)),
        }
    }
    Err(format!(
        "cannot connect to the database ({})",
        failures.join("; ")
    ))
}

fn default_user() -> String {
    std::env::var("PGUSER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "postgres".to_string())
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
                cf.password.clone(),
                cf.dbname.clone(),
                spec.shown(),
            )),
            HostSpec::Inet { host, port } => {
                let mut config = base_config(
                    cf.user.clone(),
                    cf.password.clone(),
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
                        out.push(unix_target(
                            Path::new(&host),
                            port.unwrap_or_else(env_port),
                            uri.user.clone(),
                            uri.password.clone(),
                            uri.dbname.clone(),
                            shown,
                        ));
                        continue;
                    }
                    let mut config = base_config(
                        uri.user.clone(),
                        uri.password.clone(),
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

fn env_sslmode() -> Result<SslMode, String> {
    match std::env::var("PGSSLMODE") {
        Ok(v) => match super::uri::ConnUri::parse(&format!("postgresql:///?sslmode={v}")) {
            Ok(u) => Ok(u.sslmode),
            Err(_) => Err(format!("PGSSLMODE={v} is not a libpq sslmode")),
        },
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

fn open(target: &Target) -> Result<Client, String> {
    let mut config = target.config.clone();
    let result = match target.sslmode {
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
            let tls = tls_config(mode, target.rootcert.as_deref())?;
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
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            "; grant the .cf file's user that privilege (db init needs CREATE on schema \
             public, which PostgreSQL 15 gives only to the database owner)"
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
