//! The deny table (see [`crate::revocation`]): a `check_ccert_access` table
//! of `FINGERPRINT REJECT …` entries before `permit_tls_clientcerts`, which
//! `ccert revoke` writes so that a revoked certificate stays refused where
//! a stale copy of the list still names it.
//!
//! * No deny table before the permit: a warning (revocation removes, but
//!   does not stick), with the list that adds one.
//! * A deny table after the permit in the same list: an error. The permit
//!   ends the list for every listed certificate, so its REJECTs are never
//!   reached for the certificates they are meant for.
//! * A fingerprint both in the allow list and REJECTed by a deny table the
//!   service reaches: a warning that the allow entry is dead (smtpd refuses
//!   it; it was revoked, or put back by hand).

use std::collections::{HashMap, HashSet};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::postfix::restrictions::{self, CHECK_CCERT};
use crate::postfix::{PostfixConfig, TableRef};
use crate::revocation::{self, Walk};
use crate::source::{Item, RecordReader};

use super::relay::{Action, TableInfo, action};
use super::{Doctor, Finding, Scope};

/// How many entries are read from one source for these checks.
const ENTRY_LIMIT: usize = 1_000_000;

/// How many dead allow entries are reported one by one per source.
const REPORTED: usize = 10;

/// The keys (lower case) of a source's records, with their lines, and
/// whether every value refuses (`REJECT`, `5xx`…): `None` when it cannot be
/// read.
pub(super) type Keys = Option<(HashMap<String, usize>, bool)>;

fn read_keys(source: &Path) -> Keys {
    let file = crate::fsutil::open_regular(source).ok()?;
    let mut keys = HashMap::new();
    let mut all_refuse = true;
    for item in RecordReader::new(BufReader::with_capacity(1 << 16, file)).take(ENTRY_LIMIT) {
        let Ok(Item::Record(r)) = item else {
            continue;
        };
        let value = String::from_utf8_lossy(&r.value);
        all_refuse &= action(&value) == Action::Refuse;
        keys.entry(String::from_utf8_lossy(&r.key).to_ascii_lowercase())
            .or_insert(r.line);
    }
    Some((keys, all_refuse))
}

/// The source of a table reference ccert can read (`None` for pgsql:, …).
fn source_of(spec: &str) -> Option<PathBuf> {
    TableRef::parse(spec).source()
}

impl Doctor {
    /// The keys of a source, read once per run.
    fn keys(&mut self, source: &Path) -> Keys {
        if let Some(k) = self.keys.get(source) {
            return k.clone();
        }
        let k = read_keys(source);
        self.keys.insert(source.to_path_buf(), k.clone());
        k
    }

    /// The allow-list sources of a service (`relay_clientcerts`).
    fn allow_sources(&self, cfg: &PostfixConfig, scope: &Scope) -> Vec<PathBuf> {
        restrictions::items(&scope.value(cfg, "relay_clientcerts"))
            .iter()
            .filter_map(|i| source_of(i))
            .collect()
    }

    /// The service's lists as revocation reads them.
    fn deny_walk(&self, cfg: &PostfixConfig, scope: &Scope) -> Walk {
        let mut allow = self.allow_sources(cfg, scope);
        allow.extend(self.map.iter().cloned());
        revocation::walk(&|n: &str| scope.value(cfg, n), &allow)
    }

    /// Whether `table` is a deny table: its entries all refuse, and the
    /// service's allow list holds fingerprints it does not deny. smtpd goes
    /// on to the next restriction for those listed certificates, so the
    /// relay verdict walks past it (the denied ones are dead entries,
    /// reported by [`Doctor::check_deny`]).
    pub(super) fn is_pure_deny(&mut self, cfg: &PostfixConfig, scope: &Scope, table: &str) -> bool {
        let Some(source) = source_of(table) else {
            return false;
        };
        let Some((denied, true)) = self.keys(&source) else {
            return false;
        };
        let mut not_denied = false;
        for allow in self.allow_sources(cfg, scope) {
            let Some((allowed, _)) = self.keys(&allow) else {
                return false;
            };
            not_denied |= allowed.keys().any(|k| !denied.contains_key(k));
        }
        not_denied
    }

    /// The deny-table findings for one service that admits certificates.
    pub(super) fn check_deny(&mut self, cfg: &PostfixConfig, scope: &Scope) {
        let walk = self.deny_walk(cfg, scope);
        let Some(list) = walk.permit_list.clone() else {
            return;
        };
        let origin = scope.origin(cfg, &list);
        let permit = walk.permit_items[walk.permit_at].clone();
        let mut misplaced = false;
        for table in &walk.after {
            let is_deny = revocation::is_deny_name(table)
                || match self.table_info(cfg, table) {
                    TableInfo::Entries(e) => {
                        e.values().flatten().any(|(a, _)| *a == Action::Refuse)
                    }
                    _ => false,
                };
            if !is_deny {
                continue;
            }
            misplaced = true;
            if !self
                .reported
                .insert(format!("deny-after|{table}|{origin:?}"))
            {
                continue;
            }
            let fixed = revocation::with_deny(&walk.permit_items, walk.permit_at, table);
            let (file, line, service, fix) = self.list_fix(cfg, scope, &list, &fixed);
            self.add(
                Finding::error(format!(
                    "{list}: the deny table {CHECK_CCERT} {table} comes after {permit}, which ends the list for every listed certificate: its REJECT entries can never refuse the certificates they name (a revoked certificate still relays from a stale copy of the list)"
                ))
                .file(&file)
                .line(line)
                .service(service)
                .fix(format!("move it before the permit: {fix}")),
            );
        }
        if walk.deny.is_empty() {
            // A misplaced deny table's fix (above) is the one for this too;
            // permit_tls_all_clientcerts has findings of its own, whose fix
            // replaces it.
            if !misplaced
                && permit != super::relay::PERMIT_ALL
                && self.reported.insert(format!("deny-missing|{origin:?}"))
            {
                let proposed = revocation::proposed(cfg);
                let source = proposed.split_once(':').map_or(&*proposed, |(_, p)| p);
                let fixed = revocation::with_deny(&walk.permit_items, walk.permit_at, &proposed);
                let (file, line, service, fix) = self.list_fix(cfg, scope, &list, &fixed);
                self.add(
                    Finding::warning(format!(
                        "{list}: no {CHECK_CCERT} deny table comes before {permit}: `ccert revoke` can only remove entries, and a revoked certificate still relays wherever a stale copy of the list names it (a sync server not yet updated, a second table, a restored backup)"
                    ))
                    .file(&file)
                    .line(line)
                    .service(service)
                    .fix(format!(
                        "{fix}\nand create the table before postfix reload (smtpd answers 451 when it cannot open it): touch {source} && ccert compile {proposed}"
                    )),
                );
            }
            return;
        }
        self.dead_entries(cfg, scope, &walk.deny);
    }

    /// Allow entries a reached deny table REJECTs: dead, smtpd refuses them.
    fn dead_entries(&mut self, cfg: &PostfixConfig, scope: &Scope, deny: &[String]) {
        let mut denied: HashSet<String> = HashSet::new();
        let mut named: HashMap<String, String> = HashMap::new();
        for table in deny {
            let Some(source) = source_of(table) else {
                continue;
            };
            let Some(file) = crate::fsutil::open_regular(&source).ok() else {
                continue;
            };
            for item in RecordReader::new(BufReader::with_capacity(1 << 16, file)).take(ENTRY_LIMIT)
            {
                let Ok(Item::Record(r)) = item else {
                    continue;
                };
                if action(&String::from_utf8_lossy(&r.value)) == Action::Refuse {
                    let key = String::from_utf8_lossy(&r.key).to_ascii_lowercase();
                    named.entry(key.clone()).or_insert_with(|| table.clone());
                    denied.insert(key);
                }
            }
        }
        if denied.is_empty() {
            return;
        }
        for allow in self.allow_sources(cfg, scope) {
            let Some((keys, _)) = self.keys(&allow) else {
                continue;
            };
            let mut dead: Vec<(usize, &String)> = keys
                .iter()
                .filter(|(k, _)| denied.contains(*k))
                .map(|(k, line)| (*line, k))
                .collect();
            dead.sort();
            let mut shown = 0;
            for (line, key) in &dead {
                if !self
                    .reported
                    .insert(format!("dead|{}|{line}", allow.display()))
                {
                    continue;
                }
                shown += 1;
                if shown > REPORTED {
                    continue;
                }
                let shown_key = crate::text::terminal_safe(key).to_ascii_uppercase();
                self.add(
                    Finding::warning(format!(
                        "{shown_key} is listed here but REJECTed by the deny table {}: smtpd refuses it, the entry is dead (the certificate was revoked)",
                        named.get(*key).map_or("", String::as_str)
                    ))
                    .file(&allow)
                    .at(*line)
                    .fix(format!(
                        "remove it: ccert --map {} remove --fingerprint {shown_key} --yes",
                        allow.display()
                    )),
                );
            }
            if shown > REPORTED {
                self.add(
                    Finding::warning(format!(
                        "{} more entries are listed here but REJECTed by the deny table",
                        shown - REPORTED
                    ))
                    .file(&allow),
                );
            }
        }
    }
}
