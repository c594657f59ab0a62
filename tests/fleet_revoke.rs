//! Revocations in a pgsql: list (`ccert revoke` on a database list): one
//! transaction removes the entry and records both fingerprints as rows;
//! Postfix servers that query the database deny them through the second
//! `.cf` `db init` writes (postmap -q through Postfix's own pgsql client);
//! a second server's `ccert sync` copies them into its local deny table
//! and keeps them when the database loses them.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::live;
use crate::oracle;
use crate::pg::{self, Cluster};
use crate::test::{Finished, Test};

struct Site {
    pg: Cluster,
    dir: tempfile::TempDir,
    cf: PathBuf,
}

impl Site {
    fn new(test: &str) -> Option<Site> {
        let pg = Cluster::start(test)?;
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("conf")).unwrap();
        fs::create_dir(dir.path().join("conf2")).unwrap();
        let cf = dir.path().join("conf/clientcerts.pgsql.cf");
        let site = Site { pg, dir, cf };
        fs::write(
            site.path("conf/main.cf"),
            format!(
                "compatibility_level = 3.6\nrelay_clientcerts = pgsql:{}\n",
                site.cf.display()
            ),
        )
        .unwrap();
        fs::write(site.path("pw"), format!("{}\n", pg::PASSWORD)).unwrap();
        let out = site.run(
            "conf",
            &[
                "db",
                "init",
                &format!("pgsql:{}", site.cf.display()),
                "--hosts",
                &site.pg.inet_host(),
                "--dbname",
                "mail",
                "--user",
                "ccert",
                "--password-file",
                site.path("pw").to_str().unwrap(),
            ],
        );
        assert_eq!(out.status, 0, "{}", out.stderr);
        Some(site)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn run(&self, conf: &str, args: &[&str]) -> Finished {
        Test::at(self.dir.path())
            .config_dir(self.path(conf))
            .env_remove("PGPASSWORD")
            .env_remove("PGOPTIONS")
            .args(args)
            .any_stderr()
            .status_among(&[0, 1])
            .timeout(Duration::from_secs(120))
            .run()
    }

    fn sql(&self, sql: &str) -> String {
        self.pg.psql("mail", sql)
    }
}

fn upper(fp: &str) -> String {
    fp.to_ascii_uppercase()
}

/// revoke on a pgsql: list: --dry-run changes nothing; then one
/// transaction removes the entry, inserts the certificate's and the public
/// key's fingerprint with the reason and bumps the generation. The
/// revocations .cf answers REJECT through Postfix's own pgsql client
/// (postmap -q, as the read-only lookup role). A second server with a
/// deny table before permit_tls_clientcerts gets both entries from `sync`;
/// rows deleted from the database later do not take them away there.
#[test]
#[cfg_attr(
    any(
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "postfix-pgsql",
        ccert_missing = "postgresql"
    ),
    ignore = "needs openssl, postfix, postfix-pgsql and postgresql"
)]
fn a_revocation_reaches_the_database_its_lookups_and_every_sync_copy() {
    let test = "fleet_revoke::a_revocation_reaches_the_database_its_lookups_and_every_sync_copy";
    let Some(openssl) = oracle::require("openssl", test) else {
        return;
    };
    let Some(site) = Site::new(test) else {
        return;
    };
    let map = format!("pgsql:{}", site.cf.display());
    // db init wrote the revocations .cf beside the admin one.
    assert!(site.path("conf/clientcerts-revoked.pgsql.cf").exists());
    let out = site.run(
        "conf",
        &["db", "init", &map, "--lookup-user", "postfix_lookup"],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let revoked_cf = site.path("conf/clientcerts-lookup-revoked.pgsql.cf");
    assert!(
        out.stdout.contains(&format!(
            "check_ccert_access pgsql:{}",
            revoked_cf.display()
        )),
        "{}",
        out.stdout
    );
    let text = fs::read_to_string(&revoked_cf).unwrap();
    assert!(text.contains("user = postfix_lookup"), "{text}");
    assert!(text.contains("FROM ccert_revocations"), "{text}");

    fs::create_dir_all(site.path("certs")).unwrap();
    let laptop = live::make_cert(&openssl, &site.path("certs"), "laptop", &live::EC);
    let desk = live::make_cert(&openssl, &site.path("certs"), "desk", &live::EC);
    for (c, name) in [(&laptop, "laptop"), (&desk, "desk")] {
        let out = site.run("conf", &["add", c.cert.to_str().unwrap(), "--name", name]);
        assert_eq!(out.status, 0, "{}", out.stderr);
    }
    let cert_fp = site
        .sql("SELECT fingerprint FROM ccert_clientcerts WHERE name = 'laptop' AND kind = 'cert'");
    assert!(!cert_fp.is_empty());

    // Second server: a sync copy and a deny table before the permit.
    let copy = site.path("conf2/clientcerts");
    let deny = site.path("conf2/revoked_clientcerts");
    fs::write(
        site.path("conf2/main.cf"),
        format!(
            "compatibility_level = 3.6\nsmtpd_tls_security_level = may\nsmtpd_tls_ask_ccert = yes\n\
             smtpd_relay_restrictions = check_ccert_access cdb:{}, permit_tls_clientcerts, reject\n\
             relay_clientcerts = cdb:{}\n",
            deny.display(),
            copy.display()
        ),
    )
    .unwrap();
    fs::write(&deny, "").unwrap();
    let to = format!("cdb:{}", copy.display());
    let out = site.run("conf2", &["sync", "--from", &map, "--to", &to]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(fs::read_to_string(&copy).unwrap().contains(&cert_fp));

    // --dry-run: says what, changes nothing.
    let generation = site.sql("SELECT generation FROM ccert_state");
    let out = site.run(
        "conf",
        &[
            "revoke",
            "--name",
            "laptop",
            "--reason",
            "left the company",
            "--dry-run",
        ],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("dry run: nothing changed"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("2 fingerprints to deny"),
        "{}",
        out.stderr
    );
    assert_eq!(site.sql("SELECT count(*) FROM ccert_revocations"), "0");
    assert_eq!(site.sql("SELECT generation FROM ccert_state"), generation);
    assert_eq!(site.sql("SELECT count(*) FROM ccert_clientcerts"), "2");

    // Without a terminal and without --yes: refused, nothing changed.
    let out = site.run("conf", &["revoke", "--name", "laptop"]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("pass --yes"), "{}", out.stderr);
    assert_eq!(site.sql("SELECT count(*) FROM ccert_revocations"), "0");

    let out = site.run(
        "conf",
        &[
            "revoke",
            "--name",
            "laptop",
            "--reason",
            "left the company",
            "--yes",
        ],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("removed 1 entry"), "{}", out.stdout);
    assert_eq!(
        site.sql("SELECT count(*) FROM ccert_clientcerts WHERE name = 'laptop'"),
        "0"
    );
    assert_eq!(site.sql("SELECT count(*) FROM ccert_clientcerts"), "1");
    let rows = site.sql(
        "SELECT fingerprint || ' ' || name || ' ' || reason FROM ccert_revocations ORDER BY fingerprint",
    );
    let pk_fp = revocation_pubkey(&rows, &cert_fp);
    assert_eq!(rows.lines().count(), 2, "{rows}");
    assert!(
        rows.contains(&format!("{cert_fp} laptop left the company")),
        "{rows}"
    );
    // One transaction: one commit moved the generation (the revocation
    // insert and the removal each bump it inside it).
    let after: i64 = site
        .sql("SELECT generation FROM ccert_state")
        .parse()
        .unwrap();
    assert!(after > generation.parse::<i64>().unwrap());

    // Postfix's own lookup through the revocations .cf (read-only role).
    oracle::require_map_type("pgsql", test);
    let postmap = oracle::require("postmap", test).unwrap();
    for fp in [&cert_fp, &pk_fp] {
        let q = Command::new(&postmap)
            .args(["-c", site.path("conf").to_str().unwrap(), "-q", &upper(fp)])
            .arg(format!("pgsql:{}", revoked_cf.display()))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&q.stdout).trim(),
            "REJECT client certificate revoked: left the company",
            "{}",
            String::from_utf8_lossy(&q.stderr)
        );
    }
    let desk_fp = site.sql("SELECT fingerprint FROM ccert_clientcerts WHERE kind = 'cert'");
    let q = Command::new(&postmap)
        .args(["-c", site.path("conf").to_str().unwrap(), "-q", &desk_fp])
        .arg(format!("pgsql:{}", revoked_cf.display()))
        .output()
        .unwrap();
    assert_eq!(q.status.code(), Some(1), "desk is not revoked");

    // The second server's sync: the entry leaves the copy, both
    // fingerprints enter the deny table with the database's action.
    let out = site.run("conf2", &["sync", "--from", &map, "--to", &to]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("denied 2 revoked fingerprints"),
        "{}",
        out.stdout
    );
    assert!(!fs::read_to_string(&copy).unwrap().contains(&cert_fp));
    let denied = fs::read_to_string(&deny).unwrap();
    for fp in [&cert_fp, &pk_fp] {
        assert!(
            denied.contains(&format!(
                "{fp} REJECT client certificate revoked: left the company"
            )) || denied.contains(&format!(
                "{} REJECT client certificate revoked: left the company",
                upper(fp)
            )),
            "{denied}"
        );
    }
    for fp in [&cert_fp, &pk_fp] {
        let q = Command::new(&postmap)
            .args(["-c", site.path("conf2").to_str().unwrap(), "-q", fp])
            .arg(format!("cdb:{}", deny.display()))
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&q.stdout).starts_with("REJECT client certificate revoked"),
            "{}",
            String::from_utf8_lossy(&q.stderr)
        );
    }
    // A row written by hand whose reason holds a line break: denied with
    // the plain action, nothing injected into the deny source.
    let hostile = format!("{}ab", "ab:".repeat(31));
    site.sql(&format!(
        "INSERT INTO ccert_revocations (fingerprint, name, reason) VALUES \
         ('{hostile}', 'by-hand', E'x\\n{} OK')",
        upper(&format!("{}cd", "cd:".repeat(31)))
    ));
    let out = site.run("conf2", &["sync", "--from", &map, "--to", &to]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot go into an SMTP reply"),
        "{}",
        out.stderr
    );
    let denied = fs::read_to_string(&deny).unwrap();
    assert!(
        denied.contains(&format!("{hostile} REJECT client certificate revoked\n"))
            || denied.contains(&format!(
                "{} REJECT client certificate revoked\n",
                upper(&hostile)
            )),
        "{denied}"
    );
    assert!(!denied.contains(" OK"), "{denied}");
    // A database that lost its revocation rows (a restore, a DELETE by
    // hand): the local deny entries stay.
    site.sql("DELETE FROM ccert_revocations");
    let out = site.run("conf2", &["sync", "--from", &map, "--to", &to]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(fs::read_to_string(&deny).unwrap(), denied);
}

/// The other fingerprint in the revocation rows (the public key's).
fn revocation_pubkey(rows: &str, cert_fp: &str) -> String {
    rows.lines()
        .map(|l| l.split(' ').next().unwrap().to_string())
        .find(|fp| fp != cert_fp)
        .unwrap_or_default()
}

/// A sync server with no deny table before the permit: sync copies the
/// list (the revoked entry leaves it) and warns what to add; a CRL
/// revokes on a database list by the certificates stored there.
#[test]
#[cfg_attr(
    any(ccert_missing = "openssl", ccert_missing = "postgresql"),
    ignore = "needs openssl and postgresql"
)]
fn a_crl_revokes_stored_certificates_and_sync_without_a_deny_table_warns() {
    let test =
        "fleet_revoke::a_crl_revokes_stored_certificates_and_sync_without_a_deny_table_warns";
    let Some(openssl) = oracle::require("openssl", test) else {
        return;
    };
    let Some(site) = Site::new(test) else {
        return;
    };
    let map = format!("pgsql:{}", site.cf.display());
    fs::create_dir_all(site.path("ca")).unwrap();
    let ca = crate::revoke::Ca::new(
        &openssl,
        &site.path("ca"),
        "/O=Example/CN=Example Client CA",
    );
    let revoked = ca.issue("revoked", "1001");
    let kept = ca.issue("kept", "1002");
    ca.revoke(&revoked);
    let (crl, _) = ca.crl();
    for c in [&revoked, &kept] {
        let out = site.run("conf", &["add", c.to_str().unwrap()]);
        assert_eq!(out.status, 0, "{}", out.stderr);
    }
    // One entry added by fingerprint only: reported, never guessed.
    let out = site.run(
        "conf",
        &[
            "add",
            "--fingerprint",
            &format!("{}AB", "AB:".repeat(31)),
            "--name",
            "byhand",
        ],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = site.run("conf", &["revoke", "--crl", crl.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("no stored certificate"),
        "{}",
        out.stderr
    );
    assert_eq!(
        site.sql("SELECT string_agg(DISTINCT name, ',' ORDER BY name) FROM ccert_revocations"),
        "revoked"
    );
    assert_eq!(
        site.sql("SELECT string_agg(DISTINCT name, ',' ORDER BY name) FROM ccert_clientcerts"),
        "byhand,kept"
    );
    // doctor on a server that reads the database list: the revocations
    // are not enforced without a deny table before the permit.
    let doctor_with = |relay: &str| {
        fs::write(
            site.path("conf/main.cf"),
            format!(
                "compatibility_level = 3.6\nsmtpd_tls_security_level = may\n\
                 smtpd_tls_ask_ccert = yes\nsmtpd_relay_restrictions = {relay}\n\
                 relay_clientcerts = {map}\n"
            ),
        )
        .unwrap();
        site.run("conf", &["doctor"])
    };
    let out = doctor_with("permit_tls_clientcerts, reject");
    assert!(
        out.stdout.contains("the list has 2 revoked fingerprint(s)"),
        "{}",
        out.stdout
    );
    let revoked_cf = site.path("conf/clientcerts-revoked.pgsql.cf");
    assert!(
        out.stdout
            .contains(&format!("pgsql:{}", revoked_cf.display())),
        "{}",
        out.stdout
    );
    let out = doctor_with(&format!(
        "check_ccert_access pgsql:{}, permit_tls_clientcerts, reject",
        revoked_cf.display()
    ));
    assert!(
        !out.stdout.contains("revoked fingerprint(s)"),
        "{}",
        out.stdout
    );

    // A server without a deny table: the copy follows, one warning.
    fs::write(
        site.path("conf2/main.cf"),
        format!(
            "compatibility_level = 3.6\nsmtpd_tls_security_level = may\nsmtpd_tls_ask_ccert = yes\n\
             smtpd_relay_restrictions = permit_tls_clientcerts, reject\n\
             relay_clientcerts = cdb:{}\n",
            site.path("conf2/clientcerts").display()
        ),
    )
    .unwrap();
    let to = format!("cdb:{}", site.path("conf2/clientcerts").display());
    let out = site.run("conf2", &["sync", "--from", &map, "--to", &to]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("no check_ccert_access deny table"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(
        warnings[0].contains("2 revoked fingerprints"),
        "{}",
        out.stderr
    );
}

/// A live smtpd whose relay restrictions consult the revocations `.cf`
/// (`check_ccert_access pgsql:…-revoked.pgsql.cf`) before
/// permit_tls_clientcerts on the database list: the listed certificate
/// relays (250); after `ccert revoke` it gets 5xx, and still 5xx when its
/// row is put back into ccert_clientcerts by hand (a stale or restored list).
#[test]
#[cfg_attr(
    any(
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "postfix-pgsql",
        ccert_missing = "postgresql",
        ccert_missing = "root",
        ccert_missing = "swaks"
    ),
    ignore = "needs openssl, postfix, postfix-pgsql, postgresql, root and swaks"
)]
fn a_revoked_certificate_gets_5xx_through_the_database_deny_cf() {
    let test = "fleet_revoke::a_revoked_certificate_gets_5xx_through_the_database_deny_cf";
    let Some(tools) = live::tools(test) else {
        return;
    };
    let Some(db) = Cluster::start(test) else {
        return;
    };
    oracle::require_map_type("pgsql", test);
    let mut inst = live::Instance::new(&tools, "fleet-revoke");
    let cf = inst.path("conf/clientcerts.pgsql.cf");
    let pw = inst.path("pw");
    fs::write(&pw, pg::PASSWORD).unwrap();
    let map = format!("pgsql:{}", cf.display());
    inst.ccert(&[
        "db",
        "init",
        &map,
        "--hosts",
        &db.inet_host(),
        "--dbname",
        "mail",
        "--user",
        "ccert",
        "--password-file",
        pw.to_str().unwrap(),
    ])
    .run();
    let revoked_cf = inst.path("conf/clientcerts-revoked.pgsql.cf");
    assert!(revoked_cf.exists());
    let port = inst.listener(
        "revoke",
        &map,
        &[&format!(
            "smtpd_relay_restrictions=check_ccert_access,pgsql:{},permit_tls_clientcerts,reject",
            revoked_cf.display()
        )],
    );
    inst.start();
    let client = live::make_cert(&tools.openssl, &inst.path("certs"), "laptop", &live::EC);
    let show = |r: &live::Reply, inst: &live::Instance| {
        format!("{}\n--- log\n{}", r.transcript, inst.log())
    };
    inst.ccert(&["--map", &map, "add", client.cert.to_str().unwrap()])
        .run();
    let r = live::rcpt(&tools.swaks, port, Some(&client));
    assert_eq!(r.code, 250, "{}", show(&r, &inst));
    let listed = db.psql(
        "mail",
        "SELECT fingerprint || ',' || name || ',' || digest || ',' || kind || ',' || added_by FROM ccert_clientcerts",
    );
    inst.ccert(&[
        "--map",
        &map,
        "revoke",
        client.cert.to_str().unwrap(),
        "--yes",
    ])
    .any_stderr()
    .stdout_contains("removed 1 entry")
    .run();
    let r = live::rcpt(&tools.swaks, port, Some(&client));
    assert!((500..600).contains(&r.code), "{}", show(&r, &inst));
    assert!(
        r.transcript.contains("client certificate revoked"),
        "{}",
        show(&r, &inst)
    );
    // The entry back by hand: the revocation row still refuses it.
    let (fp, rest) = listed.split_once(',').unwrap();
    let parts: Vec<&str> = rest.split(',').collect();
    db.psql(
        "mail",
        &format!(
            "INSERT INTO ccert_clientcerts (fingerprint, name, digest, kind, added_by) \
             VALUES ('{fp}', '{}', '{}', '{}', '{}')",
            parts[0], parts[1], parts[2], parts[3]
        ),
    );
    let r = live::rcpt(&tools.swaks, port, Some(&client));
    assert!((500..600).contains(&r.code), "{}", show(&r, &inst));
}
