//! A table reference, `type:name`, read once, as Postfix's `dict_open`
//! reads it, and the table Postfix really opens for it.
//!
//! Postfix splits a table name at its first colon into the type and the
//! name (`hash:/etc/postfix/clientcerts`, `pgsql:/etc/postfix/db.cf`,
//! `inline:{ a=b }`); `proxy:` in front hands the lookup to proxymap, which
//! opens the inner table itself, so for what is read and built the inner
//! table is what counts. In a restriction list a table may stand in braces
//! (`check_ccert_access { hash:/x, … }` gives `hash:/x` after the list is
//! split; a lone `{ hash:/x }` is read as `hash:/x`). [`TableRef::parse`] is
//! the one function that reads a reference; everything else asks it.
//!
//! [`PostfixConfig::open_table`] then says which table Postfix opens for a
//! reference: the type when none was written (the type a configured table
//! of the same file has, else default_database_type), the 3.11 Berkeley DB
//! redirect ([`super::redirect`]), whether this Postfix can open that type,
//! and the source file the table is built from.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{PostfixConfig, redirect};
use crate::maps::{MapType, UnknownMapType, same_file, source_of};

/// A table type as Postfix names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableType {
    /// `hash:` (Berkeley DB hash, `FILE.db`).
    Hash,
    /// `btree:` (Berkeley DB btree, `FILE.db`).
    Btree,
    /// `lmdb:` (`FILE.lmdb`).
    Lmdb,
    /// `cdb:` (`FILE.cdb`).
    Cdb,
    /// `sqlite:` (named by its sqlite_table(5) `.cf` file).
    Sqlite,
    /// `pgsql:` (named by its pgsql_table(5) `.cf` file; the fleet list).
    Pgsql,
    /// Any other type (`texthash`, `inline`, `static`, `ldap`, …).
    Other(String),
}

impl TableType {
    /// The type named `name` (as written: Postfix's type names are lower case).
    pub fn from_name(name: &str) -> Self {
        match name {
            "hash" => Self::Hash,
            "btree" => Self::Btree,
            "lmdb" => Self::Lmdb,
            "cdb" => Self::Cdb,
            "sqlite" => Self::Sqlite,
            "pgsql" => Self::Pgsql,
            other => Self::Other(other.to_string()),
        }
    }

    /// The name as Postfix writes it.
    pub fn name(&self) -> &str {
        match self {
            Self::Hash => "hash",
            Self::Btree => "btree",
            Self::Lmdb => "lmdb",
            Self::Cdb => "cdb",
            Self::Sqlite => "sqlite",
            Self::Pgsql => "pgsql",
            Self::Other(name) => name,
        }
    }

    /// A Berkeley DB type (`hash`, `btree`): the types Postfix 3.11 can
    /// redirect and builds without Berkeley DB cannot open.
    pub fn is_berkeley_db(&self) -> bool {
        matches!(self, Self::Hash | Self::Btree)
    }

    /// A type postmap builds from a source file (`hash`, `btree`, `lmdb`,
    /// `cdb`, `sqlite` as ccert writes it).
    pub fn is_built_from_source(&self) -> bool {
        matches!(
            self,
            Self::Hash | Self::Btree | Self::Lmdb | Self::Cdb | Self::Sqlite
        )
    }

    /// The type ccert writes and reads for this one, if it is one of them.
    pub fn map_type(&self) -> Option<MapType> {
        match self {
            Self::Hash => Some(MapType::Hash),
            Self::Lmdb => Some(MapType::Lmdb),
            Self::Cdb => Some(MapType::Cdb),
            Self::Sqlite => Some(MapType::Sqlite),
            _ => None,
        }
    }

    /// What Postfix appends to the name for the table file of a file type
    /// (`.db` for both Berkeley DB types, `.pag` for dbm and sdbm).
    pub fn file_suffix(&self) -> Option<&'static str> {
        match self {
            Self::Hash | Self::Btree => Some(".db"),
            Self::Lmdb => Some(".lmdb"),
            Self::Cdb => Some(".cdb"),
            Self::Other(name) if name == "dbm" || name == "sdbm" => Some(".pag"),
            _ => None,
        }
    }
}

impl fmt::Display for TableType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A reference to a table: `[proxy:]type:name`, or a bare name (a path on
/// the command line, whose type comes from `-t` or the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRef {
    /// Whether it was written behind `proxy:` (proxymap opens the table).
    pub proxy: bool,
    /// The type, when one was written.
    pub table_type: Option<TableType>,
    /// The name after the type: a path for file types, a `.cf` file for
    /// sqlite and pgsql, `{…}` for inline tables.
    pub name: String,
}

impl TableRef {
    /// Reads `text` as Postfix's `dict_open` does: one `proxy:` peeled,
    /// then the type up to the first colon. A prefix is a type only when it
    /// is made of letters and digits, so `./a:b` stays a path. Surrounding
    /// braces and blanks (a list item `{ hash:/x }`) are removed first.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        let text = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .map(str::trim)
            .unwrap_or(text);
        let (proxy, rest) = match text.strip_prefix("proxy:") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        match rest.split_once(':') {
            Some((prefix, name))
                if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                Self {
                    proxy,
                    table_type: Some(TableType::from_name(prefix)),
                    name: name.to_string(),
                }
            }
            _ => Self {
                proxy,
                table_type: None,
                name: rest.to_string(),
            },
        }
    }

    /// The type ccert writes that was written (`Ok(None)`: no type), or
    /// the error for a written type ccert does not write.
    pub fn ccert_type(&self) -> Result<Option<MapType>, UnknownMapType> {
        match &self.table_type {
            None => Ok(None),
            Some(t) => t
                .map_type()
                .map(Some)
                .ok_or_else(|| UnknownMapType(t.name().to_string())),
        }
    }

    /// The source file of the table (see [`crate::maps::source_of`]): the
    /// name itself for every file type (also texthash, which Postfix reads
    /// as the source), the file beside a sqlite `.cf` file ccert wrote;
    /// `None` without a type or for a `.cf` file ccert did not write.
    pub fn source(&self) -> Option<PathBuf> {
        let t = self.table_type.as_ref()?;
        source_of(t.name(), Path::new(&self.name))
    }

    /// The configuration file of a `pgsql:` table (the fleet list).
    pub fn pgsql_cf(&self) -> Option<PathBuf> {
        (self.table_type == Some(TableType::Pgsql)).then(|| PathBuf::from(&self.name))
    }
}

/// `type:name` (without `proxy:`), or the bare name.
impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.table_type {
            Some(t) => write!(f, "{t}:{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The table Postfix opens for a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedTable {
    /// The type written and read (after any redirect).
    pub map_type: MapType,
    /// The source file it is built from.
    pub source: PathBuf,
    /// What the administrator should know (a redirect, an ignored setting).
    pub notices: Vec<String>,
}

/// Why a reference does not name a table ccert can build or read.
#[derive(Debug, thiserror::Error)]
pub enum OpenTableError {
    /// A written type ccert does not write.
    #[error(transparent)]
    UnknownType(#[from] UnknownMapType),
    /// `non_bdb_custom_mapping` ccert cannot read.
    #[error(transparent)]
    Mapping(#[from] redirect::UnreadableMapping),
    /// This Postfix cannot open the type.
    #[error(
        "{opened}:{file}: this Postfix cannot open {opened} tables ({listed}: {types}); {}",
        match .why {
            Some(why) => why.clone(),
            None => format!("use another type, e.g. `ccert migrate --to lmdb` or `ccert compile lmdb:{}`", .file.display()),
        },
        file = .file.display()
    )]
    Unsupported {
        /// For hash and btree: why Berkeley DB is missing and whether a
        /// package brings it back ([`super::BdbAbsence`]), with the way out.
        why: Option<String>,
        /// The type Postfix would open.
        opened: String,
        /// The source file.
        file: PathBuf,
        /// Where the list of types comes from.
        listed: &'static str,
        /// The types this Postfix opens.
        types: String,
    },
    /// Postfix opens a type ccert does not write.
    #[error(
        "{opened}:{file}: {unknown}; name the type with -t TYPE or TYPE:FILE{hint}",
        file = .file.display()
    )]
    NotWritten {
        /// The type Postfix would open.
        opened: String,
        /// The source file.
        file: PathBuf,
        /// Why ccert does not write it.
        unknown: String,
        /// Where the type came from, when it is default_database_type.
        hint: String,
    },
}

impl PostfixConfig {
    /// The table Postfix opens for `table`: the type written, else
    /// `explicit` (-t), else the type a configured table of this file has,
    /// else default_database_type (when a main.cf exists), else lmdb; then
    /// Postfix 3.11's hash:/btree: redirect, then a check that this Postfix
    /// can open the type. A written type other than btree that ccert does
    /// not write is an error at once.
    pub fn open_table(
        &self,
        table: &TableRef,
        explicit: Option<MapType>,
    ) -> Result<OpenedTable, OpenTableError> {
        let written = match &table.table_type {
            Some(TableType::Btree) => Some(TableType::Btree),
            Some(_) => table.ccert_type()?.map(|t| TableType::from_name(t.name())),
            None => None,
        };
        let path = PathBuf::from(&table.name);
        let mut notices = Vec::new();
        let kind = match written.or(explicit.map(|t| TableType::from_name(t.name()))) {
            Some(t) => t,
            None => match self.configured_type_of(&path) {
                Some(t) => TableType::from_name(&t),
                None if self.present => {
                    let default = |c: &PostfixConfig| {
                        c.get("default_database_type")
                            .map(|t| t.trim().to_string())
                            .unwrap_or_else(|| "lmdb".to_string())
                    };
                    let kind = default(self);
                    // Without postconf, a type another release's defaults
                    // would change is said once, with the way out.
                    if let Some(notice) =
                        self.assumed(&format!("default_database_type = {kind}"), default)
                    {
                        notices.push(notice);
                    }
                    TableType::from_name(&kind)
                }
                None => TableType::from_name("lmdb"),
            },
        };
        let type_name = kind.name().to_string();
        // A sqlite table may be named on the command line by its source
        // (`compile sqlite:SOURCE`) as well as by its `.sqlite.cf` file.
        let source = source_of(&type_name, &path).unwrap_or(path);
        let mut opened = type_name.clone();
        if kind.is_berkeley_db()
            && let Some((setting, line)) = redirect::ignored_setting(self)
        {
            notices.push(format!(
                "{}:{line}: {setting} is unknown to Postfix {} and has no effect; writing {type_name}:{} as this Postfix opens it",
                self.main_cf_path().display(),
                self.release(),
                source.display()
            ));
        }
        if let Some(r) = redirect::redirect(self, &type_name, &source.display().to_string())? {
            notices.push(format!(
                "{type_name}:{} is read as {}:{} ({})",
                source.display(),
                r.to,
                source.display(),
                r.why
            ));
            opened = r.to;
        }
        if !self.supports_type(&opened) {
            let why = if TableType::from_name(&opened).is_berkeley_db() {
                self.bdb_absence().map(|a| a.to_string())
            } else {
                None
            };
            return Err(OpenTableError::Unsupported {
                why,
                opened,
                file: source,
                listed: if self.facts().is_some() {
                    "postconf -m lists"
                } else {
                    "built-in list of the assumed build"
                },
                types: self.table_types().join(" "),
            });
        }
        // The parse error already says which types ccert writes: add the
        // file and the way out, not the same fact again.
        let map_type: MapType = match opened.parse() {
            Ok(t) => t,
            Err(unknown) => {
                let hint = if self
                    .get("default_database_type")
                    .is_some_and(|d| d.trim() == type_name)
                {
                    format!(
                        " (default_database_type = {type_name} in {})",
                        self.main_cf_path().display()
                    )
                } else {
                    String::new()
                };
                return Err(OpenTableError::NotWritten {
                    unknown: UnknownMapType::to_string(&unknown),
                    opened,
                    file: source,
                    hint,
                });
            }
        };
        Ok(OpenedTable {
            map_type,
            source,
            notices,
        })
    }

    /// The type of the configured table whose source is `path`, if any.
    fn configured_type_of(&self, path: &Path) -> Option<String> {
        self.configured_tables()
            .into_iter()
            .find(|c| c.table.source().is_some_and(|s| same_file(&s, path)))
            .and_then(|c| c.table.table_type.map(|t| t.name().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_dict_open() {
        let r = TableRef::parse("proxy:hash:/etc/postfix/clientcerts");
        assert!(r.proxy);
        assert_eq!(r.table_type, Some(TableType::Hash));
        assert_eq!(r.name, "/etc/postfix/clientcerts");
        assert_eq!(r.to_string(), "hash:/etc/postfix/clientcerts");
        let r = TableRef::parse("{ btree:/x }");
        assert_eq!(
            (r.proxy, r.table_type, r.name.as_str()),
            (false, Some(TableType::Btree), "/x")
        );
        let r = TableRef::parse("inline:{ a=b, c=d }");
        assert_eq!(r.table_type, Some(TableType::Other("inline".into())));
        assert_eq!(r.name, "{ a=b, c=d }");
        let r = TableRef::parse("./a:b");
        assert_eq!((r.table_type, r.name.as_str()), (None, "./a:b"));
        assert_eq!(
            TableRef::parse("proxy:pgsql:/etc/postfix/c.cf").pgsql_cf(),
            Some(PathBuf::from("/etc/postfix/c.cf"))
        );
        assert_eq!(
            TableRef::parse("sqlite:/e/c.sqlite.cf").source(),
            Some(PathBuf::from("/e/c"))
        );
        assert_eq!(TableRef::parse("sqlite:/e/other.cf").source(), None);
        assert_eq!(TableRef::parse("/e/c").source(), None);
        assert!(TableRef::parse("btree:/x").ccert_type().is_err());
        assert_eq!(TableRef::parse("x").ccert_type().unwrap(), None);
    }
}
