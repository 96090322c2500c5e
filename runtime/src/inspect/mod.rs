//! `tsim inspect`: a pack's header, section sizes, counts, resources, one
//! request drawn through each root, its metrics, log generators, events
//! and disassembled program, as stable text ([`text`], snapshot-tested for
//! every stock scenario) or as structured JSON ([`json`]) with the same
//! facts. This module holds what both share: names resolved from the
//! pack's strings, processes and instructions in words.

use std::fmt::Write;

use tsim_pack::program::{Op, Target};
use tsim_pack::{AttrValue, MetricKind, MetricSource, Pack, Process, SpanKind, NONE, TAGS};

mod drawn;
mod json;
mod text;

pub use json::json;
pub use text::text;

/// One request drawn through each root endpoint (no timeline faults), as
/// the text form shows it.
pub fn sample_traces(pack: &Pack) -> String {
    let mut o = String::new();
    drawn::drawn_traces(&mut o, &View { pack, bytes: &[] }, pack);
    o
}

/// Spans shown per sample trace.
const TREE_LINES: usize = 24;
/// Metrics listed by name.
const METRIC_LINES: usize = 24;

struct View<'a> {
    pack: &'a Pack,
    bytes: &'a [u8],
}

fn secs(ns: u64) -> String {
    crate::time::format_duration(ns)
}

fn ms(ns: u64) -> String {
    format!("{:.3}ms", ns as f64 / 1e6)
}

fn num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

impl View<'_> {
    fn s(&self, id: u32) -> &str {
        self.pack
            .strings
            .get(id as usize)
            .map_or("?", String::as_str)
    }

    fn value(&self, v: &AttrValue) -> String {
        match v {
            AttrValue::Str(s) => format!("{:?}", self.s(*s)),
            AttrValue::Int(i) => i.to_string(),
            AttrValue::Float(f) => num(*f),
            AttrValue::Bool(b) => b.to_string(),
        }
    }

    fn attrs(&self, set: u32) -> String {
        let list = self
            .pack
            .attr_sets
            .get(set as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let parts: Vec<String> = list
            .iter()
            .map(|a| format!("{}={}", self.s(a.key), self.value(&a.value)))
            .collect();
        format!("{{{}}}", parts.join(", "))
    }

    fn resource(&self, r: u32) -> String {
        if r == NONE {
            return "-".into();
        }
        self.pack
            .resources
            .get(r as usize)
            .map_or("?".into(), |r| self.s(r.name).to_string())
    }

    fn target(&self, t: &Target) -> String {
        match t {
            Target::All => "*".into(),
            Target::Resource(r) => self.resource(*r),
        }
    }

    fn process(&self, p: &Process) -> String {
        match p {
            Process::Constant { value, noise } => {
                format!("constant(value: {}, noise: {})", num(*value), num(*noise))
            }
            Process::Brownian {
                start,
                drift,
                volatility,
            } => {
                format!(
                    "brownian(start: {}, drift: {}, volatility: {})",
                    num(*start),
                    num(*drift),
                    num(*volatility)
                )
            }
            Process::MeanRevert {
                start,
                mean,
                speed,
                volatility,
            } => format!(
                "mean_revert(mean: {}, speed: {}, volatility: {}, start: {})",
                num(*mean),
                num(*speed),
                num(*volatility),
                num(*start)
            ),
            Process::Poisson { rate } => format!("poisson(rate: {})", self.process(rate)),
        }
    }

    fn op(&self, op: &Op) -> String {
        let lv = |a: &f64, b: &f64| {
            if a == b {
                num(*a)
            } else {
                format!("{} -> {}", num(*a), num(*b))
            }
        };
        let xs = |a: &f64, b: &f64| {
            if a == b {
                format!("x{}", num(*a))
            } else {
                format!("x{} -> x{}", num(*a), num(*b))
            }
        };
        match op {
            Op::End => "END".into(),
            Op::Traffic { rate, timezone } => format!(
                "TRAFFIC     rate={}/s timezone={:?}",
                num(*rate),
                self.s(*timezone)
            ),
            Op::Peak { start, end } => {
                format!(
                    "PEAK        {:02}:{:02}-{:02}:{:02}",
                    start / 3600,
                    start % 3600 / 60,
                    end / 3600,
                    end % 3600 / 60
                )
            }
            Op::Night(v) => format!("NIGHT       {}", num(*v)),
            Op::Weekend(v) => format!("WEEKEND     {}", num(*v)),
            Op::At {
                start_ns,
                length_ns,
                ramp_ns,
            } => {
                format!(
                    "AT          start={} length={} ramp={}",
                    secs(*start_ns),
                    secs(*length_ns),
                    secs(*ramp_ns)
                )
            }
            Op::Every {
                period_ns,
                length_ns,
                jitter,
            } => {
                format!(
                    "EVERY       period={}{} length={}",
                    if *jitter { "~" } else { "" },
                    secs(*period_ns),
                    secs(*length_ns)
                )
            }
            Op::Errors(t, a, b) => format!("ERRORS      {} {}", self.target(t), lv(a, b)),
            Op::Latency(t, a, b) => format!("LATENCY     {} {}", self.target(t), xs(a, b)),
            Op::Rate(t, a, b) => format!("RATE        {} {}", self.target(t), xs(a, b)),
            Op::Status(t, c, w) => format!("STATUS      {} {c} weight={}", self.target(t), num(*w)),
            Op::ErrorType(t, s, w) => format!(
                "ERROR_TYPE  {} {:?} weight={}",
                self.target(t),
                self.s(*s),
                num(*w)
            ),
            Op::Cascade(t) => format!("CASCADE     {}", self.target(t)),
            Op::Anomaly {
                metric,
                kind,
                from,
                to,
            } => {
                format!(
                    "ANOMALY     {:?} {kind:?} {}",
                    self.s(*metric),
                    xs(from, to)
                )
            }
            Op::Shift { metric, relative } => {
                let sign = if *relative >= 0.0 { "+" } else { "" };
                format!(
                    "SHIFT       {:?} {sign}{}%",
                    self.s(*metric),
                    num(relative * 100.0)
                )
            }
            Op::Event(i) => format!("EVENT       #{i}"),
            Op::Incident {
                kind,
                target,
                severity,
            } => {
                format!(
                    "INCIDENT    {} {} severity={}",
                    self.s(*kind),
                    self.target(target),
                    self.s(*severity)
                )
            }
        }
    }

    fn sections(&self) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for (i, _) in TAGS.iter().enumerate() {
            let at = 12 + i * 20;
            let (Some(tag), Some(len)) =
                (self.bytes.get(at..at + 4), self.bytes.get(at + 12..at + 20))
            else {
                continue;
            };
            let mut l = [0u8; 8];
            l.copy_from_slice(len);
            out.push((
                String::from_utf8_lossy(tag).into_owned(),
                u64::from_le_bytes(l),
            ));
        }
        out
    }

    fn metric_line(&self, m: &tsim_pack::MetricDef) -> String {
        let kind = match m.kind {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::UpDown => "updown",
            MetricKind::Histogram => "histogram",
        };
        let series = self
            .pack
            .series_sets
            .get(m.series_set as usize)
            .map_or(0, |s| s.rows.len());
        let source = match &m.source {
            MetricSource::Spans { of } if *of == NONE => "from spans".to_string(),
            MetricSource::Spans { of } => format!("from spans of {}", self.resource(*of)),
            MetricSource::Process(p) => self.process(p),
        };
        let mut line = format!(
            "{:?} {kind} unit={:?} series={series} {source}",
            self.s(m.name),
            self.s(m.unit)
        );
        if let Some((lo, hi)) = m.within {
            let _ = write!(line, " within {}..{}", num(lo), num(hi));
        }
        if !m.buckets.is_empty() {
            let b: Vec<String> = m.buckets.iter().map(|x| num(*x)).collect();
            let _ = write!(line, " buckets [{}]", b.join(", "));
        }
        line
    }
}

fn kind_name(k: SpanKind) -> &'static str {
    match k {
        SpanKind::Internal => "INTERNAL",
        SpanKind::Server => "SERVER",
        SpanKind::Client => "CLIENT",
        SpanKind::Producer => "PRODUCER",
        SpanKind::Consumer => "CONSUMER",
    }
}

fn count_steps(pack: &Pack) -> usize {
    fn walk(steps: &[tsim_pack::Step]) -> usize {
        steps
            .iter()
            .map(|s| match s {
                tsim_pack::Step::Parallel(inner) => walk(inner),
                tsim_pack::Step::Internal { program, .. } => 1 + walk(&program.steps),
                _ => 1,
            })
            .sum()
    }
    pack.calls.endpoints.iter().map(|e| walk(&e.steps)).sum()
}
