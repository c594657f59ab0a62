//! The README's try-it-now block runs as written: issue, fingerprint, add,
//! compile, query and doctor in a scratch configuration directory, with the
//! `ccert` under test first on PATH, run through the builder. Needs openssl (for the scratch server
//! certificate), like the block itself.

use crate::oracle;
use crate::test::Test;

/// The shell code between the try-it-now markers of README.md.
fn try_it_now_block() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("reading README.md");
    let start = readme
        .find("<!-- try-it-now")
        .expect("README.md has no try-it-now block");
    let rest = &readme[start..];
    let code = &rest[rest.find("```sh\n").expect("the block opens with ```sh") + 6..];
    code[..code.find("```").expect("the block is closed")].to_string()
}

#[test]
#[cfg_attr(ccert_missing = "openssl", ignore = "needs openssl")]
fn readme_try_it_now_block_runs() {
    if oracle::require("openssl", "readme_try_it_now_block_runs").is_none() {
        return;
    }
    // Through the builder: bash gets the ccert under test as $0 and puts
    // its directory first on PATH. The whole block must exit 0; on standard
    // error only `add` speaks, naming the table it built (in the block's
    // mktemp directory, so checked below).
    let script = format!(
        "set -eu\nPATH=\"$(dirname \"$0\"):$PATH\"\n{}",
        try_it_now_block()
    );
    let out = Test::new()
        .no_config_dir()
        .wrapped(["bash", "-c", &script])
        .note("the README's try-it-now block")
        .stderr_contains("ccert: built /")
        .run();
    assert!(
        out.stderr.lines().count() == 1 && out.stderr.ends_with("/clientcerts.cdb\n"),
        "{}",
        out.stderr
    );
    // query printed the name; doctor (exit 0 under set -e) found the setup sound.
    assert!(
        out.stdout.lines().any(|l| l == "chinacat"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("looks sound"), "{}", out.stdout);
}
