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
    // The suggested certificate file (and its CN) is named after
    // myhostname, whose default is this machine's name.
    match text
        .lines()
        .find_map(|line| line.strip_prefix("smtpd_tls_chain_files = $CONF/"))
        .and_then(|file| file.strip_suffix(".pem"))
    {
        Some(host) => text.replace(host, "MYHOSTNAME"),
        None => text,
    }
}

#[test]
fn server_config_without_main_cf() {
    assert_eq!(
        render("3.7", None, None),
        "# Client-certificate relaying for the Postfix configuration in $CONF (no main.cf there: Postfix defaults assumed).
# For Postfix 3.7 (debian build), ccert's built-in defaults (--postfix-version).
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (hash: default_database_type); `ccert add` builds it, or `ccert compile hash:$CONF/clientcerts`
relay_clientcerts = hash:$CONF/clientcerts
# Postfix's default here is md5 (compatibility_level below 3.6); entries made with another digest never match: ccert rehash --digest sha256 converts them
smtpd_tls_fingerprint_digest = sha256
# log the fingerprints clients present, which `ccert log` lists (the level-1 summary plus one line per certificate)
smtpd_tls_loglevel = 1, peercert
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
# (mode 0600): from your CA (certbot: cat privkey.pem fullchain.pem > $CONF/MYHOSTNAME.pem), or self-signed for a test:
#   (umask 077 && openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 365 -subj /CN=MYHOSTNAME -keyout /dev/stdout -out /dev/stdout 2>/dev/null > $CONF/MYHOSTNAME.pem)
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=check_ccert_access,hash:$CONF/revoked_clientcerts,permit_tls_clientcerts,reject

# The check_ccert_access table before permit_tls_clientcerts is the deny table `ccert revoke`
# writes (FINGERPRINT REJECT …): a revoked certificate stays refused where a stale copy of the
# list still names it. smtpd answers 451 when it cannot open it, so create it first:
#   touch $CONF/revoked_clientcerts && ccert compile hash:$CONF/revoked_clientcerts

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
# For Postfix 3.7 (debian build), ccert's built-in defaults (--postfix-version).
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
relay_clientcerts = lmdb:$config_directory/hosts\t# already set (main.cf line 2)
smtpd_tls_fingerprint_digest = md5\t# already set (main.cf line 3)
# main.cf line 4 has smtpd_tls_ask_ccert = yes: every smtpd service asks, also the public
# port-25 one (every sending MTA); the submission service below asks on its own, so remove it
# log the fingerprints clients present, which `ccert log` lists (the level-1 summary plus one line per certificate)
smtpd_tls_loglevel = 1, peercert

# ---- master.cf ----
# master.cf line 2 already defines submission/inet; make it read:
submission inet n - n - 20 smtpd
  -o syslog_name=postfix/sub
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level=encrypt
  -o {smtpd_client_restrictions=permit_sasl_authenticated, reject}
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,check_ccert_access,lmdb:$CONF/revoked_clientcerts,permit_tls_clientcerts,reject
  -o smtpd_recipient_restrictions=permit_tls_clientcerts,reject_unauth_destination
# (keep the other arguments of line 2: -v)

# The check_ccert_access table before permit_tls_clientcerts is the deny table `ccert revoke`
# writes (FINGERPRINT REJECT …): a revoked certificate stays refused where a stale copy of the
# list still names it. smtpd answers 451 when it cannot open it, so create it first:
#   touch $CONF/revoked_clientcerts && ccert compile lmdb:$CONF/revoked_clientcerts

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
# For Postfix 3.7 (debian build), ccert's built-in defaults (--postfix-version).
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (hash: default_database_type); `ccert add` builds it, or `ccert compile hash:$CONF/clientcerts`
relay_clientcerts = hash:$CONF/clientcerts
# Postfix's default here is md5 (compatibility_level below 3.6); entries made with another digest never match: ccert rehash --digest sha256 converts them
smtpd_tls_fingerprint_digest = sha256
# log the fingerprints clients present, which `ccert log` lists (the level-1 summary plus one line per certificate)
smtpd_tls_loglevel = 1, peercert
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
# (mode 0600): from your CA (certbot: cat privkey.pem fullchain.pem > $CONF/MYHOSTNAME.pem), or self-signed for a test:
#   (umask 077 && openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 365 -subj /CN=MYHOSTNAME -keyout /dev/stdout -out /dev/stdout 2>/dev/null > $CONF/MYHOSTNAME.pem)
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=check_ccert_access,hash:$CONF/revoked_clientcerts,permit_tls_clientcerts,reject

# The check_ccert_access table before permit_tls_clientcerts is the deny table `ccert revoke`
# writes (FINGERPRINT REJECT …): a revoked certificate stays refused where a stale copy of the
# list still names it. smtpd answers 451 when it cannot open it, so create it first:
#   touch $CONF/revoked_clientcerts && ccert compile hash:$CONF/revoked_clientcerts

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
# For Postfix 3.9 (debian build), ccert's built-in defaults (--postfix-version).
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (hash: default_database_type); `ccert add` builds it, or `ccert compile hash:$CONF/clientcerts`
relay_clientcerts = hash:$CONF/clientcerts
# sha256 is already Postfix's default at this compatibility_level; setting it keeps it when the level changes
smtpd_tls_fingerprint_digest = sha256
# log the fingerprints clients present, which `ccert log` lists (the level-1 summary plus one line per certificate)
smtpd_tls_loglevel = 1, peercert
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
# (mode 0600): from your CA (certbot: cat privkey.pem fullchain.pem > $CONF/MYHOSTNAME.pem), or self-signed for a test:
#   (umask 077 && openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 365 -subj /CN=MYHOSTNAME -keyout /dev/stdout -out /dev/stdout 2>/dev/null > $CONF/MYHOSTNAME.pem)
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=check_ccert_access,hash:$CONF/revoked_clientcerts,permit_tls_clientcerts,reject

# The check_ccert_access table before permit_tls_clientcerts is the deny table `ccert revoke`
# writes (FINGERPRINT REJECT …): a revoked certificate stays refused where a stale copy of the
# list still names it. smtpd answers 451 when it cannot open it, so create it first:
#   touch $CONF/revoked_clientcerts && ccert compile hash:$CONF/revoked_clientcerts

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
# For Postfix 3.9 (debian build), ccert's built-in defaults (--postfix-version).
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (hash: default_database_type); `ccert add` builds it, or `ccert compile hash:$CONF/clientcerts`
relay_clientcerts = hash:$CONF/clientcerts
# sha256 is already Postfix's default at this compatibility_level; setting it keeps it when the level changes
smtpd_tls_fingerprint_digest = sha256
# log the fingerprints clients present, which `ccert log` lists (the level-1 summary plus one line per certificate)
smtpd_tls_loglevel = 1, peercert
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
# (mode 0600): from your CA (certbot: cat privkey.pem fullchain.pem > $CONF/MYHOSTNAME.pem), or self-signed for a test:
#   (umask 077 && openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 365 -subj /CN=MYHOSTNAME -keyout /dev/stdout -out /dev/stdout 2>/dev/null > $CONF/MYHOSTNAME.pem)
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=check_ccert_access,hash:$CONF/revoked_clientcerts,permit_tls_clientcerts,reject

# The check_ccert_access table before permit_tls_clientcerts is the deny table `ccert revoke`
# writes (FINGERPRINT REJECT …): a revoked certificate stays refused where a stale copy of the
# list still names it. smtpd answers 451 when it cannot open it, so create it first:
#   touch $CONF/revoked_clientcerts && ccert compile hash:$CONF/revoked_clientcerts

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
# For Postfix 3.11 (debian build), ccert's built-in defaults (--postfix-version).
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (cdb: default_database_type); `ccert add` builds it, or `ccert compile cdb:$CONF/clientcerts`
relay_clientcerts = cdb:$CONF/clientcerts
# sha256 is already Postfix's default at this compatibility_level; setting it keeps it when the level changes
smtpd_tls_fingerprint_digest = sha256
# log the fingerprints clients present, which `ccert log` lists (the level-1 summary plus one line per certificate)
smtpd_tls_loglevel = 1, peercert
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
# (mode 0600): from your CA (certbot: cat privkey.pem fullchain.pem > $CONF/MYHOSTNAME.pem), or self-signed for a test:
#   (umask 077 && openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 365 -subj /CN=MYHOSTNAME -keyout /dev/stdout -out /dev/stdout 2>/dev/null > $CONF/MYHOSTNAME.pem)
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=check_ccert_access,cdb:$CONF/revoked_clientcerts,permit_tls_clientcerts,reject

# The check_ccert_access table before permit_tls_clientcerts is the deny table `ccert revoke`
# writes (FINGERPRINT REJECT …): a revoked certificate stays refused where a stale copy of the
# list still names it. smtpd answers 451 when it cannot open it, so create it first:
#   touch $CONF/revoked_clientcerts && ccert compile cdb:$CONF/revoked_clientcerts

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
# For Postfix 3.11 (debian build), ccert's built-in defaults (--postfix-version).
# Review, put the lines into main.cf and master.cf, then run: postfix reload

# ---- main.cf ----
# the table permit_tls_clientcerts consults (lmdb: default_database_type); `ccert add` builds it, or `ccert compile lmdb:$CONF/clientcerts`
relay_clientcerts = lmdb:$CONF/clientcerts
# sha256 is already Postfix's default at this compatibility_level; setting it keeps it when the level changes
smtpd_tls_fingerprint_digest = sha256
# log the fingerprints clients present, which `ccert log` lists (the level-1 summary plus one line per certificate)
smtpd_tls_loglevel = 1, peercert
# smtpd needs a server certificate for STARTTLS: private key, then certificate chain, in one PEM file
# (mode 0600): from your CA (certbot: cat privkey.pem fullchain.pem > $CONF/MYHOSTNAME.pem), or self-signed for a test:
#   (umask 077 && openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 365 -subj /CN=MYHOSTNAME -keyout /dev/stdout -out /dev/stdout 2>/dev/null > $CONF/MYHOSTNAME.pem)
smtpd_tls_chain_files = $CONF/MYHOSTNAME.pem

# ---- master.cf ----
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=check_ccert_access,lmdb:$CONF/revoked_clientcerts,permit_tls_clientcerts,reject

# The check_ccert_access table before permit_tls_clientcerts is the deny table `ccert revoke`
# writes (FINGERPRINT REJECT …): a revoked certificate stays refused where a stale copy of the
# list still names it. smtpd answers 451 when it cannot open it, so create it first:
#   touch $CONF/revoked_clientcerts && ccert compile lmdb:$CONF/revoked_clientcerts

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

/// The quick start's order (add, `compile lmdb:`, then server-config):
/// server-config proposes the table that was built, not
/// default_database_type's hash:, so pasting its lines gives a sound setup.
#[test]
fn server_config_proposes_the_table_built_beside_the_source() {
    let built = Test::new()
        .file("postfix-config/main.cf", "compatibility_level = 3.6\n")
        .file("postfix-config/clientcerts", "AB:CD laptop\n")
        .env("CCERT_POSTCONF", "none")
        .args(["compile", "lmdb:postfix-config/clientcerts"])
        .run();
    let out = built
        .then()
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.7", "server-config"])
        .run();
    let conf = std::fs::canonicalize(out.path("postfix-config")).unwrap();
    let conf = conf.display();
    assert!(
        out.stdout.contains(&format!(
            "# the table permit_tls_clientcerts consults (lmdb: the table built beside the source); \
             `ccert add` builds it, or `ccert compile lmdb:{conf}/clientcerts`\n\
             relay_clientcerts = lmdb:{conf}/clientcerts\n"
        )),
        "{}",
        out.stdout
    );
}
