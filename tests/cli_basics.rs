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
