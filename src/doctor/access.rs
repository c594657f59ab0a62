//! The values of check_ccert_access tables: each must be an access(5)
//! action. smtpd reads any other word as the name of a restriction, and an
//! unknown one (a client's name such as `laptop`) makes it answer
//! `451 4.3.5 Server configuration error` to the very client the entry was
//! meant to let through.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::postfix::PostfixConfig;
use crate::source::{Item, RecordReader};

use super::relay::{Action, action};
use super::{Doctor, Finding};

/// How many bad values are reported one by one per table; the rest are
/// counted, so a broken million-line table gives a readable report.
const REPORTED: usize = 10;

/// Whether smtpd reads `value` as an action or a restriction it knows
/// (`classes`: the smtpd_restriction_classes names), by the one reading of
/// access(5) values the relay verdict uses ([`super::relay::action`]).
pub fn is_action(value: &str, classes: &[String]) -> bool {
    let first = value.split_whitespace().next().unwrap_or("");
    classes.iter().any(|c| c.eq_ignore_ascii_case(first)) || action(value) != Action::Bogus
}

impl Doctor {
    /// Reports every value in a check_ccert_access table's source that is
    /// not an action (as an error, naming the file and line).
    pub(super) fn check_access_values(&mut self, cfg: &PostfixConfig) {
        let classes: Vec<String> = cfg
            .get("smtpd_restriction_classes")
            .unwrap_or_default()
            .split([',', ' ', '\t', '\n'])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let mut seen: Vec<PathBuf> = Vec::new();
        for table in cfg.configured_tables() {
            if table.setting == "relay_clientcerts" {
                continue;
            }
            let Some(source) = table.table.source() else {
                continue;
            };
            if seen.contains(&source) {
                continue;
            }
            seen.push(source.clone());
            self.check_access_source(&source, &table.setting, &classes);
        }
    }

    fn check_access_source(&mut self, source: &Path, setting: &str, classes: &[String]) {
        // A missing or unreadable source is reported by the table checks.
        let Ok(file) = std::fs::File::open(source) else {
            return;
        };
        let mut bad = 0usize;
        for item in RecordReader::new(BufReader::new(file)) {
            let Ok(Item::Record(r)) = item else {
                continue;
            };
            let value = String::from_utf8_lossy(&r.value);
            if is_action(&value, classes) {
                continue;
            }
            bad += 1;
            if bad <= REPORTED {
                let shown = crate::cert::name::terminal_safe(&value).into_owned();
                self.add(
                    Finding::error(format!(
                        "check_ccert_access ({setting}): the value \"{shown}\" is not an access(5) action; smtpd reads it as a restriction name and answers 451 4.3.5 Server configuration error to this client"
                    ))
                    .file(source)
                    .line(Some(r.line))
                    .fix(format!(
                        "make the value an action: ccert --map {} add CERT --name NAME --replace (writes OK and keeps the name in ccert's comment), or edit the line to OK",
                        source.display()
                    )),
                );
            }
        }
        if bad > REPORTED {
            self.add(
                Finding::error(format!(
                    "check_ccert_access ({setting}): {} more values are not access(5) actions",
                    bad - REPORTED
                ))
                .file(source),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_action;

    #[test]
    fn actions_restrictions_and_classes_pass_names_do_not() {
        let classes = vec!["workstations".to_string()];
        for ok in [
            "OK",
            "RELAY",
            "ok",
            "REJECT revoked by ccert",
            "554 5.7.1 go away",
            "450 try later",
            "1",
            "permit_mynetworks",
            "reject_unauth_destination",
            "check_client_access hash:/x",
            "DUNNO",
            "workstations",
        ] {
            assert!(is_action(ok, &classes), "{ok}");
        }
        for bad in ["laptop", "chinacat", "host.example.com", "my laptop"] {
            assert!(!is_action(bad, &classes), "{bad}");
        }
    }
}
