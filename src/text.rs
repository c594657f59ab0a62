//! Text from outside made safe to show on a terminal.
//!
//! Mail logs, certificates, SMTP servers and databases are written by other
//! people. Shown raw, an escape sequence in a CN or an SMTP reply can clear
//! the screen, set the terminal's title, or move the cursor to print a fake
//! "verdict: permitted" line; a bidi override can make `evil` display as
//! `live`. Every text ccert did not write itself goes through
//! [`terminal_safe`] before it reaches standard output or standard error,
//! whatever the command (certificate names, `log`'s client and syslog
//! names, `probe`'s SMTP replies and CA names, list entries, confirmations).

use std::borrow::Cow;

/// Whether `c` would change how a terminal shows the text around it: control
/// characters (C0, DEL and C1: ESC starts every escape sequence, CR and LF
/// start a new line), the Unicode bidirectional controls (embeddings,
/// overrides, isolates and marks).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every [`is_unsafe_char`] escaped as `\u{XXXX}`, so it shows
/// as written, on one line. Borrowed when nothing needed escaping.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`terminal_safe`] for bytes that may not be UTF-8 (a log line, a
/// source entry): malformed sequences show as U+FFFD.
pub fn terminal_safe_bytes(bytes: &[u8]) -> String {
    terminal_safe(&String::from_utf8_lossy(bytes)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_escaped() {
        assert_eq!(terminal_safe("plain Zürich"), "plain Zürich");
        assert!(matches!(terminal_safe("plain"), Cow::Borrowed(_)));
        assert_eq!(terminal_safe("a\u{1b}[2Jb"), "a\\u{001B}[2Jb");
        // OSC 0 (set the window title), ended by BEL.
        assert_eq!(
            terminal_safe("\u{1b}]0;pwned\u{7}"),
            "\\u{001B}]0;pwned\\u{0007}"
        );
        assert_eq!(terminal_safe("x\u{202E}y\\"), "x\\u{202E}y\\");
        assert_eq!(terminal_safe("\u{2066}a\u{2069}"), "\\u{2066}a\\u{2069}");
        assert_eq!(terminal_safe("a\r\nb"), "a\\u{000D}\\u{000A}b");
        assert_eq!(terminal_safe("\u{9b}31m"), "\\u{009B}31m");
        assert_eq!(terminal_safe_bytes(b"a\xffb\x1b"), "a\u{FFFD}b\\u{001B}");
    }
}
