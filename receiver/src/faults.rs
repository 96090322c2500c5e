//! Failure injection: which requests are refused (an unavailable window, a
//! throttled window, a seeded random failure rate) and how many items of an
//! accepted request are reported rejected through `partial_success`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The failures to inject. The default injects none.
///
/// Windows are measured from [`crate::Receiver::start`]: every request in
/// `[0, unavailable_for)` is answered UNAVAILABLE / 503; with `throttle` set,
/// every request in `[unavailable_for, unavailable_for + throttle_for)` is
/// answered RESOURCE_EXHAUSTED with a `google.rpc.RetryInfo` / 429 with
/// `Retry-After`. After the windows, `fail_rate` of the requests (drawn per
/// request from a RNG seeded by `seed`) are answered UNAVAILABLE / 503.
/// `reject_rate` of the items of each accepted request (rounded down) are
/// reported as rejected.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Fraction (0..=1) of requests answered UNAVAILABLE / 503.
    pub fail_rate: f64,
    /// Every request in this long a window after start is answered UNAVAILABLE / 503.
    pub unavailable_for: Duration,
    /// The retry delay carried by throttled answers; `None` disables throttling.
    pub throttle: Option<Duration>,
    /// How long the throttled window lasts (it starts when `unavailable_for` ends).
    pub throttle_for: Duration,
    /// Fraction (0..=1) of each accepted request's items reported as rejected.
    pub reject_rate: f64,
    /// Seed of the `fail_rate` draws.
    pub seed: u64,
}

/// What to do with one request, decided before it is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Accept,
    Unavailable,
    Throttled(Duration),
}

/// The faults with the state of their random draws.
#[derive(Debug)]
pub(crate) struct FaultPlan {
    faults: Faults,
    draws: AtomicU64,
}

impl FaultPlan {
    pub(crate) fn new(faults: Faults) -> FaultPlan {
        FaultPlan {
            faults,
            draws: AtomicU64::new(0),
        }
    }

    /// Decides the fate of a request arriving `since_start` after start.
    pub(crate) fn admit(&self, since_start: Duration) -> Admission {
        let f = &self.faults;
        if since_start < f.unavailable_for {
            return Admission::Unavailable;
        }
        if let Some(delay) = f.throttle {
            if since_start < f.unavailable_for.saturating_add(f.throttle_for) {
                return Admission::Throttled(delay);
            }
        }
        if f.fail_rate > 0.0 {
            let n = self.draws.fetch_add(1, Ordering::Relaxed);
            if unit(f.seed, n) < f.fail_rate {
                return Admission::Unavailable;
            }
        }
        Admission::Accept
    }

    /// How many of `items` an accepted request reports as rejected.
    pub(crate) fn rejected(&self, items: u64) -> u64 {
        let rate = self.faults.reject_rate;
        // also false for NaN
        if rate.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return 0;
        }
        let r = (items as f64 * rate.min(1.0)).floor();
        (r as u64).min(items)
    }
}

/// The `n`th draw of stream `seed`, uniform in [0, 1) (splitmix64).
fn unit(seed: u64, n: u64) -> f64 {
    let mut z = seed
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(f: Faults) -> FaultPlan {
        FaultPlan::new(f)
    }

    #[test]
    fn no_faults_accepts_everything() {
        let p = plan(Faults::default());
        assert_eq!(p.admit(Duration::ZERO), Admission::Accept);
        assert_eq!(p.rejected(1000), 0);
    }

    #[test]
    fn windows_follow_each_other() {
        let p = plan(Faults {
            unavailable_for: Duration::from_secs(2),
            throttle: Some(Duration::from_millis(1500)),
            throttle_for: Duration::from_secs(3),
            ..Faults::default()
        });
        let at = |s: f64| p.admit(Duration::from_secs_f64(s));
        assert_eq!(at(0.0), Admission::Unavailable);
        assert_eq!(at(1.9), Admission::Unavailable);
        assert_eq!(at(2.0), Admission::Throttled(Duration::from_millis(1500)));
        assert_eq!(at(4.9), Admission::Throttled(Duration::from_millis(1500)));
        assert_eq!(at(5.0), Admission::Accept);
    }

    #[test]
    fn fail_rate_is_seeded_and_close_to_the_rate() {
        let f = Faults {
            fail_rate: 0.25,
            seed: 7,
            ..Faults::default()
        };
        let draw = |p: &FaultPlan| {
            (0..10_000)
                .map(|_| p.admit(Duration::from_secs(1)) == Admission::Unavailable)
                .collect::<Vec<_>>()
        };
        let a = draw(&plan(f.clone()));
        let b = draw(&plan(f.clone()));
        assert_eq!(a, b);
        let failed = a.iter().filter(|x| **x).count();
        assert!((2300..2700).contains(&failed), "{failed}");
        let c = draw(&plan(Faults { seed: 8, ..f }));
        assert_ne!(a, c);
        let all = plan(Faults {
            fail_rate: 1.0,
            ..Faults::default()
        });
        assert!(draw(&all).iter().all(|x| *x));
    }

    #[test]
    fn rejected_rounds_down() {
        let p = plan(Faults {
            reject_rate: 0.3,
            ..Faults::default()
        });
        assert_eq!(p.rejected(10), 3);
        assert_eq!(p.rejected(3), 0);
        assert_eq!(p.rejected(7), 2);
        let all = plan(Faults {
            reject_rate: 2.0,
            ..Faults::default()
        });
        assert_eq!(all.rejected(5), 5);
    }
}
