//! What `kiln train` shows while it trains: the log lines on stdout and, when stderr is a
//! terminal, a progress bar with the epoch, the loss and the time left. Piped or redirected
//! output gets the plain log lines only.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use kiln_train::{EpochRecord, Reporter};

/// Redraws at most this often, so the bar costs nothing measurable on fast epochs.
const REDRAW: Duration = Duration::from_millis(100);
const WIDTH: usize = 30;

/// The log on `out`, the bar on stderr.
pub struct Terminal<W: Write> {
    out: W,
    /// Set by Ctrl-C (see [`crate::interrupt`]).
    interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    bar: bool,
    started: Instant,
    drawn: Option<Instant>,
    /// The first failed write to `out` (a closed pipe, say), reported when training ends.
    pub error: Option<std::io::Error>,
}

impl<W: Write> Terminal<W> {
    /// Log lines go to `out`; the bar is drawn when stderr is a terminal.
    pub fn new(out: W) -> Self {
        Self {
            out,
            interrupt: None,
            bar: std::io::stderr().is_terminal(),
            started: Instant::now(),
            drawn: None,
            error: None,
        }
    }

    /// Training stops after the epoch in which `flag` is set.
    pub fn stop_on(mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }

    fn clear_bar(&mut self) {
        if self.drawn.take().is_some() {
            eprint!("\r{:width$}\r", "", width = WIDTH + 60);
        }
    }
}

impl<W: Write> Reporter for Terminal<W> {
    fn interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn line(&mut self, text: &str) {
        self.clear_bar();
        if self.error.is_none()
            && let Err(e) = writeln!(self.out, "{text}")
        {
            self.error = Some(e);
        }
    }

    fn epoch(&mut self, record: &EpochRecord, total: usize) {
        if !self.bar || self.drawn.is_some_and(|t| t.elapsed() < REDRAW) && record.epoch < total {
            return;
        }
        let done = record.epoch as f64 / total.max(1) as f64;
        let elapsed = self.started.elapsed().as_secs_f64();
        let left = if done > 0.0 {
            elapsed / done - elapsed
        } else {
            0.0
        };
        let filled = (done * WIDTH as f64).round() as usize;
        eprint!(
            "\r[{}{}] epoch {}/{} loss {:.4e} ETA {:.0}s ",
            "=".repeat(filled),
            " ".repeat(WIDTH - filled.min(WIDTH)),
            record.epoch,
            total,
            record.train_loss,
            left
        );
        let _ = std::io::stderr().flush();
        self.drawn = Some(Instant::now());
        if record.epoch >= total {
            self.clear_bar();
        }
    }
}
