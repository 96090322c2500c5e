//! The engine's loop for a fixed rate or as fast as the sink takes it
//! ([`super::Pace::Rate`], [`super::Pace::Max`]): one request after another
//! at the wall clock's offset, roots picked by their weights (times each
//! resource's traffic factor from the timeline), and each tick's events,
//! log streams and metric points emitted once the tick has passed.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use rand::RngExt;

use super::{Engine, Progress};
use crate::sink::Sink;

impl Engine<'_, '_> {
    /// Runs until `duration` has passed on the wall clock, or `stop`.
    pub(super) fn run_paced(
        &mut self,
        duration: u64,
        tick: u64,
        stop: &AtomicBool,
        sink: &mut dyn Sink,
        progress: Progress<'_>,
    ) -> io::Result<()> {
        let mut t0 = 0u64;
        let mut until = 0u64;
        let mut weights: Vec<f64> = Vec::new();
        loop {
            if stop.load(Ordering::Relaxed) {
                self.sum.stopped = true;
                return Ok(());
            }
            let Some(off) = self.live.as_ref().map(|l| l.offset()) else {
                return Ok(());
            };
            let now = off.min(duration);
            while t0 < duration && t0.saturating_add(tick) <= now {
                let t1 = t0.saturating_add(tick).min(duration);
                self.close_tick(t0, t1, duration, sink)?;
                progress(t1, duration, &self.sum);
                t0 = t1;
            }
            if off >= duration {
                if t0 < duration {
                    self.close_tick(t0, duration, duration, sink)?;
                    progress(duration, duration, &self.sum);
                }
                return Ok(());
            }
            if off >= until || weights.is_empty() {
                until = self.advance(off);
                self.group_weights(&mut weights);
            }
            let Some(gi) = self.pick(&weights) else {
                // Nothing can arrive now (every service's traffic is 0).
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            };
            let before = self.sum.spans;
            self.request(off, gi, stop, sink)?;
            let n = self.sum.spans - before;
            if let Some(l) = &mut self.live {
                l.emitted(n, stop);
            }
        }
    }

    /// A tick that has passed: its events, log streams, health checks and
    /// metric points.
    fn close_tick(
        &mut self,
        t0: u64,
        t1: u64,
        duration: u64,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let (dt, level) = self.span_of(t0, t1);
        self.events_until(t1, duration, sink)?;
        self.tick_rest(t0, t1, dt, level, sink)?;
        self.sum.simulated_ns = t1;
        Ok(())
    }

    /// Each root group's weight now: its share times its resource's
    /// traffic factor.
    fn group_weights(&self, out: &mut Vec<f64>) {
        out.clear();
        out.extend(self.plan.groups.iter().map(|g| {
            let f = self
                .state
                .resource_traffic
                .get(g.resource as usize)
                .copied()
                .unwrap_or(1.0);
            (g.share * f).max(0.0)
        }));
    }

    /// A root group drawn by weight; `None` when every weight is 0.
    fn pick(&mut self, weights: &[f64]) -> Option<usize> {
        let total: f64 = weights.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return None;
        }
        let mut x = self.streams.arrivals.random::<f64>() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return Some(i);
            }
            x -= w;
        }
        weights.iter().rposition(|w| *w > 0.0)
    }
}
