//! The simulation engine: walks simulated time tick by tick from a start
//! instant over the pack's duration. Each tick is cut into segments at
//! every instant the timeline changes, so each request sees the faults of
//! its own instant. Per segment it draws Poisson root-request arrivals from
//! the traffic curve and draws each request through its endpoint's program
//! (see [`crate::draw`]); the emitter gives it fresh IDs and derives logs
//! and RED metrics. Per tick it advances process metrics, emits due events
//! and standalone logs. Random streams are split by purpose
//! ([`crate::streams`]). Same pack, seed and start give the same output,
//! byte for byte.

mod emit;
mod process;
mod red;
mod series;

use std::io;
use std::time::{Duration, Instant};

use rand::RngExt;
use rand_distr::{Distribution, Poisson};
use rand_pcg::Pcg64;
use tsim_pack::program::{Op, Target};
use tsim_pack::{MetricSource, Pack, NONE};

use crate::answer::Incident;
use crate::clock::{Clock, Simulated};
use crate::draw::request::{Trace, Walker};
use crate::draw::values::{draw_attrs, draw_text, severity};
use crate::plan::Plan;
use crate::shape::Shape;
use crate::sink::{Attributes, Body, EventRecord, LogRecord, MetricRecord, Point, Sink};
use crate::streams::{mix, stream, Purpose};
use crate::timeline::{State, Timeline};

pub use emit::{id, resource_ref};

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
    /// Root requests drawn.
    pub requests: u64,
    /// Traces cut at the span or depth limit (see [`crate::draw::request`]).
    pub truncated_traces: u64,
    /// Drawn latencies held at [`crate::draw::request::MAX_SPAN_NS`].
    pub capped_spans: u64,
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

fn poisson(rng: &mut Pcg64, lambda: f64) -> u64 {
    if lambda <= 0.0 || !lambda.is_finite() {
        return 0;
    }
    Poisson::new(lambda).map_or(0, |d| d.sample(rng) as u64)
}

/// The run's random streams.
struct Streams {
    arrivals: Pcg64,
    ids: Pcg64,
    requests: Pcg64,
    logs: Pcg64,
    process: Pcg64,
    seed: u64,
}

impl Streams {
    fn new(seed: u64, start_ns: i64) -> Streams {
        // The start instant is part of the key: two runs of one scenario at
        // different starts never share trace ids.
        let seed = seed ^ mix(start_ns as u64);
        Streams {
            arrivals: stream(seed, Purpose::Arrivals, 0),
            ids: stream(seed, Purpose::Ids, 0),
            requests: stream(seed, Purpose::Requests, 0),
            logs: stream(seed, Purpose::Logs, 0),
            process: stream(seed, Purpose::Process, 0),
            seed,
        }
    }
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
    let plan = Plan::new(pack);
    sink.link(&plan)?;
    let mut eng = Engine::new(&plan, opts, seed);
    let duration = opts.duration_ns.unwrap_or(pack.meta.duration_ns);
    let tick = pack.meta.tick_ns.max(1_000_000);
    let mut t0 = 0u64;
    while t0 < duration {
        let t1 = t0.saturating_add(tick).min(duration);
        eng.tick(t0, t1, duration, sink)?;
        eng.clock.pace(t1);
        eng.sum.simulated_ns = t1;
        progress(t1, duration, &eng.sum);
        t0 = t1;
    }
    sink.finish()?;
    let mut sum = eng.sum;
    sum.incidents = crate::answer::incidents(
        pack,
        &eng.timeline,
        opts.start_ns,
        duration,
        &eng.emitter.touched,
    );
    sum.wall = began.elapsed();
    Ok(sum)
}

/// What a per-occurrence event of a repeating block is (in the order they
/// are emitted at one instant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Repeat {
    /// An occurrence of an incident ends.
    End,
    /// An occurrence of an incident starts.
    Start,
    /// A pack event made by the block.
    Event,
}

/// The state of a run between ticks.
struct Engine<'a, 'p> {
    plan: &'a Plan<'p>,
    clock: Simulated,
    pack: &'p Pack,
    start_ns: i64,
    scenario: &'p str,
    shape: Shape,
    timeline: Timeline,
    streams: Streams,
    emitter: emit::Emitter<'p>,
    procs: process::Processes<'p>,
    events: Vec<usize>,
    next_event: usize,
    /// Events of repeating blocks, made per occurrence: (at, what, index).
    repeats: Vec<(u64, Repeat, u32)>,
    next_repeat: usize,
    /// Failed deployments: (occurrence, start, end, resource).
    health: Vec<(crate::timeline::Cause, u64, u64, u32)>,
    state: State,
    state_until: u64,
    /// Deployments that change a version: (at, resource, version), by time.
    deploys: Vec<(u64, u32, u32)>,
    next_deploy: usize,
    arrivals: Vec<(u64, usize)>,
    trace: Trace,
    message: String,
    sum: Summary,
}

impl<'a, 'p> Engine<'a, 'p> {
    fn new(plan: &'a Plan<'p>, opts: &Options, seed: u64) -> Self {
        let pack = plan.pack;
        let scenario = plan.str(pack.meta.name);
        let timeline = Timeline::new(pack, seed);
        let duration = opts.duration_ns.unwrap_or(pack.meta.duration_ns);
        let mut repeats = Vec::new();
        // Events of repeating blocks happen at each occurrence, not at the
        // offset written in the pack.
        let mut per_occurrence = vec![false; pack.events.len()];
        for (c, a, _) in timeline.repeating_events(duration) {
            for &e in timeline
                .blocks
                .get(c.block as usize)
                .map_or(&[][..], |b| &b.events)
            {
                repeats.push((a, Repeat::Event, e));
                if let Some(slot) = per_occurrence.get_mut(e as usize) {
                    *slot = true;
                }
            }
        }
        let mut events: Vec<usize> = (0..pack.events.len())
            .filter(|&i| !per_occurrence[i])
            .collect();
        events.sort_by_key(|&i| pack.events[i].at_ns);
        let mut health = Vec::new();
        for (c, a, b) in timeline.occurrences(duration) {
            match timeline.window(c.block as usize) {
                None => {
                    repeats.push((a, Repeat::Start, c.block));
                    repeats.push((b, Repeat::End, c.block));
                }
                // A one-off incident still open when the run ends: its end
                // event is the run's end (the pack's lies beyond it).
                Some((_, end)) if end > duration => repeats.push((duration, Repeat::End, c.block)),
                Some(_) => {}
            }
            let Some((kind, Target::Resource(r), _)) = timeline
                .blocks
                .get(c.block as usize)
                .and_then(|blk| blk.incident)
            else {
                continue;
            };
            if plan.str(kind) == "failed_deployment" {
                health.push((c, a, b, r));
            }
        }
        repeats.sort_unstable();
        let deploy = |e: &tsim_pack::EventDef| {
            e.resource != NONE
                && plan.str(e.kind) == "deployment"
                && !plan.str(e.version).is_empty()
        };
        let fixed = events.iter().filter_map(|&i| pack.events.get(i));
        let mut deploys: Vec<(u64, u32, u32)> = fixed
            .filter(|e| deploy(e))
            .map(|e| (e.at_ns, e.resource, e.version))
            .collect();
        for &(at, what, e) in &repeats {
            match pack.events.get(e as usize) {
                Some(ev) if what == Repeat::Event && deploy(ev) => {
                    deploys.push((at, ev.resource, ev.version))
                }
                _ => {}
            }
        }
        deploys.sort_unstable();
        let state = timeline.state(0);
        let state_until = timeline.next_change(0);
        Engine {
            plan,
            clock: Simulated {
                start_ns: opts.start_ns,
            },
            pack,
            start_ns: opts.start_ns,
            scenario,
            shape: Shape::new(pack),
            timeline,
            streams: Streams::new(seed, opts.start_ns),
            emitter: emit::Emitter::new(pack, scenario),
            procs: process::Processes::new(pack, scenario),
            events,
            next_event: 0,
            repeats,
            next_repeat: 0,
            health,
            state,
            state_until,
            deploys,
            next_deploy: 0,
            arrivals: Vec::new(),
            trace: Trace::default(),
            message: String::new(),
            sum: Summary::default(),
        }
    }

    fn abs(&self, rel: u64) -> i64 {
        self.clock.stamp(rel)
    }

    fn s(&self, id: u32) -> &'p str {
        self.plan.str(id)
    }

    fn res_name(&self, r: u32) -> &'p str {
        self.plan.resource(r).map_or("", |x| self.plan.str(x.name))
    }

    fn tick(&mut self, t0: u64, t1: u64, duration: u64, sink: &mut dyn Sink) -> io::Result<()> {
        let dt = (t1 - t0) as f64 / 1e9;
        let level = self
            .shape
            .level((self.start_ns as f64 + (t0 + (t1 - t0) / 2) as f64) / 1e9);
        self.events_until(t1, duration, sink)?;
        let mut seg = t0;
        while seg < t1 {
            if seg >= self.state_until {
                self.state = self.timeline.state(seg);
                self.state_until = self.timeline.next_change(seg);
            }
            let mut end = self.state_until.min(t1);
            while let Some(&(at, r, v)) = self.deploys.get(self.next_deploy) {
                if at > seg {
                    end = end.min(at);
                    break;
                }
                if let Some(slot) = self.emitter.versions.get_mut(r as usize) {
                    *slot = v;
                }
                self.next_deploy += 1;
            }
            self.requests(seg, end, level, sink)?;
            seg = end;
        }
        self.log_streams(t0, t1, dt, level, sink)?;
        self.health_checks(t0, t1, sink)?;
        self.metrics(t1, dt, level, sink)
    }

    /// Events in [t0, t1); the last tick also takes events at the very end.
    fn events_until(&mut self, t1: u64, duration: u64, sink: &mut dyn Sink) -> io::Result<()> {
        let due = |at: u64| at < t1 || (t1 == duration && at <= duration);
        while let Some(&i) = self.events.get(self.next_event) {
            let at = self.pack.events[i].at_ns;
            if !due(at) {
                break;
            }
            self.event(i, at, sink)?;
            self.next_event += 1;
        }
        while let Some(&(at, what, id)) = self.repeats.get(self.next_repeat) {
            if !due(at) {
                break;
            }
            match what {
                Repeat::Event => self.event(id as usize, at, sink)?,
                Repeat::Start | Repeat::End => {
                    self.repeat_event(at, what == Repeat::Start, id, sink)?
                }
            }
            self.next_repeat += 1;
        }
        Ok(())
    }

    /// Pack event `i`, happening at `at`.
    fn event(&mut self, i: usize, at: u64, sink: &mut dyn Sink) -> io::Result<()> {
        let Some(e) = self.pack.events.get(i) else {
            return Ok(());
        };
        let version = self.s(e.version);
        sink.event(&EventRecord {
            time_ns: self.abs(at),
            kind: self.s(e.kind),
            service: (e.resource != NONE).then(|| self.res_name(e.resource)),
            details: self.s(e.details),
            severity: self.s(e.severity),
            version: (!version.is_empty()).then_some(version),
        })?;
        self.sum.events += 1;
        Ok(())
    }

    /// `incident_start` or `incident_end` of one occurrence of a repeating
    /// incident (one-off incidents have theirs in the pack).
    fn repeat_event(
        &mut self,
        at: u64,
        start: bool,
        block: u32,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let Some((kind, target, severity)) = self
            .timeline
            .blocks
            .get(block as usize)
            .and_then(|b| b.incident)
        else {
            return Ok(());
        };
        let kind = self.s(kind);
        self.message.clear();
        self.message.push_str(kind);
        self.message
            .push_str(if start { " started" } else { " ended" });
        sink.event(&EventRecord {
            time_ns: self.abs(at),
            kind: if start {
                "incident_start"
            } else {
                "incident_end"
            },
            service: match target {
                Target::Resource(r) => Some(self.res_name(r)),
                Target::All => None,
            },
            details: &self.message,
            severity: self.s(severity),
            version: None,
        })?;
        self.sum.events += 1;
        Ok(())
    }

    /// Root requests arriving in [a, b), all under the current state.
    fn requests(&mut self, a: u64, b: u64, level: f64, sink: &mut dyn Sink) -> io::Result<()> {
        let dt = (b - a) as f64 / 1e9;
        self.arrivals.clear();
        let rng = &mut self.streams.arrivals;
        for (gi, g) in self.plan.groups.iter().enumerate() {
            let factor = self.state.traffic
                * self
                    .state
                    .resource_traffic
                    .get(g.resource as usize)
                    .copied()
                    .unwrap_or(1.0);
            let n = poisson(rng, self.shape.rate * level * factor * g.share * dt);
            for _ in 0..n {
                self.arrivals.push((rng.random_range(a..b.max(a + 1)), gi));
            }
        }
        self.arrivals.sort_unstable();
        for k in 0..self.arrivals.len() {
            let (at, gi) = self.arrivals[k];
            self.request(at, gi, sink)?;
        }
        Ok(())
    }

    fn request(&mut self, at: u64, gi: usize, sink: &mut dyn Sink) -> io::Result<()> {
        let Some(g) = self.plan.groups.get(gi) else {
            return Ok(());
        };
        let rng = &mut self.streams.arrivals;
        let x = rng.random::<f64>() * g.share;
        let k = g
            .cumulative
            .partition_point(|c| *c <= x)
            .min(g.roots.len().saturating_sub(1));
        let Some(root) = g.roots.get(k) else {
            return Ok(());
        };
        let shape = (root.shapes > 0).then(|| {
            let variant = u64::from(rng.random_range(0..root.shapes));
            let index = (u64::from(root.endpoint) << 32) | variant;
            stream(self.streams.seed, Purpose::Shapes, index).random::<u64>()
        });
        self.trace.clear();
        Walker::new(
            self.plan,
            &self.state,
            &mut self.streams.requests,
            shape,
            &mut self.trace,
        )
        .request(root.endpoint);
        self.sum.requests += 1;
        self.sum.truncated_traces += u64::from(self.trace.truncated);
        self.sum.capped_spans += u64::from(self.trace.capped);
        let counts = self.emitter.trace(
            self.plan,
            &self.trace,
            self.abs(at),
            &mut self.streams.ids,
            &mut self.streams.logs,
            sink,
        )?;
        self.sum.spans += counts.spans;
        self.sum.logs += counts.logs;
        Ok(())
    }

    fn log_streams(
        &mut self,
        t0: u64,
        t1: u64,
        dt: f64,
        level: f64,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let pack = self.pack;
        for (si, stream) in pack.logs.streams.iter().enumerate() {
            let rng = &mut self.streams.logs;
            let n = poisson(rng, stream.rate * level * dt);
            let mut times: Vec<u64> = (0..n)
                .map(|_| rng.random_range(t0..t1.max(t0 + 1)))
                .collect();
            times.sort_unstable();
            for at in times {
                self.stream_record(si, stream, at, sink)?;
            }
        }
        Ok(())
    }

    /// One record of a standalone stream: level, message and attributes
    /// drawn afresh (the level and message from a fixed shape if declared).
    fn stream_record(
        &mut self,
        si: usize,
        spec: &'p tsim_pack::LogStream,
        at: u64,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let pack = self.pack;
        let mut shape = (spec.shapes > 0).then(|| {
            let k = u64::from(self.streams.logs.random_range(0..spec.shapes));
            stream(
                self.streams.seed,
                Purpose::LogShapes,
                ((si as u64) << 32) | k,
            )
        });
        let rng = shape.as_mut().unwrap_or(&mut self.streams.logs);
        let level = draw_text(pack, rng, &spec.level).map_or("", |s| self.plan.str(s));
        let template = draw_text(pack, rng, &spec.message).map_or("", |s| self.plan.str(s));
        self.trace.clear();
        let Trace { drawn, text, .. } = &mut self.trace;
        let range = draw_attrs(
            pack,
            &mut self.streams.logs,
            spec.attrs,
            &spec.gen_attrs,
            drawn,
            text,
        );
        let drawn = self
            .trace
            .drawn
            .get(range.0 as usize..range.1 as usize)
            .unwrap_or(&[]);
        let attributes = Attributes::new(pack, spec.attrs, drawn, &self.trace.text);
        let fill = |name: &str, out: &mut String| match attributes.get(name) {
            Some(v) => {
                v.write(out);
                true
            }
            None => false,
        };
        let (service, resource) = if spec.resource == NONE {
            (self.scenario, None)
        } else {
            let version = self.emitter.versions.get(spec.resource as usize).copied();
            (
                self.res_name(spec.resource),
                resource_ref(self.plan, spec.resource, 0, version.unwrap_or(0)),
            )
        };
        sink.log(&LogRecord {
            time_ns: self.abs(at),
            service,
            resource,
            severity_number: severity(level),
            severity_text: level,
            body: Body {
                template,
                fill: Some(&fill),
            },
            attributes,
            trace_id: None,
            span_id: None,
        })?;
        self.sum.logs += 1;
        Ok(())
    }

    /// Failed deployments log their health checks, once per instance per
    /// tick while the deployment's window overlaps the tick, from the
    /// window's start.
    fn health_checks(&mut self, t0: u64, t1: u64, sink: &mut dyn Sink) -> io::Result<()> {
        let pack = self.pack;
        for i in 0..self.health.len() {
            let (cause, a, b, r) = self.health[i];
            if a >= t1 || b <= t0 {
                continue;
            }
            let check = pack.program.iter().find_map(|op| match op {
                Op::ErrorType(Target::Resource(x), t, _) if *x == r => Some(self.s(*t)),
                _ => None,
            });
            let at = t0.max(a);
            let instances = pack
                .resources
                .get(r as usize)
                .map_or(1, |x| x.instances)
                .min(10);
            for k in 0..instances {
                self.message.clear();
                self.message.push_str(&format!(
                    "{} on {}-{k}: readiness probe returned 503",
                    check.unwrap_or("health_check_failed"),
                    self.res_name(r)
                ));
                let version = self.emitter.versions.get(r as usize).copied().unwrap_or(0);
                sink.log(&LogRecord {
                    time_ns: self.abs(at + u64::from(k)),
                    service: self.res_name(r),
                    resource: resource_ref(self.plan, r, k, version),
                    severity_number: 17,
                    severity_text: "ERROR",
                    body: Body {
                        template: &self.message,
                        fill: None,
                    },
                    attributes: Attributes::empty(pack),
                    trace_id: None,
                    span_id: None,
                })?;
                self.sum.logs += 1;
            }
            self.emitter.touched.entry(cause).or_default().insert(r);
        }
        Ok(())
    }

    fn metrics(&mut self, t1: u64, dt: f64, level: f64, sink: &mut dyn Sink) -> io::Result<()> {
        let pack = self.pack;
        let (time_ns, start_ns) = (self.abs(t1), self.start_ns);
        let state = &self.state;
        let anomaly = |m: u32| state.anomalies.get(&m).copied().unwrap_or((1.0, 0.0));
        let mut failure: io::Result<()> = Ok(());
        let mut emitted = 0u64;
        {
            let mut collect = |metric: usize, series: &series::Series<'p>, point: Point<'_>| {
                let Some(m) = pack.metrics.get(metric) else {
                    return;
                };
                let point = match point {
                    // Anomalies bend derived gauges here; process metrics
                    // apply theirs before holding gauges to their bounds.
                    Point::Gauge(v) if matches!(m.source, MetricSource::Spans { .. }) => {
                        let (f, shift) = anomaly(m.name);
                        Point::Gauge(v * f * (1.0 + shift))
                    }
                    p => p,
                };
                if failure.is_ok() {
                    let s = |id: u32| pack.strings.get(id as usize).map_or("", String::as_str);
                    failure = sink.metric(&MetricRecord {
                        time_ns,
                        start_ns,
                        metric: metric as u32,
                        name: s(m.name),
                        kind: m.kind,
                        unit: s(m.unit),
                        description: s(m.description),
                        service: series.service,
                        labels: &series.labels,
                        point,
                    });
                    emitted += 1;
                }
            };
            self.emitter.red.flush(pack, dt, &mut collect);
            self.procs.tick(
                pack,
                &mut self.streams.process,
                dt,
                level,
                &anomaly,
                &mut collect,
            );
        }
        self.sum.metrics += emitted;
        failure
    }
}
