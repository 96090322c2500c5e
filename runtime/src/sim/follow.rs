//! Following the wall clock (`--then-live`): a simulated run whose stamps
//! stay `start + offset`, but nothing is handed to the sink before its
//! instant has come. What lies in the past (a backfill) goes as fast as the
//! sink allows; once the run reaches the present it waits for each
//! instant, so it continues in real time with no gap and no overlap: the
//! records are exactly those of the same run without following, only
//! their delivery waits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The wall clock a following run waits for.
#[derive(Debug, Default)]
pub(super) struct Follow {
    /// The latest wall-clock instant seen, Unix ns: anything stamped at or
    /// before it is due without asking the clock again.
    horizon: i64,
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

impl Follow {
    /// Returns once the Unix instant `stamp_ns` has come (at once for the
    /// past), waking every 100 ms to look at `stop`.
    pub(super) fn wait_for(&mut self, stamp_ns: i64, stop: &AtomicBool) {
        if stamp_ns <= self.horizon {
            return;
        }
        loop {
            self.horizon = now_ns();
            if self.horizon >= stamp_ns || stop.load(Ordering::Relaxed) {
                return;
            }
            let left = u64::try_from(stamp_ns - self.horizon).unwrap_or(0);
            std::thread::sleep(Duration::from_nanos(left).min(Duration::from_millis(100)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_past_is_due_at_once_and_the_future_is_waited_for() {
        let stop = AtomicBool::new(false);
        let mut f = Follow::default();
        let t = std::time::Instant::now();
        f.wait_for(now_ns() - 1_000_000_000, &stop);
        assert!(t.elapsed() < Duration::from_millis(50));
        let due = now_ns() + 150_000_000;
        f.wait_for(due, &stop);
        assert!(now_ns() >= due);
        assert!(t.elapsed() >= Duration::from_millis(150));
    }

    #[test]
    fn a_stop_ends_the_wait() {
        let stop = AtomicBool::new(true);
        let mut f = Follow::default();
        let t = std::time::Instant::now();
        f.wait_for(now_ns() + 10_000_000_000, &stop);
        assert!(t.elapsed() < Duration::from_millis(50));
    }
}
