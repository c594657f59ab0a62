//! One module per subcommand. Each exposes `run(args, ctx) -> anyhow::Result<Outcome>`.

/// `println!` that never panics: a closed standard output (`ccert add … | head`)
/// must not abort a command between writing the source and rebuilding its tables.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that never panics (see [`say!`]).
macro_rules! tell {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod add;
pub mod client_config;
pub mod compile;
pub mod completions;
pub mod context;
pub mod doctor;
pub mod dump;
pub mod fingerprint;
pub mod issue;
pub mod list;
pub mod progress;
pub mod query;
pub mod rehash;
pub mod remove;
pub mod server_config;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub use context::Context;

/// How a command ended when it did not fail with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1 without an error message: a `query` miss, `doctor` findings,
    /// `list --expiring` hits, or some files of several failing (each already reported).
    Failure,
}

impl Outcome {
    /// The process exit code (postmap's: 0 or 1).
    pub fn exit_code(self) -> ExitCode {
        match self {
            Self::Success => ExitCode::SUCCESS,
            Self::Failure => ExitCode::from(1),
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    let ctx = Context::new(cli);
    match &cli.command {
        Command::Fingerprint(args) => fingerprint::run(args, &ctx),
        Command::Add(args) => add::run(args, &ctx),
        Command::Remove(args) => remove::run(args, &ctx),
        Command::List(args) => list::run(args, &ctx),
        Command::Compile(args) => compile::run(args, &ctx),
        Command::Query(args) => query::run(args, &ctx),
        Command::Dump(args) => dump::run(args, &ctx),
        Command::Doctor(args) => doctor::run(args, &ctx),
        Command::Rehash(args) => rehash::run(args, &ctx),
        Command::Issue(args) => issue::run(args, &ctx),
        Command::ClientConfig(args) => client_config::run(args, &ctx),
        Command::ServerConfig(args) => server_config::run(args, &ctx),
        Command::Completions(args) => completions::run(args, &ctx),
    }
}
