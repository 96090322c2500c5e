//! `tsim run`'s wall-clock flags: `--rate`, `--speed`, `--jitter`,
//! `--backdate`, `--multiplier`, `--shard` and `--shards` (with a
//! Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`), parsed into the
//! runtime's [`Live`] settings. A shard sends its share of the rate.

use tsim_runtime::sim::{Live, Pace, Shard};
use tsim_runtime::time::parse_duration;

/// Wall-clock replay.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Wall-clock replay")]
pub struct LiveFlags {
    /// Send this many spans per second, stamped now, held by fixed
    /// deadlines (`1M/s`, `250k/s`, `5000/s`), or `max` for as fast as the
    /// sink takes them. Roots are picked by weight; the timeline runs in
    /// real time. `--duration 0` runs until stopped.
    #[arg(long, value_name = "RATE")]
    pub rate: Option<String>,
    /// Play the scenario's own traffic live at this speed (`1x`: real
    /// time, `60x`: an hour a minute), stamped now; with `--rate`, the
    /// timeline's speed.
    #[arg(long, value_name = "SPEED")]
    pub speed: Option<String>,
    /// Move each trace back by a random amount up to DURATION.
    #[arg(long, value_name = "DURATION")]
    pub jitter: Option<String>,
    /// Stamp everything DURATION in the past.
    #[arg(long, value_name = "DURATION")]
    pub backdate: Option<String>,
    /// With `--speed`, the scenario's traffic times N (`10`, `2.5x`).
    #[arg(long, value_name = "N")]
    pub multiplier: Option<String>,
    /// This sender is shard I of N (`0/4`, 0-based): it sends 1/N of
    /// `--rate` (or of the scenario's traffic with `--speed`), its trace
    /// ids never collide with the other shards' and its random streams are
    /// its own, so N shards together are one sender at the full rate; its
    /// metric series carry `tsim.shard=I`, so theirs never collide either.
    #[arg(long, value_name = "I/N", conflicts_with = "shards")]
    pub shard: Option<String>,
    /// This sender is shard `$JOB_COMPLETION_INDEX` of N: `--shard` for a
    /// Kubernetes Indexed Job, whose pods each get their index in that
    /// variable.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,
    /// After the simulated run reaches the present, continue in real time:
    /// a backfill (`--start now-35d`) goes as fast as the sink takes it,
    /// then every record is sent when its instant comes, with no gap and
    /// no overlap, until stopped (or until `--duration` from the start).
    #[arg(long)]
    pub then_live: bool,
}

/// Parses `1M/s`, `250k/s`, `5000/s` or `max`.
fn rate(s: &str) -> Result<Pace, String> {
    if s == "max" {
        return Ok(Pace::Max);
    }
    let body = s.strip_suffix("/s").ok_or_else(|| {
        format!("--rate `{s}`: expected spans per second like `1M/s`, `250k/s`, `5000/s`, or `max`")
    })?;
    let (num, unit) = match body.char_indices().last() {
        Some((i, 'k' | 'K')) => (&body[..i], 1e3),
        Some((i, 'M')) => (&body[..i], 1e6),
        Some((i, 'G')) => (&body[..i], 1e9),
        _ => (body, 1.0),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("--rate `{s}`: `{num}` is not a number"))?;
    let r = v * unit;
    if !(r.is_finite() && r > 0.0) {
        return Err(format!(
            "--rate `{s}`: must be more than 0 spans per second"
        ));
    }
    Ok(Pace::Rate(r))
}

/// Parses `1x`, `60x`, `0.5` (a positive factor).
fn factor(flag: &str, s: &str) -> Result<f64, String> {
    let v: f64 = s
        .strip_suffix('x')
        .unwrap_or(s)
        .trim()
        .parse()
        .map_err(|_| format!("--{flag} `{s}`: expected a factor like `1x`, `10x` or `0.5x`"))?;
    if !(v.is_finite() && v > 0.0) {
        return Err(format!("--{flag} `{s}`: must be more than 0"));
    }
    Ok(v)
}

/// The shard of `--shards N`: index from `JOB_COMPLETION_INDEX` (`index`
/// is that variable's value, `None` when unset).
fn indexed_shard(count: u32, index: Option<&str>) -> Result<Shard, String> {
    let Some(text) = index else {
        return Err(format!(
            "--shards {count}: JOB_COMPLETION_INDEX is not set (Kubernetes sets it in the pods of an Indexed Job); outside one, use --shard I/{count}"
        ));
    };
    let index: u32 = text.trim().parse().map_err(|_| {
        format!("--shards {count}: JOB_COMPLETION_INDEX `{text}` is not a whole number")
    })?;
    if count == 0 || index >= count {
        return Err(format!(
            "--shards {count}: JOB_COMPLETION_INDEX {index} is not below {count}; give the Job `completions: {count}` and `parallelism: {count}`"
        ));
    }
    Ok(Shard { index, count })
}

/// Parses `I/N` with I < N.
fn shard(s: &str) -> Result<Shard, String> {
    let bad = || format!("--shard `{s}`: expected I/N with 0 <= I < N, e.g. `0/4`");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (index, count): (u32, u32) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if count == 0 || index >= count {
        return Err(bad());
    }
    Ok(Shard { index, count })
}

fn nanos(flag: &str, s: &Option<String>) -> Result<u64, String> {
    s.as_deref()
        .map_or(Ok(0), parse_duration)
        .map_err(|e| format!("--{flag} {e}"))
}

impl LiveFlags {
    /// The live settings, or `None` for a simulated run (then the other
    /// live flags are refused).
    pub fn live(&self) -> Result<Option<Live>, String> {
        let pace = match (&self.rate, &self.speed) {
            _ if self.then_live && (self.rate.is_some() || self.speed.is_some()) => {
                return Err("--then-live continues a simulated run (--start in the past) in real time; it does not combine with --rate or --speed".into())
            }
            (Some(r), _) => rate(r)?,
            (None, Some(s)) => Pace::Speed(factor("speed", s)?),
            (None, None) => {
                let given = [
                    ("jitter", self.jitter.is_some()),
                    ("backdate", self.backdate.is_some()),
                    ("multiplier", self.multiplier.is_some()),
                    ("shard", self.shard.is_some()),
                    ("shards", self.shards.is_some()),
                ];
                if let Some((flag, _)) = given.iter().find(|(_, g)| *g) {
                    return Err(format!(
                        "--{flag} needs a live run: add --rate RATE or --speed 1x"
                    ));
                }
                return Ok(None);
            }
        };
        let timeline_speed = match (&self.rate, &self.speed) {
            (Some(_), Some(s)) => factor("speed", s)?,
            _ => 1.0,
        };
        let multiplier = match &self.multiplier {
            None => 1.0,
            Some(m) if matches!(pace, Pace::Speed(_)) => factor("multiplier", m)?,
            Some(_) => {
                return Err(
                    "--multiplier scales the scenario's traffic with --speed; with --rate, raise the rate".into(),
                )
            }
        };
        let shard = match (&self.shard, self.shards) {
            (Some(s), _) => shard(s)?,
            (None, Some(n)) => {
                let index = std::env::var("JOB_COMPLETION_INDEX").ok();
                indexed_shard(n, index.as_deref())?
            }
            (None, None) => Shard::default(),
        };
        // A shard sends its share: N shards add up to one sender.
        let shards = f64::from(shard.count.max(1));
        let pace = match pace {
            Pace::Rate(r) => Pace::Rate(r / shards),
            other => other,
        };
        Ok(Some(Live {
            pace,
            jitter_ns: nanos("jitter", &self.jitter)?,
            shard,
            multiplier: multiplier / shards,
            timeline_speed,
        }))
    }

    /// How far back to stamp a live run.
    pub fn backdate_ns(&self) -> Result<u64, String> {
        nanos("backdate", &self.backdate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_speeds_and_shards_parse_or_say_what_was_expected() {
        assert_eq!(rate("1M/s"), Ok(Pace::Rate(1e6)));
        assert_eq!(rate("250k/s"), Ok(Pace::Rate(250e3)));
        assert_eq!(rate("5000/s"), Ok(Pace::Rate(5000.0)));
        assert_eq!(rate("max"), Ok(Pace::Max));
        assert!(rate("1M")
            .unwrap_err()
            .contains("expected spans per second"));
        assert!(rate("0/s").unwrap_err().contains("more than 0"));
        assert!(rate("x/s").unwrap_err().contains("not a number"));
        assert_eq!(factor("speed", "60x"), Ok(60.0));
        assert_eq!(factor("speed", "0.5"), Ok(0.5));
        assert!(factor("speed", "-1x").is_err());
        assert_eq!(shard("1/4"), Ok(Shard { index: 1, count: 4 }));
        assert!(shard("4/4").is_err() && shard("1").is_err() && shard("0/0").is_err());
        let only_jitter = LiveFlags {
            jitter: Some("1s".into()),
            ..LiveFlags::default()
        };
        assert!(only_jitter.live().unwrap_err().contains("needs a live run"));
        let live = LiveFlags {
            rate: Some("10k/s".into()),
            speed: Some("60x".into()),
            shard: Some("2/3".into()),
            ..LiveFlags::default()
        };
        let l = live.live().unwrap().unwrap();
        assert_eq!(l.pace, Pace::Rate(1e4 / 3.0));
        assert_eq!(l.timeline_speed, 60.0);
        assert_eq!(l.shard, Shard { index: 2, count: 3 });
        let speed = LiveFlags {
            speed: Some("1x".into()),
            multiplier: Some("8".into()),
            shard: Some("0/4".into()),
            ..LiveFlags::default()
        };
        let l = speed.live().unwrap().unwrap();
        assert_eq!((l.pace, l.multiplier), (Pace::Speed(1.0), 2.0));
    }

    #[test]
    fn an_indexed_job_shard_comes_from_job_completion_index() {
        assert_eq!(
            indexed_shard(4, Some("3")),
            Ok(Shard { index: 3, count: 4 })
        );
        assert!(indexed_shard(4, None)
            .unwrap_err()
            .contains("JOB_COMPLETION_INDEX is not set"));
        assert!(indexed_shard(4, Some("4"))
            .unwrap_err()
            .contains("not below 4"));
        assert!(indexed_shard(4, Some("x"))
            .unwrap_err()
            .contains("not a whole number"));
        assert!(indexed_shard(0, Some("0")).is_err());
    }
}
