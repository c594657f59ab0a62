//! The `ccert` binary: parse the command line, dispatch, map errors to exit codes.
//!
//! Exit codes follow postmap: 0 success, 1 for errors and for a `query` miss.

use std::process::ExitCode;

use clap::FromArgMatches as _;

fn main() -> ExitCode {
    let parsed = ccert::cli::command()
        .try_get_matches()
        .and_then(|m| ccert::cli::Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are not errors; everything else exits 1 like postmap.
            use clap::error::ErrorKind;
            if !err.use_stderr() {
                let _ = err.print();
                return ExitCode::SUCCESS;
            }
            if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = err.print();
                return ExitCode::from(1);
            }
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "ccert: error: {}", usage_error(&err));
            return ExitCode::from(1);
        }
    };
    if !cli.command.writes_files() {
        // Rust ignores SIGPIPE, which turns `ccert dump … | head` into a
        // panic on the next write; a reading command should just stop, as
        // postmap does.
        // SAFETY: setting a signal disposition before any thread is started.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    match ccert::cmd::run(&cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            // Not eprintln!: it panics when standard error is closed.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "ccert: error: {}",
                ccert::report::one_line(&err)
            );
            ExitCode::from(1)
        }
    }
}

/// A command-line error on one line, like every other ccert error: clap's
/// first line, the accepted values and its suggestion.
fn usage_error(err: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let rendered = err.render().to_string();
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or_default();
    let mut line = first.strip_prefix("error: ").unwrap_or(first).to_string();
    if line.ends_with(':') {
        // "the following required arguments were not provided:" and the list below it.
        let items: Vec<&str> = lines
            .take_while(|l| l.starts_with("  "))
            .map(str::trim)
            .collect();
        line.push(' ');
        line.push_str(&items.join(" "));
    }
    let list = |kind| match err.get(kind) {
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        Some(ContextValue::String(v)) => Some(v.clone()),
        _ => None,
    };
    if let Some(valid) = list(ContextKind::ValidValue) {
        line.push_str(&format!(": use {valid}"));
    }
    if let Some(suggested) = list(ContextKind::SuggestedValue)
        .or_else(|| list(ContextKind::SuggestedArg))
        .or_else(|| list(ContextKind::SuggestedSubcommand))
    {
        line.push_str(&format!(" (did you mean {suggested}?)"));
    }
    line
}
