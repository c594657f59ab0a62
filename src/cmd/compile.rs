//! `ccert compile`.

use std::io::Write as _;

use anyhow::Context as _;

use crate::cli::CompileArgs;
use crate::maps::compile::compile_with_progress;
use crate::maps::prepare::DuplicatePolicy;
use crate::maps::{MapName, MapType};

use super::{Context, Outcome, print_warnings, resolve_type};

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
    // Before the lock below opens it: a FIFO would block the open. Killed
    // edits' temp files beside the source go too.
    crate::source::locked::before_reading(source)?;
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
    if map_type == MapType::Sqlite {
        super::note_sqlite_replaced(source, ctx);
    }
    // Absolute: Postfix daemons run in the queue directory, so the name
    // printed for main.cf must not depend on where ccert ran.
    let absolute = std::path::absolute(source).unwrap_or_else(|_| source.clone());
    // The table is built: a closed standard output (`| true`) is no failure.
    let _ = writeln!(std::io::stdout(), "{}", map_type.postfix_name(&absolute));
    Ok(())
}
