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

mod batch;
mod emit;
mod events;
mod fleet;
mod follow;
mod live;
mod logs;
mod metrics;
mod paced;
mod process;
mod red;
mod series;
mod span_log;

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::RngExt;
use rand_distr::{Distribution, Poisson};
use rand_pcg::Pcg64;
use tsim_pack::Pack;

use crate::answer::Incident;
use crate::clock::{Clock, Simulated};
use crate::draw::request::{Trace, Walker};
use crate::plan::Plan;
use crate::shape::Shape;
use crate::sink::Sink;
use crate::streams::{mix, stream, Purpose};
use crate::timeline::{State, Timeline};

pub use emit::id;
pub use live::{Live, Pace, Shard};

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Start instant, Unix nanoseconds.
    pub start_ns: i64,
    /// Seed of arrivals, IDs and noise (default: the pack's).
    pub seed: Option<u64>,
    /// Simulated time to cover (default: the pack's duration).
    pub duration_ns: Option<u64>,
    /// When set (Ctrl-C), the run stops at the next tick and finishes its
    /// sink: what was emitted is flushed, the summary covers it.
    pub stop: Option<Arc<AtomicBool>>,
    /// Wall-clock replay (see [`live`]); `None` runs simulated time as
    /// fast as possible.
    pub live: Option<Live>,
    /// Follow the wall clock (`--then-live`, see [`follow`]): a simulated
    /// run that never hands over a record before its instant has come, so
    /// a backfill continues in real time. Ignored in a live run.
    pub follow: bool,
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
    /// Whether the run was stopped before its end.
    pub stopped: bool,
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
    /// The streams of `shard` (0 when not sharded).
    fn new(seed: u64, start_ns: i64, shard: u32) -> Streams {
        // The start instant is part of the key: two runs of one scenario at
        // different starts never share trace ids.
        let seed = seed ^ mix(start_ns as u64);
        let i = u64::from(shard);
        Streams {
            arrivals: stream(seed, Purpose::Arrivals, i),
            ids: stream(seed, Purpose::Ids, i),
            requests: stream(seed, Purpose::Requests, i),
            logs: stream(seed, Purpose::Logs, i),
            process: stream(seed, Purpose::Process, i),
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
    let never = AtomicBool::new(false);
    let stop = opts.stop.as_deref().unwrap_or(&never);
    let paced = opts
        .live
        .is_some_and(|l| matches!(l.pace, Pace::Rate(_) | Pace::Max));
    if paced {
        eng.run_paced(duration, tick, stop, sink, progress)?;
    } else {
        let mut t0 = 0u64;
        while t0 < duration {
            if stop.load(Ordering::Relaxed) {
                eng.sum.stopped = true;
                break;
            }
            let t1 = t0.saturating_add(tick).min(duration);
            eng.tick(t0, t1, duration, stop, sink)?;
            eng.clock.pace(t1);
            eng.sum.simulated_ns = t1;
            progress(t1, duration, &eng.sum);
            t0 = t1;
        }
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
    /// Each resource's running instances, their ids and version now
    /// (deployments and scalings change them).
    fleet: fleet::Fleet<'p>,
    procs: process::Processes<'p>,
    /// What happens at fixed instants: events, deployments, health checks.
    calendar: events::Calendar,
    state: State,
    state_until: u64,
    arrivals: Vec<(u64, usize)>,
    trace: Trace,
    message: String,
    sum: Summary,
    /// The wall clock of a live run.
    live: Option<live::LiveClock>,
    /// Traffic times this.
    multiplier: f64,
    /// The wall clock a following run waits for.
    follow: Option<follow::Follow>,
}

impl<'a, 'p> Engine<'a, 'p> {
    fn new(plan: &'a Plan<'p>, opts: &Options, seed: u64) -> Self {
        let pack = plan.pack;
        let shard = opts.live.map(|l| l.shard).unwrap_or_default();
        let emitter = emit::Emitter::new(pack, plan.str(pack.meta.name), shard);
        let scenario = plan.str(pack.meta.name);
        let timeline = Timeline::new(pack, seed);
        let duration = opts.duration_ns.unwrap_or(pack.meta.duration_ns);
        let calendar = events::Calendar::new(plan, &timeline, duration);
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
            streams: Streams::new(seed, opts.start_ns, shard.index),
            emitter,
            fleet: fleet::Fleet::new(pack),
            procs: process::Processes::new(pack, scenario, shard),
            calendar,
            state,
            state_until,
            arrivals: Vec::new(),
            trace: Trace::default(),
            message: String::new(),
            sum: Summary::default(),
            live: opts.live.map(|l| {
                let jitter = stream(seed ^ mix(opts.start_ns as u64), Purpose::Ids, 1 << 40);
                live::LiveClock::new(l, jitter)
            }),
            multiplier: opts.live.map_or(1.0, |l| l.multiplier).max(0.0),
            follow: (opts.follow && opts.live.is_none()).then(follow::Follow::default),
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

    fn tick(
        &mut self,
        t0: u64,
        t1: u64,
        duration: u64,
        stop: &AtomicBool,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let (dt, level) = self.span_of(t0, t1);
        let waits = self.live.is_some() || self.follow.is_some();
        if !waits {
            self.events_until(t1, duration, sink)?;
        }
        self.tick_requests(t0, t1, level, stop, sink)?;
        // Live or following: what is stamped up to the tick's end goes out
        // when it has come.
        if let Some(l) = &self.live {
            l.wait_for_offset(t1, stop);
        }
        let end = self.abs(t1);
        if let Some(f) = &mut self.follow {
            f.wait_for(end, stop);
        }
        if waits {
            self.events_until(t1, duration, sink)?;
        }
        self.tick_rest(t0, t1, dt, level, sink)
    }

    /// The tick's requests, segment by segment, with deployments applied.
    fn tick_requests(
        &mut self,
        t0: u64,
        t1: u64,
        level: f64,
        stop: &AtomicBool,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let mut seg = t0;
        while seg < t1 {
            let end = self.advance(seg).min(t1);
            self.requests(seg, end, level, stop, sink)?;
            seg = end;
        }
        Ok(())
    }

    /// Brings the timeline state and the fleet (deployments, scalings) up
    /// to `seg`; returns the next instant either changes.
    fn advance(&mut self, seg: u64) -> u64 {
        if seg >= self.state_until {
            self.state = self.timeline.state(seg);
            self.state_until = self.timeline.next_change(seg);
        }
        let mut end = self.state_until;
        while let Some(&(at, r, c)) = self.calendar.changes.get(self.calendar.next_change) {
            if at > seg {
                end = end.min(at);
                break;
            }
            let fleet = &mut self.fleet;
            let renewed = match c {
                events::Change::Deploy(v) => fleet.deploy(r, v, at),
                events::Change::Scale(n) => fleet.scale(r, n, at),
            };
            self.emitter.red.renew(&renewed);
            self.procs.renew(&renewed);
            self.calendar.next_change += 1;
        }
        end
    }

    /// A tick's length in seconds and the traffic level at its middle.
    fn span_of(&self, t0: u64, t1: u64) -> (f64, f64) {
        let dt = (t1 - t0) as f64 / 1e9;
        let mid = (self.start_ns as f64 + (t0 + (t1 - t0) / 2) as f64) / 1e9;
        (dt, self.shape.level(mid))
    }

    /// The tick's log streams, health checks and metric points.
    fn tick_rest(
        &mut self,
        t0: u64,
        t1: u64,
        dt: f64,
        level: f64,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        self.log_streams(t0, t1, dt, level, sink)?;
        self.health_checks(t0, t1, sink)?;
        self.metrics(t1, dt, level, sink)
    }

    /// Root requests arriving in [a, b), all under the current state,
    /// drawn and emitted piece by piece (see [`batch`]).
    fn requests(
        &mut self,
        a: u64,
        b: u64,
        level: f64,
        stop: &AtomicBool,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let dt = (b - a) as f64 / 1e9;
        let means: Vec<f64> = (0..self.plan.groups.len())
            .map(|gi| self.mean_arrivals(gi, level, dt))
            .collect();
        let k = batch::pieces(means.iter().sum(), "the traffic")?;
        for j in 0..k {
            if k > 1 && stop.load(Ordering::Relaxed) {
                break;
            }
            let (pa, pb) = batch::piece(a, b, j, k);
            self.arrivals.clear();
            let rng = &mut self.streams.arrivals;
            for (gi, mean) in means.iter().enumerate() {
                let n = poisson(rng, mean / k as f64);
                for _ in 0..n {
                    self.arrivals
                        .push((rng.random_range(pa..pb.max(pa + 1)), gi));
                }
            }
            self.arrivals.sort_unstable();
            self.emit_arrivals(stop, sink)?;
        }
        Ok(())
    }

    /// The mean number of root requests of group `gi` over `dt` seconds.
    fn mean_arrivals(&self, gi: usize, level: f64, dt: f64) -> f64 {
        let Some(g) = self.plan.groups.get(gi) else {
            return 0.0;
        };
        let factor = self.state.traffic
            * self
                .state
                .resource_traffic
                .get(g.resource as usize)
                .copied()
                .unwrap_or(1.0);
        self.shape.rate * self.multiplier * level * factor * g.share * dt
    }

    /// Draws and emits every request in `self.arrivals`, in order.
    fn emit_arrivals(&mut self, stop: &AtomicBool, sink: &mut dyn Sink) -> io::Result<()> {
        for k in 0..self.arrivals.len() {
            let (at, gi) = self.arrivals[k];
            if let Some(l) = &self.live {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                l.wait_for_offset(at, stop);
            }
            self.request(at, gi, stop, sink)?;
        }
        Ok(())
    }

    fn request(
        &mut self,
        at: u64,
        gi: usize,
        stop: &AtomicBool,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
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
            self.fleet.counts(),
            &mut self.streams.requests,
            shape,
            &mut self.trace,
        )
        .request(root.endpoint);
        self.sum.requests += 1;
        self.sum.truncated_traces += u64::from(self.trace.truncated);
        self.sum.capped_spans += u64::from(self.trace.capped);
        let mut at_ns = self.abs(at);
        let root = self.trace.spans.first().map_or(0, |s| s.end_ns);
        if let Some(l) = &mut self.live {
            at_ns = at_ns.saturating_sub(i64::try_from(l.back(root)).unwrap_or(i64::MAX));
        }
        if let Some(f) = &mut self.follow {
            // Handed over when its root has ended (nothing in the future).
            let ends = at_ns.saturating_add(i64::try_from(root).unwrap_or(i64::MAX));
            f.wait_for(ends, stop);
        }
        let counts = self.emitter.trace(
            (self.plan, &self.fleet),
            &self.trace,
            at_ns,
            &mut self.streams.ids,
            &mut self.streams.logs,
            sink,
        )?;
        self.sum.spans += counts.spans;
        self.sum.logs += counts.logs;
        Ok(())
    }
}
