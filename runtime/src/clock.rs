//! The run's clock: how simulated time maps to timestamps, and whether the
//! run waits for it. The simulated clock stamps `start + offset` and never
//! waits (fixtures and backfill run as fast as the sink allows); a
//! wall-clock replay paces each tick to a fixed deadline `start + offset`
//! so delays never accumulate (the OTLP sender builds on this seam).

use std::time::{Duration, Instant};

/// Maps simulated offsets to Unix nanoseconds and paces the run.
pub trait Clock {
    /// The Unix time, in nanoseconds, of `offset` ns into the run.
    fn stamp(&self, offset: u64) -> i64;
    /// Called when the run has produced everything up to `offset`; a paced
    /// clock returns once that instant has come.
    fn pace(&mut self, offset: u64);
}

/// Simulated time from a start instant, as fast as possible.
#[derive(Clone, Copy, Debug)]
pub struct Simulated {
    /// The start instant, Unix nanoseconds.
    pub start_ns: i64,
}

impl Clock for Simulated {
    fn stamp(&self, offset: u64) -> i64 {
        self.start_ns
            .saturating_add(i64::try_from(offset).unwrap_or(i64::MAX))
    }
    fn pace(&mut self, _offset: u64) {}
}

/// Simulated time played at `speed` times real time: the offset `o` is
/// reached at `began + o / speed` (fixed deadlines, no drift).
#[derive(Clone, Copy, Debug)]
pub struct Paced {
    /// Timestamps as for [`Simulated`].
    pub stamps: Simulated,
    /// Simulated seconds per real second (1.0: real time).
    pub speed: f64,
    /// When the run began.
    pub began: Instant,
}

impl Clock for Paced {
    fn stamp(&self, offset: u64) -> i64 {
        self.stamps.stamp(offset)
    }
    fn pace(&mut self, offset: u64) {
        if !self.speed.is_finite() || self.speed <= 0.0 {
            return;
        }
        let due = self.began + Duration::from_secs_f64(offset as f64 / 1e9 / self.speed);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_start_plus_offset_and_pacing_holds_fixed_deadlines() {
        let s = Simulated { start_ns: 10 };
        assert_eq!(s.stamp(5), 15);
        assert_eq!(s.stamp(u64::MAX), i64::MAX);
        let mut p = Paced {
            stamps: s,
            speed: 1000.0,
            began: Instant::now(),
        };
        // 50 ms simulated at 1000x is 50 us of real time per step.
        for k in 1..=20u64 {
            p.pace(k * 50_000_000);
        }
        let took = p.began.elapsed();
        assert!(took >= Duration::from_millis(1), "{took:?}");
    }
}
