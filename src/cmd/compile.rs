//! `ccert compile`.

use crate::cli::CompileArgs;

use super::{Context, Outcome};

/// Runs `ccert compile`.
pub fn run(args: &CompileArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
