//! `ccert compile`.

use std::io::Write as _;

use anyhow::{Context as _, bail};

use crate::cli::CompileArgs;
use crate::maps::MapType;
use crate::maps::compile::compile_with_progress;
use crate::maps::prepare::DuplicatePolicy;
use crate::postfix::{TableRef, TableType};

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
        args.maps.iter().map(|m| TableRef::parse(m)).collect()
    };
    if let [only] = specs.as_slice() {
        compile_one(only, explicit, policy, ctx)?;
        return Ok(Outcome::Success);
    }
    // Several tables: those of one source are built from one read of it;
    // a group that fails is compiled table by table, so each failure is
    // reported on its own as before. Exit 1 if any failed.
    let mut failed = false;
    for group in group_by_source(&specs, explicit, ctx) {
        if group.len() > 1 && compile_group(&group, policy, ctx).is_ok() {
            continue;
        }
        for (spec, _) in &group {
            if let Err(err) = compile_one(spec, explicit, policy, ctx) {
                let _ = writeln!(
                    std::io::stderr(),
                    "ccert: error: {}",
                    crate::report::one_line(&err)
                );
                failed = true;
            }
        }
    }
    Ok(if failed {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

fn compile_one(
    spec: &TableRef,
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

/// Specs of tables of one source, each with its type (`None`: the spec
/// does not resolve).
type Group = Vec<(TableRef, Option<MapType>)>;

/// `specs` grouped by the source file they are built from (in the order
/// of their first spec), each with its type; a spec that does not resolve
/// is a group of its own (compiling it reports the error).
fn group_by_source(specs: &[TableRef], explicit: Option<MapType>, ctx: &Context) -> Vec<Group> {
    let mut groups: Vec<(Option<std::path::PathBuf>, Group)> = Vec::new();
    for spec in specs {
        let Ok(table) = ctx.table(spec, explicit) else {
            groups.push((None, vec![(spec.clone(), None)]));
            continue;
        };
        let key = std::fs::canonicalize(&table.source).ok();
        let member = (spec.clone(), Some(table.map_type));
        let same = groups.iter_mut().find(|(k, members)| {
            key.is_some() && *k == key && !members.iter().any(|(_, t)| *t == Some(table.map_type))
        });
        match same {
            Some((_, members)) => members.push(member),
            None => groups.push((key, vec![member])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

/// Compiles the tables of one source (`group`, every type resolved and
/// distinct) from one read of it, printing what [`compile_one`] prints for
/// each. Any failure is returned quietly: the caller compiles the group's
/// tables one by one to report it.
fn compile_group(
    group: &[(TableRef, Option<MapType>)],
    policy: DuplicatePolicy,
    ctx: &Context,
) -> anyhow::Result<()> {
    let first = ctx.table(&group[0].0, group[0].1)?;
    let source = &first.source;
    let types: Vec<MapType> = group.iter().filter_map(|(_, t)| *t).collect();
    crate::source::locked::before_reading(source)?;
    let _shared = crate::source::locked::lock_shared(source)?;
    super::build_tables(source, &types, policy, "compiling", ctx)?;
    if types.contains(&MapType::Sqlite) {
        super::note_sqlite_replaced(source, ctx);
    }
    let absolute = std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf());
    let mut out = std::io::stdout().lock();
    for map_type in types {
        let _ = writeln!(out, "{}", map_type.postfix_name(&absolute));
    }
    Ok(())
}

/// `ccert compile` without FILE: every file-based table relay_clientcerts
/// and check_ccert_access name (texthash: needs no compiling).
fn configured_specs(ctx: &Context) -> anyhow::Result<Vec<TableRef>> {
    let specs: Vec<TableRef> = ctx
        .configured_tables()?
        .into_iter()
        .map(|c| c.table)
        .filter(|t| {
            t.table_type
                .as_ref()
                .is_some_and(TableType::is_built_from_source)
        })
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
