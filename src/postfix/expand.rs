//! Parameter expansion the way Postfix evaluates main.cf values (`postconf -x`).
//!
//! Syntax (postconf(5), checked against `postconf -xh` of Postfix 3.7.11):
//!
//! * `$name`, `${name}`, `$(name)`: the named value, itself expanded; an
//!   unknown name expands to nothing. `$$` is a literal `$`.
//! * `${name?text}`, `${name?{text}}`: `text` when the *raw* value of `name`
//!   is non-empty; `${name:text}`, `${name:{text}}`: `text` when it is empty
//!   or unset; `${name?{t}:{f}}` / `${name?{t}:f}`: either.
//!   Without braces the text runs to the end of the `${…}` (so
//!   `${name?a:b}` yields `a:b`). Whitespace around `{text}` is ignored, the
//!   text inside the braces is kept as is.
//! * `${{a} OP {b} ? {t} : {f}}`: a relational expression; OP is `==`, `!=`,
//!   `<`, `<=`, `>`, `>=`, compared numerically when both sides are all
//!   digits, else byte-wise; with the suffix `level` (`<level`, …) both sides
//!   are compatibility levels (`major[.minor[.patch]]`). Without `?`/`:` the
//!   expression yields `true` or nothing.

use std::cmp::Ordering;

/// How deep `$name` references may nest before we call it a loop (Postfix: 100).
const MAX_DEPTH: usize = 100;

/// The most work one expansion may do, in bytes of text scanned: values
/// that refer to others twice per level (`a=$b$b`, `b=$c$c`, …) grow
/// exponentially within the nesting limit; no real main.cf comes near this.
const MAX_WORK: usize = 1 << 20;

/// Whitespace Postfix skips around `{…}` operands.
const WS: &[char] = &[' ', '\t', '\r', '\n'];

/// A syntax error in a value, as postconf reports it (it then refuses the value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    /// `$` not followed by a name, `$`, `{` or `(`.
    #[error("empty macro name in \"{0}\" (write $$ for a literal $)")]
    EmptyName(String),
    /// `${` or `$(` without its closing bracket.
    #[error("truncated macro reference in \"{0}\"")]
    Truncated(String),
    /// A name with characters other than letters, digits and `_`.
    #[error("parameter name syntax error in \"${{{0}}}\"")]
    BadName(String),
    /// A `{` operand without its `}`.
    #[error("unbalanced {{}} in \"{0}\"")]
    Unbalanced(String),
    /// Anything else postconf rejects: an unknown operator, garbage after an operand.
    #[error("{0}")]
    Syntax(String),
    /// A `<level`-style comparison with an operand that is no compatibility level.
    #[error("malformed compatibility level \"{0}\"")]
    BadLevel(String),
    /// The expansion grows without bound (parameters that refer to others
    /// several times per level).
    #[error(
        "expanding \"{0}\" takes too much work (do parameters refer to each other many times over?)"
    )]
    TooMuchWork(String),
    /// References nest too deep: a parameter refers to itself.
    #[error("unreasonable macro nesting at \"{0}\" (does a parameter refer to itself?)")]
    TooDeep(String),
}

/// Expands `text`; `lookup` returns the raw (unexpanded) value of a name, or
/// `None` when it is neither set nor has a default.
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    let mut out = String::new();
    Expander {
        lookup,
        work: std::cell::Cell::new(0),
    }
    .text(text, 0, &mut out)
    .map_err(|e| match e {
        ExpandError::TooMuchWork(_) => ExpandError::TooMuchWork(text.to_string()),
        other => other,
    })?;
    Ok(out)
}

/// A comparison operator of a relational expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "==" => Self::Eq,
            "!=" => Self::Ne,
            "<" => Self::Lt,
            "<=" => Self::Le,
            ">" => Self::Gt,
            ">=" => Self::Ge,
            _ => return None,
        })
    }

    fn holds(self, ord: Ordering) -> bool {
        match self {
            Self::Eq => ord == Ordering::Equal,
            Self::Ne => ord != Ordering::Equal,
            Self::Lt => ord == Ordering::Less,
            Self::Le => ord != Ordering::Greater,
            Self::Gt => ord == Ordering::Greater,
            Self::Ge => ord != Ordering::Less,
        }
    }
}

/// Parses a compatibility level (`3`, `3.6`, `3.6.1`) into comparable parts.
pub fn parse_level(s: &str) -> Option<[u64; 3]> {
    let mut parts = [0u64; 3];
    for (count, part) in s.split('.').enumerate() {
        if count == 3 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        parts[count] = part.parse().ok()?;
    }
    Some(parts)
}

/// Compares two operands the way a plain relational operator does.
fn compare_plain(a: &str, b: &str) -> Ordering {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if digits(a) && digits(b) {
        let a = a.trim_start_matches('0');
        let b = b.trim_start_matches('0');
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    } else {
        a.as_bytes().cmp(b.as_bytes())
    }
}

struct Expander<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// Bytes of text scanned so far (see [`MAX_WORK`]).
    work: std::cell::Cell<usize>,
}

impl Expander<'_> {
    /// Expands free text (the top level, a looked-up value, an operand).
    fn text(&self, s: &str, depth: usize, out: &mut String) -> Result<(), ExpandError> {
        if depth > MAX_DEPTH {
            return Err(ExpandError::TooDeep(s.to_string()));
        }
        let work = self.work.get() + s.len() + 1;
        if work > MAX_WORK {
            return Err(ExpandError::TooMuchWork(String::new()));
        }
        self.work.set(work);
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'$' {
                let next = s[i..].find('$').map_or(b.len(), |k| i + k);
                out.push_str(&s[i..next]);
                i = next;
                continue;
            }
            i += 1;
            match b.get(i) {
                Some(b'$') => {
                    out.push('$');
                    i += 1;
                }
                Some(&open @ (b'{' | b'(')) => {
                    let close = if open == b'{' { b'}' } else { b')' };
                    let start = i + 1;
                    let mut level = 1;
                    let mut j = start;
                    while j < b.len() {
                        if b[j] == open {
                            level += 1;
                        } else if b[j] == close {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        j += 1;
                    }
                    if j >= b.len() {
                        return Err(ExpandError::Truncated(s.to_string()));
                    }
                    self.expr(&s[start..j], depth, out)?;
                    i = j + 1;
                }
                Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => {
                    let end = s[i..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map_or(b.len(), |k| i + k);
                    self.substitute(&s[i..end], depth, out)?;
                    i = end;
                }
                _ => return Err(ExpandError::EmptyName(s.to_string())),
            }
        }
        Ok(())
    }

    fn substitute(&self, name: &str, depth: usize, out: &mut String) -> Result<(), ExpandError> {
        if let Some(value) = (self.lookup)(name) {
            self.text(&value, depth + 1, out)?;
        }
        Ok(())
    }

    fn expanded(&self, s: &str, depth: usize) -> Result<String, ExpandError> {
        let mut out = String::new();
        self.text(s, depth + 1, &mut out)?;
        Ok(out)
    }

    /// The inside of `${…}`.
    fn expr(&self, content: &str, depth: usize, out: &mut String) -> Result<(), ExpandError> {
        let trimmed = content.trim_start_matches(WS);
        if trimmed.starts_with('{') {
            let (left, rest) = curly(trimmed)?;
            let op_len = rest
                .find(|c: char| !"<>!=?+-*/~&|%".contains(c))
                .unwrap_or(rest.len());
            let (op_text, rest) = rest.split_at(op_len);
            let suffix_len = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            let (suffix, rest) = rest.split_at(suffix_len);
            let op = Op::parse(op_text)
                .filter(|_| suffix.is_empty() || suffix == "level")
                .ok_or_else(|| {
                    ExpandError::Syntax(format!(
                        "\"==\", \"!=\", \"<\", \"<=\", \">=\" or \">\" (optionally followed by \"level\") expected after \"{{{left}}}\" in \"${{{content}}}\""
                    ))
                })?;
            let rest = rest.trim_start_matches(WS);
            if !rest.starts_with('{') {
                return Err(ExpandError::Syntax(format!(
                    "\"{{expression}}\" expected after \"{op_text}{suffix}\" in \"${{{content}}}\""
                )));
            }
            let (right, rest) = curly(rest)?;
            let a = self.expanded(left, depth)?;
            let b = self.expanded(right, depth)?;
            let ord = if suffix == "level" {
                let la = parse_level(&a).ok_or(ExpandError::BadLevel(a.clone()))?;
                let lb = parse_level(&b).ok_or(ExpandError::BadLevel(b.clone()))?;
                la.cmp(&lb)
            } else {
                compare_plain(&a, &b)
            };
            let truth = op.holds(ord);
            if rest.is_empty() {
                if truth {
                    out.push_str("true");
                }
                return Ok(());
            }
            if !rest.starts_with(['?', ':']) {
                return Err(ExpandError::Syntax(format!(
                    "\"?\" or \":\" expected at \"{rest}\" in \"${{{content}}}\""
                )));
            }
            return self.conditional(truth, rest, content, depth, out);
        }
        match content.find(['?', ':']) {
            None => {
                let name = checked_name(content)?;
                self.substitute(name, depth, out)
            }
            Some(p) => {
                let name = checked_name(&content[..p])?;
                let truth = (self.lookup)(name).is_some_and(|v| !v.is_empty());
                self.conditional(truth, &content[p..], content, depth, out)
            }
        }
    }

    /// `?…` and/or `:…` after a name or relational expression.
    fn conditional(
        &self,
        truth: bool,
        mut rest: &str,
        content: &str,
        depth: usize,
        out: &mut String,
    ) -> Result<(), ExpandError> {
        if let Some(after) = rest.strip_prefix('?') {
            let (iftrue, after) = branch(after)?;
            if truth {
                self.text(iftrue, depth + 1, out)?;
            }
            if after.is_empty() {
                return Ok(());
            }
            if !after.starts_with(':') {
                return Err(ExpandError::Syntax(format!(
                    "\":\" expected at \"{after}\" in \"${{{content}}}\""
                )));
            }
            rest = after;
        }
        let after = &rest[1..];
        let (iffalse, after) = branch(after)?;
        if !truth {
            self.text(iffalse, depth + 1, out)?;
        }
        if !after.is_empty() {
            return Err(ExpandError::Syntax(format!(
                "unexpected input at \"{after}\" in \"${{{content}}}\""
            )));
        }
        Ok(())
    }
}

/// A parameter name inside `${…}`: surrounding whitespace is ignored.
fn checked_name(raw: &str) -> Result<&str, ExpandError> {
    let name = raw.trim_matches(WS);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ExpandError::BadName(raw.to_string()));
    }
    Ok(name)
}

/// Splits `{payload}rest` (s starts with `{`); skips whitespace after `}`.
fn curly(s: &str) -> Result<(&str, &str), ExpandError> {
    let mut level = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => level += 1,
            '}' => {
                level -= 1;
                if level == 0 {
                    return Ok((&s[1..i], s[i + 1..].trim_start_matches(WS)));
                }
            }
            _ => {}
        }
    }
    Err(ExpandError::Unbalanced(s.to_string()))
}

/// One result operand: `{text}` (then the rest after it), or plain text to the end.
fn branch(s: &str) -> Result<(&str, &str), ExpandError> {
    let t = s.trim_start_matches(WS);
    if t.starts_with('{') {
        curly(t)
    } else {
        Ok((s, ""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(text: &str) -> Result<String, ExpandError> {
        let lookup = |name: &str| -> Option<String> {
            Some(
                match name {
                    "foo" => "hello",
                    "empty" => "",
                    "indirect" => "$foo!",
                    "indirect_empty" => "$empty",
                    "compatibility_level" => "3.6",
                    "old" => "2",
                    "loop" => "a $loop",
                    _ => return None,
                }
                .to_string(),
            )
        };
        expand(text, &lookup)
    }

    #[test]
    fn exponential_references_are_cut_off() {
        // p0 = $p1$p1, p1 = $p2$p2, …: 2^45 copies of "x" within the nesting limit;
        // and the same shape through relational operands, whose output stays tiny.
        for template in ["$N$N", "${{$N} == {$N}}"] {
            let lookup = |name: &str| -> Option<String> {
                let n: usize = name.strip_prefix('p')?.parse().ok()?;
                Some(if n == 45 {
                    "x".to_string()
                } else {
                    template.replace('N', &format!("p{}", n + 1))
                })
            };
            let started = std::time::Instant::now();
            assert_eq!(
                expand("$p0", &lookup),
                Err(ExpandError::TooMuchWork("$p0".into()))
            );
            // Generous: the budget is a few tens of milliseconds of work.
            assert!(started.elapsed() < std::time::Duration::from_secs(20));
        }
        // A long but linear chain is fine.
        let lookup = |name: &str| -> Option<String> {
            let n: usize = name.strip_prefix('p')?.parse().ok()?;
            Some(if n == 90 {
                "end".into()
            } else {
                format!("$p{}", n + 1)
            })
        };
        assert_eq!(expand("$p0", &lookup).unwrap(), "end");
    }

    #[test]
    fn plain_references() {
        assert_eq!(
            x("$foo-bar ${foo}_bar $(foo)x $$foo $nosuch.").unwrap(),
            "hello-bar hello_bar hellox $foo ."
        );
        assert_eq!(x("$indirect").unwrap(), "hello!");
        assert_eq!(x("${ foo }").unwrap(), "hello");
        assert_eq!(x("$${foo}").unwrap(), "${foo}");
    }

    #[test]
    fn conditionals() {
        assert_eq!(x("${foo?bar}x ${foo:bar}x").unwrap(), "barx x");
        assert_eq!(
            x("${empty?{yes}:{no}} ${empty:{E}} ${foo:{E}}").unwrap(),
            "no E "
        );
        assert_eq!(x("${nosuch?{yes}:no}").unwrap(), "no");
        assert_eq!(x("${nosuch:{a, b}}").unwrap(), "a, b");
        assert_eq!(x("x${foo?{ spaced }}z").unwrap(), "x spaced z");
        assert_eq!(x("${foo?a{b}c}").unwrap(), "a{b}c");
        assert_eq!(x("${foo?$foo$foo}").unwrap(), "hellohello");
        // The test is on the raw value: "$empty" is non-empty text.
        assert_eq!(x("${indirect_empty?yes}").unwrap(), "yes");
        assert_eq!(x("${ foo ? {x} : {y} }").unwrap(), "x");
    }

    #[test]
    fn relational_expressions() {
        let md5 = "${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}";
        assert_eq!(x(md5).unwrap(), "sha256");
        assert_eq!(
            x("${{$old} <level {3.6} ? {md5} : {sha256}}").unwrap(),
            "md5"
        );
        assert_eq!(x("${{3.10} <level {3.6} ? {lt} : {ge}}").unwrap(), "ge");
        assert_eq!(x("${{3.10} < {3.6} ? {lt} : {ge}}").unwrap(), "lt");
        assert_eq!(x("${{10} < {9} ? {lt} : {ge}}").unwrap(), "ge");
        assert_eq!(x("${{01} == {1} ? {eq} : {ne}}").unwrap(), "eq");
        assert_eq!(x("${{abc}=={abc}} ${{abc}=={abd}}x").unwrap(), "true x");
        assert_eq!(x("${{x} == {x} ?yes:no}").unwrap(), "yes:no");
        assert_eq!(x("${{x} == {y} :{no}}").unwrap(), "no");
        assert_eq!(x("${{ $foo } == {hello}?y:n}").unwrap(), "");
        assert_eq!(x("${{3} ==level {3.0} ? {y} : {z}}").unwrap(), "y");
        assert_eq!(x("${{3.6} ==level {3.6.1} ? {eq} : {ne}}").unwrap(), "ne");
        assert_eq!(x("${{2.10} >level {2.9} ? {gt} : {le}}").unwrap(), "gt");
        assert_eq!(
            x("${{0} <level {1} ? {} : {permit_mynetworks, defer_unauth_destination}}").unwrap(),
            ""
        );
    }

    #[test]
    fn errors() {
        assert!(matches!(x("a $ b"), Err(ExpandError::EmptyName(_))));
        assert!(matches!(x("a$"), Err(ExpandError::EmptyName(_))));
        assert!(matches!(x("${foo"), Err(ExpandError::Truncated(_))));
        assert!(matches!(
            x("${{abc} <level {3.6} ? {lt} : {ge}}"),
            Err(ExpandError::BadLevel(_))
        ));
        assert!(matches!(x("${{x}<>{y}?a:b}"), Err(ExpandError::Syntax(_))));
        assert!(matches!(
            x("${{a}=={a}?{1}:{2}:{3}}"),
            Err(ExpandError::Syntax(_))
        ));
        assert!(matches!(x("$loop"), Err(ExpandError::TooDeep(_))));
        assert!(matches!(x("${a-b}"), Err(ExpandError::BadName(_))));
    }

    #[test]
    fn levels() {
        assert_eq!(parse_level("3.6"), Some([3, 6, 0]));
        assert_eq!(parse_level("0"), Some([0, 0, 0]));
        assert_eq!(parse_level("3.6.1.2"), None);
        assert_eq!(parse_level("3."), None);
        assert_eq!(parse_level(""), None);
    }
}
