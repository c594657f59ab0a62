//! `ccert revoke`: the entry goes from the allow list and the certificate's
//! fingerprints go into the deny table (a check_ccert_access table before
//! permit_tls_clientcerts) as `REJECT` entries, so a stale copy of the list
//! cannot let it relay again. Proven against a live smtpd with swaks; the
//! CRL is made by the openssl CLI; doctor's deny-table findings.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::live::{self, Instance};
use crate::oracle;
use crate::test::Test;

/// main.cf with a deny table before the permit (main.cf alone, no master.cf
/// services: the lists are main.cf's).
fn main_cf(relay: &str) -> String {
    format!(
        "compatibility_level = 3.6\n\
         smtpd_tls_security_level = may\n\
         smtpd_tls_ask_ccert = yes\n\
         smtpd_relay_restrictions = {relay}\n\
         relay_clientcerts = cdb:$config_directory/clientcerts\n"
    )
}

const WITH_DENY: &str =
    "check_ccert_access cdb:$config_directory/revoked_clientcerts, permit_tls_clientcerts, reject";

/// A self-signed certificate `<dir>/<name>.pem` made by openssl.
fn cert(openssl: &Path, dir: &Path, name: &str) -> PathBuf {
    live::make_cert(openssl, dir, name, &live::EC).cert
}

/// openssl's fingerprint of `cert` (`sha256`, or the public key's with `pubkey`).
fn openssl_fp(openssl: &Path, cert: &Path, pubkey: bool) -> String {
    if pubkey {
        let script = format!(
            "{o} x509 -in '{c}' -noout -pubkey | {o} pkey -pubin -outform DER | {o} dgst -sha256 -c",
            o = openssl.display(),
            c = cert.display()
        );
        let out = Command::new("sh").args(["-c", &script]).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        text.rsplit("= ")
            .next()
            .unwrap()
            .trim()
            .to_ascii_uppercase()
    } else {
        let out = oracle::run_ok(
            openssl,
            &[
                "x509",
                "-in",
                cert.to_str().unwrap(),
                "-noout",
                "-fingerprint",
                "-sha256",
            ],
        );
        out.trim().rsplit('=').next().unwrap().to_string()
    }
}

/// The certificate and public-key fingerprints of a revoked certificate
/// are in the deny table as `REJECT` entries with ccert's comment (name and
/// date), the entry left the list, and the tables of both were built.
#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn revoke_denies_both_fingerprints_and_removes_the_entry() {
    let Some(openssl) = oracle::require("openssl", "revoke_denies_both_fingerprints") else {
        return;
    };
    let t = Test::new().file("postfix-config/main.cf", main_cf(WITH_DENY));
    let conf = t.dir().join("postfix-config");
    let laptop = cert(&openssl, t.dir(), "laptop");
    let desk = cert(&openssl, t.dir(), "desk");
    let added = t
        .args(["add", laptop.to_str().unwrap(), desk.to_str().unwrap()])
        .any_stderr()
        .run();
    let before = fs::read_to_string(conf.join("clientcerts")).unwrap();
    // --dry-run says what would happen and changes nothing.
    let dry = added
        .then()
        .args(["revoke", "--name", "laptop.example", "--dry-run"])
        .stdout("dry run: nothing changed\n")
        .stderr_contains("2 entries to deny in cdb:")
        .run();
    assert_eq!(
        fs::read_to_string(conf.join("clientcerts")).unwrap(),
        before
    );
    assert!(!conf.join("revoked_clientcerts").exists());
    // Without a terminal and without --yes: refused, nothing changed.
    let refused = dry
        .then()
        .args(["revoke", "--name", "laptop.example"])
        .status(1)
        .stderr_contains("refusing to revoke without confirmation")
        .run();
    assert_eq!(
        fs::read_to_string(conf.join("clientcerts")).unwrap(),
        before
    );
    let done = refused
        .then()
        .args([
            "revoke",
            "--name",
            "laptop.example",
            "--reason",
            "stolen 2026-12-07",
            "--yes",
        ])
        .stdout_contains("denied 2 fingerprints in ")
        .stdout_contains("removed 1 entry from ")
        .stderr_contains("ccert: built ")
        .any_stderr()
        .run();
    let list = fs::read_to_string(conf.join("clientcerts")).unwrap();
    assert!(!list.contains(" laptop.example"), "{list}");
    assert!(list.contains(" desk.example"), "{list}");
    let deny = fs::read_to_string(conf.join("revoked_clientcerts")).unwrap();
    for pubkey in [false, true] {
        let fp = openssl_fp(&openssl, &laptop, pubkey);
        assert!(
            deny.contains(&format!(
                "\n{fp} REJECT client certificate revoked: stolen 2026-12-07\n"
            )),
            "{fp} (pubkey {pubkey}) not denied:\n{deny}"
        );
    }
    let today = time::OffsetDateTime::now_utc().date().to_string();
    assert_eq!(
        deny.lines()
            .filter(|l| l.starts_with("# ccert: ")
                && l.contains(" name=laptop.example ")
                && l.contains(&format!("added={today}")))
            .count(),
        2,
        "{deny}"
    );
    assert!(conf.join("revoked_clientcerts.cdb").exists());
    // The same revocation again: nothing left to remove.
    done.then()
        .args(["revoke", "--name", "laptop.example", "--yes"])
        .status(1)
        .stderr_contains("no entry matches the name \"laptop.example\"")
        .run();
}

/// A reason with a line break (it would end the table entry) or beyond the
/// bound is refused before anything is read or written.
#[test]
fn revoke_refuses_a_bad_reason_and_changes_nothing() {
    let t = Test::new().file("postfix-config/main.cf", main_cf(WITH_DENY));
    let fp = "AB:".repeat(31) + "AB";
    let out = t
        .args([
            "revoke",
            "--fingerprint",
            &fp,
            "--reason",
            "a\nREJECT",
            "--yes",
        ])
        .status(1)
        .stderr_contains("--reason: only printable ASCII is allowed")
        .run();
    let out = out
        .then()
        .args([
            "revoke",
            "--fingerprint",
            &fp,
            "--reason",
            &"x".repeat(201),
            "--yes",
        ])
        .status(1)
        .stderr_contains("--reason: longer than 200 bytes")
        .run();
    assert!(!out.path("postfix-config/revoked_clientcerts").exists());
}

/// Without a deny table the entry is still removed (exit 0), and ccert
/// says that it does not stick and exactly what to add: the service's list
/// with check_ccert_access before permit_tls_clientcerts, the command that
/// creates the table, and the revoke commands that deny what was removed.
#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn without_a_deny_table_revoke_removes_and_says_what_to_add() {
    let Some(openssl) = oracle::require("openssl", "without_a_deny_table") else {
        return;
    };
    let master = "submission inet n - y - - smtpd\n  \
                  -o smtpd_tls_security_level=encrypt\n  \
                  -o smtpd_tls_ask_ccert=yes\n  \
                  -o smtpd_relay_restrictions=permit_sasl_authenticated,permit_tls_clientcerts,reject\n";
    let t = Test::new()
        .file(
            "postfix-config/main.cf",
            "compatibility_level = 3.6\nrelay_clientcerts = cdb:$config_directory/clientcerts\n",
        )
        .file("postfix-config/master.cf", master);
    let conf = fs::canonicalize(t.dir()).unwrap().join("postfix-config");
    let laptop = cert(&openssl, t.dir(), "laptop");
    let fp = openssl_fp(&openssl, &laptop, false);
    let pkfp = openssl_fp(&openssl, &laptop, true);
    let out = t
        .args(["add", laptop.to_str().unwrap()])
        .any_stderr()
        .run()
        .then()
        .args(["revoke", laptop.to_str().unwrap(), "--yes"])
        .stdout_contains("removed 1 entry from ")
        .stderr_contains(
            "ccert: warning: submission/inet has no check_ccert_access deny table before permit_tls_clientcerts: the removal does not stick there",
        )
        .stderr_contains(format!(
            "  {}/master.cf, line 4 (submission/inet): -o smtpd_relay_restrictions=permit_sasl_authenticated,check_ccert_access,cdb:{}/revoked_clientcerts,permit_tls_clientcerts,reject\n",
            conf.display(),
            conf.display()
        ))
        .stderr_contains(format!(
            "  then: touch {c}/revoked_clientcerts && ccert compile cdb:{c}/revoked_clientcerts && postfix reload\n",
            c = conf.display()
        ))
        .stderr_contains(format!("    ccert revoke --fingerprint {fp} --yes\n"))
        .stderr_contains(format!("    ccert revoke --fingerprint {pkfp} --yes\n"))
        .any_stderr()
        .run();
    let list = fs::read_to_string(out.path("postfix-config/clientcerts")).unwrap();
    assert!(!list.contains("laptop.example"), "{list}");
    assert!(!out.path("postfix-config/revoked_clientcerts").exists());
}

/// A small CA made with the openssl CLI: `openssl ca` keeps its database
/// and signs the CRL.
pub(crate) struct Ca {
    dir: PathBuf,
    openssl: PathBuf,
}

impl Ca {
    pub(crate) fn new(openssl: &Path, dir: &Path, subject: &str) -> Ca {
        let dir = dir.join("ca");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("index.txt"), "").unwrap();
        fs::write(dir.join("crlnumber"), "01\n").unwrap();
        fs::write(
            dir.join("ca.cnf"),
            "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\n\
             default_md = sha256\ndefault_crl_days = 30\n",
        )
        .unwrap();
        let ca = Ca {
            dir,
            openssl: openssl.to_path_buf(),
        };
        ca.run(&[
            "req",
            "-x509",
            "-nodes",
            "-days",
            "30",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            subject,
        ]);
        ca
    }

    fn run(&self, args: &[&str]) {
        live::run_ok(
            Command::new(&self.openssl)
                .args(args)
                .current_dir(&self.dir),
        );
    }

    /// Issues `<name>.pem` with serial `serial` (hex).
    pub(crate) fn issue(&self, name: &str, serial: &str) -> PathBuf {
        self.run(&[
            "req",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={name}"),
        ]);
        self.run(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-days",
            "30",
            "-set_serial",
            &format!("0x{serial}"),
            "-out",
            &format!("{name}.pem"),
        ]);
        self.dir.join(format!("{name}.pem"))
    }

    /// Revokes `cert` in the CA's database.
    pub(crate) fn revoke(&self, cert: &Path) {
        self.run(&[
            "ca",
            "-config",
            "ca.cnf",
            "-keyfile",
            "ca.key",
            "-cert",
            "ca.pem",
            "-revoke",
            cert.to_str().unwrap(),
        ]);
    }

    /// Writes the CRL as PEM (`ca.crl`) and DER (`ca.crl.der`).
    pub(crate) fn crl(&self) -> (PathBuf, PathBuf) {
        self.run(&[
            "ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem", "-gencrl", "-out",
            "ca.crl",
        ]);
        self.run(&[
            "crl",
            "-in",
            "ca.crl",
            "-outform",
            "DER",
            "-out",
            "ca.crl.der",
        ]);
        (self.dir.join("ca.crl"), self.dir.join("ca.crl.der"))
    }
}

/// `--crl`: every listed entry whose stored certificate the CRL names (by
/// issuer and serial) is revoked; an entry of another issuer with the same
/// serial is not; an entry added by fingerprint is reported, never guessed.
/// PEM and DER CRLs read alike; a file that is not a CRL is one error.
#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn a_crl_revokes_the_entries_whose_certificate_it_names() {
    let Some(openssl) = oracle::require("openssl", "a_crl_revokes") else {
        return;
    };
    let t = Test::new().file("postfix-config/main.cf", main_cf(WITH_DENY));
    let conf = t.dir().join("postfix-config");
    let ca = Ca::new(&openssl, t.dir(), "/O=Example/CN=Example Client CA");
    let gone = ca.issue("gone", "1001");
    let kept = ca.issue("kept", "1002");
    ca.revoke(&gone);
    let (pem_crl, der_crl) = ca.crl();
    // Another issuer's certificate with the revoked serial number.
    let other_dir = t.dir().join("other");
    fs::create_dir_all(&other_dir).unwrap();
    let other = Ca::new(&openssl, &other_dir, "/O=Other/CN=Other CA");
    let namesake = other.issue("namesake", "1001");
    let stranger = cert(&openssl, t.dir(), "stranger");
    let stranger_fp = openssl_fp(&openssl, &stranger, false);
    let t = t
        .args([
            "add",
            gone.to_str().unwrap(),
            kept.to_str().unwrap(),
            namesake.to_str().unwrap(),
        ])
        .any_stderr()
        .run()
        .then()
        .args(["add", "--fingerprint", &stranger_fp, "--name", "by-fp"])
        .any_stderr()
        .run();
    let gone_fp = openssl_fp(&openssl, &gone, false);
    let out = t
        .then()
        .args(["revoke", "--crl", der_crl.to_str().unwrap(), "--yes"])
        .stderr_contains("1 revoked serial number of \"CN=Example Client CA, O=Example\"")
        .stderr_contains("1 entry of ")
        .stderr_contains("has no stored certificate (added by fingerprint)")
        .stderr_contains(&stranger_fp)
        .stdout_contains("denied 2 fingerprints in ")
        .stdout_contains("removed 1 entry from ")
        .any_stderr()
        .run();
    let list = fs::read_to_string(conf.join("clientcerts")).unwrap();
    assert!(!list.contains(&gone_fp), "{list}");
    for kept in [" kept", " namesake", " by-fp"] {
        assert!(list.contains(kept), "{kept}: {list}");
    }
    let deny = fs::read_to_string(conf.join("revoked_clientcerts")).unwrap();
    assert!(
        deny.contains(&format!("\n{gone_fp} REJECT client certificate revoked\n")),
        "{deny}"
    );
    assert!(deny.contains(" name=gone "), "{deny}");
    // The PEM form names the same certificate, already revoked: nothing to do.
    let out = out
        .then()
        .args(["revoke", "--crl", pem_crl.to_str().unwrap(), "--yes"])
        .stdout_contains("no entry matches a certificate")
        .any_stderr()
        .run();
    // A certificate is not a CRL.
    out.then()
        .args(["revoke", "--crl", kept.to_str().unwrap(), "--yes"])
        .status(1)
        .stderr_contains("no certificate revocation list found")
        .run();
}

/// doctor: a deny table after permit_tls_clientcerts is an error (it can
/// never refuse a listed certificate), with the list that moves it before;
/// without one, a warning with the list that adds it; an allow entry the
/// deny table REJECTs is a dead entry (warning, with the remove command).
#[test]
fn doctor_reports_a_misplaced_or_missing_deny_table_and_dead_entries() {
    let fp = "AB:".repeat(31) + "CD";
    let misplaced = "permit_tls_clientcerts, check_ccert_access texthash:$config_directory/revoked_clientcerts, reject";
    let t = Test::new()
        .file("postfix-config/main.cf", main_cf(misplaced))
        .file(
            "postfix-config/revoked_clientcerts",
            format!("{fp} REJECT client certificate revoked\n"),
        )
        .file("postfix-config/clientcerts", format!("{fp} laptop\n"));
    let conf = fs::canonicalize(t.dir()).unwrap().join("postfix-config");
    let out = t
        .args(["compile", "--quiet"])
        .any_stderr()
        .run()
        .then()
        .args(["doctor"])
        .status(1)
        .stdout_contains(format!(
            "error: {c}/main.cf:4: smtpd_relay_restrictions: the deny table check_ccert_access texthash:{c}/revoked_clientcerts comes after permit_tls_clientcerts, which ends the list for every listed certificate",
            c = conf.display()
        ))
        .stdout_contains(format!(
            "    fix: move it before the permit: change that main.cf line to: smtpd_relay_restrictions = check_ccert_access, texthash:{c}/revoked_clientcerts, permit_tls_clientcerts, reject",
            c = conf.display()
        ))
        .run();
    assert!(
        !out.stdout
            .contains("no check_ccert_access deny table comes before"),
        "{}",
        out.stdout
    );
    // Placed before the permit: the error is gone; the allow entry it
    // REJECTs is dead.
    fs::write(
        conf.join("main.cf"),
        main_cf("check_ccert_access texthash:$config_directory/revoked_clientcerts, permit_tls_clientcerts, reject"),
    )
    .unwrap();
    oracle::settle(&conf);
    let out = out
        .then()
        .args(["doctor"])
        .status_among(&[0, 1])
        .stdout_contains(format!(
            "warning: {c}/clientcerts:1: {fp} is listed here but REJECTed by the deny table texthash:{c}/revoked_clientcerts: smtpd refuses it, the entry is dead",
            c = conf.display()
        ))
        .stdout_contains(format!(
            "fix: remove it: ccert --map {c}/clientcerts remove --fingerprint {fp} --yes",
            c = conf.display()
        ))
        .run();
    assert!(!out.stdout.contains("comes after"), "{}", out.stdout);
    // No deny table at all: a warning naming the list to write.
    fs::write(
        conf.join("main.cf"),
        main_cf("permit_tls_clientcerts, reject"),
    )
    .unwrap();
    oracle::settle(&conf);
    out.then()
        .args(["doctor"])
        .status_among(&[0, 1])
        .stdout_contains(format!(
            "warning: {c}/main.cf:4: smtpd_relay_restrictions: no check_ccert_access deny table comes before permit_tls_clientcerts",
            c = conf.display()
        ))
        .stdout_contains(format!(
            "fix: change that main.cf line to: smtpd_relay_restrictions = check_ccert_access, cdb:{c}/revoked_clientcerts, permit_tls_clientcerts, reject",
            c = conf.display()
        ))
        .stdout_contains(format!(
            "touch {c}/revoked_clientcerts && ccert compile cdb:{c}/revoked_clientcerts",
            c = conf.display()
        ))
        .run();
}

/// Live: the revoked certificate gets 5xx from smtpd, and still 5xx after
/// its fingerprint is put back into the allow list by hand and the table
/// rebuilt with postmap (a stale copy); the other client keeps relaying.
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
fn a_revoked_certificate_gets_5xx_even_from_a_stale_list() {
    let test = "revoke::a_revoked_certificate_gets_5xx_even_from_a_stale_list";
    let Some(tools) = live::tools(test) else {
        return;
    };
    let Some(postmap) = oracle::require("postmap", test) else {
        return;
    };
    let mut inst = Instance::new(&tools, test);
    let conf = inst.conf();
    let deny = conf.join("revoked_clientcerts");
    let relay = inst.table("cdb");
    let port = inst.listener(
        "revoke",
        &relay,
        &[&format!(
            "smtpd_relay_restrictions=check_ccert_access,cdb:{},permit_tls_clientcerts,reject",
            deny.display()
        )],
    );
    inst.write_config();
    // The empty deny table, as server-config says to create it.
    fs::write(&deny, "").unwrap();
    inst.ccert(&["compile", &format!("cdb:{}", deny.display())])
        .run();
    let laptop = live::make_cert(&tools.openssl, &inst.path("certs"), "laptop", &live::EC);
    let desk = live::make_cert(&tools.openssl, &inst.path("certs"), "desk", &live::EC);
    inst.ccert(&[
        "add",
        laptop.cert.to_str().unwrap(),
        desk.cert.to_str().unwrap(),
    ])
    .any_stderr()
    .run();
    let listed = fs::read_to_string(inst.source()).unwrap();
    inst.start();
    let before = live::rcpt(&tools.swaks, port, Some(&laptop));
    assert_eq!(before.code, 250, "{}", before.transcript);

    inst.ccert(&["revoke", laptop.cert.to_str().unwrap(), "--yes"])
        .stdout_contains("denied 2 fingerprints")
        .stdout_contains("removed 1 entry")
        .any_stderr()
        .run();
    let revoked = live::rcpt(&tools.swaks, port, Some(&laptop));
    assert_eq!(revoked.code, 554, "{}", revoked.transcript);
    assert!(
        revoked.transcript.contains("client certificate revoked"),
        "{}",
        revoked.transcript
    );
    let other = live::rcpt(&tools.swaks, port, Some(&desk));
    assert_eq!(other.code, 250, "{}", other.transcript);

    // A stale copy: the old list back by hand, rebuilt with postmap.
    fs::write(inst.source(), &listed).unwrap();
    oracle::run_ok(
        &postmap,
        &[
            "-c",
            conf.to_str().unwrap(),
            &format!("cdb:{}", inst.source().display()),
        ],
    );
    let stale = live::rcpt(&tools.swaks, port, Some(&laptop));
    assert_eq!(stale.code, 554, "{}", stale.transcript);
    let other = live::rcpt(&tools.swaks, port, Some(&desk));
    assert_eq!(other.code, 250, "{}", other.transcript);
    // doctor: the entry put back is dead; the setup relays.
    inst.ccert(&["doctor"])
        .status_among(&[0, 1])
        .stdout_contains("is listed here but REJECTed by the deny table")
        .stdout_contains("a client with a listed certificate can relay here")
        .run();
}

/// The deny table of every service that admits certificates gets the
/// fingerprints in each digest its services use (two services, sha256 and
/// sha1, one texthash deny table: four entries); an access-table allow list
/// (values `OK`) is matched by the name kept in ccert's comment.
#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn each_service_digest_is_denied_and_access_lists_match_by_comment_name() {
    let Some(openssl) = oracle::require("openssl", "each_service_digest") else {
        return;
    };
    let deny = "check_ccert_access,texthash:$config_directory/deny";
    let master = format!(
        "submission inet n - y - - smtpd\n  -o smtpd_tls_security_level=encrypt\n  \
         -o smtpd_tls_ask_ccert=yes\n  \
         -o smtpd_relay_restrictions={deny},check_ccert_access,cdb:$config_directory/allowed,reject\n\
         2525 inet n - y - - smtpd\n  -o smtpd_tls_security_level=encrypt\n  \
         -o smtpd_tls_ask_ccert=yes\n  -o smtpd_tls_fingerprint_digest=sha1\n  \
         -o smtpd_relay_restrictions={deny},check_ccert_access,cdb:$config_directory/allowed,reject\n"
    );
    let t = Test::new()
        .file(
            "postfix-config/main.cf",
            "compatibility_level = 3.6\nrelay_clientcerts =\n",
        )
        .file("postfix-config/master.cf", master);
    let conf = t.dir().join("postfix-config");
    let laptop = cert(&openssl, t.dir(), "laptop");
    let allowed = conf.join("allowed");
    let out = t
        .args([
            "--map",
            allowed.to_str().unwrap(),
            "add",
            laptop.to_str().unwrap(),
            "--name",
            "laptop",
        ])
        .stderr_contains("is a check_ccert_access table")
        .any_stderr()
        .run();
    let list = fs::read_to_string(&allowed).unwrap();
    assert!(list.contains(" name=laptop "), "{list}");
    let done = out
        .then()
        .args([
            "--map",
            allowed.to_str().unwrap(),
            "revoke",
            "--name",
            "laptop",
            "--yes",
        ])
        .stdout_contains("denied 4 fingerprints in ")
        .stdout_contains("removed 1 entry from ")
        .stderr_contains("run `postfix reload` after revoking")
        .any_stderr()
        .run();
    let denied = fs::read_to_string(conf.join("deny"))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", done.stdout, done.stderr));
    let rejects: Vec<&str> = denied
        .lines()
        .filter(|l| l.ends_with(" REJECT client certificate revoked"))
        .collect();
    assert_eq!(rejects.len(), 4, "{denied}");
    // 32-byte (sha256) and 20-byte (sha1) keys, two of each.
    for bytes in [32, 20] {
        assert_eq!(
            rejects
                .iter()
                .filter(|l| l.split(' ').next().unwrap().len() == bytes * 3 - 1)
                .count(),
            2,
            "{denied}"
        );
    }
    assert!(!fs::read_to_string(&allowed).unwrap().contains(" OK"));
}

/// A database list whose `.cf` is missing: one error naming it, nothing
/// written (tests/fleet_revoke.rs has revocations in a real database).
#[test]
fn revoke_on_a_missing_database_list_is_one_error() {
    Test::new()
        .args([
            "--map",
            "pgsql:/nonexistent/clientcerts.pgsql.cf",
            "revoke",
            "--name",
            "laptop",
            "--yes",
        ])
        .status(1)
        .stderr_contains("/nonexistent/clientcerts.pgsql.cf")
        .run();
}

/// On a terminal revoke asks first, as remove does: "n" changes nothing
/// (exit 1), "y" revokes.
#[test]
#[cfg_attr(
    any(ccert_missing = "bsdutils", ccert_missing = "openssl"),
    ignore = "needs bsdutils and openssl"
)]
fn revoke_on_a_terminal_asks_first() {
    let Some(openssl) = oracle::require("openssl", "revoke_on_a_terminal_asks_first") else {
        return;
    };
    if oracle::require("script", "revoke_on_a_terminal_asks_first").is_none() {
        return;
    }
    let t = Test::new().file("postfix-config/main.cf", main_cf(WITH_DENY));
    let conf = t.dir().join("postfix-config");
    let laptop = cert(&openssl, t.dir(), "laptop");
    let added = t.args(["add", laptop.to_str().unwrap()]).any_stderr().run();
    let before = fs::read(conf.join("clientcerts")).unwrap();
    // On the terminal, standard error shows up with standard output.
    let no = added
        .then()
        .args(["revoke", "--name", "laptop.example"])
        .pty()
        .stdin("n")
        .status(1)
        .stdout_contains("Revoke it?")
        .run();
    assert_eq!(fs::read(conf.join("clientcerts")).unwrap(), before);
    assert!(!conf.join("revoked_clientcerts").exists());
    let yes = no
        .then()
        .args(["revoke", "--name", "laptop.example"])
        .pty()
        .stdin("y")
        .stdout_contains("removed 1 entry")
        .run();
    assert!(conf.join("revoked_clientcerts").exists(), "{}", yes.stdout);
}
