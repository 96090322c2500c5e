//! Wall-clock replay: the run's offsets follow real time, so the timeline's
//! incidents happen while the load runs. Two ways to pace it:
//!
//! - [`Pace::Speed`]: the scenario's own traffic, its offsets played at
//!   `speed` x real time; each request is emitted when its instant comes
//!   and metrics, events and logs of a tick when the tick ends;
//! - [`Pace::Rate`] / [`Pace::Max`]: requests one after another, held to
//!   `spans / rate` by fixed deadlines from the start (a late sender
//!   catches up, delays never accumulate; the sink's batches are the only
//!   bursts), or as fast as the sink takes them (its bounded queue is the
//!   back-pressure). Roots are picked by their weights; the traffic curve
//!   and rate overrides give way to the fixed rate.
//!
//! Either way each trace is stamped so that its root ends at the instant
//! it is emitted (the root starts at now minus the trace's duration,
//! children keep their offsets), moved back by up to `jitter` at random.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::RngExt;
use rand_pcg::Pcg64;

/// How a live run is paced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// The scenario's traffic at this many times real time (1.0: real time).
    Speed(f64),
    /// This many spans per second.
    Rate(f64),
    /// As fast as the sink takes them.
    Max,
}

/// This sender's share of a fleet sending the same scenario: trace ids
/// carry the shard index in their first four bytes, so shards never
/// collide, and every random stream is the shard's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index.
    pub index: u32,
    /// How many there are (1: no sharding).
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, count: 1 }
    }
}

/// A live run's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Live {
    /// The pacing.
    pub pace: Pace,
    /// Each trace is moved back by a random amount up to this.
    pub jitter_ns: u64,
    /// This sender's shard.
    pub shard: Shard,
    /// The scenario's traffic times this (with [`Pace::Speed`]).
    pub multiplier: f64,
    /// Timeline offsets per real second with [`Pace::Rate`] and
    /// [`Pace::Max`] (1.0: the timeline in real time).
    pub timeline_speed: f64,
}

/// The live clock of a run.
pub(super) struct LiveClock {
    began: Instant,
    pub(super) live: Live,
    /// Spans emitted (the rate's deadlines count them).
    spans: u64,
    jitter: Pcg64,
}

impl LiveClock {
    pub(super) fn new(live: Live, jitter: Pcg64) -> LiveClock {
        LiveClock {
            began: Instant::now(),
            live,
            spans: 0,
            jitter,
        }
    }

    /// The speed of the timeline.
    fn speed(&self) -> f64 {
        let s = match self.live.pace {
            Pace::Speed(s) => s,
            Pace::Rate(_) | Pace::Max => self.live.timeline_speed,
        };
        if s.is_finite() && s > 0.0 {
            s
        } else {
            1.0
        }
    }

    /// The run's offset now, ns.
    pub(super) fn offset(&self) -> u64 {
        let ns = self.began.elapsed().as_nanos() as f64 * self.speed();
        if ns >= u64::MAX as f64 {
            u64::MAX
        } else {
            ns as u64
        }
    }

    /// Sleeps until `due`, waking every 100 ms to look at `stop`.
    fn wait_until(due: Instant, stop: &AtomicBool) {
        loop {
            let now = Instant::now();
            if now >= due || stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep((due - now).min(Duration::from_millis(100)));
        }
    }

    /// Returns once the offset `off` has come.
    pub(super) fn wait_for_offset(&self, off: u64, stop: &AtomicBool) {
        let real = off as f64 / self.speed() / 1e9;
        if real.is_finite() && real < 1e12 {
            Self::wait_until(self.began + Duration::from_secs_f64(real), stop);
        }
    }

    /// Counts `n` spans emitted and, with a rate, waits for their deadline.
    pub(super) fn emitted(&mut self, n: u64, stop: &AtomicBool) {
        self.spans = self.spans.saturating_add(n);
        if let Pace::Rate(r) = self.live.pace {
            let secs = self.spans as f64 / r;
            if secs.is_finite() && secs < 1e12 {
                Self::wait_until(self.began + Duration::from_secs_f64(secs), stop);
            }
        }
    }

    /// How far back to stamp a trace whose root lasts `root_ns`: so that it
    /// ends now, less the jitter.
    pub(super) fn back(&mut self, root_ns: u64) -> u64 {
        let j = match self.live.jitter_ns {
            0 => 0,
            j => self.jitter.random_range(0..=j),
        };
        root_ns.saturating_add(j)
    }
}

/// Trace ids of a shard: the index in the first four bytes (big-endian),
/// never all zero.
pub(super) fn shard_id(id: &mut [u8; 16], shard: Shard) {
    if shard.count > 1 {
        id[..4].copy_from_slice(&shard.index.to_be_bytes());
        if id.iter().all(|b| *b == 0) {
            id[15] = 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_is_held_by_deadlines_from_the_start() {
        let live = Live {
            pace: Pace::Rate(20_000.0),
            jitter_ns: 0,
            shard: Shard::default(),
            multiplier: 1.0,
            timeline_speed: 1.0,
        };
        let mut c = LiveClock::new(
            live,
            crate::streams::stream(1, crate::streams::Purpose::Ids, 9),
        );
        let stop = AtomicBool::new(false);
        for _ in 0..100 {
            c.emitted(20, &stop);
        }
        // 2,000 spans at 20,000/s: 100 ms, not less.
        let took = c.began.elapsed();
        assert!(took >= Duration::from_millis(100), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    #[test]
    fn shard_ids_carry_their_index() {
        let mut id = [7u8; 16];
        shard_id(&mut id, Shard { index: 3, count: 4 });
        assert_eq!(&id[..4], &[0, 0, 0, 3]);
        let mut one = [7u8; 16];
        shard_id(&mut one, Shard::default());
        assert_eq!(one, [7u8; 16]);
    }
}
