//! The `ccert` binary: parse the command line, dispatch, map errors to exit codes.
//!
//! Exit codes follow postmap: 0 success, 1 for errors and for a `query` miss.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match ccert::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are not errors; everything else exits 1 like postmap.
            let code = if err.use_stderr() { 1 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
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
            let _ = writeln!(std::io::stderr(), "ccert: error: {err:#}");
            ExitCode::from(1)
        }
    }
}
