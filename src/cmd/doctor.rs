//! `ccert doctor`.

use crate::cli::DoctorArgs;

use super::{Context, Outcome};

/// Runs `ccert doctor`.
pub fn run(args: &DoctorArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
