//! `ccert compile`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::CompileArgs;
use crate::maps::compile::{Report, compile_with_progress};
use crate::maps::prepare::DuplicatePolicy;
use crate::maps::{MapName, MapType};

use super::{Context, Outcome};

/// Runs `ccert compile`.
pub fn run(args: &CompileArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let policy = if args.replace_duplicates {
        DuplicatePolicy::Replace
    } else if args.ignore_duplicates {
        DuplicatePolicy::Ignore
    } else {
        DuplicatePolicy::Warn
    };
    let explicit = args.map_type.map(MapType::from);
    if let [only] = args.maps.as_slice() {
        compile_one(only, explicit, policy, ctx)?;
        return Ok(Outcome::Success);
    }
    // Several files: compile each, report each failure, exit 1 if any failed.
    let mut failed = false;
    for spec in &args.maps {
        if let Err(err) = compile_one(spec, explicit, policy, ctx) {
            let _ = writeln!(std::io::stderr(), "ccert: error: {err:#}");
            failed = true;
        }
    }
    Ok(if failed {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

fn compile_one(
    spec: &str,
    explicit: Option<MapType>,
    policy: DuplicatePolicy,
    ctx: &Context,
) -> anyhow::Result<()> {
    let name = MapName::parse(spec)?;
    let map_type = resolve_type(&name, explicit, ctx)?;
    let source = &name.path;
    // Wait for a running add/remove to finish, and keep the next one from
    // changing the source until this table is in place.
    let _shared = crate::source::locked::lock_shared(source)?;
    let mut progress = super::progress::Progress::new(ctx);
    let step = format!("compiling {map_type}:{}", source.display());
    let report = compile_with_progress(source, map_type, policy, &mut |done, total| {
        progress.update(&step, done, total)
    })
    .with_context(|| {
        format!(
            "{}:{} was not compiled; the old table, if any, is unchanged",
            map_type,
            source.display()
        )
    })?;
    drop(progress);
    print_warnings(source, &report);
    // Absolute: Postfix daemons run in the queue directory, so the name
    // printed for main.cf must not depend on where ccert ran.
    let absolute = std::path::absolute(source).unwrap_or_else(|_| source.clone());
    // The table is built: a closed standard output (`| true`) is no failure.
    let _ = writeln!(std::io::stdout(), "{}", map_type.postfix_name(&absolute));
    Ok(())
}

/// Prints postmap-style warnings for a compile, in source line order:
/// skipped lines and duplicate keys.
pub fn print_warnings(source: &Path, report: &Report) {
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

/// The table type for `name`: its `TYPE:` prefix, else `explicit` (-t), else
/// the type relay_clientcerts uses for this file, else default_database_type
/// (when a main.cf exists), else lmdb.
pub fn resolve_type(
    name: &MapName,
    explicit: Option<MapType>,
    ctx: &Context,
) -> anyhow::Result<MapType> {
    if let Some(t) = name.map_type.or(explicit) {
        return Ok(t);
    }
    let config = ctx.postfix()?;
    if let Some(relay) = config.get("relay_clientcerts") {
        for configured in crate::maps::tables_in_list(&relay) {
            let Some(t) = configured.map_type else {
                continue;
            };
            if same_file(&source_of(t, &configured.path), &name.path) {
                return Ok(t);
            }
        }
    }
    if config.present
        && let Some(value) = config.get("default_database_type")
    {
        return value.trim().parse().with_context(|| {
            format!(
                "default_database_type = {} in {}: ccert writes hash, lmdb, cdb and \
                 sqlite; name the type with -t TYPE or TYPE:FILE",
                value.trim(),
                ctx.config_dir.join("main.cf").display()
            )
        });
    }
    Ok(MapType::Lmdb)
}

/// The source file a configured table name refers to: the path itself,
/// except for sqlite, which Postfix names by its `.sqlite.cf` file.
pub fn source_of(map_type: MapType, path: &Path) -> PathBuf {
    if map_type == MapType::Sqlite
        && let Some(s) = path.to_str().and_then(|s| s.strip_suffix(".sqlite.cf"))
    {
        return PathBuf::from(s);
    }
    path.to_path_buf()
}

/// Whether two paths name the same file (resolved when both exist, else
/// compared as absolute paths).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
    }
}
