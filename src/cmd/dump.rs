//! `ccert dump`.

use crate::cli::DumpArgs;

use super::{Context, Outcome};

/// Runs `ccert dump`.
pub fn run(args: &DumpArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
