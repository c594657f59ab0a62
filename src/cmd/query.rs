//! `ccert query`: look keys up as `postmap -q` does.

use std::io::{BufRead, Write};

use anyhow::Context as _;

use crate::cli::QueryArgs;
use crate::maps::Table;
use crate::maps::prepare::fold_key;

use super::{Context, Outcome, finish_output, open_table};

/// Runs `ccert query`: exit 0 when a key was found, 1 (silently) when not.
pub fn run(args: &QueryArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if crate::fleet::store_config(&args.table).is_some() {
        return super::store_edge::query(args);
    }
    let mut table = open_table(&args.table, ctx)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut found = false;
    if args.key == "-" {
        // As postmap -q -: one key per line, taken verbatim; print
        // `key<TAB>value` (the key as read) for each hit.
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = input
                .read_until(b'\n', &mut line)
                .context("reading keys from standard input")?;
            if n == 0 {
                break;
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if let Some(value) = lookup(table.as_mut(), &line, &args.table)? {
                found = true;
                finish_output(
                    [&line[..], b"\t", &value, b"\n"]
                        .iter()
                        .try_for_each(|part| out.write_all(part)),
                )?;
            }
        }
    } else if let Some(value) = lookup(table.as_mut(), args.key.as_bytes(), &args.table)? {
        found = true;
        finish_output(out.write_all(&value).and_then(|()| out.write_all(b"\n")))?;
    }
    finish_output(out.flush())?;
    Ok(if found {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

fn lookup(table: &mut dyn Table, key: &[u8], map: &str) -> anyhow::Result<Option<Vec<u8>>> {
    if key.is_empty() {
        return Ok(None);
    }
    table
        .get(&fold_key(key))
        .with_context(|| format!("looking up a key in {map}"))
}
