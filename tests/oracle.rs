//! The real tools ccert is checked against (postmap, openssl, db5.3_verify, …).
//!
//! A test that needs one says so for libtest, so that a machine without it
//! reports the test as `ignored, needs postfix` rather than `ok`:
//! `#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]`
//! (build.rs sets `ccert_missing` per absent package; nothing under
//! `CCERT_INTEROP=1`). Inside, it calls [`require`], which fails the test
//! when the tool is missing anyway: the test then lacks its `ignore` (or the
//! binary was built where the tool was). No test passes without its check;
//! tests/tool_skips.rs checks the `ignore`s against the lookups.

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

/// The tools the tests look up and their packages, shared with build.rs.
#[allow(dead_code)]
pub mod tools {
    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/build/tools.rs"));
}

/// Finds `tool` where build.rs looks for it: PATH, /usr/sbin and /sbin
/// (postmap lives there), PostgreSQL's and systemd's program directories.
pub fn find(tool: &str) -> Option<PathBuf> {
    tools::find(tool)
}

/// The path of `tool`. It is never `None`: a test runs only where build.rs
/// found the tool (the test's `ignore` says which package it needs), so a
/// missing tool here means the test lacks that `ignore`, and the test fails
/// saying so, instead of passing without the check. Under
/// `CCERT_INTEROP=1` a missing tool is a failure too. A tool build.rs does
/// not know (build/tools.rs) fails the test as well.
///
/// (The `Option` keeps the callers' `let Some(x) = require(..) else`.)
#[track_caller]
pub fn require(tool: &str, test: &str) -> Option<PathBuf> {
    let Some(package) = tools::package_of(tool) else {
        panic!("{test}: `{tool}` is not in build/tools.rs; add it with its package there")
    };
    match find(tool) {
        Some(p) => Some(p),
        None if interop_required() => {
            panic!("{test}: CCERT_INTEROP=1 but `{tool}` ({package}) is not installed")
        }
        None => panic!(
            "{test}: `{tool}` is not installed, yet the test runs: it needs \
             #[cfg_attr(ccert_missing = \"{package}\", ignore = \"needs {package}\")]"
        ),
    }
}

/// Asserts that the tests run as root, as `require` does for a tool: a
/// test that needs root and runs without it lacks
/// `#[cfg_attr(ccert_missing = "root", ignore = "needs root")]` (build.rs
/// marks it where the build is not run as root).
#[track_caller]
pub fn require_root(test: &str) {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    assert!(
        root,
        "{test}: runs as a user other than root, yet the test needs root: it needs \
         #[cfg_attr(ccert_missing = \"root\", ignore = \"needs root\")]"
    );
}

/// Asserts that the installed Postfix opens map type `kind` (a plugin
/// package such as postfix-pgsql, build/tools.rs MAP_TYPES), as `require`
/// does for a program: a test that runs without it fails, naming the
/// `ignore` it lacks.
#[track_caller]
pub fn require_map_type(kind: &str, test: &str) {
    let Some((package, _)) = tools::MAP_TYPES.iter().find(|(_, k)| *k == kind) else {
        panic!("{test}: map type {kind} is not in build/tools.rs MAP_TYPES")
    };
    let postconf = require("postconf", test).unwrap();
    // postconf needs a main.cf, which /etc/postfix may lack.
    let conf = tempfile::tempdir().unwrap();
    std::fs::write(conf.path().join("main.cf"), "").unwrap();
    let listed = run_ok(&postconf, &["-c", conf.path().to_str().unwrap(), "-m"])
        .lines()
        .any(|l| l == kind);
    assert!(
        listed,
        "{test}: postconf -m lacks {kind}: the test needs \
         #[cfg_attr(ccert_missing = \"{package}\", ignore = \"needs {package}\")]"
    );
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
