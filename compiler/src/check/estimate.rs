//! The work a scenario asks for, estimated before anything is built:
//! spans, log records and metric points per simulated second (at the peak
//! rate) and for the whole run, NDJSON bytes roughly, and the memory
//! compile and a run's plan need; and the same work with a run's
//! overrides (`--duration`, `--multiplier`, `--rate`) against the same
//! limits; the same estimate read from a compiled pack. `limits` turns
//! the limits into diagnostics.

use tsim_pack::program::Op;
use tsim_pack::Pack;

use crate::lower::{root_sizes, series_counts, Sizes};
use crate::model::Model;

/// The most root requests one tick may hold (a run draws a tick's arrivals
/// before it emits them: 16 bytes each, so 800 MB at the limit).
pub const MAX_ARRIVALS_PER_TICK: f64 = 5e7;
/// The most records (spans, log records, metric points) one tick may
/// emit: a run reports progress and answers Ctrl-C between ticks, so a
/// tick must stay under a minute of wall time even at full speed.
pub const MAX_RECORDS_PER_TICK: f64 = 1e9;
/// The most series rows a scenario may build (all metrics and families;
/// a few hundred bytes each at compile time and in a run's plan).
pub const MAX_SERIES_ROWS: f64 = 1e7;
/// The most records (spans, log records, metric points) a whole run may
/// emit: at 20 million a second, more would take a week.
pub const MAX_RECORDS: f64 = 1e13;

/// The most observations a process histogram draws in one tick for one
/// series (each is drawn on its own).
pub const MAX_OBSERVATIONS_PER_TICK: f64 = 1e7;

/// Rough NDJSON bytes of one span, log record and metric point.
const SPAN_BYTES: f64 = 250.0;
const LOG_BYTES: f64 = 200.0;
const POINT_BYTES: f64 = 200.0;
/// Rough bytes of one series row (its label values, its state).
pub(super) const ROW_BYTES: f64 = 300.0;
/// Bytes of one drawn arrival held for a tick.
pub(super) const ARRIVAL_BYTES: f64 = 16.0;

/// The estimated work of a run of a checked scenario.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Estimate {
    /// Root requests per second at the peak rate.
    pub requests_per_s: f64,
    /// Expected spans per trace, weighted over the root endpoints.
    pub spans_per_trace: f64,
    /// Spans per second at the peak rate.
    pub spans_per_s: f64,
    /// Log records per second (span logs and streams) at the peak rate.
    pub logs_per_s: f64,
    /// Of those, the span-derived ones (they follow the spans).
    pub span_logs_per_s: f64,
    /// Metric points per second.
    pub points_per_s: f64,
    /// Series rows built.
    pub series: f64,
    /// Root requests in one tick at the peak rate.
    pub arrivals_per_tick: f64,
    /// Records (spans, log records, metric points) in one tick at the peak.
    pub records_per_tick: f64,
    /// Simulated seconds (infinite for a run until stopped).
    pub duration_s: f64,
    /// Seconds per tick.
    pub tick_s: f64,
    /// Every record of the whole run (an upper bound: the peak rate all
    /// along, before timeline bursts).
    pub records: f64,
    /// NDJSON bytes of the whole run, roughly.
    pub ndjson_bytes: f64,
    /// Memory for compile and a run's plan and tick buffers, roughly.
    pub memory_bytes: f64,
}

impl Estimate {
    /// One line: rates, totals, bytes and memory.
    pub fn summary(&self) -> String {
        format!(
            "about {} spans/s ({} requests/s x {} spans per trace), {} log records/s, {} metric points/s ({} series); {} records over {}s, about {} of NDJSON; memory about {}",
            sci(self.spans_per_s),
            sci(self.requests_per_s),
            short(self.spans_per_trace),
            sci(self.logs_per_s),
            sci(self.points_per_s),
            sci(self.series),
            sci(self.records),
            short(self.duration_s),
            bytes(self.ndjson_bytes),
            bytes(self.memory_bytes),
        )
    }
}

/// How a run changes the work a scenario asks for (`tsim run`'s flags).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunWork {
    /// Simulated seconds (`--duration`; infinite: until stopped).
    pub duration_s: f64,
    /// The scenario's traffic times this (`--multiplier`).
    pub multiplier: f64,
    /// The traffic's mean level over the run, of its peak (1: the peak all
    /// along, the upper bound the limits hold; less for the expected size
    /// of a run whose daily curve dips). Per-tick figures stay at the peak.
    pub mean_level: f64,
    /// Spans per second of a paced run (`--rate`), and its timeline's
    /// speed: requests then come one after another, not a tick's worth
    /// at once.
    pub paced: Option<(f64, f64)>,
}

/// A limit an estimate is past: what, how big, and the limit, as text.
#[derive(Clone, Debug, PartialEq)]
pub struct Exceeded {
    /// What is too big and how big (`one tick would hold about 2.0e11 root
    /// requests (...)`).
    pub size: String,
    /// The limit (`5.0e7 root requests per tick`).
    pub limit: String,
    /// Whether the limit is on one tick (else on the whole run).
    pub per_tick: bool,
}

impl Estimate {
    /// The work of a run with `run`'s duration, multiplier and pace.
    pub fn for_run(&self, run: &RunWork) -> Estimate {
        let mut e = self.clone();
        let stream_logs = self.logs_per_s - self.span_logs_per_s;
        let logs_per_span = if self.spans_per_s > 0.0 {
            self.span_logs_per_s / self.spans_per_s
        } else {
            0.0
        };
        let seconds = match run.paced {
            Some((rate, speed)) => {
                e.spans_per_s = rate;
                e.requests_per_s = rate / self.spans_per_trace.max(1.0);
                e.arrivals_per_tick = 0.0;
                // A paced run's `duration` is timeline seconds, played at
                // the timeline's speed: the spans keep their wall rate.
                run.duration_s / speed
            }
            None => {
                e.spans_per_s = self.spans_per_s * run.multiplier;
                e.requests_per_s = self.requests_per_s * run.multiplier;
                e.arrivals_per_tick = self.arrivals_per_tick * run.multiplier;
                run.duration_s
            }
        };
        e.span_logs_per_s = e.spans_per_s * logs_per_span;
        e.logs_per_s = e.span_logs_per_s + stream_logs;
        e.duration_s = run.duration_s;
        let points_per_tick = self.points_per_s * self.tick_s;
        e.records_per_tick = if run.paced.is_some() {
            points_per_tick
        } else {
            (e.spans_per_s + e.logs_per_s) * self.tick_s + points_per_tick
        };
        // Spans and their logs follow the traffic curve (a paced run holds
        // its rate); log streams and metric points do not.
        let level = if run.paced.is_some() {
            1.0
        } else {
            run.mean_level
        };
        let traffic = (e.spans_per_s + e.span_logs_per_s) * level * seconds;
        let traffic_bytes =
            (e.spans_per_s * SPAN_BYTES + e.span_logs_per_s * LOG_BYTES) * level * seconds;
        e.records = traffic + stream_logs * seconds + self.points_per_s * run.duration_s;
        e.ndjson_bytes = traffic_bytes
            + stream_logs * LOG_BYTES * seconds
            + self.points_per_s * POINT_BYTES * run.duration_s;
        e
    }

    /// The first limit this estimate is past (a run until stopped has no
    /// limit on its whole output).
    pub fn exceeded(&self) -> Option<Exceeded> {
        let tick = short(self.tick_s);
        if self.arrivals_per_tick > MAX_ARRIVALS_PER_TICK || self.arrivals_per_tick.is_nan() {
            return Some(Exceeded {
                size: format!(
                    "one tick would hold about {} root requests ({}/s x a {tick}s tick)",
                    sci(self.arrivals_per_tick),
                    sci(self.requests_per_s)
                ),
                limit: format!("{} root requests per tick", sci(MAX_ARRIVALS_PER_TICK)),
                per_tick: true,
            });
        }
        if self.records_per_tick > MAX_RECORDS_PER_TICK || self.records_per_tick.is_nan() {
            return Some(Exceeded {
                size: format!(
                    "one tick would emit about {} records ({} spans/s and {} log records/s over a {tick}s tick, and its metric points)",
                    sci(self.records_per_tick),
                    sci(self.spans_per_s),
                    sci(self.logs_per_s)
                ),
                limit: format!("{} records per tick", sci(MAX_RECORDS_PER_TICK)),
                per_tick: true,
            });
        }
        if self.duration_s.is_finite() && (self.records > MAX_RECORDS || self.records.is_nan()) {
            return Some(Exceeded {
                size: format!(
                    "the run would emit about {} records ({} spans/s, {} log records/s and {} metric points/s over {}s; about {} of NDJSON)",
                    sci(self.records),
                    sci(self.spans_per_s),
                    sci(self.logs_per_s),
                    sci(self.points_per_s),
                    sci(self.duration_s),
                    bytes(self.ndjson_bytes)
                ),
                limit: format!("{} records a run", sci(MAX_RECORDS)),
                per_tick: false,
            });
        }
        None
    }
}

/// `1.0e9`-style text for big numbers, plain for small ones.
pub fn sci(x: f64) -> String {
    if x.abs() >= 1e5 {
        format!("{x:.1e}")
    } else {
        short(x)
    }
}

pub(super) fn short(x: f64) -> String {
    // `+ 0.0` turns a -0 (an empty sum) into 0.
    let s = format!("{:.1}", x + 0.0);
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// Bytes with a binary unit.
pub fn bytes(b: f64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = b;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    if v >= 1024.0 {
        return format!("{b:.1e} B");
    }
    format!("{} {unit}", short(v))
}

/// What an estimate is made from, read from a model or from a pack.
struct Inputs {
    /// Peak root requests per second.
    rate: f64,
    /// Each root's share and expected spans (`None`: a cycle).
    roots: Vec<(f64, Option<f64>)>,
    /// Span log rules that log every server span (`access`).
    access: f64,
    /// Log stream records per second at the peak.
    stream_logs: f64,
    /// Series rows built.
    series: f64,
    /// Metric points per tick.
    points_per_tick: f64,
    tick: f64,
    duration: f64,
}

/// Estimates the work of `model` (roots whose calls form a cycle count
/// nothing: the checker reports those).
pub fn estimate(model: &Model) -> Estimate {
    let s = &model.settings;
    let counts = series_counts(model);
    from_inputs(&Inputs {
        rate: s.traffic.rate,
        roots: root_sizes(model)
            .unwrap_or_default()
            .iter()
            .map(|r| (r.share, r.spans))
            .collect(),
        access: model
            .span_logs
            .iter()
            .filter(|r| r.kind == "access")
            .count() as f64,
        stream_logs: model.log_streams.iter().map(|l| l.rate).sum(),
        series: counts.iter().map(|c| c.rows).sum(),
        points_per_tick: counts.iter().map(|c| c.points).sum(),
        tick: s.tick,
        duration: s.duration,
    })
}

/// Estimates the work of a compiled pack the same way (it keeps no model:
/// its call programs, roots, log streams and series sets are read instead).
pub fn estimate_pack(pack: &Pack) -> Estimate {
    let rate = pack
        .program
        .iter()
        .find_map(|op| match op {
            Op::Traffic { rate, .. } => Some(*rate),
            _ => None,
        })
        // The runtime's flat rate for a pack without a traffic curve.
        .unwrap_or(10.0);
    let mut sizes = Sizes::new(&pack.calls.endpoints);
    let rows = |set: u32| {
        pack.series_sets
            .get(set as usize)
            .map_or(0.0, |s| s.rows.len() as f64)
    };
    from_inputs(&Inputs {
        rate,
        roots: pack
            .calls
            .roots
            .iter()
            .map(|r| (r.weight, sizes.trace(r.endpoint)))
            .collect(),
        access: pack
            .logs
            .span_rules
            .iter()
            .filter(|r| !r.errors_only)
            .count() as f64,
        stream_logs: pack.logs.streams.iter().map(|l| l.rate).sum(),
        series: pack.series_sets.iter().map(|s| s.rows.len() as f64).sum(),
        points_per_tick: pack.metrics.iter().map(|m| rows(m.series_set)).sum(),
        tick: pack.meta.tick_ns.max(1_000_000) as f64 / 1e9,
        duration: pack.meta.duration_ns as f64 / 1e9,
    })
}

fn from_inputs(i: &Inputs) -> Estimate {
    let weight: f64 = i.roots.iter().map(|r| r.0).sum();
    let spans_per_trace = if weight > 0.0 {
        i.roots
            .iter()
            .map(|(share, spans)| share * spans.unwrap_or(0.0))
            .sum::<f64>()
            / weight
    } else {
        0.0
    };
    let requests_per_s = if i.roots.is_empty() { 0.0 } else { i.rate };
    let spans_per_s = requests_per_s * spans_per_trace;
    // One access record per server span: about half the spans of a trace
    // of calls (each call is a client and a server span).
    let span_logs = requests_per_s * i.access * (spans_per_trace + 1.0) / 2.0;
    let points_per_s = i.points_per_tick / i.tick;
    let logs_per_s = span_logs + i.stream_logs;
    let records = (spans_per_s + logs_per_s + points_per_s) * i.duration;
    let arrivals_per_tick = requests_per_s * i.tick;
    let records_per_tick = (spans_per_s + logs_per_s) * i.tick + i.points_per_tick;
    let ndjson_bytes =
        (spans_per_s * SPAN_BYTES + logs_per_s * LOG_BYTES + points_per_s * POINT_BYTES)
            * i.duration;
    let memory_bytes =
        i.series * ROW_BYTES + arrivals_per_tick.min(i.rate * i.duration) * ARRIVAL_BYTES;
    Estimate {
        requests_per_s,
        spans_per_trace,
        spans_per_s,
        logs_per_s,
        span_logs_per_s: span_logs,
        points_per_s,
        series: i.series,
        arrivals_per_tick,
        records_per_tick,
        duration_s: i.duration,
        tick_s: i.tick,
        records,
        ndjson_bytes,
        memory_bytes,
    }
}

/// A count as digits grouped by thousands (`1,000,001`), or in `1.0e20`
/// style past what digits show sensibly.
pub fn whole(x: f64) -> String {
    if !x.is_finite() || x.abs() >= 1e15 {
        return sci(x);
    }
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if x < 0.0 {
        out.insert(0, '-');
    }
    out
}
