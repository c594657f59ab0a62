//! Postfix's brace-aware tokenizer (as its `mystrtokq`): a value splits at
//! separators, except inside `{…}` groups, which stay one token. master.cf
//! fields and restriction-list items are both read this way.

/// Splits `text` at characters `is_separator` accepts, outside braces,
/// dropping empty tokens. Returns each token with its byte offset.
pub fn split_braced(text: &str, is_separator: impl Fn(char) -> bool) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut level = 0usize;
    for (i, c) in text.char_indices() {
        if level == 0 && is_separator(c) {
            if !current.is_empty() {
                out.push((start, std::mem::take(&mut current)));
            }
            continue;
        }
        if current.is_empty() {
            start = i;
        }
        match c {
            '{' => level += 1,
            '}' => level = level.saturating_sub(1),
            _ => {}
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push((start, current));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::split_braced;

    #[test]
    fn keeps_brace_groups_whole_and_reports_offsets() {
        let got = split_braced("a  { b c } d", |c| c == ' ');
        assert_eq!(
            got,
            [
                (0, "a".to_string()),
                (3, "{ b c }".to_string()),
                (11, "d".to_string())
            ]
        );
    }
}
