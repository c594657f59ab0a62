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
#[cfg_attr(ccert_missing = "groff", ignore = "needs groff")]
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

/// Whether `doc` has a `##`/`###` heading for `frag`: a GitHub anchor
/// (`#key-folding`) or a section number (`§2` for `## 2. …`).
fn has_section(doc: &str, frag: &str) -> bool {
    doc.lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
        .any(|h| match frag.strip_prefix('§') {
            Some(n) => h.split_once(". ").is_some_and(|(num, _)| num == n),
            None => anchor(h) == frag,
        })
}

/// Every `docs/….md` (with `#anchor` or ` §N`) cited in src/, tests/ and
/// benches/, and every relative link between the pages of docs/, exists, so
/// the references resolve for anyone who clones the repository.
#[test]
fn cited_docs_exist() {
    fn walk(dir: PathBuf, ext: &str, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(&dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(p, ext, out);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    let check = |from: &Path, cite: &str, path: &Path, frag: &str| {
        let doc = fs::read_to_string(path).unwrap_or_else(|e| {
            panic!(
                "{}: cites {cite}, which cannot be read: {e}",
                from.display()
            )
        });
        assert!(
            frag.is_empty() || has_section(&doc, frag),
            "{}: {cite}: no such section",
            from.display()
        );
    };
    let mut cited = 0;
    let mut code = Vec::new();
    for dir in ["src", "tests", "benches"] {
        walk(root().join(dir), "rs", &mut code);
    }
    for file in code {
        let text = fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("docs/") {
            let rest = &text[at..];
            let Some(md) = rest.find(".md") else { continue };
            let path = &rest[..md + 3];
            if !rest[5..md]
                .chars()
                .all(|c| c.is_alphanumeric() || "/_-".contains(c))
            {
                continue;
            }
            let after = &rest[md + 3..];
            let frag = if let Some(a) = after.strip_prefix('#') {
                let end = a
                    .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
                    .unwrap_or(a.len());
                &a[..end]
            } else if let Some(n) = after.strip_prefix(" §") {
                let end = n.find(|c: char| !c.is_ascii_digit()).unwrap_or(n.len());
                &after[1..1 + '§'.len_utf8() + end]
            } else {
                ""
            };
            cited += 1;
            check(&file, &format!("{path} {frag}"), &root().join(path), frag);
        }
    }
    // Relative links between the pages: `[text](page.md#anchor)`.
    let mut pages = Vec::new();
    walk(root().join("docs"), "md", &mut pages);
    for page in pages {
        let text = fs::read_to_string(&page).unwrap();
        for (at, _) in text.match_indices("](") {
            let target = &text[at + 2..];
            let target = &target[..target.find(')').unwrap_or(0)];
            if target.contains("://") || !target.contains(".md") {
                continue;
            }
            let (path, frag) = target.split_once('#').unwrap_or((target, ""));
            cited += 1;
            check(&page, target, &page.parent().unwrap().join(path), frag);
        }
    }
    assert!(cited > 0, "no citations found: is the scan broken?");
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
