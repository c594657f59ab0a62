//! `ccert query`.

use crate::cli::QueryArgs;

use super::{Context, Outcome};

/// Runs `ccert query`.
pub fn run(args: &QueryArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
