//! No test passes without the check it exists for. A test that needs a tool
//! is reported `ignored, needs PACKAGE` where the tool is missing (build.rs
//! sets `cfg(ccert_missing = "PACKAGE")`), and `oracle::require` fails a
//! test that runs without its tool anyway. What keeps that true is that
//! every test carries the `ignore` of every tool it looks up, directly or
//! through the helpers it calls. This checks it, from the source:
//!
//! * a lookup is a call of `oracle::require`, `oracle::find` or
//!   `oracle::require_map_type` with a literal name, which must be in
//!   build/tools.rs (so that build.rs detects it), or of
//!   `oracle::require_root` (the condition `root`);
//! * a test needs the packages of its own lookups and, transitively, of the
//!   functions it calls or names (passes as a value): free functions of its
//!   file, `module::function` of another test file, and `Type::function` /
//!   `Self::function` (methods called with `.` are not followed: helpers
//!   that look tools up are free or associated functions);
//! * each `#[test]` must name each such package in a
//!   `cfg_attr(ccert_missing = "PACKAGE", ignore = …)` of its own.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::Path;

use crate::oracle::tools;

/// One function of a test file.
struct Function {
    file: String,
    name: String,
    /// The type of the `impl` block it is in.
    owner: Option<String>,
    /// The text between the previous item and `fn`: attributes, docs.
    attrs: String,
    /// (qualifier path, name, literal first argument) of each call.
    calls: Vec<(Vec<String>, String, Option<String>)>,
}

/// `text` with the contents of comments, strings and character literals
/// blanked, so that braces and calls are read from code only (same length
/// and offsets as `text`).
fn mask(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
                blank(&mut out, i, end);
                i = end;
            }
            b'r' if (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let open = i + 1 + hashes + 1;
                let close = format!("\"{}", "#".repeat(hashes));
                let end = text[open..].find(&close).map_or(b.len(), |p| open + p);
                blank(&mut out, open, end);
                i = end + close.len();
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i + 1, j.min(b.len()));
                i = j + 1;
            }
            b'\'' => {
                // A character literal ('x', '\n', '\u{..}'), not a lifetime.
                let end = if b.get(i + 1) == Some(&b'\\') {
                    b[i + 2..]
                        .iter()
                        .position(|&c| c == b'\'')
                        .map(|p| i + 2 + p)
                } else {
                    let len = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + len) == Some(&b'\'')).then_some(i + 1 + len)
                };
                match end {
                    Some(end) => {
                        blank(&mut out, i + 1, end);
                        i = end + 1;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    out
}

fn ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The offset of the brace that closes the one at `open`.
fn closing(m: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, &c) in m.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    m.len()
}

/// Every occurrence of the keyword `word` in masked code.
fn keywords<'a>(m: &'a [u8], word: &'a str) -> impl Iterator<Item = usize> + 'a {
    let w = word.as_bytes();
    (0..m.len().saturating_sub(w.len())).filter(move |&i| {
        &m[i..i + w.len()] == w
            && (i == 0 || !ident(m[i - 1]))
            && m.get(i + w.len()).is_some_and(|&c| !ident(c))
    })
}

/// The calls in `m[from..to]`: `a::b::name(` with the literal first
/// argument, read from `text`, when there is one.
fn calls(
    text: &str,
    m: &[u8],
    from: usize,
    to: usize,
) -> Vec<(Vec<String>, String, Option<String>)> {
    let mut found = Vec::new();
    let mut i = from;
    while i < to {
        if !ident(m[i]) || (i > 0 && (ident(m[i - 1]) || m[i - 1] == b':')) {
            i += 1;
            continue;
        }
        // A path a::b::c starting here.
        let mut segments = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < to && ident(m[j]) {
                j += 1;
            }
            segments.push(text[start..j].to_string());
            if m[j..].starts_with(b"::") && m.get(j + 2).is_some_and(|&c| ident(c)) {
                j += 2;
            } else {
                break;
            }
        }
        let method = i > 0 && m[i - 1] == b'.';
        let mut k = j;
        while k < to && m[k].is_ascii_whitespace() {
            k += 1;
        }
        if !method && k < to && m[k] != b'(' && m[k] != b'!' {
            // A function named as a value (passed to be called later).
            let name = segments.pop().unwrap();
            found.push((segments, name, None));
        } else if !method && k < to && m[k] == b'(' {
            let name = segments.pop().unwrap();
            let mut a = k + 1;
            while a < to && m[a].is_ascii_whitespace() {
                a += 1;
            }
            let literal = (m[a] == b'"').then(|| {
                let end = a + 1 + m[a + 1..].iter().position(|&c| c == b'"').unwrap();
                text[a + 1..end].to_string()
            });
            found.push((segments, name, literal));
        }
        i = j.max(i + 1);
    }
    found
}

/// The functions of one file.
fn functions(file: &str, text: &str) -> Vec<Function> {
    let m = mask(text);
    let impls: Vec<(usize, usize, String)> = keywords(&m, "impl")
        .filter_map(|at| {
            let open = at + m[at..].iter().position(|&c| c == b'{' || c == b';')?;
            if m[open] != b'{' {
                return None;
            }
            let head = String::from_utf8_lossy(&m[at + 4..open]).into_owned();
            let mut head = head.trim();
            if head.starts_with('<') {
                // impl<T> Type<T>: past the generics.
                let mut depth = 0;
                let end = head
                    .char_indices()
                    .find(|&(_, c)| {
                        depth += match c {
                            '<' => 1,
                            '>' => -1,
                            _ => 0,
                        };
                        depth == 0
                    })
                    .map_or(head.len(), |(i, _)| i + 1);
                head = head[end..].trim();
            }
            let head = head.rsplit(" for ").next().unwrap().trim();
            let name: String = head
                .chars()
                .take_while(|&c| c.is_alphanumeric() || c == '_')
                .collect();
            Some((open, closing(&m, open), name))
        })
        .collect();
    keywords(&m, "fn")
        .filter_map(|at| {
            let mut j = at + 2;
            while m[j].is_ascii_whitespace() {
                j += 1;
            }
            let start = j;
            while ident(m[j]) {
                j += 1;
            }
            let name = text[start..j].to_string();
            let open = j + m[j..].iter().position(|&c| c == b'{' || c == b';')?;
            if m[open] != b'{' {
                return None;
            }
            let close = closing(&m, open);
            let before = m[..at]
                .iter()
                .rposition(|&c| c == b'{' || c == b'}' || c == b';')
                .map_or(0, |p| p + 1);
            let owner = impls
                .iter()
                .filter(|(o, c, _)| *o < at && at < *c)
                .max_by_key(|(o, _, _)| *o)
                .map(|(_, _, n)| n.clone());
            Some(Function {
                file: file.to_string(),
                name,
                owner,
                attrs: text[before..at].to_string(),
                calls: calls(text, &m, open, close),
            })
        })
        .collect()
}

/// The functions a call names, as indexes into `all` (`by_name`: the
/// indexes of each name; `modules`: the test files).
fn resolve(
    all: &[Function],
    by_name: &HashMap<&str, Vec<usize>>,
    modules: &BTreeSet<&str>,
    caller: &Function,
    path: &[String],
    name: &str,
) -> Vec<usize> {
    let last = path.last().map(String::as_str);
    let Some(candidates) = by_name.get(name) else {
        return Vec::new();
    };
    candidates
        .iter()
        .copied()
        .filter(|&i| {
            let f = &all[i];
            match last {
                None => f.file == caller.file && f.owner.is_none(),
                Some("Self") => f.file == caller.file && f.owner == caller.owner,
                Some(m) if modules.contains(m) => f.file == m && f.owner.is_none(),
                Some(t) if t.starts_with(|c: char| c.is_ascii_uppercase()) => {
                    f.owner.as_deref() == Some(t)
                }
                Some(_) => false,
            }
        })
        .collect()
}

/// What a lookup call needs: the package, or why it cannot be checked.
fn lookup(name: &str, literal: Option<&str>) -> Option<Result<&'static str, String>> {
    if name == "require_root" {
        return Some(Ok(tools::ROOT));
    }
    let kind = match name {
        "require" | "find" => "program",
        "require_map_type" => "map type",
        _ => return None,
    };
    let Some(literal) = literal else {
        return Some(Err(format!(
            "oracle::{name} without a literal {kind}: name it literally so this guard can check it"
        )));
    };
    let package = if kind == "map type" {
        tools::MAP_TYPES
            .iter()
            .find(|(_, k)| *k == literal)
            .map(|(p, _)| *p)
    } else {
        tools::package_of(literal)
    };
    Some(package.ok_or_else(|| format!("`{literal}` is not in build/tools.rs")))
}

#[test]
fn every_test_names_the_tools_it_looks_up_in_its_ignore() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut all = Vec::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let file = path.file_stem().unwrap().to_string_lossy().into_owned();
        if file == "tool_skips" {
            continue;
        }
        all.extend(functions(&file, &fs::read_to_string(&path).unwrap()));
    }
    let is_oracle = |i: &usize| all[*i].file == "oracle";
    let modules: BTreeSet<&str> = all.iter().map(|f| f.file.as_str()).collect();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in all.iter().enumerate() {
        by_name.entry(f.name.as_str()).or_default().push(i);
    }
    // What each function needs by itself, and whom it calls.
    let mut problems = BTreeSet::new();
    let mut own: Vec<BTreeSet<&'static str>> = vec![BTreeSet::new(); all.len()];
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); all.len()];
    for (i, f) in all.iter().enumerate() {
        for (path, name, literal) in &f.calls {
            let targets = resolve(&all, &by_name, &modules, f, path, name);
            if targets.iter().any(is_oracle)
                && let Some(found) = lookup(name, literal.as_deref())
            {
                match found {
                    Ok(package) => {
                        own[i].insert(package);
                    }
                    Err(why) if f.file != "oracle" => {
                        problems.insert(format!("tests/{}.rs fn {}: {why}", f.file, f.name));
                    }
                    Err(_) => {}
                }
            }
            edges[i].extend(targets);
        }
    }
    let mut needs: HashMap<usize, BTreeSet<&'static str>> = HashMap::new();
    for (i, f) in all.iter().enumerate() {
        if !f.attrs.contains("#[test]") {
            continue;
        }
        let mut seen = BTreeSet::from([i]);
        let mut stack = vec![i];
        let mut packages = BTreeSet::new();
        while let Some(n) = stack.pop() {
            packages.extend(own[n].iter().copied());
            for &e in &edges[n] {
                if seen.insert(e) {
                    stack.push(e);
                }
            }
        }
        needs.insert(i, packages);
    }
    for (i, packages) in &needs {
        let f = &all[*i];
        for package in packages {
            let named = |p: &str| f.attrs.contains(&format!("ccert_missing = \"{p}\""));
            // A map plugin is missing wherever Postfix is (build.rs asks
            // postconf -m), so naming it covers Postfix too.
            let covered = named(package)
                || (*package == "postfix" && tools::MAP_TYPES.iter().any(|(p, _)| named(p)));
            if !covered {
                problems.insert(format!(
                    "tests/{}.rs fn {} needs {package} and lacks \
                     #[cfg_attr(ccert_missing = \"{package}\", ignore = \"needs {package}\")]",
                    f.file, f.name
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "tests that would pass without their check where a tool is missing:\n{}",
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
    // The guard itself reads the tests: it sees the lookups it must see.
    let requires = |file: &str, test: &str| {
        all.iter()
            .enumerate()
            .find(|(_, f)| f.file == file && f.name == test)
            .map(|(i, _)| needs[&i].clone())
            .unwrap_or_default()
    };
    assert!(requires("live_rebuild", "rebuilds_under_load_never_fail_a_relay").contains("swaks"));
}

/// The masking keeps code and blanks strings, comments and characters.
#[test]
fn mask_blanks_strings_comments_and_characters() {
    let text = "f(\"{\") // }\nlet c = '{'; r#\"}\"#; g::<'a>(x) /* { */";
    let m = String::from_utf8(mask(text)).unwrap();
    assert_eq!(m.matches('{').count(), 0, "{m}");
    assert_eq!(m.matches('}').count(), 0, "{m}");
    assert!(m.contains("g::<'a>(x)"), "{m}");
}
