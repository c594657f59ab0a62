//! Postfix 3.7 built-in defaults of the parameters ccert reads.
//!
//! Source: `postconf -d NAME` of Debian 12's Postfix 3.7.11 (package
//! postfix 3.7.11-0+deb12u1), run on 2026-11-23, and postconf(5) of the same
//! package for the meaning. `default_database_type` is Debian's build
//! setting (`hash`). The values are the unexpanded default texts, so
//! expressions such as the compatibility-level switches are evaluated against
//! the configuration at hand, as Postfix does.
//!
//! `myhostname`, `mydomain` and `config_directory` depend on the machine or
//! the configuration directory and are computed in [`computed`].

/// `(name, default text)`, from `postconf -d` (Postfix 3.7.11, Debian 12).
pub const DEFAULTS: &[(&str, &str)] = &[
    ("compatibility_level", "0"),
    (
        "smtpd_tls_fingerprint_digest",
        "${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}",
    ),
    (
        "tlsproxy_tls_fingerprint_digest",
        "$smtpd_tls_fingerprint_digest",
    ),
    ("tlsproxy_tls_security_level", "$smtpd_tls_security_level"),
    ("tlsproxy_tls_ask_ccert", "$smtpd_tls_ask_ccert"),
    ("tlsproxy_tls_loglevel", "$smtpd_tls_loglevel"),
    // Session tickets: on while the cipher is set and the cache timeout
    // is above zero (tls_server.c); the same from 3.0 through 3.12.
    ("tls_session_ticket_cipher", "aes-256-cbc"),
    ("smtpd_tls_session_cache_timeout", "3600s"),
    ("tls_ssl_options", ""),
    ("relay_clientcerts", ""),
    ("default_database_type", "hash"),
    ("smtpd_tls_ask_ccert", "no"),
    ("smtpd_tls_req_ccert", "no"),
    ("smtpd_tls_security_level", ""),
    ("smtpd_use_tls", "no"),
    ("smtpd_enforce_tls", "no"),
    ("smtpd_tls_auth_only", "no"),
    ("smtpd_tls_wrappermode", "no"),
    ("smtpd_sasl_auth_enable", "no"),
    (
        "smtpd_relay_restrictions",
        "${{$compatibility_level} <level {1} ? {} : {permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination}}",
    ),
    ("smtpd_recipient_restrictions", ""),
    ("smtpd_client_restrictions", ""),
    ("smtpd_helo_restrictions", ""),
    ("smtpd_sender_restrictions", ""),
    ("smtpd_data_restrictions", ""),
    ("smtpd_end_of_data_restrictions", ""),
    ("smtpd_etrn_restrictions", ""),
    ("smtpd_tls_cert_file", ""),
    ("smtpd_tls_key_file", "$smtpd_tls_cert_file"),
    ("smtpd_tls_eccert_file", ""),
    ("smtpd_tls_eckey_file", "$smtpd_tls_eccert_file"),
    ("smtpd_tls_dcert_file", ""),
    ("smtpd_tls_dkey_file", "$smtpd_tls_dcert_file"),
    ("smtpd_tls_chain_files", ""),
    ("smtpd_tls_CAfile", ""),
    ("smtpd_tls_loglevel", "0"),
    ("postscreen_tls_security_level", "$smtpd_tls_security_level"),
    ("myorigin", "$myhostname"),
    (
        "mydestination",
        "$myhostname, localhost.$mydomain, localhost",
    ),
    (
        "relay_domains",
        "${{$compatibility_level} <level {2} ? {$mydestination} : {}}",
    ),
    (
        "mynetworks_style",
        "${{$compatibility_level} <level {2} ? {subnet} : {host}}",
    ),
    (
        "smtputf8_enable",
        "${{$compatibility_level} <level {1} ? {no} : {yes}}",
    ),
    ("queue_directory", "/var/spool/postfix"),
    ("daemon_directory", "/usr/lib/postfix/sbin"),
    ("command_directory", "/usr/sbin"),
    ("data_directory", "/var/lib/postfix"),
    ("mail_version", "3.7.11"),
    ("mail_name", "Postfix"),
    ("multi_instance_name", ""),
];

/// The machine's host name (`gethostname`), as Postfix's `get_hostname`.
fn host_name() -> String {
    crate::sys::hostname().unwrap_or_else(|| "localhost".to_string())
}

/// Defaults that depend on the machine or on other settings, as
/// mail_params.c computes them (checked with `postconf -c DIR -xh`):
///
/// * `myhostname`: the host name; without a dot, `.` + main.cf's `mydomain`
///   (or `localdomain`) is appended.
/// * `mydomain`: `$myhostname` without its first label, `localdomain` when it
///   has no dot.
/// * `config_directory`: the directory read (postconf -c sets it so).
///
/// `main_value` gives main.cf's raw value of a name; `expand` expands text.
pub fn computed(
    name: &str,
    config_dir: &std::path::Path,
    main_value: &dyn Fn(&str) -> Option<String>,
    expand: &dyn Fn(&str) -> String,
) -> Option<String> {
    match name {
        "myhostname" => {
            let host = host_name();
            if host.contains('.') {
                Some(host)
            } else {
                let domain = main_value("mydomain")
                    .map(|d| expand(&d))
                    .unwrap_or_else(|| "localdomain".to_string());
                Some(format!("{host}.{domain}"))
            }
        }
        "mydomain" => {
            let host = expand("$myhostname");
            Some(match host.split_once('.') {
                Some((_, rest)) if !rest.is_empty() => rest.to_string(),
                _ => "localdomain".to_string(),
            })
        }
        "config_directory" => Some(config_dir.display().to_string()),
        _ => None,
    }
}
