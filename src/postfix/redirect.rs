//! Which table Postfix really opens for a configured `type:name`: Postfix
//! 3.11's Berkeley DB migration (docs/postfix-releases.md, "Berkeley DB
//! migration").
//!
//! With `non_bdb_migration_level = enable-redirect` (or `enable-reindex`),
//! every `hash:NAME` is opened as `$default_database_type:NAME` and every
//! `btree:NAME` as `$default_cache_db_type:NAME`, unless
//! `non_bdb_custom_mapping` names another type for `type:NAME` or for
//! `type`. postmap follows the same redirect, so ccert must too: it writes
//! and reads the table Postfix opens.
//!
//! A Postfix that does not know `non_bdb_migration_level` (before 3.11)
//! ignores the setting (postconf warns "unused parameter"), and so does ccert.

use super::{PostfixConfig, tokens};

/// A table type Postfix opens instead of the configured one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The type Postfix opens (`cdb`).
    pub to: String,
    /// Why, as a setting (`non_bdb_migration_level = enable-redirect`).
    pub why: String,
}

/// `non_bdb_custom_mapping` names a table ccert cannot read.
#[derive(Debug, thiserror::Error)]
#[error(
    "{path}{}: non_bdb_custom_mapping = {value}: ccert reads only inline:{{…}} and static: \
     mappings here; name the table type explicitly (TYPE:FILE) or use an inline: mapping",
    line.map(|l| format!(":{l}")).unwrap_or_default()
)]
pub struct UnreadableMapping {
    /// main.cf.
    pub path: std::path::PathBuf,
    /// Its line.
    pub line: Option<usize>,
    /// The value.
    pub value: String,
}

/// The migration level in effect: `Some(level)` when redirection is on.
pub fn migration_level(cfg: &PostfixConfig) -> Option<String> {
    let name = "non_bdb_migration_level";
    if !cfg.knows(name) {
        return None;
    }
    let level = cfg.get(name)?.trim().to_string();
    matches!(level.as_str(), "enable-redirect" | "enable-reindex").then_some(level)
}

/// Whether main.cf sets a migration parameter this Postfix does not know
/// (it then has no effect): returns `(name, line)`.
pub fn ignored_setting(cfg: &PostfixConfig) -> Option<(&'static str, usize)> {
    [
        "non_bdb_migration_level",
        "non_bdb_custom_mapping",
        "default_cache_db_type",
    ]
    .into_iter()
    .find_map(|n| {
        (!cfg.knows(n))
            .then(|| cfg.main_cf_line(n))
            .flatten()
            .map(|l| (n, l))
    })
}

/// The type Postfix opens for `map_type:name`, when it is not `map_type`.
pub fn redirect(
    cfg: &PostfixConfig,
    map_type: &str,
    name: &str,
) -> Result<Option<Redirect>, UnreadableMapping> {
    if !super::TableType::from_name(map_type).is_berkeley_db() {
        return Ok(None);
    }
    let Some(level) = migration_level(cfg) else {
        return Ok(None);
    };
    let why = format!("non_bdb_migration_level = {level}");
    let mapping = cfg.get("non_bdb_custom_mapping").unwrap_or_default();
    if !mapping.trim().is_empty() {
        let custom = lookup_mapping(mapping.trim(), &[&format!("{map_type}:{name}"), map_type])
            .ok_or_else(|| UnreadableMapping {
                path: cfg.main_cf_path(),
                line: cfg.main_cf_line("non_bdb_custom_mapping"),
                value: mapping.trim().to_string(),
            })?;
        if let Some(to) = custom {
            return Ok(Some(Redirect {
                to,
                why: format!("{why}, non_bdb_custom_mapping"),
            }));
        }
    }
    let default = if map_type == "hash" {
        "default_database_type"
    } else {
        "default_cache_db_type"
    };
    let to = cfg.get(default).unwrap_or_default().trim().to_string();
    if to.is_empty() || to == map_type {
        return Ok(None);
    }
    Ok(Some(Redirect { to, why }))
}

/// Looks `keys` up (first hit wins) in an `inline:{…}` or `static:` table:
/// `None` when ccert cannot read the table, `Some(None)` when no key matches.
fn lookup_mapping(table: &str, keys: &[&str]) -> Option<Option<String>> {
    if let Some(value) = table.strip_prefix("static:") {
        let value = value.trim();
        let value = value
            .strip_prefix('{')
            .and_then(|v| v.strip_suffix('}'))
            .unwrap_or(value);
        return Some(Some(value.trim().to_string()));
    }
    let body = table
        .strip_prefix("inline:")?
        .trim()
        .strip_prefix('{')?
        .strip_suffix('}')?;
    let pairs: Vec<(String, String)> =
        tokens::split_braced(body, |c| c == ',' || c.is_ascii_whitespace())
            .into_iter()
            .filter_map(|(_, item)| {
                let item = item
                    .strip_prefix('{')
                    .and_then(|i| i.strip_suffix('}'))
                    .unwrap_or(&item)
                    .to_string();
                let (k, v) = item.split_once('=')?;
                Some((k.trim().to_string(), v.trim().to_string()))
            })
            .collect();
    Some(keys.iter().find_map(|key| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inline_and_static_mappings() {
        let t = "inline:{ hash:/etc/postfix/a=lmdb, { hash = cdb } }";
        assert_eq!(
            lookup_mapping(t, &["hash:/etc/postfix/a", "hash"]),
            Some(Some("lmdb".to_string()))
        );
        assert_eq!(
            lookup_mapping(t, &["hash:/etc/postfix/b", "hash"]),
            Some(Some("cdb".to_string()))
        );
        assert_eq!(lookup_mapping(t, &["btree:/x", "btree"]), Some(None));
        assert_eq!(
            lookup_mapping("static:lmdb", &["hash"]),
            Some(Some("lmdb".to_string()))
        );
        assert_eq!(lookup_mapping("hash:/etc/postfix/map", &["hash"]), None);
    }
}
