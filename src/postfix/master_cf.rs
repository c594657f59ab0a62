//! Reading `master.cf`: one service per logical line (master(5)).
//!
//! Fields are separated by whitespace; `{…}` groups text with whitespace into
//! one field (Postfix 3.0+), also inside a field (`name={a b}`). After the
//! eight service fields come the command's arguments; `-o name=value` and
//! `-o { name = value }` override main.cf parameters for that service (the
//! last override of a name wins).

use super::main_cf::{LineError, LineWarning, logical_lines};

/// One `-o name=value` override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The parameter name.
    pub name: String,
    /// The raw value (unexpanded).
    pub value: String,
    /// 1-based physical line of the `-o` argument.
    pub line: usize,
}

/// One master.cf service entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Service name (`smtp`, `submission`, `127.0.0.1:10025`).
    pub name: String,
    /// Service type (`inet`, `unix`, `unix-dgram`, `fifo`, `pass`).
    pub kind: String,
    /// The private field (`y`, `n`, `-`).
    pub private: String,
    /// The unpriv field.
    pub unprivileged: String,
    /// The chroot field.
    pub chroot: String,
    /// The wakeup field.
    pub wakeup: String,
    /// The maxproc field.
    pub process_limit: String,
    /// The command name (`smtpd`).
    pub command: String,
    /// Every field after the command, as written (`-o` and its argument included).
    pub args: Vec<String>,
    /// The `-o` overrides in order.
    pub overrides: Vec<Override>,
    /// 1-based line where the entry starts.
    pub line: usize,
}

impl Service {
    /// `name/type`, as postconf names services.
    pub fn id(&self) -> String {
        format!("{}/{}", self.name, self.kind)
    }

    /// The override that counts for `name` (the last one).
    pub fn override_for(&self, name: &str) -> Option<&Override> {
        self.overrides.iter().rev().find(|o| o.name == name)
    }

    /// Whether the service runs the SMTP server.
    pub fn is_smtpd(&self) -> bool {
        self.command == "smtpd"
    }

    /// The command with its arguments, `-o` arguments written as postconf
    /// writes them (`name=value`, braced when the value has whitespace).
    pub fn command_line(&self) -> String {
        let mut out = self.command.clone();
        let mut args = self.args.iter();
        while let Some(arg) = args.next() {
            out.push(' ');
            if arg == "-o"
                && let Some(next) = args.next()
            {
                out.push_str("-o ");
                match split_override(next) {
                    Some((n, v)) => out.push_str(&brace_if_needed(&format!("{n}={v}"))),
                    None => out.push_str(next),
                }
                continue;
            }
            out.push_str(arg);
        }
        out
    }
}

/// Wraps text with whitespace in `{ }`, as postconf prints such fields.
pub fn brace_if_needed(text: &str) -> String {
    if text.contains(|c: char| c.is_ascii_whitespace()) {
        format!("{{{text}}}")
    } else {
        text.to_string()
    }
}

/// `name=value` or `{ name = value }` → (name, value); `None` without `=`.
fn split_override(arg: &str) -> Option<(String, String)> {
    let inner = match arg.strip_prefix('{').and_then(|a| a.strip_suffix('}')) {
        Some(inner) => inner.trim(),
        None => arg,
    };
    let (name, value) = inner.split_once('=')?;
    Some((name.trim().to_string(), value.trim().to_string()))
}

/// Splits a logical line into whitespace-separated fields with their byte offsets.
fn fields(text: &str) -> Vec<(usize, String)> {
    super::tokens::split_braced(text, |c| c.is_ascii_whitespace())
}

/// The parsed master.cf.
#[derive(Debug, Clone, Default)]
pub struct MasterCf {
    /// The services in file order.
    pub services: Vec<Service>,
    /// Warnings (orphan continuation lines, `-o` without `=`).
    pub warnings: Vec<LineWarning>,
}

impl MasterCf {
    /// Parses master.cf text; an entry with fewer than eight fields is an error.
    pub fn parse(text: &str) -> Result<Self, LineError> {
        let (lines, warnings) = logical_lines(text);
        let mut cf = Self {
            warnings,
            ..Self::default()
        };
        for logical in lines {
            let f = fields(&logical.text);
            if f.len() < 8 {
                return Err(LineError {
                    line: logical.line,
                    message: format!(
                        "service entry needs 8 fields (service type private unpriv chroot wakeup maxproc command), found {}: \"{}\"",
                        f.len(),
                        logical.text.trim()
                    ),
                });
            }
            let text = |i: usize| f[i].1.clone();
            let mut service = Service {
                name: text(0),
                kind: text(1),
                private: text(2),
                unprivileged: text(3),
                chroot: text(4),
                wakeup: text(5),
                process_limit: text(6),
                command: text(7),
                args: f[8..].iter().map(|(_, s)| s.clone()).collect(),
                overrides: Vec::new(),
                line: logical.line,
            };
            let mut i = 8;
            while i < f.len() {
                if f[i].1 == "-o" {
                    match f.get(i + 1) {
                        Some((offset, arg)) => {
                            let line = logical.line_at(*offset);
                            match split_override(arg) {
                                Some((name, value)) => {
                                    service.overrides.push(Override { name, value, line })
                                }
                                None => cf.warnings.push(LineWarning {
                                    line,
                                    message: format!(
                                        "service {}: \"-o {arg}\" has no '=' and is ignored",
                                        service.id()
                                    ),
                                }),
                            }
                            i += 2;
                            continue;
                        }
                        None => cf.warnings.push(LineWarning {
                            line: logical.line_at(f[i].0),
                            message: format!(
                                "service {}: \"-o\" without an argument",
                                service.id()
                            ),
                        }),
                    }
                }
                i += 1;
            }
            cf.services.push(service);
        }
        Ok(cf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# comment
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
# comment inside
  -o { smtpd_relay_restrictions = permit_tls_clientcerts, reject }
  -o smtpd_tls_ask_ccert=yes -o smtpd_x={a b} -o smtpd_w -o smtpd_tls_ask_ccert=no
s4 unix - - - - - pipe flags=R user=x argv=/bin/echo ${sender} {a b}
";

    #[test]
    fn parses_services_and_overrides() {
        let cf = MasterCf::parse(SAMPLE).unwrap();
        assert_eq!(cf.services.len(), 3);
        let sub = &cf.services[1];
        assert_eq!(sub.id(), "submission/inet");
        assert_eq!(sub.line, 3);
        assert_eq!(sub.chroot, "y");
        assert!(sub.is_smtpd());
        let relay = sub.override_for("smtpd_relay_restrictions").unwrap();
        assert_eq!(relay.value, "permit_tls_clientcerts, reject");
        assert_eq!(relay.line, 6);
        assert_eq!(sub.override_for("smtpd_x").unwrap().value, "{a b}");
        assert_eq!(sub.override_for("smtpd_tls_ask_ccert").unwrap().value, "no");
        assert_eq!(sub.override_for("smtpd_tls_ask_ccert").unwrap().line, 7);
        assert_eq!(cf.warnings.len(), 1);
        assert_eq!(
            sub.command_line(),
            "smtpd -o syslog_name=postfix/submission -o {smtpd_relay_restrictions=permit_tls_clientcerts, reject} -o smtpd_tls_ask_ccert=yes -o {smtpd_x={a b}} -o smtpd_w -o smtpd_tls_ask_ccert=no"
        );
        assert_eq!(
            cf.services[2].command_line(),
            "pipe flags=R user=x argv=/bin/echo ${sender} {a b}"
        );
    }

    #[test]
    fn short_entry_is_an_error() {
        assert_eq!(
            MasterCf::parse("# x\nsmtp inet n - y\n").unwrap_err().line,
            2
        );
    }
}
