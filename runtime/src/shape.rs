//! The traffic curve: how busy the system is at an instant, relative to its
//! peak, from the `TRAFFIC`, `PEAK`, `NIGHT` and `WEEKEND` instructions in
//! the scenario's time zone (with its daylight-saving rules).
//!
//! Inside a peak window the level is 1. Outside, it falls off linearly over
//! two hours to the `night` level, so the gap between two close peaks (say
//! 12:00-14:00) dips but does not drop to night level. Saturdays and Sundays
//! are scaled by `weekend`.

use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;
use tsim_pack::program::Op;
use tsim_pack::Pack;

/// Seconds over which traffic falls from a peak to the night level.
const FALLOFF: f64 = 7200.0;

/// The traffic curve of a pack.
#[derive(Clone, Debug)]
pub struct Shape {
    /// Peak root requests per second.
    pub rate: f64,
    zone: TimeZone,
    peaks: Vec<(f64, f64)>,
    night: f64,
    weekend: f64,
}

/// Resolves `UTC`, fixed offsets (`+02:00`) and IANA names.
pub fn zone(name: &str) -> Option<TimeZone> {
    if matches!(name, "UTC" | "GMT" | "Etc/UTC") {
        return Some(TimeZone::UTC);
    }
    if let Some(rest) = name.strip_prefix(['+', '-']) {
        let (h, m) = rest.split_once(':')?;
        let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
        let secs = if name.starts_with('-') { -secs } else { secs };
        return Offset::from_seconds(secs).ok().map(TimeZone::fixed);
    }
    TimeZone::get(name).ok()
}

impl Shape {
    /// Reads the shape from a pack's program (flat at 10/s when absent).
    pub fn new(pack: &Pack) -> Shape {
        let mut s = Shape {
            rate: 10.0,
            zone: TimeZone::UTC,
            peaks: Vec::new(),
            night: 1.0,
            weekend: 1.0,
        };
        for op in &pack.program {
            match op {
                Op::Traffic { rate, timezone } => {
                    s.rate = *rate;
                    let name = pack
                        .strings
                        .get(*timezone as usize)
                        .map_or("UTC", String::as_str);
                    s.zone = zone(name).unwrap_or(TimeZone::UTC);
                }
                Op::Peak { start, end } => s.peaks.push((f64::from(*start), f64::from(*end))),
                Op::Night(v) => s.night = *v,
                Op::Weekend(v) => s.weekend = *v,
                _ => {}
            }
        }
        s
    }

    /// The level at a Unix instant (seconds): 0..=1 of peak.
    pub fn level(&self, unix_secs: f64) -> f64 {
        let secs = unix_secs.floor() as i64;
        let (local, weekday) = match Timestamp::from_second(secs) {
            Ok(ts) => {
                let z = ts.to_zoned(self.zone.clone());
                let t = z.time();
                let local = f64::from(t.hour()) * 3600.0
                    + f64::from(t.minute()) * 60.0
                    + f64::from(t.second());
                (
                    local + (unix_secs - secs as f64),
                    z.weekday().to_monday_one_offset(),
                )
            }
            Err(_) => (unix_secs.rem_euclid(86_400.0), 1),
        };
        self.day_level(local, weekday >= 6)
    }

    /// The level at `secs` past local midnight on a weekday, or on a
    /// Saturday or Sunday when `weekend`: 0..=1 of peak.
    pub fn day_level(&self, secs: f64, weekend: bool) -> f64 {
        let day = if self.peaks.is_empty() {
            1.0
        } else {
            let bump = self
                .peaks
                .iter()
                .map(|&(a, b)| peak_bump(secs, a, b))
                .fold(0.0, f64::max);
            self.night + (1.0 - self.night) * bump
        };
        if weekend {
            day * self.weekend
        } else {
            day
        }
    }
}

/// 1 inside [a, b), falling linearly to 0 over `FALLOFF` on either side
/// (wrapping around midnight).
fn peak_bump(t: f64, a: f64, b: f64) -> f64 {
    if (a..b).contains(&t) {
        return 1.0;
    }
    let day = 86_400.0;
    let before = (a - t).rem_euclid(day);
    let after = (t - b).rem_euclid(day);
    let d = before.min(after);
    (1.0 - d / FALLOFF).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_follow_the_local_clock_across_daylight_saving() {
        let mut s = Shape {
            rate: 1.0,
            zone: zone("America/New_York").expect("zone"),
            peaks: vec![(9.0 * 3600.0, 12.0 * 3600.0)],
            night: 0.2,
            weekend: 0.6,
        };
        // Monday 2026-01-05 10:00 EST = 15:00Z; Monday 2026-07-06 10:00 EDT = 14:00Z.
        assert_eq!(s.level(1_767_625_200.0), 1.0);
        assert_eq!(s.level(1_783_346_400.0), 1.0);
        // 03:00 local is far from any peak: night level.
        assert!((s.level(1_767_600_000.0) - 0.2).abs() < 1e-9);
        // Saturday 2026-01-10 10:00 EST.
        assert!((s.level(1_768_057_200.0) - 0.6).abs() < 1e-9);
        s.peaks.clear();
        assert_eq!(s.level(1_767_600_000.0), 1.0);
    }
}
