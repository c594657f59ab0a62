//! `ccert log`, `ccert add --fingerprint` and `ccert probe` against a live
//! Postfix ([`crate::live`]).
//!
//! Facts checked here on Debian 12 (Postfix 3.7.11, OpenSSL 3.0):
//! - with `smtpd_tls_loglevel = 2`, smtpd logs
//!   `name[addr]: subject_CN=…, issuer=…, fingerprint=…, pkey_fingerprint=…`
//!   in `smtpd_tls_fingerprint_digest`, upper-case hex with colons;
//! - `smtpd_tls_loglevel = 1, peercert` logs the same line (the keyword list
//!   is parsed by tls_log_mask), and nothing else of level 2;
//! - with `smtpd_client_port_logging = yes` the client is `name[addr]:port`.

use std::process::Command;

use crate::live::{self, Client, EC, Instance, make_cert, rcpt, run_ok};
use crate::test::Test;

const TEST: &str = "learn_live";

/// openssl's fingerprint of a certificate (cert or public key), as Postfix logs it.
fn openssl_fp(openssl: &std::path::Path, c: &Client, pubkey: bool) -> String {
    if pubkey {
        let der = run_ok(
            Command::new(openssl)
                .args(["x509", "-noout", "-pubkey", "-in"])
                .arg(&c.cert),
        );
        let mut child = Command::new(openssl)
            .args(["pkey", "-pubin", "-outform", "DER"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(&der.stdout).unwrap();
        let out = child.wait_with_output().unwrap();
        let digest = Command::new("sha256sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut d = digest;
        d.stdin.take().unwrap().write_all(&out.stdout).unwrap();
        let hex = String::from_utf8(d.wait_with_output().unwrap().stdout).unwrap();
        let hex = hex.split_whitespace().next().unwrap().to_ascii_uppercase();
        hex.as_bytes()
            .chunks(2)
            .map(|p| std::str::from_utf8(p).unwrap())
            .collect::<Vec<_>>()
            .join(":")
    } else {
        let out = run_ok(
            Command::new(openssl)
                .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
                .arg(&c.cert),
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .rsplit_once('=')
            .unwrap()
            .1
            .to_string()
    }
}

/// The `fingerprint=` and `pkey_fingerprint=` smtpd logged for `cn`.
fn logged_fps(log: &str, cn: &str) -> (String, String) {
    let line = log
        .lines()
        .find(|l| l.contains(&format!("subject_CN={cn},")))
        .unwrap_or_else(|| panic!("smtpd logged no certificate line for {cn}:\n{log}"));
    let field = |name: &str| {
        line.split(&format!(" {name}="))
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .to_string()
    };
    (field("fingerprint"), field("pkey_fingerprint"))
}

/// The clients `ccert log --format json` lists, by subject CN.
fn log_json(inst: &Instance, extra: &[&str]) -> Vec<serde_json::Value> {
    let logfile = inst.path("log/postfix.log");
    let mut args = vec!["log", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(logfile.to_str().unwrap());
    // Exit 1: some client in the log is not listed, in every call here.
    let out = inst.ccert(&args).status(1).run().stdout;
    serde_json::from_str::<serde_json::Value>(&out)
        .unwrap_or_else(|e| panic!("ccert log: {e}\n{out}"))
        .as_array()
        .unwrap()
        .clone()
}

fn by_cn<'a>(rows: &'a [serde_json::Value], cn: &str) -> Option<&'a serde_json::Value> {
    rows.iter().find(|r| r["subject_cn"] == cn)
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
fn log_then_add_by_fingerprint() {
    let Some(tools) = live::tools(TEST) else {
        return;
    };
    let mut inst = Instance::new(&tools, TEST);
    let table = inst.table("hash");
    let lvl2 = inst.listener("lvl2", &table, &["smtpd_tls_loglevel=2"]);
    let peercert = inst.listener(
        "peercert",
        &table,
        &[
            "{smtpd_tls_loglevel=1, peercert}",
            "smtpd_client_port_logging=yes",
        ],
    );
    let lvl1 = inst.listener("lvl1", &table, &[]);
    std::fs::write(inst.source(), "").unwrap();
    inst.ccert(&["compile", &table]).run();
    inst.start();

    let certs = inst.path("certs");
    let stranger = make_cert(&tools.openssl, &certs, "stranger", &EC);
    let other = make_cert(&tools.openssl, &certs, "other", &EC);
    let quiet = make_cert(&tools.openssl, &certs, "quiet", &EC);
    assert_eq!(rcpt(&tools.swaks, lvl2, Some(&stranger)).code, 554);
    assert_eq!(rcpt(&tools.swaks, lvl2, Some(&stranger)).code, 554);
    assert_eq!(rcpt(&tools.swaks, peercert, Some(&other)).code, 554);
    assert_eq!(rcpt(&tools.swaks, lvl1, Some(&quiet)).code, 554);
    let log = inst.log();

    // smtpd's own fingerprints are openssl's (sha256, upper case with colons).
    let (fp, pkfp) = logged_fps(&log, "stranger.example");
    assert_eq!(fp, openssl_fp(&tools.openssl, &stranger, false));
    assert_eq!(pkfp, openssl_fp(&tools.openssl, &stranger, true));
    // `1, peercert` shows the fingerprints (with the client port) and no level-2 chatter.
    let (other_fp, other_pk) = logged_fps(&log, "other.example");
    assert!(log.contains("localhost[127.0.0.1]:"), "{log}");
    assert!(
        !log.lines()
            .any(|l| l.contains("postfix/peercert/") && l.contains("SSL_accept")),
        "{log}"
    );
    // Level 1 shows none.
    assert!(!log.contains("subject_CN=quiet.example"), "{log}");

    // `ccert log` lists both unknown clients with exactly those fingerprints.
    let rows = log_json(&inst, &[]);
    let s = by_cn(&rows, "stranger.example").expect("stranger listed");
    assert_eq!(s["cert_fingerprint"], fp.as_str());
    assert_eq!(s["pkey_fingerprint"], pkfp.as_str());
    assert_eq!(s["client"], "localhost[127.0.0.1]");
    assert_eq!(s["syslog_name"], "postfix/lvl2");
    assert_eq!(s["connections"], 2);
    assert_eq!(s["rcpt_rejected"], 2);
    assert_eq!(s["digest"], "sha256");
    assert_eq!(s["listed_as"], serde_json::Value::Null);
    let o = by_cn(&rows, "other.example").expect("other listed");
    assert_eq!(o["cert_fingerprint"], other_fp.as_str());
    assert_eq!(o["pkey_fingerprint"], other_pk.as_str());
    assert_eq!(o["rcpt_rejected"], 1);
    // Unknown clients make `ccert log` exit 1.
    inst.ccert(&["log", inst.path("log/postfix.log").to_str().unwrap()])
        .env("COLUMNS", "200")
        .status(1)
        .stdout_contains(&pkfp)
        .run();

    // Standard input works too.
    inst.ccert(&["log", "--format", "json", "-"])
        .stdin(std::fs::read(inst.path("log/postfix.log")).unwrap())
        .status(1)
        .stdout_contains(&pkfp)
        .run();

    // A fingerprint of the wrong length for the digest is refused.
    inst.ccert(&[
        "add",
        "--fingerprint",
        "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01",
        "--name",
        "x",
    ])
    .status(1)
    .stderr_contains("sha1 fingerprint, but the digest is sha256")
    .run();

    // Adding the logged public-key fingerprint lets the next relay through.
    inst.ccert(&[
        "add",
        "--fingerprint",
        &pkfp,
        "--pubkey",
        "--name",
        "stranger",
    ])
    .stderr(inst.rebuilt(&["hash"]))
    .run();
    let source = std::fs::read_to_string(inst.source()).unwrap();
    assert!(
        source.contains("type=pubkey") && source.contains("from=fingerprint"),
        "{source}"
    );
    let reply = rcpt(&tools.swaks, lvl2, Some(&stranger));
    assert_eq!(reply.code, 250, "{}\n{}", reply.transcript, inst.log());
    // Now listed: gone from the default view, marked in --all.
    let rows = log_json(&inst, &[]);
    assert!(by_cn(&rows, "stranger.example").is_none());
    let all = log_json(&inst, &["--all"]);
    let s = by_cn(&all, "stranger.example").unwrap();
    assert_eq!(s["listed_as"], "stranger");
    assert_eq!(s["listed_by_pubkey"], true);

    // Same duplicate rules as `add CERT`.
    inst.ccert(&["add", "--fingerprint", &pkfp, "--name", "renamed"])
        .status(1)
        .stderr_contains("already present with the name \"stranger\"")
        .run();

    // --approve refuses without a terminal ...
    inst.ccert(&[
        "log",
        "--approve",
        inst.path("log/postfix.log").to_str().unwrap(),
    ])
    .status(1)
    .stderr_contains("standard input is not a terminal")
    .run();
    // ... and in a pseudo-terminal (script(1)) adds `other` by its certificate fingerprint.
    approve_in_pty(&inst, &["y", "other-host\r", "n"]);
    let source = std::fs::read_to_string(inst.source()).unwrap();
    assert!(
        source.contains(&format!("{other_fp} other-host")),
        "{source}"
    );
    let reply = rcpt(&tools.swaks, peercert, Some(&other));
    assert_eq!(reply.code, 250, "{}\n{}", reply.transcript, inst.log());

    // doctor: the level-1 listener inherits main.cf's level, which hides fingerprints.
    let out = inst.ccert(&["doctor", "--format", "json"]).run().stdout;
    let findings: serde_json::Value = serde_json::from_str(&out).unwrap();
    let notes: Vec<_> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .contains("smtpd_tls_loglevel")
        })
        .collect();
    assert_eq!(notes.len(), 1, "{findings:#}");
    assert_eq!(notes[0]["severity"], "note");
    assert_eq!(
        notes[0]["fix"],
        "change that main.cf line to: smtpd_tls_loglevel = 1, peercert"
    );

    // rehash cannot re-fingerprint entries added by fingerprint.
    inst.ccert(&["rehash", "--digest", "sha512"])
        .status(1)
        .stderr_contains("added by fingerprint")
        .run();
    inst.ccert(&["rehash", "--digest", "sha256", "--skip-unknown"])
        .stderr_contains("--skip-unknown")
        .run();
}

/// Runs `ccert log --approve` in a pseudo-terminal made by script(1),
/// typing `keys` one answer at a time.
fn approve_in_pty(inst: &Instance, keys: &[&str]) {
    inst.ccert(&[
        "log",
        "--approve",
        inst.path("log/postfix.log").to_str().unwrap(),
    ])
    .pty()
    .stdin_typed(keys, std::time::Duration::from_millis(700))
    .run();
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
fn probe_verdicts() {
    let Some(tools) = live::tools("probe_verdicts") else {
        return;
    };
    let mut inst = Instance::new(&tools, "probe_verdicts");
    let table = inst.table("hash");
    let asks = inst.listener("asks", &table, &[]);
    let no_ask = inst.listener("noask", &table, &["smtpd_tls_ask_ccert=no"]);
    let missing = format!("hash:{}", inst.path("conf/missing").display());
    let broken = inst.listener("broken", &missing, &[]);
    // With smtpd_tls_CAfile, the CertificateRequest names its CAs.
    let ca_file = format!(
        "smtpd_tls_CAfile={}",
        inst.path("certs/server.pem").display()
    );
    let with_ca = inst.listener("withca", &table, &[&ca_file]);
    // permit_mynetworks first: 127.0.0.1 relays with or without a certificate.
    let mynet = inst.listener(
        "mynet",
        &table,
        &["smtpd_relay_restrictions=permit_mynetworks,permit_tls_clientcerts,reject"],
    );
    // Debian's default list ends in defer_unauth_destination: 454 Relay access denied.
    let defer = inst.listener(
        "defer",
        &table,
        &["smtpd_relay_restrictions=permit_tls_clientcerts,defer_unauth_destination"],
    );
    let certs = inst.path("certs");
    let listed = make_cert(&tools.openssl, &certs, "listed", &EC);
    let unlisted = make_cert(&tools.openssl, &certs, "unlisted", &["rsa:2048"]);
    inst.ccert(&["add", listed.cert.to_str().unwrap(), "--name", "listed"])
        .run();
    inst.ccert(&["compile", &table]).run();
    inst.start();

    // Exit 0 for a permitted relay, 1 for every other verdict.
    let probe = |port: u16, c: &Client, code: i32| -> (i32, serde_json::Value) {
        let out = inst
            .ccert(&[
                "probe",
                &format!("127.0.0.1:{port}"),
                "--cert",
                c.cert.to_str().unwrap(),
                "--key",
                c.key.to_str().unwrap(),
                "--format",
                "json",
            ])
            .status(code)
            .run()
            .stdout;
        let v = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("probe: {e}\n{out}\n{}", inst.log()));
        (code, v)
    };
    let (code, v) = probe(asks, &listed, 0);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (0, Some("permitted")),
        "{v:#}\n{}",
        inst.log()
    );
    assert_eq!(v["client_cert_requested"], true);
    // The second session, without the certificate, was refused: it mattered.
    assert_eq!(v["rcpt_without_certificate"]["code"], 554, "{v:#}");
    assert_eq!(v["tls_version"], "TLSv1.3");
    assert_eq!(
        v["cert_fingerprint"],
        openssl_fp(&tools.openssl, &listed, false).as_str()
    );
    assert_eq!(
        v["pkey_fingerprint"],
        openssl_fp(&tools.openssl, &listed, true).as_str()
    );
    assert_eq!(v["rcpt_reply"]["code"], 250);
    assert!(
        v["server_subject"]
            .as_str()
            .unwrap()
            .contains("server.example"),
        "{v:#}"
    );

    assert_eq!(v["ca_names"], serde_json::json!([]));
    let (code, v) = probe(with_ca, &listed, 0);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (0, Some("permitted")),
        "{v:#}"
    );
    assert_eq!(
        v["ca_names"],
        serde_json::json!(["CN=server.example"]),
        "{v:#}"
    );

    let (code, v) = probe(asks, &unlisted, 1);
    assert_eq!((code, v["verdict"].as_str()), (1, Some("refused")), "{v:#}");
    assert_eq!(v["rcpt_reply"]["code"], 554);
    assert!(
        v["diagnosis"]
            .as_str()
            .unwrap()
            .contains("add one of these sha256 fingerprints")
    );

    let (code, v) = probe(no_ask, &listed, 1);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (1, Some("no-certificate-requested")),
        "{v:#}"
    );
    assert_eq!(v["client_cert_requested"], false);
    assert!(
        v["diagnosis"]
            .as_str()
            .unwrap()
            .contains("smtpd_tls_ask_ccert = yes")
    );

    let (code, v) = probe(broken, &listed, 1);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (1, Some("temporary-failure")),
        "{v:#}\n{}",
        inst.log()
    );
    assert_eq!(v["rcpt_reply"]["code"], 451);

    // An unlisted certificate from 127.0.0.1 relays through
    // permit_mynetworks: not "permitted", and the probe says why.
    let (code, v) = probe(mynet, &unlisted, 1);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (1, Some("permitted-without-certificate")),
        "{v:#}"
    );
    assert_eq!(v["rcpt_without_certificate"]["code"], 250, "{v:#}");
    assert!(
        v["diagnosis"]
            .as_str()
            .unwrap()
            .contains("permit_mynetworks"),
        "{v:#}"
    );
    // 454 Relay access denied is a refusal, not a failed lookup.
    let (code, v) = probe(defer, &unlisted, 1);
    assert_eq!((code, v["verdict"].as_str()), (1, Some("refused")), "{v:#}");
    assert_eq!(v["rcpt_reply"]["code"], 454, "{v:#}");
    let diagnosis = v["diagnosis"].as_str().unwrap();
    assert!(
        diagnosis.contains("defer_unauth_destination")
            && diagnosis.contains("not listed")
            && !diagnosis.contains("lookup"),
        "{v:#}"
    );
    // The lookup failure says so.
    let (_, v) = probe(broken, &listed, 1);
    assert!(
        v["diagnosis"]
            .as_str()
            .unwrap()
            .contains("a table lookup failed"),
        "{v:#}"
    );

    // The text report of a permitted relay.
    let out = inst
        .ccert(&[
            "probe",
            &format!("127.0.0.1:{asks}"),
            "--cert",
            listed.cert.to_str().unwrap(),
            "--key",
            listed.key.to_str().unwrap(),
        ])
        .run()
        .stdout;
    assert!(
        out.contains("verdict:       permitted: relaying permitted"),
        "{out}"
    );
    assert!(out.contains("client cert:   requested"), "{out}");

    // --rpk against Postfix 3.7 (OpenSSL 3.0 cannot do RFC 7250).
    let out = inst
        .ccert(&[
            "probe",
            &format!("127.0.0.1:{asks}"),
            "--rpk",
            "--cert",
            listed.cert.to_str().unwrap(),
            "--key",
            listed.key.to_str().unwrap(),
        ])
        .status(1)
        .run()
        .stdout;
    assert!(
        out.contains("verdict:       tls-refused")
            && out.contains("did not accept a raw public key"),
        "{out}"
    );

    // A port where nothing speaks TLS: the text report, exit 1.
    let out = inst
        .ccert(&[
            "probe",
            &format!("127.0.0.1:{asks}"),
            "--tls",
            "--cert",
            listed.cert.to_str().unwrap(),
            "--key",
            listed.key.to_str().unwrap(),
            "--timeout",
            "5",
        ])
        .status(1)
        .run()
        .stdout;
    assert!(out.contains("verdict:       tls-refused"), "{out}");
}

const FP_A: &str = "B3:6D:99:77:D7:EB:F0:7E:3C:25:19:B9:88:2C:0F:6D:5D:81:60:CD:FF:5E:4A:A7:66:92:05:B6:FE:22:1E:FB";
const PK_A: &str = "9A:EA:D9:91:62:0C:D0:C4:FF:61:8A:DF:0B:ED:59:02:5B:C6:89:47:30:0C:E0:C9:C4:2C:95:DA:12:EB:73:C7";
const PK_C: &str = "11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF";

fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// Rotated and compressed logs found through maillog_file, both formats, the
/// digest of the service that logged each line, listed entries, --since.
#[test]
fn log_reads_rotated_logs_with_each_services_digest() {
    let a37 = |day: u8, pid: u32| {
        format!(
            "Nov {day} 10:00:00 mx postfix/submission/smtpd[{pid}]: laptop[192.0.2.1]: subject_CN=laptop, issuer=Example CA, fingerprint={FP_A}, pkey_fingerprint={PK_A}\n"
        )
    };
    let reject = |day: u8, pid: u32| {
        format!(
            "Nov {day} 10:00:01 mx postfix/submission/smtpd[{pid}]: NOQUEUE: reject: RCPT from laptop[192.0.2.1]: 554 5.7.1 <a@b.example>: Relay access denied; from=<x@y> to=<a@b.example> proto=ESMTP helo=<laptop>\n"
        )
    };
    let t = Test::new();
    let dir = t.dir().to_path_buf();
    let t = t
        .file(
            "postfix-config/main.cf",
            format!(
                "compatibility_level = 3.6\nmaillog_file = {}/log/mail.log\n",
                dir.display()
            ),
        )
        .file(
            "postfix-config/master.cf",
            "submission inet n - y - - smtpd\n  -o syslog_name=postfix/submission\n\
             legacy inet n - y - - smtpd\n  -o syslog_name=postfix/legacy\n  -o smtpd_tls_fingerprint_digest=md5\n",
        )
        .file("log/mail.log.2.gz", gzip(&(a37(20, 7) + &reject(20, 7) + &reject(20, 8))))
        .file("log/mail.log.1", a37(21, 9))
        .file(
            "log/mail.log",
            format!(
                // The md5 service logging a sha256-long fingerprint: unusable.
                "Nov 22 10:00:00 mx postfix/legacy/smtpd[10]: old[192.0.2.2]: subject_CN=old, issuer=old, fingerprint={FP_A}, pkey_fingerprint={PK_C}\n\
                 2026-01-02T03:04:05.000000+00:00 mx postfix/submission/smtpd[11]: rpk[2001:db8::7]:2525: raw public key fingerprint={PK_C}\n\
                 Nov 22 10:00:02 mx postfix/submission/smtpd[12]: listed[192.0.2.3]: subject_CN=listed, issuer=x, cert fingerprint={PK_A}\n"
            ),
        )
        .file("clientcerts", format!("{} listed-host\n", PK_A.to_ascii_lowercase()));
    let done = t
        .args(["--map", "clientcerts", "log", "--format", "json", "--all"])
        .status(1)
        .run();
    let rows: serde_json::Value = serde_json::from_str(&done.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    let laptop = by_cn(rows, "laptop").unwrap();
    assert_eq!(laptop["connections"], 2, "{laptop:#}");
    // The refusal of pid 8 has no certificate line in its session.
    assert_eq!(laptop["rcpt_rejected"], 1);
    assert!(
        laptop["first_seen"]
            .as_str()
            .unwrap()
            .contains("-11-20T10:00:00")
    );
    assert!(
        laptop["last_seen"]
            .as_str()
            .unwrap()
            .contains("-11-21T10:00:00")
    );
    assert_eq!(laptop["digest_from"], "service");
    // Listed through its public key, though the row is shown (--all).
    assert_eq!(laptop["listed_as"], "listed-host");
    let old = by_cn(rows, "old").unwrap();
    assert_eq!(old["digest"], "md5");
    assert!(
        old["unusable"].as_str().unwrap().contains("sha256 length"),
        "{old:#}"
    );
    let rpk = rows.iter().find(|r| r["raw_public_key"] == true).unwrap();
    assert_eq!(rpk["client"], "rpk[2001:db8::7]");
    assert_eq!(rpk["pkey_fingerprint"], PK_C);

    // Default view: only the unknown ones; --since drops the January line.
    let done = done
        .then()
        .args([
            "--map",
            "clientcerts",
            "log",
            "--format",
            "json",
            "--since",
            "2026-06-01",
        ])
        .status(1)
        .run();
    let rows: serde_json::Value = serde_json::from_str(&done.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(by_cn(rows, "laptop").is_none());
    assert!(by_cn(rows, "old").is_some());
    assert!(
        !rows.iter().any(|r| r["raw_public_key"] == true),
        "{rows:#?}"
    );
    // A fingerprint too long for the digest is refused by add as well.
    done.then()
        .args([
            "--map",
            "clientcerts",
            "add",
            "--fingerprint",
            PK_C,
            "--name",
            "x",
            "--digest",
            "md5",
        ])
        .status(1)
        .stderr_contains("sha256 fingerprint, but the digest is md5")
        .run();
}

/// `add --fingerprint`: annotation, duplicate and --replace rules, digest
/// fit; `rehash` explains such entries and leaves them only with --skip-unknown.
#[test]
fn add_by_fingerprint_then_rehash() {
    let lower = PK_A.to_ascii_lowercase().replace(':', "");
    let done = Test::new()
        .fixture("rsa.pem")
        .args([
            "--map",
            "clientcerts",
            "add",
            "--fingerprint",
            &lower,
            "--pubkey",
            "--name",
            "laptop",
            "--no-compile",
        ])
        .stdout_contains(format!("added {PK_A} laptop"))
        .run();
    let text = String::from_utf8(done.read("clientcerts")).unwrap();
    let mut lines = text.lines();
    let note = lines.next().unwrap();
    assert!(
        note.starts_with("# ccert: added=")
            && note.contains(" digest=sha256 type=pubkey fp=9A:EA:D9:91 from=fingerprint"),
        "{text}"
    );
    assert_eq!(lines.next(), Some(format!("{PK_A} laptop").as_str()));
    // `list` reads the annotation back.
    let done = done
        .then()
        .args(["--map", "clientcerts", "list", "--format", "json"])
        .stdout_contains("\"pubkey\": true")
        .run();
    let done = done
        .then()
        .args(["--map", "clientcerts", "add", "--fingerprint", PK_A, "--name", "laptop"])
        .stderr_contains("already in")
        .run()
        .then()
        .args(["--map", "clientcerts", "add", "--fingerprint", PK_A, "--name", "other"])
        .status(1)
        .stderr_contains("already present with the name \"laptop\", not \"other\"; nothing changed (use --replace")
        .run()
        .then()
        .args(["--map", "clientcerts", "add", "--fingerprint", PK_A, "--name", "other", "--replace", "--no-compile"])
        .stdout_contains("renamed")
        .run()
        .then()
        .args(["--map", "clientcerts", "add", "--fingerprint", "not-hex", "--name", "x"])
        .status(1)
        .stderr_contains("not a fingerprint")
        .run()
        .then()
        .args(["--map", "clientcerts", "add", "--fingerprint", PK_A])
        .status(1)
        .stderr_contains("--name")
        .run();
    // A certificate entry next to it, which rehash can redo.
    let done = done
        .then()
        .args(["--map", "clientcerts", "add", "rsa.pem", "--no-compile"])
        .run()
        .then()
        .args([
            "--map",
            "clientcerts",
            "rehash",
            "--digest",
            "sha512",
            "--no-compile",
        ])
        .status(1)
        .stderr_contains("(added by fingerprint: there is no certificate to re-fingerprint)")
        .stderr_contains("--skip-unknown")
        .run();
    let before = done.read("clientcerts");
    let done = done
        .then()
        .args([
            "--map",
            "clientcerts",
            "rehash",
            "--digest",
            "sha512",
            "--skip-unknown",
            "--no-compile",
        ])
        .stderr_contains("left as they are")
        .stdout_contains("rewrote 1 of 1 entries")
        .run();
    let after = String::from_utf8(done.read("clientcerts")).unwrap();
    assert_ne!(before, after.as_bytes());
    assert!(after.contains(&format!("{PK_A} other")), "{after}");
}

/// A journal file as systemd writes it: `systemd-journal-remote` turns an
/// export-format stream into one. smtpd's sighting of a client certificate
/// (under a submission syslog_name, as Debian 12's `postfix@-.service`
/// logs it), a line of another daemon, and the time they happened.
fn journal_file(dir: &std::path::Path) -> std::path::PathBuf {
    let message = "localhost[127.0.0.1]: subject_CN=laptop, issuer=laptop, \
        fingerprint=B3:6D:99:77:D7:EB:F0:7E:3C:25:19:B9:88:2C:0F:6D:5D:81:60:CD:FF:5E:4A:A7:66:92:\
        05:B6:FE:22:1E:FB, pkey_fingerprint=9A:EA:D9:91:62:0C:D0:C4:FF:61:8A:DF:0B:ED:59:02:5B:C6:\
        89:47:30:0C:E0:C9:C4:2C:95:DA:12:EB:73:C7";
    let entry = |usec: u64, mono: u64, ident: &str, comm: &str, msg: &str| {
        format!(
            "__REALTIME_TIMESTAMP={usec}\n__MONOTONIC_TIMESTAMP={mono}\n\
             _BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=mx\n\
             SYSLOG_IDENTIFIER={ident}\n_PID=8240\n_COMM={comm}\nMESSAGE={msg}\n\n"
        )
    };
    // 2026-11-25 19:05:58 UTC, and a second later.
    let export = entry(
        1_764_097_558_000_000,
        1000,
        "postfix/submission/smtpd",
        "smtpd",
        message,
    ) + &entry(
        1_764_097_559_000_000,
        2000,
        "postfix/qmgr",
        "qmgr",
        "ABC123: removed",
    );
    let file = dir.join("system.journal");
    let mut child = Command::new(JOURNAL_REMOTE)
        .arg("-o")
        .arg(&file)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("running systemd-journal-remote");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), export.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "systemd-journal-remote");
    file
}

/// Where Debian's systemd-journal-remote package puts the program.
const JOURNAL_REMOTE: &str = "/lib/systemd/systemd-journal-remote";

/// `ccert log` reads the journal itself: a journal file named on the
/// command line (`journalctl --file`), and, when no log file exists (Debian
/// 12 has no /var/log/mail.log), the system journal, here a journalctl on
/// PATH that reads that file. Only smtpd's lines (`_COMM=smtpd`) are read.
#[test]
#[cfg_attr(
    ccert_missing = "systemd-journal-remote",
    ignore = "needs systemd-journal-remote"
)]
fn log_reads_the_journal() {
    if crate::oracle::require("journalctl", "log_reads_the_journal").is_none()
        || (!std::path::Path::new(JOURNAL_REMOTE).is_file()
            && crate::oracle::require("systemd-journal-remote", "log_reads_the_journal").is_none())
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_file(dir.path());
    let main = "compatibility_level = 3.6\nmaillog_file = /nonexistent/mail.log\n";
    let check = |out: crate::test::Finished| {
        let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 1, "{}", out.stdout);
        assert_eq!(rows[0]["client"], "localhost[127.0.0.1]");
        assert_eq!(rows[0]["syslog_name"], "postfix/submission");
        assert_eq!(rows[0]["first_seen"], "2026-11-25T19:05:58Z");
        assert!(
            rows[0]["cert_fingerprint"]
                .as_str()
                .unwrap()
                .starts_with("B3:6D:99")
        );
    };
    check(
        Test::new()
            .file("postfix-config/main.cf", main)
            .env("TZ", "UTC")
            .args(["log", "--format", "json"])
            .arg(journal.to_str().unwrap())
            .status(1)
            .stderr_contains("does not exist yet: every client is unknown")
            .run(),
    );
    // The table fits the terminal as list's does: fingerprints shortened
    // below 150 columns, whole from there.
    for (columns, fingerprint) in [
        (80, "B3:6D:99:77:…1E:FB"),
        (100, "B3:6D:99:77:…1E:FB"),
        (
            200,
            "B3:6D:99:77:D7:EB:F0:7E:3C:25:19:B9:88:2C:0F:6D:5D:81:60:CD:FF:5E:4A:A7:66:92:05:B6:FE:22:1E:FB",
        ),
    ] {
        let out = Test::new()
            .file("postfix-config/main.cf", main)
            .env("TZ", "UTC")
            .env("COLUMNS", columns.to_string())
            .args(["log"])
            .arg(journal.to_str().unwrap())
            .status(1)
            .any_stderr()
            .stdout_contains(fingerprint)
            .run();
        for line in out.stdout.lines() {
            assert!(
                line.chars().count() <= columns,
                "wider than {columns}: {line:?}\n{}",
                out.stdout
            );
        }
    }
    // No log file: `journalctl _COMM=smtpd` (this one reads the file).
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let real = crate::oracle::find("journalctl").unwrap();
    std::fs::write(
        bin.join("journalctl"),
        format!(
            "#!/bin/sh\nexec {} --file {} \"$@\"\n",
            real.display(),
            journal.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        bin.join("journalctl"),
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
    )
    .unwrap();
    check(
        Test::new()
            .file("postfix-config/main.cf", main)
            .env("TZ", "UTC")
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .args(["log", "--format", "json"])
            .status(1)
            .stderr_contains("does not exist yet: every client is unknown")
            .run(),
    );
}
