//! One module per subcommand. Each exposes `run(args, ctx) -> anyhow::Result<Outcome>`.
//!
//! A command module depends on domain modules and on this one, never on
//! another command: what several commands share at the command edge (opening
//! a table named on the command line, printing compile warnings, rebuilding
//! tables after an edit) lives here, and in the shared modules that are not
//! subcommands: [`context`] (the global options and the effective
//! configuration), [`progress`] (progress bars), `store_edge` (the commands
//! on a database list) and `table_layout` (how `list` fits the terminal).

/// `println!` that never panics: a closed standard output (`ccert add … | head`)
/// must not abort a command between writing the source and rebuilding its tables.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that never panics (see [`say!`]).
macro_rules! tell {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod add;
pub mod apply;
pub mod check;
pub mod client_config;
pub mod compile;
pub mod completions;
pub mod context;
pub mod db;
mod deny;
pub mod doctor;
pub mod dump;
pub mod fingerprint;
pub mod import;
pub mod issue;
pub mod list;
pub mod log;
pub mod migrate;
pub mod probe;
pub mod progress;
pub mod prune;
pub mod query;
pub mod rehash;
pub mod remove;
pub mod revoke;
pub mod rotate;
pub mod server_config;
mod store_edge;
pub mod sync;
mod table_layout;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::{Cli, Command};
use crate::maps::compile::Report;
use crate::maps::{self, Table};
use crate::source::locked::LockedSource;

pub use context::Context;

/// How a command ended when it did not fail with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1 without an error message: a `query` miss, `doctor` findings,
    /// `list --expiring` hits, or some files of several failing (each already reported).
    Failure,
    /// Another exit code, where an ecosystem's convention rules (the
    /// monitoring plugin API's 0–3 for `check`).
    Exit(u8),
}

impl Outcome {
    /// The process exit code (postmap's: 0 or 1).
    pub fn exit_code(self) -> ExitCode {
        match self {
            Self::Success => ExitCode::SUCCESS,
            Self::Failure => ExitCode::from(1),
            Self::Exit(code) => ExitCode::from(code),
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    let choice = crate::postfix::Choice {
        release: cli.postfix_version,
        flavour: cli.postfix_build,
        lookup: crate::postfix::postconf::Lookup::from_env(),
    };
    let mut ctx = Context::new(&cli.config_dir, cli.map.clone(), choice);
    ctx.quiet = cli.quiet;
    ctx.passwords = Passwords::new(cli.pkcs12_password_file.as_deref())?;
    match &cli.command {
        Command::Fingerprint(args) => fingerprint::run(args, &ctx),
        Command::Add(args) => add::run(args, &ctx),
        Command::Remove(args) => remove::run(args, &ctx),
        Command::List(args) => list::run(args, &ctx),
        Command::Compile(args) => compile::run(args, &ctx),
        Command::Query(args) => query::run(args, &ctx),
        Command::Dump(args) => dump::run(args, &ctx),
        Command::Doctor(args) => doctor::run(args, &ctx),
        Command::Rehash(args) => rehash::run(args, &ctx),
        Command::Issue(args) => match issue::run(args, &ctx)? {
            // A failed add takes the new files away again, so a retry starts clean.
            Outcome::Success if args.add => {
                add::run(&issue::add_args(args), &ctx).map_err(|e| issue::undo(args, e))
            }
            outcome => Ok(outcome),
        },
        Command::ClientConfig(args) => client_config::run(args, &ctx),
        Command::ServerConfig(args) => server_config::run(args, &ctx),
        Command::Migrate(args) => migrate::run(args, &ctx),
        Command::Log(args) => log::run(args, &ctx),
        Command::Probe(args) => probe::run(args, &ctx),
        Command::Completions(args) => completions::run(args, &ctx),
        Command::Db(args) => db::run(args, &ctx),
        Command::Import(args) => import::run(args, &ctx),
        Command::Sync(args) => sync::run(args, &ctx),
        Command::Apply(args) => apply::run(args, &ctx),
        Command::Check(args) => check::run(args, &ctx),
        Command::Rotate(args) => rotate::run(args, &ctx),
        Command::Prune(args) => prune::run(args, &ctx),
        Command::Revoke(args) => revoke::run(args, &ctx),
    }
}

/// PKCS#12 passwords from `--password-file`, else `CCERT_PASSWORD`, else a
/// prompt when standard input is a terminal.
#[derive(Debug, Default)]
pub(crate) struct Passwords {
    from_file: Option<String>,
}

impl Passwords {
    fn new(file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let from_file = match file {
            None => None,
            Some(path) => {
                let text = crate::fsutil::read_to_string_bounded(
                    path,
                    crate::fsutil::limits::PASSWORD_FILE,
                )
                .map_err(|e| {
                    anyhow::Error::new(e)
                        .context(format!("{}: cannot read the password file", path.display()))
                })?;
                // The first line, without its line end (`echo secret > file` adds one).
                Some(text.lines().next().unwrap_or_default().to_string())
            }
        };
        Ok(Self { from_file })
    }
}

impl crate::cert::PasswordSource for Passwords {
    fn password(&self, path: &std::path::Path) -> Option<String> {
        use std::io::IsTerminal as _;
        if let Some(p) = &self.from_file {
            return Some(p.clone());
        }
        if let Ok(p) = std::env::var("CCERT_PASSWORD") {
            return Some(p);
        }
        if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
            return None;
        }
        dialoguer::Password::new()
            .with_prompt(format!("Password for {}", path.display()))
            .allow_empty_password(true)
            .interact()
            .ok()
    }
}

/// After a sqlite table built from `source` was replaced: tells the
/// administrator of a running Postfix that its smtpd processes keep the
/// previous database until they exit (they never notice a replaced sqlite
/// file; see [`crate::running`]).
pub(crate) fn note_sqlite_replaced(source: &std::path::Path, ctx: &Context) {
    let table = crate::maps::MapType::Sqlite.table_path(source);
    let queue_dir = ctx
        .postfix()
        .ok()
        .and_then(|c| c.get("queue_directory"))
        .unwrap_or_else(|| "/var/spool/postfix".into());
    if table.exists() && crate::running::postfix_running(std::path::Path::new(&queue_dir)) {
        tell!(
            "ccert: notice: {}: running smtpd processes answer from the previous database \
             until they exit (max_use sessions or max_idle seconds); `postfix reload` switches them now",
            table.display()
        );
    }
}

/// Opens the table named `[TYPE:]FILE` on the command line (type defaults
/// as for compile; sqlite tables may be named by their `.sqlite.cf` file).
fn open_table(spec: &str, ctx: &Context) -> anyhow::Result<Box<dyn Table>> {
    let table = ctx.table_to_read(spec)?;
    let (map_type, source) = (table.map_type, table.source);
    maps::backend(map_type).open(&source).with_context(|| {
        format!(
            "cannot open {}:{} (build it with `ccert compile {}:{}`)",
            map_type,
            source.display(),
            map_type,
            source.display()
        )
    })
}

/// Adds the context of a failed write to standard output. A closed pipe
/// never gets here: commands that only read die of SIGPIPE (see `main`).
fn finish_output(result: std::io::Result<()>) -> anyhow::Result<()> {
    result.context("writing to standard output")
}

/// Prints postmap-style warnings for a compile, in source line order:
/// skipped lines and duplicate keys.
fn print_warnings(source: &Path, report: &Report) {
    let mut warnings: Vec<(usize, String)> = report
        .problems
        .iter()
        .map(|p| (p.line, p.warning(source)))
        .chain(report.duplicates.iter().map(|d| {
            let text = format!(
                "{}: duplicate entry: \"{}\" ({}, line {}: the first value is kept)",
                report.table.display(),
                String::from_utf8_lossy(&d.key),
                source.display(),
                d.line
            );
            (d.line, text)
        }))
        .collect();
    warnings.sort_by_key(|(line, _)| *line);
    if let Some(risk) = &report.ownership {
        warnings.insert(0, (0, risk.to_string()));
    }
    // eprintln! would panic on a closed standard error (`2>&1 | head`),
    // which hostile sources with thousands of warnings make likely.
    let mut err = std::io::stderr().lock();
    for (_, text) in warnings {
        if writeln!(err, "ccert: warning: {text}").is_err() {
            break;
        }
    }
}

/// Rebuilds the tables of the source (while still holding the source
/// lock, so rebuilds of concurrent edits happen in order), then unlocks.
fn rebuild_then_unlock(
    locked: LockedSource,
    rebuild: bool,
    path: &Path,
    ctx: &Context,
) -> anyhow::Result<()> {
    if rebuild {
        rebuild_tables(path, ctx)?;
        note_sqlite_replaced(path, ctx);
    }
    drop(locked);
    Ok(())
}

/// Whether a table of `source` ([`Context::tables_of_source`]) is behind
/// it: missing (one the configuration names), or older than the source. An
/// edit that finds nothing to change rebuilds them anyway then, so that
/// re-running an edit interrupted between writing the source and building
/// its tables (killed, full disk, `--no-compile`) repairs them.
fn tables_behind(source: &Path, ctx: &Context) -> anyhow::Result<bool> {
    let Some(source_time) = std::fs::metadata(source).and_then(|m| m.modified()).ok() else {
        return Ok(false);
    };
    Ok(table_states(source, source_time.into(), ctx)?
        .iter()
        .any(|t| t.freshness != crate::monitor::Freshness::Current))
}

/// Each table kept in step with `source` ([`Context::tables_of_source`])
/// and whether it says what the source, last changed at `source_time`,
/// says: missing, older (Postfix answers from the old entries) or current.
pub(crate) fn table_states(
    source: &Path,
    source_time: time::OffsetDateTime,
    ctx: &Context,
) -> anyhow::Result<Vec<crate::monitor::TableState>> {
    use crate::monitor::{Freshness, TableState};
    let mut out = Vec::new();
    for map_type in ctx.tables_of_source(source)? {
        let built = std::fs::metadata(map_type.table_path(source))
            .and_then(|m| m.modified())
            .ok()
            .map(time::OffsetDateTime::from);
        let freshness = match built {
            None => Freshness::Missing,
            Some(b) if b < source_time => Freshness::Stale,
            Some(_) => Freshness::Current,
        };
        out.push(TableState {
            table: format!("{}:{}", map_type.name(), source.display()),
            freshness,
            built,
        });
    }
    Ok(out)
}

/// Builds a table of each of `types` from one read of `source`, with a
/// progress bar labelled `doing` ("compiling", "rebuilding"), and prints
/// postmap-style warnings once: every table comes from the same source, so
/// its skipped lines and duplicates are the same for each.
fn build_tables(
    source: &Path,
    types: &[maps::MapType],
    policy: maps::prepare::DuplicatePolicy,
    doing: &str,
    ctx: &Context,
) -> Result<Vec<Report>, maps::MapError> {
    let mut progress = progress::Progress::new(ctx);
    let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
    let step = format!("{doing} {} of {}", names.join(", "), source.display());
    let reports = maps::compile::compile_together(source, types, policy, &mut |done, total| {
        progress.update(&step, done, total)
    })?;
    drop(progress);
    if let Some(report) = reports.first() {
        print_warnings(source, report);
    }
    Ok(reports)
}

/// Rebuilds the compiled tables of `source` (those next to it and those the
/// configuration names, as Postfix opens them, see
/// [`Context::tables_of_source`]), printing postmap-style warnings (as
/// `ccert compile` does) once: every table is built from the same source, so
/// its skipped lines and duplicates are the same for each.
fn rebuild_tables(source: &Path, ctx: &Context) -> anyhow::Result<()> {
    let failed = |e: anyhow::Error| {
        e.context(format!(
            "{} was updated, but rebuilding its tables failed (fix the problem and run \
             `ccert compile {}`)",
            source.display(),
            source.display()
        ))
    };
    let types = ctx.tables_of_source(source).map_err(failed)?;
    if types.is_empty() {
        return Ok(());
    }
    // Said afterwards as "built" or "rebuilt", so note which exist now.
    let existed: Vec<PathBuf> = types
        .iter()
        .map(|t| t.table_path(source))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    let reports = build_tables(
        source,
        &types,
        maps::prepare::DuplicatePolicy::Warn,
        "rebuilding",
        ctx,
    )
    .map_err(|e| failed(e.into()))?;
    if ctx.quiet {
        return Ok(());
    }
    let mut err = std::io::stderr().lock();
    for report in &reports {
        let verb = if existed.contains(&report.table) {
            "rebuilt"
        } else {
            "built"
        };
        let _ = writeln!(err, "ccert: {verb} {}", report.table.display());
    }
    Ok(())
}

/// The `ccert add` command line to suggest for `cert`, as a shell parses
/// it: words quoted where needed, and `--name=VALUE` when the name starts
/// with `-` (clap would take `--name -x` for an option); without a name,
/// `--name NAME` for the user to fill in.
fn add_command(cert: &Path, name: Option<&str>) -> String {
    let cert = cert.display().to_string();
    let cert = if cert.starts_with('-') {
        format!("./{cert}")
    } else {
        cert
    };
    let Some(name) = name else {
        return format!("ccert add {} --name NAME", shell_word(&cert));
    };
    let name_arg = if name.starts_with('-') {
        format!("--name={}", shell_word(name))
    } else {
        format!("--name {}", shell_word(name))
    };
    format!("ccert add {} {name_arg}", shell_word(&cert))
}

/// `word` as one shell word: as is when it is plain, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/@%+=:,-".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Asks on the terminal whether to remove `count` entries (default no).
/// `None` when standard input is not a terminal: the caller refuses, naming
/// what it would have removed, and points at `--yes`.
pub(crate) fn ask_removal(count: usize) -> Option<dialoguer::Result<bool>> {
    use std::io::IsTerminal as _;
    if !std::io::stdin().is_terminal() {
        return None;
    }
    Some(
        dialoguer::Confirm::new()
            .with_prompt(if count == 1 {
                "Remove it?"
            } else {
                "Remove them?"
            })
            .default(false)
            .interact(),
    )
}

/// Asks on the terminal whether to revoke `count` certificates (default
/// no); `None` when standard input is not a terminal (see [`ask_removal`]).
pub(crate) fn ask_revocation(count: usize) -> Option<dialoguer::Result<bool>> {
    use std::io::IsTerminal as _;
    if !std::io::stdin().is_terminal() {
        return None;
    }
    Some(
        dialoguer::Confirm::new()
            .with_prompt(if count == 1 {
                "Revoke it?"
            } else {
                "Revoke them?"
            })
            .default(false)
            .interact(),
    )
}

/// The access(5) action a check_ccert_access entry gets: Postfix reads any
/// value that is not an action as a restriction name, and a name such as
/// `laptop` makes smtpd answer 451 4.3.5 (Server configuration error).
pub(crate) const ACCESS_ACTION: &str = "OK";

/// Whether a check_ccert_access restriction names a table of `source`
/// (then each entry's value must be an action), said once when so.
pub(crate) fn access_table(ctx: &Context, source: &Path) -> anyhow::Result<bool> {
    let access = ctx.is_access_source(source)?;
    if access && !ctx.quiet {
        tell!(
            "ccert: notice: {} is a check_ccert_access table: each entry's value is the action {ACCESS_ACTION}, and the client's name is kept in ccert's comment",
            source.display()
        );
    }
    Ok(access)
}

/// Makes `put` an access-table entry: the value becomes the action and the
/// name moves into ccert's comment.
pub(crate) fn as_access_entry(put: &mut crate::source::edit::Put) {
    let name = std::mem::replace(&mut put.name, ACCESS_ACTION.to_string());
    put.annotation.name = Some(name);
}

/// One wanted entry as the edit commands show it: its key and name, and
/// where it came from (a certificate file) when they say so.
struct Shown<'a> {
    fingerprint: &'a crate::cert::Fingerprint,
    name: &'a str,
    from: Option<&'a str>,
}

/// Says what an edit will do before it is written (the same for a file and
/// a database list, through [`crate::source::edit::Outcome::message`]): a
/// notice for each entry already there, then the refusal, as the error,
/// for the first entry under another name (nothing is written then).
fn say_before_commit(
    outcomes: &[crate::source::edit::Outcome],
    shown: &[Shown<'_>],
    list: &str,
    replace_hint: bool,
) -> anyhow::Result<()> {
    use crate::source::edit::Message;
    for (outcome, s) in outcomes.iter().zip(shown) {
        match outcome.message(s.fingerprint, s.name, list, s.from, replace_hint) {
            Message::Notice(text) => tell!("{text}"),
            Message::Refused(text) => anyhow::bail!("{text}"),
            Message::Done(_) => {}
        }
    }
    Ok(())
}

/// Says what an edit did, once it is written: one line per change.
fn say_after_commit(outcomes: &[crate::source::edit::Outcome], shown: &[Shown<'_>], list: &str) {
    use crate::source::edit::Message;
    for (outcome, s) in outcomes.iter().zip(shown) {
        if let Message::Done(text) = outcome.message(s.fingerprint, s.name, list, s.from, false) {
            say!("{text}");
        }
    }
}

/// After entries were removed from `source` (still locked): drops the
/// stored copies of certificates no remaining entry refers to.
pub(crate) fn prune_store_copies(locked: &LockedSource, source: &Path) -> anyhow::Result<()> {
    let store = crate::certstore::CertStore::for_source(source);
    let remaining = remaining_stored(locked, &store)?;
    store.prune(&remaining).with_context(|| {
        format!(
            "{}: removing unused certificate copies",
            store.dir().display()
        )
    })?;
    Ok(())
}

/// The fingerprints of the (now edited) source that a stored certificate
/// matches: what [`crate::certstore::CertStore::prune`] must keep. Streams the source; memory
/// grows with the store, not with the source.
fn remaining_stored(
    locked: &LockedSource,
    store: &crate::certstore::CertStore,
) -> Result<Vec<crate::cert::Fingerprint>, crate::source::locked::SourceError> {
    let stored: std::collections::HashSet<crate::cert::Fingerprint> = store
        .load(&mut |_| {})
        .iter()
        .flat_map(|s| {
            crate::cert::DigestAlgorithm::ALL
                .into_iter()
                .flat_map(move |digest| {
                    [false, true]
                        .into_iter()
                        .map(move |pubkey| s.cert.fingerprint(digest, pubkey))
                })
        })
        .collect();
    let mut kept = Vec::new();
    if stored.is_empty() {
        return Ok(kept);
    }
    for item in locked.records()? {
        if let crate::source::Item::Record(r) = item.map_err(|e| locked.io_err(e))?
            && let Some(fp) = std::str::from_utf8(&r.key)
                .ok()
                .and_then(crate::cert::Fingerprint::parse)
            && stored.contains(&fp)
        {
            kept.push(fp);
        }
    }
    Ok(kept)
}

/// An entry of another digest than the server's can never match: a
/// warning, or with `--strict` an error.
pub(crate) fn check_server_digest(
    digest: crate::cert::DigestAlgorithm,
    ctx: &Context,
    strict: bool,
) -> anyhow::Result<()> {
    let Some(server) = ctx.postfix()?.fingerprint_digest()? else {
        return Ok(());
    };
    if server == digest {
        return Ok(());
    }
    let what = format!(
        "the server compares {server} fingerprints (smtpd_tls_fingerprint_digest), \
         so a {digest} entry can never match"
    );
    if strict {
        anyhow::bail!("{what}; use --digest {server}");
    }
    tell!("ccert: warning: {what}; adding it anyway (--strict refuses)");
    Ok(())
}

#[cfg(test)]
mod add_command_tests {
    use super::*;

    #[test]
    fn suggested_add_commands_parse() {
        assert_eq!(
            add_command(Path::new("./laptop.pem"), Some("laptop")),
            "ccert add ./laptop.pem --name laptop"
        );
        assert_eq!(
            add_command(Path::new("./-dash.pem"), Some("-dash")),
            "ccert add ./-dash.pem --name=-dash"
        );
        assert_eq!(
            add_command(Path::new("/tmp/my host.pem"), Some("it's")),
            "ccert add '/tmp/my host.pem' --name 'it'\\''s'"
        );
        assert_eq!(
            add_command(Path::new("my cert.pem"), None),
            "ccert add 'my cert.pem' --name NAME"
        );
    }
}
