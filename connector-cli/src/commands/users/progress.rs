//! The one-line progress display of an export on a terminal.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use connector_core::ExportStats;

use crate::summary::count;

/// A one-line progress indicator on stderr, drawn only when stderr is a terminal.
pub(super) struct Progress {
    enabled: bool,
    drawn: bool,
    started: Instant,
    last: Instant,
    stats: ExportStats,
}

impl Progress {
    pub(super) fn new(stats: ExportStats) -> Self {
        let now = Instant::now();
        Progress {
            enabled: std::io::stderr().is_terminal(),
            drawn: false,
            started: now,
            last: now,
            stats,
        }
    }

    pub(super) fn tick(&mut self, users: u64) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        eprint!(
            "\r\x1b[2K{} users, {} pages, {} users/s",
            count(users),
            count(self.stats.pages()),
            count((users as f64 / secs) as u64)
        );
        self.drawn = true;
    }

    pub(super) fn clear(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[2K");
            self.drawn = false;
        }
    }
}
