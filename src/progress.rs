//! Progress on stderr (a bar with ETA on a terminal; otherwise a plain
//! line every 10 seconds, so long runs in CI or under a pipe say where
//! they are) and the final summary line of a run.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use tsim_runtime::sim::Summary;

/// Draws a bar with ETA at most four times a second, or a plain line
/// every 10 s when stderr is not a terminal.
pub struct Bar {
    started: Instant,
    last: Option<Instant>,
    enabled: bool,
}

/// How often a plain progress line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

impl Bar {
    /// A bar that draws only when stderr is a terminal.
    pub fn new() -> Bar {
        Bar {
            started: Instant::now(),
            last: None,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    /// Redraws for `done` of `total` simulated nanoseconds.
    pub fn update(&mut self, done: u64, total: u64, sum: &Summary) {
        if !self.enabled {
            self.plain(done, total, sum);
            return;
        }
        if self
            .last
            .is_some_and(|l| l.elapsed() < Duration::from_millis(250))
        {
            return;
        }
        self.last = Some(Instant::now());
        let frac = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = if frac > 0.0 {
            elapsed / frac - elapsed
        } else {
            0.0
        };
        let filled = (frac * 30.0) as usize;
        let rate = sum.total() as f64 / elapsed.max(1e-9);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {:5.1}%  ETA {:>6.1}s  {:>10.0} events/s ",
            "#".repeat(filled),
            ".".repeat(30 - filled),
            frac * 100.0,
            eta,
            rate
        );
    }

    /// A plain line every [`PLAIN_EVERY`] (none for short runs).
    fn plain(&mut self, done: u64, total: u64, sum: &Summary) {
        let since = self.last.unwrap_or(self.started);
        if since.elapsed() < PLAIN_EVERY {
            return;
        }
        self.last = Some(Instant::now());
        let elapsed = self.started.elapsed().as_secs_f64();
        let of = if total == u64::MAX {
            String::new()
        } else {
            format!(
                " of {} ({:.1}%)",
                tsim_runtime::time::format_duration(total),
                done as f64 * 100.0 / total.max(1) as f64
            )
        };
        eprintln!(
            "tsim: {}{of} after {:.0}s: {} records, {:.0} events/s",
            tsim_runtime::time::format_duration(done),
            elapsed,
            sum.total(),
            sum.total() as f64 / elapsed.max(1e-9)
        );
    }

    /// Clears the bar.
    pub fn finish(&mut self) {
        if self.enabled && self.last.is_some() {
            let _ = write!(std::io::stderr().lock(), "\r{:70}\r", "");
        }
    }
}

/// The one-line summary of a run.
pub fn summary(sum: &Summary) -> String {
    let secs = sum.wall.as_secs_f64();
    let mut line = format!(
        "{} spans, {} logs, {} metric points, {} events; {} simulated in {:.2}s ({:.0} events/s)",
        sum.spans,
        sum.logs,
        sum.metrics,
        sum.events,
        tsim_runtime::time::format_duration(sum.simulated_ns),
        secs,
        sum.total() as f64 / secs.max(1e-9)
    );
    if sum.truncated_traces > 0 {
        line.push_str(&format!(
            "; warning: {} traces cut at 1,000,000 spans or 256 levels",
            sum.truncated_traces
        ));
    }
    if sum.capped_spans > 0 {
        line.push_str(&format!(
            "; warning: {} drawn latencies longer than a day were held at a day",
            sum.capped_spans
        ));
    }
    line
}
