//! `ccert remove`.

use crate::cli::RemoveArgs;

use super::{Context, Outcome};

/// Runs `ccert remove`.
pub fn run(args: &RemoveArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
