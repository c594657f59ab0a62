//! Reading main.cf and master.cf: ccert's values against `postconf` on the
//! sample configurations in fixtures/postfix/, plus checks that need no oracle.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ccert::cert::DigestAlgorithm;
use ccert::postfix::PostfixConfig;
use ccert::postfix::defaults::DEFAULTS;

use crate::oracle;
use crate::test::fixtures;

const FIXTURES: &[&str] = &["debian12", "legacy-md5", "submission-certs", "expressions"];

fn fixture_dir(name: &str) -> PathBuf {
    fixtures().join("postfix").join(name)
}

/// postconf prints values with runs of whitespace collapsed; compare words.
fn words(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses `name = value` lines (postconf's output) into a map.
fn name_values(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .filter_map(|l| {
            let (n, v) = l.split_once(" =")?;
            Some((n.trim().to_string(), words(v)))
        })
        .collect()
}

fn postconf(tool: &Path, dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["-c", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    oracle::run_ok(tool, &all)
}

/// Every parameter ccert knows a default for, and every one main.cf sets,
/// expands as `postconf -x` expands it.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn values_match_postconf_x() {
    let Some(tool) = oracle::require("postconf", "values_match_postconf_x") else {
        return;
    };
    for name in FIXTURES {
        let dir = fixture_dir(name);
        let cfg = PostfixConfig::load(&dir).unwrap();
        let mut names: Vec<String> = DEFAULTS.iter().map(|(n, _)| n.to_string()).collect();
        names.extend(cfg.main_cf().params.iter().map(|p| p.name.clone()));
        names.extend(["myhostname", "mydomain", "config_directory"].map(String::from));
        names.sort();
        names.dedup();
        let mut args = vec!["-x"];
        args.extend(names.iter().map(String::as_str));
        let expected = name_values(&postconf(&tool, &dir, &args));
        let mut compared = 0;
        for name_ in &names {
            // postconf skips names it neither knows nor sees used.
            let Some(want) = expected.get(name_) else {
                assert!(
                    !DEFAULTS.iter().any(|(n, _)| n == name_),
                    "{name}: postconf does not print {name_}"
                );
                continue;
            };
            let got = cfg.get(name_).unwrap_or_default();
            assert_eq!(&words(&got), want, "{name}: {name_}");
            compared += 1;
        }
        assert!(compared >= DEFAULTS.len(), "{name}: compared {compared}");
    }
}

/// The raw values (`postconf -h`, no expansion) too.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn raw_values_match_postconf_h() {
    let Some(tool) = oracle::require("postconf", "raw_values_match_postconf_h") else {
        return;
    };
    for name in FIXTURES {
        let dir = fixture_dir(name);
        let cfg = PostfixConfig::load(&dir).unwrap();
        let mut args = vec![];
        args.extend(DEFAULTS.iter().map(|(n, _)| *n));
        let expected = name_values(&postconf(&tool, &dir, &args));
        for (n, _) in DEFAULTS {
            assert_eq!(words(&cfg.raw(n).unwrap()), expected[*n], "{name}: raw {n}");
        }
    }
}

/// The compatibility-level switches (digest, relay restrictions …) at every
/// level that matters, against postconf.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn compatibility_levels_match_postconf() {
    let Some(tool) = oracle::require("postconf", "compatibility_levels_match_postconf") else {
        return;
    };
    let names = [
        "smtpd_tls_fingerprint_digest",
        "tlsproxy_tls_fingerprint_digest",
        "smtpd_relay_restrictions",
        "relay_domains",
        "mynetworks_style",
        "smtputf8_enable",
    ];
    for level in ["0", "1", "2", "3.5", "3.6", "3.6.1", "3.7", "3.10"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("main.cf"),
            format!("compatibility_level = {level}\n"),
        )
        .unwrap();
        std::fs::write(dir.path().join("master.cf"), "").unwrap();
        crate::oracle::settle(dir.path());
        let cfg = PostfixConfig::load(dir.path()).unwrap();
        let mut args = vec!["-x"];
        args.extend(names);
        let expected = name_values(&postconf(&tool, dir.path(), &args));
        for n in names {
            assert_eq!(
                words(&cfg.get(n).unwrap()),
                expected[n],
                "level {level}: {n}"
            );
        }
    }
}

/// postconf's `-F` (service fields), `-P` (overrides) and `-Px` (expanded
/// overrides) rebuilt from ccert's master.cf model.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn master_cf_matches_postconf_f_and_p() {
    let Some(tool) = oracle::require("postconf", "master_cf_matches_postconf_f_and_p") else {
        return;
    };
    for name in FIXTURES {
        let dir = fixture_dir(name);
        let cfg = PostfixConfig::load(&dir).unwrap();
        let mut fields = BTreeMap::new();
        let mut params = BTreeMap::new();
        let mut expanded = BTreeMap::new();
        for s in cfg.services() {
            let id = s.id();
            for (field, value) in [
                ("service", s.name.clone()),
                ("type", s.kind.clone()),
                ("private", s.private.clone()),
                ("unprivileged", s.unprivileged.clone()),
                ("chroot", s.chroot.clone()),
                ("wakeup", s.wakeup.clone()),
                ("process_limit", s.process_limit.clone()),
                ("command", s.command_line()),
            ] {
                fields.insert(format!("{id}/{field}"), words(&value));
            }
            for o in &s.overrides {
                let last = s.override_for(&o.name).unwrap();
                params.insert(format!("{id}/{}", o.name), words(&last.value));
                expanded.insert(
                    format!("{id}/{}", o.name),
                    words(&cfg.effective_for_service(s, &o.name).unwrap()),
                );
            }
        }
        assert_eq!(
            fields,
            name_values(&postconf(&tool, &dir, &["-F"])),
            "{name}: -F"
        );
        assert_eq!(
            params,
            name_values(&postconf(&tool, &dir, &["-P"])),
            "{name}: -P"
        );
        assert_eq!(
            expanded,
            name_values(&postconf(&tool, &dir, &["-Px"])),
            "{name}: -Px"
        );
        // -M lists the same services in the same order.
        let services: Vec<String> = postconf(&tool, &dir, &["-M"])
            .lines()
            .map(|l| {
                let mut f = l.split_ascii_whitespace();
                format!("{}/{}", f.next().unwrap(), f.next().unwrap())
            })
            .collect();
        let ours: Vec<String> = cfg.services().iter().map(|s| s.id()).collect();
        assert_eq!(ours, services, "{name}: -M");
    }
}

#[test]
fn missing_configuration_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = PostfixConfig::load(dir.path()).unwrap();
    assert!(!cfg.present);
    assert!(!cfg.master_present);
    assert!(cfg.services().is_empty());
    assert_eq!(cfg.fingerprint_digest().unwrap(), None);
    // Built-in defaults still answer.
    assert_eq!(cfg.get("default_database_type").unwrap(), "hash");
}

#[test]
fn fixtures_without_oracle() {
    let debian = PostfixConfig::load(&fixture_dir("debian12")).unwrap();
    assert_eq!(
        debian.fingerprint_digest().unwrap(),
        Some(DigestAlgorithm::Sha256)
    );
    assert_eq!(debian.main_cf_line("compatibility_level"), Some(22));
    assert_eq!(debian.service("smtp/inet").unwrap().line, 12);
    assert!(
        debian.service("smtp").is_none(),
        "smtp/inet and smtp/unix both exist"
    );

    let legacy = PostfixConfig::load(&fixture_dir("legacy-md5")).unwrap();
    assert_eq!(
        legacy.fingerprint_digest().unwrap(),
        Some(DigestAlgorithm::Md5)
    );
    assert_eq!(
        legacy.get("relay_clientcerts").unwrap(),
        format!(
            "hash:{}/relay_clientcerts",
            fixture_dir("legacy-md5").display()
        )
    );
    assert_eq!(
        words(&legacy.get("smtpd_recipient_restrictions").unwrap()),
        "permit_mynetworks, permit_tls_clientcerts, reject_unauth_destination"
    );

    let sub = PostfixConfig::load(&fixture_dir("submission-certs")).unwrap();
    let submission = sub.service("submission/inet").unwrap();
    let relay = submission.override_for("smtpd_relay_restrictions").unwrap();
    assert_eq!(relay.line, 10);
    assert_eq!(
        sub.effective_for_service(submission, "smtpd_relay_restrictions")
            .unwrap(),
        "permit_sasl_authenticated, permit_tls_clientcerts, reject"
    );
    assert_eq!(
        sub.effective_for_service(sub.service("relay").unwrap(), "syslog_name")
            .unwrap(),
        "postfix/relay"
    );
}

/// A small deterministic generator (no external randomness: reproducible).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next(items.len())]
    }
}

const NAMES: &[&str] = &[
    "h0",
    "h1",
    "h2",
    "empty",
    "undefined_zz",
    "compatibility_level",
    "smtpd_tls_key_file",
];
const WORDS: &[&str] = &["a", "b c", "x-y", ",", " ", "permit_mynetworks", "1", "3.6"];
const LEVELS: &[&str] = &[
    "0",
    "1",
    "2",
    "3.6",
    "3.10",
    "3.6.1",
    "$compatibility_level",
];
const PLAIN: &[&str] = &["1", "01", "10", "9", "abc", "abd", "", "$h0", "3.10", "3.6"];

fn gen_expr(rng: &mut Lcg, depth: usize) -> String {
    let count = 1 + rng.next(3);
    (0..count).map(|_| gen_atom(rng, depth)).collect()
}

fn gen_atom(rng: &mut Lcg, depth: usize) -> String {
    let choice = if depth == 0 {
        rng.next(5)
    } else {
        rng.next(11)
    };
    let name = rng.pick(NAMES);
    match choice {
        0 | 1 => rng.pick(WORDS).to_string(),
        2 => format!("${name} "),
        3 => format!("${{{name}}}"),
        4 => "$$".to_string(),
        5 => format!("$({name})"),
        6 => format!("${{{name}?{{{}}}}}", gen_expr(rng, depth - 1)),
        7 => format!("${{{name}:{{{}}}}}", gen_expr(rng, depth - 1)),
        8 => format!(
            "${{{name} ? {{{}}} : {{{}}}}}",
            gen_expr(rng, depth - 1),
            gen_expr(rng, depth - 1)
        ),
        9 => {
            let op = rng.pick(&[
                "<level", "<=level", ">level", ">=level", "==level", "!=level",
            ]);
            format!(
                "${{{{{}}} {op} {{{}}} ? {{{}}} : {{{}}}}}",
                rng.pick(LEVELS),
                rng.pick(LEVELS),
                gen_expr(rng, depth - 1),
                gen_expr(rng, depth - 1)
            )
        }
        _ => {
            let op = rng.pick(&["==", "!=", "<", "<=", ">", ">="]);
            format!(
                "${{{{{}}}{op}{{{}}}?{{{}}}:{{{}}}}}",
                rng.pick(PLAIN),
                rng.pick(PLAIN),
                gen_expr(rng, depth - 1),
                gen_expr(rng, depth - 1)
            )
        }
    }
}

/// 400 generated expressions (references, conditionals, relational and
/// compatibility-level operators, nested) expand exactly as postconf -x.
#[test]
#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]
fn generated_expressions_match_postconf() {
    let Some(tool) = oracle::require("postconf", "generated_expressions_match_postconf") else {
        return;
    };
    let mut rng = Lcg(20261123);
    let count = 400;
    let mut main = String::from(
        "compatibility_level = 3.6\nempty =\nh0 = hello\nh1 = $h0 world\nh2 = ${h1?{[$h1]}}\n",
    );
    let names: Vec<String> = (0..count).map(|i| format!("t{i}")).collect();
    main.push_str("smtpd_banner =");
    for n in &names {
        main.push_str(&format!(" ${n}"));
    }
    main.push('\n');
    for n in &names {
        main.push_str(&format!("{n} = {}\n", gen_expr(&mut rng, 3)));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.cf"), &main).unwrap();
    std::fs::write(dir.path().join("master.cf"), "").unwrap();
    crate::oracle::settle(dir.path());
    let cfg = PostfixConfig::load(dir.path()).unwrap();
    let mut args = vec!["-x"];
    args.extend(names.iter().map(String::as_str));
    let expected = name_values(&postconf(&tool, dir.path(), &args));
    assert_eq!(expected.len(), count);
    for n in &names {
        let raw = cfg.raw(n).unwrap();
        assert_eq!(
            words(&cfg.get(n).unwrap()),
            expected[n.as_str()],
            "{n} = {raw}"
        );
    }
}
