//! `ccert server-config`: its whole output, byte for byte, for configurations
//! that take each of its branches (no main.cf; settings already there; an
//! existing submission service with SASL, a refusing recipient list and other
//! arguments; old digest default; raw public keys; the Berkeley DB migration).
//! Built-in defaults of a named release (`--postfix-version`), so the output
//! does not depend on the Postfix installed.

use crate::test::Test;

/// The output of `server-config` for `main.cf`/`master.cf` (either may be
/// absent) under the built-in defaults of `release`, with the configuration
/// directory written as `$CONF`.
fn render(release: &str, main: Option<&str>, master: Option<&str>) -> String {
    let mut test = Test::new();
    if let Some(main) = main {
        test = test.file("postfix-config/main.cf", main);
    }
    if let Some(master) = master {
        test = test.file("postfix-config/master.cf", master);
    }
    let out = test
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", release, "server-config"])
        .run();
    let conf = out.path("postfix-config");
    let conf = std::fs::canonicalize(&conf).unwrap_or(conf);
    let text = out.stdout.replace(&conf.display().to_string(), "$CONF");
    // The suggested certificate file is named after myhostname, whose
    // default is this machine's name.
    text.lines()
        .map(
            |line| match line.strip_prefix("smtpd_tls_chain_files = $CONF/") {
                Some(_) => "smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem\n".to_string(),
                None => format!("{line}\n"),
            },
        )
        .collect()
}

#[test]
fn server_config_without_main_cf() {
    assert_eq!(
        render("3.7", None, None),
        "# Client-certificate relaying for the Postfix configuration in $CONF (no main.cf there: Postfix defaults assumed).
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (hash = default_database_type); build it with `ccert add` or `ccert compile hash:$CONF/clientcerts`
relay_clientcerts = hash:$CONF/clientcerts
# Postfix's default here is md5 (compatibility_level below 3.6); entries made with another digest never match: ccert rehash --digest sha256 converts them
smtpd_tls_fingerprint_digest = sha256
# ask clients for a certificate (the submission service below asks anyway)
smtpd_tls_ask_ccert = yes
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject

# Public-key entries (ccert add --pubkey, ccert rehash --pubkey) match as long as the
# client keeps its key: a renewed certificate with the same key needs no new entry.
# A client that sends a raw public key (RFC 7250) has no certificate fingerprint at
# all: only public-key entries match it.

# Then: ccert add WORKSTATION.pem --name WORKSTATION; postfix reload; ccert doctor
"
    );
}

#[test]
fn server_config_with_settings_and_a_submission_service() {
    let main = "\
compatibility_level = 2
relay_clientcerts = lmdb:$config_directory/hosts
smtpd_tls_fingerprint_digest = md5
smtpd_tls_ask_ccert = yes
smtpd_tls_cert_file = /etc/ssl/mx.pem
smtpd_recipient_restrictions = reject_unauth_destination
";
    let master = "\
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       n       -       20      smtpd
  -v
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level=may
  -o syslog_name=postfix/sub
  -o { smtpd_client_restrictions = permit_sasl_authenticated, reject }
";
    assert_eq!(
        render("3.7", Some(main), Some(master)),
        "# Client-certificate relaying for the Postfix configuration in $CONF.
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
relay_clientcerts = lmdb:$config_directory/hosts\t# already set (main.cf line 2)
smtpd_tls_fingerprint_digest = md5\t# already set (main.cf line 3)
# ask clients for a certificate (the submission service below asks anyway)
smtpd_tls_ask_ccert = yes\t# already set (main.cf line 4)

# ---- master.cf ----
# master.cf line 2 already defines submission/inet; make it read:
submission inet n - n - 20 smtpd
  -o syslog_name=postfix/sub
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level=encrypt
  -o {smtpd_client_restrictions=permit_sasl_authenticated, reject}
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,permit_tls_clientcerts,reject
  -o smtpd_recipient_restrictions=permit_tls_clientcerts,reject_unauth_destination
# (keep the other arguments of line 2: -v)

# Public-key entries (ccert add --pubkey, ccert rehash --pubkey) match as long as the
# client keeps its key: a renewed certificate with the same key needs no new entry.
# A client that sends a raw public key (RFC 7250) has no certificate fingerprint at
# all: only public-key entries match it.

# Then: ccert add WORKSTATION.pem --name WORKSTATION; postfix reload; ccert doctor
"
    );
}

#[test]
fn server_config_with_an_old_default_digest() {
    let main = "compatibility_level = 2\nmyhostname = mx.example\n";
    assert_eq!(
        render("3.7", Some(main), Some("")),
        "# Client-certificate relaying for the Postfix configuration in $CONF.
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (hash = default_database_type); build it with `ccert add` or `ccert compile hash:$CONF/clientcerts`
relay_clientcerts = hash:$CONF/clientcerts
# Postfix's default here is md5 (compatibility_level below 3.6); entries made with another digest never match: ccert rehash --digest sha256 converts them
smtpd_tls_fingerprint_digest = sha256
# ask clients for a certificate (the submission service below asks anyway)
smtpd_tls_ask_ccert = yes
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject

# Public-key entries (ccert add --pubkey, ccert rehash --pubkey) match as long as the
# client keeps its key: a renewed certificate with the same key needs no new entry.
# A client that sends a raw public key (RFC 7250) has no certificate fingerprint at
# all: only public-key entries match it.

# Then: ccert add WORKSTATION.pem --name WORKSTATION; postfix reload; ccert doctor
"
    );
}

#[test]
fn server_config_with_raw_public_keys_on() {
    let main = "compatibility_level = 3.6\nsmtpd_tls_enable_rpk = yes\n";
    assert_eq!(
        render("3.9", Some(main), Some("")),
        "# Client-certificate relaying for the Postfix configuration in $CONF.
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (hash = default_database_type); build it with `ccert add` or `ccert compile hash:$CONF/clientcerts`
relay_clientcerts = hash:$CONF/clientcerts
# sha256 is already Postfix's default at this compatibility_level; setting it keeps it when the level changes
smtpd_tls_fingerprint_digest = sha256
# ask clients for a certificate (the submission service below asks anyway)
smtpd_tls_ask_ccert = yes
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject

# Public-key entries (ccert add --pubkey, ccert rehash --pubkey) match as long as the
# client keeps its key: a renewed certificate with the same key needs no new entry.
# A client that sends a raw public key (RFC 7250) has no certificate fingerprint at
# all: only public-key entries match it.
# smtpd_tls_enable_rpk = yes here: ccert add and issue --add write public-key entries by default.

# Then: ccert add WORKSTATION.pem --name WORKSTATION; postfix reload; ccert doctor
"
    );
}

#[test]
fn server_config_where_raw_public_keys_are_possible() {
    let main = "compatibility_level = 3.6\n";
    assert_eq!(
        render("3.9", Some(main), Some("")),
        "# Client-certificate relaying for the Postfix configuration in $CONF.
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (hash = default_database_type); build it with `ccert add` or `ccert compile hash:$CONF/clientcerts`
relay_clientcerts = hash:$CONF/clientcerts
# sha256 is already Postfix's default at this compatibility_level; setting it keeps it when the level changes
smtpd_tls_fingerprint_digest = sha256
# ask clients for a certificate (the submission service below asks anyway)
smtpd_tls_ask_ccert = yes
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject

# Public-key entries (ccert add --pubkey, ccert rehash --pubkey) match as long as the
# client keeps its key: a renewed certificate with the same key needs no new entry.
# A client that sends a raw public key (RFC 7250) has no certificate fingerprint at
# all: only public-key entries match it.
# Postfix 3.9 looks up the public-key fingerprint first and can accept raw public keys
# (smtpd_tls_enable_rpk = yes, OpenSSL 3.2+); with that on, use only --pubkey entries.

# Then: ccert add WORKSTATION.pem --name WORKSTATION; postfix reload; ccert doctor
"
    );
}

#[test]
fn server_config_during_the_berkeley_db_migration() {
    let main = "compatibility_level = 3.11\n";
    assert_eq!(
        render("3.11", Some(main), Some("")),
        "# Client-certificate relaying for the Postfix configuration in $CONF.
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (cdb = default_database_type); build it with `ccert add` or `ccert compile cdb:$CONF/clientcerts`
relay_clientcerts = cdb:$CONF/clientcerts
# sha256 is already Postfix's default at this compatibility_level; setting it keeps it when the level changes
smtpd_tls_fingerprint_digest = sha256
# ask clients for a certificate (the submission service below asks anyway)
smtpd_tls_ask_ccert = yes
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject

# Public-key entries (ccert add --pubkey, ccert rehash --pubkey) match as long as the
# client keeps its key: a renewed certificate with the same key needs no new entry.
# A client that sends a raw public key (RFC 7250) has no certificate fingerprint at
# all: only public-key entries match it.
# Postfix 3.11 looks up the public-key fingerprint first and can accept raw public keys
# (smtpd_tls_enable_rpk = yes, OpenSSL 3.2+); with that on, use only --pubkey entries.

# Then: ccert add WORKSTATION.pem --name WORKSTATION; postfix reload; ccert doctor
"
    );
}

#[test]
fn server_config_with_hash_while_berkeley_db_is_deprecated() {
    let main = "compatibility_level = 3.11\ndefault_database_type = hash\n";
    assert_eq!(
        render("3.11", Some(main), Some("")),
        "# Client-certificate relaying for the Postfix configuration in $CONF.
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (lmdb = default_database_type); build it with `ccert add` or `ccert compile lmdb:$CONF/clientcerts`
relay_clientcerts = lmdb:$CONF/clientcerts
# sha256 is already Postfix's default at this compatibility_level; setting it keeps it when the level changes
smtpd_tls_fingerprint_digest = sha256
# ask clients for a certificate (the submission service below asks anyway)
smtpd_tls_ask_ccert = yes
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject

# Public-key entries (ccert add --pubkey, ccert rehash --pubkey) match as long as the
# client keeps its key: a renewed certificate with the same key needs no new entry.
# A client that sends a raw public key (RFC 7250) has no certificate fingerprint at
# all: only public-key entries match it.
# Postfix 3.11 looks up the public-key fingerprint first and can accept raw public keys
# (smtpd_tls_enable_rpk = yes, OpenSSL 3.2+); with that on, use only --pubkey entries.

# Then: ccert add WORKSTATION.pem --name WORKSTATION; postfix reload; ccert doctor
"
    );
}
