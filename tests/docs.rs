//! The committed man pages and completion scripts equal what the clap
//! definitions generate, and the man pages render without groff warnings.
//!
//! Refresh them with: `CCERT_UPDATE_DOCS=1 cargo test --test integration docs`

use std::fs;
use std::path::{Path, PathBuf};

use ccert::cli::ShellArg;
use clap::ValueEnum;

use crate::oracle;
use crate::test::Test;

const REFRESH: &str = "refresh with: CCERT_UPDATE_DOCS=1 cargo test --test integration docs";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn updating() -> bool {
    std::env::var("CCERT_UPDATE_DOCS").is_ok_and(|v| v == "1")
}

/// Compares (or, when refreshing, writes) one generated file.
fn check(path: &Path, generated: &[u8]) {
    if updating() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, generated).unwrap();
        return;
    }
    let committed = fs::read(path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale; {REFRESH}",
        path.display()
    );
}

#[test]
fn docs_man_pages_are_current() {
    let pages = ccert::docs::man_pages().unwrap();
    for (name, roff) in &pages {
        check(&root().join("man").join(name), roff);
    }
    // Every subcommand has its page, and no stale page lingers.
    let expected: Vec<String> = pages.iter().map(|(n, _)| n.clone()).collect();
    for entry in fs::read_dir(root().join("man")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            expected.contains(&name),
            "man/{name} is not generated any more; remove it"
        );
    }
    assert!(expected.contains(&"ccert-fingerprint.1".to_string()));
}

#[test]
fn docs_completions_are_current() {
    for shell in ShellArg::value_variants() {
        let path = root()
            .join("completions")
            .join(ccert::docs::completion_file_name(*shell));
        check(&path, &ccert::docs::completion_script(*shell));
    }
}

#[test]
fn docs_completions_command_prints_the_committed_script() {
    let committed = fs::read_to_string(root().join("completions/ccert.bash")).unwrap();
    Test::new()
        .args(["completions", "bash"])
        .stdout(committed)
        .run();
}

#[test]
fn docs_man_pages_render_without_groff_warnings() {
    let Some(groff) = oracle::require("groff", "docs_man_pages_render_without_groff_warnings")
    else {
        return;
    };
    for (name, _) in ccert::docs::man_pages().unwrap() {
        let path = root().join("man").join(&name);
        let out = oracle::run(&groff, &["-man", "-ww", "-z", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "groff warns on man/{name}:\n{stderr}"
        );
    }
}

#[test]
fn docs_man_page_names_are_what_whatis_indexes() {
    // whatis/apropos index the NAME line: `ccert-add \- …` for man ccert-add.
    for (file, roff) in ccert::docs::man_pages().unwrap() {
        let page = file.strip_suffix(".1").unwrap();
        let text = String::from_utf8(roff).unwrap();
        let name_line = text
            .lines()
            .skip_while(|l| *l != ".SH NAME")
            .nth(1)
            .unwrap();
        assert!(
            name_line.starts_with(&format!("{} \\- ", page.replace('-', "\\-"))),
            "{file}: {name_line}"
        );
    }
}
