//! The simulation engine: walks simulated time tick by tick from a start
//! instant over the pack's duration. Each tick it evaluates the timeline,
//! draws Poisson root-request arrivals from the traffic curve, instantiates
//! trace templates with fresh IDs and the timeline's faults, derives logs
//! and RED metrics from the spans, advances process metrics, emits due
//! events, and records what every incident touched for the answer key.
//! Same pack, seed and start give the same output, byte for byte.

mod logs;
mod process;
mod red;
mod series;
mod spans;

use std::collections::BTreeSet;
use std::io;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Poisson};
use rand_pcg::Pcg64;
use tsim_pack::program::{Op, Target};
use tsim_pack::{Pack, ResourceKind, SpanKind, NONE};

use crate::answer::Incident;
use crate::shape::Shape;
use crate::sink::{EventRecord, LogRecord, MetricPoint, Sink, SpanRecord};
use crate::timeline::Timeline;

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Start instant, Unix nanoseconds.
    pub start_ns: i64,
    /// Seed of arrivals, IDs and noise (default: the pack's).
    pub seed: Option<u64>,
    /// Simulated time to cover (default: the pack's duration).
    pub duration_ns: Option<u64>,
}

/// What a run produced.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Spans emitted.
    pub spans: u64,
    /// Log records emitted.
    pub logs: u64,
    /// Metric points emitted.
    pub metrics: u64,
    /// Events emitted.
    pub events: u64,
    /// Simulated time covered.
    pub simulated_ns: u64,
    /// Wall time taken.
    pub wall: Duration,
    /// Every incident window with its ground truth.
    pub incidents: Vec<Incident>,
}

impl Summary {
    /// All records emitted.
    pub fn total(&self) -> u64 {
        self.spans + self.logs + self.metrics + self.events
    }
}

/// Progress callback: (simulated ns done, total ns, summary so far).
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64, &Summary);

struct Group {
    resource: u32,
    share: f64,
    traces: Vec<usize>,
    cumulative: Vec<f64>,
}

fn groups(pack: &Pack) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for (i, t) in pack.traces.iter().enumerate() {
        let g = match out.iter_mut().position(|g| g.resource == t.resource) {
            Some(g) => g,
            None => {
                out.push(Group {
                    resource: t.resource,
                    share: 0.0,
                    traces: Vec::new(),
                    cumulative: Vec::new(),
                });
                out.len() - 1
            }
        };
        let g = &mut out[g];
        g.share += t.weight;
        g.traces.push(i);
        g.cumulative.push(g.share);
    }
    out
}

fn poisson(rng: &mut Pcg64, lambda: f64) -> u64 {
    if lambda <= 0.0 || !lambda.is_finite() {
        return 0;
    }
    Poisson::new(lambda).map_or(0, |d| d.sample(rng) as u64)
}

/// Runs `pack` into `sink`.
pub fn run(
    pack: &Pack,
    opts: &Options,
    sink: &mut dyn Sink,
    progress: Progress<'_>,
) -> io::Result<Summary> {
    let began = Instant::now();
    let seed = opts.seed.unwrap_or(pack.meta.seed);
    let mut rng = Pcg64::seed_from_u64(seed ^ (opts.start_ns as u64).rotate_left(17) ^ 0x7473_696d);
    let s = |id: u32| pack.strings.get(id as usize).map_or("", String::as_str);
    let scenario = s(pack.meta.name);
    let res_name = |r: u32| {
        if r == NONE {
            ""
        } else {
            pack.resources.get(r as usize).map_or("", |x| s(x.name))
        }
    };
    let shape = Shape::new(pack);
    let timeline = Timeline::new(pack, seed);
    let groups = groups(pack);
    let duration = opts.duration_ns.unwrap_or(pack.meta.duration_ns);
    let tick = pack.meta.tick_ns.max(1_000_000);
    let mut red = red::Red::new(pack, scenario);
    let status_attr = pack
        .strings
        .iter()
        .position(|x| x == "http.response.status_code")
        .map(|i| i as u32);
    let mut procs = process::Processes::new(pack, scenario);
    let access = pack.logs.span_rules.iter().find(|r| !r.errors_only);
    let error_rule = pack.logs.span_rules.iter().find(|r| r.errors_only);
    let mut events: Vec<usize> = (0..pack.events.len()).collect();
    events.sort_by_key(|&i| pack.events[i].at_ns);
    let mut next_event = 0;
    let mut touched: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); timeline.blocks.len()];
    let mut sum = Summary::default();
    let mut instances = Vec::new();
    let mut message = String::new();
    let mut name = String::new();
    let mut arrivals: Vec<(u64, usize)> = Vec::new();
    let mut t0 = 0u64;
    while t0 < duration {
        let t1 = (t0 + tick).min(duration);
        let dt = (t1 - t0) as f64 / 1e9;
        let state = timeline.state(t0 + (t1 - t0) / 2);
        let level = shape.level((opts.start_ns as f64 + (t0 + (t1 - t0) / 2) as f64) / 1e9);
        let abs = |rel: u64| opts.start_ns.saturating_add(rel as i64);

        // Events in [t0, t1); the last tick also takes events at the very end.
        let due = |at: u64| at < t1 || (t1 == duration && at <= duration);
        while next_event < events.len() && due(pack.events[events[next_event]].at_ns) {
            let e = &pack.events[events[next_event]];
            let version = s(e.version);
            sink.event(&EventRecord {
                time_ns: abs(e.at_ns),
                kind: s(e.kind),
                service: (e.resource != NONE).then(|| res_name(e.resource)),
                details: s(e.details),
                severity: s(e.severity),
                version: (!version.is_empty()).then_some(version),
            })?;
            sum.events += 1;
            next_event += 1;
        }

        arrivals.clear();
        for (gi, g) in groups.iter().enumerate() {
            let factor = state.traffic
                * state
                    .resource_traffic
                    .get(g.resource as usize)
                    .copied()
                    .unwrap_or(1.0);
            let n = poisson(&mut rng, shape.rate * level * factor * g.share * dt);
            for _ in 0..n {
                arrivals.push((rng.random_range(t0..t1.max(t0 + 1)), gi));
            }
        }
        arrivals.sort_unstable();
        for &(at, gi) in &arrivals {
            let g = &groups[gi];
            let x = rng.random::<f64>() * g.share;
            let k = g
                .cumulative
                .partition_point(|c| *c <= x)
                .min(g.traces.len() - 1);
            let tpl = &pack.traces[g.traces[k]];
            spans::instantiate(&mut rng, pack, tpl, at, &state, &mut instances);
            let trace_id: [u8; 16] = spans::id(&mut rng);
            for (t, inst) in tpl.spans.iter().zip(&instances) {
                let parent = (t.parent != NONE).then(|| instances[t.parent as usize].span_id);
                let service = res_name(t.resource);
                sink.span(&SpanRecord {
                    trace_id,
                    span_id: inst.span_id,
                    parent,
                    start_ns: abs(inst.start_ns),
                    duration_ns: inst.duration_ns,
                    service,
                    operation: s(t.name),
                    error: inst.error,
                })?;
                sum.spans += 1;
                if let Some(b) = inst.block {
                    touched[b].insert(t.resource);
                }
                let code = inst.status_code.map(i64::from).or_else(|| {
                    let attrs = pack.attr_sets.get(t.attrs as usize)?;
                    attrs
                        .iter()
                        .find(|a| Some(a.key) == status_attr)
                        .and_then(|a| match a.value {
                            tsim_pack::AttrValue::Int(c) => Some(c),
                            _ => None,
                        })
                });
                let status = red::status_key(code, inst.error);
                red.observe(
                    pack,
                    t.kind,
                    t.resource,
                    t.peer,
                    t.name,
                    inst.duration_ns,
                    inst.error,
                    status,
                    &inst.span_id,
                );
                let server = matches!(t.kind, SpanKind::Server | SpanKind::Consumer);
                let to_backend = t.peer != NONE
                    && pack
                        .resources
                        .get(t.peer as usize)
                        .is_some_and(|r| r.kind != ResourceKind::Service);
                let rules = [
                    (access, server),
                    (error_rule, inst.error && (server || to_backend)),
                ];
                for (rule, applies) in rules {
                    let Some(rule) = rule.filter(|_| applies) else {
                        continue;
                    };
                    if rule.templates.is_empty() {
                        continue;
                    }
                    let lt = &rule.templates[rng.random_range(0..rule.templates.len())];
                    let facts = logs::SpanFacts {
                        attrs: t.attrs,
                        duration_ns: inst.duration_ns,
                        operation: s(t.name),
                        service,
                        peer: res_name(t.peer),
                        error_type: inst.error_type.as_deref(),
                        status_code: inst.status_code,
                    };
                    logs::fill(pack, s(lt.body), &facts, &mut message);
                    sink.log(&LogRecord {
                        time_ns: abs(inst.start_ns + inst.duration_ns),
                        service,
                        level: s(lt.level),
                        message: &message,
                        trace_id: Some(trace_id),
                        span_id: Some(inst.span_id),
                    })?;
                    sum.logs += 1;
                }
            }
        }

        for stream in &pack.logs.streams {
            if stream.templates.is_empty() {
                continue;
            }
            let n = poisson(&mut rng, stream.rate * level * dt);
            let mut times: Vec<u64> = (0..n)
                .map(|_| rng.random_range(t0..t1.max(t0 + 1)))
                .collect();
            times.sort_unstable();
            let service = if stream.resource == NONE {
                scenario
            } else {
                res_name(stream.resource)
            };
            for at in times {
                let lt = &stream.templates[rng.random_range(0..stream.templates.len())];
                sink.log(&LogRecord {
                    time_ns: abs(at),
                    service,
                    level: s(lt.level),
                    message: s(lt.body),
                    trace_id: None,
                    span_id: None,
                })?;
                sum.logs += 1;
            }
        }

        // Failed deployments log their health checks, once per instance per tick.
        for &b in &state.active {
            let block = &timeline.blocks[b];
            let Some((kind, Target::Resource(r), _)) = block.incident else {
                continue;
            };
            if s(kind) != "failed_deployment" {
                continue;
            }
            let check = pack.program.iter().find_map(|op| match op {
                Op::ErrorType(Target::Resource(x), t, _) if *x == r => Some(s(*t)),
                _ => None,
            });
            let instances_n = pack
                .resources
                .get(r as usize)
                .map_or(1, |x| x.instances)
                .min(10);
            for k in 0..instances_n {
                message.clear();
                message.push_str(&format!(
                    "{} on {}-{k}: readiness probe returned 503",
                    check.unwrap_or("health_check_failed"),
                    res_name(r)
                ));
                sink.log(&LogRecord {
                    time_ns: abs(t0 + u64::from(k)),
                    service: res_name(r),
                    level: "ERROR",
                    message: &message,
                    trace_id: None,
                    span_id: None,
                })?;
                sum.logs += 1;
            }
            touched[b].insert(r);
        }

        let at = abs(t1);
        let mut emit = |metric: usize,
                        series: &series::Series,
                        suffix: &str,
                        le: Option<f64>,
                        value: f64|
         -> io::Result<()> {
            name.clear();
            series.display(&mut name, suffix, le);
            let unit = s(pack.metrics[metric].unit);
            sink.metric(&MetricPoint {
                time_ns: at,
                service: &series.service,
                metric: &name,
                value,
                unit,
            })?;
            sum.metrics += 1;
            Ok(())
        };
        let mut failure: io::Result<()> = Ok(());
        let anomaly = |m: u32| state.anomalies.get(&m).copied().unwrap_or((1.0, 0.0));
        {
            let mut collect = |metric: usize,
                               series: &series::Series,
                               suffix: &str,
                               le: Option<f64>,
                               value: f64| {
                let (f, shift) = anomaly(pack.metrics[metric].name);
                let v = if suffix.is_empty()
                    && matches!(
                        pack.metrics[metric].source,
                        tsim_pack::MetricSource::Spans { .. }
                    ) {
                    value * f * (1.0 + shift)
                } else {
                    value
                };
                if failure.is_ok() {
                    failure = emit(metric, series, suffix, le, v);
                }
            };
            red.flush(pack, dt, &mut collect);
            procs.tick(pack, &mut rng, dt, level, &anomaly, &mut collect);
        }
        failure?;

        sum.simulated_ns = t1;
        progress(t1, duration, &sum);
        t0 = t1;
    }
    sink.finish()?;
    sum.incidents = crate::answer::incidents(pack, &timeline, opts.start_ns, duration, &touched);
    sum.wall = began.elapsed();
    Ok(sum)
}
