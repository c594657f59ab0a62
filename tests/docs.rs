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

/// GitHub's anchor for a Markdown heading: lower case, spaces to `-`, other
/// punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every `docs/….md` (and `#anchor`) cited in src/, tests/ and benches/
/// exists, so the references resolve for anyone who clones the repository.
#[test]
fn cited_docs_exist() {
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches"] {
        let mut stack = vec![root().join(dir)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
    }
    let mut cited = 0;
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("docs/formats/") {
            let rest = &text[at..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || "/._-#".contains(c)))
                .unwrap_or(rest.len());
            let cite = rest[..end].trim_end_matches(['.', ')']);
            if cite == "docs/formats/" {
                continue;
            }
            cited += 1;
            let (path, frag) = cite.split_once('#').unwrap_or((cite, ""));
            let doc = fs::read_to_string(root().join(path)).unwrap_or_else(|e| {
                panic!(
                    "{}: cites {cite}, which cannot be read: {e}",
                    file.display()
                )
            });
            if !frag.is_empty() {
                let found = doc
                    .lines()
                    .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
                    .any(|h| anchor(h) == frag);
                assert!(found, "{}: {cite}: no such heading", file.display());
            }
        }
    }
    assert!(cited > 0, "no citations found: is the scan broken?");
}
