//! `ccert issue` and `ccert client-config`.

use std::os::unix::fs::PermissionsExt;

use crate::oracle;
use crate::test::Test;

#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn issue_writes_a_client_certificate_and_private_key_for_each_key_type() {
    for key_type in ["ec", "rsa", "ed25519"] {
        let name = format!("ws-{key_type}");
        let out = Test::new()
            .args(["issue", &name, "--key-type", key_type, "--days", "30"])
            .stdout_contains("sha256 fingerprint: ")
            .run();
        let key = out.path(&format!("{name}.key"));
        let cert = out.path(&format!("{name}.pem"));
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // The printed fingerprint is the one `ccert fingerprint` (and openssl) computes.
        let printed = out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("sha256 fingerprint: "))
            .unwrap()
            .to_string();
        let fp = out
            .then()
            .args(["fingerprint", "--format", "map", &format!("{name}.pem")])
            .run();
        assert_eq!(fp.stdout, format!("{printed} {name}\n"));

        let Some(openssl) = oracle::require("openssl", "issue_writes_a_client_certificate…")
        else {
            continue;
        };
        let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
        let text = oracle::run_ok(&openssl, &["x509", "-in", cert, "-noout", "-text"]);
        assert!(
            text.contains("TLS Web Client Authentication"),
            "{key_type}: no clientAuth EKU\n{text}"
        );
        assert!(
            text.contains(&format!("CN = {name}")),
            "{key_type}: subject\n{text}"
        );
        // OpenSSL (hence Postfix's smtp_tls_key_file) reads the key, and it belongs to the certificate.
        let from_key = oracle::run_ok(&openssl, &["pkey", "-in", key, "-pubout"]);
        let from_cert = oracle::run_ok(&openssl, &["x509", "-in", cert, "-noout", "-pubkey"]);
        assert_eq!(
            from_key, from_cert,
            "{key_type}: key does not match certificate"
        );
    }
}

#[test]
fn issue_never_overwrites() {
    let out = Test::new()
        .file("host.key", "precious")
        .args(["issue", "host"])
        .status(1)
        .stderr_contains("already exists")
        .run();
    assert_eq!(out.read("host.key"), b"precious");
    assert!(!out.path("host.pem").exists());
}

#[test]
fn issue_rejects_names_that_are_not_host_names() {
    Test::new()
        .args(["issue", "bad name"])
        .status(1)
        .stderr_contains("invalid host name")
        .run();
}

#[test]
fn client_config_prints_postfix_and_ssmtp_settings() {
    let issued = Test::new().args(["issue", "chinacat"]).run();
    let dir = issued.dir.path().to_path_buf();
    let out = issued
        .then()
        .args([
            "client-config",
            "--cert",
            "chinacat.pem",
            "--key",
            "chinacat.key",
            "--relay",
            "mx.example.com",
        ])
        .stdout_contains("relayhost = [mx.example.com]:587\n")
        .stdout_contains("smtp_tls_security_level = encrypt\n")
        .stdout_contains(format!(
            "smtp_tls_cert_file = {}/chinacat.pem\n",
            dir.display()
        ))
        .stdout_contains(format!(
            "smtp_tls_key_file = {}/chinacat.key\n",
            dir.display()
        ))
        .run();
    out.then()
        .args([
            "client-config",
            "--cert",
            "chinacat.pem",
            "--key",
            "chinacat.key",
            "--relay",
            "mx.example.com:465",
            "--ssmtp",
        ])
        .stdout_contains("mailhub=mx.example.com:465\nUseTLS=YES\nUseTLSCert=YES\n")
        .run();
}

#[test]
fn client_config_rejects_a_key_file_that_is_not_a_key() {
    Test::new()
        .fixture("rsa.pem")
        .args([
            "client-config",
            "--cert",
            "rsa.pem",
            "--key",
            "rsa.pem",
            "--relay",
            "mx",
        ])
        .status(1)
        .stderr_contains("not a PEM private key")
        .run();
}

/// A name longer than a common name may be (64 characters) is refused for
/// that reason, not as an "invalid host name"; 64 characters work.
#[test]
fn issue_names_the_64_character_cn_limit() {
    let long = format!("{}.example.com", "a".repeat(53));
    assert_eq!(long.len(), 65);
    Test::new()
        .args(["issue", &long])
        .status(1)
        .stderr(format!(
            "ccert: error: host name \"{long}\" has 65 characters: a certificate's common name (CN) \
             holds at most 64; use a shorter name (the host part, e.g. \"{}\")\n",
            "a".repeat(53)
        ))
        .run();
    Test::new()
        .args(["issue", &long[1..]])
        .stdout_contains("certificate: ")
        .run();
}
