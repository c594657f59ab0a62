//! Reading `main.cf` (and the logical-line rules master.cf shares).
//!
//! Postfix's rules (postconf(5)): `name = value`, whitespace around `=` and
//! at the end of a logical line ignored; blank lines and lines whose first
//! non-blank character is `#` ignored; a line starting with whitespace
//! continues the logical line (comments and blank lines in between do not
//! end it). When a name is defined twice, the last definition wins.

use std::collections::HashMap;

/// One logical line: physical lines joined, with where each piece came from.
#[derive(Debug, Clone)]
pub struct LogicalLine {
    /// The joined text (newlines dropped, continuation text kept with its
    /// leading whitespace).
    pub text: String,
    /// 1-based number of the first physical line.
    pub line: usize,
    /// `(offset in text, 1-based physical line)` of every piece, ascending.
    pub pieces: Vec<(usize, usize)>,
}

impl LogicalLine {
    /// The physical line holding byte `offset` of [`Self::text`].
    pub fn line_at(&self, offset: usize) -> usize {
        self.pieces
            .iter()
            .rev()
            .find(|(start, _)| *start <= offset)
            .map_or(self.line, |(_, line)| *line)
    }
}

/// Something Postfix warns about but accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineWarning {
    /// 1-based physical line.
    pub line: usize,
    /// The warning.
    pub message: String,
}

/// Something Postfix refuses (postconf exits with a fatal error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based physical line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Splits text into logical lines; orphan continuation lines (before any
/// logical line) are skipped with a warning, as Postfix does.
pub fn logical_lines(text: &str) -> (Vec<LogicalLine>, Vec<LineWarning>) {
    let mut out: Vec<LogicalLine> = Vec::new();
    let mut warnings = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        // A CR of a CRLF file is trailing whitespace: drop it with the line ending.
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if raw.starts_with(|c: char| c.is_ascii_whitespace()) {
            match out.last_mut() {
                Some(last) => {
                    last.pieces.push((last.text.len(), number));
                    last.text.push_str(raw);
                }
                None => warnings.push(LineWarning {
                    line: number,
                    message: format!(
                        "logical line must not start with whitespace: \"{}\" (ignored)",
                        raw.trim_end()
                    ),
                }),
            }
        } else {
            out.push(LogicalLine {
                text: raw.to_string(),
                line: number,
                pieces: vec![(0, number)],
            });
        }
    }
    (out, warnings)
}

/// One `name = value` definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The parameter name.
    pub name: String,
    /// The raw value (unexpanded), trimmed.
    pub value: String,
    /// 1-based line where the definition starts.
    pub line: usize,
}

/// The parsed main.cf.
#[derive(Debug, Clone, Default)]
pub struct MainCf {
    /// Every definition in file order (overridden ones included).
    pub params: Vec<Param>,
    /// Name → index in `params` of the definition that counts (the last).
    index: HashMap<String, usize>,
    /// Warnings (orphan continuation lines, overridden definitions).
    pub warnings: Vec<LineWarning>,
}

impl MainCf {
    /// Parses main.cf text; a line without `=` or without a name is an
    /// error, as for Postfix.
    pub fn parse(text: &str) -> Result<Self, LineError> {
        let (lines, warnings) = logical_lines(text);
        let mut cf = Self {
            warnings,
            ..Self::default()
        };
        for logical in lines {
            let Some((name, value)) = logical.text.split_once('=') else {
                return Err(LineError {
                    line: logical.line,
                    message: format!(
                        "missing '=' after parameter name: \"{}\"",
                        logical.text.trim_end()
                    ),
                });
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(LineError {
                    line: logical.line,
                    message: format!("missing parameter name: \"{}\"", logical.text.trim_end()),
                });
            }
            if name.contains(|c: char| c.is_ascii_whitespace()) {
                return Err(LineError {
                    line: logical.line,
                    message: format!("whitespace in parameter name: \"{name}\""),
                });
            }
            let param = Param {
                name: name.to_string(),
                value: value
                    .trim_matches(|c: char| c.is_ascii_whitespace())
                    .to_string(),
                line: logical.line,
            };
            if let Some(&old) = cf.index.get(name) {
                let earlier = &cf.params[old];
                cf.warnings.push(LineWarning {
                    line: logical.line,
                    message: format!(
                        "overriding earlier entry: {}={} (line {})",
                        earlier.name, earlier.value, earlier.line
                    ),
                });
            }
            cf.index.insert(param.name.clone(), cf.params.len());
            cf.params.push(param);
        }
        Ok(cf)
    }

    /// The definition that counts for `name`.
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.index.get(name).map(|&i| &self.params[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_continuations_across_comments() {
        let cf = MainCf::parse(
            "# head\nsmtpd_banner = a,\n   b   \n# c\n\n\tc  \nmyhostname=h.example \r\n",
        )
        .unwrap();
        let banner = cf.get("smtpd_banner").unwrap();
        assert_eq!(banner.value, "a,   b   \tc");
        assert_eq!(banner.line, 2);
        assert_eq!(cf.get("myhostname").unwrap().value, "h.example");
        assert_eq!(cf.get("myhostname").unwrap().line, 7);
    }

    #[test]
    fn last_definition_wins_with_warning() {
        let cf = MainCf::parse("  orphan = 1\na = 1\na = 2\nb = x = y\n").unwrap();
        assert_eq!(cf.get("a").unwrap().value, "2");
        assert_eq!(cf.get("a").unwrap().line, 3);
        assert_eq!(cf.get("b").unwrap().value, "x = y");
        assert_eq!(cf.get("orphan"), None);
        assert_eq!(cf.warnings.len(), 2);
        assert_eq!(cf.warnings[0].line, 1);
    }

    #[test]
    fn rejects_what_postfix_rejects() {
        assert_eq!(MainCf::parse("a = 1\nsmtpd_banner\n").unwrap_err().line, 2);
        assert_eq!(MainCf::parse("= x\n").unwrap_err().line, 1);
    }

    #[test]
    fn maps_offsets_to_lines() {
        let (lines, _) = logical_lines("a\n b\n#x\n c\n");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "a b c");
        assert_eq!(lines[0].line_at(0), 1);
        assert_eq!(lines[0].line_at(2), 2);
        assert_eq!(lines[0].line_at(4), 4);
    }
}
