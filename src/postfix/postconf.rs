//! Asking the installed Postfix: `postconf -c DIR` for defaults (`-d`),
//! effective values (`-x`), master.cf overrides (`-P -x`) and the table
//! types it can open (`-m`). Its values include the compatibility rules and
//! the distribution's build settings, which no built-in table can know.
//!
//! Which `postconf` runs: the one on `PATH`, else `/usr/sbin/postconf` or
//! `/sbin/postconf`. The environment variable `CCERT_POSTCONF` overrides that:
//! `none` (or empty) means "no Postfix here, use the built-in defaults", any
//! other value is the program to run. Tests use it; so can an admin who
//! audits a copy of a configuration from another machine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::subprocess::RunError;

/// Where to look for `postconf`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Lookup {
    /// `PATH`, then /usr/sbin and /sbin.
    #[default]
    Search,
    /// Do not run postconf (`CCERT_POSTCONF=none`).
    Disabled,
    /// This program (`CCERT_POSTCONF=/path/to/postconf`).
    Program(PathBuf),
}

impl Lookup {
    /// The lookup `CCERT_POSTCONF` asks for (unset: [`Lookup::Search`]).
    pub fn from_env() -> Self {
        match std::env::var_os("CCERT_POSTCONF") {
            None => Self::Search,
            Some(v) if v.is_empty() || v == "none" => Self::Disabled,
            Some(v) => Self::Program(PathBuf::from(v)),
        }
    }

    /// The program to run, if any.
    pub fn program(&self) -> Option<PathBuf> {
        match self {
            Self::Disabled => None,
            Self::Program(p) => Some(p.clone()),
            Self::Search => {
                let path = std::env::var_os("PATH").unwrap_or_default();
                std::env::split_paths(&path)
                    .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
                    .map(|d| d.join("postconf"))
                    .find(|p| p.is_file())
            }
        }
    }
}

/// What the installed Postfix says about a configuration directory.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The postconf that answered.
    pub program: PathBuf,
    /// `mail_version`.
    pub version: String,
    /// `postconf -d`: every parameter this Postfix knows, with its default text.
    pub defaults: HashMap<String, String>,
    /// `postconf -x`: effective values of every known parameter.
    pub effective: HashMap<String, String>,
    /// `postconf -P -x`: `service/type` → parameter → effective override value.
    pub services: HashMap<String, HashMap<String, String>>,
    /// `postconf -m`: the table types it can open (without `hash` and
    /// `btree` when they are only Berkeley DB stand-ins, see [`Self::bdb_surrogate`]).
    pub table_types: Vec<String>,
    /// Whether `postconf -m` lists `hash` and `btree` although this Postfix
    /// is built without Berkeley DB: from 3.11 such a build registers
    /// stand-ins (nbdb_surrogate.c) that fail every lookup with "Berkeley DB
    /// support for 'hash:…' is not available for this OS distribution".
    /// Found by asking postmap beside postconf to read a hash: table.
    pub bdb_surrogate: bool,
}

/// The text Postfix's Berkeley DB stand-ins print (nbdb_surrogate.c, 3.11+).
pub const SURROGATE_TEXT: &str = "is not available for this OS distribution";

/// Whether the hash: type `postconf -m` lists is a stand-in: runs
/// `postmap -c DIR -q ccert-probe hash:/nonexistent/…` (read only, a file
/// that cannot exist) with the postmap beside `program` and looks for the
/// stand-in's message. A postmap that cannot be run proves nothing (false).
fn hash_is_surrogate(program: &Path, dir: &Path) -> bool {
    let postmap = program.with_file_name("postmap");
    let Ok(out) = crate::subprocess::run(
        Command::new(&postmap).arg("-c").arg(dir).args([
            "-q",
            "ccert-probe",
            "hash:/nonexistent/ccert-bdb-probe",
        ]),
        crate::subprocess::DEADLINE,
        crate::subprocess::MAX_OUTPUT,
    ) else {
        return false;
    };
    String::from_utf8_lossy(&out.stderr).contains(SURROGATE_TEXT)
}

/// postconf could not be run or failed; the message says why, once.
#[derive(Debug, thiserror::Error)]
#[error("{program}: {message}")]
pub struct PostconfError {
    /// The program.
    pub program: PathBuf,
    /// What went wrong (postconf's error line, or what could not be done).
    pub message: String,
    /// The OS error, when one stopped it.
    #[source]
    pub cause: Option<std::io::Error>,
}

/// Runs `program -c DIR ARGS` and returns its standard output.
fn run(program: &Path, dir: &Path, args: &[&str]) -> Result<String, PostconfError> {
    // A deadline and a bound on its output: a postconf that hangs (a
    // configuration directory on a dead NFS server) or loops must not hold
    // every command, and a monitoring check, with it (docs/limits.md).
    let out = crate::subprocess::run(
        Command::new(program).arg("-c").arg(dir).args(args),
        crate::subprocess::DEADLINE,
        crate::subprocess::MAX_OUTPUT,
    )
    .map_err(|e| {
        let message = e.to_string();
        let cause = match e {
            RunError::Spawn(io) | RunError::Wait(io) => Some(io),
            RunError::Deadline(_) | RunError::TooLong(_) => None,
        };
        PostconfError {
            program: program.to_path_buf(),
            message,
            cause,
        }
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        // postconf's last line is its fatal error; the warnings before it are noise here.
        let message = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("failed without a message")
            .trim()
            .to_string();
        return Err(PostconfError {
            program: program.to_path_buf(),
            message: format!(
                "`postconf -c {} {}`: {message}",
                dir.display(),
                args.join(" ")
            ),
            cause: None,
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Parses `name = value` lines (value possibly empty).
pub fn parse_name_values(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(" =")?;
            Some((name.trim().to_string(), value.trim().to_string()))
        })
        .collect()
}

/// Asks `program` about the configuration in `dir`. postconf refuses a
/// directory without main.cf, so for such a directory only the defaults and
/// table types are asked, from an empty stand-in directory.
pub fn query(program: &Path, dir: &Path) -> Result<Facts, PostconfError> {
    let stand_in;
    let (dir, present) = if dir.join("main.cf").is_file() {
        (dir, true)
    } else {
        stand_in = tempfile::tempdir().map_err(|e| PostconfError {
            program: program.to_path_buf(),
            message: "cannot create an empty configuration directory".to_string(),
            cause: Some(e),
        })?;
        let main_cf = stand_in.path().join("main.cf");
        // Postfix waits (300 ms at a time) for a configuration file modified
        // within the last second to settle; a stand-in is settled at once.
        let settled = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::create(&main_cf)
            .and_then(|f| f.set_modified(settled))
            .map_err(|e| PostconfError {
                program: program.to_path_buf(),
                message: "cannot create an empty main.cf".to_string(),
                cause: Some(e),
            })?;
        (stand_in.path(), false)
    };
    let defaults = parse_name_values(&run(program, dir, &["-d"])?);
    let effective = if present {
        parse_name_values(&run(program, dir, &["-x"])?)
    } else {
        HashMap::new()
    };
    let mut services: HashMap<String, HashMap<String, String>> = HashMap::new();
    if present && dir.join("master.cf").is_file() {
        for (key, value) in parse_name_values(&run(program, dir, &["-P", "-x"])?) {
            // service/type/parameter
            if let Some((service, name)) = key.rsplit_once('/') {
                services
                    .entry(service.to_string())
                    .or_default()
                    .insert(name.to_string(), value);
            }
        }
    }
    let mut table_types: Vec<String> = run(program, dir, &["-m"])?
        .split_ascii_whitespace()
        .map(str::to_string)
        .collect();
    let version = defaults.get("mail_version").cloned().unwrap_or_default();
    // Only a 3.11+ built without Berkeley DB lists stand-ins; ask no
    // other postmap.
    let bdb_surrogate = version
        .parse::<super::Release>()
        .is_ok_and(|r| r.has_non_bdb())
        && table_types.iter().any(|t| t == "hash")
        && hash_is_surrogate(program, dir);
    if bdb_surrogate {
        table_types.retain(|t| t != "hash" && t != "btree");
    }
    Ok(Facts {
        program: program.to_path_buf(),
        version,
        defaults,
        effective,
        services,
        table_types,
        bdb_surrogate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_postconf_output() {
        let m = parse_name_values("a = 1\nb =\nsub/inet/c = x = y\n");
        assert_eq!(m["a"], "1");
        assert_eq!(m["b"], "");
        assert_eq!(m["sub/inet/c"], "x = y");
    }

    #[test]
    fn missing_program_is_an_error() {
        let err = query(Path::new("/nonexistent/postconf"), Path::new("/tmp")).unwrap_err();
        assert!(
            err.to_string().starts_with("/nonexistent/postconf: "),
            "{err}"
        );
    }
}
