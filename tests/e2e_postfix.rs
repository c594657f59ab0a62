//! End-to-end proof against a running Postfix.
//!
//! A throwaway Postfix instance listens on loopback with one submission-like
//! smtpd per table type (hash, lmdb, cdb, sqlite), each with
//! `permit_tls_clientcerts, reject` and its own `relay_clientcerts` table.
//! The tables are built only by ccert. A real TLS client (swaks) then shows,
//! for every table type, that a listed certificate may relay, that an unlisted
//! certificate and no certificate may not, that a public-key entry works (also
//! for a renewed certificate with the same key), and that after `ccert remove`
//! the running Postfix refuses the removed certificate. Finally `ccert doctor`
//! must pass on the instance's configuration.
//!
//! Needs root (Postfix's master runs as root), the `postfix` user, and the
//! postfix, swaks and openssl tools; skips with a printed reason otherwise,
//! unless `CCERT_INTEROP=1`. Certificates are made with openssl at test time.
//!
//! The instance itself is [`crate::live`]'s. Facts this test relies on
//! (checked on Debian 12, Postfix 3.7.11):
//! - After the tables change, hash/lmdb/cdb tables (replaced by rename) make
//!   a running smtpd log "table … has changed -- restarting". The sqlite
//!   database is replaced by rename too, but dict_sqlite registers no file
//!   for that check: a running smtpd keeps answering from the old database
//!   until it exits (after max_use sessions; the sqlite listener here has
//!   max_use=3 so the removal check below sees the switch) or `postfix reload`.

use std::process::Command;
use std::time::Duration;

use crate::live::{self, Client, EC, Instance, make_cert, rcpt, run_ok};

const TEST: &str = "e2e_postfix";

/// The table types, one smtpd listener each.
const TYPES: [&str; 4] = ["hash", "lmdb", "cdb", "sqlite"];

/// Compiles the source file into all four table types with `ccert compile`.
fn compile_all(inst: &Instance) {
    let source = inst.source();
    let maps: Vec<String> = TYPES
        .iter()
        .map(|t| format!("{t}:{}", source.display()))
        .collect();
    let mut args = vec!["compile"];
    args.extend(maps.iter().map(String::as_str));
    inst.ccert(&args).run();
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root",
        ccert_missing = "swaks"
    ),
    ignore = "needs openssl, postfix, root and swaks"
)]
fn e2e_postfix() {
    let Some(tools) = live::tools(TEST) else {
        return;
    };
    let mut inst = Instance::new(&tools, TEST);
    for map_type in TYPES {
        let table = inst.table(map_type);
        let options: &[&str] = if map_type == "sqlite" {
            &["max_use=3"]
        } else {
            &[]
        };
        inst.listener(map_type, &table, options);
    }
    let certs = inst.path("certs");
    let listed = make_cert(&tools.openssl, &certs, "listed", &EC);
    let unlisted = make_cert(&tools.openssl, &certs, "unlisted", &EC);
    let pk = make_cert(&tools.openssl, &certs, "pk", &["rsa:2048"]);
    // A renewed certificate for the same key: another certificate
    // fingerprint, the same public-key fingerprint.
    let renewed = Client {
        cert: certs.join("pk-renewed.pem"),
        key: pk.key.clone(),
    };
    run_ok(
        Command::new(&tools.openssl)
            .args(["req", "-x509", "-new", "-days", "400", "-set_serial", "2"])
            .args(["-subj", "/CN=pk.example", "-key"])
            .arg(&pk.key)
            .arg("-out")
            .arg(&renewed.cert),
    );

    // The source file is written only by `ccert add`, the tables only by
    // `ccert compile` and the rebuild that add/remove do (no postmap).
    let path = |c: &Client| c.cert.to_str().unwrap().to_string();
    inst.ccert(&["add", &path(&listed), "--name", "listed"])
        .run();
    compile_all(&inst);
    // The tables exist now, so this add rebuilds all four: the public-key
    // checks below fail unless it did.
    inst.ccert(&["add", "--pubkey", &path(&pk), "--name", "pk"])
        .stderr(inst.rebuilt(&TYPES))
        .run();

    inst.start();

    let expect = |inst: &Instance, who: &str, client: Option<&Client>, code: u16| {
        for l in &inst.listeners {
            let reply = rcpt(&tools.swaks, l.port, client);
            assert_eq!(
                reply.code,
                code,
                "{}: {who} got the wrong RCPT reply\n{}\n--- log\n{}",
                l.label,
                reply.transcript,
                inst.log()
            );
        }
    };
    // 1. A listed certificate may relay.
    expect(&inst, "the listed certificate", Some(&listed), 250);
    // 2. An unlisted certificate and no certificate may not.
    expect(&inst, "an unlisted certificate", Some(&unlisted), 554);
    expect(&inst, "a client without certificate", None, 554);
    // 3. A public-key entry admits the certificate and its renewal.
    expect(&inst, "the public-key-listed certificate", Some(&pk), 250);
    expect(
        &inst,
        "the renewed public-key-listed certificate",
        Some(&renewed),
        250,
    );

    // 4. After removal the running Postfix refuses the certificate.
    // It lists the entry, rebuilds all four tables, and tells that running
    // smtpd processes keep the old sqlite database.
    inst.ccert(&["remove", &path(&listed), "--yes"])
        .stderr_contains(format!(
            "ccert: 1 entry in {} matches the fingerprints of {}:\n  line 2: ",
            inst.source().display(),
            path(&listed)
        ))
        .stderr_contains(format!(
            " listed\n{}{}",
            inst.rebuilt(&TYPES),
            inst.sqlite_notice()
        ))
        .run();
    for l in &inst.listeners {
        let (map_type, port) = (&l.label, &l.port);
        // An smtpd that already waits for the next client may serve one more
        // session from the old table before it notices the change: retry a
        // few times (bounded).
        let mut reply = rcpt(&tools.swaks, *port, Some(&listed));
        let mut sessions = 1;
        while reply.code == 250 && sessions < 6 {
            std::thread::sleep(Duration::from_millis(300));
            reply = rcpt(&tools.swaks, *port, Some(&listed));
            sessions += 1;
        }
        eprintln!(
            "{TEST}: {map_type}: RCPT reply {} in session {sessions} after the removal",
            reply.code
        );
        assert_eq!(
            reply.code,
            554,
            "{map_type}: the removed certificate is still admitted\n{}\n--- log\n{}",
            reply.transcript,
            inst.log()
        );
    }
    // The remaining entry still works: the table was updated, not broken.
    expect(&inst, "the public-key-listed certificate", Some(&pk), 250);

    let log = inst.log();
    // How the daemons noticed: a replaced hash/lmdb/cdb file makes smtpd log
    // "table … has changed -- restarting"; sqlite once smtpd exits.
    for line in log.lines().filter(|l| l.contains("has changed")) {
        eprintln!("{TEST}: postfix log: {line}");
    }
    let bad: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" fatal: ") || l.contains(" panic: "))
        .collect();
    assert!(bad.is_empty(), "Postfix logged errors:\n{}", bad.join("\n"));

    // 5. The doctor finds nothing wrong with this instance's configuration.
    let doctor = inst.ccert(&["doctor"]).run();
    eprintln!("{TEST}: ccert doctor:\n{}", doctor.stdout);

    inst.stop();
}
