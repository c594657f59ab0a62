//! Global command-line behaviour: help, version, usage errors.

use crate::test::Test;

#[test]
fn help_lists_every_subcommand() {
    let out = Test::new().arg("--help").run();
    for sub in [
        "fingerprint",
        "add",
        "remove",
        "list",
        "compile",
        "query",
        "dump",
        "doctor",
    ] {
        assert!(out.stdout.contains(sub), "--help lacks {sub}");
    }
}

#[test]
fn usage_error_exits_1_like_postmap() {
    Test::new()
        .arg("--no-such-flag")
        .status(1)
        .stderr_contains("--no-such-flag")
        .run();
}

/// The global options are described once, in `ccert --help`; a
/// subcommand's help points there instead of repeating them (about 40
/// lines each), and the subcommand still takes them.
#[test]
fn global_options_are_described_once() {
    let top = Test::new().arg("--help").run();
    for option in ["--config-dir", "--map", "--quiet", "--postfix-version"] {
        assert!(top.stdout.contains(option), "ccert --help lacks {option}");
    }
    for sub in [
        &["add", "--help"][..],
        &["db", "init", "--help"],
        &["log", "-h"],
    ] {
        let out = Test::new().args(sub).run();
        assert!(
            !out.stdout.contains("--config-dir")
                && !out.stdout.contains("Use the built-in defaults"),
            "{sub:?} repeats the global options:\n{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("Global options (-c, --map, --quiet, ")
                && out.stdout.contains("described in `ccert --help`."),
            "{sub:?}:\n{}",
            out.stdout
        );
    }
    Test::new()
        .file("postfix-config/clientcerts", "AB:CD laptop\n")
        .args([
            "list",
            "--format",
            "plain",
            "-c",
            "postfix-config",
            "--quiet",
        ])
        .stdout("AB:CD laptop\n")
        .run();
}

/// `--quiet` also silences the tables add builds and remove rebuilds.
#[test]
fn quiet_silences_built_and_rebuilt() {
    let cert = crate::test::fixtures().join("ecdsa.pem");
    let added = Test::new()
        .file("postfix-config/main.cf", "compatibility_level = 3.6\n")
        .file("postfix-config/clientcerts", "")
        .file("postfix-config/clientcerts.cdb", "")
        .env("CCERT_POSTCONF", "none")
        .args(["--quiet", "add", cert.to_str().unwrap(), "--name", "x"])
        .stdout_contains("added ")
        .run();
    added
        .then()
        .env("CCERT_POSTCONF", "none")
        .args(["remove", "--name", "x", "--yes", "--quiet"])
        .stdout_contains("removed ")
        // What it removes is still said; the table it rebuilt is not.
        .stderr_contains("matches the name \"x\"")
        .stderr_lacks("rebuilt")
        .run();
}
