//! `ccert doctor` and `ccert server-config` on sample configurations: broken
//! ones produce the expected findings and exit 1, a sound one exits 0.

use std::path::Path;

use ccert::cert::{DigestAlgorithm, Fingerprint};
use ccert::source::annotation::Annotation;
use serde_json::Value;

use crate::oracle;
use crate::test::{Finished, Test};

/// A sha256 (or other) fingerprint entry line, lower-case as ccert writes them.
fn entry(alg: DigestAlgorithm, seed: &str, name: &str) -> String {
    format!(
        "{} {name}\n",
        Fingerprint::compute(alg, seed.as_bytes()).to_map_key()
    )
}

/// The ccert comment for an entry whose certificate ends `days` from now.
fn annotated(seed: &str, name: &str, days: i64) -> String {
    let fp = Fingerprint::compute(DigestAlgorithm::Sha256, seed.as_bytes());
    let now = time::OffsetDateTime::now_utc();
    let a = Annotation::new(
        &fp,
        false,
        Some(now + time::Duration::days(days)),
        &format!("CN={name}"),
        now.date(),
    );
    format!("{}\n{} {name}\n", a.to_line(), fp.to_map_key())
}

const SOUND_MAIN: &str = "\
compatibility_level = 3.6
myhostname = mx.example.net
smtpd_tls_chain_files = $config_directory/mx.pem
smtpd_tls_security_level = may
relay_clientcerts = hash:$config_directory/clientcerts
";

pub(crate) const SOUND_MASTER: &str = "\
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject
pickup    unix  n       -       y       60      1       pickup
";

/// A scratch configuration: main.cf, master.cf, a dummy server certificate
/// file, and a clientcerts source.
fn setup(main: &str, master: &str, source: &str) -> Test {
    Test::new()
        .file("postfix-config/main.cf", main)
        .file("postfix-config/master.cf", master)
        .file(
            "postfix-config/mx.pem",
            "server key and chain would be here\n",
        )
        .file("postfix-config/clientcerts", source)
}

/// Builds `hash:<conf>/clientcerts` with the real postmap.
fn postmap(postmap: &Path, conf: &Path) {
    oracle::run_ok(
        postmap,
        &[
            "-c",
            conf.to_str().unwrap(),
            &format!("hash:{}/clientcerts", conf.display()),
        ],
    );
}

/// Writes `<conf>/revoked_clientcerts` (the deny table `ccert revoke`
/// writes) with `source` and builds its hash: table with the real postmap.
fn deny_table(postmap: &Path, conf: &Path, source: &str) {
    let deny = conf.join("revoked_clientcerts");
    std::fs::write(&deny, source).unwrap();
    oracle::run_ok(
        postmap,
        &[
            "-c",
            conf.to_str().unwrap(),
            &format!("hash:{}", deny.display()),
        ],
    );
}

/// Runs doctor --format json in an existing scratch dir; returns the findings.
fn doctor_json(test: Test, status: i32) -> (Finished, Vec<Value>) {
    let out = test
        .args(["doctor", "--format", "json"])
        .status(status)
        .run();
    let findings: Vec<Value> = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor json: {e}\n{}", out.stdout));
    (out, findings)
}

fn find<'a>(findings: &'a [Value], severity: &str, text: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["severity"] == severity && f["message"].as_str().unwrap().contains(text))
        .unwrap_or_else(|| {
            panic!(
                "no {severity} finding with {text:?} in\n{}",
                serde_json::to_string_pretty(findings).unwrap()
            )
        })
}

/// Prepares a scratch configuration whose table postmap built; `None` (test
/// skipped) without postmap.
fn with_table(name: &str, main: &str, master: &str, source: &str) -> Option<Test> {
    let tool = oracle::require("postmap", name)?;
    let t = setup(main, master, source);
    postmap(&tool, &t.dir().join("postfix-config"));
    Some(t)
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn sound_configuration_exits_0() {
    let source = format!(
        "# workstations\n{}{}",
        annotated("chinacat", "chinacat", 400),
        entry(DigestAlgorithm::Sha256, "laptop", "laptop")
    );
    // With the deny table `ccert revoke` writes, before the permit; its
    // REJECT entry is a revoked certificate, not one of the listed ones.
    let master = SOUND_MASTER.replace(
        "smtpd_relay_restrictions=permit_tls_clientcerts",
        "smtpd_relay_restrictions=check_ccert_access,hash:$config_directory/revoked_clientcerts,permit_tls_clientcerts",
    );
    let Some(t) = with_table("sound_configuration_exits_0", SOUND_MAIN, &master, &source) else {
        return;
    };
    let tool = oracle::require("postmap", "sound_configuration_exits_0").unwrap();
    deny_table(
        &tool,
        &t.dir().join("postfix-config"),
        &entry(
            DigestAlgorithm::Sha256,
            "gone",
            "REJECT client certificate revoked",
        ),
    );
    let out = t.arg("doctor").status(0).run();
    assert!(out.stdout.contains("looks sound"), "{}", out.stdout);
    let (_, findings) = doctor_json(out.then(), 0);
    assert!(
        findings.iter().all(|f| f["severity"] == "note"),
        "{findings:?}"
    );
}

#[test]
fn missing_main_cf_is_a_finding() {
    Test::new()
        .arg("doctor")
        .status(1)
        .stdout_contains("no main.cf")
        .run();
}

#[test]
fn unset_relay_clientcerts() {
    let main = SOUND_MAIN.replace(
        "relay_clientcerts = hash:$config_directory/clientcerts\n",
        "",
    );
    let (out, findings) = doctor_json(setup(&main, SOUND_MASTER, ""), 1);
    let f = find(&findings, "error", "relay_clientcerts is empty");
    assert_eq!(
        f["file"],
        out.path("postfix-config/main.cf").display().to_string()
    );
    assert!(
        f["fix"].as_str().unwrap().starts_with(&format!(
            "relay_clientcerts = hash:{}/clientcerts",
            out.path("postfix-config").display()
        )),
        "{f}"
    );
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn missing_and_stale_tables() {
    // No table at all.
    let (_, findings) = doctor_json(
        setup(
            SOUND_MAIN,
            SOUND_MASTER,
            &entry(DigestAlgorithm::Sha256, "a", "a"),
        ),
        1,
    );
    let f = find(&findings, "error", "is missing");
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .starts_with("ccert compile hash:")
    );

    // A table older than its source.
    let Some(t) = with_table(
        "missing_and_stale_tables",
        SOUND_MAIN,
        SOUND_MASTER,
        &entry(DigestAlgorithm::Sha256, "a", "a"),
    ) else {
        return;
    };
    let source = t.dir().join("postfix-config/clientcerts");
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    std::fs::File::options()
        .append(true)
        .open(&source)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (_, findings) = doctor_json(t, 1);
    find(&findings, "error", "is older than its source");
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn table_type_this_postfix_lacks() {
    if oracle::require("postconf", "table_type_this_postfix_lacks").is_none() {
        return;
    }
    let main = SOUND_MAIN.replace("hash:$config_directory", "nosuchtype:$config_directory");
    let (_, findings) = doctor_json(setup(&main, SOUND_MASTER, ""), 1);
    let f = find(&findings, "error", "table type nosuchtype");
    assert_eq!(f["line"], 5);
}

#[test]
fn permit_after_reject_in_main_cf() {
    let main = format!(
        "{SOUND_MAIN}smtpd_recipient_restrictions =\n    permit_mynetworks,\n    reject_unauth_destination,\n    permit_tls_clientcerts\n"
    );
    let (_, findings) = doctor_json(setup(&main, SOUND_MASTER, ""), 1);
    let f = find(
        &findings,
        "error",
        "smtpd_recipient_restrictions: permit_tls_clientcerts comes after reject_unauth_destination",
    );
    assert_eq!(f["line"], 6);
    assert_eq!(
        f["fix"],
        "change that main.cf line to: smtpd_recipient_restrictions = permit_mynetworks, permit_tls_clientcerts, reject_unauth_destination"
    );
}

#[test]
fn sasl_without_certs_and_default_relay_list() {
    // Certificates permitted only in the recipient list: the (default)
    // relay list defers them first; and the SASL-only submission list.
    let main = "\
compatibility_level = 3.6
smtpd_tls_chain_files = $config_directory/mx.pem
smtpd_tls_security_level = may
smtpd_tls_ask_ccert = yes
relay_clientcerts = hash:$config_directory/clientcerts
smtpd_recipient_restrictions = permit_tls_clientcerts, reject_unauth_destination
";
    let master = "\
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
";
    let (_, findings) = doctor_json(setup(main, master, ""), 1);
    let f = find(
        &findings,
        "error",
        "smtpd_relay_restrictions has no permit_tls_clientcerts",
    );
    assert!(f["line"].is_null(), "default, no line: {f}");
    assert_eq!(
        f["fix"],
        "add to main.cf: smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, permit_tls_clientcerts, defer_unauth_destination"
    );
    let f = find(
        &findings,
        "warning",
        "smtpd_recipient_restrictions has permit_sasl_authenticated but no permit_tls_clientcerts",
    );
    assert_eq!(f["service"], "submission/inet");
    assert_eq!(f["line"], 4);
    assert_eq!(
        f["fix"],
        "change that line to: -o smtpd_recipient_restrictions=permit_sasl_authenticated,permit_tls_clientcerts,reject"
    );
}

#[test]
fn certificates_without_ask_ccert_or_tls() {
    let main = "\
compatibility_level = 3.6
relay_clientcerts = hash:$config_directory/clientcerts
";
    let master = "\
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject
";
    let out = setup(main, master, "")
        .arg("doctor")
        .status(1)
        .stdout_contains("smtpd_tls_ask_ccert = no")
        .stdout_contains("add to service submission/inet in master.cf: -o smtpd_tls_ask_ccert=yes")
        .stdout_contains("TLS is off")
        .stdout_contains("-o smtpd_tls_security_level=encrypt")
        .run();
    let (_, findings) = doctor_json(out.then(), 1);
    let f = find(&findings, "error", "smtpd_tls_ask_ccert = no");
    assert_eq!(f["service"], "submission/inet");
    assert_eq!(f["line"], 2);
}

#[test]
fn md5_entries_after_compatibility_level_3_6() {
    let source = format!(
        "{}{}",
        entry(DigestAlgorithm::Md5, "old1", "old1"),
        entry(DigestAlgorithm::Md5, "old2", "old2")
    );
    let (_, findings) = doctor_json(setup(SOUND_MAIN, SOUND_MASTER, &source), 1);
    let f = find(&findings, "error", "2 md5 fingerprint(s)");
    assert_eq!(f["line"], 1);
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("smtpd_tls_fingerprint_digest is sha256"),
        "{message}"
    );
    assert!(message.contains("compatibility_level = 3.6"), "{message}");
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("smtpd_tls_fingerprint_digest = md5"),
        "{f}"
    );

    // The same entries are fine when the level stayed below 3.6.
    let main = SOUND_MAIN.replace("compatibility_level = 3.6", "compatibility_level = 2");
    let (_, findings) = doctor_json(setup(&main, SOUND_MASTER, &source), 1);
    assert!(
        !findings
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("fingerprint(s)")),
        "{findings:?}"
    );
}

#[test]
fn source_entries_postmap_would_skip_duplicate_or_expire() {
    let dup = entry(DigestAlgorithm::Sha256, "dup", "first");
    let source = format!(
        "{dup}{}not-a-fingerprint host\n{}\n{}{}",
        dup.replace("first", "second"),
        Fingerprint::compute(DigestAlgorithm::Sha256, b"novalue").to_map_key(),
        annotated("expired", "expired.example", -3),
        annotated("soon", "soon.example", 10),
    );
    let (_, findings) = doctor_json(setup(SOUND_MAIN, SOUND_MASTER, &source), 1);
    assert_eq!(find(&findings, "warning", "duplicate key")["line"], 2);
    assert_eq!(find(&findings, "error", "is not a fingerprint")["line"], 3);
    assert_eq!(
        find(&findings, "error", "postmap skips this line")["line"],
        4
    );
    assert_eq!(find(&findings, "error", "expired on")["line"], 6);
    let soon = find(&findings, "warning", "expires on");
    assert_eq!(soon["line"], 8);
    assert!(soon["message"].as_str().unwrap().contains("soon.example"));
}

#[test]
fn duplicates_are_keys_postmap_folds_alike() {
    // postmap folds UTF-8 keys beyond ASCII: `Ärger` and `ärger` are one key.
    let source = "\u{c4}rger first\n\u{e4}rger second\n";
    let (_, findings) = doctor_json(setup(SOUND_MAIN, SOUND_MASTER, source), 1);
    let dup = find(&findings, "warning", "duplicate key");
    assert_eq!(dup["line"], 2);
    assert!(
        dup["message"].as_str().unwrap().contains("first at line 1"),
        "{dup:?}"
    );
}

#[test]
fn server_config_mentions_what_is_set() {
    let master = "\
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
";
    let main = "compatibility_level = 3.6\nsmtpd_tls_ask_ccert = yes\n";
    let out = setup(main, master, "")
        .arg("server-config")
        .stdout_contains("# main.cf line 2 has smtpd_tls_ask_ccert = yes: every smtpd service asks")
        .stdout_contains("smtpd_tls_fingerprint_digest = sha256")
        .stdout_contains("# master.cf line 2 already defines submission/inet")
        .stdout_contains("  -o smtpd_tls_security_level=encrypt\n")
        .stdout_contains("  -o smtpd_relay_restrictions=permit_sasl_authenticated,check_ccert_access,hash:")
        .stdout_contains("/revoked_clientcerts,permit_tls_clientcerts,reject\n")
        .stdout_contains(
            "  -o smtpd_recipient_restrictions=permit_sasl_authenticated,permit_tls_clientcerts,reject\n",
        )
        .run();
    let conf = out.path("postfix-config");
    assert!(
        out.stdout.contains(&format!(
            "relay_clientcerts = hash:{}/clientcerts\n",
            conf.display()
        )),
        "{}",
        out.stdout
    );
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn server_config_output_passes_doctor() {
    // Applying what server-config prints (plus a table) yields a sound setup.
    let Some(tool) = oracle::require("postmap", "server_config_output_passes_doctor") else {
        return;
    };
    let base_main = "compatibility_level = 3.6\nsmtpd_tls_chain_files = $config_directory/mx.pem\nsmtpd_tls_security_level = may\n";
    let base_master = "smtp inet n - y - - smtpd\n";
    let out = setup(
        base_main,
        base_master,
        &entry(DigestAlgorithm::Sha256, "ws", "ws"),
    )
    .arg("server-config")
    .run();
    let (main_part, master_part) = out.stdout.split_once("# ---- master.cf ----").unwrap();
    let conf = out.path("postfix-config");
    let main: String = main_part
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let master: String = master_part
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(conf.join("main.cf"), format!("{base_main}{main}")).unwrap();
    std::fs::write(conf.join("master.cf"), format!("{base_master}{master}")).unwrap();
    crate::oracle::settle(&conf);
    postmap(&tool, &conf);
    // The empty deny table, as server-config's comment says to create it.
    let create = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("#   touch "))
        .expect("server-config says how to create the deny table");
    let (file, table) = create.split_once(" && ccert compile ").unwrap();
    let table = table.to_string();
    std::fs::write(file, "").unwrap();
    let built = out.then().args(["compile", &table]).run();
    built.then().arg("doctor").status(0).run();
}

#[test]
fn configuration_postfix_refuses_is_a_finding() {
    let (_, findings) = doctor_json(
        setup(
            "compatibility_level = 3.6\nsmtpd_banner\n",
            SOUND_MASTER,
            "",
        ),
        1,
    );
    let f = find(
        &findings,
        "error",
        "main.cf:2: missing '=' after parameter name",
    );
    assert!(
        f["message"].as_str().unwrap().contains("smtpd_banner"),
        "{f}"
    );
}

#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn port_25_setup_with_proxy_table_and_reinjection_service_is_sound() {
    let main = "\
compatibility_level = 3.6
smtpd_tls_chain_files = $config_directory/mx.pem
smtpd_tls_security_level = may
smtpd_tls_ask_ccert = yes
relay_clientcerts = proxy:hash:$config_directory/clientcerts
smtpd_relay_restrictions = permit_mynetworks, check_ccert_access proxy:hash:$config_directory/revoked_clientcerts, permit_tls_clientcerts, reject_unauth_destination
";
    let master = "\
smtp      inet  n       -       y       -       -       smtpd
127.0.0.1:10025 inet n - n - - smtpd -o content_filter=
  -o smtpd_tls_security_level=none
";
    let Some(t) = with_table(
        "port_25_setup_with_proxy_table_and_reinjection_service_is_sound",
        main,
        master,
        &entry(DigestAlgorithm::Sha256, "ws", "ws"),
    ) else {
        return;
    };
    let tool = oracle::require("postmap", "port_25_setup").unwrap();
    deny_table(&tool, &t.dir().join("postfix-config"), "");
    t.arg("doctor")
        .status(0)
        .stdout_contains("looks sound")
        .run();
}

#[test]
fn digest_overridden_for_one_service() {
    let master = SOUND_MASTER.replace(
        "  -o smtpd_tls_ask_ccert=yes\n",
        "  -o smtpd_tls_ask_ccert=yes\n  -o smtpd_tls_fingerprint_digest=sha1\n",
    );
    let source = entry(DigestAlgorithm::Sha256, "ws", "ws");
    let (_, findings) = doctor_json(setup(SOUND_MAIN, &master, &source), 1);
    let f = find(&findings, "error", "1 sha256 fingerprint(s)");
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("smtpd_tls_fingerprint_digest is sha1 for submission/inet"),
        "{message}"
    );
}

#[test]
fn loopback_service_that_permits_certificates_is_audited() {
    // A listener bound to 127.0.0.1 that names permit_tls_clientcerts itself
    // is for certificate clients (not content-filter re-injection): it must
    // count as the relay service and be checked like any other.
    let main = "\
compatibility_level = 3.6
relay_clientcerts = hash:$config_directory/clientcerts
";
    let master = "\
127.0.0.1:10587 inet n  -       n       -       -       smtpd
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject
";
    let out = setup(main, master, "")
        .arg("doctor")
        .status(1)
        .stdout_contains("smtpd_tls_ask_ccert = no")
        .run();
    assert!(
        !out.stdout.contains("no smtpd service has"),
        "the loopback certificate service was ignored:\n{}",
        out.stdout
    );
}

/// The seed's own layout: main.cf permits certificates in
/// smtpd_relay_restrictions, a submission service asks for them. The port-25
/// smtp service gets a note (certificates are inert there), never advice to
/// require TLS or ask for certificates; the audited Postfix comes first.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn port_25_is_a_note_and_the_audited_postfix_comes_first() {
    let main = format!(
        "{SOUND_MAIN}smtpd_relay_restrictions = permit_mynetworks, permit_tls_clientcerts, reject_unauth_destination\n"
    );
    let Some(t) = with_table(
        "port_25_is_a_note",
        &main,
        SOUND_MASTER,
        &entry(DigestAlgorithm::Sha256, "a", "a"),
    ) else {
        return;
    };
    let (out, findings) = doctor_json(t, 0);
    assert_eq!(findings[0]["severity"], "note");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("audited Postfix "),
        "{}",
        findings[0]
    );
    let f = find(&findings, "note", "permit_tls_clientcerts is inert here");
    assert_eq!(f["service"], "smtp/inet");
    for f in &findings {
        assert!(
            f["service"] != "smtp/inet" || f["severity"] == "note",
            "{f}"
        );
        let fix = f["fix"].as_str().unwrap_or_default();
        assert!(
            !fix.contains("encrypt") && !fix.contains("ask_ccert"),
            "{f}"
        );
    }
    let text = out.then().arg("doctor").status(0).run();
    assert!(
        text.stdout.starts_with("note: audited Postfix"),
        "{}",
        text.stdout
    );
}

/// Warnings alone exit 0; --strict makes them count. An empty table on a
/// fresh setup is a warning that says so ("yet"), not an error.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn warnings_exit_0_unless_strict() {
    let Some(t) = with_table(
        "warnings_exit_0_unless_strict",
        SOUND_MAIN,
        SOUND_MASTER,
        "",
    ) else {
        return;
    };
    let (out, findings) = doctor_json(t, 0);
    find(&findings, "warning", "has no entries yet");
    find(
        &findings,
        "warning",
        "no check_ccert_access deny table comes before permit_tls_clientcerts",
    );
    let v = find(
        &findings,
        "warning",
        "no client can relay with a certificate here yet",
    );
    assert_eq!(v["relay"], false);
    assert!(
        findings.iter().all(|f| f["severity"] != "error"),
        "{findings:?}"
    );
    out.then()
        .args(["doctor", "--strict"])
        .status(1)
        .stdout_contains("3 warning(s)")
        .run();
}

/// check_ccert_access counts as permitting certificates, and its table is audited.
#[test]
fn check_ccert_access_is_audited() {
    let main = SOUND_MAIN.replace(
        "relay_clientcerts = hash:$config_directory/clientcerts\n",
        "",
    );
    let master = "\
submission inet n       -       y       -       -       smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o {smtpd_relay_restrictions = check_ccert_access { lmdb:$config_directory/ccert, { search_order = cert_fingerprint } }, reject}
";
    let (_, findings) = doctor_json(setup(&main, master, ""), 1);
    assert!(
        !findings.iter().any(|f| f["message"]
            .as_str()
            .unwrap()
            .contains("no smtpd service has")),
        "{findings:?}"
    );
    let f = find(&findings, "error", "ccert.lmdb is missing");
    assert!(f["fix"].as_str().unwrap().contains("ccert"), "{f}");
}

/// Every smtpd service is audited, loopback ones too.
#[test]
fn loopback_services_are_audited() {
    let master = "\
127.0.0.1:10587 inet n - n - - smtpd
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject
";
    let (_, findings) = doctor_json(setup(SOUND_MAIN, master, ""), 1);
    let f = find(&findings, "error", "smtpd_tls_ask_ccert = no");
    assert_eq!(f["service"], "127.0.0.1:10587/inet");
}

/// A service that asks for certificates but permits only SASL is reported.
#[test]
fn asking_for_certificates_but_permitting_only_sasl() {
    let master = "\
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
";
    let (_, findings) = doctor_json(setup(SOUND_MAIN, master, ""), 1);
    let f = find(
        &findings,
        "warning",
        "smtpd_relay_restrictions has permit_sasl_authenticated but no permit_tls_clientcerts",
    );
    assert_eq!(f["service"], "submission/inet");
}

/// hash: on a Postfix without Berkeley DB is an error; on Debian's 3.11 a warning.
#[test]
fn berkeley_db_tables_by_build() {
    let run = |build: &str, status: i32| {
        let out = setup(SOUND_MAIN, SOUND_MASTER, "")
            .env("CCERT_POSTCONF", "none")
            .args(["--postfix-version", "3.11", "--postfix-build", build])
            .args(["doctor", "--format", "json"])
            .status(status)
            .run();
        serde_json::from_str::<Vec<Value>>(&out.stdout).unwrap()
    };
    let f = run("no-bdb", 1);
    let e = find(&f, "error", "built without Berkeley DB");
    assert!(
        e["fix"]
            .as_str()
            .unwrap()
            .contains("ccert migrate --to lmdb"),
        "{e}"
    );
    let f = run("debian", 1);
    let w = find(&f, "warning", "deprecates");
    assert!(
        w["fix"]
            .as_str()
            .unwrap()
            .contains("ccert migrate --to cdb"),
        "{w}"
    );
}

/// With raw public keys on, every certificate-fingerprint entry is an error.
#[test]
fn rpk_reports_certificate_entries() {
    let main = format!("{SOUND_MAIN}smtpd_tls_enable_rpk = yes\n");
    let out = setup(&main, SOUND_MASTER, &annotated("a", "a", 400))
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.10", "doctor", "--format", "json"])
        .status(1)
        .run();
    let findings: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let f = find(&findings, "error", "certificate fingerprint");
    assert_eq!(f["fix"], "ccert rehash --pubkey");
    assert_eq!(f["line"], 2);
}

/// On the live harness's layout (loopback submission listeners) doctor
/// finds nothing wrong, and the smtpd agrees: the listed client relays.
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
fn live_harness_layout_is_sound() {
    use crate::live::{self, EC, Instance, make_cert, rcpt};
    const TEST: &str = "live_harness_layout_is_sound";
    let Some(tools) = live::tools(TEST) else {
        return;
    };
    let mut inst = Instance::new(&tools, TEST);
    let table = inst.table("hash");
    let port = inst.listener("sub", &table, &[]);
    inst.write_config();
    let client = make_cert(&tools.openssl, &inst.path("certs"), "client", &EC);
    inst.ccert(&["add", client.cert.to_str().unwrap(), "--name", "client"])
        .stderr(inst.rebuilt(&["hash"]))
        .run();
    // Sound but for the deny table the harness does not configure.
    inst.ccert(&["doctor"])
        .stdout_contains("1 warning(s), no errors")
        .stdout_contains("no check_ccert_access deny table comes before permit_tls_clientcerts")
        .run();
    inst.start();
    assert_eq!(rcpt(&tools.swaks, port, Some(&client)).code, 250);
}

/// relay_clientcerts names hash: while the admin built lmdb: (the old quick
/// start's trap): doctor names the table that exists and both ways out.
#[test]
fn a_missing_table_names_the_one_built_instead() {
    let built = setup(
        SOUND_MAIN,
        SOUND_MASTER,
        &entry(DigestAlgorithm::Sha256, "a", "a"),
    )
    .args(["compile", "lmdb:postfix-config/clientcerts"])
    .run();
    let (out, findings) = doctor_json(built.then(), 1);
    let conf = std::fs::canonicalize(out.path("postfix-config")).unwrap();
    let f = find(
        &findings,
        "error",
        &format!(
            "{}/clientcerts.db is missing, but lmdb:{}/clientcerts exists",
            conf.display(),
            conf.display()
        ),
    );
    assert_eq!(
        f["fix"].as_str().unwrap(),
        format!(
            "name lmdb:{0}/clientcerts in main.cf instead, or build this one: ccert compile hash:{0}/clientcerts",
            conf.display()
        )
    );
}

/// The per-service verdict: a note with `relay: true` where a listed client
/// relays, an error with `relay: false` where none can; one per service.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn verdict_per_service() {
    let Some(t) = with_table(
        "verdict_per_service",
        SOUND_MAIN,
        SOUND_MASTER,
        &entry(DigestAlgorithm::Sha256, "a", "a"),
    ) else {
        return;
    };
    let (_, findings) = doctor_json(t, 0);
    let verdicts: Vec<&Value> = findings
        .iter()
        .filter(|f| f["relay"].is_boolean())
        .collect();
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    assert_eq!(verdicts[0]["service"], "submission/inet");
    assert_eq!(verdicts[0]["relay"], true);
    assert_eq!(verdicts[0]["severity"], "note");
}

/// Issue 20's hand-found misjudgements, one configuration each.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn misjudgements_found_by_hand() {
    let sub = |opts: &str| {
        format!(
            "smtp      inet  n       -       y       -       -       smtpd\nsubmission inet n       -       y       -       -       smtpd\n{opts}"
        )
    };
    let source = entry(DigestAlgorithm::Sha256, "a", "a");
    let Some(postmap_tool) = oracle::require("postmap", "misjudgements_found_by_hand") else {
        return;
    };
    let run = |main: &str, master: &str, status: i32| {
        let t = setup(main, master, &source);
        postmap(&postmap_tool, &t.dir().join("postfix-config"));
        doctor_json(t, status).1
    };
    let verdict = |findings: &[Value]| -> Value {
        findings
            .iter()
            .find(|f| f["service"] == "submission/inet" && f["relay"].is_boolean())
            .cloned()
            .unwrap_or(Value::Null)
    };

    // A missing server certificate on a service that permits certificates: error.
    let main = SOUND_MAIN.replace("mx.pem", "missing.pem");
    let f = run(&main, SOUND_MASTER, 1);
    find(&f, "error", "missing.pem does not exist");
    assert_eq!(verdict(&f)["relay"], false);

    // Level none on submission: the fix is encrypt, not "add a submission service".
    let master = sub(
        "  -o smtpd_tls_security_level=none\n  -o smtpd_tls_ask_ccert=yes\n  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject\n",
    );
    let f = run(SOUND_MAIN, &master, 1);
    let e = find(&f, "error", "TLS is off");
    assert_eq!(
        e["fix"],
        "change that line to: -o smtpd_tls_security_level=encrypt"
    );
    assert!(
        !f.iter()
            .any(|x| x["message"].as_str().unwrap().contains("inert")),
        "{f:?}"
    );

    // req_ccert at level may: Postfix never asks.
    let master = sub(
        "  -o smtpd_tls_req_ccert=yes\n  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject\n",
    );
    let f = run(SOUND_MAIN, &master, 1);
    let e = find(&f, "error", "has no effect below security level encrypt");
    assert_eq!(
        e["fix"],
        "add to service submission/inet in master.cf: -o smtpd_tls_ask_ccert=yes"
    );

    // req_ccert at encrypt without a CA file: every client is dropped.
    let master = sub(
        "  -o smtpd_tls_security_level=encrypt\n  -o smtpd_tls_req_ccert=yes\n  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject\n",
    );
    let f = run(SOUND_MAIN, &master, 1);
    let e = find(&f, "error", "421 Client certificate not trusted");
    assert_eq!(
        e["fix"],
        "change that line to: -o smtpd_tls_req_ccert=no\nadd to service submission/inet in master.cf: -o smtpd_tls_ask_ccert=yes"
    );

    // No refusal in any list: smtpd exits (fatal).
    let master = sub(
        "  -o smtpd_tls_security_level=encrypt\n  -o smtpd_tls_ask_ccert=yes\n  -o smtpd_relay_restrictions=permit_tls_clientcerts\n",
    );
    let f = run(SOUND_MAIN, &master, 1);
    let e = find(&f, "error", "smtpd exits at every connection");
    assert_eq!(
        e["fix"],
        "change that line to: -o smtpd_relay_restrictions=permit_tls_clientcerts,reject_unauth_destination"
    );

    // check_ccert_access after the refusal: named, and moved (not replaced).
    let master = sub(
        "  -o smtpd_tls_security_level=encrypt\n  -o smtpd_tls_ask_ccert=yes\n  -o smtpd_relay_restrictions=reject_unauth_destination,check_ccert_access,hash:$config_directory/clientcerts\n",
    );
    let f = run(SOUND_MAIN, &master, 1);
    let e = find(
        &f,
        "error",
        "check_ccert_access comes after reject_unauth_destination",
    );
    // (the effective value, $config_directory expanded)
    let fix = e["fix"].as_str().unwrap();
    assert!(
        fix.starts_with(
            "change that line to: -o smtpd_relay_restrictions=check_ccert_access,hash:/"
        ) && fix.ends_with("/clientcerts,reject_unauth_destination"),
        "{fix}"
    );

    // Asks but never permits: a warning, with the list that permits.
    let master = sub(
        "  -o smtpd_tls_security_level=encrypt\n  -o smtpd_tls_ask_ccert=yes\n  -o smtpd_relay_restrictions=reject\n",
    );
    let main = format!("{SOUND_MAIN}smtpd_relay_restrictions = permit_tls_clientcerts, reject\n");
    let f = run(&main, &master, 1);
    find(
        &f,
        "error",
        "submission/inet ask(s) for client certificates",
    );
    let w = find(
        &f,
        "warning",
        "the certificates smtpd asks for let nobody relay here",
    );
    assert_eq!(
        w["fix"],
        "change that line to: -o smtpd_relay_restrictions=permit_tls_clientcerts,reject"
    );

    // permit_tls_all_clientcerts with a public CA bundle: an error, and the
    // fix never keeps it.
    let bundle = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
    if bundle.matches("BEGIN CERTIFICATE").count() >= 20 {
        let main = format!("{SOUND_MAIN}smtpd_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n");
        let master = sub(
            "  -o smtpd_tls_security_level=encrypt\n  -o smtpd_tls_ask_ccert=yes\n  -o smtpd_relay_restrictions=permit_tls_all_clientcerts,reject\n",
        );
        let f = run(&main, &master, 1);
        let e = find(&f, "error", "anyone who can buy a certificate can relay");
        assert_eq!(
            e["fix"],
            "change that line to: -o smtpd_relay_restrictions=permit_tls_clientcerts,reject"
        );
        assert_eq!(verdict(&f)["relay"], true);
        for x in &f {
            assert!(
                !x["fix"]
                    .as_str()
                    .unwrap_or("")
                    .contains("permit_tls_all_clientcerts"),
                "{x}"
            );
        }
    }

    // A per-service digest override wins over main.cf: the digest fix goes there.
    let master = sub(
        "  -o smtpd_tls_security_level=encrypt\n  -o smtpd_tls_ask_ccert=yes\n  -o smtpd_tls_fingerprint_digest=sha1\n  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject\n",
    );
    let f = run(SOUND_MAIN, &master, 1);
    let e = find(&f, "error", "1 sha256 fingerprint(s)");
    let fix = e["fix"].as_str().unwrap();
    assert!(
        fix.contains(
            "add to service submission/inet in master.cf: -o smtpd_tls_fingerprint_digest=sha256"
        ),
        "{fix}"
    );
    assert!(!fix.contains("add to main.cf"), "{fix}");
}
