//! Progress on standard error for work that takes more than about a
//! second: only when standard error is a terminal and `--quiet` was not
//! given, so scripts and pipes see exactly what they saw before.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Context;

/// How long work runs before its progress is shown.
const DELAY: Duration = Duration::from_secs(1);

/// A progress bar over bytes, drawn once the work has run for [`DELAY`].
pub struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
    shown: bool,
}

impl Progress {
    /// Progress for `ctx`: a bar when standard error is a terminal and
    /// `--quiet` is off, else nothing.
    pub fn new(ctx: &Context) -> Self {
        let wanted = !ctx.quiet && std::io::stderr().is_terminal();
        let bar = wanted.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        Self {
            bar,
            start: Instant::now(),
            shown: false,
        }
    }

    /// `done` of `total` bytes processed for the step named `message`;
    /// when all is read the message says what is still being finished.
    pub fn update(&mut self, message: &str, done: u64, total: u64) {
        let Some(bar) = &self.bar else {
            return;
        };
        if !self.shown && self.start.elapsed() >= DELAY {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(120));
            self.shown = true;
        }
        if bar.length() != Some(total) {
            bar.set_length(total);
        }
        bar.set_position(done);
        let message = if done >= total {
            format!("{message} (writing)")
        } else {
            message.to_string()
        };
        bar.set_message(message);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
