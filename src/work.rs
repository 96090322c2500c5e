//! The work of a run before it starts: the scenario's estimate re-checked
//! with `tsim run`'s overrides (`--duration`, `--multiplier`, `--rate`)
//! against the same limits `tsim check` holds it to, and for file sinks
//! the estimated records and bytes, printed, and refused when they would
//! not fit in the free space of the target's filesystem (unless `--force`).

use std::path::Path;

use tsim_compiler::{bytes, sci, Estimate, RunWork};
use tsim_runtime::sink::spec::Target;

/// The flags that changed the work, as written (`--duration 100000d`).
#[derive(Default)]
pub struct Flags<'a> {
    /// `--duration`.
    pub duration: Option<&'a str>,
    /// `--multiplier`.
    pub multiplier: Option<&'a str>,
    /// `--rate`.
    pub rate: Option<&'a str>,
}

/// Re-checks `est` as `run` changes it; the error is one line naming the
/// flags, the estimate and the limit.
pub fn recheck(est: &Estimate, run: &RunWork, flags: &Flags<'_>) -> Result<Estimate, String> {
    let e = est.for_run(run);
    let Some(over) = e.exceeded() else {
        return Ok(e);
    };
    // A tick's load follows --multiplier (a paced run's requests come one
    // at a time); the run's total follows all three.
    let named: Vec<(&str, &str, &str)> = [
        ("duration", flags.duration, "shorten --duration"),
        ("multiplier", flags.multiplier, "lower --multiplier"),
        ("rate", flags.rate, "lower --rate"),
    ]
    .into_iter()
    .filter(|(name, _, _)| !over.per_tick || *name == "multiplier")
    .filter_map(|(name, v, fix)| v.map(|v| (name, v, fix)))
    .collect();
    let given = named
        .iter()
        .map(|(name, v, _)| format!("--{name} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let fix = named
        .iter()
        .map(|(_, _, fix)| *fix)
        .collect::<Vec<_>>()
        .join(" or ");
    let (given, fix) = if named.is_empty() {
        ("the scenario".to_string(), "lower its `rate` or `duration`")
    } else {
        (given, fix.as_str())
    };
    Err(format!(
        "{given}: {}, more than the limit of {}; {fix}",
        over.size, over.limit
    ))
}

/// The traffic curve's mean level over a run of `duration_s` from
/// `start_ns`, of its peak (1 for a run until stopped): sampled at up to
/// 20,000 instants, one a minute for runs up to two weeks.
pub fn mean_level(pack: &tsim_pack::Pack, start_ns: i64, duration_s: f64) -> f64 {
    if !duration_s.is_finite() || duration_s <= 0.0 {
        return 1.0;
    }
    let shape = tsim_runtime::shape::Shape::new(pack);
    let n = (duration_s / 60.0).clamp(1.0, 20_000.0) as u32;
    let start = start_ns as f64 / 1e9;
    let step = duration_s / f64::from(n);
    let sum: f64 = (0..n)
        .map(|i| shape.level(start + (f64::from(i) + 0.5) * step))
        .sum();
    sum / f64::from(n)
}

/// Rough bytes per record of each file format, from the NDJSON estimate
/// (OTLP/JSON carries ids as hex, nested resource and scope objects and
/// every attribute as a typed value object), or for OpenMetrics from the
/// sample lines of one tick (`lines_per_tick`) times the ticks.
fn file_bytes(
    e: &Estimate,
    target: &Target,
    lines_per_tick: f64,
) -> Option<(f64, f64, &'static str)> {
    match target {
        Target::Ndjson(_) => Some((e.records, e.ndjson_bytes, "NDJSON")),
        Target::OtlpJson(_) => Some((
            e.records,
            e.ndjson_bytes * OTLP_JSON_PER_NDJSON,
            "OTLP/JSON",
        )),
        Target::OpenMetrics(_) => {
            let ticks = (e.duration_s / e.tick_s.max(1e-3)).floor() + 1.0;
            let lines = lines_per_tick * ticks;
            Some((lines, lines * OPENMETRICS_LINE_BYTES, "OpenMetrics"))
        }
        _ => None,
    }
}

/// OTLP/JSON bytes per NDJSON byte of the same records (measured on the
/// stock scenarios: 1.0 to 1.3; taken high).
const OTLP_JSON_PER_NDJSON: f64 = 1.8;
/// OpenMetrics bytes per sample line (the labels repeat on every line;
/// 115 measured on `stock:triage/normal`).
const OPENMETRICS_LINE_BYTES: f64 = 120.0;

/// Series a span-derived metric's declared series becomes.
const SPAN_SERIES_SPLIT: f64 = 2.0;

/// The OpenMetrics sample lines one tick of `pack` writes: a line per
/// series of each gauge and counter, a histogram's buckets (and `+Inf`),
/// `_count` and `_sum` per series, and each target's `target_info`
/// (roughly: within a factor of 2 on the stock scenarios).
pub fn openmetrics_lines(pack: &tsim_pack::Pack) -> f64 {
    let series: f64 = pack
        .metrics
        .iter()
        .map(|m| {
            let rows = pack
                .series_sets
                .get(m.series_set as usize)
                .map_or(0, |s| s.rows.len()) as f64;
            let lines = match m.kind {
                tsim_pack::MetricKind::Histogram => m.buckets.len() as f64 + 3.0,
                _ => 1.0,
            };
            // A span-derived metric's series split further by the spans'
            // own attributes (status codes, outcomes): about two each.
            let split = match m.source {
                tsim_pack::MetricSource::Spans { .. } => SPAN_SERIES_SPLIT,
                _ => 1.0,
            };
            rows * lines * split
        })
        .sum();
    series + pack.resources.len() as f64
}

/// The space free to an unprivileged writer on the filesystem holding
/// `path` (or, when it does not exist yet, its nearest existing parent).
pub fn free_space(path: &Path) -> std::io::Result<u64> {
    let mut at = path;
    loop {
        if at.exists() {
            let s = rustix::fs::statvfs(at)?;
            return Ok(s.f_bavail.saturating_mul(s.f_frsize));
        }
        match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => at = p,
            _ => at = Path::new("."),
        }
    }
}

/// Whether `needed` bytes may be written where `free` bytes are free: an
/// error naming both figures (and `--force`) when they do not fit.
pub fn fits(needed: f64, free: u64, force: bool, what: &str) -> Result<(), String> {
    if force || needed <= free as f64 {
        return Ok(());
    }
    Err(format!(
        "{what} would need about {}, more than the {} free there; free some space, write elsewhere, or pass --force to start anyway",
        bytes(needed),
        bytes(free as f64)
    ))
}

/// Before a file run: prints the estimate of `e` for `target` (one line
/// on stderr) and refuses a run that would not fit in the free space.
pub fn disk(
    e: &Estimate,
    pack: &tsim_pack::Pack,
    target: &Target,
    force: bool,
    rate_max: Option<u64>,
) -> Result<(), String> {
    let lines = if matches!(target, Target::OpenMetrics(_)) {
        openmetrics_lines(pack)
    } else {
        0.0
    };
    let Some((records, needed, format)) = file_bytes(e, target, lines) else {
        return Ok(());
    };
    let path = match target {
        Target::Ndjson(p) | Target::OtlpJson(p) | Target::OpenMetrics(p) => p,
        _ => return Ok(()),
    };
    let shown = path.display();
    let free = free_space(path).map_err(|err| {
        format!("cannot read the free space of the filesystem holding {shown}: {err}")
    })?;
    if let Some(reserve) = rate_max {
        // Its size is how fast the disk takes it: nothing to refuse by.
        eprintln!(
            "tsim: estimate: --rate max writes {format} into {shown} as fast as the disk takes it, so its size is not known before ({} free there; the run stops, keeping nothing, before less than {} would be left)",
            bytes(free as f64),
            bytes(reserve as f64)
        );
        return Ok(());
    }
    eprintln!(
        "tsim: estimate: about {} records, about {} of {format} into {shown} ({} free there)",
        sci(records),
        bytes(needed),
        bytes(free as f64)
    );
    fits(needed, free, force, &format!("--to {shown}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_fits_starts_and_one_that_does_not_names_both_figures() {
        assert!(fits(1e6, 2_000_000, false, "--to out").is_ok());
        let err = fits(
            3.0 * 1024.0 * 1024.0 * 1024.0,
            1024 * 1024 * 1024,
            false,
            "--to out",
        )
        .unwrap_err();
        assert!(err.contains("about 3 GiB"), "{err}");
        assert!(err.contains("the 1 GiB free"), "{err}");
        assert!(err.contains("--force"), "{err}");
        assert!(fits(1e18, 0, true, "--to out").is_ok());
    }

    #[test]
    fn the_free_space_of_a_path_not_made_yet_is_that_of_its_parent() {
        let tmp = std::env::temp_dir();
        let here = free_space(&tmp).unwrap();
        let there = free_space(&tmp.join("not/made/yet")).unwrap();
        // Both read the same filesystem; other writers may move it a bit.
        assert!(here.abs_diff(there) < 1 << 30, "{here} vs {there}");
        assert!(here > 0);
    }

    fn sample() -> Estimate {
        Estimate {
            requests_per_s: 100.0,
            spans_per_trace: 5.0,
            spans_per_s: 500.0,
            logs_per_s: 300.0,
            span_logs_per_s: 250.0,
            points_per_s: 10.0,
            series: 100.0,
            arrivals_per_tick: 100.0,
            records_per_tick: 810.0,
            duration_s: 3600.0,
            tick_s: 1.0,
            records: 810.0 * 3600.0,
            ndjson_bytes: 187_000.0 * 3600.0,
            memory_bytes: 1e5,
        }
    }

    #[test]
    fn overrides_past_a_limit_name_the_flag_the_estimate_and_the_limit() {
        let e = sample();
        let run = RunWork {
            duration_s: 3600.0,
            multiplier: 1e9,
            mean_level: 1.0,
            paced: None,
        };
        let flags = Flags {
            multiplier: Some("1e9"),
            ..Flags::default()
        };
        let err = recheck(&e, &run, &flags).unwrap_err();
        assert!(
            err.starts_with("--multiplier 1e9: one tick would hold about 1.0e11 root requests"),
            "{err}"
        );
        assert!(
            err.contains("limit of 5.0e7 root requests per tick"),
            "{err}"
        );
        assert!(err.ends_with("lower --multiplier"), "{err}");

        let run = RunWork {
            duration_s: 1e11,
            multiplier: 1.0,
            mean_level: 1.0,
            paced: None,
        };
        let flags = Flags {
            duration: Some("100000d"),
            ..Flags::default()
        };
        let err = recheck(&e, &run, &flags).unwrap_err();
        assert!(
            err.starts_with("--duration 100000d: the run would emit about 8.1e13 records"),
            "{err}"
        );
        assert!(err.contains("limit of 1.0e13 records a run"), "{err}");

        // A paced run: spans at the flag's rate, its span logs with them.
        let run = RunWork {
            duration_s: 1e5,
            multiplier: 1.0,
            mean_level: 1.0,
            paced: Some((1e9, 1.0)),
        };
        let flags = Flags {
            rate: Some("1G/s"),
            duration: Some("100000s"),
            ..Flags::default()
        };
        let err = recheck(&e, &run, &flags).unwrap_err();
        assert!(err.contains("1.0e9 spans/s, 5.0e8 log records/s"), "{err}");
        assert!(err.contains("shorten --duration or lower --rate"), "{err}");
        // Until stopped, a run has no total.
        let run = RunWork {
            duration_s: f64::INFINITY,
            ..run
        };
        assert!(recheck(&e, &run, &flags).is_ok());
    }

    #[test]
    fn the_scenario_as_written_passes_its_own_limits() {
        let e = sample();
        let run = RunWork {
            duration_s: e.duration_s,
            multiplier: 1.0,
            mean_level: 1.0,
            paced: None,
        };
        let again = recheck(&e, &run, &Flags::default()).unwrap();
        assert_eq!(again.records, e.records);
        assert_eq!(again.ndjson_bytes, e.ndjson_bytes);
        // At half the peak on average, the traffic's half of it halves.
        let half = e.for_run(&RunWork {
            mean_level: 0.5,
            ..run
        });
        assert_eq!(half.records, (750.0 / 2.0 + 60.0) * 3600.0);
        assert_eq!(half.records_per_tick, e.records_per_tick);
    }
}
