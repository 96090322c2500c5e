//! `tsim inspect`: a pack's header, section sizes, counts, a sample of its
//! templates and its disassembled program, as stable text or JSON. The text
//! is snapshot-tested for every stock scenario, so it changes only when
//! what a scenario compiles to changes.

use std::fmt::Write;

use serde_json::{json, Value};
use tsim_pack::program::{Op, Target};
use tsim_pack::{
    crc32, AttrValue, MetricKind, MetricSource, Pack, Process, ResourceKind, SpanKind, NONE, TAGS,
};

/// Spans shown per sample trace.
mod drawn;
use drawn::{drawn_traces, log_gens};

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

/// Renders a pack (and the bytes it was read from) as stable text.
pub fn text(pack: &Pack, bytes: &[u8]) -> String {
    let v = View { pack, bytes };
    let m = &pack.meta;
    let mut o = String::new();
    let crc = crc32(bytes.get(..bytes.len().saturating_sub(4)).unwrap_or(&[]));
    let _ = writeln!(
        o,
        "pack {:?}: format {}, {} bytes, crc32 {crc:08x}",
        v.s(m.name),
        tsim_pack::FORMAT_VERSION,
        bytes.len()
    );
    let start = m
        .start
        .map_or("(none)".to_string(), |(s, n)| crate::time::rfc3339(s, n));
    let _ = writeln!(
        o,
        "seed {}, duration {}, tick {}, start {start}",
        m.seed,
        secs(m.duration_ns),
        secs(m.tick_ns)
    );
    if !v.s(m.description).is_empty() {
        let _ = writeln!(o, "description {:?}", v.s(m.description));
    }
    let _ = writeln!(o, "\nsections");
    for (tag, len) in v.sections() {
        let _ = writeln!(o, "  {tag}  {len:>10} B");
    }
    let steps = count_steps(pack);
    let services = pack
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::Service)
        .count();
    let series: usize = pack.series_sets.iter().map(|s| s.rows.len()).sum();
    let metric_series: usize = pack
        .metrics
        .iter()
        .map(|m| {
            pack.series_sets
                .get(m.series_set as usize)
                .map_or(0, |s| s.rows.len())
        })
        .sum();
    let log_shapes: usize = pack.logs.streams.iter().map(|s| s.shapes as usize).sum();
    let _ = writeln!(o, "\ncounts");
    let _ = writeln!(o, "  strings          {}", pack.strings.len());
    let _ = writeln!(o, "  attribute sets   {}", pack.attr_sets.len());
    let _ = writeln!(
        o,
        "  resources        {} ({services} services, {} backends)",
        pack.resources.len(),
        pack.resources.len() - services
    );
    let _ = writeln!(
        o,
        "  endpoints        {} with {steps} steps; {} roots",
        pack.calls.endpoints.len(),
        pack.calls.roots.len()
    );
    let _ = writeln!(
        o,
        "  metrics          {} with {metric_series} series ({} series sets, {series} rows)",
        pack.metrics.len(),
        pack.series_sets.len()
    );
    let _ = writeln!(
        o,
        "  log streams      {} with {log_shapes} fixed shapes; span log rules {}",
        pack.logs.streams.len(),
        pack.logs.span_rules.len()
    );
    let _ = writeln!(o, "  events           {}", pack.events.len());
    let _ = writeln!(o, "  program          {} instructions", pack.program.len());

    let _ = writeln!(o, "\nresources");
    for (i, r) in pack.resources.iter().enumerate() {
        let kind = match r.kind {
            ResourceKind::Service => "service",
            ResourceKind::Database => "database",
            ResourceKind::Queue => "queue",
        };
        let _ = writeln!(
            o,
            "  [{i}] {kind} {:?} version {:?} x{} {}",
            v.s(r.name),
            v.s(r.version),
            r.instances,
            v.attrs(r.attrs)
        );
    }

    let _ = writeln!(
        o,
        "\ntraces (one request drawn through each root endpoint; values vary per request)"
    );
    drawn_traces(&mut o, &v, pack);

    let _ = writeln!(o, "\nmetrics");
    for m in pack.metrics.iter().take(METRIC_LINES) {
        let _ = writeln!(o, "  {}", v.metric_line(m));
    }
    if pack.metrics.len() > METRIC_LINES {
        let _ = writeln!(
            o,
            "  ... {} more metrics",
            pack.metrics.len() - METRIC_LINES
        );
    }
    let _ = writeln!(o, "\nlogs");
    for s in &pack.logs.streams {
        let shapes = if s.shapes == 0 {
            "drawn per record".to_string()
        } else {
            format!("{} fixed shapes", s.shapes)
        };
        let _ = writeln!(
            o,
            "  stream {:?} from {} at {}/s, {shapes}",
            v.s(s.name),
            v.resource(s.resource),
            num(s.rate),
        );
        log_gens(&mut o, &v, &s.level, &s.message, s.attrs, &s.gen_attrs);
    }
    for r in &pack.logs.span_rules {
        let _ = writeln!(
            o,
            "  from spans ({})",
            if r.errors_only { "errors" } else { "access" },
        );
        log_gens(&mut o, &v, &r.level, &r.message, r.attrs, &r.gen_attrs);
    }
    let _ = writeln!(o, "\nevents");
    for (i, e) in pack.events.iter().enumerate() {
        let _ = writeln!(
            o,
            "  #{i} at {} {} {} {:?} severity={} version={:?}",
            secs(e.at_ns),
            v.s(e.kind),
            v.resource(e.resource),
            v.s(e.details),
            v.s(e.severity),
            v.s(e.version)
        );
    }
    let _ = writeln!(o, "\nprogram");
    for (at, op) in tsim_pack::program::offsets(&pack.program)
        .iter()
        .zip(&pack.program)
    {
        let _ = writeln!(o, "  {at:04x}  {}", v.op(op));
    }
    o
}

/// Renders a pack as JSON: the same facts as [`text`], machine-readable.
pub fn json(pack: &Pack, bytes: &[u8]) -> Value {
    let v = View { pack, bytes };
    let m = &pack.meta;
    let sections: Vec<Value> = v
        .sections()
        .into_iter()
        .map(|(t, l)| json!({ "tag": t, "bytes": l }))
        .collect();
    let program: Vec<Value> = tsim_pack::program::offsets(&pack.program)
        .iter()
        .zip(&pack.program)
        .map(|(at, op)| json!({ "offset": at, "instruction": v.op(op) }))
        .collect();
    let metrics: Vec<Value> = pack
        .metrics
        .iter()
        .map(|x| json!(v.metric_line(x)))
        .collect();
    json!({
        "name": v.s(m.name),
        "format_version": tsim_pack::FORMAT_VERSION,
        "bytes": bytes.len(),
        "seed": m.seed,
        "duration_ns": m.duration_ns,
        "tick_ns": m.tick_ns,
        "sections": sections,
        "counts": {
            "strings": pack.strings.len(),
            "attribute_sets": pack.attr_sets.len(),
            "resources": pack.resources.len(),
            "endpoints": pack.calls.endpoints.len(),
            "steps": count_steps(pack),
            "roots": pack.calls.roots.len(),
            "metrics": pack.metrics.len(),
            "series_sets": pack.series_sets.len(),
            "log_streams": pack.logs.streams.len(),
            "log_shapes": pack.logs.streams.iter().map(|s| s.shapes as usize).sum::<usize>(),
            "events": pack.events.len(),
            "instructions": pack.program.len(),
        },
        "metrics": metrics,
        "program": program,
    })
}

fn count_steps(pack: &Pack) -> usize {
    fn walk(steps: &[tsim_pack::Step]) -> usize {
        steps
            .iter()
            .map(|s| match s {
                tsim_pack::Step::Parallel(inner) => walk(inner),
                _ => 1,
            })
            .sum()
    }
    pack.calls.endpoints.iter().map(|e| walk(&e.steps)).sum()
}
