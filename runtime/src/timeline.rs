//! Evaluating the timeline program: which blocks are active at an instant,
//! how far along their ramps they are, and what they do to each resource
//! and metric. A cascade spreads from its root cause to the root cause's
//! callers, then theirs, over the block's length (circuit breakers open
//! level by level).

use std::collections::BTreeMap;

use tsim_pack::program::{AnomalyKind, Op, Target};
use tsim_pack::{Pack, StrId, NONE};

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
}

/// Failures injected into one resource.
#[derive(Clone, Debug, Default)]
pub struct Fault {
    /// Probability that a span of the resource fails (for the global fault:
    /// that a trace fails at one of its spans).
    pub errors: f64,
    /// An `errors` override is active: it replaces the template's own
    /// failures (so `errors 0%` means no errors) instead of adding to them.
    pub errors_set: bool,
    /// Latency factor.
    pub latency: f64,
    /// Weighted `error.type` names.
    pub types: Vec<(StrId, f64)>,
    /// Weighted status codes.
    pub codes: Vec<(u16, f64)>,
    /// The block responsible (for the answer key), if any.
    pub block: Option<usize>,
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
    /// errors apply per trace, at one random span.
    pub global: Fault,
    /// Per-metric multiplicative factor and relative shift.
    pub anomalies: BTreeMap<StrId, (f64, f64)>,
    /// Blocks active now.
    pub active: Vec<usize>,
}

/// The program, split into blocks.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// The blocks in program order.
    pub blocks: Vec<Block>,
    resources: usize,
    seed: u64,
    /// For each resource, its callers (from the traces' client spans).
    callers: Vec<Vec<u32>>,
}

fn mix(mut x: u64) -> u64 {
    // SplitMix64 finaliser: a stable hash of the occurrence number.
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
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
                Op::Traffic { .. }
                | Op::Peak { .. }
                | Op::Night(_)
                | Op::Weekend(_)
                | Op::End
                | Op::Event(_) => {}
                ref effect => {
                    if let Some(b) = blocks.last_mut() {
                        b.effects.push(effect.clone());
                    }
                }
            }
        }
        let mut callers = vec![Vec::new(); pack.resources.len()];
        for t in &pack.traces {
            for s in &t.spans {
                if s.peer != NONE && s.peer != s.resource {
                    if let Some(list) = callers.get_mut(s.peer as usize) {
                        if !list.contains(&s.resource) {
                            list.push(s.resource);
                        }
                    }
                }
            }
        }
        callers.iter_mut().for_each(|c| c.sort_unstable());
        Timeline {
            blocks,
            resources: pack.resources.len(),
            seed,
            callers,
        }
    }

    /// The window of a one-off block: (start, end) in ns from the run's start.
    pub fn window(&self, i: usize) -> Option<(u64, u64)> {
        match self.blocks.get(i)?.when {
            When::At { start, length, .. } => Some((start, start.saturating_add(length))),
            When::Every { .. } => None,
        }
    }

    /// Activation of block `i` at `t` (ns from the run's start): `None` when
    /// inactive, else (ramp progress, window progress, window start, window length).
    fn activation(&self, i: usize, t: u64) -> Option<(f64, f64, u64, u64)> {
        match self.blocks[i].when {
            When::At {
                start,
                length,
                ramp,
            } => {
                let end = start.saturating_add(length.max(1));
                if t < start || t >= end {
                    return None;
                }
                let into = (t - start) as f64;
                let ramp_p = if ramp == 0 {
                    1.0
                } else {
                    (into / ramp as f64).min(1.0)
                };
                Some((ramp_p, into / length.max(1) as f64, start, length))
            }
            When::Every {
                period,
                length,
                jitter,
            } => {
                if length == 0 {
                    return None;
                }
                let k = t / period;
                let slack = period - length;
                let offset = if jitter && slack > 0 {
                    mix(self.seed ^ mix(i as u64) ^ k) % slack
                } else {
                    0
                };
                let start = k * period + offset;
                if t < start || t >= start + length {
                    return None;
                }
                Some((1.0, (t - start) as f64 / length as f64, start, length))
            }
        }
    }

    /// The state at `t` ns after the run's start.
    pub fn state(&self, t: u64) -> State {
        let mut st = State {
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
            active: Vec::new(),
        };
        for i in 0..self.blocks.len() {
            let Some((ramp_p, window_p, start, length)) = self.activation(i, t) else {
                continue;
            };
            st.active.push(i);
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
                    Op::Errors(tg, a, b) => self.each(&mut st, tg, i, |f| {
                        f.errors = 1.0 - (1.0 - f.errors) * (1.0 - level(a, b).clamp(0.0, 1.0));
                        f.errors_set = true;
                    }),
                    Op::Latency(tg, a, b) => {
                        self.each(&mut st, tg, i, |f| f.latency *= level(a, b).max(0.0))
                    }
                    Op::Rate(Target::All, a, b) => st.traffic *= level(a, b).max(0.0),
                    Op::Rate(Target::Resource(r), a, b) => {
                        if let Some(x) = st.resource_traffic.get_mut(r as usize) {
                            *x *= level(a, b).max(0.0);
                        }
                    }
                    Op::Status(tg, code, w) => {
                        self.each(&mut st, tg, i, |f| f.codes.push((code, w)))
                    }
                    Op::ErrorType(tg, s, w) => self.each(&mut st, tg, i, |f| f.types.push((s, w))),
                    Op::Cascade(Target::Resource(root)) => {
                        self.spread(&mut st, root, i, t.saturating_sub(start), length)
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

    fn each(
        &self,
        st: &mut State,
        target: Target,
        block: usize,
        mut apply: impl FnMut(&mut Fault),
    ) {
        let range = match target {
            Target::All => {
                apply(&mut st.global);
                st.global.block.get_or_insert(block);
                return;
            }
            Target::Resource(r) => (r as usize)..(r as usize + 1).min(self.resources),
        };
        for f in &mut st.faults[range] {
            apply(f);
            f.block.get_or_insert(block);
        }
    }

    /// A cascade from `root`: callers at distance k fail once the block has
    /// run k/(levels+1) of its length.
    fn spread(&self, st: &mut State, root: u32, block: usize, elapsed: u64, length: u64) {
        let mut levels: Vec<Vec<u32>> = vec![vec![root]];
        let mut seen = vec![false; self.resources];
        if let Some(s) = seen.get_mut(root as usize) {
            *s = true;
        }
        loop {
            let mut next = Vec::new();
            for r in levels.last().into_iter().flatten() {
                for c in self.callers.get(*r as usize).into_iter().flatten() {
                    if !seen[*c as usize] {
                        seen[*c as usize] = true;
                        next.push(*c);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            levels.push(next);
        }
        let base = st.faults.get(root as usize).map_or(0.0, |f| f.errors);
        let step = length / (levels.len() as u64 + 1);
        for (k, level) in levels.iter().enumerate().skip(1) {
            if elapsed < step * k as u64 {
                break;
            }
            let p = base * 0.85f64.powi(k as i32);
            for r in level {
                let f = &mut st.faults[*r as usize];
                f.errors = 1.0 - (1.0 - f.errors) * (1.0 - p);
                f.spread = true;
                f.codes.push((503, 1.0));
                f.block.get_or_insert(block);
            }
        }
    }
}
