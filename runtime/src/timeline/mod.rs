//! Evaluating the timeline program: which blocks are active at an instant,
//! how far along their ramps they are, and what they do to each resource,
//! endpoint and metric. A cascade spreads from its root cause along the
//! endpoints that depend on it (callers, then theirs) over the block's
//! length, so circuit breakers open level by level and an endpoint with no
//! path to the root cause keeps its baseline. [`Timeline::next_change`]
//! says when the state next changes, so the scheduler recomputes it only
//! then and every request sees the state of its own instant.

use std::collections::BTreeMap;

use tsim_pack::program::{AnomalyKind, Op, Target};
use tsim_pack::{Pack, StrId};

mod cascade;
mod windows;

/// Ramps and cascades change continuously; their state is re-evaluated at
/// least this often (ns) while they are active.
pub const RAMP_RESOLUTION_NS: u64 = 1_000_000_000;

/// One occurrence of a block: which block, and which repetition (0 for `at`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cause {
    /// Block index.
    pub block: u32,
    /// Occurrence number of a repeating block; 0 for a one-off.
    pub occurrence: u64,
}

/// When a block is active.
#[derive(Clone, Copy, Debug)]
enum When {
    At {
        start: u64,
        length: u64,
        ramp: u64,
    },
    Every {
        period: u64,
        length: u64,
        jitter: bool,
    },
}

/// One `AT` or `EVERY` block and its effects.
#[derive(Clone, Debug)]
pub struct Block {
    when: When,
    effects: Vec<Op>,
    /// `(kind, target, severity)` when the block is an incident.
    pub incident: Option<(StrId, Target, StrId)>,
    /// The events the block makes (indices into the pack's events): at
    /// their own offsets for a one-off block, at the start of every
    /// occurrence for a repeating one.
    pub events: Vec<u32>,
}

impl Block {
    /// What the block does while active (its instructions other than the
    /// incident and events).
    pub fn effects(&self) -> &[Op] {
        &self.effects
    }
}

/// Failures injected into one resource.
#[derive(Clone, Debug, Default)]
pub struct Fault {
    /// Probability that a span of the resource fails (for the global fault:
    /// that any one server span or backend call fails, handled), all
    /// active blocks together.
    pub errors: f64,
    /// Each active block's share of `errors`: a failure is drawn block by
    /// block, so it is credited to the block that caused it.
    pub shares: Vec<(Cause, f64)>,
    /// An `errors` override is active: it replaces the template's own
    /// failures (so `errors 0%` means no errors) instead of adding to them.
    pub errors_set: bool,
    /// Latency factor.
    pub latency: f64,
    /// Weighted `error.type` names.
    pub types: Vec<(StrId, f64)>,
    /// Weighted status codes.
    pub codes: Vec<(u16, f64)>,
    /// The first block occurrence that changed the latency (for the answer
    /// key), if any.
    pub cause: Option<Cause>,
    /// Fixed `error.type` text for spread failures (circuit breakers).
    pub spread: bool,
}

/// Everything active at one instant.
#[derive(Clone, Debug)]
pub struct State {
    /// Global traffic factor.
    pub traffic: f64,
    /// Per-resource traffic factor (for roots of that resource).
    pub resource_traffic: Vec<f64>,
    /// Per-resource faults (`latency` 1 and `errors` 0 when none).
    pub faults: Vec<Fault>,
    /// Faults aimed at everything (`intermittent`, `burst { errors 0% }`):
    /// scattered, handled errors of any server span or backend call.
    pub global: Fault,
    /// Per-metric multiplicative factor and relative shift.
    pub anomalies: BTreeMap<StrId, (f64, f64)>,
    /// Per-endpoint faults of active cascades (empty when none is active).
    pub endpoint_faults: Vec<Option<Fault>>,
    /// Block occurrences active now.
    pub active: Vec<Cause>,
}

/// The program, split into blocks.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// The blocks in program order.
    pub blocks: Vec<Block>,
    resources: usize,
    seed: u64,
    /// For each endpoint, the endpoints that call it (or consume from it).
    callers: Vec<Vec<u32>>,
    /// For each resource, the endpoints that depend on it directly: its own
    /// endpoints (distance 0) or those that query or publish to it (1).
    direct: Vec<Vec<(u32, u32)>>,
    endpoints: usize,
}

impl Timeline {
    /// Splits the program into blocks and learns who calls whom.
    pub fn new(pack: &Pack, seed: u64) -> Timeline {
        let mut blocks: Vec<Block> = Vec::new();
        for op in &pack.program {
            match *op {
                Op::At {
                    start_ns,
                    length_ns,
                    ramp_ns,
                } => blocks.push(Block {
                    when: When::At {
                        start: start_ns,
                        length: length_ns,
                        ramp: ramp_ns,
                    },
                    effects: Vec::new(),
                    incident: None,
                    events: Vec::new(),
                }),
                Op::Every {
                    period_ns,
                    length_ns,
                    jitter,
                } => blocks.push(Block {
                    when: When::Every {
                        period: period_ns.max(1),
                        length: length_ns.min(period_ns),
                        jitter,
                    },
                    effects: Vec::new(),
                    incident: None,
                    events: Vec::new(),
                }),
                Op::Incident {
                    kind,
                    target,
                    severity,
                } => {
                    if let Some(b) = blocks.last_mut() {
                        b.incident = Some((kind, target, severity));
                    }
                }
                Op::Traffic { .. } | Op::Peak { .. } | Op::Night(_) | Op::Weekend(_) | Op::End => {}
                Op::Event(e) => {
                    if let Some(b) = blocks.last_mut() {
                        b.events.push(e);
                    }
                }
                ref effect => {
                    if let Some(b) = blocks.last_mut() {
                        b.effects.push(effect.clone());
                    }
                }
            }
        }
        let (callers, direct) = cascade::callers_of(pack);
        Timeline {
            blocks,
            resources: pack.resources.len(),
            seed,
            callers,
            direct,
            endpoints: pack.calls.endpoints.len(),
        }
    }

    /// The state with no block active.
    pub fn quiet(&self) -> State {
        State {
            traffic: 1.0,
            resource_traffic: vec![1.0; self.resources],
            faults: vec![
                Fault {
                    latency: 1.0,
                    ..Fault::default()
                };
                self.resources
            ],
            global: Fault {
                latency: 1.0,
                ..Fault::default()
            },
            anomalies: BTreeMap::new(),
            endpoint_faults: Vec::new(),
            active: Vec::new(),
        }
    }

    /// The state at `t` ns after the run's start.
    pub fn state(&self, t: u64) -> State {
        let mut st = self.quiet();
        for i in 0..self.blocks.len() {
            let Some((ramp_p, window_p, start, length, k)) = self.activation(i, t) else {
                continue;
            };
            let cause = Cause {
                block: i as u32,
                occurrence: k,
            };
            st.active.push(cause);
            let level = |from: f64, to: f64| {
                if from == to {
                    to
                } else if matches!(self.blocks[i].when, When::At { ramp, .. } if ramp > 0) {
                    from + (to - from) * ramp_p
                } else {
                    from + (to - from) * window_p
                }
            };
            for op in &self.blocks[i].effects {
                match *op {
                    Op::Errors(tg, a, b) => self.each(&mut st, tg, |f| {
                        let p = level(a, b);
                        f.errors = 1.0 - (1.0 - f.errors) * (1.0 - p);
                        f.shares.push((cause, p));
                        f.errors_set = true;
                    }),
                    Op::Latency(tg, a, b) => self.each(&mut st, tg, |f| {
                        f.latency *= level(a, b);
                        f.cause.get_or_insert(cause);
                    }),
                    Op::Rate(Target::All, a, b) => st.traffic *= level(a, b),
                    Op::Rate(Target::Resource(r), a, b) => {
                        if let Some(x) = st.resource_traffic.get_mut(r as usize) {
                            *x *= level(a, b);
                        }
                    }
                    Op::Status(tg, code, w) => self.each(&mut st, tg, |f| f.codes.push((code, w))),
                    Op::ErrorType(tg, s, w) => self.each(&mut st, tg, |f| f.types.push((s, w))),
                    Op::Cascade(Target::Resource(root)) => {
                        self.spread(&mut st, root, cause, t.saturating_sub(start), length)
                    }
                    Op::Anomaly {
                        metric,
                        kind,
                        from,
                        to,
                    } => {
                        let f = match kind {
                            AnomalyKind::Trend => level(from, to),
                            _ => to,
                        };
                        st.anomalies.entry(metric).or_insert((1.0, 0.0)).0 *= f.max(0.0);
                    }
                    Op::Shift { metric, relative } => {
                        st.anomalies.entry(metric).or_insert((1.0, 0.0)).1 += relative
                    }
                    _ => {}
                }
            }
        }
        st
    }

    fn each(&self, st: &mut State, target: Target, apply: impl FnOnce(&mut Fault)) {
        let f = match target {
            Target::All => Some(&mut st.global),
            Target::Resource(r) => st.faults.get_mut(r as usize),
        };
        if let Some(f) = f {
            apply(f);
        }
    }
}
