//! Progress of a long history read, on a terminal's standard error:
//! transactions read of the total, the rate, and the time left. Nothing is
//! shown off a terminal or with `--output json`.
use std::io::Write;
use std::time::Instant;

use usd1_client::history::Progress;

/// Prints progress lines over one another, then ends the line.
pub struct Meter {
    shown: bool,
    started: Instant,
    last: Option<Instant>,
}

impl Meter {
    /// A meter that shows progress only when `shown`.
    pub fn new(shown: bool) -> Self {
        Self {
            shown,
            started: Instant::now(),
            last: None,
        }
    }

    /// Shows `progress`, at most twice a second.
    pub fn show(&mut self, progress: Progress) {
        if !self.shown || self.last.is_some_and(|t| t.elapsed().as_millis() < 500) {
            return;
        }
        self.last = Some(Instant::now());
        let line = if progress.listing {
            format!(
                "listing the history: {} transactions so far",
                progress.total
            )
        } else {
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            let rate = progress.read as f64 / secs;
            let left = progress.total.saturating_sub(progress.read);
            let eta = if rate > 0.0 {
                format!("{:.0} s left", left as f64 / rate)
            } else {
                "time left unknown".into()
            };
            format!(
                "read {} / {} transactions, {:.0}/s, {eta}",
                progress.read, progress.total, rate
            )
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }

    /// Ends the progress line, if one was shown.
    pub fn done(&mut self) {
        if self.shown && self.last.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err);
        }
        self.last = None;
    }
}
