//! `ccert dump`: print every entry as `postmap -s` does.

use std::io::Write;

use anyhow::Context as _;

use crate::cli::DumpArgs;

use super::query::open_table;
use super::{Context, Outcome};

/// Runs `ccert dump`: one `key<TAB>value` line per entry, in storage order.
pub fn run(args: &DumpArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let mut table = open_table(&args.table, ctx)?;
    let entries = table
        .entries()
        .with_context(|| format!("reading {}", args.table))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (key, value) in entries {
        out.write_all(&key)?;
        out.write_all(b"\t")?;
        out.write_all(&value)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(Outcome::Success)
}
