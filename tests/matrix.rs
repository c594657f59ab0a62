//! The Postfix version matrix (issue 8): ccert against the Postfix of
//! bullseye (3.5), the host (bookworm, 3.7), trixie (3.10) and forky (3.11).
//!
//! In each member ([`crate::matrix_env`]):
//! - the values ccert uses (fingerprint digest, default table type, the
//!   relay_clientcerts table) equal what `postconf -x` says there;
//! - postmap there reads ccert's tables, and ccert reads postmap's;
//! - a live smtpd there admits a listed certificate entry and a public-key
//!   entry (250) and refuses unlisted clients (5xx), with the release's own
//!   default digest;
//! - 3.11 with Berkeley DB migration on: add + compile leave a table the live
//!   smtpd answers from;
//! - 3.10: a raw-public-key client (trixie's OpenSSL 3.5 s_client) is admitted
//!   by a `--pubkey` entry and refused by a certificate entry.
//!
//! Each test collects every mismatch of its member before failing, so one run
//! shows everything that is wrong there.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Stdio;

use crate::live::{self, Client, EC, Instance, make_cert, rcpt};
use crate::matrix_env::{self, Member, Scratch};

/// Creates an EC certificate `<name>.pem` / `<name>.key` in `scratch` with the
/// host's openssl.
fn cert(scratch: &Scratch, name: &str) -> Client {
    let openssl = crate::oracle::require("openssl", "matrix").expect("openssl");
    make_cert(&openssl, &scratch.path(""), name, &EC)
}

/// The table type a `compile` without a type wrote for `source`, judged by
/// the file that appeared.
fn written_type(scratch: &Scratch, source: &str) -> String {
    let found: Vec<&str> = [("db", "hash"), ("cdb", "cdb"), ("lmdb", "lmdb")]
        .into_iter()
        .filter(|(ext, _)| scratch.path(&format!("{source}.{ext}")).exists())
        .map(|(_, t)| t)
        .collect();
    match found.as_slice() {
        [one] => one.to_string(),
        [] => "nothing".into(),
        many => many.join("+"),
    }
}

/// The main.cf settings the effective values are compared under.
const CASES: [&str; 4] = [
    "compatibility_level = 3.6\n",
    "",
    "smtpd_tls_fingerprint_digest = sha1\ndefault_database_type = lmdb\n",
    "compatibility_level = 3.6\nrelay_clientcerts = lmdb:${config_directory}/relay-src\n",
];

fn effective_values(name: &str) {
    let test = format!("matrix::effective_values_{name}");
    let Some(member) = matrix_env::member(name, &test) else {
        return;
    };
    let mut wrong = Vec::new();
    for main_cf in CASES {
        let scratch = member.scratch();
        scratch.write("main.cf", main_cf);
        cert(&scratch, "probe");
        let case = format!("{}, main.cf {main_cf:?}", member.label());

        let digest = member.postconf(&scratch, "smtpd_tls_fingerprint_digest");
        let out = scratch.ccert_ok(&["fingerprint", &scratch.arg("probe.pem")]);
        let ours = out.split_whitespace().next().unwrap_or("").to_string();
        if !ours.eq_ignore_ascii_case(&digest) {
            wrong.push(format!(
                "{case}: smtpd_tls_fingerprint_digest: postconf says {digest}, ccert fingerprint used {ours}"
            ));
        }

        let db_type = member.postconf(&scratch, "default_database_type");
        scratch.write("probe-src", "aa:bb probe\n");
        scratch
            .ccert(&["compile", &scratch.arg("probe-src")])
            .note(&case)
            .run();
        let ours = written_type(&scratch, "probe-src");
        let same = ours == db_type || (ours == "hash" && db_type == "btree");
        if !same {
            wrong.push(format!(
                "{case}: default_database_type: postconf says {db_type}, `ccert compile FILE` wrote {ours}"
            ));
        }

        let relay = member.postconf(&scratch, "relay_clientcerts");
        if let Some((map_type, path)) = relay.split_once(':') {
            // Issue 8, item 2: add builds the configured table when it does
            // not exist yet (the only such setting here is an lmdb: one).
            let out = scratch
                .ccert(&["add", &scratch.arg("probe.pem"), "--name", "probe"])
                .note(&case)
                .stderr(format!("ccert: built {path}.{map_type}\n"))
                .run();
            let rel = Path::new(path)
                .strip_prefix(scratch.inside(""))
                .expect("relay_clientcerts points into the scratch directory");
            let source =
                fs::read_to_string(scratch.path(&rel.to_string_lossy())).unwrap_or_default();
            let table = scratch.path(&format!("{}.{map_type}", rel.display()));
            let stderr = &out.stderr;
            if !source.contains(" probe\n") {
                wrong.push(format!(
                    "{case}: relay_clientcerts: postconf says {relay}; `ccert add` without --map \
                     did not add to that file: {source:?} ({})",
                    stderr.trim()
                ));
            } else if !table.exists() {
                // Issue 8, item 2: add builds the configured table when it
                // does not exist yet.
                wrong.push(format!(
                    "{case}: relay_clientcerts: postconf says {relay}; `ccert add` without --map \
                     did not build {} ({})",
                    table.display(),
                    stderr.trim()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The entries of the both-ways table tests: upper-case keys, as people
/// paste fingerprints; Postfix and ccert fold them to lower case.
fn table_entries() -> Vec<(String, String)> {
    (0..40u32)
        .map(|i| {
            let key = (0..32u32)
                .map(|b| format!("{:02X}", (i * 37 + b * 11) % 256))
                .collect::<Vec<_>>()
                .join(":");
            (key, format!("host-{i}"))
        })
        .collect()
}

/// `key value` lines as a set, whitespace-normalised, keys in lower case
/// (`postmap -q -` echoes each key as it was given).
fn entry_set(text: &str) -> BTreeSet<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(char::is_whitespace)?;
            Some((k.to_lowercase(), v.trim().to_string()))
        })
        .collect()
}

fn tables_both_ways(name: &str) {
    let test = format!("matrix::tables_both_ways_{name}");
    let Some(member) = matrix_env::member(name, &test) else {
        return;
    };
    let scratch = member.scratch();
    scratch.write("main.cf", "compatibility_level = 3.6\n");
    let supported = member.map_types(&scratch);
    for needed in ["lmdb", "cdb"] {
        assert!(
            supported.iter().any(|t| t == needed),
            "{}: postconf -m lacks {needed}: {supported:?}",
            member.label()
        );
    }
    let entries = table_entries();
    let source: String = entries.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
    let expected: BTreeSet<(String, String)> = entries
        .iter()
        .map(|(k, v)| (k.to_lowercase(), v.clone()))
        .collect();
    let (probe_key, probe_value) = &entries[7];
    // postmap -q folds the keys it is given, as Postfix does for lookups.
    let keys: String = entries.iter().map(|(k, _)| format!("{k}\n")).collect();
    let mut wrong = Vec::new();
    for map_type in ["hash", "lmdb", "cdb", "sqlite"] {
        if !supported.iter().any(|t| t == map_type) {
            eprintln!(
                "{test}: {} has no {map_type} support; not tested",
                member.label()
            );
            continue;
        }
        // ccert writes, postmap reads.
        let ours = format!("ours-{map_type}");
        scratch.write(&ours, &source);
        let table = format!("{map_type}:{}", scratch.arg(&ours));
        scratch.ccert_ok(&["compile", &table]);
        // postmap opens a sqlite table through its .cf file.
        let postmap_table = match map_type {
            "sqlite" => format!("sqlite:{}.sqlite.cf", scratch.arg(&ours)),
            _ => table.clone(),
        };
        let found = entry_set(&scratch.postmap_query_all(&postmap_table, &keys));
        if found != expected {
            wrong.push(format!(
                "postmap -q - on ccert's {map_type} table found {} of {} entries",
                found.intersection(&expected).count(),
                expected.len()
            ));
        }
        if map_type != "sqlite" {
            // postmap writes, ccert reads.
            let theirs = format!("theirs-{map_type}");
            scratch.write(&theirs, &source);
            let table = format!("{map_type}:{}", scratch.arg(&theirs));
            scratch.postmap_ok(&[&table]);
            let dumped = entry_set(&scratch.ccert_ok(&["dump", &table]));
            if dumped != expected {
                wrong.push(format!(
                    "ccert dump of postmap's {map_type} table differs: {} entries, {} expected",
                    dumped.len(),
                    expected.len()
                ));
            }
            let got = scratch.ccert_ok(&["query", probe_key, &table]);
            if got.trim() != probe_value {
                wrong.push(format!(
                    "ccert query on postmap's {map_type} table: {got:?}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{}:\n{}",
        member.label(),
        wrong.join("\n")
    );
}

/// An instance running the member's Postfix (a chroot instance for a chroot).
fn instance(member: &Member, tools: &live::Tools, test: &str) -> Instance {
    match &member.chroot {
        Some(dir) => Instance::in_chroot(tools, test, dir, &member.ccert),
        None => Instance::new(tools, test),
    }
}

/// `path` of a file of the instance as ccert sees it, as an argument.
fn arg(inst: &Instance, path: &Path) -> String {
    inst.inside(path).to_string_lossy().into_owned()
}

fn live_relay(name: &str) {
    let test = format!("matrix::live_relay_{name}");
    let Some(member) = matrix_env::member(name, &test) else {
        return;
    };
    let Some(tools) = live::tools(&test) else {
        return;
    };
    let mut inst = instance(&member, &tools, &test);
    // The release's own default digest (3.5: md5 whatever the
    // compatibility_level; 3.6+: sha256 at level 3.6) decides.
    inst.fingerprint_digest = None;
    let scratch = member.scratch();
    scratch.write("main.cf", "compatibility_level = 3.6\n");
    let db_type = member.postconf(&scratch, "default_database_type");
    let table = inst.table(&db_type);
    let port = inst.listener("matrix", &table, &[]);
    let certs = inst.path("certs");
    let listed = make_cert(&tools.openssl, &certs, "listed", &EC);
    let pk = make_cert(&tools.openssl, &certs, "pk", &EC);
    let unlisted = make_cert(&tools.openssl, &certs, "unlisted", &EC);
    inst.write_config();
    // add builds the table main.cf names, from the first entry on.
    inst.ccert(&["add", &arg(&inst, &listed.cert), "--name", "listed"])
        .stderr(inst.rebuilt(&[&db_type]))
        .run();
    inst.ccert(&["add", "--pubkey", &arg(&inst, &pk.cert), "--name", "pk"])
        .stderr(inst.rebuilt(&[&db_type]))
        .run();
    inst.ccert(&["compile", &table]).run();
    inst.start();

    let mut wrong = Vec::new();
    for (who, client, admitted) in [
        ("a certificate entry", Some(&listed), true),
        ("a public-key entry", Some(&pk), true),
        ("an unlisted certificate", Some(&unlisted), false),
        ("no certificate", None, false),
    ] {
        let reply = rcpt(&tools.swaks, port, client);
        let ok = if admitted {
            reply.code == 250
        } else {
            (500..600).contains(&reply.code)
        };
        if !ok {
            wrong.push(format!(
                "{who}: RCPT got {} (want {}) from {table}\n{}",
                reply.code,
                if admitted { "250" } else { "5xx" },
                reply.transcript
            ));
        }
    }
    let errors = inst.log_errors();
    inst.stop();
    assert!(
        wrong.is_empty(),
        "{}:\n{}\n--- log errors\n{}",
        member.label(),
        wrong.join("\n"),
        errors.join("\n")
    );
}

// One test per check and member, so each reports on its own.
#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root"
    ),
    ignore = "needs debootstrap, openssl, postfix and root"
)]
fn effective_values_host() {
    effective_values("host");
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root"
    ),
    ignore = "needs debootstrap, openssl, postfix and root"
)]
fn effective_values_bullseye() {
    effective_values("bullseye");
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root"
    ),
    ignore = "needs debootstrap, openssl, postfix and root"
)]
fn effective_values_trixie() {
    effective_values("trixie");
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root"
    ),
    ignore = "needs debootstrap, openssl, postfix and root"
)]
fn effective_values_forky() {
    effective_values("forky");
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "postfix",
        ccert_missing = "root"
    ),
    ignore = "needs debootstrap, postfix and root"
)]
fn tables_both_ways_host() {
    tables_both_ways("host");
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "postfix",
        ccert_missing = "root"
    ),
    ignore = "needs debootstrap, postfix and root"
)]
fn tables_both_ways_bullseye() {
    tables_both_ways("bullseye");
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "postfix",
        ccert_missing = "root"
    ),
    ignore = "needs debootstrap, postfix and root"
)]
fn tables_both_ways_trixie() {
    tables_both_ways("trixie");
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "postfix",
        ccert_missing = "root"
    ),
    ignore = "needs debootstrap, postfix and root"
)]
fn tables_both_ways_forky() {
    tables_both_ways("forky");
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root",
        ccert_missing = "swaks"
    ),
    ignore = "needs debootstrap, openssl, postfix, root and swaks"
)]
fn live_relay_host() {
    live_relay("host");
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root",
        ccert_missing = "swaks"
    ),
    ignore = "needs debootstrap, openssl, postfix, root and swaks"
)]
fn live_relay_bullseye() {
    live_relay("bullseye");
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root",
        ccert_missing = "swaks"
    ),
    ignore = "needs debootstrap, openssl, postfix, root and swaks"
)]
fn live_relay_trixie() {
    live_relay("trixie");
}

#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root",
        ccert_missing = "swaks"
    ),
    ignore = "needs debootstrap, openssl, postfix, root and swaks"
)]
fn live_relay_forky() {
    live_relay("forky");
}

/// 3.11 with `non_bdb_migration_level = enable-redirect`: a `hash:` table is
/// opened as `$default_database_type:`; `ccert add` and `ccert compile hash:…`
/// must leave the table that smtpd really opens.
#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root",
        ccert_missing = "swaks"
    ),
    ignore = "needs debootstrap, openssl, postfix, root and swaks"
)]
fn migration_redirect_forky() {
    let test = "matrix::migration_redirect_forky";
    let Some(member) = matrix_env::chroot("forky", test) else {
        return;
    };
    assert!(
        member.release() >= (3, 11),
        "{}: forky no longer has Postfix 3.11+",
        member.label()
    );
    let Some(tools) = live::tools(test) else {
        return;
    };
    let mut inst = instance(&member, &tools, test);
    inst.main_extra = "non_bdb_migration_level = enable-redirect\n".into();
    let table = inst.table("hash");
    let port = inst.listener("redirect", &table, &[]);
    let certs = inst.path("certs");
    let listed = make_cert(&tools.openssl, &certs, "listed", &EC);
    let unlisted = make_cert(&tools.openssl, &certs, "unlisted", &EC);
    inst.write_config();
    // The hash: table smtpd opens as cdb: (forky's default_database_type).
    let redirected = format!(
        "ccert: notice: hash:{source} is read as cdb:{source} \
         (non_bdb_migration_level = enable-redirect)\n",
        source = arg(&inst, &inst.source()),
    );
    inst.ccert(&["add", &arg(&inst, &listed.cert), "--name", "listed"])
        .stderr(format!("{redirected}{}", inst.rebuilt(&["cdb"])))
        .run();
    inst.ccert(&["compile", &table]).stderr(redirected).run();
    inst.start();
    let admitted = rcpt(&tools.swaks, port, Some(&listed));
    let refused = rcpt(&tools.swaks, port, Some(&unlisted));
    let log = inst.log();
    inst.stop();
    assert_eq!(
        admitted.code,
        250,
        "{}: listed client under enable-redirect\n{}\n--- log\n{log}",
        member.label(),
        admitted.transcript
    );
    assert!(
        (500..600).contains(&refused.code),
        "{}: unlisted client under enable-redirect got {}\n{}",
        member.label(),
        refused.code,
        refused.transcript
    );
}

/// The RCPT reply code an `openssl s_client` SMTP dialogue got (0: none).
fn s_client_rcpt_code(transcript: &str) -> u16 {
    // The reply after MAIL FROM's "250 2.1.0".
    transcript
        .lines()
        .skip_while(|l| !l.contains(" 2.1.0 "))
        .skip(1)
        .find(|l| l.len() >= 4 && l.as_bytes()[3] == b' ')
        .and_then(|l| l.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// 3.10 with `smtpd_tls_enable_rpk = yes`: a client that sends a raw public
/// key (trixie's `openssl s_client -enable_client_rpk`) is admitted by a
/// `--pubkey` entry and refused by a certificate entry for the same key.
#[test]
#[cfg_attr(
    any(
        ccert_missing = "debootstrap",
        ccert_missing = "openssl",
        ccert_missing = "postfix",
        ccert_missing = "root",
        ccert_missing = "swaks"
    ),
    ignore = "needs debootstrap, openssl, postfix, root and swaks"
)]
fn raw_public_key_trixie() {
    let test = "matrix::raw_public_key_trixie";
    let Some(member) = matrix_env::chroot("trixie", test) else {
        return;
    };
    let Some(tools) = live::tools(test) else {
        return;
    };
    let mut inst = instance(&member, &tools, test);
    let rpk = ["smtpd_tls_enable_rpk=yes", "smtpd_tls_loglevel=2"];
    let pk_table = format!("lmdb:{}", arg(&inst, &inst.path("conf/pubkeys")));
    let cert_table = format!("lmdb:{}", arg(&inst, &inst.path("conf/certs")));
    let pk_port = inst.listener("rpk-pubkey", &pk_table, &rpk);
    let cert_port = inst.listener("rpk-cert", &cert_table, &rpk);
    let certs = inst.path("certs");
    let client = make_cert(&tools.openssl, &certs, "rpk", &EC);
    inst.write_config();
    let client_cert = arg(&inst, &client.cert);
    let client_key = arg(&inst, &client.key);
    inst.ccert(&[
        "--map",
        &arg(&inst, &inst.path("conf/pubkeys")),
        "add",
        "--pubkey",
        &client_cert,
        "--name",
        "rpk",
    ])
    .stderr(format!(
        "ccert: built {}.lmdb\n",
        arg(&inst, &inst.path("conf/pubkeys"))
    ))
    .run();
    inst.ccert(&["compile", &pk_table]).run();
    // The certificate entry comes from `fingerprint --format map`: under
    // smtpd_tls_enable_rpk, `add` rightly defaults to public-key entries.
    let cert_entry = inst
        .ccert(&["fingerprint", "--format", "map", &client_cert])
        .run();
    fs::write(inst.path("conf/certs"), &cert_entry.stdout).unwrap();
    inst.ccert(&["compile", &cert_table]).run();
    inst.start();

    let dialogue = |port: u16| -> String {
        let mut child = inst
            .command("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
            .args(["-starttls", "smtp", "-enable_client_rpk"])
            .args(["-cert", &client_cert, "-key", &client_key])
            .args(["-crlf", "-quiet", "-nocommands"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting openssl s_client in the chroot");
        use std::io::Write;
        // One command group at a time: Postfix 3.9+ drops clients that
        // pipeline before the EHLO reply (smtpd_forbid_unauth_pipelining).
        let mut stdin = child.stdin.take().unwrap();
        for group in [
            "EHLO client.example\n",
            "MAIL FROM:<sender@client.example>\nRCPT TO:<user@remote.example>\n",
            "QUIT\n",
        ] {
            std::thread::sleep(std::time::Duration::from_secs(1));
            stdin.write_all(group.as_bytes()).unwrap();
        }
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let by_pubkey = dialogue(pk_port);
    let by_cert = dialogue(cert_port);
    let log = inst.log();
    inst.stop();
    // `ccert log` reads this real 3.10 log (the 3.9+ raw-key line) and lists
    // the client with the public-key fingerprint smtpd logged, which is the
    // one `ccert fingerprint --pubkey` computes.
    let pkey = inst
        .ccert(&["fingerprint", "--pubkey", "--format", "map", &client_cert])
        .run();
    let pkey = pkey
        .stdout
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let log_path = arg(&inst, &inst.path("log/postfix.log"));
    let seen = inst
        .ccert(&["log", "--all", "--format", "json", &log_path])
        .run();
    let seen = seen.stdout.to_ascii_lowercase();
    assert!(
        !pkey.is_empty() && seen.contains(&pkey) && seen.contains("\"raw_public_key\": true"),
        "{}: ccert log does not list the raw key {pkey}:\n{seen}\n--- log\n{log}",
        member.label()
    );
    assert!(
        log.contains("raw public key fingerprint"),
        "{}: the client sent no raw public key\n--- log\n{log}",
        member.label()
    );
    assert_eq!(
        s_client_rcpt_code(&by_pubkey),
        250,
        "{}: RPK client against a --pubkey entry\n{by_pubkey}\n--- log\n{log}",
        member.label()
    );
    let code = s_client_rcpt_code(&by_cert);
    assert!(
        (500..600).contains(&code),
        "{}: RPK client against a certificate entry got {code}\n{by_cert}",
        member.label()
    );
}
