//! `ccert dump`: print every entry as `postmap -s` does.

use std::io::Write;

use anyhow::Context as _;

use crate::cli::DumpArgs;

use super::{Context, Outcome, finish_output, open_table};

/// Runs `ccert dump`: one `key<TAB>value` line per entry, in storage order.
pub fn run(args: &DumpArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    if crate::store::store_config(&args.table).is_some() {
        return super::fleet::dump(args);
    }
    let mut table = open_table(&args.table, ctx)?;
    let entries = table
        .entries()
        .with_context(|| format!("reading {}", args.table))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = entries.iter().try_for_each(|(key, value)| {
        out.write_all(key)?;
        out.write_all(b"\t")?;
        out.write_all(value)?;
        out.write_all(b"\n")
    });
    finish_output(written.and_then(|()| out.flush()))?;
    Ok(Outcome::Success)
}
