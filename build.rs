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
//! from /usr/bin, /usr/sbin, /usr/lib/postfix (map plugins) or
//! /usr/lib/postgresql. The library and the binary do not read these cfgs.
//! The list of tools is build/tools.rs, shared with the tests.

use std::path::Path;

/// TOOLS, MAP_TYPES, PYTHON_MODULES and `find`, shared with tests/oracle.rs.
#[allow(dead_code)]
mod tools {
    include!("build/tools.rs");
}
use tools::{MAP_TYPES, POSTGRESQL, PYTHON_MODULES, ROOT, TOOLS, find};

fn main() {
    let values: Vec<String> = TOOLS
        .iter()
        .map(|(p, _)| p)
        .chain(MAP_TYPES.iter().map(|(p, _)| p))
        .chain(PYTHON_MODULES.iter().map(|(p, _)| p))
        .chain([&ROOT])
        .map(|p| format!("\"{p}\""))
        .collect();
    println!(
        "cargo::rustc-check-cfg=cfg(ccert_missing, values({}))",
        values.join(", ")
    );
    for var in ["PATH", "CCERT_INTEROP", "CCERT_BARE"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    for dir in ["/usr/bin", "/usr/sbin", "/usr/lib/postfix", POSTGRESQL] {
        if Path::new(dir).is_dir() {
            println!("cargo::rerun-if-changed={dir}");
        }
    }
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=build/tools.rs");
    if std::env::var("CCERT_INTEROP").is_ok_and(|v| v == "1") {
        return;
    }
    for (package, programs) in TOOLS {
        if !programs.iter().all(|p| find(p).is_some()) {
            println!("cargo::rustc-cfg=ccert_missing=\"{package}\"");
        }
    }
    // A map type's plugin, as the installed Postfix lists it (postconf -m,
    // with an empty main.cf of our own: /etc/postfix may have none).
    let conf = Path::new(&std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("postconf");
    std::fs::create_dir_all(&conf).expect("creating OUT_DIR/postconf");
    std::fs::write(conf.join("main.cf"), "").expect("writing OUT_DIR/postconf/main.cf");
    let types = find("postconf")
        .and_then(|p| {
            std::process::Command::new(p)
                .arg("-c")
                .arg(&conf)
                .arg("-m")
                .output()
                .ok()
        })
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    for (package, kind) in MAP_TYPES {
        if !types.lines().any(|l| l == *kind) {
            println!("cargo::rustc-cfg=ccert_missing=\"{package}\"");
        }
    }
    // The effective user, as id(1) says (build.rs has no libc).
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !root {
        println!("cargo::rustc-cfg=ccert_missing=\"{ROOT}\"");
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
