//! Errors as one line, each fact once.
//!
//! The rule every error of the library follows: its message says only its
//! own fact (the file and line, what is wrong, what to do), and its cause is
//! reachable only through `source()`, never repeated in its text. A context
//! at the command edge adds only what the error under it does not say.
//! [`one_line`] then joins the chain as it is, `context: error: cause`,
//! without guessing at repeats; [`describe_io`] gives an OS reason in lower
//! case, without the error number or the tempfile crate's temp-file name, as
//! Postfix's own messages read.

use std::io;

/// The reason of `err` without the `(os error N)` suffix: `no such file or
/// directory`, `permission denied`, `no space left on device`, …; the
/// temp-file path the tempfile crate appends is left out.
pub fn describe_io(err: &io::Error) -> String {
    match os_code(err) {
        Some(code) if err.raw_os_error().is_none() => {
            describe_io(&io::Error::from_raw_os_error(code))
        }
        _ => describe_plain(err),
    }
}

/// The OS error number of `err`, also when tempfile wrapped it into a
/// message (`… (os error 13) at path "…"`) that keeps only the text.
fn os_code(err: &io::Error) -> Option<i32> {
    err.raw_os_error().or_else(|| {
        let text = err.to_string();
        let at = text.find("(os error ")? + "(os error ".len();
        text[at..].split(')').next()?.parse().ok()
    })
}

fn describe_plain(err: &io::Error) -> String {
    let text = match err.raw_os_error() {
        Some(code) => {
            // strerror text as the standard library renders it, minus the number.
            let full = io::Error::from_raw_os_error(code).to_string();
            match full.rfind(" (os error ") {
                Some(at) => full[..at].to_string(),
                None => full,
            }
        }
        None => err.to_string(),
    };
    let mut chars = text.chars();
    match chars.next() {
        // "No such file" → "no such file", but keep acronyms ("EOF") as they are.
        Some(first) if chars.next().is_some_and(char::is_lowercase) => first
            .to_lowercase()
            .chain(text[first.len_utf8()..].chars())
            .collect(),
        _ => text,
    }
}

/// What to do about an OS error, where there is one thing to say.
fn io_advice(err: &io::Error) -> Option<&'static str> {
    match os_code(err)? {
        libc::EACCES | libc::EPERM => Some("run as root or as the owner of the file"),
        libc::ENOSPC | libc::EDQUOT => Some("free some space and run again"),
        libc::EROFS => Some("remount it read-write or use a file elsewhere"),
        _ => None,
    }
}

/// The whole chain of `err` on one line, `context: error: cause`: every
/// layer says its own fact once, because no library error repeats its
/// cause's text in its own message (the cause is only its `source()`) and
/// no context at the command edge repeats what the error under it names.
/// An OS error ends the line, in words ([`describe_io`]), with what to do.
pub fn one_line(err: &anyhow::Error) -> String {
    chain_line(err.as_ref())
}

/// [`one_line`] for any error: `err` and its causes, joined by `: `.
pub fn chain_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut advice = None;
    let mut layer = Some(err);
    while let Some(error) = layer {
        if let Some(io) = error.downcast_ref::<io::Error>() {
            // The OS reason is the end of the chain: an io::Error's Display
            // already is its inner error's, which its source() would repeat.
            parts.push(describe_io(io));
            advice = io_advice(io);
            break;
        }
        let own = error.to_string();
        if !own.is_empty() {
            parts.push(own);
        }
        layer = error.source();
    }
    let mut line = parts.join(": ");
    if let Some(advice) = advice {
        line.push_str(&format!(" ({advice})"));
    }
    line
}

/// The candidate closest to `word` (case-insensitive, optimal string
/// alignment distance: one swap of neighbours counts once), if it is a
/// likely typo: at most 2 edits and fewer than the word's length.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&word, c), *c))
        .filter(|(d, _)| *d <= 2 && *d < word.chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A library error as they all are: its own fact, the cause as source().
    #[derive(Debug, thiserror::Error)]
    #[error("{path}: cannot write")]
    struct Typed {
        path: String,
        source: io::Error,
    }

    #[test]
    fn chains_are_joined_each_layer_once() {
        let err = anyhow::Error::new(Typed {
            path: "/etc/postfix/clientcerts".into(),
            source: io::Error::from_raw_os_error(libc::EACCES),
        })
        .context("nothing changed");
        assert_eq!(
            one_line(&err),
            "nothing changed: /etc/postfix/clientcerts: cannot write: permission denied \
             (run as root or as the owner of the file)"
        );
        let plain = anyhow::anyhow!("unknown map type 'hahs' (did you mean hash?)");
        assert_eq!(
            one_line(&plain),
            "unknown map type 'hahs' (did you mean hash?)"
        );
        let full = anyhow::Error::new(io::Error::from_raw_os_error(libc::ENOSPC)).context("f.db");
        assert_eq!(
            one_line(&full),
            "f.db: no space left on device (free some space and run again)"
        );
        // Without anyhow: a typed error and its cause.
        let typed = Typed {
            path: "f".into(),
            source: io::Error::from_raw_os_error(libc::ENOENT),
        };
        assert_eq!(
            chain_line(&typed),
            "f: cannot write: no such file or directory"
        );
    }

    #[test]
    fn tempfile_paths_are_left_out() {
        let wrapped = io::Error::new(
            io::ErrorKind::PermissionDenied,
            "Permission denied (os error 13) at path \"/etc/postfix/.ccert-x.AbC\"",
        );
        assert_eq!(describe_io(&wrapped), "permission denied");
        assert_eq!(
            io_advice(&wrapped),
            Some("run as root or as the owner of the file")
        );
    }

    #[test]
    fn suggestions() {
        let types = ["hash", "lmdb", "cdb", "sqlite"];
        assert_eq!(did_you_mean("hahs", &types), Some("hash"));
        assert_eq!(did_you_mean("LMBD", &types), Some("lmdb"));
        assert_eq!(did_you_mean("sqlite3", &types), Some("sqlite"));
        assert_eq!(did_you_mean("mysql", &types), None);
        assert_eq!(did_you_mean("x", &types), None);
    }

    #[test]
    fn plain_reasons() {
        assert_eq!(
            describe_io(&io::Error::from_raw_os_error(libc::ENOENT)),
            "no such file or directory"
        );
        assert_eq!(
            describe_io(&io::Error::from_raw_os_error(libc::ENOSPC)),
            "no space left on device"
        );
        assert_eq!(
            describe_io(&io::Error::from_raw_os_error(libc::EROFS)),
            "read-only file system"
        );
        assert_eq!(
            describe_io(&io::Error::other("EOF while reading")),
            "EOF while reading"
        );
    }
}
