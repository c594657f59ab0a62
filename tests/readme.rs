//! The README's try-it-now block runs as written: issue, fingerprint, add,
//! compile, query and doctor in a scratch configuration directory, with the
//! `ccert` under test first on PATH. Needs openssl (for the scratch server
//! certificate), like the block itself.

use std::process::Command;

use crate::oracle;
use crate::test::ccert_bin;

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
fn readme_try_it_now_block_runs() {
    if oracle::require("openssl", "readme_try_it_now_block_runs").is_none() {
        return;
    }
    let bin_dir = ccert_bin().parent().unwrap().to_path_buf();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin_dir];
    dirs.extend(std::env::split_paths(&path));
    let script = format!("set -eu\n{}", try_it_now_block());
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("PATH", std::env::join_paths(dirs).unwrap())
        .env_remove("MAIL_CONFIG")
        .output()
        .expect("running bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the README's try-it-now block failed ({}):\n--- stdout\n{stdout}--- stderr\n{stderr}",
        out.status
    );
    // query printed the name; doctor (exit 0 under set -e) found the setup sound.
    assert!(stdout.lines().any(|l| l == "chinacat"), "{stdout}");
    assert!(stdout.contains("looks sound"), "{stdout}");
}
