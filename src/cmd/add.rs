//! `ccert add`.

use crate::cli::AddArgs;

use super::{Context, Outcome};

/// Runs `ccert add`.
pub fn run(args: &AddArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
