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
    /// A following run's (`--then-live`) start, Unix ns: its bar runs to
    /// "now", then says it is live.
    follow_start: Option<i64>,
    /// How far behind now a live run may be (two ticks: a tick's records
    /// go out when it ends).
    slack: u64,
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
            follow_start: None,
            slack: 0,
        }
    }

    /// The bar of a run that follows the wall clock from `start_ns` in
    /// ticks of `tick_ns`: it shows the way to the present, then that the
    /// run is live.
    pub fn following(start_ns: i64, tick_ns: u64) -> Bar {
        Bar {
            follow_start: Some(start_ns),
            slack: tick_ns.max(1_000_000_000).saturating_mul(2),
            ..Bar::new()
        }
    }

    /// For a following run: the simulated time from its start to now
    /// (the history to catch up with) less the slack, 0 before the start.
    fn history(&self) -> Option<u64> {
        let start = self.follow_start?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Some(
            u64::try_from(now.saturating_sub(start))
                .unwrap_or(0)
                .saturating_sub(self.slack),
        )
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
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = sum.total() as f64 / elapsed.max(1e-9);
        let total = match self.history() {
            Some(h) if done >= h => {
                let _ = write!(
                    std::io::stderr().lock(),
                    "\rlive: {} simulated, {} records, {:>10.0} events/s ",
                    tsim_runtime::time::format_duration(done),
                    sum.total(),
                    rate
                );
                return;
            }
            Some(h) => h.min(total),
            None => total,
        };
        let frac = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        let eta = if frac > 0.0 {
            elapsed / frac - elapsed
        } else {
            0.0
        };
        let filled = ((frac * 30.0) as usize).min(30);
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
        let of = |to: u64, what: &str| {
            format!(
                " of {}{what} ({:.1}%)",
                tsim_runtime::time::format_duration(to),
                done as f64 * 100.0 / to.max(1) as f64
            )
        };
        let of = match self.history() {
            Some(h) if done >= h => ", live".to_string(),
            Some(h) => of(h.min(total), " to now"),
            None if total == u64::MAX => String::new(),
            None => of(total, ""),
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
