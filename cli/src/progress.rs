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
        let line = line(progress, self.started.elapsed().as_secs_f64());
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

/// What the meter shows for `progress`, `secs` into the read.
fn line(progress: Progress, secs: f64) -> String {
    if progress.listing {
        return format!(
            "listing the history: {} transactions so far",
            progress.total
        );
    }
    let rate = progress.read as f64 / secs.max(0.001);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_gives_read_of_total_rate_and_time_left() {
        let at = |read, total, listing| Progress {
            read,
            total,
            listing,
        };
        assert_eq!(
            line(at(0, 4_000, true), 1.0),
            "listing the history: 4000 transactions so far"
        );
        assert_eq!(
            line(at(2_500, 10_000, false), 2.5),
            "read 2500 / 10000 transactions, 1000/s, 8 s left"
        );
        assert_eq!(
            line(at(0, 10, false), 0.0),
            "read 0 / 10 transactions, 0/s, time left unknown"
        );
    }

    #[test]
    fn nothing_is_shown_off_a_terminal() {
        let mut meter = Meter::new(false);
        meter.show(Progress {
            read: 1,
            total: 2,
            listing: false,
        });
        assert!(meter.last.is_none());
    }
}
