//! The effective configuration every command uses: the installed Postfix's
//! own values (`postconf`) where it is installed, built-in defaults per
//! release (`--postfix-version`, `CCERT_POSTCONF=none`) where it is not, and
//! the commands that depend on it: default digest, table type, Berkeley DB
//! redirect, `compile` without arguments, `migrate`, raw public keys.

use std::path::Path;

use ccert::cert::DigestAlgorithm;
use ccert::postfix::postconf::{Lookup, parse_name_values};
use ccert::postfix::{Choice, Flavour, PostfixConfig, Release, Source, redirect};

use crate::oracle;
use crate::test::Test;

const SUBMISSION: &str = "\
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o {smtpd_relay_restrictions = permit_tls_clientcerts, reject}
";

fn conf(main: &str, master: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.cf"), main).unwrap();
    std::fs::write(dir.path().join("master.cf"), master).unwrap();
    crate::oracle::settle(dir.path());
    dir
}

fn builtin(release: &str, flavour: Flavour) -> Choice {
    Choice {
        release: Some(release.parse().unwrap()),
        flavour: Some(flavour),
        lookup: Lookup::Disabled,
    }
}

fn postconf_out(tool: &Path, dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["-c", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    oracle::run_ok(tool, &all)
}

/// With postconf installed, values, service overrides, table types and the
/// version are postconf's own.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn values_come_from_postconf() {
    let Some(tool) = oracle::require("postconf", "values_come_from_postconf") else {
        return;
    };
    let dir = conf(
        "compatibility_level = 3.6\nmua = permit_sasl_authenticated, reject\nrelay_clientcerts = hash:$config_directory/cc\n",
        SUBMISSION,
    );
    let choice = Choice {
        lookup: Lookup::Program(tool.clone()),
        ..Choice::default()
    };
    let cfg = PostfixConfig::open(dir.path(), &choice).unwrap();
    assert!(matches!(cfg.source(), Source::Postconf(_)));
    let effective = parse_name_values(&postconf_out(&tool, dir.path(), &["-x"]));
    assert!(
        effective.len() > 500,
        "postconf -x printed {}",
        effective.len()
    );
    for (name, want) in &effective {
        if name == "process_id" {
            continue; // postconf's own pid
        }
        assert_eq!(cfg.get(name).as_deref(), Some(want.as_str()), "{name}");
    }
    let services = parse_name_values(&postconf_out(&tool, dir.path(), &["-P", "-x"]));
    let sub = cfg.service("submission").unwrap();
    for (key, want) in &services {
        let name = key.rsplit('/').next().unwrap();
        assert_eq!(
            cfg.effective_for_service(sub, name).as_deref(),
            Some(want.as_str()),
            "{key}"
        );
    }
    let types: Vec<String> = postconf_out(&tool, dir.path(), &["-m"])
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(cfg.table_types(), types);
    let version = postconf_out(&tool, dir.path(), &["-dh", "mail_version"]);
    assert_eq!(cfg.release(), version.trim().parse::<Release>().unwrap());
    assert!(
        cfg.describe().contains(version.trim()),
        "{}",
        cfg.describe()
    );
    assert_eq!(
        cfg.fingerprint_digest().unwrap(),
        Some(DigestAlgorithm::Sha256)
    );
}

/// A Postfix that does not know non_bdb_migration_level (3.7 here) ignores
/// it, and so does ccert: the admin gets the table their Postfix opens.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn unknown_migration_setting_is_ignored_as_postfix_does() {
    let Some(tool) = oracle::require("postconf", "unknown_migration_setting_is_ignored") else {
        return;
    };
    let version = postconf_out(&tool, Path::new("/tmp"), &["-dh", "mail_version"]);
    let release: Release = version.trim().parse().unwrap();
    if release.has_non_bdb() {
        eprintln!("skipped: this postconf ({release}) knows non_bdb_migration_level");
        return;
    }
    let dir = conf("non_bdb_migration_level = enable-redirect\n", "");
    let choice = Choice {
        lookup: Lookup::Program(tool),
        ..Choice::default()
    };
    let cfg = PostfixConfig::open(dir.path(), &choice).unwrap();
    assert!(!cfg.knows("non_bdb_migration_level"));
    assert_eq!(redirect::migration_level(&cfg), None);
    assert_eq!(
        redirect::ignored_setting(&cfg),
        Some(("non_bdb_migration_level", 1))
    );
    // The same file with 3.11's built-in defaults: the redirect is on.
    let cfg311 = PostfixConfig::open(dir.path(), &builtin("3.11", Flavour::Debian)).unwrap();
    assert_eq!(
        redirect::redirect(&cfg311, "hash", "/x")
            .unwrap()
            .unwrap()
            .to,
        "cdb"
    );
}

/// Built-in defaults per release and build, without postconf.
#[test]
fn builtin_defaults_per_release() {
    let dir = conf("compatibility_level = 3.6\n", SUBMISSION);
    let digest = |v: &str| {
        PostfixConfig::open(dir.path(), &builtin(v, Flavour::Upstream))
            .unwrap()
            .fingerprint_digest()
            .unwrap()
    };
    // 3.5 accepts level 3.6 but its digest default is md5 regardless.
    assert_eq!(digest("3.5"), Some(DigestAlgorithm::Md5));
    for v in ["3.6", "3.8", "3.10", "3.11"] {
        assert_eq!(digest(v), Some(DigestAlgorithm::Sha256), "{v}");
    }
    let db_type = |v: &str, f: Flavour| {
        PostfixConfig::open(dir.path(), &builtin(v, f))
            .unwrap()
            .get("default_database_type")
            .unwrap()
    };
    assert_eq!(db_type("3.10", Flavour::Debian), "hash");
    assert_eq!(db_type("3.11", Flavour::Debian), "cdb");
    assert_eq!(db_type("3.11", Flavour::Upstream), "hash");
    assert_eq!(db_type("3.11", Flavour::NoBdb), "lmdb");
    let nobdb = PostfixConfig::open(dir.path(), &builtin("3.11", Flavour::NoBdb)).unwrap();
    assert!(!nobdb.supports_type("hash") && nobdb.supports_type("lmdb"));
    let debian = PostfixConfig::open(dir.path(), &builtin("3.11", Flavour::Debian)).unwrap();
    assert!(debian.bdb_deprecated());
    assert!(
        debian
            .describe()
            .contains("Postfix 3.11 (debian build), ccert's built-in defaults"),
        "{}",
        debian.describe()
    );
    // Raw public keys exist from 3.9.
    let rpk = conf("smtpd_tls_enable_rpk = yes\n", "");
    assert!(
        PostfixConfig::open(rpk.path(), &builtin("3.10", Flavour::Debian))
            .unwrap()
            .rpk_enabled()
    );
    assert!(
        !PostfixConfig::open(rpk.path(), &builtin("3.8", Flavour::Debian))
            .unwrap()
            .rpk_enabled()
    );
}

/// postconf failing: one notice, then the built-in defaults.
#[test]
fn failing_postconf_falls_back_with_a_notice() {
    Test::new()
        .file("postfix-config/main.cf", "compatibility_level = 2\n")
        .file("cc", "aa:bb x\n")
        .env("CCERT_POSTCONF", "/bin/false")
        .args(["compile", "-t", "cdb", "cc"])
        .stderr_contains("ccert: notice: postconf failed (/bin/false: ")
        .stderr_contains("assuming Postfix 3.7 (debian build)")
        .run();
}

/// A Postfix 3.7 log line: a client certificate seen by the `postfix/sub` smtpd.
const SIGHTING: &str = "Nov 25 19:05:58 mx postfix/sub/smtpd[8240]: localhost[127.0.0.1]: \
subject_CN=laptop, issuer=laptop, fingerprint=B3:6D:99:77:D7:EB:F0:7E:3C:25:19:B9:88:2C:0F:6D:5D:81:\
60:CD:FF:5E:4A:A7:66:92:05:B6:FE:22:1E:FB, pkey_fingerprint=9A:EA:D9:91:62:0C:D0:C4:FF:61:8A:DF:0B:\
ED:59:02:5B:C6:89:47:30:0C:E0:C9:C4:2C:95:DA:12:EB:73:C7\n";

/// `log` refuses an unknown digest in a service's `-o` override, naming
/// master.cf and the line, instead of reading the log in another digest.
#[test]
fn log_refuses_an_unknown_service_digest() {
    Test::new()
        .file("postfix-config/main.cf", "compatibility_level = 3.6\n")
        .file(
            "postfix-config/master.cf",
            "smtp inet n - n - - smtpd\nsub inet n - n - - smtpd\n  -o syslog_name=postfix/sub\n  -o smtpd_tls_fingerprint_digest=sha3-256\n",
        )
        .file("clientcerts", "")
        .file("mail.log", SIGHTING)
        .args(["--map", "clientcerts", "log", "mail.log"])
        .status(1)
        .stderr_contains("master.cf:4: smtpd_tls_fingerprint_digest = sha3-256: unknown digest")
        .run();
}

/// An unknown digest in main.cf is an error naming the line, in every command that uses it.
#[test]
fn unknown_digest_is_an_error_everywhere() {
    let main = "compatibility_level = 3.6\nsmtpd_tls_fingerprint_digest = sha3-256\n";
    for args in [
        vec!["fingerprint", "ecdsa.pem"],
        vec!["--map", "clientcerts", "add", "ecdsa.pem"],
        vec!["--map", "clientcerts", "rehash", "--pubkey"],
        vec!["--map", "clientcerts", "log", "mail.log"],
    ] {
        let out = Test::new()
            .file("postfix-config/main.cf", main)
            .fixture("ecdsa.pem")
            .file("clientcerts", "")
            .file("mail.log", SIGHTING)
            .args(args.clone())
            .status(1)
            .stderr_contains("main.cf:2: smtpd_tls_fingerprint_digest = sha3-256: unknown digest")
            .run();
        assert_eq!(
            std::fs::read(out.path("clientcerts")).unwrap(),
            b"",
            "{args:?}"
        );
    }
    Test::new()
        .file("postfix-config/main.cf", main)
        .arg("doctor")
        .status(1)
        .stdout_contains("sha3-256")
        .run();
}

/// Postfix 3.5 with compatibility_level = 3.6: `add` writes md5 entries, as 3.5 matches them.
#[test]
fn postfix_35_adds_md5_entries() {
    let out = Test::new()
        .file("postfix-config/main.cf", "compatibility_level = 3.6\n")
        .fixture("ecdsa.pem")
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.5", "--map", "clientcerts"])
        .args(["add", "ecdsa.pem", "--no-compile"])
        .run();
    let text = std::fs::read_to_string(out.path("clientcerts")).unwrap();
    assert!(text.contains("digest=md5"), "{text}");
}

/// 3.11 with the redirect on: compile/add write the type Postfix opens, say
/// so once, and query reads it.
#[test]
fn migration_redirect_writes_what_postfix_opens() {
    let main = "non_bdb_migration_level = enable-redirect\nrelay_clientcerts = hash:$config_directory/clientcerts\n";
    let out = Test::new()
        .file("postfix-config/main.cf", main)
        .file("postfix-config/clientcerts", "aa:bb x\n")
        .env("CCERT_POSTCONF", "none")
        .args([
            "--postfix-version",
            "3.11",
            "compile",
            "hash:postfix-config/clientcerts",
        ])
        .stdout_contains("cdb:")
        .stderr_contains("is read as cdb:")
        .stderr_contains("(non_bdb_migration_level = enable-redirect)")
        .run();
    assert!(out.path("postfix-config/clientcerts.cdb").exists());
    assert!(!out.path("postfix-config/clientcerts.db").exists());
    assert_eq!(
        out.stderr.matches("is read as").count(),
        1,
        "{}",
        out.stderr
    );
    let out = out
        .then()
        .env("CCERT_POSTCONF", "none")
        .args([
            "--postfix-version",
            "3.11",
            "query",
            "AA:BB",
            "hash:postfix-config/clientcerts",
        ])
        .stdout("x\n")
        .stderr_contains("is read as cdb:")
        .run();
    // add rebuilds the configured (redirected) table.
    let out = out
        .then()
        .fixture("ecdsa.pem")
        .env("CCERT_POSTCONF", "none")
        .args([
            "--postfix-version",
            "3.11",
            "add",
            "ecdsa.pem",
            "--name",
            "e",
        ])
        .stderr_contains("ccert: rebuilt ")
        .run();
    assert_eq!(
        out.stderr.matches("is read as").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("clientcerts.cdb"), "{}", out.stderr);
    assert!(!out.path("postfix-config/clientcerts.db").exists());
    out.then()
        .env("CCERT_POSTCONF", "none")
        .args([
            "--postfix-version",
            "3.11",
            "dump",
            "hash:postfix-config/clientcerts",
        ])
        .stdout_contains("\te\n")
        .stderr_contains("is read as cdb:")
        .run();
}

/// A custom mapping names another type per table.
#[test]
fn custom_mapping_is_honoured() {
    let main = "non_bdb_migration_level = enable-redirect\nnon_bdb_custom_mapping = inline:{ hash=lmdb }\n";
    let out = Test::new()
        .file("postfix-config/main.cf", main)
        .file("cc", "aa:bb x\n")
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.11", "compile", "hash:cc"])
        .stderr_contains("is read as lmdb:")
        .run();
    assert!(out.path("cc.lmdb").exists());
}

/// Debian's 3.11 writes cdb by default, as its postmap does; a build without
/// Berkeley DB refuses hash: with the fix.
#[test]
fn default_type_follows_the_build() {
    let out = Test::new()
        .file("postfix-config/main.cf", "compatibility_level = 3.6\n")
        .file("cc", "aa:bb x\n")
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.11", "compile", "cc"])
        .run();
    assert!(out.path("cc.cdb").exists());
    Test::new()
        .file("postfix-config/main.cf", "compatibility_level = 3.6\n")
        .file("cc", "aa:bb x\n")
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.11", "--postfix-build", "no-bdb"])
        .args(["compile", "hash:cc"])
        .status(1)
        .stderr_contains("this Postfix cannot open hash tables")
        .stderr_contains("ccert migrate --to lmdb")
        .run();
}

/// `compile` without arguments builds every configured table, also those
/// of check_ccert_access in a master.cf override.
#[test]
fn compile_without_arguments_builds_configured_tables() {
    let out = Test::new()
        .file(
            "postfix-config/main.cf",
            "relay_clientcerts = lmdb:$config_directory/a\n",
        )
        .file(
            "postfix-config/master.cf",
            "sub inet n - n - - smtpd\n  -o {smtpd_client_restrictions = check_ccert_access { cdb:$config_directory/b, { search_order = cert_fingerprint } }, reject}\n",
        )
        .file("postfix-config/a", "aa:bb a\n")
        .file("postfix-config/b", "cc:dd b\n")
        .arg("compile")
        .run();
    assert!(out.path("postfix-config/a.lmdb").exists());
    assert!(out.path("postfix-config/b.cdb").exists());
}

/// `add` builds the configured table when it does not exist yet.
#[test]
fn add_builds_the_missing_configured_table() {
    let out = Test::new()
        .file(
            "postfix-config/main.cf",
            "relay_clientcerts = cdb:$config_directory/clientcerts\n",
        )
        .fixture("ecdsa.pem")
        .args(["add", "ecdsa.pem", "--name", "e"])
        .stderr_contains("clientcerts.cdb")
        .run();
    assert!(out.path("postfix-config/clientcerts.cdb").exists());
}

/// `migrate` builds the new table, prints the lines, and with --apply
/// rewrites main.cf (with a backup), leaving the old table.
#[test]
fn migrate_moves_tables_off_berkeley_db() {
    migrated();
}

/// Postfix reads the lmdb table `migrate` built (and main.cf now names).
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn postmap_reads_the_table_migrate_built() {
    let out = migrated();
    let postmap = oracle::require("postmap", "postmap_reads_the_table_migrate_built").unwrap();
    let conf = out.path("postfix-config");
    let table = format!("lmdb:{}/clientcerts", conf.display());
    let args = ["-c", conf.to_str().unwrap(), "-q", "aa:bb", &table];
    assert_eq!(oracle::run_ok(&postmap, &args), "x\n");
}

/// The migration of a hash: table to lmdb, checked as ccert sees it; the
/// scratch directory it leaves.
fn migrated() -> crate::test::Finished {
    let main =
        "compatibility_level = 3.6\nrelay_clientcerts = hash:$config_directory/clientcerts\n";
    let master =
        "sub inet n - n - - smtpd\n  -o relay_clientcerts=hash:$config_directory/clientcerts\n";
    let out = Test::new()
        .file("postfix-config/main.cf", main)
        .file("postfix-config/master.cf", master)
        .file("postfix-config/clientcerts", "aa:bb x\n")
        .args(["compile", "hash:postfix-config/clientcerts"])
        .run()
        .then()
        .args(["migrate", "--to", "lmdb"])
        .stdout_contains("+ relay_clientcerts = lmdb:$config_directory/clientcerts")
        .stdout_contains("nothing written")
        .run();
    assert!(out.path("postfix-config/clientcerts.lmdb").exists());
    assert_eq!(
        std::fs::read_to_string(out.path("postfix-config/main.cf")).unwrap(),
        main
    );
    let out = out
        .then()
        .args(["migrate", "--to", "lmdb", "--apply"])
        .stdout_contains("postfix reload")
        .run();
    let new = std::fs::read_to_string(out.path("postfix-config/main.cf")).unwrap();
    assert_eq!(new, main.replace("hash:", "lmdb:"));
    let master_new = std::fs::read_to_string(out.path("postfix-config/master.cf")).unwrap();
    assert_eq!(master_new, master.replace("hash:", "lmdb:"));
    assert!(out.path("postfix-config/clientcerts.db").exists());
    let backups: Vec<_> = std::fs::read_dir(out.path("postfix-config"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("main.cf.ccert-")
        })
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read_to_string(backups[0].path()).unwrap(), main);
    out
}

/// Raw public keys on: `add` and `issue --add` write public-key fingerprints, with a notice.
#[test]
fn rpk_makes_pubkey_the_default() {
    let main = "compatibility_level = 3.6\nsmtpd_tls_enable_rpk = yes\n";
    let out = Test::new()
        .file("postfix-config/main.cf", main)
        .fixture("ecdsa.pem")
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.10", "--map", "clientcerts"])
        .args(["add", "ecdsa.pem", "--no-compile"])
        .stderr_contains("smtpd_tls_enable_rpk = yes: adding public-key fingerprints")
        .run();
    let text = std::fs::read_to_string(out.path("clientcerts")).unwrap();
    assert!(text.contains("type=pubkey"), "{text}");
    let out = out
        .then()
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.10", "--map", "clientcerts"])
        .args(["issue", "ws1", "--add"])
        .stderr_contains("adding public-key fingerprints")
        .run();
    let text = std::fs::read_to_string(out.path("clientcerts")).unwrap();
    assert_eq!(text.matches("type=pubkey").count(), 2, "{text}");
    // 3.8 knows no raw public keys: the setting is ignored.
    let out = Test::new()
        .file("postfix-config/main.cf", main)
        .fixture("ecdsa.pem")
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.8", "--map", "clientcerts"])
        .args(["add", "ecdsa.pem", "--no-compile"])
        .run();
    let text = std::fs::read_to_string(out.path("clientcerts")).unwrap();
    assert!(text.contains("type=cert"), "{text}");
}

/// With only a sqlite table in relay_clientcerts, the source is the file
/// ccert writes its `.sqlite.cf` beside (not `<config-dir>/clientcerts`),
/// and `add` rebuilds that table.
#[test]
fn sqlite_only_relay_clientcerts_names_the_source() {
    let out = Test::new()
        .file(
            "postfix-config/main.cf",
            "relay_clientcerts = sqlite:$config_directory/relay/hosts.sqlite.cf\n",
        )
        .file("postfix-config/relay/.keep", "")
        .fixture("ecdsa.pem")
        .args(["add", "ecdsa.pem", "--name", "e"])
        .stdout_contains("relay/hosts\n")
        .stderr_contains("ccert: built ")
        .run();
    assert!(!out.path("postfix-config/clientcerts").exists());
    let source = String::from_utf8(out.read("postfix-config/relay/hosts")).unwrap();
    assert!(source.contains(" e\n"), "{source}");
    assert!(out.path("postfix-config/relay/hosts.sqlite").exists());
    assert!(out.path("postfix-config/relay/hosts.sqlite.cf").exists());
    out.then()
        .args(["list", "--format", "plain"])
        .stdout_contains(" e\n")
        .run();
}

/// A sqlite table whose `.cf` file ccert did not write has no source: the
/// default source is used, and the `.cf` file is never edited.
#[test]
fn hand_written_sqlite_cf_is_not_a_source() {
    let cf = "dbpath = /nonexistent.sqlite\nquery = SELECT v FROM t WHERE k='%s'\n";
    let out = Test::new()
        .file(
            "postfix-config/main.cf",
            "relay_clientcerts = sqlite:$config_directory/mine.cf\n",
        )
        .file("postfix-config/mine.cf", cf)
        .fixture("ecdsa.pem")
        .args(["add", "ecdsa.pem", "--name", "e", "--no-compile"])
        .run();
    assert_eq!(out.read("postfix-config/mine.cf"), cf.as_bytes());
    assert!(out.path("postfix-config/clientcerts").exists());
}

/// query reads a hash: table without asking Postfix only when the answer
/// cannot depend on a 3.11 redirect: with a `.db` older than its source
/// beside a current `.cdb`, the redirect is worked out (and said) and the
/// `.cdb` answers; once every table is current, the `.db` answers alike.
#[test]
fn query_of_a_stale_hash_beside_a_redirect_target_reads_what_postfix_opens() {
    let main = "non_bdb_migration_level = enable-redirect\n";
    let out = Test::new()
        .file("postfix-config/main.cf", main)
        .file("postfix-config/clientcerts", "aa:bb old\n")
        .env("CCERT_POSTCONF", "none")
        .args([
            "--postfix-version",
            "3.7",
            "compile",
            "hash:postfix-config/clientcerts",
        ])
        .stdout_contains("hash:")
        .stderr_contains("has no effect")
        .run();
    // The source changes after the .db was built; only the cdb is rebuilt.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(out.path("postfix-config/clientcerts"), "aa:bb new\n").unwrap();
    let out = out
        .then()
        .env("CCERT_POSTCONF", "none")
        .args([
            "--postfix-version",
            "3.7",
            "compile",
            "cdb:postfix-config/clientcerts",
        ])
        .stdout_contains("cdb:")
        .run();
    let out = out
        .then()
        .env("CCERT_POSTCONF", "none")
        .args([
            "--postfix-version",
            "3.11",
            "query",
            "AA:BB",
            "hash:postfix-config/clientcerts",
        ])
        .stdout("new\n")
        .stderr_contains("is read as cdb:")
        .run();
    // Without the redirect (3.7) the stale .db is what Postfix reads.
    let out = out
        .then()
        .env("CCERT_POSTCONF", "none")
        .args([
            "--postfix-version",
            "3.7",
            "query",
            "AA:BB",
            "hash:postfix-config/clientcerts",
        ])
        .stdout("old\n")
        .stderr_contains("has no effect")
        .stderr_contains("has no effect")
        .run();
    // Every table current: the .db answers as the cdb would, without a word.
    out.then()
        .env("CCERT_POSTCONF", "none")
        .args([
            "--postfix-version",
            "3.7",
            "compile",
            "hash:postfix-config/clientcerts",
        ])
        .stdout_contains("hash:")
        .stderr_contains("has no effect")
        .run()
        .then()
        .env("CCERT_POSTCONF", "none")
        .args([
            "--postfix-version",
            "3.11",
            "query",
            "AA:BB",
            "hash:postfix-config/clientcerts",
        ])
        .stdout("new\n")
        .run();
}

/// Without Postfix (the bare stage of .ci/run, scripts/bare), the assumed
/// release is said only where it decides an answer: a table type from
/// default_database_type (3.11's Debian build says cdb), once per run. Not
/// for a defaulted digest: every release from main.cf's compatibility_level
/// on gives the same one (md5 below 3.6, sha256 from it; 3.5 counts only
/// when the level does not say 3.6 or later), nor for a typed table name.
/// doctor names the assumption in its first line instead.
#[test]
#[cfg_attr(
    not(ccert_missing = "postfix"),
    ignore = "needs a machine without postfix (scripts/bare)"
)]
fn the_assumed_release_is_said_where_it_decides_an_answer() {
    let cert = crate::test::fixtures().join("ecdsa.pem");
    let cert = cert.to_str().unwrap();
    for (main, digest) in [
        ("smtpd_tls_ask_ccert = yes\n", "md5 "),
        ("compatibility_level = 3.6\n", "sha256 "),
    ] {
        Test::new()
            .file("postfix-config/main.cf", main)
            .args(["fingerprint", cert])
            .stdout_contains(digest)
            .note(main)
            .run();
    }
    Test::new()
        .file("postfix-config/main.cf", "compatibility_level = 3.6\n")
        .file("clientcerts", "AB:CD laptop\n")
        .args(["compile", "lmdb:clientcerts"])
        .run();
    // An untyped name takes default_database_type: said once, for two tables.
    Test::new()
        .file("postfix-config/main.cf", "compatibility_level = 3.6\n")
        .file("clientcerts", "AB:CD laptop\n")
        .file("other", "AB:CE desktop\n")
        .args(["compile", "clientcerts", "other"])
        .stderr(
            "ccert: notice: no postconf found: default_database_type = hash is the built-in \
             default of Postfix 3.7 (debian build), and other releases differ; set it in main.cf \
             or give --postfix-version\n",
        )
        .run();
    Test::new()
        .file("postfix-config/main.cf", "smtpd_tls_ask_ccert = yes\n")
        .args(["doctor"])
        .status(1)
        .stdout_contains("ccert's built-in defaults (no postconf found)")
        .run();
}
