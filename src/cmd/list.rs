//! `ccert list`.

use crate::cli::ListArgs;

use super::{Context, Outcome};

/// Runs `ccert list`.
pub fn run(args: &ListArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
