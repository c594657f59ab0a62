//! Operating-system errors in words, once.
//!
//! `std::io::Error` displays as `No such file or directory (os error 2)`,
//! and wrapping it in context repeats it. ccert's messages name the file
//! themselves and add the OS reason once, in lower case, without the
//! error number, as Postfix's own messages read.

use std::io;

/// The reason of `err` without the `(os error N)` suffix: `no such file or
/// directory`, `permission denied`, `no space left on device`, ….
pub fn describe(err: &io::Error) -> String {
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
        Some(first) if chars.next().is_some_and(char::is_lowercase) => {
            first.to_lowercase().chain(text[first.len_utf8()..].chars()).collect()
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_reasons() {
        assert_eq!(
            describe(&io::Error::from_raw_os_error(libc::ENOENT)),
            "no such file or directory"
        );
        assert_eq!(
            describe(&io::Error::from_raw_os_error(libc::ENOSPC)),
            "no space left on device"
        );
        assert_eq!(
            describe(&io::Error::from_raw_os_error(libc::EROFS)),
            "read-only file system"
        );
        assert_eq!(describe(&io::Error::other("EOF while reading")), "EOF while reading");
    }
}
