//! One module per subcommand. Each exposes `run(args, ctx) -> anyhow::Result<Outcome>`.
//!
//! A command module depends on domain modules and on this one, never on
//! another command: what several commands share at the command edge (opening
//! a table named on the command line, printing compile warnings, rebuilding
//! tables after an edit) lives here.

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
pub mod client_config;
pub mod compile;
pub mod completions;
pub mod context;
pub mod db;
pub mod doctor;
pub mod dump;
pub mod fingerprint;
mod fleet;
pub mod import;
pub mod issue;
pub mod list;
pub mod log;
pub mod migrate;
pub mod probe;
pub mod progress;
pub mod query;
pub mod rehash;
pub mod remove;
pub mod server_config;
pub mod sync;

use std::io::Write as _;
use std::path::Path;
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
}

impl Outcome {
    /// The process exit code (postmap's: 0 or 1).
    pub fn exit_code(self) -> ExitCode {
        match self {
            Self::Success => ExitCode::SUCCESS,
            Self::Failure => ExitCode::from(1),
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    let choice = crate::postfix::Choice {
        release: cli.postfix_version,
        flavour: cli.postfix_build.map(Into::into),
        lookup: crate::postfix::postconf::Lookup::from_env(),
    };
    let mut ctx = Context::new(&cli.config_dir, cli.map.clone(), choice);
    ctx.quiet = cli.quiet;
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
    let table = ctx.table(spec, None)?;
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

/// Standard output closed early (`ccert dump … | head`) is not an error.
fn finish_output(result: std::io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to standard output"),
    }
}

/// Prints postmap-style warnings for a compile, in source line order:
/// skipped lines and duplicate keys.
fn print_warnings(source: &Path, report: &Report) {
    let mut warnings: Vec<(usize, String)> = report
        .problems
        .iter()
        .map(|p| {
            let text = format!("{}, line {}: {}", source.display(), p.line, p.message);
            (p.line, text)
        })
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

/// Rebuilds the compiled tables of `source` (those next to it and those the
/// configuration names, as Postfix opens them, see
/// [`Context::tables_of_source`]), printing postmap-style warnings (as
/// `ccert compile` does) once: every table is built from the same source, so
/// its skipped lines and duplicates are the same for each.
fn rebuild_tables(source: &Path, ctx: &Context) -> anyhow::Result<()> {
    let failed = |e: &dyn std::fmt::Display| {
        anyhow::anyhow!(
            "{} was updated, but rebuilding its tables failed: {e}; fix the problem and run `ccert compile {}`",
            source.display(),
            source.display()
        )
    };
    let types = ctx
        .tables_of_source(source)
        .map_err(|e| failed(&format!("{e:#}")))?;
    let mut reports = Vec::new();
    let mut progress = progress::Progress::new(ctx);
    for map_type in types {
        let step = format!("rebuilding {map_type}:{}", source.display());
        let report = maps::compile::compile_with_progress(
            source,
            map_type,
            maps::prepare::DuplicatePolicy::Warn,
            &mut |done, total| progress.update(&step, done, total),
        )
        .map_err(|e| failed(&e))?;
        reports.push(report);
    }
    drop(progress);
    if let Some(report) = reports.first() {
        print_warnings(source, report);
    }
    let mut err = std::io::stderr().lock();
    for report in &reports {
        let _ = writeln!(err, "ccert: rebuilt {}", report.table.display());
    }
    Ok(())
}
