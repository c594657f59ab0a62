//! Which of the tools the integration tests compare ccert with this machine
//! has, so that a test needing a missing one is reported by libtest as
//! `ignored, needs …` (and counted) instead of passing without checking
//! anything. Each missing tool sets `cfg(ccert_missing = "PACKAGE")`; a test
//! says `#[cfg_attr(ccert_missing = "postfix", ignore = "needs postfix")]`.
//!
//! With `CCERT_INTEROP=1` nothing is marked missing: every test runs, and
//! one whose tool is missing fails (tests/oracle.rs `require`), as CI wants.
//!
//! The detection reruns when PATH, CCERT_INTEROP or CCERT_BARE (set by
//! scripts/bare) change, or when a program is installed into or removed
//! from /usr/bin, /usr/sbin or /usr/lib/postgresql. The library and the
//! binary do not read these cfgs.

use std::path::{Path, PathBuf};

/// The Debian package and the programs of it the tests run.
const TOOLS: &[(&str, &[&str])] = &[
    ("postfix", &["postconf", "postmap", "postfix"]),
    ("swaks", &["swaks"]),
    ("db5.3-util", &["db5.3_verify", "db5.3_load"]),
    ("lmdb-utils", &["mdb_stat"]),
    ("openssl", &["openssl"]),
    ("sqlite3", &["sqlite3"]),
    ("groff", &["groff"]),
    ("postgresql", &["initdb", "pg_ctl"]),
    (
        "systemd-journal-remote",
        &["systemd-journal-remote", "journalctl"],
    ),
];

/// Python modules from PyPI the tests use (.ci/run installs them), by the
/// package name and the module to import. Checked once per build: a module
/// installed later counts from the next build that reruns this script.
const PYTHON_MODULES: &[(&str, &str)] = &[("prometheus-client", "prometheus_client")];

/// Where Debian installs the PostgreSQL server programs (not on PATH).
const POSTGRESQL: &str = "/usr/lib/postgresql";

fn main() {
    let values: Vec<String> = TOOLS
        .iter()
        .map(|(p, _)| p)
        .chain(PYTHON_MODULES.iter().map(|(p, _)| p))
        .map(|p| format!("\"{p}\""))
        .collect();
    println!(
        "cargo::rustc-check-cfg=cfg(ccert_missing, values({}))",
        values.join(", ")
    );
    for var in ["PATH", "CCERT_INTEROP", "CCERT_BARE"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    for dir in ["/usr/bin", "/usr/sbin", POSTGRESQL] {
        if Path::new(dir).is_dir() {
            println!("cargo::rerun-if-changed={dir}");
        }
    }
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CCERT_INTEROP").is_ok_and(|v| v == "1") {
        return;
    }
    for (package, programs) in TOOLS {
        if !programs.iter().all(|p| find(p).is_some()) {
            println!("cargo::rustc-cfg=ccert_missing=\"{package}\"");
        }
    }
    for (package, module) in PYTHON_MODULES {
        let imports = std::process::Command::new("python3")
            .args(["-c", &format!("import {module}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !imports {
            println!("cargo::rustc-cfg=ccert_missing=\"{package}\"");
        }
    }
}

/// `program` on PATH, in /usr/sbin or /sbin (as tests/oracle.rs `find`),
/// for PostgreSQL in a version directory under /usr/lib/postgresql, for
/// systemd's helpers in /lib/systemd.
fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let versions = std::fs::read_dir(POSTGRESQL)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"));
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .chain(versions)
        .chain([PathBuf::from("/lib/systemd")])
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
