//! The real tools ccert is checked against (postmap, openssl, db5.3_verify, …).
//!
//! A test that needs one says so for libtest, so that a machine without it
//! reports the test as `ignored, needs postfix` rather than `ok`:
//! `#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]`
//! (build.rs sets `ccert_missing` per absent package; nothing under
//! `CCERT_INTEROP=1`). Inside, it calls [`require`]: when the tool is missing
//! anyway (a binary built where it was) it prints why the test is skipped and
//! returns `None`, unless `CCERT_INTEROP=1`, where a missing tool fails the test.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Whether interop tests are mandatory (`CCERT_INTEROP=1`).
pub fn interop_required() -> bool {
    std::env::var("CCERT_INTEROP").is_ok_and(|v| v == "1")
}

/// A test's size: `heavy` under `CCERT_INTEROP=1` (as CI runs), `light` in
/// a plain `cargo test`, which must stay fast on a developer's machine. The
/// assertions are the same at both sizes.
pub fn size(heavy: usize, light: usize) -> usize {
    if interop_required() { heavy } else { light }
}

/// Finds `tool` on PATH or in /usr/sbin and /sbin (postmap lives there).
pub fn find(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

/// The path of `tool`, or `None` after printing why the calling test is
/// skipped. Panics instead when `CCERT_INTEROP=1`.
pub fn require(tool: &str, test: &str) -> Option<PathBuf> {
    match find(tool) {
        Some(p) => Some(p),
        None if interop_required() => {
            panic!("{test}: CCERT_INTEROP=1 but `{tool}` is not installed")
        }
        None => {
            eprintln!(
                "skipping {test}: `{tool}` is not installed (set CCERT_INTEROP=1 to make this a failure)"
            );
            None
        }
    }
}

/// Runs a tool and returns its output; panics when it cannot be started.
pub fn run(tool: &Path, args: &[&str]) -> Output {
    Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", tool.display()))
}

/// Runs a tool, asserts success and returns stdout as text.
pub fn run_ok(tool: &Path, args: &[&str]) -> String {
    let out = run(tool, args);
    assert!(
        out.status.success(),
        "{} {:?} failed: {}\n{}",
        tool.display(),
        args,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Postfix (postconf, postmap, `postfix start`, and so ccert) waits in 300 ms
/// steps, about 2.4 s in all, for a main.cf or master.cf modified within the
/// last second to settle. A test that has just written one dates it two
/// seconds back, so no Postfix command waits on it.
pub fn settle(confdir: &Path) {
    let recent = std::time::SystemTime::now() - std::time::Duration::from_secs(2);
    for name in ["main.cf", "master.cf"] {
        if let Ok(file) = std::fs::File::options()
            .append(true)
            .open(confdir.join(name))
            && file
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|m| m > recent)
        {
            let _ = file.set_modified(recent);
        }
    }
}

/// The arguments that run ccert as `nobody` when the tests run as root
/// (root is never denied); empty when they run as another user already.
pub fn unprivileged() -> Option<Vec<&'static str>> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some(Vec::new());
    }
    require("setpriv", "permission tests as root")?;
    let wrapper = vec![
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
    ];
    // nobody must be able to run the binary (a checkout under /root is not
    // reachable): asked of test(1), so that every ccert run is a Test.
    let runs = Command::new(wrapper[0])
        .args(&wrapper[1..])
        .arg("test")
        .arg("-x")
        .arg(crate::test::ccert_bin())
        .status()
        .is_ok_and(|s| s.success());
    if !runs {
        eprintln!(
            "skipping permission tests: user nobody cannot run {}",
            crate::test::ccert_bin().display()
        );
        return None;
    }
    Some(wrapper)
}
