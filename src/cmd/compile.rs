//! `ccert compile`.

use std::io::Write as _;

use anyhow::{Context as _, bail};

use crate::cli::CompileArgs;
use crate::maps::MapType;
use crate::maps::compile::compile_with_progress;
use crate::maps::prepare::DuplicatePolicy;

use super::{Context, Outcome, print_warnings};

/// Runs `ccert compile`.
pub fn run(args: &CompileArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let policy = if args.replace_duplicates {
        DuplicatePolicy::Replace
    } else if args.ignore_duplicates {
        DuplicatePolicy::Ignore
    } else {
        DuplicatePolicy::Warn
    };
    let explicit = args.map_type;
    let specs = if args.maps.is_empty() {
        configured_specs(ctx)?
    } else {
        args.maps.clone()
    };
    if let [only] = specs.as_slice() {
        compile_one(only, explicit, policy, ctx)?;
        return Ok(Outcome::Success);
    }
    // Several files: compile each, report each failure, exit 1 if any failed.
    let mut failed = false;
    for spec in &specs {
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
    let table = ctx.table(spec, explicit)?;
    let map_type = table.map_type;
    let source = &table.source;
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
    let absolute = std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf());
    // The table is built: a closed standard output (`| true`) is no failure.
    let _ = writeln!(std::io::stdout(), "{}", map_type.postfix_name(&absolute));
    Ok(())
}

/// `ccert compile` without FILE: every file-based table relay_clientcerts
/// and check_ccert_access name (texthash: needs no compiling).
fn configured_specs(ctx: &Context) -> anyhow::Result<Vec<String>> {
    let specs: Vec<String> = ctx
        .configured_tables()?
        .into_iter()
        .filter(|c| {
            matches!(
                c.type_name.as_str(),
                "hash" | "btree" | "lmdb" | "cdb" | "sqlite"
            )
        })
        .map(|c| format!("{}:{}", c.type_name, c.name))
        .collect();
    if specs.is_empty() {
        bail!(
            "{}: neither relay_clientcerts nor check_ccert_access names a table ccert can build; \
             name the source: ccert compile [TYPE:]FILE",
            ctx.config_dir.join("main.cf").display()
        );
    }
    Ok(specs)
}
