//! `ccert dump`: print every entry as `postmap -s` does.

use std::io::Write;
use std::ops::ControlFlow;

use anyhow::Context as _;

use crate::cli::DumpArgs;

use super::{Context, Outcome, finish_output, open_table};

/// Runs `ccert dump`: one `key<TAB>value` line per entry, in storage order.
pub fn run(args: &DumpArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if crate::fleet::store_config(&args.table).is_some() {
        return super::store_edge::dump(args);
    }
    let mut table = open_table(&args.table, ctx)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // Printed while the table is read, as postmap -s does: memory stays
    // small whatever the table's size.
    let mut written = Ok(());
    table
        .for_each_entry(&mut |key, value| {
            written = out
                .write_all(key)
                .and_then(|()| out.write_all(b"\t"))
                .and_then(|()| out.write_all(value))
                .and_then(|()| out.write_all(b"\n"));
            if written.is_ok() {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        })
        .with_context(|| format!("reading {}", args.table))?;
    finish_output(written.and_then(|()| out.flush()))?;
    Ok(Outcome::Success)
}
