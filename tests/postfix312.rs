//! Postfix 3.12 (issue 24), checked against the newest snapshot
//! (3.12-20260821): its recorded `postconf -d`/`-m` output (a build without
//! Berkeley DB, `fixtures/postfix-3.12-20260821-nobdb/`, replayed by a stand-in
//! postconf), and doctor, server-config, log and the table writer on the
//! settings it adds or changes, each beside the releases before it.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ccert::cert::{DigestAlgorithm, Fingerprint};
use ccert::postfix::postconf::{Lookup, parse_name_values};
use ccert::postfix::{BdbAbsence, Choice, Flavour, PostfixConfig, Release, Source};
use serde_json::Value;

use crate::test::{Test, fixtures};

/// The recorded 3.12 build.
fn fixture() -> PathBuf {
    fixtures().join("postfix-3.12-20260821-nobdb")
}

/// A sha256 fingerprint entry line.
fn entry(seed: &str, name: &str) -> String {
    format!(
        "{} {name}\n",
        Fingerprint::compute(DigestAlgorithm::Sha256, seed.as_bytes()).to_map_key()
    )
}

/// Writes `bin/postconf` (answers `-d` and `-m` from the recording; `-x`
/// and `-P -x` with nothing, so ccert expands the recorded defaults itself)
/// and `bin/postmap` (answers a `hash:` lookup as the recorded build did)
/// into `dir`; returns the postconf.
fn replay(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let f = fixture();
    let postconf = bin.join("postconf");
    fs::write(
        &postconf,
        format!(
            "#!/bin/sh\n# Replays postconf of the recorded Postfix 3.12 build.\n\
             for a; do case \"$a\" in\n\
             -d) cat '{0}/postconf-d.txt'; exit 0;;\n\
             -m) cat '{0}/postconf-m.txt'; exit 0;;\n\
             -x) exit 0;;\n\
             esac; done\nexit 0\n",
            f.display()
        ),
    )
    .unwrap();
    fs::write(
        bin.join("postmap"),
        format!(
            "#!/bin/sh\ncat '{}/postmap-q-hash.txt' >&2\nexit 1\n",
            f.display()
        ),
    )
    .unwrap();
    for p in ["postconf", "postmap"] {
        fs::set_permissions(bin.join(p), fs::Permissions::from_mode(0o755)).unwrap();
    }
    postconf
}

/// A configuration directory with main.cf and master.cf, settled.
fn conf(main: &str, master: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("main.cf"), main).unwrap();
    fs::write(dir.path().join("master.cf"), master).unwrap();
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

/// Every value ccert's built-in 3.12 no-bdb defaults hold is the recorded
/// build's `postconf -d` text (the directories are the build's and
/// Debian's, which differ by design; mail_version is the release).
#[test]
fn builtin_312_defaults_match_the_recorded_build() {
    let recorded =
        parse_name_values(&fs::read_to_string(fixture().join("postconf-d.txt")).unwrap());
    assert_eq!(recorded["mail_version"], "3.12-20260821");
    let release = Release::new(3, 12);
    let mut compared = 0;
    for (name, text) in ccert::postfix::release::defaults(release, Flavour::NoBdb) {
        if name.ends_with("_directory") || name == "mail_version" {
            continue;
        }
        let want = recorded
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not a 3.12 parameter"));
        assert_eq!(&text, want, "{name}");
        compared += 1;
    }
    assert!(compared > 50, "compared {compared}");
    // What 3.12 dropped or added, as the built-ins say it.
    let gone = "tls_legacy_public_key_fingerprints";
    assert!(!recorded.contains_key(gone));
    assert!(!ccert::postfix::release::knows(release, gone));
    assert!(ccert::postfix::release::knows(Release::new(3, 10), gone));
    // The built-ins, expanded, as a configuration sees them.
    let dir = conf("compatibility_level = 3.6\n", "");
    let cfg = PostfixConfig::open(dir.path(), &builtin("3.12", Flavour::NoBdb)).unwrap();
    assert_eq!(
        cfg.get("postscreen_tls_fingerprint_digest").unwrap(),
        "sha256"
    );
    assert_eq!(cfg.get("default_database_type").unwrap(), "lmdb");
    assert_eq!(cfg.bdb_absence(), Some(BdbAbsence::Surrogate));
    let debian = PostfixConfig::open(dir.path(), &builtin("3.12", Flavour::Debian)).unwrap();
    assert_eq!(debian.get("default_database_type").unwrap(), "cdb");
    assert_eq!(debian.bdb_absence(), None);
    for new in [
        "postscreen_tls_fingerprint_digest",
        "postscreen_tls_ask_ccert",
        "smtpd_tls_loglevel_maps",
        "tls_trust_server_ccerts",
    ] {
        assert!(recorded.contains_key(new), "{new}");
        assert!(ccert::postfix::release::knows(release, new), "{new}");
        assert!(
            !ccert::postfix::release::knows(Release::new(3, 11), new),
            "{new}"
        );
    }
    // postconf -m of the build lists the Berkeley DB stand-ins; the types
    // it really opens are the built-in no-bdb list's.
    let listed: Vec<String> = fs::read_to_string(fixture().join("postconf-m.txt"))
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert!(listed.contains(&"hash".to_string()));
    for t in ccert::postfix::release::table_types(Flavour::NoBdb) {
        if ["pgsql", "sqlite"].contains(&t.as_str()) {
            continue; // not in this build (no -DHAS_PGSQL/-DHAS_SQLITE)
        }
        assert!(listed.contains(&t), "{t}");
    }
}

/// With the recorded build as "the installed Postfix": the version, the
/// digest (3.6+ rule), the lmdb default, and hash/btree recognised as
/// stand-ins (the postmap beside postconf says so) rather than usable.
#[test]
fn effective_configuration_on_the_recorded_build() {
    let scratch = tempfile::tempdir().unwrap();
    let postconf = replay(scratch.path());
    let dir = conf(
        "compatibility_level = 3.6\nrelay_clientcerts = hash:$config_directory/cc\n",
        "smtp inet n - y - - smtpd\n",
    );
    let choice = Choice {
        lookup: Lookup::Program(postconf),
        ..Choice::default()
    };
    let cfg = PostfixConfig::open(dir.path(), &choice).unwrap();
    assert!(matches!(cfg.source(), Source::Postconf(_)));
    assert_eq!(cfg.release(), Release::new(3, 12));
    assert_eq!(
        cfg.fingerprint_digest().unwrap(),
        Some(DigestAlgorithm::Sha256)
    );
    assert_eq!(
        cfg.get("postscreen_tls_fingerprint_digest").unwrap(),
        "sha256"
    );
    assert_eq!(cfg.get("default_database_type").unwrap(), "lmdb");
    assert!(cfg.knows("smtpd_tls_loglevel_maps"));
    assert!(!cfg.knows("tls_legacy_public_key_fingerprints"));
    assert!(cfg.facts().unwrap().bdb_surrogate);
    assert!(!cfg.supports_type("hash") && cfg.supports_type("lmdb"));
    assert_eq!(cfg.bdb_absence(), Some(BdbAbsence::Surrogate));
    // The same through the binary: building hash: says why, and the way out.
    Test::new()
        .file("postfix-config/main.cf", "compatibility_level = 3.6\n")
        .file("cc", "aa:bb x\n")
        .env(
            "CCERT_POSTCONF",
            scratch.path().join("bin/postconf").to_str().unwrap(),
        )
        .args(["compile", "hash:cc"])
        .status(1)
        .stderr_contains("hash:cc: this Postfix cannot open hash tables")
        .stderr_contains(
            "this Postfix is built without Berkeley DB (its hash and btree are stand-ins",
        )
        .stderr_contains(
            "no package brings it back: move the tables off it with `ccert migrate --to lmdb`",
        )
        .run();
}

/// 3.12 with Berkeley DB as a plug-in: no hash in postconf -m but a
/// dynamicmaps.cf (plug-ins are loaded) → the plug-in package brings it
/// back; before 3.12 (no plug-in possible) and without dynamicmaps.cf, no
/// package does.
#[test]
fn missing_hash_says_whether_a_plugin_package_brings_it_back() {
    let scratch = tempfile::tempdir().unwrap();
    let bin = scratch.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let dir = conf("relay_clientcerts = hash:$config_directory/cc\n", "");
    let fake = |version: &str| {
        let p = bin.join(format!("postconf-{version}"));
        fs::write(
            &p,
            format!(
                "#!/bin/sh\nfor a; do case \"$a\" in\n\
                 -d) echo 'mail_version = {version}'; echo 'default_database_type = lmdb'; \
                 echo 'meta_directory = {}'; exit 0;;\n\
                 -m) echo cdb; echo lmdb; echo cidr; exit 0;;\n-x) exit 0;;\nesac; done\n",
                dir.path().display()
            ),
        )
        .unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        Choice {
            lookup: Lookup::Program(p),
            ..Choice::default()
        }
    };
    let open = |c: &Choice| PostfixConfig::open(dir.path(), c).unwrap();
    let no_plugins = open(&fake("3.12-20260821")).bdb_absence().unwrap();
    assert!(matches!(no_plugins, BdbAbsence::NotBuilt { .. }));
    assert!(no_plugins.to_string().contains("no dynamicmaps.cf"));
    fs::write(
        dir.path().join("dynamicmaps.cf"),
        "lmdb\tpostfix-lmdb.so\tdict_lmdb_open\tmkmap_lmdb_open\n",
    )
    .unwrap();
    let plugin = open(&fake("3.12-20260821")).bdb_absence().unwrap();
    assert_eq!(
        plugin,
        BdbAbsence::PluginMissing {
            dynamicmaps: dir.path().join("dynamicmaps.cf")
        }
    );
    assert!(
        plugin
            .to_string()
            .contains("installing the distribution's Berkeley DB map plug-in package brings hash: and btree: back"),
        "{plugin}"
    );
    let old = open(&fake("3.11.6")).bdb_absence().unwrap();
    assert!(
        old.to_string()
            .contains("before 3.12 cannot be added as a plug-in"),
        "{old}"
    );
    // doctor says the same in its finding on the table.
    let out = Test::new()
        .file(
            "postfix-config/main.cf",
            "relay_clientcerts = hash:$config_directory/cc\n",
        )
        .file(
            "postfix-config/dynamicmaps.cf",
            "lmdb\tpostfix-lmdb.so\tdict_lmdb_open\tmkmap_lmdb_open\n",
        )
        .file("postfix-config/cc", entry("ws", "ws"))
        .env(
            "CCERT_POSTCONF",
            bin.join("postconf-3.12-20260821").to_str().unwrap(),
        )
        .args(["doctor"])
        .status(1)
        .run();
    // The fake's meta_directory is the other directory: the scratch one has
    // its own dynamicmaps.cf, so the answer there is the plug-in one too.
    assert!(
        out.stdout
            .contains("a Berkeley DB table, which this Postfix cannot open")
            && out.stdout.contains("ccert migrate"),
        "{}",
        out.stdout
    );
}

const MAIN: &str = "\
compatibility_level = 3.6
myhostname = mx.example.net
smtpd_tls_chain_files = $config_directory/mx.pem
smtpd_tls_security_level = may
relay_clientcerts = cdb:$config_directory/clientcerts
";

const MASTER: &str = "\
smtp      inet  n       -       y       -       1       postscreen
smtpd     pass  -       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject
tlsproxy  unix  -       -       y       -       0       tlsproxy
";

/// A configuration with its cdb table built; doctor's findings as JSON for
/// `release`.
fn doctor(main: &str, master: &str, release: &str) -> Vec<Value> {
    let t = Test::new()
        .file("postfix-config/main.cf", main)
        .file("postfix-config/master.cf", master)
        .file("postfix-config/mx.pem", "server key and chain\n")
        .file("postfix-config/clientcerts", entry("ws", "ws"))
        .env("CCERT_POSTCONF", "none");
    let built = t
        .args(["compile", "cdb:postfix-config/clientcerts"])
        .run()
        .then();
    let out = built
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", release, "doctor", "--format", "json"])
        .status_among(&[0, 1])
        .run();
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", out.stdout))
}

fn messages(findings: &[Value], text: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f["message"].as_str().unwrap().contains(text))
        .map(|f| {
            format!(
                "{}: {} | fix: {}",
                f["severity"],
                f["message"].as_str().unwrap(),
                f["fix"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Item 1: the digest postscreen's STARTTLS fingerprints with is the
/// parameter of the release that decides it (3.12: postscreen's own,
/// before: tlsproxy's), reported with its line when it differs from the
/// entries, and only when postscreen asks for certificates.
#[test]
fn postscreen_digest_is_compared_with_the_entries() {
    let asks = "postscreen_tls_security_level = may\npostscreen_tls_ask_ccert = yes\n";
    let main = format!("{MAIN}{asks}postscreen_tls_fingerprint_digest = md5\n");
    let f = doctor(&main, MASTER, "3.12");
    let m = messages(&f, "postscreen_tls_fingerprint_digest = md5");
    assert_eq!(m.len(), 1, "{f:?}");
    assert!(
        m[0].starts_with("\"warning\"")
            && m[0].contains("the table entries are sha256")
            && m[0].contains("does not decide relaying")
            && m[0].contains(
                "change that main.cf line to: postscreen_tls_fingerprint_digest = sha256"
            ),
        "{}",
        m[0]
    );
    // 3.11 does not know postscreen_tls_*: tlsproxy's digest counts there.
    let main311 = format!(
        "{MAIN}postscreen_tls_security_level = may\ntlsproxy_tls_ask_ccert = yes\ntlsproxy_tls_fingerprint_digest = sha1\n"
    );
    let f = doctor(&main311, MASTER, "3.11");
    let m = messages(
        &f,
        "tlsproxy_tls_fingerprint_digest = sha1 (for tlsproxy/unix)",
    );
    assert_eq!(m.len(), 1, "{f:?}");
    assert!(
        messages(
            &doctor(&main311, MASTER, "3.11"),
            "postscreen_tls_fingerprint"
        )
        .is_empty()
    );
    // The postscreen service's own -o wins over main.cf (3.12).
    let master = MASTER.replace(
        "postscreen\n",
        "postscreen\n  -o postscreen_tls_fingerprint_digest=sha512\n",
    );
    let f = doctor(&format!("{MAIN}{asks}"), &master, "3.12");
    let m = messages(
        &f,
        "postscreen_tls_fingerprint_digest = sha512 (for smtp/inet)",
    );
    assert!(
        m.len() == 1 && m[0].contains("change that line of service smtp/inet to: -o postscreen_tls_fingerprint_digest=sha256"),
        "{f:?}"
    );
    // Same digest, or postscreen not asking: nothing to say.
    assert!(
        messages(
            &doctor(&format!("{MAIN}{asks}"), MASTER, "3.12"),
            "fingerprint_digest ="
        )
        .is_empty()
    );
    let quiet = format!("{MAIN}postscreen_tls_fingerprint_digest = md5\n");
    assert!(messages(&doctor(&quiet, MASTER, "3.12"), "postscreen_tls").is_empty());
}

/// Item 2: on 3.12 doctor proposes a cidr: smtpd_tls_loglevel_maps for
/// the workstations' networks (with the global level as the alternative);
/// before 3.12 the global level; a cidr table that raises the level
/// silences it; server-config and `ccert log` say the same.
#[test]
fn per_peer_log_level_on_312() {
    let f = doctor(MAIN, MASTER, "3.12");
    let m = messages(&f, "smtpd does not log the fingerprints");
    assert_eq!(m.len(), 1, "{f:?}");
    assert!(
        m[0].contains("add to main.cf: smtpd_tls_loglevel_maps = cidr:")
            && m[0].contains("tls_loglevel.cidr, e.g.: 192.0.2.0/24    1, peercert")
            && m[0]
                .contains("or for every client: add to main.cf: smtpd_tls_loglevel = 1, peercert"),
        "{}",
        m[0]
    );
    let f = doctor(MAIN, MASTER, "3.11");
    let m = messages(&f, "smtpd does not log the fingerprints");
    assert!(
        m.len() == 1 && m[0].ends_with("fix: add to main.cf: smtpd_tls_loglevel = 1, peercert"),
        "{m:?}"
    );
    // A cidr table that raises the level for a network: nothing to say;
    // one that does not: said, naming the table.
    for (cidr, said) in [
        ("10.1.0.0/16  1, peercert\n", false),
        ("10.1.0.0/16 1\n", true),
    ] {
        let t = Test::new()
            .file(
                "postfix-config/main.cf",
                format!("{MAIN}smtpd_tls_loglevel_maps = cidr:$config_directory/ll.cidr\n"),
            )
            .file("postfix-config/master.cf", MASTER)
            .file("postfix-config/mx.pem", "x\n")
            .file("postfix-config/ll.cidr", cidr)
            .file("postfix-config/clientcerts", entry("ws", "ws"))
            .env("CCERT_POSTCONF", "none")
            .args(["--postfix-version", "3.12", "doctor"])
            .status_among(&[0, 1])
            .run();
        assert_eq!(
            t.stdout.contains("raises it for no client"),
            said,
            "{cidr}: {}",
            t.stdout
        );
    }
    let out = Test::new()
        .file("postfix-config/main.cf", MAIN)
        .file("postfix-config/master.cf", MASTER)
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.12", "server-config"])
        .run();
    assert!(
        out.stdout.contains("\nsmtpd_tls_loglevel_maps = cidr:")
            && !out.stdout.contains("\nsmtpd_tls_loglevel = "),
        "{}",
        out.stdout
    );
    let out = Test::new()
        .file("postfix-config/main.cf", MAIN)
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.11", "server-config"])
        .run();
    assert!(
        out.stdout.contains("\nsmtpd_tls_loglevel = 1, peercert")
            && !out.stdout.contains("loglevel_maps"),
        "{}",
        out.stdout
    );
    for (release, hint) in [
        (
            "3.12",
            "only for the workstations' networks: smtpd_tls_loglevel_maps = cidr:",
        ),
        (
            "3.11",
            "smtpd logs them at smtpd_tls_loglevel = 1, peercert (or 2)",
        ),
    ] {
        Test::new()
            .file("postfix-config/main.cf", MAIN)
            .file(
                "mail.log",
                "Dec  7 10:00:00 mx postfix/smtpd[1]: connect from x[192.0.2.1]\n",
            )
            .env("CCERT_POSTCONF", "none")
            .args(["--postfix-version", release, "log", "--all", "mail.log"])
            .stderr_contains(hint)
            .run();
    }
    // Already set: the hint names the table to check.
    Test::new()
        .file(
            "postfix-config/main.cf",
            format!("{MAIN}smtpd_tls_loglevel_maps = cidr:/etc/postfix/ll.cidr\n"),
        )
        .file("mail.log", "")
        .env("CCERT_POSTCONF", "none")
        .args(["--postfix-version", "3.12", "log", "--all", "mail.log"])
        .stderr_contains(
            "smtpd_tls_loglevel_maps = cidr:/etc/postfix/ll.cidr sets the level per client",
        )
        .run();
}

/// Item 3: permit_tls_all_clientcerts and the EKU: before 3.12 the note
/// says public-CA certificates fail and 3.12 adds tls_trust_server_ccerts;
/// on 3.12 it names the setting (and what `yes` admits); every note says
/// fingerprint entries need no EKU.
#[test]
fn trust_server_ccerts_is_explained_with_permit_all() {
    let master = MASTER.replace(
        "smtpd_relay_restrictions=permit_tls_clientcerts,reject",
        "smtpd_relay_restrictions=permit_tls_all_clientcerts,reject",
    );
    let main = format!("{MAIN}smtpd_tls_CAfile = $config_directory/mx.pem\n");
    for (release, extra, want) in [
        ("3.11", "", "Postfix 3.12 adds tls_trust_server_ccerts"),
        ("3.12", "", "tls_trust_server_ccerts = yes accepts them"),
        (
            "3.12",
            "tls_trust_server_ccerts = yes\n",
            "tls_trust_server_ccerts = yes: permit_tls_all_clientcerts also admits serverAuth-only",
        ),
    ] {
        let f = doctor(&format!("{main}{extra}"), &master, release);
        let m = messages(&f, "extended key usage");
        let m: Vec<_> = m
            .into_iter()
            .chain(messages(&f, "serverAuth-only"))
            .collect();
        assert!(
            m.iter().any(|m| m.contains(want) && m.contains("fingerprint entries (permit_tls_clientcerts, check_ccert_access) need no EKU")),
            "{release} {extra}: {f:?}"
        );
    }
    // A 3.12 setting on 3.11 is ignored, and said so.
    let f = doctor(
        &format!("{MAIN}tls_trust_server_ccerts = yes\n"),
        MASTER,
        "3.11",
    );
    let m = messages(&f, "is a Postfix 3.12 setting");
    assert!(
        m.len() == 1
            && m[0].contains(
                "tls_trust_server_ccerts is a Postfix 3.12 setting: this Postfix (3.11) ignores it"
            ),
        "{f:?}"
    );
    // Without permit_tls_all_clientcerts, no EKU note.
    assert!(messages(&doctor(MAIN, MASTER, "3.12"), "EKU").is_empty());
}

/// Item 6: tls_legacy_public_key_fingerprints still set is flagged (no
/// effect from 3.9, unknown from 3.11); before 3.12 shared session tickets
/// are noted only for a service asking for certificates beside one that
/// does not, both with tickets on.
#[test]
fn obsolete_settings_and_shared_tickets() {
    let main = format!("{MAIN}tls_legacy_public_key_fingerprints = no\n");
    for (release, want) in [
        ("3.12", "Postfix 3.12 no longer knows it"),
        ("3.11", "Postfix 3.11 no longer knows it"),
        ("3.10", "no effect since Postfix 3.9"),
        ("3.8", "is the default; the setting is obsolete"),
    ] {
        let f = doctor(&main, MASTER, release);
        let m = messages(&f, "tls_legacy_public_key_fingerprints");
        assert!(
            m.len() == 1 && m[0].contains(want) && m[0].ends_with("fix: delete that line"),
            "{release}: {m:?}"
        );
    }
    let f = doctor(
        &format!("{MAIN}tls_legacy_public_key_fingerprints = yes\n"),
        MASTER,
        "3.7",
    );
    assert!(messages(&f, "wrong algorithm")[0].starts_with("\"error\""));
    // smtpd/pass offers TLS (main.cf: may) without asking; submission asks.
    let tickets = "accept each other's TLS session tickets";
    let m = messages(&doctor(MAIN, MASTER, "3.11"), tickets);
    assert!(
        m.len() == 1
            && m[0].contains("resumes on submission/inet a session made on smtpd/pass")
            && m[0].contains("-o tls_session_ticket_cipher="),
        "{m:?}"
    );
    assert!(messages(&doctor(MAIN, MASTER, "3.12"), tickets).is_empty());
    // Tickets off (no cipher), or every service asking: nothing to say.
    let off = format!("{MAIN}tls_session_ticket_cipher =\n");
    assert!(messages(&doctor(&off, MASTER, "3.11"), tickets).is_empty());
    let all_ask = format!("{MAIN}smtpd_tls_ask_ccert = yes\n");
    assert!(messages(&doctor(&all_ask, MASTER, "3.11"), tickets).is_empty());
    // The fix doctor gives, and tlsmgr's timeout at 0, turn tickets off;
    // a service's own timeout does not (tlsmgr decides; checked on 3.7).
    let fixed = MASTER.replace(
        "  -o smtpd_tls_ask_ccert=yes\n",
        "  -o smtpd_tls_ask_ccert=yes\n  -o tls_session_ticket_cipher=\n",
    );
    assert!(messages(&doctor(MAIN, &fixed, "3.11"), tickets).is_empty());
    let cache_off = format!("{MAIN}smtpd_tls_session_cache_timeout = 0\n");
    assert!(messages(&doctor(&cache_off, MASTER, "3.11"), tickets).is_empty());
    let own_timeout = MASTER.replace(
        "  -o smtpd_tls_ask_ccert=yes\n",
        "  -o smtpd_tls_ask_ccert=yes\n  -o smtpd_tls_session_cache_timeout=0\n",
    );
    assert_eq!(
        messages(&doctor(MAIN, &own_timeout, "3.11"), tickets).len(),
        1
    );
}

/// Item 5, as root: the table of a source another user owns is theirs
/// (root's postmap runs as the source owner), also when an older table was
/// root's; a root-owned source in a directory that user owns is built with
/// postmap 3.12's warning, and doctor reports that layout.
#[test]
#[cfg_attr(ccert_missing = "root", ignore = "needs root")]
fn postmap_ownership_rule() {
    // chown to nobody.
    crate::oracle::require_root("postmap_ownership_rule");
    let nobody = (65534u32, 65534u32);
    for kind in ["cdb", "lmdb", "hash", "sqlite"] {
        let t = Test::new().file("cc", entry("ws", "ws"));
        let src = t.dir().join("cc");
        std::os::unix::fs::chown(&src, Some(nobody.0), Some(nobody.1)).unwrap();
        let suffix = if kind == "hash" { "db" } else { kind };
        let path = t.dir().join(format!("cc.{suffix}"));
        // An older table of root's.
        let done = t.args(["compile", &format!("{kind}:cc")]).run();
        std::os::unix::fs::chown(&path, Some(0), Some(0)).unwrap();
        // (kept: the scratch directory lives as long as the run's result)
        let _again = done.then().args(["compile", &format!("{kind}:cc")]).run();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!((meta.uid(), meta.gid()), nobody, "{kind}");
    }
    // (The real postmap does the same: postmap_ownership_matches_postmap.)
    // The risky layout: root's source in nobody's directory.
    let t = Test::new()
        .file(
            "postfix-config/main.cf",
            "relay_clientcerts = cdb:$config_directory/clientcerts\n",
        )
        .file("postfix-config/clientcerts", entry("ws", "ws"));
    let dir = t.dir().join("postfix-config");
    std::os::unix::fs::chown(&dir, Some(nobody.0), Some(nobody.1)).unwrap();
    let built = t
        .env("CCERT_POSTCONF", "none")
        .args(["compile", "cdb:postfix-config/clientcerts"])
        .stderr_contains("ccert: warning: postfix-config/clientcerts is owned by root but its directory postfix-config by uid 65534")
        .stderr_contains("privilege-escalation")
        .run();
    assert_eq!(
        fs::metadata(dir.join("clientcerts.cdb")).unwrap().uid(),
        0,
        "built anyway, as postmap does"
    );
    let out = built
        .then()
        .env("CCERT_POSTCONF", "none")
        .args(["doctor", "--format", "json"])
        .status_among(&[0, 1])
        .run();
    let f: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let m = messages(&f, "is owned by root but its directory");
    assert!(
        m.len() == 1 && m[0].starts_with("\"warning\"") && m[0].contains("chown root "),
        "{f:?}"
    );
}

/// Item 5 against the real postmap (any release: the drop to the source
/// owner is old; cdb, which postmap also renames into place): ccert's table
/// of a source nobody owns has postmap's owner and mode.
#[test]
#[cfg_attr(
    any(ccert_missing = "postfix", ccert_missing = "root"),
    ignore = "needs postfix and root"
)]
fn postmap_ownership_matches_postmap() {
    let test = "postmap_ownership_matches_postmap";
    crate::oracle::require_root(test);
    let postmap = crate::oracle::require("postmap", test).unwrap();
    let nobody = (65534u32, 65534u32);
    let t = Test::new()
        .file("postfix-config/main.cf", "")
        .file("w/cc", entry("ws", "ws"));
    crate::oracle::settle(&t.dir().join("postfix-config"));
    let w = t.dir().join("w");
    for p in [w.clone(), w.join("cc")] {
        std::os::unix::fs::chown(&p, Some(nobody.0), Some(nobody.1)).unwrap();
    }
    // nobody must reach w/ (postmap runs as nobody).
    fs::set_permissions(t.dir(), fs::Permissions::from_mode(0o755)).unwrap();
    let conf = t.dir().join("postfix-config");
    let theirs = w.join("theirs");
    fs::copy(w.join("cc"), &theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(nobody.0), Some(nobody.1)).unwrap();
    crate::oracle::run_ok(
        &postmap,
        &[
            "-c",
            conf.to_str().unwrap(),
            &format!("cdb:{}", theirs.display()),
        ],
    );
    let _done = t.args(["compile", "cdb:w/cc"]).run();
    let ours = fs::metadata(w.join("cc.cdb")).unwrap();
    let peer = fs::metadata(w.join("theirs.cdb")).unwrap();
    assert_eq!((ours.uid(), ours.gid()), (peer.uid(), peer.gid()));
    assert_eq!(ours.mode() & 0o7777, peer.mode() & 0o7777);
}
