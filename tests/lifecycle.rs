//! The life of a listed certificate over time: `rotate` lists the new
//! certificate beside the old one (both relay, proved against a live
//! smtpd), `prune` retires the old one once the mail log shows the new one
//! in use or the overlap has ended, `prune --expired` removes expired
//! certificates, and `issue --renew` keeps the public key.

use std::fs;
use std::path::{Path, PathBuf};

use crate::live::{self, Instance};
use crate::oracle;
use crate::test::{Finished, Test, fixtures};

/// A scratch Postfix configuration whose relay_clientcerts is a cdb table
/// of `clientcerts`, read without postconf (no Postfix needed).
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let s = Self { dir };
        fs::write(
            s.path("main.cf"),
            format!(
                "compatibility_level = 3.6\nrelay_clientcerts = cdb:{}\n",
                s.path("clientcerts").display()
            ),
        )
        .unwrap();
        for f in ["expired.pem", "rsa.pem", "ecdsa.pem", "ed25519.pem"] {
            fs::copy(fixtures().join(f), s.path(f)).unwrap();
        }
        oracle::settle(s.dir.path());
        s
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `ccert -c DIR ARGS` without postconf.
    fn ccert(&self, args: &[&str]) -> Test {
        Test::at(self.dir.path())
            .config_dir(self.dir.path())
            .env("CCERT_POSTCONF", "none")
            .current_dir(self.dir.path())
            .args(args)
    }

    fn source(&self) -> String {
        fs::read_to_string(self.path("clientcerts")).unwrap()
    }

    /// The sha256 fingerprint of a certificate file, as ccert prints it.
    fn fingerprint(&self, file: &str, pubkey: bool) -> String {
        let mut args = vec!["fingerprint", "--format", "map"];
        if pubkey {
            args.push("--pubkey");
        }
        args.push(file);
        let out = self.ccert(&args).run();
        out.stdout.split_whitespace().next().unwrap().to_string()
    }
}

/// A line smtpd logs for a client certificate at smtpd_tls_loglevel 2 (the
/// form `ccert log` reads).
fn smtpd_line(fingerprint: &str, pkey: &str) -> String {
    format!(
        "Dec  7 10:00:00 mx postfix/smtpd[4242]: Verified TLS connection established from \
         ws.example[192.0.2.7]:40000: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\
         Dec  7 10:00:00 mx postfix/smtpd[4242]: ws.example[192.0.2.7]: subject_CN=ws, \
         issuer=ws, fingerprint={fingerprint}, pkey_fingerprint={pkey}\n"
    )
}

fn entry_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

#[test]
fn prune_expired_removes_expired_certificates_and_reports_those_without_expiry() {
    let s = Setup::new();
    s.ccert(&["add", "expired.pem", "--name", "gone"])
        .any_stderr()
        .run();
    s.ccert(&["add", "rsa.pem", "--name", "kept"])
        .any_stderr()
        .run();
    let blind = "AB:".repeat(31) + "AB";
    s.ccert(&["add", "--fingerprint", &blind, "--name", "unknown"])
        .any_stderr()
        .run();
    let before = s.source();
    assert_eq!(
        fs::read_dir(s.path("clientcerts.d")).unwrap().count(),
        2,
        "two stored copies"
    );

    // Not on a terminal and without --yes: refused, nothing changes.
    s.ccert(&["prune", "--expired"])
        .status(1)
        .stderr_contains("refusing to remove without confirmation")
        .run();
    assert_eq!(s.source(), before);
    // --dry-run names what would go and why, and what is kept unjudged.
    let expired_fp = s.fingerprint("expired.pem", false);
    s.ccert(&["prune", "--expired", "--dry-run"])
        .stdout_contains("would remove 1 entry from ")
        .stderr_contains(format!("{expired_fp} gone: expired 2021-01-01"))
        .stderr_contains(
            "1 entry without a known expiry (added by fingerprint, no stored certificate) kept",
        )
        .stderr_contains(format!("{blind} unknown"))
        .run();
    assert_eq!(s.source(), before);
    // Without --expired nothing expired goes (only finished rotations).
    s.ccert(&["prune", "--yes"])
        .stdout_contains("nothing to prune")
        .run();
    assert_eq!(s.source(), before);

    s.ccert(&["prune", "--expired", "--yes"])
        .stdout_contains("removed 1 entry from ")
        .any_stderr()
        .run();
    let after = s.source();
    assert!(!after.contains(&expired_fp), "{after}");
    assert!(
        !after.contains("expired.example"),
        "its comment went too: {after}"
    );
    assert_eq!(entry_lines(&after).len(), 2, "{after}");
    assert_eq!(
        fs::read_dir(s.path("clientcerts.d")).unwrap().count(),
        1,
        "the expired certificate's copy is gone"
    );
    // The table was rebuilt from the pruned source.
    let table = format!("cdb:{}", s.path("clientcerts").display());
    s.ccert(&["query", &expired_fp, &table])
        .status(1)
        .any_stderr()
        .run();
    s.ccert(&["prune", "--expired", "--yes"])
        .stdout_contains("nothing to prune")
        .any_stderr()
        .run();
}

#[test]
fn rotate_lists_both_and_prune_retires_the_old_one_once_the_log_shows_the_new() {
    let s = Setup::new();
    s.ccert(&["add", "rsa.pem", "--name", "ws"])
        .any_stderr()
        .run();
    let old = s.fingerprint("rsa.pem", false);
    let new = s.fingerprint("ecdsa.pem", false);
    s.ccert(&["rotate", "ws", "ecdsa.pem"])
        .stdout_contains(format!("added {new} ws to "))
        .stdout_contains(format!(
            "rotating \"ws\": the old {old} (line 2) relays until"
        ))
        .any_stderr()
        .run();
    let text = s.source();
    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date();
    assert!(
        text.contains(&format!(" replaces={old} until={until} ")),
        "{text}"
    );
    assert_eq!(
        entry_lines(&text),
        [format!("{old} ws"), format!("{new} ws")],
        "both relay: {text}"
    );
    // list shows the rotation on both sides.
    let listed = s.ccert(&["list", "--format", "json"]).run();
    let json: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(json[0]["rotating_out_until"], until.to_string());
    assert_eq!(json[0]["successor_line"], 4);
    assert_eq!(json[1]["replaces"], old.as_str());
    // A second rotation of the same client waits for this one.
    s.ccert(&["rotate", "ws", "ed25519.pem"])
        .status(1)
        .stderr_contains("\"ws\" is already rotating (line 4 succeeds ")
        .any_stderr()
        .run();

    // The log shows only the old certificate: the rotation keeps running.
    let old_pkey = s.fingerprint("rsa.pem", true);
    fs::write(s.path("mail.log"), smtpd_line(&old, &old_pkey)).unwrap();
    s.ccert(&["prune", "--log", "mail.log", "--yes"])
        .stdout_contains("nothing to prune")
        .stderr_contains(format!("rotation of {old} still running"))
        .run();
    assert_eq!(s.source(), text);

    // Once it shows the new one in use, the old entry goes.
    let new_pkey = s.fingerprint("ecdsa.pem", true);
    fs::write(
        s.path("mail.log"),
        smtpd_line(&old, &old_pkey) + &smtpd_line(&new, &new_pkey),
    )
    .unwrap();
    s.ccert(&["prune", "--log", "mail.log", "--dry-run"])
        .stdout_contains("would remove 1 entry")
        .stderr_contains(format!(
            "{old} ws: rotated: its successor (line 4) is in use (mail log)"
        ))
        .run();
    s.ccert(&["prune", "--log", "mail.log", "--yes"])
        .stdout_contains("removed 1 entry")
        .any_stderr()
        .run();
    let text = s.source();
    assert_eq!(entry_lines(&text), [format!("{new} ws")], "{text}");
    // Finished: nothing more to do, and a new rotation may start.
    s.ccert(&["prune", "--log", "mail.log", "--yes"])
        .stdout_contains("nothing to prune")
        .run();
}

#[test]
fn an_ended_overlap_retires_even_a_hand_written_old_entry() {
    let s = Setup::new();
    let old = s.fingerprint("rsa.pem", false);
    let new = s.fingerprint("ecdsa.pem", false);
    // The old entry was written by hand (no ccert comment); the successor's
    // comment is what `rotate` writes, with an overlap that ended long ago.
    let prefix: String = new.chars().take(11).collect();
    fs::write(
        s.path("clientcerts"),
        format!(
            "# the office printer\n{old} printer\n\
             # ccert: added=2019-12-01 digest=sha256 type=cert fp={prefix} replaces={old} until=2020-01-01 subject=CN=printer\n\
             {new} printer\n"
        ),
    )
    .unwrap();
    // doctor warns: the old certificate still relays past the overlap.
    let audit = s
        .ccert(&["doctor"])
        .status_among(&[0, 1])
        .any_stderr()
        .run()
        .stdout;
    assert!(
        audit.contains(&format!(
            "warning: {}:4: the rotation to this entry ended 2020-01-01 (its overlap), but the old entry {old} is still listed and still relays",
            s.path("clientcerts").display()
        )),
        "{audit}"
    );
    assert!(audit.contains("fix: ccert prune"), "{audit}");
    // No log is needed (none is read) once every overlap has ended.
    s.ccert(&["prune", "--yes"])
        .stdout_contains("removed 1 entry")
        .stderr_contains(format!(
            "{old} printer: rotated: the overlap with its successor (line 4) ended 2020-01-01"
        ))
        .any_stderr()
        .run();
    let text = s.source();
    assert!(
        text.starts_with("# the office printer\n# ccert: "),
        "{text}"
    );
    assert_eq!(entry_lines(&text), [format!("{new} printer")]);
    let audit = s
        .ccert(&["doctor"])
        .status_among(&[0, 1])
        .any_stderr()
        .run()
        .stdout;
    assert!(!audit.contains("rotation"), "{audit}");
}

#[test]
fn rotate_refuses_what_add_would_and_names_the_problem() {
    let s = Setup::new();
    s.ccert(&["add", "rsa.pem", "--name", "ws"])
        .any_stderr()
        .run();
    let before = s.source();
    s.ccert(&["rotate", "nobody", "ecdsa.pem"])
        .status(1)
        .stderr_contains("no entry is named \"nobody\"")
        .run();
    s.ccert(&["rotate", "ws", "expired.pem"])
        .status(1)
        .stderr_contains("expired.pem: the new certificate expired on 2021-01-01")
        .run();
    // The same certificate again: already listed, nothing to rotate.
    s.ccert(&["rotate", "ws", "rsa.pem"])
        .stdout_contains("nothing to rotate")
        .run();
    assert_eq!(s.source(), before);
}

/// `issue --renew`: a new certificate from the key `issue` wrote, so a
/// public-key entry still matches; a certificate entry needs a rotation.
#[test]
fn issue_renew_keeps_the_public_key_fingerprint() {
    let s = Setup::new();
    fs::create_dir(s.path("ws")).unwrap();
    s.ccert(&["issue", "ws", "--out", "ws", "--days", "30"])
        .run();
    let cert_before = s.fingerprint("ws/ws.pem", false);
    let pkey_before = s.fingerprint("ws/ws.pem", true);
    let key_before = fs::read(s.path("ws/ws.key")).unwrap();
    s.ccert(&["add", "ws/ws.pem", "--pubkey"])
        .any_stderr()
        .run();
    let listed = s.source();

    let out = s
        .ccert(&["issue", "ws", "--out", "ws", "--renew"])
        .stdout_contains(format!("public-key fingerprint (unchanged): {pkey_before}"))
        .stdout_contains("ccert rotate ws ws/ws.pem")
        .run();
    let cert_after = s.fingerprint("ws/ws.pem", false);
    assert_ne!(cert_before, cert_after, "{}", out.stdout);
    assert_eq!(s.fingerprint("ws/ws.pem", true), pkey_before);
    assert_eq!(
        fs::read(s.path("ws/ws.key")).unwrap(),
        key_before,
        "the key is kept"
    );
    // The renewed certificate is valid for the default term again.
    let renewed = fs::read_to_string(s.path("ws/ws.pem")).unwrap();
    assert!(renewed.starts_with("-----BEGIN CERTIFICATE-----"));
    // The public-key entry matches it as it is: nothing to rotate.
    s.ccert(&["rotate", "ws", "ws/ws.pem"])
        .stdout_contains("already lists the public-key fingerprint")
        .run();
    assert_eq!(s.source(), listed);
    // Without a key to renew: one clear line.
    s.ccert(&["issue", "nokey", "--out", "ws", "--renew"])
        .status(1)
        .stderr_contains("nokey.key")
        .run();
}

/// Runs `prune` in a live instance's configuration.
fn prune(inst: &Instance, log: &Path) -> Finished {
    inst.ccert(&["prune", "--log", log.to_str().unwrap(), "--yes"])
        .any_stderr()
        .run()
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
fn during_a_rotation_both_relay_and_after_prune_only_the_new_one() {
    let test = "lifecycle::during_a_rotation_both_relay_and_after_prune_only_the_new_one";
    let Some(tools) = live::tools(test) else {
        return;
    };
    let mut inst = Instance::new(&tools, test);
    let relay = inst.table("cdb");
    // Level 2 logs each client certificate's fingerprints: what prune reads.
    let port = inst.listener("rotate", &relay, &["smtpd_tls_loglevel=2"]);
    inst.write_config();
    let old = live::make_cert(&tools.openssl, &inst.path("certs"), "ws-old", &live::EC);
    let new = live::make_cert(&tools.openssl, &inst.path("certs"), "ws-new", &live::EC);
    inst.ccert(&["add", old.cert.to_str().unwrap(), "--name", "ws"])
        .any_stderr()
        .run();
    inst.ccert(&["rotate", "ws", new.cert.to_str().unwrap()])
        .stdout_contains("rotating \"ws\"")
        .any_stderr()
        .run();
    inst.start();
    let log = inst.path("log/postfix.log");
    // The old certificate relays, and smtpd's own log shows only it in use:
    // prune keeps the rotation running.
    let reply = live::rcpt(&tools.swaks, port, Some(&old));
    assert_eq!(reply.code, 250, "{}", reply.transcript);
    let done = prune(&inst, &log);
    assert!(
        done.stdout.contains("nothing to prune"),
        "{}{}",
        done.stdout,
        done.stderr
    );
    // The new one relays too; now smtpd's log shows it in use.
    let reply = live::rcpt(&tools.swaks, port, Some(&new));
    assert_eq!(reply.code, 250, "{}", reply.transcript);
    let done = prune(&inst, &log);
    assert!(
        done.stdout.contains("removed 1 entry"),
        "{}{}",
        done.stdout,
        done.stderr
    );
    assert!(
        done.stderr
            .contains("rotated: its successor (line 4) is in use (mail log)"),
        "{}",
        done.stderr
    );
    let refused = live::rcpt(&tools.swaks, port, Some(&old));
    assert!(
        (400..600).contains(&refused.code),
        "the old certificate still relays: {}",
        refused.transcript
    );
    let relayed = live::rcpt(&tools.swaks, port, Some(&new));
    assert_eq!(relayed.code, 250, "{}", relayed.transcript);
}

/// doctor: FIPS mode (the kernel's flag file, set through the hidden test
/// hook `--fips-file`) with an md5 digest is an error naming the line; with
/// FIPS off, or sha256, or no such file (this kernel), there is none.
#[test]
fn doctor_reports_md5_in_fips_mode() {
    let s = Setup::new();
    let main_cf = fs::read_to_string(s.path("main.cf")).unwrap();
    fs::write(
        s.path("main.cf"),
        format!("{main_cf}smtpd_tls_fingerprint_digest = md5\n"),
    )
    .unwrap();
    oracle::settle(&s.path(""));
    fs::write(s.path("fips-on"), "1\n").unwrap();
    fs::write(s.path("fips-off"), "0\n").unwrap();
    let doctor = |flag: &str| {
        s.ccert(&["doctor", "--fips-file", flag])
            .status_among(&[0, 1])
            .any_stderr()
            .run()
            .stdout
    };
    let on = doctor("fips-on");
    let main_cf = s.path("main.cf");
    assert!(
        on.contains(&format!(
            "error: {}:3: FIPS mode is on (fips-on = 1) and smtpd_tls_fingerprint_digest is md5",
            main_cf.display()
        )),
        "{on}"
    );
    assert!(
        on.contains(
            "fix: smtpd_tls_fingerprint_digest = sha256, then `ccert rehash --digest sha256`"
        ),
        "{on}"
    );
    for off in ["fips-off", "no-such-file"] {
        let out = doctor(off);
        assert!(!out.contains("FIPS"), "{off}: {out}");
    }
    // sha256 in FIPS mode is fine.
    let text = fs::read_to_string(&main_cf)
        .unwrap()
        .replace("= md5", "= sha256");
    fs::write(&main_cf, text).unwrap();
    oracle::settle(&s.path(""));
    let out = doctor("fips-on");
    assert!(!out.contains("FIPS"), "{out}");
}

/// A check_ccert_access table: `list` shows each client's name (kept in
/// ccert's comment) with the action apart, and `rotate` finds the client by
/// that name and gives the new entry the action too.
#[test]
fn list_shows_access_table_names_and_rotate_keeps_the_action() {
    let s = Setup::new();
    let access = s.path("access");
    let main_cf = fs::read_to_string(s.path("main.cf")).unwrap();
    fs::write(
        s.path("main.cf"),
        format!(
            "{main_cf}smtpd_relay_restrictions = check_ccert_access cdb:{}, reject\n",
            access.display()
        ),
    )
    .unwrap();
    oracle::settle(&s.path(""));
    let map = access.to_str().unwrap();
    s.ccert(&["--map", map, "add", "rsa.pem", "--name", "laptop"])
        .any_stderr()
        .run();
    s.ccert(&["--map", map, "rotate", "laptop", "ecdsa.pem"])
        .stdout_contains("rotating \"laptop\"")
        .any_stderr()
        .run();
    let text = fs::read_to_string(&access).unwrap();
    let entries = entry_lines(&text);
    assert_eq!(entries.len(), 2, "{text}");
    assert!(entries.iter().all(|l| l.ends_with(" OK")), "{text}");
    let json = s
        .ccert(&["--map", map, "list", "--format", "json"])
        .run()
        .stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    for i in 0..2 {
        assert_eq!(json[i]["name"], "laptop", "{json}");
        assert_eq!(json[i]["value"], "OK", "{json}");
    }
    let table = s
        .ccert(&["--map", map, "list"])
        .env("COLUMNS", "250")
        .run()
        .stdout;
    assert!(table.contains(" laptop "), "{table}");
    assert!(table.contains("action OK"), "{table}");
    assert!(
        table.contains("rotating out: line 4 replaces it, through "),
        "{table}"
    );
    assert!(table.contains("rotating in: replaces "), "{table}");
    // `log --all` names the client the same way, not by its action.
    let new = s.fingerprint("ecdsa.pem", false);
    let pkey = s.fingerprint("ecdsa.pem", true);
    fs::write(s.path("mail.log"), smtpd_line(&new, &pkey)).unwrap();
    let json = s
        .ccert(&["--map", map, "log", "--all", "--format", "json", "mail.log"])
        .run()
        .stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json[0]["listed_as"], "laptop", "{json}");
}

/// A certificate and key that expired yesterday (rcgen: OpenSSL 3.0's
/// `req` cannot date a certificate in the past).
fn expired_client(dir: &Path, name: &str) -> live::Client {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(400);
    params.not_after = now - time::Duration::days(1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let client = live::Client {
        cert: dir.join(format!("{name}.pem")),
        key: dir.join(format!("{name}.key")),
    };
    fs::write(&client.cert, cert.pem()).unwrap();
    fs::write(&client.key, key.serialize_pem()).unwrap();
    client
}

/// Against a live smtpd: an expired listed certificate relays (Postfix
/// ignores expiry) until `prune --expired`, then gets 5xx; a certificate
/// renewed with `issue --renew` relays through its unchanged public-key
/// entry before and after.
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
fn prune_expired_stops_an_expired_certificate_and_a_renewed_one_keeps_relaying() {
    let test =
        "lifecycle::prune_expired_stops_an_expired_certificate_and_a_renewed_one_keeps_relaying";
    let Some(tools) = live::tools(test) else {
        return;
    };
    let mut inst = Instance::new(&tools, test);
    let relay = inst.table("cdb");
    let port = inst.listener("prune", &relay, &[]);
    inst.write_config();
    let certs = inst.path("certs");
    let expired = expired_client(&certs, "gone");
    inst.ccert(&["add", expired.cert.to_str().unwrap(), "--name", "gone"])
        .any_stderr()
        .run();
    inst.ccert(&["issue", "ws", "--out", certs.to_str().unwrap()])
        .run();
    let renewed = live::Client {
        cert: certs.join("ws.pem"),
        key: certs.join("ws.key"),
    };
    inst.ccert(&["add", renewed.cert.to_str().unwrap(), "--pubkey"])
        .any_stderr()
        .run();
    inst.ccert(&["issue", "ws", "--out", certs.to_str().unwrap(), "--renew"])
        .stdout_contains("public-key fingerprint (unchanged)")
        .run();
    inst.start();
    let reply = live::rcpt(&tools.swaks, port, Some(&expired));
    assert_eq!(
        reply.code, 250,
        "expired, listed: relays: {}",
        reply.transcript
    );
    let reply = live::rcpt(&tools.swaks, port, Some(&renewed));
    assert_eq!(reply.code, 250, "renewed: {}", reply.transcript);

    inst.ccert(&["prune", "--expired", "--yes"])
        .stdout_contains("removed 1 entry")
        .stderr_contains(" gone: expired ")
        .any_stderr()
        .run();
    let reply = live::rcpt(&tools.swaks, port, Some(&expired));
    assert!(
        (500..600).contains(&reply.code),
        "pruned: {}",
        reply.transcript
    );
    let reply = live::rcpt(&tools.swaks, port, Some(&renewed));
    assert_eq!(
        reply.code, 250,
        "renewed, after prune: {}",
        reply.transcript
    );
}

/// `prune --expired` on a `pgsql:` list: the expired row goes in one
/// transaction, a row without a recorded expiry is named and kept.
#[test]
#[cfg_attr(ccert_missing = "postgresql", ignore = "needs postgresql")]
fn prune_expired_on_a_pgsql_list() {
    let Some(f) = crate::fleet::Fleet::new("lifecycle::prune_expired_on_a_pgsql_list") else {
        return;
    };
    let map = f.map();
    let expired = fixtures().join("expired.pem");
    f.ccert(&[
        "--map",
        &map,
        "add",
        expired.to_str().unwrap(),
        "--name",
        "gone",
    ])
    .any_stderr()
    .run();
    let fresh = f.cert("fresh");
    f.ccert(&["--map", &map, "add", fresh.to_str().unwrap()])
        .run();
    let blind = "ab:".repeat(31) + "ab";
    f.ccert(&[
        "--map",
        &map,
        "add",
        "--fingerprint",
        &blind,
        "--name",
        "blind",
    ])
    .run();
    let count = || f.pg.psql("mail", "SELECT count(*) FROM ccert_clientcerts");
    f.ccert(&["--map", &map, "prune", "--expired", "--dry-run"])
        .stdout_contains("would remove 1 entry")
        .stderr_contains(" gone: expired 2021-01-01")
        .stderr_contains(format!("{blind} blind"))
        .run();
    f.ccert(&["--map", &map, "prune", "--expired"])
        .status(1)
        .stderr_contains("refusing to remove without confirmation")
        .run();
    assert_eq!(count(), "3");
    f.ccert(&["--map", &map, "prune", "--expired", "--yes"])
        .stdout_contains("removed 1 entry")
        .any_stderr()
        .run();
    assert_eq!(count(), "2");
    f.ccert(&["--map", &map, "prune", "--expired", "--yes"])
        .stdout_contains("nothing to prune")
        .any_stderr()
        .run();
}

/// `apply` removing an entry also drops its certificate copy from the
/// store, as `remove` and `prune` do (a leftover of issue 23).
#[test]
fn apply_drops_the_copies_of_certificates_it_removes() {
    let s = Setup::new();
    let both = "[[client]]\nname = \"a\"\ncertificate = \"rsa.pem\"\n\n\
                [[client]]\nname = \"b\"\ncertificate = \"ecdsa.pem\"\n";
    fs::write(s.path("clients.toml"), both).unwrap();
    s.ccert(&["apply", "clients.toml"])
        .status(2)
        .any_stderr()
        .run();
    let copies = || fs::read_dir(s.path("clientcerts.d")).unwrap().count();
    assert_eq!(copies(), 2);
    fs::write(
        s.path("clients.toml"),
        "[[client]]\nname = \"b\"\ncertificate = \"ecdsa.pem\"\n",
    )
    .unwrap();
    s.ccert(&["apply", "clients.toml"])
        .status(2)
        .any_stderr()
        .run();
    assert_eq!(copies(), 1, "the removed client's copy is gone");
    assert!(!s.source().contains("rsa.example"));
}

/// On a terminal, prune asks first (as `remove` does): `n` keeps the
/// entry (exit 1), `y` removes it.
#[test]
#[cfg_attr(ccert_missing = "bsdutils", ignore = "needs bsdutils")]
fn prune_on_a_terminal_asks_first() {
    if oracle::require("script", "lifecycle::prune_on_a_terminal_asks_first").is_none() {
        return;
    }
    let s = Setup::new();
    s.ccert(&["add", "expired.pem", "--name", "gone"])
        .any_stderr()
        .run();
    let before = s.source();
    let prune = |answer: &str, status: i32| {
        s.ccert(&["prune", "--expired"])
            .pty()
            .stdin(answer)
            .status(status)
            .stdout_contains("Remove it?")
            .run()
    };
    prune("n", 1);
    assert_eq!(s.source(), before);
    prune("y", 0);
    assert_eq!(entry_lines(&s.source()).len(), 0);
}

/// `apply` understands a rotation: a desired file naming the new
/// certificate keeps the old entry while the overlap runs (unchanged, exit
/// 0), and drops it once the overlap has ended.
#[test]
fn apply_keeps_the_old_entry_of_a_running_rotation() {
    let s = Setup::new();
    fs::write(
        s.path("clients.toml"),
        "[[client]]\nname = \"ws\"\ncertificate = \"rsa.pem\"\n",
    )
    .unwrap();
    s.ccert(&["apply", "clients.toml"])
        .status(2)
        .any_stderr()
        .run();
    s.ccert(&["rotate", "ws", "ecdsa.pem"]).any_stderr().run();
    let rotating = s.source();
    // The desired state is the new certificate: the rotation is kept.
    fs::write(
        s.path("clients.toml"),
        "[[client]]\nname = \"ws\"\ncertificate = \"ecdsa.pem\"\n",
    )
    .unwrap();
    s.ccert(&["apply", "clients.toml"]).any_stderr().run();
    assert_eq!(s.source(), rotating);
    // Past the overlap, apply drops the old entry as prune would.
    let ended = rotating.replace(
        &format!(
            " until={} ",
            (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date()
        ),
        " until=2020-01-01 ",
    );
    assert_ne!(ended, rotating);
    fs::write(s.path("clientcerts"), &ended).unwrap();
    s.ccert(&["apply", "clients.toml"])
        .status(2)
        .any_stderr()
        .run();
    let old = s.fingerprint("rsa.pem", false);
    let new = s.fingerprint("ecdsa.pem", false);
    assert_eq!(entry_lines(&s.source()), [format!("{new} ws")]);
    assert!(!s.source().contains(&format!("{old} ws")));
}
