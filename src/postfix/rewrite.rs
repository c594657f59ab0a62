//! Renaming a table in main.cf or master.cf text (`hash:/x` → `lmdb:/x`),
//! line by line, leaving every other byte as it was.

/// One changed physical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedLine {
    /// 1-based line number.
    pub line: usize,
    /// The line before.
    pub old: String,
    /// The line after.
    pub new: String,
}

/// Replaces every `from` table name (`hash:/etc/postfix/x`, also inside
/// `proxy:`) that ends at a separator (end, `,`, whitespace, `}`) by `to`,
/// except in comment lines (first non-blank character `#`, which Postfix
/// ignores in main.cf and master.cf alike): they stay as the admin wrote
/// them. Returns the new text and the changed lines.
pub fn rename_table(text: &str, from: &str, to: &str) -> (String, Vec<ChangedLine>) {
    let mut out = String::with_capacity(text.len());
    let mut changed = Vec::new();
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let comment = line.trim_start().starts_with('#');
        let new = if comment {
            line.to_string()
        } else {
            rename_in_line(line, from, to)
        };
        if new != line {
            changed.push(ChangedLine {
                line: index + 1,
                old: line.trim_end_matches(['\n', '\r']).to_string(),
                new: new.trim_end_matches(['\n', '\r']).to_string(),
            });
        }
        out.push_str(&new);
    }
    (out, changed)
}

fn rename_in_line(line: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(from) {
        let before_ok = rest[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_ascii_whitespace() || matches!(c, ',' | '{' | '=' | ':'));
        let after = &rest[at + from.len()..];
        let after_ok = after
            .chars()
            .next()
            .is_none_or(|c| c.is_ascii_whitespace() || matches!(c, ',' | '}'));
        out.push_str(&rest[..at]);
        out.push_str(if before_ok && after_ok { to } else { from });
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_whole_names_only() {
        let text = "relay_clientcerts = hash:/etc/postfix/cc, proxy:hash:/etc/postfix/cc\n\
                    x = hash:/etc/postfix/cc2 hash:/etc/postfix/cc}\n# hash:/etc/postfix/cc\n";
        let (new, changed) = rename_table(text, "hash:/etc/postfix/cc", "lmdb:/etc/postfix/cc");
        assert_eq!(
            new,
            "relay_clientcerts = lmdb:/etc/postfix/cc, proxy:lmdb:/etc/postfix/cc\n\
             x = hash:/etc/postfix/cc2 lmdb:/etc/postfix/cc}\n# hash:/etc/postfix/cc\n"
        );
        assert_eq!(changed.len(), 2);
        assert_eq!(changed[1].line, 2);
    }
}
